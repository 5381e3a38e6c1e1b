/**
 * The schedule combinators of 0.2 for repeating as well as retrying: `fixed`, `windowed`, `count`, `elapsed`,
 * `dynamic`, `resetAfter` and `modifyDelayWithInput`. Exact delays (stepped with the time each run ends, as the
 * drivers do), the laws that apply, and the TSDoc examples' claimed results.
 */
import fc from 'fast-check'
import { pipe } from 'fp-ts/function'
import { describe, expect, it } from 'vitest'
import { Schedule } from '../src/index'

type S = Schedule.Schedule<number, unknown>

/**
 * Steps `schedule` as a driver does when each run lasts `durations[i]` ms: the run starts, ends `durations[i]` ms
 * later, and the schedule is stepped then, with the time elapsed since the first run began. Returns when each
 * run started and the delays granted; stops at done or at the end of the durations.
 */
const drive = (schedule: Schedule.Schedule<number, unknown>, durations: ReadonlyArray<number>, random = () => 0.5) => {
  const starts: Array<number> = []
  const delays: Array<number> = []
  let state = schedule.initial
  let start = 0
  for (const [i, duration] of durations.entries()) {
    starts.push(start)
    const end = start + duration
    const decision = schedule.step(state, i, { elapsed: end, random })
    if (decision._tag === 'Done') break
    delays.push(decision.delay)
    state = decision.state
    start = end + decision.delay
  }
  return { starts, delays }
}

/** Steps `schedule` with the given elapsed times (runs ending then), returning the delays. */
const delaysAt = (schedule: Schedule.Schedule<null, unknown>, ends: ReadonlyArray<number>) => {
  const delays: Array<number> = []
  let state = schedule.initial
  for (const elapsed of ends) {
    const d = schedule.step(state, null, { elapsed, random: () => 0.5 })
    if (d._tag === 'Done') break
    delays.push(d.delay)
    state = d.state
  }
  return delays
}

const limited = (s: Schedule.Schedule<unknown, unknown>, n: number): Schedule.Schedule<unknown, unknown> =>
  pipe(s, Schedule.intersect(Schedule.recurs(n)))

/** A few schedules of every shape (growing, jittered, ending, hostile-free), as printable specs. */
type Spec =
  | { readonly k: 'exponential'; readonly base: number }
  | { readonly k: 'spaced'; readonly d: number }
  | { readonly k: 'fromDelays'; readonly ds: ReadonlyArray<number> }
  | { readonly k: 'recurs'; readonly n: number }
  | { readonly k: 'jitter'; readonly base: number }
  | { readonly k: 'whileInput'; readonly limit: number; readonly base: number }
const build = (spec: Spec): S => {
  switch (spec.k) {
    case 'exponential':
      return Schedule.exponential(spec.base)
    case 'spaced':
      return Schedule.spaced(spec.d)
    case 'fromDelays':
      return Schedule.fromDelays(...spec.ds)
    case 'recurs':
      return Schedule.recurs(spec.n)
    case 'jitter':
      return pipe(Schedule.exponential(spec.base), Schedule.fullJitter)
    case 'whileInput':
      return pipe(
        Schedule.linear(spec.base),
        Schedule.whileInput((n: number) => n < spec.limit),
      )
  }
}
const delayArb = fc.integer({ min: 0, max: 5_000 })
const specArb: fc.Arbitrary<Spec> = fc.oneof(
  fc.record({ k: fc.constant('exponential' as const), base: delayArb }),
  fc.record({ k: fc.constant('spaced' as const), d: delayArb }),
  fc.record({ k: fc.constant('fromDelays' as const), ds: fc.array(delayArb, { maxLength: 8 }) }),
  fc.record({ k: fc.constant('recurs' as const), n: fc.integer({ min: 0, max: 8 }) }),
  fc.record({ k: fc.constant('jitter' as const), base: delayArb }),
  fc.record({ k: fc.constant('whileInput' as const), limit: fc.integer({ min: 0, max: 20 }), base: delayArb }),
)
const inputsArb = fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 20 })
const drawArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })

