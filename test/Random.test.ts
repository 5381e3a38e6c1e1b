import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Random } from '../src/index'

const take = (random: Random.Random, n: number) => Array.from({ length: n }, () => random())

describe('Random.seeded', () => {
  it('is deterministic: the same seed gives the same sequence, each call of seeded starts afresh', () => {
    expect(take(Random.seeded(42), 1000)).toEqual(take(Random.seeded(42), 1000))
    const r = Random.seeded(42)
    const first = take(r, 10)
    expect(take(r, 10)).not.toEqual(first)
  })

  it('is mulberry32 for 32-bit seeds, so that seeded jitter is reproducible across releases', () => {
    // the reference implementation, as published
    const mulberry32 = (a: number) => () => {
      let t = (a += 0x6d2b79f5)
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    for (const seed of [0, 1, 42, 123_456_789, 2 ** 32 - 1])
      expect(take(Random.seeded(seed), 100)).toEqual(take(mulberry32(seed), 100))
  })

  it('stays in [0, 1) for any safe integer seed', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (seed) => {
        for (const x of take(Random.seeded(seed), 200)) {
          expect(x).toBeGreaterThanOrEqual(0)
          expect(x).toBeLessThan(1)
        }
      }),
    )
  })

  it('is roughly uniform', () => {
    const xs = take(Random.seeded(7), 100_000)
    const buckets = Array.from({ length: 10 }, () => 0)
    for (const x of xs) buckets[Math.floor(x * 10)]! += 1
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(600)
  })

  it('different seeds give different sequences (small seeds, negatives, and seeds beyond 32 bits)', () => {
    const seeds = [
      ...Array.from({ length: 2001 }, (_, i) => i - 1000),
      2 ** 32,
      2 ** 32 + 1,
      -(2 ** 32),
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ]
    const keys = new Map<string, number>()
    for (const seed of seeds) {
      const key = take(Random.seeded(seed), 3).join(',')
      expect(keys.get(key), `seed ${seed} repeats seed ${keys.get(key)}`).toBeUndefined()
      keys.set(key, seed)
    }
  })

  it.each([
    ['1.5', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['9007199254740992', 2 ** 53],
  ])('seeded(%s) throws a RangeError naming the function, parameter and value', (shown, seed) => {
    expect(() => Random.seeded(seed)).toThrow(RangeError)
    expect(() => Random.seeded(seed)).toThrow(`Random.seeded: seed must be a safe integer, got ${shown}`)
  })
})

describe('Random.constant', () => {
  it('always answers its value', () => {
    expect(take(Random.constant(0), 3)).toEqual([0, 0, 0])
    expect(take(Random.constant(0.5), 3)).toEqual([0.5, 0.5, 0.5])
    const nearOne = 1 - Number.EPSILON / 2
    expect(Random.constant(nearOne)()).toBe(nearOne)
  })

  it.each([
    ['-0.1', -0.1],
    ['1', 1],
    ['2', 2],
    ['NaN', NaN],
    ['Infinity', Infinity],
  ])('constant(%s) throws a RangeError naming the function, parameter and value', (shown, value) => {
    expect(() => Random.constant(value)).toThrow(RangeError)
    expect(() => Random.constant(value)).toThrow(new RegExp(`Random\\.constant.*value.*${shown}`))
  })
})
