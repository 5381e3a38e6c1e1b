/**
 * Hedged requests: deterministic races on a TestClock (the hedge's own sleeps have the purpose 'hedge', the
 * simulated attempts 'server'), the bounds on extra load, the adaptive delay, composition with the other
 * combinators, a real HTTP server that sees its losing request cancelled, and the tail-latency simulation's
 * orderings on a small run.
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import * as TE from 'fp-ts/TaskEither'
import fc from 'fast-check'
import { getEventListeners } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { timers } from './support/timers'
import { simulate, strategies } from '../bench/hedge/sim'
import { Budget, CircuitBreaker, Clock, Hedge, Operation, Retry, Schedule, TestClock, Timeout } from '../src/index'
import * as Grpc from '../src/Grpc'
import * as Http from '../src/Http'
import { reply, serve, type TestServer } from './support/server'

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

/** What attempt `n` (from 1) does: answer `result` after `ms` of the clock, or reject after `ms`. */
type Step =
  { readonly ms: number; readonly result: E.Either<string, string> } | { readonly ms: number; readonly reject: Error }

/**
 * A scripted dependency on `clock`: attempt n follows `plan[n - 1]` (the last step once the plan runs out).
 * Cancellable attempts honour their signal (an aborted attempt ends at once with `Left('cancelled')`, or rejects
 * when its step rejects); `ignoreSignal` makes them run to the end regardless. Records each attempt's signal and
 * start time.
 */
const scripted = (clock: TestClock.TestClock, plan: ReadonlyArray<Step>, ignoreSignal = false) => {
  const signals: Array<AbortSignal> = []
  const starts: Array<number> = []
  const settledAt: Array<number> = []
  const run = async (signal: AbortSignal | undefined): Promise<E.Either<string, string>> => {
    const n = starts.push(clock.now())
    if (signal !== undefined) signals.push(signal)
    const step = plan[Math.min(n, plan.length) - 1] as Step
    await clock.sleep(step.ms, ignoreSignal ? undefined : signal, 'server')
    settledAt[n - 1] = clock.now()
    if ('reject' in step) throw step.reject
    return !ignoreSignal && signal?.aborted === true ? E.left('cancelled') : step.result
  }
  const cancellable: Operation.Cancellable<Operation.Env, string, string> =
    ({ signal }) =>
    () =>
      run(signal)
  const plain: TE.TaskEither<string, string> = () => run(undefined)
  return { cancellable, plain, signals, starts, settledAt }
}

const ok = (ms: number, value: string): Step => ({ ms, result: E.right(value) })
const ko = (ms: number, error: string): Step => ({ ms, result: E.left(error) })
const spaced = (ms: number, hedges: number) => pipe(Schedule.spaced(ms), Schedule.intersect(Schedule.recurs(hedges)))
const cancelled = (by: number): Hedge.Cancelled => ({ _tag: 'HedgeCancelled', by })

