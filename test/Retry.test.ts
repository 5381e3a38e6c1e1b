import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import * as TE from 'fp-ts/TaskEither'
import { describe, expect, it } from 'vitest'
import { Random, Retry, Schedule, TestClock } from '../src/index'
import type { Clock, Events } from '../src/index'

/** An action that fails `failures` times (error = the attempt number), then succeeds; it records when each attempt starts. */
const flaky = (clock: Clock.Clock, failures: number, options: { readonly takes?: number } = {}) => {
  const starts: Array<number> = []
  const action: TE.TaskEither<number, string> = async () => {
    starts.push(clock.now())
    const attempt = starts.length
    if (options.takes !== undefined) await clock.sleep(options.takes)
    return attempt <= failures ? E.left(attempt) : E.right(`ok after ${attempt}`)
  }
  return { action, starts, calls: () => starts.length }
}

/** A clock that logs every sleep and refuses to sleep when asked to. */
const spyClock = (inner: Clock.Clock = TestClock.make(), log: Array<string> = []) => {
  const sleeps: Array<number> = []
  const purposes: Array<string | undefined> = []
  const clock: Clock.Clock = {
    now: () => inner.now(),
    sleep: (ms, signal, purpose) => {
      sleeps.push(ms)
      purposes.push(purpose)
      log.push(`sleep ${ms}`)
      return inner.sleep(ms, signal, purpose)
    },
  }
  return { clock, sleeps, purposes, log }
}

const run = async <A>(clock: TestClock.TestClock, task: () => Promise<A>): Promise<A> => {
  const running = task()
  await clock.runAll()
  return running
}

