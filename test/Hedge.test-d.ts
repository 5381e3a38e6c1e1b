import { pipe } from 'fp-ts/function'
import type * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type * as TE from 'fp-ts/TaskEither'
import { describe, expectTypeOf, it } from 'vitest'
import { CircuitBreaker, Hedge, Retry, Schedule, Timeout } from '../src/index'
import * as Grpc from '../src/Grpc'
import * as Http from '../src/Http'
import type { Operation } from '../src/index'

interface Http503 {
  readonly _tag: 'Http503'
}
interface Other {
  readonly _tag: 'Other'
}
declare const call: TE.TaskEither<Http503, string>
declare const cancellableCall: ReaderTaskEither<Operation.Env, Http503, string>
declare const breaker: CircuitBreaker.CircuitBreaker
const policy = pipe(Schedule.spaced(10), Schedule.intersect(Schedule.recurs(2)))
const retries = Schedule.recurs(3)

type Cancellable<E> = ReaderTaskEither<Operation.Env, E, string>
type Aborted<E> = Retry.Aborted<E>

describe('Hedge.hedging types', () => {
  it('a TaskEither keeps exactly its type, data-last and data-first: no Aborted, nothing added', () => {
    expectTypeOf(pipe(call, Hedge.hedging(policy))).toEqualTypeOf<TE.TaskEither<Http503, string>>()
    expectTypeOf(Hedge.hedging(call, policy)).toEqualTypeOf<TE.TaskEither<Http503, string>>()
  })

  it('a cancellable operation widens its errors with Aborted<E>, and only with it', () => {
    expectTypeOf(pipe(cancellableCall, Hedge.hedging(policy))).toEqualTypeOf<Cancellable<Http503 | Aborted<Http503>>>()
    expectTypeOf(Hedge.hedging(cancellableCall, policy)).toEqualTypeOf<Cancellable<Http503 | Aborted<Http503>>>()
    expectTypeOf<Hedge.Hedged<typeof cancellableCall>>().toEqualTypeOf<Cancellable<Http503 | Aborted<Http503>>>()
  })

  it('the user’s own dependencies stay in the environment', () => {
    interface Deps extends Operation.Env {
      readonly db: string
    }
    const withDeps: ReaderTaskEither<Deps, Http503, number> = () => () => Promise.resolve({ _tag: 'Right', right: 1 })
    expectTypeOf(pipe(withDeps, Hedge.hedging(policy))).toEqualTypeOf<
      ReaderTaskEither<Deps, Http503 | Aborted<Http503>, number>
    >()
  })

  it('the data-first form types the callbacks by the operation’s error', () => {
    Hedge.hedging(call, policy, {
      nonFatal: (e) => expectTypeOf(e).toEqualTypeOf<Http503>() !== undefined,
      onHedge: (event) => expectTypeOf(event.after).toEqualTypeOf<O.Option<Http503>>(),
    })
  })

  it('in the data-last form an annotated callback is checked against the operation', () => {
    expectTypeOf(pipe(call, Hedge.hedging(policy, { nonFatal: (e: Http503) => e._tag === 'Http503' }))).toEqualTypeOf<
      TE.TaskEither<Http503, string>
    >()
    // @ts-expect-error a predicate over other errors cannot judge this operation's
    pipe(call, Hedge.hedging(policy, { nonFatal: (e: Other) => e._tag === 'Other' }))
    // predicates that accept any value fit every operation
    expectTypeOf(pipe(cancellableCall, Hedge.hedging(policy, { nonFatal: Http.isTransient }))).toEqualTypeOf<
      Cancellable<Http503 | Aborted<Http503>>
    >()
  })

  it('the schedule is stepped with Started, not with errors: a schedule over errors does not fit', () => {
    const overErrors = pipe(
      Schedule.recurs(2),
      Schedule.whileInput((e: Http503) => e._tag === 'Http503'),
    )
    // @ts-expect-error the schedule cannot take Hedge.Started
    Hedge.hedging(overErrors)
    const overStarts = pipe(
      Schedule.spaced(10),
      Schedule.whileInput((s: Hedge.Started) => s.running < 3),
    )
    expectTypeOf(pipe(call, Hedge.hedging(overStarts))).toEqualTypeOf<TE.TaskEither<Http503, string>>()
    const tracker = Hedge.latencyTracker()()
    expectTypeOf(Hedge.afterQuantile(tracker, { cap: 100 })).toEqualTypeOf<Schedule.Schedule<unknown, number>>()
  })

  it('gRPC’s pushback is the same type as Hedge’s, and its reader fits the option', () => {
    expectTypeOf<Grpc.Pushback>().toEqualTypeOf<Hedge.Pushback>()
    expectTypeOf(pipe(call, Hedge.hedging(policy, { pushback: Grpc.pushbackOf }))).toEqualTypeOf<
      TE.TaskEither<Http503, string>
    >()
  })

  it('shared values are built in IO', () => {
    expectTypeOf(Hedge.latencyTracker()).returns.toEqualTypeOf<Hedge.LatencyTracker>()
    expectTypeOf(Hedge.loadBound(0.05)).returns.toEqualTypeOf<Hedge.LoadBound>()
  })
})

