/**
 * Policies as configuration: a JSON language that mirrors the schedule
 * combinators, an io-ts codec that reads it from untrusted input with readable
 * messages, and {@link toSchedule} to run it. Teams keep retry policies in a
 * config file, an environment variable or a service config and tune them
 * without a release.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { Policy, Schedule } from 'fp-ts-retry'
 *
 * const decoded = Policy.decode({ retries: 3, base: '100ms', max: '1s' })
 * E.map((p: Policy.Policy) => Schedule.simulate(Policy.toSchedule(p), [1, 2, 3, 4, 5]))(decoded)
 * // => right([100, 200, 400])
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import type { ReadonlyNonEmptyArray } from 'fp-ts/ReadonlyNonEmptyArray'
import * as t from 'io-ts'
import * as Duration from './Duration'
import * as D from './internal/decoder'
import * as Random from './Random'
import * as S from './Schedule'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * How delays are spread out: `full` (uniform in `[0, d]`), `equal` (uniform
 * in `[d/2, d]`) or a factor uniform in `[min, max)`.
 *
 * @example
 * import { Policy } from 'fp-ts-retry'
 *
 * const jitter: Policy.Jitter = { _tag: 'Between', min: 0.8, max: 1.2 }
 *
 * @since 0.1.0
 * @category model
 */
export type Jitter =
  | { readonly _tag: 'Full' }
  | { readonly _tag: 'Equal' }
  | { readonly _tag: 'Between'; readonly min: number; readonly max: number }

/**
 * How a {@link Jitter} is written in JSON: `"full"`, `"equal"` or `{ "min": 0.8, "max": 1.2 }`.
 *
 * @example
 * import { Policy } from 'fp-ts-retry'
 *
 * const jitter: Policy.JitterJson = 'full'
 *
 * @since 0.1.0
 * @category model
 */
export type JitterJson = 'full' | 'equal' | { readonly min: number; readonly max: number }

/**
 * The growth of the delays in the shorthand form.
 *
 * @example
 * import { Policy } from 'fp-ts-retry'
 *
 * const backoff: Policy.Backoff = 'exponential'
 *
 * @since 0.1.0
 * @category model
 */
export type Backoff = 'exponential' | 'linear' | 'fibonacci' | 'constant'

/**
 * A validated policy: one case per JSON form, durations already parsed (and
 * their spelling kept), optional fields as `Option` so that {@link encode}
 * writes back exactly what was read.
 *
 * @example
 * import * as O from 'fp-ts/Option'
 * import { Duration, Policy } from 'fp-ts-retry'
 *
 * const policy: Policy.Policy = {
 *   _tag: 'Intersect',
 *   policies: [
 *     { _tag: 'Exponential', base: Duration.millis(100), factor: O.none },
 *     { _tag: 'Recurs', times: 5 },
 *   ],
 * }
 *
 * @since 0.1.0
 * @category model
 */
export type Policy =
  | { readonly _tag: 'Exponential'; readonly base: Duration.Duration; readonly factor: O.Option<number> }
  | { readonly _tag: 'Fibonacci'; readonly base: Duration.Duration }
  | { readonly _tag: 'Linear'; readonly base: Duration.Duration }
  | { readonly _tag: 'Spaced'; readonly delay: Duration.Duration }
  | { readonly _tag: 'Recurs'; readonly times: number }
  | { readonly _tag: 'FromDelays'; readonly delays: ReadonlyArray<Duration.Duration> }
  | { readonly _tag: 'DecorrelatedJitter'; readonly base: Duration.Duration; readonly cap: Duration.Duration }
  | { readonly _tag: 'Intersect'; readonly policies: ReadonlyNonEmptyArray<Policy> }
  | { readonly _tag: 'Union'; readonly policies: ReadonlyNonEmptyArray<Policy> }
  | { readonly _tag: 'AndThen'; readonly policies: ReadonlyNonEmptyArray<Policy> }
  | { readonly _tag: 'Jitter'; readonly jitter: Jitter; readonly of: Policy }
  | { readonly _tag: 'Cap'; readonly max: Duration.Duration; readonly of: Policy }
  | { readonly _tag: 'UpTo'; readonly duration: Duration.Duration; readonly of: Policy }
  | {
      readonly _tag: 'Shorthand'
      readonly retries: O.Option<number>
      readonly backoff: O.Option<Backoff>
      readonly base: O.Option<Duration.Duration>
      readonly factor: O.Option<number>
      readonly max: O.Option<Duration.Duration>
      readonly jitter: O.Option<Jitter>
      readonly deadline: O.Option<Duration.Duration>
    }

/**
 * The shorthand for the common case: `retries`, a `backoff` from `base`
 * (with `factor` for exponential), a `max` delay, `jitter` and a `deadline`.
 *
 * @example
 * import { Policy } from 'fp-ts-retry'
 *
 * const json: Policy.ShorthandJson = { retries: 5, backoff: 'exponential', base: '100ms', max: '10s', jitter: 'full' }
 *
 * @since 0.1.0
 * @category model
 */
