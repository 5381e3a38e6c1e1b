import { pipe } from 'fp-ts/function'
import type * as O from 'fp-ts/Option'
import * as TE from 'fp-ts/TaskEither'
import { describe, expectTypeOf, it } from 'vitest'
import { Budget, CircuitBreaker, Retry, Schedule, Timeout } from '../src/index'
import type { Clock } from '../src/index'

interface Http503 {
  readonly _tag: 'Http503'
}
declare const call: TE.TaskEither<Http503, string>
declare const abortableCall: (signal: AbortSignal) => TE.TaskEither<Http503, string>
declare const breaker: CircuitBreaker.CircuitBreaker
declare const signal: AbortSignal
declare const maybeSignal: AbortSignal | undefined
declare const clock: Clock.Clock
type Widened = TE.TaskEither<Http503 | Retry.Aborted<Http503>, string>
type Plain = TE.TaskEither<Http503, string>

describe('protection types', () => {
  it('retrying without a signal keeps exactly TaskEither<E, A>, with or without a budget', () => {
    expectTypeOf(pipe(call, Retry.retrying(Schedule.recurs(3)))).toEqualTypeOf<TE.TaskEither<Http503, string>>()
    expectTypeOf(pipe(call, Retry.retrying(Schedule.recurs(3), { budget: Budget.tokenBucket()() }))).toEqualTypeOf<
      TE.TaskEither<Http503, string>
    >()
  })

  it('retrying with a signal widens the error with Aborted<E> (every entry point honours a signal)', () => {
    expectTypeOf(pipe(call, Retry.retrying(Schedule.recurs(3), { signal }))).toEqualTypeOf<
      TE.TaskEither<Http503 | Retry.Aborted<Http503>, string>
    >()
  })

  it('retryingAbortable widens the error with Aborted<E>, and only with it', () => {
    const run = Retry.retryingAbortable(Schedule.recurs(3), { signal })(abortableCall)
    expectTypeOf(run).toEqualTypeOf<TE.TaskEither<Http503 | Retry.Aborted<Http503>, string>>()
    expectTypeOf<Retry.Aborted<Http503>['lastError']>().toEqualTypeOf<O.Option<Http503>>()
  })

  it('retryingAbortable requires a signal', () => {
    // @ts-expect-error signal is required
    Retry.retryingAbortable(Schedule.recurs(3), {})
  })

  it('timeout adds TimeoutError; the breaker adds CircuitOpen; the union stays exhaustive', () => {
    const attempt = pipe(abortableCall, Timeout.timeout(1_000), CircuitBreaker.protectAbortable(breaker))
    const run = Retry.retryingAbortable(Schedule.recurs(3), { signal })(attempt)
    type Err = Http503 | Timeout.TimeoutError | CircuitBreaker.CircuitOpen
    expectTypeOf(run).toEqualTypeOf<TE.TaskEither<Err | Retry.Aborted<Err>, string>>()
    const describe = (e: Err | Retry.Aborted<Err>): string => {
      switch (e._tag) {
        case 'Http503':
          return 'down'
        case 'TimeoutError':
          return `slow (${e.timeout})`
        case 'CircuitOpen':
          return `open for ${e.remaining}`
        case 'Aborted':
          return 'aborted'
      }
    }
    expectTypeOf(describe).returns.toEqualTypeOf<string>()
  })

  it('protect widens a TaskEither with CircuitOpen', () => {
    expectTypeOf(pipe(call, CircuitBreaker.protect(breaker))).toEqualTypeOf<
      TE.TaskEither<Http503 | CircuitBreaker.CircuitOpen, string>
    >()
  })

  it('a schedule typed for other errors does not accept CircuitOpen', () => {
    const only503 = pipe(
      Schedule.recurs(3),
      Schedule.whileInput((e: Http503) => e._tag === 'Http503'),
    )
    // @ts-expect-error the schedule cannot take CircuitOpen
    pipe(call, CircuitBreaker.protect(breaker), Retry.retrying(only503))
  })

  it('waitUntilRetryAt keeps the schedule type; budgets and breakers are built in IO', () => {
    expectTypeOf(CircuitBreaker.waitUntilRetryAt(Schedule.recurs(3))).toEqualTypeOf<
      Schedule.Schedule<unknown, number>
    >()
    expectTypeOf(Budget.tokenBucket()).returns.toEqualTypeOf<Budget.Budget>()
    expectTypeOf(Budget.throttle()).returns.toEqualTypeOf<Budget.Budget>()
    expectTypeOf(CircuitBreaker.make()).returns.toEqualTypeOf<CircuitBreaker.CircuitBreaker>()
  })

  it('onGiveUp says why, as a tagged union', () => {
    expectTypeOf<Retry.GiveUpReason['_tag']>().toEqualTypeOf<'ScheduleDone' | 'BudgetExhausted'>()
  })
})

