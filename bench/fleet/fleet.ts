/**
 * The fleet proof: N real worker processes (child_process) share one redis-server and call one HTTP dependency on
 * 127.0.0.1, which goes into a total outage. Each scenario runs with per-process protections (`local`) and with
 * shared ones (`shared`), and reports what the dependency saw. Used by bench/fleet/run.ts (20 workers) and by
 * test/Redis-fleet.test.ts (fewer workers, shorter phases).
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { setPriority } from 'node:os'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import * as path from 'node:path'
import { build } from 'esbuild'
import { pipe } from 'fp-ts/function'
import * as TE from 'fp-ts/TaskEither'
import { createClient } from 'redis'
import { Budget, CircuitBreaker, RateLimit, Retry, Schedule } from '../../src'
import * as Redis from '../../src/Redis'
import { startRedis } from '../../test/support/redis-server'
import type { Command, Counts, ScenarioConfig } from './worker'

export type Protection = 'local' | 'shared'
/** One measurement: a scenario with one kind of protection, or the hot path (one process, both kinds). */
export type Run = `${'budget' | 'breaker' | 'rate'}:${Protection}` | 'hotPath'

export const ALL_RUNS: ReadonlyArray<Run> = [
  'budget:local',
  'budget:shared',
  'breaker:local',
  'breaker:shared',
  'rate:local',
  'rate:shared',
  'hotPath',
]

export interface FleetOptions {
  readonly workers: number
  /** How long the outage is measured for amplification (the issue: its first 10 s), ms. */
  readonly outage: number
  readonly halfOpenAfter: number
  /** Half-open intervals watched in the breaker scenario. */
  readonly intervals: number
  /** How long the rate scenario is measured, ms. */
  readonly rateWindow: number
  readonly quota: number
  /** The retry budget's capacity (the AWS standard bucket: a retry after a 503 costs 10). */
  readonly capacity: number
  /** ms between the starts of two calls of one worker (budget and breaker scenarios: open-loop). */
  readonly period: number
  /** Calls measured on each side of the hot path. */
  readonly iterations: number
  /** How long each scenario runs before it is measured, ms (default 500). */
  readonly warmUp?: number | undefined
  /** What to measure (default: everything). */
  readonly runs?: ReadonlyArray<Run> | undefined
}

export const FULL: FleetOptions = {
  workers: 20,
  outage: 10_000,
  halfOpenAfter: 1_000,
  intervals: 5,
  rateWindow: 10_000,
  quota: 100,
  capacity: 500,
  period: 50,
  iterations: 100_000,
}

