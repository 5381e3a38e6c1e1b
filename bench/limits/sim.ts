/**
 * The load-limit experiments: seeded open-loop traffic through the library's real combinators
 * (`Bulkhead.limit`, `RateLimit.limit`, `Timeout.timeout`, `Retry.retrying`) on a `TestClock`, against simulated
 * dependencies. See docs/limit-concurrency.md for the reasoning.
 *
 * 1. **Concurrency.** A dependency with `workers` workers, each call taking about `service` ms. Calls beyond the
 *    workers wait in its own FIFO queue (so its latency grows past the knee, `workers` calls in flight), and beyond
 *    `serverQueue` waiting calls it sheds load: a 503 within 1 ms. It does not know when a client gives up: a call
 *    the client timed out still takes a worker when its turn comes (the work is wasted). Clients bound each call
 *    with `Timeout.timeout(timeout)`; a call arrives every Exp(1 / rate) ms, whatever happened to the others (open
 *    loop). Strategies: no limit, a fixed bulkhead at several limits, AIMD and Gradient2.
 * 2. **Throttling.** A dependency with a quota (a token bucket of `quota` calls a second, `quotaBurst` at once);
 *    over the quota it answers 429 within 5 ms. Each call is retried (AWS-style: full-jitter exponential backoff
 *    from 100 ms, at most 3 attempts). Strategies: plain retries; the AWS adaptive limiter
 *    (`RateLimit.awsAdaptive`, fed by the 429s); a token bucket set to the quota (`RateLimit.make`), for reference.
 *
 * Everything is deterministic for a given seed: arrivals and service times come from `Random.seeded` streams, and
 * simultaneous events run in the order they were scheduled.
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import type * as TE from 'fp-ts/TaskEither'
import { Bulkhead, Random, RateLimit, Retry, Schedule, TestClock, Timeout } from '../../src/index'
import * as Http from '../../src/Http'

// -------------------------------------------------------------------------------------
// shared
// -------------------------------------------------------------------------------------

const httpError = (status: number): Http.HttpError => ({
  _tag: 'HttpError',
  method: 'GET',
  url: 'http://dependency.sim/',
  status,
  statusText: status === 429 ? 'Too Many Requests' : 'Service Unavailable',
  headers: {},
  retryAfter: O.none,
  body: '',
})

/** The q-quantile of `values` (nearest rank), 0 when there are none. */
export const quantile = (values: ReadonlyArray<number>, q: number): number => {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0
}

/**
 * Fires `call(i)` at each arrival of a Poisson process of `perSecond` calls a second, from 0 to `duration` ms, on
 * `clock`, then runs the clock until nothing is asleep. Resolves with the calls' results. Arrivals are rounded up to
 * the millisecond (as every simulated duration is), so that calls due in the same millisecond wake together: the
 * clock then wakes at most once per virtual millisecond, whatever the load.
 */
const openLoop = async <A>(
  clock: TestClock.TestClock,
  random: () => number,
  perSecond: number,
  duration: number,
  call: (i: number) => Promise<A>,
): Promise<ReadonlyArray<A>> => {
  const calls: Array<Promise<A>> = []
  const traffic = async () => {
    let next = -Math.log(1 - random()) * (1_000 / perSecond)
    while (next < duration) {
      await clock.sleep(Math.ceil(next) - clock.now(), undefined, 'traffic')
      calls.push(call(calls.length))
      next += -Math.log(1 - random()) * (1_000 / perSecond)
    }
  }
  const done = traffic()
  await clock.runAll(50_000_000)
  await done
  return Promise.all(calls)
}

// -------------------------------------------------------------------------------------
// 1. concurrency
// -------------------------------------------------------------------------------------

/** The concurrency experiment's parameters. */
export interface ConcurrencyParameters {
  /** The dependency's workers: its capacity knee, in calls in flight. */
  readonly workers: number
  /** Mean service time, ms (uniform in [0.75, 1.25] times this, in whole milliseconds). */
  readonly service: number
  /** Calls its own queue holds before it sheds load with a 503. */
  readonly serverQueue: number
  /** The client's per-call time limit, ms. */
  readonly timeout: number
  /** The bulkheads' queue: how many calls may wait, and for how long (ms). */
  readonly clientQueue: number
  readonly queueTimeout: number
  /** Virtual ms before measuring (the adaptive limits converge), and measured. */
  readonly warmup: number
  readonly measure: number
}

