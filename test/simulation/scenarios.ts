/**
 * The simulated outages behind test/outage.test.ts, the table in
 * docs/protect-your-dependency.md and the picture drawn by
 * scripts/draw-outage.ts. Each scenario drives the real library on a
 * TestClock with seeded random sources, so every number is reproducible.
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as TE from 'fp-ts/TaskEither'
import { Budget, CircuitBreaker, Random, Retry, Schedule, TestClock } from '../../src/index'
import * as Dependency from './dependency'
import { openLoop } from './traffic'

export type Protection = 'none' | 'aws' | 'grpc' | 'breaker' | 'aws+breaker'

export const protections: ReadonlyArray<Protection> = ['none', 'aws', 'grpc', 'breaker', 'aws+breaker']

/**
 * The breaker every scenario uses: opens when half of the last 20 calls (at
 * least 10) failed; lets 3 probes through after 1 s, then 2 s, 4 s, 5 s, 5 s...
 * while they keep failing; closes when all 3 succeed. Every error of the
 * simulated dependency (`Unavailable`, or a `TimeoutError`) counts as a
 * failure: the default `isFailure` (0.2) counts only the errors the library
 * knows to be transient, and would take `Unavailable` for a success.
 */
export const breakerOptions = (
  clock: TestClock.TestClock,
  onStateChange?: (c: CircuitBreaker.StateChange) => void,
): CircuitBreaker.Options => ({
  clock,
  failureRate: { threshold: 0.5, window: 20, minimumCalls: 10 },
  halfOpenAfter: pipe(Schedule.exponential(1_000), Schedule.capDelay(5_000)),
  probes: 3,
  isFailure: () => true,
  ...(onStateChange === undefined ? {} : { onStateChange }),
})

export interface Run {
  readonly requests: number
  readonly attempts: number
  /** Attempts that reached the dependency per request. */
  readonly amplification: number
  /** The same, over the requests that started once the protection had kicked in (the budget first refused, or the breaker first opened). */
  readonly amplificationOnceSpent: number
  /** When the protection kicked in (ms), if it did. */
  readonly spentAt: number | undefined
}

/** The budget a protection uses, if any. */
const budgetFor = (protection: Protection): Budget.Budget | undefined =>
  protection === 'aws' || protection === 'aws+breaker'
    ? Budget.tokenBucket()()
    : protection === 'grpc'
      ? Budget.throttle()()
      : undefined

/** The breaker a protection uses, if any, reporting its state changes to `onChange`. */
const breakerFor = (
  protection: Protection,
  clock: TestClock.TestClock,
  onChange: (change: CircuitBreaker.StateChange) => unknown,
): CircuitBreaker.CircuitBreaker | undefined =>
  protection === 'breaker' || protection === 'aws+breaker'
    ? CircuitBreaker.make(breakerOptions(clock, onChange))()
    : undefined

/**
 * Open-loop traffic (`rate` per second for `duration` ms) against a
 * dependency that is down the whole time, each request retried by
 * `recurs(3)` with no delay, behind the given protection.
 */
export const totalOutage = async (protection: Protection, rate = 50, duration = 60_000, seed = 1): Promise<Run> => {
  const clock = TestClock.make()
  const dependency = Dependency.make(clock, { health: () => 'down' })
  let spentAt: number | undefined
  const kickedIn = () => (spentAt ??= clock.now())
  const budget = budgetFor(protection)
  const breaker = breakerFor(protection, clock, (c) => c.to === 'Open' && kickedIn())
  const policy = pipe(
    Schedule.recurs(3),
    Schedule.whileInput((e: unknown) => !CircuitBreaker.isCircuitOpen(e)),
  )
  const options: Retry.RetryOptions<unknown> = {
    clock,
    budget,
    onGiveUp: (e) => e.reason._tag === 'BudgetExhausted' && kickedIn(),
  }
  const attempt: TE.TaskEither<unknown, 'ok'> =
    breaker === undefined ? dependency.call : pipe(dependency.call, CircuitBreaker.protect(breaker))
  const attemptsOf: Array<number> = []
  const requests = await openLoop(clock, { rate, duration, random: Random.seeded(seed) }, async (index) => {
    const before = dependency.attempts.length
    const result = await pipe(attempt, Retry.retrying(policy, options))()
    attemptsOf[index] = dependency.attempts.length - before
    return result
  })
  const attempts = dependency.attempts.length
  const after = requests.filter((r) => spentAt === undefined || r.start > spentAt)
  const attemptsAfter = after.reduce((sum, r) => sum + (attemptsOf[r.index] ?? 0), 0)
  return {
    requests: requests.length,
    attempts,
    amplification: attempts / requests.length,
    amplificationOnceSpent: attemptsAfter / after.length,
    spentAt,
  }
}

/** An error a layer passes on once it has retried, so that the layers above it do not retry again. */
export interface AlreadyRetried<E> {
  readonly _tag: 'AlreadyRetried'
  readonly error: E
}

const alreadyRetried = <E>(error: E): AlreadyRetried<E> => ({ _tag: 'AlreadyRetried', error })

/** Not already retried: the condition of the outer layers' schedules. */
const notAlreadyRetried = <E extends { readonly _tag: string }>(e: E): boolean => e._tag !== 'AlreadyRetried'

