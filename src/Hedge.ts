/**
 * Hedged requests: when an attempt takes longer than most do, send a second
 * copy without stopping the first, and take whichever answers first. Retries
 * fix failures; hedging fixes slowness ("The Tail at Scale", Dean and
 * Barroso, 2013; gRPC's `hedgingPolicy`, gRFC A6; Finagle's
 * `BackupRequestFilter`).
 *
 * - {@link hedging} drives the race with a {@link Schedule.Schedule}: the
 *   delays between attempt starts, and how many attempts in all.
 * - Only a cancellable operation can stop its losers: each attempt gets a
 *   signal of its own, aborted the moment the race is decided. A plain
 *   `TaskEither` cannot be stopped: its losers run on and their late results
 *   are dropped.
 * - The extra load is bounded by a retry budget (gRPC's throttle:
 *   `Budget.throttle`) and by a {@link loadBound}, a cap on hedges as a
 *   fraction of requests (Finagle's `maxExtraLoad`).
 * - {@link afterQuantile} hedges after a rolling latency quantile ("hedge
 *   after the p95") read from a {@link latencyTracker} that the combinator
 *   feeds and every call shares.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/Either'
import type { IO } from 'fp-ts/IO'
import * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type { TaskEither } from 'fp-ts/TaskEither'
import type { Budget } from './Budget'
import * as Clock from './Clock'
import type * as Events from './Events'
import type { Any, Env } from './Operation'
import type { Aborted, Retried } from './Retry'
import type { Schedule, StepContext } from './Schedule'
import { make as makeSchedule } from './Schedule'
import { onAbort } from './internal/abort'
import { show } from './internal/decoder'
import { sanitize } from './internal/delay'
import { dual, firstIsNotSchedule } from './internal/dual'
import { active, emit, within } from './internal/events'
import { hintOf } from './internal/hint'
import { operation, withSignal } from './internal/operation'
import type { AnyOperation } from './internal/operation'
import * as budgets from './internal/budget'
import { guarded } from './internal/report'
import { hasTag } from './internal/tag'
import * as check from './internal/validate'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What a hedging schedule is stepped with, once after each attempt starts: the
 * attempt that has just started and how many attempts are running, itself
 * included. Its answer is the delay until the next attempt starts, or *done*
 * (no further attempt). Any `Schedule<unknown, Out>` takes it.
 *
 * @since 0.2.0
 * @category model
 */
export interface Started {
  /** The attempt that has just started, from 1. */
  readonly attempt: number
  /** The attempts running now, this one included. */
  readonly running: number
}

/**
 * Server pushback (gRFC A6), as the `pushback` option reads it from a
 * non-fatal failure: `RetryIn` starts the next attempt after `millis` ms
 * instead of at once (later ones follow the schedule from there);
 * `DontRetry` starts no further attempt (those running go on; `value` is
 * what the server sent). The same type as `Grpc.Pushback`, so
 * `Grpc.pushbackOf` fits the option as it is.
 *
 * @since 0.2.0
 * @category model
 */
export type Pushback =
  { readonly _tag: 'RetryIn'; readonly millis: number } | { readonly _tag: 'DontRetry'; readonly value: string }

/**
 * The reason every losing attempt's signal is aborted with once the race is
 * decided: `by` is the attempt (from 1) whose result decided it, the winner
 * or the one that failed with a fatal error. (When the caller's own signal
 * fires, the attempts get the caller's reason instead.)
 *
 * @since 0.2.0
 * @category model
 */
export interface Cancelled {
  readonly _tag: 'HedgeCancelled'
  /** The attempt whose result ended the race, from 1. */
  readonly by: number
}

/**
 * Passed to `onHedge` once per extra attempt, just before it starts.
 *
 * @since 0.2.0
 * @category model
 */
export interface HedgeEvent<E> {
  /** The attempt about to start, from 2. */
  readonly attempt: number
  /** Milliseconds since the first attempt started. */
  readonly elapsed: number
  /** The attempts still running, not counting this one. */
  readonly running: number
  /** The non-fatal failure that started it before its delay, or `none` when its delay elapsed. */
  readonly after: O.Option<E>
}

