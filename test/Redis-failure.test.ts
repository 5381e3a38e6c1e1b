/**
 * fp-ts-retry/redis while its redis-server is stopped (SIGKILL) and restarted mid-run: failMode 'open' falls back
 * to the local protection, 'closed' refuses with a typed error, no call waits on Redis longer than `timeout`,
 * reconnecting restores sharing, and nothing rejects unhandled in between. Real, bounded waits: Redis is a real
 * process, stopped and started by this file.
 */
import { pipe } from 'fp-ts/function'
import * as E from 'fp-ts/Either'
import * as TE from 'fp-ts/TaskEither'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CircuitBreaker, RateLimit } from '../src'
import * as Redis from '../src/Redis'
import { connect, disconnect, eventually, sleep, startRedis } from './support/redis-server'
import type { RedisServer } from './support/redis-server'

let server: RedisServer
const unhandled: Array<unknown> = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled)
  server = await startRedis({ unixSocket: true })
})
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled)
  await server.close()
})

const transient = { code: 'ECONNRESET' }

describe('when redis-server dies and comes back', () => {
  it("failMode 'open' falls back to local protections, calls stay fast, and sharing resumes after the restart", async () => {
    const client = await connect(server)
    const timeout = 100
    const common = { client, name: 'open-mode', timeout, staleness: 20 }
    const budget = Redis.tokenBucket({ ...common, capacity: 20, batch: 10 })()
    const breaker = Redis.circuitBreaker({ ...common, consecutiveFailures: 3 })()
    const limiter = Redis.rateLimit({ ...common, rate: 1_000, burst: 50, maxWait: 5_000 })()
    await eventually(() => budget.tokens() === 20)
    await server.stop()
    // every call keeps going, locally; none waits on the dead server longer than `timeout`
    const started = performance.now()
    const calls = await Promise.all(
      Array.from({ length: 20 }, () =>
        pipe(TE.right('ok'), CircuitBreaker.protect(breaker), RateLimit.limit(limiter))(),
      ),
    )
    budget.tryRetry(transient)
    expect(calls.every(E.isRight)).toBe(true)
    expect((performance.now() - started) / timeout).toBeLessThan(3)
    await eventually(() => !budget.available() && !breaker.available() && !limiter.available())
    // the local fallback is the same protection: the breaker opens on this process's own failures
    const failing = pipe(TE.left({ _tag: 'TimeoutError', timeout: 1 }), CircuitBreaker.protect(breaker))
    for (let i = 0; i < 3; i++) await failing()
    const refused = await failing()
    expect(E.isLeft(refused) && CircuitBreaker.isCircuitOpen(refused.left)).toBe(true)
    // the budget, local: 20 tokens, 2 transient retries, the first already spent
    expect(budget.tryRetry(transient)).toBe(true)
    expect(budget.tryRetry(transient)).toBe(false)
    await server.restart()
    await eventually(() => budget.available() && breaker.available() && limiter.available(), 8_000)
    // shared again: the restarted server starts from a fresh bucket and a closed breaker
    expect(breaker.state()).toBe('Closed')
    expect(E.isRight(await limiter.acquire())).toBe(true)
    await Promise.all([budget.close(), breaker.close(), limiter.close()])
    await disconnect(client)
    expect(unhandled).toEqual([])
  })

  it("failMode 'closed' refuses with a typed error while Redis is unreachable, and shares again once it is back", async () => {
    const client = await connect(server)
    const common = { client, name: 'closed-mode', failMode: 'closed' as const, timeout: 100, staleness: 20 }
    const budget = Redis.tokenBucket({ ...common, capacity: 100 })()
    const breaker = Redis.circuitBreaker(common)()
    const limiter = Redis.rateLimit({ ...common, rate: 100, maxWait: 1_000 })()
    await eventually(() => budget.tokens() === 100)
    await server.stop()
    await eventually(() => !breaker.available())
    expect(budget.tryRetry(transient)).toBe(false)
    const open = await pipe(TE.right('ok'), CircuitBreaker.protect(breaker))()
    expect(E.isLeft(open) && CircuitBreaker.isCircuitOpen(open.left) && Redis.isFailClosed(open.left)).toBe(true)
    // the limiter notices on its own call, bounded by `timeout`, and refuses
    await eventually(async () => {
      const limited = await limiter.acquire()
      return E.isLeft(limited) && RateLimit.isRateLimited(limited.left) && Redis.isFailClosed(limited.left)
    })
    // and once it knows, it refuses at once, with no local fallback behind the refusal
    expect(limiter.available()).toBe(false)
    const again = await limiter.acquire()
    expect(E.isLeft(again) && Redis.isFailClosed(again.left)).toBe(true)
    expect(O_isSome(budget.unavailable())).toBe(true)
    await server.restart()
    await eventually(() => budget.available() && breaker.available(), 8_000)
    expect(E.isRight(breaker.acquire())).toBe(true)
    await eventually(async () => E.isRight(await limiter.acquire()), 8_000)
    await Promise.all([budget.close(), breaker.close(), limiter.close()])
    await disconnect(client)
    expect(unhandled).toEqual([])
  })

  it('a server that hangs (SIGSTOP) costs no call more than `timeout`, and never an unhandled rejection', async () => {
    const client = await connect(server)
    const limiter = Redis.rateLimit({
      client,
      name: 'hang',
      rate: 1_000,
      burst: 1,
      batch: 1,
      timeout: 80,
      maxWait: 10_000,
    })()
    expect(E.isRight(await limiter.acquire())).toBe(true)
    const pid = server.pid()
    if (pid === undefined) throw new Error('redis-server has no pid')
    process.kill(pid, 'SIGSTOP')
    try {
      await sleep(5)
      const started = performance.now()
      // no token leased: the call waits for a lease that cannot come, then goes on locally (failMode 'open')
      const results = await Promise.all([1, 2, 3].map(() => limiter.acquire()))
      expect(results.every(E.isRight)).toBe(true)
      expect((performance.now() - started) / 80).toBeLessThan(3)
      expect(limiter.available()).toBe(false)
    } finally {
      process.kill(pid, 'SIGCONT')
    }
    await eventually(async () => {
      await limiter.acquire()
      return limiter.available()
    })
    await limiter.close()
    await disconnect(client)
    expect(unhandled).toEqual([])
  })
})

const O_isSome = (o: { readonly _tag: string }) => o._tag === 'Some'
