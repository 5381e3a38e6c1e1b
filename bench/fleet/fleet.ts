/**
 * The fleet proof: N real worker processes (child_process) share one redis-server and call one HTTP dependency on
 * 127.0.0.1, which goes into a total outage and recovers. Each scenario runs twice, per-process protections
 * (`local`) and shared ones (`shared`), and reports what the dependency saw.
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import * as path from 'node:path'
import { build } from 'esbuild'
import { pipe } from 'fp-ts/function'
import * as TE from 'fp-ts/TaskEither'
import { createClient } from 'redis'
import { Budget, CircuitBreaker, RateLimit } from '../../src'
import * as Redis from '../../src/Redis'
import { startRedis } from '../../test/support/redis-server'
import type { WorkerConfig } from './worker'

export interface FleetOptions {
  readonly workers: number
  /** The outage's length measured for amplification (the issue: its first 10 s). */
  readonly outage: number
  readonly halfOpenAfter: number
  /** How long the rate scenario runs. */
  readonly rateWindow: number
  readonly quota: number
  readonly capacity: number
  /** ms between two calls of one worker in the budget and breaker scenarios. */
  readonly period: number
  /** Iterations of the hot-path measurement. */
  readonly iterations: number
}

export const FULL: FleetOptions = {
  workers: 20,
  outage: 10_000,
  halfOpenAfter: 1_000,
  rateWindow: 10_000,
  quota: 100,
  capacity: 500,
  period: 50,
  iterations: 50_000,
}

