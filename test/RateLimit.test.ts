/**
 * RateLimit: token refill, FIFO waits bounded by maxWait and the caller's signal, RateLimited hints honoured by a
 * retry (the hint rule), a 429's Retry-After feeding the limiter, and the AWS adaptive limiter's steps against values
 * computed by hand from DefaultRateLimiter's formulas (smoothed send rate, CUBIC, beta). Virtual time throughout; no
 * timer or listener is left.
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import * as TE from 'fp-ts/TaskEither'
import { getEventListeners } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { timers } from './support/timers'
import { Clock, RateLimit, Retry, Schedule, TestClock } from '../src/index'
import * as Http from '../src/Http'
import type { Operation } from '../src/index'

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length
const settle = () => new Promise((resolve) => setImmediate(resolve))

const limited = (retryAfter: number | undefined, queued: number) =>
  E.left({
    _tag: 'RateLimited',
    reason: 'limit',
    retryAfter: retryAfter === undefined ? O.none : O.some(retryAfter),
    queued,
  })

const http = (status: number, retryAfter?: number): Http.HttpError => ({
  _tag: 'HttpError',
  method: 'GET',
  url: 'http://upstream.test/',
  status,
  statusText: '',
  headers: {},
  retryAfter: retryAfter === undefined ? O.none : O.some(retryAfter),
  body: '',
})

/** The hint of a refused call, or -1. */
const hintOf = (result: E.Either<RateLimit.RateLimited, void>): number =>
  E.isLeft(result) ? O.getOrElse(() => -1)(result.left.retryAfter) : -1

/** Records the clock time at which each acquire of `limiter` got its token. */
const admissions = (clock: TestClock.TestClock, limiter: RateLimit.RateLimiter) => {
  const at: Array<string> = []
  const take = (name: string, signal?: AbortSignal) =>
    limiter.acquire(signal).then((r) => {
      at.push(`${name}${E.isRight(r) ? '@' : '!'}${Math.round(clock.now() * 1000) / 1000}`)
      return r
    })
  return { at, take }
}

afterEach(() => vi.restoreAllMocks())

