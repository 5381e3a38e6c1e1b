/**
 * Bulkheads: cap how many calls to one dependency run at once, so that a
 * slow dependency cannot exhaust the process, and queue the calls over the
 * cap in arrival order (FIFO), each for a bounded time.
 *
 * A call that cannot be admitted fails with a typed {@link BulkheadRejected}:
 * the queue is full, it waited longer than `queueTimeout`, or its caller's
 * signal fired while it waited. A waiter that leaves (timed out or aborted)
 * leaves the queue at once, in constant time, and never holds a slot.
 *
 * The cap is a number, or an adaptive {@link Limit} that follows the
 * concurrency the dependency can take: {@link aimd} and {@link gradient2},
 * the algorithms of Netflix's `concurrency-limits`, with its parameters and
 * defaults. Each call's outcome (success, ignore, dropped: the three
 * outcomes of that library's listener) feeds the limit.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/Either'
import type { IO } from 'fp-ts/IO'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type { TaskEither } from 'fp-ts/TaskEither'
import * as Clock from './Clock'
import type * as Events from './Events'
import { onAbort } from './internal/abort'
import { active, emit, runWithin } from './internal/events'
import type { Observer } from './internal/events'
import { clocked, nowOf } from './internal/clocks'
import { operation } from './internal/operation'
import { dual, firstIsFunction } from './internal/dual'
import type { AnyOperation } from './internal/operation'
import type { Any, Env, Widen } from './Operation'
import { guarded } from './internal/report'
import { hasTag } from './internal/tag'
import * as check from './internal/validate'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The failure of a call the bulkhead did not admit: one shape for the three
 * reasons, with the counts at that moment (this call not included).
 *
 * - `'full'`: every slot was taken and the queue was full; the call never waited.
 * - `'queueTimeout'`: it waited `queueTimeout` ms without a slot.
 * - `'aborted'`: its caller's signal fired while it waited (or before).
 *
 * @since 0.2.0
 * @category model
 */
export interface BulkheadRejected {
  readonly _tag: 'BulkheadRejected'
  readonly reason: 'full' | 'queueTimeout' | 'aborted'
  /** Calls holding a slot at that moment. */
  readonly running: number
  /** Calls waiting at that moment, this one not included. */
  readonly queued: number
  /** The concurrency limit at that moment (an adaptive limit's current value). */
  readonly maxConcurrent: number
  /** The queue's capacity. */
  readonly maxQueue: number
}

/**
 * How a call that held a slot ended, as an adaptive limit reads it: the
 * three outcomes of the listener of Netflix's `concurrency-limits`.
 *
 * - `'success'`: its round-trip time is a sample (`onSuccess`).
 * - `'ignore'`: it failed before its time meant anything (a bad request, a
 *   cancelled call): no sample (`onIgnore`).
 * - `'dropped'`: the dependency pushed back (a timeout, a 429 or a 503): a
 *   sample that says *too much* (`onDropped`); a loss-based limit backs off.
 *
 * @since 0.2.0
 * @category model
 */
export type Outcome = 'success' | 'ignore' | 'dropped'

/**
 * The slot of one admitted call, given by {@link Bulkhead.acquire}: report
 * how the call ended exactly once (later reports are ignored), which frees
 * the slot for the next waiter.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { Bulkhead } from 'fp-ts-retry'
 *
 * const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: 0 })()
 * const permit = await bulkhead.acquire()
 * if (E.isRight(permit)) permit.right.onSuccess()
 * bulkhead.running()
 * // => 0
 *
 * @since 0.2.0
 * @category model
 */
export interface Permit {
  /** The call succeeded: its round-trip time is a sample. */
  readonly onSuccess: () => void
  /** The call failed before its time meant anything: no sample. */
  readonly onIgnore: () => void
  /** The dependency pushed back (a timeout, a 429, a 503): a loss sample. */
  readonly onDropped: () => void
  /** The call failed with `error`: the bulkhead's `outcomeOf` picks one of the three above. */
  readonly onFailure: (error: unknown) => void
}

/**
 * A change of an adaptive bulkhead's limit, given to `onLimitChange`.
 *
 * @since 0.2.0
 * @category model
 */
export interface LimitChange {
  readonly from: number
  readonly to: number
  /** Clock time of the change, in milliseconds. */
  readonly at: number
}

/**
 * A bulkhead, shared by every call to one dependency. Wrap calls with
 * {@link limit}; `acquire` is the low-level form for other kinds of code.
 * The counts are exact at every moment.
 *
 * @example
 * import { Bulkhead } from 'fp-ts-retry'
 *
 * const bulkhead: Bulkhead.Bulkhead = Bulkhead.make({ maxConcurrent: 10, maxQueue: 100 })()
 * ;[bulkhead.running(), bulkhead.queued(), bulkhead.maxConcurrent()]
 * // => [0, 0, 10]
 *
 * @since 0.2.0
 * @category model
 */
