/**
 * The fleet proof of fp-ts-retry/redis as a test: real worker processes (child_process) share one real
 * redis-server and call one HTTP dependency on 127.0.0.1, which goes into a total outage; per-process protections
 * against shared ones. The same code as bench/fleet/run.ts (20 workers, docs/run-a-fleet.md), with fewer workers
 * and shorter phases. Every assertion is a count or a ratio of counts, with room for a loaded 2-core machine, never
 * an absolute time. Real, bounded waits: the workers and redis-server are real processes (about 20 s in all).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { bursts, FULL, runFleet } from '../bench/fleet/fleet'
import type { FleetOptions, FleetReport } from '../bench/fleet/fleet'

const options: FleetOptions = {
  ...FULL,
  workers: 8,
  warmUp: 300,
  // budget: each worker starts a call every 40 ms; 2.5 s of outage make about 500 calls for a budget of 10 retries
  period: 40,
  outage: 2_500,
  capacity: 100,
  halfOpenAfter: 500,
  intervals: 4,
  rateWindow: 3_000,
  quota: 100,
  runs: ['budget:local', 'budget:shared', 'breaker:local', 'breaker:shared', 'rate:shared'],
}
/** A retry after a 503 costs 10 tokens in the AWS standard bucket; a process leases a tenth of the capacity. */
const COST = 10
const BATCH = Math.max(COST, options.capacity / 10)
/** A retry after a failed connection (the workers' 599) costs the bucket's `retryCost`, 5. */
const CHEAPEST = 5

let report: FleetReport
beforeAll(async () => {
  report = await runFleet(options)
}, 90_000)

const need = <A>(a: A | undefined): A => {
  if (a === undefined) throw new Error('not measured')
  return a
}

describe('a fleet of real processes, per-process protections against shared ones', () => {
  it('the shared budget keeps retry amplification during the outage at or under 1.1x; per-process budgets each add their own', () => {
    const local = need(report.amplification.local)
    const shared = need(report.amplification.shared)
    const retries = { local: local.requests - local.calls, shared: shared.requests - shared.calls }
    expect(shared.calls).toBeGreaterThan(10 * (options.capacity / COST)) // enough calls for the ratio to mean something
    expect(shared.ratio).toBeLessThanOrEqual(1.1)
    // the fleet spends its capacity, plus at most the one batch each process holds; a retry costs 10 after a 503,
    // but 5 after a request that never reached the dependency (a 599 on this loaded machine), hence CHEAPEST
    expect(retries.shared).toBeLessThanOrEqual((options.capacity + options.workers * BATCH) / CHEAPEST)
    // per process: every worker spends a whole bucket of its own
    expect(retries.local).toBeGreaterThanOrEqual((options.workers * options.capacity) / COST)
    expect(retries.local).toBeGreaterThan(2 * retries.shared)
    expect(local.ratio).toBeGreaterThan(shared.ratio)
  })

  it('the shared breaker lets one request through per half-open interval; per-process breakers one each', () => {
    const local = need(report.probes.local)
    const shared = need(report.probes.shared)
    expect(shared.intervals).toBeGreaterThanOrEqual(2)
    expect(shared.largest).toBe(1)
    // per process: every breaker probes on its own, at least twice in the window, several at a time
    expect(local.probes).toBeGreaterThanOrEqual(2 * options.workers)
    expect(local.largest).toBeGreaterThanOrEqual(2)
  })

  it('the shared rate limit keeps the fleet within 5% of its quota', () => {
    const shared = need(report.quota.shared)
    expect(shared.ratio).toBeGreaterThan(0.95)
    expect(shared.ratio).toBeLessThan(1.05)
  })

  it('counts bursts of requests by the gaps between them', () => {
    expect(bursts([0, 5, 10, 500, 505, 1_100], 100)).toEqual([3, 2, 1])
    expect(bursts([], 100)).toEqual([])
  })
})
