import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import * as TE from 'fp-ts/TaskEither'
import { describe, expect, it } from 'vitest'
import { CircuitBreaker, Random, Retry, Schedule, TestClock } from '../src/index'
import * as Http from '../src/Http'
import type { Operation } from '../src/index'

/** An HTTP error response, as `Http.request` reports it. */
const httpError = (status: number): Http.HttpError => ({
  _tag: 'HttpError',
  method: 'GET',
  url: 'http://dependency.test/',
  status,
  statusText: '',
  headers: {},
  retryAfter: O.none,
  body: '',
})

/**
 * The failure of these tests: a 503, transient, so a failure by the default
 * `isFailure` (0.2 counts only transient errors; a plain `'503'` string would
 * now count as a success).
 */
const unavailable = httpError(503)

/** The hint of a refused call, or -1 when the call was let through. */
const hintOf = (permit: E.Either<CircuitBreaker.CircuitOpen, CircuitBreaker.Permit>): number =>
  E.isLeft(permit) ? O.getOrElse(() => -2)(permit.left.retryAfter) : -1

const setup = (options: CircuitBreaker.Options = {}) => {
  const clock = TestClock.make()
  const changes: Array<string> = []
  const breaker = CircuitBreaker.make({
    clock,
    onStateChange: (c) => changes.push(`${c.from}->${c.to}@${c.at}`),
    ...options,
  })()
  let calls = 0
  const call = (ok: boolean) =>
    pipe(() => {
      calls += 1
      return Promise.resolve(ok ? E.right('ok') : E.left(unavailable))
    }, CircuitBreaker.protect(breaker))()
  return { clock, breaker, changes, call, calls: () => calls }
}

const fail = async (call: (ok: boolean) => Promise<unknown>, n: number) => {
  for (let i = 0; i < n; i++) await call(false)
}

describe('CircuitBreaker: Closed', () => {
  it('stays closed below N consecutive failures; a success resets the count', async () => {
    const { breaker, call } = setup({ consecutiveFailures: 3 })
    await fail(call, 2)
    await call(true)
    await fail(call, 2)
    expect(breaker.state()).toBe('Closed')
  })

  it('opens on N consecutive failures (default 5)', async () => {
    const { breaker, call, changes } = setup()
    await fail(call, 4)
    expect(breaker.state()).toBe('Closed')
    await fail(call, 1)
    expect(breaker.state()).toBe('Open')
    expect(changes).toEqual(['Closed->Open@0'])
  })

  it('opens on a failure rate over a sliding window, only after the minimum number of calls', async () => {
    const { breaker, call } = setup({ failureRate: { threshold: 0.5, window: 10, minimumCalls: 6 } })
    // F S F S F : 3/5 failures, but fewer than 6 calls
    for (const ok of [false, true, false, true, false]) await call(ok)
    expect(breaker.state()).toBe('Closed')
    await call(true) // 3/6 = 0.5, but a success never trips
    expect(breaker.state()).toBe('Closed')
    await call(false) // 4/7
    expect(breaker.state()).toBe('Open')
  })

  it('the window slides: old failures fall out', async () => {
    const { breaker, call } = setup({ failureRate: { threshold: 0.5, window: 4, minimumCalls: 4 } })
    for (const ok of [false, false, true, true, true, true]) await call(ok) // window now S S S S
    await call(false) // S S S F = 0.25
    expect(breaker.state()).toBe('Closed')
    await call(false) // S S F F = 0.5
    expect(breaker.state()).toBe('Open')
  })

  it('with only a failure rate, consecutive failures alone do not open it', async () => {
    const { breaker, call } = setup({ failureRate: { threshold: 1, window: 100, minimumCalls: 100 } })
    await fail(call, 50)
    expect(breaker.state()).toBe('Closed')
  })

  it('errors that are not failures count as successes', async () => {
    const { breaker, call } = setup({ consecutiveFailures: 2, isFailure: (e) => e !== unavailable })
    await fail(call, 5)
    expect(breaker.state()).toBe('Closed')
  })

  it('a rejection (defect) propagates; counted by an isFailure that counts it', async () => {
    const { breaker } = setup({ consecutiveFailures: 1, isFailure: () => true })
    const bug = pipe(() => Promise.reject(new Error('bug')), CircuitBreaker.protect(breaker))
    await expect(bug()).rejects.toThrow('bug')
    expect(breaker.state()).toBe('Open')
  })

  it('a rejection (defect) counts as a failure under the default isFailure, as documented', async () => {
    const { breaker } = setup({ consecutiveFailures: 1 })
    const bug = pipe(() => Promise.reject(new Error('bug')), CircuitBreaker.protect(breaker))
    await expect(bug()).rejects.toThrow('bug')
    expect(breaker.state()).toBe('Open')
  })
})

