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
      // cut before quoting: the same text, without quoting megabytes to show 60 characters
      return truncate(JSON.stringify(value.length > MAX_SHOWN ? value.slice(0, MAX_SHOWN) : value))
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

/** The Levenshtein distance between two short strings. */
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

/**
 * The candidate closest to `word`, if it is close enough to be a typo: at
 * most `max(1, floor(length / 3))` edits away, or equal but for case.
 *
 * The work is bounded whatever the input: a word longer than twice the
 * longest candidate (plus 2) is at least `length / 2 + 1` edits from every
 * candidate, more than a typo may be, so it gets no suggestion without any
 * distance being computed; and a candidate whose length alone differs by
 * more than a typo allows is skipped. A megabyte-long key is refused in
 * microseconds, with the same message as before.
 *
 * @internal
 */
export const closest = (word: string, candidates: ReadonlyArray<string>): O.Option<string> => {
  const longest = candidates.reduce((n, candidate) => Math.max(n, candidate.length), 0)
  if (word.length > 2 * longest + 2) return O.none
  const allowed = Math.max(1, Math.floor(word.length / 3))
  const lower = word.toLowerCase()
  let best: O.Option<string> = O.none
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const d =
      candidate.toLowerCase() === lower
        ? 0
        : Math.abs(candidate.length - word.length) > allowed
          ? Infinity
          : distance(word, candidate)
    if (d < bestDistance) {
      best = O.some(candidate)
      bestDistance = d
    }
  }
  return bestDistance <= allowed ? best : O.none
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
            () => `unexpected key ${show(name)} (allowed here: ${oneOf(allowed)})`,
            (guess: string) => `unexpected key ${show(name)} (did you mean ${JSON.stringify(guess)}?)`,
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

// -------------------------------------------------------------------------------------
// JSON text
// -------------------------------------------------------------------------------------

/**
 * How deep JSON read from untrusted text may nest: arrays and objects at most
 * this many levels inside one another. Deeper text is refused before
 * `JSON.parse` sees it: V8 parses deep nesting in super-linear time, and the
 * recursive decoders that would read the value overflow the stack.
 *
 * @internal
 */
export const MAX_JSON_DEPTH = 500

/**
 * What {@link scanJson} found: the whole range is one JSON value, or where it
 * stops being one (`tooDeep` when the first problem is nesting beyond the
 * limit).
 *
 * @internal
 */
export type JsonScan =
  { readonly _tag: 'Valid' } | { readonly _tag: 'Invalid'; readonly position: number; readonly tooDeep: boolean }

const VALID: JsonScan = { _tag: 'Valid' }

const isJsonSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)

/** The end of the JSON string starting at `i` (a `"`), or -1 if it is not one. */
const stringEnd = (text: string, i: number, end: number): number => {
  for (let j = i + 1; j < end;) {
    const c = text.charCodeAt(j)
    if (c === 0x22) return j + 1
    if (c < 0x20) return -1
    if (c !== 0x5c) {
      j++
      continue
    }
    const e = text.charCodeAt(j + 1)
    if (e === 0x75) {
      if (j + 5 >= end) return -1
      for (let k = j + 2; k < j + 6; k++) if (!isHex(text.charCodeAt(k))) return -1
      j += 6
    } else if (
      j + 1 < end &&
      (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)
    ) {
      j += 2
    } else return -1
  }
  return -1
}

/** The end of the digits from `i`, at least one; -1 if there is none. */
const digitsEnd = (text: string, i: number, end: number): number => {
  let j = i
  while (j < end && isDigit(text.charCodeAt(j))) j++
  return j > i ? j : -1
}

