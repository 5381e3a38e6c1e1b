/**
 * Repeat.repeating: run, and after each success step the schedule with the value, until it is done. Virtual
 * time throughout (TestClock), except where a real timer must be shown gone.
 */
import { getEventListeners } from 'node:events'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Effect, Schedule as EffectSchedule } from 'effect'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import * as RTE from 'fp-ts/ReaderTaskEither'
import * as TE from 'fp-ts/TaskEither'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { settledWithinOneTick } from './support/settle'
import { timers } from './support/timers'
import { Clock, Operation, Repeat, Retry, Schedule, TestClock } from '../src/index'
const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length

/**
 * An operation whose i-th run (from 0) lasts `durations[i]` ms on `clock` (0 after the last) and returns `i`,
 * recording when each run started.
 */
const timed = (clock: TestClock.TestClock, durations: ReadonlyArray<number>) => {
  const starts: Array<number> = []
  const op: TE.TaskEither<never, number> = async () => {
    const i = starts.length
    starts.push(clock.now())
    const d = durations[i] ?? 0
    if (d > 0) await clock.sleep(d, undefined, 'work')
    return E.right(i)
  }
  return { op, starts }
}

afterEach(() => vi.restoreAllMocks())

describe('how many runs: recurs(n) means n repeats, n + 1 runs, as in Effect', () => {
  it.each([0, 1, 2, 3, 5, 10])('recurs(%i)', async (n) => {
    let runs = 0
    const op: TE.TaskEither<never, number> = TE.fromTask(async () => ++runs)
    const result = await pipe(op, Repeat.repeating(Schedule.recurs(n)))()
    expect(result).toEqual(E.right({ value: n + 1, out: n }))

    // Effect 4 (the pinned 4.1): `Effect.repeat(self, schedule)` succeeds with the schedule's last output
    let effectRuns = 0
    const effectOut = await Effect.runPromise(
      Effect.repeat(
        Effect.sync(() => ++effectRuns),
        EffectSchedule.recurs(n),
      ),
    )
    expect(runs).toBe(effectRuns)
    expect(effectOut).toBe(n) // Effect returns the output only; we return it with the last value
  })

  it('the value is the last run’s, the output the schedule’s at the step that ended it', async () => {
    let runs = 0
    const op: TE.TaskEither<never, string> = TE.fromTask(async () => `run ${++runs}`)
    const policy = pipe(
      Schedule.exponential(10),
      Schedule.intersect(Schedule.recurs(3)),
      Schedule.map(([d, n]) => `${n} repeats, last delay ${d}`),
    )
    const clock = TestClock.make()
    const running = pipe(op, Repeat.repeating(policy, { clock }))()
    await clock.runAll()
    expect(await running).toEqual(E.right({ value: 'run 4', out: '3 repeats, last delay 80' }))
    expect(clock.now()).toBe(10 + 20 + 40)
  })
})

describe('exact run instants in virtual time', () => {
  it('spaced(100): each run starts 100 ms after the previous one ended', async () => {
    const clock = TestClock.make()
    const { op, starts } = timed(clock, [30, 250, 0, 10])
    const running = pipe(
      op,
      Repeat.repeating(pipe(Schedule.spaced(100), Schedule.intersect(Schedule.recurs(4))), { clock }),
    )()
    await clock.runAll()
    expect(await running).toEqual(E.right({ value: 4, out: [4, 4] }))
    expect(starts).toEqual([0, 130, 480, 580, 690])
  })

  it('fixed(100): on the cadence from the first start; a run longer than the interval is followed at once, no pile-up', async () => {
    const clock = TestClock.make()
    // the run at 100 takes 250 ms (ends at 350): the runs due at 200 and 300 are skipped, one starts at 350
    const { op, starts } = timed(clock, [30, 250, 10, 10, 0])
    const running = pipe(
      op,
      Repeat.repeating(pipe(Schedule.fixed(100), Schedule.intersect(Schedule.recurs(4))), { clock }),
    )()
    await clock.runAll()
    await running
    expect(starts).toEqual([0, 100, 350, 400, 500])
  })

  it('windowed(100): at the next window boundary, a long run skipping to the boundary after it', async () => {
    const clock = TestClock.make()
    const { op, starts } = timed(clock, [30, 250, 10, 100, 0])
    const running = pipe(
      op,
      Repeat.repeating(pipe(Schedule.windowed(100), Schedule.intersect(Schedule.recurs(4))), { clock }),
    )()
    await clock.runAll()
    await running
    expect(starts).toEqual([0, 100, 400, 500, 700])
  })

  it('fixed and windowed differ only when a run is late; spaced drifts by the runs’ own time', async () => {
    const instants = async (schedule: Schedule.Schedule<unknown, unknown>) => {
      const clock = TestClock.make()
      const { op, starts } = timed(clock, [20, 20, 120, 20, 20])
      const running = pipe(op, Repeat.repeating(pipe(schedule, Schedule.intersect(Schedule.recurs(4))), { clock }))()
      await clock.runAll()
      await running
      return starts
    }
    expect(await instants(Schedule.spaced(100))).toEqual([0, 120, 240, 460, 580])
    expect(await instants(Schedule.fixed(100))).toEqual([0, 100, 200, 320, 400])
    expect(await instants(Schedule.windowed(100))).toEqual([0, 100, 200, 400, 500])
  })

  it('a zero delay repeats without touching the clock', async () => {
    const clock = TestClock.make()
    const sleep = vi.spyOn(clock, 'sleep')
    let runs = 0
    const result = await pipe(
      TE.fromTask(async () => ++runs),
      Repeat.repeating(Schedule.recurs(1_000), { clock }),
    )()
    expect(result).toEqual(E.right({ value: 1_001, out: 1_000 }))
    expect(sleep).not.toHaveBeenCalled()
    expect(clock.now()).toBe(0)
  })
})

