/**
 * A circuit breaker: stops calling a dependency that keeps failing, so that
 * it can recover, and fails those calls at once with a typed
 * {@link CircuitOpen} saying when to try again.
 *
 * Closed (calls pass) -> Open (calls fail at once) after N consecutive
 * failures, or a failure rate over a sliding window of calls -> HalfOpen (a
 * few probe calls pass) after a delay, which may be a schedule -> Closed after
 * M successful probes, or Open again after a failed one. Time is read from the
 * injected clock; nothing runs on a timer.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'
import type { IO } from 'fp-ts/IO'
import * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type { TaskEither } from 'fp-ts/TaskEither'
import * as Clock from './Clock'
import { isHealthFailure } from './internal/classify'
import { asDefect, isDefect } from './internal/defect'
import { dual, firstIsFunction } from './internal/dual'
import { sanitize } from './internal/delay'
import { active, emit } from './internal/events'
import type { Observer } from './internal/events'
import { guarded } from './internal/report'
import { operation } from './internal/operation'
import type { AnyOperation } from './internal/operation'
import type * as Events from './Events'
import type { Any, Env, Widen } from './Operation'
import { hasTag } from './internal/tag'
import * as check from './internal/validate'
import * as Schedule from './Schedule'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The three states of a breaker.
 *
 * @since 0.1.0
 * @category model
 */
export type State = 'Closed' | 'Open' | 'HalfOpen'

/**
 * The failure of a call the breaker did not let through. `retryAt` is the
 * clock time from which a probe may pass; `retryAfter` the milliseconds until
 * then (0 when the breaker is half-open and its probes are all in flight):
 * the retry hint that `Schedule.waitForHint` makes a retry wait out.
 *
 * @since 0.1.0
 * @category model
 */
export interface CircuitOpen {
  readonly _tag: 'CircuitOpen'
  /** `Open`, or `HalfOpen` when every probe slot is taken. */
  readonly state: 'Open' | 'HalfOpen'
  /** Clock time (ms) from which the breaker lets a probe through. */
  readonly retryAt: number
  /** The retry hint: `retryAt - now`, in milliseconds (always `some`). */
  readonly retryAfter: O.Option<number>
}

/**
 * A transition, given to listeners.
 *
 * @since 0.1.0
 * @category model
 */
export interface StateChange {
  readonly from: State
  readonly to: State
  /** Clock time of the change, in milliseconds. */
  readonly at: number
}

/**
 * The permission to make one call, given by {@link CircuitBreaker.acquire}:
 * report its outcome exactly once.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { CircuitBreaker } from 'fp-ts-retry'
 *
 * const breaker = CircuitBreaker.make()()
 * const permit = breaker.acquire()
 * if (E.isRight(permit)) permit.right.onSuccess()
 * breaker.state()
 * // => 'Closed'
 *
 * @since 0.1.0
 * @category model
 */
export interface Permit {
  /** The call succeeded. */
  readonly onSuccess: () => void
  /** The call failed with `error` (counted as a success when `isFailure(error)` is false). */
  readonly onFailure: (error: unknown) => void
}

/**
 * A breaker, shared by every call to one dependency. Wrap calls with
 * {@link protect}; `acquire` is the low-level form for other kinds of code.
 *
 * @example
 * import { CircuitBreaker } from 'fp-ts-retry'
 *
 * const breaker: CircuitBreaker.CircuitBreaker = CircuitBreaker.make({ consecutiveFailures: 3 })()
 * breaker.state()
 * // => 'Closed'
 *
 * @since 0.1.0
 * @category model
 */
export interface CircuitBreaker {
  readonly _tag: 'CircuitBreaker'
  /** The current state (an open breaker whose delay has passed reads, and becomes, `HalfOpen`). */
  readonly state: IO<State>
  /** Asks to make one call: a {@link Permit}, or a {@link CircuitOpen} failure. */
  readonly acquire: IO<E.Either<CircuitOpen, Permit>>
  /** Calls `listener` on every state change; returns the `IO` that unsubscribes it. */
  readonly subscribe: (listener: (change: StateChange) => void) => IO<void>
}

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category model
 */