export interface Bulkhead {
  readonly _tag: 'Bulkhead'
  /** Calls holding a slot now. */
  readonly running: IO<number>
  /** Calls waiting for a slot now. */
  readonly queued: IO<number>
  /** The concurrency limit now: `maxConcurrent`, or the adaptive limit's current value. */
  readonly maxConcurrent: IO<number>
  /** How many calls may wait (the `maxQueue` it was made with). */
  readonly maxQueue: number
  /**
   * Asks for a slot: a {@link Permit} at once when one is free and nobody
   * waits, else after the calls queued before this one (FIFO), or a
   * {@link BulkheadRejected}. When `signal` fires while the call waits, it
   * leaves the queue at once.
   */
  readonly acquire: (signal?: AbortSignal) => Promise<E.Either<BulkheadRejected, Permit>>
}

/**
 * One sample for an adaptive {@link Limit}: what Netflix's `Limit.onSample`
 * receives.
 *
 * @since 0.2.0
 * @category model
 */
export interface Sample {
  /** Clock time of the call's admission, in milliseconds (only {@link windowed} reads it). */
  readonly start: number
  /** Milliseconds from the call's admission to its outcome. */
  readonly rtt: number
  /** Calls holding a slot when it was admitted, itself included. */
  readonly inflight: number
  /** Whether its outcome was `'dropped'`. */
  readonly didDrop: boolean
}

/**
 * An adaptive concurrency limit: pure data, like a schedule. `update` never
 * mutates its state; `limit` reads the current limit from a state, always an
 * integer within the algorithm's `[min, max]`. One value may serve any
 * number of bulkheads, each with its own state.
 *
 * Build one with {@link aimd} or {@link gradient2}; see them step with
 * {@link simulateLimit}.
 *
 * @example
 * import { Bulkhead } from 'fp-ts-retry'
 *
 * const limit: Bulkhead.Limit = Bulkhead.aimd({ initialLimit: 10, minLimit: 5 })
 * limit.limit(limit.initial)
 * // => 10
 *
 * @since 0.2.0
 * @category model
 */
export interface Limit {
  readonly _tag: 'Limit'
  /** The algorithm's name, for logs. */
  readonly name: 'AIMD' | 'Gradient2' | (string & {})
  /** The state every bulkhead starts from. */
  readonly initial: unknown
  /** The limit in a state: an integer within `[min, max]`. */
  readonly limit: (state: unknown) => number
  /** One pure step: the state after `sample`. */
  readonly update: (state: unknown, sample: Sample) => unknown
}

/**
 * Options of {@link make}.
 *
 * @since 0.2.0
 * @category model
 */
export interface Options {
  /**
   * How many calls may hold a slot at once: an integer >= 1, or an adaptive
   * {@link Limit} ({@link aimd}, {@link gradient2}) that moves it.
   */
  readonly maxConcurrent: number | Limit
  /** How many calls may wait for a slot: an integer >= 0 (0: no queue), or `Infinity`. */
  readonly maxQueue: number
  /** How long a call may wait for a slot, in milliseconds (default: until admitted or aborted). */
  readonly queueTimeout?: number | undefined
  /** Where queue timeouts are timed and round trips measured (default {@link Clock.live}); sleeps have the purpose `'queue'`. */
  readonly clock?: Clock.Clock | undefined
  /**
   * How a failed call feeds an adaptive limit (default {@link defaultOutcome}):
   * `'dropped'` for a pushback, `'ignore'` for a failure whose time means
   * nothing, `'success'` to count its time as a normal sample.
   */
  readonly outcomeOf?: ((error: unknown) => Outcome) | undefined
  /** Called when an adaptive limit changes (a listener that throws is reported, never thrown into the call). */
  readonly onLimitChange?: ((change: LimitChange) => void) | undefined
}

// -------------------------------------------------------------------------------------
// adaptive limits
// -------------------------------------------------------------------------------------

/**
 * Options of {@link aimd}: the parameters of Netflix's `AIMDLimit`, with its
 * defaults.
 *
 * @since 0.2.0
 * @category model
 */
export interface AimdOptions {
  /** The limit a bulkhead starts with (default 20); brought into `[minLimit, maxLimit]`. */
  readonly initialLimit?: number | undefined
  /** The limit never goes below this (default 20). */
  readonly minLimit?: number | undefined
  /** The limit never goes above this (default 200). */
  readonly maxLimit?: number | undefined
  /** A drop multiplies the limit by this, rounded down (default 0.9; within [0.5, 1)). */
  readonly backoffRatio?: number | undefined
  /** A sample slower than this many milliseconds counts as a drop (default 5,000). */
  readonly timeout?: number | undefined
}

/**
 * Options of {@link gradient2}: the parameters of Netflix's
 * `Gradient2Limit`, with its defaults, and the guard against the growth of
 * its PR #134.
 *
 * @since 0.2.0
 * @category model
 */