describe('RateLimit.make: the token bucket', () => {
  it('starts full: burst calls pass at once, then one per 1/rate, and the bucket refills up to burst', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.make({ rate: 10, burst: 5, clock })()
    const { at, take } = admissions(clock, limiter)
    await Promise.all([1, 2, 3, 4, 5].map((i) => take(`c${i}`)))
    expect(at).toEqual(['c1@0', 'c2@0', 'c3@0', 'c4@0', 'c5@0'])
    const sixth = take('c6')
    await settle()
    expect([limiter.queued(), clock.pending('rateLimit')]).toEqual([1, 1])
    await clock.adjust(99)
    expect(at).toHaveLength(5)
    await clock.adjust(1)
    await sixth
    expect(at[5]).toBe('c6@100')
    await clock.adjust(10_000) // 100 tokens' worth of time: capped at the burst
    expect(limiter.tokens()).toBe(5)
    expect(clock.pending()).toBe(0)
  })

  it('waiters are served in arrival order, one per 1/rate', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.make({ rate: 4, burst: 1, clock })()
    const { at, take } = admissions(clock, limiter)
    const all = Promise.all(['a', 'b', 'c', 'd'].map((n) => take(n)))
    await clock.adjust(1_000)
    await all
    expect(at).toEqual(['a@0', 'b@250', 'c@500', 'd@750'])
    expect([limiter.queued(), clock.pending()]).toEqual([0, 0])
  })

  it('rate per interval: 6 calls a minute is one every 10 s', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.make({ rate: 6, interval: 60_000, burst: 1, maxWait: 0, clock })()
    expect(await limiter.acquire()).toEqual(E.right(undefined))
    expect(hintOf(await limiter.acquire())).toBeCloseTo(10_000, 6)
    expect(limiter.rate()).toBeCloseTo(0.1, 12)
  })

  it('a call whose wait would exceed maxWait fails at once, with its wait as the hint; one within it waits', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.make({ rate: 10, burst: 1, maxWait: 150, clock })()
    const { at, take } = admissions(clock, limiter)
    await take('a')
    const b = take('b') // its token comes at 100: within 150
    expect(await limiter.acquire()).toEqual(limited(200, 1)) // it would be second in the queue: at 200
    await clock.adjust(100)
    await b
    expect(at).toEqual(['a@0', 'b@100'])
  })

  it('maxWait 0: never waits', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.make({ rate: 2, burst: 1, maxWait: 0, clock })()
    expect(await limiter.acquire()).toEqual(E.right(undefined))
    expect(await limiter.acquire()).toEqual(limited(500, 0))
    await clock.adjust(250)
    expect(await limiter.acquire()).toEqual(limited(250, 0))
    expect(clock.pending()).toBe(0)
  })

  it('a waiter aborted leaves at once, takes no token, and the next waiter gets its token earlier', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.make({ rate: 10, burst: 1, clock })()
    const { at, take } = admissions(clock, limiter)
    const controller = new AbortController()
    await take('a')
    const b = take('b', controller.signal) // would be served at 100
    const c = take('c') // would be served at 200
    await clock.adjust(50)
    expect(listeners(controller.signal)).toBe(1)
    controller.abort()
    expect(await b).toEqual(E.left({ _tag: 'RateLimited', reason: 'aborted', retryAfter: O.none, queued: 1 }))
    expect(listeners(controller.signal)).toBe(0)
    await clock.adjust(50)
    await c
    expect(at).toEqual(['a@0', 'b!50', 'c@100'])
    expect(clock.pending()).toBe(0)
  })

  it('an already aborted signal is refused at once, without a token', async () => {
    const limiter = RateLimit.make({ rate: 1, burst: 1, clock: TestClock.make() })()
    const controller = new AbortController()
    controller.abort()
    expect(await limiter.acquire(controller.signal)).toEqual(
      E.left({ _tag: 'RateLimited', reason: 'aborted', retryAfter: O.none, queued: 0 }),
    )
    expect(limiter.tokens()).toBe(1)
  })

  it('the last waiter aborted: the timer goes too, nothing is left pending', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.make({ rate: 1, burst: 1, clock })()
    await limiter.acquire()
    const controller = new AbortController()
    const waiting = limiter.acquire(controller.signal)
    await settle()
    expect(clock.pending('rateLimit')).toBe(1)
    controller.abort()
    await waiting
    expect([clock.pending(), limiter.queued()]).toEqual([0, 0])
  })

  it('live clock: an aborted waiter leaves no timer and no listener', async () => {
    const before = timers()
    const limiter = RateLimit.make({ rate: 0.001, burst: 1, maxWait: 1_000_000_000, clock: Clock.live })()
    await limiter.acquire()
    const controller = new AbortController()
    const waiting = limiter.acquire(controller.signal)
    expect(timers()).toBe(before + 2) // the oldest waiter's token timer, and its maxWait deadline
    controller.abort()
    expect(E.isLeft(await waiting)).toBe(true)
    expect(timers()).toBe(before)
    expect(listeners(controller.signal)).toBe(0)
  })

  it('a waiter whose wait grew past maxWait (a hold) fails at its deadline, hinting the new wait', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.make({ rate: 10, burst: 1, maxWait: 300, clock })()
    await limiter.acquire()
    const b = limiter.acquire() // due at 100
    limiter.hold(1_000) // no token before 1,000, then one per 100 ms
    let settledAt = -1
    void b.then(() => (settledAt = clock.now()))
    await clock.adjust(300)
    expect(await b).toEqual(limited(800, 0)) // at 300: 700 until the hold ends, 100 for a token
    expect(settledAt).toBe(300)
    expect(clock.pending()).toBe(0)
  })

  it('a 429’s Retry-After holds the bucket: one throttled call slows the calls that follow', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.make({ rate: 100, burst: 10, maxWait: 0, clock })()
    expect(await pipe(TE.left(http(429, 2_000)), RateLimit.limit(limiter))()).toEqual(E.left(http(429, 2_000)))
    expect(await limiter.acquire()).toEqual(limited(2_010, 0)) // 2 s, then 10 ms for one token at 100 a second
    await clock.adjust(2_010)
    expect(await limiter.acquire()).toEqual(E.right(undefined))
    // a 503 with a Retry-After is not throttling (by default): it holds nothing; nor does a 429 without a hint
    const other = RateLimit.make({ rate: 100, burst: 10, maxWait: 0, clock })()
    other.recordFailure(http(503, 5_000))
    other.recordFailure(http(429))
    expect(other.tokens()).toBe(10)
  })

  it('isThrottling decides whose hint holds the bucket; one that throws is reported and counts as not throttling', () => {
    const report = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const clock = TestClock.make()
    const limiter = RateLimit.make({
      rate: 1,
      burst: 1,
      clock,
      isThrottling: (e) => (e as Http.HttpError).status === 503,
    })()
    limiter.recordFailure(http(503, 1_000))
    expect(limiter.tokens()).toBe(0)
    const throwing = RateLimit.make({
      rate: 1,
      burst: 1,
      clock,
      isThrottling: () => {
        throw new Error('bad')
      },
    })()
    throwing.recordFailure(http(429, 1_000))
    expect(throwing.tokens()).toBe(1)
    expect(report).toHaveBeenCalled()
  })

  it('programmer errors throw a RangeError naming the function, the parameter and the value', () => {
    expect(() => RateLimit.make({ rate: 0 })).toThrow('RateLimit.make: rate must be a positive finite number, got 0')
    expect(() => RateLimit.make({ rate: Infinity })).toThrow(RangeError)
    expect(() => RateLimit.make({ rate: 1, interval: -1 })).toThrow('interval')
    expect(() => RateLimit.make({ rate: 1, burst: 0.5 })).toThrow('burst must be a finite number >= 1, got 0.5')
    expect(() => RateLimit.make({ rate: 1, maxWait: -1 })).toThrow('maxWait')
    expect(() => RateLimit.make({ rate: 1 })().hold(Number.NaN)).toThrow('RateLimit.make.hold: ms')
    expect(() => RateLimit.awsAdaptive({ beta: 1 })).toThrow(
      'RateLimit.awsAdaptive: beta must be a number in (0, 1), got 1',
    )
    expect(() => RateLimit.awsAdaptive({ smooth: 0 })).toThrow('smooth')
    expect(() => RateLimit.awsAdaptive({ minFillRate: 0 })).toThrow('minFillRate')
    expect(() => RateLimit.awsAdaptive({ scaleConstant: -1 })).toThrow('scaleConstant')
  })
})

