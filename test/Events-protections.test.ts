/**
 * The events the protections emit (issue 15): each one reads the observer of the call whose attempt starts it and
 * tells it what it decided, on its own clock. Driven with the internal `within` (what `Retry.retrying` does around
 * each attempt start), so each protection is checked alone, then once under a real `Retry.retrying({ onEvent })`.
 * Virtual time throughout (TestClock), no sleeps.
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import * as TE from 'fp-ts/TaskEither'
import { describe, expect, it } from 'vitest'
import type { Events } from '../src/index'
import {
  Bulkhead,
  CircuitBreaker,
  Hedge,
  Operation,
  RateLimit,
  Retry,
  Schedule,
  TestClock,
  Timeout,
} from '../src/index'
import { observer, within } from '../src/internal/events'

/** An observed call: its events, and a way to start an operation as an attempt of that call. */
const observed = () => {
  const events: Array<Events.Event> = []
  const self = observer<Events.Event>((event) => events.push(event))
  const start = <T>(run: () => Promise<T>): Promise<T> => within(self, run)
  return { events, call: self.call, start }
}

/** A cancellable dependency on `clock`: answers `result` after `ms`, or `Left('cancelled')` when its signal fires. */
const after =
  <A>(
    clock: TestClock.TestClock,
    ms: number,
    result: E.Either<string, A>,
  ): Operation.Cancellable<Operation.Env, string, A> =>
  ({ signal }) =>
  () =>
    clock.sleep(ms, signal, 'server').then(() => (signal.aborted ? E.left('cancelled') : result))

const env = (): Operation.Env => ({ signal: new AbortController().signal })

describe('Timeout emits TimeoutFired', () => {
  it('when the limit expires, at the time on its clock, with the limit', async () => {
    const clock = TestClock.make()
    await clock.adjust(500)
    const { events, call, start } = observed()
    const running = start(() => pipe(after(clock, 10_000, E.right('late')), Timeout.timeout(1_000, { clock }))(env())())
    await clock.adjust(1_000)
    expect(await running).toEqual(E.left({ _tag: 'TimeoutError', timeout: 1_000 }))
    expect(events).toEqual([{ _tag: 'TimeoutFired', call, time: 1_500, after: 1_000 }])
  })

  it('not when the attempt finishes in time, nor for a call started outside an observed attempt', async () => {
    const clock = TestClock.make()
    const { events, start } = observed()
    const fast = start(() => pipe(after(clock, 10, E.right('ok')), Timeout.timeout(1_000, { clock }))(env())())
    const unobserved = pipe(after(clock, 10_000, E.right('late')), Timeout.timeout(1_000, { clock }))(env())()
    await clock.adjust(2_000)
    expect(await fast).toEqual(E.right('ok'))
    expect(await unobserved).toEqual(E.left({ _tag: 'TimeoutError', timeout: 1_000 }))
    expect(events).toEqual([])
  })
})

describe('CircuitBreaker.protect emits CircuitChanged and Rejected', () => {
  it('for the transitions this call causes and for a refusal, with the CircuitOpen it returns', async () => {
    const clock = TestClock.make()
    const breaker = CircuitBreaker.make({
      clock,
      consecutiveFailures: 1,
      halfOpenAfter: 5_000,
      isFailure: () => true,
    })()
    const failing = pipe(TE.left<string, string>('503'), CircuitBreaker.protect(breaker))
    const healthy = pipe(TE.right<string, string>('ok'), CircuitBreaker.protect(breaker))

    const first = observed()
    await first.start(failing)
    expect(first.events).toEqual([{ _tag: 'CircuitChanged', call: first.call, time: 0, from: 'Closed', to: 'Open' }])

    await clock.adjust(1_000)
    const refused = observed()
    const result = await refused.start(healthy)
    const open: CircuitBreaker.CircuitOpen = {
      _tag: 'CircuitOpen',
      state: 'Open',
      retryAt: 5_000,
      retryAfter: O.some(4_000),
    }
    expect(result).toEqual(E.left(open))
    expect(refused.events).toEqual([{ _tag: 'Rejected', call: refused.call, time: 1_000, failure: open }])

    await clock.adjust(4_000)
    const probe = observed()
    expect(await probe.start(healthy)).toEqual(E.right('ok'))
    expect(probe.events).toEqual([
      { _tag: 'CircuitChanged', call: probe.call, time: 5_000, from: 'Open', to: 'HalfOpen' },
      { _tag: 'CircuitChanged', call: probe.call, time: 5_000, from: 'HalfOpen', to: 'Closed' },
    ])
  })

  it("not another call's transitions, and nothing on a call that changes nothing", async () => {
    const clock = TestClock.make()
    const breaker = CircuitBreaker.make({ clock, consecutiveFailures: 2, isFailure: () => true })()
    const slow = observed()
    const running = slow.start(pipe(after(clock, 100, E.right('ok')), CircuitBreaker.protect(breaker))(env()))
    // two unobserved failures open the breaker while the observed call is in flight
    const failing = pipe(TE.left('503'), CircuitBreaker.protect(breaker))
    await failing()
    await failing()
    expect(breaker.state()).toBe('Open')
    await clock.adjust(100)
    expect(await running).toEqual(E.right('ok'))
    expect(slow.events).toEqual([])
  })
})