describe('Hedge.hedging: the race', () => {
  it('starts one attempt, then another each time the delay elapses without a success, up to the schedule', async () => {
    const clock = TestClock.make()
    const dep = scripted(clock, [ok(1_000, 'slow')])
    const running = Operation.run(pipe(dep.cancellable, Hedge.hedging(spaced(10, 2), { clock })))()
    expect(dep.starts).toEqual([0])
    expect(clock.pending('hedge')).toBe(1)
    await clock.adjust(10)
    expect(dep.starts).toEqual([0, 10])
    await clock.adjust(10)
    expect(dep.starts).toEqual([0, 10, 20])
    expect(clock.pending('hedge')).toBe(0) // the schedule is done: no third hedge
    await clock.adjust(1_000)
    expect(await running).toEqual(E.right('slow'))
    expect(dep.starts).toHaveLength(3)
  })

  it('the first success wins, even when a loser that ignores its signal succeeds a tick later', async () => {
    for (const form of ['plain', 'cancellable'] as const) {
      const clock = TestClock.make()
      // attempt 1 answers at 20; attempt 2 (started at 10) also at 20, but its sleep was taken later: it lands after
      const dep = scripted(clock, [ok(20, 'first'), ok(10, 'second')], true)
      const hedge = Hedge.hedging(spaced(10, 1), { clock })
      const running = form === 'plain' ? hedge(dep.plain)() : Operation.run(hedge(dep.cancellable))()
      await clock.adjust(20)
      expect(await running).toEqual(E.right('first'))
      expect(dep.settledAt).toEqual([20, 20])
    }
  })

  it('the winner aborts every other running attempt’s signal at once; no timer and no listener remain', async () => {
    const clock = TestClock.make()
    const dep = scripted(clock, [ok(1_000, 'a'), ok(1_000, 'b'), ok(5, 'c')])
    const caller = new AbortController()
    const running = pipe(dep.cancellable, Hedge.hedging(spaced(10, 5), { clock }))({ signal: caller.signal })()
    expect(listeners(caller.signal)).toBe(1) // one subscription for the whole call, however many attempts
    await clock.whenSleeping(1, 'hedge')
    await clock.adjust(25) // attempts at 0, 10, 20; the third answers at 25
    expect(await running).toEqual(E.right('c'))
    expect(dep.signals.map((s) => s.aborted)).toEqual([true, true, false])
    expect(dep.signals.map((s) => s.reason as unknown)).toEqual([cancelled(3), cancelled(3), undefined])
    expect(clock.pending()).toBe(0) // the hedge timer, and the losers' sleeps (ended by their signals)
    expect(listeners(caller.signal)).toBe(0)
    expect(dep.signals.map(listeners)).toEqual([0, 0, 0])
  })

  it('leaves no live timer behind on the live clock, when the first attempt wins and when a hedge does', async () => {
    const before = timers()
    const fast = await Operation.run(pipe((_: Operation.Env) => TE.right(1), Hedge.hedging(spaced(60_000, 3))))()
    expect(fast).toEqual(E.right(1))
    expect(timers()).toBe(before)
    let n = 0
    const slowFirst =
      ({ signal }: Operation.Env): TE.TaskEither<string, number> =>
      async () => {
        const me = ++n
        await Clock.sleep(me === 1 ? 60_000 : 1, signal)
        return E.right(me)
      }
    expect(await Operation.run(pipe(slowFirst, Hedge.hedging(spaced(5, 3))))()).toEqual(E.right(2))
    expect(timers()).toBe(before)
  })

  it('a fatal failure ends the call with its error and cancels the rest, though the schedule grants more', async () => {
    const clock = TestClock.make()
    const dep = scripted(clock, [ok(1_000, 'slow'), ko(2, 'INVALID_ARGUMENT')])
    const running = Operation.run(
      pipe(dep.cancellable, Hedge.hedging(spaced(10, 5), { clock, nonFatal: (e) => e === 'UNAVAILABLE' })),
    )()
    await clock.adjust(12)
    expect(await running).toEqual(E.left('INVALID_ARGUMENT'))
    expect(dep.signals[0]?.reason).toEqual(cancelled(2))
    expect(dep.starts).toEqual([0, 10])
    expect(clock.pending()).toBe(0)
  })

  it('every failure is fatal by default', async () => {
    const clock = TestClock.make()
    const dep = scripted(clock, [ko(3, 'UNAVAILABLE'), ok(1, 'never')])
    const running = pipe(dep.plain, Hedge.hedging(spaced(10, 5), { clock }))()
    await clock.adjust(3)
    expect(await running).toEqual(E.left('UNAVAILABLE'))
    expect(dep.starts).toEqual([0])
    expect(clock.pending()).toBe(0)
  })

  it('a non-fatal failure starts the next attempt at once; the schedule resumes from there', async () => {
    const clock = TestClock.make()
    const dep = scripted(clock, [ko(4, 'UNAVAILABLE'), ok(1_000, 'slow'), ok(5, 'fast')])
    const running = Operation.run(
      pipe(dep.cancellable, Hedge.hedging(spaced(10, 2), { clock, nonFatal: (e) => e === 'UNAVAILABLE' })),
    )()
    await clock.adjust(4)
    expect(dep.starts).toEqual([0, 4]) // not 10: the failure shortcut the delay
    await clock.adjust(10)
    expect(dep.starts).toEqual([0, 4, 14])
    await clock.adjust(5)
    expect(await running).toEqual(E.right('fast'))
    expect(dep.signals[1]?.reason).toEqual(cancelled(3))
  })

  it('when every attempt fails, the result is the last error to arrive', async () => {
    const clock = TestClock.make()
    // attempt 1 fails last (at 30), attempt 2 first (at 15), attempt 3 at 25
    const dep = scripted(clock, [ko(30, 'e1'), ko(5, 'e2'), ko(5, 'e3')])
    const events: Array<Hedge.HedgeEvent<string>> = []
    const running = Operation.run(
      Hedge.hedging(dep.cancellable, spaced(10, 2), {
        clock,
        nonFatal: () => true,
        onHedge: (event) => events.push(event),
      }),
    )()
    await clock.adjust(30)
    expect(await running).toEqual(E.left('e1'))
    expect(dep.starts).toEqual([0, 10, 15]) // e2 at 15 started the third attempt at once
    expect(events).toEqual([
      { attempt: 2, elapsed: 10, running: 1, after: O.none },
      { attempt: 3, elapsed: 15, running: 1, after: O.some('e2') },
    ])
    expect(clock.pending()).toBe(0)
  })

  it('a zero delay starts the attempts together (gRPC hedgingDelay "0s")', async () => {
    const clock = TestClock.make()
    const dep = scripted(clock, [ok(30, 'a'), ok(20, 'b'), ok(10, 'c')])
    const running = Operation.run(pipe(dep.cancellable, Hedge.hedging(Schedule.recurs(2), { clock })))()
    expect(dep.starts).toEqual([0, 0, 0])
    await clock.adjust(10)
    expect(await running).toEqual(E.right('c'))
    expect(clock.pending()).toBe(0)
  })

  it('the plain form cannot cancel its losers: they run on, and their late results are dropped', async () => {
    const clock = TestClock.make()
    const dep = scripted(clock, [ok(100, 'slow'), ok(5, 'fast')])
    const running = pipe(dep.plain, Hedge.hedging(spaced(10, 1), { clock }))()
    await clock.adjust(15)
    expect(await running).toEqual(E.right('fast'))
    expect(clock.pending('server')).toBe(1) // the loser is still running
    await clock.adjust(100)
    expect(dep.settledAt[0]).toBe(100)
    expect(clock.pending()).toBe(0)
  })

  it('the data-first form types the callbacks by the operation’s error', async () => {
    type Failure = { readonly code: number }
    const clock = TestClock.make()
    let n = 0
    const call: TE.TaskEither<Failure, string> = () => Promise.resolve(++n < 3 ? E.left({ code: 14 }) : E.right('ok'))
    const result = await Hedge.hedging(call, spaced(10, 4), { clock, nonFatal: (e) => e.code === 14 })()
    expect(result).toEqual(E.right('ok'))
    expect(n).toBe(3)
    expect(clock.now()).toBe(0) // two failures, each starting the next attempt at once
  })
})

