/**
 * gRPC interop: reads the `retryPolicy` of a gRPC service config (gRFC A6)
 * into the equivalent schedule and a predicate over status codes, validated as
 * the gRPC specification requires.
 *
 * Retry `n` waits `min(initialBackoff * backoffMultiplier^(n-1), maxBackoff)`
 * times a random factor in `[0.8, 1.2)`, as the current text of gRFC A6
 * says, so a delay may fall slightly below `initialBackoff` or above
 * `maxBackoff`; `maxAttempts` counts the first attempt, and values above 5
 * are treated as 5, as gRPC clients do. Server pushback
 * (`grpc-retry-pushback-ms`, see {@link pushbackOf}) and retry throttling
 * (`retryThrottling`, see {@link throttle}) follow A6 too.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * const policy = Grpc.decode({
 *   maxAttempts: 4,
 *   initialBackoff: '0.1s',
 *   maxBackoff: '1s',
 *   backoffMultiplier: 2,
 *   retryableStatusCodes: ['UNAVAILABLE'],
 * })
 * E.map((p: Grpc.RetryPolicy) => Grpc.isRetryable(p)(14))(policy)
 * // => right(true)
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import type { IO } from 'fp-ts/IO'
import * as O from 'fp-ts/Option'
import type { Predicate } from 'fp-ts/Predicate'
import type { ReadonlyNonEmptyArray } from 'fp-ts/ReadonlyNonEmptyArray'
import * as t from 'io-ts'
import * as Budget from './Budget'
import type { Duration } from './Duration'
import { format } from './Duration'
import * as D from './internal/decoder'
import { sanitize, unitDraw } from './internal/delay'
import { preview } from './Policy'
import type { DescribeOptions, PolicyError } from './Policy'
import * as S from './Schedule'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The gRPC status codes by name.
 *
 * @example
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * Grpc.STATUS_CODES.UNAVAILABLE
 * // => 14
 *
 * @since 0.1.0
 * @category model
 */
export const STATUS_CODES = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const

/**
 * The name of a gRPC status code, such as `"UNAVAILABLE"`.
 *
 * @since 0.1.0
 * @category model
 */
export type StatusName = keyof typeof STATUS_CODES

/**
 * A validated gRPC `retryPolicy`. Durations keep their spelling; status
 * codes are held by their upper-case name (numbers and lower-case names in
 * the JSON are turned into names).
 *
 * @since 0.1.0
 * @category model
 */
export interface RetryPolicy {
  /** All attempts, the first one included: at least 2; above {@link MAX_ATTEMPTS} it counts as {@link MAX_ATTEMPTS}. */
  readonly maxAttempts: number
  /** The bound of the first retry's delay: greater than zero. */
  readonly initialBackoff: Duration
  /** The bound no delay exceeds: greater than zero. */
  readonly maxBackoff: Duration
  /** The growth of the bound at each retry: greater than zero (below 1 it shrinks). */
  readonly backoffMultiplier: number
  /** The status codes worth a retry: never empty. */
  readonly retryableStatusCodes: ReadonlyNonEmptyArray<StatusName>
}

/**
 * A gRPC `retryPolicy` as written in a service config.
 *
 * @since 0.1.0
 * @category model
 */
export interface RetryPolicyJson {
  readonly maxAttempts: number
  readonly initialBackoff: string
  readonly maxBackoff: string
  readonly backoffMultiplier: number
  readonly retryableStatusCodes: ReadonlyArray<StatusName | number>
}

/**
 * The client-side limit on `maxAttempts` that gRPC clients apply by default:
 * larger values are treated as 5, without being an error.
 *
 * @example
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * Grpc.MAX_ATTEMPTS
 * // => 5
 *
 * @since 0.1.0
 * @category model
 */
export const MAX_ATTEMPTS = 5

/**
 * A validated gRPC `retryThrottling` config (gRFC A6), the same shape as its
 * JSON: `maxTokens` an integer in (0, 1000], `tokenRatio` a number greater
 * than 0 whose decimal places beyond 3 are ignored (0.5466 counts as 0.546).
 *
 * @since 0.2.0
 * @category model
 */
export interface RetryThrottling {
  /** The tokens when full, and at the start: an integer in (0, 1000]. */
  readonly maxTokens: number
  /** The tokens a successful RPC adds: greater than 0, counted to 3 decimal places. */
  readonly tokenRatio: number
}

/**
 * What a server's pushback (the `grpc-retry-pushback-ms` metadata of a
 * failed RPC) asks for: `RetryIn`, a retry after exactly `millis` ms, after
 * which the backoff restarts from `initialBackoff`; or `DontRetry`, when the
 * value is negative or unparsable (`value` is what the server sent).
 *
 * @since 0.2.0
 * @category model
 */
export type Pushback =
  { readonly _tag: 'RetryIn'; readonly millis: number } | { readonly _tag: 'DontRetry'; readonly value: string }

/**
 * The metadata key by which a server pushes back (gRFC A6).
 *
 * @example
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * Grpc.PUSHBACK_KEY
 * // => 'grpc-retry-pushback-ms'
 *
 * @since 0.2.0
 * @category model
 */
export const PUSHBACK_KEY = 'grpc-retry-pushback-ms'

/**
 * Options of {@link toSchedule}.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as O from 'fp-ts/Option'
 * import { Schedule } from 'fp-ts-retry'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * // errors that carry their pushback already parsed
 * const options: Grpc.ScheduleOptions = {
 *   pushback: (e) => (e as { pushback?: O.Option<Grpc.Pushback> }).pushback ?? O.none,
 * }
 * const json = {
 *   maxAttempts: 4, initialBackoff: '.1s', maxBackoff: '1s', backoffMultiplier: 2,
 *   retryableStatusCodes: [14],
 * }
 * const later = { pushback: O.some({ _tag: 'RetryIn', millis: 250 }) }
 * const never = { pushback: O.some({ _tag: 'DontRetry', value: '-1' }) }
 * E.map((p: Grpc.RetryPolicy) => Schedule.simulate(Grpc.toSchedule(p, options), [later, never]))(Grpc.decode(json))
 * // => right([250])
 * // (the first failure's pushback sets the delay, the second's stops the retries)
 *
 * @since 0.2.0
 * @category model
 */