export interface ShorthandJson {
  readonly retries?: number
  readonly backoff?: Backoff
  readonly base?: Duration.DurationJson
  readonly factor?: number
  readonly max?: Duration.DurationJson
  readonly jitter?: JitterJson
  readonly deadline?: Duration.DurationJson
}

/**
 * A policy as written in JSON: one combinator key per object (nesting through
 * arrays and `of`), or the {@link ShorthandJson} form.
 *
 * @example
 * import { Policy } from 'fp-ts-retry'
 *
 * const json: Policy.PolicyJson = {
 *   upTo: '30s',
 *   of: { intersect: [{ exponential: { base: '100ms', factor: 2 } }, { recurs: 5 }] },
 * }
 *
 * @since 0.1.0
 * @category model
 */
export type PolicyJson =
  | { readonly exponential: { readonly base: Duration.DurationJson; readonly factor?: number } }
  | { readonly fibonacci: Duration.DurationJson }
  | { readonly linear: Duration.DurationJson }
  | { readonly spaced: Duration.DurationJson }
  | { readonly recurs: number }
  | { readonly fromDelays: ReadonlyArray<Duration.DurationJson> }
  | { readonly decorrelatedJitter: { readonly base: Duration.DurationJson; readonly cap: Duration.DurationJson } }
  | { readonly intersect: ReadonlyArray<PolicyJson> }
  | { readonly union: ReadonlyArray<PolicyJson> }
  | { readonly andThen: ReadonlyArray<PolicyJson> }
  | { readonly jitter: JitterJson; readonly of: PolicyJson }
  | { readonly cap: Duration.DurationJson; readonly of: PolicyJson }
  | { readonly upTo: Duration.DurationJson; readonly of: PolicyJson }
  | ShorthandJson

/**
 * Why a policy was refused: one readable message per problem, each naming
 * the path and what was expected (`at policy.intersect[1].recurs: expected a
 * non-negative integer, got -3`).
 *
 * @example
 * import { Policy } from 'fp-ts-retry'
 *
 * const error: Policy.PolicyError = { _tag: 'PolicyError', messages: ['at policy: expected ..., got 42'] }
 *
 * @since 0.1.0
 * @category model
 */
export interface PolicyError {
  readonly _tag: 'PolicyError'
  readonly messages: ReadonlyNonEmptyArray<string>
}

// -------------------------------------------------------------------------------------
// decoding
// -------------------------------------------------------------------------------------

const COMBINATORS = [
  'exponential',
  'fibonacci',
  'linear',
  'spaced',
  'recurs',
  'fromDelays',
  'decorrelatedJitter',
  'intersect',
  'union',
  'andThen',
  'jitter',
  'cap',
  'upTo',
] as const
type Combinator = (typeof COMBINATORS)[number]

const SHORTHAND = ['retries', 'backoff', 'base', 'factor', 'max', 'jitter', 'deadline'] as const
const BACKOFFS: ReadonlyArray<Backoff> = ['exponential', 'linear', 'fibonacci', 'constant']
const WRAPPERS: ReadonlyArray<string> = ['jitter', 'cap', 'upTo']

const isCombinator = (name: string): name is Combinator => (COMBINATORS as ReadonlyArray<string>).includes(name)
const isShorthandOnly = (name: string): boolean =>
  name !== 'jitter' && (SHORTHAND as ReadonlyArray<string>).includes(name)

/** What a policy looks like, as the messages say it. */
const EXPECTED = `a policy (an object with one of the keys ${D.oneOf(COMBINATORS)}, or with shorthand keys among ${D.oneOf(SHORTHAND, 'and')})`

const JITTER_EXPECTED = '"full", "equal" or { "min": <number>, "max": <number> }'

const duration: D.Decoder<Duration.Duration> = (value, path) =>
  E.mapLeft((message: string) => [`at ${path}: ${message}`] as const)(Duration.parse(value))

const count = D.integerAtLeast(0, 'a non-negative integer')
const factor = D.numberAtLeast(1)

const jitter: D.Decoder<Jitter> = (value, path) => {
  if (value === 'full') return E.right({ _tag: 'Full' })
  if (value === 'equal') return E.right({ _tag: 'Equal' })
  if (!D.isRecord(value)) return D.expected(path, JITTER_EXPECTED, value)
  const bounds = D.struct({
    min: D.required(value, 'min', path, 'a number >= 0', D.numberAtLeast(0)),
    max: D.required(value, 'max', path, 'a number >= min', D.numberAtLeast(0)),
  })
  return pipe(
    D.exact(value, path, ['min', 'max'], bounds),
    E.chain(({ min, max }): D.Result<Jitter> =>
      max < min
        ? D.expected(D.key(path, 'max'), `a number >= min (${min})`, max)
        : E.right({ _tag: 'Between', min, max }),
    ),
  )
}

const backoff: D.Decoder<Backoff> = (value, path) =>
  BACKOFFS.includes(value as Backoff) ? E.right(value as Backoff) : D.expected(path, D.oneOf(BACKOFFS), value)

const withKeys =
  <A>(
    allowed: ReadonlyArray<string>,
    what: string,
    decoder: (record: Readonly<Record<string, unknown>>, path: string) => D.Result<A>,
  ): D.Decoder<A> =>
  (value, path) =>
    D.isRecord(value) ? D.exact(value, path, allowed, decoder(value, path)) : D.expected(path, what, value)

