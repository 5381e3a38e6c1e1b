/**
 * Per-attempt timeouts: bound one attempt of an abortable action, so that a
 * hung call becomes a typed failure the retry schedule can decide about.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'
import type { TaskEither } from 'fp-ts/TaskEither'
import * as Clock from './Clock'
import * as check from './internal/validate'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The failure of an attempt that did not finish within its time limit. Its
 * signal was aborted with this value as the reason.
 *
 * @example
 * import { Timeout } from 'fp-ts-retry'
 *
 * const error: Timeout.TimeoutError = { _tag: 'TimeoutError', timeout: 2_000 }
 *
 * @since 0.1.0
 * @category model
 */
export interface TimeoutError {
  readonly _tag: 'TimeoutError'
  /** The limit that expired, in milliseconds. */
  readonly timeout: number
}

/**
 * An action that can be cancelled: it receives an `AbortSignal` and should
 * stop its work (close the socket, abort the `fetch`) when it fires.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Timeout } from 'fp-ts-retry'
 *
 * const get: Timeout.Abortable<Error, Response> = (signal) =>
 *   TE.tryCatch(() => fetch('http://127.0.0.1:8080/', { signal }), (e) => e as Error)
 *
 * @since 0.1.0
 * @category model
 */
export type Abortable<E, A> = (signal: AbortSignal) => TaskEither<E, A>

/**
 * Options of {@link timeout}.
 *
 * @example
 * import { Timeout, TestClock } from 'fp-ts-retry'
 *
 * const options: Timeout.TimeoutOptions = { clock: TestClock.make() }
 *
 * @since 0.1.0
 * @category model
 */
export interface TimeoutOptions {
  /** Where the limit is timed (default {@link Clock.live}): pass the retry's clock. */
  readonly clock?: Clock.Clock | undefined
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * True for a {@link TimeoutError}: use it in a schedule to retry timeouts, or
 * not.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule, Timeout } from 'fp-ts-retry'
 *
 * const retryTimeoutsOnly = pipe(Schedule.recurs(2), Schedule.whileInput(Timeout.isTimeoutError))
 * Timeout.isTimeoutError({ _tag: 'TimeoutError', timeout: 100 })
 * // => true
 *
 * @since 0.1.0
 * @category utils
 */
export const isTimeoutError = (error: unknown): error is TimeoutError =>
  typeof error === 'object' && error !== null && (error as { readonly _tag?: unknown })._tag === 'TimeoutError'

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * Bounds one attempt of an abortable action by `ms` milliseconds. If the
 * attempt has not finished by then, its signal is aborted (with the
 * {@link TimeoutError} as reason) and it fails at once with a `TimeoutError`,
 * which a retry schedule can choose to retry. The timer is always cleared:
 * when the attempt finishes first, and when the outer signal aborts.
 *
 * The result is itself abortable: the signal it is given (by
 * `Retry.retryingAbortable`, for instance) aborts the attempt too. Time is
 * measured on `options.clock`, so the limit runs on a `TestClock` in tests.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Retry, Schedule, TestClock, Timeout } from 'fp-ts-retry'
 *
 * const clock = TestClock.make()
 * const hangs: Timeout.Abortable<string, string> = (signal) => () =>
 *   clock.sleep(60_000, signal).then(() => ({ _tag: 'Left', left: 'cancelled' }))
 *
 * const call = pipe(
 *   hangs,
 *   Timeout.timeout(1_000, { clock }),
 *   Retry.retryingAbortable(Schedule.recurs(2), { clock, signal: new AbortController().signal }),
 * )
 * const running = call()
 * await clock.adjust(3_000)
 * await running
 * // => { _tag: 'Left', left: { _tag: 'TimeoutError', timeout: 1000 } } (three attempts, 1 s each)
 *
 * @throws RangeError when `ms` is negative, NaN or infinite
 * @since 0.1.0
 * @category combinators
 */
export const timeout = (ms: number, options?: TimeoutOptions) => {
  const limit = check.delay('Timeout.timeout', 'ms', ms)
  const clock = options?.clock ?? Clock.live
  const error: TimeoutError = { _tag: 'TimeoutError', timeout: limit }
  return <E, A>(self: Abortable<E, A>) =>
    (signal?: AbortSignal): TaskEither<E | TimeoutError, A> =>
    () =>
      new Promise<E.Either<E | TimeoutError, A>>((resolve, reject) => {
        const attempt = new AbortController()
        const timer = new AbortController()
        let settled = false
        const forward = () => attempt.abort(signal?.reason)
        const finish = (): boolean => {
          if (settled) return false
          settled = true
          timer.abort()
          signal?.removeEventListener('abort', forward)
          return true
        }
        if (signal?.aborted) attempt.abort(signal.reason)
        else signal?.addEventListener('abort', forward, { once: true })
        void clock.sleep(limit, timer.signal).then(() => {
          if (!finish()) return
          attempt.abort(error)
          resolve(E.left(error))
        })
        let running: Promise<E.Either<E, A>>
        try {
          running = self(attempt.signal)()
        } catch (defect) {
          if (finish()) reject(defect)
          return
        }
        running.then(
          (result) => finish() && resolve(result),
          (defect: unknown) => finish() && reject(defect),
        )
      })
}
