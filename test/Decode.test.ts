/**
 * Decode: io-ts validation as typed, readable DecodeErrors, and JSON found in
 * a language model's reply whatever its wrapping, never an exception.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import * as TE from 'fp-ts/TaskEither'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { Retry, Schedule, TestClock } from '../src/index'
import * as Decode from '../src/Decode'

const Person = t.type({ name: t.string, age: t.number })

const leftOf = <A>(result: E.Either<Decode.DecodeError, A>): Decode.DecodeError => {
  if (E.isRight(result)) throw new Error(`expected a Left, got ${JSON.stringify(result.right)}`)
  return result.left
}

describe('Decode.validate and Decode.decode', () => {
  it('names the path, the expected type and the actual value of every problem', () => {
    const error = leftOf(Decode.validate(Person)({ name: 42, age: 'forty-two' }))
    expect(error).toEqual({
      _tag: 'DecodeError',
      reason: 'InvalidValue',
      errors: ['at $.name: expected string, got 42', 'at $.age: expected number, got "forty-two"'],
      message: 'invalid value: at $.name: expected string, got 42; at $.age: expected number, got "forty-two"',
    })
  })

  it('shows nested paths, array indexes, odd keys and missing fields', () => {
    const Order = t.type({ items: t.array(t.type({ 'unit price': t.number })), customer: Person })
    const error = leftOf(
      Decode.validate(Order)({ items: [{ 'unit price': 1 }, { 'unit price': '2 EUR' }], customer: {} }),
    )
    expect(error.errors).toEqual([
      'at $.items[1]["unit price"]: expected number, got "2 EUR"',
      'at $.customer.name: expected string, got undefined',
      'at $.customer.age: expected number, got undefined',
    ])
  })

  it('truncates long actual values and never throws on values JSON cannot show', () => {
    const long = leftOf(Decode.validate(t.number)('x'.repeat(500)))
    expect(long.errors[0]?.length).toBeLessThan(120)
    const circular: Record<string, unknown> = {}
    circular['self'] = circular
    expect(leftOf(Decode.validate(t.string)(circular)).errors).toEqual(['at $: expected string, got [object Object]'])
    expect(leftOf(Decode.validate(t.string)(10n)).errors).toEqual(['at $: expected string, got [object BigInt]'])
  })

  it('decode widens the error union and keeps the upstream error untouched', async () => {
    expect(await pipe(TE.right({ name: 'Ada', age: 36 }), Decode.decode(Person))()).toEqual(
      E.right({ name: 'Ada', age: 36 }),
    )
    expect(await pipe(TE.left('offline' as const), Decode.decode(Person))()).toEqual(E.left('offline'))
    const bad = await pipe(TE.right({ name: 'Ada' }), Decode.decode(Person))()
    expect(E.isLeft(bad) && bad.left).toMatchObject({ _tag: 'DecodeError', reason: 'InvalidValue' })
  })
})

describe('Decode.extractJson', () => {
  const person = { name: 'Ada', age: 36 }

  it.each([
    ['plain', '{"name":"Ada","age":36}'],
    ['padded', '\n  {"name":"Ada","age":36}  \n'],
    ['fenced json', 'Here it is:\n```json\n{"name": "Ada", "age": 36}\n```\nAnything else?'],
    ['fenced, no language', '```\n{"name": "Ada", "age": 36}\n```'],
    ['fenced on one line', '```json {"name": "Ada", "age": 36}```'],
    ['after a preamble', 'Sure, here\'s your JSON: {"name": "Ada", "age": 36}'],
    ['between chatter', 'Sure! {"name": "Ada", "age": 36} Let me know if you need more.'],
    ['after a bracketed aside', 'Here is [the answer] as JSON: {"name": "Ada", "age": 36}'],
    ['with brackets inside strings', 'Answer: {"name": "Ada", "age": 36, "note": "}{ ]["}'],
  ])('finds the JSON: %s', (_, text) => {
    expect(
      pipe(
        Decode.extractJson(text),
        E.map((v) => ({ name: (v as typeof person).name, age: (v as typeof person).age })),
      ),
    ).toEqual(E.right(person))
  })

  it('reports broken JSON as InvalidJson naming the syntax problem', () => {
    const trailing = leftOf(Decode.extractJson('Sure: {"name": "Ada", "age": 36,}'))
    expect(trailing.reason).toBe('InvalidJson')
    expect(trailing.message).toMatch(
      /^invalid JSON: Expected double-quoted property name in JSON at position 26, in: \{"name": "Ada", "age": 36,\}$/,
    )
    const truncated = leftOf(Decode.extractJson('Here you go: {"name": "Ada", "age": 3'))
    expect(truncated.reason).toBe('InvalidJson')
    expect(truncated.message).toMatch(/Expected ',' or '}' after property value in JSON at position 24/)
    const missing = leftOf(Decode.extractJson('```json\n{"name": "Ada", "age": }\n```'))
    expect(missing.message).toMatch(/Unexpected token '}'/)
  })

  it('prefers a fenced block to a bracketed aside that happens to be JSON', () => {
    // "[1]" parses too: the fenced block is the answer, so it must be tried first
    expect(Decode.extractJson('As noted in [1], here it is:\n```json\n{"name": "Ada", "age": 36}\n```')).toEqual(
      E.right({ name: 'Ada', age: 36 }),
    )
  })

  it('when nothing parses, names the problem of the longest candidate, not of an aside', () => {
    const error = leftOf(Decode.extractJson('Step [a]: {"name": "Ada", "age": 36,} (see [b])'))
    expect(error.reason).toBe('InvalidJson')
    expect(error.errors).toHaveLength(1)
    expect(error.errors[0]).toMatch(
      /^Expected double-quoted property name in JSON at position 26( \(line 1 column 27\))?, in: \{"name": "Ada", "age": 36,\}$/,
    )
  })

  it('reports text without JSON as NoJson, quoting the text', () => {
    const error = leftOf(Decode.extractJson('I am sorry, I cannot help with that.'))
    expect(error).toEqual({
      _tag: 'DecodeError',
      reason: 'NoJson',
      errors: ['no JSON object or array in "I am sorry, I cannot help with that."'],
      message: 'no JSON found: no JSON object or array in "I am sorry, I cannot help with that."',
    })
    expect(leftOf(Decode.extractJson('')).reason).toBe('NoJson')
  })

  it('property: no string makes it throw', () => {
    const jsonish = fc.constantFrom(...'{}[]",:\\`\n abc1'.split(''), '```', '```json\n', 'null', 'true')
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: jsonish })), (text) => {
        const result = Decode.extractJson(text)
        expect(result._tag === 'Right' || result.left._tag === 'DecodeError').toBe(true)
      }),
      { numRuns: 3000 },
    )
  })

  const structured = fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.jsonValue()))
  const normal = (v: unknown): unknown => JSON.parse(JSON.stringify(v))
  const wrappings: ReadonlyArray<readonly [string, (json: string) => string]> = [
    ['plain', (json) => json],
    ['fenced', (json) => '```json\n' + json + '\n```'],
    ['after a preamble', (json) => "Sure, here's your JSON: " + json],
    ['between chatter', (json) => 'Of course!\n\n' + json + '\n\nHope that helps.'],
    ['fenced after a preamble', (json) => 'Here:\n```\n' + json + '\n```\nDone.'],
  ]

  it.each(wrappings)('property: any JSON object or array is found, %s', (_, wrap) => {
    fc.assert(
      fc.property(structured, fc.boolean(), (value, pretty) => {
        const json = JSON.stringify(value, null, pretty ? 2 : undefined)
        expect(Decode.extractJson(wrap(json))).toEqual(E.right(normal(value)))
      }),
      { numRuns: 300 },
    )
  })

  it('property: any plain JSON value (scalars too) is found', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(Decode.extractJson(JSON.stringify(value))).toEqual(E.right(normal(value)))
      }),
    )
  })

  it('property: truncated JSON is an InvalidJson DecodeError whose message names the syntax problem', () => {
    fc.assert(
      fc.property(structured, fc.constantFrom('', 'Sure: ', '```json\n'), (value, preamble) => {
        const json = JSON.stringify(value)
        const error = leftOf(Decode.extractJson(preamble + json.slice(0, -1)))
        expect(error.reason).toBe('InvalidJson')
        expect(error.message).toMatch(/^invalid JSON: .*(JSON at position \d+|end of JSON input)/)
      }),
      { numRuns: 500 },
    )
  })
})

describe('Decode.MAX_DEPTH: text nested too deep is refused before it is parsed', () => {
  const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth)
  type Json = null | boolean | number | string | Array<Json> | { [key: string]: Json }
  const Json: t.Type<Json> = t.recursion('Json', () =>
    t.union([t.null, t.boolean, t.number, t.string, t.array(Json), t.record(t.string, Json)]),
  )

  it('parses JSON nested exactly MAX_DEPTH deep, and refuses one level more with a message naming the limit', () => {
    expect(Decode.MAX_DEPTH).toBe(500)
    expect(E.isRight(Decode.parseJson(nested(Decode.MAX_DEPTH)))).toBe(true)
    const error = leftOf(Decode.parseJson(nested(Decode.MAX_DEPTH + 1)))
    expect(error.reason).toBe('InvalidJson')
    expect(error.errors).toEqual([
      `nested deeper than 500 levels (Decode.MAX_DEPTH) at position 500, in: ${'['.repeat(77)}...`,
    ])
    expect(error.message).toBe(`invalid JSON: ${error.errors[0]}`)
  })

  it('counts objects and arrays alike, and brackets inside strings not at all', () => {
    expect(E.isRight(Decode.parseJson('{"a":'.repeat(500) + '1' + '}'.repeat(500)))).toBe(true)
    expect(leftOf(Decode.parseJson('{"a":['.repeat(251) + ']}'.repeat(251))).message).toMatch(/nested deeper than 500/)
    expect(Decode.parseJson(JSON.stringify('['.repeat(10_000)))).toEqual(E.right('['.repeat(10_000)))
  })

  it('extractJson passes over a candidate too deep and finds the answer after it', () => {
    expect(Decode.extractJson(`${nested(10_000)} and then {"name": "Ada", "age": 36}`)).toEqual(
      E.right({ name: 'Ada', age: 36 }),
    )
    expect(leftOf(Decode.extractJson(`Here: ${nested(10_000)}`)).message).toMatch(
      /^invalid JSON: nested deeper than 500 levels \(Decode\.MAX_DEPTH\) at position 500, in: \[\[\[/,
    )
  })

  it('decodeText with a recursive codec: a Right at the limit, a DecodeError beyond it, never a RangeError', async () => {
    const at = await pipe(TE.right(`Sure: ${nested(Decode.MAX_DEPTH)}`), Decode.decodeText(Json))()
    expect(E.isRight(at)).toBe(true)
    const beyond = await pipe(TE.right(nested(10_000)), Decode.decodeText(Json))()
    expect(E.isLeft(beyond) && beyond.left).toMatchObject({ _tag: 'DecodeError', reason: 'InvalidJson' })
  })

  it('validate: a value too deep for a recursive codec (cyclic, or built deep in memory) is an InvalidValue', () => {
    const cyclic: Array<unknown> = []
    cyclic.push(cyclic)
    let deep: unknown = []
    for (let i = 0; i < 100_000; i++) deep = [deep]
    for (const value of [cyclic, deep]) {
      expect(leftOf(Decode.validate(Json)(value))).toEqual({
        _tag: 'DecodeError',
        reason: 'InvalidValue',
        errors: ['at $: nested too deep for the codec to follow (the stack overflowed)'],
        message: 'invalid value: at $: nested too deep for the codec to follow (the stack overflowed)',
      })
    }
  })

  it('validate lets any other exception of a codec through: a defect, not a decode failure', () => {
    const Throwing = new t.Type<number>(
      'Throwing',
      (u): u is number => typeof u === 'number',
      () => {
        throw new RangeError('a bug in the codec')
      },
      (n) => n,
    )
    expect(() => Decode.validate(Throwing)(1)).toThrow('a bug in the codec')
  })
})

describe('Decode.decodeText with retryingWith: the decode error goes into the next prompt', () => {
  it('retries only on decode errors and feeds each error back', async () => {
    const prompts: Array<string> = []
    const replies = [
      'Sure! {"name": "Ada", "age": "36"}',
      '{"name": "Ada", "age": 36,}',
      '```json\n{"name":"Ada","age":36}\n```',
    ]
    const ask = (prompt: string): TE.TaskEither<'ModelDown', string> => {
      prompts.push(prompt)
      return TE.right(replies[prompts.length - 1] ?? '')
    }
    const clock = TestClock.make()
    const answer = pipe(
      (status: Retry.RetryStatus<'ModelDown' | Decode.DecodeError>) =>
        pipe(
          ask(
            pipe(
              status.lastError,
              O.filter(Decode.isDecodeError),
              O.match(
                () => 'Give me a person as JSON.',
                (e) => `Give me a person as JSON. Your last answer was wrong: ${e.message}`,
              ),
            ),
          ),
          Decode.decodeText(Person),
        ),
      Retry.retryingWith(pipe(Schedule.recurs(3), Schedule.whileInput(Decode.isDecodeError)), { clock }),
    )
    expect(await answer()).toEqual(E.right({ name: 'Ada', age: 36 }))
    expect(prompts).toEqual([
      'Give me a person as JSON.',
      'Give me a person as JSON. Your last answer was wrong: invalid value: at $.age: expected number, got "36"',
      expect.stringMatching(
        /^Give me a person as JSON\. Your last answer was wrong: invalid JSON: Expected double-quoted/,
      ),
    ])
  })

  it('does not retry an upstream error', async () => {
    let calls = 0
    const down: TE.TaskEither<{ readonly _tag: 'ModelDown' }, string> = () => {
      calls += 1
      return TE.left({ _tag: 'ModelDown' as const })()
    }
    const result = await pipe(
      down,
      Decode.decodeText(Person),
      Retry.retrying(pipe(Schedule.recurs(3), Schedule.whileInput(Decode.isDecodeError))),
    )()
    expect(result).toEqual(E.left({ _tag: 'ModelDown' }))
    expect(calls).toBe(1)
  })
})