export interface ScheduleOptions {
  /** The server pushback a failure carries (default {@link pushbackOf}: the `grpc-retry-pushback-ms` entry of its `metadata`). */
  readonly pushback?: ((error: unknown) => O.Option<Pushback>) | undefined
}

// -------------------------------------------------------------------------------------
// decoding
// -------------------------------------------------------------------------------------

const NAMES = Object.keys(STATUS_CODES) as ReadonlyArray<StatusName>
const LONGEST_NAME = Math.max(...NAMES.map((n) => n.length))
const KEYS = ['maxAttempts', 'initialBackoff', 'maxBackoff', 'backoffMultiplier', 'retryableStatusCodes']
const PROTO_DURATION = /^(-?)(\d*)(?:\.(\d{1,9}))?s$/
const DURATION_EXPECTED = 'a duration greater than zero, in seconds with an "s", such as "0.1s" or "1.5s"'

const duration: D.Decoder<Duration> = (value, path) => {
  const match = typeof value === 'string' ? PROTO_DURATION.exec(value) : null
  const [text, sign, whole = '', fraction = ''] = match ?? []
  const millis = (Number(`${whole}${fraction}` || '0') * 1000) / 10 ** fraction.length
  return text !== undefined && sign === '' && millis > 0 && Number.isFinite(millis)
    ? E.right({ _tag: 'Duration', millis, spelling: text })
    : D.expected(path, DURATION_EXPECTED, value)
}

const statusCode: D.Decoder<StatusName> = (value, path) => {
  if (typeof value === 'number' && Number.isInteger(value)) {
    const name = NAMES[value]
    if (name !== undefined) return E.right(name)
  }
  // gRFC A6: a code is written "in the integer form or the case-insensitive string form". Upper-casing never
  // shortens a string, so text longer than twice the longest name can be no name: it is refused without being
  // upper-cased or compared, in constant time however long it is (D.closest bounds the suggestion the same way)
  const upper = typeof value === 'string' && value.length <= 2 * LONGEST_NAME ? value.toUpperCase() : undefined
  const name = upper === undefined ? undefined : NAMES.find((n) => n === upper)
  if (name !== undefined) return E.right(name)
  const guess = upper === undefined ? { _tag: 'None' as const } : D.closest(upper, NAMES)
  const hint = guess._tag === 'Some' ? ` (did you mean ${JSON.stringify(guess.value)}?)` : ''
  return D.fail(
    path,
    `expected a status code name such as "UNAVAILABLE" or a number from 0 to 16, got ${D.show(value)}${hint}`,
  )
}

const statusCodes: D.Decoder<ReadonlyNonEmptyArray<StatusName>> = (value, path) =>
  Array.isArray(value) && value.length > 0
    ? (D.all(value.map((item: unknown, i) => statusCode(item, D.index(path, i)))) as D.Result<
        ReadonlyNonEmptyArray<StatusName>
      >)
    : D.expected(path, 'a non-empty array of status codes', value)

const retryPolicy: D.Decoder<RetryPolicy> = (value, path) => {
  if (!D.isRecord(value)) {
    return D.expected(path, `a gRPC retryPolicy (an object with the keys ${D.oneOf(KEYS, 'and')})`, value)
  }
  const fields = D.struct({
    maxAttempts: D.required(
      value,
      'maxAttempts',
      path,
      'an integer >= 2',
      D.integerAtLeast(2, 'an integer >= 2 (it counts the first attempt)'),
    ),
    initialBackoff: D.required(value, 'initialBackoff', path, DURATION_EXPECTED, duration),
    maxBackoff: D.required(value, 'maxBackoff', path, DURATION_EXPECTED, duration),
    backoffMultiplier: D.required(value, 'backoffMultiplier', path, 'a number greater than 0', D.positiveNumber),
    retryableStatusCodes: D.required(
      value,
      'retryableStatusCodes',
      path,
      'a non-empty array of status codes',
      statusCodes,
    ),
  })
  return D.exact(value, path, KEYS, fields)
}

const decodeAt = (input: unknown, root: string): D.Result<RetryPolicy> => D.guarded(retryPolicy)(input, root)

/**
 * Reads a gRPC `retryPolicy` from untrusted input. Never throws: `Left`
 * holds one readable message per problem. As gRFC A6 requires: `maxAttempts`
 * an integer >= 2, `initialBackoff` and `maxBackoff` protobuf durations
 * (`"0.1s"`) greater than zero, `backoffMultiplier` greater than zero,
 * `retryableStatusCodes` non-empty, with names in any case (`"UNAVAILABLE"`,
 * `"unavailable"`) or numbers (0 to 16). Unknown keys are refused.
 *
 * @example
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * Grpc.decode({ maxAttempts: 1, initialBackoff: '0.1s', maxBackoff: '1s', backoffMultiplier: 2, retryableStatusCodes: [] })
 * // => left({ _tag: 'PolicyError', messages: [
 * //   'at retryPolicy.maxAttempts: expected an integer >= 2 (it counts the first attempt), got 1',
 * //   'at retryPolicy.retryableStatusCodes: expected a non-empty array of status codes, got []',
 * // ] })
 *
 * @since 0.1.0
 * @category constructors
 */
