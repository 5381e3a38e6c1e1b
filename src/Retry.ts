/**
 * The retry driver: runs a `TaskEither`, and after each `Left` steps a
 * {@link Schedule.Schedule} with the error to decide whether, and after how
 * long, to run it again. Failures stay typed values; nothing here throws.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'
import * as O from 'fp-ts/Option'
import type { TaskEither } from 'fp-ts/TaskEither'
import type { Budget, Refused } from './Budget'
import * as Clock from './Clock'
import { sanitize } from './internal/delay'
import type { Schedule, StepContext } from './Schedule'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What an attempt knows about the retries so far, given to the action of
 * {@link retryingWith}.
 *
 * @example
 * import * as O from 'fp-ts/Option'
 * import { Retry } from 'fp-ts-retry'
 *
 * const first: Retry.RetryStatus<string> = { attempt: 1, elapsed: 0, lastError: O.none, lastDelay: O.none }
 *
 * @since 0.1.0
 * @category model
 */
export interface RetryStatus<E> {
  /** This attempt's number, from 1. */
  readonly attempt: number
  /** Milliseconds since the first attempt began. */
  readonly elapsed: number
  /** The error of the previous attempt; `none` on the first. */
  readonly lastError: O.Option<E>
  /** The delay slept before this attempt; `none` on the first. */
  readonly lastDelay: O.Option<number>
}

/**
 * Passed to `onRetry` once per retry, before its sleep.
 *
 * @example
 * import { Retry } from 'fp-ts-retry'
 *
 * const log = (event: Retry.RetryEvent<Error>) =>
 *   console.warn(`attempt ${event.attempt} failed (${event.error.message}); retrying in ${event.delay} ms`)
 *
 * @since 0.1.0
 * @category model
 */
export interface RetryEvent<E> {
  /** The attempt that failed, from 1. */
  readonly attempt: number
  /** Its error. */
  readonly error: E
  /** The delay about to be slept before the next attempt. */
  readonly delay: number
  /** Milliseconds since the first attempt began, when the attempt failed. */
  readonly elapsed: number
}

/**
 * Options of every retrying function, without a signal.
 *
 * `onRetry` sees the error as the schedule's input type. For the action's own
 * error type, give the schedule a typed input (e.g. through
 * `Schedule.whileInput`) or use the data-first {@link retry}.
 *
 * To stop the retries with an `AbortSignal`, pass {@link SignalOptions}
 * instead: the result's error type then widens with {@link Aborted}. These
 * options declare `signal?: undefined`, so an options value that may hold a
 * signal is never typed as these.
 *
 * @example
 * import { Retry, TestClock, Random } from 'fp-ts-retry'
 *
 * const options: Retry.RetryOptions<Error> = {
 *   clock: TestClock.make(),
 *   random: Random.seeded(1),
 *   onRetry: (e) => console.warn(e.error.message),
 * }
 *
 * @since 0.1.0
 * @category model
 */
export interface RetryOptions<E> {
  /** Where time is read and slept (default {@link Clock.live}). */
  readonly clock?: Clock.Clock | undefined
  /** The random source handed to the schedule for jitter (default `Math.random`). */
  readonly random?: (() => number) | undefined
  /** Called once per retry, before its sleep. */
  readonly onRetry?: ((event: RetryEvent<E>) => void) | undefined
  /** A retry budget shared with other calls (see {@link Budget}): a retry starts only if it allows. */
  readonly budget?: Budget | undefined
  /** Called once when the call gives up with its last error, saying why: the schedule was done or the budget refused. */
  readonly onGiveUp?: ((event: GiveUpEvent<E>) => void) | undefined
  /** No signal here: options with a signal are {@link SignalOptions}, and widen the error type with {@link Aborted}. */
  readonly signal?: undefined
}

