/**
 * Which failures say something about a dependency's health, and are worth
 * trying again later: the rule behind `Http.isTransient` and the circuit
 * breaker's default `isFailure`. It reads failures by their `_tag` only, so
 * it imports no module that defines them.
 *
 * @internal
 */

/** The HTTP statuses worth retrying: 408, 429, 500, 502, 503, 504. @internal */
export const transientStatuses: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

/** The `code` of a `NetworkError` caused by the caller's own signal: not the dependency's fault. @internal */
export const ABORT_ERR = 'ABORT_ERR'

/** The `code` the HTTP layer gives a redirect loop (fetch reports it without a code of its own). @internal */
export const TOO_MANY_REDIRECTS = 'ERR_TOO_MANY_REDIRECTS'

/**
 * The `NetworkError` codes that no retry can fix: the caller's abort, a
 * redirect loop, response headers larger than the client accepts.
 *
 * @internal
 */
export const permanentCodes: ReadonlySet<string> = new Set([ABORT_ERR, TOO_MANY_REDIRECTS, 'UND_ERR_HEADERS_OVERFLOW'])

const isPermanentCode = (option: unknown): boolean => {
  if (typeof option !== 'object' || option === null || (option as { _tag?: unknown })._tag !== 'Some') return false
  const value = (option as { value?: unknown }).value
  return typeof value === 'string' && permanentCodes.has(value)
}

/**
 * True for a `NetworkError` whose code is not in {@link permanentCodes}, a
 * `TimeoutError`, a `CircuitOpen`, an `HttpError` whose status is in
 * {@link transientStatuses}, and a `RateLimited` or `BulkheadRejected` except
 * that of a call whose own caller aborted it. Accepts any value and never
 * throws.
 *
 * A limiter's rejection is worth trying later: a `RateLimited` is the
 * client-side twin of a 429 and carries its wait as `retryAfter` (the hint
 * `Schedule.waitForHint` waits out); a `BulkheadRejected` that found the
 * bulkhead full or waited out its `queueTimeout` finds free slots after a
 * backoff. One whose reason is `'aborted'` is not: its caller gave up, and no
 * retry changes that.
 *
 * @internal
 */
export const isTransient = (error: unknown): boolean => {
  if (typeof error !== 'object' || error === null) return false
  try {
    const { _tag, status, code } = error as { _tag?: unknown; status?: unknown; code?: unknown }
    switch (_tag) {
      case 'NetworkError':
        return !isPermanentCode(code)
      case 'TimeoutError':
      case 'CircuitOpen':
        return true
      case 'RateLimited':
      case 'BulkheadRejected':
        return (error as { reason?: unknown }).reason !== 'aborted'
      case 'HttpError':
        return typeof status === 'number' && transientStatuses.has(status)
      default:
        return false
    }
  } catch {
    return false
  }
}

/** The failures a protection of this process makes itself: they say nothing about the dependency. @internal */
const LOCAL_REJECTIONS: ReadonlySet<unknown> = new Set(['CircuitOpen', 'RateLimited', 'BulkheadRejected'])

/**
 * The circuit breaker's default `isFailure`: a transient failure that came
 * from the dependency, not a rejection by a protection of this process (an
 * open circuit, a rate limit, a full bulkhead), so that a breaker placed
 * around a limiter does not open on the limiter's own refusals.
 *
 * @internal
 */
export const isHealthFailure = (error: unknown): boolean => {
  if (!isTransient(error)) return false
  try {
    return !LOCAL_REJECTIONS.has((error as { _tag?: unknown })._tag)
  } catch {
    return false
  }
}
