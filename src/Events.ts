/**
 * One typed stream of every decision a call makes: each attempt started and
 * ended, each retry scheduled (its delay and where the delay came from), how
 * the call ended (succeeded, gave up and why, aborted), and what the
 * protections inside it did (budget, breaker, timeout, hedge, bulkhead, rate
 * limit).
 *
 * Subscribe with the `onEvent` option of a retrying call
 * (`Retry.retrying(schedule, { onEvent })`). The listener hears that call's
 * events and those of every protection that runs inside it (the ones piped
 * before `retrying`), each carrying the call's id in `call`. A listener that
 * throws follows the callback rule (see the guide's "Contracts and callbacks"):
 * the throw is reported and the call goes on. With no listener, no event is
 * made.
 *
 * @since 0.2.0
 */
import type { Refused } from './Budget'
import type { BulkheadRejected } from './Bulkhead'
import type { CircuitOpen, State } from './CircuitBreaker'
import type { RateLimited } from './RateLimit'
import type { GiveUpReason } from './Retry'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What every event carries: the id of its logical call (shared by all the
 * events of one run of a retrying operation) and the time it happened, in
 * milliseconds on the call's clock.
 *
 * @since 0.2.0
 * @category model
 */
export interface Meta {
  /** The logical call's id: the same for every event of one run. */
  readonly call: number
  /** When it happened: `clock.now()`, in milliseconds. */
  readonly time: number
}

/**
 * An attempt starts.
 *
 * @since 0.2.0
 * @category model
 */
export interface AttemptStarted extends Meta {
  readonly _tag: 'AttemptStarted'
  /** The attempt's number, from 1. */
  readonly attempt: number
}

/**
 * An attempt ended: with a `Right` (`success`), a `Left` (`failure`, with its
 * error), or because the call's signal fired while it ran (`aborted`).
 *
 * @since 0.2.0
 * @category model
 */
export interface AttemptEnded extends Meta {
  readonly _tag: 'AttemptEnded'
  /** The attempt's number, from 1. */
  readonly attempt: number
  /** Milliseconds from its start. */
  readonly duration: number
  readonly outcome: 'success' | 'failure' | 'aborted'
  /** The attempt's error when it failed; `undefined` otherwise. */
  readonly error: unknown
}

/**
 * A retry is scheduled after a failed attempt, before its sleep. `source` says
 * what set the delay: the schedule's own backoff, or a hint the failure
 * carried (`Retry-After`, an open circuit's `retryAt`) that the schedule
 * waited for.
 *
 * @since 0.2.0
 * @category model
 */
export interface RetryScheduled<E = unknown> extends Meta {
  readonly _tag: 'RetryScheduled'
  /** The attempt that failed, from 1. */
  readonly attempt: number
  /** Its error. */
  readonly error: E
  /** The delay about to be slept, in milliseconds. */
  readonly delay: number
  /** Milliseconds since the first attempt began, when the attempt failed. */
  readonly elapsed: number
  readonly source: 'schedule' | 'hint'
}

/**
 * The call succeeded.
 *
 * @since 0.2.0
 * @category model
 */
export interface CallSucceeded extends Meta {
  readonly _tag: 'CallSucceeded'
  /** The attempts it took, from 1. */
  readonly attempts: number
  /** Milliseconds since the first attempt began. */
  readonly elapsed: number
}

/**
 * The call gave up with its last error: the schedule was done (its retries,
 * or its deadline, spent), or the budget refused the retry.
 *
 * @since 0.2.0
 * @category model
 */
export interface GaveUp<E = unknown> extends Meta {
  readonly _tag: 'GaveUp'
  /** The last attempt, from 1. */
  readonly attempt: number
  /** Its error: the call's result. */
  readonly error: E
  /** Milliseconds since the first attempt began. */
  readonly elapsed: number
  readonly reason: GiveUpReason
}

/**
 * The call's signal fired: it ended with `Aborted`.
 *
 * @since 0.2.0
 * @category model
 */
export interface CallAborted extends Meta {
  readonly _tag: 'CallAborted'
  /** The attempts started, from 0. */
  readonly attempts: number
  /** Milliseconds since the first attempt began. */
  readonly elapsed: number
  /** `signal.reason`. */
  readonly reason: unknown
}

/**
 * The retry budget was asked for a retry: `BudgetGranted` or `BudgetRefused`,
 * with the tokens left.
 *
 * @since 0.2.0
 * @category model
 */
export interface BudgetDecided extends Meta {
  readonly _tag: 'BudgetGranted' | 'BudgetRefused'
  readonly kind: Refused['kind']
  /** Tokens left after the decision. */
  readonly tokens: number
}

/**
 * A circuit breaker that a call went through changed state.
 *
 * @since 0.2.0
 * @category model
 */
export interface CircuitChanged extends Meta {
  readonly _tag: 'CircuitChanged'
  readonly from: State
  readonly to: State
}

/**
 * A timeout fired: the attempt inside it was cancelled after `after` milliseconds.
 *
 * @since 0.2.0
 * @category model
 */
export interface TimeoutFired extends Meta {
  readonly _tag: 'TimeoutFired'
  readonly after: number
}

/**
 * A hedged request started another attempt (`HedgeStarted`), an attempt won the
 * race (`HedgeWon`), or a losing one was cancelled (`HedgeLost`).
 *
 * @since 0.2.0
 * @category model
 */
export interface HedgeDecided extends Meta {
  readonly _tag: 'HedgeStarted' | 'HedgeWon' | 'HedgeLost'
  /** The hedge's attempt, from 1. */
  readonly attempt: number
}

/**
 * A protection refused the call before it ran: a full bulkhead, a rate limit,
 * an open circuit. Carries the typed failure the call gets.
 *
 * @since 0.2.0
 * @category model
 */
export interface Rejected extends Meta {
  readonly _tag: 'Rejected'
  readonly failure: BulkheadRejected | RateLimited | CircuitOpen
}

/**
 * A bulkhead or a rate limiter let the call through after it had waited in
 * its queue (for a slot, for a token) for `waited` milliseconds. A call let
 * through at once makes no event.
 *
 * @since 0.2.0
 * @category model
 */
export interface Admitted extends Meta {
  readonly _tag: 'Admitted'
  /** Which protection it waited for. */
  readonly by: 'Bulkhead' | 'RateLimiter'
  /** Milliseconds it waited, more than 0. */
  readonly waited: number
}

/**
 * Every event, one tagged union: switch on `_tag`.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Events, Retry, Schedule, TestClock } from 'fp-ts-retry'
 *
 * const seen: Array<Events.Event['_tag']> = []
 * const call = Retry.retrying(TE.left('503'), Schedule.recurs(1), {
 *   clock: TestClock.make(),
 *   onEvent: (event) => seen.push(event._tag),
 * })
 * await call()
 * seen
 * // => ['AttemptStarted', 'AttemptEnded', 'RetryScheduled', 'AttemptStarted', 'AttemptEnded', 'GaveUp']
 *
 * @since 0.2.0
 * @category model
 */
export type Event<E = unknown> =
  | AttemptStarted
  | AttemptEnded
  | RetryScheduled<E>
  | CallSucceeded
  | GaveUp<E>
  | CallAborted
  | BudgetDecided
  | CircuitChanged
  | TimeoutFired
  | HedgeDecided
  | Rejected
  | Admitted

/**
 * A function that hears events.
 *
 * @since 0.2.0
 * @category model
 */
export type Listener<E = unknown> = (event: Event<E>) => void