const exponentialBody = withKeys(
  ['base', 'factor'],
  'an object { "base": <duration>, "factor"?: <number >= 1> }',
  (r, path) =>
    D.struct({
      base: D.required(r, 'base', path, Duration.EXPECTED, duration),
      factor: D.optional(r, 'factor', path, factor),
    }),
)

const decorrelatedBody = withKeys(['base', 'cap'], 'an object { "base": <duration>, "cap": <duration> }', (r, path) =>
  pipe(
    D.struct({
      base: D.required(r, 'base', path, Duration.EXPECTED, duration),
      cap: D.required(r, 'cap', path, Duration.EXPECTED, duration),
    }),
    E.chain(({ base, cap }) =>
      cap.millis < base.millis
        ? D.expected(D.key(path, 'cap'), `a duration >= base (${Duration.format(base.millis)})`, cap.spelling)
        : E.right({ base, cap }),
    ),
  ),
)

const delays: D.Decoder<ReadonlyArray<Duration.Duration>> = (value, path) =>
  Array.isArray(value)
    ? D.all(value.map((item: unknown, i) => duration(item, D.index(path, i))))
    : D.expected(path, 'an array of durations', value)

const policies: D.Decoder<ReadonlyNonEmptyArray<Policy>> = (value, path) =>
  Array.isArray(value) && value.length > 0
    ? (D.all(value.map((item: unknown, i) => policy(item, D.index(path, i)))) as D.Result<
        ReadonlyNonEmptyArray<Policy>
      >)
    : D.expected(path, 'a non-empty array of policies', value)

const combinator = (name: Combinator, record: Readonly<Record<string, unknown>>, path: string): D.Result<Policy> => {
  const at = D.key(path, name)
  const body = record[name]
  const of = () => D.required(record, 'of', path, 'a policy', policy)
  switch (name) {
    case 'exponential':
      return E.map(
        ({ base, factor }: { base: Duration.Duration; factor: O.Option<number> }) =>
          ({ _tag: 'Exponential', base, factor }) as const,
      )(exponentialBody(body, at))
    case 'fibonacci':
      return E.map((base: Duration.Duration) => ({ _tag: 'Fibonacci', base }) as const)(duration(body, at))
    case 'linear':
      return E.map((base: Duration.Duration) => ({ _tag: 'Linear', base }) as const)(duration(body, at))
    case 'spaced':
      return E.map((delay: Duration.Duration) => ({ _tag: 'Spaced', delay }) as const)(duration(body, at))
    case 'recurs':
      return E.map((times: number) => ({ _tag: 'Recurs', times }) as const)(count(body, at))
    case 'fromDelays':
      return E.map((ds: ReadonlyArray<Duration.Duration>) => ({ _tag: 'FromDelays', delays: ds }) as const)(
        delays(body, at),
      )
    case 'decorrelatedJitter':
      return E.map(
        (b: { base: Duration.Duration; cap: Duration.Duration }) => ({ _tag: 'DecorrelatedJitter', ...b }) as const,
      )(decorrelatedBody(body, at))
    case 'intersect':
    case 'union':
    case 'andThen': {
      const tag = name === 'intersect' ? 'Intersect' : name === 'union' ? 'Union' : 'AndThen'
      return E.map((ps: ReadonlyNonEmptyArray<Policy>) => ({ _tag: tag, policies: ps }) as const)(policies(body, at))
    }
    case 'jitter':
      return E.map((r: { jitter: Jitter; of: Policy }) => ({ _tag: 'Jitter', ...r }) as const)(
        D.struct({ jitter: jitter(body, at), of: of() }),
      )
    case 'cap':
      return E.map((r: { max: Duration.Duration; of: Policy }) => ({ _tag: 'Cap', ...r }) as const)(
        D.struct({ max: duration(body, at), of: of() }),
      )
    case 'upTo':
      return E.map((r: { duration: Duration.Duration; of: Policy }) => ({ _tag: 'UpTo', ...r }) as const)(
        D.struct({ duration: duration(body, at), of: of() }),
      )
  }
}

type Shorthand = Extract<Policy, { _tag: 'Shorthand' }>

const shorthandRules = (s: Shorthand, path: string): D.Result<Shorthand> => {
  const problems: Array<D.Result<never>> = []
  if (O.isNone(s.retries) && O.isNone(s.deadline)) {
    problems.push(D.fail(path, 'expected "retries" or "deadline" (a shorthand policy must end), got neither'))
  }
  if (O.isNone(s.base)) {
    if (O.isSome(s.backoff)) {
      problems.push(
        D.missing(D.key(path, 'base'), `a duration (backoff ${JSON.stringify(s.backoff.value)} needs a base)`),
      )
    } else if (O.isSome(s.factor)) {
      problems.push(D.missing(D.key(path, 'base'), 'a duration ("factor" needs a base)'))
    } else if (O.isNone(s.retries) && O.isSome(s.deadline)) {
      problems.push(
        D.missing(
          D.key(path, 'base'),
          'a duration (with only a "deadline" and no delay it would retry in a tight loop)',
        ),
      )
    }
  }
  if (O.isSome(s.factor) && O.isSome(s.backoff) && s.backoff.value !== 'exponential') {
    problems.push(
      D.expected(
        D.key(path, 'factor'),
        `no "factor" with backoff ${JSON.stringify(s.backoff.value)} (only "exponential" has one)`,
        s.factor.value,
      ),
    )
  }
  return E.map(() => s)(D.all(problems))
}