/**
 * A rolling window of the most recent latencies, in milliseconds: what
 * {@link afterQuantile} reads. Pass it as the `tracker` option of
 * {@link hedging}, which records the latency of every successful call (from
 * its first attempt's start to the winning result); share one tracker among
 * every call to one dependency. Memory is bounded: two arrays of `window`
 * numbers. Built with {@link latencyTracker}.
 *
 * @example
 * import * as O from 'fp-ts/Option'
 * import { Hedge } from 'fp-ts-retry'
 *
 * const tracker: Hedge.LatencyTracker = Hedge.latencyTracker({ window: 100 })()
 * ;[12, 9, 30, 11, 10].forEach(tracker.record)
 * tracker.quantile(0.5)
 * // => O.some(11)
 *
 * @since 0.2.0
 * @category model
 */
export interface LatencyTracker {
  readonly _tag: 'LatencyTracker'
  /** How many of the most recent latencies it keeps. */
  readonly window: number
  /** Adds one latency (ms); a value that is not a finite number >= 0 is ignored. */
  readonly record: (ms: number) => void
  /** How many latencies it holds now (at most `window`). */
  readonly size: IO<number>
  /**
   * The `q`-quantile (nearest rank) of the latencies it holds, `none` when it holds none.
   * Throws a `RangeError` when `q` is not in [0, 1].
   */
  readonly quantile: (q: number) => O.Option<number>
}

/**
 * Options of {@link latencyTracker}.
 *
 * @since 0.2.0
 * @category model
 */
export interface LatencyTrackerOptions {
  /** How many of the most recent latencies to keep (default 1,000). */
  readonly window?: number | undefined
}

/**
 * Options of {@link afterQuantile}.
 *
 * @since 0.2.0
 * @category model
 */
export interface AfterQuantileOptions {
  /** The quantile to hedge after, in (0, 1) (default 0.95: "hedge after the p95"). */
  readonly quantile?: number | undefined
  /** The shortest delay, ms (default 0). */
  readonly floor?: number | undefined
  /** The longest delay, ms: also the delay while the tracker holds too few latencies. */
  readonly cap: number
  /** How many latencies the tracker must hold before its quantile is used (default `ceil(1 / (1 - quantile))`, 20 for the p95). */
  readonly minSamples?: number | undefined
}

/**
 * A bound on the extra load hedging adds, as a fraction of requests
 * (Finagle's `maxExtraLoad`): every call deposits `fraction` of a token,
 * every hedge withdraws one, and no hedge starts without a whole token. The
 * bucket starts empty and holds at most `capacity` tokens, so over any run of
 * `n` calls at most `fraction × n + capacity` hedges start (and at most
 * `fraction × n` from the start). Counted in millionths, so it never drifts.
 * Built with {@link loadBound}; share one among every call to one dependency.
 *
 * @example
 * import { Hedge } from 'fp-ts-retry'
 *
 * const bound: Hedge.LoadBound = Hedge.loadBound(0.1)()
 * for (let i = 0; i < 10; i++) bound.recordRequest()
 * bound.tryHedge()
 * // => true
 *
 * @since 0.2.0
 * @category model
 */
export interface LoadBound {
  readonly _tag: 'LoadBound'
  /** The hedges allowed per request. */
  readonly fraction: number
  /** The hedges it allows now (a fraction of one when none). */
  readonly tokens: IO<number>
  /** Called once at the start of every hedging call: deposits `fraction`. */
  readonly recordRequest: () => void
  /** Called before every hedge: `true` allows it (and withdraws a token), `false` refuses it. */
  readonly tryHedge: () => boolean
}

/**
 * Options of {@link loadBound}.
 *
 * @since 0.2.0
 * @category model
 */
export interface LoadBoundOptions {
  /** The most tokens the bucket holds: the largest burst of hedges (default 10, at least 1). */
  readonly capacity?: number | undefined
}

