import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as TE from 'fp-ts/TaskEither'
import { describe, expect, it } from 'vitest'
import { CircuitBreaker, Random, Retry, Schedule, TestClock } from '../src/index'

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
      return Promise.resolve(ok ? E.right('ok') : E.left('503'))
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
    const { breaker, call } = setup({ consecutiveFailures: 2, isFailure: (e) => e !== '503' })
    await fail(call, 5)
    expect(breaker.state()).toBe('Closed')
  })

  it('a rejection (defect) counts as a failure and propagates', async () => {
    const { breaker } = setup({ consecutiveFailures: 1 })
    const bug = pipe(() => Promise.reject(new Error('bug')), CircuitBreaker.protect(breaker))
    await expect(bug()).rejects.toThrow('bug')
    expect(breaker.state()).toBe('Open')
  })
})

describe('CircuitBreaker: Open', () => {
  it('fails at once with CircuitOpen carrying retryAt and remaining; the action does not run', async () => {
    const { clock, call, calls } = setup({ consecutiveFailures: 2, halfOpenAfter: 5_000 })
    await clock.adjust(1_000)
    await fail(call, 2)
    await clock.adjust(1_500)
    expect(await call(true)).toEqual(E.left({ _tag: 'CircuitOpen', state: 'Open', retryAt: 6_000, remaining: 3_500 }))
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
    const retryAt = async () => {
      const r = breaker.acquire()
      return E.isLeft(r) ? r.left.remaining : -1
    }
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
    const remaining = () => {
      const r = breaker.acquire()
      return E.isLeft(r) ? r.left.remaining : -1
    }
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

  it('lets at most M probes through at once; the others fail at once with remaining 0', async () => {
    const { breaker } = await halfOpen(2)
    const a = breaker.acquire()
    const b = breaker.acquire()
    const c = breaker.acquire()
    expect([E.isRight(a), E.isRight(b)]).toEqual([true, true])
    expect(c).toEqual(E.left({ _tag: 'CircuitOpen', state: 'HalfOpen', retryAt: 1_000, remaining: 0 }))
  })

  it('ignores a late outcome of a call admitted before the last change, and a second report', async () => {
    const { breaker } = await halfOpen(1)
    const probe = breaker.acquire()
    if (E.isLeft(probe)) throw new Error('expected a probe')
    probe.right.onSuccess()
    expect(breaker.state()).toBe('Closed')
    probe.right.onFailure('late')
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
    slowB.right.onFailure('503') // not a probe: must not reopen it
    expect(breaker.state()).toBe('HalfOpen')
    await call(true) // the real probe closes it
    expect(breaker.state()).toBe('Closed')
    slowC.right.onFailure('503') // from the old closed period: not counted in the new one
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

describe('CircuitBreaker with Retry', () => {
  it('waitUntilRetryAt makes the schedule wait exactly until the breaker lets a probe through', async () => {
    const clock = TestClock.make()
    const breaker = CircuitBreaker.make({ clock, consecutiveFailures: 2, halfOpenAfter: 3_000 })()
    const attempts: Array<number> = []
    let healthy = false
    const call = pipe(
      () => {
        attempts.push(clock.now())
        return Promise.resolve(healthy ? E.right('ok') : E.left('503'))
      },
      CircuitBreaker.protect(breaker),
      Retry.retrying(
        pipe(Schedule.spaced(100), Schedule.intersect(Schedule.recurs(10)), CircuitBreaker.waitUntilRetryAt),
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
    // 200: rejected at once (CircuitOpen, remaining 2900); next attempt exactly at 3100
    expect(attempts).toEqual([0, 100, 3_100])
    expect(breaker.state()).toBe('Closed')
  })

  it('waitUntilRetryAt keeps a longer own delay and never turns done into continue', () => {
    const open = { _tag: 'CircuitOpen', state: 'Open', retryAt: 50, remaining: 50 } as const
    expect(Schedule.simulate(pipe(Schedule.spaced(200), CircuitBreaker.waitUntilRetryAt), [open])).toEqual([200])
    expect(Schedule.simulate(pipe(Schedule.stop, CircuitBreaker.waitUntilRetryAt), [open])).toEqual([])
  })

  it('a jittered half-open schedule uses the given random source', async () => {
    const { breaker, call } = setup({
      consecutiveFailures: 1,
      halfOpenAfter: pipe(Schedule.spaced(1_000), Schedule.fullJitter),
      random: Random.constant(0.5),
    })
    await fail(call, 1)
    const r = breaker.acquire()
    expect(E.isLeft(r) && r.left.remaining).toBe(500)
  })

  it('protectAbortable passes the signal through', async () => {
    const breaker = CircuitBreaker.make()()
    const controller = new AbortController()
    const result = await pipe(
      (signal: AbortSignal) => TE.right(signal),
      CircuitBreaker.protectAbortable(breaker),
    )(controller.signal)()
    expect(result).toEqual(E.right(controller.signal))
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
            expect(permit.left.remaining).toBeGreaterThanOrEqual(0)
            expect(permit.left.retryAt - clock.now()).toBe(permit.left.remaining)
            continue
          }
          expect(before).not.toBe('Open')
          if (before === 'HalfOpen') expect(++admittedInHalfOpen).toBeLessThanOrEqual(probes)
          if (o._tag === 'hold') held.push(permit.right)
          else if (o.ok) permit.right.onSuccess()
          else permit.right.onFailure('503')
        }
        held.forEach((p) => p.onFailure('late'))
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
