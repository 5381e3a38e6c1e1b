/**
 * Client-side rate limits: keep a client under an upstream quota instead of
 * discovering it through 429s.
 *
 * A limiter is a token bucket: it holds up to `burst` tokens and gains
 * `rate` tokens every `interval`; each call takes one. A call that finds no
 * token waits for one, in arrival order (FIFO), bounded by `maxWait` and by
 * its caller's signal, or, when its wait would be longer than `maxWait`,
 * fails at once with a typed {@link RateLimited} whose `retryAfter` says when
 * a token would be there: the retry hint that `Schedule.waitForHint` waits
 * out, as it does a `Retry-After`. A throttled response's own `Retry-After`
 * feeds the limiter back, so one 429 slows the calls that follow.
 *
 * {@link awsAdaptive} is the client-side rate limiter of the AWS SDKs'
 * adaptive retry mode (`DefaultRateLimiter` of `@smithy/util-retry`): its
 * fill rate follows the throttling errors the calls meet, by CUBIC.
 *
 * Time is read and slept on the injected clock (sleeps have the purpose
 * `'rateLimit'`), so every test runs in virtual time.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/Either'
import type { IO } from 'fp-ts/IO'
import * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type { TaskEither } from 'fp-ts/TaskEither'
import { isAwsThrottlingError } from './Budget'
import * as Clock from './Clock'
import type * as Events from './Events'
import { onAbort } from './internal/abort'
import { MAX_DELAY } from './internal/delay'
import { active, emit, runWithin } from './internal/events'
import { hintOf } from './internal/hint'
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
 * The failure of a call the limiter did not let through.
 *
 * - `'limit'`: no token within `maxWait` (at once, when the wait was known to
 *   be longer, or at the end of `maxWait`). `retryAfter` is the wait a call
 *   arriving now would have for its token, in milliseconds: the retry hint.
 * - `'aborted'`: its caller's signal fired while it waited; `retryAfter` is
 *   `none` (there is no later for a call its caller gave up).
 *
 * @since 0.2.0
 * @category model
 */
export interface RateLimited {
  readonly _tag: 'RateLimited'
  readonly reason: 'limit' | 'aborted'
  /** The retry hint, in milliseconds: `some` for `'limit'`, `none` for `'aborted'`. */
  readonly retryAfter: O.Option<number>
  /** Calls waiting for a token at that moment, this one not included. */
  readonly queued: number
}

/**
 * A rate limiter, shared by every call under one quota. Wrap calls with
 * {@link limit}, which takes a token before each run and reports each
 * outcome; `acquire` and the `record` functions are the low-level form.
 *
 * @example
 * import { RateLimit, TestClock } from 'fp-ts-retry'
 *
 * const limiter: RateLimit.RateLimiter = RateLimit.make({ rate: 10, burst: 5, clock: TestClock.make() })()
 * ;[limiter.tokens(), limiter.rate()]
 * // => [5, 10]
 *
 * @since 0.2.0
 * @category model
 */
export interface RateLimiter {
  readonly _tag: 'RateLimiter'
  /** Which limiter this is: {@link make}'s token bucket or {@link awsAdaptive}. */
  readonly kind: 'TokenBucket' | 'AwsAdaptive'
  /**
   * Takes one token: at once when there is one and nobody waits, else after
   * the calls that asked before (FIFO), or a {@link RateLimited}. When
   * `signal` fires while the call waits, it leaves at once, without a token.
   */
  readonly acquire: (signal?: AbortSignal) => Promise<E.Either<RateLimited, void>>
  /** Reports a call that succeeded (the adaptive limiter raises its rate). */
  readonly recordSuccess: () => void
  /**
   * Reports a call that failed with `error`. A throttling error (as
   * `isThrottling` says) that carries a `retryAfter` hint holds every token
   * for that long; the adaptive limiter also lowers its rate.
   */
  readonly recordFailure: (error: unknown) => void
  /** Hands out no token for `ms` milliseconds, and then starts from an empty bucket. */
  readonly hold: (ms: number) => void
  /** Tokens in the bucket now (fractions included). */
  readonly tokens: IO<number>
  /** Tokens gained per second now; `Infinity` while an adaptive limiter has seen no throttling (it limits nothing yet). */
  readonly rate: IO<number>
  /** Calls waiting for a token now. */
  readonly queued: IO<number>
}

