/**
 * `fp-ts-retry/redis`: one retry budget, one circuit breaker and one rate
 * limit shared by a fleet of processes, kept in Redis (or Valkey), with the
 * official `redis` client (node-redis) as an optional peer.
 *
 * **Local-first.** Each shared protection is a drop-in for its local twin
 * (a `Budget.Budget`, a `CircuitBreaker.CircuitBreaker`, a
 * `RateLimit.RateLimiter`): every call decides from state held in this
 * process, with no round trip on its path, and Redis is talked to in the
 * background, by atomic Lua scripts (run by SHA, reloaded after `NOSCRIPT`).
 *
 * - The budget leases tokens from Redis in batches and gives refunds back in
 *   batches: the fleet exceeds its budget by at most one batch per process.
 * - The breaker's state lives in Redis; each process learns of a change
 *   within `staleness` (default 100 ms), by polling. One process in the
 *   fleet wins each half-open probe, through a lease (`SET NX PX`) that
 *   expires if its holder dies. Failures are counted fleet-wide.
 * - The rate limit is a token bucket in Redis, leased in small batches; a
 *   `Retry-After` seen by one process holds the bucket for the whole fleet.
 *
 * **When Redis is down or slow** (no reply within `timeout`, 250 ms by
 * default), `failMode: 'open'` (the default) falls back to the same
 * protection kept in this process, and `'closed'` refuses: no retry, a
 * `CircuitOpen`, a `RateLimited`, each carrying the {@link RedisUnavailable}
 * as its `cause` ({@link isFailClosed}). Sharing resumes on its own once
 * Redis answers again. No call ever waits on Redis longer than `timeout`.
 *
 * **Keys** are `<prefix>:{<name>}:<kind>` (one hash slot per name, for Redis
 * Cluster), each with a TTL (`ttl`, 10 minutes by default), so that an
 * abandoned key disappears.
 *
 * Pass a connected client; this module never opens or closes it. Each
 * protection runs one timer (unref'd: it never keeps a process alive); stop
 * it with `close()`.
 *
 * @example
 * import { createClient } from 'redis'
 * import * as Redis from 'fp-ts-retry/redis'
 *
 * const client = createClient() // connect it with `await client.connect()`; this example runs without a server
 * const budget = Redis.tokenBucket({ client, name: 'payments' })()
 * await budget.close()
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/Either'
import type { IO } from 'fp-ts/IO'
import * as O from 'fp-ts/Option'
import * as Budget from './Budget'
import * as CircuitBreaker from './CircuitBreaker'
import * as Clock from './Clock'
import { isHealthFailure } from './internal/classify'
import { isDefect } from './internal/defect'
import { hintOf } from './internal/hint'
import { link, num, str, unrefTimeout } from './internal/redis-link'
import type { CommandClient, Failure, Link } from './internal/redis-link'
import * as scripts from './internal/redis-scripts'
import { guarded } from './internal/report'
import { hasTag } from './internal/tag'
import * as check from './internal/validate'
import * as RateLimit from './RateLimit'
import * as Schedule from './Schedule'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What this module calls on a Redis client: `sendCommand`, as the node-redis
 * client (`createClient()` of `redis` 5 and 6) has it, and its `isReady`
 * flag. Pass the client connected; this module never connects or quits it.
 *
 * @since 0.2.0
 * @category model
 */
export type Client = CommandClient

/**
 * Why a shared protection could not use Redis: no reply within `timeout`,
 * an error (a refused connection, an error reply), or a client that is not
 * ready (connecting, reconnecting or closed).
 *
 * @since 0.2.0
 * @category model
 */
export interface RedisUnavailable {
  readonly _tag: 'RedisUnavailable'
  readonly reason: 'timeout' | 'error' | 'not-ready'
  /** What the client threw or rejected with. */
  readonly cause: unknown
}

/**
 * What Redis being unreachable does to a shared protection: `'open'` falls
 * back to the same protection kept in this process (a local budget, breaker
 * or limiter with the same options, fed with this process's own calls all
 * along), `'closed'` refuses.
 *
 * @since 0.2.0
 * @category model
 */
export type FailMode = 'open' | 'closed'

/**
 * The options every shared protection takes.
 *
 * @since 0.2.0
 * @category model
 */
export interface SharedOptions {
  /** A connected node-redis client (or anything with its `sendCommand`). Never connected or closed here. */
  readonly client: Client
  /** The name the fleet shares: processes that pass the same `name` (and `prefix`) share one protection. */
  readonly name: string
  /** The first part of every key (default `'fp-ts-retry'`). */
  readonly prefix?: string | undefined
  /** What to do while Redis is unreachable (default `'open'`: fall back to a local protection). */
  readonly failMode?: FailMode | undefined
  /** The longest wait for any reply from Redis, in ms (default 250); longer counts as unreachable. */
  readonly timeout?: number | undefined
  /** How old the shared state this process decides from may be, in ms (default 100): its sync interval. */
  readonly staleness?: number | undefined
  /** The TTL of every key, refreshed at every write, in ms (default 600,000: 10 minutes). */
  readonly ttl?: number | undefined
  /** Where time is read (default `Clock.live`). Redis keeps its own time: the scripts read the server's. */
  readonly clock?: Clock.Clock | undefined
  /** Called when Redis becomes unreachable (`false`) and reachable again (`true`). */
  readonly onAvailability?: ((available: boolean) => void) | undefined
}

