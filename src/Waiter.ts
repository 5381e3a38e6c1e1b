/**
 * Waiters: poll an operation until its result says the wait is over (a job
 * finished, a resource became ready), with a deadline, modelled on the AWS
 * SDK waiters (`@smithy/util-waiter`).
 *
 * Each result, success or failure, goes through a typed classifier into
 * {@link Ready} (the wait is over: succeed with this value), {@link Failed}
 * (the wait is over: fail with this reason) or {@link Pending} (poll again).
 * "Not done yet" is a value, not an error: it never reaches a retry's
 * `onRetry`, a retry budget or a circuit breaker, and it does not widen the
 * error type. The waiter never sleeps past its deadline: it fails with a
 * {@link WaitTimeout} before a sleep that would overrun it. The delays
 * between polls come from any schedule, by default the AWS waiters' own
 * ({@link awsBackoff}).
 *
 * Every entry point takes either form of operation (see {@link Operation})
 * and returns the same form; only the cancellable form can end in
 * `Retry.Aborted`.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/Either'
import * as O from 'fp-ts/Option'
import type { Predicate } from 'fp-ts/Predicate'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type { Refinement } from 'fp-ts/Refinement'
import type { TaskEither } from 'fp-ts/TaskEither'
import * as Clock from './Clock'
import type { Aborted } from './Retry'
import { make } from './Schedule'
import type { Schedule } from './Schedule'
import { unitDraw } from './internal/delay'
import { operation, runner } from './internal/operation'
import { dual } from './internal/dual'
import type { AnyOperation } from './internal/operation'
import type { Any, Env, EnvOf, ErrorOf, ValueOf } from './Operation'
import { drive } from './internal/repeat'
import type { Plan } from './internal/repeat'
import { guarded } from './internal/report'
import { hasTag } from './internal/tag'
import * as check from './internal/validate'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The wait is over: the waiter succeeds with `value`.
 *
 * @since 0.2.0
 * @category model
 */
export interface Ready<A> {
  readonly _tag: 'Ready'
  readonly value: A
}

/**
 * The wait is over and will never succeed (the job failed, the resource was
 * deleted): the waiter fails with `reason`, which joins the error type as
 * it is, so use a tagged type.
 *
 * @since 0.2.0
 * @category model
 */
export interface Failed<X> {
  readonly _tag: 'Failed'
  readonly reason: X
}

/**
 * Not yet: poll again, after the schedule's next delay, unless that would
 * overrun the deadline.
 *
 * @since 0.2.0
 * @category model
 */
export interface Pending {
  readonly _tag: 'Pending'
}

/**
 * What a classifier makes of one observation.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { Waiter } from 'fp-ts-retry'
 *
 * type Job = { readonly status: 'running' | 'succeeded' | 'failed' }
 * const classify = (observation: E.Either<Error, Job>): Waiter.Verdict<Error | 'JobFailed', Job> =>
 *   E.isLeft(observation)
 *     ? Waiter.failed(observation.left)
 *     : observation.right.status === 'succeeded'
 *       ? Waiter.ready(observation.right)
 *       : observation.right.status === 'failed'
 *         ? Waiter.failed('JobFailed')
 *         : Waiter.pending
 * const verdicts = [E.right({ status: 'running' } as const), E.right({ status: 'failed' } as const)].map(classify)
 * verdicts
 * // => [{ _tag: 'Pending' }, { _tag: 'Failed', reason: 'JobFailed' }]
 *
 * @since 0.2.0
 * @category model
 */
export type Verdict<X, A> = Ready<A> | Failed<X> | Pending

/**
 * The failure of a waiter that ran out of time: the next sleep would have
 * ended after `maxWait` (or the schedule was done) while the results were
 * still pending. Carries the last observation and how many were made.
 *
 * @since 0.2.0
 * @category model
 */
export interface WaitTimeout<E, A> {
  readonly _tag: 'WaitTimeout'
  /** The deadline, in ms after the first poll began. */
  readonly maxWait: number
  /** Milliseconds since the first poll began, when the waiter gave up. */
  readonly elapsed: number
  /** How many polls were made. */
  readonly observations: number
  /** The result of the last poll. */
  readonly last: E.Either<E, A>
}