describe('Hedge.hedging: aborts, defects and pushback', () => {
  it('an abort of the caller mid-race ends the call at once with Aborted and cancels every attempt', async () => {
    const clock = TestClock.make()
    const dep = scripted(clock, [ko(5, 'UNAVAILABLE'), ok(1_000, 'slow'), ok(1_000, 'slow')])
    const caller = new AbortController()
    const running = pipe(
      dep.cancellable,
      Hedge.hedging(spaced(10, 3), { clock, nonFatal: () => true }),
    )({ signal: caller.signal })()
    await clock.adjust(12) // attempt 1 failed at 5 (attempt 2 started at once), attempt 3 at 15 not yet
    caller.abort('user left')
    expect(await running).toEqual(E.left({ _tag: 'Aborted', reason: 'user left', lastError: O.some('UNAVAILABLE') }))
    expect(dep.signals.map((s) => s.reason as unknown)).toEqual([undefined, 'user left'])
    expect(clock.pending()).toBe(0)
    expect(listeners(caller.signal)).toBe(0)
  })

  it('an already aborted signal starts no attempt', async () => {
    const clock = TestClock.make()
    const dep = scripted(clock, [ok(1, 'a')])
    const result = await pipe(
      dep.cancellable,
      Hedge.hedging(spaced(10, 3), { clock }),
    )({
      signal: AbortSignal.abort('early'),
    })()
    expect(result).toEqual(E.left({ _tag: 'Aborted', reason: 'early', lastError: O.none }))
    expect(dep.starts).toEqual([])
  })

  it('no unhandled rejection when a cancelled loser rejects, in either form', async () => {
    const unhandled: Array<unknown> = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      // the loser rejects once its signal fires (as a careless fetch wrapper would), or after 100 ms (plain form)
      for (const form of ['plain', 'cancellable'] as const) {
        const clock = TestClock.make()
        const dep = scripted(clock, [{ ms: 100, reject: new Error('AbortError') }, ok(5, 'fast')])
        const hedge = Hedge.hedging(spaced(10, 1), { clock })
        const running = form === 'plain' ? hedge(dep.plain)() : Operation.run(hedge(dep.cancellable))()
        await clock.adjust(15)
        expect(await running).toEqual(E.right('fast'))
        await clock.runAll()
        for (let i = 0; i < 5; i++) await tick()
        expect(dep.settledAt).toEqual(form === 'plain' ? [100, 15] : [15, 15]) // the loser did reject
      }
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('an attempt that rejects while the race is on is a defect: the rest are cancelled and it propagates', async () => {
    const clock = TestClock.make()
    const dep = scripted(clock, [ok(1_000, 'slow'), { ms: 1, reject: new Error('bug') }])
    const running = Operation.run(pipe(dep.cancellable, Hedge.hedging(spaced(10, 3), { clock })))()
    const rejected = expect(running).rejects.toThrow('bug') // handled before it rejects
    await clock.adjust(11)
    await rejected
    expect(dep.signals[0]?.reason).toEqual(cancelled(2))
    expect(clock.pending()).toBe(0)
  })

  it('an attempt that throws before returning its task, or resolves to no Either, is a defect too', async () => {
    const clock = TestClock.make()
    const throws: TE.TaskEither<string, string> = () => {
      throw new Error('sync bug')
    }
    await expect(pipe(throws, Hedge.hedging(spaced(10, 1), { clock }))()).rejects.toThrow('sync bug')
    const garbage = (() => Promise.resolve(42)) as unknown as TE.TaskEither<string, string>
    await expect(pipe(garbage, Hedge.hedging(spaced(10, 1), { clock }))()).rejects.toThrow(/resolved to 42/)
    expect(clock.pending()).toBe(0)
  })

  it('a pushback delay (the retry hint of a non-fatal failure, by default) starts the next attempt after it', async () => {
    const clock = TestClock.make()
    type Busy = { readonly _tag: 'Busy'; readonly retryAfter: O.Option<number> }
    let n = 0
    const starts: Array<number> = []
    const call: TE.TaskEither<Busy, string> = async () => {
      starts.push(clock.now())
      n += 1
      if (n === 1) return E.left({ _tag: 'Busy', retryAfter: O.some(30) })
      await clock.sleep(1_000, undefined, 'server')
      return E.right('ok')
    }
    const running = pipe(call, Hedge.hedging(spaced(10, 2), { clock, nonFatal: () => true }))()
    await clock.adjust(50)
    expect(starts).toEqual([0, 30, 40]) // 30: the pushback; 40: the schedule resumes hedgingDelay after it
    await clock.adjust(1_000)
    expect(await running).toEqual(E.right('ok'))
  })

  it('a DontRetry pushback starts no further attempt; those running go on', async () => {
    const clock = TestClock.make()
    const dep = scripted(clock, [ok(50, 'slow'), ko(1, 'pushed back')])
    const running = Operation.run(
      pipe(
        dep.cancellable,
        Hedge.hedging(spaced(10, 5), {
          clock,
          nonFatal: () => true,
          pushback: (e) => (e === 'pushed back' ? O.some({ _tag: 'DontRetry', value: '-1' }) : O.none),
        }),
      ),
    )()
    await clock.adjust(50)
    expect(await running).toEqual(E.right('slow'))
    expect(dep.starts).toEqual([0, 10])
  })

  it('a callback that throws is reported, never thrown into the call', async () => {
    const reported: Array<unknown> = []
    const original = console.error
    console.error = (...args: Array<unknown>) => void reported.push(args[1])
    try {
      const clock = TestClock.make()
      const dep = scripted(clock, [ko(1, 'x'), ok(1, 'ok')])
      const running = Operation.run(
        pipe(
          dep.cancellable,
          Hedge.hedging(spaced(10, 1), {
            clock,
            nonFatal: () => {
              throw new Error('predicate bug') // counts as fatal
            },
          }),
        ),
      )()
      await clock.adjust(1)
      expect(await running).toEqual(E.left('x'))
      expect(reported).toEqual([new Error('predicate bug')])
    } finally {
      console.error = original
    }
  })
})

describe('Hedge: bounded extra load', () => {
  it('a budget stops hedges: gRPC’s throttle sends none while its tokens are at or below half', async () => {
    const clock = TestClock.make()
    const budget = Budget.throttle({ maxTokens: 4, tokenRatio: 1 })()
    const dep = scripted(clock, [ok(100, 'slow')])
    const hedges: Array<number> = []
    const call = pipe(
      dep.cancellable,
      Hedge.hedging(spaced(10, 3), { clock, budget, onHedge: (e) => hedges.push(e.attempt) }),
    )
    budget.recordFailure('x')
    budget.recordFailure('x') // 2 tokens: at half
    const first = Operation.run(call)()
    await clock.adjust(100)
    expect(await first).toEqual(E.right('slow'))
    expect(hedges).toEqual([]) // refused at 10: no further hedge either
    expect(dep.starts).toEqual([0])
    expect(budget.tokens()).toBe(3) // the success added tokenRatio
    const second = Operation.run(call)()
    await clock.adjust(100)
    expect(await second).toEqual(E.right('slow'))
    expect(hedges).toEqual([2, 3, 4]) // 3 > 2: hedges allowed again (the throttle never withdraws)
  })

  it('a refused hedge after a non-fatal failure with nothing else running ends the call with that error', async () => {
    const clock = TestClock.make()
    const budget = Budget.throttle({ maxTokens: 2 })()
    const dep = scripted(clock, [ko(1, 'UNAVAILABLE'), ok(1, 'never')])
    const running = Operation.run(
      pipe(dep.cancellable, Hedge.hedging(spaced(10, 3), { clock, budget, nonFatal: () => true })),
    )()
    await clock.adjust(1) // the failure takes the throttle to 1 token, at half: no hedge
    expect(await running).toEqual(E.left('UNAVAILABLE'))
    expect(dep.starts).toEqual([0])
    expect(clock.pending()).toBe(0)
  })

  it('a token bucket pays for each hedge, and a winning hedge is refunded as a retry that succeeded', async () => {
    const clock = TestClock.make()
    const budget = Budget.tokenBucket({ capacity: 20, retryCost: 5, successReward: 1 })()
    const hedgeWins = scripted(clock, [ok(100, 'slow'), ok(5, 'fast')])
    const first = Operation.run(pipe(hedgeWins.cancellable, Hedge.hedging(spaced(10, 1), { clock, budget })))()
    await clock.adjust(15)
    expect(await first).toEqual(E.right('fast'))
    expect(budget.tokens()).toBe(20) // 20 - 5 for the hedge, + 5 refunded
    const originalWins = scripted(clock, [ok(12, 'original'), ok(100, 'slow')])
    const second = Operation.run(pipe(originalWins.cancellable, Hedge.hedging(spaced(10, 1), { clock, budget })))()
    await clock.adjust(12)
    expect(await second).toEqual(E.right('original'))
    expect(budget.tokens()).toBe(16) // 20 - 5 for the losing hedge, + 1 for a first-try success
  })

  it('a load bound allows at most `fraction` hedges per request, shared by every call', async () => {
    const clock = TestClock.make()
    const loadBound = Hedge.loadBound(0.25)()
    const dep = scripted(clock, [ok(100, 'slow')])
    const call = pipe(dep.cancellable, Hedge.hedging(spaced(10, 1), { clock, loadBound }))
    // 12 concurrent calls, each of which wants a hedge
    const running = Array.from({ length: 12 }, () => Operation.run(call)())
    await clock.adjust(200)
    expect((await Promise.all(running)).every(E.isRight)).toBe(true)
    expect(dep.starts.length - 12).toBe(3) // 12 × 0.25 tokens: three hedges
    expect(loadBound.tokens()).toBe(0)
  })

  it('a load bound counts in millionths: 0.05 per request is exactly one hedge per 20 requests, with a capped burst', () => {
    const bound = Hedge.loadBound(0.05, { capacity: 2 })()
    expect(bound.tryHedge()).toBe(false) // it starts empty
    for (let i = 0; i < 19; i++) bound.recordRequest()
    expect(bound.tryHedge()).toBe(false)
    bound.recordRequest()
    expect(bound.tryHedge()).toBe(true)
    expect(bound.tokens()).toBe(0)
    for (let i = 0; i < 1_000; i++) bound.recordRequest()
    expect(bound.tokens()).toBe(2)
    expect([bound.tryHedge(), bound.tryHedge(), bound.tryHedge()]).toEqual([true, true, false])
  })

  it('rejects nonsense bounds at once', () => {
    expect(() => Hedge.loadBound(-0.1)).toThrow(
      new RangeError('Hedge.loadBound: fraction must be a finite number >= 0, got -0.1'),
    )
    expect(() => Hedge.loadBound(0.1, { capacity: 0.5 })).toThrow(RangeError)
    expect(() => Hedge.loadBound(NaN)).toThrow(RangeError)
  })
})

describe('Hedge: the adaptive delay', () => {
  it('the tracker keeps the most recent `window` latencies, and its quantiles match a sort of them', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 100 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (window, latencies, q) => {
          const tracker = Hedge.latencyTracker({ window })()
          latencies.forEach(tracker.record)
          const kept = latencies.slice(-window).sort((a, b) => a - b)
          expect(tracker.size()).toBe(kept.length)
          const expected = kept.length === 0 ? O.none : O.some(kept[Math.max(0, Math.ceil(q * kept.length) - 1)])
          expect(tracker.quantile(q)).toEqual(expected)
        },
      ),
    )
  })

  it('the tracker ignores values that are no latency, and refuses a quantile outside [0, 1]', () => {
    const tracker = Hedge.latencyTracker()()
    ;[NaN, -1, Infinity, 3].forEach(tracker.record)
    expect(tracker.size()).toBe(1)
    expect(() => tracker.quantile(1.5)).toThrow(RangeError)
    expect(() => Hedge.latencyTracker({ window: 0 })).toThrow(
      new RangeError('Hedge.latencyTracker: window must be a positive integer, got 0'),
    )
  })

  it('afterQuantile waits the cap until the tracker knows enough, then the quantile within floor and cap', () => {
    const tracker = Hedge.latencyTracker()()
    const p90 = Hedge.afterQuantile(tracker, { quantile: 0.9, floor: 20, cap: 500 })
    expect(Schedule.simulate(p90, [0, 0])).toEqual([500, 500])
    for (let i = 1; i <= 9; i++) tracker.record(i * 10)
    expect(Schedule.simulate(p90, [0])).toEqual([500]) // 9 < minSamples = 10
    tracker.record(100)
    expect(Schedule.simulate(p90, [0])).toEqual([90])
    for (let i = 0; i < 100; i++) tracker.record(1)
    expect(Schedule.simulate(p90, [0])).toEqual([20]) // the floor
    for (let i = 0; i < 1_000; i++) tracker.record(10_000)
    expect(Schedule.simulate(p90, [0])).toEqual([500]) // the cap
  })

  it('afterQuantile refuses nonsense at construction', () => {
    const tracker = Hedge.latencyTracker()()
    expect(() => Hedge.afterQuantile(tracker, { quantile: 1, cap: 10 })).toThrow(
      new RangeError('Hedge.afterQuantile: quantile must be a number in (0, 1), got 1'),
    )
    expect(() => Hedge.afterQuantile(tracker, { floor: 20, cap: 10 })).toThrow(
      new RangeError('Hedge.afterQuantile: cap must be at least floor (20), got 10'),
    )
    expect(() => Hedge.afterQuantile(tracker, { cap: -1 })).toThrow(RangeError)
    expect(() => Hedge.afterQuantile(tracker, { cap: 10, minSamples: 0 })).toThrow(RangeError)
  })

  it('hedging feeds the tracker with every successful call’s latency, from its first attempt to the winner', async () => {
    const clock = TestClock.make()
    const tracker = Hedge.latencyTracker({ window: 100 })()
    const policy = pipe(
      Hedge.afterQuantile(tracker, { quantile: 0.5, cap: 1_000, minSamples: 3 }),
      Schedule.intersect(Schedule.recurs(1)),
    )
    // calls 1-3 take 40 ms (no hedge: the cap); from call 4 the median, 40 ms, is the delay
    const dep = scripted(clock, [ok(40, 'a'), ok(40, 'b'), ok(40, 'c'), ok(500, 'slow'), ok(5, 'hedge')])
    const call = Operation.run(pipe(dep.cancellable, Hedge.hedging(policy, { clock, tracker })))
    for (let i = 0; i < 3; i++) {
      const running = call()
      await clock.adjust(40)
      expect(E.isRight(await running)).toBe(true)
    }
    const start = clock.now()
    const running = call()
    await clock.adjust(45)
    expect(await running).toEqual(E.right('hedge'))
    expect(dep.starts.slice(3).map((t) => t - start)).toEqual([0, 40])
    // the hedged call's latency (45), not its first attempt's (500), was recorded
    expect(tracker.size()).toBe(4)
    expect(tracker.quantile(1)).toEqual(O.some(45))
  })

  it('one tracker and one schedule are shared by concurrent calls', async () => {
    const clock = TestClock.make()
    const tracker = Hedge.latencyTracker()()
    const policy = pipe(Hedge.afterQuantile(tracker, { cap: 100 }), Schedule.intersect(Schedule.recurs(1)))
    const call = Operation.run(pipe((_: Operation.Env) => TE.right('ok'), Hedge.hedging(policy, { clock, tracker })))
    const results = await Promise.all(Array.from({ length: 50 }, () => call()))
    expect(results.every(E.isRight)).toBe(true)
    expect(tracker.size()).toBe(50)
    expect(Schedule.simulate(policy, [0])).toEqual([0]) // every call took no time on the clock
    expect(clock.pending()).toBe(0)
  })
})

