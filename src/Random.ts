/**
 * Random sources for jitter. A schedule never calls `Math.random` itself: the
 * driver (or {@link Schedule.simulate}) passes a source in, so a seeded one
 * makes every jittered delay reproducible.
 *
 * @since 0.1.0
 */
import * as check from './internal/validate'

/**
 * A source of uniform numbers in `[0, 1)`, like `Math.random`.
 *
 * @since 0.1.0
 * @category model
 */
export type Random = () => number

/** MurmurHash3's 32-bit finalizer: every input bit affects every output bit; 0 maps to 0. */
const fmix32 = (h: number): number => {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/**
 * A deterministic source seeded with an integer (the mulberry32 generator): the
 * same seed gives the same sequence on every run and platform. Each call of
 * `seeded` starts a fresh sequence.
 *
 * @example
 * import { Random } from 'fp-ts-retry'
 *
 * const a = Random.seeded(42)
 * const b = Random.seeded(42)
 * a() === b()
 * // => true
 *
 * @throws RangeError when `seed` is not a safe integer
 * @since 0.1.0
 * @category constructors
 */
export const seeded = (seed: number): Random => {
  if (!Number.isSafeInteger(seed)) check.fail('Random.seeded', 'seed', 'a safe integer', seed)
  // The low 32 bits as they are (so 32-bit seeds give the plain mulberry32 sequence), the high bits
  // mixed in through a hash: small negative seeds do not collide with small positive ones.
  let state = ((seed >>> 0) ^ fmix32(Math.floor(seed / 0x1_0000_0000))) >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000
  }
}

/**
 * A source that always answers `value`: handy to pin jitter at its lower
 * bound (0), its middle (0.5) or near its upper bound in a test.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Random, Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(pipe(Schedule.spaced(100), Schedule.fullJitter), [1], { random: Random.constant(0.5) })
 * // => [50]
 *
 * @throws RangeError when `value` is not in [0, 1)
 * @since 0.1.0
 * @category constructors
 */
export const constant = (value: number): Random => {
  if (!(value >= 0 && value < 1)) check.fail('Random.constant', 'value', 'a number in [0, 1)', value)
  return () => value
}
