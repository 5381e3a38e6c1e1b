/**
 * The retry driver's events (`onEvent`): what each call says, in order, with one id per call; the hooks as views of
 * the stream; the callback rule; and the clock read only where time can be seen.
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import * as TE from 'fp-ts/TaskEither'
import { describe, expect, it, vi } from 'vitest'
import { active } from '../src/internal/events'
import { Budget, Retry, Schedule, TestClock } from '../src/index'
import type { Clock, Events, Operation } from '../src/index'

/** A call that fails with the given errors, one per attempt, each after `takes` ms, then succeeds with 'ok'. */
const scripted = <Err>(clock: TestClock.TestClock, errors: ReadonlyArray<Err>, takes = 0) => {
  let n = 0
  const call: TE.TaskEither<Err, string> = async () => {
    const i = n++
    if (takes > 0) await clock.sleep(takes)
    return i < errors.length ? E.left(errors[i] as Err) : E.right('ok')
  }
  return { call, attempts: () => n }
}

const record = () => {
  const events: Array<Events.Event> = []
  return { events, onEvent: (event: Events.Event) => void events.push(event) }
}

describe('Retry.retrying({ onEvent })', () => {
  it('tells each attempt, each retry and the success, in order, with one call id and the clock times', async () => {
    const clock = TestClock.make()
    const { call } = scripted(clock, ['503', '503'], 10)
    const { events, onEvent } = record()
    const policy = pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(3)))
    const running = Retry.retrying(call, policy, { clock, onEvent })()
    await clock.runAll()
    expect(await running).toEqual(E.right('ok'))
    const id = events[0]?.call ?? -1
    const at = <T>(e: T) => ({ call: id, ...e })
    expect(events).toEqual([
      at({ _tag: 'AttemptStarted', time: 0, attempt: 1 }),
      at({ _tag: 'AttemptEnded', time: 10, attempt: 1, duration: 10, outcome: 'failure', error: '503' }),
      at({
        _tag: 'RetryScheduled',
        time: 10,
        attempt: 1,
        error: '503',
        delay: 100,
        elapsed: 10,
        source: 'schedule',
      }),
      at({ _tag: 'AttemptStarted', time: 110, attempt: 2 }),
      at({ _tag: 'AttemptEnded', time: 120, attempt: 2, duration: 10, outcome: 'failure', error: '503' }),
      at({
        _tag: 'RetryScheduled',
        time: 120,
        attempt: 2,
        error: '503',
        delay: 200,
        elapsed: 120,
        source: 'schedule',
      }),
      at({ _tag: 'AttemptStarted', time: 320, attempt: 3 }),
      at({ _tag: 'AttemptEnded', time: 330, attempt: 3, duration: 10, outcome: 'success', error: undefined }),
      at({ _tag: 'CallSucceeded', time: 330, attempts: 3, elapsed: 330 }),
    ])
  })

  it('gives every call of one wrapped operation its own id', async () => {
    const { events, onEvent } = record()
    const op = Retry.retrying(TE.right(1), Schedule.recurs(1), { onEvent })
    await op()
    await op()
    const ids = events.filter((e) => e._tag === 'CallSucceeded').map((e) => e.call)
    expect(ids).toHaveLength(2)
    expect(ids[0]).not.toBe(ids[1])
  })

  it('says a delay came from the hint when waitForHint raised it, and gives up with the reason', async () => {
    const clock = TestClock.make()
    const hinted = { _tag: 'HttpError', status: 429, retryAfter: O.some(2_000) }
    const plain = { _tag: 'HttpError', status: 503, retryAfter: O.none }
    const { call } = scripted(clock, [hinted, plain, plain])
    const { events, onEvent } = record()
    const policy = pipe(Schedule.spaced(100), Schedule.intersect(Schedule.recurs(2)), Schedule.waitForHint(5_000))
    const running = Retry.retrying(call, policy, { clock, onEvent })()
    await clock.runAll()
    expect(E.isLeft(await running)).toBe(true)
    const retries = events.flatMap((e) => (e._tag === 'RetryScheduled' ? [[e.delay, e.source]] : []))
    expect(retries).toEqual([
      [2_000, 'hint'],
      [100, 'schedule'],
    ])
    const last = events.at(-1)
    expect(last).toMatchObject({ _tag: 'GaveUp', attempt: 3, error: plain, reason: { _tag: 'ScheduleDone' } })
  })

  it('tells each budget decision with the tokens left, and a refusal as the reason it gave up', async () => {
    const clock = TestClock.make()
    // 10 tokens, 5 per retry: two retries granted, the third refused
    const budget = Budget.tokenBucket({ capacity: 10, retryCost: 5, timeoutCost: 5 })()
    const { call } = scripted(clock, ['a', 'b', 'c', 'd'])
    const { events, onEvent } = record()
    const running = Retry.retrying(call, Schedule.recurs(5), { clock, budget, onEvent })()
    await clock.runAll()
    expect(await running).toEqual(E.left('c'))
    const decisions = events.flatMap((e) =>
      e._tag === 'BudgetGranted' || e._tag === 'BudgetRefused' ? [[e._tag, e.tokens]] : [],
    )
    expect(decisions).toEqual([
      ['BudgetGranted', 5],
      ['BudgetGranted', 0],
      ['BudgetRefused', 0],
    ])
    expect(events.at(-1)).toMatchObject({
      _tag: 'GaveUp',
      attempt: 3,
      reason: { _tag: 'BudgetExhausted', kind: 'TokenBucket', tokens: 0 },
    })
  })

  it('tells an abort during the backoff, and one during an attempt, as CallAborted with its reason', async () => {
    const clock = TestClock.make()
    const failing: ReaderTaskEither<Operation.Env, string, never> = () => TE.left('503')
    const { events, onEvent } = record()
    const controller = new AbortController()
    const running = Retry.retrying(failing, Schedule.spaced(1_000), { clock, onEvent })({ signal: controller.signal })()
    await clock.whenSleeping()
    controller.abort('bye')
    expect(await running).toEqual(E.left({ _tag: 'Aborted', reason: 'bye', lastError: O.some('503') }))
    expect(events.map((e) => e._tag)).toEqual(['AttemptStarted', 'AttemptEnded', 'RetryScheduled', 'CallAborted'])
    expect(events.at(-1)).toMatchObject({ _tag: 'CallAborted', attempts: 1, reason: 'bye' })

    const hanging: ReaderTaskEither<Operation.Env, string, never> = () => () => new Promise(() => undefined)
    const second = record()
    const inFlight = new AbortController()
    const stuck = Retry.retrying(hanging, Schedule.recurs(1), { clock, onEvent: second.onEvent })({
      signal: inFlight.signal,
    })()
    inFlight.abort('gone')
    expect(await stuck).toEqual(E.left({ _tag: 'Aborted', reason: 'gone', lastError: O.none }))
    expect(second.events.map((e) => (e._tag === 'AttemptEnded' ? e.outcome : e._tag))).toEqual([
      'AttemptStarted',
      'aborted',
      'CallAborted',
    ])
  })

  it('onRetry and onGiveUp hear the same RetryScheduled and GaveUp events as onEvent', async () => {
    const clock = TestClock.make()
    const { call } = scripted(clock, ['x', 'y'])
    const { events, onEvent } = record()
    const retried: Array<unknown> = []
    const gaveUp: Array<unknown> = []
    const running = Retry.retrying(call, Schedule.recurs(1), {
      clock,
      onEvent,
      onRetry: (e) => retried.push(e),
      onGiveUp: (e) => gaveUp.push(e),
    })()
    await clock.runAll()
    await running
    expect(retried).toEqual(events.filter((e) => e._tag === 'RetryScheduled'))
    expect(gaveUp).toEqual(events.filter((e) => e._tag === 'GaveUp'))
    expect(retried).toHaveLength(1)
    expect(gaveUp).toHaveLength(1)
  })

  it('keeps the typed result when the listener throws, and reports each throw', async () => {
    // Node 20 has no `reportError`: the callback rule falls back to console.error
    const reported = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    try {
      const clock = TestClock.make()
      const { call } = scripted(clock, ['503'])
      const running = Retry.retrying(call, Schedule.recurs(2), {
        clock,
        onEvent: () => {
          throw new Error('listener bug')
        },
      })()
      await clock.runAll()
      expect(await running).toEqual(E.right('ok'))
      // AttemptStarted, AttemptEnded, RetryScheduled, AttemptStarted, AttemptEnded, CallSucceeded
      expect(reported).toHaveBeenCalledTimes(6)
    } finally {
      reported.mockRestore()
    }
  })

  it('makes the call current while each attempt starts, so a protection inside can find its listener', async () => {
    const seen: Array<number | undefined> = []
    const probe: TE.TaskEither<string, string> = () => {
      seen.push(active<Events.Event>()?.call)
      return Promise.resolve(seen.length < 2 ? E.left('again') : E.right('done'))
    }
    const { events, onEvent } = record()
    await Retry.retrying(probe, Schedule.recurs(2), { onEvent })()
    const id = events[0]?.call
    expect(id).toBeDefined()
    expect(seen).toEqual([id, id])
    // and nothing is current outside the attempts' start
    expect(active()).toBeUndefined()
  })
})

