/**
 * Open-loop traffic: requests arrive at a steady average rate (Poisson
 * arrivals from a seeded random source) whatever happens to earlier ones, as
 * users of a web service do. Everything runs on a TestClock.
 */
import type { Random, TestClock } from '../../src/index'

export interface Request<R> {
  readonly index: number
  readonly start: number
  end: number
  result: R | undefined
}

export interface TrafficOptions {
  /** Requests per second, on average. */
  readonly rate: number
  /** For how long requests arrive (ms). */
  readonly duration: number
  /** Seeded source of the arrival times. */
  readonly random: Random.Random
}

/**
 * Fires `request` at each arrival, drives the clock until every request has
 * settled, and returns them in arrival order.
 */
export const openLoop = async <R>(
  clock: TestClock.TestClock,
  options: TrafficOptions,
  request: (index: number, start: number) => Promise<R>,
): Promise<ReadonlyArray<Request<R>>> => {
  const requests: Array<Request<R>> = []
  const running: Array<Promise<void>> = []
  const arrivals = (async () => {
    let at = 0
    for (;;) {
      const gap = (-Math.log(1 - options.random()) * 1000) / options.rate
      if (at + gap >= options.duration) return
      at += gap
      await clock.sleep(gap)
      const entry: Request<R> = { index: requests.length, start: clock.now(), end: NaN, result: undefined }
      requests.push(entry)
      running.push(
        request(entry.index, entry.start).then((result) => {
          entry.end = clock.now()
          entry.result = result
        }),
      )
    }
  })()
  await clock.runAll()
  await arrivals
  await Promise.all(running)
  return requests
}