const shorthand = (record: Readonly<Record<string, unknown>>, path: string): D.Result<Policy> =>
  pipe(
    D.struct({
      retries: D.optional(record, 'retries', path, count),
      backoff: D.optional(record, 'backoff', path, backoff),
      base: D.optional(record, 'base', path, duration),
      factor: D.optional(record, 'factor', path, factor),
      max: D.optional(record, 'max', path, duration),
      jitter: D.optional(record, 'jitter', path, jitter),
      deadline: D.optional(record, 'deadline', path, duration),
    }),
    (fields) => D.exact(record, path, SHORTHAND, fields),
    E.chain((fields) => shorthandRules({ _tag: 'Shorthand', ...fields }, path)),
  )

const policy: D.Decoder<Policy> = (value, path) => {
  if (!D.isRecord(value)) return D.expected(path, EXPECTED, value)
  const keys = Object.keys(value)
  const heads = keys.filter(isCombinator)
  const shorthandKeys = keys.filter(isShorthandOnly)
  if (shorthandKeys.length > 0) {
    const others = heads.filter((name) => name !== 'jitter')
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
    const known = [...COMBINATORS, ...SHORTHAND]
    const typos = keys.length > 0 && keys.every((name) => O.isSome(D.closest(name, known)))
    const notAPolicy = D.expected(path, EXPECTED, value)
    return typos ? E.chain(() => notAPolicy)(D.unexpectedKeys(value, path, known)) : notAPolicy
  }
  if (more.length > 0) {
    return D.fail(
      path,
      `expected exactly one combinator key, got ${D.oneOf(heads, 'and')} (combine policies with "intersect", "union" or "andThen")`,
    )
  }
  return D.exact(value, path, WRAPPERS.includes(head) ? [head, 'of'] : [head], combinator(head, value, path))
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
 * import { Policy } from 'fp-ts-retry'
 *
 * let json: unknown = { recurs: 3 }
 * for (let i = 0; i < Policy.MAX_DEPTH; i++) json = { cap: '1s', of: json }
 * Policy.decode(json)
 * // => left({ _tag: 'PolicyError', messages: ['at policy: expected policies nested at most 100 deep (...), got deeper (...)'] })
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
 * import { Policy } from 'fp-ts-retry'
 *
 * Policy.decode({ intersect: Array(20_000).fill({ recurs: 1 }) })
 * // => left({ _tag: 'PolicyError', messages: ['at policy.intersect: expected at most 1000 policies (...), got an array of 20000'] })
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
 * import { Policy } from 'fp-ts-retry'
 *
 * Policy.decode({ fromDelays: Array(300_000).fill('1s') })
 * // => left({ _tag: 'PolicyError', messages: ['at policy.fromDelays: expected at most 10000 delays (...), got an array of 300000'] })
 *
 * @since 0.2.0
 * @category utils
 */
export const MAX_DELAYS = 10_000

const LIMIT = 'the limit on untrusted policies'
const LISTS = ['intersect', 'union', 'andThen'] as const

/** A path for a message, its middle cut out when it is long (a path may be MAX_DEPTH levels deep). */
const clipPath = (path: string): string => (path.length > 80 ? `${path.slice(0, 38)}…${path.slice(-38)}` : path)

/**
 * Checks the limits before anything is decoded: one pass over the keys that
 * nest (`intersect`, `union`, `andThen`, `of`) and the `fromDelays` lists,
 * with an explicit stack, no recursion. Every array counts in full when it
 * is reached, so the pass stops after looking at no more than the limits
 * allow, however big, deep or cyclic the input.
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
    const list = D.has(value, 'fromDelays') ? value['fromDelays'] : undefined
    if (Array.isArray(list)) {
      const at = D.key(path, 'fromDelays')
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
  D.guarded((value, path) => E.chain(() => policy(value, path))(checkLimits(value, path)))(input, root)

/**
 * Reads a policy from untrusted input (parsed JSON or YAML, an object from a
 * config loader). Never throws: any input gives `Right` with the policy, or
 * `Left` with a {@link PolicyError} holding one message per problem.
 *
 * The same limits as the constructors apply: no negative, NaN or infinite
 * durations, `factor >= 1`, jitter `0 <= min <= max`, decorrelated `cap >=
 * base`, `recurs` a non-negative integer. Unknown keys are refused, with a
 * "did you mean" when one looks like a typo.
 *
 * Limits on untrusted input, checked first, in time bounded by the limits
 * however big, deep or cyclic the input: at most {@link MAX_POLICIES}
 * policies in all, nested at most {@link MAX_DEPTH} deep, and at most
 * {@link MAX_DELAYS} `fromDelays` entries in all. Beyond them the policy is
 * refused with a message naming the limit. Within them, every policy that
 * decodes builds with {@link toSchedule} and runs.
 *
 * @example
 * import { Policy } from 'fp-ts-retry'
 *
 * Policy.decode({ intersect: [{ spaced: '1s' }, { recurs: -3 }] })
 * // => left({ _tag: 'PolicyError', messages: ['at policy.intersect[1].recurs: expected a non-negative integer, got -3'] })
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
 * import { Policy } from 'fp-ts-retry'
 *
 * Policy.decodeJson('{ "retries": 3, "base": "100ms" }')._tag
 * // => 'Right'
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

// -------------------------------------------------------------------------------------
// encoding
// -------------------------------------------------------------------------------------

const encodeJitter = (self: Jitter): JitterJson =>
  self._tag === 'Full' ? 'full' : self._tag === 'Equal' ? 'equal' : { min: self.min, max: self.max }

const some = <K extends string, A, B>(name: K, option: O.Option<A>, f: (a: A) => B): { [P in K]?: B } =>
  (O.isSome(option) ? { [name]: f(option.value) } : {}) as { [P in K]?: B }

const id = <A>(a: A): A => a

/**
 * Writes a policy back as JSON: exactly the JSON it was decoded from (the
 * same keys, durations in the same spelling), so tools can show and edit
 * policies. `decode(encode(p))` is `right(p)`.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { Policy } from 'fp-ts-retry'
 *
 * E.map(Policy.encode)(Policy.decode({ cap: '10s', of: { exponential: { base: '100ms' } } }))
 * // => right({ cap: '10s', of: { exponential: { base: '100ms' } } })
 *
 * @since 0.1.0
 * @category utils
 */
export const encode = (self: Policy): PolicyJson => {
  switch (self._tag) {
    case 'Exponential':
      return { exponential: { base: Duration.encode(self.base), ...some('factor', self.factor, id) } }
    case 'Fibonacci':
      return { fibonacci: Duration.encode(self.base) }
    case 'Linear':
      return { linear: Duration.encode(self.base) }
    case 'Spaced':
      return { spaced: Duration.encode(self.delay) }
    case 'Recurs':
      return { recurs: self.times }
    case 'FromDelays':
      return { fromDelays: self.delays.map(Duration.encode) }
    case 'DecorrelatedJitter':
      return { decorrelatedJitter: { base: Duration.encode(self.base), cap: Duration.encode(self.cap) } }
    case 'Intersect':
      return { intersect: self.policies.map(encode) }
    case 'Union':
      return { union: self.policies.map(encode) }
    case 'AndThen':
      return { andThen: self.policies.map(encode) }
    case 'Jitter':
      return { jitter: encodeJitter(self.jitter), of: encode(self.of) }
    case 'Cap':
      return { cap: Duration.encode(self.max), of: encode(self.of) }
    case 'UpTo':
      return { upTo: Duration.encode(self.duration), of: encode(self.of) }
    case 'Shorthand':
      return {
        ...some('retries', self.retries, id),
        ...some('backoff', self.backoff, id),
        ...some('base', self.base, Duration.encode),
        ...some('factor', self.factor, id),
        ...some('max', self.max, Duration.encode),
        ...some('jitter', self.jitter, encodeJitter),
        ...some('deadline', self.deadline, Duration.encode),
      }
  }
}

// -------------------------------------------------------------------------------------
// guard and codec
// -------------------------------------------------------------------------------------

const isNumber = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u)