/**
 * What every shared protection adds to its local twin.
 *
 * @since 0.2.0
 * @category model
 */
export interface Shared {
  /** Whether Redis answered the last call (false: the fail mode applies). */
  readonly available: IO<boolean>
  /** Why Redis is unreachable, while it is. */
  readonly unavailable: IO<O.Option<RedisUnavailable>>
  /** Stops the timer, gives back what this process holds (leased tokens), and resolves once that is sent. */
  readonly close: () => Promise<void>
}

/**
 * A retry budget shared by the fleet: a `Budget.Budget`, usable wherever
 * one is (the `budget` option of `Retry`), plus {@link Shared}.
 *
 * @since 0.2.0
 * @category model
 */
export interface SharedBudget extends Budget.Budget, Shared {}

/**
 * A circuit breaker shared by the fleet: a `CircuitBreaker.CircuitBreaker`,
 * so `CircuitBreaker.protect(shared)` works as with a local one, plus
 * {@link Shared}.
 *
 * @since 0.2.0
 * @category model
 */
export interface SharedCircuitBreaker extends CircuitBreaker.CircuitBreaker, Shared {}

/**
 * A rate limiter shared by the fleet: a `RateLimit.RateLimiter`, so
 * `RateLimit.limit(shared)` works as with a local one, plus {@link Shared}.
 *
 * @since 0.2.0
 * @category model
 */
export interface SharedRateLimiter extends RateLimit.RateLimiter, Shared {}

/**
 * Options of {@link tokenBucket}: those of `Budget.tokenBucket` (the AWS
 * standard defaults), {@link SharedOptions}, and the lease's size.
 *
 * @since 0.2.0
 * @category model
 */
export interface TokenBucketOptions extends Budget.TokenBucketOptions, SharedOptions {
  /**
   * Tokens leased from Redis at a time (default a tenth of `capacity`, at
   * least the largest cost; never less than it): a process holds at most
   * this many, and spends only what it holds.
   */
  readonly batch?: number | undefined
}

/**
 * Options of {@link throttle}: those of `Budget.throttle` and
 * {@link SharedOptions}.
 *
 * @since 0.2.0
 * @category model
 */
export interface ThrottleOptions extends Budget.ThrottleOptions, SharedOptions {}

/**
 * Options of {@link circuitBreaker}: those of `CircuitBreaker.make` and
 * {@link SharedOptions}. The thresholds count the calls of the whole fleet;
 * `probes` successful probes close it, one at a time, each won by one
 * process; `probeLease` is the probe lease's TTL.
 *
 * @since 0.2.0
 * @category model
 */
export interface CircuitBreakerOptions extends CircuitBreaker.Options, SharedOptions {}

/**
 * Options of {@link rateLimit}: those of `RateLimit.make`, for the fleet's
 * quota, {@link SharedOptions}, and the lease's size.
 *
 * @since 0.2.0
 * @category model
 */
export interface RateLimitOptions extends RateLimit.Options, SharedOptions {
  /** Tokens leased from Redis at a time (default a twentieth of `burst`, at least 1); unspent ones lapse after `interval`. */
  readonly batch?: number | undefined
  /**
   * The limiter used while Redis is unreachable and `failMode` is `'open'`
   * (default: `RateLimit.make` with the same options: this process alone may
   * then use the whole quota; pass one with the process's share instead).
   */
  readonly fallback?: RateLimit.RateLimiter | undefined
}

// -------------------------------------------------------------------------------------
// shared machinery
// -------------------------------------------------------------------------------------

interface Common {
  readonly client: Client
  readonly key: (kind: string) => string
  readonly failMode: FailMode
  readonly timeout: number
  readonly staleness: number
  readonly ttl: number
  readonly clock: Clock.Clock
  readonly onAvailability: ((available: boolean) => void) | undefined
}