/**
 * Passed to `onPending` once per pending observation, before the sleep to the
 * next poll.
 *
 * @since 0.2.0
 * @category model
 */
export interface PendingEvent<E, A> {
  /** The result of the poll that was pending. */
  readonly observation: E.Either<E, A>
  /** How many polls were made so far, this one included. */
  readonly observations: number
  /** The delay about to be slept before the next poll. */
  readonly delay: number
  /** Milliseconds since the first poll began, when this one ended. */
  readonly elapsed: number
}

/**
 * Options of {@link poll} and {@link until}. Only `maxWait` is required.
 *
 * The hook sees the operation's types. In the data-first form they are
 * inferred from the operation; in the data-last form, from the classifier's
 * annotation.
 *
 * @since 0.2.0
 * @category model
 */
export interface PollOptions<E, A> {
  /**
   * The deadline, in ms after the first poll began: the waiter never sleeps
   * past it, and fails with {@link WaitTimeout} instead. A poll may start
   * exactly at the deadline. It bounds the waiting, not a poll in flight:
   * bound each poll with `Timeout.timeout`.
   */
  readonly maxWait: number
  /**
   * The delays between polls, stepped with each pending observation (default
   * {@link awsBackoff}`()`: 2 s, then randomised exponential up to 120 s).
   * When it is done, the waiter fails with {@link WaitTimeout}.
   */
  readonly schedule?: Schedule<E.Either<E, A>, unknown> | undefined
  /** Where time is read and slept (default {@link Clock.live}); its sleeps have the purpose `'poll'`. */
  readonly clock?: Clock.Clock | undefined
  /** The random source handed to the schedule (default `Math.random`). */
  readonly random?: (() => number) | undefined
  /** Called once per pending observation, before the sleep to the next poll. */
  readonly onPending?: ((event: PendingEvent<E, A>) => void) | undefined
}

/**
 * The failure reasons of a verdict type: what a classifier's `Failed`
 * verdicts add to the waiter's error type.
 *
 * @since 0.2.0
 * @category model
 */
export type ReasonOf<V> = V extends Failed<infer X> ? X : never

/**
 * The value of a verdict type's `Ready`: the waiter's success type.
 *
 * @since 0.2.0
 * @category model
 */
export type ReadyOf<V> = V extends Ready<infer B> ? B : never

/**
 * The type of an operation once polled: `X` (the classifier's failures) and
 * {@link WaitTimeout} as its errors, `B` as its value; a cancellable
 * `ReaderTaskEither` also gains `Retry.Aborted` (with the last observation's
 * error, if it was one). The operation's own errors are gone: the classifier
 * decided about each of them.
 *
 * @since 0.2.0
 * @category model
 */
export type Polled<Op, X, B> =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  Op extends TaskEither<any, any>
    ? TaskEither<X | WaitTimeout<ErrorOf<Op>, ValueOf<Op>>, B>
    : ReaderTaskEither<EnvOf<Op>, X | WaitTimeout<ErrorOf<Op>, ValueOf<Op>> | Aborted<ErrorOf<Op>>, B>

/**
 * What the data-last {@link poll} returns: it polls an operation of either
 * form whose results the classifier takes.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Waiter } from 'fp-ts-retry'
 *
 * const ready: Waiter.Polling<never, string, never, string> = Waiter.poll(
 *   (o: E.Either<never, string>) => (E.isRight(o) && o.right === 'READY' ? Waiter.ready(o.right) : Waiter.pending),
 *   { maxWait: 1_000 },
 * )
 * await ready(TE.right('READY'))()
 * // => { _tag: 'Right', right: 'READY' }
 *
 * @since 0.2.0
 * @category model
 */
export interface Polling<E, A, X, B> {
  <Op extends Any<E, A>>(self: Op): Polled<Op, X, B>
}

/**
 * What the data-last {@link until} returns: it polls an operation of either
 * form whose values the predicate takes; the operation's own errors stay.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Waiter } from 'fp-ts-retry'
 *
 * const positive: Waiter.Until<unknown, number, number> = Waiter.until((n: number) => n > 0, { maxWait: 1_000 })
 * await positive(TE.right(3))()
 * // => { _tag: 'Right', right: 3 }
 *
 * @since 0.2.0
 * @category model
 */
