/**
 * The retry driver: runs an operation, and after each `Left` steps a
 * {@link Schedule.Schedule} with the error to decide whether, and after how
 * long, to run it again. Failures stay typed values; nothing here throws.
 *
 * Every entry point takes either form of operation (see {@link Operation}) and
 * returns the same form: a `TaskEither` stays a `TaskEither`; a cancellable
 * `ReaderTaskEither` stays one, its environment passed to every attempt, and
 * gains {@link Aborted} in its error type. Every entry point also has a
 * data-first form under the same name, which types the hooks by the
 * operation's own error.
 *
 * @since 0.1.0
 */
import type * as E from 'fp-ts/Either'
import type * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type { TaskEither } from 'fp-ts/TaskEither'
import type { Budget, Refused } from './Budget'
import * as Clock from './Clock'
import { sanitize } from './internal/delay'
import { dual, firstIsNotSchedule } from './internal/dual'
import * as fp from './internal/fp'
import * as budgets from './internal/budget'
import * as events from './internal/events'
import type * as Events from './Events'
import { guarded } from './internal/report'
import { ABORTED, operation, whenAborted } from './internal/operation'
import type { AnyOperation, Watch } from './internal/operation'
import type { Any, Env, EnvOf, ErrorOf, ValueOf, Widen } from './Operation'
import { hasTag } from './internal/tag'
import type { Continue, Schedule, StepContext } from './Schedule'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What an attempt knows about the retries so far, given to the action of
 * {@link retryingWith}.
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
 * Options of every retrying function.
 *
 * The hooks see the operation's error type `E`. In the data-first form
 * (`Retry.retrying(self, schedule, options)`) it is inferred from the
 * operation; in the data-last form, annotate the hook
 * (`onRetry: (event: Retry.RetryEvent<HttpError>) => ...`) and the result
 * accepts only operations whose errors the hook can take.
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
  /**
   * Hears every event of each call (see {@link Events}): its attempts, its
   * retries and how it ended, and what the protections inside it decided.
   * `onRetry` and `onGiveUp` are views of this stream: they hear its
   * `RetryScheduled` and `GaveUp` events.
   */
  readonly onEvent?: Events.Listener<E> | undefined
}

/**
 * Why a retrying call gave up with its last error: its schedule was done, or
 * its budget refused the retry the schedule granted. (An abort is not a
 * give-up: the call fails with {@link Aborted}.)
 *
 * @since 0.1.0
 * @category model
 */
export type GiveUpReason = { readonly _tag: 'ScheduleDone' } | Refused

/**
 * Passed to `onGiveUp` once, when a call gives up with its last error.
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
 * The failure of a cancellable operation whose signal fired while it was
 * retrying: the call ended at once (a backoff sleep cut short, an attempt in
 * flight no longer awaited) and no further attempt started. Carries the
 * signal's reason and the last failed attempt's error. Only the cancellable
 * form has it in its error type: a plain `TaskEither` has no signal.
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
 * The type of an operation once retrying: a `TaskEither` keeps its exact
 * type; a cancellable `ReaderTaskEither` gains {@link Aborted}.
 *
 * @since 0.2.0
 * @category model
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Retried<Op> = Op extends TaskEither<any, any> ? Op : Widen<Op, Aborted<ErrorOf<Op>>>

/**
 * What the data-last {@link retrying} returns: a function from an operation
 * of either form whose errors the schedule (and the hooks) accept to the same
 * operation, retrying (see {@link Retried}).
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Retry, Schedule } from 'fp-ts-retry'
 *
 * const withRetries: Retry.Retrying<unknown> = Retry.retrying(Schedule.recurs(2))
 * await withRetries(TE.right(1))()
 * // => { _tag: 'Right', right: 1 }
 *
 * @since 0.2.0
 * @category model
 */
export interface Retrying<In> {
  <Op extends Any<In>>(self: Op): Retried<Op>
}