export interface Options {
  /** Where time is read (default {@link Clock.live}). */
  readonly clock?: Clock.Clock | undefined
  /**
   * Opens after this many failures in a row (an integer >= 1). Default 5, or
   * off when `failureRate` is given.
   */
  readonly consecutiveFailures?: number | undefined
  /**
   * Opens when, over the last `window` calls (and at least `minimumCalls`),
   * the share of failures is at least `threshold` (in (0, 1]).
   */
  readonly failureRate?:
    { readonly threshold: number; readonly window: number; readonly minimumCalls: number } | undefined
  /**
   * How long it stays open before letting probes through: milliseconds
   * (default 10 s), or a schedule stepped once per opening in a row (with the
   * failure that opened it), so that repeated openings can back off. When the
   * schedule is done, its last delay is kept. It starts afresh once closed.
   */
  readonly halfOpenAfter?: number | Schedule.Schedule<unknown, unknown> | undefined
  /** How many successful probes close it (default 1); at most this many probe at once. */
  readonly probes?: number | undefined
  /**
   * How long a probe may stay unreported (default 30 s): a probe that never
   * settles counts as a failed one once its lease is over, so the breaker
   * opens again instead of staying half-open, refusing every call, forever.
   */
  readonly probeLease?: number | undefined
  /**
   * Which errors count as failures; the others count as successes (a 404 says
   * the service is up). Default: the transient failures that came from the
   * dependency (as `Http.isTransient`: network errors, timeouts, 408, 429 and
   * 5xx statuses worth retrying, or as the server's `x-should-retry` says), not the rejections of this process's own
   * protections (an inner breaker's `CircuitOpen`, a `RateLimited`, a
   * `BulkheadRejected`); a 400, 401 or 404, or any error the library does not
   * know, counts as a success. Pass `() => true` to count every error.
   */
  readonly isFailure?: ((error: unknown) => boolean) | undefined
  /** The random source for a jittered `halfOpenAfter` schedule (default `Math.random`). */
  readonly random?: (() => number) | undefined
  /** A first listener, as if passed to `subscribe`. */
  readonly onStateChange?: ((change: StateChange) => void) | undefined
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Creates a breaker, in `IO`: each run is a fresh, closed breaker. Share one
 * value between all the calls to one dependency.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { CircuitBreaker, TestClock } from 'fp-ts-retry'
 *
 * const clock = TestClock.make()
 * const breaker = CircuitBreaker.make({ clock, consecutiveFailures: 2, halfOpenAfter: 5_000 })()
 * // a transient failure counts (see `isFailure`): here, a timeout
 * const call = pipe(TE.left({ _tag: 'TimeoutError', timeout: 1_000 } as const), CircuitBreaker.protect(breaker))
 * await call()
 * await call()
 * await call()
 * // => left({ _tag: 'CircuitOpen', state: 'Open', retryAt: 5000, retryAfter: some(5000) })
 *
 * @throws RangeError when a count is not a positive integer, a delay is negative, NaN or infinite, or `threshold` is outside (0, 1]
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): IO<CircuitBreaker> => {
  const fn = 'CircuitBreaker.make'
  const rate = options.failureRate
  const consecutive =
    options.consecutiveFailures === undefined
      ? rate === undefined
        ? 5
        : Infinity
      : positive(fn, 'consecutiveFailures', options.consecutiveFailures)
  const windowSize = rate === undefined ? 0 : positive(fn, 'failureRate.window', rate.window)
  const minimumCalls = rate === undefined ? 0 : positive(fn, 'failureRate.minimumCalls', rate.minimumCalls)
  if (rate !== undefined && minimumCalls > windowSize)
    check.fail(fn, 'failureRate.minimumCalls', `at most window (${windowSize})`, minimumCalls)
  const threshold = rate === undefined ? Infinity : rate.threshold
  if (rate !== undefined && !(threshold > 0 && threshold <= 1))
    check.fail(fn, 'failureRate.threshold', 'a number in (0, 1]', threshold)
  const delays = halfOpenSchedule(fn, options.halfOpenAfter ?? 10_000)
  const probes = positive(fn, 'probes', options.probes ?? 1)
  const isFailureOption = options.isFailure ?? isHealthFailure
  // a defect always counts; a throwing isFailure is reported and counts as a failure: conservative, never stuck
  const isFailure = (error: unknown): boolean => isDefect(error) || guarded(isFailureOption, error, true)
  const lease = check.delay(fn, 'probeLease', options.probeLease ?? 30_000)
  const clock = options.clock ?? Clock.live
  const random = options.random ?? Math.random

  return () => {
    let state: State = 'Closed'
    let generation = 0
    // Closed: failures in a row, and the last `windowSize` outcomes (true = failure) in a ring.
    let failuresInRow = 0
    const ring: Array<boolean> = []
    let ringNext = 0
    let ringFailures = 0
    // Open: when probes may start, and the half-open schedule's progress.
    let retryAt = 0
    let delayState = delays.initial
    let lastDelay = 0
    // HalfOpen: probes let through and probes that succeeded in this generation.
    let admitted = 0
    let succeeded = 0
    // the start times of the probes of this generation not yet reported, in the order they started
    let probing: Array<{ readonly at: number }> = []
    const listeners = new Set<(change: StateChange) => void>()
    if (options.onStateChange !== undefined) listeners.add(options.onStateChange)

    const moveTo = (to: State, now: number) => {
      const from = state
      state = to
      generation += 1
      const change: StateChange = { from, to, at: now }
      // every listener hears of the change, whatever an earlier one throws
      listeners.forEach((listener) => guarded(listener, change, undefined))
    }

    const open = (error: unknown, now: number) => {
      const decision = guarded(
        (input: unknown) => delays.step(delayState, input, { elapsed: 0, random }),
        error,
        undefined,
      )
      if (decision !== undefined && decision._tag === 'Continue') {
        delayState = decision.state
        lastDelay = sanitize(decision.delay)
      }
      retryAt = now + lastDelay
      moveTo('Open', now)
    }

    const close = (now: number) => {
      failuresInRow = 0
      ring.length = 0
      ringNext = 0
      ringFailures = 0
      delayState = delays.initial
      lastDelay = 0
      moveTo('Closed', now)
    }

    /** Open -> HalfOpen once the delay has passed. */
    const refresh = (now: number) => {
      if (state === 'Open' && now >= retryAt) {
        admitted = 0
        succeeded = 0
        probing = []
        moveTo('HalfOpen', now)
      } else if (state === 'HalfOpen' && probing.length > 0 && now - (probing[0]?.at ?? now) >= lease)
        open({ _tag: 'TimeoutError', timeout: lease }, now) // the oldest probe's lease is over: a failed probe
    }

    const recordClosed = (failed: boolean, error: unknown) => {
      failuresInRow = failed ? failuresInRow + 1 : 0
      if (windowSize > 0) {
        if (ring.length < windowSize) ring.push(failed)
        else {
          if (ring[ringNext] === true) ringFailures -= 1
          ring[ringNext] = failed
        }
        ringNext = (ringNext + 1) % windowSize
        if (failed) ringFailures += 1
      }
      const tripped =
        failuresInRow >= consecutive ||
        (ring.length >= minimumCalls && ring.length > 0 && ringFailures / ring.length >= threshold)
      if (failed && tripped) open(error, clock.now())
    }

    const record = (admittedIn: number, failed: boolean, error: unknown) => {
      if (admittedIn !== generation) return // a late outcome from before the last change
      if (state === 'Closed') recordClosed(failed, error)
      else if (state === 'HalfOpen') {
        if (failed) open(error, clock.now())
        else if (++succeeded >= probes) close(clock.now())
      }
    }

    const permit = (admittedIn: number, probe: { readonly at: number } | undefined): Permit => {
      let reported = false
      const settle = (): boolean => {
        if (reported) return false
        reported = true
        if (probe !== undefined) probing = probing.filter((p) => p !== probe)
        return true
      }
      return {
        onSuccess: () => {
          if (settle()) record(admittedIn, false, undefined)
        },
        onFailure: (error) => {
          if (settle()) record(admittedIn, isFailure(error), error)
        },
      }
    }

    const acquire = (): E.Either<CircuitOpen, Permit> => {
      const now = clock.now()
      refresh(now)
      if (state === 'Closed') return E.right(permit(generation, undefined))
      if (state === 'HalfOpen' && admitted < probes) {
        admitted += 1
        const probe = { at: now }
        probing.push(probe)
        return E.right(permit(generation, probe))
      }
      const at = state === 'Open' ? retryAt : now
      return E.left({ _tag: 'CircuitOpen', state, retryAt: at, retryAfter: O.some(at - now) })
    }

    return {
      _tag: 'CircuitBreaker',
      state: () => {
        refresh(clock.now())
        return state
      },
      acquire,
      subscribe: (listener) => {
        const own = (change: StateChange) => listener(change)
        listeners.add(own)
        return () => {
          listeners.delete(own)
        }
      },
    }
  }
}

