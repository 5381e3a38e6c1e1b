/**
 * fp-ts-retry/redis against a real redis-server started by this file (no mock): the scripts' atomicity under
 * concurrent callers, the shared budget, breaker and rate limit, key TTLs, scripts reloaded after NOSCRIPT, the probe
 * lease's expiry after its holder dies, and bounded staleness. Real, bounded waits: Redis is a real process.
 */
import { pipe } from 'fp-ts/function'
import * as E from 'fp-ts/Either'
import * as O from 'fp-ts/Option'
import * as TE from 'fp-ts/TaskEither'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CircuitBreaker, RateLimit, Retry, Schedule } from '../src'
import * as Redis from '../src/Redis'
import { link, num } from '../src/internal/redis-link'
import * as scripts from '../src/internal/redis-scripts'
import { connect, disconnect, eventually, sleep, startRedis } from './support/redis-server'
import type { Connected, RedisServer } from './support/redis-server'

let server: RedisServer
let client: Connected
let n = 0
/** A fresh shared name per test: tests never see each other's keys. */
const fresh = (what: string) => `${what}-${++n}-${Date.now()}`
const transient = { code: 'ECONNRESET' } // costs 10 in the AWS standard bucket

beforeAll(async () => {
  server = await startRedis()
  client = await connect(server)
})
afterAll(async () => {
  await disconnect(client)
  await server.close()
})

const keysOf = (name: string) => client.keys(`fp-ts-retry:{${name}}:*`)

