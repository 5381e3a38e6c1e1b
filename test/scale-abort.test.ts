/**
 * Abort and virtual time at scale: work that grows linearly with the number of pending calls. Each test checks a
 * ratio of two sizes (10x the calls, about 10x the time), never an absolute time.
 */
import { getEventListeners } from 'node:events'
import * as E from 'fp-ts/Either'
import * as TE from 'fp-ts/TaskEither'
import { describe, expect, it } from 'vitest'
import type { Operation } from '../src/index'
import { Retry, Schedule, TestClock } from '../src/index'
import { abortSleeps as abortAll, wakeMany as wakeAll } from './support/clock-workloads'

/** The fastest of a few runs, in ms: the least noisy estimate of the work itself. */
const timed = async (runs: number, work: () => Promise<void>): Promise<number> => {
  let best = Infinity
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await work()
    best = Math.min(best, performance.now() - start)
  }
  return best
}

const failing = (_: Operation.Env): TE.TaskEither<string, never> => TE.left('503')

/** `n` retrying calls on one signal, all asleep in their backoff, then aborted: every one ends with `Aborted`. */
const abortMany = async (n: number): Promise<void> => {
  const clock = TestClock.make()
  const controller = new AbortController()
  const call = Retry.retrying(failing, Schedule.spaced(1_000), { clock })
  const running = Array.from({ length: n }, () => call({ signal: controller.signal })())
  await clock.whenSleeping(n, 'backoff')
  controller.abort('shutdown')
  const results = await Promise.all(running)
  expect(results.every((r) => E.isLeft(r) && Retry.isAborted(r.left))).toBe(true)
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  expect(clock.pending()).toBe(0)
}

describe('abort at scale', () => {
  it('100,000 pending retries on one signal: register and abort in time linear in their number, no listener left', async () => {
    await abortMany(1_000) // warm up
    const small = await timed(3, () => abortMany(10_000))
    const large = await timed(2, () => abortMany(100_000))
    expect(large / small).toBeLessThan(30)
  }, 60_000)

  it('calls that settle one by one leave no listener on the shared signal', async () => {
    const controller = new AbortController()
    const call = Retry.retryingWith(
      (status: Retry.RetryStatus<string>) => (_: Operation.Env) =>
        status.attempt < 3 ? TE.left('503') : TE.right(status.attempt),
      Schedule.recurs(3),
    )
    const results = await Promise.all(Array.from({ length: 100 }, () => call({ signal: controller.signal })()))
    expect(results.every(E.isRight)).toBe(true)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })
})

describe('TestClock at scale', () => {
  const wakeMany = async (n: number): Promise<void> => {
    expect(await wakeAll(n)).toBe(n)
  }
  const abortSleeps = async (n: number): Promise<void> => {
    expect(await abortAll(n)).toBe(0)
  }

  it('one adjust that wakes many sleeps at many instants takes time linear in their number', async () => {
    await wakeMany(1_000)
    const small = await timed(3, () => wakeMany(2_000))
    const large = await timed(2, () => wakeMany(20_000))
    expect(large / small).toBeLessThan(30)
  }, 60_000)

  it('aborting many pending sleeps takes time linear in their number', async () => {
    await abortSleeps(1_000)
    const small = await timed(3, () => abortSleeps(4_000))
    const large = await timed(2, () => abortSleeps(40_000))
    expect(large / small).toBeLessThan(30)
  }, 60_000)

  it('concurrent adjusts run in call order: time moves by their sum and never backwards', async () => {
    const clock = TestClock.make()
    const seen: Array<number> = []
    void clock.sleep(5).then(() => seen.push(clock.now()))
    void clock.sleep(1_005).then(() => seen.push(clock.now()))
    await Promise.all([clock.adjust(1_000), clock.adjust(10)])
    expect(clock.now()).toBe(1_010)
    expect(seen).toEqual([5, 1_005])
  })
})