/**
 * Options of every retrying function, with an `AbortSignal` that stops the
 * retries: when it fires, a pending backoff sleep ends at once (its timer
 * cleared), no further attempt starts, and the call fails with
 * {@link Aborted}. Given these options, every entry point widens its error
 * type with `Aborted<E>`; so does an options value whose `signal` is optional
 * or may be `undefined` (conservative: such a call may still abort).
 *
 * @example
 * import { Retry, TestClock } from 'fp-ts-retry'
 *
 * const controller = new AbortController()
 * const options: Retry.SignalOptions<Error> = { signal: controller.signal, clock: TestClock.make() }
 *
 * @since 0.1.0
 * @category model
 */
export interface SignalOptions<E> extends Omit<RetryOptions<E>, 'signal'> {
  /** When it fires, a pending sleep ends at once, no further attempt starts and the call fails with {@link Aborted}. */
  readonly signal?: AbortSignal | undefined
}

/**
 * Why a retrying call gave up with its last error: its schedule was done, or
 * its budget refused the retry the schedule granted. (An abort is not a
 * give-up: the call fails with {@link Aborted}.)
 *
 * @example
 * import { Retry } from 'fp-ts-retry'
 *
 * const describe = (reason: Retry.GiveUpReason): string =>
 *   reason._tag === 'ScheduleDone' ? 'retries spent' : `${reason.kind} budget refused (${reason.tokens} tokens left)`
 *
 * @since 0.1.0
 * @category model
 */
export type GiveUpReason = { readonly _tag: 'ScheduleDone' } | Refused

/**
 * Passed to `onGiveUp` once, when a call gives up with its last error.
 *
 * @example
 * import { Retry } from 'fp-ts-retry'
 *
 * const log = (event: Retry.GiveUpEvent<string>) =>
 *   console.warn(`gave up after attempt ${event.attempt} (${event.reason._tag}): ${event.error}`)
 *
 * @since 0.1.0
 * @category model
 */
export interface GiveUpEvent<E> {
  /** The last attempt, from 1. */
  readonly attempt: number
  /** Its error: the call's result. */
  readonly error: E
  /** Milliseconds since the first attempt began. */
  readonly elapsed: number
  /** Why no retry follows. */
  readonly reason: GiveUpReason
}

/**
 * The failure of a call whose signal fired (any entry point given
 * {@link SignalOptions}): no further attempt was started. Carries the
 * signal's reason and the last attempt's error.
 *
 * @example
 * import * as O from 'fp-ts/Option'
 * import { Retry } from 'fp-ts-retry'
 *
 * const aborted: Retry.Aborted<string> = { _tag: 'Aborted', reason: 'user left', lastError: O.some('503') }
 *
 * @since 0.1.0
 * @category model
 */
export interface Aborted<E> {
  readonly _tag: 'Aborted'
  /** `signal.reason`: what the aborting code passed to `abort()` (a `DOMException` named `AbortError` by default). */
  readonly reason: unknown
  /** The error of the last attempt, `none` when the signal fired before any attempt failed. */
  readonly lastError: O.Option<E>
}

/**
 * Options of {@link retryingAbortable}: those of every entry point plus the signal
 * that stops the retries.
 *
 * @example
 * import { Retry, TestClock } from 'fp-ts-retry'
 *
 * const options: Retry.AbortableOptions<Error> = { signal: new AbortController().signal, clock: TestClock.make() }
 *
 * @since 0.1.0
 * @category model
 */
export interface AbortableOptions<E> extends SignalOptions<E> {
  /** When it fires, a pending sleep ends at once, no further attempt starts and the call fails with {@link Aborted}. */
  readonly signal: AbortSignal
}

/**
 * How a driven run ended, for callers that need the schedule's last output: a
 * success, or the schedule (or budget) gave up with the last error and that
 * output. (An abort is handed to `drive`'s `abort` instead.)
 *
 * @internal
 */
type Outcome<E, A, Out> = E.Right<A> | { readonly _tag: 'GaveUp'; readonly error: E; readonly out: Out }

const NONE: O.Option<never> = O.none

/** The status of every first attempt: shared, since a status is never mutated. */
const FIRST: RetryStatus<never> = { attempt: 1, elapsed: 0, lastError: NONE, lastDelay: NONE }

const SCHEDULE_DONE: GiveUpReason = { _tag: 'ScheduleDone' }