const isOption = (u: unknown, p: (a: unknown) => boolean): boolean =>
  D.isRecord(u) && (u._tag === 'None' || (u._tag === 'Some' && p(u.value)))

const isJitter = (u: unknown): boolean =>
  D.isRecord(u) &&
  (u._tag === 'Full' ||
    u._tag === 'Equal' ||
    (u._tag === 'Between' && isNumber(u.min) && isNumber(u.max) && u.min >= 0 && u.max >= u.min))

const isDuration = Duration.codec.is

/** Every item of an array (holes included) passes: no hole can reach `toSchedule`. */
const everyItem = (items: ReadonlyArray<unknown>, p: (u: unknown) => boolean): boolean => {
  for (let i = 0; i < items.length; i++) if (!p(items[i])) return false
  return true
}

/** Whether one node is valid, its children aside: the policies it nests, or `false`. */
const childrenOf = (u: Readonly<Record<string, unknown>>): ReadonlyArray<unknown> | false => {
  switch (u._tag) {
    case 'Exponential':
      return isDuration(u.base) && isOption(u.factor, (f) => isNumber(f) && f >= 1) && []
    case 'Fibonacci':
    case 'Linear':
      return isDuration(u.base) && []
    case 'Spaced':
      return isDuration(u.delay) && []
    case 'Recurs':
      return typeof u.times === 'number' && Number.isSafeInteger(u.times) && u.times >= 0 && []
    case 'FromDelays':
      return Array.isArray(u.delays) && u.delays.length <= MAX_DELAYS && everyItem(u.delays, isDuration) && []
    case 'DecorrelatedJitter':
      return isDuration(u.base) && isDuration(u.cap) && u.cap.millis >= u.base.millis && []
    case 'Intersect':
    case 'Union':
    case 'AndThen':
      return Array.isArray(u.policies) && u.policies.length > 0 && (u.policies as ReadonlyArray<unknown>)
    case 'Jitter':
      return isJitter(u.jitter) && [u.of]
    case 'Cap':
      return isDuration(u.max) && [u.of]
    case 'UpTo':
      return isDuration(u.duration) && [u.of]
    case 'Shorthand':
      return (
        isOption(u.retries, (n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) &&
        isOption(u.backoff, (b) => BACKOFFS.includes(b as Backoff)) &&
        isOption(u.base, isDuration) &&
        isOption(u.factor, (f) => isNumber(f) && f >= 1) &&
        isOption(u.max, isDuration) &&
        isOption(u.jitter, isJitter) &&
        isOption(u.deadline, isDuration) &&
        E.isRight(shorthandRules(u as Shorthand, '')) &&
        []
      )
    default:
      return false
  }
}

/** The walk behind {@link is}: an explicit stack, stopped by the limits, so that no value makes it overflow or loop. */
const isWithinLimits = (root: unknown): boolean => {
  const stack: Array<readonly [unknown, number]> = [[root, 1]]
  let policies = 1
  let delays = 0
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [u, depth] = top
    if (!D.isRecord(u)) return false
    const children = childrenOf(u)
    if (children === false) return false
    if (u._tag === 'FromDelays' && (delays += (u.delays as ReadonlyArray<unknown>).length) > MAX_DELAYS) return false
    if (children.length === 0) continue
    policies += children.length
    if (policies > MAX_POLICIES || depth + 1 > MAX_DEPTH) return false
    for (let i = 0; i < children.length; i++) stack.push([children[i], depth + 1])
  }
  return true
}

