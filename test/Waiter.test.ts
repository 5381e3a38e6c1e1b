/**
 * Waiter.poll and Waiter.until: every result classified into Done, Failed or Pending; a deadline never slept
 * past; the AWS waiters' delays as a schedule; pending results that no retry, budget or breaker ever sees.
 * Virtual time throughout (TestClock), except where a real timer must be shown gone.
 */
import { getEventListeners } from 'node:events'
import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import * as TE from 'fp-ts/TaskEither'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { settledWithinOneTick } from './support/settle'
import { CircuitBreaker, Clock, Random, Retry, Schedule, TestClock, Waiter } from '../src/index'
import type { Budget, Operation } from '../src/index'

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length

afterEach(() => vi.restoreAllMocks())

type Job =
  | { readonly status: 'queued' | 'running' }
  | { readonly status: 'succeeded'; readonly url: string }
  | { readonly status: 'failed'; readonly message: string }
interface HttpError {
  readonly _tag: 'HttpError'
  readonly status: number
}
interface JobFailed {
  readonly _tag: 'JobFailed'
  readonly message: string
}

const RUNNING: Job = { status: 'running' }
const http = (status: number): HttpError => ({ _tag: 'HttpError', status })

/** A 404 means "not created yet": pending. Other errors and a failed job end the wait. */
const classify = (o: E.Either<HttpError, Job>) =>
  E.isLeft(o)
    ? o.left.status === 404
      ? Waiter.pending
      : Waiter.failed(o.left)
    : o.right.status === 'succeeded'
      ? Waiter.ready(o.right.url)
      : o.right.status === 'failed'
        ? Waiter.failed<JobFailed>({ _tag: 'JobFailed', message: o.right.message })
        : Waiter.pending

/**
 * A job-status endpoint answering `results` in turn (the last one forever), each poll lasting `duration` ms on
 * the clock; records when each poll started.
 */
const endpoint = (clock: TestClock.TestClock, results: ReadonlyArray<E.Either<HttpError, Job>>, duration = 0) => {
  const polls: Array<number> = []
  const getJob: TE.TaskEither<HttpError, Job> = async () => {
    const result = results[Math.min(polls.length, results.length - 1)] as E.Either<HttpError, Job>
    polls.push(clock.now())
    if (duration > 0) await clock.sleep(duration, undefined, 'work')
    return result
  }
  return { getJob, polls }
}

describe('the classifier decides about every result', () => {
  it('Done ends the wait with its value, at the exact poll instants of the schedule', async () => {
    const clock = TestClock.make()
    const { getJob, polls } = endpoint(clock, [
      E.left(http(404)),
      E.right({ status: 'queued' }),
      E.right(RUNNING),
      E.right(RUNNING),
      E.right({ status: 'succeeded', url: '/report.csv' }),
    ])
    const running = Waiter.poll(getJob, classify, { maxWait: 60_000, schedule: Schedule.spaced(1_000), clock })()
    await clock.runAll()
    expect(await running).toEqual(E.right('/report.csv'))
    expect(polls).toEqual([0, 1_000, 2_000, 3_000, 4_000])
  })

  it('Failed ends the wait at once with its reason: a failed job, or an error the classifier does not wait through', async () => {
    const clock = TestClock.make()
    const failedJob = endpoint(clock, [E.right(RUNNING), E.right({ status: 'failed', message: 'out of memory' })])
    const a = pipe(
      failedJob.getJob,
      Waiter.poll(classify, { maxWait: 60_000, schedule: Schedule.spaced(500), clock }),
    )()
    await clock.runAll()
    expect(await a).toEqual(E.left({ _tag: 'JobFailed', message: 'out of memory' }))
    expect(failedJob.polls).toEqual([0, 500])

    const unauthorized = endpoint(clock, [E.left(http(401))])
    const b = Waiter.poll(unauthorized.getJob, classify, { maxWait: 60_000, clock })()
    expect(await b).toEqual(E.left(http(401)))
    expect(unauthorized.polls).toHaveLength(1)
    expect(clock.pending()).toBe(0)
  })

  it('a classifier that throws is a defect: the exception propagates', async () => {
    const boom = () => {
      throw new Error('classifier bug')
    }
    await expect(Waiter.poll(TE.right(1), boom, { maxWait: 1_000 })()).rejects.toThrow('classifier bug')
  })
})

