/**
 * Per-attempt timeouts: bound one attempt of an operation, so that a hung
 * call becomes a typed failure the retry schedule can decide about.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type { TaskEither } from 'fp-ts/TaskEither'
import * as Clock from './Clock'
import { dual, firstIsFunction } from './internal/dual'
import { active, emit } from './internal/events'
import { child, operation, withSignal } from './internal/operation'
import type { AnyOperation } from './internal/operation'
import type * as Events from './Events'
import type { Any, Env, Widen } from './Operation'
import { hasTag } from './internal/tag'
import * as check from './internal/validate'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The failure of an attempt that did not finish within its time limit: the
 * one `TimeoutError` of the library. A cancellable attempt's signal was
 * aborted with this value as the reason.
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
 * Options of {@link timeout}.
 *
 * @since 0.1.0
 * @category model
 */
export interface TimeoutOptions {
  /** Where the limit is timed (default {@link Clock.live}): pass the retry's clock. */
  readonly clock?: Clock.Clock | undefined
}

/**
 * What the data-last {@link timeout} returns: it bounds either form of
 * operation and returns the same form, its error type widened with
 * {@link TimeoutError}.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Timeout } from 'fp-ts-retry'
 *
 * const bounded: Timeout.Timed = Timeout.timeout(1_000)
 * await bounded(TE.right('fast'))()
 * // => { _tag: 'Right', right: 'fast' }
 *
 * @since 0.2.0
 * @category model
 */
export interface Timed {
  <Op extends Any>(self: Op): Widen<Op, TimeoutError>
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
export const isTimeoutError: (error: unknown) => error is TimeoutError =
  /* @__PURE__ */ hasTag<TimeoutError>('TimeoutError')

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * Bounds one run of an operation by `ms` milliseconds. If it has not finished
 * by then, it fails at once with a {@link TimeoutError}, which a retry
 * schedule can choose to retry.
 *
 * A cancellable operation gets a signal of its own, which fires when the
 * caller's fires or when the time is up (with the `TimeoutError` as reason),
 * so the attempt stops its work. A plain `TaskEither` cannot be stopped: it
 * runs on in the background and its late result is dropped. The timer is
 * always cleared, when the attempt finishes first and at once when the
 * caller's signal fires. Time is measured on `options.clock` (its sleeps
 * have the purpose `'timeout'`), so the limit runs on a `TestClock` in tests.
 *
 * Data-first: `Timeout.timeout(self, ms, options)`.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Operation, Retry, Schedule, TestClock, Timeout } from 'fp-ts-retry'
 *
 * const clock = TestClock.make()
 * const hangs = ({ signal }: Operation.Env): TE.TaskEither<string, string> => () =>
 *   clock.sleep(60_000, signal).then(() => ({ _tag: 'Left', left: 'cancelled' }))
 *
 * const call = pipe(hangs, Timeout.timeout(1_000, { clock }), Retry.retrying(Schedule.recurs(2), { clock }))
 * const running = Operation.run(call)()
 * await clock.adjust(3_000)
 * await running
 * // => { _tag: 'Left', left: { _tag: 'TimeoutError', timeout: 1000 } }
 * // (three attempts, 1 s each)
 *
 * @throws RangeError when `ms` is negative, NaN or infinite
 * @since 0.1.0
 * @category combinators
 */
export function timeout<E, A>(
  self: TaskEither<E, A>,
  ms: number,
  options?: TimeoutOptions,
): TaskEither<E | TimeoutError, A>
export function timeout<R extends Env, E, A>(
  self: ReaderTaskEither<R, E, A>,
  ms: number,
  options?: TimeoutOptions,
): ReaderTaskEither<R, E | TimeoutError, A>
export function timeout(ms: number, options?: TimeoutOptions): Timed
export function timeout(...args: ReadonlyArray<unknown>): unknown {
  return timeoutDual(args)
}

const bounded = (ms: number, options: TimeoutOptions | undefined) => {
  const limit = check.delay('Timeout.timeout', 'ms', ms)
  const clock = options?.clock ?? Clock.live
  const error: TimeoutError = { _tag: 'TimeoutError', timeout: limit }
  return (self: AnyOperation): AnyOperation =>
    operation(
      (env) =>
        new Promise<E.Either<unknown, unknown>>((resolve, reject) => {
          const observer = active<Events.Event>()
          const timer = new AbortController()
          const inner = env === undefined ? undefined : child(env.signal)
          let settled = false
          const finish = (): boolean => {
            if (settled) return false
            settled = true
            timer.abort()
            inner?.release()
            return true
          }
          if (inner !== undefined) {
            // the caller cancelled (or the time is up): no timeout is left to report, the timer goes at once
            if (inner.signal.aborted) timer.abort()
            else inner.signal.addEventListener('abort', () => timer.abort(), { once: true })
          }
          void clock.sleep(limit, timer.signal, 'timeout').then(() => {
            if (timer.signal.aborted || !finish()) return
            if (observer !== undefined)
              emit(observer, { _tag: 'TimeoutFired', call: observer.call, time: clock.now(), after: limit })
            inner?.abort(error)
            resolve(E.left(error))
          })
          let running: Promise<E.Either<unknown, unknown>>
          try {
            running = env === undefined || inner === undefined ? self() : self(withSignal(env, inner.signal))()
          } catch (defect) {
            if (finish()) reject(defect)
            return
          }
          running.then(
            (result) => finish() && resolve(result),
            (defect: unknown) => finish() && reject(defect),
          )
        }),
    )
}

const timeoutDual = /* @__PURE__ */ dual(firstIsFunction, bounded)
