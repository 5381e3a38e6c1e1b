import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import { describe, expect, it } from 'vitest'
import { Random, Schedule } from '../src/index'

const zeros = (n: number): ReadonlyArray<number> => Array.from({ length: n }, () => 0)
const tags = <Out>(steps: ReadonlyArray<Schedule.TraceStep<Out>>) => steps.map((s) => s._tag)
const outs = <Out>(steps: ReadonlyArray<Schedule.TraceStep<Out>>) => steps.map((s) => s.out)

/** Steps a schedule directly (no sanitizing), returning every raw decision. */
const rawSteps = <In, Out>(schedule: Schedule.Schedule<In, Out>, inputs: ReadonlyArray<In>, random: () => number) => {
  const decisions: Array<Schedule.Decision<unknown, Out>> = []
  let state = schedule.initial
  for (const input of inputs) {
    const d = schedule.step(state, input, { elapsed: 0, random })
    decisions.push(d)
    if (d._tag === 'Done') break
    state = d.state
  }
  return decisions
}

describe('constructors', () => {
  it('recurs(n) yields n zero delays, outputs 0..n-1, then is done with output n', () => {
    const steps = Schedule.trace(Schedule.recurs(3), zeros(10))
    expect(Schedule.simulate(Schedule.recurs(3), zeros(10))).toEqual([0, 0, 0])
    expect(tags(steps)).toEqual(['Continue', 'Continue', 'Continue', 'Done'])
    expect(outs(steps)).toEqual([0, 1, 2, 3])
    expect(steps.map((s) => s.attempt)).toEqual([1, 2, 3, 4])
  })

  it('recurs(0) never retries', () => {
    expect(Schedule.simulate(Schedule.recurs(0), zeros(5))).toEqual([])
    expect(tags(Schedule.trace(Schedule.recurs(0), zeros(5)))).toEqual(['Done'])
  })

  it('spaced(d) yields d forever, outputting the recurrence count', () => {
    const steps = Schedule.trace(Schedule.spaced(250), zeros(50))
    expect(steps.map((s) => s.delay)).toEqual(Array(50).fill(250))
    expect(tags(steps).every((t) => t === 'Continue')).toBe(true)
    expect(outs(steps).slice(0, 4)).toEqual([0, 1, 2, 3])
    expect(steps.map((s) => s.elapsed).slice(0, 4)).toEqual([0, 250, 500, 750])
  })

  it('exponential(base) doubles by default and outputs the delay', () => {
    const steps = Schedule.trace(Schedule.exponential(100), zeros(6))
    expect(steps.map((s) => s.delay)).toEqual([100, 200, 400, 800, 1600, 3200])
    expect(outs(steps)).toEqual([100, 200, 400, 800, 1600, 3200])
    expect(tags(steps).every((t) => t === 'Continue')).toBe(true)
  })

  it('exponential(base, factor) uses the factor; factor 1 is constant', () => {
    expect(Schedule.simulate(Schedule.exponential(10, 3), zeros(4))).toEqual([10, 30, 90, 270])
    expect(Schedule.simulate(Schedule.exponential(10, 1), zeros(3))).toEqual([10, 10, 10])
    expect(Schedule.simulate(Schedule.exponential(0), zeros(3))).toEqual([0, 0, 0])
  })

  it('fibonacci(base) yields base, base, 2base, 3base, 5base, 8base', () => {
    const steps = Schedule.trace(Schedule.fibonacci(10), zeros(7))
    expect(steps.map((s) => s.delay)).toEqual([10, 10, 20, 30, 50, 80, 130])
    expect(outs(steps)).toEqual([10, 10, 20, 30, 50, 80, 130])
  })

  it('linear(base) yields base, 2base, 3base', () => {
    const steps = Schedule.trace(Schedule.linear(50), zeros(4))
    expect(steps.map((s) => s.delay)).toEqual([50, 100, 150, 200])
    expect(outs(steps)).toEqual([50, 100, 150, 200])
  })

  it('fromDelays yields exactly those delays, then is done with the last delay as output', () => {
    const steps = Schedule.trace(Schedule.fromDelays(10, 100, 1000), zeros(10))
    expect(Schedule.simulate(Schedule.fromDelays(10, 100, 1000), zeros(10))).toEqual([10, 100, 1000])
    expect(tags(steps)).toEqual(['Continue', 'Continue', 'Continue', 'Done'])
    expect(outs(steps)).toEqual([10, 100, 1000, 1000])
    expect(tags(Schedule.trace(Schedule.fromDelays(), zeros(3)))).toEqual(['Done'])
  })

  it('forever yields 0 forever, counting', () => {
    const steps = Schedule.trace(Schedule.forever, zeros(1000))
    expect(steps).toHaveLength(1000)
    expect(steps.every((s) => s._tag === 'Continue' && s.delay === 0)).toBe(true)
    expect(steps[999]?.out).toBe(999)
  })

  it('once is recurs(1) and stop is recurs(0)', () => {
    expect(tags(Schedule.trace(Schedule.once, zeros(5)))).toEqual(['Continue', 'Done'])
    expect(outs(Schedule.trace(Schedule.once, zeros(5)))).toEqual([0, 1])
    expect(Schedule.simulate(Schedule.once, zeros(5))).toEqual([0])
    expect(tags(Schedule.trace(Schedule.stop, zeros(5)))).toEqual(['Done'])
    expect(outs(Schedule.trace(Schedule.stop, zeros(5)))).toEqual([0])
  })

  it('decorrelatedJitter draws within [base, min(cap, 3 * previous)] and never ends', () => {
    // random 0: always base
    expect(
      Schedule.simulate(Schedule.decorrelatedJitter(100, 10_000), zeros(5), { random: Random.constant(0) }),
    ).toEqual([100, 100, 100, 100, 100])
    // random 0.5: base + (min(cap, 3 * previous) - base) / 2
    expect(
      Schedule.simulate(Schedule.decorrelatedJitter(100, 1000), zeros(6), { random: Random.constant(0.5) }),
    ).toEqual([200, 350, 550, 550, 550, 550])
    const steps = Schedule.trace(Schedule.decorrelatedJitter(100, 1000), zeros(200), { random: Random.seeded(9) })
    expect(steps).toHaveLength(200)
    let previous = 100
    for (const s of steps) {
      expect(s._tag).toBe('Continue')
      expect(s.delay).toBeGreaterThanOrEqual(100)
      expect(s.delay).toBeLessThanOrEqual(Math.min(1000, 3 * previous))
      expect(s.out).toBe(s.delay)
      previous = s.delay
    }
  })

  it('decorrelatedJitter with base = cap is constant', () => {
    expect(Schedule.simulate(Schedule.decorrelatedJitter(500, 500), zeros(3), { random: Random.seeded(1) })).toEqual([
      500, 500, 500,
    ])
  })

  it('make builds a custom schedule from a pure step', () => {
    const s = Schedule.make(1, (n: number) =>
      n <= 3 ? { _tag: 'Continue', delay: n * 10, out: n, state: n + 1 } : { _tag: 'Done', out: n },
    )
    expect(Schedule.simulate(s, zeros(10))).toEqual([10, 20, 30])
    expect(outs(Schedule.trace(s, zeros(10)))).toEqual([1, 2, 3, 4])
  })
})