/**
 * What the data-last {@link retryingWith} returns: it takes an action that
 * builds each attempt, of either form, from its {@link RetryStatus}.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Retry, Schedule } from 'fp-ts-retry'
 *
 * const adaptive: Retry.RetryingWith<unknown> = Retry.retryingWith(Schedule.recurs(2))
 * await adaptive((status: Retry.RetryStatus<string>) => (status.attempt < 3 ? TE.left('again') : TE.right(status.attempt)))()
 * // => { _tag: 'Right', right: 3 }
 *
 * @since 0.2.0
 * @category model
 */
export interface RetryingWith<In> {
  <Act extends (status: RetryStatus<never>) => Any<In>>(action: Act): Retried<ReturnType<Act>>
}

/**
 * A function returning an operation of either form whose errors `In` covers:
 * what {@link retryable} wraps.
 *
 * @since 0.2.0
 * @category model
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OperationFunction<In> = (...args: any) => Any<In>

/**
 * The type of a function wrapped by {@link retryable}: a function returning a
 * `TaskEither` keeps its exact type (generic parameters and overloads
 * included); one returning a cancellable `ReaderTaskEither` keeps its
 * parameters and gains {@link Aborted}.
 *
 * @since 0.2.0
 * @category model
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RetriedFunction<F> = F extends (...args: any) => TaskEither<any, any>
  ? F
  : F extends (...args: infer P) => infer Op
    ? (...args: P) => Retried<Op>
    : never

/**
 * What the data-last {@link retryable} returns: it wraps one function, or a
 * whole client (a record of functions, each returning an operation), keeping
 * every type it can (see {@link RetriedFunction}).
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Retry, Schedule } from 'fp-ts-retry'
 *
 * const wrap: Retry.Retryable<unknown> = Retry.retryable(Schedule.recurs(1))
 * await wrap((n: number) => TE.right(n * 2))(21)()
 * // => { _tag: 'Right', right: 42 }
 *
 * @since 0.2.0
 * @category model
 */
export interface Retryable<In> {
  // `apply?: never` keeps a function (whose errors do not fit) from passing as an empty client
  <T extends OperationFunction<In> | ({ readonly [K in keyof T]: OperationFunction<In> } & { readonly apply?: never })>(
    target: T,
  ): T extends OperationFunction<In> ? RetriedFunction<T> : { readonly [K in keyof T]: RetriedFunction<T[K]> }
}

/**
 * How a driven run ended, for callers that need the schedule's last output: a
 * success, or the schedule (or budget) gave up with the last error and that
 * output. (An abort is handed to `drive`'s `abort` instead.)
 *
 * @internal
 */
type Outcome<E, A, Out> = E.Right<A> | { readonly _tag: 'Exhausted'; readonly error: E; readonly out: Out }

/**
 * One attempt of the operation, given the caller's environment (`undefined`
 * for a `TaskEither`) and, for {@link retryingWith}, its status.
 */
type Attempt<E, A> = (env: Env | undefined, status: RetryStatus<E>) => Promise<E.Either<E, A>>

/**
 * What one retrying operation decides once, for all its calls. `giveUp`
 * builds the result when the schedule or the budget ends a call, `abort` when
 * the environment's signal fires (never called for a `TaskEither`, which has
 * no signal).
 */
interface Plan<E, A, Out, G> {
  readonly schedule: Schedule<E, Out>
  readonly attempt: Attempt<E, A>
  /** The attempt reads its status (`retryingWith`): build one per attempt. */
  readonly statusful: boolean
  readonly clock: Clock.Clock
  readonly random: () => number
  readonly budget: Budget | undefined
  /** `onEvent`, `onRetry` and `onGiveUp` as one listener; `undefined` when none is given. */
  readonly listener: Events.Listener<E> | undefined
  /** Nothing can see the first attempt: no listener, budget or status, and a timeless schedule. */
  readonly unseen: boolean
  readonly giveUp: (error: E, out: Out) => G
  readonly abort: (aborted: Aborted<E>) => G
}

