/**
 * Policies as configuration: a JSON language that mirrors the schedule
 * combinators, read from untrusted input with readable messages, and
 * {@link toSchedule} to run it. Teams keep retry policies in a config file,
 * an environment variable or a service config and tune them without a
 * release.
 *
 * A policy is its JSON: {@link decode} gives back the validated JSON itself,
 * and {@link toSchedule} and {@link describe} interpret it. Each combinator of
 * the language is one entry of one table in this module, and every view of
 * the language (the {@link PolicyJson} type, the decoder and its messages,
 * the limits, the shorthand, the schedule, the words, the {@link grammar})
 * is derived from that table.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { Schedule } from 'fp-ts-retry'
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * const decoded = Policy.decode({ retries: 3, base: '100ms', max: '1s' })
 * E.map((p: Policy.Policy) => Schedule.simulate(Policy.toSchedule(p), [1, 2, 3, 4, 5]))(decoded)
 * // => right([100, 200, 400])
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import type { ReadonlyNonEmptyArray } from 'fp-ts/ReadonlyNonEmptyArray'
import * as t from 'io-ts'
import * as Duration from './Duration'
import { isTransient } from './internal/classify'
import * as D from './internal/decoder'
import * as Random from './Random'
import * as S from './Schedule'

// -------------------------------------------------------------------------------------
// the shapes of the language
// -------------------------------------------------------------------------------------

/**
 * The shape of a value in the policy language, as data: what {@link grammar}
 * says each combinator takes, for tools that generate, check or edit
 * policies. `Duration` is a duration (`250`, `"1.5s"`), `Count` a
 * non-negative integer, `Factor` a number >= 1, `Jitter` a {@link JitterJson},
 * `Condition` one {@link Condition} or a non-empty array of them, `Policies` a
 * non-empty array of policies; a `Struct` lists its fields, and `atLeast`
 * names a duration field that may not be shorter than another.
 *
 * @example
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * Policy.grammar.combinators.find((c) => c.name === 'decorrelatedJitter')?.body
 * // => { _tag: 'Struct', fields: [{ name: 'base', shape: { _tag: 'Duration' }, optional: false }, { name: 'cap', shape: { _tag: 'Duration' }, optional: false }], atLeast: ['cap', 'base'] }
 *
 * @since 0.2.0
 * @category model
 */
export type Shape =
  | { readonly _tag: 'Duration' }
  | { readonly _tag: 'Count' }
  | { readonly _tag: 'Factor' }
  | { readonly _tag: 'Jitter' }
  | { readonly _tag: 'Condition' }
  | { readonly _tag: 'Policies' }
  | { readonly _tag: 'OneOf'; readonly values: ReadonlyArray<string> }
  | { readonly _tag: 'Array'; readonly item: Shape }
  | {
      readonly _tag: 'Struct'
      readonly fields: ReadonlyArray<{ readonly name: string; readonly shape: Shape; readonly optional: boolean }>
      readonly atLeast?: readonly [string, string]
    }

/**
 * How a jitter is written: `"full"` (each delay uniform in `[0, d]`),
 * `"equal"` (uniform in `[d/2, d]`) or `{ "min": a, "max": b }` (multiplied by
 * a factor uniform in `[a, b)`, `0 <= a <= b`).
 *
 * @example
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * Policy.decode({ jitter: { min: 0.8, max: 1.2 }, of: { spaced: '1s' } })._tag
 * // => 'Right'
 *
 * @since 0.1.0
 * @category model
 */
export type JitterJson = 'full' | 'equal' | { readonly min: number; readonly max: number }

/**
 * Which failures a `retryOn` (or `giveUpOn`) means: `"transient"`, the
 * library's own classification (`Http.isTransient`: network errors, timeouts,
 * 408, 429, 500, 502, 503, 504, 529, the server's `x-should-retry`, an open
 * circuit, a limiter's rejection); a
 * failure whose `status` is one of a list of HTTP statuses; or one whose
 * `_tag` is one of a list of tags. Every condition reads the failure
 * defensively: any value can be tested, and none throws.
 *
 * @example
 * import { Schedule } from 'fp-ts-retry'
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * const retryOn: ReadonlyArray<Policy.Condition> = ['transient', { status: [409] }, { tag: ['Conflict'] }]
 * const policy = Policy.toSchedule({ retryOn, of: { recurs: 3 } })
 * Schedule.simulate(policy, [{ status: 409 }, { _tag: 'Conflict' }, { status: 401 }])
 * // => [0, 0]
 *
 * @since 0.2.0
 * @category model
 */
export type Condition =
  'transient' | { readonly status: ReadonlyArray<number> } | { readonly tag: ReadonlyArray<string> }

// -------------------------------------------------------------------------------------
// kinds: one decoder and one description per shape
// -------------------------------------------------------------------------------------

/** A value of the language: its public shape, how messages name it, and its decoder (which gives a fresh copy). */
interface Kind<J> {
  readonly shape: Shape
  /** What a message says was expected: `a non-negative integer`. */
  readonly expected: string
  /** How the description of a struct shows it: `<duration>`. */
  readonly placeholder: string
  readonly decode: D.Decoder<J>
}

type Node = Readonly<Record<string, unknown>>
type Any = S.Schedule<unknown, unknown>
type Flat<T> = { [K in keyof T]: T[K] }

const duration: Kind<Duration.DurationJson> = {
  shape: { _tag: 'Duration' },
  expected: Duration.EXPECTED,
  placeholder: '<duration>',
  decode: (value, path) =>
    pipe(
      Duration.parse(value),
      E.bimap(
        (message) => [`at ${path}: ${message}`] as const,
        (d) => d.spelling,
      ),
    ),
}

const count: Kind<number> = {
  shape: { _tag: 'Count' },
  expected: 'a non-negative integer',
  placeholder: '<n>',
  decode: D.integerAtLeast(0, 'a non-negative integer'),
}

const factor: Kind<number> = {
  shape: { _tag: 'Factor' },
  expected: 'a number >= 1',
  placeholder: '<number >= 1>',
  decode: D.numberAtLeast(1),
}

const JITTER_EXPECTED = '"full", "equal" or { "min": <number>, "max": <number> }'

const jitter: Kind<JitterJson> = {
  shape: { _tag: 'Jitter' },
  expected: JITTER_EXPECTED,
  placeholder: '<jitter>',
  decode: (value, path) => {
    if (value === 'full' || value === 'equal') return E.right(value)
    if (!D.isRecord(value)) return D.expected(path, JITTER_EXPECTED, value)
    const bounds = D.struct({
      min: D.required(value, 'min', path, 'a number >= 0', D.numberAtLeast(0)),
      max: D.required(value, 'max', path, 'a number >= min', D.numberAtLeast(0)),
    })
    return pipe(
      D.exact(value, path, ['min', 'max'], bounds),
      E.chain(({ min, max }): D.Result<JitterJson> =>
        max < min ? D.expected(D.key(path, 'max'), `a number >= min (${min})`, max) : E.right({ min, max }),
      ),
    )
  },
}

/** Condition lists are bounded before their items are read: a status or a tag is worth naming once. */
const MAX_LIST = 1000

const CONDITION_ONE = '"transient", { "status": [<HTTP status>, ...] } or { "tag": [<string>, ...] }'
const CONDITION_EXPECTED = `${CONDITION_ONE}, or a non-empty array of them`

const boundedList =
  <A>(what: string, item: D.Decoder<A>): D.Decoder<ReadonlyArray<A>> =>
  (value, path) => {
    if (!Array.isArray(value) || value.length === 0) return D.expected(path, `a non-empty array of ${what}`, value)
    if (value.length > MAX_LIST) {
      return D.fail(path, `expected at most ${MAX_LIST} ${what}, got an array of ${value.length}`)
    }
    return D.all(value.map((v: unknown, i) => item(v, D.index(path, i))))
  }

