import { absurd, pipe } from 'fp-ts/function'
import type * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import * as TE from 'fp-ts/TaskEither'
import { describe, expectTypeOf, it } from 'vitest'
import { Budget, CircuitBreaker, Retry, Schedule, Timeout } from '../src/index'
import * as Http from '../src/Http'
import type { Clock, Operation } from '../src/index'

interface Http503 {
  readonly _tag: 'Http503'
}
declare const call: TE.TaskEither<Http503, string>
declare const cancellableCall: ReaderTaskEither<Operation.Env, Http503, string>
declare const breaker: CircuitBreaker.CircuitBreaker
declare const signal: AbortSignal
declare const clock: Clock.Clock
type Widened = ReaderTaskEither<Operation.Env, Http503 | Retry.Aborted<Http503>, string>
type Plain = TE.TaskEither<Http503, string>

describe('protection types', () => {
  it('retrying a TaskEither keeps exactly TaskEither<E, A>, with or without a budget', () => {
    expectTypeOf(pipe(call, Retry.retrying(Schedule.recurs(3)))).toEqualTypeOf<TE.TaskEither<Http503, string>>()
    expectTypeOf(pipe(call, Retry.retrying(Schedule.recurs(3), { budget: Budget.tokenBucket()() }))).toEqualTypeOf<
      TE.TaskEither<Http503, string>
    >()
  })

  it('retrying a cancellable operation widens the error with Aborted<E>, and only with it', () => {
    expectTypeOf(pipe(cancellableCall, Retry.retrying(Schedule.recurs(3)))).toEqualTypeOf<Widened>()
    expectTypeOf(Retry.retrying(cancellableCall, Schedule.recurs(3))).toEqualTypeOf<Widened>()
    expectTypeOf<Retry.Aborted<Http503>['lastError']>().toEqualTypeOf<O.Option<Http503>>()
  })

  it('a cancellable operation takes its signal at run time, and requires it', () => {
    const run = pipe(cancellableCall, Retry.retrying(Schedule.recurs(3)))
    expectTypeOf(run({ signal })).toEqualTypeOf<TE.TaskEither<Http503 | Retry.Aborted<Http503>, string>>()
    // @ts-expect-error the environment must carry the signal
    run({})
  })

  it('timeout adds TimeoutError; the breaker adds CircuitOpen; the union stays exhaustive', () => {
    const attempt = pipe(cancellableCall, Timeout.timeout(1_000), CircuitBreaker.protect(breaker))
    const run = pipe(attempt, Retry.retrying(Schedule.recurs(3)))
    type Err = Http503 | Timeout.TimeoutError | CircuitBreaker.CircuitOpen
    expectTypeOf(run).toEqualTypeOf<ReaderTaskEither<Operation.Env, Err | Retry.Aborted<Err>, string>>()
    const describe = (e: Err | Retry.Aborted<Err>): string => {
      switch (e._tag) {
        case 'Http503':
          return 'down'
        case 'TimeoutError':
          return `slow (${e.timeout})`
        case 'CircuitOpen':
          return `open, retry after ${e.retryAfter._tag === 'Some' ? e.retryAfter.value : '?'} ms`
        case 'Aborted':
          return 'aborted'
      }
    }
    expectTypeOf(describe).returns.toEqualTypeOf<string>()
  })

  it('protect widens either form with CircuitOpen and keeps the form, data-last and data-first', () => {
    type Guarded = Http503 | CircuitBreaker.CircuitOpen
    expectTypeOf(pipe(call, CircuitBreaker.protect(breaker))).toEqualTypeOf<TE.TaskEither<Guarded, string>>()
    expectTypeOf(CircuitBreaker.protect(call, breaker)).toEqualTypeOf<TE.TaskEither<Guarded, string>>()
    expectTypeOf(pipe(cancellableCall, CircuitBreaker.protect(breaker))).toEqualTypeOf<
      ReaderTaskEither<Operation.Env, Guarded, string>
    >()
    expectTypeOf(CircuitBreaker.protect(cancellableCall, breaker)).toEqualTypeOf<
      ReaderTaskEither<Operation.Env, Guarded, string>
    >()
  })

  it('CircuitOpen carries the hint as retryAfter: Option<number>, and no remaining', () => {
    expectTypeOf<CircuitBreaker.CircuitOpen['retryAfter']>().toEqualTypeOf<O.Option<number>>()
    expectTypeOf<CircuitBreaker.CircuitOpen>().not.toHaveProperty('remaining')
  })

  it('a schedule typed for other errors does not accept CircuitOpen', () => {
    const only503 = pipe(
      Schedule.recurs(3),
      Schedule.whileInput((e: Http503) => e._tag === 'Http503'),
    )
    // @ts-expect-error the schedule cannot take CircuitOpen
    pipe(call, CircuitBreaker.protect(breaker), Retry.retrying(only503))
  })

  it('waitForHint keeps the schedule type; budgets and breakers are built in IO', () => {
    expectTypeOf(Schedule.waitForHint(30_000)(Schedule.recurs(3))).toEqualTypeOf<Schedule.Schedule<unknown, number>>()
    expectTypeOf(Budget.tokenBucket()).returns.toEqualTypeOf<Budget.Budget>()
    expectTypeOf(Budget.throttle()).returns.toEqualTypeOf<Budget.Budget>()
    expectTypeOf(CircuitBreaker.make()).returns.toEqualTypeOf<CircuitBreaker.CircuitBreaker>()
  })

  it("Http.isTransient fits a breaker's isFailure (the default)", () => {
    expectTypeOf(
      CircuitBreaker.make({ isFailure: Http.isTransient }),
    ).returns.toEqualTypeOf<CircuitBreaker.CircuitBreaker>()
  })

  it('onGiveUp says why, as a tagged union', () => {
    expectTypeOf<Retry.GiveUpReason['_tag']>().toEqualTypeOf<'ScheduleDone' | 'BudgetExhausted'>()
  })
})

