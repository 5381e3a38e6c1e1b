/**
 * Fallback chains: try a list of alternatives in order (the primary a few
 * times, then a backup, then another), with a schedule supplying the delays
 * between them. The first success wins; when every alternative has failed,
 * or the schedule gives up, the last error is returned, typed as the union of
 * the alternatives' errors. The alternatives are all plain `TaskEither`s, or
 * all cancellable `ReaderTaskEither`s (lift a `TaskEither` into the second
 * form with `RTE.fromTaskEither`).
 *
 * @since 0.1.0
 */
import { pipe } from 'fp-ts/function'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type { TaskEither } from 'fp-ts/TaskEither'
import type { AnyOperation } from './internal/operation'
import { dual } from './internal/dual'
import type { Env } from './Operation'
import * as check from './internal/validate'
import * as Retry from './Retry'
import * as Schedule from './Schedule'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A non-empty list of plain `TaskEither` alternatives whose errors the
 * schedule accepts.
 *
 * @since 0.1.0
 * @category model
 */
export type Alternatives<In> = readonly [TaskEither<In, unknown>, ...ReadonlyArray<TaskEither<In, unknown>>]

/**
 * A non-empty list of cancellable alternatives (`ReaderTaskEither`s whose
 * environment carries the signal) whose errors the schedule accepts.
 *
 * @since 0.2.0
 * @category model
 */
export type CancellableAlternatives<In> = readonly [
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ReaderTaskEither<any, In, unknown>,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ...ReadonlyArray<ReaderTaskEither<any, In, unknown>>,
]

/**
 * The error type of an operation of either form: the same type as `Operation.ErrorOf`, kept here from 0.1.
 *
 * @since 0.1.0
 * @category utils
 */
export type ErrorOf<T> =
  T extends TaskEither<infer E, unknown> ? E : T extends ReaderTaskEither<never, infer E, unknown> ? E : never

/**
 * The success type of an operation of either form: the same type as `Operation.ValueOf`, kept here from 0.1.
 *
 * @since 0.1.0
 * @category utils
 */
export type ValueOf<T> =
  T extends TaskEither<unknown, infer A> ? A : T extends ReaderTaskEither<never, unknown, infer A> ? A : never

/**
 * The environment that every one of a union of cancellable operations needs:
 * the intersection of their environments.
 *
 * @since 0.2.0
 * @category utils
 */
export type EnvOf<T> = (T extends (env: infer R) => unknown ? (r: R) => void : never) extends (r: infer I) => void
  ? I
  : never

/**
 * What the data-last {@link firstSuccess} returns: it takes alternatives of
 * either form and returns that form.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Fallback, Schedule } from 'fp-ts-retry'
 *
 * const chain: Fallback.FirstSuccess<unknown> = Fallback.firstSuccess(Schedule.spaced(10))
 * await chain([TE.left('down'), TE.right('backup')] as const)()
 * // => { _tag: 'Right', right: 'backup' }
 *
 * @since 0.2.0
 * @category model
 */
export interface FirstSuccess<In> {
  <const T extends Alternatives<In> | CancellableAlternatives<In>>(
    alternatives: T,
  ): T extends Alternatives<In>
    ? TaskEither<ErrorOf<T[number]>, ValueOf<T[number]>>
    : ReaderTaskEither<
        EnvOf<T[number]> & Env,
        ErrorOf<T[number]> | Retry.Aborted<ErrorOf<T[number]>>,
        ValueOf<T[number]>
      >
}

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
 * is three tries of the primary, then the backup. Lazy: each run of the
 * result starts again from the first alternative. The options are those of
 * `Retry.retrying`. Cancellable alternatives each get the caller's
 * environment, and an abort ends the chain with `Retry.Aborted`.
 *
 * Data-first: `Fallback.firstSuccess(alternatives, schedule, options)`.
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
export function firstSuccess<const T extends Alternatives<unknown>, Out>(
  alternatives: T,
  schedule: Schedule.Schedule<ErrorOf<T[number]>, Out>,
  options?: Retry.RetryOptions<ErrorOf<T[number]>>,
): TaskEither<ErrorOf<T[number]>, ValueOf<T[number]>>
export function firstSuccess<const T extends CancellableAlternatives<unknown>, Out>(
  alternatives: T,
  schedule: Schedule.Schedule<ErrorOf<T[number]>, Out>,
  options?: Retry.RetryOptions<ErrorOf<T[number]>>,
): ReaderTaskEither<EnvOf<T[number]> & Env, ErrorOf<T[number]> | Retry.Aborted<ErrorOf<T[number]>>, ValueOf<T[number]>>
export function firstSuccess<In, Out, H = In>(
  schedule: Schedule.Schedule<In, Out>,
  options?: Retry.RetryOptions<H>,
): FirstSuccess<In & H>
export function firstSuccess(...args: ReadonlyArray<unknown>): unknown {
  return firstSuccessDual(args)
}

const firstSuccessDual = /* @__PURE__ */ dual(
  (args) => Array.isArray(args[0]),
  (schedule: Schedule.Schedule<unknown, unknown>, options?: Retry.RetryOptions<unknown>) =>
    (alternatives: ReadonlyArray<AnyOperation>) =>
      chain(alternatives, schedule, options),
)

const chain = (
  alternatives: ReadonlyArray<AnyOperation>,
  schedule: Schedule.Schedule<unknown, unknown>,
  options: Retry.RetryOptions<unknown> | undefined,
): unknown => {
  const count = check.atLeast('Fallback.firstSuccess', 'alternatives.length', 1, alternatives.length)
  const policy = pipe(schedule, Schedule.intersect(Schedule.recurs(count - 1)))
  // each attempt is the next alternative; `retryingWith` runs it in the caller's form
  return Retry.retryingWith(
    (status: Retry.RetryStatus<unknown>) =>
      alternatives[Math.min(status.attempt, count) - 1] as TaskEither<unknown, unknown>,
    policy,
    options,
  )
}