describe('CircuitBreaker: Open', () => {
  it('fails at once with CircuitOpen carrying retryAt and the retryAfter hint; the action does not run', async () => {
    const { clock, call, calls } = setup({ consecutiveFailures: 2, halfOpenAfter: 5_000 })
    await clock.adjust(1_000)
    await fail(call, 2)
    await clock.adjust(1_500)
    expect(await call(true)).toEqual(
      E.left({ _tag: 'CircuitOpen', state: 'Open', retryAt: 6_000, retryAfter: O.some(3_500) }),
    )
    expect(calls()).toBe(2)
  })

  it('becomes half-open once the delay has passed (lazily, on the next look)', async () => {
    const { clock, breaker, call, changes } = setup({ consecutiveFailures: 1, halfOpenAfter: 5_000 })
    await fail(call, 1)
    await clock.adjust(4_999)
    expect(breaker.state()).toBe('Open')
    await clock.adjust(1)
    expect(breaker.state()).toBe('HalfOpen')
    expect(changes).toEqual(['Closed->Open@0', 'Open->HalfOpen@5000'])
  })

  it('a schedule as delay backs off over openings in a row, and starts afresh once closed', async () => {
    const { clock, breaker, call } = setup({ consecutiveFailures: 1, halfOpenAfter: Schedule.exponential(1_000) })
    const retryAt = async () => hintOf(breaker.acquire())
    await fail(call, 1)
    expect(await retryAt()).toBe(1_000)
    await clock.adjust(1_000)
    await fail(call, 1) // failed probe
    expect(await retryAt()).toBe(2_000)
    await clock.adjust(2_000)
    await fail(call, 1)
    expect(await retryAt()).toBe(4_000)
    await clock.adjust(4_000)
    await call(true) // closes
    await fail(call, 1)
    expect(await retryAt()).toBe(1_000)
  })

  it('keeps the last delay when the schedule is done', async () => {
    const { clock, breaker, call } = setup({ consecutiveFailures: 1, halfOpenAfter: Schedule.fromDelays(100, 200) })
    const remaining = () => hintOf(breaker.acquire())
    for (const expected of [100, 200, 200, 200]) {
      await fail(call, 1)
      expect(remaining()).toBe(expected)
      await clock.adjust(expected)
    }
  })
})