export interface Gradient2Options {
  /** The limit a bulkhead starts with (default 20); brought into `[minLimit, maxConcurrency]`. */
  readonly initialLimit?: number | undefined
  /** The limit never goes below this (default 20). */
  readonly minLimit?: number | undefined
  /** The limit never goes above this (default 200). */
  readonly maxConcurrency?: number | undefined
  /**
   * How far one sample moves the limit toward its new estimate (default
   * 0.2; in (0, 1]): 1 replaces the limit with the estimate.
   */
  readonly smoothing?: number | undefined
  /**
   * How much the limit may grow per sample while latency stays low, as a
   * number or a function of the current limit (default 4). Netflix's paper
   * suggests `Math.sqrt(limit)`.
   */
  readonly queueSize?: number | ((limit: number) => number) | undefined
  /** Samples in the long-term RTT's exponential average (default 600; the first 10 are a plain average). */
  readonly longWindow?: number | undefined
  /**
   * How much slower than the long-term RTT a sample may be before the limit
   * shrinks (default 1.5; at least 1): 2 accepts calls twice as slow.
   */
  readonly rttTolerance?: number | undefined
  /**
   * The guard against unbounded growth (default `true`): see {@link gradient2}.
   * `false` gives the published formula exactly, for comparison.
   */
  readonly guardGrowth?: boolean | undefined
}

const integerAtLeast = (fn: string, param: string, min: number, value: number): number =>
  Number.isSafeInteger(value) && value >= min ? value : check.fail(fn, param, `an integer >= ${min}`, value)

const bounds = (fn: string, maxName: string, initial: number, min: number, max: number) => {
  const lo = integerAtLeast(fn, 'minLimit', 1, min)
  const hi = integerAtLeast(fn, maxName, 1, max)
  if (lo > hi) check.fail(fn, maxName, `at least minLimit (${lo})`, hi)
  const start = integerAtLeast(fn, 'initialLimit', 1, initial)
  return { lo, hi, start: Math.min(hi, Math.max(lo, start)) }
}

/** A sample's fields as numbers an algorithm can trust: NaN, negative and infinite values become 0. */
const clean = (sample: Sample): Sample => ({
  start: Number.isFinite(sample.start) ? sample.start : 0,
  rtt: Number.isFinite(sample.rtt) && sample.rtt > 0 ? sample.rtt : 0,
  inflight: Number.isFinite(sample.inflight) && sample.inflight > 0 ? sample.inflight : 0,
  didDrop: sample.didDrop === true,
})

/**
 * AIMD, additive increase and multiplicative decrease: the loss-based limit
 * of Netflix's `concurrency-limits` (`AIMDLimit`). On each sample:
 *
 * - a drop, or a sample slower than `timeout`: `limit = floor(limit * backoffRatio)`;
 * - else, when the call found at least half the limit in use
 *   (`inflight * 2 >= limit`): `limit = limit + 1`;
 * - then the limit is brought into `[minLimit, maxLimit]`.
 *
 * It reacts to losses only: give it a `timeout` near the latency you accept,
 * or it grows until the dependency times out or sheds load.
 *
 * @example
 * import { Bulkhead } from 'fp-ts-retry'
 *
 * const limit = Bulkhead.aimd({ initialLimit: 10, minLimit: 1 })
 * Bulkhead.simulateLimit(limit, [
 *   { start: 0, rtt: 10, inflight: 10, didDrop: false },
 *   { start: 0, rtt: 10, inflight: 11, didDrop: false },
 *   { start: 0, rtt: 10, inflight: 2, didDrop: false },
 *   { start: 0, rtt: 10, inflight: 12, didDrop: true },
 * ])
 * // => [11, 12, 12, 10]
 *
 * @throws RangeError when a limit is not an integer >= 1, `minLimit > maxLimit`, `backoffRatio` is outside [0.5, 1) or `timeout` is not a positive number of milliseconds
 * @since 0.2.0
 * @category constructors
 */
export const aimd = (options: AimdOptions = {}): Limit => {
  const fn = 'Bulkhead.aimd'
  const { lo, hi, start } = bounds(
    fn,
    'maxLimit',
    options.initialLimit ?? 20,
    options.minLimit ?? 20,
    options.maxLimit ?? 200,
  )
  const ratio = options.backoffRatio ?? 0.9
  if (!(ratio >= 0.5 && ratio < 1)) check.fail(fn, 'backoffRatio', 'a number in [0.5, 1)', ratio)
  const timeout = check.delay(fn, 'timeout', options.timeout ?? 5_000)
  if (timeout === 0) check.fail(fn, 'timeout', 'a positive number of milliseconds', timeout)
  return {
    _tag: 'Limit',
    name: 'AIMD',
    initial: start,
    limit: (state) => state as number,
    update: (state, raw) => {
      const sample = clean(raw)
      const current = state as number
      const next =
        sample.didDrop || sample.rtt > timeout
          ? Math.floor(current * ratio)
          : sample.inflight * 2 >= current
            ? current + 1
            : current
      return Math.min(hi, Math.max(lo, next))
    },
  }
}

/** The state of a Gradient2 limit: the estimate (a real number) and the long-term RTT's exponential average. */
interface Gradient2State {
  readonly estimate: number
  readonly longRtt: number
  /** Samples in the warm-up average so far (up to {@link WARMUP}) and their sum. */
  readonly count: number
  readonly sum: number
}

/** Samples averaged plainly before the long-term RTT becomes an exponential average (Netflix's `ExpAvgMeasurement`). */
const WARMUP = 10