describe('Hedge: composition', () => {
  it('retrying a hedged call retries the whole race; hedging a retrying call hedges whole retry chains', async () => {
    const clock = TestClock.make()
    const dep = scripted(clock, [ko(5, 'e1'), ko(5, 'e2'), ok(5, 'ok')])
    const outer = pipe(
      dep.cancellable,
      Hedge.hedging(spaced(100, 1), { clock, nonFatal: () => true }),
      Retry.retrying(Schedule.spaced(50), { clock }),
    )
    const running = Operation.run(outer)()
    await clock.adjust(5) // e1: the hedge starts at once
    await clock.adjust(5) // e2: both failed, the race is lost
    await clock.whenSleeping(1, 'backoff')
    await clock.adjust(55)
    expect(await running).toEqual(E.right('ok'))
    expect(dep.starts).toEqual([0, 5, 60])

    const clock2 = TestClock.make()
    // chain 1: e1 at 5, its retry at 15 (slow); chain 2 starts at 12 and answers at 17
    const dep2 = scripted(clock2, [ko(5, 'e1'), ok(5, 'hedged'), ok(1_000, 'slow')])
    const inner = pipe(
      dep2.cancellable,
      Retry.retrying(Schedule.spaced(10), { clock: clock2 }),
      Hedge.hedging(spaced(12, 1), { clock: clock2 }),
    )
    const running2 = Operation.run(inner)()
    await clock2.adjust(17)
    expect(await running2).toEqual(E.right('hedged'))
    expect(dep2.starts).toEqual([0, 12, 15])
    // chain 1's signal, which its retry handed to both of its attempts, was cancelled; chain 2's was not
    expect(dep2.signals[0]).toBe(dep2.signals[2])
    expect(dep2.signals.map((s) => s.reason as unknown)).toEqual([cancelled(2), undefined, cancelled(2)])
    expect(clock2.pending()).toBe(0)
  })

  it('a per-attempt timeout makes a slow attempt a non-fatal failure that starts the next at once', async () => {
    const clock = TestClock.make()
    const dep = scripted(clock, [ok(1_000, 'slow'), ok(10, 'fast')])
    const call = pipe(
      dep.cancellable,
      Timeout.timeout(30, { clock }),
      Hedge.hedging(spaced(100, 1), { clock, nonFatal: Timeout.isTimeoutError }),
    )
    const running = Operation.run(call)()
    await clock.adjust(40)
    expect(await running).toEqual(E.right('fast'))
    expect(dep.starts).toEqual([0, 30])
    expect(dep.signals[0]?.reason).toEqual({ _tag: 'TimeoutError', timeout: 30 })
    expect(clock.pending()).toBe(0)
  })

  it('a breaker around each attempt: an open circuit is non-fatal, and its retryAfter delays the next attempt', async () => {
    const clock = TestClock.make()
    const breaker = CircuitBreaker.make({
      consecutiveFailures: 1,
      halfOpenAfter: 1_000,
      clock,
      isFailure: () => true,
    })()
    const dep = scripted(clock, [ko(5, 'down'), ok(5, 'ok')])
    const running = Operation.run(
      pipe(
        dep.cancellable,
        CircuitBreaker.protect(breaker),
        Hedge.hedging(spaced(10, 2), { clock, nonFatal: (e) => e === 'down' || CircuitBreaker.isCircuitOpen(e) }),
      ),
    )()
    // at 5 the failure opens the breaker; the next attempt fails at once with CircuitOpen, whose hint is 1 s
    await clock.adjust(5)
    expect(clock.pending('hedge')).toBe(1)
    await clock.adjust(1_005)
    expect(await running).toEqual(E.right('ok'))
    expect(dep.starts).toEqual([0, 1_005]) // the attempt the breaker let through, as its probe
    expect(breaker.state()).toBe('Closed')
    expect(clock.pending()).toBe(0)
  })

  it('an abort of the caller reaches every attempt through a timeout and a retry inside the hedge', async () => {
    const clock = TestClock.make()
    const dep = scripted(clock, [ok(1_000, 'slow')])
    const caller = new AbortController()
    const running = pipe(
      dep.cancellable,
      Timeout.timeout(500, { clock }),
      Retry.retrying(Schedule.recurs(2), { clock }),
      Hedge.hedging(spaced(10, 2), { clock }),
    )({ signal: caller.signal })()
    await clock.adjust(25)
    caller.abort('bye')
    const result = await running
    expect(E.isLeft(result) && Retry.isAborted(result.left)).toBe(true)
    expect(dep.signals.map((s) => s.reason as unknown)).toEqual(['bye', 'bye', 'bye'])
    expect(clock.pending()).toBe(0)
    expect(listeners(caller.signal)).toBe(0)
  })
})