export const decode = (input: unknown): E.Either<PolicyError, RetryPolicy> =>
  E.mapLeft((messages: ReadonlyNonEmptyArray<string>): PolicyError => ({ _tag: 'PolicyError', messages }))(
    decodeAt(input, 'retryPolicy'),
  )

/**
 * Writes a policy back as a gRPC `retryPolicy`: durations in their original
 * spelling, status codes by name.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * const json = { maxAttempts: 3, initialBackoff: '.5s', maxBackoff: '5s', backoffMultiplier: 1.5, retryableStatusCodes: [14] }
 * E.map(Grpc.encode)(Grpc.decode(json))
 * // => right({ ...json, retryableStatusCodes: ['UNAVAILABLE'] })
 *
 * @since 0.1.0
 * @category utils
 */
export const encode = (self: RetryPolicy): RetryPolicyJson => ({
  maxAttempts: self.maxAttempts,
  initialBackoff: String(self.initialBackoff.spelling),
  maxBackoff: String(self.maxBackoff.spelling),
  backoffMultiplier: self.backoffMultiplier,
  retryableStatusCodes: self.retryableStatusCodes,
})

const isDuration = (u: unknown): u is Duration =>
  D.isRecord(u) && u._tag === 'Duration' && E.exists((d: Duration) => d.millis === u.millis)(duration(u.spelling, ''))

/**
 * The io-ts codec of gRPC retry policies, for embedding in a bigger config
 * codec. Its errors carry the readable messages.
 *
 * @example
 * import * as t from 'io-ts'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * const MethodConfig = t.type({ retryPolicy: Grpc.codec })
 *
 * @since 0.1.0
 * @category utils
 */
export const codec: t.Type<RetryPolicy, RetryPolicyJson, unknown> = new t.Type<RetryPolicy, RetryPolicyJson, unknown>(
  'GrpcRetryPolicy',
  (u): u is RetryPolicy =>
    D.isRecord(u) &&
    typeof u.maxAttempts === 'number' &&
    Number.isSafeInteger(u.maxAttempts) &&
    u.maxAttempts >= 2 &&
    isDuration(u.initialBackoff) &&
    isDuration(u.maxBackoff) &&
    typeof u.backoffMultiplier === 'number' &&
    Number.isFinite(u.backoffMultiplier) &&
    u.backoffMultiplier > 0 &&
    Array.isArray(u.retryableStatusCodes) &&
    u.retryableStatusCodes.length > 0 &&
    u.retryableStatusCodes.every((c) => (NAMES as ReadonlyArray<unknown>).includes(c)),
  (u, context) => D.toValidation(decodeAt(u, D.rootOf(context, 'retryPolicy')), u, context),
  encode,
)

const THROTTLING_KEYS = ['maxTokens', 'tokenRatio']
const MAX_TOKENS_EXPECTED = 'an integer greater than 0 and at most 1000'
const TOKEN_RATIO_EXPECTED = 'a number greater than 0, at least 0.001 (decimal places beyond 3 are ignored)'
/** The smallest `tokenRatio` that is not 0 once its decimal places beyond 3 are ignored. */
const MIN_TOKEN_RATIO = 0.001

const maxTokens: D.Decoder<number> = (value, path) =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 1000
    ? E.right(value)
    : D.expected(path, MAX_TOKENS_EXPECTED, value)

const tokenRatio: D.Decoder<number> = (value, path) =>
  typeof value === 'number' && Number.isFinite(value) && value >= MIN_TOKEN_RATIO
    ? E.right(value)
    : D.expected(path, TOKEN_RATIO_EXPECTED, value)

const retryThrottling: D.Decoder<RetryThrottling> = (value, path) => {
  if (!D.isRecord(value)) {
    return D.expected(
      path,
      `a gRPC retryThrottling (an object with the keys ${D.oneOf(THROTTLING_KEYS, 'and')})`,
      value,
    )
  }
  const fields = D.struct({
    maxTokens: D.required(value, 'maxTokens', path, MAX_TOKENS_EXPECTED, maxTokens),
    tokenRatio: D.required(value, 'tokenRatio', path, TOKEN_RATIO_EXPECTED, tokenRatio),
  })
  return D.exact(value, path, THROTTLING_KEYS, fields)
}

const decodeThrottlingAt = (input: unknown, root: string): D.Result<RetryThrottling> =>
  D.guarded(retryThrottling)(input, root)

/**
 * Reads a gRPC `retryThrottling` config from untrusted input. Never throws:
 * `Left` holds one readable message per problem. As gRFC A6 requires:
 * `maxTokens` an integer in (0, 1000], `tokenRatio` a number greater than 0.
 * Its decimal places beyond 3 are ignored, so a ratio below 0.001 (which
 * would count as 0) is refused too. Unknown keys are refused.
 *
 * @example
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * Grpc.decodeThrottling({ maxTokens: 1001, tokenRatio: 0 })
 * // => left({ _tag: 'PolicyError', messages: [
 * //   'at retryThrottling.maxTokens: expected an integer greater than 0 and at most 1000, got 1001',
 * //   'at retryThrottling.tokenRatio: expected a number greater than 0, at least 0.001 (decimal places beyond 3 are ignored), got 0',
 * // ] })
 *
 * @since 0.2.0
 * @category constructors
 */
export const decodeThrottling = (input: unknown): E.Either<PolicyError, RetryThrottling> =>
  E.mapLeft((messages: ReadonlyNonEmptyArray<string>): PolicyError => ({ _tag: 'PolicyError', messages }))(
    decodeThrottlingAt(input, 'retryThrottling'),
  )

/**
 * The io-ts codec of gRPC `retryThrottling` configs, for embedding in a
 * service config codec. Its errors carry the readable messages.
 *
 * @example
 * import * as t from 'io-ts'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * const ServiceConfig = t.partial({ retryThrottling: Grpc.throttlingCodec })
 *
 * @since 0.2.0
 * @category utils
 */
