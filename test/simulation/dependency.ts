/**
 * A simulated dependency: a service whose health is a function of virtual
 * time. It can be up, down (every call fails), and it is overloaded when more
 * calls are in flight than its capacity (those calls fail too). It counts
 * every attempt that reaches it, which is what retries amplify.
 */
import * as E from 'fp-ts/Either'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type * as TE from 'fp-ts/TaskEither'
import type { Operation, TestClock } from '../../src/index'

export type Health = 'up' | 'down'

export interface Unavailable {
  readonly _tag: 'Unavailable'
  readonly reason: 'down' | 'overloaded'
}

export interface DependencyOptions {
  /** Health at a virtual time (ms). */
  readonly health: (now: number) => Health
  /** How long one call takes (ms). Default 0. */
  readonly latency?: number
  /** How long one call takes while down (ms). Default `latency`: a large value makes calls hang. */
  readonly downLatency?: number
  /** Calls in flight beyond which it is overloaded. Default: unlimited. */
  readonly capacity?: number
}

export interface Dependency {
  /** One call. */
  readonly call: TE.TaskEither<Unavailable, 'ok'>
  /** One cancellable call: it stops when the signal of its environment aborts (failing as `down`). */
  readonly cancellable: ReaderTaskEither<Operation.Env, Unavailable, 'ok'>
  /** Every attempt that reached it, in order, with its start time. */
  readonly attempts: Array<number>
  /** Calls in flight now. */
  readonly inFlight: () => number
}

export const make = (clock: TestClock.TestClock, options: DependencyOptions): Dependency => {
  const latency = options.latency ?? 0
  const downLatency = options.downLatency ?? latency
  const capacity = options.capacity ?? Infinity
  const attempts: Array<number> = []
  let inFlight = 0
  const run = async (signal?: AbortSignal): Promise<E.Either<Unavailable, 'ok'>> => {
    const start = clock.now()
    attempts.push(start)
    inFlight += 1
    const overloaded = inFlight > capacity
    const takes = options.health(start) === 'down' ? downLatency : latency
    if (takes > 0) await clock.sleep(takes, signal)
    inFlight -= 1
    if (options.health(start) === 'down' || signal?.aborted) return E.left({ _tag: 'Unavailable', reason: 'down' })
    return overloaded ? E.left({ _tag: 'Unavailable', reason: 'overloaded' }) : E.right('ok')
  }
  return {
    call: () => run(),
    cancellable:
      ({ signal }) =>
      () =>
        run(signal),
    attempts,
    inFlight: () => inFlight,
  }
}

/** Down between `from` and `to` (ms), up otherwise. */
export const outage =
  (from: number, to: number) =>
  (now: number): Health =>
    now >= from && now < to ? 'down' : 'up'
