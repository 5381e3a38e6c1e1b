import { pipe } from 'fp-ts/function'
import type * as O from 'fp-ts/Option'
import type * as TE from 'fp-ts/TaskEither'
import { describe, expectTypeOf, it } from 'vitest'
import { Budget, CircuitBreaker, Retry, Schedule, Timeout } from '../src/index'

interface Http503 {
  readonly _tag: 'Http503'
}
declare const call: TE.TaskEither<Http503, string>
declare const abortableCall: (signal: AbortSignal) => TE.TaskEither<Http503, string>
declare const breaker: CircuitBreaker.CircuitBreaker
declare const signal: AbortSignal

describe('protection types', () => {
  it('retrying without a signal keeps exactly TaskEither<E, A>, with or without a budget', () => {
    expectTypeOf(pipe(call, Retry.retrying(Schedule.recurs(3)))).toEqualTypeOf<TE.TaskEither<Http503, string>>()
    expectTypeOf(pipe(call, Retry.retrying(Schedule.recurs(3), { budget: Budget.tokenBucket()() }))).toEqualTypeOf<
      TE.TaskEither<Http503, string>
    >()
  })

  it('retrying has no signal option: aborting needs retryingAbortable', () => {
    // @ts-expect-error signal is not an option of retrying
    Retry.retrying(Schedule.recurs(3), { signal })
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