/**
 * Three services in a chain, each retrying its call to the next with
 * `recurs(3)`, in front of a dependency that is down. Without care each layer
 * multiplies the attempts by 4 (64 in all); when the innermost layer passes on
 * a typed `AlreadyRetried` error that the outer layers' schedules do not
 * retry, the total stays at 4.
 */
export const nestedLayers = async (passOn: boolean, requests = 200): Promise<Run> => {
  const clock = TestClock.make()
  const dependency = Dependency.make(clock, { health: () => 'down' })
  type Err = Dependency.Unavailable | AlreadyRetried<Dependency.Unavailable>
  const retry = pipe(Schedule.recurs(3), Schedule.whileInput(passOn ? notAlreadyRetried<Err> : () => true))
  const innermost: TE.TaskEither<Err, 'ok'> = pipe(
    dependency.call,
    Retry.retrying(Schedule.recurs(3), { clock }),
    TE.mapLeft((e): Err => (passOn ? alreadyRetried(e) : e)),
  )
  const middle = pipe(innermost, Retry.retrying(retry, { clock }))
  const outer = pipe(middle, Retry.retrying(retry, { clock }))
  for (let i = 0; i < requests; i++) await outer()
  const attempts = dependency.attempts.length
  return {
    requests,
    attempts,
    amplification: attempts / requests,
    amplificationOnceSpent: attempts / requests,
    spentAt: undefined,
  }
}

export interface Recovery {
  /** Requests that started after the outage ended. */
  readonly requestsAfter: number
  /** Their success rate. */
  readonly successRateAfter: number
  /** The fewest requests after the outage's end from which on at least 99% succeed (undefined: never). */
  readonly requestsToRecover: number | undefined
  /** Attempts per request while the dependency was down. */
  readonly amplificationDuringOutage: number
  /** The breaker's state changes, if it has one. */
  readonly changes: ReadonlyArray<CircuitBreaker.StateChange>
  /** Per second: attempts reaching the dependency, and requests that succeeded / failed. */
  readonly perSecond: ReadonlyArray<{ readonly attempts: number; readonly ok: number; readonly failed: number }>
  /** The breaker's state at the end. */
  readonly finalState: CircuitBreaker.State | undefined
}

export interface RecoveryOptions {
  readonly protection: Protection
  readonly outageFrom?: number
  readonly outageTo?: number
  readonly duration?: number
  readonly rate?: number
  readonly latency?: number
  readonly capacity?: number
  readonly seed?: number
}

/**
 * An outage from `outageFrom` to `outageTo` of a dependency that serves each
 * call in `latency` ms and is overloaded beyond `capacity` calls in flight;
 * open-loop traffic for `duration` ms, each request retried with jittered
 * exponential backoff (50 ms, at most 3 retries) behind the protection.
 * Retries that outlive the outage keep the dependency overloaded unless
 * something stops them.
 */
export const recovery = async (options: RecoveryOptions): Promise<Recovery> => {
  const { protection, outageFrom = 10_000, outageTo = 30_000, duration = 60_000 } = options
  const { rate = 100, latency = 50, capacity = 12, seed = 7 } = options
  const clock = TestClock.make()
  const dependency = Dependency.make(clock, { health: Dependency.outage(outageFrom, outageTo), latency, capacity })
  const changes: Array<CircuitBreaker.StateChange> = []
  const budget = budgetFor(protection)
  const breaker = breakerFor(protection, clock, (c) => changes.push(c))
  const policy = pipe(
    Schedule.exponential(50),
    Schedule.fullJitter,
    Schedule.intersect(Schedule.recurs(3)),
    Schedule.whileInput((e: unknown) => !CircuitBreaker.isCircuitOpen(e)),
  )
  const attempt: TE.TaskEither<unknown, 'ok'> =
    breaker === undefined ? dependency.call : pipe(dependency.call, CircuitBreaker.protect(breaker))
  const call = pipe(attempt, Retry.retrying(policy, { clock, budget, random: Random.seeded(seed + 1) }))
  const requests = await openLoop(clock, { rate, duration, random: Random.seeded(seed) }, () => call())

  const seconds = Math.ceil(duration / 1000) + 1
  const perSecond = Array.from({ length: seconds }, () => ({ attempts: 0, ok: 0, failed: 0 }))
  for (const at of dependency.attempts) perSecond[Math.floor(at / 1000)]!.attempts += 1
  for (const r of requests) {
    const bucket = perSecond[Math.floor(r.start / 1000)]!
    if (r.result !== undefined && E.isRight(r.result)) bucket.ok += 1
    else bucket.failed += 1
  }
  const after = requests.filter((r) => r.start >= outageTo)
  const ok = (r: (typeof requests)[number]) => r.result !== undefined && E.isRight(r.result)
  let requestsToRecover: number | undefined
  let okFromHere = 0
  for (let k = after.length - 1; k >= 0; k--) {
    if (ok(after[k]!)) okFromHere += 1
    if (okFromHere / (after.length - k) >= 0.99) requestsToRecover = k
  }
  const during = requests.filter((r) => r.start >= outageFrom && r.start < outageTo)
  const attemptsDuring = dependency.attempts.filter((at) => at >= outageFrom && at < outageTo).length
  return {
    requestsAfter: after.length,
    successRateAfter: after.filter(ok).length / after.length,
    requestsToRecover,
    amplificationDuringOutage: attemptsDuring / during.length,
    changes,
    perSecond,
    finalState: breaker?.state(),
  }
}
