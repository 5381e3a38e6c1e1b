/**
 * `TestClock` at scale, shared by test/scale-abort.test.ts (which checks that the time grows linearly) and
 * bench/hardening.ts (which prints it).
 */
import { TestClock } from '../../src/index'

/** `n` sleeps at 997 instants, woken by one `adjust`: resolves with how many woke. */
export const wakeMany = async (n: number): Promise<number> => {
  const clock = TestClock.make()
  let woken = 0
  for (let i = 0; i < n; i++) void clock.sleep(1 + (i % 997)).then(() => woken++)
  await clock.adjust(1_000)
  return woken
}

/** `n` pending sleeps, one `AbortController` each, all aborted: resolves with how many are still pending. */
export const abortSleeps = async (n: number): Promise<number> => {
  const clock = TestClock.make()
  const controllers = Array.from({ length: n }, () => new AbortController())
  const sleeping = controllers.map((c, i) => clock.sleep(1 + i, c.signal))
  controllers.forEach((c) => c.abort())
  await Promise.all(sleeping)
  return clock.pending()
}