describe('CircuitBreaker: HalfOpen', () => {
  const halfOpen = async (probes: number) => {
    const s = setup({ consecutiveFailures: 1, halfOpenAfter: 1_000, probes })
    await fail(s.call, 1)
    await s.clock.adjust(1_000)
    return s
  }

  it('closes after M successful probes', async () => {
    const { breaker, call, changes } = await halfOpen(3)
    await call(true)
    await call(true)
    expect(breaker.state()).toBe('HalfOpen')
    await call(true)
    expect(breaker.state()).toBe('Closed')
    expect(changes).toEqual(['Closed->Open@0', 'Open->HalfOpen@1000', 'HalfOpen->Closed@1000'])
  })

  it('reopens on a failed probe', async () => {
    const { breaker, call, changes } = await halfOpen(3)
    await call(true)
    await call(false)
    expect(breaker.state()).toBe('Open')
    expect(changes.at(-1)).toBe('HalfOpen->Open@1000')
  })

  it('lets at most M probes through at once; the others fail at once with a hint of 0', async () => {
    const { breaker } = await halfOpen(2)
    const a = breaker.acquire()
    const b = breaker.acquire()
    const c = breaker.acquire()
    expect([E.isRight(a), E.isRight(b)]).toEqual([true, true])
    expect(c).toEqual(E.left({ _tag: 'CircuitOpen', state: 'HalfOpen', retryAt: 1_000, retryAfter: O.some(0) }))
  })

  it('ignores a late outcome of a call admitted before the last change, and a second report', async () => {
    const { breaker } = await halfOpen(1)
    const probe = breaker.acquire()
    if (E.isLeft(probe)) throw new Error('expected a probe')
    probe.right.onSuccess()
    expect(breaker.state()).toBe('Closed')
    probe.right.onFailure(unavailable) // late
    expect(breaker.state()).toBe('Closed')
  })

  it('ignores outcomes of calls admitted before a change: a late success closes nothing, a late failure opens nothing', async () => {
    const { clock, breaker, call, changes } = setup({ consecutiveFailures: 2, halfOpenAfter: 1_000, probes: 1 })
    const slowA = breaker.acquire() // admitted while closed, reported much later
    const slowB = breaker.acquire()
    const slowC = breaker.acquire()
    if (E.isLeft(slowA) || E.isLeft(slowB) || E.isLeft(slowC)) throw new Error('expected permits while closed')
    await fail(call, 2)
    await clock.adjust(1_000)
    expect(breaker.state()).toBe('HalfOpen')
    slowA.right.onSuccess() // not a probe: must not close the breaker
    expect(breaker.state()).toBe('HalfOpen')
    slowB.right.onFailure(unavailable) // not a probe: must not reopen it
    expect(breaker.state()).toBe('HalfOpen')
    await call(true) // the real probe closes it
    expect(breaker.state()).toBe('Closed')
    slowC.right.onFailure(unavailable) // from the old closed period: not counted in the new one
    await call(false)
    expect(breaker.state()).toBe('Closed') // one failure in the new period, not two
    expect(changes).toEqual(['Closed->Open@0', 'Open->HalfOpen@1000', 'HalfOpen->Closed@1000'])
  })

  it('after closing, counts from zero again', async () => {
    const { clock, breaker, call } = setup({ consecutiveFailures: 2, halfOpenAfter: 10 })
    await fail(call, 2)
    await clock.adjust(10)
    await call(true) // probe: closed
    await fail(call, 1)
    expect(breaker.state()).toBe('Closed')
    await fail(call, 1)
    expect(breaker.state()).toBe('Open')
  })

  it('after closing, the failure-rate window starts empty', async () => {
    const { clock, breaker, call } = setup({
      failureRate: { threshold: 0.5, window: 4, minimumCalls: 2 },
      halfOpenAfter: 10,
    })
    await fail(call, 2)
    await clock.adjust(10)
    await call(true) // the probe: closed
    await call(true)
    await call(true)
    await call(false) // 1/3 in the new window (F S S F = 1/2 had the old failures stayed)
    expect(breaker.state()).toBe('Closed')
  })
})

describe('CircuitBreaker: listeners', () => {
  it('subscribe sees every change until unsubscribed', async () => {
    const { clock, breaker, call } = setup({ consecutiveFailures: 1, halfOpenAfter: 100 })
    const seen: Array<CircuitBreaker.StateChange> = []
    const unsubscribe = breaker.subscribe((c) => seen.push(c))
    await fail(call, 1)
    await clock.adjust(100)
    await call(true)
    unsubscribe()
    await fail(call, 1)
    expect(seen).toEqual([
      { from: 'Closed', to: 'Open', at: 0 },
      { from: 'Open', to: 'HalfOpen', at: 100 },
      { from: 'HalfOpen', to: 'Closed', at: 100 },
    ])
  })
})