describe('the shared token bucket', () => {
  it('is spent once by the whole fleet: 5 processes cannot retry more than capacity / cost + one batch each', async () => {
    const name = fresh('bucket')
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => connect(server)))
    const budgets = clients.map((c) => Redis.tokenBucket({ client: c, name, capacity: 200, batch: 20 })())
    let retries = 0
    // each process tries 50 retries over 10 rounds, with the background sync between rounds
    for (let round = 0; round < 10; round++) {
      for (const b of budgets) for (let i = 0; i < 5; i++) if (b.tryRetry(transient)) retries += 1
      await sleep(30)
    }
    // 200 tokens / 10 = 20 retries; one batch (20 tokens = 2 retries) per process beyond it at most
    expect(retries).toBeGreaterThanOrEqual(20)
    expect(retries).toBeLessThanOrEqual(20 + 5 * 2)
    const local = budgets.map(() => 0)
    expect(local.length * 50).toBeGreaterThan(retries * 5) // five local buckets of 200 would have allowed 100
    await Promise.all(budgets.map((b) => b.close()))
    await Promise.all(clients.map(disconnect))
  })

  it('is exceeded by at most one batch per process: refunds held while the bucket is full, then a burst', async () => {
    const name = fresh('bound')
    const key = `fp-ts-retry:{${name}}:budget`
    const capacity = 200
    const batch = 20
    const clients = await Promise.all([1, 2, 3, 4].map(() => connect(server)))
    const budgets = clients.map((c) => Redis.tokenBucket({ client: c, name, capacity, batch })())
    await eventually(async () => (await client.get(key)) === String(capacity - clients.length * batch))
    // every process refunds far more than a batch: it keeps a full batch, and the rest fills the bucket in Redis
    for (const b of budgets) for (let i = 0; i < 10; i++) b.recordSuccess(O.some(transient))
    await eventually(async () => (await client.get(key)) === String(capacity))
    await sleep(30) // every process has read the full bucket at a sync since
    let retries = 0
    // then the whole fleet spends as fast as it can, each process in bursts, the background sync between them
    for (let round = 0; round < 12; round++) {
      for (const b of budgets) while (b.tryRetry(transient)) retries += 1
      await sleep(30)
    }
    // a transient retry costs 10: the capacity (20 retries) plus one batch held by each process (2 retries each)
    expect(retries * 10).toBeGreaterThanOrEqual(capacity)
    expect(retries * 10).toBeLessThanOrEqual(capacity + clients.length * batch)
    await Promise.all(budgets.map((b) => b.close()))
    await Promise.all(clients.map(disconnect))
  })

  it('spends only leased tokens: a batch below the dearest retry is refused, a lease too small for one is topped up', async () => {
    const name = fresh('small')
    expect(() => Redis.tokenBucket({ client, name, capacity: 100, batch: 5 })).toThrow(RangeError)
    const budget = Redis.tokenBucket({ client, name, capacity: 100, batch: 10, staleness: 20 })()
    await eventually(async () => (await client.get(`fp-ts-retry:{${name}}:budget`)) === '90')
    expect(budget.tryRetry('503')).toBe(true) // costs 5: half the lease is left, less than a transient retry costs
    expect(budget.tryRetry(transient)).toBe(false) // no credit
    await eventually(async () => (await client.get(`fp-ts-retry:{${name}}:budget`)) === '85') // topped up anyway
    expect(budget.tryRetry(transient)).toBe(true)
    await budget.close()
  })

  it('refunds successes to the fleet and gives its lease back on close', async () => {
    const name = fresh('refund')
    const budget = Redis.tokenBucket({ client, name, capacity: 100, batch: 10 })()
    await eventually(async () => (await client.get(`fp-ts-retry:{${name}}:budget`)) === '90')
    expect(budget.tryRetry(transient)).toBe(true) // 10 of the lease
    budget.recordSuccess(O.some(transient)) // refunds that retry's cost
    budget.recordSuccess() // +1, beyond the batch: back to Redis at the next sync
    await eventually(async () => (await client.get(`fp-ts-retry:{${name}}:budget`)) === '91')
    await budget.close()
    expect(await client.get(`fp-ts-retry:{${name}}:budget`)).toBe('100') // capped at capacity
  })

  it('is a Budget for Retry.retrying: an outage costs the fleet its budget, not each process its own', async () => {
    const name = fresh('retrying')
    const budget = Redis.tokenBucket({ client, name, capacity: 50, batch: 10 })()
    await sleep(20)
    let attempts = 0
    const call = pipe(
      TE.fromIO(() => ++attempts),
      TE.chain(() => TE.left(transient)),
      Retry.retrying(Schedule.recurs(3), { budget }),
    )
    for (let i = 0; i < 20; i++) await call()
    await sleep(30)
    for (let i = 0; i < 20; i++) await call()
    expect(attempts - 40).toBeLessThanOrEqual(5 + 1) // 50 tokens: 5 retries, plus one batch beyond them
    await budget.close()
  })

  it('its Lua scripts are atomic under concurrent callers: 20 connections lease exactly the capacity, no more', async () => {
    const name = fresh('atomic')
    const key = `fp-ts-retry:{${name}}:budget`
    const clients = await Promise.all(Array.from({ length: 20 }, () => connect(server)))
    const links = clients.map((c) => link(c, 2_000))
    const leased = await Promise.all(
      links.map(async (l) => {
        let total = 0
        for (;;) {
          // 20 connections in flight at once, each asking for 7 of 1,000 tokens until none is left
          const outcome = await l.run(scripts.budgetLease, [key], [60_000, 1_000, 0, 7])
          if (!outcome.ok) throw outcome.error
          const got = num(outcome.reply, 0)
          if (got === 0) return total
          total += got
        }
      }),
    )
    expect(leased.reduce((a, b) => a + b, 0)).toBe(1_000)
    // the control: the same lease as GET, then SET, from the client, over-leases under the same concurrency
    const racy = `fp-ts-retry:{${name}}:racy`
    const overLeased = await Promise.all(
      clients.map(async (c) => {
        let total = 0
        for (;;) {
          const tokens = Number((await c.get(racy)) ?? 1_000)
          const got = Math.min(7, tokens)
          if (got === 0) return total
          await c.set(racy, String(tokens - got))
          total += got
        }
      }),
    )
    expect(overLeased.reduce((a, b) => a + b, 0)).toBeGreaterThan(1_000)
    // and exactly one of 20 simultaneous contests wins a due probe
    const keys = [`fp-ts-retry:{${name}}:breaker`, `fp-ts-retry:{${name}}:probe`]
    await client.hSet(keys[0] ?? '', { state: 'Open', gen: 3, retryAt: 0 })
    const contests = await Promise.all(
      links.map((l, i) => l.run(scripts.breakerProbe, keys, [60_000, '100', `p${i}`, 5_000])),
    )
    expect(contests.filter((o) => o.ok && num(o.reply, 4) === 1)).toHaveLength(1)
    await Promise.all(clients.map(disconnect))
  })
})

describe('the shared throttle', () => {
  it('counts the failures of every process against one gRPC throttle', async () => {
    const name = fresh('throttle')
    const c2 = await connect(server)
    const a = Redis.throttle({ client, name, maxTokens: 10, staleness: 20 })()
    const b = Redis.throttle({ client: c2, name, maxTokens: 10, staleness: 20 })()
    // 3 failures each: 10 - 6 = 4 <= 5, so neither may retry, though each saw only 3
    for (let i = 0; i < 3; i++) {
      a.recordFailure('503')
      b.recordFailure('503')
    }
    await eventually(() => !a.tryRetry('503') && !b.tryRetry('503'))
    expect(Number(await client.get(`fp-ts-retry:{${name}}:throttle`))).toBe(4_000)
    await Promise.all([a.close(), b.close()])
    await disconnect(c2)
  })
})

