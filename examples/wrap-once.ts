/**
 * Scenario 7: wrap a function once with `Retry.retryable`, call it everywhere.
 * `getUser` keeps its parameters and its types; every call retries afresh,
 * run with its own signal (the signal comes at run time, not at wrapping time).
 *
 * Run alone: npx tsx examples/wrap-once.ts
 */
import { pipe } from 'fp-ts/function'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import * as t from 'io-ts'
import { type Operation, Retry, Schedule, Timeout } from '../src/index'
import * as Decode from '../src/Decode'
import * as Http from '../src/Http'
import { isMain, sendJson, startServer } from './support'

const User = t.type({ id: t.number, name: t.string })
type User = t.TypeOf<typeof User>

const NAMES = ['Ada', 'Grace', 'Barbara']

export const main = async (): Promise<void> => {
  const seen = new Map<string, number>()
  const api = await startServer((req, res) => {
    const count = (seen.get(req.url ?? '') ?? 0) + 1
    seen.set(req.url ?? '', count)
    const id = Number(req.url?.split('/').at(-1))
    // every user's first request fails; user 3 fails twice
    if (count <= (id === 3 ? 2 : 1)) sendJson(res, 503, { error: 'busy' })
    else sendJson(res, 200, { id, name: NAMES[id - 1] })
  })
  try {
    console.log(`\n== 7. Wrap once with retryable, call everywhere ${'='.repeat(38)}`)
    console.log('   policy: spaced(20), 3 retries, transient errors only; timeout 1 s per attempt; a signal per call')
    const fetchUser = (
      id: number,
    ): ReaderTaskEither<Operation.Env, Http.FetchError | Timeout.TimeoutError | Decode.DecodeError, User> =>
      pipe(Http.json(`${api.url}/users/${id}`), Timeout.timeout(1000), Decode.decode(User))

    // once, at the edge of the program
    const getUser = Retry.retryable(
      pipe(Schedule.spaced(20), Schedule.intersect(Schedule.recurs(3)), Schedule.whileInput(Http.isTransient)),
    )(fetchUser)

    // everywhere else: same parameters, retries included; each call brings its own signal
    for (const id of [1, 2, 3]) {
      const request = new AbortController() // e.g. aborted when this request's client disconnects
      const result = await getUser(id)({ signal: request.signal })()
      const attempts = seen.get(`/users/${id}`) ?? 0
      console.log(
        `   getUser(${id}) -> ${result._tag === 'Right' ? `ok ${result.right.name}` : `failed ${result.left._tag}`} after ${attempts} attempts`,
      )
    }
  } finally {
    await api.close()
  }
}

if (isMain(import.meta.url)) await main()