export const throttlingCodec: t.Type<RetryThrottling, RetryThrottling, unknown> = new t.Type<
  RetryThrottling,
  RetryThrottling,
  unknown
>(
  'GrpcRetryThrottling',
  (u): u is RetryThrottling => E.isRight(decodeThrottlingAt(u, '')),
  (u, context) => D.toValidation(decodeThrottlingAt(u, D.rootOf(context, 'retryThrottling')), u, context),
  (a) => ({ maxTokens: a.maxTokens, tokenRatio: a.tokenRatio }),
)

// -------------------------------------------------------------------------------------
// running
// -------------------------------------------------------------------------------------

/**
 * The number of retries a policy grants: `min(maxAttempts, 5) - 1`.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * const json = { maxAttempts: 10, initialBackoff: '1s', maxBackoff: '5s', backoffMultiplier: 2, retryableStatusCodes: ['UNAVAILABLE'] }
 * E.map(Grpc.retries)(Grpc.decode(json))
 * // => right(4)
 *
 * @since 0.1.0
 * @category utils
 */
export const retries = (self: RetryPolicy): number => Math.min(self.maxAttempts, MAX_ATTEMPTS) - 1

/** The jitter of gRFC A6: each backoff is multiplied by `random(0.8, 1.2)`, that is `0.8 + 0.4 * r` for r in [0, 1). */
const JITTER_MIN = 0.8
const JITTER_SPREAD = 0.4

/**
 * The schedule gRPC clients follow for this policy (gRFC A6): retry `n`
 * (from 1) waits `min(initialBackoff * backoffMultiplier^(n-1), maxBackoff)`
 * times a random factor in `[0.8, 1.2)`, so a delay may fall slightly below
 * `initialBackoff` or above `maxBackoff`, for `min(maxAttempts, 5) - 1`
 * retries. A multiplier below 1 shrinks the delay at each retry. Outputs
 * the retry number, from 0.
 *
 * Server pushback, read from each failure by `options.pushback` (default
 * {@link pushbackOf}): `RetryIn` makes the next retry wait exactly that many
 * ms, after which the backoff restarts from `initialBackoff` (`n` counts
 * from the last pushback); `DontRetry` ends the retries. A pushback never
 * grants a retry beyond `maxAttempts`.
 *
 * It retries whatever the status: combine it with {@link isRetryable} to
 * retry only the retryable status codes.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { Random, Schedule } from 'fp-ts-retry'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * const json = { maxAttempts: 4, initialBackoff: '.1s', maxBackoff: '1s', backoffMultiplier: 2, retryableStatusCodes: ['UNAVAILABLE'] }
 * E.map((p: Grpc.RetryPolicy) => Schedule.simulate(Grpc.toSchedule(p), [14, 14, 14, 14], { random: Random.constant(0.5) }))(Grpc.decode(json))
 * // => right([100, 200, 400])
 * // (a draw of 0.5 is the factor 1 of [0.8, 1.2): another draw puts each delay within 0.8 to 1.2 times its own)
 * const pushedBack = { code: 14, metadata: { 'grpc-retry-pushback-ms': '3000' } }
 * E.map((p: Grpc.RetryPolicy) => Schedule.simulate(Grpc.toSchedule(p), [14, pushedBack, 14], { random: Random.constant(0.5) }))(Grpc.decode(json))
 * // => right([100, 3000, 100])
 *
 * @since 0.1.0
 * @category running
 */
export const toSchedule = (self: RetryPolicy, options?: ScheduleOptions): S.Schedule<unknown, number> => {
  const limit = retries(self)
  const initial = self.initialBackoff.millis
  const cap = self.maxBackoff.millis
  const multiplier = self.backoffMultiplier
  const pushback = options?.pushback ?? pushbackOf
  // `bound`: the backoff of the next retry without pushback, before the cap and the jitter
  return S.make({ n: 0, bound: initial }, ({ n, bound }: { n: number; bound: number }, error: unknown, ctx) => {
    if (n >= limit) return { _tag: 'Done', out: n }
    const pushed = pushback(error)
    if (O.isSome(pushed)) {
      return pushed.value._tag === 'DontRetry'
        ? { _tag: 'Done', out: n }
        : { _tag: 'Continue', delay: sanitize(pushed.value.millis), out: n, state: { n: n + 1, bound: initial } }
    }
    const delay = sanitize(Math.min(bound, cap) * (JITTER_MIN + JITTER_SPREAD * unitDraw(ctx.random)))
    return { _tag: 'Continue', delay, out: n, state: { n: n + 1, bound: sanitize(bound * multiplier) } }
  })
}

/**
 * Whether a status code (a number or a name, in any case) is one the policy retries.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * type RpcError = { code: number; details: string }
 * const json = { maxAttempts: 3, initialBackoff: '.1s', maxBackoff: '1s', backoffMultiplier: 2, retryableStatusCodes: ['UNAVAILABLE'] }
 * const schedule = E.map((p: Grpc.RetryPolicy) =>
 *   pipe(Grpc.toSchedule(p), Schedule.whileInput((e: RpcError) => Grpc.isRetryable(p)(e.code))),
 * )(Grpc.decode(json))
 *
 * @since 0.1.0
 * @category conditions
 */
export const isRetryable =
  (self: RetryPolicy): Predicate<number | string> =>
  (code) =>
    typeof code === 'number'
      ? self.retryableStatusCodes.some((name) => STATUS_CODES[name] === code)
      : self.retryableStatusCodes.includes(code.toUpperCase() as StatusName)