const aborted = <E>(signal: AbortSignal, lastError: O.Option<E>): Aborted<E> => ({
  _tag: 'Aborted',
  reason: signal.reason,
  lastError,
})

/**
 * The loop behind every entry point: one `async` function, so the stack and
 * memory stay constant however many attempts run, and a zero delay retries
 * without touching a timer. `giveUp` builds the result when the schedule or
 * the budget ends the call, `abort` when `options.signal` fires (never called
 * without a signal). Without a signal, a budget or `onGiveUp` it allocates
 * nothing beyond the attempts' own results on the success path.
 */
async function drive<E, A, Out, G>(
  schedule: Schedule<E, Out>,
  options: SignalOptions<E> | undefined,
  action: (status: RetryStatus<E>) => TaskEither<E, A>,
  giveUp: (error: E, out: Out) => G,
  abort: (aborted: Aborted<E>) => G,
): Promise<E.Right<A> | G> {
  const clock = options?.clock ?? Clock.live
  const onRetry = options?.onRetry
  const budget = options?.budget
  const signal = options?.signal
  // made at the first failure, so that a success allocates nothing
  let context: { elapsed: number; random: () => number } | undefined
  const start = clock.now()
  let state = schedule.initial
  let status: RetryStatus<E> = FIRST
  if (signal !== undefined && signal.aborted) return abort(aborted(signal, NONE))
  for (;;) {
    const result = await action(status)()
    if (E.isRight(result)) {
      if (budget !== undefined) budget.recordSuccess()
      return result
    }
    const error = result.left
    if (budget !== undefined) budget.recordFailure(error)
    if (signal !== undefined && signal.aborted) return abort(aborted(signal, O.some(error)))
    context ??= { elapsed: 0, random: options?.random ?? Math.random }
    context.elapsed = clock.now() - start
    const decision = schedule.step(state, error, context as StepContext)
    if (decision._tag === 'Done') {
      options?.onGiveUp?.({ attempt: status.attempt, error, elapsed: context.elapsed, reason: SCHEDULE_DONE })
      return giveUp(error, decision.out)
    }
    if (budget !== undefined && !budget.tryRetry(error)) {
      const reason: GiveUpReason = { _tag: 'BudgetExhausted', kind: budget.kind, tokens: budget.tokens() }
      options?.onGiveUp?.({ attempt: status.attempt, error, elapsed: context.elapsed, reason })
      return giveUp(error, decision.out)
    }
    const delay = sanitize(decision.delay)
    onRetry?.({ attempt: status.attempt, error, delay, elapsed: context.elapsed })
    if (delay > 0) await clock.sleep(delay, signal)
    if (signal !== undefined && signal.aborted) return abort(aborted(signal, O.some(error)))
    state = decision.state
    status = {
      attempt: status.attempt + 1,
      elapsed: clock.now() - start,
      lastError: O.some(error),
      lastDelay: O.some(delay),
    }
  }
}

/** Gives up with the last error as the `Left`: `drive` then returns the final `Either` itself, with no wrapper. */
const giveUpWithLeft = <E>(error: E): E.Either<E, never> => E.left(error)

/** Fails with the `Aborted` failure as the `Left`. */
const leftAborted = <E>(failure: Aborted<E>): E.Either<Aborted<E>, never> => E.left(failure)

/** Gives up with the last error and the schedule's last output, for callers that need both. */
const gaveUp = <E, Out>(error: E, out: Out): Outcome<E, never, Out> => ({ _tag: 'GaveUp', error, out })

/** Keeps the `Aborted` failure as it is, for callers that tell it apart from a give-up by its `_tag`. */
const keepAborted = <E>(failure: Aborted<E>): Aborted<E> => failure