describe('the shared circuit breaker', () => {
  const trip = (breaker: CircuitBreaker.CircuitBreaker, failures: number) => {
    for (let i = 0; i < failures; i++) {
      const permit = breaker.acquire()
      if (E.isRight(permit)) permit.right.onFailure({ _tag: 'TimeoutError', timeout: 1 })
    }
  }

  it('counts failures fleet-wide, and every process learns of the opening within the staleness bound', async () => {
    const name = fresh('breaker')
    const c2 = await connect(server)
    const staleness = 50
    const options = { name, consecutiveFailures: 4, halfOpenAfter: 60_000, staleness }
    const a = Redis.circuitBreaker({ ...options, client })()
    const b = Redis.circuitBreaker({ ...options, client: c2 })()
    await sleep(20)
    trip(a, 2)
    await sleep(20)
    trip(b, 2) // neither saw 4 in a row; the fleet did
    const opened = performance.now()
    await eventually(() => b.state() === 'Open')
    await eventually(() => a.state() === 'Open')
    // bounded staleness: a learns of b's opening within one sync interval (plus a round trip)
    expect((performance.now() - opened) / staleness).toBeLessThan(2)
    expect(E.isLeft(a.acquire())).toBe(true)
    await Promise.all([a.close(), b.close()])
    await disconnect(c2)
  })

  it('lets exactly one process of the fleet win each half-open probe (SET NX PX)', async () => {
    const name = fresh('probe')
    const clients = await Promise.all(Array.from({ length: 10 }, () => connect(server)))
    const options = { name, consecutiveFailures: 1, halfOpenAfter: 100, staleness: 20 }
    const breakers = clients.map((c) => Redis.circuitBreaker({ ...options, client: c })())
    await sleep(30)
    breakers.slice(0, 1).forEach((b) => trip(b, 1))
    await eventually(() => breakers.every((b) => b.state() !== 'Closed'))
    // every process asks, again and again, for a probe while the breaker is due to half-open
    const permits: Array<CircuitBreaker.Permit> = []
    const start = performance.now()
    while (performance.now() - start < 250) {
      for (const b of breakers) {
        const p = b.acquire()
        if (E.isRight(p)) permits.push(p.right)
      }
      await sleep(2)
    }
    expect(permits).toHaveLength(1) // the winner's probe is in flight, unreported: nobody else probes
    permits[0]?.onSuccess()
    await eventually(() => breakers.every((b) => b.state() === 'Closed'))
    await Promise.all(breakers.map((b) => b.close()))
    await Promise.all(clients.map(disconnect))
  })

  it('a probe whose holder dies expires with its lease: the fleet opens again, then another process probes', async () => {
    const name = fresh('lease')
    const holderClient = await connect(server)
    const other = await connect(server)
    const options = { name, consecutiveFailures: 1, halfOpenAfter: 50, probeLease: 200, staleness: 20 }
    const holder = Redis.circuitBreaker({ ...options, client: holderClient })()
    const survivor = Redis.circuitBreaker({ ...options, client: other })()
    await sleep(30)
    trip(holder, 1)
    await eventually(() => holder.state() !== 'Closed')
    await eventually(() => E.isRight(holder.acquire())) // the holder wins the probe...
    expect(await client.pTTL(`fp-ts-retry:{${name}}:probe`)).toBeGreaterThan(0)
    await holder.close()
    holderClient.destroy() // ...and dies with it, never reporting
    expect(E.isLeft(survivor.acquire())).toBe(true)
    // once the lease has run out, the survivor's contest counts the lost probe as failed, and later wins one
    await eventually(() => E.isRight(survivor.acquire()), 2_000)
    // opened twice: at the trip, and when the lost probe counted as failed (not a probe won on an expired lease)
    expect(await client.hGet(`fp-ts-retry:{${name}}:breaker`, 'opens')).toBe('2')
    await survivor.close()
    await disconnect(other)
  })

  it('counts a rejection (a defect) as a failure whatever isFailure says, as the local breaker does', async () => {
    const name = fresh('defect')
    const breaker = Redis.circuitBreaker({
      client,
      name,
      consecutiveFailures: 2,
      halfOpenAfter: 60_000,
      staleness: 20,
      isFailure: () => false,
    })()
    const lefts = pipe(TE.left({ _tag: 'HttpError', status: 503 }), CircuitBreaker.protect(breaker))
    await lefts()
    await lefts()
    await sleep(60) // three syncs: the errors isFailure declines leave it closed
    expect(breaker.state()).toBe('Closed')
    const rejecting: TE.TaskEither<never, never> = () => Promise.reject(new Error('a bug'))
    const call = pipe(rejecting, CircuitBreaker.protect(breaker))
    await expect(call()).rejects.toThrow('a bug')
    await expect(call()).rejects.toThrow('a bug')
    await eventually(() => breaker.state() === 'Open')
    await breaker.close()
  })

  it('is a drop-in for a local breaker in CircuitBreaker.protect', async () => {
    const name = fresh('protect')
    const breaker = Redis.circuitBreaker({
      client,
      name,
      consecutiveFailures: 2,
      halfOpenAfter: 60_000,
      staleness: 20,
    })()
    const call = pipe(TE.left({ _tag: 'HttpError', status: 503 }), CircuitBreaker.protect(breaker))
    await call()
    await call()
    await eventually(() => breaker.state() === 'Open')
    const result = await call()
    expect(E.isLeft(result) && CircuitBreaker.isCircuitOpen(result.left)).toBe(true)
    await breaker.close()
  })
})