describe('the deadline: never slept past', () => {
  it('fails with WaitTimeout before a sleep that would overrun, with the last observation and the count', async () => {
    const clock = TestClock.make()
    const { getJob, polls } = endpoint(clock, [E.right(RUNNING)])
    const running = Waiter.poll(getJob, classify, { maxWait: 10_000, schedule: Schedule.spaced(3_000), clock })()
    await clock.adjust(9_000) // polls at 0, 3 s, 6 s, 9 s; the next would start at 12 s > 10 s
    expect(await settledWithinOneTick(running)).toBe(true) // at 9 s, without sleeping to 10 s
    expect(await running).toEqual(
      E.left({ _tag: 'WaitTimeout', maxWait: 10_000, elapsed: 9_000, observations: 4, last: E.right(RUNNING) }),
    )
    expect(polls).toEqual([0, 3_000, 6_000, 9_000])
    expect(clock.pending()).toBe(0)
    expect(clock.now()).toBe(9_000)
  })

  it('a poll may start exactly at the deadline', async () => {
    const clock = TestClock.make()
    const { getJob, polls } = endpoint(clock, [E.left(http(404))])
    const running = Waiter.poll(getJob, classify, { maxWait: 10_000, schedule: Schedule.spaced(5_000), clock })()
    await clock.runAll()
    expect(await running).toEqual(
      E.left({ _tag: 'WaitTimeout', maxWait: 10_000, elapsed: 10_000, observations: 3, last: E.left(http(404)) }),
    )
    expect(polls).toEqual([0, 5_000, 10_000])
  })

  it('the polls’ own time counts; a poll in flight is not cut (bound it with Timeout.timeout)', async () => {
    const clock = TestClock.make()
    const { getJob, polls } = endpoint(clock, [E.right(RUNNING)], 1_500)
    const running = Waiter.poll(getJob, classify, { maxWait: 10_000, schedule: Schedule.spaced(3_000), clock })()
    await clock.runAll()
    // 0-1.5 s, 4.5-6 s, 9-10.5 s: the sleep to 13.5 s would overrun
    expect(polls).toEqual([0, 4_500, 9_000])
    expect(await running).toMatchObject(E.left({ _tag: 'WaitTimeout', elapsed: 10_500, observations: 3 }))
  })

  it('a schedule that is done ends the wait with WaitTimeout too', async () => {
    const clock = TestClock.make()
    const { getJob } = endpoint(clock, [E.right(RUNNING)])
    const running = Waiter.poll(getJob, classify, { maxWait: 60_000, schedule: Schedule.recurs(2), clock })()
    expect(await running).toEqual(
      E.left({ _tag: 'WaitTimeout', maxWait: 60_000, elapsed: 0, observations: 3, last: E.right(RUNNING) }),
    )
  })

  it('property: no sleep ends after the deadline, and the waiter gives up exactly when the next sleep would overrun', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 12 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 0, max: 3_000 }),
        async (delays, maxWait, duration) => {
          const clock = TestClock.make()
          const sleepsEnd: Array<number> = []
          const observed: Clock.Clock = {
            now: clock.now,
            sleep: (ms, signal, purpose) => {
              if (purpose === 'poll') sleepsEnd.push(clock.now() + ms)
              return clock.sleep(ms, signal, purpose)
            },
          }
          const { getJob } = endpoint(clock, [E.right(RUNNING)], duration)
          const running = Waiter.poll(getJob, classify, {
            maxWait,
            schedule: Schedule.fromDelays(...delays),
            clock: observed,
          })()
          await clock.runAll()
          const result = await running
          // the model: poll, then stop if the schedule is done or the next sleep would end after maxWait
          let t = 0
          let observations = 0
          for (;;) {
            t += duration
            observations++
            const next = delays[observations - 1]
            if (next === undefined || t + next > maxWait) break
            t += next
          }
          expect(result).toEqual(
            E.left({ _tag: 'WaitTimeout', maxWait, elapsed: t, observations, last: E.right(RUNNING) }),
          )
          sleepsEnd.forEach((end) => expect(end).toBeLessThanOrEqual(maxWait))
        },
      ),
      { numRuns: 150 },
    )
  })

  it('maxWait must be a finite non-negative number of milliseconds', () => {
    expect(() => Waiter.poll(classify, { maxWait: -1 })).toThrow(
      new RangeError('Waiter.poll: maxWait must be a finite non-negative number of milliseconds, got -1'),
    )
    expect(() => Waiter.until((n: number) => n > 0, { maxWait: Infinity })).toThrow(
      new RangeError('Waiter.until: maxWait must be a finite non-negative number of milliseconds, got Infinity'),
    )
    expect(() => Waiter.poll(TE.right(1), () => Waiter.pending, { maxWait: NaN })).toThrow(RangeError)
  })
})

