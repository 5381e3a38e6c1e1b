import { describe, expect, it } from 'vitest'
import { niceTicks, renderLineChart } from '../bench/contention/chart'
import { average, run, strategies, type Conflict } from '../bench/contention/sim'
import { Schedule } from '../src/index'

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
