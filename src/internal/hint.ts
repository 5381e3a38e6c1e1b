/**
 * The one rule for retry hints: a failure that knows the earliest time to try
 * again carries it as `retryAfter: Option<number>`, milliseconds from the
 * moment it failed (an `HttpError`'s `Retry-After`, an open circuit's time
 * until a probe may pass, a rate limiter's wait).
 *
 * @internal
 */
import { sanitize } from './delay'

/** The hint `error` carries, in `[0, MAX_DELAY]`, or `undefined`. Accepts any value and never throws. @internal */
export const hintOf = (error: unknown): number | undefined => {
  if (typeof error !== 'object' || error === null) return undefined
  try {
    const hint = (error as { retryAfter?: unknown }).retryAfter
    if (typeof hint !== 'object' || hint === null || (hint as { _tag?: unknown })._tag !== 'Some') return undefined
    const value = (hint as { value?: unknown }).value
    return typeof value === 'number' && !Number.isNaN(value) ? sanitize(value) : undefined
  } catch {
    return undefined
  }
}
