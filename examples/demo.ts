/**
 * The main job: a flaky operation retried with exponential backoff, printing
 * each attempt, its error and the delay before the next one.
 */
import { pipe } from 'fp-ts/function'
import * as TE from 'fp-ts/TaskEither'
import { Random, Retry, Schedule } from '../src/index'

const random = Random.seeded(2026)
const started = performance.now()
const at = () => `${Math.round(performance.now() - started)}`.padStart(5) + ' ms'

let calls = 0
const flaky: TE.TaskEither<string, string> = () => {
  calls += 1
  console.log(`${at()}  attempt ${calls}`)
  return Promise.resolve(calls < 4 ? { _tag: 'Left', left: `503 Service Unavailable` } : { _tag: 'Right', right: 'OK' })
}

const policy = pipe(Schedule.exponential(50), Schedule.jittered(), Schedule.intersect(Schedule.recurs(5)))

const result = await pipe(
  flaky,
  Retry.retrying(policy, {
    random,
    onRetry: ({ attempt, error, delay }) =>
      console.log(`${at()}  attempt ${attempt} failed: ${String(error)}; next attempt in ${Math.round(delay)} ms`),
  }),
)()
console.log(`${at()}  outcome: ${result._tag === 'Right' ? `success (${result.right})` : `gave up (${result.left})`}`)