/** Delays and whether it ended, for a law that compares two schedules (same constant draw on both sides). */
const behaviour = (s: S, inputs: ReadonlyArray<number>, r: number) => {
  const steps = Schedule.trace(s, inputs, { random: () => r })
  return {
    delays: steps.filter((x) => x._tag === 'Continue').map((x) => x.delay),
    ended: steps.at(-1)?._tag === 'Done',
  }
}

describe('fixed(interval): a cadence from the first run’s start', () => {
  it('runs that fit in the interval start exactly on the cadence, whatever they take', () => {
    const { starts, delays } = drive(Schedule.fixed(100), [0, 30, 99, 100, 5, 0])
    expect(starts).toEqual([0, 100, 200, 300, 400, 500])
    expect(delays).toEqual([100, 70, 1, 0, 95, 100])
  })

  it('a run longer than the interval is followed by one run at once, then the cadence resumes: no pile-up', () => {
    // the run at 100 takes 250 ms and ends at 350: the runs due at 200 and 300 are skipped, one starts at 350
    const { starts, delays } = drive(Schedule.fixed(100), [10, 250, 10, 10, 420, 0, 0])
    expect(starts).toEqual([0, 100, 350, 400, 500, 920, 1000])
    expect(delays).toEqual([90, 0, 40, 90, 0, 80, 100])
  })

  it('is spaced(interval) when runs take no time (simulate)', () => {
    expect(Schedule.simulate(limited(Schedule.fixed(250), 4), [1, 2, 3, 4, 5, 6])).toEqual([250, 250, 250, 250])
  })

  it('outputs the recurrence count, from 0, and never ends', () => {
    expect(Schedule.trace(Schedule.fixed(10), Array(5).fill(0)).map((s) => [s._tag, s.out])).toEqual([
      ['Continue', 0],
      ['Continue', 1],
      ['Continue', 2],
      ['Continue', 3],
      ['Continue', 4],
    ])
  })

  it('fixed(0) runs again at once, every time', () => {
    expect(drive(Schedule.fixed(0), [0, 5, 100, 0]).delays).toEqual([0, 0, 0, 0])
  })

  it('a run ending exactly on the next due instant is followed at once by the run due then', () => {
    expect(drive(Schedule.fixed(100), [100, 100, 0]).starts).toEqual([0, 100, 200])
  })

  it('law: at most one run starts per interval window, and each starts on a due instant or as the last run ends', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000 }),
        fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 40 }),
        (interval, durations) => {
          const { starts } = drive(Schedule.fixed(interval), durations)
          starts.forEach((start, i) => {
            if (i === 0) return
            const previousEnd = (starts[i - 1] as number) + (durations[i - 1] as number)
            expect(start).toBeGreaterThanOrEqual(previousEnd) // never two runs at once
            expect(start % interval === 0 || start === previousEnd).toBe(true)
            // late (the previous run ended after a due instant): at once; else: the next due instant
            const nextDue = (Math.floor((starts[i - 1] as number) / interval) + 1) * interval
            expect(start).toBe(previousEnd > nextDue ? previousEnd : nextDue)
            expect(Math.floor(start / interval)).toBeGreaterThan(Math.floor((starts[i - 1] as number) / interval))
          })
        },
      ),
    )
  })
})