const common = (fn: string, options: SharedOptions): Common => {
  const client = options.client as Partial<Client> | undefined
  if (typeof client !== 'object' || client === null || typeof client.sendCommand !== 'function')
    check.fail(fn, 'client', 'a Redis client (with sendCommand)', client)
  if (typeof options.name !== 'string' || options.name === '')
    check.fail(fn, 'name', 'a non-empty string', options.name)
  const prefix = options.prefix ?? 'fp-ts-retry'
  if (typeof prefix !== 'string') check.fail(fn, 'prefix', 'a string', prefix)
  const failMode = options.failMode ?? 'open'
  if (failMode !== 'open' && failMode !== 'closed') check.fail(fn, 'failMode', "'open' or 'closed'", failMode)
  const positive = (param: string, value: number) =>
    Number.isFinite(value) && value > 0 ? value : check.fail(fn, param, 'a finite number of milliseconds > 0', value)
  const timeout = positive('timeout', options.timeout ?? 250)
  const staleness = positive('staleness', options.staleness ?? 100)
  const ttl = Math.ceil(positive('ttl', options.ttl ?? 600_000))
  return {
    client: options.client,
    key: (kind) => `${prefix}:{${options.name}}:${kind}`,
    failMode,
    timeout,
    staleness,
    ttl,
    clock: options.clock ?? Clock.live,
    onAvailability: options.onAvailability,
  }
}

const unavailableOf = (failure: Failure | undefined): RedisUnavailable => ({
  _tag: 'RedisUnavailable',
  reason: failure?.reason ?? 'error',
  cause: failure?.error,
})

/** A repeating timer that never keeps the process alive. */
const every = (ms: number, f: () => void): (() => void) => {
  const timer = setInterval(f, ms)
  ;(timer as { unref?: () => void }).unref?.()
  return () => clearInterval(timer)
}

let instances = 0
/** An id for this process's lease values: random, with the pid when there is one. */
const newId = (): string => {
  const pid = (globalThis as { process?: { pid?: number } }).process?.pid ?? 0
  instances += 1
  return `${pid}-${instances}-${Math.random().toString(36).slice(2, 10)}`
}

const sharedPart = (redis: Link, stop: () => void, last: () => Promise<void>): Shared => {
  let closing: Promise<void> | undefined
  return {
    available: redis.available,
    unavailable: () => (redis.available() ? O.none : O.some(unavailableOf(redis.failure()))),
    close: () => {
      if (closing === undefined) {
        stop()
        closing = last().catch(() => undefined)
      }
      return closing
    },
  }
}

// -------------------------------------------------------------------------------------
// budgets
// -------------------------------------------------------------------------------------

/**
 * A retry budget shared by the fleet, with the token-bucket semantics of
 * `Budget.tokenBucket` (the AWS standard strategy's defaults): a retry
 * withdraws its cost, a success refunds, the bucket holds `capacity` tokens
 * for the whole fleet. Created in `IO`; each run is one process's handle on
 * the shared bucket `name`.
 *
 * Local-first: each process leases `batch` tokens at a time from Redis (a
 * first lease at creation) and spends them with no round trip; refunds fill
 * its lease back up to `batch`, and the rest goes back to Redis, batched,
 * once per `staleness`, where the bucket is capped at `capacity`. A process
 * spends only the tokens it holds, never on credit, and holds at most one
 * batch, so the fleet is exceeded by at most one batch per process: the
 * refunds each may keep while the bucket in Redis is full. A retry that
 * finds too little leased is refused and asks for a lease; the next one,
 * once it has come, goes.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { createClient } from 'redis'
 * import { Retry, Schedule } from 'fp-ts-retry'
 * import * as Redis from 'fp-ts-retry/redis'
 *
 * const client = createClient() // in production: connected, once, at start-up
 * const budget = Redis.tokenBucket({ client, name: 'orders', capacity: 100 })() // one per process, shared by name
 * const call = pipe(TE.left('503'), Retry.retrying(Schedule.recurs(3), { budget }))
 * await call()
 * // => { _tag: 'Left', left: '503' }
 * budget.available()
 * // => false
 * // (this client never connected: the budget went on locally, failMode 'open')
 * await budget.close()
 *
 * @throws RangeError when an option is out of range (as `Budget.tokenBucket`), `client` is not a client, `name` is empty, or `batch` is below the largest cost
 * @since 0.2.0
 * @category constructors
 */
