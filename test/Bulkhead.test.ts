/**
 * Bulkhead: FIFO admission, exact counts (10^4 concurrent calls with random aborts), aborted and timed-out waiters
 * leave at once and never hold a slot, rejection reasons, both operation forms, and the adaptive limits' steps against
 * values computed by hand from Netflix's published formulas (AIMDLimit, Gradient2Limit), with the PR #134 guard.
 * Virtual time and seeded randomness throughout; no timer or listener is left.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import * as TE from 'fp-ts/TaskEither'
import { getEventListeners } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { timers } from './support/timers'
import { Bulkhead, Clock, Random, Retry, Schedule, TestClock, Timeout } from '../src/index'
import * as Http from '../src/Http'
import type { Operation } from '../src/index'

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length

const deferred = <A = void>() => {
  let resolve!: (value: A) => void
  const promise = new Promise<A>((r) => (resolve = r))
  return { promise, resolve }
}

/** Lets every queued promise callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve))

const rejected = (
  reason: Bulkhead.BulkheadRejected['reason'],
  counts: { running: number; queued: number; maxConcurrent: number; maxQueue: number },
) => E.left({ _tag: 'BulkheadRejected', reason, ...counts })

/** A dependency whose calls finish when the test says: `finish(i)` ends the i-th call (0-based, in start order). */
const gated = () => {
  const started: Array<string> = []
  const gates: Array<{ resolve: () => void }> = []
  let running = 0
  let peak = 0
  const call = (name: string): TE.TaskEither<string, string> => {
    return () => {
      started.push(name)
      running += 1
      peak = Math.max(peak, running)
      const gate = deferred()
      gates.push(gate)
      return gate.promise.then(() => {
        running -= 1
        return E.right(name)
      })
    }
  }
  return {
    call,
    started,
    finish: async (i: number) => {
      gates[i]?.resolve()
      await settle()
    },
    peak: () => peak,
  }
}

afterEach(() => vi.restoreAllMocks())

describe('Bulkhead: admission', () => {
  it('admits at once while a slot is free, then queues in arrival order (FIFO)', async () => {
    const bulkhead = Bulkhead.make({ maxConcurrent: 2, maxQueue: 10 })()
    const dep = gated()
    const names = ['a', 'b', 'c', 'd', 'e', 'f']
    const calls = names.map((n) => pipe(dep.call(n), Bulkhead.limit(bulkhead))())
    await settle()
    expect(dep.started).toEqual(['a', 'b'])
    expect([bulkhead.running(), bulkhead.queued()]).toEqual([2, 4])
    await dep.finish(1) // b ends: c is the oldest waiter
    expect(dep.started).toEqual(['a', 'b', 'c'])
    await dep.finish(0)
    await dep.finish(2)
    expect(dep.started).toEqual(['a', 'b', 'c', 'd', 'e'])
    await dep.finish(3)
    await dep.finish(4)
    await dep.finish(5)
    expect(await Promise.all(calls)).toEqual(names.map((n) => E.right(n)))
    expect([bulkhead.running(), bulkhead.queued(), dep.peak()]).toEqual([0, 0, 2])
  })

  it('a newcomer never overtakes a waiter, even when it arrives as a slot frees', async () => {
    const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: 10 })()
    const order: Array<string> = []
    const first = await bulkhead.acquire()
    const second = bulkhead.acquire().then((p) => (order.push('second'), p))
    if (E.isRight(first)) first.right.onSuccess() // the slot goes to `second`, synchronously reserved
    const third = bulkhead.acquire().then((p) => (order.push('third'), p))
    expect([bulkhead.running(), bulkhead.queued()]).toEqual([1, 1])
    const s = await second
    if (E.isRight(s)) s.right.onSuccess()
    const t = await third
    expect(order).toEqual(['second', 'third'])
    expect(E.isRight(t)).toBe(true)
  })

  it('rejects with full, counts at that moment, when every slot and the queue are taken', async () => {
    const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: 2 })()
    const dep = gated()
    const limited = (n: string) => pipe(dep.call(n), Bulkhead.limit(bulkhead))()
    const calls = [limited('a'), limited('b'), limited('c')]
    expect(await limited('d')).toEqual(rejected('full', { running: 1, queued: 2, maxConcurrent: 1, maxQueue: 2 }))
    for (let i = 0; i < 3; i++) await dep.finish(i)
    expect(await Promise.all(calls)).toEqual(['a', 'b', 'c'].map((n) => E.right(n)))
  })

  it('maxQueue 0: no queue, every call over the limit is rejected at once', async () => {
    const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: 0 })()
    const dep = gated()
    const a = pipe(dep.call('a'), Bulkhead.limit(bulkhead))()
    expect(await pipe(dep.call('b'), Bulkhead.limit(bulkhead))()).toEqual(
      rejected('full', { running: 1, queued: 0, maxConcurrent: 1, maxQueue: 0 }),
    )
    await dep.finish(0)
    expect(await a).toEqual(E.right('a'))
  })

  it('maxQueue Infinity: everyone waits', async () => {
    const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: Infinity })()
    const first = await bulkhead.acquire()
    const waiting = Array.from({ length: 1_000 }, () => bulkhead.acquire())
    expect(bulkhead.queued()).toBe(1_000)
    if (E.isRight(first)) first.right.onIgnore()
    for (const w of waiting) {
      const p = await w
      if (E.isRight(p)) p.right.onSuccess()
    }
    expect([bulkhead.running(), bulkhead.queued()]).toEqual([0, 0])
  })

  it('a permit reports once: a second report is ignored and frees nothing', async () => {
    const bulkhead = Bulkhead.make({ maxConcurrent: 2, maxQueue: 0 })()
    const a = await bulkhead.acquire()
    await bulkhead.acquire()
    if (E.isLeft(a)) throw new Error('admitted')
    a.right.onSuccess()
    a.right.onDropped()
    a.right.onFailure('x')
    expect(bulkhead.running()).toBe(1)
  })
})