describe('simulate and trace', () => {
  it('stop at the end of the inputs', () => {
    expect(Schedule.simulate(Schedule.spaced(5), zeros(3))).toEqual([5, 5, 5])
    expect(Schedule.simulate(Schedule.spaced(5), [])).toEqual([])
    expect(Schedule.trace(Schedule.spaced(5), zeros(2)).map((s) => s.elapsed)).toEqual([0, 5])
  })

  it('accept any iterable', () => {
    function* three() {
      yield 1
      yield 2
      yield 3
    }
    expect(Schedule.simulate(Schedule.linear(1), three())).toEqual([1, 2, 3])
  })

  it('sanitize a custom step that yields NaN, negative or infinite delays', () => {
    const bad = [NaN, -5, Infinity, -Infinity]
    const s = Schedule.make(0, (i: number) =>
      i < bad.length ? { _tag: 'Continue', delay: bad[i] ?? 0, out: i, state: i + 1 } : { _tag: 'Done', out: i },
    )
    expect(Schedule.simulate(s, zeros(10))).toEqual([0, 0, Schedule.MAX_DELAY, 0])
  })
})

describe('combinators', () => {
  it('intersect: continues while both continue, with the longer delay and both outputs', () => {
    const s = pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(4)))
    const steps = Schedule.trace(s, zeros(10))
    expect(Schedule.simulate(s, zeros(10))).toEqual([100, 200, 400, 800])
    expect(tags(steps)).toEqual(['Continue', 'Continue', 'Continue', 'Continue', 'Done'])
    expect(outs(steps)).toEqual([
      [100, 0],
      [200, 1],
      [400, 2],
      [800, 3],
      [1600, 4],
    ])
    expect(Schedule.simulate(pipe(Schedule.spaced(300), Schedule.intersect(Schedule.linear(100))), zeros(5))).toEqual([
      300, 300, 300, 400, 500,
    ])
  })

  it('union: continues while either continues, with the shorter delay of those continuing', () => {
    const s = pipe(Schedule.recurs(3), Schedule.union(Schedule.spaced(1000)))
    expect(Schedule.simulate(s, zeros(5))).toEqual([0, 0, 0, 1000, 1000])
    const short = pipe(Schedule.fromDelays(50, 60), Schedule.union(Schedule.fromDelays(10, 70, 80, 90)))
    const steps = Schedule.trace(short, zeros(10))
    expect(steps.map((x) => x.delay)).toEqual([10, 60, 80, 90, 0])
    expect(tags(steps)).toEqual(['Continue', 'Continue', 'Continue', 'Continue', 'Done'])
    // a side that is done keeps its last output
    expect(outs(steps)).toEqual([
      [50, 10],
      [60, 70],
      [60, 80],
      [60, 90],
      [60, 90],
    ])
  })

  it('union: a side that is done is not stepped again', () => {
    let stepped = 0
    const counted = Schedule.make(0, (n: number) => {
      stepped++
      return n < 1 ? { _tag: 'Continue', delay: 1, out: n, state: n + 1 } : { _tag: 'Done', out: n }
    })
    Schedule.simulate(pipe(counted, Schedule.union(Schedule.recurs(5))), zeros(10))
    expect(stepped).toBe(2)
  })

  it('andThen: self to its end, then that from its start on the same step, no attempt lost', () => {
    const s = pipe(
      Schedule.recurs(2),
      Schedule.andThen(pipe(Schedule.spaced(1000), Schedule.intersect(Schedule.recurs(3)))),
    )
    const steps = Schedule.trace(s, zeros(10))
    expect(steps.map((x) => x.delay)).toEqual([0, 0, 1000, 1000, 1000, 0])
    expect(tags(steps)).toEqual(['Continue', 'Continue', 'Continue', 'Continue', 'Continue', 'Done'])
    expect(outs(steps)).toEqual([0, 1, [0, 0], [1, 1], [2, 2], [3, 3]])
    expect(Schedule.simulate(pipe(Schedule.stop, Schedule.andThen(Schedule.fromDelays(7))), zeros(5))).toEqual([7])
    expect(Schedule.simulate(pipe(Schedule.fromDelays(1, 2), Schedule.andThen(Schedule.stop)), zeros(5))).toEqual([
      1, 2,
    ])
  })

  it('andThen: that sees the input of the step on which self ended', () => {
    const seen: Array<number> = []
    const that = pipe(
      Schedule.recurs(5),
      Schedule.tapInput((n: number) => seen.push(n)),
    )
    Schedule.simulate(pipe(Schedule.recurs(2), Schedule.andThen(that)), [1, 2, 3, 4])
    expect(seen).toEqual([3, 4])
  })

  it('whileInput stops on the first input for which the predicate is false', () => {
    const s = pipe(
      Schedule.spaced(10),
      Schedule.whileInput((e: number) => e < 3),
    )
    const steps = Schedule.trace(s, [1, 2, 3, 1])
    expect(steps.map((x) => x.delay)).toEqual([10, 10, 0])
    expect(tags(steps)).toEqual(['Continue', 'Continue', 'Done'])
    // the output is the wrapped schedule's latest output; the refused step keeps the previous one
    expect(outs(steps)).toEqual([O.some(0), O.some(1), O.some(1)])
    expect(outs(Schedule.trace(s, [5]))).toEqual([O.none])
  })

  it('whileInput: when the wrapped schedule ends first, its final output is kept', () => {
    const s = pipe(
      Schedule.recurs(1),
      Schedule.whileInput((e: number) => e < 3),
    )
    expect(outs(Schedule.trace(s, [1, 1, 1]))).toEqual([O.some(0), O.some(1)])
  })

  it('untilInput stops on the first input for which the predicate is true', () => {
    const s = pipe(
      Schedule.spaced(10),
      Schedule.untilInput((e: string) => e === 'fatal'),
    )
    expect(Schedule.simulate(s, ['a', 'b', 'fatal', 'c'])).toEqual([10, 10])
    expect(tags(Schedule.trace(s, ['fatal']))).toEqual(['Done'])
  })

  // With a type guard, the narrowing holds at run time too: the wrapped schedule is never stepped
  // with an input the guard refuses, and the output is the wrapped schedule's latest (an Option).
  it('whileInput: the wrapped schedule never sees an input the type guard rejects', () => {
    type Http = { readonly status: number }
    const isHttp = (e: Http | string): e is Http => typeof e !== 'string'
    const seen: Array<Http> = []
    const inner = Schedule.make(0, (n: number, e: Http) => {
      seen.push(e)
      return { _tag: 'Continue', delay: e.status, out: n, state: n + 1 }
    })
    const s = pipe(inner, Schedule.whileInput(isHttp))
    expect(Schedule.simulate(s, [{ status: 5 }, 'boom', { status: 7 }])).toEqual([5])
    expect(seen).toEqual([{ status: 5 }])
  })

  it('untilInput: the wrapped schedule never sees an input the type guard picks out', () => {
    type Fatal = { readonly _tag: 'Fatal' }
    type Flaky = { readonly _tag: 'Flaky'; readonly wait: number }
    const isFatal = (e: Fatal | Flaky): e is Fatal => e._tag === 'Fatal'
    const seen: Array<Flaky> = []
    const inner = Schedule.make(0, (n: number, e: Flaky) => {
      seen.push(e)
      return { _tag: 'Continue', delay: e.wait, out: n, state: n + 1 }
    })
    const s = pipe(inner, Schedule.untilInput(isFatal))
    expect(Schedule.simulate(s, [{ _tag: 'Flaky', wait: 3 }, { _tag: 'Fatal' }])).toEqual([3])
    expect(seen).toEqual([{ _tag: 'Flaky', wait: 3 }])
  })

  it('whileOutput / untilOutput test the output', () => {
    expect(
      Schedule.simulate(
        pipe(
          Schedule.exponential(100),
          Schedule.whileOutput((d) => d < 1000),
        ),
        zeros(10),
      ),
    ).toEqual([100, 200, 400, 800])
    const until = pipe(
      Schedule.forever,
      Schedule.untilOutput((n) => n >= 2),
    )
    expect(Schedule.simulate(until, zeros(10))).toEqual([0, 0])
    expect(outs(Schedule.trace(until, zeros(10)))).toEqual([0, 1, 2])
  })

  it('upTo: done when elapsed time plus the next delay exceeds the deadline', () => {
    const s = pipe(Schedule.exponential(100), Schedule.upTo(1000))
    const steps = Schedule.trace(s, zeros(10))
    // attempts at 0, 100, 300, 700; the next would start at 1500 > 1000
    expect(steps.map((x) => x.delay)).toEqual([100, 200, 400, 0])
    expect(tags(steps)).toEqual(['Continue', 'Continue', 'Continue', 'Done'])
    // an attempt exactly at the deadline is still allowed
    expect(Schedule.simulate(pipe(Schedule.spaced(250), Schedule.upTo(1000)), zeros(10))).toEqual([250, 250, 250, 250])
    expect(Schedule.simulate(pipe(Schedule.spaced(1), Schedule.upTo(0)), zeros(10))).toEqual([])
  })

  it('upTo, capDelay, modifyDelay, addDelay and jitter keep the outputs; upTo ends with the output of its last step', () => {
    const base = pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(10)))
    const expected = outs(Schedule.trace(base, zeros(5)))
    const delayOnly = [
      Schedule.capDelay(150),
      Schedule.modifyDelay((d: number) => d * 3),
      Schedule.addDelay(() => 7),
      Schedule.jittered(),
      Schedule.fullJitter,
      Schedule.equalJitter,
    ]
    for (const f of delayOnly)
      expect(outs(Schedule.trace(f(base), zeros(5), { random: Random.seeded(3) }))).toEqual(expected)
    // attempts at 0, 100, 300; the next would start at 700 > 500: done, with the output of that step
    const limited = Schedule.trace(pipe(base, Schedule.upTo(500)), zeros(10))
    expect(tags(limited)).toEqual(['Continue', 'Continue', 'Done'])
    expect(outs(limited)).toEqual([
      [100, 0],
      [200, 1],
      [400, 2],
    ])
  })

  it('upTo reads elapsed from the step context', () => {
    const s = pipe(Schedule.spaced(100), Schedule.upTo(1000))
    const at = (elapsed: number) => s.step(s.initial, 0, { elapsed, random: Math.random })._tag
    expect(at(900)).toBe('Continue')
    expect(at(901)).toBe('Done')
  })

  it('capDelay bounds delays and never turns done into continue', () => {
    expect(Schedule.simulate(pipe(Schedule.exponential(100), Schedule.capDelay(500)), zeros(5))).toEqual([
      100, 200, 400, 500, 500,
    ])
    const capped = pipe(Schedule.fromDelays(1000, 2000), Schedule.capDelay(1500))
    expect(tags(Schedule.trace(capped, zeros(5)))).toEqual(['Continue', 'Continue', 'Done'])
    expect(Schedule.simulate(capped, zeros(5))).toEqual([1000, 1500])
  })

  it('modifyDelay rewrites from (delay, out) and sanitizes the result', () => {
    expect(
      Schedule.simulate(
        pipe(
          Schedule.spaced(100),
          Schedule.modifyDelay((d, n) => d + n),
        ),
        zeros(3),
      ),
    ).toEqual([100, 101, 102])
    const rewrittenTo = (value: number) =>
      Schedule.simulate(
        pipe(
          Schedule.spaced(100),
          Schedule.modifyDelay(() => value),
        ),
        zeros(1),
      )
    expect(rewrittenTo(NaN)).toEqual([0])
    expect(rewrittenTo(-1)).toEqual([0])
    expect(rewrittenTo(Infinity)).toEqual([Schedule.MAX_DELAY])
    const raw = pipe(
      Schedule.spaced(100),
      Schedule.modifyDelay(() => NaN),
    )
    const d = raw.step(raw.initial, 0, { elapsed: 0, random: Math.random })
    expect(d._tag === 'Continue' && d.delay).toBe(0)
  })

  it('addDelay adds f(delay, out)', () => {
    expect(
      Schedule.simulate(
        pipe(
          Schedule.exponential(100),
          Schedule.addDelay(() => 5),
        ),
        zeros(2),
      ),
    ).toEqual([105, 205])
    expect(
      Schedule.simulate(
        pipe(
          Schedule.linear(10),
          Schedule.addDelay((_, out) => out),
        ),
        zeros(3),
      ),
    ).toEqual([20, 40, 60])
  })

  it('map changes outputs, not delays or the end', () => {
    const s = pipe(
      Schedule.recurs(2),
      Schedule.map((n) => `retry #${n + 1}`),
    )
    const steps = Schedule.trace(s, zeros(5))
    expect(outs(steps)).toEqual(['retry #1', 'retry #2', 'retry #3'])
    expect(tags(steps)).toEqual(['Continue', 'Continue', 'Done'])
  })

  it('tapInput sees every input, tapOutput every output, decisions unchanged', () => {
    const inputs: Array<string> = []
    const outputs: Array<number> = []
    const s = pipe(
      Schedule.recurs(2),
      Schedule.tapInput((e: string) => inputs.push(e)),
      Schedule.tapOutput((n) => outputs.push(n)),
    )
    expect(Schedule.simulate(s, ['a', 'b', 'c', 'd'])).toEqual([0, 0])
    expect(inputs).toEqual(['a', 'b', 'c'])
    expect(outputs).toEqual([0, 1, 2])
  })
})

