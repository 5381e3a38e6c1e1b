import type * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as TE from 'fp-ts/TaskEither'
import type * as t from 'io-ts'
import { describe, expectTypeOf, it } from 'vitest'
import { Retry, Schedule } from '../src/index'
import * as Duration from '../src/Duration'
import * as Grpc from '../src/Grpc'
import * as Policy from '../src/Policy'

describe('Policy types', () => {
  it('decode takes anything and yields a policy or a tagged PolicyError', () => {
    expectTypeOf(Policy.decode).parameter(0).toEqualTypeOf<unknown>()
    expectTypeOf(Policy.decode({})).toEqualTypeOf<E.Either<Policy.PolicyError, Policy.Policy>>()
    expectTypeOf<Policy.PolicyError['_tag']>().toEqualTypeOf<'PolicyError'>()
    expectTypeOf<Policy.PolicyError['messages'][0]>().toEqualTypeOf<string>()
  })

  it('the codec goes from unknown to Policy and back to PolicyJson', () => {
    expectTypeOf(Policy.codec).toEqualTypeOf<t.Type<Policy.Policy, Policy.PolicyJson, unknown>>()
    expectTypeOf(Duration.codec).toEqualTypeOf<t.Type<Duration.Duration, number | string, unknown>>()
    expectTypeOf(Grpc.codec).toEqualTypeOf<t.Type<Grpc.RetryPolicy, Grpc.RetryPolicyJson, unknown>>()
  })

  it('PolicyJson accepts the grammar and refuses what it does not say', () => {
    const good: ReadonlyArray<Policy.PolicyJson> = [
      { exponential: { base: '100ms', factor: 2 } },
      { intersect: [{ spaced: '1s' }, { recurs: 5 }] },
      { jitter: { min: 0.8, max: 1.2 }, of: { cap: 30_000, of: { fibonacci: '50ms' } } },
      { retries: 5, backoff: 'exponential', base: '100ms', max: '10s', jitter: 'full', deadline: '30s' },
      { retryOn: ['transient', { status: [409] }, { tag: ['Conflict'] }], of: { recurs: 3 } },
      { giveUpOn: { status: [401] }, of: { waitForHint: '5s', of: { resetAfter: '1m', of: { fixed: '1s' } } } },
      { retries: 5, base: '100ms', retryOn: 'transient', waitForHint: '5s', deadline: '10s' },
    ]
    expectTypeOf(good).items.toEqualTypeOf<Policy.PolicyJson>()
    // @ts-expect-error recurs is a number
    const badCount: Policy.PolicyJson = { recurs: '3' }
    // @ts-expect-error an unknown jitter
    const badJitter: Policy.PolicyJson = { jitter: 'partial', of: { recurs: 1 } }
    // @ts-expect-error an unknown backoff
    const badBackoff: Policy.PolicyJson = { retries: 3, backoff: 'quadratic', base: 1 }
    // @ts-expect-error an unknown condition
    const badCondition: Policy.PolicyJson = { retryOn: 'sometimes', of: { recurs: 1 } }
    // @ts-expect-error statuses are numbers
    const badStatus: Policy.PolicyJson = { retryOn: { status: ['503'] }, of: { recurs: 1 } }
    // @ts-expect-error a wrapper needs the policy it wraps
    const noOf: Policy.PolicyJson = { cap: '1s' }
    void [badCount, badJitter, badBackoff, badCondition, badStatus, noOf]
  })

  it('the types are derived from the table: Backoff, ShorthandJson, and a policy is its JSON', () => {
    expectTypeOf<Policy.Policy>().toEqualTypeOf<Policy.PolicyJson>()
    expectTypeOf<Policy.Backoff>().toEqualTypeOf<'exponential' | 'fibonacci' | 'linear' | 'constant'>()
    expectTypeOf<keyof Policy.ShorthandJson>().toEqualTypeOf<
      'backoff' | 'base' | 'factor' | 'max' | 'jitter' | 'retries' | 'retryOn' | 'waitForHint' | 'deadline'
    >()
    expectTypeOf<Policy.ShorthandJson['retryOn']>().toEqualTypeOf<
      Policy.Condition | ReadonlyArray<Policy.Condition> | undefined
    >()
    expectTypeOf<Policy.ShorthandJson['max']>().toEqualTypeOf<Duration.DurationJson | undefined>()
  })

  it('toSchedule serves any error type and outputs the retry count', () => {
    const schedule = Policy.toSchedule({ retryOn: 'transient', of: { recurs: 3 } })
    expectTypeOf(schedule).toEqualTypeOf<Schedule.Schedule<unknown, number>>()
    const call = TE.left<{ readonly status: number }, string>({ status: 503 })
    expectTypeOf(pipe(call, Retry.retrying(schedule))).toEqualTypeOf<
      TE.TaskEither<{ readonly status: number }, string>
    >()
    const fallback = pipe(
      call,
      Retry.retryingOrElse(schedule, (_, retries) => TE.right(`after ${retries} retries`)),
    )
    expectTypeOf(fallback).toEqualTypeOf<TE.TaskEither<never, string>>()
  })

  it('describe takes a policy or a schedule, and an input of the schedule input type', () => {
    type HttpError = { readonly status: number }
    const schedule = pipe(
      Schedule.recurs(2),
      Schedule.whileInput((e: HttpError) => e.status >= 500),
    )
    expectTypeOf(Policy.describe(schedule, { input: { status: 503 } })).toEqualTypeOf<string>()
    // @ts-expect-error the input must be an HttpError
    Policy.describe(schedule, { input: 'oops' })
  })
})

describe('Grpc types', () => {
  it('decode yields a RetryPolicy with named status codes, and isRetryable takes names or numbers', () => {
    expectTypeOf(Grpc.decode({})).toEqualTypeOf<E.Either<Policy.PolicyError, Grpc.RetryPolicy>>()
    expectTypeOf<Grpc.RetryPolicy['retryableStatusCodes'][number]>().toEqualTypeOf<Grpc.StatusName>()
    expectTypeOf(Grpc.isRetryable({} as Grpc.RetryPolicy))
      .parameter(0)
      .toEqualTypeOf<number | string>()
    expectTypeOf(Grpc.toSchedule).returns.toEqualTypeOf<Schedule.Schedule<unknown, number>>()
  })
})