const plan = <E, A, Out, G>(
  schedule: Schedule<E, Out>,
  options: RetryOptions<E> | undefined,
  attempt: Attempt<E, A>,
  statusful: boolean,
  giveUp: (error: E, out: Out) => G,
  abort: (aborted: Aborted<E>) => G,
): Plan<E, A, Out, G> => {
  const listener = listenerOf(options)
  const budget = options?.budget
  return {
    schedule,
    attempt,
    statusful,
    clock: options?.clock ?? Clock.live,
    random: options?.random ?? Math.random,
    budget,
    listener,
    unseen: listener === undefined && budget === undefined && !statusful && schedule.timeless === true,
    giveUp,
    abort,
  }
}

/** `onRetry` and `onGiveUp` are views of the event stream: they hear its `RetryScheduled` and `GaveUp` events. */
const listenerOf = <E>(options: RetryOptions<E> | undefined): Events.Listener<E> | undefined => {
  const { onEvent, onRetry, onGiveUp } = options ?? {}
  if (onEvent === undefined && onRetry === undefined && onGiveUp === undefined) return undefined
  return (event) => {
    if (onEvent !== undefined) guarded(onEvent, event)
    if (event._tag === 'RetryScheduled' && onRetry !== undefined) guarded(onRetry, event)
    if (event._tag === 'GaveUp' && onGiveUp !== undefined) guarded(onGiveUp, event)
  }
}

const NONE: O.Option<never> = fp.none

/** The status of every first attempt: shared, since a status is never mutated. */
const FIRST: RetryStatus<never> = { attempt: 1, elapsed: 0, lastError: NONE, lastDelay: NONE }

const SCHEDULE_DONE: GiveUpReason = { _tag: 'ScheduleDone' }

/** Runs a plan for one call of a cancellable operation: with a live signal, each attempt is raced against it. */
function drive<E, A, Out, G>(self: Plan<E, A, Out, G>, env: Env | undefined): Promise<E.Right<A> | G> {
  const signal = env?.signal
  return loop(self, env, signal === undefined || signal.aborted ? undefined : whenAborted(signal))
}

/**
 * The loop behind every entry point: one `async` function, so the stack and
 * memory stay constant however many attempts run, and a zero delay retries
 * without touching a timer. All the call's state is in its {@link Run}, so
 * that each await suspends a small frame. When nothing can see the first
 * attempt (no listener, budget or status, a timeless schedule), the run is
 * made at its first failure: a success allocates nothing.
 */
async function loop<E, A, Out, G>(
  self: Plan<E, A, Out, G>,
  env: Env | undefined,
  watch: Watch | undefined,
): Promise<E.Right<A> | G> {
  const signal = env?.signal
  let run = self.unseen ? undefined : new Run(self, signal)
  try {
    for (;;) {
      if (signal?.aborted === true) {
        run ??= new Run(self, signal)
        return run.aborted(run.attempt - 1)
      }
      const pending = run === undefined ? self.attempt(env, FIRST) : run.next(env)
      const result = await (watch === undefined ? pending : watch.race(pending))
      watch?.idle()
      if (run === undefined) {
        if (isRight(result)) return result
        run = new Run(self, signal)
      }
      const delay = run.settle(result)
      if (typeof delay !== 'number') return delay
      if (delay > 0) await self.clock.sleep(delay, signal, 'backoff')
    }
  } finally {
    // no subscription is left when the call settles, however it settles
    watch?.idle()
  }
}

const isRight = <A>(result: unknown): result is E.Right<A> =>
  (result as E.Either<unknown, A> | undefined)?._tag === 'Right'

/**
 * What one call carries from attempt to attempt; it is also the context its
 * schedule steps with. The clock is read only where the time can be seen: by
 * a schedule that is not timeless, a status (`retryingWith`) or a listener. A
 * retry allocates only the schedule's decision.
 */