/**
 * One paragraph about a gRPC retry policy, for logs and people: its meaning
 * in words, then its first delays, simulated with a seeded random source.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * const json = { maxAttempts: 4, initialBackoff: '.1s', maxBackoff: '1s', backoffMultiplier: 2, retryableStatusCodes: ['UNAVAILABLE'] }
 * E.map(Grpc.describe)(Grpc.decode(json))
 * // => right(
 * //   'gRPC retry policy: up to 3 retries (maxAttempts 4) on UNAVAILABLE; ' +
 * //     'retry n waits min(100ms × 2^(n-1), 1s) times a random factor between 0.8 and 1.2; ' +
 * //     'a server pushback sets the next delay (the backoff then restarts) or stops the retries. ' +
 * //     'With random seed 1, its delays are 105.1ms, 160.2ms and 404.4ms, and it gives up after 3 retries.',
 * // )
 *
 * @since 0.1.0
 * @category utils
 */
export const describe = (self: RetryPolicy, options?: DescribeOptions<unknown>): string => {
  const n = retries(self)
  const capped = self.maxAttempts > MAX_ATTEMPTS ? `, treated as ${MAX_ATTEMPTS}` : ''
  const codes = D.oneOf(self.retryableStatusCodes).replaceAll('"', '')
  const growth = `${format(self.initialBackoff.millis)} × ${self.backoffMultiplier}^(n-1)`
  return pipe(
    `gRPC retry policy: up to ${n} ${n === 1 ? 'retry' : 'retries'} (maxAttempts ${self.maxAttempts}${capped}) on ${codes}; ` +
      `retry n waits min(${growth}, ${format(self.maxBackoff.millis)}) times a random factor between 0.8 and 1.2; ` +
      'a server pushback sets the next delay (the backoff then restarts) or stops the retries.',
    (text) => `${text} ${preview(toSchedule(self), options)}`,
  )
}

// -------------------------------------------------------------------------------------
// server pushback and retry throttling
// -------------------------------------------------------------------------------------

/** gRFC A6: "an ASCII encoded signed 32-bit integer with no unnecessary leading zeros". */
const PUSHBACK_VALUE = /^(?:0|-?[1-9]\d{0,9})$/
const INT32_MAX = 2 ** 31 - 1
const PUSHBACK_MAX_LENGTH = 11

/**
 * Reads one `grpc-retry-pushback-ms` value as gRFC A6 defines it: an ASCII
 * signed 32-bit integer with no unnecessary leading zeros (nor a sign on 0,
 * a `+` or spaces). A value `n >= 0` is `RetryIn` `n` ms; a negative or
 * unparsable value is `DontRetry`, the server asking the client not to retry
 * at all. Never throws; linear in the length of the value.
 *
 * @example
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * ['250', '0', '-1', '007', '1.5', 'soon', '2147483648'].map(Grpc.parsePushback)
 * // => [{ _tag: 'RetryIn', millis: 250 }, { _tag: 'RetryIn', millis: 0 }, { _tag: 'DontRetry', value: '-1' },
 * //     { _tag: 'DontRetry', value: '007' }, { _tag: 'DontRetry', value: '1.5' }, { _tag: 'DontRetry', value: 'soon' },
 * //     { _tag: 'DontRetry', value: '2147483648' }]
 *
 * @since 0.2.0
 * @category utils
 */
export const parsePushback = (value: string): Pushback => {
  // the longest valid value, "-2147483648", has 11 characters: a longer one is refused unread
  const n =
    typeof value === 'string' && value.length <= PUSHBACK_MAX_LENGTH && PUSHBACK_VALUE.test(value) ? Number(value) : NaN
  return n >= 0 && n <= INT32_MAX ? { _tag: 'RetryIn', millis: n } : { _tag: 'DontRetry', value: String(value) }
}

/** The values of `key` in a metadata object: grpc-js `Metadata` (`get` returns an array), a `Headers` (`get` returns a string or null), or a plain record. */
const metadataValues = (metadata: unknown, key: string): ReadonlyArray<unknown> | undefined => {
  if (typeof metadata !== 'object' || metadata === null) return undefined
  const get = (metadata as { readonly get?: unknown }).get
  const found =
    typeof get === 'function'
      ? (get as (k: string) => unknown).call(metadata, key)
      : (metadata as Readonly<Record<string, unknown>>)[key]
  if (found === undefined || found === null) return undefined
  const values: ReadonlyArray<unknown> = Array.isArray(found) ? found : [found]
  return values.length === 0 ? undefined : values
}

/**
 * The server pushback a failed RPC carries: its `metadata` entry
 * `grpc-retry-pushback-ms`, read from a grpc-js `Metadata` (the `metadata`
 * of a `ServiceError`), a `Headers` (Connect's `ConnectError`), or a plain
 * record. `none` when there is no such entry; otherwise
 * {@link parsePushback} of its value, and `DontRetry` when the server sent
 * several values. Accepts any value and never throws (unreadable metadata
 * reads as `none`). The default pushback reader of {@link toSchedule}.
 *
 * @example
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * Grpc.pushbackOf({ code: 14, metadata: { 'grpc-retry-pushback-ms': '500' } })
 * // => some({ _tag: 'RetryIn', millis: 500 })
 * Grpc.pushbackOf({ code: 14, metadata: { 'grpc-retry-pushback-ms': 'later' } })
 * // => some({ _tag: 'DontRetry', value: 'later' })
 * Grpc.pushbackOf({ code: 14 })
 * // => none
 *
 * @since 0.2.0
 * @category utils
 */