describe('pending is not a failure: it never reaches onRetry, a budget or a breaker', () => {
  /** A budget that counts what the retry driver asks of it. */
  const spyBudget = () => {
    const calls = { recordFailure: 0, tryRetry: 0, recordSuccess: 0 }
    const budget: Budget.Budget = {
      _tag: 'Budget',
      kind: 'Spy',
      tokens: () => 100,
      recordFailure: () => void calls.recordFailure++,
      tryRetry: () => (calls.tryRetry++, true),
      recordSuccess: () => void calls.recordSuccess++,
    }
    return { budget, calls }
  }

  it('five pending polls under a breaker, a budget and retries: none of them sees a failure', async () => {
    const clock = TestClock.make()
    const { budget, calls } = spyBudget()
    const changes: Array<CircuitBreaker.StateChange> = []
    // the strictest breaker: one failure of any kind opens it
    const breaker = CircuitBreaker.make({
      clock,
      consecutiveFailures: 1,
      isFailure: () => true,
      onStateChange: (c) => changes.push(c),
    })()
    const retries: Array<Retry.RetryEvent<unknown>> = []
    const { getJob, polls } = endpoint(clock, [
      ...Array<E.Either<HttpError, Job>>(5).fill(E.right(RUNNING)),
      E.right({ status: 'succeeded', url: '/r' }),
    ])
    const waiting = pipe(
      getJob,
      CircuitBreaker.protect(breaker),
      Retry.retrying(pipe(Schedule.spaced(100), Schedule.intersect(Schedule.recurs(3))), {
        clock,
        budget,
        onRetry: (e) => retries.push(e),
      }),
      Waiter.poll(
        (o: E.Either<HttpError | CircuitBreaker.CircuitOpen, Job>) =>
          E.isRight(o) && o.right.status === 'succeeded' ? Waiter.ready(o.right.url) : Waiter.pending,
        { maxWait: 60_000, schedule: Schedule.spaced(1_000), clock },
      ),
    )
    const running = waiting()
    await clock.runAll()
    expect(await running).toEqual(E.right('/r'))
    expect(polls).toHaveLength(6)
    expect(retries).toEqual([])
    expect(calls).toEqual({ recordFailure: 0, tryRetry: 0, recordSuccess: 6 })
    expect(changes).toEqual([])
    expect(breaker.state()).toBe('Closed')
  })

  it('a real failure in between is retried (and costs the budget), a pending result next to it is not', async () => {
    const clock = TestClock.make()
    const { budget, calls } = spyBudget()
    const retries: Array<number> = []
    const { getJob, polls } = endpoint(clock, [
      E.right(RUNNING),
      E.left(http(503)),
      E.right(RUNNING),
      E.right({ status: 'succeeded', url: '/r' }),
    ])
    const running = pipe(
      getJob,
      Retry.retrying(pipe(Schedule.spaced(100), Schedule.intersect(Schedule.recurs(3))), {
        clock,
        budget,
        onRetry: (e) => retries.push(e.attempt),
      }),
      Waiter.poll(classify, { maxWait: 60_000, schedule: Schedule.spaced(1_000), clock }),
    )()
    await clock.runAll()
    expect(await running).toEqual(E.right('/r'))
    expect(polls).toEqual([0, 1_000, 1_100, 2_100])
    expect(retries).toEqual([1])
    expect(calls).toEqual({ recordFailure: 1, tryRetry: 1, recordSuccess: 3 })
  })
})