/**
 * Options of {@link hedging}.
 *
 * The callbacks see the operation's error type `E`. In the data-first form
 * (`Hedge.hedging(self, schedule, options)`) it is inferred from the
 * operation; in the data-last form, annotate them and the result accepts only
 * operations whose errors they take. Predicates that accept any value
 * (`Http.isTransient`) fit every operation.
 *
 * @since 0.2.0
 * @category model
 */
export interface HedgeOptions<E> {
  /** Where time is read and the delays slept, with the purpose `'hedge'` (default {@link Clock.live}). */
  readonly clock?: Clock.Clock | undefined
  /** The random source handed to the schedule (default `Math.random`). */
  readonly random?: (() => number) | undefined
  /**
   * The failures after which the other attempts may still succeed: one starts the next attempt at once (if the
   * schedule grants one). Any other failure ends the call with that error, cancelling the rest (gRPC's
   * `nonFatalStatusCodes`). Default: every failure is fatal.
   */
  readonly nonFatal?: ((error: E) => boolean) | undefined
  /**
   * The server pushback a non-fatal failure carries (gRFC A6; `Grpc.pushbackOf` reads gRPC's). Default: a failure
   * with a retry hint (`retryAfter: some(ms)`, as an `Http.HttpError` with `Retry-After`) is `RetryIn` that hint.
   */
  readonly pushback?: ((error: E) => O.Option<Pushback>) | undefined
  /**
   * A budget shared with other calls: each extra attempt starts only if `tryRetry` allows it (asked with the
   * non-fatal failure that started it, or `undefined` when its delay elapsed). With `Budget.throttle()` this is
   * gRPC's throttling: no hedge while the tokens are at or below half. Every failed attempt is recorded, and every
   * successful call: a winning hedge as a retry that succeeded (`recordSuccess(some(what tryRetry was asked))`),
   * so a token bucket refunds it.
   */
  readonly budget?: Budget | undefined
  /** A bound on hedges as a fraction of requests, shared with other calls (see {@link loadBound}). */
  readonly loadBound?: LoadBound | undefined
  /** Records the latency of every successful call, for {@link afterQuantile} (see {@link latencyTracker}). */
  readonly tracker?: LatencyTracker | undefined
  /** Called once per extra attempt, just before it starts. */
  readonly onHedge?: ((event: HedgeEvent<E>) => void) | undefined
}

/**
 * The type of an operation once hedged: a `TaskEither` keeps its exact type;
 * a cancellable `ReaderTaskEither` gains `Retry.Aborted` (the caller's signal
 * fired). Nothing else: hedging adds no failure of its own.
 *
 * @since 0.2.0
 * @category model
 */
export type Hedged<Op> = Retried<Op>

/**
 * What the data-last {@link hedging} returns: it hedges either form of
 * operation whose errors the callbacks accept, and returns the same form (see
 * {@link Hedged}).
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Hedge, Schedule } from 'fp-ts-retry'
 *
 * const twice: Hedge.Hedging<unknown> = Hedge.hedging(Schedule.recurs(1))
 * await twice(TE.right('fast'))()
 * // => { _tag: 'Right', right: 'fast' }
 *
 * @since 0.2.0
 * @category model
 */