describe('jitter', () => {
  it('jittered scales by min at random 0 and by just under max near 1', () => {
    const s = pipe(Schedule.spaced(1000), Schedule.jittered(0.5, 1.5))
    expect(Schedule.simulate(s, zeros(2), { random: Random.constant(0) })).toEqual([500, 500])
    expect(Schedule.simulate(s, zeros(1), { random: Random.constant(0.5) })).toEqual([1000])
    const [high] = Schedule.simulate(s, zeros(1), { random: Random.constant(0.999999) })
    expect(high).toBeGreaterThan(1499)
    expect(high).toBeLessThan(1500)
  })

  it('jittered defaults to [0.8, 1.2)', () => {
    const s = pipe(Schedule.spaced(1000), Schedule.jittered())
    expect(Schedule.simulate(s, zeros(1), { random: Random.constant(0) })).toEqual([800])
    const [high] = Schedule.simulate(s, zeros(1), { random: Random.constant(0.999999) })
    expect(high).toBeGreaterThan(1199)
    expect(high).toBeLessThan(1200)
  })

  it('fullJitter is uniform in [0, d]', () => {
    const s = pipe(Schedule.exponential(100), Schedule.fullJitter)
    expect(Schedule.simulate(s, zeros(3), { random: Random.constant(0) })).toEqual([0, 0, 0])
    expect(Schedule.simulate(s, zeros(3), { random: Random.constant(0.5) })).toEqual([50, 100, 200])
    const high = Schedule.simulate(s, zeros(3), { random: Random.constant(0.999999) })
    high.forEach((d, i) => {
      expect(d).toBeGreaterThan(99.99 * 2 ** i)
      expect(d).toBeLessThanOrEqual(100 * 2 ** i)
    })
  })

  it('equalJitter is uniform in [d/2, d]', () => {
    const s = pipe(Schedule.spaced(1000), Schedule.equalJitter)
    expect(Schedule.simulate(s, zeros(1), { random: Random.constant(0) })).toEqual([500])
    expect(Schedule.simulate(s, zeros(1), { random: Random.constant(0.5) })).toEqual([750])
    const [high] = Schedule.simulate(s, zeros(1), { random: Random.constant(0.999999) })
    expect(high).toBeGreaterThan(999)
    expect(high).toBeLessThanOrEqual(1000)
  })

  it('jitter draws from the random source given, so seeded runs repeat', () => {
    const s = pipe(Schedule.exponential(100), Schedule.capDelay(10_000), Schedule.fullJitter)
    const a = Schedule.simulate(s, zeros(20), { random: Random.seeded(7) })
    const b = Schedule.simulate(s, zeros(20), { random: Random.seeded(7) })
    const c = Schedule.simulate(s, zeros(20), { random: Random.seeded(8) })
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
  })

  it.each([
    ['NaN', () => NaN],
    ['2', () => 2],
    ['-1', () => -1],
    ['Infinity', () => Infinity],
  ])('a faulty random source returning %s cannot push a delay out of bounds', (_, random) => {
    const within = (s: Schedule.Schedule<unknown, unknown>, lo: number, hi: number) => {
      for (const d of rawSteps(s, zeros(5), random)) {
        expect(d._tag).toBe('Continue')
        if (d._tag === 'Continue') {
          expect(d.delay).toBeGreaterThanOrEqual(lo)
          expect(d.delay).toBeLessThanOrEqual(hi)
        }
      }
    }
    within(pipe(Schedule.spaced(1000), Schedule.jittered(0.5, 1.5)), 500, 1500)
    within(pipe(Schedule.spaced(1000), Schedule.fullJitter), 0, 1000)
    within(pipe(Schedule.spaced(1000), Schedule.equalJitter), 500, 1000)
    within(Schedule.decorrelatedJitter(100, 1000), 100, 1000)
  })
})

