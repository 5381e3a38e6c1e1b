/**
 * A virtual {@link Clock.Clock} for tests: time starts at 0 and moves only when
 * the test says so, so a retry that would wait minutes runs in microseconds
 * and every delay can be checked exactly.
 *
 * @since 0.1.0
 */
import type { Clock, SleepPurpose } from './Clock'
import { sanitize } from './internal/delay'
import * as check from './internal/validate'

/**
 * A `Clock` whose time moves only through `adjust` and `runAll`.
 *
 * How to use it in a test:
 *
 * - **Start, then move time, then await.** Call the retrying `TaskEither`
 *   (keep its promise), then `adjust` or `runAll`, then await the promise.
 *   Awaiting it first never settles: nothing moves time.
 * - **Order.** Sleeps wake in order of wake-up time; sleeps due at the same
 *   instant wake together, in the order they were started. A sleep of 0 (or a
 *   negative or NaN) wakes at the current instant, on the next `adjust` or
 *   `runAll`; an infinite one is taken as `Schedule.MAX_DELAY`, as the
 *   driver does.
 * - **What runs between two wake-ups** is every promise callback the woken
 *   code queues, so a retry loop reaches its next sleep. Real I/O (a socket,
 *   a file, an HTTP server) is not waited for: when the code under test does
 *   I/O before it sleeps, `await clock.whenSleeping()` before each `adjust`.
 * - **Tell sleeps apart by purpose.** A per-attempt `Timeout.timeout` on the
 *   same clock sleeps too, from the moment each attempt starts, so
 *   `whenSleeping()` may resolve on that timer instead of the backoff you
 *   meant to wait for. The library names why it sleeps
 *   (`Clock.SleepPurpose`): wait for `whenSleeping(1, 'backoff')` to reach the
 *   next retry's sleep, `pending('timeout')` to count armed timeouts.
 * - **Abort.** A sleep whose signal aborts resolves at once and is no longer
 *   pending; time does not move.
 * - Only code that reads time and sleeps through this clock is virtual:
 *   `setTimeout` or `Date.now()` in your own code stay real.
 *
 * @example
 * import { TestClock } from 'fp-ts-retry'
 *
 * const clock = TestClock.make()
 * const woke: number[] = []
 * void clock.sleep(100).then(() => woke.push(clock.now()))
 * await clock.adjust(150)
 * woke
 * // => [100]
 *
 * @since 0.1.0
 * @category model
 */
export interface TestClock extends Clock {
  /**
   * Moves time forward by `ms`, waking every sleep that falls due on the way,
   * in order of wake-up time (then of creation), and letting the code between
   * sleeps run, so that a sleep started by a woken task is woken too if it
   * falls due within `ms`. Each woken task sees `now()` at its own wake-up
   * instant; afterwards `now()` is the old time plus `ms`. Rejects with a
   * `RangeError` when `ms` is negative, NaN or infinite.
   */
  readonly adjust: (ms: number) => Promise<void>
  /**
   * Moves time forward until nothing is asleep; `now()` is then the instant of
   * the last wake-up. Rejects after `maxSleeps` wake-ups (default 1,000,000):
   * a retry loop that never ends (an unbounded schedule over an action that
   * always fails) is reported instead of hanging the test.
   */
  readonly runAll: (maxSleeps?: number) => Promise<void>
  /** How many sleeps are pending: all of them, or those taken for `purpose`. */
  readonly pending: (purpose?: SleepPurpose) => number
  /**
   * Resolves once at least `count` sleeps are pending (default 1), counting
   * every pending sleep, not only new ones: wait for code that does real I/O
   * before it sleeps. With a `purpose`, counts only the sleeps taken for it
   * (`'backoff'`: a retry's wait; `'timeout'`: a per-attempt limit).
   */
  readonly whenSleeping: (count?: number, purpose?: SleepPurpose) => Promise<void>
}

interface Sleeper {
  readonly wake: number
  readonly seq: number
  readonly purpose: SleepPurpose | undefined
  readonly resolve: () => void
}

interface Watcher {
  readonly count: number
  readonly purpose: SleepPurpose | undefined
  readonly resolve: () => void
}

/** Lets every queued promise callback run, including ones queued by those callbacks. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * A fresh virtual clock at time 0.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Retry, Schedule, TestClock } from 'fp-ts-retry'
 *
 * const clock = TestClock.make()
 * const running = pipe(TE.left('boom'), Retry.retrying(Schedule.spaced(60_000), { clock }))()
 * await clock.adjust(3 * 60_000) // three retries, no real waiting
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (): TestClock => {
  let time = 0
  let seq = 0
  let sleepers: Array<Sleeper> = []
  let watchers: Array<Watcher> = []

  const pending = (purpose?: SleepPurpose): number =>
    purpose === undefined ? sleepers.length : sleepers.filter((s) => s.purpose === purpose).length

  const notify = () => {
    if (watchers.length === 0) return
    const isReady = (w: Watcher) => pending(w.purpose) >= w.count
    const ready = watchers.filter(isReady)
    if (ready.length === 0) return
    watchers = watchers.filter((w) => !isReady(w))
    ready.forEach((w) => w.resolve())
  }

  const sleep = (ms: number, signal?: AbortSignal, purpose?: SleepPurpose): Promise<void> => {
    if (signal?.aborted) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = {
        wake: time + sanitize(ms),
        seq: seq++,
        purpose,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      const onAbort = () => {
        sleepers = sleepers.filter((s) => s !== sleeper)
        resolve()
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      sleepers.push(sleeper)
      notify()
    })
  }

  /** Wakes every sleep due at the earliest instant not after `limit`; false when none is due. */
  const wakeNext = (limit: number): boolean => {
    let first: number | undefined
    for (const s of sleepers) if (first === undefined || s.wake < first) first = s.wake
    if (first === undefined || first > limit) return false
    const due = sleepers.filter((s) => s.wake === first).sort((a, b) => a.seq - b.seq)
    sleepers = sleepers.filter((s) => s.wake !== first)
    time = Math.max(time, first)
    due.forEach((s) => s.resolve())
    return true
  }

  const adjust = async (ms: number): Promise<void> => {
    const target = time + check.delay('TestClock.adjust', 'ms', ms)
    await settle()
    while (wakeNext(target)) await settle()
    time = target
    await settle()
  }

  const runAll = async (maxSleeps = 1_000_000): Promise<void> => {
    await settle()
    for (let woken = 0; wakeNext(Infinity); woken++) {
      if (woken >= maxSleeps) throw new Error(`TestClock.runAll: still sleeping after ${maxSleeps} wake-ups`)
      await settle()
    }
  }

  const whenSleeping = (count = 1, purpose?: SleepPurpose): Promise<void> =>
    pending(purpose) >= count ? Promise.resolve() : new Promise((resolve) => watchers.push({ count, purpose, resolve }))

  return { now: () => time, sleep, adjust, runAll, pending, whenSleeping }
}