/** `retrying` for any options: the overloads of the entry points choose the type, this does the work. */
const retryingAny =
  <In, Out>(schedule: Schedule<In, Out>, options: SignalOptions<In> | undefined) =>
  <E extends In, A>(self: TaskEither<E, A>): TaskEither<E | Aborted<E>, A> => {
    const action = () => self
    return () =>
      drive<E, A, Out, E.Either<E | Aborted<E>, never>>(schedule, options, action, giveUpWithLeft, leftAborted)
  }

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * Retries a `TaskEither` by a schedule: runs it; on `Left(e)` steps the
 * schedule with `e`, sleeps the delay on the clock and runs it again, until a
 * `Right` (returned at once) or until the schedule is done (the **last**
 * `Left` is returned). Lazy: nothing runs until the result is called, and each
 * call retries afresh.
 *
 * The action's error type is kept; a schedule typed for another error type
 * does not compile. A `TaskEither` that rejects instead of returning `Left`
 * is a defect: it is not retried, the rejection propagates.
 *
 * With a `signal` in the options ({@link SignalOptions}), an abort ends the
 * retries and the error type widens with {@link Aborted}: see the second
 * signature.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Retry, Schedule } from 'fp-ts-retry'
 *
 * const fetchUser: TE.TaskEither<Error, string> = TE.right('ada')
 *
 * const robust = pipe(
 *   fetchUser,
 *   Retry.retrying(pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(4)))),
 * )
 * await robust()
 * // => { _tag: 'Right', right: 'ada' }
 *
 * @since 0.1.0
 * @category combinators
 */
export function retrying<In, Out>(
  schedule: Schedule<In, Out>,
  options?: RetryOptions<In>,
): <E extends In, A>(self: TaskEither<E, A>) => TaskEither<E, A>
/**
 * {@link retrying} with an `AbortSignal`: when it fires, a pending backoff
 * sleep ends at once (its timer cleared), no further attempt starts, and the
 * call fails with {@link Aborted}, carrying the signal's reason and the last
 * error. The error type widens with `Aborted<E>`. An attempt already running
 * is not interrupted: to cancel it too, use {@link retryingAbortable}, whose
 * action receives the signal.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Retry, Schedule } from 'fp-ts-retry'
 *
 * const controller = new AbortController()
 * const call: TE.TaskEither<string, never> = TE.left('503')
 * const running = pipe(call, Retry.retrying(Schedule.spaced(5_000), { signal: controller.signal }))()
 * controller.abort('shutting down')
 * await running
 * // => { _tag: 'Left', left: { _tag: 'Aborted', reason: 'shutting down', lastError: { _tag: 'Some', value: '503' } } }
 *
 * @since 0.1.0
 * @category combinators
 */
export function retrying<In, Out>(
  schedule: Schedule<In, Out>,
  options: SignalOptions<In>,
): <E extends In, A>(self: TaskEither<E, A>) => TaskEither<E | Aborted<E>, A>
export function retrying<In, Out>(schedule: Schedule<In, Out>, options?: SignalOptions<In>) {
  return retryingAny(schedule, options)
}

/**
 * Data-first {@link retrying}: the same, with `onRetry` typed by the action's
 * own error type. With a `signal` in the options, the error type widens with
 * {@link Aborted}.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Retry, Schedule } from 'fp-ts-retry'
 *
 * const call: TE.TaskEither<{ status: number }, string> = TE.left({ status: 503 })
 * Retry.retry(call, Schedule.recurs(2), { onRetry: (e) => console.warn(e.error.status) })
 *
 * @since 0.1.0
 * @category combinators
 */
export function retry<E, A, Out>(
  self: TaskEither<E, A>,
  schedule: Schedule<E, Out>,
  options?: RetryOptions<E>,
): TaskEither<E, A>
export function retry<E, A, Out>(
  self: TaskEither<E, A>,
  schedule: Schedule<E, Out>,
  options: SignalOptions<E>,
): TaskEither<E | Aborted<E>, A>
export function retry<E, A, Out>(
  self: TaskEither<E, A>,
  schedule: Schedule<E, Out>,
  options?: SignalOptions<E>,
): TaskEither<E | Aborted<E>, A> {
  return retryingAny(schedule, options)(self)
}

