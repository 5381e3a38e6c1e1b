/**
 * Types of the load limits: Bulkhead.limit and RateLimit.limit widen the error union by exactly BulkheadRejected /
 * RateLimited, keep the form of the operation (data-last and data-first), and compose with Retry.retrying,
 * Timeout.timeout, CircuitBreaker.protect and Hedge.hedging in any order.
 */
import { pipe } from 'fp-ts/function'
import type * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type * as TE from 'fp-ts/TaskEither'
import { describe, expectTypeOf, it } from 'vitest'
import { Bulkhead, CircuitBreaker, Hedge, RateLimit, Retry, Schedule, Timeout } from '../src/index'
import type { IO } from 'fp-ts/IO'
import type { Operation } from '../src/index'

interface Http503 {
  readonly _tag: 'Http503'
}
interface Deps extends Operation.Env {
  readonly region: string
}
declare const call: TE.TaskEither<Http503, string>
declare const cancellable: ReaderTaskEither<Operation.Env, Http503, string>
declare const withDeps: ReaderTaskEither<Deps, Http503, string>
declare const bulkhead: Bulkhead.Bulkhead
declare const limiter: RateLimit.RateLimiter
declare const breaker: CircuitBreaker.CircuitBreaker

type Rejected = Bulkhead.BulkheadRejected
type Limited = RateLimit.RateLimited
type Timeout = Timeout.TimeoutError
type Open = CircuitBreaker.CircuitOpen

describe('Bulkhead.limit and RateLimit.limit widen by exactly their own failure', () => {
  it('a TaskEither stays a TaskEither, data-last and data-first', () => {
    expectTypeOf(pipe(call, Bulkhead.limit(bulkhead))).toEqualTypeOf<TE.TaskEither<Http503 | Rejected, string>>()
    expectTypeOf(Bulkhead.limit(call, bulkhead)).toEqualTypeOf<TE.TaskEither<Http503 | Rejected, string>>()
    expectTypeOf(pipe(call, RateLimit.limit(limiter))).toEqualTypeOf<TE.TaskEither<Http503 | Limited, string>>()
    expectTypeOf(RateLimit.limit(call, limiter)).toEqualTypeOf<TE.TaskEither<Http503 | Limited, string>>()
  })

  it('a cancellable operation stays cancellable, with its own environment', () => {
    expectTypeOf(pipe(cancellable, Bulkhead.limit(bulkhead))).toEqualTypeOf<
      ReaderTaskEither<Operation.Env, Http503 | Rejected, string>
    >()
    expectTypeOf(Bulkhead.limit(withDeps, bulkhead)).toEqualTypeOf<ReaderTaskEither<Deps, Http503 | Rejected, string>>()
    expectTypeOf(pipe(withDeps, RateLimit.limit(limiter))).toEqualTypeOf<
      ReaderTaskEither<Deps, Http503 | Limited, string>
    >()
    expectTypeOf(RateLimit.limit(cancellable, limiter)).toEqualTypeOf<
      ReaderTaskEither<Operation.Env, Http503 | Limited, string>
    >()
  })

  it('the environment must carry the signal', () => {
    const run = pipe(cancellable, Bulkhead.limit(bulkhead), RateLimit.limit(limiter))
    // @ts-expect-error the environment must carry the signal
    run({})
  })

  it('the failures: one shape each, a reason to match, a hint where there is one', () => {
    expectTypeOf<Rejected['reason']>().toEqualTypeOf<'full' | 'queueTimeout' | 'aborted'>()
    expectTypeOf<Rejected['running']>().toEqualTypeOf<number>()
    expectTypeOf<Rejected['queued']>().toEqualTypeOf<number>()
    expectTypeOf<Limited['reason']>().toEqualTypeOf<'limit' | 'aborted'>()
    expectTypeOf<Limited['retryAfter']>().toEqualTypeOf<O.Option<number>>()
    expectTypeOf(Bulkhead.make({ maxConcurrent: 4, maxQueue: 0 })).toEqualTypeOf<IO<Bulkhead.Bulkhead>>()
    expectTypeOf(RateLimit.make({ rate: 10 })).toEqualTypeOf<IO<RateLimit.RateLimiter>>()
    expectTypeOf(RateLimit.awsAdaptive()).toEqualTypeOf<IO<RateLimit.RateLimiter>>()
    expectTypeOf(Bulkhead.gradient2()).toEqualTypeOf<Bulkhead.Limit>()
    expectTypeOf<Bulkhead.Outcome>().toEqualTypeOf<'success' | 'ignore' | 'dropped'>()
  })
})