const positive = (fn: string, param: string, value: number): number =>
  Number.isSafeInteger(value) && value >= 1 ? value : check.fail(fn, param, 'an integer >= 1', value)

const halfOpenSchedule = (
  fn: string,
  halfOpenAfter: number | Schedule.Schedule<unknown, unknown>,
): Schedule.Schedule<unknown, unknown> =>
  typeof halfOpenAfter === 'number' ? Schedule.spaced(check.delay(fn, 'halfOpenAfter', halfOpenAfter)) : halfOpenAfter

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * What the data-last {@link protect} returns: it guards either form of
 * operation and returns the same form, its error type widened with
 * {@link CircuitOpen}.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { CircuitBreaker } from 'fp-ts-retry'
 *
 * const guarded: CircuitBreaker.Protected = CircuitBreaker.protect(CircuitBreaker.make()())
 * await guarded(TE.right('ok'))()
 * // => { _tag: 'Right', right: 'ok' }
 *
 * @since 0.2.0
 * @category model
 */
export interface Protected {
  <Op extends Any>(self: Op): Widen<Op, CircuitOpen>
}

/**
 * Runs an operation through a breaker: while the breaker is open the call
 * fails at once with {@link CircuitOpen} (the operation does not run);
 * otherwise it runs and its outcome is recorded. A rejection (a defect) is
 * recorded as a failure, whatever `isFailure` says, and propagates. Either form of operation; a
 * cancellable one gets the caller's environment as it is.
 *
 * Put it inside the retry, so that each attempt asks the breaker, and let the
 * schedule wait for it with `Schedule.waitForHint`, which waits out the
 * `CircuitOpen`'s `retryAfter`.
 *
 * Data-first: `CircuitBreaker.protect(self, breaker)`.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { CircuitBreaker, Retry, Schedule } from 'fp-ts-retry'
 *
 * const breaker = CircuitBreaker.make({ consecutiveFailures: 5 })()
 * const getUser: TE.TaskEither<string, string> = TE.right('ada')
 * const call = pipe(
 *   getUser,
 *   CircuitBreaker.protect(breaker),
 *   Retry.retrying(pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(3)), Schedule.waitForHint(30_000))),
 * )
 * await call()
 * // => { _tag: 'Right', right: 'ada' }
 *
 * @since 0.1.0
 * @category combinators
 */