/**
 * Options of {@link make}.
 *
 * @since 0.2.0
 * @category model
 */
export interface Options {
  /** Tokens gained every `interval` (a positive number). */
  readonly rate: number
  /** The period of `rate`, in milliseconds (default 1,000: `rate` is per second). */
  readonly interval?: number | undefined
  /** The bucket's size: how many calls may go at once after a quiet time (default `rate`, at least 1). It starts full. */
  readonly burst?: number | undefined
  /**
   * How long a call may wait for its token, in milliseconds (default
   * `Infinity`: until it has one or its signal fires). A call whose wait would
   * be longer fails at once; 0 never waits.
   */
  readonly maxWait?: number | undefined
  /**
   * Which failures are throttling, whose `retryAfter` hint holds the bucket
   * (default `Budget.isAwsThrottlingError`: status 429, the AWS throttling
   * error names).
   */
  readonly isThrottling?: ((error: unknown) => boolean) | undefined
  /** Where time is read and slept (default {@link Clock.live}). */
  readonly clock?: Clock.Clock | undefined
}

/**
 * Options of {@link awsAdaptive}: the parameters of `DefaultRateLimiter`
 * (`@smithy/util-retry`), with its defaults, plus this library's `maxWait`,
 * `isThrottling` and `clock`.
 *
 * @since 0.2.0
 * @category model
 */
export interface AwsAdaptiveOptions {
  /** A throttle multiplies the rate by this (default 0.7; in (0, 1)). */
  readonly beta?: number | undefined
  /** The bucket never holds fewer than this many tokens when full (default 1). */
  readonly minCapacity?: number | undefined
  /** The fill rate never goes below this, in tokens per second (default 0.5). */
  readonly minFillRate?: number | undefined
  /** CUBIC's scale constant `C`: how fast the rate grows back after a throttle (default 0.4). */
  readonly scaleConstant?: number | undefined
  /** The weight of the newest measurement in the smoothed send rate (default 0.8; in (0, 1]). */
  readonly smooth?: number | undefined
  /** As {@link Options}' `maxWait` (default `Infinity`, as the SDK waits). */
  readonly maxWait?: number | undefined
  /** Which failures are throttling (default `Budget.isAwsThrottlingError`, the SDK's `isThrottlingError`). */
  readonly isThrottling?: ((error: unknown) => boolean) | undefined
  /** Where time is read and slept (default {@link Clock.live}). */
  readonly clock?: Clock.Clock | undefined
}

// -------------------------------------------------------------------------------------
// the bucket
// -------------------------------------------------------------------------------------

/** A waiting call: a node of a doubly linked list, so that leaving the queue takes constant time. */
interface Waiter {
  prev: Waiter | undefined
  next: Waiter | undefined
  settled: boolean
  stop: () => void
  readonly resolve: (result: E.Either<RateLimited, void>) => void
}

/** Tokens short of one by less than this count as one: float residue must not cost a wake-up. */
const EPSILON = 1e-9

const noop = (): void => undefined

/**
 * A token bucket whose fill rate and capacity may change, with a FIFO queue
 * of waiters and one timer, armed for the oldest waiter only.
 */