describe('the signal comes at run time, for every entry point', () => {
  const action = (_: Retry.RetryStatus<Http503>) => call
  const cancellableAction = (_: Retry.RetryStatus<Http503>) => cancellableCall
  const get = (_id: number) => call
  const cancellableGet = (_id: number) => cancellableCall

  it('a TaskEither keeps exactly its type through every entry point', () => {
    expectTypeOf(pipe(call, Retry.retrying(Schedule.recurs(3), { clock }))).toEqualTypeOf<Plain>()
    expectTypeOf(Retry.retrying(call, Schedule.recurs(3), { clock })).toEqualTypeOf<Plain>()
    expectTypeOf(Retry.retryingWith(Schedule.recurs(3), { clock })(action)).toEqualTypeOf<Plain>()
    expectTypeOf(Retry.retryable(Schedule.recurs(3), { clock })(get)).toEqualTypeOf<(_id: number) => Plain>()
    expectTypeOf(
      pipe(
        call,
        Retry.retryingOrElse(Schedule.recurs(3), () => TE.right(0), { clock }),
      ),
    ).toEqualTypeOf<TE.TaskEither<never, string | number>>()
  })

  it('a cancellable operation widens its error with Aborted<E> through every entry point', () => {
    expectTypeOf(pipe(cancellableCall, Retry.retrying(Schedule.recurs(3), { clock }))).toEqualTypeOf<Widened>()
    expectTypeOf(Retry.retrying(cancellableCall, Schedule.recurs(3), { clock })).toEqualTypeOf<Widened>()
    expectTypeOf(Retry.retryingWith(Schedule.recurs(3), { clock })(cancellableAction)).toEqualTypeOf<Widened>()
    expectTypeOf(Retry.retryable(Schedule.recurs(3), { clock })(cancellableGet)).toEqualTypeOf<
      (_id: number) => Widened
    >()
    // data-last, orElse annotated (as every data-last hook is): Aborted carries the operation's error
    expectTypeOf(
      pipe(
        cancellableCall,
        Retry.retryingOrElse(Schedule.recurs(3), (_: Http503) => TE.right(0), { clock }),
      ),
    ).toEqualTypeOf<ReaderTaskEither<Operation.Env, Retry.Aborted<Http503>, string | number>>()
    expectTypeOf(Retry.retryingOrElse(cancellableCall, Schedule.recurs(3), () => TE.right(0), { clock })).toEqualTypeOf<
      ReaderTaskEither<Operation.Env, Retry.Aborted<Http503>, string | number>
    >()
  })

  it('no entry point takes a signal in its options any more', () => {
    // @ts-expect-error RetryOptions has no signal: it comes in the environment, `op({ signal })()`
    const withSignal: Retry.RetryOptions<Http503> = { signal }
    // @ts-expect-error nor in the data-first form
    Retry.retrying(call, Schedule.recurs(3), { signal })
    // @ts-expect-error nor a timeout's options
    Timeout.timeout(1_000, { signal })
    void withSignal
  })

  it('retryingOrElse: orElse sees only give-ups, never an Aborted', () => {
    Retry.retryingOrElse(cancellableCall, Schedule.recurs(3), (error) => {
      expectTypeOf(error).toEqualTypeOf<Http503>()
      return TE.left('fallback failed' as const)
    })
  })

  it('the widened union stays exhaustive on _tag', () => {
    const run = Retry.retryingWith(Schedule.recurs(3))(cancellableAction)
    expectTypeOf(run).toEqualTypeOf<Widened>()
    type Err = Operation.ErrorOf<typeof run>
    const describe = (e: Err): string => {
      switch (e._tag) {
        case 'Http503':
          return 'down'
        case 'Aborted':
          return `aborted after ${e.lastError._tag === 'Some' ? e.lastError.value._tag : 'no attempt'}`
      }
    }
    expectTypeOf(describe).returns.toEqualTypeOf<string>()
  })
})