describe('Hedge.hedging emits HedgeStarted, HedgeWon and HedgeLost', () => {
  it('a hedge that wins the race, the first attempt losing it', async () => {
    const clock = TestClock.make()
    let n = 0
    const lookup: Operation.Cancellable<Operation.Env, string, string> = (e) => {
      n += 1
      return after(clock, n === 1 ? 1_000 : 5, E.right(`answer ${n}`))(e)
    }
    const { events, call, start } = observed()
    const policy = pipe(Schedule.spaced(10), Schedule.intersect(Schedule.recurs(1)))
    const running = start(() => pipe(lookup, Hedge.hedging(policy, { clock }))(env())())
    await clock.adjust(20)
    expect(await running).toEqual(E.right('answer 2'))
    expect(events).toEqual([
      { _tag: 'HedgeStarted', call, time: 10, attempt: 2 },
      { _tag: 'HedgeWon', call, time: 15, attempt: 2 },
      { _tag: 'HedgeLost', call, time: 15, attempt: 1 },
    ])
  })

  it('an attempt that already failed does not lose: only those still running when the race is decided', async () => {
    const clock = TestClock.make()
    let n = 0
    const lookup: Operation.Cancellable<Operation.Env, string, string> = (e) => {
      n += 1
      return n === 1
        ? after(clock, 1_000, E.right('slow'))(e)
        : n === 2
          ? after(clock, 2, E.left<string, string>('503'))(e)
          : after(clock, 5, E.right('third'))(e)
    }
    const { events, call, start } = observed()
    const policy = pipe(Schedule.spaced(10), Schedule.intersect(Schedule.recurs(2)))
    const running = start(() => pipe(lookup, Hedge.hedging(policy, { clock, nonFatal: () => true }))(env())())
    await clock.adjust(20)
    expect(await running).toEqual(E.right('third'))
    expect(events).toEqual([
      { _tag: 'HedgeStarted', call, time: 10, attempt: 2 },
      { _tag: 'HedgeStarted', call, time: 12, attempt: 3 }, // the non-fatal failure starts the next one at once
      { _tag: 'HedgeWon', call, time: 17, attempt: 3 },
      { _tag: 'HedgeLost', call, time: 17, attempt: 1 },
    ])
  })

  it('no race, no event: the first attempt answers before the hedge delay', async () => {
    const clock = TestClock.make()
    const { events, start } = observed()
    const policy = pipe(Schedule.spaced(10), Schedule.intersect(Schedule.recurs(1)))
    const running = start(() => pipe(after(clock, 5, E.right('fast')), Hedge.hedging(policy, { clock }))(env())())
    await clock.adjust(20)
    expect(await running).toEqual(E.right('fast'))
    expect(events).toEqual([])
  })

  it('a hedge started on a timer runs within the call: the timeout inside it reports to the same call', async () => {
    const clock = TestClock.make()
    const { events, call, start } = observed()
    const policy = pipe(Schedule.spaced(10), Schedule.intersect(Schedule.recurs(1)))
    const bounded = pipe(after(clock, 1_000, E.right('slow')), Timeout.timeout(100, { clock }))
    const hedged = pipe(bounded, Hedge.hedging(policy, { clock, nonFatal: Timeout.isTimeoutError }))
    const running = start(() => hedged(env())())
    await clock.adjust(200)
    expect(await running).toEqual(E.left({ _tag: 'TimeoutError', timeout: 100 }))
    // both attempts timed out: no winner, no loser
    expect(events).toEqual([
      { _tag: 'HedgeStarted', call, time: 10, attempt: 2 },
      { _tag: 'TimeoutFired', call, time: 100, after: 100 },
      { _tag: 'TimeoutFired', call, time: 110, after: 100 },
    ])
  })
})