/**
 * Retries an action that sees its {@link RetryStatus}: the attempt number,
 * the time elapsed, the last error and the last delay. Each attempt can adapt:
 * repair a prompt with the last decode error, switch endpoint, shrink a batch.
 * With a `signal` in the options, the error type widens with {@link Aborted}.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as O from 'fp-ts/Option'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Retry, Schedule } from 'fp-ts-retry'
 *
 * const ask = (prompt: string): TE.TaskEither<string, number> =>
 *   prompt.includes('only digits') ? TE.right(42) : TE.left('not a number')
 *
 * const answer = pipe(
 *   (status: Retry.RetryStatus<string>) =>
 *     ask(pipe(status.lastError, O.match(() => 'How old?', (e) => `How old? Last time: ${e}; only digits.`))),
 *   Retry.retryingWith(Schedule.recurs(2)),
 * )
 * await answer()
 * // => { _tag: 'Right', right: 42 }
 *
 * @since 0.1.0
 * @category combinators
 */
export function retryingWith<In, Out>(
  schedule: Schedule<In, Out>,
  options?: RetryOptions<In>,
): <E extends In, A>(action: (status: RetryStatus<E>) => TaskEither<E, A>) => TaskEither<E, A>
export function retryingWith<In, Out>(
  schedule: Schedule<In, Out>,
  options: SignalOptions<In>,
): <E extends In, A>(action: (status: RetryStatus<E>) => TaskEither<E, A>) => TaskEither<E | Aborted<E>, A>
export function retryingWith<In, Out>(schedule: Schedule<In, Out>, options?: SignalOptions<In>) {
  return <E extends In, A>(action: (status: RetryStatus<E>) => TaskEither<E, A>): TaskEither<E | Aborted<E>, A> =>
    () =>
      drive<E, A, Out, E.Either<E | Aborted<E>, never>>(schedule, options, action, giveUpWithLeft, leftAborted)
}

/**
 * The function form of {@link retrying} (a decorator in other languages):
 * wrap a function returning a `TaskEither` once, call it everywhere. Same
 * parameters, same types.
 *
 * A `signal` in the options stops every call of the wrapped function (a
 * shutdown signal, say), and the error type widens with {@link Aborted}.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Retry, Schedule } from 'fp-ts-retry'
 *
 * const getUser = (id: number): TE.TaskEither<Error, string> => TE.right(`user ${id}`)
 * const getUserRetrying = Retry.retryable(Schedule.recurs(3))(getUser)
 * await getUserRetrying(7)()
 * // => { _tag: 'Right', right: 'user 7' }
 *
 * @since 0.1.0
 * @category combinators
 */
export function retryable<In, Out>(
  schedule: Schedule<In, Out>,
  options?: RetryOptions<In>,
): <Args extends ReadonlyArray<unknown>, E extends In, A>(
  f: (...args: Args) => TaskEither<E, A>,
) => (...args: Args) => TaskEither<E, A>
export function retryable<In, Out>(
  schedule: Schedule<In, Out>,
  options: SignalOptions<In>,
): <Args extends ReadonlyArray<unknown>, E extends In, A>(
  f: (...args: Args) => TaskEither<E, A>,
) => (...args: Args) => TaskEither<E | Aborted<E>, A>
export function retryable<In, Out>(schedule: Schedule<In, Out>, options?: SignalOptions<In>) {
  return <Args extends ReadonlyArray<unknown>, E extends In, A>(
    f: (...args: Args) => TaskEither<E, A>,
  ): ((...args: Args) => TaskEither<E | Aborted<E>, A>) => {
    const retry = retryingAny(schedule, options)
    // `f` is called afresh for each attempt, and only once the result is run: a decorator, even for
    // functions that do work before returning their `TaskEither`.
    return (...args) => retry<E, A>(() => f(...args)())
  }
}

/**
 * Like {@link retrying}, but when the schedule gives up, hands the last error
 * and the schedule's last output to `orElse`, whose result becomes the result:
 * a fallback service, a cached value, or a richer error.
 *
 * With a `signal` in the options, an abort is not a give-up: `orElse` is not
 * called, the call fails with {@link Aborted} and the error type widens with it.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Retry, Schedule } from 'fp-ts-retry'
 *
 * const primary: TE.TaskEither<string, string> = TE.left('primary down')
 * const result = pipe(
 *   primary,
 *   Retry.retryingOrElse(Schedule.recurs(2), (error, retries) => TE.right(`cached (after ${retries} retries: ${error})`)),
 * )
 * await result()
 * // => { _tag: 'Right', right: 'cached (after 2 retries: primary down)' }
 *
 * @since 0.1.0
 * @category combinators
 */
