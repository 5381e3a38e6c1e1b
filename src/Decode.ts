/**
 * Decoding untrusted answers with io-ts or any Standard Schema v1 validator
 * (Zod 4, Valibot, ArkType, Effect Schema): a {@link DecodeError} is a
 * typed, readable failure (path, expected type, actual value), never an
 * exception, and reads the same whichever library found the problem.
 * {@link extractJson} finds the JSON in a language model's reply (plain, in
 * a fenced code block, after a preamble), so that a retry can feed the error
 * back into the next prompt.
 *
 * Neither io-ts nor any Standard Schema library is needed at run time by this
 * module: it only calls the schema you give it.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import type * as t from 'io-ts'
import * as D from './internal/decoder'
import { operation, runner } from './internal/operation'
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
 * import * as Decode from 'fp-ts-retry/decode'
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

/**
 * A validator that implements Standard Schema v1 (https://standardschema.dev):
 * Zod 4, Valibot, ArkType and Effect Schema (through
 * `Schema.standardSchemaV1`) schemas are ones. The interface is copied here,
 * types only, so that nothing needs `@standard-schema/spec` installed.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as Decode from 'fp-ts-retry/decode'
 *
 * // a hand-written validator; a Zod or Valibot schema is one already
 * const Even: Decode.StandardSchema<number> = {
 *   '~standard': {
 *     version: 1,
 *     vendor: 'example',
 *     validate: (value) =>
 *       typeof value === 'number' && value % 2 === 0 ? { value } : { issues: [{ message: 'expected an even number' }] },
 *   },
 * }
 * E.mapLeft((e: Decode.DecodeError) => [e.reason, e.errors])(Decode.validate(Even)(3))
 * // => left(['InvalidValue', ['at $: expected an even number']])
 *
 * @since 0.2.0
 * @category model
 */
export interface StandardSchema<A> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown) => StandardResult<A> | Promise<StandardResult<A>>
    readonly types?: { readonly input: unknown; readonly output: A } | undefined
  }
}

/**
 * What a {@link StandardSchema} returns: the value, or the issues, each with
 * a message and a path (keys, or `{ key }` segments).
 *
 * @since 0.2.0
 * @category model
 */
export type StandardResult<A> =
  | { readonly value: A; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
      }>
    }

/**
 * What {@link validate}, {@link decode} and {@link decodeText} accept: an
 * io-ts codec (any `Decoder<unknown, A>`) or a {@link StandardSchema}. The
 * decoded type `A` is the codec's type, or the schema's output type
 * (`z.infer<typeof schema>`, `v.InferOutput<typeof schema>`).
 *
 * @since 0.2.0
 * @category model
 */
export type Schema<A> = t.Decoder<unknown, A> | StandardSchema<A>

// -------------------------------------------------------------------------------------
// formatting
// -------------------------------------------------------------------------------------

const MAX_SHOWN = 80

