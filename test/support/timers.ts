/**
 * The timers the code under test has pending: `setTimeout` handles made since the current test began and neither
 * fired nor cleared. A count of every active timer in the process (`process.getActiveResourcesInfo()`) also sees
 * timers that come and go elsewhere while a test runs, and flaked in CI; this sees only what the test's code made.
 * Importing it installs the tracking around each test of the file.
 */
import { afterEach, beforeEach } from 'vitest'
import { trackTimers } from './tracked-timers'
import type { TrackedTimers } from './tracked-timers'

let tracked: TrackedTimers | undefined

beforeEach(() => {
  tracked = trackTimers()
})

afterEach(() => {
  tracked?.restore()
  tracked = undefined
})

/** How many timers the test's code has pending now. */
export const timers = (): number => tracked?.pending() ?? 0