export interface Until<E, A, B> {
  <Op extends Any<E, A>>(self: Op): Polled<Op, ErrorOf<Op>, B>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The verdict "the wait is over, succeed with `value`".
 *
 * @example
 * import { Waiter } from 'fp-ts-retry'
 *
 * Waiter.ready(42)
 * // => { _tag: 'Ready', value: 42 }
 *
 * @since 0.2.0
 * @category constructors
 */
export const ready = <A>(value: A): Ready<A> => ({ _tag: 'Ready', value })

/**
 * The verdict "the wait is over, fail with `reason`".
 *
 * @example
 * import { Waiter } from 'fp-ts-retry'
 *
 * Waiter.failed({ _tag: 'JobFailed', message: 'out of memory' })
 * // => { _tag: 'Failed', reason: { _tag: 'JobFailed', message: 'out of memory' } }
 *
 * @since 0.2.0
 * @category constructors
 */
export const failed = <X>(reason: X): Failed<X> => ({ _tag: 'Failed', reason })

/**
 * The verdict "not yet, poll again".
 *
 * @example
 * import { Waiter } from 'fp-ts-retry'
 *
 * Waiter.pending
 * // => { _tag: 'Pending' }
 *
 * @since 0.2.0
 * @category constructors
 */
export const pending: Pending = { _tag: 'Pending' }

/**
 * The delays of the AWS SDK waiters (the Smithy waiter retry rule), as a
 * schedule: the first delay is `minDelay`; the `k`-th is uniform in
 * `[minDelay, min(maxDelay, minDelay * 2^(k - 1))]`, and, once that bound has
 * reached `maxDelay`, uniform in `[minDelay, maxDelay]`. The AWS defaults
 * are 2 s and 120 s. Never ends; outputs the delay. The waiter's deadline is
 * the waiter's, not the schedule's.
 *
 * Like the Smithy specification (and the Rust SDK), it keeps drawing once
 * past the ceiling; `@smithy/util-waiter` waits exactly `maxDelay` there.
 *
 * @example
 * import { Random, Schedule, Waiter } from 'fp-ts-retry'
 *
 * Schedule.simulate(Waiter.awsBackoff(), [1, 2, 3], { random: Random.constant(0.5) })
 * // => [2000, 3000, 5000]
 *
 * @throws RangeError when `minDelay` is not positive and finite, or `maxDelay` is below `minDelay` or infinite
 * @since 0.2.0
 * @category constructors
 */
export const awsBackoff = (minDelay = 2_000, maxDelay = 120_000): Schedule<unknown, number> => {
  const lo = check.delay('Waiter.awsBackoff', 'minDelay', minDelay)
  if (!(lo > 0)) check.fail('Waiter.awsBackoff', 'minDelay', 'a positive, finite number of milliseconds', minDelay)
  const hi = check.delay('Waiter.awsBackoff', 'maxDelay', maxDelay)
  if (hi < lo) check.fail('Waiter.awsBackoff', 'maxDelay', `>= minDelay (${lo})`, maxDelay)
  // the last attempt whose bound is still below maxDelay (Smithy's attemptCeiling)
  const ceiling = Math.log2(hi / lo) + 1
  return make(1, (k: number, _: unknown, { random }) => {
    const upper = k > ceiling ? hi : Math.min(hi, lo * 2 ** (k - 1))
    const delay = lo + unitDraw(random) * (upper - lo)
    return { _tag: 'Continue', delay, out: delay, state: k > ceiling ? k : k + 1 }
  })
}

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * Polls an operation until its result says the wait is over: runs it, hands
 * each result (a `Right` or a `Left`) to `classify`, and on {@link Pending}
 * sleeps the schedule's next delay and runs it again. {@link Ready} ends the
 * wait with its value, {@link Failed} with its reason as the error. When the
 * next sleep would end after `maxWait` (or the schedule is done), the waiter
 * fails with {@link WaitTimeout} at once, before sleeping.
 *
 * The result is a union to match exhaustively: the value, the classifier's
 * failures, `WaitTimeout`, and, for a cancellable operation, `Retry.Aborted`
 * (see {@link Operation}: mid-poll or mid-sleep alike). A pending result is
 * not an error: put `Retry.retrying`, a budget or a breaker inside to retry
 * each poll's failures; they never see a pending result. A classifier that
 * throws, like an operation that rejects, is a defect: the exception
 * propagates.
 *
 * Data-first: `Waiter.poll(self, classify, options)`, which types the
 * classifier and the hook by the operation. Data-last, annotate the
 * classifier's parameter.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Schedule, TestClock, Waiter } from 'fp-ts-retry'
 *
 * type Job = { readonly status: 'running' } | { readonly status: 'succeeded'; readonly url: string }
 * const statuses: Array<Job> = [{ status: 'running' }, { status: 'running' }, { status: 'succeeded', url: '/report.csv' }]
 * const getJob: TE.TaskEither<Error, Job> = TE.fromTask(async () => statuses.shift() ?? { status: 'running' })
 *
 * const clock = TestClock.make()
 * const report = Waiter.poll(
 *   getJob,
 *   (o) => (E.isLeft(o) ? Waiter.failed(o.left) : o.right.status === 'succeeded' ? Waiter.ready(o.right.url) : Waiter.pending),
 *   { maxWait: 60_000, schedule: Schedule.spaced(5_000), clock },
 * )
 * const running = report()
 * await clock.adjust(10_000) // polls at 0, 5 s and 10 s
 * await running
 * // => { _tag: 'Right', right: '/report.csv' }
 *
 * @throws RangeError when `maxWait` is negative, NaN or infinite
 * @since 0.2.0
 * @category combinators
 */
export function poll<E, A, V extends Verdict<unknown, unknown>>(
  self: TaskEither<E, A>,
  classify: (observation: E.Either<E, A>) => V,
  options: PollOptions<E, A>,
): TaskEither<ReasonOf<V> | WaitTimeout<E, A>, ReadyOf<V>>
export function poll<R extends Env, E, A, V extends Verdict<unknown, unknown>>(
  self: ReaderTaskEither<R, E, A>,
  classify: (observation: E.Either<E, A>) => V,
  options: PollOptions<E, A>,
): ReaderTaskEither<R, ReasonOf<V> | WaitTimeout<E, A> | Aborted<E>, ReadyOf<V>>
export function poll<E, A, V extends Verdict<unknown, unknown>>(
  classify: (observation: E.Either<E, A>) => V,
  options: PollOptions<E, A>,
): Polling<E, A, ReasonOf<V>, ReadyOf<V>>
export function poll(...args: ReadonlyArray<unknown>): unknown {
  type Classify = (observation: E.Either<unknown, unknown>) => Verdict<unknown, unknown>
  // data-first is poll(self, classify, options): the classifier, a function too, comes second
  return dual(
    (all) => typeof all[1] === 'function',
    (classify: Classify, options: PollOptions<unknown, unknown>) => {
      const plan = planOf('poll', classify, options)
      return (self: AnyOperation) => polled(plan, self)
    },
  )(args)
}

/**
 * Polls an operation until its value satisfies `predicate` (tenacity's
 * `retry_if_result`, without inventing a `Left`): a value that fails it is
 * pending, one that passes ends the wait with that value (narrowed by a type
 * guard), and a `Left` ends it with the operation's own error. As
 * {@link poll} otherwise: the deadline, {@link WaitTimeout}, `Retry.Aborted`
 * for a cancellable operation. Put `Retry.retrying` inside to retry the
 * failures too.
 *
 * Data-first: `Waiter.until(self, predicate, options)`, which types the hook
 * by the operation.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Schedule, TestClock, Waiter } from 'fp-ts-retry'
 *
 * let replicas = 0
 * const readyReplicas: TE.TaskEither<Error, number> = TE.fromTask(async () => ++replicas)
 * const clock = TestClock.make()
 * const running = pipe(
 *   readyReplicas,
 *   Waiter.until((n: number) => n >= 3, { maxWait: 10_000, schedule: Schedule.spaced(1_000), clock }),
 * )()
 * await clock.adjust(2_000)
 * await running
 * // => { _tag: 'Right', right: 3 }
 *
 * @throws RangeError when `maxWait` is negative, NaN or infinite
 * @since 0.2.0
 * @category combinators
 */
export function until<E, A, B extends A>(
  self: TaskEither<E, A>,
  refinement: Refinement<A, B>,
  options: PollOptions<E, A>,
): TaskEither<E | WaitTimeout<E, A>, B>
export function until<E, A>(
  self: TaskEither<E, A>,
  predicate: Predicate<A>,
  options: PollOptions<E, A>,
): TaskEither<E | WaitTimeout<E, A>, A>
export function until<R extends Env, E, A, B extends A>(
  self: ReaderTaskEither<R, E, A>,
  refinement: Refinement<A, B>,
  options: PollOptions<E, A>,
): ReaderTaskEither<R, E | WaitTimeout<E, A> | Aborted<E>, B>
export function until<R extends Env, E, A>(
  self: ReaderTaskEither<R, E, A>,
  predicate: Predicate<A>,
  options: PollOptions<E, A>,
): ReaderTaskEither<R, E | WaitTimeout<E, A> | Aborted<E>, A>
export function until<A, B extends A, H = unknown>(
  refinement: Refinement<A, B>,
  options: PollOptions<H, A>,
): Until<H, A, B>
export function until<A, H = unknown>(predicate: Predicate<A>, options: PollOptions<H, A>): Until<H, A, A>
export function until(...args: ReadonlyArray<unknown>): unknown {
  const classifier =
    (predicate: Predicate<unknown>) =>
    (observation: E.Either<unknown, unknown>): Verdict<unknown, unknown> =>
      E.isLeft(observation)
        ? failed(observation.left)
        : predicate(observation.right)
          ? ready(observation.right)
          : pending
  if (typeof args[1] !== 'function') {
    const plan = planOf('until', classifier(args[0] as Predicate<unknown>), args[1] as PollOptions<unknown, unknown>)
    return (self: AnyOperation) => polled(plan, self)
  }
  const plan = planOf('until', classifier(args[1] as Predicate<unknown>), args[2] as PollOptions<unknown, unknown>)
  return polled(plan, args[0] as AnyOperation)
}

type Observation = E.Either<unknown, unknown>

/** How a waiter uses the loop: every result goes through `classify`; a pending one steps the schedule with itself. */
const planOf = (
  name: string,
  classify: (observation: Observation) => Verdict<unknown, unknown>,
  options: PollOptions<unknown, unknown> | undefined,
): Plan<unknown, unknown, Observation, Observation> => {
  const maxWait = check.delay(`Waiter.${name}`, 'maxWait', options?.maxWait as number)
  const onPending = options?.onPending
  const timeout = (last: Observation, observations: number, elapsed: number): Observation =>
    E.left({ _tag: 'WaitTimeout', maxWait, elapsed, observations, last })
  return {
    clock: options?.clock ?? Clock.live,
    random: options?.random ?? Math.random,
    schedule: options?.schedule ?? awsBackoff(),
    purpose: 'poll',
    settle: (observation) => {
      const verdict = classify(observation)
      return verdict._tag === 'Ready'
        ? E.right(verdict.value)
        : verdict._tag === 'Failed'
          ? E.left(verdict.reason)
          : undefined
    },
    inputOf: (observation) => observation,
    scheduleDone: (last, _, observations, elapsed) => timeout(last, observations, elapsed),
    deadline: { ms: maxWait, overrun: timeout },
    beforeSleep:
      onPending === undefined
        ? undefined
        : (observation, delay, observations, elapsed) =>
            guarded(onPending, { observation, observations, delay, elapsed }, undefined),
    aborted: (reason, last) =>
      E.left({
        _tag: 'Aborted',
        reason,
        lastError: last !== undefined && E.isLeft(last) ? O.some(last.left) : O.none,
      }),
  }
}

const polled = (plan: Plan<unknown, unknown, Observation, Observation>, self: AnyOperation): AnyOperation => {
  const run = runner<unknown, unknown>(self)
  return operation((env) => drive(plan, run, env))
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * True for a {@link WaitTimeout}. Accepts any value.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { Waiter } from 'fp-ts-retry'
 *
 * Waiter.isWaitTimeout({ _tag: 'WaitTimeout', maxWait: 1_000, elapsed: 900, observations: 4, last: E.right('RUNNING') })
 * // => true
 *
 * @since 0.2.0
 * @category utils
 */
export const isWaitTimeout: (error: unknown) => error is WaitTimeout<unknown, unknown> =
  /* @__PURE__ */ hasTag<WaitTimeout<unknown, unknown>>('WaitTimeout')