export interface Amplification {
  /** Calls the fleet started during the outage window. */
  readonly calls: number
  /** Requests the dependency received in that window. */
  readonly requests: number
  /** requests / calls: 1 is no retry at all, 4 is every call retried 3 times. */
  readonly ratio: number
}
export interface Probes {
  /** Half-open intervals seen: bursts of requests while the breakers were open, the trip itself not counted. */
  readonly intervals: number
  /** Requests in those bursts. */
  readonly probes: number
  readonly perInterval: number
  /** The most requests in one interval. */
  readonly largest: number
}
export interface Quota {
  readonly perSecond: number
  /** perSecond / quota. */
  readonly ratio: number
}
export interface Percentiles {
  readonly p50: number
  readonly p99: number
}
export interface FleetReport {
  readonly options: FleetOptions
  readonly amplification: Partial<Record<Protection, Amplification>>
  readonly probes: Partial<Record<Protection, Probes>>
  readonly quota: Partial<Record<Protection, Quota>>
  /** Per call through budget + breaker + rate limit with room to spare, µs. */
  readonly hotPath: { readonly local: Percentiles; readonly shared: Percentiles } | undefined
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Wall-clock time in ms with a fraction, the same in every process of the machine. */
export const wallClock = (): number => performance.timeOrigin + performance.now()

/**
 * The dependency: up (200) or down (503), counting requests, and noting when each request it answers while down
 * was sent (the worker's `x-sent-at`: what the fleet's breakers let through, whatever the queue at the dependency).
 */
const dependency = async () => {
  let up = true
  let requests = 0
  let downAt: Array<number> = []
  const server = http.createServer((request, response) => {
    requests += 1
    if (!up) downAt.push(Number(request.headers['x-sent-at'] ?? wallClock()))
    response.writeHead(up ? 200 : 503, { 'content-type': 'text/plain', connection: 'keep-alive' })
    response.end(up ? 'ok' : 'down')
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    set: (value: boolean) => {
      if (!value) downAt = []
      up = value
    },
    requests: () => requests,
    /** When the requests answered 503 since the outage began were sent. */
    downAt: () => downAt,
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
  /** Starts a scenario on every worker. */
  readonly start: (config: ScenarioConfig) => Promise<void>
  /** The calls started and the requests sent by the fleet since the scenario started. */
  readonly mark: () => Promise<Totals>
  /** Whether every worker's breaker has left Closed. */
  readonly tripped: () => Promise<boolean>
  /** Ends the scenario on every worker (closing its shared protections); the totals at the end. */
  readonly halt: () => Promise<Totals>
  readonly exit: () => Promise<void>
}
interface Totals {
  readonly calls: number
  readonly requests: number
  /** Times a worker's shared protection found Redis unreachable. */
  readonly unavailable: number
}

/** Forks `count` workers once; every scenario then runs on them (a fork costs a fraction of a second of CPU). */
const startFleet = async (
  file: string,
  count: number,
  args: ReadonlyArray<string>,
  log: (line: string) => void,
): Promise<Fleet> => {
  const began = performance.now()
  const children: Array<ChildProcess> = []
  const ask = (command: Command, answer: Counts['type']): Promise<ReadonlyArray<Counts>> =>
    Promise.all(
      children.map(
        (child) =>
          new Promise<Counts>((resolve) => {
            const on = (m: Counts) => {
              if (m.type !== answer) return
              child.off('message', on)
              resolve(m)
            }
            child.on('message', on)
            child.send(command)
          }),
      ),
    )
  const total = (all: ReadonlyArray<Counts>): Totals => ({
    calls: all.reduce((a, c) => a + c.calls, 0),
    requests: all.reduce((a, c) => a + c.requests, 0),
    unavailable: all.reduce((a, c) => a + c.unavailable, 0),
  })
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve, reject) => {
          // execArgv: [] (not the parent's: tsx's or vitest's loaders would transform the bundle again, slowly)
          const child = fork(file, args, { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
          children.push(child)
          // the workers generate the load; the dependency (this process) and redis-server are what is observed:
          // niced, the workers cannot starve them of CPU (requests queued at the dependency would arrive late)
          try {
            if (child.pid !== undefined) setPriority(child.pid, 10)
          } catch {
            // gone already, or not allowed: the measurement still runs
          }
          child.once('error', reject)
          child.once('exit', (code) => reject(new Error(`a fleet worker exited with code ${code} before it was ready`)))
          child.once('message', () => resolve())
        }),
    ),
  )
  log(`${count} workers up in ${Math.round(performance.now() - began)} ms`)
  return {
    start: async (config) => {
      await ask({ type: 'start', config }, 'started')
    },
    mark: async () => total(await ask({ type: 'mark' }, 'mark')),
    tripped: async () => (await ask({ type: 'tripped' }, 'tripped')).every((c) => c.tripped === true),
    halt: async () => total(await ask({ type: 'halt' }, 'halted')),
    exit: async () => {
      const exited = children.map(
        (child) =>
          new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined))),
      )
      children.forEach((child) => child.send({ type: 'exit' } satisfies Command))
      await Promise.all(exited)
    },
  }
}

/** No fleet: only the hot path runs. */
const NONE: Fleet = {
  start: () => Promise.reject(new Error('no fleet')),
  mark: () => Promise.reject(new Error('no fleet')),
  tripped: () => Promise.reject(new Error('no fleet')),
  halt: () => Promise.reject(new Error('no fleet')),
  exit: () => Promise.resolve(),
}

/** Splits arrival times into bursts: a gap longer than `gap` ms starts a new one. Sizes of the bursts. */
export const bursts = (times: ReadonlyArray<number>, gap: number): ReadonlyArray<number> => {
  const sizes: Array<number> = []
  let last = -Infinity
  for (const t of times) {
    if (t - last > gap) sizes.push(0)
    sizes[sizes.length - 1] = (sizes[sizes.length - 1] ?? 0) + 1
    last = t
  }
  return sizes
}

const fellBack = (t: Totals) => (t.unavailable > 0 ? ` (Redis unreachable ${t.unavailable} times: fell back)` : '')