export const pushbackOf = (error: unknown): O.Option<Pushback> => {
  if (typeof error !== 'object' || error === null) return O.none
  try {
    const values = metadataValues((error as { readonly metadata?: unknown }).metadata, PUSHBACK_KEY)
    if (values === undefined) return O.none
    const [only] = values
    if (values.length > 1) return O.some({ _tag: 'DontRetry', value: values.map(String).join(', ') })
    return O.some(typeof only === 'string' ? parsePushback(only) : { _tag: 'DontRetry', value: String(only) })
  } catch {
    return O.none
  }
}

const LONGEST_STATUS = Math.max(...Object.keys(STATUS_CODES).map((name) => name.length))

/** The status code of a failed RPC: its `code`, a number (grpc-js, Connect) or a name. */
const statusOf = (error: unknown): number | string | undefined => {
  if (typeof error !== 'object' || error === null) return undefined
  try {
    const code = (error as { readonly code?: unknown }).code
    return typeof code === 'number' || (typeof code === 'string' && code.length <= LONGEST_STATUS) ? code : undefined
  } catch {
    return undefined
  }
}

/**
 * Whether a failed RPC counts as a failure for gRPC retry throttling (gRFC
 * A6): "the only RPCs that are counted as failures for the throttling policy
 * are RPCs that fail with a status code that qualifies as a retryable [...]
 * status code, or that receive a pushback response indicating not to
 * retry". The status is the error's `code` (a number, as in grpc-js's
 * `ServiceError` and Connect's `ConnectError`, or a name in any case); the
 * pushback is read by {@link pushbackOf}. Accepts any value and never
 * throws. `INVALID_ARGUMENT` and other non-retryable failures do not count.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * const json = { maxAttempts: 3, initialBackoff: '.1s', maxBackoff: '1s', backoffMultiplier: 2, retryableStatusCodes: ['UNAVAILABLE'] }
 * E.map((p: Grpc.RetryPolicy) => [{ code: 14 }, { code: 3 }, { code: 3, metadata: { 'grpc-retry-pushback-ms': '-1' } }].map(Grpc.isThrottlingFailure(p)))(Grpc.decode(json))
 * // => right([true, false, true])
 *
 * @since 0.2.0
 * @category conditions
 */
export const isThrottlingFailure =
  (self: RetryPolicy): Predicate<unknown> =>
  (error) => {
    const pushed = pushbackOf(error)
    if (O.isSome(pushed) && pushed.value._tag === 'DontRetry') return true
    const code = statusOf(error)
    return code !== undefined && isRetryable(self)(code)
  }

/**
 * The retry throttle of a gRPC `retryThrottling` config (gRFC A6), for the
 * `budget` option of the retry driver: `maxTokens` tokens; every failed RPC
 * that {@link isThrottlingFailure} under `policy` removes 1 (other failures,
 * such as `INVALID_ARGUMENT`, remove nothing); every success adds
 * `tokenRatio`, counted to 3 decimal places (0.5466 adds 0.546); no retry
 * while the tokens are at or below `maxTokens / 2`. See `Budget.throttle`.
 * Create it once per server name and share it across that server's methods.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { Budget } from 'fp-ts-retry'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * const json = { maxAttempts: 3, initialBackoff: '.1s', maxBackoff: '1s', backoffMultiplier: 2, retryableStatusCodes: ['UNAVAILABLE'] }
 * const budget = E.map((p: Grpc.RetryPolicy) => Grpc.throttle({ maxTokens: 10, tokenRatio: 0.1 }, p)())(Grpc.decode(json))
 * E.map((b: Budget.Budget) => (b.recordFailure({ code: 3 }), b.recordFailure({ code: 14 }), b.tokens()))(budget)
 * // => right(9)
 *
 * @since 0.2.0
 * @category constructors
 */
export const throttle = (config: RetryThrottling, policy: RetryPolicy): IO<Budget.Budget> =>
  Budget.throttle({
    maxTokens: config.maxTokens,
    tokenRatio: config.tokenRatio,
    isFailure: isThrottlingFailure(policy),
  })

// -------------------------------------------------------------------------------------
// hedging (gRFC A6 hedgingPolicy)
// -------------------------------------------------------------------------------------

/**
 * A validated gRPC `hedgingPolicy` (gRFC A6): send up to `maxAttempts`
 * copies of an RPC, `hedgingDelay` apart, until one succeeds; a failure with
 * a status in `nonFatalStatusCodes` sends the next copy at once, any other
 * ends the call. Status codes are held by their upper-case name.
 *
 * @since 0.2.0
 * @category model
 */
export interface HedgingPolicy {
  /** All attempts, the first one included, bounded as a retry policy's {@link RetryPolicy.maxAttempts} is. */
  readonly maxAttempts: number
  /** The time between two attempts' starts: zero or more (`"0s"`, the default, sends every attempt at once). */
  readonly hedgingDelay: Duration
  /** The status codes after which the other attempts may still succeed: never empty. */
  readonly nonFatalStatusCodes: ReadonlyNonEmptyArray<StatusName>
}

/**
 * A gRPC `hedgingPolicy` as written in a service config.
 *
 * @since 0.2.0
 * @category model
 */
export interface HedgingPolicyJson {
  readonly maxAttempts: number
  readonly hedgingDelay?: string | undefined
  readonly nonFatalStatusCodes: ReadonlyArray<StatusName | number>
}

/**
 * A hedging policy as the arguments of `Hedge.hedging`: the `schedule`
 * (`hedgingDelay` between attempts, `min(maxAttempts, 5) - 1` hedges) and
 * the options `nonFatal` (the error's `code` is a non-fatal status) and
 * `pushback` ({@link pushbackOf}). Spread it into the options, next to a
 * budget ({@link throttleHedging}) and a clock.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * const config = E.map(Grpc.toHedge)(Grpc.decodeHedging({ maxAttempts: 2, nonFatalStatusCodes: ['UNAVAILABLE'] }))
 * E.map((c: Grpc.HedgeConfig) => c.nonFatal({ code: 14 }))(config)
 * // => right(true)
 *
 * @since 0.2.0
 * @category model
 */
