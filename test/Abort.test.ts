import * as O from 'fp-ts/Option'
import * as TE from 'fp-ts/TaskEither'
import { pipe } from 'fp-ts/function'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Budget, Clock, Retry, Schedule, TestClock } from '../src/index'

/** An action that fails with `'503'` and counts its attempts and the signals it saw. */
const failing = () => {
  const seen: Array<AbortSignal> = []
  const action = (signal: AbortSignal): TE.TaskEither<string, never> => {
    seen.push(signal)
    return TE.left(`503 #${seen.length}`)
  }
  return { action, seen }
}

/** One 5 s backoff on real timers, at most: a broken abort fails the test instead of retrying forever. */
const liveBackoff = pipe(Schedule.spaced(5_000), Schedule.intersect(Schedule.recurs(1)))

// a test that fails while fake timers are on must not leave them on for the others
afterEach(() => {
  vi.useRealTimers()
})

const settledWithinOneTick = async (promise: Promise<unknown>): Promise<boolean> => {
  let settled = false
  void promise.then(() => (settled = true))
  await new Promise((resolve) => setImmediate(resolve))
  return settled
}

describe('Retry.retryingAbortable', () => {
  it('ends a pending 5 s backoff at once: typed Aborted with the reason and the last error, no further attempt', async () => {
    const clock = TestClock.make()
    const controller = new AbortController()
    const { action, seen } = failing()
    const running = Retry.retryingAbortable(Schedule.spaced(5_000), { clock, signal: controller.signal })(action)()
    await clock.whenSleeping()
    await clock.adjust(2_000)
    controller.abort('shutting down')
    expect(await settledWithinOneTick(running)).toBe(true)
    expect(clock.pending()).toBe(0)
    expect(await running).toEqual({
      _tag: 'Left',
      left: { _tag: 'Aborted', reason: 'shutting down', lastError: O.some('503 #1') },
    })
    await clock.adjust(60_000)
    expect(seen).toHaveLength(1)
    expect(clock.now()).toBe(62_000)
  })

  it('never starts an attempt when the signal has already fired', async () => {
    const { action, seen } = failing()
    const result = await Retry.retryingAbortable(Schedule.recurs(3), { signal: AbortSignal.abort('early') })(action)()
    expect(result).toEqual({ _tag: 'Left', left: { _tag: 'Aborted', reason: 'early', lastError: O.none } })
    expect(seen).toHaveLength(0)
  })

  it('hands the same signal to every attempt, and it fires on abort', async () => {
    const clock = TestClock.make()
    const controller = new AbortController()
    const observed: Array<boolean> = []
    const call = Retry.retryingAbortable(Schedule.spaced(10), { clock, signal: controller.signal })(
      (signal, status): TE.TaskEither<string, number> =>
        async () => {
          observed.push(signal === controller.signal)
          await clock.sleep(100, signal) // a slow attempt that honours the signal
          return status.attempt === 2 && signal.aborted
            ? { _tag: 'Left', left: 'cancelled' }
            : { _tag: 'Left', left: 'slow' }
        },
    )
    const running = call()
    await clock.adjust(150) // attempt 1 failed at 100; attempt 2 began at 110
    controller.abort()
    const result = await running
    expect(observed).toEqual([true, true])
    expect(result._tag === 'Left' && Retry.isAborted(result.left) && result.left.lastError).toEqual(O.some('cancelled'))
  })

  it('keeps a success that lands after the abort (the work is done)', async () => {
    const controller = new AbortController()
    const result = await Retry.retryingAbortable(Schedule.recurs(3), { signal: controller.signal })(() => async () => {
      controller.abort()
      return { _tag: 'Right', right: 'ok' }
    })()
    expect(result).toEqual({ _tag: 'Right', right: 'ok' })
  })

  it('ends between zero-delay retries when onRetry aborts', async () => {
    const controller = new AbortController()
    const { action, seen } = failing()
    const result = await Retry.retryingAbortable(Schedule.recurs(5), {
      signal: controller.signal,
      onRetry: (e) => e.attempt === 2 && controller.abort('enough'),
    })(action)()
    expect(seen).toHaveLength(2)
    expect(result).toEqual({ _tag: 'Left', left: { _tag: 'Aborted', reason: 'enough', lastError: O.some('503 #2') } })
  })

  it('behaves as retryingWith when the signal never fires', async () => {
    const { action, seen } = failing()
    const result = await Retry.retryingAbortable(Schedule.recurs(3), { signal: new AbortController().signal })(action)()
    expect(result).toEqual({ _tag: 'Left', left: '503 #4' })
    expect(seen).toHaveLength(4)
  })

  it('spends no budget for a retry it does not start after an abort', async () => {
    const budget = Budget.tokenBucket()()
    const controller = new AbortController()
    const call = Retry.retryingAbortable(Schedule.recurs(3), { signal: controller.signal, budget })(() => {
      controller.abort()
      return TE.left('503')
    })
    await call()
    expect(budget.tokens()).toBe(500)
  })

  it('with the live clock: settles within one tick and leaves no active timer', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timers()
    const controller = new AbortController()
    const { action, seen } = failing()
    let sleeping!: () => void
    const asleep = new Promise<void>((resolve) => (sleeping = resolve))
    const running = Retry.retryingAbortable(liveBackoff, {
      clock: Clock.live,
      signal: controller.signal,
      onRetry: () => queueMicrotask(sleeping),
    })(action)()
    await asleep
    expect(timers()).toBe(before + 1) // the 5 s backoff
    controller.abort()
    expect(await settledWithinOneTick(running)).toBe(true)
    expect(timers()).toBe(before)
    expect(seen).toHaveLength(1)
    expect((await running)._tag).toBe('Left')
  })

  it('with vitest fake timers: no attempt after the abort, however long we wait', async () => {
    vi.useFakeTimers()
    try {
      const controller = new AbortController()
      const { action, seen } = failing()
      const running = Retry.retryingAbortable(Schedule.spaced(5_000), { signal: controller.signal })(action)()
      await vi.advanceTimersByTimeAsync(12_000) // attempts at 0, 5 s, 10 s
      controller.abort()
      await running
      await vi.advanceTimersByTimeAsync(60_000)
      expect(seen).toHaveLength(3)
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })
})

