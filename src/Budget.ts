/**
 * Retry budgets: one value shared by many retrying calls that caps how many
 * retries they start together, so that an outage is not multiplied by every
 * client's retry policy. Pass one as the `budget` option of any
 * {@link Retry} entry point.
 *
 * Two budgets are offered: the token bucket of the AWS SDKs' standard retry
 * strategy (with one preset per generation of its parameters:
 * {@link AWS_STANDARD}, {@link AWS_STANDARD_2026}, {@link AWS_LEGACY}) and
 * the retry throttle of gRPC (gRFC A6). Both are plain mutable values created
 * in `IO`; every operation is synchronous, so any number of concurrent calls
 * share one budget without losing or creating a token. `docs/specs.md` gives
 * their formulas and the sources they follow.
 *
 * @since 0.1.0
 */
import type { IO } from 'fp-ts/IO'
import type { Option } from 'fp-ts/Option'
import { ABORT_ERR } from './internal/classify'
import * as check from './internal/validate'
import { isTimeoutError } from './Timeout'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A retry budget, shared by any number of calls. The retry driver calls
 * `recordFailure` after every failed attempt, `tryRetry` before every retry
 * its schedule grants (a `false` ends the call with its last error), and
 * `recordSuccess` after every successful call.
 *
 * `recordSuccess` takes the error of the attempt before the successful one:
 * `none` (or nothing) when the call succeeded at its first attempt, `some(e)`
 * when it succeeded on a retry after `e`. The AWS token bucket refunds that
 * retry's cost rather than the first-try increment.
 *
 * Build one with {@link tokenBucket} or {@link throttle}; implement the
 * interface yourself only for another policy.
 *
 * @example
 * import { Budget } from 'fp-ts-retry'
 *
 * const budget: Budget.Budget = Budget.tokenBucket()()
 * budget.tokens()
 * // => 500
 *
 * @since 0.1.0
 * @category model
 */
export interface Budget {
  readonly _tag: 'Budget'
  /** Which policy this is, for logs and {@link Refused} events. */
  readonly kind: 'TokenBucket' | 'Throttle' | (string & {})
  /** The tokens left now. */
  readonly tokens: IO<number>
  /** Called after every failed attempt, whether or not a retry follows. */
  readonly recordFailure: (error: unknown) => void
  /** Called before a retry the schedule granted: `true` allows it (and withdraws its cost), `false` refuses it. */
  readonly tryRetry: (error: unknown) => boolean
  /**
   * Called once after every successful call, with the error of the attempt
   * before it: `none` or nothing for a first-try success, `some(e)` for a
   * success on the retry that followed `e` (since 0.2.0).
   */
  readonly recordSuccess: (lastError?: Option<unknown>) => void
}

/**
 * Why a budget refused a retry: carried by the `onGiveUp` event of the
 * retry driver (see `Retry.GiveUpReason`).
 *
 * @since 0.1.0
 * @category model
 */
export interface Refused {
  readonly _tag: 'BudgetExhausted'
  /** The budget's {@link Budget.kind}. */
  readonly kind: string
  /** Its tokens at the moment it refused. */
  readonly tokens: number
}

/**
 * Options of {@link tokenBucket}. Every field defaults to the current AWS
 * standard retry strategy, {@link AWS_STANDARD}; pass {@link AWS_STANDARD_2026}
 * or {@link AWS_LEGACY} (or spread one and override a field) for another
 * generation.
 *
 * A retry's cost depends on the error it follows: `throttlingCost` when
 * `isThrottling` says so (asked first), else `timeoutCost` when `isTimeout`
 * says so, else `retryCost`.
 *
 * @since 0.1.0
 * @category model
 */
export interface TokenBucketOptions {
  /** Tokens when full, and at the start (default 500, AWS `INITIAL_RETRY_TOKENS`). */
  readonly capacity?: number | undefined
  /** Withdrawn for a retry after any other error (default 5, AWS `RETRY_COST`). */
  readonly retryCost?: number | undefined
  /** Withdrawn for a retry after an error `isTimeout` accepts (default 10, AWS `TIMEOUT_RETRY_COST`). */
  readonly timeoutCost?: number | undefined
  /**
   * Which errors cost `timeoutCost` (default {@link isAwsTransientError}: the
   * AWS standard strategy charges it for every transient error, timeouts,
   * connection errors and HTTP 500, 502, 503, 504, not for timeouts only).
   */
  readonly isTimeout?: ((error: unknown) => boolean) | undefined
  /** Withdrawn for a retry after an error `isThrottling` accepts (since 0.2.0; default: `retryCost`, so 5). */
  readonly throttlingCost?: number | undefined
  /** Which errors cost `throttlingCost`, asked before `isTimeout` (since 0.2.0; default {@link isAwsThrottlingError}). */
  readonly isThrottling?: ((error: unknown) => boolean) | undefined
  /**
   * Returned by a success at the first attempt, up to `capacity` (default 1,
   * AWS `NO_RETRY_INCREMENT`). A success on a retry returns that retry's cost
   * instead (see {@link Budget}'s `recordSuccess`).
   */
  readonly successReward?: number | undefined
}

