/**
 * A ReaderTaskEither with its dependencies: a user repository injected through
 * the environment, next to the signal. Each attempt is bounded by a timeout
 * (whose signal reaches the repository's query) and guarded by a breaker; the
 * call is retried, and run with `op({ signal, repo })()`.
 *
 * Not part of `npm start`. Run alone: npx tsx examples/reader-task-either.ts
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import type * as RTE from 'fp-ts/ReaderTaskEither'
import type * as TE from 'fp-ts/TaskEither'
import { CircuitBreaker, type Operation, Retry, Schedule, Timeout } from '../src/index'
import { isMain, timeline } from './support'

export interface User {
  readonly id: string
  readonly name: string
}
export interface Unavailable {
  readonly _tag: 'Unavailable'
  readonly reason: string
}
export interface NotFound {
  readonly _tag: 'NotFound'
  readonly id: string
}

/** The repository: each query takes the signal of the run, so that a timeout or the caller can stop it. */
export interface UserRepo {
  readonly findById: (id: string, signal: AbortSignal) => TE.TaskEither<Unavailable | NotFound, User>
}

/** What the operations need: the signal (from `Operation.Env`) and the repository. */
export interface Deps extends Operation.Env {
  readonly repo: UserRepo
}

/** The query, in plain fp-ts: it reads the repository and the signal from the environment. */
export const findUser =
  (id: string): RTE.ReaderTaskEither<Deps, Unavailable | NotFound, User> =>
  ({ repo, signal }) =>
    repo.findById(id, signal)

type UserError = Unavailable | NotFound | Timeout.TimeoutError | CircuitBreaker.CircuitOpen

const isUnavailable = (error: unknown): error is Unavailable =>
  typeof error === 'object' && error !== null && '_tag' in error && error._tag === 'Unavailable'

export const policy = pipe(
  Schedule.exponential(50),
  Schedule.intersect(Schedule.recurs(4)),
  Schedule.whileInput((error: UserError) => error._tag !== 'NotFound'), // a missing user stays missing
  Schedule.waitForHint(1_000), // an open circuit: wait until a probe may pass, up to 1 s
  Schedule.upTo(5_000),
)

const NAMES: Readonly<Record<string, string>> = { ada: 'Ada Lovelace', grace: 'Grace Hopper' }

/** An in-memory repository with a bad day: ada's first query hangs and her second finds the pool exhausted; grace's all hang. */
const repository = (): UserRepo => {
  const queries = new Map<string, number>()
  return {
    findById: (id, signal) => () => {
      const n = (queries.get(id) ?? 0) + 1
      queries.set(id, n)
      return new Promise((resolve) => {
        if (id === 'grace' || (id === 'ada' && n === 1)) {
          // a query that never answers: it ends only when its signal fires
          const cancelled = () => resolve(E.left({ _tag: 'Unavailable', reason: 'query cancelled' }))
          if (signal.aborted) cancelled()
          else signal.addEventListener('abort', cancelled, { once: true })
          return
        }
        const name = NAMES[id]
        setTimeout(
          () =>
            resolve(
              id === 'ada' && n === 2
                ? E.left({ _tag: 'Unavailable', reason: 'connection pool exhausted' })
                : name === undefined
                  ? E.left({ _tag: 'NotFound', id })
                  : E.right({ id, name }),
            ),
          5,
        )
      })
    },
  }
}

export const main = async (): Promise<void> => {
  const repo = repository()
  // one breaker for the database; the repository's own errors are not known to the library, so say which count
  const breaker = CircuitBreaker.make({
    consecutiveFailures: 5,
    halfOpenAfter: 1_000,
    isFailure: (error) => isUnavailable(error) || Timeout.isTimeoutError(error),
  })()

  for (const [id, abortAfter] of [
    ['ada', undefined],
    ['nobody', undefined],
    ['grace', 300],
  ] as const) {
    const tl = timeline(`getUser('${id}')`, 'exponential(50), 4 retries, not NotFound, waitForHint(1000), upTo(5 s)', [
      'each attempt: timeout 200 ms, then the breaker',
    ])
    const getUser = pipe(
      tl.attempt(
        'findUser',
        pipe(findUser(id), Timeout.timeout(200), CircuitBreaker.protect(breaker)),
        (user) => user.name,
      ),
      Retry.retrying(policy, { onRetry: tl.onRetry }),
    )
    const request = new AbortController() // this request's signal: aborted when its client disconnects
    const timer =
      abortAfter === undefined ? undefined : setTimeout(() => request.abort('client disconnected'), abortAfter)
    tl.outcome(await getUser({ signal: request.signal, repo })(), (user) => user.name)
    clearTimeout(timer)
  }
}

if (isMain(import.meta.url)) await main()