describe('the shared rate limit', () => {
  it('holds the fleet to one quota, and a Retry-After seen by one process holds every process', async () => {
    const name = fresh('rate')
    const clients = await Promise.all([1, 2, 3, 4].map(() => connect(server)))
    const limiters = clients.map((c) => Redis.rateLimit({ client: c, name, rate: 200, burst: 10, maxWait: 500 })())
    let passed = 0
    const start = performance.now()
    const duration = 500
    await Promise.all(
      limiters.map(async (l) => {
        while (performance.now() - start < duration) if (E.isRight(await l.acquire())) passed += 1
      }),
    )
    const elapsed = performance.now() - start
    // 200 a second, plus the burst of 10: four hungry processes together stay at the quota
    const expected = (200 * elapsed) / 1_000 + 10
    expect(passed / expected).toBeLessThan(1.08)
    // and are not starved by the sharing (a loose floor: a loaded machine can stall a process for a while)
    expect(passed / expected).toBeGreaterThan(0.5)
    // one process meets a 429 with Retry-After: 300 ms; another finds the bucket held
    limiters[0]?.recordFailure({ _tag: 'HttpError', status: 429, retryAfter: O.some(300) })
    await sleep(30)
    const held = await Redis.rateLimit({ client, name, rate: 200, burst: 10, maxWait: 0 })().acquire()
    expect(E.isLeft(held) && RateLimit.isRateLimited(held.left)).toBe(true)
    await Promise.all(limiters.map((l) => l.close()))
    await Promise.all(clients.map(disconnect))
  })
})

describe('keys and scripts', () => {
  it('namespaces every key and sets a TTL on each', async () => {
    const name = fresh('ttl')
    const ttl = 5_000
    const budget = Redis.tokenBucket({ client, name, ttl })()
    const thr = Redis.throttle({ client, name, ttl })()
    const breaker = Redis.circuitBreaker({
      client,
      name,
      ttl,
      consecutiveFailures: 1,
      halfOpenAfter: 10,
      probeLease: ttl,
    })()
    const limiter = Redis.rateLimit({ client, name, ttl, rate: 10 })()
    await limiter.acquire()
    const permit = breaker.acquire()
    if (E.isRight(permit)) permit.right.onFailure({ _tag: 'TimeoutError', timeout: 1 })
    await sleep(40)
    breaker.acquire() // contests the probe: writes the lease key
    await eventually(async () => (await keysOf(name)).length === 5)
    const keys = (await keysOf(name)).sort()
    expect(keys.map((k) => k.split(':').pop())).toEqual(['breaker', 'budget', 'probe', 'ratelimit', 'throttle'])
    for (const k of keys) {
      const pttl = await client.pTTL(k)
      expect(pttl).toBeGreaterThan(0) // -1 would be a key that never disappears
      expect(pttl).toBeLessThanOrEqual(ttl)
    }
    await Promise.all([budget.close(), thr.close(), breaker.close(), limiter.close()])
  })

  it('runs its scripts by SHA, and loads them again after SCRIPT FLUSH (NOSCRIPT)', async () => {
    const name = fresh('noscript')
    const budget = Redis.tokenBucket({ client, name, capacity: 100, batch: 10, staleness: 20 })()
    await eventually(async () => (await client.get(`fp-ts-retry:{${name}}:budget`)) === '90')
    await client.scriptFlush()
    while (budget.tryRetry(transient)) {
      // spend the lease: the top-up must reload the script
    }
    await eventually(async () => Number(await client.get(`fp-ts-retry:{${name}}:budget`)) < 90)
    expect(budget.available()).toBe(true)
    await budget.close()
  })
})
