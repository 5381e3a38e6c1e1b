/**
 * The timers the code under test has pending: `setTimeout` handles made since the current test began and neither
 * fired nor cleared. A count of every active timer in the process (`process.getActiveResourcesInfo()`) also sees
 * timers that come and go elsewhere while a test runs, and flaked in CI; this sees only what the test's code made.
 * Importing it installs the tracking around each test of the file.
 */
import { afterEach, beforeEach } from 'vitest'

const realSet = globalThis.setTimeout
const realClear = globalThis.clearTimeout
const pending = new Set<unknown>()

const trackedSet = ((callback: (...args: Array<unknown>) => void, ms?: number, ...args: Array<unknown>) => {
  const handle = realSet(() => {
    pending.delete(handle)
    callback(...args)
  }, ms)
  pending.add(handle)
  return handle
}) as unknown as typeof setTimeout

const trackedClear = ((handle: Parameters<typeof clearTimeout>[0]) => {
  pending.delete(handle)
  realClear(handle)
}) as typeof clearTimeout

beforeEach(() => {
  pending.clear()
  globalThis.setTimeout = trackedSet
  globalThis.clearTimeout = trackedClear
})

afterEach(() => {
  globalThis.setTimeout = realSet
  globalThis.clearTimeout = realClear
  pending.clear()
})

/** How many timers the test's code has pending now. */
export const timers = (): number => pending.size