class Run<E, A, Out, G> implements StepContext {
  readonly observer: events.Observer<Events.Event<E>> | undefined
  readonly timed: boolean
  readonly start: number
  /** When the last attempt failed, since the first began (read only when timed). */
  elapsed = 0
  state: unknown
  /** The attempt running, or about to, from 1. */
  attempt = 1
  /** When the attempt began (read only for a listener). */
  began = 0
  // the last failure, kept bare: an `Option` is made only where one is read
  failed = false
  last: E | undefined = undefined
  lastDelay = 0

  constructor(
    readonly self: Plan<E, A, Out, G>,
    readonly signal: AbortSignal | undefined,
  ) {
    this.observer = self.listener === undefined ? undefined : events.observer(self.listener)
    this.timed = this.observer !== undefined || self.statusful || self.schedule.timeless !== true
    this.start = this.timed ? self.clock.now() : 0
    this.state = self.schedule.initial
  }

  get random(): () => number {
    return this.self.random
  }

  /** Starts the next attempt. */
  next(env: Env | undefined): Promise<E.Either<E, A>> {
    const { self, observer, attempt } = this
    const status =
      self.statusful && attempt > 1
        ? {
            attempt,
            elapsed: self.clock.now() - this.start,
            lastError: this.lastError(),
            lastDelay: fp.some(this.lastDelay),
          }
        : FIRST
    if (observer === undefined) return self.attempt(env, status)
    const time = (this.began = self.clock.now())
    observer.listener({ _tag: 'AttemptStarted', call: observer.call, time, attempt })
    return events.attempt(observer, self.attempt, env, status)
  }

  /** What a settled attempt leads to: the call's result, or the delay to sleep before the next attempt. */
  settle(result: E.Either<E, A> | typeof ABORTED): E.Right<A> | G | number {
    const { self, observer, attempt } = this
    const now = observer === undefined ? 0 : self.clock.now()
    if (isRight<A>(result)) {
      if (self.budget !== undefined) budgets.recordSuccess(self.budget, this.lastError())
      this.ended(now, 'success', undefined)
      observer?.listener({
        _tag: 'CallSucceeded',
        call: observer.call,
        time: now,
        attempts: attempt,
        elapsed: now - this.start,
      })
      return result
    }
    if (result === ABORTED) {
      this.ended(now, 'aborted', undefined)
      return this.aborted(attempt)
    }
    if (result?._tag !== 'Left') throw notAnEither(result)
    const error = result.left
    this.ended(now, 'failure', error)
    this.failed = true
    this.last = error
    if (self.budget !== undefined) budgets.recordFailure(self.budget, error)
    if (this.signal?.aborted === true) return this.aborted(attempt)
    if (this.timed) this.elapsed = (observer === undefined ? self.clock.now() : now) - this.start
    const decision = self.schedule.step(this.state, error, this)
    const { elapsed } = this
    // a budget that throws refuses, as a spent one does
    const reason =
      decision._tag === 'Done'
        ? SCHEDULE_DONE
        : self.budget === undefined
          ? undefined
          : askBudget(self.budget, error, observer, now)
    if (reason !== undefined) {
      observer?.listener({ _tag: 'GaveUp', call: observer.call, time: now, attempt, error, elapsed, reason })
      return self.giveUp(error, decision.out)
    }
    const continued = decision as Continue<unknown, Out>
    const delay = sanitize(continued.delay)
    const source = continued.hinted === true ? 'hint' : 'schedule'
    observer?.listener({
      _tag: 'RetryScheduled',
      call: observer.call,
      time: now,
      attempt,
      error,
      delay,
      elapsed,
      source,
    })
    this.state = continued.state
    this.lastDelay = delay
    this.attempt++
    return delay
  }