/** 20 workers of 40 ms (500 calls a second), a queue of 200 (400 ms of work), a 250 ms client timeout. */
export const concurrencyParameters: ConcurrencyParameters = {
  workers: 20,
  service: 40,
  serverQueue: 200,
  timeout: 250,
  clientQueue: 25,
  queueTimeout: 50,
  warmup: 6_000,
  measure: 4_000,
}

/** The dependency's capacity, in calls a second. */
export const capacity = (p: ConcurrencyParameters): number => (p.workers / p.service) * 1_000

/** A concurrency strategy: its bulkhead, or none. */
export interface ConcurrencyStrategy {
  readonly key: string
  readonly name: string
  readonly limit: number | Bulkhead.Limit | undefined
}

/** The fixed limits swept. */
export const fixedLimits: ReadonlyArray<number> = [5, 10, 20, 40, 80, 160]

/**
 * The strategies compared: no limit, fixed bulkheads, AIMD and Gradient2 with the published defaults, each behind
 * Netflix's `WindowedLimit` (`Bulkhead.windowed`) with 100 ms windows (its shortest), as its README installs
 * Gradient2. AIMD reacts to losses only, so a call slower than 2.5 x the unloaded service time counts as one
 * (`timeout`; the published default, 5 s, is longer than the client's own time limit).
 */
export const concurrencyStrategies = (
  p: ConcurrencyParameters = concurrencyParameters,
): ReadonlyArray<ConcurrencyStrategy> => {
  const window = { minWindowTime: 100, maxWindowTime: 100 }
  return [
    { key: 'none', name: 'No limit', limit: undefined },
    ...fixedLimits.map((n) => ({ key: `fixed-${n}`, name: `Fixed ${n}`, limit: n })),
    { key: 'aimd', name: 'AIMD', limit: Bulkhead.windowed(Bulkhead.aimd({ timeout: 2.5 * p.service }), window) },
    { key: 'gradient2', name: 'Gradient2', limit: Bulkhead.windowed(Bulkhead.gradient2(), window) },
  ]
}

/** What one run measured, over the calls that ended in the measured window. */
export interface ConcurrencyResult {
  readonly strategy: string
  /** Offered load, as a multiple of the capacity, and in calls a second. */
  readonly load: number
  readonly offered: number
  /** Successful calls a second. */
  readonly goodput: number
  /** 99th percentile of the successful calls' latency (arrival to answer, queueing included), ms. */
  readonly p99: number
  /** Calls a second refused by the bulkhead, shed by the dependency (503), timed out. */
  readonly rejected: number
  readonly shed: number
  readonly timeouts: number
  /** The bulkhead's mean limit over the window (0: no bulkhead). */
  readonly meanLimit: number
  /** With `trace`: the bulkhead's limit every `trace` ms, as [time, limit]. */
  readonly trace: ReadonlyArray<readonly [number, number]>
}

/** The dependency of the concurrency experiment: workers, a FIFO queue, shedding beyond it. */
const knee = (clock: TestClock.TestClock, random: () => number, p: ConcurrencyParameters) => {
  let busy = 0
  const queue: Array<() => void> = []
  let head = 0
  const next = () => {
    if (head < queue.length) {
      const start = queue[head] as () => void
      queue[head++] = () => undefined
      if (head > 1_024 && head * 2 > queue.length) {
        queue.splice(0, head)
        head = 0
      }
      start()
    }
  }
  const request: TE.TaskEither<Http.HttpError, 'ok'> = () =>
    new Promise((resolve) => {
      const start = () => {
        busy += 1
        void clock.sleep(Math.round(p.service * (0.75 + 0.5 * random())), undefined, 'server').then(() => {
          busy -= 1
          resolve(E.right('ok'))
          next()
        })
      }
      if (busy < p.workers) start()
      else if (queue.length - head < p.serverQueue) queue.push(start)
      else void clock.sleep(1, undefined, 'server').then(() => resolve(E.left(httpError(503))))
    })
  return request
}