describe('CircuitBreaker: the default isFailure counts transient failures only', () => {
  const networkError = (code: O.Option<string>): Http.NetworkError => ({
    _tag: 'NetworkError',
    method: 'GET',
    url: 'http://dependency.test/',
    code,
    message: 'socket hang up',
    cause: undefined,
  })

  it('four 404s do not open a breaker with consecutiveFailures 4; four 503s do', async () => {
    const clock = TestClock.make()
    const after = async (error: Http.HttpError) => {
      const breaker = CircuitBreaker.make({ clock, consecutiveFailures: 4 })()
      const call = pipe(TE.left(error), CircuitBreaker.protect(breaker))
      for (let i = 0; i < 4; i++) await call()
      return breaker.state()
    }
    expect(await after(httpError(404))).toBe('Closed') // a 404 says the service is up: a success
    expect(await after(httpError(503))).toBe('Open')
  })

  it('isFailure: Http.isTransient compiles and behaves as the default on the dependency’s own failures', () => {
    const clock = TestClock.make()
    const cases: ReadonlyArray<readonly [unknown, CircuitBreaker.State]> = [
      [httpError(400), 'Closed'],
      [httpError(401), 'Closed'],
      [httpError(404), 'Closed'],
      [httpError(408), 'Open'],
      [httpError(429), 'Open'],
      [httpError(500), 'Open'],
      [httpError(502), 'Open'],
      [httpError(503), 'Open'],
      [httpError(504), 'Open'],
      [networkError(O.some('ECONNRESET')), 'Open'],
      [networkError(O.some('ABORT_ERR')), 'Closed'], // the caller's own abort says nothing about the dependency
      [{ _tag: 'TimeoutError', timeout: 1_000 }, 'Open'],
      ['503', 'Closed'],
      [new Error('503'), 'Closed'],
      [undefined, 'Closed'],
    ]
    for (const [error, expected] of cases) {
      const byDefault = CircuitBreaker.make({ clock, consecutiveFailures: 1 })()
      const explicit = CircuitBreaker.make({ clock, consecutiveFailures: 1, isFailure: Http.isTransient })()
      for (const breaker of [byDefault, explicit]) {
        const permit = breaker.acquire()
        if (E.isLeft(permit)) throw new Error('expected a permit while closed')
        permit.right.onFailure(error)
      }
      expect([byDefault.state(), explicit.state()], JSON.stringify(error)).toEqual([expected, expected])
    }
  })

  it('by default counts 529 and obeys x-should-retry as Http.isTransient does, for any status and header', () => {
    const clock = TestClock.make()
    const withHeaders = (status: number, headers: Record<string, string>): Http.HttpError => ({
      ...httpError(status),
      headers,
    })
    const stateAfter = (error: unknown): CircuitBreaker.State => {
      const breaker = CircuitBreaker.make({ clock, consecutiveFailures: 1 })()
      const permit = breaker.acquire()
      if (E.isLeft(permit)) throw new Error('expected a permit while closed')
      permit.right.onFailure(error)
      return breaker.state()
    }
    expect(stateAfter(httpError(529))).toBe('Open') // Anthropic's Overloaded
    expect(stateAfter(withHeaders(503, { 'x-should-retry': 'false' }))).toBe('Closed')
    expect(stateAfter(withHeaders(409, { 'x-should-retry': 'true' }))).toBe('Open')
    expect(stateAfter(withHeaders(500, { 'X-Should-Retry': 'false' }))).toBe('Closed')
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.constantFrom('x-should-retry', 'X-Should-Retry', 'x-other'),
        fc.constantFrom('true', 'false', 'TRUE', ''),
        (status, name, value) => {
          const error = withHeaders(status, { [name]: value })
          expect(stateAfter(error)).toBe(Http.isTransient(error) ? 'Open' : 'Closed')
        },
      ),
    )
  })

  it('by default a rejection by a local protection (open circuit, rate limit, full bulkhead) is not a failure', () => {
    const clock = TestClock.make()
    const local: ReadonlyArray<unknown> = [
      { _tag: 'CircuitOpen', state: 'Open', retryAt: 10, retryAfter: O.some(10) },
      { _tag: 'RateLimited', reason: 'limit', retryAfter: O.some(100), queued: 0 },
      { _tag: 'BulkheadRejected', reason: 'full', running: 4, queued: 0, maxConcurrent: 4, maxQueue: 0 },
    ]
    for (const error of local) {
      const byDefault = CircuitBreaker.make({ clock, consecutiveFailures: 1 })()
      const transient = CircuitBreaker.make({ clock, consecutiveFailures: 1, isFailure: Http.isTransient })()
      for (const breaker of [byDefault, transient]) {
        const permit = breaker.acquire()
        if (E.isLeft(permit)) throw new Error('expected a permit while closed')
        permit.right.onFailure(error)
      }
      // a breaker around a limiter does not open on the limiter's refusals; Http.isTransient still retries them
      expect([byDefault.state(), transient.state()], JSON.stringify(error)).toEqual(['Closed', 'Open'])
    }
  })

  it('a plain string error counts as a success by default (0.2); isFailure: () => true counts it', async () => {
    const after = async (options: CircuitBreaker.Options) => {
      const breaker = CircuitBreaker.make({ consecutiveFailures: 4, ...options })()
      const call = pipe(TE.left('503'), CircuitBreaker.protect(breaker))
      for (let i = 0; i < 4; i++) await call()
      return breaker.state()
    }
    expect(await after({})).toBe('Closed')
    expect(await after({ isFailure: () => true })).toBe('Open') // 0.1's default
  })
})