const httpStatus: D.Decoder<number> = (value, path) =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 100 && value <= 599
    ? E.right(value)
    : D.expected(path, 'an HTTP status (an integer from 100 to 599)', value)
const tagName: D.Decoder<string> = (value, path) =>
  typeof value === 'string' && value !== '' ? E.right(value) : D.expected(path, 'a tag (a non-empty string)', value)

/** The keys of a condition object, and their lists. */
const LISTED = { status: boundedList('HTTP statuses', httpStatus), tag: boundedList('tags', tagName) }
const CONDITION_KEYS = Object.keys(LISTED) as ReadonlyArray<keyof typeof LISTED>

const oneCondition: D.Decoder<Condition> = (value, path) => {
  if (value === 'transient') return E.right('transient')
  if (typeof value === 'string') {
    const guess = D.closest(value, ['transient'])
    return guess._tag === 'Some'
      ? D.fail(path, `expected ${CONDITION_ONE}, got ${D.show(value)} (did you mean "transient"?)`)
      : D.expected(path, CONDITION_ONE, value)
  }
  if (!D.isRecord(value)) return D.expected(path, CONDITION_ONE, value)
  const heads = CONDITION_KEYS.filter((name) => D.has(value, name))
  if (heads.length !== 1) {
    return heads.length === 0
      ? E.chain(() => D.expected(path, CONDITION_ONE, value))(D.unexpectedKeys(value, path, CONDITION_KEYS))
      : D.fail(path, `expected one of "status" or "tag" in a condition, got both (list them as two conditions)`)
  }
  const [head = 'status'] = heads
  return D.exact(
    value,
    path,
    [head],
    E.map((items: ReadonlyArray<unknown>) => ({ [head]: items }) as Condition)(
      LISTED[head](value[head], D.key(path, head)),
    ),
  )
}

const condition: Kind<Condition | ReadonlyArray<Condition>> = {
  shape: { _tag: 'Condition' },
  expected: CONDITION_EXPECTED,
  placeholder: '<condition>',
  decode: (value, path) =>
    Array.isArray(value)
      ? value.length === 0
        ? D.expected(path, CONDITION_EXPECTED, value)
        : boundedList('conditions', oneCondition)(value, path)
      : oneCondition(value, path),
}

const array = <J>(item: Kind<J>, what: string): Kind<ReadonlyArray<J>> => ({
  shape: { _tag: 'Array', item: item.shape },
  expected: `an array of ${what}`,
  placeholder: `[${item.placeholder}, ...]`,
  decode: (value, path) =>
    Array.isArray(value)
      ? D.all(value.map((v: unknown, i) => item.decode(v, D.index(path, i))))
      : D.expected(path, `an array of ${what}`, value),
})

interface FieldSpec<J, Optional extends boolean> {
  readonly kind: Kind<J>
  readonly optional: Optional
}
const req = <J>(kind: Kind<J>): FieldSpec<J, false> => ({ kind, optional: false })
const opt = <J>(kind: Kind<J>): FieldSpec<J, true> => ({ kind, optional: true })

type StructOf<F> = Flat<
  {
    readonly [K in keyof F as F[K] extends FieldSpec<unknown, false> ? K : never]: F[K] extends FieldSpec<
      infer J,
      false
    >
      ? J
      : never
  } & {
    readonly [K in keyof F as F[K] extends FieldSpec<unknown, true> ? K : never]?: F[K] extends FieldSpec<infer J, true>
      ? J
      : never
  }
>

/**
 * An object with exactly these fields (optional ones absent, not undefined,
 * when not given); `atLeast: [a, b]` refuses a duration `a` shorter than `b`.
 */
const struct = <F extends Readonly<Record<string, FieldSpec<unknown, boolean>>>>(
  fields: F,
  atLeast?: readonly [keyof F & string, keyof F & string],
): Kind<StructOf<F>> => {
  const specs: ReadonlyArray<readonly [string, FieldSpec<unknown, boolean>]> = Object.entries(fields)
  const names = specs.map(([name]) => name)
  const described = specs
    .map(([name, spec]) => `"${name}"${spec.optional ? '?' : ''}: ${spec.kind.placeholder}`)
    .join(', ')
  const expected = `an object { ${described} }`
  return {
    shape: {
      _tag: 'Struct',
      fields: specs.map(([name, spec]) => ({ name, shape: spec.kind.shape, optional: spec.optional })),
      ...(atLeast === undefined ? {} : { atLeast }),
    },
    expected,
    placeholder: `{ ${described} }`,
    decode: (value, path) => {
      if (!D.isRecord(value)) return D.expected(path, expected, value)
      const decoded = D.all(
        specs.map(([name, spec]): D.Result<ReadonlyArray<readonly [string, unknown]>> => {
          if (!D.has(value, name)) {
            return spec.optional ? E.right([]) : D.missing(D.key(path, name), spec.kind.expected)
          }
          return E.map((v: unknown) => [[name, v] as const])(spec.kind.decode(value[name], D.key(path, name)))
        }),
      )
      return pipe(
        D.exact(value, path, names, decoded),
        E.map((pairs) => Object.fromEntries(pairs.flat()) as StructOf<F>),
        E.chain((out) => {
          if (atLeast === undefined) return E.right(out)
          const [longer, shorter] = atLeast
          const [a, b] = [(out as Node)[longer], (out as Node)[shorter]]
          return millis(a) < millis(b)
            ? D.expected(D.key(path, longer), `a duration >= ${shorter} (${Duration.format(millis(b))})`, a)
            : E.right(out)
        }),
      )
    },
  }
}

/** The milliseconds of a duration that was validated (a hand-written one that is not a duration throws). */
const millis = (value: unknown): number => {
  const parsed = Duration.parse(value)
  if (E.isLeft(parsed)) throw new RangeError(`Policy: ${parsed.left}`)
  return parsed.right.millis
}

const ms = (value: Duration.DurationJson): string => Duration.format(millis(value))

// -------------------------------------------------------------------------------------
// entries: the three ways a combinator nests
// -------------------------------------------------------------------------------------

/** How a combinator is spelt in the shorthand: under `key`, applied in increasing `rank` (leaves are intersected). */
interface Layer<K extends string> {
  readonly key: K
  readonly rank: number
}

/** How a leaf serves as the shorthand's `backoff`: its name there, and its body from `base` (and `factor`). */
interface BackoffSpec<J, B extends string> {
  readonly name: B
  readonly factor: boolean
  readonly fromBase: (base: Duration.DurationJson, factor: number | undefined) => J
}

/** What the builders are told: whether to take every failure as one the conditions retry (for {@link describe}). */
interface Context {
  readonly assumeRetried: boolean
  /** Set when a condition was assumed. */
  assumed: boolean
}

interface Leaf<J, K extends string, B extends string> {
  readonly nests: 'leaf'
  readonly body: Kind<J>
  readonly build: (body: J) => Any
  readonly say: (body: J) => string
  readonly shorthand: Layer<K> | undefined
  readonly backoff: BackoffSpec<J, B> | undefined
}

interface List {
  readonly nests: 'list'
  readonly combine: (that: Any) => (self: Any) => Any
  readonly say: (policies: ReadonlyArray<Node>) => string
  /** Its words are a list: in parentheses when another combinator wraps it. */
  readonly grouped: boolean
}

interface Wrapper<J, K extends string> {
  readonly nests: 'wrapper'
  readonly body: Kind<J>
  readonly build: (body: J, of: Any, context: Context) => Any
  /** `of` is the wrapped policy, already in words. */
  readonly say: (body: J, of: string) => string
  readonly shorthand: Layer<K> | undefined
}

type Entry = Leaf<never, string, string> | List | Wrapper<never, string>