/**
 * Options of {@link throttle}. Defaults are the values of gRPC's example
 * service config.
 *
 * @since 0.1.0
 * @category model
 */
export interface ThrottleOptions {
  /** Tokens when full, and at the start (default 10). Decimal places beyond 3 are ignored. */
  readonly maxTokens?: number | undefined
  /** Returned by a success, up to `maxTokens` (default 0.1). Decimal places beyond 3 are ignored: 0.5466 counts as 0.546. */
  readonly tokenRatio?: number | undefined
  /**
   * Which failed attempts remove a token (since 0.2.0; default: every one).
   * gRPC counts only RPCs that failed with a retryable status code or whose
   * server pushback said not to retry: `Grpc.throttle` sets it so.
   */
  readonly isFailure?: ((error: unknown) => boolean) | undefined
}

// -------------------------------------------------------------------------------------
// conditions
// -------------------------------------------------------------------------------------

/** The error names the AWS SDK reads as throttling (`THROTTLING_ERROR_CODES`). */
const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
])

/** The error names (`TRANSIENT_ERROR_CODES`), Node.js system codes and HTTP statuses the AWS SDK reads as transient. */
const TRANSIENT_NAMES: ReadonlySet<string> = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException'])
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504])
const BROWSER_NETWORK_MESSAGES: ReadonlySet<string> = new Set([
  'Failed to fetch',
  'NetworkError when attempting to fetch resource',
  'The Internet connection appears to be offline',
  'Load failed',
  'Network request failed',
])
/** How deep the AWS SDK follows `cause` when it looks for a transient error: it still reads the cause of the error 10 deep. */
const MAX_CAUSE_DEPTH = 10

type Fields = {
  readonly _tag?: unknown
  readonly name?: unknown
  readonly code?: unknown
  readonly message?: unknown
  readonly status?: unknown
  readonly cause?: unknown
  readonly $metadata?: { readonly httpStatusCode?: unknown; readonly clockSkewCorrected?: unknown } | null
  readonly $retryable?: { readonly throttling?: unknown } | null
}

/** The HTTP status of an AWS SDK error (`$metadata.httpStatusCode`) or of an `Http.HttpError`. */
const statusOf = (e: Fields): unknown => (e._tag === 'HttpError' ? e.status : e.$metadata?.httpStatusCode)

/** Runs a classifier on an object, never letting a throwing getter escape: what cannot be read is not classified. */
const classifier =
  (test: (e: Fields) => boolean) =>
  (error: unknown): boolean => {
    if (typeof error !== 'object' || error === null) return false
    try {
      return test(error as Fields)
    } catch {
      return false
    }
  }

/**
 * Whether the AWS SDK's standard retry strategy classifies an error as
 * throttling (`isThrottlingError` of `@smithy/core/retry`): HTTP status 429
 * (an `Http.HttpError`'s `status` or an AWS SDK error's
 * `$metadata.httpStatusCode`), one of the SDK's throttling error names
 * (`ThrottlingException`, `SlowDown`, `TooManyRequestsException`...), or a
 * modeled retryable trait with `throttling: true`. Accepts any value and
 * never throws. The default `isThrottling` of {@link tokenBucket}.
 *
 * @example
 * import { Budget } from 'fp-ts-retry'
 *
 * [{ name: 'ThrottlingException' }, { $metadata: { httpStatusCode: 429 } }, { name: 'ValidationException' }].map(
 *   Budget.isAwsThrottlingError,
 * )
 * // => [true, true, false]
 *
 * @since 0.2.0
 * @category conditions
 */
export const isAwsThrottlingError: (error: unknown) => boolean = classifier(
  (e) =>
    statusOf(e) === 429 ||
    (typeof e.name === 'string' && THROTTLING_NAMES.has(e.name)) ||
    e.$retryable?.throttling === true,
)

