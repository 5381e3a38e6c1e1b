import { describe, expect, it } from 'vitest'
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
  for (const clients of [10, 20, 40]) {
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
