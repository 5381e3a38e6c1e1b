/**
 * A small toolkit for decoding untrusted configuration into values with
 * readable messages: every failure names the path and what was expected
 * (`at policy.intersect[1].recurs: expected a non-negative integer, got -3`).
 * Decoders collect every failure they find instead of stopping at the first.
 *
 * @internal
 */
import * as E from 'fp-ts/Either'
import * as O from 'fp-ts/Option'
import type { ReadonlyNonEmptyArray } from 'fp-ts/ReadonlyNonEmptyArray'
import type * as t from 'io-ts'

/** The messages of a failed decoding, or the value. @internal */
export type Result<A> = E.Either<ReadonlyNonEmptyArray<string>, A>

/** Decodes the value found at `path`. @internal */
export type Decoder<A> = (value: unknown, path: string) => Result<A>

const MAX_SHOWN = 60

const truncate = (text: string): string => (text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text)

/** How a value is shown in a message: JSON where possible, never throwing. @internal */
export const show = (value: unknown): string => {
  switch (typeof value) {
    case 'string':
      return truncate(JSON.stringify(value))
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value)
    case 'bigint':
      return `${String(value)}n`
    case 'undefined':
      return 'undefined'
    case 'symbol':
      return 'a symbol'
    case 'function':
      return 'a function'
    case 'boolean':
      return String(value)
  }
  if (value === null) return 'null'
  try {
    const json = JSON.stringify(value)
    if (typeof json === 'string') return truncate(json)
  } catch {
    // circular, or holds a bigint: fall through
  }
  return Array.isArray(value) ? 'an array' : 'an object'
}

/** Appends an object key to a path: `.key`, or `["odd key"]`. @internal */
export const key = (path: string, name: string): string =>
  /^[A-Za-z_$][\w$]*$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`

/** Appends an array index to a path. @internal */
export const index = (path: string, i: number): string => `${path}[${i}]`

/** A failure at `path` with a free-form text. @internal */
export const fail = (path: string, text: string): Result<never> => E.left([`at ${path}: ${text}`])

/** A failure at `path`: `expected <what>, got <value>`. @internal */
export const expected = (path: string, what: string, value: unknown): Result<never> =>
  fail(path, `expected ${what}, got ${show(value)}`)

/** A failure for a required key that is absent. @internal */
export const missing = (path: string, what: string): Result<never> =>
  fail(path, `expected ${what}, but the key is missing`)

/** A plain object (not null, not an array). @internal */
export const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Whether `record` has `name` as an own key. @internal */
export const has = (record: Readonly<Record<string, unknown>>, name: string): boolean =>
  Object.prototype.hasOwnProperty.call(record, name)

/** Concatenates the failures of several results, or keeps the values. @internal */
export const all = <A>(results: ReadonlyArray<Result<A>>): Result<ReadonlyArray<A>> => {
  const messages: Array<string> = []
  const values: Array<A> = []
  for (const result of results) {
    if (E.isLeft(result)) messages.push(...result.left)
    else values.push(result.right)
  }
  return isNonEmpty(messages) ? E.left(messages) : E.right(values)
}

const isNonEmpty = <A>(as: Array<A>): as is [A, ...Array<A>] => as.length > 0

/** Decodes each field and collects every failure. @internal */
export const struct = <A extends Record<string, unknown>>(fields: {
  readonly [K in keyof A]: Result<A[K]>
}): Result<A> => {
  const names = Object.keys(fields) as Array<keyof A>
  return E.map((values: ReadonlyArray<unknown>) => {
    const out: Partial<A> = {}
    names.forEach((name, i) => (out[name] = values[i] as A[keyof A]))
    return out as A
  })(all(names.map((name) => fields[name] as Result<unknown>)))
}

/** A required key of `record`, decoded with `decoder`. @internal */
export const required = <A>(
  record: Readonly<Record<string, unknown>>,
  name: string,
  path: string,
  what: string,
  decoder: Decoder<A>,
): Result<A> => (has(record, name) ? decoder(record[name], key(path, name)) : missing(key(path, name), what))

/** An optional key of `record`, decoded with `decoder` when present. @internal */
export const optional = <A>(
  record: Readonly<Record<string, unknown>>,
  name: string,
  path: string,
  decoder: Decoder<A>,
): Result<O.Option<A>> =>
  has(record, name) ? E.map((a: A) => O.some(a))(decoder(record[name], key(path, name))) : E.right(O.none)

const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost)
    }
    previous = current
  }
  return previous[b.length] ?? 0
}

/** The candidate closest to `word`, if it is close enough to be a typo. @internal */
export const closest = (word: string, candidates: ReadonlyArray<string>): O.Option<string> => {
  let best: O.Option<string> = O.none
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const d = candidate.toLowerCase() === word.toLowerCase() ? 0 : distance(word, candidate)
    if (d < bestDistance) {
      best = O.some(candidate)
      bestDistance = d
    }
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : O.none
}

/** Quotes names for a message: `"a", "b" or "c"`. @internal */
export const oneOf = (names: ReadonlyArray<string>, conjunction = 'or'): string => {
  const quoted = names.map((name) => JSON.stringify(name))
  return quoted.length <= 1 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} ${conjunction} ${quoted.at(-1)}`
}