describe('CircuitBreaker with Retry', () => {
  it('waitForHint makes the schedule wait exactly until the breaker lets a probe through', async () => {
    const clock = TestClock.make()
    const breaker = CircuitBreaker.make({ clock, consecutiveFailures: 2, halfOpenAfter: 3_000 })()
    const attempts: Array<number> = []
    let healthy = false
    const call = pipe(
      () => {
        attempts.push(clock.now())
        return Promise.resolve(healthy ? E.right('ok') : E.left(unavailable))
      },
      CircuitBreaker.protect(breaker),
      Retry.retrying(
        pipe(Schedule.spaced(100), Schedule.intersect(Schedule.recurs(10)), Schedule.waitForHint(30_000)),
        {
          clock,
        },
      ),
    )
    const running = call()
    await clock.adjust(150) // attempts at 0 and 100: the breaker opens at 100 until 3100
    healthy = true
    await clock.runAll()
    expect(await running).toEqual(E.right('ok'))
    // 200: rejected at once (CircuitOpen, retryAfter 2900); next attempt exactly at 3100
    expect(attempts).toEqual([0, 100, 3_100])
    expect(breaker.state()).toBe('Closed')
  })

  it('waitForHint keeps a longer own delay and never turns done into continue', () => {
    const open: CircuitBreaker.CircuitOpen = { _tag: 'CircuitOpen', state: 'Open', retryAt: 50, retryAfter: O.some(50) }
    expect(Schedule.simulate(pipe(Schedule.spaced(200), Schedule.waitForHint(30_000)), [open])).toEqual([200])
    expect(Schedule.simulate(pipe(Schedule.stop, Schedule.waitForHint(30_000)), [open])).toEqual([])
  })

  describe('the documented HTTP policy waits out an open circuit', () => {
    const policy = (waitForHint: boolean) =>
      pipe(
        Schedule.exponential(100),
        Schedule.jittered(),
        Schedule.capDelay(2_000),
        Schedule.intersect(Schedule.recurs(5)),
        Schedule.whileInput(Http.isTransient),
        waitForHint ? Schedule.waitForHint(30_000) : (s) => s,
        Schedule.upTo(10_000),
      )

    /** A dependency that answers 503 twice, then 200, behind a breaker inside the retry. */
    const run = async (seed: number, waitForHint = true) => {
      const clock = TestClock.make()
      const breaker = CircuitBreaker.make({ consecutiveFailures: 2, halfOpenAfter: 3_000, clock })()
      const calls: Array<number> = [] // the attempts that reached the dependency
      const starts: Array<number> = [] // every attempt, those the breaker refused included
      const refused: Array<number> = [] // the delay slept after each refusal
      const dependency: TE.TaskEither<Http.HttpError, string> = () => {
        calls.push(clock.now())
        return Promise.resolve(calls.length <= 2 ? E.left(unavailable) : E.right('ok'))
      }
      const attempt = pipe(dependency, CircuitBreaker.protect(breaker))
      const call = Retry.retrying(() => (starts.push(clock.now()), attempt()), policy(waitForHint), {
        clock,
        random: Random.seeded(seed),
        onRetry: (e) => (CircuitBreaker.isCircuitOpen(e.error) ? refused.push(e.delay) : undefined),
      })
      const running = call()
      await clock.runAll()
      return { result: await running, calls, starts, refused, state: breaker.state() }
    }

    it('succeeds; the attempt after the circuit opened starts exactly when the breaker lets a probe through', async () => {
      const { result, calls, starts, refused, state } = await run(1)
      expect(result).toEqual(E.right('ok'))
      expect(state).toBe('Closed')
      // 0: 503; ~100: 503, the breaker opens until starts[1] + 3000; ~300: refused at once; then the probe
      // the policy's own delays after the two 503s, for the same seed: ~105 and ~160 ms (100 and 200, jittered)
      const [d1 = NaN, d2 = NaN] = Schedule.simulate(policy(true), [unavailable, unavailable], {
        random: Random.seeded(1),
      })
      expect(d1).toBeGreaterThanOrEqual(80)
      expect(d1).toBeLessThan(120)
      expect(d2).toBeGreaterThanOrEqual(160)
      expect(d2).toBeLessThan(240)
      expect(starts).toEqual([0, d1, d1 + d2, d1 + 3_000])
      // only the two failures and the probe reached the dependency; one attempt was refused, then it waited
      expect(calls).toEqual([starts[0], starts[1], starts[3]])
      expect(refused).toEqual([starts[1]! + 3_000 - starts[2]!])
    })

    it.each([2, 3, 4, 5, 6, 7, 8])('the same for any jitter (seed %i)', async (seed) => {
      const { result, calls, starts, refused } = await run(seed)
      expect(result).toEqual(E.right('ok'))
      expect(starts).toHaveLength(4)
      expect(starts[3]).toBe(calls[1]! + 3_000)
      expect(calls).toEqual([starts[0], starts[1], starts[3]])
      expect(refused).toHaveLength(1)
    })

    it('without waitForHint the same policy hammers the open breaker: more refusals, no earlier probe', async () => {
      const { calls, starts, refused } = await run(1, false)
      expect(refused.length).toBeGreaterThanOrEqual(3) // each of them an attempt spent on a CircuitOpen
      expect(calls.length).toBeLessThanOrEqual(3)
      expect(starts.length).toBeGreaterThan(4)
    })
  })

  it('a jittered half-open schedule uses the given random source', async () => {
    const { breaker, call } = setup({
      consecutiveFailures: 1,
      halfOpenAfter: pipe(Schedule.spaced(1_000), Schedule.fullJitter),
      random: Random.constant(0.5),
    })
    await fail(call, 1)
    const r = breaker.acquire()
    expect(hintOf(r)).toBe(500)
  })

  it("protect hands a cancellable operation the caller's environment as it is, data-last and data-first", async () => {
    const breaker = CircuitBreaker.make()()
    const controller = new AbortController()
    const op = (env: Operation.Env & { readonly db: string }) => TE.right([env.signal, env.db] as const)
    const env = { signal: controller.signal, db: 'primary' }
    expect(await pipe(op, CircuitBreaker.protect(breaker))(env)()).toEqual(E.right([controller.signal, 'primary']))
    expect(await CircuitBreaker.protect(op, breaker)(env)()).toEqual(E.right([controller.signal, 'primary']))
  })

  it('data-first protect records outcomes as data-last does', async () => {
    const breaker = CircuitBreaker.make({ consecutiveFailures: 2 })()
    const failing = CircuitBreaker.protect(TE.left(unavailable), breaker)
    await failing()
    await failing()
    expect(breaker.state()).toBe('Open')
    const refused = await failing()
    expect(E.isLeft(refused) && CircuitBreaker.isCircuitOpen(refused.left)).toBe(true)
  })
})