/** The text itself, cut short when long. */
const clip = (text: string): string => (text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 3)}...` : text)

/** A short, safe rendering of any value: never throws. */
const show = (value: unknown): string => {
  // a long string is cut before quoting: the same text, without quoting megabytes to show 80 characters
  if (typeof value === 'string' && value.length > MAX_SHOWN) return clip(JSON.stringify(value.slice(0, MAX_SHOWN)))
  let text: string
  try {
    text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value))
  } catch {
    text = Object.prototype.toString.call(value)
  }
  return clip(text)
}

/** A path as the errors show it, `$.items[2]["unit price"]`, from its keys. */
const formatPath = (keys: ReadonlyArray<PropertyKey>): string =>
  keys.reduce<string>(
    (path, key) =>
      typeof key === 'symbol'
        ? `${path}[${String(key)}]`
        : /^\d+$/.test(String(key))
          ? `${path}[${String(key)}]`
          : /^[A-Za-z_$][\w$]*$/.test(String(key))
            ? `${path}.${String(key)}`
            : `${path}[${show(key)}]`,
    '$',
  )

const pathOf = (context: t.Context): string => formatPath(context.slice(1).map((entry) => entry.key))

/**
 * One io-ts validation error as a readable line:
 * `at $.items[2].price: expected number, got "12 EUR"`.
 */
const formatError = (error: t.ValidationError): string => {
  if (error.message !== undefined) return `at ${pathOf(error.context)}: ${error.message}`
  const expected = error.context[error.context.length - 1]?.type.name ?? 'a valid value'
  return `at ${pathOf(error.context)}: expected ${expected}, got ${show(error.value)}`
}

type Issue = Extract<StandardResult<unknown>, { readonly issues: unknown }>['issues'][number]

/** The keys of a Standard Schema issue's path: plain keys, or `{ key }` segments. */
const issueKeys = (issue: Issue): ReadonlyArray<PropertyKey> =>
  (issue.path ?? []).map((segment) =>
    typeof segment === 'object' && segment !== null ? (segment as { readonly key: PropertyKey }).key : segment,
  )

/** The value found at `keys` inside `value`: `undefined` where the path leaves it (a missing key). */
const valueAt = (value: unknown, keys: ReadonlyArray<PropertyKey>): unknown => {
  let current = value
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Record<PropertyKey, unknown>)[key]
  }
  return current
}

/**
 * Whether an issue is a plain type mismatch whose `expected` names the type:
 * Zod's `invalid_type`, Valibot's type checks (its `type` is what it
 * expected), or an issue of another library that says what it expected and
 * nothing else. These read exactly as io-ts's errors do.
 */
const isTypeMismatch = (issue: Issue): issue is Issue & { readonly expected: string } => {
  const { expected, code, kind, type } = issue as {
    readonly expected?: unknown
    readonly code?: unknown
    readonly kind?: unknown
    readonly type?: unknown
  }
  if (typeof expected !== 'string') return false
  if (code !== undefined) return code === 'invalid_type'
  if (kind !== undefined) return kind === 'schema' && type === expected
  return true
}

/**
 * One Standard Schema issue as a readable line, the same as io-ts gives for
 * the same problem: `at $.age: expected number, got "forty-two"`; any other
 * issue is its own message at its path.
 */
const formatIssue = (value: unknown, issue: Issue): string => {
  let keys: ReadonlyArray<PropertyKey> = []
  let actual: unknown
  try {
    keys = issueKeys(issue)
    actual = valueAt(value, keys)
  } catch {
    actual = undefined // a getter or a proxy that throws: shown as what could be read
  }
  return isTypeMismatch(issue)
    ? `at ${formatPath(keys)}: expected ${issue.expected}, got ${show(actual)}`
    : `at ${formatPath(keys)}: ${String(issue.message)}`
}

// -------------------------------------------------------------------------------------
// decoding
// -------------------------------------------------------------------------------------

/** A recursive codec ran out of stack: the value nests deeper than it can follow (or is cyclic). */
const isStackOverflow = (error: unknown): boolean =>
  error instanceof RangeError && /call stack|recursion/i.test(error.message)

const TOO_DEEP_TO_VALIDATE = 'at $: nested too deep for the codec to follow (the stack overflowed)'

const isStandardSchema = <A>(schema: Schema<A>): schema is StandardSchema<A> =>
  (typeof schema === 'object' || typeof schema === 'function') &&
  schema !== null &&
  typeof (schema as Partial<StandardSchema<A>>)['~standard'] === 'object'

const invalidValue = (errors: ReadonlyArray<string>): DecodeError => decodeError('InvalidValue', [...new Set(errors)])

/** A Standard Schema's answer as an `Either`. */
const fromStandardResult = <A>(value: unknown, result: StandardResult<A>): E.Either<DecodeError, A> =>
  result.issues === undefined
    ? E.right(result.value)
    : E.left(
        invalidValue(
          result.issues.length === 0
            ? ['at $: invalid value']
            : result.issues.map((issue) => formatIssue(value, issue)),
        ),
      )

const ASYNC_SCHEMA =
  'at $: the schema validates asynchronously (an async refinement or transform): use Decode.decode or Decode.decodeText, which wait for it'

/**
 * Runs either kind of schema: an `Either`, or a promise of one when a
 * Standard Schema validates asynchronously. A stack overflow (a value nested
 * too deep for a recursive schema) is an `InvalidValue`; any other exception
 * the schema throws is a defect of the schema, and propagates.
 */
const run = <A>(schema: Schema<A>, value: unknown): E.Either<DecodeError, A> | Promise<E.Either<DecodeError, A>> => {
  const tooDeep = (error: unknown): E.Either<DecodeError, never> => {
    if (!isStackOverflow(error)) throw error
    return E.left(decodeError('InvalidValue', [TOO_DEEP_TO_VALIDATE]))
  }
  try {
    if (isStandardSchema(schema)) {
      const result = schema['~standard'].validate(value)
      return result instanceof Promise
        ? result.then((settled) => fromStandardResult(value, settled), tooDeep)
        : fromStandardResult(value, result)
    }
    return pipe(
      schema.decode(value),
      E.mapLeft((errors) => invalidValue(errors.map(formatError))),
    )
  } catch (error) {
    return tooDeep(error)
  }
}

/**
 * Validates an unknown value with an io-ts codec or a Standard Schema (Zod,
 * Valibot, ArkType...): `Right` with the value, or a {@link DecodeError}
 * (`InvalidValue`) listing every problem with its path.
 *
 * Both kinds give the same lines for the same problem: a type mismatch reads
 * `at $.age: expected number, got "forty-two"` from io-ts, Zod or Valibot.
 * Another Standard Schema issue (a length, a pattern, a refinement) is its
 * own message at its path: `at $.name: Too small: expected string to have
 * >=3 characters`.
 *
 * A value nested too deep for a recursive schema to follow (a cyclic one, or
 * one built in memory thousands of levels deep) is an `InvalidValue` too,
 * instead of a stack overflow. Values parsed from text never get that far:
 * text nested deeper than {@link MAX_DEPTH} is refused before it is parsed. A
 * Standard Schema that validates asynchronously cannot answer here, at once:
 * use {@link decode} or {@link decodeText}, which wait for it.
 *
 * @example
 * import * as t from 'io-ts'
 * import * as Decode from 'fp-ts-retry/decode'
 *
 * const Person = t.type({ name: t.string, age: t.number })
 * Decode.validate(Person)({ name: 'Ada', age: 'old' })
 * // => left({
 * //   _tag: 'DecodeError',
 * //   reason: 'InvalidValue',
 * //   errors: ['at $.age: expected number, got "old"'],
 * //   message: 'invalid value: at $.age: expected number, got "old"',
 * // })
 *
 * @since 0.1.0
 * @category utils
 */
export const validate =
  <A>(schema: Schema<A>) =>
  (value: unknown): E.Either<DecodeError, A> => {
    const result = run(schema, value)
    if (!(result instanceof Promise)) return result
    result.catch(() => undefined) // answered below; a rejection of the async schema is not left unhandled
    return E.left(invalidValue([ASYNC_SCHEMA]))
  }

/** `self`, its value validated by `f`, which may answer later. */
const chainValidation = <A, B>(
  self: Any,
  f: (a: A) => E.Either<DecodeError, B> | Promise<E.Either<DecodeError, B>>,
): AnyOperation => {
  const once = runner<unknown, A>(self as AnyOperation)
  return operation((env) => once(env).then((result) => (E.isLeft(result) ? result : f(result.right))))
}

/**
 * Decodes the result of an operation (either form) with an io-ts codec or a
 * Standard Schema, adding {@link DecodeError} to its error union. An
 * asynchronous Standard Schema is awaited.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import * as t from 'io-ts'
 * import * as Decode from 'fp-ts-retry/decode'
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
  <A>(schema: Schema<A>) =>
  <Op extends Any>(self: Op): Mapped<Op, DecodeError, A> =>
    chainValidation(self, (value: unknown) => run(schema, value)) as Mapped<Op, DecodeError, A>

// -------------------------------------------------------------------------------------
// JSON
// -------------------------------------------------------------------------------------

const syntaxMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/**
 * How deep JSON read from text may nest: {@link parseJson},
 * {@link extractJson} and {@link decodeText} refuse arrays and objects nested
 * more than `MAX_DEPTH` levels inside one another with an `InvalidJson`
 * {@link DecodeError} that names this limit, before parsing them. Real
 * answers nest a few levels; text nested thousands deep is an attack or a
 * runaway model, and would otherwise take super-linear time to parse and
 * overflow the stack of a recursive codec.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as Decode from 'fp-ts-retry/decode'
 *
 * const deep = Decode.parseJson('['.repeat(Decode.MAX_DEPTH + 1) + ']'.repeat(Decode.MAX_DEPTH + 1))
 * E.mapLeft((e: Decode.DecodeError) => [e.reason, e.message.split(', in:')[0]])(deep)
 * // => left(['InvalidJson', 'invalid JSON: nested deeper than 500 levels (Decode.MAX_DEPTH) at position 500'])
 *
 * @since 0.2.0
 * @category utils
 */
export const MAX_DEPTH: number = D.MAX_JSON_DEPTH

const invalidJson = (text: string, error: unknown): E.Either<DecodeError, never> =>
  E.left(decodeError('InvalidJson', [`${syntaxMessage(error)}, in: ${clip(text)}`]))

/** `JSON.parse`, as an `Either`. */
const tryParse = (text: string): E.Either<DecodeError, unknown> => {
  try {
    return E.right(JSON.parse(text))
  } catch (error) {
    return invalidJson(text, error)
  }
}

/**
 * How far into invalid text `JSON.parse` is asked for its syntax error: it
 * builds every value before the error, so past this the scan's own position
 * is the message.
 */
const PARSED_FOR_MESSAGE = 1 << 20

/**
 * Parses `text` once {@link D.scanJson} has looked at it: too deep text is
 * refused without parsing; text whose error lies beyond the first MiB is
 * described by the scan (`JSON.parse` would build megabytes of values to
 * report it); otherwise `JSON.parse` gives the value, or its syntax error (it
 * stops where the scan stopped, so this too is linear).
 */
const parseScanned = (text: string, scan: D.JsonScan): E.Either<DecodeError, unknown> => {
  if (scan._tag === 'Valid') return tryParse(text)
  const { position } = scan
  if (scan.tooDeep)
    return invalidJson(text, `nested deeper than ${MAX_DEPTH} levels (Decode.MAX_DEPTH) at position ${position}`)
  if (position <= PARSED_FOR_MESSAGE) return tryParse(text)
  return invalidJson(
    text,
    position >= text.length ? 'Unexpected end of JSON input' : `Unexpected character in JSON at position ${position}`,
  )
}

/**
 * Parses a string that should be exactly JSON: `Right` with the value, or a
 * {@link DecodeError} (`InvalidJson`) naming the syntax error (`JSON.parse`'s
 * own words within the first MiB, its position beyond), or the depth limit
 * ({@link MAX_DEPTH}) for text nested deeper. Never throws; linear time on
 * any input.
 *
 * @example
 * import * as Decode from 'fp-ts-retry/decode'
 *
 * Decode.parseJson('{"a":1}')
 * // => { _tag: 'Right', right: { a: 1 } }
 * Decode.parseJson('{"a":1,}')._tag
 * // => 'Left'
 *
 * @since 0.1.0
 * @category utils
 */
export const parseJson = (text: string): E.Either<DecodeError, unknown> =>
  typeof text === 'string' ? parseScanned(text, D.scanJson(text)) : tryParse(text)

const FENCE = '```'

