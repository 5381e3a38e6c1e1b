import * as E from 'fp-ts/Either'
import * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import * as TE from 'fp-ts/TaskEither'
import { pipe } from 'fp-ts/function'
import { setFlagsFromString } from 'node:v8'
import { getEventListeners } from 'node:events'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { settledWithinOneTick } from './support/settle'
import { timers } from './support/timers'
import { Budget, Clock, Operation, Retry, Schedule, TestClock } from '../src/index'
import { onAbort } from '../src/internal/abort'

/** A cancellable action that fails with `'503'` and counts its attempts and the signals it saw. */
const failing = () => {
  const seen: Array<AbortSignal> = []
  const action = ({ signal }: Operation.Env): TE.TaskEither<string, never> => {
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

// 0.1's `retryingAbortable(schedule, { signal })((signal, status) => te)` is now `retryingWith(schedule)((status) => rte)`,
// run with `({ signal })`
describe('Retry.retryingWith on a cancellable operation', () => {
  it('ends a pending 5 s backoff at once: typed Aborted with the reason and the last error, no further attempt', async () => {
    const clock = TestClock.make()
    const controller = new AbortController()
    const { action, seen } = failing()
    const running = Retry.retryingWith(Schedule.spaced(5_000), { clock })(() => action)({ signal: controller.signal })()
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
    const result = await Retry.retryingWith(Schedule.recurs(3))(() => action)({ signal: AbortSignal.abort('early') })()
    expect(result).toEqual({ _tag: 'Left', left: { _tag: 'Aborted', reason: 'early', lastError: O.none } })
    expect(seen).toHaveLength(0)
  })

  it('hands the same signal to every attempt, and it fires on abort', async () => {
    const clock = TestClock.make()
    const controller = new AbortController()
    const observed: Array<boolean> = []
    const call = Retry.retryingWith(Schedule.spaced(10), { clock })(
      (status: Retry.RetryStatus<string>) =>
        ({ signal }: Operation.Env): TE.TaskEither<string, number> =>
        async () => {
          observed.push(signal === controller.signal)
          await clock.sleep(100, signal) // a slow attempt that honours the signal
          return status.attempt === 2 && signal.aborted
            ? { _tag: 'Left', left: 'cancelled' }
            : { _tag: 'Left', left: 'slow' }
        },
    )
    const running = call({ signal: controller.signal })()
    await clock.adjust(150) // attempt 1 failed at 100; attempt 2 began at 110
    controller.abort()
    const result = await running
    expect(observed).toEqual([true, true])
    // 0.2: the attempt in flight is raced against the signal and no longer awaited, so the last error is attempt 1's
    expect(result._tag === 'Left' && Retry.isAborted(result.left) && result.left.lastError).toEqual(O.some('slow'))
  })

  it('keeps a success that lands after the abort (the work is done)', async () => {
    const controller = new AbortController()
    const result = await Retry.retryingWith(Schedule.recurs(3))(
      () =>
        (_: Operation.Env): TE.TaskEither<never, string> =>
        async () => {
          controller.abort()
          return { _tag: 'Right', right: 'ok' }
        },
    )({ signal: controller.signal })()
    expect(result).toEqual({ _tag: 'Right', right: 'ok' })
  })

  it('ends between zero-delay retries when onRetry aborts', async () => {
    const controller = new AbortController()
    const { action, seen } = failing()
    const result = await Retry.retryingWith(Schedule.recurs(5), {
      onRetry: (e) => e.attempt === 2 && controller.abort('enough'),
    })(() => action)({ signal: controller.signal })()
    expect(seen).toHaveLength(2)
    expect(result).toEqual({ _tag: 'Left', left: { _tag: 'Aborted', reason: 'enough', lastError: O.some('503 #2') } })
  })

  it('behaves as without a signal when the signal never fires', async () => {
    const { action, seen } = failing()
    const result = await Retry.retryingWith(Schedule.recurs(3))(() => action)({
      signal: new AbortController().signal,
    })()
    expect(result).toEqual({ _tag: 'Left', left: '503 #4' })
    expect(seen).toHaveLength(4)
  })

  it('spends no budget for a retry it does not start after an abort', async () => {
    const budget = Budget.tokenBucket()()
    const controller = new AbortController()
    const call = Retry.retryingWith(Schedule.recurs(3), { budget })(() => (_: Operation.Env) => {
      controller.abort()
      return TE.left('503')
    })
    await call({ signal: controller.signal })()
    expect(budget.tokens()).toBe(500)
  })

  it('with the live clock: settles within one tick and leaves no active timer', async () => {
    const before = timers()
    const controller = new AbortController()
    const { action, seen } = failing()
    let sleeping!: () => void
    const asleep = new Promise<void>((resolve) => (sleeping = resolve))
    const running = Retry.retryingWith(liveBackoff, {
      clock: Clock.live,
      onRetry: () => queueMicrotask(sleeping),
    })(() => action)({ signal: controller.signal })()
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
      const running = Retry.retryingWith(Schedule.spaced(5_000))(() => action)({ signal: controller.signal })()
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
 * Every entry point, given a cancellable operation: each builds one call from a schedule, the options and a
 * counting action that fails with `'503 #n'` at attempt n. The signal comes at run time: `entry(...)({ signal })()`.
 */
type Entry = (
  schedule: Schedule.Schedule<unknown, unknown>,
  options: Retry.RetryOptions<string>,
  attempt: () => TE.TaskEither<string, string>,
) => ReaderTaskEither<Operation.Env, string | Retry.Aborted<string>, string>

const entries: ReadonlyArray<readonly [string, Entry]> = [
  [
    'retrying',
    (schedule, options, attempt) => pipe((_: Operation.Env) => attempt(), Retry.retrying(schedule, options)),
  ],
  // 0.1's data-first `Retry.retry` is the data-first `Retry.retrying`
  [
    'retrying (data-first)',
    (schedule, options, attempt) => Retry.retrying((_: Operation.Env) => attempt(), schedule, options),
  ],
  [
    'retryingWith',
    (schedule, options, attempt) => Retry.retryingWith(schedule, options)(() => (_: Operation.Env) => attempt()),
  ],
  [
    'retryingWith (data-first)',
    (schedule, options, attempt) => Retry.retryingWith(() => (_: Operation.Env) => attempt(), schedule, options),
  ],
  [
    'retryable',
    (schedule, options, attempt) =>
      Retry.retryable(schedule, options)((_id: number) => (_: Operation.Env) => attempt())(7),
  ],
  [
    'retryable (data-first)',
    (schedule, options, attempt) =>
      Retry.retryable((_id: number) => (_: Operation.Env) => attempt(), schedule, options)(7),
  ],
  [
    'retryingOrElse',
    (schedule, options, attempt) =>
      pipe(
        (_: Operation.Env) => attempt(),
        Retry.retryingOrElse(schedule, (e: string) => TE.left(`fallback after ${e}`), options),
      ),
  ],
  [
    'retryingOrElse (data-first)',
    (schedule, options, attempt) =>
      Retry.retryingOrElse(
        (_: Operation.Env) => attempt(),
        schedule,
        (e: string) => TE.left(`fallback after ${e}`),
        options,
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

describe.each(entries)('%s run with a signal', (_, entry) => {
  it('an abort during a 5 s backoff settles at once: typed Aborted with reason and last error, no further attempt', async () => {
    const clock = TestClock.make()
    const controller = new AbortController()
    const { attempt, attempts } = counting()
    const retries: Array<number> = []
    const gaveUp: Array<unknown> = []
    const running = entry(
      Schedule.spaced(5_000),
      { clock, onRetry: (e) => retries.push(e.attempt), onGiveUp: (e) => gaveUp.push(e) },
      attempt,
    )({ signal: controller.signal })()
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
    const before = timers()
    const controller = new AbortController()
    const { attempt, attempts } = counting()
    let sleeping!: () => void
    const asleep = new Promise<void>((resolve) => (sleeping = resolve))
    const running = entry(
      liveBackoff,
      { clock: Clock.live, onRetry: () => queueMicrotask(sleeping) },
      attempt,
    )({
      signal: controller.signal,
    })()
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
    const result = await entry(Schedule.recurs(3), {}, attempt)({ signal: AbortSignal.abort(reason) })()
    expect(result).toEqual({ _tag: 'Left', left: { _tag: 'Aborted', reason, lastError: O.none } })
    expect(attempts()).toBe(0)
  })

  it('the default reason is the signal’s AbortError', async () => {
    const controller = new AbortController()
    const { attempt } = counting()
    const running = entry(Schedule.spaced(1_000), { clock: TestClock.make() }, attempt)({ signal: controller.signal })()
    controller.abort()
    expect(await settledWithinOneTick(running)).toBe(true)
    const result = await running
    expect(result._tag === 'Left' && Retry.isAborted(result.left) && result.left.reason).toBe(controller.signal.reason)
    expect((controller.signal.reason as DOMException).name).toBe('AbortError')
  })

  it('a signal that never fires changes nothing: the last error, or the fallback', async () => {
    const { attempt, attempts } = counting()
    const result = await entry(Schedule.recurs(2), {}, attempt)({ signal: new AbortController().signal })()
    expect(attempts()).toBe(3)
    expect(result).toEqual({ _tag: 'Left', left: _.startsWith('retryingOrElse') ? 'fallback after 503 #3' : '503 #3' })
  })

  // 0.1's `signal: undefined` option is gone: a run with no signal to give is `Operation.run` (a signal that never fires)
  it('Operation.run (a signal that never fires) behaves as no signal', async () => {
    const { attempt, attempts } = counting()
    const clock = TestClock.make()
    const running = Operation.run(entry(Schedule.spaced(10), { clock }, attempt))()
    await clock.adjust(25)
    expect(attempts()).toBe(3)
    void running
  })
})

/** The garbage collector, exposed at run time (as `--expose-gc` would). */
const collectGarbage = (): (() => void) => {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

describe('a long call with a signal', () => {
  // RED with the current src: each attempt races against the call's one `fired` promise, which never settles,
  // and every `Promise.race` leaves a reaction on it until the call ends (about 0.35 kB per attempt)
  it('50,000 immediate retries with a signal keep the memory flat, as without one', async () => {
    const gc = collectGarbage()
    /** The heap growth between attempt 5,000 and attempt 50,000 of one call. */
    const growth = async (run: (options: Retry.RetryOptions<string>) => Promise<unknown>): Promise<number> => {
      const heap: Array<number> = []
      await run({
        onRetry: (e) => {
          if (e.attempt === 5_000 || e.attempt === 50_000) {
            gc()
            heap.push(process.memoryUsage().heapUsed)
          }
        },
      })
      const [early = 0, late = 0] = heap
      return late - early
    }
    const policy = Schedule.recurs(50_000)
    const plain = await growth((options) => Retry.retrying(TE.left('503'), policy, options)())
    const cancellable = await growth((options) =>
      Retry.retrying((_: Operation.Env) => TE.left('503'), policy, options)({ signal: new AbortController().signal })(),
    )
    expect(plain).toBeLessThan(3_000_000) // bytes, for 45,000 more attempts: the measure itself is sound
    expect(cancellable).toBeLessThan(3_000_000)
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

describe('one listener per signal (internal/abort.ts)', () => {
  it('fires subscribers in order, spares one unsubscribed by an earlier one, and leaves no listener', () => {
    const controller = new AbortController()
    const heard: Array<string> = []
    const releaseC = { current: (): void => undefined }
    const releaseA = onAbort(controller.signal, () => {
      heard.push('a')
      releaseC.current() // unsubscribes a later subscriber while the signal fires
    })
    onAbort(controller.signal, () => heard.push('b'))
    releaseC.current = onAbort(controller.signal, () => heard.push('c'))
    onAbort(controller.signal, () => heard.push('d'))
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    controller.abort()
    expect(heard).toEqual(['a', 'b', 'd'])
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    releaseA() // a no-op once fired
  })

  it('removes the one listener with the last subscriber, and adds it again for the next', () => {
    const controller = new AbortController()
    const heard: Array<number> = []
    const releases = [1, 2, 3].map((n) => onAbort(controller.signal, () => heard.push(n)))
    releases[1]?.()
    releases[1]?.() // twice: a no-op
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    releases[0]?.()
    releases[2]?.()
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    onAbort(controller.signal, () => heard.push(4))
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    controller.abort()
    expect(heard).toEqual([4])
  })

  it('keeps other signals apart', () => {
    const [one, two] = [new AbortController(), new AbortController()]
    const heard: Array<string> = []
    onAbort(one.signal, () => heard.push('one'))
    const release = onAbort(two.signal, () => heard.push('two'))
    one.abort()
    release()
    two.abort()
    expect(heard).toEqual(['one'])
    expect(getEventListeners(two.signal, 'abort')).toHaveLength(0)
  })
})

describe('an attempt that fires the signal itself', () => {
  it('ends the call with Aborted and leaves no listener, whether the attempt hangs or settles', async () => {
    const controller = new AbortController()
    const hangs = (_: Operation.Env): TE.TaskEither<string, never> => {
      controller.abort('from inside')
      return () => new Promise(() => undefined)
    }
    const result = await Retry.retrying(hangs, Schedule.recurs(3))({ signal: controller.signal })()
    expect(result).toEqual({ _tag: 'Left', left: { _tag: 'Aborted', reason: 'from inside', lastError: O.none } })
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)

    const other = new AbortController()
    const fails = (_: Operation.Env): TE.TaskEither<string, never> => {
      other.abort('from inside')
      return TE.left('503')
    }
    const settled = await Retry.retrying(fails, Schedule.recurs(3))({ signal: other.signal })()
    expect(E.isLeft(settled) && Retry.isAborted(settled.left)).toBe(true)
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(0)
  })
})