interface Row {
  readonly id: number
}
interface Db {
  readonly query: (sql: string, signal: AbortSignal) => Promise<Row>
}
/** The operation's own errors: a tagged union of two variants. */
type DbError =
  { readonly _tag: 'ConnectionLost'; readonly code: string } | { readonly _tag: 'QueryFailed'; readonly sql: string }
declare const db: Db
declare const getRow: ReaderTaskEither<Operation.Env & { readonly db: Db }, DbError, Row>
declare const getRowPlain: TE.TaskEither<DbError, Row>

describe('done: timeout, breaker and budgeted retries on ONE cancellable operation, in one pipe, in any order', () => {
  type Env = Operation.Env & { readonly db: Db }
  const budget = Budget.tokenBucket()()
  const policy = pipe(
    Schedule.exponential(100),
    Schedule.jittered(),
    Schedule.intersect(Schedule.recurs(3)),
    Schedule.whileInput((e: unknown) => Http.isTransient(e) || (e as DbError)._tag === 'ConnectionLost'),
    Schedule.waitForHint(30_000),
  )

  type Attempt = DbError | Timeout.TimeoutError | CircuitBreaker.CircuitOpen
  type Expected = Attempt | Retry.Aborted<Attempt>

  // timeout -> protect -> retrying
  const timedThenGuarded = pipe(
    getRow,
    Timeout.timeout(1_000, { clock }),
    CircuitBreaker.protect(breaker),
    Retry.retrying(policy, { clock, budget }),
  )
  // protect -> timeout -> retrying
  const guardedThenTimed = pipe(
    getRow,
    CircuitBreaker.protect(breaker),
    Timeout.timeout(1_000, { clock }),
    Retry.retrying(policy, { clock, budget }),
  )
  // timeout -> retrying -> protect: the breaker sees whole retrying calls, and its CircuitOpen is not retried
  const retriedThenGuarded = pipe(
    getRow,
    Timeout.timeout(1_000, { clock }),
    Retry.retrying(policy, { clock, budget }),
    CircuitBreaker.protect(breaker),
  )
  type Retried = DbError | Timeout.TimeoutError
  type ExpectedOutside = Retried | Retry.Aborted<Retried> | CircuitBreaker.CircuitOpen

  it('infers exactly the expected error union, and keeps the environment and the value', () => {
    expectTypeOf(timedThenGuarded).toEqualTypeOf<ReaderTaskEither<Env, Expected, Row>>()
    expectTypeOf(guardedThenTimed).toEqualTypeOf<ReaderTaskEither<Env, Expected, Row>>()
    expectTypeOf(retriedThenGuarded).toEqualTypeOf<ReaderTaskEither<Env, ExpectedOutside, Row>>()
    expectTypeOf<Operation.ErrorOf<typeof timedThenGuarded>>().toEqualTypeOf<Expected>()
    expectTypeOf<Operation.ErrorOf<typeof retriedThenGuarded>>().toEqualTypeOf<ExpectedOutside>()
    expectTypeOf<Retry.Aborted<Attempt>['lastError']>().toEqualTypeOf<O.Option<Attempt>>()
  })

  it('runs with its signal and its dependencies, and not without them', () => {
    expectTypeOf(timedThenGuarded({ signal, db })).toEqualTypeOf<TE.TaskEither<Expected, Row>>()
    // @ts-expect-error the db is missing
    timedThenGuarded({ signal })
    // @ts-expect-error the signal is missing
    guardedThenTimed({ db })
  })

  it('an exhaustive switch on _tag ending in absurd compiles', () => {
    const describe = (e: Operation.ErrorOf<typeof timedThenGuarded>): string => {
      switch (e._tag) {
        case 'ConnectionLost':
          return `connection lost (${e.code})`
        case 'QueryFailed':
          return `query failed: ${e.sql}`
        case 'TimeoutError':
          return `no answer within ${e.timeout} ms`
        case 'CircuitOpen':
          return `circuit ${e.state} until ${e.retryAt}`
        case 'Aborted':
          return `aborted (${e.lastError._tag === 'Some' ? e.lastError.value._tag : 'before any failure'})`
        default:
          return absurd(e)
      }
    }
    expectTypeOf(describe).returns.toEqualTypeOf<string>()
    const outside = (e: Operation.ErrorOf<typeof retriedThenGuarded>): string => {
      switch (e._tag) {
        case 'ConnectionLost':
        case 'QueryFailed':
        case 'TimeoutError':
          return e._tag
        case 'CircuitOpen':
          return 'open'
        case 'Aborted':
          // the retry inside the breaker never saw a CircuitOpen
          expectTypeOf(e.lastError).toEqualTypeOf<O.Option<Retried>>()
          return 'aborted'
        default:
          return absurd(e)
      }
    }
    expectTypeOf(outside).returns.toEqualTypeOf<string>()
  })

  it('a switch that drops a case does not compile', () => {
    const incomplete = (e: Operation.ErrorOf<typeof guardedThenTimed>): string => {
      switch (e._tag) {
        case 'ConnectionLost':
        case 'QueryFailed':
          return 'db'
        case 'TimeoutError':
          return 'slow'
        case 'Aborted':
          return 'aborted'
        default:
          // @ts-expect-error CircuitOpen is not handled
          return absurd(e)
      }
    }
    expectTypeOf(incomplete).returns.toEqualTypeOf<string>()
  })

  it('a plain TaskEither through the same pipe stays a TaskEither, with no Aborted in its error type', () => {
    const plain = pipe(
      getRowPlain,
      Timeout.timeout(1_000, { clock }),
      CircuitBreaker.protect(breaker),
      Retry.retrying(policy, { clock, budget }),
    )
    expectTypeOf(plain).toEqualTypeOf<TE.TaskEither<Attempt, Row>>()
    expectTypeOf<Extract<Operation.ErrorOf<typeof plain>, { readonly _tag: 'Aborted' }>>().toBeNever()
    const other = pipe(
      getRowPlain,
      CircuitBreaker.protect(breaker),
      Timeout.timeout(1_000, { clock }),
      Retry.retrying(policy, { clock, budget }),
    )
    expectTypeOf(other).toEqualTypeOf<TE.TaskEither<Attempt, Row>>()
  })
})