export interface Hedging<In> {
  <Op extends Any<In>>(self: Op): Hedged<Op>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** The index of the first element of `sorted[0, n)` that is >= `x`. */
const lowerBound = (sorted: Float64Array, n: number, x: number): number => {
  let lo = 0
  let hi = n
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((sorted[mid] as number) < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * A fresh {@link LatencyTracker}: the most recent `window` latencies (default
 * 1,000), kept in arrival order and in sorted order, so that a quantile is
 * read in constant time and a record costs one binary search and a shift of
 * at most `window` numbers. Created in `IO`: run it once and share it.
 *
 * @example
 * import * as O from 'fp-ts/Option'
 * import { Hedge } from 'fp-ts-retry'
 *
 * const tracker = Hedge.latencyTracker({ window: 3 })()
 * ;[100, 1, 2, 3].forEach(tracker.record) // 100 falls out of the window
 * tracker.quantile(1)
 * // => O.some(3)
 *
 * @throws RangeError when `window` is not a positive integer
 * @since 0.2.0
 * @category constructors
 */
export const latencyTracker = (options: LatencyTrackerOptions = {}): IO<LatencyTracker> => {
  const fn = 'Hedge.latencyTracker'
  const window = options.window ?? 1_000
  if (!(Number.isSafeInteger(window) && window > 0)) check.fail(fn, 'window', 'a positive integer', window)
  return () => {
    const arrivals = new Float64Array(window)
    const sorted = new Float64Array(window)
    let size = 0
    let next = 0 // where the next latency goes in `arrivals`
    const record = (ms: number): void => {
      if (!check.isDelay(ms)) return
      if (size === window) {
        const oldest = arrivals[next] as number
        const at = lowerBound(sorted, size, oldest)
        sorted.copyWithin(at, at + 1, size)
        size -= 1
      }
      const at = lowerBound(sorted, size, ms)
      sorted.copyWithin(at + 1, at, size)
      sorted[at] = ms
      size += 1
      arrivals[next] = ms
      next = (next + 1) % window
    }
    const quantile = (q: number): O.Option<number> => {
      if (!(q >= 0 && q <= 1)) check.fail('LatencyTracker.quantile', 'q', 'a number in [0, 1]', q)
      return size === 0 ? O.none : O.some(sorted[Math.max(0, Math.ceil(q * size) - 1)] as number)
    }
    return { _tag: 'LatencyTracker', window, record, size: () => size, quantile }
  }
}

/**
 * A hedging schedule that waits a rolling latency quantile of recent calls
 * ("hedge after the p95"), read from `tracker` at each step and kept within
 * [`floor`, `cap`]. While the tracker holds fewer than `minSamples`
 * latencies, it waits `cap`. It never ends: bound the attempts with
 * `Schedule.intersect(Schedule.recurs(n))`. Outputs the delay.
 *
 * Pass the same tracker as {@link hedging}'s `tracker` option, which feeds it
 * the latency of every successful call. A call that hedged after the
 * quantile's delay finishes later than that delay, so the fed quantile stays
 * where the attempts' own quantile is. The step only reads the tracker: the
 * schedule can be shared, and `Schedule.simulate` shows the delays it would
 * take now.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Hedge, Schedule } from 'fp-ts-retry'
 *
 * const tracker = Hedge.latencyTracker()()
 * const policy = pipe(Hedge.afterQuantile(tracker, { quantile: 0.95, floor: 5, cap: 1_000 }), Schedule.intersect(Schedule.recurs(1)))
 * Schedule.simulate(policy, [1, 2]) // no latencies yet: the cap
 * // => [1000]
 * for (let ms = 1; ms <= 100; ms++) tracker.record(ms)
 * Schedule.simulate(policy, [1, 2])
 * // => [95]
 *
 * @throws RangeError when `quantile` is not in (0, 1), `floor` or `cap` is not a delay, `cap < floor`, or `minSamples` is not a positive integer
 * @since 0.2.0
 * @category constructors
 */
export const afterQuantile = (tracker: LatencyTracker, options: AfterQuantileOptions): Schedule<unknown, number> => {
  const fn = 'Hedge.afterQuantile'
  const q = options.quantile ?? 0.95
  if (!(q > 0 && q < 1)) check.fail(fn, 'quantile', 'a number in (0, 1)', q)
  const floor = check.delay(fn, 'floor', options.floor ?? 0)
  const cap = check.delay(fn, 'cap', options.cap)
  if (cap < floor) check.fail(fn, 'cap', `at least floor (${floor})`, cap)
  // `- 1e-9`: 1 / (1 - 0.95) is 20.000000000000004 in floating point, and means 20
  const minSamples = options.minSamples ?? Math.ceil(1 / (1 - q) - 1e-9)
  if (!(Number.isSafeInteger(minSamples) && minSamples > 0))
    check.fail(fn, 'minSamples', 'a positive integer', minSamples)
  const current = (): number => {
    if (tracker.size() < minSamples) return cap
    const value = tracker.quantile(q)
    return value._tag === 'Some' ? Math.min(cap, Math.max(floor, value.value)) : cap
  }
  return makeSchedule(0, (n: number) => {
    const delay = current()
    return { _tag: 'Continue', delay, out: delay, state: n + 1 }
  })
}

const MICRO = 1_000_000

/**
 * A fresh {@link LoadBound}: at most `fraction` hedges per request (0.05:
 * five hedges per hundred calls), in bursts of at most `capacity` (default
 * 10). Created in `IO`: run it once and share it among every call to one
 * dependency.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Hedge, Schedule } from 'fp-ts-retry'
 *
 * const loadBound = Hedge.loadBound(0.05)() // one hedge per 20 calls
 * const call = pipe(TE.right('ok'), Hedge.hedging(pipe(Schedule.spaced(10), Schedule.intersect(Schedule.recurs(1))), { loadBound }))
 * for (let i = 0; i < 20; i++) await call()
 * loadBound.tokens()
 * // => 1
 *
 * @throws RangeError when `fraction` is negative, NaN or infinite, or `capacity` is below 1
 * @since 0.2.0
 * @category constructors
 */
export const loadBound = (fraction: number, options: LoadBoundOptions = {}): IO<LoadBound> => {
  const fn = 'Hedge.loadBound'
  check.atLeast(fn, 'fraction', 0, fraction)
  const capacity = check.atLeast(fn, 'capacity', 1, options.capacity ?? 10)
  const deposit = Math.round(fraction * MICRO)
  const max = Math.round(capacity * MICRO)
  return () => {
    let micro = 0
    return {
      _tag: 'LoadBound',
      fraction,
      tokens: () => micro / MICRO,
      recordRequest: () => {
        micro = Math.min(max, micro + deposit)
      },
      tryHedge: () => {
        if (micro < MICRO) return false
        micro -= MICRO
        return true
      },
    }
  }
}

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

type Result = E.Either<unknown, unknown>

/** Whether an attempt resolved to an `Either`; never throws (a throwing getter reads as no `Either`). */
const isEither = (value: unknown): value is Result => {
  if (typeof value !== 'object' || value === null) return false
  try {
    const tag = (value as { readonly _tag?: unknown })._tag
    return tag === 'Right' || tag === 'Left'
  } catch {
    return false
  }
}

/** The defect of a `TaskEither` that resolves to anything but an `Either`, as `Retry` reports it. */
const notAnEither = (value: unknown): TypeError =>
  new TypeError(
    `Hedge: the operation resolved to ${show(value)}, not an Either (a TaskEither must resolve to left(e) or right(a))`,
  )

const never = (): boolean => false

/** The default pushback: a failure's retry hint (`retryAfter: some(ms)`) delays the next attempt. */
const hinted = (error: unknown): O.Option<Pushback> => {
  const hint = hintOf(error)
  return hint === undefined ? O.none : O.some({ _tag: 'RetryIn', millis: hint })
}

const noop = (): void => undefined

/** The reason a hedge timer is stopped with: a constant, so that stopping one allocates no `DOMException`. */
const STOPPED: unique symbol = Symbol('hedge timer stopped')

/**
 * One hedged call: the race of the attempts `self` runs, in the caller's form
 * (`env` is `undefined` for a `TaskEither`). Everything happens in callbacks
 * of one promise; `settle` is the one place the race ends, and it clears the
 * timer, the caller's abort subscription and the losers at once.
 */
const race = (
  self: AnyOperation,
  schedule: Schedule<Started, unknown>,
  options: HedgeOptions<unknown> | undefined,
  env: Env | undefined,
): Promise<Result> =>
  new Promise<Result>((resolve, reject) => {
    const observer = active<Events.Event>()
    const parent = env?.signal
    if (parent !== undefined && parent.aborted) {
      resolve(E.left(abortedBy(parent, O.none)))
      return
    }
    const clock = options?.clock ?? Clock.live
    const nonFatal = options?.nonFatal ?? never
    const pushbackOf = options?.pushback ?? hinted
    const budget = options?.budget
    const bound = options?.loadBound
    const tracker = options?.tracker
    const onHedge = options?.onHedge
    const context: { elapsed: number; random: () => number } = { elapsed: 0, random: options?.random ?? Math.random }
    // the running attempts' controllers (cancellable form only), by attempt number - 1
    const controllers: Array<AbortController | undefined> = []
    // what each hedge's `tryRetry` was asked with (the failure that started it, or undefined), by attempt number - 2
    const asked: Array<unknown> = []
    let started = 0
    let running = 0
    let settled = false
    // the schedule granted one more attempt, not started yet
    let granted = false
    let state = schedule.initial
    let lastError: O.Option<unknown> = O.none
    let timer: AbortController | undefined
    let unsubscribe = noop
    const start = clock.now()
    if (bound !== undefined) guarded(recordRequest, bound, undefined)
    // with a listener: which attempts have ended, by attempt number - 1 (the others lose when one wins)
    const ended: Array<boolean> | undefined = observer === undefined ? undefined : []
    const told = (tag: Events.HedgeDecided['_tag'], attempt: number): void => {
      if (observer !== undefined) emit(observer, { _tag: tag, call: observer.call, time: clock.now(), attempt })
    }
    /** Attempt `n`'s result ends the race: with a listener and a race of more than one, it won and the others lost. */
    const decided = (n: number): void => {
      if (ended === undefined || started < 2) return
      told('HedgeWon', n)
      for (let k = 1; k <= started; k++) if (k !== n && ended[k - 1] !== true) told('HedgeLost', k)
    }

    const stopTimer = (): void => {
      if (timer === undefined) return
      const t = timer
      timer = undefined
      t.abort(STOPPED)
    }

    /** Ends the race once: the timer goes, the caller's signal is released, every running attempt is aborted. */
    const settle = (reason: unknown): boolean => {
      if (settled) return false
      settled = true
      granted = false
      stopTimer()
      unsubscribe()
      for (const controller of controllers) controller?.abort(reason)
      controllers.length = 0
      return true
    }
    const finish = (by: number, result: Result): void => {
      if (settle(cancelledBy(by))) resolve(result)
    }
    const fail = (by: number, defect: unknown): void => {
      if (settle(cancelledBy(by))) reject(defect)
    }
    /** Nothing runs and nothing more will start: every attempt failed, the last error is the result. */
    const endIfIdle = (): void => {
      if (!settled && !granted && running === 0 && lastError._tag === 'Some') finish(started, E.left(lastError.value))
    }

    /** A further attempt may start: the budget and the load bound both allow it (asked without losing tokens). */
    const allowed = (error: unknown): boolean => {
      if (bound !== undefined && !(guarded(tokensOf, bound, 0) >= 1)) return false
      if (budget !== undefined && !budgets.tryRetry(budget, error)) return false
      return bound === undefined || guarded(tryHedge, bound, false)
    }

    const arm = (delay: number): void => {
      stopTimer()
      const t = new AbortController()
      timer = t
      const wake = (): void => {
        if (t.signal.aborted || timer !== t) return
        timer = undefined
        launch(O.none)
        endIfIdle()
      }
      try {
        clock.sleep(delay, t.signal, 'hedge').then(wake, (defect: unknown) => fail(started, defect))
      } catch (defect) {
        fail(started, defect) // a clock that throws breaks its contract: a defect, like a rejection
      }
    }

    const onResult = (n: number, result: unknown): void => {
      if (settled) return // a loser's late result is dropped
      running -= 1
      controllers[n - 1] = undefined
      if (ended !== undefined) ended[n - 1] = true
      if (!isEither(result)) return fail(n, notAnEither(result))
      if (result._tag === 'Right') {
        decided(n)
        // a winning hedge is a retry that succeeded: the budget gets what its `tryRetry` was asked with (a refund)
        if (budget !== undefined) budgets.recordSuccess(budget, n === 1 ? O.none : O.some(asked[n - 2]))
        if (tracker !== undefined) guarded(recordLatency(clock.now() - start), tracker, undefined)
        return finish(n, result)
      }
      const error = result.left
      if (budget !== undefined) budgets.recordFailure(budget, error)
      lastError = O.some(error)
      if (!guarded(nonFatal, error, false)) {
        decided(n)
        return finish(n, result)
      }
      if (granted) {
        const pushback = guarded(pushbackOf, error, O.none)
        const delay =
          pushback._tag === 'Some' && pushback.value._tag === 'RetryIn' ? sanitize(pushback.value.millis) : 0
        if (pushback._tag === 'Some' && pushback.value._tag === 'DontRetry') {
          granted = false
          stopTimer()
        } else if (delay > 0) arm(delay)
        else {
          stopTimer()
          launch(lastError)
        }
      }
      endIfIdle()
    }

    const startAttempt = (): void => {
      started += 1
      running += 1
      const n = started
      let task: Promise<unknown>
      try {
        if (env === undefined) task = self()
        else {
          const controller = new AbortController()
          controllers[n - 1] = controller
          task = self(withSignal(env, controller.signal))()
        }
        // both handlers, always: a loser that rejects after the race is over is dropped, never unhandled
        Promise.resolve(task).then(
          (result) => onResult(n, result),
          (defect: unknown) => {
            if (!settled) fail(n, defect)
          },
        )
      } catch (defect) {
        fail(n, defect)
      }
    }

    /** Starts the attempt the schedule granted (the first needs no grant), then each one a zero delay grants. */
    const launch = (after: O.Option<unknown>): void => {
      for (;;) {
        if (settled) return
        if (started > 0) {
          granted = false
          const trigger = after._tag === 'Some' ? after.value : undefined
          if (!allowed(trigger)) return
          asked.push(trigger)
          if (onHedge !== undefined)
            guarded(onHedge, { attempt: started + 1, elapsed: clock.now() - start, running, after }, undefined)
          if (settled) return
          told('HedgeStarted', started + 1)
        }
        // an attempt that starts on a timer starts within the call's observer too, so the protections inside hear it
        if (observer === undefined) startAttempt()
        else within(observer, startAttempt)
        if (settled) return
        context.elapsed = clock.now() - start
        let decision: ReturnType<Schedule<Started, unknown>['step']>
        try {
          decision = schedule.step(state, { attempt: started, running }, context as StepContext)
        } catch (defect) {
          return fail(started, defect)
        }
        if (decision._tag === 'Done') return
        state = decision.state
        granted = true
        const delay = sanitize(decision.delay)
        if (delay > 0) return arm(delay)
        after = O.none
      }
    }

    if (parent !== undefined)
      unsubscribe = onAbort(parent, () => {
        if (settle(parent.reason)) resolve(E.left(abortedBy(parent, lastError)))
      })
    launch(O.none)
  })

const abortedBy = (signal: AbortSignal, lastError: O.Option<unknown>): Aborted<unknown> => ({
  _tag: 'Aborted',
  reason: signal.reason,
  lastError,
})
const cancelledBy = (by: number): Cancelled => ({ _tag: 'HedgeCancelled', by })
const recordRequest = (bound: LoadBound): void => bound.recordRequest()
const recordLatency =
  (ms: number) =>
  (tracker: LatencyTracker): void =>
    tracker.record(ms)
const tokensOf = (bound: LoadBound): number => bound.tokens()
const tryHedge = (bound: LoadBound): boolean => bound.tryHedge()

const hedged =
  (schedule: Schedule<Started, unknown>, options: HedgeOptions<unknown> | undefined) =>
  (self: AnyOperation): AnyOperation =>
    operation((env) => race(self, schedule, options, env))

/**
 * Hedges an operation: starts it, and each time the schedule's delay elapses
 * with no success yet, starts it again without stopping the attempts running.
 * The first success wins, and every other attempt's signal is aborted at once
 * (with a {@link Cancelled} reason). The schedule is stepped once after each
 * attempt starts ({@link Started}): its delay is the time until the next
 * start, and when it is done no further attempt starts, so it also bounds the
 * attempts (`Schedule.spaced(10)` with `Schedule.recurs(2)`: up to three
 * attempts, 10 ms apart).
 *
 * - A failure that `nonFatal` accepts starts the next granted attempt at once
 *   (after its pushback, if it carries one: see `pushback`); any other
 *   failure ends the call with that error and cancels the rest (gRPC
 *   semantics). By default every failure is fatal.
 * - When every attempt has failed and no further one may start, the result is
 *   the **last** error to arrive, typed `E`, as `Retry.retrying` returns its
 *   last `Left`.
 * - Extra attempts start only while `budget` and `loadBound` allow; once one
 *   refuses, the call starts no more and waits for those running.
 * - A cancellable operation's attempts each get a signal of their own, which
 *   fires when the caller's fires or when the attempt loses; the caller's
 *   abort ends the call with `Retry.Aborted` (see {@link Operation}). A plain
 *   `TaskEither` cannot be cancelled: its losers run on in the background,
 *   and their late results (or rejections) are dropped. Hedge only idempotent
 *   operations: more than one attempt may take effect.
 * - An attempt that rejects (or throws) while the race is on is a defect
 *   (see {@link Operation}): the others are cancelled.
 * - No timer or listener is left once the call settles. The delays are slept
 *   on `options.clock` with the purpose `'hedge'`
 *   (`TestClock.whenSleeping(1, 'hedge')`).
 *
 * Data-first: `Hedge.hedging(self, schedule, options)`, which types the
 * callbacks by the operation's error.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Hedge, Operation, Schedule, TestClock } from 'fp-ts-retry'
 *
 * const clock = TestClock.make()
 * let calls = 0
 * // the first call hangs for a second, the others answer in 5 ms
 * const lookup = ({ signal }: Operation.Env): TE.TaskEither<string, string> => async () => {
 *   const n = ++calls
 *   await clock.sleep(n === 1 ? 1_000 : 5, signal)
 *   return signal.aborted ? { _tag: 'Left', left: 'cancelled' } : { _tag: 'Right', right: `answer ${n}` }
 * }
 * const policy = pipe(Schedule.spaced(10), Schedule.intersect(Schedule.recurs(1))) // one hedge, after 10 ms
 *
 * const running = Operation.run(pipe(lookup, Hedge.hedging(policy, { clock })))()
 * await clock.adjust(15)
 * await running // the hedge won at 15 ms; the first call's signal was aborted
 * // => { _tag: 'Right', right: 'answer 2' }
 *
 * // data-first, with non-fatal failures typed by the operation
 * const failsFast: TE.TaskEither<{ readonly status: number }, string> = TE.left({ status: 503 })
 * await Hedge.hedging(failsFast, policy, { clock, nonFatal: (e) => e.status === 503 })()
 * // => { _tag: 'Left', left: { status: 503 } }
 * // (both attempts failed at once: the last error)
 *
 * @since 0.2.0
 * @category combinators
 */
export function hedging<E, A, Out>(
  self: TaskEither<E, A>,
  schedule: Schedule<Started, Out>,
  options?: HedgeOptions<E>,
): TaskEither<E, A>
export function hedging<R extends Env, E, A, Out>(
  self: ReaderTaskEither<R, E, A>,
  schedule: Schedule<Started, Out>,
  options?: HedgeOptions<E>,
): ReaderTaskEither<R, E | Aborted<E>, A>
export function hedging<Out, H = unknown>(schedule: Schedule<Started, Out>, options?: HedgeOptions<H>): Hedging<H>
export function hedging(...args: ReadonlyArray<unknown>): unknown {
  return hedgingDual(args)
}

const hedgingDual = /* @__PURE__ */ dual(
  firstIsNotSchedule,
  (schedule: Schedule<Started, unknown>, options?: HedgeOptions<unknown>) => hedged(schedule, options),
)

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * True for the {@link Cancelled} reason a losing attempt's signal is aborted
 * with: an attempt can tell "I lost the race" from "the caller left". Accepts
 * any value.
 *
 * @example
 * import { Hedge } from 'fp-ts-retry'
 *
 * Hedge.isCancelled({ _tag: 'HedgeCancelled', by: 1 })
 * // => true
 *
 * @since 0.2.0
 * @category utils
 */
export const isCancelled: (reason: unknown) => reason is Cancelled = /* @__PURE__ */ hasTag<Cancelled>('HedgeCancelled')
