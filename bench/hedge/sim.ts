/**
 * The tail-latency experiment of "The Tail at Scale" (Dean and Barroso, CACM 2013), as a simulation in virtual
 * time that drives this library's real `Hedge.hedging` on a `TestClock`.
 *
 * The model (see docs/cut-tail-latency.md for the reasoning):
 *
 * - Requests arrive as a Poisson process, one per `meanGap` ms on average; each is one call of the operation.
 * - Every attempt of a request (the first, and each hedge) is served independently, in a latency drawn from a
 *   heavy-tailed mixture: most answers are fast (log-normal around `fastMedian` ms), a few are slow (log-uniform
 *   between `slowMin` and `slowMax` ms: queueing, a GC pause), and about 1 % stall for 1 s or more (Pareto from
 *   `stallMin` ms, shape `stallShape`: a failing disk, a long pause). The server is not slowed down by load.
 * - An attempt is cancellable: when its signal fires (it lost the race) the server stops working on it at once.
 * - A request's latency is the time from its arrival to the winning answer; its extra requests are the attempts
 *   beyond the first. Nothing fails: hedging is tested on slowness alone.
 *
 * Everything is deterministic for a seed. The latency of attempt `k` of request `i` is drawn from its own
 * `Random.seeded` stream, so every strategy sees the same first attempts (common random numbers) and the only
 * difference between two runs is the strategy.
 */
import { pipe } from 'fp-ts/function'
import type * as TE from 'fp-ts/TaskEither'
import { Hedge, Operation, Random, Schedule, TestClock } from '../../src/index'

/** The parameters of the simulated server and of the traffic (milliseconds). */
export interface Parameters {
  readonly meanGap: number
  readonly fastMedian: number
  readonly fastSigma: number
  readonly slowShare: number
  readonly slowMin: number
  readonly slowMax: number
  readonly stallShare: number
  readonly stallMin: number
  readonly stallShape: number
}

/** The default server: 96 % fast (median 6 ms), 3 % slow (20-200 ms), 1 % stalled (1 s or more, Pareto 1.5). */
export const defaults: Parameters = {
  meanGap: 1,
  fastMedian: 6,
  fastSigma: 0.25,
  slowShare: 0.03,
  slowMin: 20,
  slowMax: 200,
  stallShare: 0.01,
  stallMin: 1_000,
  stallShape: 1.5,
}

/** What the shared state of one strategy's run is: built afresh for every run. */
interface Shared {
  readonly options: Hedge.HedgeOptions<never>
  readonly schedule: Schedule.Schedule<Hedge.Started, unknown>
}

/** A hedging strategy of the experiment: `make` builds its schedule and shared values for one run. */
export interface Strategy {
  readonly key: string
  readonly name: string
  /** A shorter name, for the chart's legend. */
  readonly label: string
  readonly make: (() => Shared) | undefined
}

/** The four strategies of the experiment, each built from the library's real values. */
export const strategies = (): ReadonlyArray<Strategy> => {
  const adaptive = (bound: boolean) => (): Shared => {
    const tracker = Hedge.latencyTracker({ window: 1_000 })()
    const schedule = pipe(
      Hedge.afterQuantile(tracker, { quantile: 0.95, floor: 1, cap: 1_000 }),
      Schedule.intersect(Schedule.recurs(1)),
    )
    return {
      schedule,
      options: bound ? { tracker, loadBound: Hedge.loadBound(0.05, { capacity: 100 })() } : { tracker },
    }
  }
  return [
    { key: 'none', name: 'No hedging', label: 'No hedging', make: undefined },
    {
      key: 'fixed',
      name: 'Hedge after 10 ms',
      label: 'After 10 ms',
      make: () => ({ schedule: pipe(Schedule.spaced(10), Schedule.intersect(Schedule.recurs(1))), options: {} }),
    },
    { key: 'adaptive', name: 'Hedge after the p95', label: 'After the p95', make: adaptive(false) },
    {
      key: 'bounded',
      name: 'Hedge after the p95, at most 5 % extra',
      label: 'p95, at most 5 % extra',
      make: adaptive(true),
    },
  ]
}