const leaf = <J, const K extends string = never, const B extends string = never>(spec: {
  readonly body: Kind<J>
  readonly build: (body: J) => Any
  readonly say: (body: J) => string
  readonly shorthand?: Layer<K>
  readonly backoff?: BackoffSpec<NoInfer<J>, B>
}): Leaf<J, K, B> => ({ nests: 'leaf', shorthand: spec.shorthand, backoff: spec.backoff, ...spec })

const list = (spec: Omit<List, 'nests' | 'grouped'> & { readonly grouped?: boolean }): List => ({
  nests: 'list',
  grouped: false,
  ...spec,
})

const wrapper = <J, const K extends string = never>(spec: {
  readonly body: Kind<J>
  readonly build: (body: J, of: Any, context: Context) => Any
  readonly say: (body: J, of: string) => string
  readonly shorthand?: Layer<K>
}): Wrapper<J, K> => ({ nests: 'wrapper', shorthand: spec.shorthand, ...spec })

// -------------------------------------------------------------------------------------
// the table: one entry per combinator of the language
// -------------------------------------------------------------------------------------

const TABLE = {
  exponential: leaf({
    body: struct({ base: req(duration), factor: opt(factor) }),
    build: ({ base, factor }) => S.exponential(millis(base), factor),
    say: ({ base, factor }) => `exponential backoff from ${ms(base)}, ${growth(factor ?? 2)}`,
    backoff: {
      name: 'exponential',
      factor: true,
      fromBase: (base, factor) => (factor === undefined ? { base } : { base, factor }),
    },
  }),
  fibonacci: leaf({
    body: duration,
    build: (base) => S.fibonacci(millis(base)),
    say: (base) => `Fibonacci backoff from ${ms(base)}`,
    backoff: { name: 'fibonacci', factor: false, fromBase: (base) => base },
  }),
  linear: leaf({
    body: duration,
    build: (base) => S.linear(millis(base)),
    say: (base) => `linear backoff growing by ${ms(base)} at each retry`,
    backoff: { name: 'linear', factor: false, fromBase: (base) => base },
  }),
  spaced: leaf({
    body: duration,
    build: (delay) => S.spaced(millis(delay)),
    say: (delay) => `a fixed delay of ${ms(delay)}`,
    backoff: { name: 'constant', factor: false, fromBase: (base) => base },
  }),
  recurs: leaf({
    body: count,
    build: S.recurs,
    say: (times) => (times === 0 ? 'no retries' : `at most ${plural(times)} with no delay`),
    shorthand: { key: 'retries', rank: 3 },
  }),
  fromDelays: leaf({
    body: array(duration, 'durations'),
    build: (delays) => S.fromDelays(...delays.map(millis)),
    say: (delays) => (delays.length === 0 ? 'no retries' : `exactly the delays ${list_(delays.map(ms))}, then no more`),
  }),
  decorrelatedJitter: leaf({
    body: struct({ base: req(duration), cap: req(duration) }, ['cap', 'base']),
    build: ({ base, cap }) => S.decorrelatedJitter(millis(base), millis(cap)),
    say: ({ base, cap }) => `decorrelated jitter between ${ms(base)} and ${ms(cap)}`,
  }),
  fixed: leaf({
    body: duration,
    build: (interval) => S.fixed(millis(interval)),
    say: (interval) => `attempts due every ${ms(interval)} from the first (one that falls behind starts at once)`,
  }),
  windowed: leaf({
    body: duration,
    build: (interval) => S.windowed(millis(interval)),
    say: (interval) => `each attempt at the next boundary of ${ms(interval)} windows from the first`,
  }),
  intersect: list({ combine: S.intersect, say: (policies) => intersectPhrase(policies) }),
  union: list({
    combine: S.union,
    say: (policies) => `the shortest delay of (${policies.map(summary).join('; ')}), while any of them goes on`,
    grouped: true,
  }),
  andThen: list({
    combine: S.andThen,
    say: (policies) => policies.map((p, i) => `${i === 0 ? 'first' : 'then'} ${summary(p)}`).join('; '),
    grouped: true,
  }),
  jitter: wrapper({
    body: jitter,
    build: (j, of) =>
      j === 'full' ? S.fullJitter(of) : j === 'equal' ? S.equalJitter(of) : S.jittered(j.min, j.max)(of),
    say: (j, of) => `${of}, ${jitterPhrase(j)}`,
    shorthand: { key: 'jitter', rank: 2 },
  }),
  cap: wrapper({
    body: duration,
    build: (max, of) => S.capDelay(millis(max))(of),
    say: (max, of) => `${of}, each delay capped at ${ms(max)}`,
    shorthand: { key: 'max', rank: 1 },
  }),
  upTo: wrapper({
    body: duration,
    build: (deadline, of) => S.upTo(millis(deadline))(of),
    say: (deadline, of) => `${of}, giving up rather than retry later than ${ms(deadline)} after the first attempt`,
    shorthand: { key: 'deadline', rank: 6 },
  }),
  retryOn: wrapper({
    body: condition,
    build: (c, of, context) => (assume(context) ? of : S.whileInput(matches(c))(of)),
    say: (c, of) => `${of}, retrying only ${failures(c)}`,
    shorthand: { key: 'retryOn', rank: 4 },
  }),
  giveUpOn: wrapper({
    body: condition,
    build: (c, of, context) => (assume(context) ? of : S.untilInput(matches(c))(of)),
    say: (c, of) => `${of}, giving up at once on ${failures(c)}`,
  }),
  waitForHint: wrapper({
    body: duration,
    build: (max, of) => S.waitForHint(millis(max))(of),
    say: (max, of) => `${of}, waiting at least as long as a failure's retry hint asks (at most ${ms(max)})`,
    shorthand: { key: 'waitForHint', rank: 5 },
  }),
  resetAfter: wrapper({
    body: duration,
    build: (quiet, of) => S.resetAfter(millis(quiet))(of),
    say: (quiet, of) => `${of}, starting over after an attempt that ran for ${ms(quiet)} or more`,
  }),
}

// -------------------------------------------------------------------------------------
// the types, derived from the table
// -------------------------------------------------------------------------------------

type Table = typeof TABLE
type Name = keyof Table

type NodeJson<K extends Name> =
  Table[K] extends Leaf<infer J, string, string>
    ? { readonly [P in K]: J }
    : Table[K] extends Wrapper<infer J, string>
      ? { readonly [P in K]: J } & Of
      : { readonly [P in K]: ReadonlyArray<PolicyJson> }

/** The policy a wrapper wraps (an interface, so that the recursive type is resolved lazily). */
interface Of {
  readonly of: PolicyJson
}

type LayerKeyOf<X> = X extends { readonly shorthand: Layer<infer K> | undefined } ? K : never
type BodyOf<X> = X extends { readonly body: Kind<infer J> } ? J : never
type BackoffOf<X> = X extends { readonly backoff: BackoffSpec<unknown, infer B> | undefined } ? B : never

/**
 * The names the shorthand's `backoff` takes: each a leaf of the language
 * built from `base` (`"constant"` is `spaced`).
 *
 * @example
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * const backoff: Policy.Backoff = 'fibonacci'
 * Policy.decode({ retries: 3, backoff, base: '10ms' })._tag
 * // => 'Right'
 *
 * @since 0.1.0
 * @category model
 */
export type Backoff = { [K in Name]: BackoffOf<Table[K]> }[Name]

/**
 * The shorthand for the common case: a `backoff` from `base` (with `factor`
 * for exponential), then, in this order, `max` (a cap), `jitter`, `retries`,
 * `retryOn`, `waitForHint` and `deadline`, each one a combinator of the
 * language under another key (see {@link grammar}).
 *
 * @example
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * const json: Policy.ShorthandJson = { retries: 5, base: '100ms', max: '2s', retryOn: 'transient', deadline: '10s' }
 * Policy.decode(json)._tag
 * // => 'Right'
 *
 * @since 0.1.0
 * @category model
 */