describe('windowed(interval): the next window boundary', () => {
  it('waits for the next boundary after each run, counted from the first run’s start', () => {
    const { starts, delays } = drive(Schedule.windowed(100), [30, 250, 10, 100, 0])
    expect(starts).toEqual([0, 100, 400, 500, 700])
    expect(delays).toEqual([70, 50, 90, 100, 100])
  })

  it('a run ending exactly on a boundary waits for the next one (strictly after now)', () => {
    expect(drive(Schedule.windowed(100), [100, 0]).starts).toEqual([0, 200])
  })

  it('is spaced(interval) when runs take no time (simulate), and windowed(0) never waits', () => {
    expect(Schedule.simulate(limited(Schedule.windowed(40), 3), [1, 2, 3, 4])).toEqual([40, 40, 40])
    expect(drive(Schedule.windowed(0), [3, 7, 0]).delays).toEqual([0, 0, 0])
  })

  it('law: every run after the first starts on a boundary strictly after the previous run ended', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000 }),
        fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 40 }),
        (interval, durations) => {
          const { starts } = drive(Schedule.windowed(interval), durations)
          starts.slice(1).forEach((start, i) => {
            const previousEnd = (starts[i] as number) + (durations[i] as number)
            expect(start % interval).toBe(0)
            expect(start).toBeGreaterThan(previousEnd)
            expect(start - previousEnd).toBeLessThanOrEqual(interval)
          })
        },
      ),
    )
  })
})

describe('count and elapsed: outputs for tapping', () => {
  it('count outputs 0, 1, 2, ... with no delay, and never ends', () => {
    expect(Schedule.trace(Schedule.count, [1, 2, 3]).map((s) => [s._tag, s.delay, s.out])).toEqual([
      ['Continue', 0, 0],
      ['Continue', 0, 1],
      ['Continue', 0, 2],
    ])
  })

  it('elapsed outputs the time since the first run began, as the driver measured it', () => {
    expect(
      Schedule.trace(pipe(Schedule.fromDelays(100, 250, 50), Schedule.intersect(Schedule.elapsed)), [1, 2, 3, 4]).map(
        (s) => s.out[1],
      ),
    ).toEqual([0, 100, 350, 400])
    // runs that take time count too; a NaN or negative reading counts as 0
    const e = Schedule.elapsed
    expect(e.step(e.initial, 0, { elapsed: 1234, random: Math.random })).toMatchObject({ delay: 0, out: 1234 })
    expect(e.step(e.initial, 0, { elapsed: NaN, random: Math.random })).toMatchObject({ out: 0 })
    expect(e.step(e.initial, 0, { elapsed: -5, random: Math.random })).toMatchObject({ out: 0 })
  })

  it('law: intersect(count) and intersect(elapsed) change neither the delays nor when a schedule ends', () => {
    fc.assert(
      fc.property(specArb, inputsArb, drawArb, (spec, inputs, r) => {
        const plain = behaviour(build(spec), inputs, r)
        expect(behaviour(pipe(build(spec), Schedule.intersect(Schedule.count)), inputs, r)).toEqual(plain)
        expect(behaviour(pipe(build(spec), Schedule.intersect(Schedule.elapsed)), inputs, r)).toEqual(plain)
      }),
    )
  })

  it('tapping: the count and the time reach tapOutput at each step', () => {
    const seen: Array<readonly [number, number]> = []
    const policy = pipe(
      Schedule.spaced(100),
      Schedule.intersect(Schedule.recurs(2)),
      Schedule.intersect(Schedule.count),
      Schedule.intersect(Schedule.elapsed),
      Schedule.tapOutput(([[, n], ms]) => seen.push([n, ms])),
    )
    expect(Schedule.simulate(policy, [1, 2, 3, 4])).toEqual([100, 100])
    expect(seen).toEqual([
      [0, 0],
      [1, 100],
      [2, 200],
    ])
  })
})