export interface HedgeConfig {
  readonly schedule: S.Schedule<unknown, number>
  readonly nonFatal: Predicate<unknown>
  readonly pushback: (error: unknown) => O.Option<Pushback>
}

const HEDGING_KEYS = ['maxAttempts', 'hedgingDelay', 'nonFatalStatusCodes']
const HEDGING_DELAY_EXPECTED = 'a duration of zero or more, in seconds with an "s", such as "0s" or "0.5s"'
/** The zero durations `duration` refuses (it wants more than zero): "0s", "0.0s", ".0s". */
const ZERO_DURATION = /^0*(?:\.0{1,9})?s$/
const NO_DELAY: Duration = { _tag: 'Duration', millis: 0, spelling: '0s' }

/** A protobuf duration of zero or more: the retry policy's `duration`, or a zero. */
const hedgingDelay: D.Decoder<Duration> = (value, path) => {
  const positive = duration(value, path)
  if (E.isRight(positive)) return positive
  return typeof value === 'string' && ZERO_DURATION.test(value) && /\d/.test(value)
    ? E.right({ _tag: 'Duration', millis: 0, spelling: value })
    : D.expected(path, HEDGING_DELAY_EXPECTED, value)
}

const hedgingPolicy: D.Decoder<HedgingPolicy> = (value, path) => {
  if (!D.isRecord(value)) {
    return D.expected(path, `a gRPC hedgingPolicy (an object with the keys ${D.oneOf(HEDGING_KEYS, 'and')})`, value)
  }
  const fields = D.struct({
    maxAttempts: D.required(
      value,
      'maxAttempts',
      path,
      'an integer >= 2',
      D.integerAtLeast(2, 'an integer >= 2 (it counts the first attempt)'),
    ),
    hedgingDelay: E.map(O.getOrElse(() => NO_DELAY))(D.optional(value, 'hedgingDelay', path, hedgingDelay)),
    nonFatalStatusCodes: D.required(
      value,
      'nonFatalStatusCodes',
      path,
      'a non-empty array of status codes',
      statusCodes,
    ),
  })
  return D.exact(value, path, HEDGING_KEYS, fields)
}

const decodeHedgingAt = (input: unknown, root: string): D.Result<HedgingPolicy> => D.guarded(hedgingPolicy)(input, root)

/**
 * Reads a gRPC `hedgingPolicy` from untrusted input. Never throws: `Left`
 * holds one readable message per problem. As gRFC A6 requires: `maxAttempts`
 * an integer >= 2 (above 5 it is kept, and counts as 5), `hedgingDelay` a
 * protobuf duration of zero or more (`"0.5s"`; absent means `"0s"`: every
 * attempt at once), `nonFatalStatusCodes` non-empty, with names in any case
 * or numbers (0 to 16). Unknown keys are refused.
 *
 * @example
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * Grpc.decodeHedging({ maxAttempts: 1, hedgingDelay: '-1s', nonFatalStatusCodes: ['UNAVAILABEL'] })
 * // => left({ _tag: 'PolicyError', messages: [
 * //   'at hedgingPolicy.maxAttempts: expected an integer >= 2 (it counts the first attempt), got 1',
 * //   'at hedgingPolicy.hedgingDelay: expected a duration of zero or more, in seconds with an "s", such as "0s" or "0.5s", got "-1s"',
 * //   'at hedgingPolicy.nonFatalStatusCodes[0]: expected a status code name such as "UNAVAILABLE" or a number from 0 to 16, got "UNAVAILABEL" (did you mean "UNAVAILABLE"?)',
 * // ] })
 *
 * @since 0.2.0
 * @category constructors
 */
export const decodeHedging = (input: unknown): E.Either<PolicyError, HedgingPolicy> =>
  E.mapLeft((messages: ReadonlyNonEmptyArray<string>): PolicyError => ({ _tag: 'PolicyError', messages }))(
    decodeHedgingAt(input, 'hedgingPolicy'),
  )

/**
 * Writes a hedging policy back as a gRPC `hedgingPolicy`: the delay in its
 * original spelling, status codes by name.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * E.map(Grpc.encodeHedging)(Grpc.decodeHedging({ maxAttempts: 3, hedgingDelay: '.5s', nonFatalStatusCodes: [14] }))
 * // => right({ maxAttempts: 3, hedgingDelay: '.5s', nonFatalStatusCodes: ['UNAVAILABLE'] })
 *
 * @since 0.2.0
 * @category utils
 */
export const encodeHedging = (self: HedgingPolicy): HedgingPolicyJson => ({
  maxAttempts: self.maxAttempts,
  hedgingDelay: String(self.hedgingDelay.spelling),
  nonFatalStatusCodes: self.nonFatalStatusCodes,
})

const isHedgingDelay = (u: unknown): u is Duration =>
  D.isRecord(u) &&
  u._tag === 'Duration' &&
  E.exists((d: Duration) => d.millis === u.millis)(hedgingDelay(u.spelling, ''))

/**
 * The io-ts codec of gRPC hedging policies, for embedding in a bigger
 * config codec. Its errors carry the readable messages.
 *
 * @example
 * import * as t from 'io-ts'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * const MethodConfig = t.partial({ retryPolicy: Grpc.codec, hedgingPolicy: Grpc.hedgingCodec })
 *
 * @since 0.2.0
 * @category utils
 */
export const hedgingCodec: t.Type<HedgingPolicy, HedgingPolicyJson, unknown> = new t.Type<
  HedgingPolicy,
  HedgingPolicyJson,
  unknown
