import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import type * as TE from 'fp-ts/TaskEither'
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { Retry, Schedule, TestClock } from '../src/index'

describe('TestClock', () => {
  it('starts at 0 and moves only when told', async () => {
    const clock = TestClock.make()
    expect(clock.now()).toBe(0)
    await clock.adjust(0)
    expect(clock.now()).toBe(0)
    await clock.adjust(250)
    expect(clock.now()).toBe(250)
    await clock.adjust(0.5)
    expect(clock.now()).toBe(250.5)
  })

  it('adjust wakes sleeps in order of wake-up time, then of creation, each at its own instant', async () => {
    const clock = TestClock.make()
    const woke: Array<[string, number]> = []
    const nap = (name: string, ms: number) => void clock.sleep(ms).then(() => woke.push([name, clock.now()]))
    nap('c', 300)
    nap('a', 100)
    nap('b1', 200)
    nap('b2', 200)
    expect(clock.pending()).toBe(4)
    await clock.adjust(250)
    expect(woke).toEqual([
      ['a', 100],
      ['b1', 200],
      ['b2', 200],
    ])
    expect(clock.now()).toBe(250)
    expect(clock.pending()).toBe(1)
    await clock.adjust(50)
    expect(woke.at(-1)).toEqual(['c', 300])
    expect(clock.pending()).toBe(0)
  })

  it('does not wake a sleep before it falls due', async () => {
    const clock = TestClock.make()
    let woke = false
    void clock.sleep(100).then(() => (woke = true))
    await clock.adjust(99)
    expect(woke).toBe(false)
    await clock.adjust(1)
    expect(woke).toBe(true)
  })

  it('runs the code between sleeps, and wakes sleeps started by woken code that fall due within the window', async () => {
    const clock = TestClock.make()
    const log: Array<string> = []
    const task = async () => {
      for (let i = 1; i <= 4; i++) {
        await clock.sleep(100)
        // several promise hops between two sleeps
        await Promise.resolve()
        await Promise.resolve()
        log.push(`step ${i} at ${clock.now()}`)
      }
    }
    void task()
    await clock.adjust(350)
    expect(log).toEqual(['step 1 at 100', 'step 2 at 200', 'step 3 at 300'])
    expect(clock.pending()).toBe(1)
    expect(clock.now()).toBe(350)
    // the fourth sleep started at 300: it is due at 400, not 450
    await clock.adjust(50)
    expect(log.at(-1)).toBe('step 4 at 400')
  })

  it('wakes a zero, negative or NaN sleep at the current instant', async () => {
    const clock = TestClock.make()
    await clock.adjust(10)
    const woke: Array<number> = []
    for (const ms of [0, -5, NaN]) void clock.sleep(ms).then(() => woke.push(clock.now()))
    expect(clock.pending()).toBe(3)
    await clock.adjust(0)
    expect(woke).toEqual([10, 10, 10])
  })

  it('sleeps due at the same instant wake in the order they were started, whenever that was', async () => {
    const clock = TestClock.make()
    const woke: Array<[string, number]> = []
    const nap = (name: string, ms: number) => void clock.sleep(ms).then(() => woke.push([name, clock.now()]))
    nap('first', 300)
    await clock.adjust(100)
    nap('second', 200) // also due at 300, started later
    void clock.sleep(200).then(() => {
      woke.push(['third woke', clock.now()])
      nap('zero', 0) // started at 300 by a woken task: due at once, within the same adjust
    })
    await clock.adjust(200)
    expect(woke).toEqual([
      ['first', 300],
      ['second', 300],
      ['third woke', 300],
      ['zero', 300],
    ])
    expect(clock.pending()).toBe(0)
  })

  it('any sleeps, woken by adjusts of any sizes, wake at their own instants, in order of (instant, start)', async () => {
    await fc.assert(
      fc.asyncProperty(
        // each task: the sleeps it takes one after another
        fc.array(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 4 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 8 }),
        async (tasks, steps) => {
          const clock = TestClock.make()
          let started = 0
          const woke: Array<{ readonly due: number; readonly order: number; readonly at: number }> = []
          const run = async (sleeps: ReadonlyArray<number>) => {
            for (const ms of sleeps) {
              const due = clock.now() + ms
              const order = started++
              await clock.sleep(ms)
              woke.push({ due, order, at: clock.now() })
            }
          }
          tasks.forEach((sleeps) => void run(sleeps))
          for (const ms of steps) await clock.adjust(ms)
          const end = steps.reduce((a, b) => a + b, 0)
          expect(clock.now()).toBe(end)
          for (const w of woke) expect(w.at).toBe(w.due)
          const byInstantThenStart = (ws: typeof woke) => [...ws].sort((a, b) => a.due - b.due || a.order - b.order)
          expect(woke).toEqual(byInstantThenStart(woke))
          // after at least one adjust, what is still asleep is due after the end; runAll wakes it, in the same
          // order, at its own instants
          const wokenByAdjust = woke.length
          await clock.runAll()
          if (steps.length > 0) for (const w of woke.slice(wokenByAdjust)) expect(w.due).toBeGreaterThan(end)
          for (const w of woke) expect(w.at).toBe(w.due)
          expect(woke).toEqual(byInstantThenStart(woke))
          expect(woke).toHaveLength(tasks.flat().length)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('an infinite sleep is taken as MAX_DELAY: time stays finite', async () => {
    const clock = TestClock.make()
    let woke = false
    void clock.sleep(Infinity).then(() => (woke = true))
    await clock.adjust(1e12)
    expect(woke).toBe(false)
    await clock.runAll()
    expect(woke).toBe(true)
    expect(clock.now()).toBe(Schedule.MAX_DELAY)
  })

  it('drives a retry whose attempts do real I/O: whenSleeping, then adjust, for each retry', async () => {
    const clock = TestClock.make()
    const starts: Array<number> = []
    const readsThenFails: TE.TaskEither<string, never> = async () => {
      starts.push(clock.now())
      await readFile(new URL('../package.json', import.meta.url))
      return E.left(`failed at ${clock.now()}`)
    }
    const policy = pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(3)))
    const running = pipe(readsThenFails, Retry.retrying(policy, { clock }))()
    for (const delay of [100, 200, 400]) {
      await clock.whenSleeping()
      await clock.adjust(delay)
    }
    expect(await running).toEqual(E.left('failed at 700'))
    expect(starts).toEqual([0, 100, 300, 700])
  })

  it('runAll runs until nothing is asleep, ending at the last wake-up', async () => {
    const clock = TestClock.make()
    const times: Array<number> = []
    void (async () => {
      for (let i = 0; i < 5; i++) {
        await clock.sleep(1000 * (i + 1))
        times.push(clock.now())
      }
    })()
    await clock.runAll()
    expect(times).toEqual([1000, 3000, 6000, 10_000, 15_000])
    expect(clock.now()).toBe(15_000)
    expect(clock.pending()).toBe(0)
  })

  it('runAll with nothing asleep leaves the time alone', async () => {
    const clock = TestClock.make()
    await clock.adjust(42)
    await clock.runAll()
    expect(clock.now()).toBe(42)
  })

  it('runAll stops with an error after maxSleeps wake-ups of a loop that never ends', async () => {
    const clock = TestClock.make()
    void (async () => {
      for (;;) await clock.sleep(1)
    })()
    await expect(clock.runAll(50)).rejects.toThrow(/TestClock\.runAll.*50/)
  })

  it('pending counts the sleeps not yet woken', async () => {
    const clock = TestClock.make()
    expect(clock.pending()).toBe(0)
    void clock.sleep(10)
    void clock.sleep(20)
    expect(clock.pending()).toBe(2)
    await clock.adjust(10)
    expect(clock.pending()).toBe(1)
    await clock.adjust(10)
    expect(clock.pending()).toBe(0)
  })

  it('whenSleeping resolves once the code under test, after real I/O, has started to sleep', async () => {
    const clock = TestClock.make()
    let woke = false
    void (async () => {
      await readFile(new URL('../package.json', import.meta.url))
      await clock.sleep(100)
      woke = true
    })()
    expect(clock.pending()).toBe(0)
    await clock.whenSleeping()
    expect(clock.pending()).toBe(1)
    await clock.adjust(100)
    expect(woke).toBe(true)
  })

  it('whenSleeping(n) waits for n sleeps, and resolves at once when they are already pending', async () => {
    const clock = TestClock.make()
    let resolved = false
    const waiting = clock.whenSleeping(2).then(() => (resolved = true))
    void clock.sleep(10)
    await Promise.resolve()
    await Promise.resolve()
    expect(resolved).toBe(false)
    void clock.sleep(10)
    await waiting
    expect(resolved).toBe(true)
    await expect(clock.whenSleeping(1)).resolves.toBeUndefined()
  })

  it('pending(purpose) counts only the sleeps taken for that purpose', async () => {
    const clock = TestClock.make()
    void clock.sleep(10, undefined, 'backoff')
    void clock.sleep(20, undefined, 'timeout')
    void clock.sleep(30, undefined, 'timeout')
    void clock.sleep(40)
    expect(clock.pending()).toBe(4)
    expect(clock.pending('backoff')).toBe(1)
    expect(clock.pending('timeout')).toBe(2)
    expect(clock.pending('mine')).toBe(0)
    await clock.adjust(20)
    expect(clock.pending('backoff')).toBe(0)
    expect(clock.pending('timeout')).toBe(1)
    expect(clock.pending()).toBe(2)
  })

  it('whenSleeping(count, purpose) waits for that many sleeps of that purpose, ignoring the others', async () => {
    const clock = TestClock.make()
    const resolved: Array<string> = []
    const backoff = clock.whenSleeping(1, 'backoff').then(() => resolved.push('backoff'))
    const anyTwo = clock.whenSleeping(2).then(() => resolved.push('any 2'))
    const timeouts = clock.whenSleeping(2, 'timeout').then(() => resolved.push('timeout 2'))
    void clock.sleep(100, undefined, 'timeout')
    void clock.sleep(100)
    await new Promise((resolve) => setImmediate(resolve))
    expect(resolved).toEqual(['any 2'])
    void clock.sleep(100, undefined, 'backoff')
    await backoff
    expect(resolved).toEqual(['any 2', 'backoff'])
    void clock.sleep(100, undefined, 'timeout')
    await Promise.all([anyTwo, timeouts])
    expect(resolved).toEqual(['any 2', 'backoff', 'timeout 2'])
    // already satisfied: at once
    await expect(clock.whenSleeping(1, 'backoff')).resolves.toBeUndefined()
    await expect(clock.whenSleeping(undefined, 'timeout')).resolves.toBeUndefined()
  })

  it('an abort removes the sleeper and resolves its sleep at once, without moving time', async () => {
    const clock = TestClock.make()
    const controller = new AbortController()
    let woke = false
    const sleeping = clock.sleep(1000, controller.signal).then(() => (woke = true))
    void clock.sleep(2000)
    expect(clock.pending()).toBe(2)
    controller.abort()
    await sleeping
    expect(woke).toBe(true)
    expect(clock.pending()).toBe(1)
    expect(clock.now()).toBe(0)
  })

  it('an already aborted signal resolves at once and registers no sleeper', async () => {
    const clock = TestClock.make()
    const controller = new AbortController()
    controller.abort()
    await clock.sleep(1000, controller.signal)
    expect(clock.pending()).toBe(0)
  })

  it('an abort after the wake-up changes nothing', async () => {
    const clock = TestClock.make()
    const controller = new AbortController()
    const sleeping = clock.sleep(10, controller.signal)
    await clock.adjust(10)
    await sleeping
    controller.abort()
    expect(clock.pending()).toBe(0)
    expect(clock.now()).toBe(10)
  })

  it.each([
    ['-1', -1],
    ['NaN', NaN],
    ['Infinity', Infinity],
  ])('adjust(%s) rejects with a RangeError naming the function, parameter and value', async (shown, ms) => {
    const clock = TestClock.make()
    await expect(clock.adjust(ms)).rejects.toThrow(RangeError)
    await expect(clock.adjust(ms)).rejects.toThrow(new RegExp(`TestClock\\.adjust.*ms.*${shown}`))
    expect(clock.now()).toBe(0)
  })

  it('independent clocks do not share time or sleepers', async () => {
    const a = TestClock.make()
    const b = TestClock.make()
    void a.sleep(10)
    await b.adjust(100)
    expect(a.now()).toBe(0)
    expect(a.pending()).toBe(1)
    expect(b.pending()).toBe(0)
  })
})