describe('saturation', () => {
  it('exponential growth saturates at MAX_DELAY instead of reaching Infinity', () => {
    const delays = Schedule.simulate(Schedule.exponential(1, 10), zeros(400))
    expect(delays.at(-1)).toBe(Schedule.MAX_DELAY)
    expect(delays.every((d) => Number.isFinite(d) && d <= Schedule.MAX_DELAY)).toBe(true)
    // monotone: never wraps around
    delays.forEach((d, i) => expect(d).toBeGreaterThanOrEqual(delays[i - 1] ?? 0))
  })

  it('fibonacci and linear saturate too', () => {
    const fib = Schedule.simulate(Schedule.fibonacci(1e15), zeros(2000))
    expect(fib.at(-1)).toBe(Schedule.MAX_DELAY)
    expect(fib.every((d) => d <= Schedule.MAX_DELAY)).toBe(true)
    const lin = rawSteps(Schedule.linear(4e15), zeros(10), Math.random)
    for (const d of lin) expect(d._tag === 'Continue' && d.delay <= Schedule.MAX_DELAY).toBe(true)
    expect(lin.at(-1)?._tag === 'Continue' && lin.at(-1)).toMatchObject({ delay: Schedule.MAX_DELAY })
  })

  it('a huge base never yields a raw delay above MAX_DELAY', () => {
    const huge = [
      Schedule.spaced(1e300),
      Schedule.exponential(1e300),
      Schedule.fibonacci(1e300),
      Schedule.linear(1e300),
      Schedule.fromDelays(1e300),
      Schedule.decorrelatedJitter(1e300, 1e301),
      pipe(Schedule.spaced(1e300), Schedule.jittered(1, 3)),
    ]
    for (const s of huge)
      for (const d of rawSteps(s, zeros(3), Math.random))
        if (d._tag === 'Continue') expect(d.delay).toBeLessThanOrEqual(Schedule.MAX_DELAY)
  })

  it('jitter above MAX_DELAY saturates', () => {
    const s = pipe(Schedule.exponential(1, 10), Schedule.jittered(1, 2))
    expect(Schedule.simulate(s, zeros(400), { random: Random.constant(0.5) }).at(-1)).toBe(Schedule.MAX_DELAY)
  })
})