describe('Bulkhead: queueTimeout and abort', () => {
  it('a waiter that waits queueTimeout fails with queueTimeout, exactly then, and its timer goes', async () => {
    const clock = TestClock.make()
    const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: 5, queueTimeout: 250, clock })()
    const dep = gated()
    const a = pipe(dep.call('a'), Bulkhead.limit(bulkhead))()
    const b = pipe(dep.call('b'), Bulkhead.limit(bulkhead))()
    let settledAt = -1
    void b.then(() => (settledAt = clock.now()))
    await settle()
    expect(clock.pending('queue')).toBe(1)
    await clock.adjust(249)
    expect(settledAt).toBe(-1)
    await clock.adjust(1)
    expect(await b).toEqual(rejected('queueTimeout', { running: 1, queued: 0, maxConcurrent: 1, maxQueue: 5 }))
    expect(settledAt).toBe(250)
    expect(clock.pending()).toBe(0)
    await dep.finish(0)
    expect(await a).toEqual(E.right('a'))
    expect(dep.started).toEqual(['a']) // the timed-out call never ran
  })

  it('an admitted waiter’s queue timer is cancelled at once: none is left pending', async () => {
    const clock = TestClock.make()
    const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: 5, queueTimeout: 1_000, clock })()
    const dep = gated()
    const calls = ['a', 'b', 'c'].map((n) => pipe(dep.call(n), Bulkhead.limit(bulkhead))())
    await settle()
    expect(clock.pending('queue')).toBe(2)
    await dep.finish(0)
    expect(clock.pending('queue')).toBe(1)
    await dep.finish(1)
    expect(clock.pending('queue')).toBe(0)
    await dep.finish(2)
    expect(await Promise.all(calls)).toEqual(['a', 'b', 'c'].map((n) => E.right(n)))
  })

  it('an aborted waiter leaves at once (no time moves), never holds a slot: the freed slot goes to the next', async () => {
    const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: 5 })()
    const dep = gated()
    const controller = new AbortController()
    const op = (n: string) => (_: Operation.Env) => dep.call(n)
    const a = pipe(op('a'), Bulkhead.limit(bulkhead))({ signal: new AbortController().signal })()
    const b = pipe(op('b'), Bulkhead.limit(bulkhead))({ signal: controller.signal })()
    const c = pipe(op('c'), Bulkhead.limit(bulkhead))({ signal: new AbortController().signal })()
    await settle()
    expect(listeners(controller.signal)).toBe(1)
    controller.abort('gone')
    expect(await b).toEqual(rejected('aborted', { running: 1, queued: 1, maxConcurrent: 1, maxQueue: 5 }))
    expect(listeners(controller.signal)).toBe(0)
    expect(bulkhead.queued()).toBe(1)
    await dep.finish(0)
    expect(dep.started).toEqual(['a', 'c'])
    await dep.finish(1)
    expect([await a, await c]).toEqual([E.right('a'), E.right('c')])
    expect([bulkhead.running(), bulkhead.queued()]).toEqual([0, 0])
  })

  it('a signal already aborted is rejected at once, before taking a slot', async () => {
    const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: 0 })()
    const controller = new AbortController()
    controller.abort()
    let ran = false
    const op = (_: Operation.Env) => () => ((ran = true), Promise.resolve(E.right(1)))
    expect(await pipe(op, Bulkhead.limit(bulkhead))({ signal: controller.signal })()).toEqual(
      rejected('aborted', { running: 0, queued: 0, maxConcurrent: 1, maxQueue: 0 }),
    )
    expect([ran, bulkhead.running()]).toEqual([false, 0])
  })

  it('a signal that fires between admission and the start gives the slot back without running', async () => {
    const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: 1 })()
    const first = await bulkhead.acquire()
    const controller = new AbortController()
    let ran = false
    const op = (_: Operation.Env) => () => ((ran = true), Promise.resolve(E.right(1)))
    const call = pipe(op, Bulkhead.limit(bulkhead))({ signal: controller.signal })()
    // admitted (the slot is reserved synchronously) and aborted in the same turn, before it can start
    if (E.isRight(first)) first.right.onSuccess()
    controller.abort()
    const result = await call
    expect(E.isLeft(result) && result.left._tag === 'BulkheadRejected' && result.left.reason).toBe('aborted')
    expect([ran, bulkhead.running(), bulkhead.queued()]).toEqual([false, 0, 0])
  })

  it('live clock: an aborted waiter leaves no timer and no listener behind', async () => {
    const before = timers()
    const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 60_000, clock: Clock.live })()
    const first = await bulkhead.acquire()
    const controller = new AbortController()
    const waiting = bulkhead.acquire(controller.signal)
    expect(timers()).toBe(before + 1)
    controller.abort()
    expect(E.isLeft(await waiting)).toBe(true)
    expect(timers()).toBe(before)
    expect(listeners(controller.signal)).toBe(0)
    if (E.isRight(first)) first.right.onSuccess()
  })
})