export type ShorthandJson = Flat<
  {
    readonly backoff?: Backoff
    readonly base?: Duration.DurationJson
    readonly factor?: number
  } & { readonly [K in Name as LayerKeyOf<Table[K]>]?: BodyOf<Table[K]> }
>

/**
 * A policy as written in JSON: an object with one combinator key (nesting
 * through arrays and `of`), or the {@link ShorthandJson} form. Derived from
 * the table of combinators, so it says exactly what {@link decode} accepts,
 * but for the rules a type cannot say (ranges, `cap >= base`, the limits).
 *
 * @example
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * const json: Policy.PolicyJson = {
 *   upTo: '30s',
 *   of: { intersect: [{ exponential: { base: '100ms', factor: 2 } }, { recurs: 5 }] },
 * }
 * Policy.decode(json)
 * // => right(json)
 *
 * @since 0.1.0
 * @category model
 */
export type PolicyJson = { [K in Name]: NodeJson<K> }[Name] | ShorthandJson

/**
 * A validated policy: the JSON itself, as {@link decode} accepted it. A
 * policy written in code is one too, once {@link toSchedule} (which checks it
 * as `decode` does) accepts it.
 *
 * @example
 * import { Schedule } from 'fp-ts-retry'
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * const policy: Policy.Policy = { intersect: [{ exponential: { base: '100ms' } }, { recurs: 3 }] }
 * Schedule.simulate(Policy.toSchedule(policy), [1, 2, 3, 4])
 * // => [100, 200, 400]
 *
 * @since 0.1.0
 * @category model
 */
export type Policy = PolicyJson

/**
 * Why a policy was refused: one readable message per problem, each naming
 * the path and what was expected (`at policy.intersect[1].recurs: expected a
 * non-negative integer, got -3`).
 *
 * @example
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * Policy.decode({ recurs: -3 })
 * // => left({ _tag: 'PolicyError', messages: ['at policy.recurs: expected a non-negative integer, got -3'] })
 *
 * @since 0.1.0
 * @category model
 */
export interface PolicyError {
  readonly _tag: 'PolicyError'
  readonly messages: ReadonlyNonEmptyArray<string>
}

// -------------------------------------------------------------------------------------
// views of the table
// -------------------------------------------------------------------------------------

const NAMES = Object.keys(TABLE) as ReadonlyArray<Name>
const entryOf = (name: Name): Entry => TABLE[name] as unknown as Entry
const isName = (name: string): name is Name => D.has(TABLE, name)

const LISTS = NAMES.filter((name) => entryOf(name).nests === 'list')
/** The leaves whose body is a list of durations: counted against {@link MAX_DELAYS}. */
const DELAY_LISTS = NAMES.filter((name) => {
  const entry = entryOf(name)
  return entry.nests === 'leaf' && entry.body.shape._tag === 'Array' && entry.body.shape.item._tag === 'Duration'
})

interface BackoffChoice {
  readonly name: Name
  readonly spec: BackoffSpec<unknown, string>
}
const BACKOFFS: ReadonlyArray<BackoffChoice> = NAMES.flatMap((name) => {
  const entry = entryOf(name)
  return entry.nests === 'leaf' && entry.backoff !== undefined
    ? [{ name, spec: entry.backoff as BackoffSpec<unknown, string> }]
    : []
})
/** The backoff of a shorthand that gives a `base` and no `backoff`: the first in the table. */
const DEFAULT_BACKOFF = BACKOFFS[0] as BackoffChoice
const BACKOFF_NAMES = BACKOFFS.map((b) => b.spec.name)
const WITH_FACTOR = BACKOFFS.filter((b) => b.spec.factor).map((b) => b.spec.name)

interface ShorthandField {
  readonly key: string
  readonly kind: Kind<unknown>
  /** The combinator this key applies (none for `backoff`, `base`, `factor`, which choose the leaf). */
  readonly combinator?: Name
  readonly nests?: 'leaf' | 'wrapper'
}

const backoffKind: Kind<unknown> = {
  shape: { _tag: 'OneOf', values: BACKOFF_NAMES },
  expected: D.oneOf(BACKOFF_NAMES),
  placeholder: '<backoff>',
  decode: (value, path) =>
    BACKOFF_NAMES.includes(value as string) ? E.right(value) : D.expected(path, D.oneOf(BACKOFF_NAMES), value),
}

const LAYERS: ReadonlyArray<ShorthandField & { readonly rank: number }> = NAMES.flatMap((name) => {
  const entry = entryOf(name)
  return entry.nests !== 'list' && entry.shorthand !== undefined
    ? [
        {
          key: entry.shorthand.key,
          rank: entry.shorthand.rank,
          kind: entry.body as Kind<unknown>,
          combinator: name,
          nests: entry.nests,
        },
      ]
    : []
}).sort((a, b) => a.rank - b.rank)

const SHORTHAND: ReadonlyArray<ShorthandField> = [
  { key: 'backoff', kind: backoffKind },
  { key: 'base', kind: duration },
  { key: 'factor', kind: factor },
  ...LAYERS,
]
const SHORTHAND_KEYS = SHORTHAND.map((field) => field.key)
const isShorthandOnly = (key: string): boolean => SHORTHAND_KEYS.includes(key) && !isName(key)

/** The shorthand key of a combinator, for the rules that name it. */
const keyOf = (name: Name): string => LAYERS.find((layer) => layer.combinator === name)?.key ?? name
const RETRIES = keyOf('recurs')
const DEADLINE = keyOf('upTo')
const MEET: Name = 'intersect'

const syntaxOf = (shape: Shape): string => {
  switch (shape._tag) {
    case 'Duration':
      return 'D'
    case 'Count':
    case 'Factor':
      return 'n'
    case 'Jitter':
      return 'J'
    case 'Condition':
      return 'C'
    case 'Policies':
      return '[P, ...]'
    case 'OneOf':
      return shape.values.map((v) => JSON.stringify(v)).join(' | ')
    case 'Array':
      return `[${syntaxOf(shape.item)}, ...]`
    case 'Struct':
      return `{ ${shape.fields.map((f) => `"${f.name}"${f.optional ? '?' : ''}: ${syntaxOf(f.shape)}`).join(', ')} }`
  }
}

/**
 * One combinator of the language, as {@link grammar} describes it: its key,
 * how it nests other policies (`leaf`: none; `list`: a non-empty array of
 * them; `wrapper`: one, under `of`), the shape of its value, and its
 * `syntax` as the reference in docs/policies.md writes it (`D` a duration,
 * `n` a number, `J` a jitter, `C` a condition, `P` a policy).
 *
 * @example
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * Policy.grammar.combinators.find((c) => c.name === 'cap')
 * // => { name: 'cap', nests: 'wrapper', body: { _tag: 'Duration' }, syntax: '{ "cap": D, "of": P }' }
 *
 * @since 0.2.0
 * @category model
 */
export interface Combinator {
  readonly name: string
  readonly nests: 'leaf' | 'list' | 'wrapper'
  readonly body: Shape
  readonly syntax: string
}

/**
 * One key of the shorthand, as {@link grammar} describes it: the shape of
 * its value and the combinator it applies (none for `backoff`, `base` and
 * `factor`, which choose the backoff).
 *
 * @example
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * Policy.grammar.shorthand.find((k) => k.key === 'max')
 * // => { key: 'max', body: { _tag: 'Duration' }, combinator: 'cap' }
 *
 * @since 0.2.0
 * @category model
 */
export interface ShorthandKey {
  readonly key: string
  readonly body: Shape
  readonly combinator?: string
}

/**
 * The policy language as data: its combinators in the order messages list
 * them, and the shorthand's keys in the order the shorthand applies them.
 *
 * @example
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * Policy.grammar.shorthand.map((k) => k.key)
 * // => ['backoff', 'base', 'factor', 'max', 'jitter', 'retries', 'retryOn', 'waitForHint', 'deadline']
 *
 * @since 0.2.0
 * @category model
 */
