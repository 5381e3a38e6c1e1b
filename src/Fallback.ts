/**
 * Fallback chains: try a list of alternatives in order (the primary a few
 * times, then a backup, then another), with a schedule supplying the delays
 * between them. The first success wins; when every alternative has failed,
 * or the schedule gives up, the last error is returned, typed as the union of
 * the alternatives' errors.
 *
 * @since 0.1.0
 */
import { pipe } from 'fp-ts/function'
import type { TaskEither } from 'fp-ts/TaskEither'
import * as check from './internal/validate'
import * as Retry from './Retry'
import * as Schedule from './Schedule'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A non-empty list of alternatives whose errors the schedule accepts.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Fallback } from 'fp-ts-retry'
 *
 * const chain: Fallback.Alternatives<string> = [TE.left('primary down'), TE.right('backup')]
 *
 * @since 0.1.0
 * @category model
 */
export type Alternatives<In> = readonly [TaskEither<In, unknown>, ...ReadonlyArray<TaskEither<In, unknown>>]

/**
 * The error type of a `TaskEither` (a union when given a union).
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Fallback } from 'fp-ts-retry'
 *
 * type E = Fallback.ErrorOf<TE.TaskEither<'down', number>> // 'down'
 *
 * @since 0.1.0
 * @category utils
 */
export type ErrorOf<T> = T extends TaskEither<infer E, unknown> ? E : never

/**
 * The success type of a `TaskEither` (a union when given a union).
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Fallback } from 'fp-ts-retry'
 *
 * type A = Fallback.ValueOf<TE.TaskEither<'down', number>> // number
 *
 * @since 0.1.0
 * @category utils
 */
export type ValueOf<T> = T extends TaskEither<unknown, infer A> ? A : never

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * Tries the alternatives in order until one succeeds. After each failure the
 * schedule is stepped with the error: its delay is slept before the next
 * alternative, and when it is done the chain stops early. The result is the
 * first `Right`, or the **last** `Left`; its error type is the union of all
 * the alternatives' errors, its value type the union of their values.
 *
 * Repeat an alternative to retry it: `[primary, primary, primary, backup]`
 * is three tries of the primary, then the backup. Lazy: each call of the
 * result starts again from the first alternative. The options are those of
 * `Retry.retrying` (`clock`, `random`, `onRetry`, `budget`, `onGiveUp`, and
 * `signal`, which widens the error type with `Retry.Aborted`).
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Fallback, Schedule } from 'fp-ts-retry'
 *
 * const primary: TE.TaskEither<'PrimaryDown', string> = TE.left('PrimaryDown')
 * const backup: TE.TaskEither<'BackupDown', string> = TE.right('from backup')
 *
 * const fetchQuote = pipe([primary, primary, backup] as const, Fallback.firstSuccess(Schedule.spaced(10)))
 * // fetchQuote: TaskEither<'PrimaryDown' | 'BackupDown', string>
 * await fetchQuote()
 * // => { _tag: 'Right', right: 'from backup' }
 *
 * @throws RangeError when the list of alternatives is empty
 * @since 0.1.0
 * @category combinators
 */
export function firstSuccess<In, Out>(
  schedule: Schedule.Schedule<In, Out>,
  options?: Retry.RetryOptions<In>,
): <const T extends Alternatives<In>>(alternatives: T) => TaskEither<ErrorOf<T[number]>, ValueOf<T[number]>>
/**
 * {@link firstSuccess} with an `AbortSignal`: when it fires, a pending delay
 * between alternatives ends at once, no further alternative starts, and the
 * chain fails with `Retry.Aborted`, which widens the error type.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Fallback, Schedule } from 'fp-ts-retry'
 *
 * const controller = new AbortController()
 * const primary: TE.TaskEither<'PrimaryDown', string> = TE.left('PrimaryDown')
 * const backup: TE.TaskEither<'BackupDown', string> = TE.right('from backup')
 * const chain = pipe(
 *   [primary, backup] as const,
 *   Fallback.firstSuccess(Schedule.spaced(60_000), { signal: controller.signal }),
 * )
 * const running = chain()
 * controller.abort('shutting down')
 * await running
 * // => { _tag: 'Left', left: { _tag: 'Aborted', reason: 'shutting down', lastError: { _tag: 'Some', value: 'PrimaryDown' } } }
 *
 * @since 0.1.0
 * @category combinators
 */
export function firstSuccess<In, Out>(
  schedule: Schedule.Schedule<In, Out>,
  options: Retry.SignalOptions<In>,
): <const T extends Alternatives<In>>(
  alternatives: T,
) => TaskEither<ErrorOf<T[number]> | Retry.Aborted<ErrorOf<T[number]>>, ValueOf<T[number]>>
export function firstSuccess<In, Out>(schedule: Schedule.Schedule<In, Out>, options?: Retry.SignalOptions<In>) {
  return <const T extends Alternatives<In>>(alternatives: T) => {
    const count = check.atLeast('Fallback.firstSuccess', 'alternatives.length', 1, alternatives.length)
    type E = ErrorOf<T[number]>
    type A = ValueOf<T[number]>
    const policy = pipe(schedule, Schedule.intersect(Schedule.recurs(count - 1))) as Schedule.Schedule<E, unknown>
    return Retry.retryingWith(
      policy,
      (options ?? {}) as Retry.SignalOptions<E>,
    )((status) => alternatives[Math.min(status.attempt, count) - 1] as TaskEither<E, A>)
  }
}
