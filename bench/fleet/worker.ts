/**
 * One process of the fleet (bench/fleet/run.ts forks 20): calls the local HTTP dependency through a retry budget, a
 * circuit breaker or a rate limit, per-process (`local`) or shared through Redis (`shared`), and reports its counts
 * to the coordinator when told to stop.
 */
import { pipe } from 'fp-ts/function'
import * as E from 'fp-ts/Either'
import type * as TE from 'fp-ts/TaskEither'
import { createClient } from 'redis'
import { Budget, CircuitBreaker, RateLimit, Retry, Schedule } from '../../src'
import * as Redis from '../../src/Redis'

export interface WorkerConfig {
  readonly scenario: 'budget' | 'breaker' | 'rate'
  readonly protection: 'local' | 'shared'
  readonly redisUrl: string
  readonly dependency: string
  readonly name: string
  /** ms between two calls of this worker (budget, breaker); the rate scenario calls as fast as it may. */
  readonly period: number
  readonly capacity: number
  readonly halfOpenAfter: number
  readonly quota: number
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig
const client = createClient({ url: config.redisUrl })
client.on('error', () => undefined)
await client.connect()

const get: TE.TaskEither<{ readonly _tag: 'HttpError'; readonly status: number }, number> = async () => {
  try {
    const response = await fetch(config.dependency)
    await response.arrayBuffer()
    return response.ok ? E.right(response.status) : E.left({ _tag: 'HttpError', status: response.status })
  } catch {
    return E.left({ _tag: 'HttpError', status: 599 })
  }
}

const shared = config.protection === 'shared'
const common = { client, name: config.name, staleness: 100 }
let calls = 0
let stopping = false
const closers: Array<() => Promise<void>> = []

const call: TE.TaskEither<unknown, unknown> = (() => {
  if (config.scenario === 'budget') {
    const budget = shared
      ? Redis.tokenBucket({ ...common, capacity: config.capacity })()
      : Budget.tokenBucket({ capacity: config.capacity })()
    if ('close' in budget) closers.push((budget as Redis.SharedBudget).close)
    return pipe(get, Retry.retrying(pipe(Schedule.exponential(10), Schedule.intersect(Schedule.recurs(3))), { budget }))
  }
  if (config.scenario === 'breaker') {
    const options = { consecutiveFailures: 5, halfOpenAfter: config.halfOpenAfter }
    const breaker = shared ? Redis.circuitBreaker({ ...common, ...options })() : CircuitBreaker.make(options)()
    if (shared) closers.push((breaker as Redis.SharedCircuitBreaker).close)
    return pipe(get, CircuitBreaker.protect(breaker))
  }
  const options = { rate: config.quota, burst: 10, maxWait: 2_000 }
  const limiter = shared ? Redis.rateLimit({ ...common, ...options })() : RateLimit.make(options)()
  if (shared) closers.push((limiter as Redis.SharedRateLimiter).close)
  return pipe(get, RateLimit.limit(limiter))
})()

const loop = async () => {
  while (!stopping) {
    const started = performance.now()
    calls += 1
    await call()
    if (config.period > 0) {
      const rest = config.period - (performance.now() - started)
      if (rest > 0) await new Promise((r) => setTimeout(r, rest))
    }
  }
}

process.on('message', (message: { readonly type: string }) => {
  if (message.type === 'mark') {
    process.send?.({ type: 'mark', calls })
  } else if (message.type === 'stop') {
    stopping = true
    void Promise.all(closers.map((c) => c())).then(async () => {
      process.send?.({ type: 'stopped', calls })
      await client.quit().catch(() => undefined)
      process.exit(0)
    })
  }
})
const loops = config.scenario === 'rate' ? 2 : 1
for (let i = 0; i < loops; i++) void loop()
process.send?.({ type: 'ready' })