/**
 * Every entry point, given a signal: each builds one call from a schedule, the options and a counting
 * action that fails with `'503 #n'` at attempt n.
 */
type Entry = (
  schedule: Schedule.Schedule<unknown, unknown>,
  options: Retry.SignalOptions<string>,
  attempt: () => TE.TaskEither<string, string>,
) => TE.TaskEither<string | Retry.Aborted<string>, string>

const entries: ReadonlyArray<readonly [string, Entry]> = [
  ['retrying', (schedule, options, attempt) => pipe(() => attempt()(), Retry.retrying(schedule, options))],
  ['retry', (schedule, options, attempt) => Retry.retry(() => attempt()(), schedule, options)],
  ['retryingWith', (schedule, options, attempt) => Retry.retryingWith(schedule, options)(() => attempt())],
  ['retryable', (schedule, options, attempt) => Retry.retryable(schedule, options)((_id: number) => attempt())(7)],
  [
    'retryingOrElse',
    (schedule, options, attempt) =>
      pipe(
        () => attempt()(),
        Retry.retryingOrElse(schedule, (e: string) => TE.left(`fallback after ${e}`), options),
      ),
  ],
  [
    'retryingAbortable',
    (schedule, options, attempt) =>
      Retry.retryingAbortable(schedule, { ...options, signal: options.signal ?? new AbortController().signal })(() =>
        attempt(),
      ),
  ],
]

const counting = () => {
  let attempts = 0
  const attempt = (): TE.TaskEither<string, string> => {
    attempts += 1
    return TE.left(`503 #${attempts}`)
  }
  return { attempt, attempts: () => attempts }
}

