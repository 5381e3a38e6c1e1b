import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import * as TE from 'fp-ts/TaskEither'
import { describe, expect, it } from 'vitest'
import { retainedHeap } from '../bench/scale'
import { Retry, Schedule, TestClock } from '../src/index'

describe('scale', () => {
  it('10,000 concurrent retrying calls sharing one schedule value finish in virtual time with exact attempt counts', async () => {
    const calls = 10_000
    const clock = TestClock.make()
    // delays 10, 20, 40, 80: at most 5 attempts
    const policy = pipe(Schedule.exponential(10), Schedule.intersect(Schedule.recurs(4)))
    const failuresOf = (i: number) => i % 7 // 0 to 6 failures before a success
    const attempts = new Array<number>(calls).fill(0)
    const delaysSeen: Array<Array<number>> = Array.from({ length: calls }, () => [])
    const retryingCall = Retry.retryingWith(policy, { clock })

    const running = Array.from({ length: calls }, (_, i) =>
      retryingCall((status: Retry.RetryStatus<{ call: number; attempt: number }>) => {
        attempts[i]! += 1
        if (status.attempt !== attempts[i]) throw new Error(`call ${i}: status.attempt ${status.attempt}`)
        if (O.isSome(status.lastDelay)) delaysSeen[i]!.push(status.lastDelay.value)
        return attempts[i]! > failuresOf(i) ? TE.right(i) : TE.left({ call: i, attempt: status.attempt })
      })(),
    )

    // every call that failed its first attempt is asleep at once, sharing the one schedule value
    const firstFailures = Array.from({ length: calls }, (_, i) => i).filter((i) => failuresOf(i) > 0).length
    await clock.whenSleeping(firstFailures)
    expect(clock.pending()).toBe(firstFailures)

    await clock.runAll()
    const results = await Promise.all(running)

    results.forEach((result, i) => {
      const f = failuresOf(i)
      expect(attempts[i]).toBe(Math.min(f + 1, 5))
      expect(delaysSeen[i]).toEqual([10, 20, 40, 80].slice(0, Math.min(f, 4)))
      expect(result).toEqual(f <= 4 ? E.right(i) : E.left({ call: i, attempt: 5 }))
    })
    expect(attempts.reduce((a, b) => a + b, 0)).toBe(
      Array.from({ length: calls }, (_, i) => Math.min(failuresOf(i) + 1, 5)).reduce((a, b) => a + b, 0),
    )
    expect(clock.now()).toBe(10 + 20 + 40 + 80)
    expect(clock.pending()).toBe(0)
  })

  it('a million consecutive immediate retries of one call: no stack overflow, no timer, every retry counted', async () => {
    const retries = 1_000_000
    const clock = TestClock.make()
    let attempts = 0
    let hooks = 0
    const call: TE.TaskEither<string, number> = async () => {
      attempts++
      return attempts <= retries ? E.left('transient') : E.right(attempts)
    }
    const result = await Retry.retrying(Schedule.recurs(retries), { clock, onRetry: () => void hooks++ })(call)()
    expect(result).toEqual(E.right(retries + 1))
    expect(attempts).toBe(retries + 1)
    expect(hooks).toBe(retries)
    // zero delays never reach the clock: nothing slept, no virtual time passed
    expect(clock.pending()).toBe(0)
    expect(clock.now()).toBe(0)
  })

  it('a call that never succeeds gives up with its last error after exactly a million retries', async () => {
    const retries = 1_000_000
    let attempts = 0
    const call: TE.TaskEither<number, never> = async () => E.left(++attempts)
    const result = await Retry.retrying(Schedule.recurs(retries), { clock: TestClock.make() })(call)()
    expect(result).toEqual(E.left(retries + 1))
  })

  it('a million immediate retries retain less than 5 MB of heap at the deepest point, after a forced GC', async () => {
    // `npm run bench` runs with --expose-gc; here the flag is set at run time and gc taken from a fresh context
    const globals = globalThis as { gc?: () => void }
    const had = globals.gc
    setFlagsFromString('--expose-gc')
    globals.gc = had ?? (runInNewContext('gc') as () => void)
    try {
      const retained = await retainedHeap(1_000_000)
      expect(retained).toBeDefined()
      expect(retained!).toBeLessThan(5 * 2 ** 20)
      // the measurement catches a leak: the naive recursive promise chain retains megabytes at 10^5 already
      expect((await retainedHeap(100_000, true))!).toBeGreaterThan(5 * 2 ** 20)
    } finally {
      if (had === undefined) delete globals.gc
    }
  })
})