describe('Retry.retrying in virtual time', () => {
  it('exponential(100) intersect recurs(4) starts attempts at 0, 100, 300, 700, 1500 ms', async () => {
    const clock = TestClock.make()
    const { action, starts } = flaky(clock, Infinity)
    const policy = pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(4)))
    const result = await run(clock, pipe(action, Retry.retrying(policy, { clock })))
    expect(starts).toEqual([0, 100, 300, 700, 1500])
    expect(result).toEqual(E.left(5))
    expect(clock.now()).toBe(1500)
  })

  it('one schedule value serves concurrent calls: each runs it from its start, with its own deadline', async () => {
    const clock = TestClock.make()
    const policy = pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(5)), Schedule.upTo(320))
    const a = flaky(clock, Infinity)
    const b = flaky(clock, Infinity)
    const runningA = pipe(a.action, Retry.retrying(policy, { clock }))()
    await clock.adjust(50)
    const runningB = pipe(b.action, Retry.retrying(policy, { clock }))()
    await clock.runAll()
    // each call's deadline counts from its own first attempt: b's third attempt, at 350, is 300 ms after b began
    // (within 320) though 350 ms after a began; the next would start 700 ms in, past the deadline for both
    expect(a.starts).toEqual([0, 100, 300])
    expect(b.starts).toEqual([50, 150, 350])
    expect(await runningA).toEqual(E.left(3))
    expect(await runningB).toEqual(E.left(3))
  })

  it('does not start an attempt before its instant', async () => {
    const clock = TestClock.make()
    const { action, calls } = flaky(clock, Infinity)
    const running = pipe(
      action,
      Retry.retrying(pipe(Schedule.spaced(100), Schedule.intersect(Schedule.recurs(2))), { clock }),
    )()
    await clock.adjust(99)
    expect(calls()).toBe(1)
    await clock.adjust(1)
    expect(calls()).toBe(2)
    await clock.adjust(99)
    expect(calls()).toBe(2)
    await clock.adjust(1)
    expect(calls()).toBe(3)
    expect(await running).toEqual(E.left(3))
  })

  it('upTo counts from the first attempt start, including the time attempts take', async () => {
    const clock = TestClock.make()
    // each attempt takes 50 ms: 0-50, sleep 100, 150-200, sleep 100, 300-350; 350 + 100 > 400 so it gives up
    const { action, starts } = flaky(clock, Infinity, { takes: 50 })
    const policy = pipe(Schedule.spaced(100), Schedule.upTo(400))
    const result = await run(clock, pipe(action, Retry.retrying(policy, { clock })))
    expect(starts).toEqual([0, 150, 300])
    expect(result).toEqual(E.left(3))
    expect(clock.now()).toBe(350)
  })

  it('stops at the first success, without a further sleep', async () => {
    const clock = TestClock.make()
    const { action, starts } = flaky(clock, 2)
    const result = await run(clock, pipe(action, Retry.retrying(Schedule.spaced(1000), { clock })))
    expect(result).toEqual(E.right('ok after 3'))
    expect(starts).toEqual([0, 1000, 2000])
    expect(clock.now()).toBe(2000)
    expect(clock.pending()).toBe(0)
  })

  it('a first success runs the action once and never touches the clock', async () => {
    const { clock, sleeps } = spyClock()
    const { action, calls } = flaky(clock, 0)
    expect(await pipe(action, Retry.retrying(Schedule.spaced(1000), { clock }))()).toEqual(E.right('ok after 1'))
    expect(calls()).toBe(1)
    expect(sleeps).toEqual([])
  })

  it('returns the last error when the schedule gives up', async () => {
    const clock = TestClock.make()
    const errors = ['first', 'second', 'third']
    let i = 0
    const action: TE.TaskEither<string, never> = TE.leftIO(() => errors[i++] ?? 'more')
    const result = await run(clock, pipe(action, Retry.retrying(Schedule.fromDelays(10, 20), { clock })))
    expect(result).toEqual(E.left('third'))
    expect(i).toBe(3)
  })

  it('is lazy: nothing runs before the TaskEither is called, and each call retries afresh', async () => {
    const clock = TestClock.make()
    const { action, starts, calls } = flaky(clock, Infinity)
    const retried = pipe(
      action,
      Retry.retrying(pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(2))), { clock }),
    )
    await clock.runAll()
    expect(calls()).toBe(0)
    expect(await run(clock, retried)).toEqual(E.left(3))
    expect(calls()).toBe(3)
    expect(await run(clock, retried)).toEqual(E.left(6))
    expect(calls()).toBe(6)
    // the second run starts its schedule from the beginning: 100 then 200 again
    expect(starts).toEqual([0, 100, 300, 300, 400, 600])
  })

  it('onRetry sees attempt, error, delay and elapsed before each sleep starts', async () => {
    const test = TestClock.make()
    const log: Array<string> = []
    const { clock } = spyClock(test, log)
    const events: Array<Retry.RetryEvent<number>> = []
    const pendingAtHook: Array<number> = []
    const { action } = flaky(test, 3, { takes: 10 })
    const logged: TE.TaskEither<number, string> = () => {
      log.push('attempt')
      return action()
    }
    const policy = pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(5)))
    const result = await run(
      test,
      Retry.retrying(logged, policy, {
        clock,
        onRetry: (event) => {
          events.push(event)
          log.push(`onRetry ${event.attempt}`)
          pendingAtHook.push(test.pending())
        },
      }),
    )
    expect(result).toEqual(E.right('ok after 4'))
    // the hook hears the stream's RetryScheduled events (a view of `onEvent`), one call id for the whole run
    const call = events[0] === undefined ? 0 : (events[0] as Events.RetryScheduled).call
    const scheduled = (attempt: number, delay: number, elapsed: number) =>
      ({
        _tag: 'RetryScheduled',
        call,
        time: elapsed,
        attempt,
        error: attempt,
        delay,
        elapsed,
        source: 'schedule',
      }) as const
    expect(events).toEqual([scheduled(1, 100, 10), scheduled(2, 200, 120), scheduled(3, 400, 330)])
    // (the attempts' own 10 ms sleeps go to the inner clock, unlogged): each hook call precedes the retry's sleep
    expect(log).toEqual([
      'attempt',
      'onRetry 1',
      'sleep 100',
      'attempt',
      'onRetry 2',
      'sleep 200',
      'attempt',
      'onRetry 3',
      'sleep 400',
      'attempt',
    ])
    expect(pendingAtHook).toEqual([0, 0, 0])
  })

  it('onRetry is not called when the schedule gives up or on success', async () => {
    const clock = TestClock.make()
    const { action } = flaky(clock, Infinity)
    const attempts: Array<number> = []
    await run(clock, Retry.retrying(action, Schedule.recurs(2), { clock, onRetry: (e) => attempts.push(e.attempt) }))
    expect(attempts).toEqual([1, 2])
  })

  it('passes the random source to the schedule', async () => {
    const test = TestClock.make()
    const { clock, sleeps } = spyClock(test)
    const { action } = flaky(test, Infinity)
    const policy = pipe(Schedule.spaced(1000), Schedule.intersect(Schedule.recurs(3)), Schedule.jittered(0.5, 1.5))
    await run(test, pipe(action, Retry.retrying(policy, { clock, random: Random.constant(0.25) })))
    expect(sleeps).toEqual([750, 750, 750])
  })

  it('sleeps with the purpose backoff', async () => {
    const test = TestClock.make()
    const { clock, sleeps, purposes } = spyClock(test)
    const { action } = flaky(test, Infinity)
    await run(test, pipe(action, Retry.retrying(Schedule.fromDelays(10, 20), { clock })))
    expect(sleeps).toEqual([10, 20])
    expect(purposes).toEqual(['backoff', 'backoff'])
  })

  it('a zero delay never calls clock.sleep', async () => {
    const { clock, sleeps } = spyClock()
    const { action, calls } = flaky(clock, Infinity)
    expect(await pipe(action, Retry.retrying(Schedule.recurs(5), { clock }))()).toEqual(E.left(6))
    expect(calls()).toBe(6)
    expect(
      await pipe(action, Retry.retrying(pipe(Schedule.spaced(0), Schedule.intersect(Schedule.recurs(3))), { clock }))(),
    ).toEqual(E.left(10))
    expect(sleeps).toEqual([])
  })

  it('sleeps only the non-zero delays', async () => {
    const test = TestClock.make()
    const { clock, sleeps } = spyClock(test)
    const { action } = flaky(test, Infinity)
    const result = await run(test, pipe(action, Retry.retrying(Schedule.fromDelays(0, 10, 0, 5), { clock })))
    expect(result).toEqual(E.left(5))
    expect(sleeps).toEqual([10, 5])
  })

  it('100,000 immediate retries finish without a stack overflow', async () => {
    const { clock, sleeps } = spyClock()
    let calls = 0
    const action: TE.TaskEither<number, never> = () => Promise.resolve(E.left(++calls))
    const result = await pipe(action, Retry.retrying(Schedule.recurs(100_000), { clock }))()
    expect(result).toEqual(E.left(100_001))
    expect(calls).toBe(100_001)
    expect(sleeps).toEqual([])
  })

  it('100,000 immediate retries of a synchronously resolving TaskEither (TE.left) do not overflow either', async () => {
    let calls = 0
    const action: TE.TaskEither<string, never> = TE.leftIO(() => `e${++calls}`)
    const result = await pipe(action, Retry.retrying(Schedule.recurs(100_000), { clock: spyClock().clock }))()
    expect(result).toEqual(E.left('e100001'))
  })

  it('sanitizes a NaN or negative delay from a custom schedule: no sleep, onRetry sees 0', async () => {
    const { clock, sleeps } = spyClock()
    const bad = [NaN, -5, -Infinity]
    const custom = Schedule.make(0, (i: number) =>
      i < bad.length ? { _tag: 'Continue', delay: bad[i] ?? 0, out: i, state: i + 1 } : { _tag: 'Done', out: i },
    )
    const delays: Array<number> = []
    const { action } = flaky(clock, Infinity)
    const result = await Retry.retrying(action, custom, { clock, onRetry: (e) => delays.push(e.delay) })()
    expect(result).toEqual(E.left(4))
    expect(delays).toEqual([0, 0, 0])
    expect(sleeps).toEqual([])
  })

  it('sanitizes an infinite delay to MAX_DELAY', async () => {
    const test = TestClock.make()
    const { clock, sleeps } = spyClock(test)
    const custom = Schedule.make(0, (i: number) =>
      i < 1 ? { _tag: 'Continue', delay: Infinity, out: i, state: i + 1 } : { _tag: 'Done', out: i },
    )
    const { action } = flaky(test, Infinity)
    const result = await run(test, Retry.retrying(action, custom, { clock }))
    expect(result).toEqual(E.left(2))
    expect(sleeps).toEqual([Schedule.MAX_DELAY])
  })

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an object with no tag', { value: 1 }],
    ['an Option', { _tag: 'None' }],
  ])(
    'a TaskEither that resolves to %s is a defect: not retried, it rejects naming what came back',
    async (_, value) => {
      const { clock, sleeps } = spyClock()
      let calls = 0
      const action = (() => {
        calls++
        return Promise.resolve(value)
      }) as unknown as TE.TaskEither<string, never>
      await expect(pipe(action, Retry.retrying(Schedule.recurs(5), { clock }))()).rejects.toThrow(
        /^Retry: the operation resolved to .+, not an Either/,
      )
      expect(calls).toBe(1)
      expect(sleeps).toEqual([])
    },
  )

  it('a rejecting TaskEither is not retried: the rejection propagates unchanged', async () => {
    const { clock, sleeps } = spyClock()
    const defect = new TypeError('broken contract')
    let calls = 0
    const action: TE.TaskEither<string, never> = () => {
      calls++
      return Promise.reject(defect)
    }
    await expect(pipe(action, Retry.retrying(Schedule.recurs(5), { clock }))()).rejects.toBe(defect)
    expect(calls).toBe(1)
    expect(sleeps).toEqual([])
  })

  it('a rejection after some failures also propagates unchanged, at once', async () => {
    const test = TestClock.make()
    const defect = { not: 'an Error' }
    let calls = 0
    const action: TE.TaskEither<string, never> = () =>
      ++calls < 3 ? Promise.resolve(E.left('flaky')) : Promise.reject(defect)
    const running = pipe(action, Retry.retrying(Schedule.spaced(10), { clock: test }))()
    const settled = running.then(
      () => 'resolved',
      (e: unknown) => e,
    )
    await test.runAll()
    expect(await settled).toBe(defect)
    expect(calls).toBe(3)
    expect(test.pending()).toBe(0)
  })
})