/**
 * Gradient2: the latency-based limit of Netflix's `concurrency-limits`
 * (`Gradient2Limit`). It compares each sample's RTT (`shortRtt`) with a
 * long-term exponential average (`longRtt`, over `longWindow` samples), and
 * on each sample:
 *
 * - when `longRtt / shortRtt > 2` (latency fell back after a long overload),
 *   `longRtt` is cut by 5 %;
 * - when the call found less than half the limit in use, nothing changes (the
 *   limit is not what holds the traffic back);
 * - else `gradient = max(0.5, min(1, rttTolerance * longRtt / shortRtt))`,
 *   `estimate = limit * gradient + queueSize`, and
 *   `limit = limit * (1 - smoothing) + estimate * smoothing`, within
 *   `[minLimit, maxConcurrency]`. The bulkhead uses its integer part.
 *
 * **The guard** (`guardGrowth`, on by default) against the unbounded growth
 * reported in the library's PR #134: there, under modest overload the
 * `queueSize` term outweighs a gradient a little below 1, and the long-term
 * average follows the latency that this growth causes, so the limit climbs
 * until `maxConcurrency`. The guard changes three things:
 *
 * 1. `queueSize` is added only when no queueing is seen (`gradient` is 1), as
 *    PR #134 proposes;
 * 2. a drop counts as the steepest gradient, 0.5 (the published algorithm
 *    ignores drops), as PR #134 proposes;
 * 3. once warmed up, `longRtt` does not rise on a sample that found the limit
 *    saturated (`inflight >= limit`) while the limit is above `minLimit`: the
 *    latency of our own queueing never becomes the baseline. It still falls
 *    at once, and rises again on samples taken below the limit or at
 *    `minLimit`, so it follows a dependency that became slower for good.
 *
 * Rules 1 and 2 alone do not stop the climb when latency grows with
 * concurrency and nothing is dropped (the baseline still follows); rule 3
 * does (see test/Bulkhead.test.ts). Without queueing or drops the guard
 * changes nothing: the steps are the published ones.
 *
 * @example
 * import { Bulkhead } from 'fp-ts-retry'
 *
 * const limit = Bulkhead.gradient2({ initialLimit: 20, minLimit: 1, smoothing: 1 })
 * Bulkhead.simulateLimit(limit, [
 *   { start: 0, rtt: 10, inflight: 20, didDrop: false }, // gradient 1: 20 * 1 + 4
 *   { start: 0, rtt: 20, inflight: 24, didDrop: false }, // longRtt 15, gradient min(1, 1.5 * 15 / 20): 24 + 4
 *   { start: 0, rtt: 10, inflight: 2, didDrop: false }, // less than half in use: unchanged
 * ])
 * // => [24, 28, 28]
 *
 * @throws RangeError when a limit or `longWindow` is not an integer >= 1, `minLimit > maxConcurrency`, `smoothing` is outside (0, 1], `rttTolerance < 1` or a `queueSize` number is negative or not finite
 * @since 0.2.0
 * @category constructors
 */
export const gradient2 = (options: Gradient2Options = {}): Limit => {
  const fn = 'Bulkhead.gradient2'
  const { lo, hi, start } = bounds(
    fn,
    'maxConcurrency',
    options.initialLimit ?? 20,
    options.minLimit ?? 20,
    options.maxConcurrency ?? 200,
  )
  const smoothing = options.smoothing ?? 0.2
  if (!(smoothing > 0 && smoothing <= 1)) check.fail(fn, 'smoothing', 'a number in (0, 1]', smoothing)
  const queueOption = options.queueSize ?? 4
  const queueSize =
    typeof queueOption === 'number'
      ? (
          (q: number) => () =>
            q
        )(check.atLeast(fn, 'queueSize', 0, queueOption))
      : (limit: number) => {
          const q = guarded(queueOption, limit, 4)
          return Number.isFinite(q) && q > 0 ? q : 0
        }
  const window = integerAtLeast(fn, 'longWindow', 1, options.longWindow ?? 600)
  const factor = 2 / (window + 1)
  const tolerance = check.atLeast(fn, 'rttTolerance', 1, options.rttTolerance ?? 1.5)
  const guard = options.guardGrowth ?? true
  const initial: Gradient2State = { estimate: start, longRtt: 0, count: 0, sum: 0 }
  return {
    _tag: 'Limit',
    name: 'Gradient2',
    initial,
    limit: (state) => Math.floor((state as Gradient2State).estimate),
    update: (state, raw) => {
      const sample = clean(raw)
      const s = state as Gradient2State
      const estimate = s.estimate
      const q = queueSize(Math.floor(estimate))
      const shortRtt = sample.rtt
      let { longRtt, count, sum } = s
      if (count < WARMUP) {
        count += 1
        sum += shortRtt
        longRtt = sum / count
      } else {
        const saturated = sample.inflight >= Math.floor(estimate) && Math.floor(estimate) > lo
        if (!(guard && saturated && shortRtt > longRtt)) longRtt = longRtt * (1 - factor) + shortRtt * factor
      }
      // latency fell back after a long overload: bring the baseline down faster than the average would
      const ratio = shortRtt > 0 ? longRtt / shortRtt : Infinity
      if (ratio > 2) longRtt *= 0.95
      const next = { estimate, longRtt, count, sum }
      if (sample.inflight < estimate / 2) return next // the limit is not what holds the traffic back
      const gradient = guard && sample.didDrop ? 0.5 : Math.max(0.5, Math.min(1, tolerance * ratio))
      const target = estimate * gradient + (guard && gradient < 1 ? 0 : q)
      const smoothed = estimate * (1 - smoothing) + target * smoothing
      return { ...next, estimate: Math.max(lo, Math.min(hi, smoothed)) }
    },
  }
}

