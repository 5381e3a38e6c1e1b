import type * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as TE from 'fp-ts/TaskEither'
import type * as t from 'io-ts'
import { describe, expectTypeOf, it } from 'vitest'
import { Duration, Grpc, Policy, Retry, Schedule } from '../src/index'

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
    ]
    expectTypeOf(good).items.toEqualTypeOf<Policy.PolicyJson>()
    // @ts-expect-error recurs is a number
    const badCount: Policy.PolicyJson = { recurs: '3' }
    // @ts-expect-error an unknown jitter
    const badJitter: Policy.PolicyJson = { jitter: 'partial', of: { recurs: 1 } }
    // @ts-expect-error an unknown backoff
    const badBackoff: Policy.PolicyJson = { retries: 3, backoff: 'quadratic', base: 1 }
    void [badCount, badJitter, badBackoff]
  })

  it('a decoded policy narrows on _tag', () => {
    const p = {} as Policy.Policy
    if (p._tag === 'Exponential') expectTypeOf(p.base).toEqualTypeOf<Duration.Duration>()
    if (p._tag === 'Intersect') expectTypeOf(p.policies[0]).toEqualTypeOf<Policy.Policy>()
  })

  it('toSchedule serves any error type', () => {
    const schedule = Policy.toSchedule({ _tag: 'Recurs', times: 3 })
    expectTypeOf(schedule).toEqualTypeOf<Schedule.Schedule<unknown, unknown>>()
    const call = TE.left<{ readonly status: number }, string>({ status: 503 })
    expectTypeOf(pipe(call, Retry.retrying(schedule))).toEqualTypeOf<
      TE.TaskEither<{ readonly status: number }, string>
    >()
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
