/**
 * Delay arithmetic that never yields NaN, a negative or an infinite number.
 *
 * @internal
 */

/**
 * The longest delay a schedule ever yields: `Number.MAX_SAFE_INTEGER` ms.
 * Growth saturates here instead of overflowing to `Infinity`.
 *
 * @internal
 */
export const MAX_DELAY = Number.MAX_SAFE_INTEGER

/**
 * Brings any number into `[0, MAX_DELAY]`: NaN and negatives become 0,
 * `Infinity` and anything larger become `MAX_DELAY`.
 *
 * @internal
 */
export const sanitize = (ms: number): number => (ms > 0 ? (ms < MAX_DELAY ? ms : MAX_DELAY) : 0)

/**
 * A draw from `random` forced into `[0, 1)`, so that a faulty source cannot
 * push a jittered delay out of its bounds.
 *
 * @internal
 */
export const unitDraw = (random: () => number): number => {
  const r = random()
  return r >= 0 && r < 1 ? r : r >= 1 ? 1 - Number.EPSILON / 2 : 0
}
