/**
 * Decode with Standard Schema v1 validators (Zod 4, Valibot): the same
 * DecodeError as io-ts for the same invalid value, JSON found in prose with
 * either, asynchronous schemas awaited by the operations.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as TE from 'fp-ts/TaskEither'
import * as t from 'io-ts'
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import * as Decode from '../src/Decode'

const IoPerson = t.type({ name: t.string, age: t.number, tags: t.array(t.string) })
const ZodPerson = z.object({ name: z.string(), age: z.number(), tags: z.array(z.string()) })
const ValibotPerson = v.object({ name: v.string(), age: v.number(), tags: v.array(v.string()) })

const leftOf = <A>(result: E.Either<Decode.DecodeError, A>): Decode.DecodeError => {
  if (E.isRight(result)) throw new Error(`expected a Left, got ${JSON.stringify(result.right)}`)
  return result.left
}

describe('Standard Schema and io-ts give the same DecodeError', () => {
  it('for type mismatches, nested paths and array indexes: io-ts, Zod and Valibot alike', () => {
    const invalid = { name: 42, age: 'forty-two', tags: ['a', 7] }
    const fromIoTs = leftOf(Decode.validate(IoPerson)(invalid))
    expect(fromIoTs).toEqual({
      _tag: 'DecodeError',
      reason: 'InvalidValue',
      errors: [
        'at $.name: expected string, got 42',
        'at $.age: expected number, got "forty-two"',
        'at $.tags[1]: expected string, got 7',
      ],
      message:
        'invalid value: at $.name: expected string, got 42; at $.age: expected number, got "forty-two"; at $.tags[1]: expected string, got 7',
    })
    expect(leftOf(Decode.validate(ZodPerson)(invalid))).toEqual(fromIoTs)
    expect(leftOf(Decode.validate(ValibotPerson)(invalid))).toEqual(fromIoTs)
  })

  it('for missing keys and odd keys (Zod as io-ts; Valibot says "Invalid key" in its own words)', () => {
    const IoOrder = t.type({ items: t.array(t.type({ 'unit price': t.number })), customer: t.type({ name: t.string }) })
    const ZodOrder = z.object({
      items: z.array(z.object({ 'unit price': z.number() })),
      customer: z.object({ name: z.string() }),
    })
    const order = { items: [{ 'unit price': 1 }, { 'unit price': '2 EUR' }], customer: {} }
    const fromIoTs = leftOf(Decode.validate(IoOrder)(order))
    expect(fromIoTs.errors).toEqual([
      'at $.items[1]["unit price"]: expected number, got "2 EUR"',
      'at $.customer.name: expected string, got undefined',
    ])
    expect(leftOf(Decode.validate(ZodOrder)(order))).toEqual(fromIoTs)
    const ValibotCustomer = v.object({ name: v.string() })
    expect(leftOf(Decode.validate(ValibotCustomer)({})).errors).toEqual([
      'at $.name: Invalid key: Expected "name" but received undefined',
    ])
  })

  it('property: any record of primitives is accepted or refused alike, with the same lines, by io-ts and Zod', () => {
    // leaves only: for a composite type, io-ts names it (`Array<boolean>`), Zod says `array`
    const IoItem = t.type({ id: t.number, label: t.string, done: t.boolean, tags: t.array(t.string) })
    const ZodItem = z.object({ id: z.number(), label: z.string(), done: z.boolean(), tags: z.array(z.string()) })
    const field = fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null))
    const item = fc.record(
      { id: field, label: field, done: field, tags: fc.array(field, { maxLength: 3 }) },
      { requiredKeys: ['tags'] },
    )
    fc.assert(
      fc.property(item, (value) => {
        expect(Decode.validate(ZodItem)(value)).toEqual(Decode.validate(IoItem)(value))
      }),
      { numRuns: 500 },
    )
  })

  it('another issue is its own message at its path', () => {
    const Named = z.object({ name: z.string().min(3), role: z.enum(['admin', 'user']) })
    expect(leftOf(Decode.validate(Named)({ name: 'Al', role: 'root' })).errors).toEqual([
      'at $.name: Too small: expected string to have >=3 characters',
      'at $.role: Invalid option: expected one of "admin"|"user"',
    ])
  })

  it('a hand-written Standard Schema: { key } path segments, an empty issue list', () => {
    const issues = (list: Decode.StandardResult<number>): Decode.StandardSchema<number> => ({
      '~standard': { version: 1, vendor: 'test', validate: () => list },
    })
    const segmented = issues({
      issues: [{ message: 'no', path: [{ key: 'a' }, { key: 0 }], expected: 'number' } as never],
    })
    expect(leftOf(Decode.validate(segmented)({ a: ['x'] })).errors).toEqual(['at $.a[0]: expected number, got "x"'])
    expect(leftOf(Decode.validate(issues({ issues: [] }))(1)).errors).toEqual(['at $: invalid value'])
    expect(Decode.validate(issues({ value: 2 }))(1)).toEqual(E.right(2))
  })

  it('keeps the transformed output of a schema', () => {
    const Age = z.object({ age: z.string().transform((s) => Number(s)) })
    expect(Decode.validate(Age)({ age: '36' })).toEqual(E.right({ age: 36 }))
  })

  it('a getter that throws while the actual value is looked up does not escape', () => {
    const hostile = {
      get age(): never {
        throw new Error('no')
      },
    }
    const Schema: Decode.StandardSchema<unknown> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: () => ({ issues: [{ message: 'bad', path: ['age'], expected: 'number' } as never] }),
      },
    }
    expect(leftOf(Decode.validate(Schema)(hostile)).errors).toEqual(['at $.age: expected number, got undefined'])
  })
})

describe('JSON in prose, with any schema', () => {
  const replies = [
    'Sure! Here is the person: {"name": "Ada", "age": 36, "tags": ["math"]} Anything else?',
    'Here it is:\n```json\n{"name": "Ada", "age": 36, "tags": ["math"]}\n```',
  ]
  it.each([
    ['io-ts', IoPerson],
    ['Zod', ZodPerson],
    ['Valibot', ValibotPerson],
  ] as const)('decodeText finds and validates it with %s', async (_, schema) => {
    for (const reply of replies) {
      expect(await pipe(TE.right(reply), Decode.decodeText<unknown>(schema))()).toEqual(
        E.right({ name: 'Ada', age: 36, tags: ['math'] }),
      )
    }
    const wrong = await pipe(
      TE.right('Sure: {"name": "Ada", "age": "36", "tags": []}'),
      Decode.decodeText<unknown>(schema),
    )()
    expect(E.isLeft(wrong) && wrong.left.errors).toEqual(['at $.age: expected number, got "36"'])
  })

  it('decodeText keeps the JSON errors whatever the schema', async () => {
    const broken = await pipe(TE.right('```json\n{"name": "Ada",}\n```'), Decode.decodeText(ZodPerson))()
    expect(E.isLeft(broken) && broken.left.reason).toBe('InvalidJson')
  })
})

describe('asynchronous Standard Schemas', () => {
  const Slow = z.object({ id: z.number() }).refine(async (value) => value.id > 0, { message: 'id must be positive' })

  it('decode and decodeText wait for them', async () => {
    expect(await pipe(TE.right({ id: 1 }), Decode.decode(Slow))()).toEqual(E.right({ id: 1 }))
    const refused = await pipe(TE.right('{"id": 0}'), Decode.decodeText(Slow))()
    expect(E.isLeft(refused) && refused.left.errors).toEqual(['at $: id must be positive'])
  })

  it('validate, which answers at once, says to use decode', () => {
    expect(leftOf(Decode.validate(Slow)({ id: 1 })).errors[0]).toMatch(/validates asynchronously.*Decode\.decode/)
  })

  it('the cancellable form too', async () => {
    const op = pipe((_: { readonly signal: AbortSignal }) => TE.right<never, unknown>({ id: 2 }), Decode.decode(Slow))
    expect(await op({ signal: new AbortController().signal })()).toEqual(E.right({ id: 2 }))
  })
})
