import { pipe } from 'fp-ts/function'
import * as TE from 'fp-ts/TaskEither'
import * as t from 'io-ts'
import { describe, expectTypeOf, it } from 'vitest'
import { Retry, Schedule } from '../src/index'
import * as Decode from '../src/Decode'

const Person = t.type({ name: t.string, age: t.number })
type Person = t.TypeOf<typeof Person>

describe('Decode types', () => {
  it('decode adds DecodeError to the error union and yields the codec type', () => {
    const fetched = TE.right<'Offline', unknown>({})
    expectTypeOf(pipe(fetched, Decode.decode(Person))).toEqualTypeOf<
      TE.TaskEither<'Offline' | Decode.DecodeError, Person>
    >()
  })

  it('decodeText takes text only', () => {
    const reply = TE.right<'ModelDown', string>('{}')
    expectTypeOf(pipe(reply, Decode.decodeText(Person))).toEqualTypeOf<
      TE.TaskEither<'ModelDown' | Decode.DecodeError, Person>
    >()
    // @ts-expect-error a number is not model text
    pipe(TE.right<'ModelDown', number>(1), Decode.decodeText(Person))
  })

  it('isDecodeError narrows for whileInput and for the next prompt', () => {
    const error = { _tag: 'ModelDown' } as { readonly _tag: 'ModelDown' } | Decode.DecodeError
    if (Decode.isDecodeError(error)) expectTypeOf(error).toEqualTypeOf<Decode.DecodeError>()
    const policy = pipe(Schedule.recurs(2), Schedule.whileInput(Decode.isDecodeError))
    const action = TE.left<{ readonly _tag: 'ModelDown' } | Decode.DecodeError, Person>({ _tag: 'ModelDown' })
    expectTypeOf(pipe(action, Retry.retrying(policy))).toEqualTypeOf<
      TE.TaskEither<{ readonly _tag: 'ModelDown' } | Decode.DecodeError, Person>
    >()
  })
})