describe('Bulkhead: exact counts at scale', () => {
  it('10^4 concurrent calls with seeded random aborts: counts exact at every step, the limit never exceeded, nothing left', async () => {
    const clock = TestClock.make()
    const random = Random.seeded(14)
    const limit = 50
    const bulkhead = Bulkhead.make({ maxConcurrent: limit, maxQueue: Infinity, queueTimeout: 1_000, clock })()
    let running = 0
    let peak = 0
    let ran = 0
    let violations = 0
    const op = ({ signal }: Operation.Env): TE.TaskEither<string, string> => {
      return async () => {
        running += 1
        ran += 1
        peak = Math.max(peak, running)
        if (running > limit) violations += 1
        await clock.sleep(1 + Math.floor(random() * 20), signal)
        running -= 1
        return signal.aborted ? E.left('cancelled') : E.right('ok')
      }
    }
    const limited = pipe(op, Bulkhead.limit(bulkhead))
    const n = 10_000
    const controllers = Array.from({ length: n }, () => new AbortController())
    const results = controllers.map((c) => limited({ signal: c.signal })())
    // a third of the calls abort at a random time, while queued or while running
    const aborts = controllers.filter(() => random() < 1 / 3)
    for (const c of aborts) void clock.sleep(random() * 3_000).then(() => c.abort('caller left'))
    let checks = 0
    const check = async () => {
      while (clock.pending() > 0) {
        await clock.adjust(7)
        checks += 1
        if (bulkhead.running() !== running || bulkhead.running() > limit) violations += 1
      }
    }
    await check()
    const outcomes = await Promise.all(results)
    const count = (p: (r: E.Either<unknown, string>) => boolean) => outcomes.filter(p).length
    const reasons = (reason: string) =>
      count((r) => E.isLeft(r) && Bulkhead.isBulkheadRejected(r.left) && r.left.reason === reason)
    expect(violations).toBe(0)
    expect(checks).toBeGreaterThan(100)
    expect(peak).toBe(limit)
    // every call ended exactly one way; the ones that ran are exactly the admitted ones
    expect(count(E.isRight) + count((r) => E.isLeft(r) && r.left === 'cancelled')).toBe(ran)
    expect(ran + reasons('aborted') + reasons('queueTimeout')).toBe(n)
    expect(reasons('aborted')).toBeGreaterThan(0)
    expect(reasons('queueTimeout')).toBeGreaterThan(0)
    expect([bulkhead.running(), bulkhead.queued(), clock.pending()]).toEqual([0, 0, 0])
    expect(controllers.reduce((sum, c) => sum + listeners(c.signal), 0)).toBe(0)
  })

  it('leaving a queue takes constant time: waiters scattered through a queue of 8 x 10^4 leave in linear time', async () => {
    const time = async (n: number) => {
      const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: Infinity })()
      await bulkhead.acquire()
      // 64 callers' signals, each shared by every 64th waiter: an abort takes waiters from all over the queue
      const controllers = Array.from({ length: 64 }, () => new AbortController())
      const waiting = Array.from({ length: n }, (_, i) => bulkhead.acquire(controllers[i % 64]?.signal))
      const started = performance.now()
      for (const c of controllers) c.abort()
      const elapsed = performance.now() - started
      const results = await Promise.all(waiting)
      expect(results.every((r) => E.isLeft(r) && r.left.reason === 'aborted')).toBe(true)
      expect(bulkhead.queued()).toBe(0)
      return elapsed
    }
    await time(5_000) // warm up
    const small = Math.max(await time(10_000), 1)
    const large = await time(80_000)
    expect(large / small).toBeLessThan(32) // linear: about 8; a scan of the queue per waiter: about 64
  })
})