/**
 * Options of {@link windowed}: the parameters of Netflix's `WindowedLimit`,
 * with its defaults.
 *
 * @since 0.2.0
 * @category model
 */
export interface WindowOptions {
  /** The shortest window, in milliseconds (default 1,000; at least 100). */
  readonly minWindowTime?: number | undefined
  /** The longest window, in milliseconds (default 1,000; at least `minWindowTime`). */
  readonly maxWindowTime?: number | undefined
  /** A window with fewer samples is dropped, not passed on (default 10; at least 10). */
  readonly windowSize?: number | undefined
  /** Samples faster than this many milliseconds are ignored (default 0.1). */
  readonly minRttThreshold?: number | undefined
}

/** The state of a windowed limit: the wrapped limit's, the window being filled, and when it closes. */
interface WindowState {
  readonly inner: unknown
  readonly nextUpdate: number
  readonly minRtt: number
  readonly sum: number
  readonly maxInflight: number
  readonly count: number
  readonly didDrop: boolean
}

/**
 * A limit that sees one sample per window of time instead of one per call:
 * Netflix's `WindowedLimit`, the way its README installs `Gradient2Limit`.
 * Samples are gathered until a call ends after the window's end; the window
 * then closes, and if it holds at least `windowSize` samples, `self` steps
 * once with their mean RTT, their highest `inflight`, and whether any was
 * dropped. The next window lasts twice the window's lowest RTT, within
 * `[minWindowTime, maxWindowTime]`.
 *
 * A per-sample limit reacts to hundreds of calls before the first of them
 * shows the effect of a change; one step per window of at least two round
 * trips sees the effect of its last step. Use it with {@link gradient2}, and
 * with {@link aimd} under high call rates.
 *
 * @example
 * import { Bulkhead } from 'fp-ts-retry'
 *
 * const limit = Bulkhead.windowed(Bulkhead.aimd({ initialLimit: 10, minLimit: 1 }), { minWindowTime: 100, maxWindowTime: 100 })
 * const sample = (start: number): Bulkhead.Sample => ({ start, rtt: 10, inflight: 10, didDrop: false })
 * // the first call closes the empty first window; the next window ends at 110 and passes on the 10 calls in it
 * Bulkhead.simulateLimit(limit, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110].map(sample))
 * // => [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 11]
 *
 * @throws RangeError when `minWindowTime` is below 100, `maxWindowTime` below `minWindowTime`, `windowSize` is not an integer >= 10, or `minRttThreshold` is negative or not finite
 * @since 0.2.0
 * @category combinators
 */
export const windowed = (self: Limit, options: WindowOptions = {}): Limit => {
  const fn = 'Bulkhead.windowed'
  const minWindow = check.atLeast(fn, 'minWindowTime', 100, options.minWindowTime ?? 1_000)
  const maxWindow = check.atLeast(fn, 'maxWindowTime', minWindow, options.maxWindowTime ?? Math.max(1_000, minWindow))
  const size = integerAtLeast(fn, 'windowSize', 10, options.windowSize ?? 10)
  const threshold = check.atLeast(fn, 'minRttThreshold', 0, options.minRttThreshold ?? 0.1)
  const empty = { minRtt: Infinity, sum: 0, maxInflight: 0, count: 0, didDrop: false }
  const initial: WindowState = { inner: self.initial, nextUpdate: 0, ...empty }
  return {
    _tag: 'Limit',
    name: `Windowed(${self.name})`,
    initial,
    limit: (state) => self.limit((state as WindowState).inner),
    update: (state, raw) => {
      const sample = clean(raw)
      const s = state as WindowState
      if (sample.rtt < threshold) return s
      const win = {
        minRtt: Math.min(s.minRtt, sample.rtt),
        sum: s.sum + sample.rtt,
        maxInflight: Math.max(s.maxInflight, sample.inflight),
        count: s.count + 1,
        didDrop: s.didDrop || sample.didDrop,
      }
      const end = sample.start + sample.rtt
      if (!(end > s.nextUpdate)) return { ...s, ...win }
      const nextUpdate = end + Math.min(Math.max(win.minRtt * 2, minWindow), maxWindow)
      const ready = win.count >= size && win.minRtt < Infinity
      const inner = ready
        ? self.update(s.inner, {
            start: sample.start,
            rtt: win.sum / win.count,
            inflight: win.maxInflight,
            didDrop: win.didDrop,
          })
        : s.inner
      return { inner, nextUpdate, ...empty }
    },
  }
}

