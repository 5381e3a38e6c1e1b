import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Clock } from '../src/index'

const MAX = Clock.MAX_TIMER_DELAY

/** Tracks whether a promise has settled, without awaiting it. */
const track = (p: Promise<void>) => {
  const state = { settled: false }
  void p.then(() => (state.settled = true))
  return state
}

describe('Clock.live with fake timers', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('MAX_TIMER_DELAY is 2^31 - 1', () => {
    expect(MAX).toBe(2 ** 31 - 1)
  })

  it('a sleep longer than 2^31-1 ms does not fire early, and fires at the right time', async () => {
    const ms = MAX + 1000
    const sleeping = track(Clock.live.sleep(ms))
    await vi.advanceTimersByTimeAsync(1)
    expect(sleeping.settled).toBe(false)
    await vi.advanceTimersByTimeAsync(MAX - 1)
    expect(sleeping.settled).toBe(false)
    await vi.advanceTimersByTimeAsync(999)
    expect(sleeping.settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(sleeping.settled).toBe(true)
  })

  it('a sleep of several timer lengths is slept in pieces, one timer at a time', async () => {
    const ms = 3 * MAX + 5
    const sleeping = track(Clock.sleep(ms))
    for (let piece = 0; piece < 3; piece++) {
      expect(vi.getTimerCount()).toBe(1)
      await vi.advanceTimersByTimeAsync(MAX)
      expect(sleeping.settled).toBe(false)
    }
    await vi.advanceTimersByTimeAsync(4)
    expect(sleeping.settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(sleeping.settled).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('an infinite sleep never fires early: one timer piece at a time, until aborted', async () => {
    const controller = new AbortController()
    const sleeping = track(Clock.live.sleep(Infinity, controller.signal))
    for (let piece = 0; piece < 5; piece++) {
      expect(vi.getTimerCount()).toBe(1)
      await vi.advanceTimersByTimeAsync(MAX)
      expect(sleeping.settled).toBe(false)
    }
    controller.abort()
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(0)
    expect(sleeping.settled).toBe(true)
  })

  it('a sleep of exactly 2^31-1 ms fires at that time', async () => {
    const sleeping = track(Clock.sleep(MAX))
    await vi.advanceTimersByTimeAsync(MAX - 1)
    expect(sleeping.settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(sleeping.settled).toBe(true)
  })

  it('an ordinary sleep fires after its delay', async () => {
    const sleeping = track(Clock.live.sleep(250))
    await vi.advanceTimersByTimeAsync(249)
    expect(sleeping.settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(sleeping.settled).toBe(true)
  })

  it.each([
    ['0', 0],
    ['-1', -1],
    ['-Infinity', -Infinity],
    ['NaN', NaN],
  ])('sleep(%s) resolves at once, with no timer', async (_, ms) => {
    const sleeping = track(Clock.live.sleep(ms))
    expect(vi.getTimerCount()).toBe(0)
    await Promise.resolve()
    await Promise.resolve()
    expect(sleeping.settled).toBe(true)
  })

  it('an abort clears the timer and resolves the sleep', async () => {
    const controller = new AbortController()
    const sleeping = track(Clock.live.sleep(10_000, controller.signal))
    expect(vi.getTimerCount()).toBe(1)
    controller.abort()
    expect(vi.getTimerCount()).toBe(0)
    await Promise.resolve()
    await Promise.resolve()
    expect(sleeping.settled).toBe(true)
  })

  it('an abort during a later piece of a long sleep clears that piece', async () => {
    const controller = new AbortController()
    const sleeping = track(Clock.live.sleep(2 * MAX + 10, controller.signal))
    await vi.advanceTimersByTimeAsync(MAX)
    expect(vi.getTimerCount()).toBe(1)
    expect(sleeping.settled).toBe(false)
    controller.abort()
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(0)
    expect(sleeping.settled).toBe(true)
  })

  it('an already aborted signal resolves at once, with no timer', async () => {
    const controller = new AbortController()
    controller.abort()
    const sleeping = track(Clock.live.sleep(10_000, controller.signal))
    expect(vi.getTimerCount()).toBe(0)
    await Promise.resolve()
    await Promise.resolve()
    expect(sleeping.settled).toBe(true)
  })

  it('a finished sleep leaves no abort listener behind', async () => {
    const controller = new AbortController()
    const remove = vi.spyOn(controller.signal, 'removeEventListener')
    const sleeping = track(Clock.live.sleep(10, controller.signal))
    await vi.advanceTimersByTimeAsync(10)
    expect(sleeping.settled).toBe(true)
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function))
  })

  it('sleeps that end in the same millisecond share one timer; an abort takes out its own sleep only', async () => {
    const [a, b] = [new AbortController(), new AbortController()]
    const first = track(Clock.live.sleep(100, a.signal))
    const second = track(Clock.live.sleep(100, b.signal))
    const later = track(Clock.live.sleep(200))
    expect(vi.getTimerCount()).toBe(2) // 100 ms (both) and 200 ms
    a.abort()
    await vi.advanceTimersByTimeAsync(0)
    expect([first.settled, second.settled]).toEqual([true, false])
    expect(vi.getTimerCount()).toBe(2) // the second still holds the shared timer
    b.abort()
    await vi.advanceTimersByTimeAsync(0)
    expect(second.settled).toBe(true)
    expect(vi.getTimerCount()).toBe(1) // gone with its last sleep
    await vi.advanceTimersByTimeAsync(200)
    expect(later.settled).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a group loses any of its sleeps to an abort, in any order, and wakes the rest', async () => {
    const controllers = [0, 1, 2, 3].map(() => new AbortController())
    const sleeps = controllers.map((c) => track(Clock.live.sleep(100, c.signal)))
    expect(vi.getTimerCount()).toBe(1)
    for (const i of [0, 3, 1]) controllers[i]?.abort()
    await vi.advanceTimersByTimeAsync(0)
    expect(sleeps.map((s) => s.settled)).toEqual([true, true, false, true])
    await vi.advanceTimersByTimeAsync(100)
    expect(sleeps[2]?.settled).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a sleep never ends before its time: one begun within a millisecond ends at the end of its own', async () => {
    const early = track(Clock.live.sleep(100))
    await vi.advanceTimersByTimeAsync(0.5)
    const late = track(Clock.live.sleep(100)) // ends at 100.5: in millisecond 101, not with the first
    expect(vi.getTimerCount()).toBe(2)
    await vi.advanceTimersByTimeAsync(99.5) // t = 100
    expect([early.settled, late.settled]).toEqual([true, false])
    await vi.advanceTimersByTimeAsync(1) // t = 101
    expect(late.settled).toBe(true)
  })

  it('sleep takes a purpose as third argument and ignores it', async () => {
    const backoff = track(Clock.live.sleep(100, undefined, 'backoff'))
    const timeout = track(Clock.live.sleep(100, new AbortController().signal, 'timeout'))
    expect(vi.getTimerCount()).toBe(1) // they end in the same millisecond: one timer
    await vi.advanceTimersByTimeAsync(99)
    expect([backoff.settled, timeout.settled]).toEqual([false, false])
    await vi.advanceTimersByTimeAsync(1)
    expect([backoff.settled, timeout.settled]).toEqual([true, true])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('now reads a monotonic millisecond clock', () => {
    const a = Clock.live.now()
    const b = Clock.live.now()
    expect(Number.isFinite(a)).toBe(true)
    expect(b).toBeGreaterThanOrEqual(a)
  })
})
