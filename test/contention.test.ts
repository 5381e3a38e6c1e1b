import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { niceTicks, renderLineChart } from '../bench/contention/chart'
import { average, awsParameters, run, strategies, type Conflict } from '../bench/contention/sim'
import { Random, Schedule } from '../src/index'

const byKey = Object.fromEntries(strategies().map((s) => [s.key, s.schedule]))
const schedule = (key: string) => {
  const s = byKey[key]
  if (s === undefined) throw new Error(`no strategy ${key}`)
  return s
}

describe('contention simulation: the model', () => {
  it('every client performs exactly one successful conditional write, after a read', () => {
    for (const s of strategies()) {
      const r = run(s.schedule, 25, 3)
      expect(r.gaveUp).toBe(0)
      expect(r.writes - r.conflicts).toBe(25)
      expect(r.reads).toBe(r.writes)
      expect(r.calls).toBe(r.reads + r.writes)
    }
  })

  it('a lone client reads once, writes once, never conflicts, and finishes after two network calls', () => {
    const r = run(schedule('exponential'), 1, 7)
    expect(r).toMatchObject({ calls: 2, reads: 1, writes: 1, conflicts: 0 })
    expect(r.completion).toBeGreaterThan(10)
    expect(r.completion).toBeLessThan(30)
  })

  it('two clients that collide: one wins at once, the other re-reads after its backoff and wins next', () => {
    // both read version 0 at about the same time; the first write to land wins, the other conflicts
    const r = run(schedule('exponential'), 2, 1)
    expect(r).toMatchObject({ reads: 3, writes: 3, conflicts: 1 })
  })

  it('is deterministic for a seed and changes with the seed', () => {
    expect(run(schedule('full'), 30, 11)).toEqual(run(schedule('full'), 30, 11))
    expect(run(schedule('full'), 30, 11)).not.toEqual(run(schedule('full'), 30, 12))
  })

  it('steps the schedule once per conflict, with the conflict as input and the virtual elapsed time', () => {
    const seen: Array<{ input: Conflict; elapsed: number }> = []
    const recording = Schedule.make(0, (n: number, input: Conflict, { elapsed }) => {
      seen.push({ input, elapsed })
      return { _tag: 'Continue', delay: 5, out: n, state: n + 1 }
    })
    const r = run(recording, 10, 5)
    expect(seen).toHaveLength(r.conflicts)
    for (const { input, elapsed } of seen) {
      expect(input._tag).toBe('Conflict')
      expect(input.actual).toBeGreaterThan(input.expected)
      expect(elapsed).toBeGreaterThan(0)
    }
  })

  it('a client whose schedule is done gives up without writing', () => {
    const r = run(Schedule.stop, 10, 2)
    expect(r.conflicts).toBe(r.gaveUp)
    expect(r.writes - r.conflicts + r.gaveUp).toBe(10)
    expect(r.gaveUp).toBeGreaterThan(0)
  })
})