describe('Bulkhead: both forms, data-first and data-last, defects', () => {
  it('a TaskEither stays a TaskEither; a cancellable operation gets the caller’s environment as it is', async () => {
    const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: 0 })()
    expect(await pipe(TE.right(1), Bulkhead.limit(bulkhead))()).toEqual(E.right(1))
    expect(await Bulkhead.limit(TE.left('no'), bulkhead)()).toEqual(E.left('no'))
    const env = { signal: new AbortController().signal, db: 'primary' }
    const seen: Array<unknown> = []
    const op = (e: Operation.Env & { readonly db: string }) => {
      seen.push(e)
      return TE.right(e.db)
    }
    expect(await Bulkhead.limit(op, bulkhead)(env)()).toEqual(E.right('primary'))
    expect(seen[0]).toBe(env)
    expect(bulkhead.running()).toBe(0)
  })

  it('a rejection (a defect) frees the slot and propagates unchanged', async () => {
    const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: 0 })()
    const boom = new Error('defect')
    await expect(pipe(() => Promise.reject(boom), Bulkhead.limit(bulkhead))()).rejects.toBe(boom)
    expect(bulkhead.running()).toBe(0)
  })

  it('composes under Retry: a full bulkhead is transient, retried after a backoff that holds no slot', async () => {
    const clock = TestClock.make()
    const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: 0, clock })()
    const holder = await bulkhead.acquire()
    const call = pipe(
      TE.right('ok'),
      Bulkhead.limit(bulkhead),
      Retry.retrying(
        pipe(Schedule.spaced(100), Schedule.intersect(Schedule.recurs(3)), Schedule.whileInput(Http.isTransient)),
        { clock },
      ),
    )()
    await clock.whenSleeping(1, 'backoff')
    expect(bulkhead.running()).toBe(1) // only the holder: the backoff holds nothing
    if (E.isRight(holder)) holder.right.onSuccess()
    await clock.adjust(100)
    expect(await call).toEqual(E.right('ok'))
  })

  it('classification: full and queueTimeout are transient, aborted is not', () => {
    const base = { _tag: 'BulkheadRejected', running: 1, queued: 0, maxConcurrent: 1, maxQueue: 0 } as const
    expect(
      (['full', 'queueTimeout', 'aborted'] as const).map((reason) => Http.isTransient({ ...base, reason })),
    ).toEqual([true, true, false])
    expect(Bulkhead.isBulkheadRejected({ ...base, reason: 'full' })).toBe(true)
    expect([null, 1, {}, { _tag: 'CircuitOpen' }].map(Bulkhead.isBulkheadRejected)).toEqual([
      false,
      false,
      false,
      false,
    ])
  })

  it('programmer errors throw a RangeError naming the function, the parameter and the value', () => {
    expect(() => Bulkhead.make({ maxConcurrent: 0, maxQueue: 0 })).toThrow(
      'Bulkhead.make: maxConcurrent must be an integer >= 1, got 0',
    )
    expect(() => Bulkhead.make({ maxConcurrent: 1.5, maxQueue: 0 })).toThrow(RangeError)
    expect(() => Bulkhead.make({ maxConcurrent: 1, maxQueue: -1 })).toThrow('maxQueue must be an integer >= 0, got -1')
    expect(() => Bulkhead.make({ maxConcurrent: 1, maxQueue: NaN })).toThrow(RangeError)
    expect(() => Bulkhead.make({ maxConcurrent: 1, maxQueue: 1, queueTimeout: -5 })).toThrow('queueTimeout')
    expect(() => Bulkhead.aimd({ backoffRatio: 1 })).toThrow(
      'Bulkhead.aimd: backoffRatio must be a number in [0.5, 1), got 1',
    )
    expect(() => Bulkhead.aimd({ minLimit: 10, maxLimit: 5 })).toThrow('maxLimit must be at least minLimit (10), got 5')
    expect(() => Bulkhead.aimd({ timeout: 0 })).toThrow(RangeError)
    expect(() => Bulkhead.gradient2({ smoothing: 0 })).toThrow(
      'Bulkhead.gradient2: smoothing must be a number in (0, 1], got 0',
    )
    expect(() => Bulkhead.gradient2({ rttTolerance: 0.9 })).toThrow('rttTolerance')
    expect(() => Bulkhead.gradient2({ longWindow: 0 })).toThrow('longWindow')
    expect(() => Bulkhead.gradient2({ queueSize: -1 })).toThrow('queueSize')
  })
})

/** n samples, all alike. */
const repeat = (n: number, sample: Bulkhead.Sample): ReadonlyArray<Bulkhead.Sample> =>
  Array.from({ length: n }, () => sample)

describe('AIMD: steps against AIMDLimit’s formula', () => {
  it('the published defaults: initial 20, within [20, 200], backoff 0.9, timeout 5 s', () => {
    const limit = Bulkhead.aimd()
    expect(limit.limit(limit.initial)).toBe(20)
    // +1 per sample that found at least half the limit in use: 20 -> 21 -> ... -> 200, then held at the maximum
    const up = Bulkhead.simulateLimit(limit, repeat(200, { start: 0, rtt: 10, inflight: 200, didDrop: false }))
    expect(up.slice(0, 3)).toEqual([21, 22, 23])
    expect(up[179]).toBe(200)
    expect(up[199]).toBe(200)
    // a sample slower than 5,000 ms is a drop; at the minimum it stays at 20
    expect(Bulkhead.simulateLimit(limit, [{ start: 0, rtt: 5_001, inflight: 20, didDrop: false }])).toEqual([20])
    expect(Bulkhead.simulateLimit(limit, [{ start: 0, rtt: 5_000, inflight: 20, didDrop: false }])).toEqual([21])
  })

  it('hand-computed: increase when inflight * 2 >= limit, decrease floor(limit * ratio), clamp to [min, max]', () => {
    const limit = Bulkhead.aimd({ initialLimit: 10, minLimit: 4, maxLimit: 12, backoffRatio: 0.5, timeout: 100 })
    const s = (rtt: number, inflight: number, didDrop = false): Bulkhead.Sample => ({
      start: 0,
      rtt,
      inflight,
      didDrop,
    })
    expect(
      Bulkhead.simulateLimit(limit, [
        s(10, 5), // 5 * 2 >= 10: 11
        s(10, 5), // 5 * 2 < 11: 11
        s(10, 6), // 12 >= 11: 12
        s(10, 12), // 13, clamped to the max 12
        s(10, 12, true), // drop: floor(12 * 0.5) = 6
        s(101, 6), // slower than the timeout: floor(6 * 0.5) = 3, clamped to the min 4
        s(100, 2), // not slower: 2 * 2 >= 4: 5
        s(Number.NaN, 5), // a NaN time is 0: 5 * 2 >= 5: 6
      ]),
    ).toEqual([11, 11, 12, 12, 6, 4, 5, 6])
  })

  it('an initial limit outside [min, max] is brought into it', () => {
    expect(Bulkhead.aimd({ initialLimit: 500 }).limit(Bulkhead.aimd({ initialLimit: 500 }).initial)).toBe(200)
    const low = Bulkhead.aimd({ initialLimit: 1, minLimit: 5 })
    expect(low.limit(low.initial)).toBe(5)
  })
})

