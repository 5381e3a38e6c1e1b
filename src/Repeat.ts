/**
 * Repeating with the same schedules as retrying: run an operation, and after
 * each **success** step a schedule (`Schedule.Schedule`) with the value to decide
 * whether, and after how long, to run it again. Refresh a token every 50
 * minutes, repeat a health check, drain a queue until it is empty.
 *
 * A failure is not something to repeat: it ends the call with its typed
 * error. Put `Retry.retrying` inside to retry each run; poll with a `Waiter`
 * instead when "not done yet" should end in a typed failure of its own.
 * Every entry point takes either form of operation (see {@link Operation})
 * and returns the same form; only the cancellable form can end in
 * `Retry.Aborted`.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/Either'
import * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type { TaskEither } from 'fp-ts/TaskEither'
import * as Clock from './Clock'
import type { Aborted } from './Retry'
import type { Schedule } from './Schedule'
import { operation, runner } from './internal/operation'
import { dual, firstIsNotSchedule } from './internal/dual'
import type { AnyOperation } from './internal/operation'
import type { Any, Env, ErrorOf, Mapped, ValueOf } from './Operation'
import { drive } from './internal/repeat'
import type { Plan } from './internal/repeat'
import { guarded } from './internal/report'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The result of a repeat that ran to the end of its schedule: the **last**
 * value and the schedule's output at its last step (for `recurs(n)`, `n`, the
 * number of repeats). Named fields rather than a pair, so that
 * `TE.map(({ value }) => value)` reads at the call site and a field can be
 * added later without breaking anyone.
 *
 * @since 0.2.0
 * @category model
 */
export interface Repeated<A, Out> {
  /** The value of the last run. */
  readonly value: A
  /** The schedule's output at the step that ended the repeat. */
  readonly out: Out
}

/**
 * Passed to `onRepeat` once per repeat, before its sleep.
 *
 * @since 0.2.0
 * @category model
 */
export interface RepeatEvent<A> {
  /** The run that just succeeded, from 1. */
  readonly run: number
  /** Its value. */
  readonly value: A
  /** The delay about to be slept before the next run. */
  readonly delay: number
  /** Milliseconds since the first run began, when this one ended. */
  readonly elapsed: number
}

/**
 * Options of {@link repeating}.
 *
 * The hook sees the operation's value type `A`. In the data-first form
 * (`Repeat.repeating(self, schedule, options)`) it is inferred from the
 * operation; in the data-last form, annotate the hook
 * (`onRepeat: (event: Repeat.RepeatEvent<Token>) => ...`) and the result
 * accepts only operations whose values the hook can take.
 *
 * @since 0.2.0
 * @category model
 */
export interface RepeatOptions<A> {
  /** Where time is read and slept (default {@link Clock.live}); its sleeps have the purpose `'repeat'`. */
  readonly clock?: Clock.Clock | undefined
  /** The random source handed to the schedule for jitter (default `Math.random`). */
  readonly random?: (() => number) | undefined
  /** Called once per repeat, before its sleep. */
  readonly onRepeat?: ((event: RepeatEvent<A>) => void) | undefined
}

/**
 * The type of an operation once repeating: a `TaskEither<E, A>` becomes
 * `TaskEither<E, Repeated<A, Out>>`; a cancellable `ReaderTaskEither` also
 * gains `Retry.Aborted<never>` (a repeat stops at its first failure, so no
 * failed run precedes an abort: `lastError` is always `none`).
 *
 * @since 0.2.0
 * @category model
 */
export type RepeatedOperation<Op, Out> =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  Op extends TaskEither<any, any>
    ? TaskEither<ErrorOf<Op>, Repeated<ValueOf<Op>, Out>>
    : Mapped<Op, Aborted<never>, Repeated<ValueOf<Op>, Out>>

/**
 * What the data-last {@link repeating} returns: a function from an operation
 * of either form whose values the schedule (and the hook) accept to the same
 * operation, repeating.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Repeat, Schedule } from 'fp-ts-retry'
 *
 * const twice: Repeat.Repeating<unknown, number> = Repeat.repeating(Schedule.recurs(1))
 * await twice(TE.right('pong'))()
 * // => { _tag: 'Right', right: { value: 'pong', out: 1 } }
 *
 * @since 0.2.0
 * @category model
 */