export interface Grammar {
  readonly combinators: ReadonlyArray<Combinator>
  readonly shorthand: ReadonlyArray<ShorthandKey>
}

/**
 * The policy language, derived from the table that {@link decode},
 * {@link toSchedule} and {@link describe} interpret: for tools that generate,
 * check or edit policies (the tests of this library generate random
 * policies from it, and check the reference in docs/policies.md against it).
 *
 * @example
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * Policy.grammar.combinators.filter((c) => c.nests === 'list').map((c) => c.syntax)
 * // => ['{ "intersect": [P, ...] }', '{ "union": [P, ...] }', '{ "andThen": [P, ...] }']
 *
 * @since 0.2.0
 * @category model
 */
export const grammar: Grammar = {
  combinators: NAMES.map((name): Combinator => {
    const entry = entryOf(name)
    const body: Shape = entry.nests === 'list' ? { _tag: 'Policies' } : entry.body.shape
    const syntax = `{ "${name}": ${syntaxOf(body)}${entry.nests === 'wrapper' ? ', "of": P' : ''} }`
    return { name, nests: entry.nests, body, syntax }
  }),
  shorthand: SHORTHAND.map((field): ShorthandKey => ({
    key: field.key,
    body: field.kind.shape,
    ...(field.combinator === undefined ? {} : { combinator: field.combinator }),
  })),
}

// -------------------------------------------------------------------------------------
// decoding
// -------------------------------------------------------------------------------------

/** What a policy looks like, as the messages say it. */
const EXPECTED = `a policy (an object with one of the keys ${D.oneOf(NAMES)}, or with shorthand keys among ${D.oneOf(SHORTHAND_KEYS, 'and')})`

const policies: D.Decoder<ReadonlyArray<Node>> = (value, path) =>
  Array.isArray(value) && value.length > 0
    ? D.all(value.map((item: unknown, i) => policy(item, D.index(path, i))))
    : D.expected(path, 'a non-empty array of policies', value)

const combinator = (name: Name, record: Node, path: string): D.Result<Node> => {
  const at = D.key(path, name)
  const entry = entryOf(name)
  const body = record[name]
  switch (entry.nests) {
    case 'leaf':
      return E.map((b: unknown): Node => ({ [name]: b }))((entry.body as Kind<unknown>).decode(body, at))
    case 'list':
      return E.map((ps: ReadonlyArray<Node>): Node => ({ [name]: ps }))(policies(body, at))
    case 'wrapper':
      return E.map(({ b, of }: { b: unknown; of: Node }): Node => ({ [name]: b, of }))(
        D.struct({
          b: (entry.body as Kind<unknown>).decode(body, at),
          of: D.required(record, 'of', path, 'a policy', policy),
        }),
      )
  }
}

const isSet = (s: Node, key: string): boolean => s[key] !== undefined

/** The rules of the shorthand that no single key says: it must end, and `base` and `factor` must make sense. */
const shorthandRules = (s: Node, path: string): D.Result<Node> => {
  const problems: Array<D.Result<never>> = []
  const backoff = s['backoff']
  if (!isSet(s, RETRIES) && !isSet(s, DEADLINE)) {
    problems.push(D.fail(path, `expected ${D.oneOf([RETRIES, DEADLINE])} (a shorthand policy must end), got neither`))
  }
  if (!isSet(s, 'base')) {
    if (backoff !== undefined) {
      problems.push(D.missing(D.key(path, 'base'), `a duration (backoff ${JSON.stringify(backoff)} needs a base)`))
    } else if (isSet(s, 'factor')) {
      problems.push(D.missing(D.key(path, 'base'), 'a duration ("factor" needs a base)'))
    } else if (!isSet(s, RETRIES) && isSet(s, DEADLINE)) {
      problems.push(
        D.missing(
          D.key(path, 'base'),
          `a duration (with only a ${JSON.stringify(DEADLINE)} and no delay it would retry in a tight loop)`,
        ),
      )
    }
  }
  if (isSet(s, 'factor') && backoff !== undefined && !WITH_FACTOR.includes(backoff as string)) {
    problems.push(
      D.expected(
        D.key(path, 'factor'),
        `no "factor" with backoff ${JSON.stringify(backoff)} (only ${D.oneOf(WITH_FACTOR)} has one)`,
        s['factor'],
      ),
    )
  }
  return E.map(() => s)(D.all(problems))
}

const shorthand = (record: Node, path: string): D.Result<Node> =>
  pipe(
    D.all(
      SHORTHAND.map((field): D.Result<ReadonlyArray<readonly [string, unknown]>> =>
        D.has(record, field.key)
          ? E.map((v: unknown) => [[field.key, v] as const])(
              field.kind.decode(record[field.key], D.key(path, field.key)),
            )
          : E.right([]),
      ),
    ),
    (fields) => D.exact(record, path, SHORTHAND_KEYS, fields),
    E.map((pairs): Node => Object.fromEntries(pairs.flat())),
    E.chain((s) => shorthandRules(s, path)),
  )

const policy: D.Decoder<Node> = (value, path) => {
  if (!D.isRecord(value)) return D.expected(path, EXPECTED, value)
  const keys = Object.keys(value)
  const heads = keys.filter(isName)
  const shorthandKeys = keys.filter(isShorthandOnly)
  if (shorthandKeys.length > 0) {
    const others = heads.filter((name) => !SHORTHAND_KEYS.includes(name))
    return others.length > 0
      ? D.fail(
          path,
          `expected either one combinator or shorthand keys, got both ${D.oneOf(others, 'and')} and ${D.oneOf(shorthandKeys, 'and')}`,
        )
      : shorthand(value, path)
  }
  const [head, ...more] = heads
  if (head === undefined) {
    // only misspelt keys: say which key each one looks like; otherwise say what a policy is
    const known = [...new Set([...NAMES, ...SHORTHAND_KEYS])]
    const typos = keys.length > 0 && keys.every((name) => D.closest(name, known)._tag === 'Some')
    const notAPolicy = D.expected(path, EXPECTED, value)
    return typos ? E.chain(() => notAPolicy)(D.unexpectedKeys(value, path, known)) : notAPolicy
  }
  if (more.length > 0) {
    return D.fail(
      path,
      `expected exactly one combinator key, got ${D.oneOf(heads, 'and')} (combine policies with ${D.oneOf(LISTS)})`,
    )
  }
  return D.exact(value, path, entryOf(head).nests === 'wrapper' ? [head, 'of'] : [head], combinator(head, value, path))
}

// -------------------------------------------------------------------------------------
// limits
// -------------------------------------------------------------------------------------

/**
 * How deep policies may nest in a policy read from untrusted input: at most
 * this many policies on any path from the root (each `of` and each member of
 * `intersect`, `union` or `andThen` is one level down). {@link decode}
 * refuses deeper input with a message naming this limit, in time bounded by
 * the limit, however deep (or cyclic) the input; {@link is} says `false`.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * let json: unknown = { recurs: 3 }
 * for (let i = 0; i < Policy.MAX_DEPTH; i++) json = { cap: '1s', of: json }
 * E.mapLeft((e: Policy.PolicyError) => e.messages.map((m) => m.split(', got')[0]))(Policy.decode(json))
 * // => left([
 * //   'at policy: expected policies nested at most 100 deep (Policy.MAX_DEPTH, the limit on untrusted policies)',
 * // ])
 * // (the message goes on with the path it refused: `got deeper (at policy.of.of.of…)`)
 *
 * @since 0.2.0
 * @category utils
 */
export const MAX_DEPTH = 100

