import type { StandardSchemaV1 } from '@standard-schema/spec'
import type * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import * as TE from 'fp-ts/TaskEither'
import * as t from 'io-ts'
import * as v from 'valibot'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import type { Operation } from '../src/index'
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

  it("a Zod schema's output type flows into the result", () => {
    const ZodPerson = z.object({ name: z.string(), age: z.number(), nickname: z.string().optional() })
    type ZodPerson = z.infer<typeof ZodPerson>
    expectTypeOf(Decode.validate(ZodPerson)).toEqualTypeOf<
      (value: unknown) => E.Either<Decode.DecodeError, ZodPerson>
    >()
    expectTypeOf(pipe(TE.right<'ModelDown', string>('{}'), Decode.decodeText(ZodPerson))).toEqualTypeOf<
      TE.TaskEither<'ModelDown' | Decode.DecodeError, { name: string; age: number; nickname?: string | undefined }>
    >()
    // the output, not the input, of a transforming schema
    const Age = z.object({ age: z.string().transform(Number) })
    expectTypeOf(pipe(TE.right<never, unknown>({}), Decode.decode(Age))).toEqualTypeOf<
      TE.TaskEither<Decode.DecodeError, { age: number }>
    >()
    // the cancellable form stays cancellable
    const reply = (_: Operation.Env) => TE.right<'ModelDown', string>('{}')
    expectTypeOf(pipe(reply, Decode.decodeText(ZodPerson))).toEqualTypeOf<
      ReaderTaskEither<Operation.Env, 'ModelDown' | Decode.DecodeError, ZodPerson>
    >()
  })

  it("a Valibot schema's output type flows into the result", () => {
    const ValibotPerson = v.object({ name: v.string(), age: v.pipe(v.string(), v.transform(Number)) })
    expectTypeOf(Decode.validate(ValibotPerson)).returns.toEqualTypeOf<
      E.Either<Decode.DecodeError, { name: string; age: number }>
    >()
  })

  it('StandardSchema is the spec: every StandardSchemaV1 fits it, and only schemas do', () => {
    expectTypeOf<StandardSchemaV1<unknown, number>>().toExtend<Decode.StandardSchema<number>>()
    expectTypeOf<StandardSchemaV1<string, number>>().toExtend<Decode.Schema<number>>()
    expectTypeOf<Decode.StandardSchema<number>>().toExtend<StandardSchemaV1<unknown, number>>()
    // @ts-expect-error a Zod string schema does not decode to a number
    Decode.validate<number>(z.string())
    // @ts-expect-error neither a codec nor a Standard Schema
    Decode.validate({ parse: (u: unknown) => u })
  })
})