export interface Repeating<In, Out> {
  <Op extends Any<unknown, In>>(self: Op): RepeatedOperation<Op, Out>
}

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * Repeats an operation by a schedule: runs it; on `Right(a)` steps the
 * schedule with `a`, sleeps the delay on the clock and runs it again, until
 * the schedule is done, then succeeds with the **last** value and the
 * schedule's output ({@link Repeated}). `recurs(n)` means `n` repeats,
 * `n + 1` runs (as in Effect). A `Left` ends the repeat at once with its
 * typed error: to retry each run, put `Retry.retrying` inside. Lazy: nothing
 * runs until the result is run, and each run repeats afresh.
 *
 * The schedule is stepped with each value, so `whileInput` / `untilInput`
 * repeat while / until a value says so ("until the queue is empty"), and it
 * sees the time elapsed since the first run began, so `Schedule.fixed`
 * keeps a cadence however long each run takes. A `TaskEither` stays a
 * `TaskEither`; a cancellable `ReaderTaskEither` stays one, every run gets the
 * caller's environment. An abort ends the call with `Retry.Aborted`; a
 * rejection is a defect (both as {@link Operation} says).
 *
 * Data-first: `Repeat.repeating(self, schedule, options)`, which types the
 * hook by the operation's value.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Repeat, Schedule, TestClock } from 'fp-ts-retry'
 *
 * let n = 0
 * const refresh: TE.TaskEither<Error, string> = TE.fromTask(async () => `token-${++n}`)
 * const clock = TestClock.make()
 * const running = pipe(
 *   refresh,
 *   Repeat.repeating(pipe(Schedule.spaced(50 * 60_000), Schedule.intersect(Schedule.recurs(2))), { clock }),
 * )()
 * await clock.adjust(2 * 50 * 60_000) // three runs: at 0, 50 and 100 minutes
 * await running
 * // => { _tag: 'Right', right: { value: 'token-3', out: [2, 2] } }
 *
 * // until a value says so: drain a queue, a batch at a time, until it is empty
 * const queue = [3, 2, 0]
 * const drain: TE.TaskEither<Error, number> = TE.fromTask(async () => queue.shift() ?? 0)
 * await pipe(drain, Repeat.repeating(pipe(Schedule.forever, Schedule.whileInput((left: number) => left > 0))))()
 * // => { _tag: 'Right', right: { value: 0, out: { _tag: 'Some', value: 1 } } }
 *
 * @since 0.2.0
 * @category combinators
 */
export function repeating<E, A, Out>(
  self: TaskEither<E, A>,
  schedule: Schedule<A, Out>,
  options?: RepeatOptions<A>,
): TaskEither<E, Repeated<A, Out>>
export function repeating<R extends Env, E, A, Out>(
  self: ReaderTaskEither<R, E, A>,
  schedule: Schedule<A, Out>,
  options?: RepeatOptions<A>,
): ReaderTaskEither<R, E | Aborted<never>, Repeated<A, Out>>
export function repeating<In, Out, H = In>(
  schedule: Schedule<In, Out>,
  options?: RepeatOptions<H>,
): Repeating<In & H, Out>
export function repeating(...args: ReadonlyArray<unknown>): unknown {
  return repeatingDual(args)
}

const repeatingDual = /* @__PURE__ */ dual(
  firstIsNotSchedule,
  (schedule: Schedule<unknown, unknown>, options?: RepeatOptions<unknown>) => {
    const plan = planOf(schedule, options)
    return (self: AnyOperation) => repeated(plan, self)
  },
)

type Result = E.Either<unknown, Repeated<unknown, unknown>> | E.Left<Aborted<never>>

/** How a repeat uses the loop: a `Left` ends it, a `Right` steps the schedule with its value. */
const planOf = (
  schedule: Schedule<unknown, unknown>,
  options: RepeatOptions<unknown> | undefined,
): Plan<unknown, unknown, unknown, Result> => {
  const onRepeat = options?.onRepeat
  return {
    clock: options?.clock ?? Clock.live,
    random: options?.random ?? Math.random,
    schedule,
    purpose: 'repeat',
    settle: (result) => (result._tag === 'Left' ? result : undefined),
    inputOf: (result) => (result as E.Right<unknown>).right,
    scheduleDone: (result, out) => E.right({ value: (result as E.Right<unknown>).right, out }),
    deadline: undefined,
    beforeSleep:
      onRepeat === undefined
        ? undefined
        : (result, delay, run, elapsed) =>
            guarded(onRepeat, { run, value: (result as E.Right<unknown>).right, delay, elapsed }, undefined),
    aborted: (reason) => E.left({ _tag: 'Aborted', reason, lastError: O.none }),
  }
}

const repeated = (plan: Plan<unknown, unknown, unknown, Result>, self: AnyOperation): AnyOperation => {
  const run = runner<unknown, unknown>(self)
  return operation((env) => drive(plan, run, env))
}