  /** The call's `Aborted` failure after `attempts` attempts, heard as `CallAborted` first. */
  aborted(attempts: number): G {
    const { observer } = this
    const reason: unknown = this.signal?.reason
    if (observer !== undefined) {
      const time = this.self.clock.now()
      observer.listener({
        _tag: 'CallAborted',
        call: observer.call,
        time,
        attempts,
        elapsed: time - this.start,
        reason,
      })
    }
    return this.self.abort({ _tag: 'Aborted', reason, lastError: this.lastError() })
  }

  private lastError(): O.Option<E> {
    return this.failed ? fp.some(this.last as E) : NONE
  }

  private ended(time: number, outcome: Events.AttemptEnded['outcome'], error: unknown): void {
    const { observer, attempt } = this
    const duration = time - this.began
    observer?.listener({ _tag: 'AttemptEnded', call: observer.call, time, attempt, duration, outcome, error })
  }
}

/** Asks the budget for a retry: `undefined` when granted, the reason when refused; heard as `BudgetGranted`/`BudgetRefused`. */
const askBudget = <E>(
  budget: Budget,
  error: E,
  observer: events.Observer<Events.Event<E>> | undefined,
  time: number,
): GiveUpReason | undefined => {
  const granted = budgets.tryRetry(budget, error)
  if (granted && observer === undefined) return undefined
  const tokens = budgets.tokensOf(budget)
  const kind = budget.kind
  observer?.listener({ _tag: granted ? 'BudgetGranted' : 'BudgetRefused', call: observer.call, time, kind, tokens })
  return granted ? undefined : { _tag: 'BudgetExhausted', kind, tokens }
}

/** A `TaskEither` that resolves to something else breaks its contract: a defect, like a rejection. */
const notAnEither = (value: unknown): TypeError =>
  new TypeError(`Retry: the operation resolved to ${value === null ? 'null' : typeof value}, not an Either`)

/** Ends with a `Left`: the last error on a give-up (`drive` then returns the final `Either` itself), `Aborted` on an abort. */
const leftOf = <E>(error: E): E.Either<E, never> => fp.left(error)

/** Gives up with the last error and the schedule's last output, for callers that need both. */
const exhausted = <E, Out>(error: E, out: Out): Outcome<E, never, Out> => ({ _tag: 'Exhausted', error, out })

/** Keeps the `Aborted` failure as it is, for callers that tell it apart from a give-up by its `_tag`. */
const keepAborted = <E>(failure: Aborted<E>): Aborted<E> => failure

/** Runs the operation `self` once, in the caller's form. */
const runOnce =
  <E, A>(self: AnyOperation): Attempt<E, A> =>
  (env) =>
    env === undefined ? self() : self(env)()

/** The retrying operation over `attempt`, in the caller's form. */
const retried = <E, A, Out>(
  schedule: Schedule<E, Out>,
  options: RetryOptions<E> | undefined,
  attempt: Attempt<E, A>,
  statusful = false,
): AnyOperation => {
  const self = plan<E, A, Out, E.Either<E | Aborted<E>, never>>(schedule, options, attempt, statusful, leftOf, leftOf)
  // `operation`, written out: a TaskEither run goes straight into the loop, with no layer in between
  return (env?: Env) => (env !== undefined ? () => drive(self, env) : loop(self, undefined, undefined))
}

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * Retries an operation by a schedule: runs it; on `Left(e)` steps the
 * schedule with `e`, sleeps the delay on the clock and runs it again, until a
 * `Right` (returned at once) or until the schedule is done (the **last**
 * `Left` is returned). Lazy: nothing runs until the result is run, and each
 * run retries afresh.
 *
 * A `TaskEither` stays a `TaskEither` with the same type. A cancellable
 * `ReaderTaskEither` stays one: every attempt gets the caller's environment.
 * The operation's error type is kept; a schedule typed for another error
 * type does not compile. An abort ends the call with {@link Aborted}; a
 * rejection is a defect (both as {@link Operation} says).
 *
 * Data-first: `Retry.retrying(self, schedule, options)`, which types the
 * hooks by the operation's error.
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
 * // cancellable: the signal comes at run time
 * const controller = new AbortController()
 * const call = Retry.retrying((_: { signal: AbortSignal }) => TE.left('503'), Schedule.spaced(5_000))
 * const running = call({ signal: controller.signal })()
 * controller.abort('shutting down')
 * await running
 * // => { _tag: 'Left', left: { _tag: 'Aborted', reason: 'shutting down', lastError: { _tag: 'Some', value: '503' } } }
 *
 * @since 0.1.0
 * @category combinators
 */