describe('RateLimit.limit: both forms, with a retry', () => {
  it('a RateLimited hint is honoured by a retry (waitForHint): the retry waits exactly until the token', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.make({ rate: 2, burst: 1, maxWait: 0, clock })()
    const attempts: Array<number> = []
    const op: TE.TaskEither<string, string> = () => {
      attempts.push(clock.now())
      return Promise.resolve(E.right('ok'))
    }
    const policy = pipe(Schedule.recurs(3), Schedule.whileInput(Http.isTransient), Schedule.waitForHint(10_000))
    const call = pipe(op, RateLimit.limit(limiter), Retry.retrying(policy, { clock }))
    expect(await call()).toEqual(E.right('ok')) // takes the one token at 0
    const second = call()
    await clock.whenSleeping(1, 'backoff')
    await clock.adjust(500)
    expect(await second).toEqual(E.right('ok'))
    expect(attempts).toEqual([0, 500])
    expect(clock.pending()).toBe(0)
  })

  it('classification: a RateLimited is transient unless aborted; waitForHint reads its retryAfter', () => {
    const over: RateLimit.RateLimited = { _tag: 'RateLimited', reason: 'limit', retryAfter: O.some(750), queued: 0 }
    const gone: RateLimit.RateLimited = { ...over, reason: 'aborted', retryAfter: O.none }
    expect([Http.isTransient(over), Http.isTransient(gone)]).toEqual([true, false])
    expect(RateLimit.isRateLimited(over)).toBe(true)
    expect([null, 'x', { _tag: 'BulkheadRejected' }].map(RateLimit.isRateLimited)).toEqual([false, false, false])
    expect(Schedule.simulate(pipe(Schedule.spaced(100), Schedule.waitForHint(1_000)), [over, 'other'])).toEqual([
      750, 100,
    ])
  })

  it('a cancellable operation gets the caller’s environment; a call cancelled by its signal reports nothing', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.make({ rate: 1, burst: 2, clock })()
    const record = vi.spyOn(limiter, 'recordFailure')
    const env = { signal: new AbortController().signal, region: 'eu' }
    const op = (e: Operation.Env & { readonly region: string }) => TE.right(e.region)
    expect(await RateLimit.limit(op, limiter)(env)()).toEqual(E.right('eu'))
    const controller = new AbortController()
    const cancelled =
      (_: Operation.Env): TE.TaskEither<Http.HttpError, string> =>
      () => {
        controller.abort()
        return Promise.resolve(E.left(http(429, 60_000)))
      }
    expect(await pipe(cancelled, RateLimit.limit(limiter))({ signal: controller.signal })()).toEqual(
      E.left(http(429, 60_000)),
    )
    expect(record).not.toHaveBeenCalled()
    expect(limiter.tokens()).toBe(0) // two calls took their tokens; no hold from the cancelled one
  })

  it('a rejection (a defect) propagates unchanged and reports nothing', async () => {
    const limiter = RateLimit.make({ rate: 1, clock: TestClock.make() })()
    const boom = new Error('defect')
    await expect(RateLimit.limit(() => Promise.reject(boom), limiter)()).rejects.toBe(boom)
  })
})