export function protect<E, A>(self: TaskEither<E, A>, breaker: CircuitBreaker): TaskEither<E | CircuitOpen, A>
export function protect<R extends Env, E, A>(
  self: ReaderTaskEither<R, E, A>,
  breaker: CircuitBreaker,
): ReaderTaskEither<R, E | CircuitOpen, A>
export function protect(breaker: CircuitBreaker): Protected
export function protect(...args: ReadonlyArray<unknown>): unknown {
  return protectDual(args)
}

const protectDual = /* @__PURE__ */ dual(
  firstIsFunction,
  (breaker: CircuitBreaker) => (self: AnyOperation) => guard(self, breaker),
)

const guard = (self: AnyOperation, breaker: CircuitBreaker): AnyOperation =>
  operation(async (env) => {
    const observer = active<Events.Event>()
    if (observer !== undefined) return observed(self, breaker, env, observer)
    const permit = breaker.acquire()
    if (E.isLeft(permit)) return permit
    let result: E.Either<unknown, unknown>
    try {
      result = await (env === undefined ? self() : self(env)())
    } catch (defect) {
      permit.right.onFailure(asDefect(defect))
      throw defect
    }
    if (E.isRight(result)) permit.right.onSuccess()
    else permit.right.onFailure(result.left)
    return result
  })

/**
 * {@link guard} for a call with a listener: the transitions this call causes (its admission, its outcome) are
 * `CircuitChanged` events, a refusal a `Rejected` one. Listening only while the breaker decides for this call, so
 * another call's transitions are not reported as this one's.
 */
const observed = async (
  self: AnyOperation,
  breaker: CircuitBreaker,
  env: Env | undefined,
  observer: Observer<Events.Event>,
): Promise<E.Either<unknown, unknown>> => {
  const changed = (change: StateChange) =>
    emit(observer, { _tag: 'CircuitChanged', call: observer.call, time: change.at, from: change.from, to: change.to })
  const deciding = <T>(decide: () => T): T => {
    const unsubscribe = breaker.subscribe(changed)
    try {
      return decide()
    } finally {
      unsubscribe()
    }
  }
  const permit = deciding(() => breaker.acquire())
  if (E.isLeft(permit)) {
    // the breaker's time of the refusal: retryAt - retryAfter (always some)
    const time = permit.left.retryAt - O.getOrElse(() => 0)(permit.left.retryAfter)
    emit(observer, { _tag: 'Rejected', call: observer.call, time, failure: permit.left })
    return permit
  }
  let result: E.Either<unknown, unknown>
  try {
    result = await (env === undefined ? self() : self(env)())
  } catch (defect) {
    deciding(() => permit.right.onFailure(asDefect(defect)))
    throw defect
  }
  if (E.isRight(result)) deciding(() => permit.right.onSuccess())
  else deciding(() => permit.right.onFailure(result.left))
  return result
}

/**
 * True for a {@link CircuitOpen} failure. Accepts any value.
 *
 * @example
 * import * as O from 'fp-ts/Option'
 * import { CircuitBreaker } from 'fp-ts-retry'
 *
 * CircuitBreaker.isCircuitOpen({ _tag: 'CircuitOpen', state: 'Open', retryAt: 10, retryAfter: O.some(10) })
 * // => true
 *
 * @since 0.1.0
 * @category utils
 */
export const isCircuitOpen: (error: unknown) => error is CircuitOpen =
  /* @__PURE__ */ hasTag<CircuitOpen>('CircuitOpen')