export const tokenBucket = (options: TokenBucketOptions): IO<SharedBudget> => {
  const fn = 'Redis.tokenBucket'
  const shared = common(fn, options)
  const localOf = Budget.tokenBucket(options) // validates the bucket's options
  const capacity = options.capacity ?? 500
  const retryCost = options.retryCost ?? 5
  const timeoutCost = options.timeoutCost ?? 10
  const throttlingCost = options.throttlingCost ?? retryCost
  const successReward = options.successReward ?? 1
  const isTimeout = options.isTimeout ?? Budget.isAwsTransientError
  const isThrottling = options.isThrottling ?? Budget.isAwsThrottlingError
  const costOf = (error: unknown): number =>
    guarded(isThrottling, error, false) ? throttlingCost : guarded(isTimeout, error, false) ? timeoutCost : retryCost
  const largest = Math.max(retryCost, timeoutCost, throttlingCost)
  const batch = options.batch ?? Math.min(capacity, Math.max(largest, Math.ceil(capacity / 10)))
  const least = Math.min(largest, capacity) // a lease smaller than a retry's cost could never pay for it
  if (!(Number.isFinite(batch) && batch > 0 && batch >= least))
    check.fail(fn, 'batch', `a finite number >= ${least} (the largest cost, or the capacity if smaller)`, batch)
  const key = shared.key('budget')

  return () => {
    const local = localOf()
    const redis = link(shared.client, shared.timeout, shared.onAvailability)
    let lease = 0 // tokens this process holds, in [0, batch]: leased, or refunded while it held fewer than `batch`
    let give = 0
    let fleet: number | undefined
    let syncing: Promise<void> | undefined
    let closed = false

    const sync = (want: number) => {
      if (syncing !== undefined) return syncing
      const giving = give
      give = 0
      syncing = redis.run(scripts.budgetLease, [key], [shared.ttl, capacity, giving, want]).then((outcome) => {
        syncing = undefined
        if (!outcome.ok) return // tokens given back in a call that failed are lost: the budget errs on the safe side
        lease += num(outcome.reply, 0)
        fleet = num(outcome.reply, 1)
        if (lease > batch) {
          // refunds came in while the lease was on its way: the excess goes back at the next sync
          give += lease - batch
          lease = batch
        }
      })
      return syncing
    }
    // below half a batch, or too little for the dearest retry (with no credit, it would wait for refunds)
    const low = () => lease < Math.min(batch, Math.max(batch / 2, largest))
    const topUp = () => {
      if (!closed && low()) void sync(batch - lease)
    }
    const stop = every(shared.staleness, () => {
      if (give > 0 || low() || !redis.available()) void sync(Math.max(0, batch - lease))
    })
    void sync(batch)

    return {
      _tag: 'Budget',
      kind: 'SharedTokenBucket',
      tokens: () => (redis.available() ? Math.max(0, lease) + (fleet ?? capacity) : local.tokens()),
      recordFailure: (error) => local.recordFailure(error),
      tryRetry: (error) => {
        if (!redis.available()) return shared.failMode === 'open' ? local.tryRetry(error) : false
        const cost = costOf(error)
        if (cost > lease) {
          // only leased tokens are spent, never credit: with at most `batch` held, the bound is one batch per process
          topUp()
          return false
        }
        lease -= cost
        local.tryRetry(error) // the fallback follows this process's retries
        topUp()
        return true
      },
      recordSuccess: (lastError) => {
        local.recordSuccess(lastError)
        if (!redis.available()) return
        lease += lastError !== undefined && lastError._tag === 'Some' ? costOf(lastError.value) : successReward
        if (lease > batch) {
          give += lease - batch
          lease = batch
        }
      },
      ...sharedPart(redis, stop, async () => {
        closed = true
        await syncing
        give += lease
        lease = 0
        await sync(0)
      }),
    }
  }
}

/** `x` in thousandths, decimal places beyond 3 ignored, as `Budget.throttle` counts. */
const thousandths = (x: number): number => Math.floor(Number((x * 1000).toPrecision(12)))

/**
 * A retry budget shared by the fleet, with the semantics of gRPC's retry
 * throttle (`Budget.throttle`): every failed attempt of any process removes
 * a token, every success adds `tokenRatio`, and no process retries while the
 * fleet's tokens are at or below half of `maxTokens`.
 *
 * Local-first: each process decides from the fleet's tokens as of its last
 * sync plus its own changes since, and sends those changes, summed, once per
 * `staleness`.
 *
 * @example
 * import { createClient } from 'redis'
 * import * as Redis from 'fp-ts-retry/redis'
 *
 * const budget = Redis.throttle({ client: createClient(), name: 'search', maxTokens: 10 })()
 * budget.tryRetry('503')
 * // => true
 * await budget.close()
 *
 * @throws RangeError when an option is out of range (as `Budget.throttle`), `client` is not a client, or `name` is empty
 * @since 0.2.0
 * @category constructors
 */
export const throttle = (options: ThrottleOptions): IO<SharedBudget> => {
  const shared = common('Redis.throttle', options)
  const localOf = Budget.throttle(options) // validates the throttle's options
  const max = thousandths(options.maxTokens ?? 10)
  const ratio = thousandths(options.tokenRatio ?? 0.1)
  const isFailure = options.isFailure
  const key = shared.key('throttle')

  return () => {
    const local = localOf()
    const redis = link(shared.client, shared.timeout, shared.onAvailability)
    let fleet = max
    let pending = 0
    let syncing: Promise<void> | undefined
    const estimate = () => Math.max(0, Math.min(max, fleet + pending))
    const sync = () => {
      if (syncing !== undefined) return syncing
      const delta = pending
      pending = 0
      syncing = redis.run(scripts.throttleSync, [key], [shared.ttl, max, delta]).then((outcome) => {
        syncing = undefined
        if (outcome.ok) fleet = num(outcome.reply, 0, fleet)
      })
      return syncing
    }
    const stop = every(shared.staleness, () => void sync())
    void sync()

    return {
      _tag: 'Budget',
      kind: 'SharedThrottle',
      tokens: () => (redis.available() ? estimate() / 1000 : local.tokens()),
      recordFailure: (error) => {
        local.recordFailure(error)
        if (isFailure === undefined || guarded(isFailure, error, true)) pending -= 1000
      },
      tryRetry: (error) => {
        if (!redis.available()) return shared.failMode === 'open' ? local.tryRetry(error) : false
        return estimate() > max / 2
      },
      recordSuccess: (lastError) => {
        local.recordSuccess(lastError)
        pending += ratio
      },
      ...sharedPart(redis, stop, async () => {
        await syncing
        await sync()
      }),
    }
  }
}