/**
 * How many policies a policy read from untrusted input may hold in all,
 * itself included. {@link decode} refuses more with a message naming this
 * limit, before looking at any of them; {@link is} says `false`. Within the
 * limits, every policy that decodes builds and runs.
 *
 * @example
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * Policy.decode({ intersect: Array(20_000).fill({ recurs: 1 }) })
 * // => left({
 * //   _tag: 'PolicyError',
 * //   messages: [
 * //     'at policy.intersect: expected at most 1000 policies ' +
 * //       '(Policy.MAX_POLICIES, the limit on untrusted policies), got an array of 20000',
 * //   ],
 * // })
 *
 * @since 0.2.0
 * @category utils
 */
export const MAX_POLICIES = 1000

/**
 * How many delays the `fromDelays` lists of a policy read from untrusted
 * input may hold in all. {@link decode} refuses more with a message naming
 * this limit; {@link is} says `false`.
 *
 * @example
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * Policy.decode({ fromDelays: Array(300_000).fill('1s') })
 * // => left({
 * //   _tag: 'PolicyError',
 * //   messages: [
 * //     'at policy.fromDelays: expected at most 10000 delays (Policy.MAX_DELAYS, the limit on untrusted policies), ' +
 * //       'got an array of 300000',
 * //   ],
 * // })
 *
 * @since 0.2.0
 * @category utils
 */
export const MAX_DELAYS = 10_000

const LIMIT = 'the limit on untrusted policies'

/** A path for a message, its middle cut out when it is long (a path may be MAX_DEPTH levels deep). */
const clipPath = (path: string): string => (path.length > 80 ? `${path.slice(0, 38)}…${path.slice(-38)}` : path)

/**
 * Checks the limits before anything is decoded: one pass over the keys that
 * nest (the lists and `of`) and the lists of delays, with an explicit stack,
 * no recursion. Every array counts in full when it is reached, so the pass
 * stops after looking at no more than the limits allow, however big, deep or
 * cyclic the input.
 */
const checkLimits = (input: unknown, root: string): D.Result<void> => {
  const stack: Array<{ readonly value: unknown; readonly path: string; readonly depth: number }> = [
    { value: input, path: root, depth: 1 },
  ]
  let policies = 1
  let delays = 0
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { value, path, depth } = top
    if (!D.isRecord(value)) continue
    const below = depth + 1
    const nested: Array<{ readonly value: unknown; readonly path: string }> = []
    for (const name of LISTS) {
      const members = D.has(value, name) ? value[name] : undefined
      if (!Array.isArray(members)) continue
      const at = D.key(path, name)
      if (members.length > MAX_POLICIES) {
        return D.fail(
          at,
          `expected at most ${MAX_POLICIES} policies (Policy.MAX_POLICIES, ${LIMIT}), got an array of ${members.length}`,
        )
      }
      policies += members.length
      if (policies > MAX_POLICIES) {
        return D.fail(
          at,
          `expected at most ${MAX_POLICIES} policies in all (Policy.MAX_POLICIES, ${LIMIT}), got ${policies} up to here`,
        )
      }
      for (let i = 0; i < members.length; i++) nested.push({ value: members[i], path: D.index(at, i) })
    }
    if (D.has(value, 'of')) {
      policies += 1
      if (policies > MAX_POLICIES) {
        return D.fail(
          D.key(path, 'of'),
          `expected at most ${MAX_POLICIES} policies in all (Policy.MAX_POLICIES, ${LIMIT}), got ${policies} up to here`,
        )
      }
      nested.push({ value: value['of'], path: D.key(path, 'of') })
    }
    for (const name of DELAY_LISTS) {
      const list = D.has(value, name) ? value[name] : undefined
      if (!Array.isArray(list)) continue
      const at = D.key(path, name)
      if (list.length > MAX_DELAYS) {
        return D.fail(
          at,
          `expected at most ${MAX_DELAYS} delays (Policy.MAX_DELAYS, ${LIMIT}), got an array of ${list.length}`,
        )
      }
      delays += list.length
      if (delays > MAX_DELAYS) {
        return D.fail(
          at,
          `expected at most ${MAX_DELAYS} delays in all (Policy.MAX_DELAYS, ${LIMIT}), got ${delays} up to here`,
        )
      }
    }
    const deeper = nested.find((next) => D.isRecord(next.value))
    if (deeper !== undefined && below > MAX_DEPTH) {
      return D.fail(
        root,
        `expected policies nested at most ${MAX_DEPTH} deep (Policy.MAX_DEPTH, ${LIMIT}), got deeper (at ${clipPath(deeper.path)})`,
      )
    }
    // pushed in reverse, so that the first problem found is the first in reading order
    for (let i = nested.length - 1; i >= 0; i--) {
      const next = nested[i]
      if (next !== undefined) stack.push({ ...next, depth: below })
    }
  }
  return E.right(undefined)
}

const toError = (messages: ReadonlyNonEmptyArray<string>): PolicyError => ({ _tag: 'PolicyError', messages })

const decodeAt = (input: unknown, root: string): D.Result<Policy> =>
  D.guarded((value, path) => E.chain(() => policy(value, path) as D.Result<Policy>)(checkLimits(value, path)))(
    input,
    root,
  )

/**
 * Reads a policy from untrusted input (parsed JSON or YAML, an object from a
 * config loader). Never throws: any input gives `Right` with the validated
 * JSON (a fresh copy, durations in their spelling), or `Left` with a
 * {@link PolicyError} holding one message per problem.
 *
 * The same limits as the constructors apply: no negative, NaN or infinite
 * durations, `factor >= 1`, jitter `0 <= min <= max`, decorrelated `cap >=
 * base`, `recurs` a non-negative integer, HTTP statuses from 100 to 599.
 * Unknown keys are refused, with a "did you mean" when one looks like a typo.
 *
 * Limits on untrusted input, checked first, in time bounded by the limits
 * however big, deep or cyclic the input: at most {@link MAX_POLICIES}
 * policies in all, nested at most {@link MAX_DEPTH} deep, and at most
 * {@link MAX_DELAYS} `fromDelays` entries in all. Beyond them the policy is
 * refused with a message naming the limit. Within them, every policy that
 * decodes builds with {@link toSchedule} and runs.
 *
 * @example
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * Policy.decode({ intersect: [{ spaced: '1s' }, { recurs: -3 }] })
 * // => left({ _tag: 'PolicyError', messages: ['at policy.intersect[1].recurs: expected a non-negative integer, got -3'] })
 * Policy.decode({ retryOn: 'transient', of: { recurs: 3 } })
 * // => right({ retryOn: 'transient', of: { recurs: 3 } })
 *
 * @since 0.1.0
 * @category constructors
 */
export const decode = (input: unknown): E.Either<PolicyError, Policy> => E.mapLeft(toError)(decodeAt(input, 'policy'))

/**
 * Reads a policy from JSON text, such as an environment variable. Text that
 * is not JSON is refused with a message, like any other malformed input, and
 * so is JSON nested more than 500 levels deep (before it is parsed: linear
 * time on any text). Then the limits of {@link decode} apply.
 *
 * @example
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * Policy.decodeJson('{ "retries": 3, "base": "100ms" }')
 * // => right({ retries: 3, base: '100ms' })
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeJson = (text: string): E.Either<PolicyError, Policy> => {
  // JSON nested deeper than any policy needs is refused before JSON.parse, which is super-linear on deep nesting
  const scan = typeof text === 'string' ? D.scanJson(text) : undefined
  if (scan?._tag === 'Invalid' && scan.tooDeep) {
    return E.left(
      toError([
        `at policy: expected JSON text nested at most ${D.MAX_JSON_DEPTH} deep, got ${D.show(text)} (nested deeper at position ${scan.position})`,
      ]),
    )
  }
  return pipe(
    E.tryCatch(
      () => JSON.parse(text) as unknown,
      (error) =>
        toError([
          `at policy: expected JSON text, got ${D.show(text)} (${error instanceof Error ? error.message : 'unreadable'})`,
        ]),
    ),
    E.chain(decode),
  )
}

/**
 * Writes a policy back as JSON. A policy is its JSON, so this is the policy
 * itself: exactly what it was decoded from (the same keys, durations in the
 * same spelling), and `decode(encode(p))` is `right(p)`. It is the `encode`
 * of {@link codec}.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * E.map(Policy.encode)(Policy.decode({ cap: '10s', of: { exponential: { base: '100ms' } } }))
 * // => right({ cap: '10s', of: { exponential: { base: '100ms' } } })
 *
 * @since 0.1.0
 * @category utils
 */