describe('the schedule sees the values', () => {
  it('whileInput / untilInput repeat while / until a value says so', async () => {
    const queue = [5, 3, 0, 9]
    const drain: TE.TaskEither<never, number> = TE.fromTask(async () => queue.shift() ?? -1)
    const result = await pipe(
      drain,
      Repeat.repeating(
        pipe(
          Schedule.forever,
          Schedule.whileInput((left: number) => left > 0),
        ),
      ),
    )()
    expect(result).toEqual(E.right({ value: 0, out: O.some(1) }))
    expect(queue).toEqual([9]) // stopped at the first 0

    let n = 0
    const until = await pipe(
      TE.fromTask(async () => ++n),
      Repeat.repeating(
        pipe(
          Schedule.forever,
          Schedule.untilInput((v: number) => v >= 4),
        ),
      ),
    )()
    expect(until).toEqual(E.right({ value: 4, out: O.some(2) }))
  })

  it('the schedule gets the values in order, and the time elapsed since the first run began', async () => {
    const clock = TestClock.make()
    const { op } = timed(clock, [15, 15, 15])
    const seen: Array<readonly [number, number]> = []
    const policy = pipe(
      Schedule.spaced(100),
      Schedule.intersect(Schedule.recurs(2)),
      Schedule.intersect(Schedule.elapsed),
      Schedule.tapInput((v: number) => seen.push([v, clock.now()])),
      Schedule.map(([, ms]) => ms),
    )
    const running = pipe(op, Repeat.repeating(policy, { clock }))()
    await clock.runAll()
    expect(await running).toEqual(E.right({ value: 2, out: 245 }))
    expect(seen).toEqual([
      [0, 15],
      [1, 130],
      [2, 245],
    ])
  })
})

describe('failures', () => {
  it('a Left ends the repeat at once with its typed error: no further run, no sleep', async () => {
    const clock = TestClock.make()
    let runs = 0
    const op: TE.TaskEither<{ readonly _tag: 'Down'; readonly at: number }, number> = async () =>
      ++runs === 3 ? E.left({ _tag: 'Down', at: runs }) : E.right(runs)
    const running = pipe(op, Repeat.repeating(Schedule.spaced(1_000), { clock }))()
    await clock.adjust(10_000)
    expect(await running).toEqual(E.left({ _tag: 'Down', at: 3 }))
    expect(runs).toBe(3)
    expect(clock.now()).toBe(10_000)
    expect(clock.pending()).toBe(0)
  })

  it('Retry.retrying inside retries each run; the repeat goes on with the retried value', async () => {
    const clock = TestClock.make()
    const attempts: Array<number> = []
    let calls = 0
    // every run fails once, then succeeds
    const op: TE.TaskEither<string, number> = async () => {
      calls++
      attempts.push(clock.now())
      return calls % 2 === 1 ? E.left('flaky') : E.right(calls / 2)
    }
    const retries: Array<number> = []
    const running = pipe(
      op,
      Retry.retrying(pipe(Schedule.spaced(10), Schedule.intersect(Schedule.recurs(1))), {
        clock,
        onRetry: (e) => retries.push(e.attempt),
      }),
      Repeat.repeating(pipe(Schedule.spaced(1_000), Schedule.intersect(Schedule.recurs(2))), { clock }),
    )()
    await clock.runAll()
    expect(await running).toEqual(E.right({ value: 3, out: [2, 2] }))
    expect(attempts).toEqual([0, 10, 1_010, 1_020, 2_020, 2_030])
    expect(retries).toEqual([1, 1, 1])
  })

  it('a run that rejects is a defect: the rejection propagates, no further run', async () => {
    let runs = 0
    const op: TE.TaskEither<never, number> = () => (++runs === 2 ? Promise.reject(new Error('bug')) : TE.right(runs)())
    await expect(pipe(op, Repeat.repeating(Schedule.recurs(5)))()).rejects.toThrow('bug')
    expect(runs).toBe(2)
  })
})