/**
 * One run of the concurrency experiment: `strategy` at `load` times the capacity. With `trace`, the bulkhead's limit
 * is read every `trace` ms.
 */
export const runConcurrency = async (
  strategy: ConcurrencyStrategy,
  load: number,
  seed: number,
  p: ConcurrencyParameters = concurrencyParameters,
  trace?: number,
): Promise<ConcurrencyResult> => {
  const clock = TestClock.make()
  const request = knee(clock, Random.seeded(seed * 7 + 1), p)
  const bulkhead =
    strategy.limit === undefined
      ? undefined
      : Bulkhead.make({ maxConcurrent: strategy.limit, maxQueue: p.clientQueue, queueTimeout: p.queueTimeout, clock })()
  const bounded = pipe(request, Timeout.timeout(p.timeout, { clock }))
  const call = bulkhead === undefined ? bounded : pipe(bounded, Bulkhead.limit(bulkhead))
  const offered = load * capacity(p)
  const from = p.warmup
  const to = p.warmup + p.measure
  let limitSum = 0
  let limitCount = 0
  const traced: Array<readonly [number, number]> = []
  if (trace !== undefined && bulkhead !== undefined)
    void (async () => {
      while (clock.now() < to) {
        traced.push([clock.now(), bulkhead.maxConcurrent()])
        await clock.sleep(trace, undefined, 'trace')
      }
    })()
  const results = await openLoop(clock, Random.seeded(seed), offered, to, async () => {
    const start = clock.now()
    if (bulkhead !== undefined && start >= from) {
      limitSum += bulkhead.maxConcurrent()
      limitCount += 1
    }
    const result = await call()
    return { start, end: clock.now(), result }
  })
  const window = results.filter((r) => r.end >= from && r.end < to)
  const perSecond = (n: number) => n / (p.measure / 1_000)
  const count = (tag: string) => window.filter((r) => E.isLeft(r.result) && r.result.left._tag === tag).length
  const successes = window.filter((r) => E.isRight(r.result))
  return {
    strategy: strategy.key,
    load,
    offered,
    goodput: perSecond(successes.length),
    p99: quantile(
      successes.map((r) => r.end - r.start),
      0.99,
    ),
    rejected: perSecond(count('BulkheadRejected')),
    shed: perSecond(count('HttpError')),
    timeouts: perSecond(count('TimeoutError')),
    meanLimit: limitCount === 0 ? 0 : limitSum / limitCount,
    trace: traced,
  }
}

// -------------------------------------------------------------------------------------
// 2. throttling
// -------------------------------------------------------------------------------------

/** The throttling experiment's parameters. */
export interface ThrottlingParameters {
  /** The dependency's quota: calls a second, and at once. */
  readonly quota: number
  readonly quotaBurst: number
  /** Latency of an admitted call, and of a 429, ms. */
  readonly latency: number
  readonly throttleLatency: number
  /** How long a call may wait for a client-side token, ms. */
  readonly maxWait: number
  readonly warmup: number
  readonly measure: number
}

/** A quota of 100 calls a second, 10 at once; 20 ms calls; 429s in 5 ms; a client waits at most 1 s for a token. */
export const throttlingParameters: ThrottlingParameters = {
  quota: 100,
  quotaBurst: 10,
  latency: 20,
  throttleLatency: 5,
  maxWait: 1_000,
  warmup: 5_000,
  measure: 20_000,
}

/** A throttling strategy: how the client limits its own sending, if at all. */
export interface ThrottlingStrategy {
  readonly key: string
  readonly name: string
  readonly limiter: ((clock: TestClock.TestClock, p: ThrottlingParameters) => RateLimit.RateLimiter) | undefined
}

