/**
 * Decoding untrusted answers with io-ts: a {@link DecodeError} is a typed,
 * readable failure (path, expected type, actual value), never an exception.
 * {@link extractJson} finds the JSON in a language model's reply (plain, in
 * a fenced code block, after a preamble), so that a retry can feed the error
 * back into the next prompt.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import type * as t from 'io-ts'
import { chainEither } from './internal/operation'
import type { AnyOperation } from './internal/operation'
import type { Any, Mapped } from './Operation'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A value that did not decode.
 *
 * - `NoJson`: the text holds nothing that looks like JSON;
 * - `InvalidJson`: it holds JSON that does not parse (truncated, trailing comma...);
 * - `InvalidValue`: the JSON parsed but does not match the codec.
 *
 * `errors` has one readable line per problem (`at $.age: expected number,
 * got "forty-two"`); `message` sums them up in one line, fit for a log or for
 * the next prompt.
 *
 * @example
 * import { Decode } from 'fp-ts-retry'
 *
 * const error: Decode.DecodeError = {
 *   _tag: 'DecodeError',
 *   reason: 'InvalidValue',
 *   errors: ['at $.age: expected number, got "forty-two"'],
 *   message: 'invalid value: at $.age: expected number, got "forty-two"',
 * }
 *
 * @since 0.1.0
 * @category model
 */
export interface DecodeError {
  readonly _tag: 'DecodeError'
  readonly reason: 'NoJson' | 'InvalidJson' | 'InvalidValue'
  readonly errors: ReadonlyArray<string>
  readonly message: string
}

const SUMMARY: Record<DecodeError['reason'], string> = {
  NoJson: 'no JSON found',
  InvalidJson: 'invalid JSON',
  InvalidValue: 'invalid value',
}

const decodeError = (reason: DecodeError['reason'], errors: ReadonlyArray<string>): DecodeError => ({
  _tag: 'DecodeError',
  reason,
  errors,
  message: `${SUMMARY[reason]}: ${errors.join('; ')}`,
})

/**
 * Whether an error is a {@link DecodeError}: a type guard, so that
 * `Schedule.whileInput(Decode.isDecodeError)` retries only when an answer did
 * not decode.
 *
 * @example
 * import { Decode } from 'fp-ts-retry'
 *
 * Decode.isDecodeError({ _tag: 'NetworkError' })
 * // => false
 * Decode.isDecodeError('timeout')
 * // => false
 *
 * @since 0.1.0
 * @category conditions
 */
export const isDecodeError = (error: unknown): error is DecodeError =>
  typeof error === 'object' && error !== null && (error as { readonly _tag?: unknown })._tag === 'DecodeError'

// -------------------------------------------------------------------------------------
// formatting
// -------------------------------------------------------------------------------------

const MAX_SHOWN = 80

