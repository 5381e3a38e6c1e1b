/**
 * Which failures say something about a dependency's health, and are worth
 * trying again later: the rule behind `Http.isTransient`, the circuit
 * breaker's default `isFailure` and a policy's `"transient"`. It reads
 * failures by their `_tag` only, so it imports no module that defines them.
 *
 * @internal
 */

/** Anthropic's "overloaded": the API is up but has no capacity now, and asks to come back later. @internal */
export const OVERLOADED = 529

/** The HTTP statuses worth retrying: 408, 429, 500, 502, 503, 504, 529. @internal */
export const transientStatuses: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504, OVERLOADED])

/** The header by which the OpenAI and Anthropic APIs say whether a failed request is worth retrying. @internal */
export const SHOULD_RETRY = 'x-should-retry'

/**
 * The server's own verdict on an `HttpError`: its `x-should-retry` header
 * when that is exactly `true` or `false` (what the OpenAI and Anthropic SDKs
 * obey), else `undefined`. The HTTP layer stores header names in lower case;
 * a hand-built error may not, so another case is looked for too.
 */
const serverVerdict = (headers: unknown): boolean | undefined => {
  if (typeof headers !== 'object' || headers === null) return undefined
  const record = headers as Readonly<Record<string, unknown>>
  let value = record[SHOULD_RETRY]
  if (value === undefined) {
    const name = Object.keys(record).find((key) => key.toLowerCase() === SHOULD_RETRY)
    value = name === undefined ? undefined : record[name]
  }
  return value === 'true' ? true : value === 'false' ? false : undefined
}

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
 * {@link transientStatuses} (unless its `x-should-retry: true` or `false`
 * header, which the OpenAI and Anthropic APIs send and their SDKs obey, says
 * otherwise: then the header decides alone), and a `RateLimited` or
 * `BulkheadRejected` except that of a call whose own caller aborted it.
 * Accepts any value and never throws.
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
        return (
          serverVerdict((error as { headers?: unknown }).headers) ??
          (typeof status === 'number' && transientStatuses.has(status))
        )
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