describe('Grpc: a hedgingPolicy (gRFC A6) as a Hedge configuration', () => {
  const decoded = (json: unknown): Grpc.HedgingPolicy => {
    const result = Grpc.decodeHedging(json)
    if (E.isLeft(result)) throw new Error(result.left.messages.join('\n'))
    return result.right
  }
  const messages = (json: unknown): ReadonlyArray<string> =>
    pipe(
      Grpc.decodeHedging(json),
      E.match(
        (e): ReadonlyArray<string> => e.messages,
        () => [],
      ),
    )

  it('decodes A6’s example; hedgingDelay defaults to "0s"; codes by number or in any case become names', () => {
    expect(
      decoded({ maxAttempts: 4, hedgingDelay: '.5s', nonFatalStatusCodes: ['UNAVAILABLE', 'INTERNAL', 'ABORTED'] }),
    ).toEqual({
      maxAttempts: 4,
      hedgingDelay: { _tag: 'Duration', millis: 500, spelling: '.5s' },
      nonFatalStatusCodes: ['UNAVAILABLE', 'INTERNAL', 'ABORTED'],
    })
    expect(decoded({ maxAttempts: 2, nonFatalStatusCodes: [14, 'internal'] })).toEqual({
      maxAttempts: 2,
      hedgingDelay: { _tag: 'Duration', millis: 0, spelling: '0s' },
      nonFatalStatusCodes: ['UNAVAILABLE', 'INTERNAL'],
    })
    expect(decoded({ maxAttempts: 2, hedgingDelay: '0.0s', nonFatalStatusCodes: [14] }).hedgingDelay.millis).toBe(0)
  })

  it('validates as A6 requires, with one readable message per problem', () => {
    expect(messages({ maxAttempts: 2.5, nonFatalStatusCodes: [] })).toEqual([
      'at hedgingPolicy.maxAttempts: expected an integer >= 2 (it counts the first attempt), got 2.5',
      'at hedgingPolicy.nonFatalStatusCodes: expected a non-empty array of status codes, got []',
    ])
    expect(messages({ hedgingDelay: '1 s', nonFatalStatusCodes: [17] })).toEqual([
      'at hedgingPolicy.maxAttempts: expected an integer >= 2, but the key is missing',
      'at hedgingPolicy.hedgingDelay: expected a duration of zero or more, in seconds with an "s", such as "0s" or "0.5s", got "1 s"',
      'at hedgingPolicy.nonFatalStatusCodes[0]: expected a status code name such as "UNAVAILABLE" or a number from 0 to 16, got 17',
    ])
    expect(messages({ maxAttempts: 3, hedgingDelay: '-0s', nonFatalStatusCode: ['UNAVAILABLE'] })).toEqual([
      'at hedgingPolicy: unexpected key "nonFatalStatusCode" (did you mean "nonFatalStatusCodes"?)',
      'at hedgingPolicy.hedgingDelay: expected a duration of zero or more, in seconds with an "s", such as "0s" or "0.5s", got "-0s"',
      'at hedgingPolicy.nonFatalStatusCodes: expected a non-empty array of status codes, but the key is missing',
    ])
    expect(messages([])).toEqual([
      'at hedgingPolicy: expected a gRPC hedgingPolicy (an object with the keys "maxAttempts", "hedgingDelay" and "nonFatalStatusCodes"), got []',
    ])
    const hostile = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('trap')
        },
      },
    )
    expect(messages(hostile)).toEqual(['at hedgingPolicy: could not be read (trap)'])
  })

  it('maxAttempts above 5 counts as 5; the schedule is hedgingDelay between starts', () => {
    const policy = decoded({ maxAttempts: 10, hedgingDelay: '0.25s', nonFatalStatusCodes: ['UNAVAILABLE'] })
    expect(policy.maxAttempts).toBe(10) // kept as written
    expect(Grpc.hedges(policy)).toBe(4)
    expect(Schedule.simulate(Grpc.toHedge(policy).schedule, Array(10).fill(0))).toEqual([250, 250, 250, 250])
    expect(Grpc.encodeHedging(policy)).toEqual({
      maxAttempts: 10,
      hedgingDelay: '0.25s',
      nonFatalStatusCodes: ['UNAVAILABLE'],
    })
  })

  it('the io-ts codec decodes, guards and encodes the same policies', () => {
    const json = { maxAttempts: 3, hedgingDelay: '.1s', nonFatalStatusCodes: ['UNAVAILABLE'] }
    const result = Grpc.hedgingCodec.decode(json)
    expect(E.isRight(result) && Grpc.hedgingCodec.is(result.right)).toBe(true)
    expect(E.map(Grpc.hedgingCodec.encode)(result)).toEqual(E.right(json))
    expect(Grpc.hedgingCodec.is({ ...decoded(json), maxAttempts: 1 })).toBe(false)
    expect(E.isLeft(Grpc.hedgingCodec.decode({ ...json, hedgingDelay: 'soon' }))).toBe(true)
  })

  it('runs as A6 says: non-fatal statuses hedge at once, a fatal one cancels the rest, pushback delays or stops', async () => {
    type RpcError = { readonly code: number; readonly metadata?: Readonly<Record<string, string>> }
    const policy = decoded({ maxAttempts: 4, hedgingDelay: '.1s', nonFatalStatusCodes: ['UNAVAILABLE'] })
    const { schedule, ...options } = Grpc.toHedge(policy)
    const run = async (outcomes: ReadonlyArray<readonly [number, E.Either<RpcError, string>]>) => {
      const clock = TestClock.make()
      const starts: Array<number> = []
      const signals: Array<AbortSignal> = []
      const rpc =
        ({ signal }: Operation.Env): TE.TaskEither<RpcError, string> =>
        async () => {
          const [ms, result] = outcomes[starts.push(clock.now()) - 1] ?? [1_000, E.right('late')]
          signals.push(signal)
          await clock.sleep(ms, signal, 'server')
          return signal.aborted ? E.left({ code: 1 }) : result
        }
      const running = Operation.run(pipe(rpc, Hedge.hedging(schedule, { ...options, clock })))()
      await clock.runAll()
      return { result: await running, starts, aborted: signals.map((s) => s.aborted) }
    }
    // UNAVAILABLE at 10: the next attempt at once; the first OK wins
    expect(
      await run([
        [10, E.left({ code: 14 })],
        [30, E.right('ok')],
        [1, E.right('never')],
      ]),
    ).toEqual({
      result: E.right('ok'),
      starts: [0, 10], // the next hedge was due at 110; the OK came at 40
      aborted: [false, false],
    })
    // INVALID_ARGUMENT from the hedge: the call ends with it, the original is cancelled
    expect(
      await run([
        [500, E.right('slow')],
        [5, E.left({ code: 3 })],
      ]),
    ).toEqual({
      result: E.left({ code: 3 }),
      starts: [0, 100],
      aborted: [true, false],
    })
    // pushback "250": the next hedge 250 ms later; pushback "-1": no further hedge, the original goes on
    const retryIn = { code: 14, metadata: { 'grpc-retry-pushback-ms': '250' } }
    expect(
      await run([
        [1_000, E.right('slow')],
        [5, E.left(retryIn)],
        [1, E.right('fast')],
      ]).then((r) => r.starts),
    ).toEqual([0, 100, 355])
    const dontRetry = { code: 14, metadata: { 'grpc-retry-pushback-ms': '-1' } }
    expect(
      await run([
        [300, E.right('slow')],
        [5, E.left(dontRetry)],
      ]),
    ).toEqual({
      result: E.right('slow'),
      starts: [0, 100],
      aborted: [false, false],
    })
  })

  it('throttleHedging counts the failures A6 counts: non-fatal statuses and a pushback not to retry', () => {
    const policy = decoded({ maxAttempts: 2, nonFatalStatusCodes: ['UNAVAILABLE'] })
    const budget = Grpc.throttleHedging({ maxTokens: 10, tokenRatio: 0.1 }, policy)()
    budget.recordFailure({ code: 3 }) // INVALID_ARGUMENT: not counted
    budget.recordFailure({ code: 14 })
    budget.recordFailure({ code: 3, metadata: { 'grpc-retry-pushback-ms': 'no' } })
    expect(budget.tokens()).toBe(8)
    expect([14, 'Unavailable', 'INTERNAL', 3].map(Grpc.isNonFatal(policy))).toEqual([true, true, false, false])
  })
})

