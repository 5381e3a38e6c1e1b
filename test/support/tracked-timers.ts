/**
 * Counts the `setTimeout` handles that the code run from now on makes and that neither fired nor were cleared:
 * installs tracking wrappers on `globalThis` until `restore()`. Used around each test by test/support/timers.ts, and
 * by bench/hardening.ts around one measurement.
 */
export interface TrackedTimers {
  /** How many timers made since `trackTimers()` are pending now. */
  readonly pending: () => number
  /** Puts the real `setTimeout` and `clearTimeout` back. */
  readonly restore: () => void
}

export const trackTimers = (): TrackedTimers => {
  const realSet = globalThis.setTimeout
  const realClear = globalThis.clearTimeout
  const pending = new Set<unknown>()
  globalThis.setTimeout = ((callback: (...args: Array<unknown>) => void, ms?: number, ...args: Array<unknown>) => {
    const handle = realSet(() => {
      pending.delete(handle)
      callback(...args)
    }, ms)
    pending.add(handle)
    return handle
  }) as unknown as typeof setTimeout
  globalThis.clearTimeout = ((handle: Parameters<typeof clearTimeout>[0]) => {
    pending.delete(handle)
    realClear(handle)
  }) as typeof clearTimeout
  return {
    pending: () => pending.size,
    restore: () => {
      globalThis.setTimeout = realSet
      globalThis.clearTimeout = realClear
    },
  }
}