describe('dynamic: the schedule chosen from the first input', () => {
  type HttpError = { readonly status: number }
  const forRateLimit = pipe(Schedule.spaced(1_000), Schedule.intersect(Schedule.recurs(2)))
  const forServerError = pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(4)))

  it('follows the schedule chosen at the first step, whatever the later inputs', () => {
    const policy = Schedule.dynamic((first: HttpError) => (first.status === 429 ? forRateLimit : forServerError))
    expect(Schedule.simulate(policy, Array(6).fill({ status: 429 }))).toEqual([1_000, 1_000])
    expect(
      Schedule.simulate(policy, [{ status: 503 }, { status: 429 }, { status: 429 }, { status: 429 }, { status: 429 }]),
    ).toEqual([100, 200, 400, 800])
  })

  it('chooses once per run, afresh for every run of the same schedule value, and passes every input on', () => {
    const firsts: Array<number> = []
    const inputs: Array<number> = []
    const policy = Schedule.dynamic((first: number) => {
      firsts.push(first)
      return pipe(
        Schedule.spaced(first),
        Schedule.tapInput((n: number) => inputs.push(n)),
      )
    })
    expect(Schedule.simulate(policy, [10, 20, 30])).toEqual([10, 10, 10])
    expect(Schedule.simulate(policy, [7, 8])).toEqual([7, 7])
    expect(firsts).toEqual([10, 7])
    expect(inputs).toEqual([10, 20, 30, 7, 8])
  })

  it('law: dynamic(() => s) is s (delays and end)', () => {
    fc.assert(
      fc.property(specArb, inputsArb, drawArb, (spec, inputs, r) => {
        expect(
          behaviour(
            Schedule.dynamic(() => build(spec)),
            inputs,
            r,
          ),
        ).toEqual(behaviour(build(spec), inputs, r))
      }),
    )
  })
})

describe('resetAfter(d): starts over after a quiet period', () => {
  it('an attempt that ran d ms or more resets the schedule; the sleeps never count', () => {
    const policy = pipe(Schedule.exponential(100), Schedule.resetAfter(60_000))
    // fail at once at 0 and 100; the attempt due at 300 runs for 60 s; then fail at once
    expect(delaysAt(policy, [0, 100, 60_300, 60_400, 60_600])).toEqual([100, 200, 100, 200, 400])
    // one ms short of the quiet period: no reset
    expect(delaysAt(policy, [0, 100, 60_299, 60_699])).toEqual([100, 200, 400, 800])
  })

  it('a long backoff does not reset itself: the quiet period is the attempt’s time, not the sleep’s', () => {
    const policy = pipe(Schedule.fromDelays(120_000, 240_000, 480_000), Schedule.resetAfter(60_000))
    expect(Schedule.simulate(policy, [1, 2, 3, 4])).toEqual([120_000, 240_000, 480_000])
  })

  it('keeps ending as the schedule ends, and a reset brings an ended count back', () => {
    const policy = pipe(Schedule.recurs(2), Schedule.resetAfter(1_000))
    expect(delaysAt(policy, [0, 0, 0, 0])).toEqual([0, 0]) // done on the third step
    expect(delaysAt(policy, [0, 0, 1_000, 1_000, 1_000])).toEqual([0, 0, 0, 0]) // the third attempt ran 1 s: reset
  })

  it('resetAfter(0) starts over at every step', () => {
    expect(Schedule.simulate(pipe(Schedule.exponential(100), Schedule.resetAfter(0)), [1, 2, 3])).toEqual([
      100, 100, 100,
    ])
  })

  it('law: with attempts that take no time (simulate), resetAfter(d > 0) is the schedule itself', () => {
    fc.assert(
      fc.property(specArb, inputsArb, drawArb, fc.integer({ min: 1, max: 10 ** 9 }), (spec, inputs, r, d) => {
        expect(behaviour(pipe(build(spec), Schedule.resetAfter(d)), inputs, r)).toEqual(
          behaviour(build(spec), inputs, r),
        )
      }),
    )
  })
})