/**
 * Steps an adaptive limit purely over `samples` and returns the limit after
 * each: how to see an algorithm (or a choice of parameters) react before
 * running it.
 *
 * @example
 * import { Bulkhead } from 'fp-ts-retry'
 *
 * Bulkhead.simulateLimit(Bulkhead.aimd(), [{ start: 0, rtt: 9_000, inflight: 20, didDrop: false }])
 * // => [20]
 * // (a sample slower than 5 s is a drop: floor(20 * 0.9) = 18, then the minimum, 20)
 *
 * @since 0.2.0
 * @category utils
 */
export const simulateLimit = (limit: Limit, samples: ReadonlyArray<Sample>): ReadonlyArray<number> => {
  let state = limit.initial
  return samples.map((sample) => {
    state = limit.update(state, sample)
    return limit.limit(state)
  })
}

// -------------------------------------------------------------------------------------
// outcomes
// -------------------------------------------------------------------------------------

/**
 * The default `outcomeOf` of {@link make}: how a failed call feeds an
 * adaptive limit. Read by `_tag` (and status), so it accepts any value:
 *
 * - `'dropped'`: a `TimeoutError`, an `HttpError` with status 429 or 503
 *   (the dependency's own limit), as Netflix's gRPC client drops on
 *   `UNAVAILABLE`;
 * - `'ignore'`: anything else: the call failed for a reason its time says
 *   nothing about (a 400, a decode error, an inner limiter's rejection), as
 *   Netflix's client ignores other statuses.
 *
 * A call whose own signal fired while it ran is ignored too (a cancelled
 * call), unless the signal's reason is a `TimeoutError` (a timeout around the
 * bulkhead): that is a drop.
 *
 * @example
 * import { Bulkhead } from 'fp-ts-retry'
 *
 * [{ _tag: 'TimeoutError', timeout: 1_000 }, { _tag: 'HttpError', status: 503 }, { _tag: 'HttpError', status: 404 }].map(
 *   Bulkhead.defaultOutcome,
 * )
 * // => ['dropped', 'dropped', 'ignore']
 *
 * @since 0.2.0
 * @category utils
 */
export const defaultOutcome = (error: unknown): Outcome => {
  if (typeof error !== 'object' || error === null) return 'ignore'
  try {
    const { _tag, status } = error as { _tag?: unknown; status?: unknown }
    if (_tag === 'TimeoutError') return 'dropped'
    if (_tag === 'HttpError' && (status === 429 || status === 503)) return 'dropped'
    return 'ignore'
  } catch {
    return 'ignore'
  }
}

/**
 * True for a {@link BulkheadRejected} failure. Accepts any value.
 *
 * @example
 * import { Bulkhead } from 'fp-ts-retry'
 *
 * Bulkhead.isBulkheadRejected({ _tag: 'BulkheadRejected', reason: 'full', running: 1, queued: 0, maxConcurrent: 1, maxQueue: 0 })
 * // => true
 *
 * @since 0.2.0
 * @category utils
 */
export const isBulkheadRejected: (error: unknown) => error is BulkheadRejected =
  /* @__PURE__ */ hasTag<BulkheadRejected>('BulkheadRejected')

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** A waiting call: a node of the queue's doubly linked list, so that leaving it takes constant time. */
interface Waiter {
  prev: Waiter | undefined
  next: Waiter | undefined
  /** Admitted or rejected: settled once. */
  settled: boolean
  /** Ends the waiter's abort subscription and queue timer. */
  stop: () => void
  readonly resolve: (result: E.Either<BulkheadRejected, Permit>) => void
}

const noop = (): void => undefined