describe('Waiter.until: retry on a result (tenacity’s retry_if_result), without inventing a Left', () => {
  it('polls while the value fails the predicate, and ends with the first that passes', async () => {
    const clock = TestClock.make()
    let replicas = 0
    const ready: TE.TaskEither<HttpError, number> = TE.fromTask(async () => ++replicas)
    const running = pipe(
      ready,
      Waiter.until((n: number) => n >= 3, { maxWait: 10_000, schedule: Schedule.spaced(1_000), clock }),
    )()
    await clock.runAll()
    expect(await running).toEqual(E.right(3))
    expect(clock.now()).toBe(2_000)
  })

  it('a Left ends the wait with the operation’s own error; Retry.retrying inside retries it, and only it', async () => {
    const clock = TestClock.make()
    const { getJob, polls } = endpoint(clock, [
      E.right(RUNNING),
      E.left(http(503)),
      E.right({ status: 'succeeded', url: '/r' }),
    ])
    const isSucceeded = (job: Job): job is Extract<Job, { status: 'succeeded' }> => job.status === 'succeeded'
    const bare = await Waiter.until(getJob, isSucceeded, { maxWait: 10_000, schedule: Schedule.spaced(0), clock })()
    expect(bare).toEqual(E.left(http(503)))

    const retried: Array<number> = []
    const again = endpoint(clock, [E.right(RUNNING), E.left(http(503)), E.right({ status: 'succeeded', url: '/r' })])
    const result = await pipe(
      again.getJob,
      Retry.retrying(Schedule.recurs(2), { onRetry: (e) => retried.push(e.attempt) }),
      Waiter.until(isSucceeded, { maxWait: 10_000, schedule: Schedule.spaced(0), clock }),
    )()
    expect(result).toEqual(E.right({ status: 'succeeded', url: '/r' }))
    expect(retried).toEqual([1]) // the 503; the running job was never a retry
    expect(polls).toHaveLength(2)
    expect(again.polls).toHaveLength(3)
  })

  it('times out with the last value when none passes', async () => {
    const clock = TestClock.make()
    const running = Waiter.until(TE.right(1), (n) => n > 1, {
      maxWait: 2_500,
      schedule: Schedule.spaced(1_000),
      clock,
    })()
    await clock.runAll()
    expect(await running).toEqual(
      E.left({ _tag: 'WaitTimeout', maxWait: 2_500, elapsed: 2_000, observations: 3, last: E.right(1) }),
    )
  })
})