describe('laziness', () => {
  it('nothing runs until the result is run, and each run repeats afresh', async () => {
    let runs = 0
    const repeated = pipe(
      TE.fromTask(async () => ++runs),
      Repeat.repeating(Schedule.recurs(2)),
    )
    expect(runs).toBe(0)
    expect(await repeated()).toEqual(E.right({ value: 3, out: 2 }))
    expect(await repeated()).toEqual(E.right({ value: 6, out: 2 })) // the schedule starts over
    expect(runs).toBe(6)
  })

  it('data-first and data-last are the same repeat', async () => {
    const clock = TestClock.make()
    const policy = pipe(Schedule.spaced(5), Schedule.intersect(Schedule.recurs(2)))
    let n = 0
    const op = TE.fromTask(async () => ++n)
    const a = Repeat.repeating(op, policy, { clock })()
    await clock.runAll()
    const b = pipe(op, Repeat.repeating(policy, { clock }))()
    await clock.runAll()
    expect(await a).toEqual(E.right({ value: 3, out: [2, 2] }))
    expect(await b).toEqual(E.right({ value: 6, out: [2, 2] }))
  })
})

describe('onRepeat', () => {
  it('is called once per repeat, before its sleep, with the run, its value, the delay and the elapsed time', async () => {
    const clock = TestClock.make()
    const { op } = timed(clock, [5, 5, 5])
    const events: Array<Repeat.RepeatEvent<number>> = []
    const asleep: Array<number> = []
    const running = Repeat.repeating(op, pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(2))), {
      clock,
      onRepeat: (e) => {
        events.push(e)
        asleep.push(clock.pending('repeat'))
      },
    })()
    await clock.runAll()
    await running
    expect(events).toEqual([
      { run: 1, value: 0, delay: 100, elapsed: 5 },
      { run: 2, value: 1, delay: 200, elapsed: 110 },
    ])
    expect(asleep).toEqual([0, 0]) // the sleep had not started yet
  })

  it('a hook that throws is reported, never thrown into the call', async () => {
    const reported = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const result = await Repeat.repeating(TE.right(1), Schedule.recurs(2), {
      onRepeat: () => {
        throw new Error('hook bug')
      },
    })()
    expect(result).toEqual(E.right({ value: 1, out: 2 }))
    expect(reported).toHaveBeenCalledTimes(2)
  })
})