describe.each(entries)('%s with a signal', (_, entry) => {
  it('an abort during a 5 s backoff settles at once: typed Aborted with reason and last error, no further attempt', async () => {
    const clock = TestClock.make()
    const controller = new AbortController()
    const { attempt, attempts } = counting()
    const retries: Array<number> = []
    const gaveUp: Array<unknown> = []
    const running = entry(
      Schedule.spaced(5_000),
      { clock, signal: controller.signal, onRetry: (e) => retries.push(e.attempt), onGiveUp: (e) => gaveUp.push(e) },
      attempt,
    )()
    await clock.adjust(12_000) // attempts at 0, 5 s and 10 s; asleep until 15 s
    expect(attempts()).toBe(3)
    expect(clock.pending()).toBe(1)
    controller.abort('shutting down')
    expect(await settledWithinOneTick(running)).toBe(true)
    expect(clock.pending()).toBe(0) // the backoff sleep was removed from the clock
    expect(clock.now()).toBe(12_000)
    expect(await running).toEqual({
      _tag: 'Left',
      left: { _tag: 'Aborted', reason: 'shutting down', lastError: O.some('503 #3') },
    })
    await clock.adjust(60_000)
    expect(attempts()).toBe(3)
    expect(retries).toEqual([1, 2, 3])
    expect(gaveUp).toEqual([]) // an abort is not a give-up
  })

  it('with the live clock: the abort clears the backoff timer and settles within one tick', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timers()
    const controller = new AbortController()
    const { attempt, attempts } = counting()
    let sleeping!: () => void
    const asleep = new Promise<void>((resolve) => (sleeping = resolve))
    const running = entry(
      liveBackoff,
      { clock: Clock.live, signal: controller.signal, onRetry: () => queueMicrotask(sleeping) },
      attempt,
    )()
    await asleep
    expect(timers()).toBe(before + 1)
    controller.abort('bye')
    expect(await settledWithinOneTick(running)).toBe(true)
    expect(timers()).toBe(before)
    expect(attempts()).toBe(1)
    expect(await running).toEqual({
      _tag: 'Left',
      left: { _tag: 'Aborted', reason: 'bye', lastError: O.some('503 #1') },
    })
  })

  it('an already-aborted signal makes no attempt', async () => {
    const { attempt, attempts } = counting()
    const reason = new Error('gone')
    const result = await entry(Schedule.recurs(3), { signal: AbortSignal.abort(reason) }, attempt)()
    expect(result).toEqual({ _tag: 'Left', left: { _tag: 'Aborted', reason, lastError: O.none } })
    expect(attempts()).toBe(0)
  })

  it('the default reason is the signal’s AbortError', async () => {
    const controller = new AbortController()
    const { attempt } = counting()
    const running = entry(Schedule.spaced(1_000), { clock: TestClock.make(), signal: controller.signal }, attempt)()
    controller.abort()
    expect(await settledWithinOneTick(running)).toBe(true)
    const result = await running
    expect(result._tag === 'Left' && Retry.isAborted(result.left) && result.left.reason).toBe(controller.signal.reason)
    expect((controller.signal.reason as DOMException).name).toBe('AbortError')
  })

  it('a signal that never fires changes nothing: the last error, or the fallback', async () => {
    const { attempt, attempts } = counting()
    const result = await entry(Schedule.recurs(2), { signal: new AbortController().signal }, attempt)()
    expect(attempts()).toBe(3)
    expect(result).toEqual({ _tag: 'Left', left: _ === 'retryingOrElse' ? 'fallback after 503 #3' : '503 #3' })
  })

  it('a signal: undefined behaves as no signal', async () => {
    const { attempt, attempts } = counting()
    const clock = TestClock.make()
    const running = entry(Schedule.spaced(10), { clock, signal: undefined }, attempt)()
    await clock.adjust(25)
    expect(attempts()).toBe(3)
    void running
  })
})

describe('Retry without a signal', () => {
  it('keeps its old behaviour', async () => {
    let n = 0
    const result = await pipe(
      TE.fromIO(() => ++n),
      TE.chain((k) => (k < 3 ? TE.left(k) : TE.right(k))),
      Retry.retrying(Schedule.recurs(5)),
    )()
    expect(result).toEqual({ _tag: 'Right', right: 3 })
  })
})