/** Whether `c` may follow a fence's backticks on its opening line: `[ \t]`, or the language `[A-Za-z0-9_-]`. */
const isSpaceOrTab = (c: number): boolean => c === 0x20 || c === 0x09
const isWordChar = (c: number): boolean =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d

/**
 * A candidate for JSON: `source.slice(start, end)`, trimmed, passed as a
 * range so that thousands of small candidates cost no copies.
 */
type Visit<A> = (source: string, start: number, end: number) => A | undefined

/**
 * Calls `visit` with the trimmed contents of every fenced code block
 * (```json ... ```), in order, until it returns a result. A block opens with three
 * backticks, optional spaces, an optional language word, optional spaces and
 * one optional line break; it closes at the next three backticks. One pass
 * with `indexOf`: an unclosed fence ends the search instead of being retried
 * from every later position.
 */
const forEachFenced = <A>(text: string, visit: Visit<A>): A | undefined => {
  let from = 0
  for (;;) {
    const open = text.indexOf(FENCE, from)
    if (open < 0) return undefined
    let start = open + FENCE.length
    while (start < text.length && isSpaceOrTab(text.charCodeAt(start))) start++
    while (start < text.length && isWordChar(text.charCodeAt(start))) start++
    while (start < text.length && isSpaceOrTab(text.charCodeAt(start))) start++
    if (text.charCodeAt(start) === 0x0d) start++
    if (text.charCodeAt(start) === 0x0a) start++
    const close = text.indexOf(FENCE, start)
    // no closing fence after this one: none after any later one either
    if (close < 0) return undefined
    const block = text.slice(start, close).trim()
    const found = visit(block, 0, block.length)
    if (found !== undefined) return found
    from = close + FENCE.length
  }
}