const isTransientAt = (e: Fields, depth: number): boolean => {
  const status = statusOf(e)
  const code = e.code
  if (
    e._tag === 'TimeoutError' ||
    (e._tag === 'NetworkError' && !(isSome(code) && code.value === ABORT_ERR)) ||
    e.$retryable !== undefined ||
    Boolean(e.$metadata?.clockSkewCorrected) ||
    (typeof e.name === 'string' &&
      (TRANSIENT_NAMES.has(e.name) ||
        (e.name === 'InvalidSignatureException' &&
          typeof e.message === 'string' &&
          e.message.includes('Signature expired')))) ||
    (typeof code === 'string' &&
      (TRANSIENT_CODES.has(code) ||
        (code === 'ERR_HTTP2_STREAM_ERROR' &&
          typeof e.message === 'string' &&
          e.message.includes('NGHTTP2_REFUSED_STREAM')))) ||
    (typeof status === 'number' && TRANSIENT_STATUSES.has(status)) ||
    (e instanceof TypeError && BROWSER_NETWORK_MESSAGES.has(e.message))
  )
    return true
  const cause = e.cause
  return depth <= MAX_CAUSE_DEPTH && typeof cause === 'object' && cause !== null && isTransientAt(cause, depth + 1)
}

const isSome = (o: unknown): o is { readonly _tag: 'Some'; readonly value: unknown } =>
  typeof o === 'object' && o !== null && (o as { readonly _tag?: unknown })._tag === 'Some'

/**
 * Whether the AWS SDK's standard retry strategy classifies an error as
 * transient (`isTransientError` of `@smithy/core/retry`): a timeout (a
 * `Timeout.TimeoutError`, or the names `TimeoutError`, `RequestTimeout`,
 * `RequestTimeoutException`), a connection error (an `Http.NetworkError` not
 * caused by the caller's signal, the Node.js codes `ECONNRESET`,
 * `ECONNREFUSED`, `EPIPE`, `ETIMEDOUT`, `EHOSTUNREACH`, `ENETUNREACH`,
 * `ENOTFOUND`, `EAI_AGAIN`, a refused HTTP/2 stream, a browser's failed
 * `fetch`), HTTP status 500, 502, 503 or 504, a modeled retryable trait, a
 * corrected clock skew, or an error whose `cause` (up to 11 deep, as the SDK reads them) is one.
 * Accepts any value and never throws. The default `isTimeout` of
 * {@link tokenBucket}.
 *
 * @example
 * import { Budget } from 'fp-ts-retry'
 *
 * [{ _tag: 'TimeoutError', timeout: 100 }, { code: 'ECONNRESET' }, { $metadata: { httpStatusCode: 503 } }, '503'].map(
 *   Budget.isAwsTransientError,
 * )
 * // => [true, true, true, false]
 *
 * @since 0.2.0
 * @category conditions
 */
export const isAwsTransientError: (error: unknown) => boolean = classifier((e) => isTransientAt(e, 0))

/** The pre-SRA AWS quota's test: a timeout by name (`error.name === 'TimeoutError'`) or a `Timeout.TimeoutError`. */
const isTimeoutByName: (error: unknown) => boolean = classifier((e) => isTimeoutError(e) || e.name === 'TimeoutError')

// -------------------------------------------------------------------------------------
// presets
// -------------------------------------------------------------------------------------

/**
 * The token bucket of the AWS SDK's current standard retry strategy
 * (`StandardRetryStrategy` of `@smithy/util-retry`, now `@smithy/core/retry`,
 * its default parameters): 500 tokens; a retry costs 10 after a transient
 * error ({@link isAwsTransientError}), 5 after a throttling error
 * ({@link isAwsThrottlingError}) or any other; a success at the first attempt
 * returns 1, a success on a retry returns that retry's cost. The defaults of
 * {@link tokenBucket}.
 *
 * @example
 * import { Budget } from 'fp-ts-retry'
 *
 * const budget = Budget.tokenBucket(Budget.AWS_STANDARD)()
 * budget.tryRetry({ $metadata: { httpStatusCode: 503 } })
 * budget.tokens()
 * // => 490
 *
 * @since 0.2.0
 * @category model
 */
export const AWS_STANDARD: TokenBucketOptions = Object.freeze({
  capacity: 500,
  retryCost: 5,
  timeoutCost: 10,
  isTimeout: isAwsTransientError,
  throttlingCost: 5,
  isThrottling: isAwsThrottlingError,
  successReward: 1,
})

