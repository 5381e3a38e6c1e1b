/**
 * The clock a retry reads time from and sleeps on. Injected, so that tests can
 * run in virtual time with {@link TestClock}.
 *
 * @since 0.1.0
 */
import { subscribe, Subscriber, unsubscribe } from './internal/abort'

/**
 * Why a sleep is taken, passed by the library as `sleep`'s third argument so
 * that a clock (a `TestClock` above all) can tell them apart: `'backoff'` is
 * the wait before a retry, `'timeout'` a per-attempt time limit, `'hedge'`
 * the wait before a backup attempt, `'repeat'` and `'poll'` the waits of
 * `Repeat` and `Waiter`, `'queue'` and `'rateLimit'` a bulkhead's queue
 * timeout and a rate limiter's wait. Your own code may pass any other name.
 *
 * @since 0.2.0
 * @category model
 */
export type SleepPurpose = 'backoff' | 'timeout' | 'hedge' | 'repeat' | 'poll' | 'queue' | 'rateLimit' | (string & {})

/**
 * Reads time and sleeps. `now()` is in milliseconds from an arbitrary origin;
 * only differences matter. `sleep(ms, signal, purpose)` resolves after `ms`,
 * or at once when `signal` aborts; it never rejects. `purpose` says why the
 * library sleeps ({@link SleepPurpose}); a clock may ignore it.
 *
 * Implement it to observe or reshape time: the retry driver only calls
 * `now()` and `sleep(ms, signal, 'backoff')`, and sleeps only for a positive,
 * finite delay (a zero delay retries without calling `sleep`).
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Clock, Retry, Schedule, TestClock } from 'fp-ts-retry'
 *
 * // a clock of your own: this one records each sleep, then sleeps on a test clock
 * const test = TestClock.make()
 * const sleeps: Array<number> = []
 * const recording: Clock.Clock = {
 *   now: test.now,
 *   sleep: (ms, signal, purpose) => (sleeps.push(ms), test.sleep(ms, signal, purpose)),
 * }
 * const running = pipe(TE.left('503'), Retry.retrying(Schedule.fromDelays(100, 200), { clock: recording }))()
 * await test.runAll()
 * await running
 * // => left('503')
 * sleeps
 * // => [100, 200]
 *
 * @since 0.1.0
 * @category model
 */
export interface Clock {
  readonly now: () => number
  readonly sleep: (ms: number, signal?: AbortSignal, purpose?: SleepPurpose) => Promise<void>
}

/**
 * The longest delay one timer can hold: 2^31 - 1 ms (about 24.8 days). Longer
 * sleeps are taken in pieces of at most this length.
 *
 * @example
 * import { Clock } from 'fp-ts-retry'
 *
 * Clock.MAX_TIMER_DELAY
 * // => 2147483647
 *
 * @since 0.1.0
 * @category utils
 */
export const MAX_TIMER_DELAY = 2_147_483_647

const resolved: Promise<void> = Promise.resolve()

/**
 * Sleeps `ms` on real timers, in pieces of at most {@link MAX_TIMER_DELAY}, so
 * that a long sleep never overflows into a 1 ms timer. Resolves at once when
 * `ms` is not positive or `signal` is already aborted; an abort resolves it at
 * once, and clears its timer when no other sleep shares it.
 *
 * Sleeps that end in the same millisecond of `performance.now()` share one
 * timer: a server holding 100,000 calls in the same backoff arms hundreds of
 * timers, not 100,000. A sleep ends when its millisecond does: it lasts
 * `ms`, and at most about a millisecond more. Fake timers must fake
 * `performance` along with `setTimeout` (vitest's and
 * `@sinonjs/fake-timers`' do by default).
 *
 * @example
 * import { Clock } from 'fp-ts-retry'
 *
 * const controller = new AbortController()
 * const sleeping = Clock.sleep(60_000, controller.signal)
 * controller.abort()
 * await sleeping // settles at once
 *
 * @since 0.1.0
 * @category utils
 */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
  if (!(ms > 0) || signal?.aborted) return resolved
  const pending = new Sleep(signal)
  const done = new Promise<void>((resolve) => (pending.resolve = resolve))
  const now = performance.now()
  const end = Math.ceil(now + ms)
  let group = groups.get(end)
  if (group === undefined) {
    group = new Group(end)
    groups.set(end, group)
    group.arm(now)
  }
  pending.group = group
  pending.index = group.sleeps.push(pending) - 1
  if (signal !== undefined) subscribe(signal, pending)
  return done
}

/** One pending sleep, in one object that hears its signal itself: no closure and no timer of its own. */
class Sleep extends Subscriber {
  resolve: () => void = noop
  group: Group | undefined = undefined
  /** Its place in its group. */
  index = 0
  constructor(private readonly signal: AbortSignal | undefined) {
    super()
  }

  /** The signal fired: out of its group, and over. */
  fired(): void {
    this.group?.remove(this)
    this.end()
  }

  end(): void {
    this.group = undefined
    if (this.signal !== undefined) unsubscribe(this.signal, this)
    this.resolve()
  }
}

/** The sleeps that end in one millisecond of `performance.now()`, and their one timer. */
class Group {
  readonly sleeps: Array<Sleep> = []
  timer: ReturnType<typeof setTimeout> | undefined = undefined
  /** The armed timer is the last piece: when it fires, the sleeps end. */
  final = false
  constructor(readonly end: number) {}

  /** Arms the timer for what is left, in whole milliseconds, in pieces of at most {@link MAX_TIMER_DELAY}. */
  arm(now: number): void {
    const left = Math.ceil(this.end - now)
    this.final = left <= MAX_TIMER_DELAY
    this.timer = setTimeout(ring, this.final ? left : MAX_TIMER_DELAY, this)
  }

  /** Takes `sleep` out (the last sleep takes its place); the timer goes with the last one. */
  remove(sleep: Sleep): void {
    const last = this.sleeps.pop() as Sleep
    if (last !== sleep) {
      last.index = sleep.index
      this.sleeps[sleep.index] = last
    }
    if (this.sleeps.length > 0) return
    clearTimeout(this.timer)
    groups.delete(this.end)
  }
}

const groups = new Map<number, Group>()

/** A group's timer fired: sleep on (a piece of a long sleep), or end its sleeps. */
const ring = (group: Group): void => {
  if (!group.final) return group.arm(performance.now())
  groups.delete(group.end)
  for (const sleep of group.sleeps) sleep.end()
}

const noop = (): void => undefined

/**
 * The real clock: `performance.now()` and timers.
 *
 * @example
 * import { Clock, Retry, Schedule } from 'fp-ts-retry'
 *
 * Retry.retrying(Schedule.recurs(3), { clock: Clock.live })
 *
 * @since 0.1.0
 * @category constructors
 */
export const live: Clock = {
  now: () => performance.now(),
  sleep,
}
