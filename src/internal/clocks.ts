/**
 * The clock each protection was made with, kept beside it (its public
 * interface has none), for the time of the events it emits. A protection
 * made elsewhere reads the live clock's time.
 *
 * @internal
 */

interface Now {
  readonly now: () => number
}

const clocks = /* @__PURE__ */ new WeakMap<object, Now>()

/** Remembers `clock` as the clock of `protection`, and returns it. @internal */
export const clocked = <T extends object>(protection: T, clock: Now): T => {
  clocks.set(protection, clock)
  return protection
}

/** The time on the clock `protection` was made with (the live clock's, `performance.now()`, for any other). @internal */
export const nowOf = (protection: object): number => {
  const clock = clocks.get(protection)
  return clock === undefined ? performance.now() : clock.now()
}
