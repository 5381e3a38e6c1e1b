import { pipe } from 'fp-ts/function'
import type * as TE from 'fp-ts/TaskEither'
import * as t from 'io-ts'
import { describe, expectTypeOf, it } from 'vitest'
import { Decode, Http, Retry, Schedule } from '../src/index'

describe('Http types', () => {
  it('the error union can be matched exhaustively', () => {
    const describeError = (error: Http.FetchError): string => {
      switch (error._tag) {
        case 'NetworkError':
          return error.message
        case 'TimeoutError':
          return String(error.timeout)
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
    expectTypeOf(Http.request('http://x')).toEqualTypeOf<TE.TaskEither<Http.FetchError, Response>>()
    expectTypeOf(Http.text('http://x')).toEqualTypeOf<TE.TaskEither<Http.FetchError, string>>()
    expectTypeOf(Http.json('http://x')).toEqualTypeOf<TE.TaskEither<Http.FetchError | Decode.DecodeError, unknown>>()
    const policy = pipe(Schedule.exponential(10), Schedule.whileInput(Http.isTransient), Http.respectRetryAfter(1000))
    const joke = pipe(Http.json('http://x'), Decode.decode(t.type({ joke: t.string })), Retry.retrying(policy))
    expectTypeOf(joke).toEqualTypeOf<TE.TaskEither<Http.FetchError | Decode.DecodeError, { joke: string }>>()
  })

  it('isTransient does not accept untagged errors', () => {
    const untagged = pipe(Schedule.recurs(1), Schedule.whileInput(Http.isTransient))
    // @ts-expect-error a string error has no _tag for the classifier
    Retry.retrying(untagged)(null as unknown as TE.TaskEither<string, number>)
  })
})
