/**
 * Retry budgets: one value shared by many retrying calls that caps how many
 * retries they start together, so that an outage is not multiplied by every
 * client's retry policy. Pass one as the `budget` option of any
 * {@link Retry} entry point.
 *
 * Two budgets are offered: the token bucket of the AWS SDKs and the retry
 * throttle of gRPC. Both are plain mutable values created in `IO`; every
 * operation is synchronous, so any number of concurrent calls share one
 * budget without losing or creating a token.
 *
 * @since 0.1.0
 */
import type { IO } from 'fp-ts/IO'
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
  /** Called once after every successful call. */
  readonly recordSuccess: () => void
}

/**
 * Why a budget refused a retry: carried by the `onGiveUp` event of the
 * retry driver (see `Retry.GiveUpReason`).
 *
 * @example
 * import { Budget } from 'fp-ts-retry'
 *
 * const refused: Budget.Refused = { _tag: 'BudgetExhausted', kind: 'TokenBucket', tokens: 3 }
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
 * Options of {@link tokenBucket}. Every field has the AWS SDK default.
 *
 * @example
 * import { Budget } from 'fp-ts-retry'
 *
 * const options: Budget.TokenBucketOptions = { capacity: 100, retryCost: 5 }
 *
 * @since 0.1.0
 * @category model
 */
export interface TokenBucketOptions {
  /** Tokens when full, and at the start (default 500). */
  readonly capacity?: number | undefined
  /** Withdrawn for a retry (default 5). */
  readonly retryCost?: number | undefined
  /** Withdrawn for a retry after a timeout (default 10). */
  readonly timeoutCost?: number | undefined
  /** Returned by a success, up to `capacity` (default 1). */
  readonly successReward?: number | undefined
  /** Which errors are timeouts (default: those with `_tag: 'TimeoutError'`, as {@link Timeout.TimeoutError}). */
  readonly isTimeout?: ((error: unknown) => boolean) | undefined
}

/**
 * Options of {@link throttle}. Defaults are the values of gRPC's example
 * service config.
 *
 * @example
 * import { Budget } from 'fp-ts-retry'
 *
 * const options: Budget.ThrottleOptions = { maxTokens: 10, tokenRatio: 0.1 }
 *
 * @since 0.1.0
 * @category model
 */
export interface ThrottleOptions {
  /** Tokens when full, and at the start (default 10). */
  readonly maxTokens?: number | undefined
  /** Returned by a success, up to `maxTokens` (default 0.1). */
  readonly tokenRatio?: number | undefined
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const MILLI = 1000

const positive = (fn: string, param: string, value: number): number =>
  Number.isFinite(value) && value > 0 ? value : check.fail(fn, param, 'a finite number > 0', value)

/**
 * The token bucket of the AWS SDKs' standard retry mode: it holds `capacity`
 * tokens (500); a retry withdraws `retryCost` (5), or `timeoutCost` (10) when
 * the failure was a timeout, and is refused when too few tokens are left; a
 * successful call returns `successReward` (1), up to `capacity`. A full bucket
 * allows 100 retries in a row; once it is spent, a client retries about once
 * per five successes instead of three times per request.
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
  const successReward = check.atLeast(fn, 'successReward', 0, options.successReward ?? 1)
  const isTimeout = options.isTimeout ?? isTimeoutError
  return () => {
    let tokens = capacity
    return {
      _tag: 'Budget',
      kind: 'TokenBucket',
      tokens: () => tokens,
      recordFailure: () => undefined,
      tryRetry: (error) => {
        const cost = isTimeout(error) ? timeoutCost : retryCost
        if (tokens < cost) return false
        tokens -= cost
        return true
      },
      recordSuccess: () => {
        tokens = Math.min(capacity, tokens + successReward)
      },
    }
  }
}

/**
 * The retry throttle of gRPC: it holds `maxTokens` tokens (10); every failed
 * attempt removes 1 (down to 0), every successful call adds `tokenRatio`
 * (0.1, up to `maxTokens`; kept to three decimals as in gRPC), and no retry starts while the tokens are at or
 * below half of `maxTokens`. Retries stop after a few failures in a row and
 * resume once successes are about ten times as frequent as failures.
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
 * @throws RangeError when `maxTokens` is not positive or `tokenRatio` is negative, NaN or infinite
 * @since 0.1.0
 * @category constructors
 */
export const throttle = (options: ThrottleOptions = {}): IO<Budget> => {
  const fn = 'Budget.throttle'
  const maxTokens = positive(fn, 'maxTokens', options.maxTokens ?? 10)
  const tokenRatio = check.atLeast(fn, 'tokenRatio', 0, options.tokenRatio ?? 0.1)
  // Counted in thousandths of a token, as gRPC does, so that adding the ratio never drifts.
  const max = Math.round(maxTokens * MILLI)
  const ratio = Math.round(tokenRatio * MILLI)
  const threshold = max / 2
  return () => {
    let milli = max
    return {
      _tag: 'Budget',
      kind: 'Throttle',
      tokens: () => milli / MILLI,
      recordFailure: () => {
        milli = Math.max(0, milli - MILLI)
      },
      tryRetry: () => milli > threshold,
      recordSuccess: () => {
        milli = Math.min(max, milli + ratio)
      },
    }
  }
}