describe('Retry.retryingWith', () => {
  it('gives each attempt its status: attempt, elapsed, lastError, lastDelay', async () => {
    const clock = TestClock.make()
    const statuses: Array<Retry.RetryStatus<string>> = []
    const action = (status: Retry.RetryStatus<string>): TE.TaskEither<string, number> => {
      statuses.push(status)
      return async () => {
        await clock.sleep(5)
        return status.attempt < 4 ? E.left(`fail ${status.attempt}`) : E.right(status.attempt)
      }
    }
    const policy = pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(5)))
    const result = await run(clock, pipe(action, Retry.retryingWith(policy, { clock })))
    expect(result).toEqual(E.right(4))
    expect(statuses).toEqual([
      { attempt: 1, elapsed: 0, lastError: O.none, lastDelay: O.none },
      { attempt: 2, elapsed: 105, lastError: O.some('fail 1'), lastDelay: O.some(100) },
      { attempt: 3, elapsed: 310, lastError: O.some('fail 2'), lastDelay: O.some(200) },
      { attempt: 4, elapsed: 715, lastError: O.some('fail 3'), lastDelay: O.some(400) },
    ])
  })

  it('returns the last error and is lazy', async () => {
    const { clock } = spyClock()
    let calls = 0
    const retried = pipe(
      (status: Retry.RetryStatus<number>) => {
        calls++
        return TE.left(status.attempt)
      },
      Retry.retryingWith(Schedule.recurs(2), { clock }),
    )
    expect(calls).toBe(0)
    expect(await retried()).toEqual(E.left(3))
    expect(await retried()).toEqual(E.left(3))
    expect(calls).toBe(6)
  })
})