export function retrying<E, A, Out>(
  self: TaskEither<E, A>,
  schedule: Schedule<E, Out>,
  options?: RetryOptions<E>,
): TaskEither<E, A>
export function retrying<R extends Env, E, A, Out>(
  self: ReaderTaskEither<R, E, A>,
  schedule: Schedule<E, Out>,
  options?: RetryOptions<E>,
): ReaderTaskEither<R, E | Aborted<E>, A>
export function retrying<In, Out, H = In>(schedule: Schedule<In, Out>, options?: RetryOptions<H>): Retrying<In & H>
export function retrying(...args: ReadonlyArray<unknown>): unknown {
  return retryingDual(args)
}

const retryingDual = /* @__PURE__ */ dual(
  firstIsNotSchedule,
  (schedule: Schedule<unknown, unknown>, options?: RetryOptions<unknown>) => (self: AnyOperation) =>
    retried(schedule, options, runOnce(self)),
)

/**
 * Retries an action that builds each attempt from its {@link RetryStatus}:
 * the attempt number, the time elapsed, the last error and the last delay.
 * Each attempt can adapt: repair a prompt with the last decode error, switch
 * endpoint, shrink a batch. The action returns either form of operation; the
 * result is that form, as with {@link retrying}.
 *
 * Data-first: `Retry.retryingWith(action, schedule, options)`.
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
export function retryingWith<E, A, Out>(
  action: (status: RetryStatus<E>) => TaskEither<E, A>,
  schedule: Schedule<E, Out>,
  options?: RetryOptions<E>,
): TaskEither<E, A>
export function retryingWith<R extends Env, E, A, Out>(
  action: (status: RetryStatus<E>) => ReaderTaskEither<R, E, A>,
  schedule: Schedule<E, Out>,
  options?: RetryOptions<E>,
): ReaderTaskEither<R, E | Aborted<E>, A>
export function retryingWith<In, Out, H = In>(
  schedule: Schedule<In, Out>,
  options?: RetryOptions<H>,
): RetryingWith<In & H>
export function retryingWith(...args: ReadonlyArray<unknown>): unknown {
  return retryingWithDual(args)
}

/** Each attempt is the operation the action builds from its status, run in the caller's form. */
const withStatus =
  (action: (status: RetryStatus<unknown>) => AnyOperation): Attempt<unknown, unknown> =>
  (env, status) =>
    env === undefined ? action(status)() : action(status)(env)()

const retryingWithDual = /* @__PURE__ */ dual(
  firstIsNotSchedule,
  (schedule: Schedule<unknown, unknown>, options?: RetryOptions<unknown>) =>
    (action: (status: RetryStatus<unknown>) => AnyOperation) =>
      retried(schedule, options, withStatus(action), true),
)

/**
 * The function form of {@link retrying} (a decorator in other languages):
 * wrap a function returning an operation once, call it everywhere. Each call
 * of the wrapped function builds a fresh retrying operation, and the function
 * itself is called afresh for every attempt.
 *
 * Give it a whole client (a record of such functions, or an object whose
 * methods return operations) to wrap every function at once, each called
 * with the client as `this`. Types are kept as {@link Retried} says: a
 * function returning a `TaskEither` keeps its exact type, generics and
 * overloads included; one returning a cancellable `ReaderTaskEither` keeps
 * its parameters (TypeScript cannot keep its generics or overloads) and gains
 * {@link Aborted}.
 *
 * Data-first: `Retry.retryable(f, schedule, options)`.
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
 * const api = Retry.retryable(Schedule.recurs(3))({
 *   user: (id: number): TE.TaskEither<Error, string> => TE.right(`user ${id}`),
 *   count: (): TE.TaskEither<Error, number> => TE.right(2),
 * })
 * await api.count()()
 * // => { _tag: 'Right', right: 2 }
 *
 * @since 0.1.0
 * @category combinators
 */