describe('awsBackoff: the AWS waiters’ delays as a schedule', () => {
  const delays = (s: Schedule.Schedule<unknown, number>, n: number, random: () => number) =>
    Schedule.simulate(s, Array(n).fill(0), { random })

  it('the first delay is minDelay; then uniform in [min, min * 2^(k-1)], and in [min, max] past the ceiling', () => {
    // defaults 2 s and 120 s: bounds 2, 4, 8, 16, 32, 64 s, then 120 s
    expect(delays(Waiter.awsBackoff(), 9, () => 0)).toEqual(Array(9).fill(2_000))
    expect(delays(Waiter.awsBackoff(), 9, Random.constant(0.5))).toEqual([
      2_000, 3_000, 5_000, 9_000, 17_000, 33_000, 61_000, 61_000, 61_000,
    ])
    const top = delays(Waiter.awsBackoff(), 9, Random.constant(1 - 2 ** -40))
    expect(top.map((d) => Math.round(d))).toEqual([
      2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 120_000, 120_000, 120_000,
    ])
    top.forEach((d, i) => expect(d).toBeLessThan([2, 4, 8, 16, 32, 64, 120, 120, 120][i]! * 1_000 + 1e-6))
  })

  it('other bounds, and a seeded source: every delay within its range', () => {
    // 100 ms and 1 s: ceiling log2(10) + 1 = 4.3: bounds 100, 200, 400, 800, then 1000
    const bounds = [100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000]
    const seeded = delays(Waiter.awsBackoff(100, 1_000), 8, Random.seeded(7))
    seeded.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(100)
      expect(d).toBeLessThanOrEqual(bounds[i]!)
    })
    expect(delays(Waiter.awsBackoff(100, 1_000), 8, Random.constant(0.999999)).map(Math.round)).toEqual(bounds)
    expect(delays(Waiter.awsBackoff(500, 500), 3, Random.constant(0.7))).toEqual([500, 500, 500])
  })

  it('is the default schedule of a waiter', async () => {
    const clock = TestClock.make()
    const { getJob, polls } = endpoint(clock, [E.right(RUNNING)])
    const running = Waiter.poll(getJob, classify, { maxWait: 10_000, clock, random: Random.constant(0.5) })()
    await clock.runAll()
    expect(polls).toEqual([0, 2_000, 5_000, 10_000]) // 2, 3, 5 s; the next (9 s) would overrun
    expect(await running).toMatchObject(E.left({ _tag: 'WaitTimeout', observations: 4, elapsed: 10_000 }))
  })

  it.each([
    [
      () => Waiter.awsBackoff(0),
      'Waiter.awsBackoff: minDelay must be a positive, finite number of milliseconds, got 0',
    ],
    [
      () => Waiter.awsBackoff(-1),
      'Waiter.awsBackoff: minDelay must be a finite non-negative number of milliseconds, got -1',
    ],
    [() => Waiter.awsBackoff(100, 50), 'Waiter.awsBackoff: maxDelay must be >= minDelay (100), got 50'],
    [
      () => Waiter.awsBackoff(100, Infinity),
      'Waiter.awsBackoff: maxDelay must be a finite non-negative number of milliseconds, got Infinity',
    ],
  ])('bad bounds throw a RangeError: %s', (thunk, message) => {
    expect(thunk).toThrow(new RangeError(message))
  })
})