describe('Hedge against a real HTTP server', () => {
  let server: TestServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('one slow and one fast path: the fast hedge wins, and the server sees the loser’s connection close', async () => {
    let arrived: () => void = () => undefined
    const firstArrived = new Promise<void>((resolve) => (arrived = resolve))
    let closed: (unfinished: boolean) => void = () => undefined
    const loserClosed = new Promise<boolean>((resolve) => (closed = resolve))
    server = await serve((req, res, n) => {
      if (n === 1) {
        res.on('close', () => closed(!res.writableFinished))
        arrived() // the slow path: never answers
      } else reply(res, 200, `fast #${n} ${req.url}`)
    })
    const clock = TestClock.make()
    const hedged = pipe(
      Http.text(`${server.url}/item`),
      Hedge.hedging(spaced(10, 1), { clock, nonFatal: Http.isTransient }),
    )
    const running = Operation.run(hedged)()
    await firstArrived
    await clock.adjust(10)
    expect(await running).toEqual(E.right('fast #2 /item'))
    expect(await loserClosed).toBe(true) // the losing request was aborted, not left open
    expect(server.requests()).toBe(2)
    expect(clock.pending()).toBe(0)
  })
})

describe('the tail-latency simulation (bench/hedge), on a small run', () => {
  it('is deterministic, and hedging cuts the tail in the expected order with the extra load bounded', async () => {
    const small = { requests: 4_000, seed: 7 }
    const rows: Array<Awaited<ReturnType<typeof simulate>>> = []
    for (const s of strategies()) rows.push(await simulate(s, small))
    const [none, fixed, adaptive, bounded] = rows as [
      (typeof rows)[0],
      (typeof rows)[0],
      (typeof rows)[0],
      (typeof rows)[0],
    ]
    expect(rows.map((r) => r.key)).toEqual(['none', 'fixed', 'adaptive', 'bounded'])
    expect(none.extra).toBe(0)
    for (const r of [fixed, adaptive, bounded]) {
      expect(r.p999).toBeLessThan(none.p999 / 5)
      expect(r.p99).toBeLessThan(none.p99)
      expect(r.p50).toBeLessThanOrEqual(none.p50 + 1e-9)
    }
    expect(adaptive.extra).toBeLessThan(fixed.extra) // the fixed 10 ms hedges more often than the p95
    expect(bounded.extra).toBeLessThanOrEqual(0.05 + 10 / small.requests) // the bound: 5 % plus the burst
    expect(await simulate(adaptive.strategy, small)).toEqual(adaptive)
  })
})