describe('modifyDelayWithInput: a delay rewrite that sees the input', () => {
  it('rewrites each delay from (delay, input, out)', () => {
    const seen: Array<readonly [number, number, number]> = []
    const policy = pipe(
      Schedule.exponential(100),
      Schedule.modifyDelayWithInput((delay, input: number, out) => {
        seen.push([delay, input, out])
        return input === 429 ? delay * 2 : delay
      }),
    )
    expect(Schedule.simulate(policy, [503, 429, 503])).toEqual([100, 400, 400])
    expect(seen).toEqual([
      [100, 503, 100],
      [200, 429, 200],
      [400, 503, 400],
    ])
  })

  it('a NaN or negative result becomes 0, an infinite one MAX_DELAY; a done stays done', () => {
    const rewrite = (value: number) =>
      pipe(
        Schedule.recurs(1),
        Schedule.modifyDelayWithInput(() => value),
      )
    expect(Schedule.simulate(rewrite(NaN), [1, 2, 3])).toEqual([0])
    expect(Schedule.simulate(rewrite(-5), [1, 2, 3])).toEqual([0])
    expect(Schedule.simulate(rewrite(Infinity), [1, 2, 3])).toEqual([Schedule.MAX_DELAY])
    expect(Schedule.trace(rewrite(1_000), [1, 2, 3]).map((s) => s._tag)).toEqual(['Continue', 'Done'])
  })

  it('laws: the identity rewrite changes nothing, and one that ignores the input is modifyDelay', () => {
    fc.assert(
      fc.property(specArb, inputsArb, drawArb, fc.double({ min: 0, max: 10, noNaN: true }), (spec, inputs, r, x) => {
        const plain = behaviour(build(spec), inputs, r)
        expect(
          behaviour(
            pipe(
              build(spec),
              Schedule.modifyDelayWithInput((d) => d),
            ),
            inputs,
            r,
          ),
        ).toEqual(plain)
        expect(
          behaviour(
            pipe(
              build(spec),
              Schedule.modifyDelayWithInput((d) => d * x),
            ),
            inputs,
            r,
          ),
        ).toEqual(
          behaviour(
            pipe(
              build(spec),
              Schedule.modifyDelay((d) => d * x),
            ),
            inputs,
            r,
          ),
        )
      }),
    )
  })
})

describe('bad arguments throw a RangeError naming function, parameter and value', () => {
  it.each([
    [() => Schedule.fixed(-1), 'Schedule.fixed: interval must be a finite non-negative number of milliseconds, got -1'],
    [
      () => Schedule.fixed(NaN),
      'Schedule.fixed: interval must be a finite non-negative number of milliseconds, got NaN',
    ],
    [
      () => Schedule.windowed(Infinity),
      'Schedule.windowed: interval must be a finite non-negative number of milliseconds, got Infinity',
    ],
    [
      () => Schedule.resetAfter(-0.5),
      'Schedule.resetAfter: duration must be a finite non-negative number of milliseconds, got -0.5',
    ],
  ])('%s', (thunk, message) => {
    expect(thunk).toThrow(RangeError)
    expect(thunk).toThrow(message)
  })
})

describe('the TSDoc examples say what they do', () => {
  it('fixed, windowed, count, elapsed, dynamic, resetAfter, modifyDelayWithInput', () => {
    expect(delaysAt(limited(Schedule.fixed(1000), 3), [0, 3500, 3500])).toEqual([1000, 0, 500])
    expect(delaysAt(limited(Schedule.windowed(1000), 2), [300, 2500])).toEqual([700, 500])
    expect(
      Schedule.trace(pipe(Schedule.exponential(100), Schedule.intersect(Schedule.count)), [1, 2, 3]).map((s) => s.out),
    ).toEqual([
      [100, 0],
      [200, 1],
      [400, 2],
    ])
    const timed = pipe(
      Schedule.spaced(250),
      Schedule.intersect(Schedule.recurs(3)),
      Schedule.intersect(Schedule.elapsed),
    )
    expect(Schedule.trace(timed, [1, 2, 3, 4]).map((step) => step.out[1])).toEqual([0, 250, 500, 750])
    expect(delaysAt(pipe(Schedule.exponential(100), Schedule.resetAfter(60_000)), [0, 100, 60_300, 60_400])).toEqual([
      100, 200, 100, 200,
    ])
    expect(
      Schedule.simulate(
        Schedule.dynamic((_: number) => Schedule.recurs(1)),
        [1, 2],
      ),
    ).toEqual([0])
  })
})