/** One failure per key of `record` not in `allowed`, with a "did you mean" when it looks like a typo. @internal */
export const unexpectedKeys = (
  record: Readonly<Record<string, unknown>>,
  path: string,
  allowed: ReadonlyArray<string>,
): Result<void> =>
  all(
    Object.keys(record)
      .filter((name) => !allowed.includes(name))
      .map((name) =>
        fail(
          path,
          O.match(
            () => `unexpected key ${JSON.stringify(name)} (allowed here: ${oneOf(allowed)})`,
            (guess: string) => `unexpected key ${JSON.stringify(name)} (did you mean ${JSON.stringify(guess)}?)`,
          )(closest(name, allowed)),
        ),
      ),
  ) as Result<void>

/** `result`, with one more failure per key of `record` not in `allowed`. @internal */
export const exact = <A>(
  record: Readonly<Record<string, unknown>>,
  path: string,
  allowed: ReadonlyArray<string>,
  result: Result<A>,
): Result<A> => {
  const unexpected = unexpectedKeys(record, path, allowed)
  if (E.isRight(unexpected)) return result
  const [first, ...rest] = unexpected.left
  return E.left(E.isLeft(result) ? [first, ...rest, ...result.left] : unexpected.left)
}

/** A finite number at least `min` (inclusive). @internal */
export const numberAtLeast =
  (min: number, what = `a number >= ${min}`): Decoder<number> =>
  (value, path) =>
    typeof value === 'number' && Number.isFinite(value) && value >= min ? E.right(value) : expected(path, what, value)

/** A finite number greater than 0. @internal */
export const positiveNumber: Decoder<number> = (value, path) =>
  typeof value === 'number' && Number.isFinite(value) && value > 0
    ? E.right(value)
    : expected(path, 'a number greater than 0', value)

/** A safe integer at least `min`. @internal */
export const integerAtLeast =
  (min: number, what: string): Decoder<number> =>
  (value, path) =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= min
      ? E.right(value)
      : expected(path, what, value)

/**
 * Runs `decoder` and never lets an exception escape: a value whose getters or
 * proxy traps throw is refused with a message instead.
 *
 * @internal
 */
export const guarded =
  <A>(decoder: Decoder<A>): Decoder<A> =>
  (value, path) => {
    try {
      return decoder(value, path)
    } catch (error) {
      return fail(path, `could not be read (${error instanceof Error ? error.message : 'it threw'})`)
    }
  }

/**
 * The root of the messages for a value decoded by an io-ts codec: the keys of
 * the io-ts context (`config.retry`), or `fallback` at the top level.
 *
 * @internal
 */
export const rootOf = (context: t.Context, fallback: string): string => {
  const names = context.map((entry) => entry.key).filter((name) => name !== '')
  const step = (path: string, name: string): string =>
    /^\d+$/.test(name) ? index(path, Number(name)) : path === '' ? name : key(path, name)
  return names.length === 0 ? fallback : names.reduce(step, '')
}

/** Turns a result into an io-ts validation whose errors carry the readable messages. @internal */
export const toValidation = <A>(result: Result<A>, value: unknown, context: t.Context): t.Validation<A> =>
  E.isRight(result) ? E.right(result.right) : E.left(result.left.map((message) => ({ value, context, message })))