describe('a signal in the options of every entry point', () => {
  const action = (_: Retry.RetryStatus<Http503>) => call
  const get = (_id: number) => call

  it('without a signal, every entry point keeps exactly its old type', () => {
    expectTypeOf(pipe(call, Retry.retrying(Schedule.recurs(3), { clock }))).toEqualTypeOf<Plain>()
    expectTypeOf(Retry.retry(call, Schedule.recurs(3), { clock })).toEqualTypeOf<Plain>()
    expectTypeOf(Retry.retryingWith(Schedule.recurs(3), { clock })(action)).toEqualTypeOf<Plain>()
    expectTypeOf(Retry.retryable(Schedule.recurs(3), { clock })(get)).toEqualTypeOf<(_id: number) => Plain>()
    expectTypeOf(
      pipe(
        call,
        Retry.retryingOrElse(Schedule.recurs(3), () => TE.right(0), { clock }),
      ),
    ).toEqualTypeOf<TE.TaskEither<never, string | number>>()
  })

  it('with signal: AbortSignal, every entry point widens its error with Aborted<E>', () => {
    expectTypeOf(pipe(call, Retry.retrying(Schedule.recurs(3), { signal }))).toEqualTypeOf<Widened>()
    expectTypeOf(Retry.retry(call, Schedule.recurs(3), { signal })).toEqualTypeOf<Widened>()
    expectTypeOf(Retry.retryingWith(Schedule.recurs(3), { signal })(action)).toEqualTypeOf<Widened>()
    expectTypeOf(Retry.retryable(Schedule.recurs(3), { signal })(get)).toEqualTypeOf<(_id: number) => Widened>()
    expectTypeOf(
      pipe(
        call,
        Retry.retryingOrElse(Schedule.recurs(3), () => TE.right(0), { signal }),
      ),
    ).toEqualTypeOf<TE.TaskEither<Retry.Aborted<Http503>, string | number>>()
  })

  it('a signal that may be undefined widens too (conservative)', () => {
    expectTypeOf(pipe(call, Retry.retrying(Schedule.recurs(3), { signal: maybeSignal }))).toEqualTypeOf<Widened>()
    expectTypeOf(
      Retry.retryingWith(Schedule.recurs(3), { signal: maybeSignal, clock })(action),
    ).toEqualTypeOf<Widened>()
  })

  it('options whose static type has an optional signal never pick the plain overload', () => {
    const forward = (options: { readonly signal?: AbortSignal }) =>
      pipe(call, Retry.retrying(Schedule.recurs(3), options))
    expectTypeOf(forward).returns.toEqualTypeOf<Widened>()
    const typed = (options: Retry.SignalOptions<Http503>) => Retry.retry(call, Schedule.recurs(3), options)
    expectTypeOf(typed).returns.toEqualTypeOf<Widened>()
    const either = (options: Retry.RetryOptions<Http503> | Retry.SignalOptions<Http503>) =>
      Retry.retryable(Schedule.recurs(3), options)(get)
    expectTypeOf(either).returns.toEqualTypeOf<(_id: number) => Widened>()
  })

  it('RetryOptions cannot hold a signal, so a value typed as them is plain and never aborts', () => {
    // @ts-expect-error RetryOptions declares signal?: undefined
    const withSignal: Retry.RetryOptions<Http503> = { signal }
    // @ts-expect-error nor a signal that may be undefined
    const withMaybe: Retry.RetryOptions<Http503> = { signal: maybeSignal }
    const plain: Retry.RetryOptions<Http503> = { clock, signal: undefined }
    expectTypeOf(pipe(call, Retry.retrying(Schedule.recurs(3), plain))).toEqualTypeOf<Plain>()
    expectTypeOf(Retry.retry(call, Schedule.recurs(3), { signal: undefined })).toEqualTypeOf<Plain>()
    // @ts-expect-error a possibly-signalled result is not a plain TaskEither<E, A>
    const notPlain: Plain = pipe(call, Retry.retrying(Schedule.recurs(3), { signal }))
    void [withSignal, withMaybe, notPlain]
  })

  it('SignalOptions and AbortableOptions are options with a signal; AbortableOptions requires one', () => {
    expectTypeOf<Retry.AbortableOptions<Http503>>().toExtend<Retry.SignalOptions<Http503>>()
    expectTypeOf<Retry.RetryOptions<Http503>>().toExtend<Retry.SignalOptions<Http503>>()
    expectTypeOf<Retry.SignalOptions<Http503>>().not.toExtend<Retry.RetryOptions<Http503>>()
    expectTypeOf<Retry.AbortableOptions<Http503>['signal']>().toEqualTypeOf<AbortSignal>()
  })

  it('retryingOrElse: orElse sees only give-ups, never an Aborted', () => {
    pipe(
      call,
      Retry.retryingOrElse(
        Schedule.recurs(3),
        (error) => {
          expectTypeOf(error).toEqualTypeOf<Http503>()
          return TE.left('fallback failed' as const)
        },
        { signal },
      ),
    )
  })

  it('the widened union stays exhaustive on _tag', () => {
    const run = Retry.retryingWith(Schedule.recurs(3), { signal })(action)
    expectTypeOf(run).toEqualTypeOf<Widened>()
    type Err = typeof run extends TE.TaskEither<infer L, string> ? L : never
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