/** Plain retries, the AWS adaptive limiter, and a token bucket set to the quota. */
export const throttlingStrategies: ReadonlyArray<ThrottlingStrategy> = [
  { key: 'retries', name: 'Plain retries', limiter: undefined },
  {
    key: 'aws-adaptive',
    name: 'AWS adaptive limiter',
    limiter: (clock, p) => RateLimit.awsAdaptive({ clock, maxWait: p.maxWait })(),
  },
  {
    key: 'token-bucket',
    name: 'Token bucket at the quota',
    limiter: (clock, p) => RateLimit.make({ rate: p.quota, burst: p.quotaBurst, maxWait: p.maxWait, clock })(),
  },
]

/** What one run of the throttling experiment measured, over the calls that ended in the measured window. */
export interface ThrottlingResult {
  readonly strategy: string
  readonly load: number
  readonly offered: number
  /** Successful calls a second. */
  readonly goodput: number
  /** Attempts a second that reached the dependency, and the share of them it throttled. */
  readonly attempts: number
  readonly throttled: number
  readonly throttleRate: number
  /** Calls a second that failed in the end (a 429 or a RateLimited at the last attempt). */
  readonly failed: number
  /** 99th percentile of the successful calls' latency, ms. */
  readonly p99: number
}

/**
 * The AWS standard strategy's backoff: full jitter over 100 * 2^n ms, at most 20 s, 3 attempts in all; transient
 * failures only (a 429, a RateLimited), waiting out a RateLimited's hint up to 1 s.
 */
export const throttlingPolicy = pipe(
  Schedule.exponential(100),
  Schedule.capDelay(20_000),
  Schedule.fullJitter,
  Schedule.intersect(Schedule.recurs(2)),
  Schedule.whileInput(Http.isTransient),
  Schedule.waitForHint(1_000),
)

/** One run of the throttling experiment: `strategy` at `load` times the quota. */
export const runThrottling = async (
  strategy: ThrottlingStrategy,
  load: number,
  seed: number,
  p: ThrottlingParameters = throttlingParameters,
): Promise<ThrottlingResult> => {
  const clock = TestClock.make()
  const from = p.warmup
  const to = p.warmup + p.measure
  let tokens = p.quotaBurst
  let last = 0
  let attempts = 0
  let throttled = 0
  const request: TE.TaskEither<Http.HttpError, 'ok'> = async () => {
    const now = clock.now()
    tokens = Math.min(p.quotaBurst, tokens + ((now - last) * p.quota) / 1_000)
    last = now
    const counted = now >= from && now < to
    if (counted) attempts += 1
    if (tokens >= 1) {
      tokens -= 1
      await clock.sleep(p.latency, undefined, 'server')
      return E.right('ok')
    }
    if (counted) throttled += 1
    await clock.sleep(p.throttleLatency, undefined, 'server')
    return E.left(httpError(429))
  }
  const limiter = strategy.limiter?.(clock, p)
  const attempt = limiter === undefined ? request : pipe(request, RateLimit.limit(limiter))
  const call = pipe(attempt, Retry.retrying(throttlingPolicy, { clock, random: Random.seeded(seed * 13 + 5) }))
  const offered = load * p.quota
  const results = await openLoop(clock, Random.seeded(seed), offered, to, async () => {
    const start = clock.now()
    const result = await call()
    return { start, end: clock.now(), result }
  })
  const window = results.filter((r) => r.end >= from && r.end < to)
  const perSecond = (n: number) => n / (p.measure / 1_000)
  const successes = window.filter((r) => E.isRight(r.result))
  return {
    strategy: strategy.key,
    load,
    offered,
    goodput: perSecond(successes.length),
    attempts: perSecond(attempts),
    throttled: perSecond(throttled),
    throttleRate: attempts === 0 ? 0 : throttled / attempts,
    failed: perSecond(window.length - successes.length),
    p99: quantile(
      successes.map((r) => r.end - r.start),
      0.99,
    ),
  }
}

/** The mean of several seeds' results, field by field (the first run's other fields). */
export const mean = <R extends { readonly strategy: string; readonly load: number }>(runs: ReadonlyArray<R>): R => {
  const first = runs[0] as R
  const out: Record<string, unknown> = { ...first }
  for (const [k, v] of Object.entries(first)) {
    if (typeof v === 'number' && k !== 'load')
      out[k] = runs.reduce((sum, r) => sum + (r[k as keyof R] as number), 0) / runs.length
  }
  return out as R
}
