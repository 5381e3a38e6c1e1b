/**
 * The proofs of issue 4, in virtual time with seeded random sources, driving
 * the real library against the simulated dependency of test/simulation.
 * The numbers asserted here are the table of docs/protect-your-dependency.md
 * (regenerate it with `npx tsx scripts/outage-table.ts`).
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as TE from 'fp-ts/TaskEither'
import { setMaxListeners } from 'node:events'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Budget, CircuitBreaker, Clock, Random, Retry, Schedule, TestClock, Timeout } from '../src/index'
import * as Dependency from './simulation/dependency'
import * as Scenarios from './simulation/scenarios'
import * as Table from './simulation/table'

describe('amplification under a total outage (50 requests/s for 60 s, recurs(3))', () => {
  it('without protection: exactly 4.0 attempts per request', async () => {
    const run = await Scenarios.totalOutage('none')
    expect(run.requests).toBeGreaterThan(2_900)
    expect(run.amplification).toBe(4)
  })

  it.each(['aws', 'grpc'] as const)('with the %s budget: at most 1.1 once spent, and it is spent early', async (p) => {
    const run = await Scenarios.totalOutage(p)
    expect(run.spentAt).toBeLessThan(1_000)
    expect(run.amplificationOnceSpent).toBeLessThanOrEqual(1.1)
    expect(run.amplification).toBeLessThanOrEqual(1.1)
  })

  it('the AWS bucket grants exactly its 100 retries (500 / 5), then none', async () => {
    const run = await Scenarios.totalOutage('aws')
    expect(run.attempts - run.requests).toBe(100)
  })

  it('the gRPC throttle grants 3 retries (10 -> 6 tokens), then stops at half', async () => {
    const run = await Scenarios.totalOutage('grpc')
    expect(run.attempts - run.requests).toBe(3)
  })

  it('with the breaker: far fewer attempts than requests (calls fail fast while open)', async () => {
    const run = await Scenarios.totalOutage('breaker')
    expect(run.amplificationOnceSpent).toBeLessThan(0.05)
  })

  it('three nested layers of recurs(3): 64 attempts per request', async () => {
    expect((await Scenarios.nestedLayers(false)).amplification).toBe(64)
  })

  it('three layers passing on a typed AlreadyRetried error that outer layers do not retry: 4', async () => {
    expect((await Scenarios.nestedLayers(true)).amplification).toBe(4)
  })
})

describe('recovery after a 20 s outage (100 requests/s, 50 ms per call, capacity 12 in flight)', () => {
  it('without protection the retry storm outlives the outage; success stays below 99% for 250 requests', async () => {
    const run = await Scenarios.recovery({ protection: 'none' })
    expect(run.amplificationDuringOutage).toBeGreaterThan(3.9)
    expect(run.requestsToRecover).toBe(250)
    expect(run.successRateAfter).toBeLessThan(0.95)
  })

  it.each(['aws', 'grpc'] as const)(
    'with the %s budget: at least 99 percent success from the first request after',
    async (p) => {
      const run = await Scenarios.recovery({ protection: p })
      expect(run.amplificationDuringOutage).toBeLessThan(1.1)
      expect(run.requestsToRecover).toBe(0)
      expect(run.successRateAfter).toBeGreaterThanOrEqual(0.99)
    },
  )

  it.each(['breaker', 'aws+breaker'] as const)(
    'with the %s: 99 percent success within 250 requests after the outage, and the breaker closes',
    async (p) => {
      const run = await Scenarios.recovery({ protection: p })
      expect(run.requestsToRecover).toBeLessThanOrEqual(250)
      expect(run.finalState).toBe('Closed')
      const closed = run.changes.filter((c) => c.to === 'Closed')
      expect(closed).toHaveLength(1)
      expect(closed[0]!.at).toBeGreaterThanOrEqual(30_000)
      expect(closed[0]!.at).toBeLessThan(35_000)
      // every transition is a legal one
      const legal = new Set(['Closed->Open', 'Open->HalfOpen', 'HalfOpen->Open', 'HalfOpen->Closed'])
      expect(run.changes.every((c) => legal.has(`${c.from}->${c.to}`))).toBe(true)
    },
  )
})

describe('abort hygiene', () => {
  it('an abort during a 5 s backoff (behind timeout, breaker and budget) settles within one tick, no further attempt, no live timer', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timers()
    const breaker = CircuitBreaker.make({ clock: Clock.live, consecutiveFailures: 100 })()
    const budget = Budget.tokenBucket()()
    let attempts = 0
    const controller = new AbortController()
    let backingOff!: () => void
    const asleep = new Promise<void>((resolve) => (backingOff = resolve))
    const attempt = pipe(
      (_signal: AbortSignal): TE.TaskEither<string, never> => {
        attempts += 1
        return TE.left('503')
      },
      Timeout.timeout(60_000, { clock: Clock.live }),
      CircuitBreaker.protectAbortable(breaker),
    )
    // one 5 s backoff at most: a broken abort fails the test instead of retrying forever on real timers
    const running = Retry.retryingAbortable(pipe(Schedule.spaced(5_000), Schedule.intersect(Schedule.recurs(1))), {
      clock: Clock.live,
      budget,
      signal: controller.signal,
      onRetry: () => queueMicrotask(backingOff),
    })(attempt)()
    await asleep
    expect(timers()).toBe(before + 1) // only the backoff: the attempt's timeout timer was cleared
    controller.abort('user left')
    let settled = false
    void running.then(() => (settled = true))
    await new Promise((resolve) => setImmediate(resolve))
    expect(settled).toBe(true)
    expect(timers()).toBe(before)
    expect(attempts).toBe(1)
    const result = await running
    expect(E.isLeft(result) && result.left).toMatchObject({ _tag: 'Aborted', reason: 'user left' })
    expect(budget.tokens()).toBe(495) // the one retry granted before the abort
  })
})

/** A budget that records every operation, in order, to check the real one against a replay. */
const ledger = (budget: Budget.Budget) => {
  const log: Array<{ readonly op: 'retry' | 'refused' | 'success' | 'failure'; readonly timeout: boolean }> = []
  const recorded: Budget.Budget = {
    ...budget,
    recordFailure: (e) => {
      log.push({ op: 'failure', timeout: false })
      budget.recordFailure(e)
    },
    tryRetry: (e) => {
      const granted = budget.tryRetry(e)
      log.push({ op: granted ? 'retry' : 'refused', timeout: Timeout.isTimeoutError(e) })
      return granted
    },
    recordSuccess: () => {
      log.push({ op: 'success', timeout: false })
      budget.recordSuccess()
    },
  }
  return { budget: recorded, log }
}