export interface Pair {
  readonly local: number
  readonly shared: number
}
export interface FleetReport {
  readonly options: FleetOptions
  /** Requests the dependency received / calls the fleet made, over the outage. */
  readonly amplification: Pair
  /** Requests that reached the dependency while the breakers were open, per half-open interval. */
  readonly probesPerInterval: Pair
  /** Requests per second the dependency received / the quota. */
  readonly quotaKept: Pair
  /** Hot path, per call, in µs: p50 and p99 of local protections, shared ones, and the difference. */
  readonly hotPath: {
    readonly local: { readonly p50: number; readonly p99: number }
    readonly shared: { readonly p50: number; readonly p99: number }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The dependency: up (200) or down (503), counting requests. */
const dependency = async () => {
  let up = true
  let requests = 0
  const server = http.createServer((_, response) => {
    requests += 1
    response.writeHead(up ? 200 : 503, { 'content-type': 'text/plain', connection: 'keep-alive' })
    response.end(up ? 'ok' : 'down')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    set: (value: boolean) => {
      up = value
    },
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The worker, bundled once with esbuild, so that 20 processes start in milliseconds, not seconds. */
const bundleWorker = async (): Promise<string> => {
  const root = path.resolve(import.meta.dirname, '../..')
  const out = path.join(root, '.tmp', 'fleet-worker.mjs')
  mkdirSync(path.dirname(out), { recursive: true })
  await build({
    entryPoints: [path.join(import.meta.dirname, 'worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: out,
    logLevel: 'silent',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  })
  return out
}

interface Fleet {
  readonly mark: () => Promise<number>
  readonly stop: () => Promise<number>
}

const startFleet = async (file: string, count: number, config: WorkerConfig): Promise<Fleet> => {
  const children: Array<ChildProcess> = []
  const ask = (type: string, answer: string) =>
    Promise.all(
      children.map(
        (child) =>
          new Promise<number>((resolve) => {
            const on = (m: { type: string; calls: number }) => {
              if (m.type !== answer) return
              child.off('message', on)
              resolve(m.calls)
            }
            child.on('message', on)
            child.send({ type })
          }),
      ),
    ).then((calls) => calls.reduce((a, b) => a + b, 0))
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve, reject) => {
          const child = fork(file, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
          children.push(child)
          child.once('error', reject)
          child.once('message', () => resolve())
        }),
    ),
  )
  return { mark: () => ask('mark', 'mark'), stop: () => ask('stop', 'stopped') }
}

const percentile = (sorted: Float64Array, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN

/** Per call, in µs: a call through a budget, a breaker and a rate limit, all with room (the hot path). */
const hotPath = async (redisUrl: string, iterations: number) => {
  const client = createClient({ url: redisUrl })
  client.on('error', () => undefined)
  await client.connect()
  const common = { client, name: 'hot-path' }
  const measure = async (
    budget: Budget.Budget,
    breaker: CircuitBreaker.CircuitBreaker,
    limiter: RateLimit.RateLimiter,
  ) => {
    const call = pipe(TE.right(1), CircuitBreaker.protect(breaker), RateLimit.limit(limiter))
    const times = new Float64Array(iterations)
    for (let i = 0; i < iterations + 2_000; i++) {
      const start = process.hrtime.bigint()
      budget.tryRetry('503')
      budget.recordSuccess()
      await call()
      const ns = Number(process.hrtime.bigint() - start)
      if (i >= 2_000) times[i - 2_000] = ns / 1_000
      if (i % 1_000 === 0) await sleep(1) // let the background syncs run, as they would between calls
    }
    times.sort()
    return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) }
  }
  const huge = { rate: 1e9, burst: 1e6 }
  const local = await measure(Budget.tokenBucket()(), CircuitBreaker.make()(), RateLimit.make(huge)())
  const sharedBudget = Redis.tokenBucket(common)()
  const sharedBreaker = Redis.circuitBreaker(common)()
  const sharedLimiter = Redis.rateLimit({ ...common, ...huge, batch: 10_000 })()
  await sleep(200)
  const shared = await measure(sharedBudget, sharedBreaker, sharedLimiter)
  await Promise.all([sharedBudget.close(), sharedBreaker.close(), sharedLimiter.close()])
  await client.quit()
  return { local, shared }
}

export const runFleet = async (
  options: FleetOptions,
  log: (line: string) => void = () => undefined,
): Promise<FleetReport> => {
  const redis = await startRedis()
  const dep = await dependency()
  const file = await bundleWorker()
  let run = 0
  const base = (scenario: WorkerConfig['scenario'], protection: WorkerConfig['protection']): WorkerConfig => ({
    scenario,
    protection,
    redisUrl: redis.url,
    dependency: dep.url,
    name: `fleet-${scenario}-${++run}`,
    period: scenario === 'rate' ? 0 : options.period,
    capacity: options.capacity,
    halfOpenAfter: options.halfOpenAfter,
    quota: options.quota,
  })
  try {
    const amplification = async (protection: WorkerConfig['protection']) => {
      dep.set(true)
      const fleet = await startFleet(file, options.workers, base('budget', protection))
      await sleep(500)
      dep.set(false)
      const calls0 = await fleet.mark()
      const requests0 = dep.requests()
      await sleep(options.outage)
      const calls = (await fleet.mark()) - calls0
      const requests = dep.requests() - requests0
      await fleet.stop()
      dep.set(true)
      log(`  budget, ${protection}: ${calls} calls, ${requests} requests in ${options.outage} ms of outage`)
      return requests / calls
    }
    const probes = async (protection: WorkerConfig['protection']) => {
      dep.set(true)
      const fleet = await startFleet(file, options.workers, base('breaker', protection))
      await sleep(500)
      dep.set(false)
      await sleep(Math.min(500, options.halfOpenAfter / 2)) // every breaker trips (5 failures at 20 calls a second)
      const from = dep.requests()
      const intervals = 4
      await sleep(intervals * options.halfOpenAfter)
      const probed = dep.requests() - from
      dep.set(true)
      await sleep(options.halfOpenAfter + 300)
      await fleet.stop()
      log(`  breaker, ${protection}: ${probed} requests in ${intervals} half-open intervals while open`)
      return probed / intervals
    }
    const quota = async (protection: WorkerConfig['protection']) => {
      dep.set(true)
      const fleet = await startFleet(file, options.workers, base('rate', protection))
      await sleep(1_000) // past the first burst: the steady rate
      const from = dep.requests()
      const start = performance.now()
      await sleep(options.rateWindow)
      const perSecond = ((dep.requests() - from) * 1_000) / (performance.now() - start)
      await fleet.stop()
      log(`  rate, ${protection}: ${perSecond.toFixed(1)} requests a second for a quota of ${options.quota}`)
      return perSecond / options.quota
    }
    log('amplification (budget)')
    const amp = { local: await amplification('local'), shared: await amplification('shared') }
    log('probes (breaker)')
    const prb = { local: await probes('local'), shared: await probes('shared') }
    log('quota (rate limit)')
    const qk = { local: await quota('local'), shared: await quota('shared') }
    log('hot path')
    const hot = await hotPath(redis.url, options.iterations)
    return { options, amplification: amp, probesPerInterval: prb, quotaKept: qk, hotPath: hot }
  } finally {
    await dep.close()
    await redis.close()
  }
}

export const formatReport = (r: FleetReport): string => {
  const f = (x: number, d = 2) => x.toFixed(d)
  return [
    `fleet of ${r.options.workers} processes, one redis-server, one HTTP dependency on 127.0.0.1`,
    '',
    '| measure | per-process | shared (Redis) | target |',
    '| --- | --- | --- | --- |',
    `| retry amplification, first ${r.options.outage / 1_000} s of the outage | ${f(r.amplification.local)}x | ${f(r.amplification.shared)}x | shared <= 1.1x |`,
    `| probes per half-open interval | ${f(r.probesPerInterval.local, 1)} | ${f(r.probesPerInterval.shared, 1)} | shared: 1 |`,
    `| requests per second / quota (${r.options.quota}/s) | ${f(r.quotaKept.local)} | ${f(r.quotaKept.shared, 3)} | shared within 5% |`,
    `| hot path per call, p50 (µs) | ${f(r.hotPath.local.p50)} | ${f(r.hotPath.shared.p50)} (+${f(r.hotPath.shared.p50 - r.hotPath.local.p50)}) | added < 2 µs |`,
    `| hot path per call, p99 (µs) | ${f(r.hotPath.local.p99)} | ${f(r.hotPath.shared.p99)} (+${f(r.hotPath.shared.p99 - r.hotPath.local.p99)}) | no round trip |`,
  ].join('\n')
}