// -------------------------------------------------------------------------------------
// circuit breaker
// -------------------------------------------------------------------------------------

/**
 * A circuit breaker shared by the fleet, with the state machine of
 * `CircuitBreaker.make`: Closed -> Open after `consecutiveFailures` failures
 * in a row or a `failureRate` over a window of calls, counted across the
 * fleet -> HalfOpen after `halfOpenAfter` -> Closed after `probes`
 * successful probes, or Open again after a failed one.
 *
 * Local-first: `acquire` decides from this process's copy of the state, with
 * no round trip. Once per `staleness` (and at once after a failure) the
 * process sends its outcomes and reads the state back, so it learns of a
 * change within `staleness`. Each half-open probe is won by one process of
 * the fleet, through a lease (`SET NX PX`, for `probeLease`): the others
 * fail with `CircuitOpen` (`state: 'HalfOpen'`). A probe whose lease runs
 * out unreported (its holder died) counts as failed, as in the local
 * breaker. The failure-rate window is a sliding window counter (the current
 * `window` calls plus the previous window, weighted).
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { createClient } from 'redis'
 * import { CircuitBreaker } from 'fp-ts-retry'
 * import * as Redis from 'fp-ts-retry/redis'
 *
 * const client = createClient() // in production: connected
 * const breaker = Redis.circuitBreaker({ client, name: 'inventory', consecutiveFailures: 10 })()
 * const call = pipe(TE.right('in stock'), CircuitBreaker.protect(breaker)) // as with a local breaker
 * await call()
 * // => { _tag: 'Right', right: 'in stock' }
 * await breaker.close()
 *
 * @throws RangeError when an option is out of range (as `CircuitBreaker.make`), `client` is not a client, or `name` is empty
 * @since 0.2.0
 * @category constructors
 */