describe('Gradient2: steps against Gradient2Limit’s formula', () => {
  it('hand-computed: warm-up average, then the exponential average; gradient, queue, smoothing, clamp', () => {
    // no queueing here (gradient 1 or drops absent), so the guard changes nothing: the published steps
    const limit = Bulkhead.gradient2({ initialLimit: 20, minLimit: 10, maxConcurrency: 30, longWindow: 9 })
    const s = (rtt: number, inflight: number): Bulkhead.Sample => ({ start: 0, rtt, inflight, didDrop: false })
    // 1: longRtt = 10 (warm-up average of one); gradient = max(0.5, min(1, 1.5 * 10 / 10)) = 1
    //    estimate = 20 * 1 + 4 = 24; limit = 20 * 0.8 + 24 * 0.2 = 20.8 -> 20
    // 2: longRtt = (10 + 10) / 2 = 10; 20.8 * 0.8 + (20.8 + 4) * 0.2 = 21.6 -> 21
    // 3: inflight 10 < 21.6 / 2 = 10.8: app-limited, unchanged 21.6 -> 21 (longRtt still averages: 10)
    // 4: 22.4 -> 22
    expect(Bulkhead.simulateLimit(limit, [s(10, 20), s(10, 20), s(10, 10), s(10, 22)])).toEqual([20, 21, 21, 22])
  })

  it('hand-computed: a slow sample lowers the limit by the gradient, never by more than half', () => {
    const limit = Bulkhead.gradient2({ initialLimit: 100, minLimit: 1, maxConcurrency: 200, smoothing: 0.5 })
    const warm = repeat(10, { start: 0, rtt: 10, inflight: 100, didDrop: false }) // longRtt = 10; each adds 4 * 0.5 = 2
    const after = Bulkhead.simulateLimit(limit, [
      ...warm,
      // 11th (the limit is 120 after ten samples of +2): inflight 100 < 120, not saturated, so the baseline moves:
      // longRtt = 10 * (1 - 2/601) + 30 * 2/601 = 10.0665557; gradient = 1.5 * 10.0665557 / 30 = 0.50332779;
      // queueing, so no queue term (the guard, as PR #134); limit = 120 * 0.5 + 120 * 0.50332779 * 0.5 = 90.1997 -> 90
      { start: 0, rtt: 30, inflight: 100, didDrop: false },
      // 12th: saturated (90 >= 90) and slower than the baseline, which does not rise; gradient 1.5 * 10.07 / 1000 is
      // below 0.5, so 0.5: 90.1997 * 0.5 + 90.1997 * 0.5 * 0.5 = 67.6497 -> 67
      { start: 0, rtt: 1_000, inflight: 90, didDrop: false },
    ])
    expect(after.slice(0, 10)).toEqual([102, 104, 106, 108, 110, 112, 114, 116, 118, 120])
    const long11 = 10 * (1 - 2 / 601) + 30 * (2 / 601)
    const limit11 = 120 * 0.5 + 120 * ((1.5 * long11) / 30) * 0.5
    expect(after[10]).toBe(Math.floor(limit11))
    expect(Math.floor(limit11)).toBe(90)
    expect(after[11]).toBe(Math.floor(limit11 * 0.75))
    expect(after[11]).toBe(67)
  })

  it('hand-computed: the long RTT is cut by 5 % when it is more than twice the sample (recovery after overload)', () => {
    // 10 warm-up samples of 100 ms: longRtt 100. Then a 40 ms sample: the average moves to
    // 100 * (1 - 2/601) + 40 * 2/601 = 99.800333; 99.800333 / 40 > 2, so it becomes 94.810316.
    // The gradient is 1 (1.5 * 94.81 / 40 > 1): estimate = 20 + 4 -> 20.8 (smoothing 0.2)
    const limit = Bulkhead.gradient2({ minLimit: 1 })
    let state = limit.initial
    for (let i = 0; i < 10; i++) state = limit.update(state, { start: 0, rtt: 100, inflight: 1, didDrop: false })
    state = limit.update(state, { start: 0, rtt: 40, inflight: 20, didDrop: false })
    const long = (state as { longRtt: number }).longRtt
    expect(long).toBeCloseTo((100 * (1 - 2 / 601) + 40 * (2 / 601)) * 0.95, 9)
    expect(long).toBeCloseTo(94.810316, 5)
    expect(limit.limit(state)).toBe(20)
  })

  it('the published defaults: initial 20, min 20, max 200, smoothing 0.2, queue 4, long window 600, tolerance 1.5', () => {
    const limit = Bulkhead.gradient2()
    expect(limit.limit(limit.initial)).toBe(20)
    // with latency flat, each sample adds queueSize * smoothing = 0.8 until the maximum
    const steps = Bulkhead.simulateLimit(limit, repeat(300, { start: 0, rtt: 5, inflight: 200, didDrop: false }))
    expect(steps.slice(0, 5)).toEqual([20, 21, 22, 23, 24]) // 20.8, 21.6, 22.4, 23.2, 24.0
    expect(steps[230]).toBe(200) // 20 + 0.8 * 225, then held at the maximum
    // sqrt queue size, as the Netflix paper suggests: 20 + sqrt(20) * 0.2 = 20.894 -> 20
    const sqrt = Bulkhead.gradient2({ queueSize: (l) => Math.sqrt(l) })
    expect(Bulkhead.simulateLimit(sqrt, [{ start: 0, rtt: 5, inflight: 20, didDrop: false }])).toEqual([20])
  })

  it('the guard: a drop is the steepest gradient (0.5); the published formula ignores drops', () => {
    const guarded = Bulkhead.gradient2({ initialLimit: 100, minLimit: 1, smoothing: 1 })
    const published = Bulkhead.gradient2({ initialLimit: 100, minLimit: 1, smoothing: 1, guardGrowth: false })
    const drop = [{ start: 0, rtt: 10, inflight: 100, didDrop: true }]
    expect(Bulkhead.simulateLimit(guarded, drop)).toEqual([50]) // 100 * 0.5, no queue term
    expect(Bulkhead.simulateLimit(published, drop)).toEqual([104]) // 100 * 1 + 4
  })

  it('the guard: no queue term while queueing is seen (gradient < 1), as PR #134 proposes', () => {
    const opts = { initialLimit: 100, minLimit: 1, smoothing: 1, rttTolerance: 1 } as const
    const samples = [
      ...repeat(10, { start: 0, rtt: 10, inflight: 40, didDrop: false }), // warm-up below half use: app-limited, longRtt 10
      { start: 0, rtt: 12.5, inflight: 60, didDrop: false }, // not saturated: longRtt 10 * (599/601) + 12.5 * 2/601
    ]
    const long = 10 * (1 - 2 / 601) + 12.5 * (2 / 601)
    const gradient = long / 12.5 // about 0.8: the "modest overload" of PR #134
    expect(Bulkhead.simulateLimit(Bulkhead.gradient2(opts), samples)[10]).toBe(Math.floor(100 * gradient))
    expect(Bulkhead.simulateLimit(Bulkhead.gradient2({ ...opts, guardGrowth: false }), samples)[10]).toBe(
      Math.floor(100 * gradient + 4),
    )
  })

  /**
   * PR #134's report: under modest overload the limit climbs without bound. A closed loop: every slot is used, and
   * the dependency's latency grows with the concurrency past its knee (40), with seeded noise; nothing is dropped.
   */
  const overload = (limit: Bulkhead.Limit, samples: number) => {
    const random = Random.seeded(134)
    let state = limit.initial
    let highest = 0
    for (let i = 0; i < samples; i++) {
      const inflight = limit.limit(state)
      const rtt = 10 * Math.max(1, inflight / 40) * (0.8 + 0.4 * random())
      state = limit.update(state, { start: i, rtt, inflight, didDrop: false })
      highest = Math.max(highest, limit.limit(state))
    }
    return { last: limit.limit(state), highest }
  }

  it('PR #134: the published formula climbs to maxConcurrency under sustained overload; the guard holds it near the knee', () => {
    const published = overload(Bulkhead.gradient2({ maxConcurrency: 1_000, guardGrowth: false }), 50_000)
    const guarded = overload(Bulkhead.gradient2({ maxConcurrency: 1_000 }), 50_000)
    expect(published.last).toBe(1_000)
    expect(guarded.highest).toBeLessThan(120) // about 2.25 x the knee: latency at most ~ tolerance^2 x the baseline
    expect(guarded.last).toBeGreaterThanOrEqual(40)
  })

  it('PR #134’s own two changes alone do not stop the climb: the baseline still follows (why the guard has a third rule)', () => {
    // the guard's rules 1 and 2 only, written as a Limit: the published state machine with the queue term only at
    // gradient 1, the long RTT updated on every sample
    const base = Bulkhead.gradient2({ maxConcurrency: 1_000, guardGrowth: false })
    const prOnly: Bulkhead.Limit = {
      ...base,
      update: (state, sample) => {
        const s = state as { estimate: number; longRtt: number; count: number; sum: number }
        const next = base.update(state, sample) as typeof s
        if (sample.inflight < s.estimate / 2) return next
        const gradient = Math.max(0.5, Math.min(1, (1.5 * next.longRtt) / sample.rtt))
        if (gradient >= 1) return next
        return { ...next, estimate: Math.max(20, s.estimate * 0.8 + s.estimate * gradient * 0.2) }
      },
    }
    expect(overload(prOnly, 50_000).last).toBe(1_000)
  })

  it('any samples, however hostile, keep both limits integers within [min, max]', () => {
    const number = fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -1, 1e308))
    const sample = fc.record({ start: number, rtt: number, inflight: number, didDrop: fc.boolean() })
    fc.assert(
      fc.property(
        fc.array(sample, { maxLength: 60 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 50 }),
        (samples, min, span) => {
          const limits = [
            Bulkhead.windowed(Bulkhead.gradient2({ minLimit: min, maxConcurrency: min + span }), {
              minWindowTime: 100,
            }),
            Bulkhead.aimd({ minLimit: min, maxLimit: min + span }),
            Bulkhead.gradient2({ minLimit: min, maxConcurrency: min + span }),
            Bulkhead.gradient2({ minLimit: min, maxConcurrency: min + span, guardGrowth: false }),
          ]
          return limits.every((limit) =>
            Bulkhead.simulateLimit(limit, samples).every((l) => Number.isInteger(l) && l >= min && l <= min + span),
          )
        },
      ),
    )
  })

  it('a queueSize function that throws is reported and counts as 4; one that returns nonsense as 0', () => {
    const report = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const throwing = Bulkhead.gradient2({
      smoothing: 1,
      queueSize: () => {
        throw new Error('bad')
      },
    })
    expect(Bulkhead.simulateLimit(throwing, [{ start: 0, rtt: 5, inflight: 20, didDrop: false }])).toEqual([24])
    expect(report).toHaveBeenCalled()
    const nan = Bulkhead.gradient2({ smoothing: 1, queueSize: () => Number.NaN })
    expect(Bulkhead.simulateLimit(nan, [{ start: 0, rtt: 5, inflight: 20, didDrop: false }])).toEqual([20])
  })
})