>(
  'GrpcHedgingPolicy',
  (u): u is HedgingPolicy =>
    D.isRecord(u) &&
    typeof u.maxAttempts === 'number' &&
    Number.isSafeInteger(u.maxAttempts) &&
    u.maxAttempts >= 2 &&
    isHedgingDelay(u.hedgingDelay) &&
    Array.isArray(u.nonFatalStatusCodes) &&
    u.nonFatalStatusCodes.length > 0 &&
    u.nonFatalStatusCodes.every((c) => (NAMES as ReadonlyArray<unknown>).includes(c)),
  (u, context) => D.toValidation(decodeHedgingAt(u, D.rootOf(context, 'hedgingPolicy')), u, context),
  encodeHedging,
)

/**
 * The number of hedges a policy grants: `min(maxAttempts, 5) - 1`.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * E.map(Grpc.hedges)(Grpc.decodeHedging({ maxAttempts: 10, hedgingDelay: '1s', nonFatalStatusCodes: ['UNAVAILABLE'] }))
 * // => right(4)
 *
 * @since 0.2.0
 * @category utils
 */
export const hedges = (self: HedgingPolicy): number => Math.min(self.maxAttempts, MAX_ATTEMPTS) - 1

/**
 * Whether a status code (a number or a name, in any case) is one of the
 * policy's `nonFatalStatusCodes`.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * const policy = Grpc.decodeHedging({ maxAttempts: 2, nonFatalStatusCodes: ['UNAVAILABLE'] })
 * E.map((p: Grpc.HedgingPolicy) => [14, 'unavailable', 3].map(Grpc.isNonFatal(p)))(policy)
 * // => right([true, true, false])
 *
 * @since 0.2.0
 * @category conditions
 */
export const isNonFatal =
  (self: HedgingPolicy): Predicate<number | string> =>
  (code) =>
    typeof code === 'number'
      ? self.nonFatalStatusCodes.some((name) => STATUS_CODES[name] === code)
      : self.nonFatalStatusCodes.includes(code.toUpperCase() as StatusName)

/**
 * The `Hedge.hedging` configuration of a hedging policy, as gRFC A6 runs
 * it: the first attempt at once, then one every `hedgingDelay`, up to
 * `min(maxAttempts, 5)` in all; a failure whose `code` (a number or a name,
 * as in grpc-js's `ServiceError` and Connect's `ConnectError`) is non-fatal
 * sends the next attempt at once, any other failure ends the call and
 * cancels the rest; a server pushback ({@link pushbackOf}) sends the next
 * attempt after its delay, or no further one. Failures with no status (a
 * `Timeout.TimeoutError`) are fatal: widen `nonFatal` to hedge past them.
 * For A6's throttling, pass {@link throttleHedging} as the `budget`; for
 * its deadline, a `Timeout.timeout` around the hedged call.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Hedge, Schedule } from 'fp-ts-retry'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * type RpcError = { readonly code: number; readonly details: string }
 * const getFeature: TE.TaskEither<RpcError, string> = TE.right('feature')
 *
 * const json = { maxAttempts: 3, hedgingDelay: '0.05s', nonFatalStatusCodes: ['UNAVAILABLE'] }
 * const hedged = E.map((p: Grpc.HedgingPolicy) => {
 *   const { schedule, ...options } = Grpc.toHedge(p)
 *   return pipe(getFeature, Hedge.hedging(schedule, options))
 * })(Grpc.decodeHedging(json))
 * E.map((p: Grpc.HedgingPolicy) => Schedule.simulate(Grpc.toHedge(p).schedule, [0, 0, 0]))(Grpc.decodeHedging(json))
 * // => right([50, 50])
 *
 * @since 0.2.0
 * @category running
 */
export const toHedge = (self: HedgingPolicy): HedgeConfig => {
  const limit = hedges(self)
  const delay = self.hedgingDelay.millis
  const nonFatal = isNonFatal(self)
  return {
    schedule: S.make(0, (n: number) =>
      n < limit ? { _tag: 'Continue', delay, out: n, state: n + 1 } : { _tag: 'Done', out: n },
    ),
    nonFatal: (error) => {
      const code = statusOf(error)
      return code !== undefined && nonFatal(code)
    },
    pushback: pushbackOf,
  }
}

/**
 * The retry throttle of a gRPC `retryThrottling` config for a hedging
 * policy (gRFC A6), for the `budget` option of `Hedge.hedging`: as
 * {@link throttle}, but the failures it counts are those with a non-fatal
 * status or a pushback that says not to retry. The first attempt is always
 * sent; a hedge only while the tokens are above `maxTokens / 2`.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { Budget } from 'fp-ts-retry'
 * import * as Grpc from 'fp-ts-retry/grpc'
 *
 * const policy = Grpc.decodeHedging({ maxAttempts: 3, hedgingDelay: '.1s', nonFatalStatusCodes: ['UNAVAILABLE'] })
 * const budget = E.map((p: Grpc.HedgingPolicy) => Grpc.throttleHedging({ maxTokens: 10, tokenRatio: 0.1 }, p)())(policy)
 * E.map((b: Budget.Budget) => (b.recordFailure({ code: 3 }), b.recordFailure({ code: 14 }), b.tokens()))(budget)
 * // => right(9)
 *
 * @since 0.2.0
 * @category constructors
 */
export const throttleHedging = (config: RetryThrottling, policy: HedgingPolicy): IO<Budget.Budget> => {
  const nonFatal = isNonFatal(policy)
  return Budget.throttle({
    maxTokens: config.maxTokens,
    tokenRatio: config.tokenRatio,
    isFailure: (error) => {
      const pushed = pushbackOf(error)
      if (O.isSome(pushed) && pushed.value._tag === 'DontRetry') return true
      const code = statusOf(error)
      return code !== undefined && nonFatal(code)
    },
  })
}