describe('CircuitBreaker.make: nonsense options', () => {
  it.each([
    [{ consecutiveFailures: 0 }, 'consecutiveFailures'],
    [{ probes: 1.5 }, 'probes'],
    [{ halfOpenAfter: -1 }, 'halfOpenAfter'],
    [{ failureRate: { threshold: 0, window: 10, minimumCalls: 5 } }, 'failureRate.threshold'],
    [{ failureRate: { threshold: 1.5, window: 10, minimumCalls: 5 } }, 'failureRate.threshold'],
    [{ failureRate: { threshold: 0.5, window: 0, minimumCalls: 1 } }, 'failureRate.window'],
    [{ failureRate: { threshold: 0.5, window: 10, minimumCalls: 11 } }, 'failureRate.minimumCalls'],
  ] as const)('%j throws a RangeError naming %s', (options, param) => {
    expect(() => CircuitBreaker.make(options)).toThrow(RangeError)
    expect(() => CircuitBreaker.make(options)).toThrow(`CircuitBreaker.make: ${param} must be`)
  })
})

describe('CircuitBreaker: invariants under any sequence of calls and time', () => {
  type Op =
    | { readonly _tag: 'call'; readonly ok: boolean }
    | { readonly _tag: 'hold' } // a call admitted now, reported at the end
    | { readonly _tag: 'wait'; readonly ms: number }
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.boolean().map((ok) => ({ _tag: 'call', ok }) as const),
    fc.constant({ _tag: 'hold' } as const),
    fc.integer({ min: 0, max: 3_000 }).map((ms) => ({ _tag: 'wait', ms }) as const),
  )

  it('transitions are legal and chained, probes never exceed M, CircuitOpen tells the truth', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 80 }), fc.integer({ min: 1, max: 3 }), async (ops, probes) => {
        const clock = TestClock.make()
        const changes: Array<CircuitBreaker.StateChange> = []
        const breaker = CircuitBreaker.make({
          clock,
          consecutiveFailures: 3,
          failureRate: { threshold: 0.5, window: 6, minimumCalls: 4 },
          halfOpenAfter: 1_000,
          probes,
          onStateChange: (c) => changes.push(c),
        })()
        const held: Array<CircuitBreaker.Permit> = []
        let admittedInHalfOpen = 0
        breaker.subscribe(() => (admittedInHalfOpen = 0))
        for (const o of ops) {
          if (o._tag === 'wait') {
            await clock.adjust(o.ms)
            continue
          }
          const before = breaker.state()
          const permit = breaker.acquire()
          if (E.isLeft(permit)) {
            expect(before).not.toBe('Closed')
            expect(O.isSome(permit.left.retryAfter)).toBe(true)
            expect(hintOf(permit)).toBeGreaterThanOrEqual(0)
            expect(permit.left.retryAt - clock.now()).toBe(hintOf(permit))
            continue
          }
          expect(before).not.toBe('Open')
          if (before === 'HalfOpen') expect(++admittedInHalfOpen).toBeLessThanOrEqual(probes)
          if (o._tag === 'hold') held.push(permit.right)
          else if (o.ok) permit.right.onSuccess()
          else permit.right.onFailure(unavailable)
        }
        held.forEach((p) => p.onFailure(unavailable)) // late
        const legal = new Set(['Closed->Open', 'Open->HalfOpen', 'HalfOpen->Open', 'HalfOpen->Closed'])
        changes.forEach((c, i) => {
          expect(legal.has(`${c.from}->${c.to}`)).toBe(true)
          expect(c.from).toBe(i === 0 ? 'Closed' : changes[i - 1]!.to)
        })
      }),
      { numRuns: 200 },
    )
  })
})
