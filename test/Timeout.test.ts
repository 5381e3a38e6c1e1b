import { pipe } from 'fp-ts/function'
import * as TE from 'fp-ts/TaskEither'
import { describe, expect, it } from 'vitest'
import { timers } from './support/timers'
import { Clock, Operation, Retry, Schedule, TestClock, Timeout } from '../src/index'

/** An attempt that takes `ms` on the clock, honours its signal, and records what it saw. */
const slow = (clock: TestClock.TestClock, ms: number) => {
  const signals: Array<AbortSignal> = []
  // 0.1's `Timeout.Abortable` (`(signal) => TE`) is a cancellable operation, `({ signal }) => TE`
  const action: Operation.Cancellable<Operation.Env, string, string> =
    ({ signal }) =>
    async () => {
      signals.push(signal)
      await clock.sleep(ms, signal)
      return signal.aborted ? { _tag: 'Left', left: 'cancelled' } : { _tag: 'Right', right: 'done' }
    }
  return { action, signals }
}

describe('Timeout.timeout', () => {
  it('fails an attempt that overruns with a typed TimeoutError and aborts its signal with it', async () => {
    const clock = TestClock.make()
    const { action, signals } = slow(clock, 5_000)
    const running = Operation.run(pipe(action, Timeout.timeout(1_000, { clock })))()
    await clock.adjust(999)
    expect(signals[0]?.aborted).toBe(false)
    await clock.adjust(1)
    expect(await running).toEqual({ _tag: 'Left', left: { _tag: 'TimeoutError', timeout: 1_000 } })
    expect(signals[0]?.aborted).toBe(true)
    expect(signals[0]?.reason).toEqual({ _tag: 'TimeoutError', timeout: 1_000 })
    expect(clock.pending()).toBe(0) // the attempt's own sleep ended with the abort
  })

  it('returns the result of an attempt that finishes in time and clears its timer', async () => {
    const clock = TestClock.make()
    const { action } = slow(clock, 300)
    const running = Operation.run(pipe(action, Timeout.timeout(1_000, { clock })))()
    await clock.adjust(300)
    expect(await running).toEqual({ _tag: 'Right', right: 'done' })
    expect(clock.pending()).toBe(0)
  })

  it('keeps the attempt’s own Left', async () => {
    const clock = TestClock.make()
    const result = await Operation.run(pipe((_: Operation.Env) => TE.left('401'), Timeout.timeout(1_000, { clock })))()
    expect(result).toEqual({ _tag: 'Left', left: '401' })
    expect(clock.pending()).toBe(0)
  })

  it('a schedule can retry timeouts: each attempt gets a fresh limit and a fresh signal', async () => {
    const clock = TestClock.make()
    let n = 0
    const action: Operation.Cancellable<Operation.Env, string, string> =
      ({ signal }) =>
      async () => {
        n += 1
        await clock.sleep(n < 3 ? 10_000 : 50, signal)
        return signal.aborted ? { _tag: 'Left', left: 'cancelled' } : { _tag: 'Right', right: `attempt ${n}` }
      }
    const running = pipe(
      action,
      Timeout.timeout(1_000, { clock }),
      Retry.retrying(pipe(Schedule.spaced(100), Schedule.whileInput(Timeout.isTimeoutError)), { clock }),
    )({ signal: new AbortController().signal })()
    await clock.adjust(2_300)
    expect(await running).toEqual({ _tag: 'Right', right: 'attempt 3' })
    expect(clock.now()).toBe(2_300) // 1000 + 100 + 1000 + 100 + 50 = 2250 <= 2300
    expect(clock.pending()).toBe(0)
  })

  it('an outer abort reaches the attempt and clears the timer', async () => {
    const clock = TestClock.make()
    const { action, signals } = slow(clock, 5_000)
    const controller = new AbortController()
    const running = pipe(action, Timeout.timeout(1_000, { clock }))({ signal: controller.signal })()
    await clock.adjust(10)
    controller.abort('bye')
    expect(await running).toEqual({ _tag: 'Left', left: 'cancelled' })
    expect(signals[0]?.reason).toBe('bye')
    expect(clock.pending()).toBe(0)
  })

  it('propagates a defect (a rejection), clearing the timer', async () => {
    const clock = TestClock.make()
    const running = Operation.run(
      pipe((_: Operation.Env) => () => Promise.reject(new Error('bug')), Timeout.timeout(1_000, { clock })),
    )()
    await expect(running).rejects.toThrow('bug')
    expect(clock.pending()).toBe(0)
  })

  it('propagates a defect thrown before the attempt starts, clearing the timer', async () => {
    const clock = TestClock.make()
    const throws: Operation.Cancellable<Operation.Env, string, string> = () => {
      throw new Error('sync bug')
    }
    await expect(Operation.run(pipe(throws, Timeout.timeout(1_000, { clock })))()).rejects.toThrow('sync bug')
    expect(clock.pending()).toBe(0)
  })

  it('an outer signal that has already fired reaches the attempt at once', async () => {
    const clock = TestClock.make()
    const { action, signals } = slow(clock, 5_000)
    const result = await pipe(action, Timeout.timeout(1_000, { clock }))({ signal: AbortSignal.abort('early') })()
    expect(result).toEqual({ _tag: 'Left', left: 'cancelled' })
    expect(signals[0]?.reason).toBe('early')
    expect(clock.now()).toBe(0)
    expect(clock.pending()).toBe(0)
  })

  it('leaves no live timer behind when the attempt wins', async () => {
    const before = timers()
    const result = await Operation.run(
      pipe((_: Operation.Env) => TE.right(1), Timeout.timeout(60_000, { clock: Clock.live })),
    )()
    expect(result).toEqual({ _tag: 'Right', right: 1 })
    expect(timers()).toBe(before)
  })

  it('a plain TaskEither stays a TaskEither: its result in time, the timer cleared', async () => {
    const clock = TestClock.make()
    const fast: TE.TaskEither<string, string> = () => clock.sleep(300).then(() => ({ _tag: 'Right', right: 'done' }))
    const running = pipe(fast, Timeout.timeout(1_000, { clock }))()
    expect(clock.pending('timeout')).toBe(1)
    await clock.adjust(300)
    expect(await running).toEqual({ _tag: 'Right', right: 'done' })
    expect(clock.pending()).toBe(0)
  })

  it('a plain TaskEither that overruns fails with the TimeoutError; it cannot be stopped and its late result is dropped', async () => {
    const clock = TestClock.make()
    let finished = 0
    const hangs: TE.TaskEither<string, string> = () =>
      clock.sleep(5_000).then(() => {
        finished += 1
        return { _tag: 'Right', right: 'late' }
      })
    const results: Array<unknown> = []
    const running = Timeout.timeout(hangs, 1_000, { clock })().then((r) => (results.push(r), r))
    await clock.adjust(1_000)
    expect(await running).toEqual({ _tag: 'Left', left: { _tag: 'TimeoutError', timeout: 1_000 } })
    expect(clock.pending('timeout')).toBe(0)
    expect(clock.pending()).toBe(1) // the TaskEither runs on in the background
    await clock.adjust(4_000)
    expect(finished).toBe(1)
    expect(results).toEqual([{ _tag: 'Left', left: { _tag: 'TimeoutError', timeout: 1_000 } }])
  })

  it('times its limit with the purpose timeout', async () => {
    const clock = TestClock.make()
    const { action } = slow(clock, 5_000)
    const running = pipe(action, Timeout.timeout(1_000, { clock }))({ signal: new AbortController().signal })()
    expect(clock.pending('timeout')).toBe(1)
    expect(clock.pending('backoff')).toBe(0)
    expect(clock.pending()).toBe(2) // the limit and the attempt's own sleep
    await clock.adjust(1_000)
    await running
    expect(clock.pending()).toBe(0)
  })

  it('rejects a nonsense limit at once', () => {
    expect(() => Timeout.timeout(-1)).toThrow(RangeError)
    expect(() => Timeout.timeout(Number.NaN)).toThrow('Timeout.timeout: ms must be')
  })
})