/** What one run measured. Latencies in virtual ms. */
export interface Result {
  readonly key: string
  readonly name: string
  readonly strategy: Strategy
  readonly requests: number
  /** Attempts sent to the server: requests plus hedges. */
  readonly attempts: number
  /** Hedges per request. */
  readonly extra: number
  /** Losing attempts cancelled while the server was still working on them. */
  readonly cancelled: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly p999: number
  readonly p9999: number
  readonly max: number
}

/** One attempt's latency, drawn from its own stream: `u` picks the part of the mixture, the rest shape it. */
const latency = (p: Parameters, seed: number, request: number, attempt: number): number => {
  // a distinct safe-integer seed per (seed, request, attempt); Random.seeded mixes the high bits in
  const random = Random.seeded(seed * 2 ** 26 + request * 8 + attempt)
  const u = random()
  const v = random()
  if (u < p.stallShare) return p.stallMin * (1 - v) ** (-1 / p.stallShape)
  if (u < p.stallShare + p.slowShare) return p.slowMin * (p.slowMax / p.slowMin) ** v
  // Box-Muller: a standard normal from two uniforms
  const w = random()
  const normal = Math.sqrt(-2 * Math.log(1 - v)) * Math.cos(2 * Math.PI * w)
  return p.fastMedian * Math.exp(p.fastSigma * normal)
}

/** The nearest-rank `q`-quantile of sorted values. */
const quantile = (sorted: Float64Array, q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0

const round = (ms: number): number => Math.round(ms * 100) / 100

/** Runs `requests` requests (default 100,000) through `strategy` against the simulated server, in virtual time. */
export const simulate = async (
  strategy: Strategy,
  options: { readonly requests?: number; readonly seed?: number; readonly parameters?: Parameters } = {},
): Promise<Result> => {
  const requests = options.requests ?? 100_000
  const seed = options.seed ?? 1
  const p = options.parameters ?? defaults
  const clock = TestClock.make()
  const shared = strategy.make?.()
  const latencies = new Float64Array(requests)
  let attempts = 0
  let cancelled = 0

  const serve = (request: number) => {
    let attempt = 0
    // one cancellable call of the server: its signal stops the work
    return ({ signal }: Operation.Env): TE.TaskEither<never, number> =>
      async () => {
        attempts += 1
        await clock.sleep(latency(p, seed, request, attempt++), signal, 'server')
        if (signal.aborted) cancelled += 1
        return { _tag: 'Right', right: request }
      }
  }
  const hedge = shared === undefined ? undefined : Hedge.hedging(shared.schedule, { ...shared.options, clock })
  const call = (request: number): Operation.Cancellable<Operation.Env, unknown, number> =>
    hedge === undefined ? serve(request) : hedge(serve(request))

  const arrivals = Random.seeded(seed)
  let completed = 0
  const request = async (i: number): Promise<void> => {
    const start = clock.now()
    await Operation.run(call(i))()
    latencies[i] = clock.now() - start
    completed += 1
  }
  // one arrival after another, so that the clock holds only the sleeps of the requests in flight
  const traffic = (async () => {
    for (let i = 0; i < requests; i++) {
      await clock.sleep(-p.meanGap * Math.log(1 - arrivals()), undefined, 'arrival')
      void request(i)
    }
  })()
  await clock.runAll(100 * requests)
  await traffic
  if (completed !== requests) throw new Error(`simulate: ${requests - completed} requests never completed`)
  latencies.sort()
  return {
    key: strategy.key,
    name: strategy.name,
    strategy,
    requests,
    attempts,
    extra: (attempts - requests) / requests,
    cancelled,
    p50: round(quantile(latencies, 0.5)),
    p90: round(quantile(latencies, 0.9)),
    p99: round(quantile(latencies, 0.99)),
    p999: round(quantile(latencies, 0.999)),
    p9999: round(quantile(latencies, 0.9999)),
    max: round(latencies[requests - 1] ?? 0),
  }
}