describe('abort mid-poll', () => {
  it('during a poll that ignores its signal: Aborted at once, with the last failed observation; nothing left behind', async () => {
    const clock = TestClock.make()
    const controller = new AbortController()
    let polls = 0
    const getJob =
      (_: Operation.Env): TE.TaskEither<HttpError, Job> =>
      async () => {
        polls++
        if (polls === 1) return E.left(http(404))
        await clock.sleep(30_000, undefined, 'work') // deaf to its signal
        return E.right(RUNNING)
      }
    const running = Waiter.poll(getJob, classify, { maxWait: 60_000, schedule: Schedule.spaced(1_000), clock })({
      signal: controller.signal,
    })()
    await clock.adjust(5_000) // the second poll is in flight
    expect(polls).toBe(2)
    expect(listeners(controller.signal)).toBeGreaterThan(0)
    controller.abort('user cancelled')
    expect(await settledWithinOneTick(running)).toBe(true)
    expect(await running).toEqual(E.left({ _tag: 'Aborted', reason: 'user cancelled', lastError: O.some(http(404)) }))
    expect(listeners(controller.signal)).toBe(0)
    expect(clock.pending('poll')).toBe(0)
    await clock.runAll()
    expect(polls).toBe(2)
  })

  it('during the sleep between polls: Aborted at once, the sleep gone', async () => {
    const clock = TestClock.make()
    const controller = new AbortController()
    const { getJob } = endpoint(clock, [E.right(RUNNING)])
    const cancellable = (_: Operation.Env) => getJob
    const running = pipe(
      cancellable,
      Waiter.poll(classify, { maxWait: 600_000, schedule: Schedule.spaced(60_000), clock }),
    )({ signal: controller.signal })()
    await clock.adjust(60_000)
    expect(clock.pending('poll')).toBe(1)
    controller.abort()
    expect(await settledWithinOneTick(running)).toBe(true)
    const result = await running
    expect(E.isLeft(result) && Retry.isAborted(result.left) && O.isNone(result.left.lastError)).toBe(true)
    expect(clock.pending()).toBe(0)
    expect(listeners(controller.signal)).toBe(0)
  })

  it('on the live clock: the timer is cleared at once, and no abort listener remains', async () => {
    // this poll's own timer, told apart from any other (the runner's included) by its delay: 60 s, up to the end of
    // the millisecond it ends in (Clock.sleep's timers end on a millisecond)
    const armed = vi.spyOn(globalThis, 'setTimeout')
    const cleared = vi.spyOn(globalThis, 'clearTimeout')
    const controller = new AbortController()
    let asleep!: () => void
    const sleeping = new Promise<void>((resolve) => (asleep = resolve))
    const running = Waiter.poll((_: Operation.Env) => TE.right<HttpError, Job>(RUNNING), classify, {
      maxWait: 600_000,
      schedule: Schedule.spaced(60_000),
      clock: Clock.live,
      onPending: () => queueMicrotask(asleep),
    })({ signal: controller.signal })()
    await sleeping
    const isOurs = (delay: unknown) => typeof delay === 'number' && delay >= 60_000 && delay <= 60_001
    const ours = armed.mock.calls.flatMap((call, i) => (isOurs(call[1]) ? [armed.mock.results[i]?.value] : []))
    expect(ours).toHaveLength(1)
    controller.abort('bye')
    expect(await settledWithinOneTick(running)).toBe(true)
    expect(await running).toEqual(E.left({ _tag: 'Aborted', reason: 'bye', lastError: O.none }))
    expect(cleared.mock.calls.map((call) => call[0])).toContain(ours[0])
    expect(listeners(controller.signal)).toBe(0)
  })

  it('an aborted signal polls nothing', async () => {
    let polls = 0
    const result = await Waiter.poll(
      (_: Operation.Env) => TE.fromTask(async () => ++polls),
      () => Waiter.pending,
      {
        maxWait: 1_000,
      },
    )({ signal: AbortSignal.abort('gone') })()
    expect(result).toEqual(E.left({ _tag: 'Aborted', reason: 'gone', lastError: O.none }))
    expect(polls).toBe(0)
  })
})