describe('RateLimit.awsAdaptive: DefaultRateLimiter’s steps, by hand', () => {
  it('lets every call through until the first throttling error', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.awsAdaptive({ clock })()
    const all = await Promise.all(Array.from({ length: 1_000 }, () => limiter.acquire()))
    expect(all.every(E.isRight)).toBe(true)
    for (let i = 0; i < 100; i++) limiter.recordSuccess()
    expect([limiter.rate(), limiter.queued(), clock.pending()]).toEqual([Infinity, 0, 0])
  })

  it('hand-computed: measured rate, throttle (beta), CUBIC recovery capped at twice the measured rate', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.awsAdaptive({ clock })() // lastThrottleTime = 0 s, lastTxRateBucket = 0 s
    await clock.adjust(500)
    // 0.5 s: ten successes. The first closes the bucket [0, 0.5): rate 1 / 0.5 = 2, measured = 0.8 * 2 = 1.6.
    // CUBIC: K = cbrt(0 * 0.3 / 0.4) = 0, 0.4 * (0.5 - 0 - 0)^3 + 0 = 0.05; the fill rate stays at its minimum, 0.5.
    for (let i = 0; i < 10; i++) limiter.recordSuccess()
    expect(limiter.rate()).toBe(Infinity) // not limiting yet
    await clock.adjust(500)
    // 1.0 s: a throttle. Ten requests in [0.5, 1.0): rate 20, measured = 0.8 * 20 + 0.2 * 1.6 = 16.32.
    // lastMaxRate = 16.32 (not limiting yet, so the measured rate), new rate = 16.32 * 0.7 = 11.424,
    // below 2 * 16.32: the fill rate is 11.424, the capacity 11.424.
    limiter.recordFailure({ name: 'ThrottlingException' })
    expect(limiter.rate()).toBeCloseTo(11.424, 12)
    // the bucket started with the first outcome, at 0.5 s, empty: 0.5 s at 0.5 a second, capacity 1: 0.25 tokens
    expect(limiter.tokens()).toBeCloseTo(0.25, 12)
    // a call now waits (1 - 0.25) / 11.424 a second = 65.651 ms
    const waiting = limiter.acquire()
    await clock.adjust(65)
    expect(limiter.queued()).toBe(1)
    await clock.adjust(1)
    expect(await waiting).toEqual(E.right(undefined))
    await clock.adjust(2_000 - clock.now())
    // 2.0 s: a success. One request in [1.0, 2.0): rate 1, measured = 0.8 * 1 + 0.2 * 16.32 = 4.064.
    // K = cbrt(16.32 * 0.3 / 0.4) = 2.3045907; CUBIC = 0.4 * (2 - 1 - 2.3045907)^3 + 16.32 = 15.4318571,
    // capped at 2 * 4.064 = 8.128.
    limiter.recordSuccess()
    expect(limiter.rate()).toBeCloseTo(8.128, 12)
    await clock.adjust(2_000)
    // 4.0 s: measured = 0.8 * (1 / 2) + 0.2 * 4.064 = 1.2128; CUBIC = 0.4 * (4 - 1 - 2.3045907)^3 + 16.32 = 16.4545183,
    // capped at 2.4256
    limiter.recordSuccess()
    expect(limiter.rate()).toBeCloseTo(2.4256, 12)
  })

  it('hand-computed: CUBIC uncapped once the measured rate is high, and a second throttle uses min(measured, fill rate)', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.awsAdaptive({ clock })()
    // 40 outcomes in each half second; the first of a half second closes the previous one
    const halfSecond = async (n: number, last: () => void) => {
      await clock.adjust(500)
      for (let i = 0; i < n - 1; i++) limiter.recordSuccess()
      last()
    }
    await halfSecond(40, () => limiter.recordSuccess()) // 0.5 s: closes [0, 0.5) with 1 request: measured 1.6
    await halfSecond(40, () => limiter.recordSuccess()) // 1.0: 40 in [0.5, 1): 0.8 * 80 + 0.2 * 1.6 = 64.32
    await halfSecond(40, () => limiter.recordFailure({ $metadata: { httpStatusCode: 429 } }))
    // 1.5 s: measured = 0.8 * 80 + 0.2 * 64.32 = 76.864 (the first outcome of the bucket closes the last one)
    // throttle: lastMaxRate = 76.864, rate = 76.864 * 0.7 = 53.8048
    expect(limiter.rate()).toBeCloseTo(53.8048, 9)
    await clock.adjust(1_000)
    // 2.5 s: a success closes [1.5, 2.5), 39 + 1 requests over 1 s: measured = 0.8 * 40 + 0.2 * 76.864 = 47.3728;
    // K = cbrt(76.864 * 0.3 / 0.4) = 3.86340; CUBIC = 0.4 * (2.5 - 1.5 - K)^3 + 76.864 = 67.47676
    limiter.recordSuccess()
    const K = Math.cbrt((76.864 * 0.3) / 0.4)
    const cubic = 0.4 * Math.pow(2.5 - 1.5 - K, 3) + 76.864
    expect(cubic).toBeCloseTo(67.47676, 4) // below twice the measured rate: uncapped
    expect(limiter.rate()).toBeCloseTo(cubic, 9)
    // a second throttle at 2.5 s: lastMaxRate = min(measured 47.3728, fill rate) = 47.3728; rate = 33.16096
    limiter.recordFailure({ name: 'SlowDown' })
    expect(limiter.rate()).toBeCloseTo(47.3728 * 0.7, 9)
  })

  it('once limiting, waiters are served in order, a wait past maxWait fails at once, and nothing is left', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.awsAdaptive({ clock, maxWait: 5_000 })()
    await clock.adjust(1_000)
    limiter.recordFailure({ name: 'Throttling' }) // one request in [0, 1): measured 0.8, rate max(0.56, 0.5) = 0.56
    expect(limiter.rate()).toBeCloseTo(0.56, 12)
    const { at, take } = admissions(clock, limiter)
    // the bucket started at this first outcome (1.0 s), empty: a token every 1 / 0.56 s = 1785.714 ms
    const a = take('a')
    const b = take('b')
    const third = await limiter.acquire() // third in line: 3 * 1785.714 = 5357 ms > 5,000
    expect(E.isLeft(third) && third.left.queued).toBe(2)
    expect(hintOf(third)).toBeCloseTo(3 * (1_000 / 0.56), 6)
    await clock.adjust(4_000)
    await Promise.all([a, b])
    expect(at).toEqual(['a@2785.714', 'b@4571.429'])
    expect([limiter.queued(), clock.pending()]).toEqual([0, 0])
  })

  it('a throttling error’s Retry-After also holds the adaptive bucket (the SDK ignores it)', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.awsAdaptive({ clock, maxWait: 0 })()
    limiter.recordFailure(http(429, 3_000))
    // the hold, then a token at the minimum fill rate (0.5 a second): 3,000 + 2,000 ms
    expect(hintOf(await limiter.acquire())).toBe(5_000)
  })
})