export const encode = (self: Policy): PolicyJson => self

/**
 * Whether a value is a policy {@link decode} accepts, within its limits
 * ({@link MAX_POLICIES}, {@link MAX_DEPTH}, {@link MAX_DELAYS}): when it says
 * `true`, {@link toSchedule} builds it. Never throws, whatever the value: a
 * cyclic or very deep one, a proxy whose traps throw, are `false`.
 *
 * @example
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * Policy.is({ recurs: 3 })
 * // => true
 * Policy.is({ recurs: -3 })
 * // => false
 *
 * @since 0.1.0
 * @category utils
 */
export const is = (u: unknown): u is Policy => E.isRight(decodeAt(u, 'policy'))

/**
 * The io-ts codec of policies: `decode` from `unknown`, `encode` back to
 * the same JSON. Each validation error carries a readable `message`; nested
 * in a bigger codec, the messages start at the key it sits under
 * (`at config.retry.recurs: ...`).
 *
 * @example
 * import * as t from 'io-ts'
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * const Config = t.type({ retry: Policy.codec })
 * Config.decode({ retry: { retries: 3, base: '100ms' } })._tag
 * // => 'Right'
 *
 * @since 0.1.0
 * @category utils
 */
export const codec: t.Type<Policy, PolicyJson, unknown> = new t.Type<Policy, PolicyJson, unknown>(
  'Policy',
  is,
  (u, context) => D.toValidation(decodeAt(u, D.rootOf(context, 'policy')), u, context),
  encode,
)

// -------------------------------------------------------------------------------------
// the shorthand, written out with the combinators it stands for
// -------------------------------------------------------------------------------------

/** No delay, forever: what a shorthand without a `base` wraps (the "constant" backoff from 0). */
const NO_DELAY: Node = { spaced: 0 }

/**
 * The longhand of a shorthand: the backoff from `base` (or no delay), then
 * each layer in rank order (a leaf is intersected, a wrapper wraps). A
 * shorthand of `retries` alone is just `recurs`.
 */
const longhand = (s: Node): Node => {
  const chosen = BACKOFFS.find((b) => b.spec.name === s['backoff']) ?? DEFAULT_BACKOFF
  let node: Node | undefined = isSet(s, 'base')
    ? { [chosen.name]: chosen.spec.fromBase(s['base'] as Duration.DurationJson, s['factor'] as number | undefined) }
    : undefined
  for (const layer of LAYERS) {
    if (!isSet(s, layer.key) || layer.combinator === undefined) continue
    const applied: Node = { [layer.combinator]: s[layer.key] }
    if (layer.nests === 'leaf') node = node === undefined ? applied : { [MEET]: [node, applied] }
    else node = { ...applied, of: node ?? NO_DELAY }
  }
  return node ?? NO_DELAY
}

/** The combinator of a valid node, or none for a shorthand. */
const headOf = (node: Node): Name | undefined => {
  if (Object.keys(node).some(isShorthandOnly)) return undefined
  return Object.keys(node).find(isName)
}

// -------------------------------------------------------------------------------------
// running
// -------------------------------------------------------------------------------------

const assume = (context: Context): boolean => {
  if (context.assumeRetried) context.assumed = true
  return context.assumeRetried
}

const isConditionList = (c: Condition | ReadonlyArray<Condition>): c is ReadonlyArray<Condition> => Array.isArray(c)

/** A field of any value, read without throwing. */
const fieldOf = (value: unknown, name: string): unknown => {
  if (typeof value !== 'object' || value === null) return undefined
  try {
    return (value as Record<string, unknown>)[name]
  } catch {
    return undefined
  }
}

const matchOne = (c: Condition): ((error: unknown) => boolean) => {
  if (c === 'transient') return isTransient
  const [name, values]: readonly [string, ReadonlySet<unknown>] =
    'status' in c ? ['status', new Set(c.status)] : ['_tag', new Set(c.tag)]
  return (error) => values.has(fieldOf(error, name))
}

/** Whether a failure is one the condition means: any of the conditions of a list. */
const matches = (c: Condition | ReadonlyArray<Condition>): ((error: unknown) => boolean) => {
  const tests = (isConditionList(c) ? c : [c]).map(matchOne)
  return (error) => tests.some((test) => test(error))
}

/** Builds a valid node: recursion as deep as the policy nests, at most {@link MAX_DEPTH} (and a shorthand's few). */
const build = (node: Node, context: Context): Any => {
  const name = headOf(node)
  if (name === undefined) return build(longhand(node), context)
  const entry = entryOf(name)
  const body = node[name] as never
  switch (entry.nests) {
    case 'leaf':
      return entry.build(body)
    case 'list': {
      const [first, ...rest] = (node[name] as ReadonlyArray<Node>).map((p) => build(p, context))
      return rest.reduce((acc, next) => entry.combine(next)(acc), first as Any)
    }
    case 'wrapper':
      return entry.build(body, build(node['of'] as Node, context), context)
  }
}

/** The retry count, from 0: the output of every policy's schedule. */
const counted = (self: Any): S.Schedule<unknown, number> =>
  pipe(
    self,
    S.intersect(S.count),
    S.map(([, n]) => n),
  )

/** A checked policy, or the RangeError a programmer's mistake deserves. */
const checked = (self: Policy, name: string): Node => {
  const result = decodeAt(self, 'self')
  if (E.isRight(result)) return result.right as Node
  const [first, ...rest] = result.left
  const more = rest.length === 0 ? '' : ` (and ${rest.length} more)`
  throw new RangeError(
    `Policy.${name}: self must be a policy that Policy.decode accepts, got one it refuses: ${first}${more}`,
  )
}

/**
 * The schedule a policy describes, built with the combinators it names. The
 * shorthand builds `backoff` from `base`, then `capDelay(max)`, then the
 * jitter (so full and equal jitter stay within `max`), then
 * `intersect(recurs(retries))`, `whileInput` of `retryOn`,
 * `waitForHint(waitForHint)`, and `upTo(deadline)`.
 *
 * The schedule serves any error type (`unknown` in): every condition of the
 * language reads the failure defensively, so any failure can be fed to it,
 * and which failures it retries is the policy's to say at run time. It
 * outputs the retry count, from 0, like `Grpc.toSchedule`.
 *
 * The policy is checked as {@link decode} checks it (a decoded one always
 * builds): the build recurses only as deep as the policy nests (at most
 * {@link MAX_DEPTH}), and stepping the schedule only as deep as it has
 * policies (at most {@link MAX_POLICIES}).
 *
 * @example
 * import { Schedule } from 'fp-ts-retry'
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * const policy = Policy.toSchedule({ intersect: [{ fibonacci: '10ms' }, { recurs: 4 }] })
 * Schedule.simulate(policy, Array(9).fill(0))
 * // => [10, 10, 20, 30]
 * Schedule.trace(policy, [0, 0]).map((step) => step.out)
 * // => [0, 1]
 *
 * @throws RangeError for a policy written in code that {@link decode} would refuse, with its first message
 * @since 0.1.0
 * @category running
 */
export const toSchedule = (self: Policy): S.Schedule<unknown, number> =>
  counted(build(checked(self, 'toSchedule'), { assumeRetried: false, assumed: false }))

// -------------------------------------------------------------------------------------
// describing
// -------------------------------------------------------------------------------------

