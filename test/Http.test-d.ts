import { pipe } from 'fp-ts/function'
import type * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type * as TE from 'fp-ts/TaskEither'
import * as t from 'io-ts'
import { describe, expectTypeOf, it } from 'vitest'
import { CircuitBreaker, Operation, Retry, Schedule, Timeout } from '../src/index'
import * as Decode from '../src/Decode'
import * as Http from '../src/Http'

describe('Http types', () => {
  it('the error union can be matched exhaustively', () => {
    // 0.2: FetchError is NetworkError | HttpError; a timeout is Timeout.TimeoutError, added by Timeout.timeout
    const describeError = (error: Http.FetchError): string => {
      switch (error._tag) {
        case 'NetworkError':
          return error.message
        case 'HttpError':
          return String(error.status)
        default: {
          const unreachable: never = error
          return unreachable
        }
      }
    }
    expectTypeOf(describeError).parameter(0).toEqualTypeOf<Http.FetchError>()
  })

  it('request, text and json keep precise types; retrying with isTransient keeps them', () => {
    // 0.2: cancellable operations, the signal comes at run time
    expectTypeOf(Http.request('http://x')).toEqualTypeOf<ReaderTaskEither<Operation.Env, Http.FetchError, Response>>()
    expectTypeOf(Http.text('http://x')).toEqualTypeOf<ReaderTaskEither<Operation.Env, Http.FetchError, string>>()
    expectTypeOf(Http.json('http://x')).toEqualTypeOf<
      ReaderTaskEither<Operation.Env, Http.FetchError | Decode.DecodeError, unknown>
    >()
    const policy = pipe(Schedule.exponential(10), Schedule.whileInput(Http.isTransient), Schedule.waitForHint(1000))
    const joke = pipe(Http.json('http://x'), Decode.decode(t.type({ joke: t.string })), Retry.retrying(policy))
    // 0.2: a cancellable operation under retrying gains Retry.Aborted
    expectTypeOf(joke).toEqualTypeOf<
      ReaderTaskEither<
        Operation.Env,
        Http.FetchError | Decode.DecodeError | Retry.Aborted<Http.FetchError | Decode.DecodeError>,
        { joke: string }
      >
    >()
    expectTypeOf(Operation.run(joke)).toEqualTypeOf<
      TE.TaskEither<
        Http.FetchError | Decode.DecodeError | Retry.Aborted<Http.FetchError | Decode.DecodeError>,
        { joke: string }
      >
    >()
  })

  it('isTransient accepts any error', () => {
    // 0.2: isTransient takes unknown, so a schedule guarded by it retries operations with untagged errors too
    expectTypeOf(Http.isTransient).toEqualTypeOf<(error: unknown) => boolean>()
    const untagged = pipe(Schedule.recurs(1), Schedule.whileInput(Http.isTransient))
    expectTypeOf(Retry.retrying(untagged)(null as unknown as TE.TaskEither<string, number>)).toEqualTypeOf<
      TE.TaskEither<string, number>
    >()
  })

  it('isTransient fits a breaker’s isFailure and whileInput', () => {
    const breaker = CircuitBreaker.make({ isFailure: Http.isTransient })
    expectTypeOf(breaker()).toEqualTypeOf<CircuitBreaker.CircuitBreaker>()
    expectTypeOf(pipe(Schedule.recurs(3), Schedule.whileInput(Http.isTransient))).toEqualTypeOf<
      Schedule.Schedule<unknown, O.Option<number>>
    >()
  })

  it('json, decode, timeout and retrying widen the error union by exactly their own variants', () => {
    const policy = pipe(
      Schedule.exponential(10),
      Schedule.intersect(Schedule.recurs(3)),
      Schedule.whileInput(Http.isTransient),
      Schedule.waitForHint(1000),
    )
    const joke = pipe(
      Http.json('http://x'),
      Decode.decode(t.type({ joke: t.string })),
      Timeout.timeout(1000),
      Retry.retrying(policy),
    )
    type Attempt = Http.FetchError | Decode.DecodeError | Timeout.TimeoutError
    expectTypeOf<Operation.ErrorOf<typeof joke>>().toEqualTypeOf<Attempt | Retry.Aborted<Attempt>>()
    expectTypeOf<Operation.ValueOf<typeof joke>>().toEqualTypeOf<{ joke: string }>()
    expectTypeOf<Operation.EnvOf<typeof joke>>().toEqualTypeOf<Operation.Env>()
    expectTypeOf(joke).toEqualTypeOf<
      ReaderTaskEither<Operation.Env, Attempt | Retry.Aborted<Attempt>, { joke: string }>
    >()
  })
})