/**
 * Whether a value is a valid decoded {@link Policy} (not its JSON form),
 * within the limits {@link decode} checks ({@link MAX_POLICIES},
 * {@link MAX_DEPTH}, {@link MAX_DELAYS}): when it says `true`,
 * {@link toSchedule} builds it. Never throws, whatever the value: a cyclic
 * or very deep one, a proxy whose traps throw, are `false`.
 *
 * @example
 * import { Policy } from 'fp-ts-retry'
 *
 * Policy.is({ _tag: 'Recurs', times: 3 })
 * // => true
 * Policy.is({ recurs: 3 })
 * // => false
 *
 * @since 0.1.0
 * @category utils
 */
export const is = (u: unknown): u is Policy => {
  try {
    return isWithinLimits(u)
  } catch {
    return false
  }
}

/**
 * The io-ts codec of policies: `decode` from `unknown`, `encode` back to
 * the same JSON. Each validation error carries a readable `message`; nested
 * in a bigger codec, the messages start at the key it sits under
 * (`at config.retry.recurs: ...`).
 *
 * @example
 * import * as t from 'io-ts'
 * import { Policy } from 'fp-ts-retry'
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
// running
// -------------------------------------------------------------------------------------

type Any = S.Schedule<unknown, unknown>

const fold = (ps: ReadonlyNonEmptyArray<Policy>, combine: (that: Any) => (self: Any) => Any): Any =>
  ps.slice(1).reduce((acc: Any, p) => combine(build(p))(acc), build(ps[0]))

const applyJitter = (self: Any, j: Jitter): Any =>
  j._tag === 'Full' ? S.fullJitter(self) : j._tag === 'Equal' ? S.equalJitter(self) : S.jittered(j.min, j.max)(self)

const backoffSchedule = (kind: Backoff, base: number, f: number): Any => {
  switch (kind) {
    case 'exponential':
      return S.exponential(base, f)
    case 'linear':
      return S.linear(base)
    case 'fibonacci':
      return S.fibonacci(base)
    case 'constant':
      return S.spaced(base)
  }
}

const shorthandSchedule = (s: Shorthand): Any => {
  let schedule: Any = O.isSome(s.base)
    ? backoffSchedule(
        O.getOrElse((): Backoff => 'exponential')(s.backoff),
        s.base.value.millis,
        O.getOrElse(() => 2)(s.factor),
      )
    : S.forever
  if (O.isSome(s.max)) schedule = S.capDelay(s.max.value.millis)(schedule)
  if (O.isSome(s.jitter)) schedule = applyJitter(schedule, s.jitter.value)
  if (O.isSome(s.retries)) schedule = S.intersect(S.recurs(s.retries.value))(schedule)
  if (O.isSome(s.deadline)) schedule = S.upTo(s.deadline.value.millis)(schedule)
  return schedule
}

const build = (self: Policy): Any => {
  switch (self._tag) {
    case 'Exponential':
      return S.exponential(self.base.millis, O.getOrElse(() => 2)(self.factor))
    case 'Fibonacci':
      return S.fibonacci(self.base.millis)
    case 'Linear':
      return S.linear(self.base.millis)
    case 'Spaced':
      return S.spaced(self.delay.millis)
    case 'Recurs':
      return S.recurs(self.times)
    case 'FromDelays':
      return S.fromDelays(...self.delays.map((d) => d.millis))
    case 'DecorrelatedJitter':
      return S.decorrelatedJitter(self.base.millis, self.cap.millis)
    case 'Intersect':
      return fold(self.policies, S.intersect)
    case 'Union':
      return fold(self.policies, S.union)
    case 'AndThen':
      return fold(self.policies, S.andThen)
    case 'Jitter':
      return applyJitter(build(self.of), self.jitter)
    case 'Cap':
      return S.capDelay(self.max.millis)(build(self.of))
    case 'UpTo':
      return S.upTo(self.duration.millis)(build(self.of))
    case 'Shorthand':
      return shorthandSchedule(self)
  }
}

/** What is wrong with a hand-built policy: the walk of {@link is}, with a message. */
const limitProblem = (self: Policy): string | undefined => {
  const stack: Array<readonly [Policy, number]> = [[self, 1]]
  let policies = 1
  let delays = 0
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [p, depth] = top
    const children: ReadonlyArray<Policy> =
      p._tag === 'Intersect' || p._tag === 'Union' || p._tag === 'AndThen'
        ? p.policies
        : p._tag === 'Jitter' || p._tag === 'Cap' || p._tag === 'UpTo'
          ? [p.of]
          : []
    if (p._tag === 'FromDelays' && (delays += p.delays.length) > MAX_DELAYS) {
      return `at most ${MAX_DELAYS} delays in all (Policy.MAX_DELAYS)`
    }
    if (children.length === 0) continue
    policies += children.length
    if (policies > MAX_POLICIES) return `at most ${MAX_POLICIES} policies in all (Policy.MAX_POLICIES)`
    if (depth + 1 > MAX_DEPTH) return `policies nested at most ${MAX_DEPTH} deep (Policy.MAX_DEPTH)`
    for (const child of children) stack.push([child, depth + 1])
  }
  return undefined
}