const percentile = (sorted: Float64Array, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN

/**
 * The hot path, per call, in µs: budget + breaker + rate limit with room to spare, around an operation that
 * succeeds at once, as a user stacks them. Both sides are built first and warmed alike; then they are measured in
 * alternating blocks (local first in one block, shared first in the next), so that the JIT, the GC and the
 * machine's other load fall on both sides equally.
 */
const hotPath = async (redisUrl: string, iterations: number) => {
  const client = createClient({ url: redisUrl })
  client.on('error', () => undefined)
  await client.connect()
  const common = { client, name: 'hot-path' }
  const room = { rate: 1e9, burst: 1e6 }
  const schedule = pipe(Schedule.exponential(10), Schedule.intersect(Schedule.recurs(3)))
  const stack = (budget: Budget.Budget, breaker: CircuitBreaker.CircuitBreaker, limiter: RateLimit.RateLimiter) =>
    pipe(TE.right(1), CircuitBreaker.protect(breaker), RateLimit.limit(limiter), Retry.retrying(schedule, { budget }))
  const sharedBudget = Redis.tokenBucket(common)()
  const sharedBreaker = Redis.circuitBreaker(common)()
  const sharedLimiter = Redis.rateLimit({ ...common, ...room, batch: 10_000 })()
  const block = 1_000
  const blocks = Math.max(1, Math.round(iterations / block))
  const sides = {
    local: {
      call: stack(Budget.tokenBucket()(), CircuitBreaker.make()(), RateLimit.make(room)()),
      times: new Float64Array(blocks * block),
      n: 0,
    },
    shared: { call: stack(sharedBudget, sharedBreaker, sharedLimiter), times: new Float64Array(blocks * block), n: 0 },
  }
  type Side = (typeof sides)['local']
  const runBlock = async (side: Side, record: boolean) => {
    for (let i = 0; i < block; i++) {
      const start = process.hrtime.bigint()
      await side.call()
      const ns = Number(process.hrtime.bigint() - start)
      if (record) side.times[side.n++] = ns / 1_000
    }
    await sleep(1) // let the background syncs run, as they would between calls
  }
  await sleep(200) // the first leases
  for (let i = 0; i < 10; i++) {
    await runBlock(sides.local, false)
    await runBlock(sides.shared, false)
  }
  for (let b = 0; b < blocks; b++) {
    const [first, second] = b % 2 === 0 ? [sides.local, sides.shared] : [sides.shared, sides.local]
    await runBlock(first, true)
    await runBlock(second, true)
  }
  const summary = (side: Side): Percentiles => {
    side.times.sort()
    return { p50: percentile(side.times, 0.5), p99: percentile(side.times, 0.99) }
  }
  await Promise.all([sharedBudget.close(), sharedBreaker.close(), sharedLimiter.close()])
  await client.quit()
  return { local: summary(sides.local), shared: summary(sides.shared) }
}

export const runFleet = async (
  options: FleetOptions,
  log: (line: string) => void = () => undefined,
): Promise<FleetReport> => {
  const runs = new Set(options.runs ?? ALL_RUNS)
  const warmUp = options.warmUp ?? 500
  const H = options.halfOpenAfter
  const redis = await startRedis()
  const dep = await dependency()
  let fleet: Fleet | undefined
  let run = 0
  const config = (scenario: ScenarioConfig['scenario'], protection: Protection): ScenarioConfig => ({
    scenario,
    protection,
    name: `fleet-${scenario}-${++run}`,
    period: options.period,
    capacity: options.capacity,
    halfOpenAfter: H,
    quota: options.quota,
    workers: options.workers,
  })

  try {
    const scenarios = [...runs].some((r) => r !== 'hotPath')
    const workers = scenarios
      ? await startFleet(await bundleWorker(), options.workers, [redis.url, dep.url], log)
      : NONE
    fleet = workers

    const amplification = async (protection: Protection): Promise<Amplification> => {
      dep.set(true)
      await workers.start(config('budget', protection))
      await sleep(warmUp)
      const from = await workers.mark()
      const seen = dep.requests()
      dep.set(false)
      await sleep(options.outage)
      const to = await workers.mark()
      const received = dep.requests() - seen
      const end = await workers.halt()
      dep.set(true)
      const calls = to.calls - from.calls
      const requests = to.requests - from.requests
      log(
        `  budget, ${protection}: ${calls} calls sent ${requests} requests (the dependency received ${received}) ` +
          `in the first ${options.outage} ms of the outage${fellBack(end)}`,
      )
      return { calls, requests, ratio: requests / calls }
    }

    const probes = async (protection: Protection): Promise<Probes> => {
      dep.set(true)
      await workers.start(config('breaker', protection))
      await sleep(warmUp)
      dep.set(false)
      const outage = wallClock()
      // the trip: every worker's breaker has left Closed (for the shared one: every process has learnt it)
      while (!(await workers.tripped())) {
        if (wallClock() - outage > 10_000) throw new Error(`breaker, ${protection}: not every breaker opened`)
        await sleep(10)
      }
      // then a grace for calls admitted just before, and `intervals` half-open intervals; by when they were sent
      const from = wallClock() + H / 4
      const to = from + options.intervals * H
      await sleep(to - wallClock() + 200) // + the requests still on their way
      const sizes = bursts(
        dep
          .downAt()
          .filter((t) => t >= from && t < to)
          .sort((a, b) => a - b),
        H / 2,
      )
      const end = await workers.halt()
      dep.set(true)
      const total = sizes.reduce((a, b) => a + b, 0)
      log(
        `  breaker, ${protection}: tripped in ${Math.round(from - H / 4 - outage)} ms; requests in each ` +
          `half-open interval while open: ${sizes.join(', ')}${fellBack(end)}`,
      )
      return {
        intervals: sizes.length,
        probes: total,
        perInterval: sizes.length === 0 ? 0 : total / sizes.length,
        largest: Math.max(0, ...sizes),
      }
    }

    const quota = async (protection: Protection): Promise<Quota> => {
      dep.set(true)
      await workers.start(config('rate', protection))
      await sleep(Math.max(warmUp, 500)) // past the first burst: the steady rate
      const from = dep.requests()
      const start = performance.now()
      await sleep(options.rateWindow)
      const perSecond = ((dep.requests() - from) * 1_000) / (performance.now() - start)
      const end = await workers.halt()
      log(
        `  rate, ${protection}: ${perSecond.toFixed(1)} requests a second for a quota of ${options.quota}${fellBack(end)}`,
      )
      return { perSecond, ratio: perSecond / options.quota }
    }

    const both = async <A>(scenario: 'budget' | 'breaker' | 'rate', measure: (p: Protection) => Promise<A>) => {
      const result: Partial<Record<Protection, A>> = {}
      for (const protection of ['local', 'shared'] as const)
        if (runs.has(`${scenario}:${protection}`)) result[protection] = await measure(protection)
      return result
    }

    log('amplification (budget)')
    const amp = await both('budget', amplification)
    log('probes (breaker)')
    const prb = await both('breaker', probes)
    log('quota (rate limit)')
    const qk = await both('rate', quota)
    await workers.exit()
    fleet = undefined
    if (runs.has('hotPath')) log('hot path')
    const hot = runs.has('hotPath') ? await hotPath(redis.url, options.iterations) : undefined
    return { options, amplification: amp, probes: prb, quota: qk, hotPath: hot }
  } finally {
    await fleet?.exit()
    await dep.close()
    await redis.close()
  }
}

export const formatReport = (r: FleetReport): string => {
  const o = r.options
  const f = (x: number | undefined, d = 2) => (x === undefined ? 'not run' : x.toFixed(d))
  const amp = (a: Amplification | undefined) =>
    a === undefined ? 'not run' : `${f(a.ratio)}x (${a.requests - a.calls} retries, ${a.calls} calls)`
  const prb = (p: Probes | undefined) =>
    p === undefined ? 'not run' : `${f(p.perInterval, 1)} (at most ${p.largest}, ${p.intervals} intervals)`
  const rate = (q: Quota | undefined) => (q === undefined ? 'not run' : `${f(q.perSecond, 1)}/s (${f(q.ratio, 3)}x)`)
  const h = r.hotPath
  const added = (k: keyof Percentiles) => (h === undefined ? undefined : h.shared[k] - h.local[k])
  return [
    `fleet of ${o.workers} processes, one redis-server, one HTTP dependency on 127.0.0.1`,
    '',
    '| measure | per-process | shared (Redis) | target |',
    '| --- | --- | --- | --- |',
    `| retry amplification, first ${o.outage / 1_000} s of the outage | ${amp(r.amplification.local)} | ${amp(r.amplification.shared)} | shared <= 1.1x |`,
    `| requests per half-open interval, while open | ${prb(r.probes.local)} | ${prb(r.probes.shared)} | shared: 1 |`,
    `| requests per second under a quota of ${o.quota}/s | ${rate(r.quota.local)} | ${rate(r.quota.shared)} | shared within 5% |`,
    `| hot path per call, p50 (µs) | ${f(h?.local.p50)} | ${f(h?.shared.p50)} (+${f(added('p50'))}) | added < 2 µs |`,
    `| hot path per call, p99 (µs) | ${f(h?.local.p99)} | ${f(h?.shared.p99)} (+${f(added('p99'))}) | no round trip |`,
  ].join('\n')
}