/** The text itself, cut short when long. */
const clip = (text: string): string => (text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 3)}...` : text)

/** A short, safe rendering of any value: never throws. */
const show = (value: unknown): string => {
  let text: string
  try {
    text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value))
  } catch {
    text = Object.prototype.toString.call(value)
  }
  return clip(text)
}

const pathOf = (context: t.Context): string =>
  context
    .slice(1)
    .map((entry) => entry.key)
    .reduce(
      (path, key) =>
        /^\d+$/.test(key)
          ? `${path}[${key}]`
          : /^[A-Za-z_$][\w$]*$/.test(key)
            ? `${path}.${key}`
            : `${path}[${show(key)}]`,
      '$',
    )

/**
 * One io-ts validation error as a readable line:
 * `at $.items[2].price: expected number, got "12 EUR"`.
 */
const formatError = (error: t.ValidationError): string => {
  if (error.message !== undefined) return `at ${pathOf(error.context)}: ${error.message}`
  const expected = error.context[error.context.length - 1]?.type.name ?? 'a valid value'
  return `at ${pathOf(error.context)}: expected ${expected}, got ${show(error.value)}`
}

// -------------------------------------------------------------------------------------
// decoding
// -------------------------------------------------------------------------------------

/**
 * Validates an unknown value with an io-ts codec: `Right` with the value, or
 * a {@link DecodeError} (`InvalidValue`) listing every problem with its path.
 *
 * @example
 * import * as t from 'io-ts'
 * import { Decode } from 'fp-ts-retry'
 *
 * const Person = t.type({ name: t.string, age: t.number })
 * Decode.validate(Person)({ name: 'Ada', age: 'old' })
 * // => Left({ _tag: 'DecodeError', reason: 'InvalidValue',
 * //           errors: ['at $.age: expected number, got "old"'], ... })
 *
 * @since 0.1.0
 * @category utils
 */
export const validate =
  <A>(codec: t.Decoder<unknown, A>) =>
  (value: unknown): E.Either<DecodeError, A> =>
    pipe(
      codec.decode(value),
      E.mapLeft((errors) => decodeError('InvalidValue', [...new Set(errors.map(formatError))])),
    )

/**
 * Decodes the result of an operation (either form) with an io-ts codec,
 * adding {@link DecodeError} to its error union.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import * as t from 'io-ts'
 * import { Decode } from 'fp-ts-retry'
 *
 * const Person = t.type({ name: t.string, age: t.number })
 * const fetched: TE.TaskEither<'offline', unknown> = TE.right({ name: 'Ada', age: 36 })
 * await pipe(fetched, Decode.decode(Person))()
 * // => { _tag: 'Right', right: { name: 'Ada', age: 36 } }
 *
 * @since 0.1.0
 * @category combinators
 */
export const decode =
  <A>(codec: t.Decoder<unknown, A>) =>
  <Op extends Any>(self: Op): Mapped<Op, DecodeError, A> =>
    chainEither(self as AnyOperation, validate(codec)) as Mapped<Op, DecodeError, A>

// -------------------------------------------------------------------------------------
// JSON
// -------------------------------------------------------------------------------------

const syntaxMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/**
 * Parses a string that should be exactly JSON: `Right` with the value, or a
 * {@link DecodeError} (`InvalidJson`) naming the syntax error. Never throws.
 *
 * @example
 * import { Decode } from 'fp-ts-retry'
 *
 * Decode.parseJson('{"a":1}')
 * // => { _tag: 'Right', right: { a: 1 } }
 * Decode.parseJson('{"a":1,}')._tag
 * // => 'Left'
 *
 * @since 0.1.0
 * @category utils
 */
export const parseJson = (text: string): E.Either<DecodeError, unknown> => {
  try {
    return E.right(JSON.parse(text))
  } catch (error) {
    return E.left(decodeError('InvalidJson', [`${syntaxMessage(error)}, in: ${clip(text)}`]))
  }
}

/** The contents of every fenced code block (```json ... ```), in order. */
const fencedBlocks = (text: string): ReadonlyArray<string> =>
  Array.from(text.matchAll(/```[ \t]*[A-Za-z0-9_-]*[ \t]*\r?\n?([\s\S]*?)```/g), (match) => match[1] ?? '')

/**
 * From `start` (a `{` or `[`), the index of the bracket that closes it, or of
 * the first mismatched closer; -1 when the text ends first. Brackets inside
 * JSON strings do not count.
 */
const closingIndex = (text: string, start: number): number => {
  const expected: Array<string> = []
  let inString = false
  let escaped = false
  for (let i = start; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (escaped) escaped = false
      else if (c === '\\') escaped = true
      else if (c === '"') inString = false
    } else if (c === '"') inString = true
    else if (c === '{') expected.push('}')
    else if (c === '[') expected.push(']')
    else if (c === '}' || c === ']') {
      if (expected.pop() !== c || expected.length === 0) return i
    }
  }
  return -1
}

/**
 * The top-level bracketed stretches of the text, in order: each balanced
 * `{...}` or `[...]` not inside another, then the unclosed tail if one never
 * closes. One pass over the text.
 */
const bracketed = (text: string): ReadonlyArray<string> => {
  const found: Array<string> = []
  let from = 0
  for (;;) {
    let start = from
    while (start < text.length && text[start] !== '{' && text[start] !== '[') start++
    if (start >= text.length) return found
    const end = closingIndex(text, start)
    if (end < 0) {
      found.push(text.slice(start))
      return found
    }
    found.push(text.slice(start, end + 1))
    from = end + 1
  }
}

/**
 * Finds and parses the JSON in a language model's reply. Tries, in order: the
 * whole text; each fenced code block (```json ... ```); each top-level
 * `{...}` or `[...]` (so JSON after a preamble such as "Sure, here's your
 * JSON:" or followed by chatter is found). The first that parses wins.
 *
 * Never throws. When nothing parses: `InvalidJson` with the syntax error of
 * the longest candidate (e.g. `Expected ',' or '}' after property value in
 * JSON at position 22`), or `NoJson` when the text has no candidate at all.
 *
 * @example
 * import { Decode } from 'fp-ts-retry'
 *
 * Decode.extractJson('Sure! Here is the person:\n```json\n{"name": "Ada", "age": 36}\n```')
 * // => { _tag: 'Right', right: { name: 'Ada', age: 36 } }
 * Decode.extractJson('Of course: {"name": "Ada", "age": }')
 * // => Left(DecodeError) with reason 'InvalidJson'
 *
 * @since 0.1.0
 * @category utils
 */
export const extractJson = (text: string): E.Either<DecodeError, unknown> => {
  if (typeof text !== 'string') return E.left(decodeError('NoJson', [`expected text, got ${show(text)}`]))
  const whole = parseJson(text.trim())
  if (E.isRight(whole)) return whole
  const candidates = [...fencedBlocks(text), ...bracketed(text)].map((c) => c.trim()).filter((c) => c !== '')
  let worst: E.Either<DecodeError, unknown> | undefined
  let worstLength = -1
  for (const candidate of candidates) {
    const parsed = parseJson(candidate)
    if (E.isRight(parsed)) return parsed
    if (candidate.length > worstLength) {
      worst = parsed
      worstLength = candidate.length
    }
  }
  return worst ?? E.left(decodeError('NoJson', [`no JSON object or array in ${show(text)}`]))
}

/**
 * Decodes a model's text reply: finds the JSON in it with
 * {@link extractJson}, then validates it with the codec. Both failures are a
 * {@link DecodeError} in the error union.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import * as t from 'io-ts'
 * import { Decode } from 'fp-ts-retry'
 *
 * const Person = t.type({ name: t.string, age: t.number })
 * const reply: TE.TaskEither<never, string> = TE.right('Here you go: {"name": "Ada", "age": 36} Anything else?')
 * await pipe(reply, Decode.decodeText(Person))()
 * // => { _tag: 'Right', right: { name: 'Ada', age: 36 } }
 *
 * @since 0.1.0
 * @category combinators
 */
export const decodeText =
  <A>(codec: t.Decoder<unknown, A>) =>
  <Op extends Any<unknown, string>>(self: Op): Mapped<Op, DecodeError, A> =>
    chainEither(self as AnyOperation, (text: string) => pipe(extractJson(text), E.chain(validate(codec)))) as Mapped<
      Op,
      DecodeError,
      A
    >
