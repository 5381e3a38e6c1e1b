/**
 * The proofs of issue 4, in virtual time with seeded random sources, driving
 * the real library against the simulated dependency of test/simulation.
 * The numbers asserted here are the table of docs/protect-your-dependency.md
 * (regenerate it with `npx tsx scripts/outage-table.ts`).
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import * as TE from 'fp-ts/TaskEither'
import { setMaxListeners } from 'node:events'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { timers } from './support/timers'
import { Budget, CircuitBreaker, Clock, Random, Retry, Schedule, TestClock, Timeout } from '../src/index'
import type { Operation } from '../src/index'
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
    const before = timers()
    const breaker = CircuitBreaker.make({ clock: Clock.live, consecutiveFailures: 100 })()
    const budget = Budget.tokenBucket()()
    let attempts = 0
    const controller = new AbortController()
    let backingOff!: () => void
    const asleep = new Promise<void>((resolve) => (backingOff = resolve))
    const attempt = pipe(
      (_: Operation.Env): TE.TaskEither<string, never> => {
        attempts += 1
        return TE.left('503')
      },
      Timeout.timeout(60_000, { clock: Clock.live }),
      CircuitBreaker.protect(breaker),
    )
    // one 5 s backoff at most: a broken abort fails the test instead of retrying forever on real timers
    const running = Retry.retrying(attempt, pipe(Schedule.spaced(5_000), Schedule.intersect(Schedule.recurs(1))), {
      clock: Clock.live,
      budget,
      onRetry: () => queueMicrotask(backingOff),
    })({ signal: controller.signal })()
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

describe('one composition around one cancellable operation: each layer fails with its own tag', () => {
  // the composition (test/protection.test-d.ts types it): timeout -> breaker -> budgeted retries, in one pipe
  interface Row {
    readonly id: number
  }
  type DbError =
    | { readonly _tag: 'ConnectionLost'; readonly reason: unknown }
    | { readonly _tag: 'QueryFailed'; readonly sql: string }
  interface Db {
    readonly query: (sql: string, signal: AbortSignal) => Promise<E.Either<DbError, Row>>
  }
  /** What the database does on each call, in order (the last one repeats). */
  type Behaviour = 'ok' | 'lost' | 'bad' | 'hang'

  const setup = (script: ReadonlyArray<Behaviour>, options: { retries?: number; capacity?: number } = {}) => {
    const clock = TestClock.make()
    const calls: Array<{ readonly at: number; readonly signal: AbortSignal }> = []
    const db: Db = {
      query: async (sql, signal) => {
        const behaviour = script[Math.min(calls.length, script.length - 1)]
        calls.push({ at: clock.now(), signal })
        switch (behaviour) {
          case 'ok':
            return E.right({ id: 1 })
          case 'lost':
            return E.left({ _tag: 'ConnectionLost', reason: 'ECONNRESET' })
          case 'bad':
            return E.left({ _tag: 'QueryFailed', sql })
          default:
            // hangs until its signal fires, then reports it as a driver would
            await clock.sleep(3_600_000, signal)
            return E.left({ _tag: 'ConnectionLost', reason: signal.reason })
        }
      },
    }
    const getRow: ReaderTaskEither<Operation.Env & { readonly db: Db }, DbError, Row> =
      ({ db, signal }) =>
      () =>
        db.query('select 1', signal)
    // the default isFailure: timeouts count, a lost connection or a failed query (errors the library does not know) do not
    const breaker = CircuitBreaker.make({ clock, consecutiveFailures: 2, halfOpenAfter: 5_000 })()
    const budget = Budget.tokenBucket({ capacity: options.capacity ?? 500 })()
    const giveUps: Array<Retry.GiveUpReason['_tag']> = []
    const policy = pipe(
      Schedule.spaced(100),
      Schedule.intersect(Schedule.recurs(options.retries ?? 3)),
      // a failed query is permanent; an open circuit is reported to the caller rather than waited out here
      Schedule.whileInput((e: unknown) => !CircuitBreaker.isCircuitOpen(e) && (e as DbError)._tag !== 'QueryFailed'),
    )
    const call = pipe(
      getRow,
      Timeout.timeout(1_000, { clock }),
      CircuitBreaker.protect(breaker),
      Retry.retrying(policy, { clock, budget, onGiveUp: (e) => giveUps.push(e.reason._tag) }),
    )
    const controller = new AbortController()
    const run = () => call({ db, signal: controller.signal })()
    return { clock, calls, breaker, giveUps, controller, run }
  }

  it("the operation's own error: QueryFailed, not retried", async () => {
    const { clock, calls, run } = setup(['bad'])
    const running = run()
    await clock.runAll()
    expect(await running).toEqual(E.left({ _tag: 'QueryFailed', sql: 'select 1' }))
    expect(calls).toHaveLength(1)
  })

  it("the timeout's: TimeoutError, and each hung attempt's signal fired with it", async () => {
    const { clock, calls, run } = setup(['hang'], { retries: 1 })
    const running = run()
    await clock.runAll()
    expect(await running).toEqual(E.left({ _tag: 'TimeoutError', timeout: 1_000 }))
    expect(calls.map((c) => c.at)).toEqual([0, 1_100])
    for (const { signal } of calls) expect(signal.reason).toEqual({ _tag: 'TimeoutError', timeout: 1_000 })
    expect(clock.pending()).toBe(0)
  })

  it("the breaker's: CircuitOpen with its hint, once two timeouts opened it; the attempt did not run", async () => {
    const { clock, calls, breaker, run } = setup(['hang'])
    const running = run()
    await clock.runAll()
    // timeouts at 1000 and 2100 open it until 7100; the retry at 2200 is refused
    expect(await running).toEqual(
      E.left({ _tag: 'CircuitOpen', state: 'Open', retryAt: 7_100, retryAfter: O.some(4_900) }),
    )
    expect(calls).toHaveLength(2)
    expect(breaker.state()).toBe('Open')
  })

  it("the budget's refusal: the last error (ConnectionLost) as it is, and onGiveUp says why", async () => {
    const { clock, calls, breaker, giveUps, run } = setup(['lost'], { capacity: 10 })
    const running = run()
    await clock.runAll()
    expect(await running).toEqual(E.left({ _tag: 'ConnectionLost', reason: 'ECONNRESET' }))
    expect(calls.map((c) => c.at)).toEqual([0, 100, 200]) // two retries of 5 tokens, then refused
    expect(giveUps).toEqual(['BudgetExhausted'])
    expect(breaker.state()).toBe('Closed') // a lost connection is not a failure by the default isFailure
  })

  it("the caller's abort: Aborted with the reason and the last error, at once, cancelling the attempt in flight", async () => {
    const { clock, calls, controller, run } = setup(['lost', 'hang'])
    const running = run()
    await clock.adjust(500) // attempt 2 (at 100) hangs
    expect(calls).toHaveLength(2)
    controller.abort('user left')
    expect(await running).toEqual(
      E.left({
        _tag: 'Aborted',
        reason: 'user left',
        lastError: O.some({ _tag: 'ConnectionLost', reason: 'ECONNRESET' }),
      }),
    )
    expect(calls[1]!.signal.aborted).toBe(true)
    expect(clock.now()).toBe(500)
    expect(clock.pending()).toBe(0) // no timeout timer, no backoff, no hung query left behind
  })

  it('and a success through every layer', async () => {
    const { clock, calls, run } = setup(['lost', 'ok'])
    const running = run()
    await clock.runAll()
    expect(await running).toEqual(E.right({ id: 1 }))
    expect(calls.map((c) => c.at)).toEqual([0, 100])
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
      Schedule.waitForHint(60_000),
    )
    const signal = new AbortController().signal
    setMaxListeners(5_000, signal) // one signal shared by 1,000 calls: more than Node's default of 10 listeners
    const call = Retry.retrying(policy, {
      clock,
      random: Random.seeded(3),
      budget,
      onRetry: () => (retries += 1),
    })(pipe(dependency.cancellable, timedOut, CircuitBreaker.protect(breaker)))
    const running = Promise.all(Array.from({ length: 1_000 }, () => call({ signal })()))
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