describe('windowed: steps against WindowedLimit’s rule', () => {
  /** A probe limit that records what it is stepped with. */
  const probe = () => {
    const seen: Array<Bulkhead.Sample> = []
    const limit: Bulkhead.Limit = {
      _tag: 'Limit',
      name: 'Probe',
      initial: 1,
      limit: (s) => s as number,
      update: (s, sample) => {
        seen.push(sample)
        return (s as number) + 1
      },
    }
    return { seen, limit }
  }
  const at = (start: number, rtt: number, inflight = 1, didDrop = false): Bulkhead.Sample => ({
    start,
    rtt,
    inflight,
    didDrop,
  })

  it('hand-computed: the first window is empty; then one step per window with the mean RTT, the highest inflight, any drop', () => {
    const { seen, limit } = probe()
    const w = Bulkhead.windowed(limit, { minWindowTime: 100, maxWindowTime: 500 })
    const samples = [
      at(0, 10), // ends at 10 > 0: closes the first window (1 sample, too few); the next ends at 10 + max(2 * 10, 100) = 110
      ...Array.from({ length: 10 }, (_, i) => at(10 + i * 10, 10 + i, 5 + i, i === 3)), // ends 20 .. 119: the 10th ends at 119 > 110
    ]
    const limits = Bulkhead.simulateLimit(w, samples)
    expect(limits).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2])
    // mean of rtt 10..19 = 14.5; inflight up to 14; the 4th was dropped
    expect(seen).toEqual([{ start: 100, rtt: 14.5, inflight: 14, didDrop: true }])
  })

  it('the next window lasts twice the lowest RTT of the one that closed, within [min, max]', () => {
    const { seen, limit } = probe()
    const w = Bulkhead.windowed(limit, { minWindowTime: 100, maxWindowTime: 1_000 })
    // window 1 (empty) closes at 400: the next ends at 400 + min(max(2 * 400, 100), 1000) = 1,200
    const samples = [at(0, 400), ...Array.from({ length: 10 }, (_, i) => at(500 + i, 300))] // ends 800 .. 809
    expect(Bulkhead.simulateLimit(w, samples).at(-1)).toBe(1)
    expect(seen).toHaveLength(0)
    // the next call ending after 1,200 closes it: 11 samples, min 300
    expect(Bulkhead.simulateLimit(w, [...samples, at(1_000, 301)]).at(-1)).toBe(2)
  })

  it('a window with fewer than windowSize samples is dropped, not passed on; samples under minRttThreshold are ignored', () => {
    const { seen, limit } = probe()
    const w = Bulkhead.windowed(limit, { minWindowTime: 100, maxWindowTime: 100, windowSize: 12, minRttThreshold: 1 })
    const samples = [at(0, 10), ...Array.from({ length: 10 }, (_, i) => at(10 + i * 9, 10)), at(10, 0.5), at(200, 10)]
    Bulkhead.simulateLimit(w, samples)
    // 10 samples, the 0.5 ms one ignored, and the one that closes the window (ending at 210 > 110): 11, fewer than 12
    expect(seen).toHaveLength(0)
    Bulkhead.simulateLimit(w, [...samples.slice(0, -1), at(95, 10), at(200, 10)])
    expect(seen).toHaveLength(1) // one more: 12
  })

  it('the published defaults: 1 s windows of at least 10 samples; options are checked', () => {
    const { seen, limit } = probe()
    const w = Bulkhead.windowed(limit)
    const samples = Array.from({ length: 40 }, (_, i) => at(i * 50, 20)) // every 50 ms for 2 s
    Bulkhead.simulateLimit(w, samples)
    // the first sample closes the empty window (next end 20 + 1,000); 1,020 is passed by the sample ending at 1,070
    expect(seen.map((s) => s.start)).toEqual([1_050])
    expect(w.name).toBe('Windowed(Probe)')
    expect(() => Bulkhead.windowed(limit, { minWindowTime: 50 })).toThrow(
      'minWindowTime must be a finite number >= 100, got 50',
    )
    expect(() => Bulkhead.windowed(limit, { minWindowTime: 500, maxWindowTime: 200 })).toThrow('maxWindowTime')
    expect(() => Bulkhead.windowed(limit, { windowSize: 5 })).toThrow('windowSize must be an integer >= 10, got 5')
  })
})