describe('the clock is read only where time can be seen', () => {
  const counting = (inner: Clock.Clock) => {
    let reads = 0
    const clock: Clock.Clock = {
      now: () => {
        reads++
        return inner.now()
      },
      sleep: (ms, signal, purpose) => inner.sleep(ms, signal, purpose),
    }
    return { clock, reads: () => reads }
  }

  it('a timeless schedule with no listener and no status reads no clock, retries included', async () => {
    const { clock, reads } = counting(TestClock.make())
    const { call } = scripted(TestClock.make(), ['a', 'b'])
    const policy = pipe(Schedule.exponential(0), Schedule.intersect(Schedule.recurs(3)), Schedule.jittered())
    expect(policy.timeless).toBe(true)
    expect(await Retry.retrying(call, policy, { clock })()).toEqual(E.right('ok'))
    expect(reads()).toBe(0)
  })

  it('a schedule that reads elapsed gets it measured', async () => {
    const test = TestClock.make()
    const { clock, reads } = counting(test)
    const { call } = scripted(test, ['a', 'b', 'c', 'd'], 40)
    const policy = pipe(Schedule.spaced(10), Schedule.upTo(100))
    expect(policy.timeless).not.toBe(true)
    const running = Retry.retrying(call, policy, { clock })()
    await test.runAll()
    // attempts end at 40, 90, 140: the third failure is past the deadline of 100
    expect(await running).toEqual(E.left('c'))
    expect(reads()).toBeGreaterThan(0)
  })

  it('only the schedules that never read elapsed are timeless, and combinators keep it only if all parts have it', () => {
    expect(Schedule.recurs(1).timeless).toBe(true)
    expect(Schedule.make(0, () => ({ _tag: 'Done', out: 0 })).timeless).toBeUndefined()
    expect(Schedule.fixed(10).timeless).toBeUndefined()
    expect(pipe(Schedule.recurs(1), Schedule.intersect(Schedule.elapsed)).timeless).toBeUndefined()
    expect(pipe(Schedule.recurs(1), Schedule.union(Schedule.spaced(5))).timeless).toBe(true)
    expect(pipe(Schedule.recurs(1), Schedule.upTo(5)).timeless).toBeUndefined()
  })
})