describe('contention simulation: the parameters and strategies of the AWS post', () => {
  const conflicts: ReadonlyArray<Conflict> = Array(12).fill({ _tag: 'Conflict', expected: 0, actual: 1 })
  const { base, cap } = awsParameters
  /** The post's sleep before retry `attempt` (from 0) of capped exponential backoff: min(cap, base * 2^attempt). */
  const expo = (attempt: number) => Math.min(cap, base * 2 ** attempt)
  /** Each strategy's delays for a random source, as the post's pseudo-code computes them from the same draws. */
  const formulas: Record<string, (draw: () => number) => ReadonlyArray<number>> = {
    none: () => conflicts.map(() => 0),
    exponential: () => conflicts.map((_, n) => expo(n)),
    full: (draw) => conflicts.map((_, n) => expo(n) * draw()),
    equal: (draw) => conflicts.map((_, n) => expo(n) / 2 + (expo(n) / 2) * draw()),
    // sleep = min(cap, random_between(base, sleep * 3)), from sleep = base; the library draws within
    // [base, min(cap, 3 * sleep)], the same as the post's formula until 3 * sleep exceeds the cap
    decorrelated: (draw) => {
      let sleep = base
      return conflicts.map(() => (sleep = Math.min(cap, base + draw() * (Math.min(cap, sleep * 3) - base))))
    },
  }

  it('base 5 ms, cap 2 s, calls |N(10, 2)| ms', () => {
    expect(awsParameters).toEqual({ base: 5, cap: 2_000, latencyMean: 10, latencySd: 2 })
  })

  it('each of the five strategies sleeps what the post computes, for any seed', () => {
    expect(strategies().map((s) => s.key)).toEqual(['none', 'exponential', 'full', 'equal', 'decorrelated'])
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        for (const s of strategies()) {
          const delays = Schedule.simulate(s.schedule, conflicts, { random: Random.seeded(seed) })
          const expected = formulas[s.key]?.(Random.seeded(seed)) ?? []
          expect(delays).toHaveLength(expected.length)
          delays.forEach((d, i) => expect(d, `${s.key} retry ${i + 1}`).toBeCloseTo(expected[i] ?? NaN, 9))
        }
      }),
      { numRuns: 50 },
    )
    expect(Schedule.simulate(schedule('exponential'), conflicts)).toEqual([
      5, 10, 20, 40, 80, 160, 320, 640, 1280, 2000, 2000, 2000,
    ])
  })

  it('a network call takes |N(10, 2)| ms: a lone client needs two calls, 20 ms on average, sd 2.8 ms', () => {
    const times = Array.from({ length: 400 }, (_, seed) => run(schedule('none'), 1, seed + 1).completion)
    const mean = times.reduce((a, b) => a + b, 0) / times.length
    const sd = Math.sqrt(times.reduce((a, t) => a + (t - mean) ** 2, 0) / (times.length - 1))
    expect(mean).toBeGreaterThan(19.6)
    expect(mean).toBeLessThan(20.4)
    expect(sd).toBeGreaterThan(2.4) // sqrt(2) * 2 = 2.83
    expect(sd).toBeLessThan(3.2)
  })

  it('a backoff delay is slept between a conflict and the next read', () => {
    const spaced = (ms: number) => Schedule.spaced(ms) as Schedule.Schedule<Conflict, unknown>
    // the same seed gives the same network: the loser's extra round trip is shifted by exactly the added delay
    const quick = run(spaced(0), 2, 1)
    const slow = run(spaced(1_000), 2, 1)
    expect(slow.calls).toBe(quick.calls)
    expect(slow.completion - quick.completion).toBeCloseTo(1_000, 6)
  })
})

describe('contention simulation: the orderings of the AWS experiment', () => {
  const seeds = 8
  for (const clients of [10, 20, 40, 100]) {
    const mean = Object.fromEntries(strategies().map((s) => [s.key, average(s.schedule, clients, seeds)]))
    const m = (key: string) => {
      const a = mean[key]
      if (a === undefined) throw new Error(`no strategy ${key}`)
      return a
    }

    it(`${clients} clients: full jitter does less work than capped exponential and than no backoff`, () => {
      expect(m('full').calls).toBeLessThan(m('exponential').calls)
      expect(m('full').calls).toBeLessThan(m('none').calls)
    })

    it(`${clients} clients: every jittered strategy does less work than capped exponential and than no backoff`, () => {
      for (const key of ['full', 'equal', 'decorrelated']) {
        expect(m(key).calls).toBeLessThan(m('exponential').calls)
        expect(m(key).calls).toBeLessThan(m('none').calls)
      }
    })

    it(`${clients} clients: every jittered strategy finishes sooner than capped exponential`, () => {
      for (const key of ['full', 'equal', 'decorrelated'])
        expect(m(key).completion).toBeLessThan(m('exponential').completion)
    })
  }
})

describe('contention charts', () => {
  it('round ticks cover the range in steps of 1, 2 or 5 times a power of ten', () => {
    expect(niceTicks(0, 17_397)).toEqual([0, 5_000, 10_000, 15_000, 20_000])
    expect(niceTicks(10, 200)).toEqual([0, 50, 100, 150, 200])
  })

  it('draws one line and one legend entry per series, inside the plot', () => {
    const svg = renderLineChart({
      title: 'calls <vs> clients',
      xLabel: 'clients',
      yLabel: 'calls',
      series: [
        {
          name: 'A',
          color: '#f00',
          points: [
            [10, 5],
            [20, 50],
            [30, 500],
          ],
        },
        {
          name: 'B & C',
          color: '#00f',
          points: [
            [10, 1],
            [20, 2],
            [30, 3],
          ],
          dash: '6 4',
        },
      ],
      logY: true,
    })
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg.match(/<polyline /g)).toHaveLength(2)
    expect(svg).toContain('calls &lt;vs&gt; clients')
    expect(svg).toContain('B &amp; C')
    const coordinates = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ])
    expect(coordinates).toHaveLength(6)
    for (const [x, y] of coordinates) {
      expect(x).toBeGreaterThanOrEqual(80)
      expect(y).toBeGreaterThanOrEqual(48)
      expect(y).toBeLessThanOrEqual(460 - 56)
    }
  })
})