describe('Bulkhead.limit emits Rejected and Admitted', () => {
  it('a full bulkhead rejects; a queued call is admitted after its wait, and its attempt is still observed', async () => {
    const clock = TestClock.make()
    const bulkhead = Bulkhead.make({ maxConcurrent: 1, maxQueue: 1, clock })()
    const busy = pipe(after(clock, 300, E.right('first')), Bulkhead.limit(bulkhead))(env())()
    const queued = observed()
    const waiting = queued.start(() =>
      pipe(after(clock, 1_000, E.right('second')), Timeout.timeout(50, { clock }), Bulkhead.limit(bulkhead))(env())(),
    )
    const full = observed()
    const rejected = await full.start(() => pipe(TE.right('third'), Bulkhead.limit(bulkhead))())
    const failure: Bulkhead.BulkheadRejected = {
      _tag: 'BulkheadRejected',
      reason: 'full',
      running: 1,
      queued: 1,
      maxConcurrent: 1,
      maxQueue: 1,
    }
    expect(rejected).toEqual(E.left(failure))
    expect(full.events).toEqual([{ _tag: 'Rejected', call: full.call, time: 0, failure }])

    await clock.adjust(400)
    expect(await busy).toEqual(E.right('first'))
    expect(await waiting).toEqual(E.left({ _tag: 'TimeoutError', timeout: 50 }))
    expect(queued.events).toEqual([
      { _tag: 'Admitted', call: queued.call, time: 300, by: 'Bulkhead', waited: 300 },
      { _tag: 'TimeoutFired', call: queued.call, time: 350, after: 50 },
    ])
  })
})

describe('RateLimit.limit emits Rejected and Admitted', () => {
  it('a call over the limit is rejected with its RateLimited; one that waits for its token is admitted', async () => {
    const clock = TestClock.make()
    const limiter = RateLimit.make({ rate: 10, burst: 1, maxWait: 150, clock })() // a token every 100 ms
    const call = pipe(TE.right<string, string>('ok'), RateLimit.limit(limiter))
    const first = observed()
    expect(await first.start(call)).toEqual(E.right('ok'))
    const second = observed()
    const waiting = second.start(call)
    const third = observed()
    const refused = await third.start(call)
    expect(refused).toEqual(E.left({ _tag: 'RateLimited', reason: 'limit', retryAfter: O.some(200), queued: 1 }))
    await clock.adjust(100)
    expect(await waiting).toEqual(E.right('ok'))
    expect(first.events).toEqual([])
    expect(second.events).toEqual([{ _tag: 'Admitted', call: second.call, time: 100, by: 'RateLimiter', waited: 100 }])
    expect(third.events).toEqual([
      {
        _tag: 'Rejected',
        call: third.call,
        time: 0,
        failure: { _tag: 'RateLimited', reason: 'limit', retryAfter: O.some(200), queued: 1 },
      },
    ])
  })
})

describe('under Retry.retrying({ onEvent })', () => {
  it("the protections inside the retry report to its listener, with the call's id", async () => {
    const clock = TestClock.make()
    const breaker = CircuitBreaker.make({ clock, consecutiveFailures: 1, halfOpenAfter: 1_000 })()
    const events: Array<Events.Event> = []
    let n = 0
    const flaky: Operation.Cancellable<Operation.Env, string, string> = (e) => {
      n += 1
      return after(clock, n === 1 ? 10_000 : 1, E.right('ok'))(e)
    }
    const call = pipe(
      flaky,
      Timeout.timeout(100, { clock }),
      CircuitBreaker.protect(breaker),
      Retry.retrying(pipe(Schedule.recurs(2), Schedule.waitForHint(5_000)), {
        clock,
        onEvent: (event) => events.push(event),
      }),
    )
    const running = Operation.run(call)()
    await clock.runAll()
    expect(await running).toEqual(E.right('ok'))
    const tags = events.map((event) => event._tag)
    expect(tags).toEqual([
      'AttemptStarted',
      'TimeoutFired',
      'CircuitChanged', // Closed -> Open: the timeout counts as a failure
      'AttemptEnded',
      'RetryScheduled', // at once: a timeout carries no hint
      'AttemptStarted',
      'Rejected', // the open circuit
      'AttemptEnded',
      'RetryScheduled', // waits for the open circuit's hint
      'AttemptStarted',
      'CircuitChanged', // Open -> HalfOpen
      'CircuitChanged', // HalfOpen -> Closed
      'AttemptEnded',
      'CallSucceeded',
    ])
    expect(events.find((event) => event._tag === 'RetryScheduled' && event.attempt === 2)).toMatchObject({
      delay: 1_000,
      source: 'hint',
    })
    expect(new Set(events.map((event) => event.call)).size).toBe(1)
  })
})