describe('purity', () => {
  it('one schedule value stepped by two interleaved runs gives identical results', () => {
    const s = pipe(
      Schedule.exponential(10),
      Schedule.union(Schedule.fibonacci(7)),
      Schedule.intersect(Schedule.recurs(8)),
      Schedule.andThen(Schedule.fromDelays(1, 2, 3)),
      Schedule.upTo(100_000),
      Schedule.equalJitter,
    )
    const alone = Schedule.trace(s, zeros(20), { random: Random.seeded(5) })
    const randomA = Random.seeded(5)
    const randomB = Random.seeded(5)
    let stateA = s.initial
    let stateB = s.initial
    const a: Array<Schedule.Decision<unknown, unknown>> = []
    const b: Array<Schedule.Decision<unknown, unknown>> = []
    let elapsedA = 0
    let elapsedB = 0
    for (let i = 0; i < 20; i++) {
      const da = s.step(stateA, 0, { elapsed: elapsedA, random: randomA })
      const db = s.step(stateB, 0, { elapsed: elapsedB, random: randomB })
      a.push(da)
      b.push(db)
      if (da._tag === 'Done' || db._tag === 'Done') break
      stateA = da.state
      stateB = db.state
      elapsedA += da.delay
      elapsedB += db.delay
    }
    const view = (ds: ReadonlyArray<Schedule.Decision<unknown, unknown>>) =>
      ds.map((d) => ({ _tag: d._tag, delay: d._tag === 'Continue' ? d.delay : 0, out: d.out }))
    expect(view(a)).toEqual(view(b))
    expect(view(a)).toEqual(alone.map((x) => ({ _tag: x._tag, delay: x.delay, out: x.out })))
    // stepping does not mutate the initial state: a fresh run repeats
    expect(Schedule.trace(s, zeros(20), { random: Random.seeded(5) })).toEqual(alone)
  })

  it('stepping an old state again gives the same decision', () => {
    const s = pipe(Schedule.fibonacci(10), Schedule.intersect(Schedule.recurs(5)))
    const ctx = { elapsed: 0, random: Math.random }
    const first = s.step(s.initial, 0, ctx)
    if (first._tag !== 'Continue') throw new Error('expected Continue')
    const second = s.step(first.state, 0, ctx)
    const again = s.step(first.state, 0, ctx)
    expect(again).toEqual(second)
  })
})