describe('Bulkhead with an adaptive limit', () => {
  it('samples each outcome: round trip from admission, inflight at admission, drops; growth admits waiters', async () => {
    const clock = TestClock.make()
    const changes: Array<string> = []
    const bulkhead = Bulkhead.make({
      maxConcurrent: Bulkhead.aimd({ initialLimit: 2, minLimit: 1, maxLimit: 3, timeout: 100 }),
      maxQueue: 10,
      clock,
      onLimitChange: (c) => changes.push(`${c.from}->${c.to}@${c.at}`),
    })()
    const op =
      (ms: number, result: E.Either<unknown, string>): TE.TaskEither<unknown, string> =>
      () =>
        clock.sleep(ms).then(() => result)
    const call = (ms: number, result: E.Either<unknown, string> = E.right('ok')) =>
      pipe(op(ms, result), Bulkhead.limit(bulkhead))()
    const a = call(10) // inflight 1
    const b = call(20) // inflight 2
    const c = call(10) // waits
    await settle()
    expect([bulkhead.running(), bulkhead.queued(), bulkhead.maxConcurrent()]).toEqual([2, 1, 2])
    await clock.adjust(10) // a succeeds: inflight 1 * 2 >= 2: the limit grows to 3; c is admitted (inflight 2)
    expect(changes).toEqual(['2->3@10'])
    expect([bulkhead.running(), bulkhead.queued()]).toEqual([2, 0])
    await clock.adjust(10) // b succeeds (inflight 2 * 2 >= 3): already the max, 3; c succeeds
    expect(await Promise.all([a, b, c])).toEqual([E.right('ok'), E.right('ok'), E.right('ok')])
    // a timeout is a drop: floor(3 * 0.9) = 2
    const timedOut = { _tag: 'TimeoutError', timeout: 5 }
    expect(await pipe(TE.left(timedOut), Bulkhead.limit(bulkhead))()).toEqual(E.left(timedOut))
    const pending = call(5)
    await clock.adjust(5)
    await pending
    expect(changes).toEqual(['2->3@10', '3->2@20', '2->3@25'])
    // a failure that means nothing (a 400) is ignored: no sample, no change
    await pipe(TE.left({ _tag: 'HttpError', status: 400 }), Bulkhead.limit(bulkhead))()
    expect(changes).toHaveLength(3)
  })

  it('a limit that falls below the calls running lets them finish, and admits none until they are below it', async () => {
    const clock = TestClock.make()
    const bulkhead = Bulkhead.make({
      maxConcurrent: Bulkhead.aimd({ initialLimit: 4, minLimit: 1, maxLimit: 4, backoffRatio: 0.5 }),
      maxQueue: 10,
      clock,
    })()
    const permits = await Promise.all([1, 2, 3, 4].map(() => bulkhead.acquire()))
    const waiting = bulkhead.acquire()
    const [p1, p2, p3, p4] = permits.map((p) => (E.isRight(p) ? p.right : undefined))
    p1?.onDropped() // floor(4 * 0.5) = 2, with 3 running
    expect([bulkhead.maxConcurrent(), bulkhead.running(), bulkhead.queued()]).toEqual([2, 3, 1])
    p2?.onIgnore()
    expect([bulkhead.running(), bulkhead.queued()]).toEqual([2, 1])
    p3?.onIgnore()
    expect([bulkhead.running(), bulkhead.queued()]).toEqual([2, 0]) // the waiter took the freed slot
    p4?.onIgnore()
    const w = await waiting
    if (E.isRight(w)) w.right.onIgnore()
    expect(bulkhead.running()).toBe(0)
  })

  it('a timeout around the bulkhead aborts the call: a drop; the caller’s own abort: ignored', async () => {
    const clock = TestClock.make()
    const limit = Bulkhead.aimd({ initialLimit: 10, minLimit: 1 })
    const bulkhead = Bulkhead.make({ maxConcurrent: limit, maxQueue: 0, clock })()
    const hangs =
      ({ signal }: Operation.Env): TE.TaskEither<string, string> =>
      () =>
        clock.sleep(60_000, signal).then(() => E.left('cancelled'))
    const timed = pipe(hangs, Bulkhead.limit(bulkhead), Timeout.timeout(100, { clock }))
    const running = timed({ signal: new AbortController().signal })()
    await clock.adjust(100)
    expect(await running).toEqual(E.left({ _tag: 'TimeoutError', timeout: 100 }))
    await settle()
    expect(bulkhead.maxConcurrent()).toBe(9) // dropped: floor(10 * 0.9)
    const controller = new AbortController()
    const cancelled = pipe(hangs, Bulkhead.limit(bulkhead))({ signal: controller.signal })()
    await settle()
    controller.abort()
    expect(await cancelled).toEqual(E.left('cancelled'))
    expect([bulkhead.maxConcurrent(), bulkhead.running(), clock.pending()]).toEqual([9, 0, 0])
  })

  it('outcomeOf maps failures to outcomes; one that throws is reported and the failure ignored', async () => {
    const report = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const limit = Bulkhead.aimd({ initialLimit: 10, minLimit: 1 })
    const bulkhead = Bulkhead.make({
      maxConcurrent: limit,
      maxQueue: 0,
      outcomeOf: (e) => {
        if (e === 'throw') throw new Error('bad classifier')
        return e === 'overloaded' ? 'dropped' : 'success'
      },
    })()
    await pipe(TE.left('overloaded'), Bulkhead.limit(bulkhead))()
    expect(bulkhead.maxConcurrent()).toBe(9)
    await pipe(TE.left('not found'), Bulkhead.limit(bulkhead))() // inflight 1 * 2 < 9: a sample, no growth
    expect(bulkhead.maxConcurrent()).toBe(9)
    await pipe(TE.left('throw'), Bulkhead.limit(bulkhead))()
    expect(report).toHaveBeenCalled()
    expect([bulkhead.maxConcurrent(), bulkhead.running()]).toEqual([9, 0])
  })

  it('a listener that throws is reported, never thrown into the call', async () => {
    const report = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const bulkhead = Bulkhead.make({
      maxConcurrent: Bulkhead.aimd({ initialLimit: 2, minLimit: 1 }),
      maxQueue: 0,
      onLimitChange: () => {
        throw new Error('listener')
      },
    })()
    expect(await pipe(TE.right(1), Bulkhead.limit(bulkhead))()).toEqual(E.right(1))
    expect(bulkhead.maxConcurrent()).toBe(3)
    expect(report).toHaveBeenCalled()
  })

  it('defaultOutcome: timeouts, 429 and 503 are drops; everything else is ignored', () => {
    const http = (status: number) => ({ _tag: 'HttpError', status, retryAfter: O.none })
    expect(
      [
        { _tag: 'TimeoutError', timeout: 1 },
        http(429),
        http(503),
        http(500),
        http(404),
        'x',
        null,
        { _tag: 'CircuitOpen' },
      ].map(Bulkhead.defaultOutcome),
    ).toEqual(['dropped', 'dropped', 'dropped', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore'])
  })
})