describe('Retry.retryable', () => {
  it('keeps the arguments: every attempt and every call gets its own', async () => {
    const { clock } = spyClock()
    const seen: Array<[number, string]> = []
    const get = (id: number, name: string): TE.TaskEither<string, string> => {
      seen.push([id, name])
      return seen.filter(([i]) => i === id).length < 3 ? TE.left(`fail ${id}`) : TE.right(`${name}#${id}`)
    }
    const getRetrying = Retry.retryable(Schedule.recurs(5), { clock })(get)
    expect(seen).toEqual([])
    expect(await getRetrying(1, 'a')()).toEqual(E.right('a#1'))
    expect(await getRetrying(2, 'b')()).toEqual(E.right('b#2'))
    expect(seen).toEqual([
      [1, 'a'],
      [1, 'a'],
      [1, 'a'],
      [2, 'b'],
      [2, 'b'],
      [2, 'b'],
    ])
  })

  it('calls the function only when the result is run, once per attempt', async () => {
    const { clock } = spyClock()
    let calls = 0
    const f = (x: number): TE.TaskEither<number, never> => {
      calls++
      return TE.left(x)
    }
    const retried = Retry.retryable(Schedule.recurs(2), { clock })(f)(1)
    expect(calls).toBe(0)
    await retried()
    expect(calls).toBe(3)
    await retried()
    expect(calls).toBe(6)
  })

  it('returns the last error when the schedule gives up', async () => {
    const { clock } = spyClock()
    let n = 0
    const f = (x: number): TE.TaskEither<number, never> => TE.left(x * 100 + ++n)
    expect(await Retry.retryable(Schedule.recurs(2), { clock })(f)(7)()).toEqual(E.left(703))
  })
})