// A union constraint (the second member matches nothing real): TypeScript erases the generics of a function
// given to a type parameter constrained by a single signature, and keeps them under a union.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function retryable<F extends ((...args: any) => TaskEither<any, unknown>) | { readonly _never: never }, Out>(
  f: F,
  schedule: Schedule<ErrorOfFunction<F>, Out>,
  options?: RetryOptions<ErrorOfFunction<F>>,
): F
export function retryable<P extends ReadonlyArray<unknown>, R extends Env, E, A, Out>(
  f: (...args: P) => ReaderTaskEither<R, E, A>,
  schedule: Schedule<E, Out>,
  options?: RetryOptions<E>,
): (...args: P) => ReaderTaskEither<R, E | Aborted<E>, A>
export function retryable<In, Out, H = In>(schedule: Schedule<In, Out>, options?: RetryOptions<H>): Retryable<In & H>
export function retryable(...args: ReadonlyArray<unknown>): unknown {
  return retryableDual(args)
}

const retryableDual = /* @__PURE__ */ dual(
  firstIsNotSchedule,
  (schedule: Schedule<unknown, unknown>, options?: RetryOptions<unknown>) => (target: AnyOperation | object) =>
    wrap(schedule, options, target),
)

/** The error type of the operation a function returns. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorOfFunction<F> = F extends (...args: any) => TaskEither<infer E, unknown> ? E : never

const wrapFunction =
  (schedule: Schedule<unknown, unknown>, options: RetryOptions<unknown> | undefined, f: AnyOperation, self: unknown) =>
  (...args: ReadonlyArray<unknown>): AnyOperation =>
    // `f` is called afresh for each attempt, and only once the result is run: a decorator, even for
    // functions that do work before returning their operation.
    retried(schedule, options, (env) =>
      env === undefined ? f.apply(self, args as [])() : f.apply(self, args as [])(env)(),
    )

/** Every function-valued property of `client`, own or inherited (up to `Object.prototype`). */
const functionsOf = (client: object): ReadonlyArray<string> => {
  const names = new Set<string>()
  for (
    let o: object | null = client;
    o !== null && o !== Object.prototype;
    o = Object.getPrototypeOf(o) as object | null
  )
    for (const name of Object.getOwnPropertyNames(o))
      if (name !== 'constructor' && typeof (client as Record<string, unknown>)[name] === 'function') names.add(name)
  return [...names]
}

const wrap = (
  schedule: Schedule<unknown, unknown>,
  options: RetryOptions<unknown> | undefined,
  target: AnyOperation | object,
): unknown => {
  if (typeof target === 'function') return wrapFunction(schedule, options, target as AnyOperation, undefined)
  const wrapped: Record<string, unknown> = {}
  for (const name of functionsOf(target))
    wrapped[name] = wrapFunction(
      schedule,
      options,
      (target as Record<string, AnyOperation>)[name] as AnyOperation,
      target,
    )
  return wrapped
}