/**
 * The token bucket of the AWS SDK's 2026 retry behaviour ("retry 2.1",
 * opted into with `SMITHY_NEW_RETRIES_2026=true`): 500 tokens; a retry costs
 * 5 after a throttling error ({@link isAwsThrottlingError}) and 14 after any
 * other; a success at the first attempt returns 1, a success on a retry
 * returns that retry's cost. Its backoff also changes (see `docs/specs.md`).
 *
 * @example
 * import { Budget } from 'fp-ts-retry'
 *
 * const budget = Budget.tokenBucket(Budget.AWS_STANDARD_2026)()
 * budget.tryRetry({ $metadata: { httpStatusCode: 500 } })
 * budget.tryRetry({ name: 'ThrottlingException' })
 * budget.tokens()
 * // => 481
 *
 * @since 0.2.0
 * @category model
 */
export const AWS_STANDARD_2026: TokenBucketOptions = Object.freeze({
  capacity: 500,
  retryCost: 14,
  timeoutCost: 14,
  isTimeout: isAwsTransientError,
  throttlingCost: 5,
  isThrottling: isAwsThrottlingError,
  successReward: 1,
})

/**
 * The retry quota of the AWS SDK's deprecated pre-SRA standard strategy
 * (`retry-pre-sra-deprecated/defaultRetryQuota` of `@smithy/core/retry`, the
 * `fp-ts-retry` 0.1 defaults): 500 tokens; a retry costs 10 after a timeout
 * (an error named `TimeoutError`, or a `Timeout.TimeoutError`) and 5 after
 * any other; a success at the first attempt returns 1, a success on a retry
 * returns that retry's cost.
 *
 * @example
 * import { Budget } from 'fp-ts-retry'
 *
 * const budget = Budget.tokenBucket(Budget.AWS_LEGACY)()
 * budget.tryRetry({ $metadata: { httpStatusCode: 503 } })
 * budget.tokens()
 * // => 495
 *
 * @since 0.2.0
 * @category model
 */
export const AWS_LEGACY: TokenBucketOptions = Object.freeze({
  capacity: 500,
  retryCost: 5,
  timeoutCost: 10,
  isTimeout: isTimeoutByName,
  throttlingCost: 5,
  isThrottling: () => false,
  successReward: 1,
})

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const MILLI = 1000

const positive = (fn: string, param: string, value: number): number =>
  Number.isFinite(value) && value > 0 ? value : check.fail(fn, param, 'a finite number > 0', value)

/**
 * `x` in thousandths, its decimal places beyond 3 ignored (truncated, not
 * rounded: 0.5466 is 546), read from the shortest decimal spelling of `x`
 * (the one JSON writes), so that 0.57 is 570 and not the 569 of
 * `Math.floor(0.57 * 1000)`. `x` is finite and >= 0.
 */
const thousandths = (x: number): number => {
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x))
  if (match === null) return Math.floor(x * MILLI)
  const [, whole = '', fraction = '', exponent = '0'] = match
  const digits = whole + fraction
  // where the decimal point falls in `digits` once x is multiplied by 1000
  const point = whole.length + Number(exponent) + 3
  if (point <= 0) return 0
  return Number(digits.length >= point ? digits.slice(0, point) : digits + '0'.repeat(point - digits.length))
}

/**
 * The token bucket of the AWS SDKs' standard retry strategy. It holds
 * `capacity` tokens (500). A retry the schedule grants withdraws its cost,
 * which depends on the error it follows: `throttlingCost` (5) after a
 * throttling error, `timeoutCost` (10) after a transient one (a timeout, a
 * connection error, HTTP 500/502/503/504), `retryCost` (5) after any other;
 * a retry the bucket cannot pay for is refused and withdraws nothing. A
 * success at the first attempt returns `successReward` (1), a success on a
 * retry returns that retry's cost, both up to `capacity`.
 *
 * The defaults are {@link AWS_STANDARD}, the current AWS parameters; pass
 * {@link AWS_STANDARD_2026} or {@link AWS_LEGACY} for the other generations.
 * A full bucket allows 50 retries of transient errors in a row (100 of
 * throttling errors or of errors it cannot classify); once it is spent, a
 * client retries about once per ten first-try successes (five for a
 * throttling error) instead of at every failure.
 *
 * Failures cost nothing by themselves: only retries do.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Budget, Retry, Schedule } from 'fp-ts-retry'
 *
 * const budget = Budget.tokenBucket({ capacity: 10 })() // created once, shared by every call
 * const call = pipe(TE.left('503'), Retry.retrying(Schedule.recurs(3), { budget }))
 * await call() // two retries cost 10 tokens; the third is refused
 * budget.tokens()
 * // => 0
 *
 * @throws RangeError when a number is negative, NaN or infinite, or `capacity` is 0
 * @since 0.1.0
 * @category constructors
 */