/**
 * Creates a bulkhead, in `IO`: each run is a fresh, empty bulkhead. Share
 * one value between all the calls to one dependency.
 *
 * Admission is FIFO: a call is admitted at once only when a slot is free and
 * nobody waits; otherwise it joins the back of the queue (or fails with
 * `'full'` when the queue is full). A slot freed goes to the oldest waiter.
 * A waiter whose signal fires, or whose `queueTimeout` expires, leaves the
 * queue at once (constant time, whatever the queue's length) and fails with
 * `'aborted'` or `'queueTimeout'`; it never holds a slot. Its timer and its
 * abort listener go with it.
 *
 * With an adaptive `maxConcurrent` (a {@link Limit}), every call's outcome
 * is a sample: its round trip from admission to outcome, the calls in flight
 * when it was admitted, and whether it was dropped. When the limit falls
 * below the calls running, they finish; no new call is admitted until one
 * more than the excess has.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Bulkhead, TestClock } from 'fp-ts-retry'
 *
 * const clock = TestClock.make()
 * const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 100, clock })()
 * const slow = pipe(() => clock.sleep(1_000).then(() => TE.right('done')()), Bulkhead.limit(bulkhead))
 * const first = slow()
 * const second = slow() // waits in the queue
 * const third = await slow() // the queue is full
 * third
 * // => { _tag: 'Left', left: { _tag: 'BulkheadRejected', reason: 'full', running: 1, queued: 1, maxConcurrent: 1, maxQueue: 1 } }
 * await clock.adjust(100)
 * await second
 * // => { _tag: 'Left', left: { _tag: 'BulkheadRejected', reason: 'queueTimeout', running: 1, queued: 0, maxConcurrent: 1, maxQueue: 1 } }
 * await clock.adjust(900)
 * await first
 * // => { _tag: 'Right', right: 'done' }
 *
 * @throws RangeError when `maxConcurrent` is not an integer >= 1 (or a Limit), `maxQueue` is not an integer >= 0 nor `Infinity`, or `queueTimeout` is negative, NaN or infinite
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: Options): IO<Bulkhead> => {
  const fn = 'Bulkhead.make'
  const algorithm: Limit | undefined = typeof options.maxConcurrent === 'number' ? undefined : options.maxConcurrent
  const fixed =
    typeof options.maxConcurrent === 'number' ? integerAtLeast(fn, 'maxConcurrent', 1, options.maxConcurrent) : 0
  if (algorithm !== undefined && (typeof algorithm !== 'object' || algorithm === null || algorithm._tag !== 'Limit'))
    check.fail(fn, 'maxConcurrent', 'an integer >= 1 or a Bulkhead.Limit', algorithm)
  const maxQueue =
    options.maxQueue === Infinity ? Infinity : integerAtLeast(fn, 'maxQueue', 0, options.maxQueue as number)
  const queueTimeout =
    options.queueTimeout === undefined ? undefined : check.delay(fn, 'queueTimeout', options.queueTimeout)
  const clock = options.clock ?? Clock.live
  const outcomeOf = options.outcomeOf ?? defaultOutcome
  const onLimitChange = options.onLimitChange

  return () => {
    let running = 0
    let queued = 0
    let head: Waiter | undefined
    let tail: Waiter | undefined
    let state = algorithm?.initial
    const limitOf = (s: unknown): number => {
      if (algorithm === undefined) return fixed
      const value = guarded(algorithm.limit, s, 1)
      return Number.isFinite(value) && value >= 1 ? Math.floor(value) : 1
    }
    let current = limitOf(state)

    const rejection = (reason: BulkheadRejected['reason']): BulkheadRejected => ({
      _tag: 'BulkheadRejected',
      reason,
      running,
      queued,
      maxConcurrent: current,
      maxQueue,
    })

    const unlink = (w: Waiter) => {
      if (w.prev === undefined) head = w.next
      else w.prev.next = w.next
      if (w.next === undefined) tail = w.prev
      else w.next.prev = w.prev
      w.prev = w.next = undefined
      queued -= 1
    }

    /** Gives free slots to the oldest waiters. */
    const drain = () => {
      while (head !== undefined && running < current) {
        const w = head
        unlink(w)
        w.settled = true
        w.stop()
        running += 1
        w.resolve(E.right(permit(running)))
      }
    }

    const sample = (start: number, inflight: number, outcome: Outcome) => {
      if (algorithm === undefined || outcome === 'ignore') return
      const rtt = clock.now() - start
      const next = guarded(
        (s: unknown) => algorithm.update(s, { start, rtt, inflight, didDrop: outcome === 'dropped' }),
        state,
        state,
      )
      state = next
      const from = current
      current = limitOf(next)
      if (current !== from && onLimitChange !== undefined)
        guarded(onLimitChange, { from, to: current, at: clock.now() }, undefined)
    }

    const permit = (inflight: number): Permit => {
      const start = clock.now()
      let reported = false
      const release = (outcome: Outcome) => {
        if (reported) return
        reported = true
        running -= 1
        sample(start, inflight, outcome)
        drain()
      }
      return {
        onSuccess: () => release('success'),
        onIgnore: () => release('ignore'),
        onDropped: () => release('dropped'),
        onFailure: (error) => release(guarded(outcomeOf, error, 'ignore')),
      }
    }

    const acquire = (signal?: AbortSignal): Promise<E.Either<BulkheadRejected, Permit>> => {
      if (signal?.aborted) return Promise.resolve(E.left(rejection('aborted')))
      if (head === undefined && running < current) {
        running += 1
        return Promise.resolve(E.right(permit(running)))
      }
      if (queued >= maxQueue) return Promise.resolve(E.left(rejection('full')))
      return new Promise((resolve) => {
        const w: Waiter = { prev: tail, next: undefined, settled: false, stop: noop, resolve }
        if (tail === undefined) head = w
        else tail.next = w
        tail = w
        queued += 1
        const leave = (reason: 'queueTimeout' | 'aborted') => {
          if (w.settled) return
          w.settled = true
          unlink(w)
          w.stop()
          resolve(E.left(rejection(reason)))
        }
        const unsubscribe = signal === undefined ? noop : onAbort(signal, () => leave('aborted'))
        let timer: AbortController | undefined
        if (queueTimeout !== undefined) {
          const own = new AbortController()
          timer = own
          void clock.sleep(queueTimeout, own.signal, 'queue').then(() => {
            if (!own.signal.aborted) leave('queueTimeout')
          })
        }
        w.stop = () => {
          unsubscribe()
          timer?.abort()
        }
      })
    }

    return clocked(
      {
        _tag: 'Bulkhead',
        running: () => running,
        queued: () => queued,
        maxConcurrent: () => current,
        maxQueue,
        acquire,
      },
      clock,
    )
  }
}