/**
 * Like {@link retrying}, but when the schedule gives up, hands the last error
 * and the schedule's last output to `orElse`, whose result becomes the result:
 * a fallback service, a cached value, or a richer error. `orElse` returns a
 * `TaskEither`, or, for a cancellable operation, either form (it then gets
 * the caller's environment).
 *
 * An abort is not a give-up: `orElse` is not called, the call fails with
 * {@link Aborted}.
 *
 * Data-first: `Retry.retryingOrElse(self, schedule, orElse, options)`.
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
export function retryingOrElse<E, A, Out, E2, B>(
  self: TaskEither<E, A>,
  schedule: Schedule<E, Out>,
  orElse: (error: E, out: Out) => TaskEither<E2, B>,
  options?: RetryOptions<E>,
): TaskEither<E2, A | B>
export function retryingOrElse<R extends Env, E, A, Out, R2, E2, B>(
  self: ReaderTaskEither<R, E, A>,
  schedule: Schedule<E, Out>,
  orElse: (error: E, out: Out) => TaskEither<E2, B> | ReaderTaskEither<R2, E2, B>,
  options?: RetryOptions<E>,
): ReaderTaskEither<R & R2, E2 | Aborted<E>, A | B>
export function retryingOrElse<In, Out, E extends In, E2, B>(
  schedule: Schedule<In, Out>,
  orElse: (error: E, out: Out) => TaskEither<E2, B>,
  options?: RetryOptions<E>,
): RetryingOrElse<E, E2, B>
export function retryingOrElse<In, Out, E extends In, R2, E2, B>(
  schedule: Schedule<In, Out>,
  orElse: (error: E, out: Out) => ReaderTaskEither<R2, E2, B>,
  options?: RetryOptions<E>,
): <Op extends ReaderTaskEither<never, E, unknown>>(
  self: Op,
) => ReaderTaskEither<EnvOf<Op> & R2, E2 | Aborted<ErrorOf<Op>>, ValueOf<Op> | B>
export function retryingOrElse(...args: ReadonlyArray<unknown>): unknown {
  type OrElse = (error: unknown, out: unknown) => AnyOperation
  const build = (
    self: AnyOperation,
    schedule: Schedule<unknown, unknown>,
    orElse: OrElse,
    options: RetryOptions<unknown> | undefined,
  ): AnyOperation => {
    const driven = plan<unknown, unknown, unknown, Outcome<unknown, never, unknown> | Aborted<unknown>>(
      schedule,
      options,
      runOnce(self),
      false,
      exhausted,
      keepAborted,
    )
    return operation(async (env) => {
      const outcome = await drive(driven, env)
      if (outcome._tag === 'Right') return outcome
      if (outcome._tag === 'Aborted') return fp.left(outcome)
      const fallback = orElse(outcome.error, outcome.out)
      if (env === undefined) return fallback()
      // a TaskEither fallback called with the environment runs at once; a ReaderTaskEither returns its task
      const ran: unknown = fallback(env)
      return typeof ran === 'function' ? (ran as () => Promise<E.Either<unknown, unknown>>)() : ran
    })
  }
  return dual(
    firstIsNotSchedule,
    (schedule: Schedule<unknown, unknown>, orElse: OrElse, options?: RetryOptions<unknown>) => (self: AnyOperation) =>
      build(self, schedule, orElse, options),
  )(args)
}

/**
 * What the data-last {@link retryingOrElse} returns, for a `TaskEither`
 * fallback: it takes either form of operation.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Retry, Schedule } from 'fp-ts-retry'
 *
 * const orCached: Retry.RetryingOrElse<string, never, string> = Retry.retryingOrElse(Schedule.recurs(1), () => TE.right('cached'))
 * await orCached(TE.left('down'))()
 * // => { _tag: 'Right', right: 'cached' }
 *
 * @since 0.2.0
 * @category model
 */
export interface RetryingOrElse<E, E2, B> {
  <Op extends Any<E>>(
    self: Op,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ): Op extends TaskEither<any, infer A>
    ? TaskEither<E2, A | B>
    : ReaderTaskEither<EnvOf<Op>, E2 | Aborted<ErrorOf<Op>>, ValueOf<Op> | B>
}

/**
 * True for the {@link Aborted} failure of a cancellable operation. Accepts any
 * value.
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
export const isAborted: (error: unknown) => error is Aborted<unknown> =
  /* @__PURE__ */ hasTag<Aborted<unknown>>('Aborted')