const bucket = (config: {
  readonly clock: Clock.Clock
  readonly maxWait: number
  /** Tokens at the start. */
  readonly tokens: number
  /** Whether the first refill only starts the clock (the SDK's `lastTimestamp` of 0). */
  readonly lazyStart: boolean
  /** Fill rate (tokens per second) and capacity at the start. */
  readonly perSecond: number
  readonly capacity: number
}) => {
  const { clock, maxWait } = config
  let tokens = config.tokens
  let perMs = config.perSecond / 1000
  let capacity = config.capacity
  let last: number | undefined = config.lazyStart ? undefined : clock.now()
  let head: Waiter | undefined
  let tail: Waiter | undefined
  let queued = 0
  let timer: AbortController | undefined

  const refill = () => {
    const now = clock.now()
    if (last === undefined) {
      last = now
      return
    }
    if (now <= last) return
    tokens = Math.min(capacity, tokens + (now - last) * perMs)
    last = now
  }

  /** Milliseconds until `needed` tokens are in the bucket, counting from now (after a refill). */
  const waitFor = (needed: number): number => {
    const now = clock.now()
    const from = last === undefined ? 0 : Math.max(0, last - now)
    const short = needed - tokens
    if (short <= EPSILON) return from
    return perMs > 0 ? Math.min(MAX_DELAY, from + short / perMs) : MAX_DELAY
  }

  const rejection = (reason: RateLimited['reason'], retryAfter: O.Option<number>): RateLimited => ({
    _tag: 'RateLimited',
    reason,
    retryAfter,
    queued,
  })

  const unlink = (w: Waiter) => {
    if (w.prev === undefined) head = w.next
    else w.prev.next = w.next
    if (w.next === undefined) tail = w.prev
    else w.next.prev = w.prev
    w.prev = w.next = undefined
    queued -= 1
  }

  const disarm = () => {
    timer?.abort()
    timer = undefined
  }

  /** Gives the tokens in the bucket to the oldest waiters, then arms the timer for the next one. */
  const pump = () => {
    refill()
    while (head !== undefined && tokens >= 1 - EPSILON) {
      const w = head
      unlink(w)
      w.settled = true
      w.stop()
      tokens = Math.max(0, tokens - 1)
      w.resolve(E.right(undefined))
    }
    disarm()
    if (head === undefined) return
    const own = new AbortController()
    timer = own
    void clock.sleep(Math.max(waitFor(1), 0), own.signal, 'rateLimit').then(() => {
      if (!own.signal.aborted) pump()
    })
  }

  const acquire = (signal?: AbortSignal): Promise<E.Either<RateLimited, void>> => {
    if (signal?.aborted) return Promise.resolve(E.left(rejection('aborted', O.none)))
    refill()
    if (head === undefined && tokens >= 1 - EPSILON) {
      tokens = Math.max(0, tokens - 1)
      return Promise.resolve(E.right(undefined))
    }
    const wait = waitFor(queued + 1)
    if (wait > maxWait) return Promise.resolve(E.left(rejection('limit', O.some(wait))))
    return new Promise((resolve) => {
      const w: Waiter = { prev: tail, next: undefined, settled: false, stop: noop, resolve }
      if (tail === undefined) head = w
      else tail.next = w
      tail = w
      queued += 1
      const leave = (reason: RateLimited['reason']) => {
        if (w.settled) return
        w.settled = true
        unlink(w)
        w.stop()
        if (head === undefined) disarm()
        // the hint: the wait of a call joining the back of the queue now
        resolve(E.left(rejection(reason, reason === 'aborted' ? O.none : O.some(waitFor(queued + 1)))))
      }
      const unsubscribe = signal === undefined ? noop : onAbort(signal, () => leave('aborted'))
      let deadline: AbortController | undefined
      if (maxWait !== Infinity) {
        const own = new AbortController()
        deadline = own
        void clock.sleep(maxWait, own.signal, 'rateLimit').then(() => {
          if (own.signal.aborted) return
          refill()
          leave('limit')
        })
      }
      w.stop = () => {
        unsubscribe()
        deadline?.abort()
      }
      if (timer === undefined) pump()
    })
  }

  return {
    acquire,
    refill,
    pump,
    tokens: () => {
      refill()
      return tokens
    },
    queued: () => queued,
    /** Sets the fill rate (tokens per second) and the capacity, refilling at the old rate first. */
    setRate: (perSecond: number, cap: number) => {
      refill()
      perMs = perSecond / 1000
      capacity = cap
      tokens = Math.min(tokens, capacity)
    },
    hold: (ms: number) => {
      refill()
      tokens = 0
      last = Math.max(last ?? 0, clock.now() + ms)
      if (head !== undefined) pump()
    },
  }
}

const holdFor = (fn: string, ms: number): number => check.delay(`${fn}.hold`, 'ms', ms)

/** Feeds a throttled failure's own hint to the bucket: one 429 slows the calls that follow. */
const holdOnHint = (isThrottling: (error: unknown) => boolean, hold: (ms: number) => void, error: unknown) => {
  if (!guarded(isThrottling, error, false)) return
  const hint = hintOf(error)
  if (hint !== undefined && hint > 0) hold(hint)
}

const maxWaitOf = (fn: string, maxWait: number | undefined): number =>
  maxWait === undefined || maxWait === Infinity ? Infinity : check.delay(fn, 'maxWait', maxWait)