const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d

/**
 * Calls `visit` with the top-level bracketed stretches of the text, in order,
 * until it returns a result: each balanced `{...}` or `[...]` not inside
 * another (cut at the first mismatched closer), then the unclosed tail
 * (trimmed) if one never closes. Brackets inside JSON strings do not count.
 * One pass over the text: each stretch starts where the previous one ended.
 */
const forEachBracketed = <A>(text: string, visit: Visit<A>): A | undefined => {
  // the closers expected, innermost last, as char codes: one buffer, grown on demand
  let expected = new Uint8Array(64)
  let from = 0
  while (from < text.length) {
    let start = from
    for (; start < text.length; start++) {
      const c = text.charCodeAt(start)
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) break
    }
    if (start >= text.length) return undefined
    let depth = 0
    let inString = false
    let escaped = false
    let end = -1
    for (let i = start; i < text.length && end < 0; i++) {
      const c = text.charCodeAt(i)
      if (inString) {
        if (escaped) escaped = false
        else if (c === 0x5c) escaped = true
        else if (c === 0x22) inString = false
      } else if (c === 0x22) inString = true
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (depth === expected.length) {
          const grown = new Uint8Array(expected.length * 2)
          grown.set(expected)
          expected = grown
        }
        expected[depth++] = c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        // the closer that ends the outermost bracket, or the first one that does not match
        if (depth === 0 || expected[--depth] !== c || depth === 0) end = i
      }
    }
    if (end < 0) {
      const tail = text.slice(start).trim()
      return visit(tail, 0, tail.length)
    }
    // from a bracket to a bracket: nothing to trim
    const found = visit(text, start, end + 1)
    if (found !== undefined) return found
    from = end + 1
  }
  return undefined
}