export function retryingOrElse<In, Out, E extends In, E2, B>(
  schedule: Schedule<In, Out>,
  orElse: (error: E, out: Out) => TaskEither<E2, B>,
  options?: RetryOptions<In>,
): <A>(self: TaskEither<E, A>) => TaskEither<E2, A | B>
export function retryingOrElse<In, Out, E extends In, E2, B>(
  schedule: Schedule<In, Out>,
  orElse: (error: E, out: Out) => TaskEither<E2, B>,
  options: SignalOptions<In>,
): <A>(self: TaskEither<E, A>) => TaskEither<E2 | Aborted<E>, A | B>
export function retryingOrElse<In, Out, E extends In, E2, B>(
  schedule: Schedule<In, Out>,
  orElse: (error: E, out: Out) => TaskEither<E2, B>,
  options?: SignalOptions<In>,
) {
  return <A>(self: TaskEither<E, A>): TaskEither<E2 | Aborted<E>, A | B> =>
    async () => {
      const outcome = await drive<E, A, Out, Outcome<E, never, Out> | Aborted<E>>(
        schedule,
        options,
        () => self,
        gaveUp<E, Out>,
        keepAborted<E>,
      )
      return outcome._tag === 'Right'
        ? outcome
        : outcome._tag === 'Aborted'
          ? E.left(outcome)
          : orElse(outcome.error, outcome.out)()
    }
}

/**
 * Retries an abortable action until it succeeds, the schedule is done, or
 * `options.signal` fires. On abort, a pending backoff sleep ends at once (its
 * timer cleared), no further attempt starts, and the call fails with
 * {@link Aborted}, carrying the signal's reason and the last error. The action
 * receives the same signal, so an attempt in flight can stop too (pass it to
 * `fetch`, or bound each attempt with `Timeout.timeout`); it also receives its
 * {@link RetryStatus}, as with {@link retryingWith}.
 *
 * Every entry point accepts a `signal` ({@link SignalOptions}); this one also
 * hands it to the action, so it requires one.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Retry, Schedule } from 'fp-ts-retry'
 *
 * const controller = new AbortController()
 * const call = Retry.retryingAbortable(Schedule.spaced(5_000), { signal: controller.signal })(
 *   (signal) => TE.left(`503 (aborted: ${signal.aborted})`),
 * )
 * const running = call()
 * controller.abort('shutting down')
 * await running
 * // => { _tag: 'Left', left: { _tag: 'Aborted', reason: 'shutting down', lastError: { _tag: 'Some', value: '503 (aborted: false)' } } }
 *
 * @since 0.1.0
 * @category combinators
 */
export const retryingAbortable =
  <In, Out>(schedule: Schedule<In, Out>, options: AbortableOptions<In>) =>
  <E extends In, A>(
    action: (signal: AbortSignal, status: RetryStatus<E>) => TaskEither<E, A>,
  ): TaskEither<E | Aborted<E>, A> => {
    const signal = options.signal
    return () =>
      drive<E, A, Out, E.Either<E | Aborted<E>, never>>(
        schedule,
        options,
        (status) => action(signal, status),
        giveUpWithLeft,
        leftAborted,
      )
  }

/**
 * True for the {@link Aborted} failure of a call given a signal.
 *
 * @example
 * import * as O from 'fp-ts/Option'
 * import { Retry } from 'fp-ts-retry'
 *
 * Retry.isAborted({ _tag: 'Aborted', reason: 'bye', lastError: O.none })
 * // => true
 *
 * @since 0.1.0
 * @category utils
 */
export const isAborted = (error: unknown): error is Aborted<unknown> =>
  typeof error === 'object' && error !== null && (error as { readonly _tag?: unknown })._tag === 'Aborted'