const positive = (fn: string, param: string, value: number): number =>
  Number.isFinite(value) && value > 0 ? value : check.fail(fn, param, 'a positive finite number', value)

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Creates a token-bucket rate limiter, in `IO`: each run is a fresh, full
 * bucket. Share one value between all the calls under one quota.
 *
 * The bucket gains `rate` tokens every `interval` ms, up to `burst`, and
 * starts full; each call takes one. Calls that find it empty wait in
 * arrival order, each for at most `maxWait` ms (a call whose wait would be
 * longer fails at once with `RateLimited`, `retryAfter` = its wait). An
 * aborted waiter leaves at once and takes no token. Only one timer runs,
 * for the oldest waiter; none once nobody waits.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { RateLimit, TestClock } from 'fp-ts-retry'
 *
 * const clock = TestClock.make()
 * const limiter = RateLimit.make({ rate: 2, burst: 1, maxWait: 0, clock })() // 2 calls a second, one at a time
 * const call = pipe(TE.right('ok'), RateLimit.limit(limiter))
 * await call()
 * // => { _tag: 'Right', right: 'ok' }
 * await call()
 * // => { _tag: 'Left', left: { _tag: 'RateLimited', reason: 'limit', retryAfter: { _tag: 'Some', value: 500 }, queued: 0 } }
 * await clock.adjust(500)
 * await call()
 * // => { _tag: 'Right', right: 'ok' }
 *
 * @throws RangeError when `rate` or `interval` is not a positive finite number, `burst` is below 1 or not finite, or `maxWait` is negative or NaN
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: Options): IO<RateLimiter> => {
  const fn = 'RateLimit.make'
  const rate = positive(fn, 'rate', options.rate)
  const interval = positive(fn, 'interval', options.interval ?? 1_000)
  const burst = check.atLeast(fn, 'burst', 1, options.burst ?? Math.max(1, rate))
  const maxWait = maxWaitOf(fn, options.maxWait)
  const isThrottling = options.isThrottling ?? isAwsThrottlingError
  const clock = options.clock ?? Clock.live
  const perSecond = (rate / interval) * 1_000
  return () => {
    const b = bucket({ clock, maxWait, tokens: burst, lazyStart: false, perSecond, capacity: burst })
    const hold = (ms: number) => b.hold(holdFor(fn, ms))
    return clocked(
      {
        _tag: 'RateLimiter',
        kind: 'TokenBucket',
        acquire: b.acquire,
        recordSuccess: noop,
        recordFailure: (error) => holdOnHint(isThrottling, hold, error),
        hold,
        tokens: b.tokens,
        rate: () => perSecond,
        queued: b.queued,
      },
      clock,
    )
  }
}

/**
 * The client-side rate limiter of the AWS SDKs' adaptive retry mode
 * (`DefaultRateLimiter` of `@smithy/util-retry`), in `IO`: a token bucket
 * whose fill rate follows the throttling errors that the calls meet.
 *
 * It lets every call through until the first throttling error. From then on
 * each call takes a token, and every outcome moves the fill rate (tokens per
 * second), as the SDK does, with `t` the time in seconds:
 *
 * - the send rate is measured in half-second buckets and smoothed:
 *   `measured = smooth * count / elapsed + (1 - smooth) * measured`;
 * - on a throttle, `lastMaxRate` becomes the measured rate (capped by the
 *   fill rate once limiting), `K = cbrt(lastMaxRate * (1 - beta) / scaleConstant)`,
 *   and the new rate is `lastMaxRate * beta`;
 * - on any other outcome, CUBIC: `scaleConstant * (t - lastThrottle - K)^3 + lastMaxRate`;
 * - the rate is then at most twice the measured rate, at least
 *   `minFillRate`, and the bucket holds at most `max(rate, minCapacity)` tokens.
 *
 * Where it differs from the SDK, and why:
 *
 * - time is the injected clock, and waits are its sleeps, so it runs in virtual time;
 * - waiters are served in arrival order by one timer (the SDK's waiters each
 *   sleep, wake together and race for the token, so none is sure to be
 *   served), and a waiter's wait is recomputed when the rate changes;
 * - a wait is bounded by `maxWait` and the caller's signal, failing with a
 *   typed `RateLimited` (the SDK waits without bound and cannot be cancelled);
 * - a throttling error's own `retryAfter` (a 429's `Retry-After`) also holds
 *   the bucket, as in {@link make} (the SDK ignores it);
 * - rates are not rounded to 8 decimals (the SDK's `toFixed(8)`).
 *
 * Put it inside the retry (each attempt takes a token and reports its
 * outcome), as the SDK's adaptive mode takes a token before every attempt.
 *
 * @example
 * import * as O from 'fp-ts/Option'
 * import { RateLimit, TestClock } from 'fp-ts-retry'
 *
 * const clock = TestClock.make()
 * const limiter = RateLimit.awsAdaptive({ clock })()
 * limiter.rate()
 * // => Infinity
 * // (nothing is throttled yet)
 * await clock.adjust(1_000)
 * limiter.recordFailure({ name: 'ThrottlingException', retryAfter: O.none })
 * Math.round(limiter.rate() * 100) / 100
 * // => 0.56
 * // (one call in the first second, smoothed: 0.8 a second, times beta 0.7)
 *
 * @throws RangeError when `beta` is outside (0, 1), `smooth` outside (0, 1], another rate is not a positive finite number, or `maxWait` is negative or NaN
 * @since 0.2.0
 * @category constructors
 */
