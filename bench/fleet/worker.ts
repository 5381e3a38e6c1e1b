/**
 * One process of the fleet (bench/fleet/fleet.ts forks N of them and reuses them for every scenario). Told to
 * `start` a scenario, it calls the local HTTP dependency through a retry budget, a circuit breaker or a rate limit,
 * per-process (`local`) or shared through Redis (`shared`), and counts the calls it starts and the requests it
 * sends; `mark` reads the counts, `tripped` asks whether its breaker has left Closed, `halt` ends the scenario.
 *
 * The budget and breaker scenarios call open-loop: one call starts every `period` ms whatever the previous ones are
 * doing (traffic does not slow down because the dependency is down; a late timer catches up), so the fleet makes
 * N x duration / period calls in a window. The rate scenario calls closed-loop, as fast as its limiter lets it, from
 * two loops.
 */
import { pipe } from 'fp-ts/function'
import * as E from 'fp-ts/Either'
import type * as TE from 'fp-ts/TaskEither'
import { createClient } from 'redis'
import * as Budget from '../../src/Budget'
import * as CircuitBreaker from '../../src/CircuitBreaker'
import * as RateLimit from '../../src/RateLimit'
import * as Redis from '../../src/Redis'
import * as Retry from '../../src/Retry'
import * as Schedule from '../../src/Schedule'

export interface ScenarioConfig {
  readonly scenario: 'budget' | 'breaker' | 'rate'
  readonly protection: 'local' | 'shared'
  /** The shared protections' name: one per run, so that no run sees another's keys. */
  readonly name: string
  /** ms between the starts of two calls of this worker (budget, breaker); the rate scenario ignores it. */
  readonly period: number
  readonly capacity: number
  readonly halfOpenAfter: number
  readonly quota: number
  /** Workers in the fleet: a shared limiter's fallback (Redis unreachable) takes this process's share of the quota. */
  readonly workers: number
}

/** What the coordinator sends. */
export type Command =
  { readonly type: 'start'; readonly config: ScenarioConfig } | { readonly type: 'mark' | 'tripped' | 'halt' | 'exit' }

/** What a worker answers: its counts since it started the scenario. */
export interface Counts {
  readonly type: 'ready' | 'started' | 'mark' | 'tripped' | 'halted'
  readonly calls: number
  readonly requests: number
  /** Times a shared protection found Redis unreachable (and fell back to its local twin). */
  readonly unavailable: number
  /** `tripped`: the breaker is not Closed. */
  readonly tripped?: boolean
}

const [redisUrl = '', dependency = ''] = process.argv.slice(2)
const client = createClient({ url: redisUrl })
client.on('error', () => undefined)
await client.connect()

interface Running {
  readonly halt: () => Promise<void>
  readonly tripped: () => boolean
}
let calls = 0
let requests = 0
let unavailable = 0
let generation = 0
let running: Running | undefined

const send = (message: Counts) => process.send?.(message)
const counts = (type: Counts['type'], extra: Partial<Counts> = {}): Counts => ({
  type,
  calls,
  requests,
  unavailable,
  ...extra,
})

const start = (config: ScenarioConfig): Running => {
  const mine = ++generation
  calls = 0
  requests = 0
  unavailable = 0
  let stopping = false
  const get: TE.TaskEither<{ readonly _tag: 'HttpError'; readonly status: number }, number> = async () => {
    if (mine !== generation) return E.left({ _tag: 'HttpError', status: 599 }) // a late retry of an ended run
    requests += 1
    try {
      const sentAt = String(performance.timeOrigin + performance.now()) // wall-clock ms, as the coordinator reads it
      const response = await fetch(dependency, { headers: { 'x-sent-at': sentAt } })
      await response.arrayBuffer()
      return response.ok ? E.right(response.status) : E.left({ _tag: 'HttpError', status: response.status })
    } catch {
      return E.left({ _tag: 'HttpError', status: 599 })
    }
  }
  const shared = config.protection === 'shared'
  // a loaded 2-core machine can stall a process for a few hundred ms: a longer `timeout` than the default (250 ms)
  // keeps the fleet measuring the sharing, not the fallback; `unavailable` counts the times it fell back anyway
  const common = {
    client,
    name: config.name,
    staleness: 100,
    timeout: 1_000,
    onAvailability: (available: boolean) => {
      if (!available) unavailable += 1
    },
  }
  const closers: Array<() => Promise<void>> = []
  let tripped = () => false

  const call: TE.TaskEither<unknown, unknown> = (() => {
    if (config.scenario === 'budget') {
      const options = { capacity: config.capacity }
      const budget = shared ? Redis.tokenBucket({ ...common, ...options })() : Budget.tokenBucket(options)()
      if (shared) closers.push((budget as Redis.SharedBudget).close)
      const schedule = pipe(Schedule.exponential(10), Schedule.intersect(Schedule.recurs(3)))
      return pipe(get, Retry.retrying(schedule, { budget }))
    }
    if (config.scenario === 'breaker') {
      const options = { consecutiveFailures: 5, halfOpenAfter: config.halfOpenAfter }
      const breaker = shared ? Redis.circuitBreaker({ ...common, ...options })() : CircuitBreaker.make(options)()
      if (shared) closers.push((breaker as Redis.SharedCircuitBreaker).close)
      tripped = () => breaker.state() !== 'Closed'
      return pipe(get, CircuitBreaker.protect(breaker))
    }
    const options = { rate: config.quota, burst: 10, maxWait: 2_000 }
    const share = RateLimit.make({ ...options, rate: config.quota / config.workers, burst: 1 })
    const limiter = shared ? Redis.rateLimit({ ...common, ...options, fallback: share() })() : RateLimit.make(options)()
    if (shared) closers.push((limiter as Redis.SharedRateLimiter).close)
    return pipe(get, RateLimit.limit(limiter))
  })()

  if (config.scenario === 'rate') {
    const loop = async () => {
      while (!stopping) {
        calls += 1
        await call()
      }
    }
    for (let i = 0; i < 2; i++) void loop()
  } else {
    const began = performance.now()
    const tick = () => {
      if (stopping) return
      const elapsed = performance.now() - began
      const due = Math.floor(elapsed / config.period) + 1
      while (calls < due) {
        calls += 1
        void call()
      }
      setTimeout(tick, config.period - (elapsed % config.period))
    }
    tick()
  }
  return {
    tripped: () => tripped(),
    halt: async () => {
      stopping = true
      generation += 1
      await Promise.all(closers.map((c) => c()))
    },
  }
}

process.on('message', (command: Command) => {
  if (command.type === 'start') {
    running = start(command.config)
    send(counts('started'))
  } else if (command.type === 'mark') {
    send(counts('mark'))
  } else if (command.type === 'tripped') {
    send(counts('tripped', { tripped: running?.tripped() ?? false }))
  } else if (command.type === 'halt') {
    const final = counts('halted')
    void (running?.halt() ?? Promise.resolve()).then(() => send(final))
    running = undefined
  } else {
    void client
      .quit()
      .catch(() => undefined)
      .then(() => process.exit(0))
  }
})
// the first fetch loads undici (a few hundred ms of CPU): before the fleet is ready, not in a measurement
await fetch(dependency).then(
  (response) => response.arrayBuffer(),
  () => undefined,
)
send(counts('ready'))