/**
 * The schedule a policy describes, built with the combinators it names.
 * The shorthand builds `backoff` from `base`, then `capDelay(max)`, then the
 * jitter (so full and equal jitter stay within `max`), then
 * `intersect(recurs(retries))`, then `upTo(deadline)`.
 *
 * A policy from {@link decode} always builds, and so does any value {@link is}
 * accepts: the build recurses only as deep as the policy nests (at most
 * {@link MAX_DEPTH}), and stepping the schedule only as deep as it has
 * policies (at most {@link MAX_POLICIES}).
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { Policy, Schedule } from 'fp-ts-retry'
 *
 * const policy = Policy.decode({ intersect: [{ fibonacci: '10ms' }, { recurs: 4 }] })
 * E.map((p: Policy.Policy) => Schedule.simulate(Policy.toSchedule(p), Array(9).fill(0)))(policy)
 * // => right([10, 10, 20, 30])
 *
 * @throws RangeError for a hand-built policy that breaks the rules or the limits {@link decode} checks, naming the limit
 * @since 0.1.0
 * @category running
 */
export const toSchedule = (self: Policy): S.Schedule<unknown, unknown> => {
  const problem = limitProblem(self)
  if (problem !== undefined) throw new RangeError(`Policy.toSchedule: self must hold ${problem}, got more`)
  return build(self)
}

// -------------------------------------------------------------------------------------
// describing
// -------------------------------------------------------------------------------------

const ms = (d: Duration.Duration): string => Duration.format(d.millis)

const growth = (f: number): string => (f === 2 ? 'doubling at each retry' : `multiplied by ${f} at each retry`)

const jitterPhrase = (j: Jitter): string =>
  j._tag === 'Full'
    ? 'with full jitter (each delay random between 0 and itself)'
    : j._tag === 'Equal'
      ? 'with equal jitter (each delay random between half of itself and itself)'
      : `with each delay multiplied by a random factor between ${j.min} and ${j.max}`

const backoffPhrase = (kind: Backoff, base: Duration.Duration, f: number): string => {
  switch (kind) {
    case 'exponential':
      return `exponential backoff from ${ms(base)}, ${growth(f)}`
    case 'linear':
      return `linear backoff growing by ${ms(base)} at each retry`
    case 'fibonacci':
      return `Fibonacci backoff from ${ms(base)}`
    case 'constant':
      return `a fixed delay of ${ms(base)}`
  }
}

const deadlinePhrase = (d: Duration.Duration): string =>
  `giving up rather than retry later than ${ms(d)} after the first attempt`

const summaryOfShorthand = (s: Shorthand): string =>
  [
    O.isSome(s.base)
      ? backoffPhrase(
          O.getOrElse((): Backoff => 'exponential')(s.backoff),
          s.base.value,
          O.getOrElse(() => 2)(s.factor),
        )
      : 'no delay',
    ...(O.isSome(s.max) ? [`each delay capped at ${ms(s.max.value)}`] : []),
    ...(O.isSome(s.jitter) ? [jitterPhrase(s.jitter.value)] : []),
    ...(O.isSome(s.retries) ? [`at most ${plural(s.retries.value)}`] : []),
    ...(O.isSome(s.deadline) ? [deadlinePhrase(s.deadline.value)] : []),
  ].join(', ')