export const awsAdaptive = (options: AwsAdaptiveOptions = {}): IO<RateLimiter> => {
  const fn = 'RateLimit.awsAdaptive'
  const beta = options.beta ?? 0.7
  if (!(beta > 0 && beta < 1)) check.fail(fn, 'beta', 'a number in (0, 1)', beta)
  const minCapacity = positive(fn, 'minCapacity', options.minCapacity ?? 1)
  const minFillRate = positive(fn, 'minFillRate', options.minFillRate ?? 0.5)
  const scale = positive(fn, 'scaleConstant', options.scaleConstant ?? 0.4)
  const smooth = options.smooth ?? 0.8
  if (!(smooth > 0 && smooth <= 1)) check.fail(fn, 'smooth', 'a number in (0, 1]', smooth)
  const maxWait = maxWaitOf(fn, options.maxWait)
  const isThrottling = options.isThrottling ?? isAwsThrottlingError
  const clock = options.clock ?? Clock.live

  return () => {
    const seconds = () => clock.now() / 1_000
    let enabled = false
    let fillRate = minFillRate
    let lastMaxRate = 0
    let measuredTxRate = 0
    let requestCount = 0
    let lastThrottleTime = seconds()
    let lastTxRateBucket = Math.floor(seconds())
    const b = bucket({ clock, maxWait, tokens: 0, lazyStart: true, perSecond: fillRate, capacity: minCapacity })

    const updateMeasuredRate = (t: number) => {
      const timeBucket = Math.floor(t * 2) / 2
      requestCount += 1
      if (timeBucket > lastTxRateBucket) {
        const currentRate = requestCount / (timeBucket - lastTxRateBucket)
        measuredTxRate = currentRate * smooth + measuredTxRate * (1 - smooth)
        requestCount = 0
        lastTxRateBucket = timeBucket
      }
    }

    const update = (throttled: boolean) => {
      const t = seconds()
      updateMeasuredRate(t)
      let calculated: number
      if (throttled) {
        const rateToUse = enabled ? Math.min(measuredTxRate, fillRate) : measuredTxRate
        lastMaxRate = rateToUse
        lastThrottleTime = t
        calculated = rateToUse * beta
        enabled = true
      } else {
        const window = Math.cbrt((lastMaxRate * (1 - beta)) / scale)
        calculated = scale * Math.pow(t - lastThrottleTime - window, 3) + lastMaxRate
      }
      const newRate = Math.min(calculated, 2 * measuredTxRate)
      fillRate = Math.max(newRate, minFillRate)
      b.setRate(fillRate, Math.max(newRate, minCapacity))
      if (enabled) b.pump()
    }

    const hold = (ms: number) => b.hold(holdFor(fn, ms))
    const pass: Promise<E.Either<RateLimited, void>> = Promise.resolve(E.right(undefined))
    return clocked(
      {
        _tag: 'RateLimiter',
        kind: 'AwsAdaptive',
        acquire: (signal) => (enabled || signal?.aborted === true ? b.acquire(signal) : pass),
        recordSuccess: () => update(false),
        recordFailure: (error) => {
          update(guarded(isThrottling, error, false))
          holdOnHint(isThrottling, hold, error)
        },
        hold,
        tokens: b.tokens,
        rate: () => (enabled ? fillRate : Infinity),
        queued: b.queued,
      },
      clock,
    )
  }
}

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * What the data-last {@link limit} returns: it limits either form of
 * operation and returns the same form, its error type widened with
 * {@link RateLimited}.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { RateLimit } from 'fp-ts-retry'
 *
 * const limited: RateLimit.Limited = RateLimit.limit(RateLimit.make({ rate: 100 })())
 * await limited(TE.right('ok'))()
 * // => { _tag: 'Right', right: 'ok' }
 *
 * @since 0.2.0
 * @category model
 */