export const circuitBreaker = (options: CircuitBreakerOptions): IO<SharedCircuitBreaker> => {
  const shared = common('Redis.circuitBreaker', options)
  const { onStateChange, ...rest } = options
  const localOf = CircuitBreaker.make(rest) // validates the breaker's options
  const clock = shared.clock
  const rate = options.failureRate
  const consecutive = options.consecutiveFailures ?? (rate === undefined ? 5 : 0)
  const probes = options.probes ?? 1
  const probeLease = Math.max(1, Math.ceil(options.probeLease ?? 30_000))
  const halfOpenAfter = options.halfOpenAfter ?? 10_000
  const schedule = typeof halfOpenAfter === 'number' ? Schedule.spaced(halfOpenAfter) : halfOpenAfter
  const random = options.random ?? Math.random
  const isFailureOption = options.isFailure ?? isHealthFailure
  const isFailure = (error: unknown): boolean => isDefect(error) || guarded(isFailureOption, error, true)
  const delays = (): string =>
    guarded(
      () =>
        Schedule.simulate(
          schedule,
          Array.from({ length: 16 }, () => undefined),
          { random },
        ).map(Math.round),
      undefined,
      [],
    ).join(',')
  const keys = [shared.key('breaker'), shared.key('probe')]
  const thresholds = [consecutive, rate?.window ?? 0, rate?.minimumCalls ?? 0, rate?.threshold ?? 1]

  return () => {
    const local = localOf()
    const redis = link(shared.client, shared.timeout, shared.onAvailability)
    const id = newId()
    let state: CircuitBreaker.State = 'Closed'
    let gen = 0
    let retryAt = 0
    let probe: { readonly value: string; used: boolean } | undefined
    let outcomes = { gen, oks: 0, fails: 0, trailing: -1 }
    let syncing = false
    let contesting = false
    let lastContest = -Infinity
    let closed = false
    const listeners = new Set<(change: CircuitBreaker.StateChange) => void>()
    if (onStateChange !== undefined) listeners.add(onStateChange)

    const apply = (reply: unknown) => {
      const now = clock.now()
      const next = str(reply, 0)
      const nextGen = num(reply, 1)
      if (next !== 'Closed' && next !== 'Open' && next !== 'HalfOpen') return
      if (nextGen !== gen) {
        outcomes = { gen: nextGen, oks: 0, fails: 0, trailing: -1 }
        if (probe !== undefined && !probe.value.endsWith(`:${nextGen}`)) probe = undefined
      }
      gen = nextGen
      retryAt = now + num(reply, 2)
      if (num(reply, 4) === 1) probe = { value: `${id}:${nextGen}`, used: false }
      if (next !== state) {
        const change: CircuitBreaker.StateChange = { from: state, to: next, at: now }
        state = next
        listeners.forEach((listener) => guarded(listener, change, undefined))
      }
    }

    const sync = () => {
      if (syncing || closed) return
      syncing = true
      const sent = outcomes
      outcomes = { gen, oks: 0, fails: 0, trailing: -1 }
      const args = [shared.ttl, sent.fails > 0 ? delays() : '', sent.gen, sent.oks, sent.fails, sent.trailing]
      void redis.run(scripts.breakerSync, keys, [...args, ...thresholds]).then((outcome) => {
        syncing = false
        if (!outcome.ok) return
        apply(outcome.reply)
        if (outcomes.fails > 0) sync() // failures came in meanwhile: they may trip it
      })
    }
    const contest = (now: number) => {
      if (contesting || closed || now - lastContest < shared.staleness) return
      contesting = true
      lastContest = now
      void redis.run(scripts.breakerProbe, keys, [shared.ttl, delays(), id, probeLease]).then((outcome) => {
        contesting = false
        if (outcome.ok) apply(outcome.reply)
      })
    }
    const report = (value: string, success: boolean) => {
      void redis
        .run(scripts.breakerReport, keys, [shared.ttl, success ? '' : delays(), value, success ? 1 : 0, probes])
        .then((outcome) => {
          if (outcome.ok) apply(outcome.reply)
        })
    }
    const stop = every(shared.staleness, sync)
    sync()

    const count = (admitted: number, failed: boolean) => {
      if (admitted !== outcomes.gen) return // a late outcome from before the last change
      if (failed) {
        outcomes.fails += 1
        if (outcomes.trailing >= 0) outcomes.trailing += 1
        sync() // trip the fleet's breaker without waiting for the next tick
      } else {
        outcomes.oks += 1
        outcomes.trailing = 0
      }
    }

    const closedPermit = (admitted: number, mirror: CircuitBreaker.Permit | undefined): CircuitBreaker.Permit => {
      let reported = false
      return {
        onSuccess: () => {
          if (reported) return
          reported = true
          mirror?.onSuccess()
          count(admitted, false)
        },
        onFailure: (error) => {
          if (reported) return
          reported = true
          mirror?.onFailure(error)
          count(admitted, isFailure(error))
        },
      }
    }
    const probePermit = (value: string): CircuitBreaker.Permit => {
      let reported = false
      return {
        onSuccess: () => {
          if (reported) return
          reported = true
          report(value, true)
        },
        onFailure: (error) => {
          if (reported) return
          reported = true
          report(value, !isFailure(error))
        },
      }
    }

    const acquire = (): E.Either<CircuitBreaker.CircuitOpen, CircuitBreaker.Permit> => {
      const now = clock.now()
      if (!redis.available()) {
        if (shared.failMode === 'open') return local.acquire()
        const cause = unavailableOf(redis.failure())
        const at = now + shared.staleness
        return E.left({ _tag: 'CircuitOpen', state: 'Open', retryAt: at, retryAfter: O.some(shared.staleness), cause })
      }
      if (state === 'Closed') {
        const mirror = local.acquire()
        return E.right(closedPermit(gen, E.isRight(mirror) ? mirror.right : undefined))
      }
      if (state === 'HalfOpen' && probe !== undefined && !probe.used) {
        probe.used = true
        return E.right(probePermit(probe.value))
      }
      if (state === 'Open' && now < retryAt)
        return E.left({ _tag: 'CircuitOpen', state: 'Open', retryAt, retryAfter: O.some(retryAt - now) })
      contest(now)
      return E.left({ _tag: 'CircuitOpen', state: 'HalfOpen', retryAt: now, retryAfter: O.some(0) })
    }

    return {
      _tag: 'CircuitBreaker',
      state: () => {
        if (!redis.available() && shared.failMode === 'open') return local.state()
        return state === 'Open' && clock.now() >= retryAt ? 'HalfOpen' : state
      },
      acquire,
      subscribe: (listener) => {
        const own = (change: CircuitBreaker.StateChange) => listener(change)
        listeners.add(own)
        return () => {
          listeners.delete(own)
        }
      },
      ...sharedPart(redis, stop, async () => {
        syncing = false
        sync()
        closed = true
      }),
    }
  }
}

// -------------------------------------------------------------------------------------
// rate limit
// -------------------------------------------------------------------------------------

interface Waiter {
  readonly resolve: (result: E.Either<RateLimit.RateLimited, void>) => void
  settled: boolean
  stop: () => void
}