describe('Retry.retryingOrElse', () => {
  it('hands the last error and the schedule’s last output to the fallback', async () => {
    const clock = TestClock.make()
    const { action } = flaky(clock, Infinity)
    const seen: Array<[number, readonly [number, number]]> = []
    const policy = pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(2)))
    const result = await run(
      clock,
      pipe(
        action,
        Retry.retryingOrElse(
          policy,
          (error: number, out) => {
            seen.push([error, out])
            return TE.right(`fallback after ${error}`)
          },
          { clock },
        ),
      ),
    )
    expect(result).toEqual(E.right('fallback after 3'))
    expect(seen).toEqual([[3, [400, 2]]])
  })

  it('the fallback’s failure becomes the result', async () => {
    const { clock } = spyClock()
    const result = await pipe(
      TE.left('primary down'),
      Retry.retryingOrElse(Schedule.recurs(1), (e: string, n) => TE.left({ fallback: e, retries: n }), { clock }),
    )()
    expect(result).toEqual(E.left({ fallback: 'primary down', retries: 1 }))
  })

  it('does not call the fallback on success', async () => {
    const clock = TestClock.make()
    const { action } = flaky(clock, 1)
    let fallbacks = 0
    const result = await run(
      clock,
      pipe(
        action,
        Retry.retryingOrElse(
          Schedule.spaced(10),
          () => {
            fallbacks++
            return TE.right('fallback')
          },
          { clock },
        ),
      ),
    )
    expect(result).toEqual(E.right('ok after 2'))
    expect(fallbacks).toBe(0)
  })
})