/**
 * Finds and parses the JSON in a language model's reply. Tries, in order: the
 * whole text; each fenced code block (```json ... ```); each top-level
 * `{...}` or `[...]` (so JSON after a preamble such as "Sure, here's your
 * JSON:" or followed by chatter is found). The first that parses wins.
 *
 * Never throws, and runs in time linear in the length of the text whatever
 * it holds (each candidate is checked by a linear scan before `JSON.parse`
 * sees it; JSON nested deeper than {@link MAX_DEPTH} is refused). When
 * nothing parses: `InvalidJson` with the syntax error of the longest
 * candidate (e.g. `Expected ',' or '}' after property value in JSON at
 * position 22`), or `NoJson` when the text has no candidate at all.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as Decode from 'fp-ts-retry/decode'
 *
 * Decode.extractJson('Sure! Here is the person:\n```json\n{"name": "Ada", "age": 36}\n```')
 * // => { _tag: 'Right', right: { name: 'Ada', age: 36 } }
 * E.mapLeft((e: Decode.DecodeError) => e.reason)(Decode.extractJson('Of course: {"name": "Ada", "age": }'))
 * // => left('InvalidJson')
 *
 * @since 0.1.0
 * @category utils
 */
export const extractJson = (text: string): E.Either<DecodeError, unknown> => {
  if (typeof text !== 'string') return E.left(decodeError('NoJson', [`expected text, got ${show(text)}`]))
  const whole = text.trim()
  const wholeScan = D.scanJson(whole)
  if (wholeScan._tag === 'Valid') {
    const parsed = tryParse(whole)
    if (E.isRight(parsed)) return parsed
  }
  // the longest candidate that does not parse, whose error is the answer when none does
  let worst = { source: '', start: 0, end: 0 }
  let worstScan: D.JsonScan | undefined
  const attempt = (source: string, start: number, end: number): E.Either<DecodeError, unknown> | undefined => {
    if (start === end) return undefined
    const scan = D.scanJson(source, start, end)
    if (scan._tag === 'Valid') {
      const parsed = tryParse(source.slice(start, end))
      if (E.isRight(parsed)) return parsed
    }
    if (worstScan === undefined || end - start > worst.end - worst.start) {
      worst = { source, start, end }
      // positions relative to the candidate, as JSON.parse of it would say them
      worstScan = scan._tag === 'Invalid' ? { ...scan, position: scan.position - start } : scan
    }
    return undefined
  }
  return (
    forEachFenced(text, attempt) ??
    forEachBracketed(text, attempt) ??
    (worstScan === undefined
      ? E.left(decodeError('NoJson', [`no JSON object or array in ${show(text)}`]))
      : parseScanned(worst.source.slice(worst.start, worst.end), worstScan))
  )
}