/**
 * A rate limit shared by the fleet: the token bucket of `RateLimit.make`
 * (`rate` tokens every `interval`, up to `burst`; each call takes one;
 * calls wait in arrival order for at most `maxWait`), kept in Redis for
 * every process under `name`, updated by one atomic script.
 *
 * Local-first: each process leases `batch` tokens at a time (and the next
 * batch before it runs out), so a call that finds a leased token goes at
 * once, with no round trip; one that does not waits for the next lease, at
 * most `maxWait` (a lease that does not come within `timeout` counts Redis
 * as unreachable). Unspent tokens lapse after `interval`. A throttling
 * failure's `Retry-After` (as `isThrottling` says) holds the bucket in
 * Redis, so one 429 slows the whole fleet.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { createClient } from 'redis'
 * import { RateLimit } from 'fp-ts-retry'
 * import * as Redis from 'fp-ts-retry/redis'
 *
 * const client = createClient() // in production: connected
 * const limiter = Redis.rateLimit({ client, name: 'partner-api', rate: 100, burst: 10, maxWait: 1_000 })()
 * const call = pipe(TE.right('ok'), RateLimit.limit(limiter)) // as with a local limiter
 * await call()
 * // => { _tag: 'Right', right: 'ok' }
 * await limiter.close()
 *
 * @throws RangeError when an option is out of range (as `RateLimit.make`), `client` is not a client, `name` is empty, or `batch` is below 1
 * @since 0.2.0
 * @category constructors
 */
