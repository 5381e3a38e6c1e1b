/**
 * The overhead benchmark: every contender retries the same operation, in one
 * process, measured by mitata. The operation is an async call that fails
 * `failures` times in a row and then succeeds; each contender wraps it in its
 * own idiom (a rejecting promise for try/catch, p-retry and cockatiel; a
 * `TaskEither` returning `Left` for fp-ts-retry and retry-ts; an `Effect`
 * built with `Effect.tryPromise` for Effect).
 */
import { ConstantBackoff, handleAll, retry as cockatielRetry } from 'cockatiel'
import { Effect, Schedule as EffectSchedule } from 'effect'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import type { TaskEither } from 'fp-ts/TaskEither'
import pRetry from 'p-retry'
import * as RetryTs from 'retry-ts'
import { retrying as retryTsRetrying } from 'retry-ts/lib/Task'
import { Retry, Schedule } from '../src/index'

/** One workload: how many failures precede the success, and the delay between attempts. */
export interface Workload {
  readonly key: string
  readonly label: string
  readonly failures: number
  readonly delay: number
}

export const workloads: ReadonlyArray<Workload> = [
  { key: 'a', label: '(a) success on the first attempt', failures: 0, delay: 0 },
  { key: 'b', label: '(b) 3 failures, then success, zero delay', failures: 3, delay: 0 },
  { key: 'c', label: '(c) 3 failures, then success, 1 ms delay', failures: 3, delay: 1 },
]

/** The failure every attempt reports: allocated once, so no contender pays for a stack trace. */
const failure = new Error('transient')

/** Failures still to come in the current operation; each contender's run resets it. */
let remaining = 0

/** Attempts made since the last {@link verify} reset it: every contender counts the same way. */
let attempts = 0

const callPromise = async (): Promise<number> => {
  attempts++
  if (remaining > 0) {
    remaining--
    throw failure
  }
  return 42
}

const callTaskEither: TaskEither<Error, number> = async () => {
  attempts++
  if (remaining > 0) {
    remaining--
    return E.left(failure)
  }
  return E.right(42)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A contender: builds, for a workload, a function that runs one retried operation. */
export interface Contender {
  readonly name: string
  /** A baseline shown for context, not a library in the race. */
  readonly reference?: boolean
  readonly build: (w: Workload) => () => Promise<unknown>
}

export const contenders: ReadonlyArray<Contender> = [
  {
    name: 'hand-written try/catch loop',
    build: (w) => {
      const retries = w.failures
      return async () => {
        remaining = w.failures
        for (let attempt = 0; ; attempt++) {
          try {
            return await callPromise()
          } catch (error) {
            if (attempt >= retries) throw error
            if (w.delay > 0) await sleep(w.delay)
          }
        }
      }
    },
  },
  {
    name: 'hand-written Either loop (reference: no throw)',
    reference: true,
    build: (w) => {
      const retries = w.failures
      return async () => {
        remaining = w.failures
        for (let attempt = 0; ; attempt++) {
          const result = await callTaskEither()
          if (E.isRight(result) || attempt >= retries) return result
          if (w.delay > 0) await sleep(w.delay)
        }
      }
    },
  },
  {
    name: 'fp-ts-retry retrying',
    build: (w) => {
      const limit = Schedule.recurs(w.failures)
      const policy: Schedule.Schedule<unknown, unknown> =
        w.delay > 0 ? pipe(Schedule.spaced(w.delay), Schedule.intersect(limit)) : limit
      const run = Retry.retrying(policy)(callTaskEither)
      return () => {
        remaining = w.failures
        return run()
      }
    },
  },
  {
    name: 'p-retry',
    build: (w) => {
      const options = { retries: w.failures, minTimeout: w.delay, maxTimeout: w.delay, factor: 1, randomize: false }
      return () => {
        remaining = w.failures
        return pRetry(callPromise, options)
      }
    },
  },
  {
    name: 'cockatiel',
    build: (w) => {
      const policy = cockatielRetry(handleAll, { maxAttempts: w.failures, backoff: new ConstantBackoff(w.delay) })
      return () => {
        remaining = w.failures
        return policy.execute(callPromise)
      }
    },
  },
  {
    name: 'Effect.retry',
    build: (w) => {
      // Effect 4: `Schedule.max` recurs while every schedule recurs, waiting the longest delay (Effect 3's `intersect`)
      const policy: EffectSchedule.Schedule<unknown> =
        w.delay > 0
          ? EffectSchedule.max([EffectSchedule.spaced(w.delay), EffectSchedule.recurs(w.failures)])
          : EffectSchedule.recurs(w.failures)
      const program = Effect.retry(Effect.tryPromise({ try: callPromise, catch: (e) => e }), policy)
      return () => {
        remaining = w.failures
        return Effect.runPromise(program)
      }
    },
  },
  {
    name: 'retry-ts',
    build: (w) => {
      const policy = RetryTs.monoidRetryPolicy.concat(RetryTs.constantDelay(w.delay), RetryTs.limitRetries(w.failures))
      return () => {
        remaining = w.failures
        return retryTsRetrying(policy, () => callTaskEither, E.isLeft)()
      }
    },
  },
]

/**
 * Runs one operation of contender `c` on workload `w` and checks that it did
 * the workload: exactly `failures + 1` attempts and the call's value (42, or
 * `right(42)`), so that no contender is measured on less (or more) work than
 * the others. Returns the problem, or `undefined`.
 */
const isRight42 = (value: object): boolean =>
  (value as Partial<E.Right<unknown>>)._tag === 'Right' && (value as E.Right<unknown>).right === 42

export const verify = async (c: Contender, w: Workload): Promise<string | undefined> => {
  attempts = 0
  let value: unknown
  try {
    value = await c.build(w)()
  } catch (error) {
    return `${c.name}, ${w.label}: threw ${String(error)}`
  }
  const expected = w.failures + 1
  const ok = value === 42 || (typeof value === 'object' && value !== null && isRight42(value))
  if (attempts !== expected) return `${c.name}, ${w.label}: ${attempts} attempts, expected ${expected}`
  if (!ok) return `${c.name}, ${w.label}: returned ${JSON.stringify(value)}, expected 42`
  return undefined
}