describe('onPending, laziness, both spellings', () => {
  it('onPending is called once per pending observation, before its sleep', async () => {
    const clock = TestClock.make()
    const { getJob } = endpoint(
      clock,
      [E.left(http(404)), E.right(RUNNING), E.right({ status: 'succeeded', url: '/r' })],
      10,
    )
    const events: Array<Waiter.PendingEvent<HttpError, Job>> = []
    const asleep: Array<number> = []
    const running = Waiter.poll(getJob, classify, {
      maxWait: 60_000,
      schedule: Schedule.exponential(100),
      clock,
      onPending: (e) => {
        events.push(e)
        asleep.push(clock.pending('poll'))
      },
    })()
    await clock.runAll()
    await running
    expect(events).toEqual([
      { observation: E.left(http(404)), observations: 1, delay: 100, elapsed: 10 },
      { observation: E.right(RUNNING), observations: 2, delay: 200, elapsed: 120 },
    ])
    expect(asleep).toEqual([0, 0])
  })

  it('a hook that throws is reported, never thrown into the call', async () => {
    const reported = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    let n = 0
    const result = await Waiter.until(
      TE.fromTask(async () => ++n),
      (v) => v === 3,
      {
        maxWait: 1_000,
        schedule: Schedule.forever,
        onPending: () => {
          throw new Error('hook bug')
        },
      },
    )()
    expect(result).toEqual(E.right(3))
    expect(reported).toHaveBeenCalledTimes(2)
  })

  it('nothing runs until the waiter is run; each run waits afresh; data-first and data-last agree', async () => {
    let n = 0
    const count = TE.fromTask(async () => ++n)
    const options = { maxWait: 0, schedule: Schedule.forever, clock: TestClock.make() }
    const first = Waiter.until(count, (v) => v % 3 === 0, options)
    const last = pipe(
      count,
      Waiter.until((v: number) => v % 3 === 0, options),
    )
    expect(n).toBe(0)
    expect(await first()).toEqual(E.right(3))
    expect(await last()).toEqual(E.right(6))
    expect(await first()).toEqual(E.right(9))
  })
})

describe('scale: 10^5 pending polls in constant stack', () => {
  it('the stack is as deep at the 100,001st poll as at the second', async () => {
    const polls = 100_001
    const depths: Array<number> = []
    const frames = () => (new Error().stack ?? '').split('\n').filter((line) => /^\s+at (?!async )/.test(line)).length
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = Infinity
    let n = 0
    try {
      const probe: TE.TaskEither<never, number> = async () => {
        n++
        if (n === 2 || n === polls) depths.push(frames())
        return E.right(n)
      }
      const clock = TestClock.make()
      const result = await Waiter.until(probe, (v) => v === polls, { maxWait: 0, schedule: Schedule.forever, clock })()
      expect(result).toEqual(E.right(polls))
      expect(clock.pending()).toBe(0)
    } finally {
      Error.stackTraceLimit = limit
    }
    expect(depths[1]).toBe(depths[0])
  })
})

describe('the TSDoc examples say what they do', () => {
  it('awsBackoff, poll, until', async () => {
    expect(Schedule.simulate(Waiter.awsBackoff(), [1, 2, 3], { random: Random.constant(0.5) })).toEqual([
      2000, 3000, 5000,
    ])
    type J = { readonly status: 'running' } | { readonly status: 'succeeded'; readonly url: string }
    const statuses: Array<J> = [
      { status: 'running' },
      { status: 'running' },
      { status: 'succeeded', url: '/report.csv' },
    ]
    const getJob: TE.TaskEither<Error, J> = TE.fromTask(async () => statuses.shift() ?? { status: 'running' })
    const clock = TestClock.make()
    const report = Waiter.poll(
      getJob,
      (o) =>
        E.isLeft(o)
          ? Waiter.failed(o.left)
          : o.right.status === 'succeeded'
            ? Waiter.ready(o.right.url)
            : Waiter.pending,
      { maxWait: 60_000, schedule: Schedule.spaced(5_000), clock },
    )
    const running = report()
    await clock.adjust(10_000)
    expect(await settledWithinOneTick(running)).toBe(true)
    expect(await running).toEqual(E.right('/report.csv'))
    expect(Waiter.ready(42)).toEqual({ _tag: 'Ready', value: 42 })
    expect(Waiter.failed('x')).toEqual({ _tag: 'Failed', reason: 'x' })
    expect(Waiter.pending).toEqual({ _tag: 'Pending' })
    expect(Waiter.isWaitTimeout({ _tag: 'WaitTimeout' })).toBe(true)
    expect(Waiter.isWaitTimeout({ _tag: 'TimeoutError', timeout: 1 })).toBe(false)
  })
})