export const tokenBucket = (options: TokenBucketOptions = {}): IO<Budget> => {
  const fn = 'Budget.tokenBucket'
  const capacity = positive(fn, 'capacity', options.capacity ?? 500)
  const retryCost = check.atLeast(fn, 'retryCost', 0, options.retryCost ?? 5)
  const timeoutCost = check.atLeast(fn, 'timeoutCost', 0, options.timeoutCost ?? 10)
  const throttlingCost = check.atLeast(fn, 'throttlingCost', 0, options.throttlingCost ?? retryCost)
  const successReward = check.atLeast(fn, 'successReward', 0, options.successReward ?? 1)
  const isTimeout = options.isTimeout ?? isAwsTransientError
  const isThrottling = options.isThrottling ?? isAwsThrottlingError
  const costOf = (error: unknown): number =>
    isThrottling(error) ? throttlingCost : isTimeout(error) ? timeoutCost : retryCost
  return () => {
    let tokens = capacity
    return {
      _tag: 'Budget',
      kind: 'TokenBucket',
      tokens: () => tokens,
      recordFailure: () => undefined,
      tryRetry: (error) => {
        const cost = costOf(error)
        if (tokens < cost) return false
        tokens -= cost
        return true
      },
      recordSuccess: (lastError) => {
        // the retry that succeeded cost costOf(its error): that is the refund
        const refund = lastError !== undefined && lastError._tag === 'Some' ? costOf(lastError.value) : successReward
        tokens = Math.min(capacity, tokens + refund)
      },
    }
  }
}

/**
 * The retry throttle of gRPC (gRFC A6): it holds `maxTokens` tokens (10);
 * every failed attempt `isFailure` accepts (by default every one) removes 1,
 * down to 0; every successful call adds `tokenRatio` (0.1), up to
 * `maxTokens`; no retry starts while the tokens are at or below half of
 * `maxTokens`. Decimal places of `maxTokens` and `tokenRatio` beyond 3 are
 * ignored, as gRPC does (0.5466 counts as 0.546), and the tokens are counted
 * in thousandths, so that adding the ratio never drifts. Retries stop after a
 * few failures in a row and resume once successes are about ten times as
 * frequent as failures.
 *
 * `Grpc.throttle` builds one from a `retryThrottling` config that counts, as
 * gRPC does, only the failures with a retryable status code.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Budget, Retry, Schedule } from 'fp-ts-retry'
 *
 * const budget = Budget.throttle({ maxTokens: 4, tokenRatio: 0.5 })()
 * let attempts = 0
 * const call = pipe(TE.fromIO(() => ++attempts), TE.chain(() => TE.left('503')), Retry.retrying(Schedule.recurs(5), { budget }))
 * await call() // 4 -> 3 (retry), 3 -> 2 (at half: refused)
 * attempts
 * // => 2
 *
 * @throws RangeError when `maxTokens` is below 0.001, or either is negative, NaN or infinite
 * @since 0.1.0
 * @category constructors
 */
export const throttle = (options: ThrottleOptions = {}): IO<Budget> => {
  const fn = 'Budget.throttle'
  const maxTokens = positive(fn, 'maxTokens', options.maxTokens ?? 10)
  const tokenRatio = check.atLeast(fn, 'tokenRatio', 0, options.tokenRatio ?? 0.1)
  const isFailure = options.isFailure
  const max = thousandths(maxTokens)
  if (max === 0) check.fail(fn, 'maxTokens', 'at least 0.001 (decimal places beyond 3 are ignored)', maxTokens)
  const ratio = thousandths(tokenRatio)
  const threshold = max / 2
  return () => {
    let milli = max
    return {
      _tag: 'Budget',
      kind: 'Throttle',
      tokens: () => milli / MILLI,
      recordFailure: (error) => {
        if (isFailure === undefined || isFailure(error)) milli = Math.max(0, milli - MILLI)
      },
      tryRetry: () => milli > threshold,
      recordSuccess: () => {
        milli = Math.min(max, milli + ratio)
      },
    }
  }
}