describe('the cancellable form', () => {
  interface Deps extends Operation.Env {
    readonly tenant: string
  }

  it('every run gets the caller’s environment, the user’s dependencies included', async () => {
    const seen: Array<Deps> = []
    const op = (env: Deps) => {
      seen.push(env)
      return TE.right(env.tenant)
    }
    const controller = new AbortController()
    const deps: Deps = { tenant: 'acme', signal: controller.signal }
    const result = await pipe(op, Repeat.repeating(Schedule.recurs(2)))(deps)()
    expect(result).toEqual(E.right({ value: 'acme', out: 2 }))
    expect(seen).toEqual([deps, deps, deps])
    expect(listeners(controller.signal)).toBe(0)
  })

  it('RTE code composes with no glue', async () => {
    const tick = pipe(
      RTE.asks((deps: Deps) => deps.tenant.length),
      Repeat.repeating(Schedule.recurs(1)),
      RTE.map(({ value }) => value * 2),
    )
    expect(await Operation.run(tick, { tenant: 'acme' })()).toEqual(E.right(8))
  })

  it('an abort mid-sleep ends the call at once with Aborted, leaving no sleep and no listener', async () => {
    const clock = TestClock.make()
    let runs = 0
    const op = (_: Operation.Env) => TE.fromTask(async () => ++runs)
    const controller = new AbortController()
    const running = pipe(op, Repeat.repeating(Schedule.spaced(60_000), { clock }))({ signal: controller.signal })()
    await clock.adjust(120_000) // runs at 0, 60 s, 120 s; asleep until 180 s
    expect(runs).toBe(3)
    expect(clock.pending('repeat')).toBe(1)
    expect(listeners(controller.signal)).toBeGreaterThan(0)
    controller.abort('shutting down')
    expect(await settledWithinOneTick(running)).toBe(true)
    expect(await running).toEqual(E.left({ _tag: 'Aborted', reason: 'shutting down', lastError: O.none }))
    expect(clock.pending()).toBe(0)
    expect(listeners(controller.signal)).toBe(0)
    expect(runs).toBe(3)
  })

  it('an abort mid-run (a run that ignores its signal) ends the call at once; no further run starts', async () => {
    const clock = TestClock.make()
    let runs = 0
    const op =
      (_: Operation.Env): TE.TaskEither<never, number> =>
      async () => {
        runs++
        await clock.sleep(10_000, undefined, 'work') // deaf to the signal
        return E.right(runs)
      }
    const controller = new AbortController()
    const running = Repeat.repeating(op, Schedule.spaced(100), { clock })({ signal: controller.signal })()
    await clock.adjust(10_000 + 100 + 5_000) // second run in flight
    expect(runs).toBe(2)
    controller.abort()
    expect(await settledWithinOneTick(running)).toBe(true)
    const result = await running
    expect(E.isLeft(result) && Retry.isAborted(result.left)).toBe(true)
    await clock.runAll()
    expect(runs).toBe(2)
    expect(listeners(controller.signal)).toBe(0)
  })

  it('an aborted signal runs nothing', async () => {
    let runs = 0
    const op = (_: Operation.Env) => TE.fromTask(async () => ++runs)
    const result = await Repeat.repeating(op, Schedule.recurs(3))({ signal: AbortSignal.abort('gone') })()
    expect(result).toEqual(E.left({ _tag: 'Aborted', reason: 'gone', lastError: O.none }))
    expect(runs).toBe(0)
  })

  it('on the live clock, an abort mid-sleep clears the timer at once', async () => {
    const before = timers()
    const controller = new AbortController()
    let asleep!: () => void
    const sleeping = new Promise<void>((resolve) => (asleep = resolve))
    const running = Repeat.repeating((_: Operation.Env) => TE.right('ok'), Schedule.spaced(60_000), {
      clock: Clock.live,
      onRepeat: () => queueMicrotask(asleep),
    })({ signal: controller.signal })()
    await sleeping
    expect(timers()).toBe(before + 1)
    controller.abort('bye')
    expect(await settledWithinOneTick(running)).toBe(true)
    expect(await running).toEqual(E.left({ _tag: 'Aborted', reason: 'bye', lastError: O.none }))
    expect(timers()).toBe(before)
    expect(listeners(controller.signal)).toBe(0)
  })
})

/** The synchronous frames of the current stack (V8's `at async` lines say who awaits, not how deep we are). */
const syncFrames = () => (new Error().stack ?? '').split('\n').filter((line) => /^\s+at (?!async )/.test(line)).length

describe('scale: 10^5 repeats in constant stack and memory', () => {
  it('the stack is as deep at the 100,001st run as at the second (the first runs in the caller’s stack)', async () => {
    const runs = 100_000
    const depths: Array<number> = []
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = Infinity
    try {
      let n = 0
      const op: TE.TaskEither<never, number> = async () => {
        n++
        if (n === 2 || n === runs + 1) depths.push(syncFrames())
        return E.right(n)
      }
      const result = await pipe(op, Repeat.repeating(Schedule.recurs(runs)))()
      expect(result).toEqual(E.right({ value: runs + 1, out: runs }))
    } finally {
      Error.stackTraceLimit = limit
    }
    expect(depths).toHaveLength(2)
    expect(depths[1]).toBe(depths[0])
  })

  it('the heap retained at the 100,000th run, after a forced GC, is what it was at the 1,000th (within 1 MB)', async () => {
    // vitest runs without --expose-gc: the flag is set at run time and gc taken from a fresh context
    const globals = globalThis as { gc?: () => void }
    const had = globals.gc
    setFlagsFromString('--expose-gc')
    const gc = had ?? (runInNewContext('gc') as () => void)
    const heap = () => {
      gc()
      gc()
      return process.memoryUsage().heapUsed
    }
    const runs = 100_000
    const at: Record<number, number> = {}
    let n = 0
    const op: TE.TaskEither<never, number> = async () => {
      n++
      if (n === 1_000 || n === runs) at[n] = heap()
      return E.right(n)
    }
    const before = heap()
    await pipe(op, Repeat.repeating(Schedule.recurs(runs)))()
    const early = (at[1_000] as number) - before
    const late = (at[runs] as number) - before
    expect(late - early).toBeLessThan(2 ** 20)
    expect(late).toBeLessThan(2 * 2 ** 20)
  })
})