/** A wrapped policy, in parentheses when it is a list of several. */
const inner = (self: Policy): string =>
  self._tag === 'AndThen' || self._tag === 'Union' ? `(${summary(self)})` : summary(self)

const summary = (self: Policy): string => {
  switch (self._tag) {
    case 'Exponential':
      return `exponential backoff from ${ms(self.base)}, ${growth(O.getOrElse(() => 2)(self.factor))}`
    case 'Fibonacci':
    case 'Linear':
      return backoffPhrase(self._tag === 'Linear' ? 'linear' : 'fibonacci', self.base, 2)
    case 'Spaced':
      return `a fixed delay of ${ms(self.delay)}`
    case 'Recurs':
      return self.times === 0 ? 'no retries' : `at most ${plural(self.times)} with no delay`
    case 'FromDelays':
      return self.delays.length === 0 ? 'no retries' : `exactly the delays ${list(self.delays.map(ms))}, then no more`
    case 'DecorrelatedJitter':
      return `decorrelated jitter between ${ms(self.base)} and ${ms(self.cap)}`
    case 'Intersect': {
      const counts = self.policies.flatMap((p) => (p._tag === 'Recurs' ? [p.times] : []))
      const others = self.policies.filter((p) => p._tag !== 'Recurs')
      const limit = counts.length > 0 ? `at most ${plural(Math.min(...counts))}` : ''
      const timing =
        others.length === 0
          ? ''
          : others.length === 1 && others[0] !== undefined
            ? summary(others[0])
            : `the longest delay of (${others.map(summary).join('; ')}), while all of them go on`
      return timing === '' ? `${limit} with no delay` : limit === '' ? timing : `${timing}, ${limit}`
    }
    case 'Union':
      return `the shortest delay of (${self.policies.map(summary).join('; ')}), while any of them goes on`
    case 'AndThen':
      return self.policies.map((p, i) => (i === 0 ? `first ${summary(p)}` : `then ${summary(p)}`)).join('; ')
    case 'Jitter':
      return `${inner(self.of)}, ${jitterPhrase(self.jitter)}`
    case 'Cap':
      return `${inner(self.of)}, each delay capped at ${ms(self.max)}`
    case 'UpTo':
      return `${inner(self.of)}, ${deadlinePhrase(self.duration)}`
    case 'Shorthand':
      return summaryOfShorthand(self)
  }
}

/**
 * Options of {@link describe}.
 *
 * @example
 * import { Policy } from 'fp-ts-retry'
 *
 * const options: Policy.DescribeOptions<Error> = { steps: 5, seed: 42, input: new Error('503') }
 *
 * @since 0.1.0
 * @category utils
 */
export interface DescribeOptions<In> {
  /** How many failed attempts to simulate (default 10, at most 1000). */
  readonly steps?: number | undefined
  /** The seed of the random source used for jitter (default 1). */
  readonly seed?: number | undefined
  /** The error fed to the schedule at each simulated failure (default `undefined`). */
  readonly input?: In | undefined
}

/**
 * One paragraph for logs and for people reading configs: what the policy
 * does in words, then its first delays (simulated purely with a seeded random
 * source) and whether it gives up within `steps` failures. A plain
 * {@link S.Schedule} is opaque: only its delays and ending can be shown.
 * Never throws.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { Policy, Schedule } from 'fp-ts-retry'
 *
 * E.map((p: Policy.Policy) => Policy.describe(p))(Policy.decode({ retries: 3, base: '100ms' }))
 * // => right('Exponential backoff from 100ms, doubling at each retry, at most 3 retries. With random seed 1, its delays are 100ms, 200ms and 400ms, and it gives up after 3 retries.')
 *
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
  if (self._tag === 'Schedule') return `An opaque schedule: only its behaviour can be shown. ${preview(self, options)}`
  try {
    const text = summary(self).replace(/^\(?[a-z]/, (start) => start.toUpperCase())
    return `${text}. ${preview(toSchedule(self), options)}`
  } catch (error) {
    return `An invalid policy (${error instanceof Error ? error.message : 'it threw'}).`
  }
}

/** "a", "a and b", "a, b and c". */
const list = (items: ReadonlyArray<string>): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`

/** "1 retry", "3 retries". */
const plural = (n: number): string => `${n} ${n === 1 ? 'retry' : 'retries'}`

/**
 * The sentence that shows what any schedule does: its first delays, stepped
 * purely with a seeded random source, and whether it ends within `steps`
 * failures. Never throws: a schedule that throws when stepped with `input`
 * is reported as such. {@link describe} ends with it.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Policy, Schedule } from 'fp-ts-retry'
 *
 * Policy.preview(pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(2))))
 * // => 'With random seed 1, its delays are 100ms and 200ms, and it gives up after 2 retries.'
 *
 * @since 0.2.0
 * @category utils
 */
export const preview = <In>(schedule: S.Schedule<In, unknown>, options?: DescribeOptions<In>): string => {
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
  const shown = `With random seed ${seed}, its ${which} ${list(delays)}`
  return ended
    ? `${shown}, and it gives up after ${plural(delays.length)}.`
    : `${shown}, and it is still retrying after ${steps} ${steps === 1 ? 'failure' : 'failures'}.`
}
