/**
 * gRPC interop: reads the `retryPolicy` of a gRPC service config (gRFC A6)
 * into the equivalent schedule and a predicate over status codes, validated as
 * the gRPC specification requires.
 *
 * Retry `n` waits a random delay, uniform in
 * `[0, min(initialBackoff * backoffMultiplier^(n-1), maxBackoff)]` (full
 * jitter); `maxAttempts` counts the first attempt, and values above 5 are
 * treated as 5, as gRPC clients do.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { Grpc } from 'fp-ts-retry'
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
import type { Predicate } from 'fp-ts/Predicate'
import type { ReadonlyNonEmptyArray } from 'fp-ts/ReadonlyNonEmptyArray'
import * as t from 'io-ts'
import type { Duration } from './Duration'
import { format } from './Duration'
import * as D from './internal/decoder'
import { sanitize } from './internal/delay'
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
 * import { Grpc } from 'fp-ts-retry'
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
 * @example
 * import { Grpc } from 'fp-ts-retry'
 *
 * const name: Grpc.StatusName = 'RESOURCE_EXHAUSTED'
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
 * @example
 * import { Grpc } from 'fp-ts-retry'
 *
 * const policy: Grpc.RetryPolicy = {
 *   maxAttempts: 4,
 *   initialBackoff: { _tag: 'Duration', millis: 100, spelling: '.1s' },
 *   maxBackoff: { _tag: 'Duration', millis: 1000, spelling: '1s' },
 *   backoffMultiplier: 2,
 *   retryableStatusCodes: ['UNAVAILABLE'],
 * }
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
 * @example
 * import { Grpc } from 'fp-ts-retry'
 *
 * const json: Grpc.RetryPolicyJson = {
 *   maxAttempts: 4,
 *   initialBackoff: '.1s',
 *   maxBackoff: '1s',
 *   backoffMultiplier: 2,
 *   retryableStatusCodes: ['UNAVAILABLE'],
 * }
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
 * import { Grpc } from 'fp-ts-retry'
 *
 * Grpc.MAX_ATTEMPTS
 * // => 5
 *
 * @since 0.1.0
 * @category model
 */
export const MAX_ATTEMPTS = 5

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
 * import { Grpc } from 'fp-ts-retry'
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
 * import { Grpc } from 'fp-ts-retry'
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
 * import { Grpc } from 'fp-ts-retry'
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

// -------------------------------------------------------------------------------------
// running
// -------------------------------------------------------------------------------------

/**
 * The number of retries a policy grants: `min(maxAttempts, 5) - 1`.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { Grpc } from 'fp-ts-retry'
 *
 * const json = { maxAttempts: 10, initialBackoff: '1s', maxBackoff: '5s', backoffMultiplier: 2, retryableStatusCodes: ['UNAVAILABLE'] }
 * E.map(Grpc.retries)(Grpc.decode(json))
 * // => right(4)
 *
 * @since 0.1.0
 * @category utils
 */
export const retries = (self: RetryPolicy): number => Math.min(self.maxAttempts, MAX_ATTEMPTS) - 1

/**
 * The schedule gRPC clients follow for this policy: retry `n` (from 1) waits
 * a delay uniform in `[0, min(initialBackoff * backoffMultiplier^(n-1),
 * maxBackoff)]`, for `min(maxAttempts, 5) - 1` retries. A multiplier below 1
 * shrinks the bound at each retry. Outputs the retry number, from 0. It
 * retries whatever the error: combine it with {@link isRetryable} to retry
 * only the retryable status codes.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { Grpc, Random, Schedule } from 'fp-ts-retry'
 *
 * const json = { maxAttempts: 4, initialBackoff: '.1s', maxBackoff: '1s', backoffMultiplier: 2, retryableStatusCodes: ['UNAVAILABLE'] }
 * E.map((p: Grpc.RetryPolicy) => Schedule.simulate(Grpc.toSchedule(p), [14, 14, 14, 14], { random: Random.seeded(1) }))(Grpc.decode(json))
 * // => right([d1, d2, d3]) with d1 in [0, 100], d2 in [0, 200], d3 in [0, 400]
 *
 * @since 0.1.0
 * @category running
 */
export const toSchedule = (self: RetryPolicy): S.Schedule<unknown, number> => {
  const limit = retries(self)
  const cap = self.maxBackoff.millis
  const multiplier = self.backoffMultiplier
  const bounds = S.make({ n: 0, bound: self.initialBackoff.millis }, ({ n, bound }: { n: number; bound: number }) =>
    n < limit
      ? {
          _tag: 'Continue',
          delay: Math.min(bound, cap),
          out: n,
          state: { n: n + 1, bound: sanitize(bound * multiplier) },
        }
      : { _tag: 'Done', out: n },
  )
  return S.fullJitter(bounds)
}

/**
 * Whether a status code (a number or a name, in any case) is one the policy retries.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import { pipe } from 'fp-ts/function'
 * import { Grpc, Schedule } from 'fp-ts-retry'
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
 * import { Grpc } from 'fp-ts-retry'
 *
 * const json = { maxAttempts: 4, initialBackoff: '.1s', maxBackoff: '1s', backoffMultiplier: 2, retryableStatusCodes: ['UNAVAILABLE'] }
 * E.map(Grpc.describe)(Grpc.decode(json))
 * // => right('gRPC retry policy: up to 3 retries (maxAttempts 4) on UNAVAILABLE; retry n waits a random delay between 0 and min(100ms × 2^(n-1), 1s) (full jitter). With random seed 1, ...')
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
      `retry n waits a random delay between 0 and min(${growth}, ${format(self.maxBackoff.millis)}) (full jitter).`,
    (text) => `${text} ${preview(toSchedule(self), options)}`,
  )
}