describe('composition in any order', () => {
  type All = Http503 | Rejected | Limited | Timeout | Open

  it('a TaskEither: limits, timeout and breaker in any order give the same union; retry keeps it exactly', () => {
    const a = pipe(
      call,
      Timeout.timeout(1_000),
      CircuitBreaker.protect(breaker),
      Bulkhead.limit(bulkhead),
      RateLimit.limit(limiter),
    )
    const b = pipe(
      call,
      RateLimit.limit(limiter),
      Bulkhead.limit(bulkhead),
      CircuitBreaker.protect(breaker),
      Timeout.timeout(1_000),
    )
    const c = pipe(
      call,
      Bulkhead.limit(bulkhead),
      Timeout.timeout(1_000),
      RateLimit.limit(limiter),
      CircuitBreaker.protect(breaker),
    )
    expectTypeOf(a).toEqualTypeOf<TE.TaskEither<All, string>>()
    expectTypeOf(b).toEqualTypeOf<TE.TaskEither<All, string>>()
    expectTypeOf(c).toEqualTypeOf<TE.TaskEither<All, string>>()
    expectTypeOf(pipe(a, Retry.retrying(Schedule.recurs(3)))).toEqualTypeOf<TE.TaskEither<All, string>>()
    // the limits outside the retry: each call, not each attempt, takes a slot and a token
    expectTypeOf(
      pipe(call, Retry.retrying(Schedule.recurs(3)), Bulkhead.limit(bulkhead), RateLimit.limit(limiter)),
    ).toEqualTypeOf<TE.TaskEither<Http503 | Rejected | Limited, string>>()
  })

  it('a cancellable operation: Retry adds Aborted of the whole union, wherever the limits are', () => {
    const inside = pipe(
      cancellable,
      Timeout.timeout(1_000),
      Bulkhead.limit(bulkhead),
      CircuitBreaker.protect(breaker),
      RateLimit.limit(limiter),
      Retry.retrying(Schedule.recurs(3)),
    )
    expectTypeOf(inside).toEqualTypeOf<ReaderTaskEither<Operation.Env, All | Retry.Aborted<All>, string>>()
    const outside = pipe(
      cancellable,
      Retry.retrying(Schedule.recurs(3)),
      Bulkhead.limit(bulkhead),
      RateLimit.limit(limiter),
    )
    type Inner = Http503 | Retry.Aborted<Http503>
    expectTypeOf(outside).toEqualTypeOf<ReaderTaskEither<Operation.Env, Inner | Rejected | Limited, string>>()
  })

  it('the union is exhaustive: a switch on _tag covers every case', () => {
    const describe = (e: All | Retry.Aborted<All>): string => {
      switch (e._tag) {
        case 'Http503':
          return 'down'
        case 'BulkheadRejected':
          return `rejected (${e.reason}, ${e.running} running, ${e.queued} queued)`
        case 'RateLimited':
          return `rate limited, retry after ${e.retryAfter._tag === 'Some' ? e.retryAfter.value : '?'} ms`
        case 'TimeoutError':
          return `slow (${e.timeout})`
        case 'CircuitOpen':
          return 'open'
        case 'Aborted':
          return 'aborted'
      }
    }
    expectTypeOf(describe).returns.toEqualTypeOf<string>()
  })

  it('with Hedge.hedging, in either order', () => {
    const policy = pipe(Schedule.spaced(10), Schedule.intersect(Schedule.recurs(1)))
    // each hedged attempt takes its own slot and token
    const perAttempt = pipe(cancellable, Bulkhead.limit(bulkhead), RateLimit.limit(limiter), Hedge.hedging(policy))
    type Inner = Http503 | Rejected | Limited
    expectTypeOf(perAttempt).toEqualTypeOf<ReaderTaskEither<Operation.Env, Inner | Retry.Aborted<Inner>, string>>()
    // the whole hedged call takes one
    const perCall = pipe(cancellable, Hedge.hedging(policy), Bulkhead.limit(bulkhead), RateLimit.limit(limiter))
    type Hedged = Http503 | Retry.Aborted<Http503>
    expectTypeOf(perCall).toEqualTypeOf<ReaderTaskEither<Operation.Env, Hedged | Rejected | Limited, string>>()
    expectTypeOf(pipe(call, Bulkhead.limit(bulkhead), Hedge.hedging(policy))).toEqualTypeOf<
      TE.TaskEither<Http503 | Rejected, string>
    >()
  })

  it('a schedule typed for other errors does not accept the limits’ failures', () => {
    const only503 = pipe(
      Schedule.recurs(3),
      Schedule.whileInput((e: Http503) => e._tag === 'Http503'),
    )
    // @ts-expect-error the schedule cannot take BulkheadRejected
    pipe(call, Bulkhead.limit(bulkhead), Retry.retrying(only503))
    // @ts-expect-error the schedule cannot take RateLimited
    pipe(call, RateLimit.limit(limiter), Retry.retrying(only503))
  })

  it('the predicates accept any error, so they fit any slot', () => {
    expectTypeOf(Bulkhead.isBulkheadRejected).parameter(0).toEqualTypeOf<unknown>()
    expectTypeOf(RateLimit.isRateLimited).parameter(0).toEqualTypeOf<unknown>()
    expectTypeOf(Schedule.whileInput(RateLimit.isRateLimited)(Schedule.recurs(2))).toEqualTypeOf<
      Schedule.Schedule<unknown, O.Option<number>>
    >()
    expectTypeOf(
      CircuitBreaker.make({ isFailure: Bulkhead.isBulkheadRejected }),
    ).returns.toEqualTypeOf<CircuitBreaker.CircuitBreaker>()
  })
})
