/**
 * A virtual {@link Clock.Clock} for tests: time starts at 0 and moves only when
 * the test says so, so a retry that would wait minutes runs in microseconds
 * and every delay can be checked exactly.
 *
 * @since 0.1.0
 */
import type { Clock, SleepPurpose } from './Clock'
import { subscribe, Subscriber, unsubscribe } from './internal/abort'
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
   * instant; afterwards `now()` is the old time plus `ms`. Adjusts called
   * while another is running (`Promise.all([adjust(1000), adjust(10)])`) run
   * after it, in call order: time moves by their sum and never backwards.
   * Rejects with a `RangeError` when `ms` is negative, NaN or infinite.
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

/** One pending sleep, in one object that hears its signal itself: no closure per sleep. */
class Sleeper extends Subscriber {
  /** Woken or aborted: no longer pending. */
  done = false
  resolve: () => void = noop
  constructor(
    readonly wake: number,
    readonly seq: number,
    readonly purpose: SleepPurpose | undefined,
    private readonly signal: AbortSignal | undefined,
    /** Tells the clock that this sleep is no longer pending. */
    private readonly ended: (purpose: SleepPurpose | undefined) => void,
  ) {
    super()
  }

  /** Woken or aborted, once. */
  finish(): void {
    if (this.done) return
    this.done = true
    this.ended(this.purpose)
    if (this.signal !== undefined) unsubscribe(this.signal, this)
    this.resolve()
  }

  fired(): void {
    this.finish()
  }
}

const noop = (): void => undefined

interface Watcher {
  readonly count: number
  readonly purpose: SleepPurpose | undefined
  readonly resolve: () => void
}

/** The port pair behind `settle`, made on first use; the resolvers waiting on it, in order. */
let channel: MessageChannel | undefined
const waiting: Array<() => void> = []

/** Node's ports keep the process alive while referenced: only while a `settle` waits. Browsers have no such method. */
const keepAlive = (port: MessagePort, on: boolean): void => {
  const node = port as MessagePort & { ref?: () => void; unref?: () => void }
  if (on) node.ref?.()
  else node.unref?.()
}

/**
 * Lets every queued promise callback run, including ones queued by those callbacks: resolves in a macrotask, after the
 * microtask queue has drained. A `MessageChannel` message is a macrotask on every platform (browsers, workers, Node,
 * Deno, Bun) and, unlike `setTimeout(0)`, is not clamped to a minimum delay; `setTimeout` is the fallback where there
 * is no `MessageChannel`.
 */
const settle = (): Promise<void> =>
  new Promise((resolve) => {
    if (typeof MessageChannel !== 'function') {
      setTimeout(resolve, 0)
      return
    }
    if (channel === undefined) {
      const made = new MessageChannel()
      made.port1.onmessage = () => {
        waiting.shift()?.()
        if (waiting.length === 0) keepAlive(made.port1, false)
      }
      channel = made
    }
    if (waiting.length === 0) keepAlive(channel.port1, true)
    waiting.push(resolve)
    channel.port2.postMessage(null)
  })

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
  // pending sleeps in a binary min-heap on (wake, seq); an aborted sleep is marked and dropped when it surfaces
  const heap: Array<Sleeper> = []
  const counts = new Map<SleepPurpose | undefined, number>()
  let total = 0
  let watchers: Array<Watcher> = []

  const before = (a: Sleeper, b: Sleeper): boolean => a.wake < b.wake || (a.wake === b.wake && a.seq < b.seq)
  const push = (sleeper: Sleeper) => {
    heap.push(sleeper)
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1
      if (!before(heap[i] as Sleeper, heap[parent] as Sleeper)) break
      ;[heap[i], heap[parent]] = [heap[parent] as Sleeper, heap[i] as Sleeper]
      i = parent
    }
  }
  const pop = (): Sleeper | undefined => {
    const top = heap[0]
    const last = heap.pop()
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last
      for (let i = 0; ;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < heap.length && before(heap[l] as Sleeper, heap[m] as Sleeper)) m = l
        if (r < heap.length && before(heap[r] as Sleeper, heap[m] as Sleeper)) m = r
        if (m === i) break
        ;[heap[i], heap[m]] = [heap[m] as Sleeper, heap[i] as Sleeper]
        i = m
      }
    }
    return top
  }
  /** The earliest sleep still pending, dropping aborted ones on the way. */
  const peek = (): Sleeper | undefined => {
    while (heap.length > 0 && (heap[0] as Sleeper).done) pop()
    return heap[0]
  }
  const count = (purpose: SleepPurpose | undefined, by: number) => {
    total += by
    if (purpose !== undefined) counts.set(purpose, (counts.get(purpose) ?? 0) + by)
  }

  const pending = (purpose?: SleepPurpose): number => (purpose === undefined ? total : (counts.get(purpose) ?? 0))

  const isReady = (w: Watcher) => pending(w.purpose) >= w.count
  // called on every sleep: allocates only when a watcher is ready
  const notify = () => {
    if (!watchers.some(isReady)) return
    const ready = watchers.filter(isReady)
    watchers = watchers.filter((w) => !isReady(w))
    ready.forEach((w) => w.resolve())
  }

  const ended = (purpose: SleepPurpose | undefined) => count(purpose, -1)

  const sleep = (ms: number, signal?: AbortSignal, purpose?: SleepPurpose): Promise<void> => {
    if (signal?.aborted) return Promise.resolve()
    const sleeper = new Sleeper(time + sanitize(ms), seq++, purpose, signal, ended)
    const done = new Promise<void>((resolve) => (sleeper.resolve = resolve))
    if (signal !== undefined) subscribe(signal, sleeper)
    push(sleeper)
    count(purpose, 1)
    notify()
    return done
  }

  /** Wakes every sleep due at the earliest instant not after `limit`; false when none is due. */
  const wakeNext = (limit: number): boolean => {
    const first = peek()
    if (first === undefined || first.wake > limit) return false
    const instant = first.wake
    time = Math.max(time, instant)
    for (let next = peek(); next !== undefined && next.wake === instant; next = peek()) {
      pop()
      next.finish()
    }
    return true
  }

  // adjusts run one after another, in the order they were called, so that time never runs backwards
  let queue: Promise<void> = Promise.resolve()
  const serially = (task: () => Promise<void>): Promise<void> => {
    const run = queue.then(task)
    queue = run.catch(() => undefined)
    return run
  }

  const adjust = async (ms: number): Promise<void> => {
    const by = check.delay('TestClock.adjust', 'ms', ms)
    return serially(async () => {
      const target = time + by
      await settle()
      while (wakeNext(target)) await settle()
      time = Math.max(time, target)
      await settle()
    })
  }

  const runAll = (maxSleeps = 1_000_000): Promise<void> =>
    serially(async () => {
      await settle()
      for (let woken = 0; wakeNext(Infinity); woken++) {
        if (woken >= maxSleeps) throw new Error(`TestClock.runAll: still sleeping after ${maxSleeps} wake-ups`)
        await settle()
      }
    })

  const whenSleeping = (count = 1, purpose?: SleepPurpose): Promise<void> =>
    pending(purpose) >= count ? Promise.resolve() : new Promise((resolve) => watchers.push({ count, purpose, resolve }))

  return { now: () => time, sleep, adjust, runAll, pending, whenSleeping }
}