describe('bad arguments throw a RangeError naming function, parameter and value', () => {
  const cases: ReadonlyArray<[string, () => unknown, RegExp]> = [
    ['recurs(-1)', () => Schedule.recurs(-1), /Schedule\.recurs.*times.*-1/],
    ['recurs(1.5)', () => Schedule.recurs(1.5), /Schedule\.recurs.*times.*1\.5/],
    ['recurs(NaN)', () => Schedule.recurs(NaN), /Schedule\.recurs.*times.*NaN/],
    ['recurs(Infinity)', () => Schedule.recurs(Infinity), /Schedule\.recurs.*times.*Infinity/],
    ['spaced(-1)', () => Schedule.spaced(-1), /Schedule\.spaced.*delay.*-1/],
    ['spaced(NaN)', () => Schedule.spaced(NaN), /Schedule\.spaced.*delay.*NaN/],
    ['spaced(Infinity)', () => Schedule.spaced(Infinity), /Schedule\.spaced.*delay.*Infinity/],
    ['exponential(-1)', () => Schedule.exponential(-1), /Schedule\.exponential.*base.*-1/],
    ['exponential(NaN)', () => Schedule.exponential(NaN), /Schedule\.exponential.*base.*NaN/],
    ['exponential(Infinity)', () => Schedule.exponential(Infinity), /Schedule\.exponential.*base.*Infinity/],
    ['exponential(100, 0.5)', () => Schedule.exponential(100, 0.5), /Schedule\.exponential.*factor.*0\.5/],
    ['exponential(100, NaN)', () => Schedule.exponential(100, NaN), /Schedule\.exponential.*factor.*NaN/],
    [
      'exponential(100, Infinity)',
      () => Schedule.exponential(100, Infinity),
      /Schedule\.exponential.*factor.*Infinity/,
    ],
    ['fibonacci(-1)', () => Schedule.fibonacci(-1), /Schedule\.fibonacci.*base.*-1/],
    ['fibonacci(NaN)', () => Schedule.fibonacci(NaN), /Schedule\.fibonacci.*base.*NaN/],
    ['fibonacci(Infinity)', () => Schedule.fibonacci(Infinity), /Schedule\.fibonacci.*base.*Infinity/],
    ['linear(-1)', () => Schedule.linear(-1), /Schedule\.linear.*base.*-1/],
    ['linear(NaN)', () => Schedule.linear(NaN), /Schedule\.linear.*base.*NaN/],
    ['linear(Infinity)', () => Schedule.linear(Infinity), /Schedule\.linear.*base.*Infinity/],
    ['fromDelays(10, -1)', () => Schedule.fromDelays(10, -1), /Schedule\.fromDelays.*delays\[1\].*-1/],
    ['fromDelays(NaN)', () => Schedule.fromDelays(NaN), /Schedule\.fromDelays.*delays\[0\].*NaN/],
    ['fromDelays(Infinity)', () => Schedule.fromDelays(Infinity), /Schedule\.fromDelays.*delays\[0\].*Infinity/],
    ['decorrelatedJitter(-1, 10)', () => Schedule.decorrelatedJitter(-1, 10), /Schedule\.decorrelatedJitter.*base.*-1/],
    ['decorrelatedJitter(1, NaN)', () => Schedule.decorrelatedJitter(1, NaN), /Schedule\.decorrelatedJitter.*cap.*NaN/],
    [
      'decorrelatedJitter(1, Infinity)',
      () => Schedule.decorrelatedJitter(1, Infinity),
      /Schedule\.decorrelatedJitter.*cap.*Infinity/,
    ],
    [
      'decorrelatedJitter(100, 50)',
      () => Schedule.decorrelatedJitter(100, 50),
      /Schedule\.decorrelatedJitter.*cap.*50/,
    ],
    ['upTo(-1)', () => Schedule.upTo(-1), /Schedule\.upTo.*duration.*-1/],
    ['upTo(NaN)', () => Schedule.upTo(NaN), /Schedule\.upTo.*duration.*NaN/],
    ['upTo(Infinity)', () => Schedule.upTo(Infinity), /Schedule\.upTo.*duration.*Infinity/],
    ['capDelay(-1)', () => Schedule.capDelay(-1), /Schedule\.capDelay.*max.*-1/],
    ['capDelay(NaN)', () => Schedule.capDelay(NaN), /Schedule\.capDelay.*max.*NaN/],
    ['capDelay(Infinity)', () => Schedule.capDelay(Infinity), /Schedule\.capDelay.*max.*Infinity/],
    ['jittered(-0.1, 1)', () => Schedule.jittered(-0.1, 1), /Schedule\.jittered.*min.*-0\.1/],
    ['jittered(1.5, 1)', () => Schedule.jittered(1.5, 1), /Schedule\.jittered.*max.*got 1$/],
    ['jittered(NaN, 1)', () => Schedule.jittered(NaN, 1), /Schedule\.jittered.*min.*NaN/],
    ['jittered(0.5, Infinity)', () => Schedule.jittered(0.5, Infinity), /Schedule\.jittered.*max.*Infinity/],
  ]

  it.each(cases)('%s', (_, thunk, message) => {
    expect(thunk).toThrow(RangeError)
    expect(thunk).toThrow(message)
  })

  it('valid edge values are accepted', () => {
    expect(() => Schedule.recurs(0)).not.toThrow()
    expect(() => Schedule.spaced(0)).not.toThrow()
    expect(() => Schedule.exponential(0, 1)).not.toThrow()
    expect(() => Schedule.jittered(0, 0)).not.toThrow()
    expect(() => Schedule.jittered(1, 1)).not.toThrow()
    expect(() => Schedule.decorrelatedJitter(0, 0)).not.toThrow()
    expect(() => Schedule.upTo(0)).not.toThrow()
    expect(() => Schedule.capDelay(0)).not.toThrow()
  })
})