describe('Hedge composes both ways with Retry, Timeout and CircuitBreaker', () => {
  type H = Http503 | Aborted<Http503>

  it('hedging inside retrying (retry the whole race) and retrying inside hedging (each hedge retries)', () => {
    expectTypeOf(pipe(cancellableCall, Hedge.hedging(policy), Retry.retrying(retries))).toEqualTypeOf<
      Cancellable<H | Aborted<H>>
    >()
    expectTypeOf(pipe(cancellableCall, Retry.retrying(retries), Hedge.hedging(policy))).toEqualTypeOf<
      Cancellable<H | Aborted<H>>
    >()
    // a TaskEither stays exactly itself through both
    expectTypeOf(pipe(call, Hedge.hedging(policy), Retry.retrying(retries))).toEqualTypeOf<
      TE.TaskEither<Http503, string>
    >()
    expectTypeOf(pipe(call, Retry.retrying(retries), Hedge.hedging(policy))).toEqualTypeOf<
      TE.TaskEither<Http503, string>
    >()
  })

  it('a timeout per attempt, or around the whole race', () => {
    type T = Http503 | Timeout.TimeoutError
    expectTypeOf(pipe(cancellableCall, Timeout.timeout(100), Hedge.hedging(policy))).toEqualTypeOf<
      Cancellable<T | Aborted<T>>
    >()
    expectTypeOf(pipe(cancellableCall, Hedge.hedging(policy), Timeout.timeout(1_000))).toEqualTypeOf<
      Cancellable<H | Timeout.TimeoutError>
    >()
    expectTypeOf(pipe(call, Timeout.timeout(100), Hedge.hedging(policy))).toEqualTypeOf<TE.TaskEither<T, string>>()
  })

  it('a breaker around each attempt, or around the whole race', () => {
    type C = Http503 | CircuitBreaker.CircuitOpen
    expectTypeOf(pipe(cancellableCall, CircuitBreaker.protect(breaker), Hedge.hedging(policy))).toEqualTypeOf<
      Cancellable<C | Aborted<C>>
    >()
    expectTypeOf(pipe(cancellableCall, Hedge.hedging(policy), CircuitBreaker.protect(breaker))).toEqualTypeOf<
      Cancellable<H | CircuitBreaker.CircuitOpen>
    >()
  })

  it('all of them in one pipe: the union stays exhaustive', () => {
    const run = pipe(
      cancellableCall,
      Timeout.timeout(100),
      CircuitBreaker.protect(breaker),
      Hedge.hedging(policy, { nonFatal: Http.isTransient }),
      Retry.retrying(retries),
    )
    type A = Http503 | Timeout.TimeoutError | CircuitBreaker.CircuitOpen
    type All = A | Aborted<A>
    expectTypeOf(run).toEqualTypeOf<Cancellable<All | Aborted<All>>>()
    const describe = (e: All | Aborted<All>): string => {
      switch (e._tag) {
        case 'Http503':
          return 'down'
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
})