/** The end of the JSON number starting at `i`, or -1 if it is not one. */
const numberEnd = (text: string, i: number, end: number): number => {
  let j = i
  if (text.charCodeAt(j) === 0x2d) j++
  if (j >= end) return -1
  if (text.charCodeAt(j) === 0x30) j++
  else if ((j = digitsEnd(text, j, end)) < 0) return -1
  if (j < end && text.charCodeAt(j) === 0x2e && (j = digitsEnd(text, j + 1, end)) < 0) return -1
  const e = text.charCodeAt(j)
  if (j < end && (e === 0x65 || e === 0x45)) {
    j++
    const sign = text.charCodeAt(j)
    if (j < end && (sign === 0x2b || sign === 0x2d)) j++
    if ((j = digitsEnd(text, j, end)) < 0) return -1
  }
  return j
}

const literalEnd = (text: string, i: number, end: number, literal: string): number =>
  i + literal.length <= end && text.startsWith(literal, i) ? i + literal.length : -1

const skipSpace = (text: string, from: number, end: number): number => {
  let j = from
  while (j < end && isJsonSpace(text.charCodeAt(j))) j++
  return j
}

/** After an object's `{` or `,`: the key, the colon and the space up to the value; -1 if they are not there. */
const memberStart = (text: string, from: number, end: number): number => {
  const afterKey = from < end && text.charCodeAt(from) === 0x22 ? stringEnd(text, from, end) : -1
  if (afterKey < 0) return -1
  const colon = skipSpace(text, afterKey, end)
  return colon < end && text.charCodeAt(colon) === 0x3a ? skipSpace(text, colon + 1, end) : -1
}

const invalid = (position: number, tooDeep = false): JsonScan => ({ _tag: 'Invalid', position, tooDeep })

/**
 * Whether `text.slice(start, end)` is exactly one JSON value, as `JSON.parse`
 * reads it (ECMA-404: the same whitespace, escapes and numbers), nested at
 * most `maxDepth` deep. One pass, no recursion, no allocation but a stack of
 * the open brackets: linear time on any input, however deep or wide.
 *
 * @internal
 */
export const scanJson = (text: string, start = 0, end = text.length, maxDepth = MAX_JSON_DEPTH): JsonScan => {
  // 1 for an open object, 0 for an open array
  const open: Array<number> = []
  let i = skipSpace(text, start, end)
  for (;;) {
    // a value starts at i
    if (i >= end) return invalid(i)
    const c = text.charCodeAt(i)
    if (c === 0x7b || c === 0x5b) {
      if (open.length >= maxDepth) return invalid(i, true)
      open.push(c === 0x7b ? 1 : 0)
      const inside = skipSpace(text, i + 1, end)
      if (inside < end && text.charCodeAt(inside) === (c === 0x7b ? 0x7d : 0x5d)) {
        open.pop()
        i = inside + 1
      } else if (c === 0x7b) {
        i = memberStart(text, inside, end)
        if (i < 0) return invalid(inside)
        continue
      } else {
        i = inside
        continue
      }
    } else {
      const next =
        c === 0x22
          ? stringEnd(text, i, end)
          : c === 0x2d || isDigit(c)
            ? numberEnd(text, i, end)
            : c === 0x74
              ? literalEnd(text, i, end, 'true')
              : c === 0x66
                ? literalEnd(text, i, end, 'false')
                : c === 0x6e
                  ? literalEnd(text, i, end, 'null')
                  : -1
      if (next < 0) return invalid(i)
      i = next
    }
    // a value ended at i: close what it ends, then expect the next value
    for (;;) {
      i = skipSpace(text, i, end)
      const depth = open.length
      if (depth === 0) return i === end ? VALID : invalid(i)
      if (i >= end) return invalid(i)
      const d = text.charCodeAt(i)
      const inObject = open[depth - 1] === 1
      if (d === 0x2c) {
        const after = skipSpace(text, i + 1, end)
        if (!inObject) {
          i = after
          break
        }
        i = memberStart(text, after, end)
        if (i < 0) return invalid(after)
        break
      }
      if (d !== (inObject ? 0x7d : 0x5d)) return invalid(i)
      open.pop()
      i++
    }
  }
}