const growth = (f: number): string => (f === 2 ? 'doubling at each retry' : `multiplied by ${f} at each retry`)

const jitterPhrase = (j: JitterJson): string =>
  j === 'full'
    ? 'with full jitter (each delay random between 0 and itself)'
    : j === 'equal'
      ? 'with equal jitter (each delay random between half of itself and itself)'
      : `with each delay multiplied by a random factor between ${j.min} and ${j.max}`

const failureOf = (c: Condition): string =>
  c === 'transient'
    ? 'transient failures'
    : 'status' in c
      ? `failures with status ${list_(c.status.map(String), 'or')}`
      : `failures tagged ${list_(c.tag, 'or')}`

const failures = (c: Condition | ReadonlyArray<Condition>): string =>
  list_((isConditionList(c) ? c : [c]).map(failureOf), 'or')

const intersectPhrase = (policies: ReadonlyArray<Node>): string => {
  const counts = policies.flatMap((p) => (headOf(p) === 'recurs' ? [p['recurs'] as number] : []))
  const others = policies.filter((p) => headOf(p) !== 'recurs')
  const limit = counts.length > 0 ? `at most ${plural(Math.min(...counts))}` : ''
  const timing =
    others.length === 0
      ? ''
      : others.length === 1 && others[0] !== undefined
        ? summary(others[0])
        : `the longest delay of (${others.map(summary).join('; ')}), while all of them go on`
  return timing === '' ? `${limit} with no delay` : limit === '' ? timing : `${timing}, ${limit}`
}

/** A wrapped policy in words, in parentheses when its words are a list. */
const inner = (node: Node): string => {
  const name = headOf(node)
  const entry = name === undefined ? undefined : entryOf(name)
  return entry?.nests === 'list' && entry.grouped ? `(${summary(node)})` : summary(node)
}

const summary = (node: Node): string => {
  const name = headOf(node)
  if (name === undefined) return summary(longhand(node))
  const entry = entryOf(name)
  const body = node[name] as never
  switch (entry.nests) {
    case 'leaf':
      return entry.say(body)
    case 'list':
      return entry.say(node[name] as ReadonlyArray<Node>)
    case 'wrapper':
      return entry.say(body, inner(node['of'] as Node))
  }
}

/**
 * Options of {@link describe}.
 *
 * @example
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * Policy.describe({ spaced: '1s' }, { steps: 2, seed: 7 } satisfies Policy.DescribeOptions<unknown>)
 * // => 'A fixed delay of 1s. With random seed 7, its first 2 delays are 1s and 1s, and it is still retrying after 2 failures.'
 *
 * @since 0.1.0
 * @category utils
 */
export interface DescribeOptions<In> {
  /** How many failed attempts to simulate (default 10, at most 1000). */
  readonly steps?: number | undefined
  /** The seed of the random source used for jitter (default 1). */
  readonly seed?: number | undefined
  /**
   * The error fed to the schedule at each simulated failure. Without one,
   * a plain schedule is stepped with `undefined`, and a policy as if every
   * failure were one its conditions (`retryOn`, `giveUpOn`) retry.
   */
  readonly input?: In | undefined
}

const isSchedule = <In>(self: Policy | S.Schedule<In, unknown>): self is S.Schedule<In, unknown> =>
  typeof self === 'object' && self !== null && (self as { readonly _tag?: unknown })._tag === 'Schedule'

/**
 * One paragraph for logs and for people reading configs: what the policy
 * does in words, then its first delays (simulated purely with a seeded random
 * source) and whether it gives up within `steps` failures. Without an
 * `input`, a policy that says which failures it retries is simulated with
 * failures it retries. A plain {@link S.Schedule} is opaque: only its delays
 * and ending can be shown. Never throws.
 *
 * @example
 * import { Schedule } from 'fp-ts-retry'
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * Policy.describe({ retries: 3, base: '100ms' })
 * // => 'Exponential backoff from 100ms, doubling at each retry, at most 3 retries. With random seed 1, its delays are 100ms, 200ms and 400ms, and it gives up after 3 retries.'
 * Policy.describe({ retries: 2, retryOn: { status: [503] } })
 * // => 'At most 2 retries with no delay, retrying only failures with status 503. With random seed 1 and failures it retries, its delays are 0ms and 0ms, and it gives up after 2 retries.'
 * Policy.describe(Schedule.spaced(1000), { steps: 3 })
 * // => 'An opaque schedule: only its behaviour can be shown. With random seed 1, its first 3 delays are 1s, 1s and 1s, and it is still retrying after 3 failures.'
 *
 * @since 0.1.0
 * @category utils
 */
export const describe = <In = unknown>(
  self: Policy | S.Schedule<In, unknown>,
  options?: DescribeOptions<In>,
): string => {
  try {
    if (isSchedule(self)) return `An opaque schedule: only its behaviour can be shown. ${preview(self, options)}`
    const node = checked(self, 'describe')
    const text = summary(node).replace(/^\(?[a-z]/, (start) => start.toUpperCase())
    const context: Context = { assumeRetried: options?.input === undefined, assumed: false }
    const schedule = counted(build(node, context))
    return `${text}. ${sentence(schedule, options, context.assumed)}`
  } catch (error) {
    return `An invalid policy (${error instanceof Error ? error.message : 'it threw'}).`
  }
}

/** "a", "a and b", "a, b and c". */
const list_ = (items: ReadonlyArray<string>, conjunction = 'and'): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${conjunction} ${items.at(-1)}`

/** "1 retry", "3 retries". */
const plural = (n: number): string => `${n} ${n === 1 ? 'retry' : 'retries'}`

const sentence = <In>(
  schedule: S.Schedule<In, unknown>,
  options: DescribeOptions<In> | undefined,
  retried: boolean,
): string => {
  const wanted = options?.steps
  const steps = Number.isFinite(wanted) ? Math.max(1, Math.min(1000, Math.floor(wanted as number))) : 10
  const seed = Number.isSafeInteger(options?.seed) ? (options?.seed as number) : 1
  let decisions: ReadonlyArray<S.TraceStep<unknown>>
  try {
    decisions = S.trace(schedule, Array<In>(steps).fill(options?.input as In), { random: Random.seeded(seed) })
  } catch (error) {
    const reason = error instanceof Error ? error.message : D.show(error)
    return `Stepping it with ${D.show(options?.input)} as the error threw (${reason}); pass a representative error as "input" to see its delays.`
  }
  const delays = decisions.filter((d) => d._tag === 'Continue').map((d) => Duration.format(d.delay))
  const ended = decisions.at(-1)?._tag === 'Done'
  if (delays.length === 0) return 'It never retries: the first failure is final.'
  const which = ended
    ? delays.length === 1
      ? 'only delay is'
      : 'delays are'
    : delays.length === 1
      ? 'first delay is'
      : `first ${delays.length} delays are`
  const shown = `With random seed ${seed}${retried ? ' and failures it retries' : ''}, its ${which} ${list_(delays)}`
  return ended
    ? `${shown}, and it gives up after ${plural(delays.length)}.`
    : `${shown}, and it is still retrying after ${steps} ${steps === 1 ? 'failure' : 'failures'}.`
}

/**
 * The sentence that shows what any schedule does: its first delays, stepped
 * purely with a seeded random source, and whether it ends within `steps`
 * failures. Never throws: a schedule that throws when stepped with `input`
 * is reported as such. {@link describe} ends with it.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 * import * as Policy from 'fp-ts-retry/policy'
 *
 * Policy.preview(pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(2))))
 * // => 'With random seed 1, its delays are 100ms and 200ms, and it gives up after 2 retries.'
 *
 * @since 0.2.0
 * @category utils
 */
export const preview = <In>(schedule: S.Schedule<In, unknown>, options?: DescribeOptions<In>): string =>
  sentence(schedule, options, false)