const rejected = (observer: Observer<Events.Event>, bulkhead: Bulkhead, failure: BulkheadRejected): void =>
  emit(observer, { _tag: 'Rejected', call: observer.call, time: nowOf(bulkhead), failure })

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * What the data-last {@link limit} returns: it limits either form of
 * operation and returns the same form, its error type widened with
 * {@link BulkheadRejected}.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Bulkhead } from 'fp-ts-retry'
 *
 * const limited: Bulkhead.Limited = Bulkhead.limit(Bulkhead.make({ maxConcurrent: 4, maxQueue: 16 })())
 * await limited(TE.right('ok'))()
 * // => { _tag: 'Right', right: 'ok' }
 *
 * @since 0.2.0
 * @category model
 */
export interface Limited {
  <Op extends Any>(self: Op): Widen<Op, BulkheadRejected>
}

/**
 * Runs an operation through a bulkhead: it waits for a slot (FIFO, bounded
 * by `maxQueue`, `queueTimeout` and the caller's signal), runs, and frees the
 * slot when it settles, reporting its outcome to an adaptive limit (a
 * success; a failure as `outcomeOf` says; a call cancelled by its own signal
 * is ignored). A rejection (a defect) frees the slot, is ignored by the
 * limit, and propagates. Either form of operation; a cancellable one gets the
 * caller's environment as it is, and leaves the queue at once when its
 * signal fires.
 *
 * Where to put it: inside the retry, so that each attempt takes a slot (and
 * a backoff holds none); outside a per-attempt `Timeout.timeout`, so that the
 * time limit runs from admission; outside `CircuitBreaker.protect`, so that
 * the breaker never counts the bulkhead's own rejections as the
 * dependency's failures.
 *
 * Data-first: `Bulkhead.limit(self, bulkhead)`.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Bulkhead, Retry, Schedule, Timeout } from 'fp-ts-retry'
 *
 * const bulkhead = Bulkhead.make({ maxConcurrent: 8, maxQueue: 100, queueTimeout: 1_000 })()
 * const getUser: TE.TaskEither<string, string> = TE.right('ada')
 * const call = pipe(
 *   getUser,
 *   Timeout.timeout(2_000),
 *   Bulkhead.limit(bulkhead),
 *   Retry.retrying(pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(3)))),
 * )
 * await call()
 * // => { _tag: 'Right', right: 'ada' }
 *
 * @since 0.2.0
 * @category combinators
 */
export function limit<E, A>(self: TaskEither<E, A>, bulkhead: Bulkhead): TaskEither<E | BulkheadRejected, A>
export function limit<R extends Env, E, A>(
  self: ReaderTaskEither<R, E, A>,
  bulkhead: Bulkhead,
): ReaderTaskEither<R, E | BulkheadRejected, A>
export function limit(bulkhead: Bulkhead): Limited
export function limit(...args: ReadonlyArray<unknown>): unknown {
  return limitDual(args)
}

const limitDual = /* @__PURE__ */ dual(
  firstIsFunction,
  (bulkhead: Bulkhead) => (self: AnyOperation) => limited(self, bulkhead),
)

const isTimeoutReason = (reason: unknown): boolean =>
  typeof reason === 'object' && reason !== null && (reason as { _tag?: unknown })._tag === 'TimeoutError'

const limited = (self: AnyOperation, bulkhead: Bulkhead): AnyOperation =>
  operation(async (env) => {
    const observer = active<Events.Event>()
    const signal = env?.signal
    const since = observer === undefined ? 0 : nowOf(bulkhead)
    const acquired = await bulkhead.acquire(signal)
    if (E.isLeft(acquired)) {
      if (observer !== undefined) rejected(observer, bulkhead, acquired.left)
      return acquired
    }
    const permit = acquired.right
    if (signal?.aborted) {
      // aborted between admission and now: the slot goes back before the operation starts
      permit.onIgnore()
      const failure: BulkheadRejected = {
        _tag: 'BulkheadRejected',
        reason: 'aborted',
        running: bulkhead.running(),
        queued: bulkhead.queued(),
        maxConcurrent: bulkhead.maxConcurrent(),
        maxQueue: bulkhead.maxQueue,
      }
      if (observer !== undefined) rejected(observer, bulkhead, failure)
      return E.left(failure)
    }
    if (observer !== undefined) {
      const time = nowOf(bulkhead)
      if (time > since)
        emit(observer, { _tag: 'Admitted', call: observer.call, time, by: 'Bulkhead', waited: time - since })
    }
    let result: E.Either<unknown, unknown>
    try {
      // started after a wait: within the call's observer again, so the protections inside hear it
      result = await runWithin(observer, self, env)
    } catch (defect) {
      permit.onIgnore()
      throw defect
    }
    if (signal?.aborted) {
      if (isTimeoutReason(signal.reason)) permit.onDropped()
      else permit.onIgnore()
    } else if (E.isRight(result)) permit.onSuccess()
    else permit.onFailure(result.left)
    return result
  })