export interface Limited {
  <Op extends Any>(self: Op): Widen<Op, RateLimited>
}

/**
 * Runs an operation under a rate limiter: it takes a token first (waiting
 * as the limiter allows, or failing with {@link RateLimited}), runs, and
 * reports its outcome (a throttled failure's `Retry-After` holds the bucket;
 * the adaptive limiter moves its rate). A call cancelled by its own signal
 * reports nothing; a rejection (a defect) reports nothing and propagates.
 * Either form of operation; a cancellable one gets the caller's environment
 * as it is, and stops waiting at once when its signal fires.
 *
 * Put it inside the retry, so that each attempt takes a token, and let the
 * schedule wait out a `RateLimited` with `Schedule.waitForHint`, as it waits
 * out a `Retry-After`.
 *
 * Data-first: `RateLimit.limit(self, limiter)`.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { RateLimit, Retry, Schedule } from 'fp-ts-retry'
 * import * as Http from 'fp-ts-retry/http'
 *
 * const limiter = RateLimit.make({ rate: 10, maxWait: 0 })() // fail at once over 10 calls a second
 * const policy = pipe(
 *   Schedule.exponential(100),
 *   Schedule.intersect(Schedule.recurs(5)),
 *   Schedule.whileInput(Http.isTransient), // a RateLimited is transient
 *   Schedule.waitForHint(5_000), // and its retryAfter is waited out
 * )
 * const call = pipe(TE.right('ok'), RateLimit.limit(limiter), Retry.retrying(policy))
 * await call()
 * // => { _tag: 'Right', right: 'ok' }
 *
 * @since 0.2.0
 * @category combinators
 */
export function limit<E, A>(self: TaskEither<E, A>, limiter: RateLimiter): TaskEither<E | RateLimited, A>
export function limit<R extends Env, E, A>(
  self: ReaderTaskEither<R, E, A>,
  limiter: RateLimiter,
): ReaderTaskEither<R, E | RateLimited, A>
export function limit(limiter: RateLimiter): Limited
export function limit(...args: ReadonlyArray<unknown>): unknown {
  return limitDual(args)
}

const limitDual = /* @__PURE__ */ dual(
  firstIsFunction,
  (limiter: RateLimiter) => (self: AnyOperation) => limited(self, limiter),
)

const limited = (self: AnyOperation, limiter: RateLimiter): AnyOperation =>
  operation(async (env) => {
    const observer = active<Events.Event>()
    const signal = env?.signal
    const since = observer === undefined ? 0 : nowOf(limiter)
    const token = await limiter.acquire(signal)
    if (observer !== undefined) {
      const time = nowOf(limiter)
      if (E.isLeft(token)) emit(observer, { _tag: 'Rejected', call: observer.call, time, failure: token.left })
      else if (time > since)
        emit(observer, { _tag: 'Admitted', call: observer.call, time, by: 'RateLimiter', waited: time - since })
    }
    if (E.isLeft(token)) return token
    // started after a wait: within the call's observer again, so the protections inside hear it
    const result: E.Either<unknown, unknown> = await runWithin(observer, self, env)
    if (signal?.aborted) return result
    if (E.isRight(result)) limiter.recordSuccess()
    else limiter.recordFailure(result.left)
    return result
  })

/**
 * True for a {@link RateLimited} failure. Accepts any value.
 *
 * @example
 * import * as O from 'fp-ts/Option'
 * import { RateLimit } from 'fp-ts-retry'
 *
 * RateLimit.isRateLimited({ _tag: 'RateLimited', reason: 'limit', retryAfter: O.some(100), queued: 0 })
 * // => true
 *
 * @since 0.2.0
 * @category utils
 */
export const isRateLimited: (error: unknown) => error is RateLimited =
  /* @__PURE__ */ hasTag<RateLimited>('RateLimited')