/**
 * Decodes a model's text reply: finds the JSON in it with
 * {@link extractJson}, then validates it with the io-ts codec or the Standard
 * Schema (Zod, Valibot...). Both failures are a {@link DecodeError} in the
 * error union.
 *
 * Safe on hostile replies: linear time in the length of the text, and JSON
 * nested deeper than {@link MAX_DEPTH} is an `InvalidJson` error naming the
 * limit, so a recursive codec never overflows the stack.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import * as t from 'io-ts'
 * import { z } from 'zod'
 * import * as Decode from 'fp-ts-retry/decode'
 *
 * const Person = t.type({ name: t.string, age: t.number })
 * const reply: TE.TaskEither<never, string> = TE.right('Here you go: {"name": "Ada", "age": 36} Anything else?')
 * await pipe(reply, Decode.decodeText(Person))()
 * // => { _tag: 'Right', right: { name: 'Ada', age: 36 } }
 *
 * // the same with a Zod schema (Valibot, ArkType... alike): its output type is the result's
 * const ZodPerson = z.object({ name: z.string(), age: z.number() })
 * const fenced: TE.TaskEither<never, string> = TE.right('```json\n{"name": "Ada", "age": "old"}\n```')
 * await pipe(fenced, Decode.decodeText(ZodPerson), TE.mapLeft((e) => e.errors))()
 * // => left(['at $.age: expected number, got "old"'])
 *
 * @since 0.1.0
 * @category combinators
 */
export const decodeText =
  <A>(schema: Schema<A>) =>
  <Op extends Any<unknown, string>>(self: Op): Mapped<Op, DecodeError, A> =>
    chainValidation(self, (text: string) => {
      const json = extractJson(text)
      return E.isLeft(json) ? json : run(schema, json.right)
    }) as Mapped<Op, DecodeError, A>