export const rateLimit = (options: RateLimitOptions): IO<SharedRateLimiter> => {
  const fn = 'Redis.rateLimit'
  const shared = common(fn, options)
  const { fallback, ...limits } = options
  const localOf = RateLimit.make(limits) // validates the limit's options
  const clock = shared.clock
  const interval = options.interval ?? 1_000
  const perMs = options.rate / interval
  const burst = options.burst ?? Math.max(1, options.rate)
  const maxWait = options.maxWait ?? Infinity
  const batch = Math.floor(options.batch ?? Math.max(1, Math.ceil(burst / 20)))
  if (!(batch >= 1 && batch <= burst)) check.fail(fn, 'batch', `an integer in [1, burst (${burst})]`, options.batch)
  const isThrottling = options.isThrottling ?? Budget.isAwsThrottlingError
  const key = shared.key('ratelimit')

  return () => {
    const local = fallback ?? localOf()
    const redis = link(shared.client, shared.timeout, shared.onAvailability)
    let stock = 0
    let lapseAt = 0
    let nextAt = 0 // before this (local clock), Redis has no token for us
    const waiters: Array<Waiter> = []
    let fetching = false
    let lastProbe = -Infinity
    let wake: ReturnType<typeof setTimeout> | undefined
    let closed = false

    const rejection = (retryAfter: number, cause?: RedisUnavailable): RateLimit.RateLimited => ({
      _tag: 'RateLimited',
      reason: 'limit',
      retryAfter: O.some(Math.max(0, retryAfter)),
      queued: waiters.length,
      ...(cause === undefined ? {} : { cause }),
    })
    const lapse = (now: number) => {
      if (stock > 0 && now >= lapseAt) stock = 0
    }
    const leave = (w: Waiter, result: E.Either<RateLimit.RateLimited, void>) => {
      if (w.settled) return
      w.settled = true
      w.stop()
      const at = waiters.indexOf(w)
      if (at >= 0) waiters.splice(at, 1)
      w.resolve(result)
    }
    /** Redis is unreachable: the waiters go on in the fail mode. */
    const failWaiters = () => {
      const cause = unavailableOf(redis.failure())
      for (const w of [...waiters]) {
        if (shared.failMode === 'closed') leave(w, E.left(rejection(shared.staleness, cause)))
        else {
          w.settled = true
          w.stop()
          waiters.splice(waiters.indexOf(w), 1)
          void local.acquire().then(w.resolve)
        }
      }
    }
    const serve = () => {
      while (waiters.length > 0 && stock >= 1) {
        const w = waiters[0]
        if (w === undefined) break
        stock -= 1
        leave(w, E.right(undefined))
      }
    }
    const schedule = (ms: number) => {
      if (wake !== undefined || closed) return
      wake = unrefTimeout(
        () => {
          wake = undefined
          pump()
        },
        Math.max(1, Math.ceil(ms)),
      )
    }
    /** Leases tokens when waiters need them or the stock runs low, one lease in flight at a time. */
    const pump = () => {
      if (fetching || closed) return
      const now = clock.now()
      lapse(now)
      serve()
      const low = stock < Math.ceil(batch / 2)
      if (waiters.length === 0 && !low) return
      if (now < nextAt) return schedule(nextAt - now)
      fetching = true
      const want = Math.min(burst, Math.max(batch, waiters.length) - Math.floor(stock))
      void redis.run(scripts.rateTake, [key], [shared.ttl, perMs, burst, Math.max(1, want)]).then((outcome) => {
        fetching = false
        if (closed) return
        if (!outcome.ok) {
          failWaiters()
          return
        }
        const at = clock.now()
        const leased = num(outcome.reply, 0)
        if (leased > 0) {
          stock += leased
          lapseAt = at + interval
        }
        const wait = num(outcome.reply, 1)
        // a little jitter, so that the fleet's processes do not ask again all at once
        nextAt = leased > 0 ? at : at + wait * (1 + Math.random() * 0.5)
        serve()
        if (waiters.length > 0) schedule(Math.max(1, nextAt - at))
      })
    }

    const acquire = (signal?: AbortSignal): Promise<E.Either<RateLimit.RateLimited, void>> => {
      if (signal?.aborted) return Promise.resolve(E.left({ ...rejection(0), reason: 'aborted', retryAfter: O.none }))
      if (!redis.available()) {
        const now = clock.now()
        if (now - lastProbe >= shared.staleness) {
          lastProbe = now
          nextAt = 0
          pump() // find out whether it is back
        }
        if (shared.failMode === 'open') return local.acquire(signal)
        return Promise.resolve(E.left(rejection(shared.staleness, unavailableOf(redis.failure()))))
      }
      const now = clock.now()
      lapse(now)
      if (waiters.length === 0 && stock >= 1) {
        stock -= 1
        if (stock < Math.ceil(batch / 2)) pump()
        return Promise.resolve(E.right(undefined))
      }
      const known = Math.max(0, nextAt - now)
      if (known > maxWait) return Promise.resolve(E.left(rejection(known)))
      return new Promise((resolve) => {
        const w: Waiter = { resolve, settled: false, stop: () => undefined }
        waiters.push(w)
        const stops: Array<() => void> = []
        if (signal !== undefined) {
          const onAbort = () => leave(w, E.left({ ...rejection(0), reason: 'aborted', retryAfter: O.none }))
          signal.addEventListener('abort', onAbort, { once: true })
          stops.push(() => signal.removeEventListener('abort', onAbort))
        }
        if (maxWait !== Infinity) {
          const deadline = new AbortController()
          void clock.sleep(maxWait, deadline.signal, 'rateLimit').then(() => {
            if (!deadline.signal.aborted) leave(w, E.left(rejection(Math.max(nextAt - clock.now(), 1 / perMs))))
          })
          stops.push(() => deadline.abort())
        }
        w.stop = () => stops.forEach((s) => s())
        pump()
      })
    }

    // while Redis is unreachable, find out once per `staleness` whether it is back
    const stopTick = every(shared.staleness, () => {
      if (!redis.available() && !fetching) {
        nextAt = 0
        pump()
      }
    })

    const hold = (ms: number) => {
      const held = check.delay(`${fn}.hold`, 'ms', ms)
      local.hold(held)
      stock = 0
      nextAt = Math.max(nextAt, clock.now() + held)
      void redis.run(scripts.rateHold, [key], [shared.ttl, Math.ceil(held)])
    }

    return {
      _tag: 'RateLimiter',
      kind: 'TokenBucket',
      acquire,
      recordSuccess: () => local.recordSuccess(),
      recordFailure: (error) => {
        if (!guarded(isThrottling, error, false)) return
        const hint = hintOf(error)
        if (hint !== undefined && hint > 0) hold(hint)
      },
      hold,
      tokens: () => (redis.available() ? stock : local.tokens()),
      rate: () => perMs * 1_000,
      queued: () => waiters.length,
      ...sharedPart(
        redis,
        () => {
          closed = true
          stopTick()
          if (wake !== undefined) clearTimeout(wake)
          for (const w of [...waiters]) leave(w, E.left(rejection(0)))
        },
        () => Promise.resolve(),
      ),
    }
  }
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * True for a {@link RedisUnavailable}. Accepts any value.
 *
 * @example
 * import * as Redis from 'fp-ts-retry/redis'
 *
 * Redis.isRedisUnavailable({ _tag: 'RedisUnavailable', reason: 'timeout', cause: undefined })
 * // => true
 *
 * @since 0.2.0
 * @category utils
 */
export const isRedisUnavailable: (error: unknown) => error is RedisUnavailable =
  /* @__PURE__ */ hasTag<RedisUnavailable>('RedisUnavailable')

/**
 * True for a refusal by a shared protection with `failMode: 'closed'`
 * because Redis was unreachable: a `CircuitOpen` or a `RateLimited` whose
 * `cause` is a {@link RedisUnavailable}. Accepts any value.
 *
 * @example
 * import * as O from 'fp-ts/Option'
 * import * as Redis from 'fp-ts-retry/redis'
 *
 * const cause: Redis.RedisUnavailable = { _tag: 'RedisUnavailable', reason: 'error', cause: undefined }
 * Redis.isFailClosed({ _tag: 'CircuitOpen', state: 'Open', retryAt: 100, retryAfter: O.some(100), cause })
 * // => true
 *
 * @since 0.2.0
 * @category utils
 */
export const isFailClosed = (error: unknown): boolean => {
  if (!hasTag('CircuitOpen')(error) && !hasTag('RateLimited')(error)) return false
  try {
    return isRedisUnavailable((error as { readonly cause?: unknown }).cause)
  } catch {
    return false
  }
}