describe('1,000 concurrent calls sharing one budget and one breaker', () => {
  it('keep exact counts: no token lost or created, every permit reported once, at most 3 probes at a time', async () => {
    const clock = TestClock.make()
    const dependency = Dependency.make(clock, { health: Dependency.outage(0, 300), latency: 10, downLatency: 100 })
    const { budget, log } = ledger(Budget.tokenBucket({ capacity: 17_500 })())
    let halfOpenAdmitted = 0
    let maxProbes = 0
    let permits = 0
    let reports = 0
    let rejected = 0
    const real = CircuitBreaker.make({
      ...Scenarios.breakerOptions(clock),
      onStateChange: () => (halfOpenAdmitted = 0),
    })()
    const breaker: CircuitBreaker.CircuitBreaker = {
      ...real,
      acquire: () => {
        const permit = real.acquire()
        if (E.isLeft(permit)) {
          rejected += 1
          return permit
        }
        permits += 1
        if (real.state() === 'HalfOpen') maxProbes = Math.max(maxProbes, ++halfOpenAdmitted)
        const count = () => (reports += 1)
        return E.right({
          onSuccess: () => (count(), permit.right.onSuccess()),
          onFailure: (e: unknown) => (count(), permit.right.onFailure(e)),
        })
      },
    }
    const timedOut = Timeout.timeout(50, { clock })
    let retries = 0
    const policy = pipe(
      Schedule.spaced(200),
      Schedule.jittered(),
      Schedule.intersect(Schedule.recurs(8)),
      CircuitBreaker.waitUntilRetryAt,
    )
    const signal = new AbortController().signal
    setMaxListeners(5_000, signal) // one signal shared by 1,000 calls: more than Node's default of 10 listeners
    const call = Retry.retryingAbortable(policy, {
      clock,
      random: Random.seeded(3),
      budget,
      signal,
      onRetry: () => (retries += 1),
    })(pipe(dependency.abortable, timedOut, CircuitBreaker.protectAbortable(breaker)))
    const running = Promise.all(Array.from({ length: 1_000 }, () => call()))
    await clock.runAll()
    const results = await running

    // every call settled, as a success or a typed failure
    const successes = results.filter(E.isRight).length
    expect(results).toHaveLength(1_000)
    expect(successes).toBeGreaterThan(0)
    expect(successes).toBeLessThan(1_000)
    // retries: each granted one is an onRetry event and one more attempt
    const granted = log.filter((e) => e.op === 'retry').length
    expect(granted).toBe(retries)
    expect(permits + rejected).toBe(1_000 + granted)
    // budget: its tokens are exactly the replay of its ledger
    let tokens = 17_500
    for (const e of log)
      if (e.op === 'retry') tokens -= e.timeout ? 10 : 5
      else if (e.op === 'success') tokens = Math.min(17_500, tokens + 1)
    expect(budget.tokens()).toBe(tokens)
    expect(log.filter((e) => e.op === 'success')).toHaveLength(successes)
    expect(log.filter((e) => e.op === 'failure')).toHaveLength(permits + rejected - successes)
    expect(log.some((e) => e.op === 'refused')).toBe(true) // the budget did run dry
    expect(log.some((e) => e.op === 'retry' && e.timeout)).toBe(true) // and charged timeouts 10
    // breaker: every attempt that reached the dependency had a permit, reported exactly once
    expect(dependency.attempts).toHaveLength(permits)
    expect(reports).toBe(permits)
    expect(maxProbes).toBeLessThanOrEqual(3)
    expect(real.state()).toBe('Closed')
    expect(clock.pending()).toBe(0)
  })
})

describe('docs/protect-your-dependency.md', () => {
  const page = readFileSync(join(__dirname, '../docs/protect-your-dependency.md'), 'utf8')
  const documented = Table.tableRows(page)

  it.each([
    ['amplification', Table.amplificationHeader, Table.amplificationRows],
    ['recovery', Table.recoveryHeader, Table.recoveryRows],
  ] as const)('shows the measured %s table, row for row', async (_, header, rows) => {
    expect(documented).toContainEqual(header)
    for (const row of await rows()) expect(documented).toContainEqual(row)
  })

  it('the breaker picture it shows exists', () => {
    expect(page).toContain('](breaker-outage.svg)')
    expect(readFileSync(join(__dirname, '../docs/breaker-outage.svg'), 'utf8')).toContain('<svg')
  })
})
