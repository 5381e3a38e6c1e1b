/**
 * HTTP over `fetch` as a cancellable operation (see `Operation`), with
 * failures a caller can match exhaustively: a {@link NetworkError} (refused,
 * reset, DNS, cancelled) or an {@link HttpError} carrying the status, the
 * headers and the server's retry hint. {@link isTransient} tells which are
 * worth retrying, and `Schedule.waitForHint` makes a schedule wait as long as
 * the server asked. Bound each attempt with `Timeout.timeout`: its signal
 * cancels the request and its body.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import * as Decode from './Decode'
import * as classify from './internal/classify'
import { MAX_DELAY, sanitize } from './internal/delay'
import { chainEither } from './internal/operation'
import * as check from './internal/validate'
import type { Env } from './Operation'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The request never got a complete response: connection refused or reset,
 * DNS failure, the connection dropped while the body was being read.
 *
 * @since 0.1.0
 * @category model
 */
export interface NetworkError {
  readonly _tag: 'NetworkError'
  readonly method: string
  readonly url: string
  /**
   * The system error code when one is known: `ECONNREFUSED`, `ECONNRESET`, `ENOTFOUND`, `UND_ERR_SOCKET`...;
   * `ABORT_ERR` when the signal cancelled the request, `ERR_TOO_MANY_REDIRECTS` for a redirect loop.
   */
  readonly code: O.Option<string>
  /** The messages of the error and its causes, joined with `: `. */
  readonly message: string
  /** What `fetch` (or reading the body) threw. */
  readonly cause: unknown
}

/**
 * The server answered with a status outside 200-299.
 *
 * `retryAfter` is the server's hint in ms (from `retry-after-ms` or
 * `Retry-After`), already resolved against the time the response arrived.
 * `body` is the start of the response body (at most `maxErrorBody` bytes),
 * read so that the connection is not leaked.
 *
 * @since 0.1.0
 * @category model
 */
export interface HttpError {
  readonly _tag: 'HttpError'
  readonly method: string
  readonly url: string
  readonly status: number
  readonly statusText: string
  /** The response headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>
  /** The server's retry hint in ms, when it sent a valid one. */
  readonly retryAfter: O.Option<number>
  /** The start of the response body, decoded as UTF-8. */
  readonly body: string
}

/**
 * Every way a request can fail: match it exhaustively on `_tag`.
 *
 * @example
 * import * as O from 'fp-ts/Option'
 * import * as Http from 'fp-ts-retry/http'
 *
 * const describe = (error: Http.FetchError): string => {
 *   switch (error._tag) {
 *     case 'NetworkError':
 *       return `network: ${error.message}`
 *     case 'HttpError':
 *       return `HTTP ${error.status}`
 *   }
 * }
 * describe({ _tag: 'NetworkError', method: 'GET', url: '/', code: O.none, message: 'hang up', cause: undefined })
 * // => 'network: hang up'
 *
 * @since 0.1.0
 * @category model
 */
export type FetchError = NetworkError | HttpError

/**
 * The options of a request: everything `fetch` takes (method, headers,
 * body...) but the signal, which comes at run time from the environment,
 * plus the ones below.
 *
 * Give a body that can be sent again (a string, a `Uint8Array`,
 * `URLSearchParams`), not a stream: a retry sends it once per attempt.
 *
 * @since 0.1.0
 * @category model
 */
export interface RequestOptions extends Omit<RequestInit, 'signal'> {
  /** Wall-clock time in ms since the epoch, to resolve an HTTP-date `Retry-After` (default `Date.now`). */
  readonly now?: (() => number) | undefined
  /** The `fetch` to call (default the global one). */
  readonly fetch?: typeof globalThis.fetch | undefined
  /** How many bytes of an error response's body to keep in {@link HttpError.body} (default 2048); the rest is cancelled. */
  readonly maxErrorBody?: number | undefined
}

// -------------------------------------------------------------------------------------
// Retry-After
// -------------------------------------------------------------------------------------

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)'
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const MONTH = `(${MONTHS.join('|')})`
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})'
/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`)
/** `Sunday, 06-Nov-94 08:49:37 GMT` (obsolete, still to be accepted) */
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`)
/** `Sun Nov  6 08:49:37 1994` (obsolete, still to be accepted) */
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`)

const utc = (year: number, month: string, day: number, h: number, m: number, s: number): O.Option<number> => {
  const monthIndex = MONTHS.indexOf(month)
  if (monthIndex < 0 || h > 23 || m > 59 || s > 60) return O.none
  const time = Date.UTC(year, monthIndex, day, h, m, Math.min(s, 59))
  const date = new Date(time)
  return Number.isFinite(time) && date.getUTCDate() === day && date.getUTCMonth() === monthIndex ? O.some(time) : O.none
}

/** An HTTP-date (RFC 9110 section 5.6.7) in ms since the epoch. */
const parseHttpDate = (value: string, now: number): O.Option<number> => {
  const n = (s: string | undefined) => Number(s)
  let match = IMF_FIXDATE.exec(value)
  if (match) return utc(n(match[3]), match[2] ?? '', n(match[1]), n(match[4]), n(match[5]), n(match[6]))
  match = ASCTIME_DATE.exec(value)
  if (match) return utc(n(match[6]), match[1] ?? '', n(match[2]), n(match[3]), n(match[4]), n(match[5]))
  match = RFC850_DATE.exec(value)
  if (match) {
    // RFC 9110: a two-digit year is never read as more than 50 years in the future (then it is the
    // most recent past year with those digits); otherwise the nearest such year, across a century too
    const thisYear = new Date(Number.isFinite(now) ? now : 0).getUTCFullYear()
    let year = Math.floor(thisYear / 100) * 100 + n(match[3])
    if (year > thisYear + 50) year -= 100
    else if (year <= thisYear - 50) year += 100
    return utc(year, match[2] ?? '', n(match[1]), n(match[4]), n(match[5]), n(match[6]))
  }
  return O.none
}

/**
 * Parses a `Retry-After` value as RFC 9110 (section 10.2.3) defines it: either
 * delay-seconds (`120`) or an HTTP-date (`Fri, 31 Dec 1999 23:59:59 GMT`, and
 * the two obsolete date formats), resolved against `now` (ms since the epoch).
 * Returns the delay in ms.
 *
 * A date in the past means "retry now": `some(0)`. Anything malformed
 * (garbage, a negative or fractional number, an impossible date) is `none`,
 * never an exception. A huge value saturates at `Schedule.MAX_DELAY`; bound it
 * with `Schedule.waitForHint`.
 *
 * @example
 * import * as Http from 'fp-ts-retry/http'
 *
 * const now = Date.parse('2025-01-01T00:00:00Z')
 * Http.parseRetryAfter('2', now)
 * // => { _tag: 'Some', value: 2000 }
 * Http.parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)
 * // => { _tag: 'Some', value: 30000 }
 * Http.parseRetryAfter('-1', now)
 * // => { _tag: 'None' }
 *
 * @since 0.1.0
 * @category utils
 */
export const parseRetryAfter = (value: string, now: number): O.Option<number> => {
  if (typeof value !== 'string') return O.none
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return O.some(sanitize(Number(trimmed) * 1000))
  if (!Number.isFinite(now)) return O.none
  return pipe(
    parseHttpDate(trimmed, now),
    O.map((time) => sanitize(time - now)),
  )
}

/**
 * Parses the non-standard but common `retry-after-ms` header: a non-negative
 * number of milliseconds. Anything else is `none`.
 *
 * @example
 * import * as Http from 'fp-ts-retry/http'
 *
 * Http.parseRetryAfterMs('1500')
 * // => { _tag: 'Some', value: 1500 }
 * Http.parseRetryAfterMs('soon')
 * // => { _tag: 'None' }
 *
 * @since 0.1.0
 * @category utils
 */
export const parseRetryAfterMs = (value: string): O.Option<number> => {
  if (typeof value !== 'string') return O.none
  const trimmed = value.trim()
  return /^\d+(?:\.\d+)?$/.test(trimmed) ? O.some(sanitize(Number(trimmed))) : O.none
}

/**
 * The server's retry hint in ms from response headers: `retry-after-ms` when
 * it is valid, else `Retry-After` (see {@link parseRetryAfter}), else `none`.
 *
 * @example
 * import * as Http from 'fp-ts-retry/http'
 *
 * Http.retryAfter(new Headers({ 'retry-after': '3' }), Date.now())
 * // => { _tag: 'Some', value: 3000 }
 * Http.retryAfter({ 'retry-after-ms': '250', 'retry-after': '3' }, Date.now())
 * // => { _tag: 'Some', value: 250 }
 *
 * @since 0.1.0
 * @category utils
 */
export const retryAfter = (headers: Headers | Readonly<Record<string, string>>, now: number): O.Option<number> => {
  const get = (name: string): string | undefined =>
    headers instanceof Headers
      ? (headers.get(name) ?? undefined)
      : Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1]
  const ms = get('retry-after-ms')
  const seconds = get('retry-after')
  return pipe(
    ms === undefined ? O.none : parseRetryAfterMs(ms),
    O.alt(() => (seconds === undefined ? O.none : parseRetryAfter(seconds, now))),
  )
}

// -------------------------------------------------------------------------------------
// conditions
// -------------------------------------------------------------------------------------

/**
 * The statuses {@link isTransient} retries: 408, 429, 500, 502, 503, 504,
 * and 529 (Anthropic's "overloaded").
 *
 * @example
 * import * as Http from 'fp-ts-retry/http'
 *
 * Http.transientStatuses.has(503)
 * // => true
 *
 * @since 0.1.0
 * @category conditions
 */
export const transientStatuses: ReadonlySet<number> = classify.transientStatuses

/**
 * Whether a status is worth retrying: 408 Request Timeout, 429 Too Many
 * Requests, 500, 502, 503, 504, 529 Overloaded. Never another 4xx (the
 * request itself is wrong: 400, 401, 403, 404, 422...) nor 501 Not
 * Implemented.
 *
 * @example
 * import * as Http from 'fp-ts-retry/http'
 *
 * [429, 503, 529, 401, 501].map(Http.isTransientStatus)
 * // => [true, true, true, false, false]
 *
 * @since 0.1.0
 * @category conditions
 */
export const isTransientStatus = (status: number): boolean => classify.transientStatuses.has(status)

/**
 * The default classification: retry a {@link NetworkError}, except the
 * ones no retry can fix (the caller's own abort, code `ABORT_ERR`; a
 * redirect loop, `ERR_TOO_MANY_REDIRECTS`; response headers too large,
 * `UND_ERR_HEADERS_OVERFLOW`), a
 * `Timeout.TimeoutError`, an {@link HttpError} whose status
 * {@link isTransientStatus} (unless the server said otherwise: an
 * `x-should-retry: true` or `false` header, which the OpenAI and Anthropic
 * APIs send and their SDKs obey, decides alone), a `CircuitBreaker.CircuitOpen` (an open
 * circuit is temporary: `Schedule.waitForHint` waits it out), and a
 * `RateLimit.RateLimited` or `Bulkhead.BulkheadRejected` unless its caller
 * aborted it (a limiter's refusal is worth trying later); never anything
 * else (a `DecodeError` of a response that arrived, or any other value).
 * Accepts any error, so it fits any slot: `Schedule.whileInput`, a breaker's
 * `isFailure` (where it is the default).
 *
 * Write your own predicate in its place to change the rule (e.g. to retry
 * 409 Conflict, or not to retry a `POST` after a timeout).
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as O from 'fp-ts/Option'
 * import { Schedule } from 'fp-ts-retry'
 * import * as Http from 'fp-ts-retry/http'
 *
 * const policy = pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(5)), Schedule.whileInput(Http.isTransient))
 * const unauthorized: Http.HttpError = {
 *   _tag: 'HttpError', method: 'GET', url: '/', status: 401, statusText: 'Unauthorized',
 *   headers: {}, retryAfter: O.none, body: '',
 * }
 * Schedule.simulate(policy, [unauthorized])
 * // => []
 *
 * @since 0.1.0
 * @category conditions
 */
export const isTransient: (error: unknown) => boolean = classify.isTransient

// -------------------------------------------------------------------------------------
// running a request
// -------------------------------------------------------------------------------------

const DEFAULT_MAX_ERROR_BODY = 2048
const ABORT_ERR = classify.ABORT_ERR

/** The messages of an error and its causes, and the first `code` on the way. */
const describeCause = (error: unknown): { readonly message: string; readonly code: O.Option<string> } => {
  const messages: Array<string> = []
  let code: O.Option<string> = O.none
  let current: unknown = error
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const { message, code: c, cause } = current as { message?: unknown; code?: unknown; cause?: unknown }
    if (typeof message === 'string' && message !== '' && !messages.includes(message)) messages.push(message)
    if (O.isNone(code) && typeof c === 'string') code = O.some(c)
    current = cause
  }
  if (messages.length === 0) messages.push(String(error))
  return { message: messages.join(': '), code }
}

/** Reads at most `max` bytes of the body as text, then cancels the rest. Never rejects. */
const readSnippet = async (response: Response, max: number): Promise<string> => {
  const body = response.body
  if (body === null) return ''
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let bytes = 0
  try {
    for (;;) {
      const chunk = await reader.read()
      if (chunk.done) return text + decoder.decode()
      const room = max - bytes
      const kept = chunk.value.subarray(0, room)
      bytes += kept.length
      text += decoder.decode(kept, { stream: true })
      if (chunk.value.length > room || bytes >= max) {
        await reader.cancel()
        return text + decoder.decode()
      }
    }
  } catch {
    return text
  } finally {
    reader.releaseLock()
  }
}

const send = <A>(
  url: string | URL,
  options: RequestOptions,
  read: (response: Response) => Promise<A>,
): ReaderTaskEither<Env, FetchError, A> => {
  const { now, fetch: doFetch, maxErrorBody, ...init } = options as RequestOptions & { signal?: unknown }
  delete init.signal // the signal comes at run time, from the environment
  if (maxErrorBody !== undefined) check.count('Http.request', 'maxErrorBody', maxErrorBody)
  const method = (init.method ?? 'GET').toUpperCase()
  const href = String(url)
  return ({ signal }) =>
    async () => {
      const failure = (cause: unknown): FetchError => {
        if (signal.aborted) {
          const { message } = describeCause(signal.reason)
          return {
            _tag: 'NetworkError',
            method,
            url: href,
            code: O.some(ABORT_ERR),
            message: `aborted: ${message}`,
            cause,
          }
        }
        const { message, code } = describeCause(cause)
        const named =
          O.isNone(code) && /redirect count exceeded/i.test(message) ? O.some(classify.TOO_MANY_REDIRECTS) : code
        return { _tag: 'NetworkError', method, url: href, code: named, message, cause }
      }
      let response: Response
      try {
        response = await (doFetch ?? globalThis.fetch)(url, { ...(init as RequestInit), signal })
      } catch (cause) {
        return E.left(failure(cause))
      }
      if (!response.ok) {
        const headers: Record<string, string> = {}
        response.headers.forEach((value, name) => {
          headers[name] = value
        })
        const hint = retryAfter(response.headers, (now ?? Date.now)())
        const body = await readSnippet(response, maxErrorBody ?? DEFAULT_MAX_ERROR_BODY)
        // cancelled while the error body arrived: the caller's abort, not the server's answer
        if (signal.aborted) return E.left(failure(signal.reason))
        return E.left({
          _tag: 'HttpError',
          method,
          url: href,
          status: response.status,
          statusText: response.statusText,
          headers,
          retryAfter: hint,
          body,
        })
      }
      try {
        return E.right(await read(response))
      } catch (cause) {
        return E.left(failure(cause))
      }
    }
}

/**
 * Performs one request with `fetch`: `Right` with the `Response` when the
 * status is 2xx (its body unread, yours to read once), otherwise a
 * {@link FetchError}. An error response's body is read (its first
 * `maxErrorBody` bytes kept in the error) or cancelled, so no connection
 * leaks. Nothing throws; each run sends a fresh request, so it can be
 * retried as is.
 *
 * A cancellable operation: the environment's signal cancels the request (a
 * {@link NetworkError} with code `ABORT_ERR`, which {@link isTransient} does
 * not retry). `Timeout.timeout` around it covers the wait for the response
 * headers only; use {@link text} or {@link json} to have it cover the body
 * too. Read the body of the `Response` inside the attempt: once the attempt
 * has settled, its combinators have let go of the caller's signal, so an
 * abort no longer reaches a body read later.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Operation, Retry, Schedule, Timeout } from 'fp-ts-retry'
 * import * as Http from 'fp-ts-retry/http'
 *
 * const getStatus = pipe(
 *   Http.request('http://127.0.0.1:8080/health'),
 *   Timeout.timeout(2000),
 *   Retry.retrying(pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(3)), Schedule.whileInput(Http.isTransient))),
 * )
 * // await getStatus({ signal })() or Operation.run(getStatus)()
 * //   => Right(Response) or Left(FetchError | TimeoutError | Aborted)
 *
 * @throws RangeError when `maxErrorBody` is not a non-negative integer
 * @since 0.1.0
 * @category constructors
 */
export const request = (url: string | URL, options: RequestOptions = {}): ReaderTaskEither<Env, FetchError, Response> =>
  send(url, options, (response) => Promise.resolve(response))

/**
 * Performs one request and reads the whole body as text inside the attempt:
 * a connection reset while the body arrives is a {@link NetworkError} (so it
 * is retried like any other), and a `Timeout.timeout` around it covers the
 * body too.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Retry, Schedule, Timeout } from 'fp-ts-retry'
 * import * as Http from 'fp-ts-retry/http'
 *
 * const page = pipe(
 *   Http.text('http://127.0.0.1:8080/readme.txt'),
 *   Timeout.timeout(5000),
 *   Retry.retrying(pipe(Schedule.spaced(500), Schedule.intersect(Schedule.recurs(2)), Schedule.whileInput(Http.isTransient))),
 * )
 *
 * @throws RangeError when `maxErrorBody` is invalid (see {@link request})
 * @since 0.1.0
 * @category constructors
 */
export const text = (url: string | URL, options: RequestOptions = {}): ReaderTaskEither<Env, FetchError, string> =>
  send(url, options, (response) => response.text())

/**
 * Performs one request, reads the body as text and parses it as JSON. A body
 * that is not JSON is a `Decode.DecodeError` (not transient: the server
 * answered). Decode the `unknown` with `Decode.decode(codec)`.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as t from 'io-ts'
 * import * as Decode from 'fp-ts-retry/decode'
 * import * as Http from 'fp-ts-retry/http'
 *
 * const Joke = t.type({ id: t.number, joke: t.string })
 * const joke = pipe(Http.json('http://127.0.0.1:8080/joke'), Decode.decode(Joke))
 * // joke: ReaderTaskEither<Operation.Env, Http.FetchError | Decode.DecodeError, { id: number; joke: string }>
 *
 * @throws RangeError when `maxErrorBody` is invalid (see {@link request})
 * @since 0.1.0
 * @category constructors
 */
export const json = (
  url: string | URL,
  options: RequestOptions = {},
): ReaderTaskEither<Env, FetchError | Decode.DecodeError, unknown> =>
  chainEither(text(url, options), Decode.parseJson) as ReaderTaskEither<Env, FetchError | Decode.DecodeError, unknown>

/**
 * The longest hint {@link parseRetryAfter} can return (`Schedule.MAX_DELAY`).
 *
 * @example
 * import * as Http from 'fp-ts-retry/http'
 *
 * Http.parseRetryAfter('9'.repeat(400), 0)
 * // => { _tag: 'Some', value: Http.MAX_RETRY_AFTER }
 *
 * @since 0.1.0
 * @category utils
 */
export const MAX_RETRY_AFTER: number = MAX_DELAY

// -------------------------------------------------------------------------------------
// SDK errors
// -------------------------------------------------------------------------------------

/**
 * What {@link fromSdkError} needs to know about the call that failed: the
 * SDK's errors do not say.
 *
 * @since 0.2.0
 * @category model
 */
export interface SdkErrorOptions {
  /** The request's method, for the error (default `POST`, what model APIs use). */
  readonly method?: string | undefined
  /** The request's URL, for the error (default `''`). */
  readonly url?: string | undefined
  /** The signal the call ran with: when it has fired, the failure is the caller's abort (code `ABORT_ERR`). */
  readonly signal?: AbortSignal | undefined
  /** The wall clock for an HTTP-date `Retry-After`, as {@link RequestOptions.now} (default `Date.now`). */
  readonly now?: (() => number) | undefined
}

/** The reason phrases of the statuses model APIs answer with; the SDKs' errors carry none. */
const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  529: 'Overloaded',
}

/** The error's `name` and the names of the classes it is an instance of, innermost first. */
const classNames = (error: object): ReadonlyArray<string> => {
  const names: Array<string> = []
  const { name } = error as { name?: unknown }
  if (typeof name === 'string') names.push(name)
  let proto: unknown = Object.getPrototypeOf(error)
  for (let depth = 0; depth < 16 && typeof proto === 'object' && proto !== null; depth++) {
    const constructorName = (proto as { constructor?: { name?: unknown } }).constructor?.name
    if (typeof constructorName === 'string') names.push(constructorName)
    proto = Object.getPrototypeOf(proto)
  }
  return names
}

/** A `Headers`, a `Map` or a plain record as a record with lower-case names. */
const headerRecord = (headers: unknown): Record<string, string> => {
  const record: Record<string, string> = {}
  if (typeof headers !== 'object' || headers === null) return record
  const forEach = (headers as { forEach?: unknown }).forEach
  if (typeof forEach === 'function') {
    ;(forEach as (f: (value: unknown, name: unknown) => void) => void).call(headers, (value, name) => {
      if (typeof name === 'string' && typeof value === 'string') record[name.toLowerCase()] = value
    })
  } else {
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value === 'string') record[name.toLowerCase()] = value
    }
  }
  return record
}

/** The error body the SDK parsed, as text, at most {@link DEFAULT_MAX_ERROR_BODY} characters. */
const bodyText = (body: unknown): string => {
  if (body === undefined || body === null) return ''
  let text: string
  try {
    text = typeof body === 'string' ? body : (JSON.stringify(body) ?? '')
  } catch {
    text = ''
  }
  return text.slice(0, DEFAULT_MAX_ERROR_BODY)
}

/** A system error code of a failed connection, as Node.js and undici name them (not a programmer's `ERR_...`). */
const isConnectionCode = (code: string): boolean => /^(?:E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)

/**
 * Turns an error thrown by an HTTP client SDK (the official `openai` and
 * `@anthropic-ai/sdk` clients, and other SDKs generated the same way) into
 * the typed {@link FetchError} of this module, so that {@link isTransient},
 * `Schedule.waitForHint` and a `_tag` switch work on it. Put it where the
 * SDK's promise becomes a `TaskEither`:
 * `TE.tryCatch(() => client.chat.completions.create(body, { signal }), (e) => Http.fromSdkError(e, { signal }))`.
 *
 * It reads the error's shape, never its class, so it depends on no SDK:
 *
 * - the caller's abort (`options.signal` has fired, or an
 *   `APIUserAbortError` / `AbortError`): a {@link NetworkError} with code
 *   `ABORT_ERR`, which {@link isTransient} does not retry;
 * - an error with a numeric `status` (`APIError`, `RateLimitError`,
 *   `InternalServerError`, `OverloadedError`...): an {@link HttpError} with
 *   that status, its `headers` (names in lower case), the hint of
 *   `retry-after-ms` or `Retry-After` as `retryAfter`, and the error body the
 *   SDK parsed, as JSON text; {@link isTransient} honours the server's
 *   `x-should-retry` header as the SDKs do;
 * - an `APIConnectionError` (`status` undefined: refused, reset, dropped) or
 *   `APIConnectionTimeoutError`, or an error whose cause chain has a system
 *   code (`ECONNRESET`, `UND_ERR_SOCKET`: a body cut short): a
 *   {@link NetworkError} with the first such code.
 *
 * Anything else (a `TypeError` of your own code, an SDK's complaint about
 * its arguments) is not a failure of the call but a defect: it is rethrown
 * unchanged, so that inside `TE.tryCatch` it rejects the task, which no
 * retry hides.
 *
 * Turn the SDK's own retries off (`maxRetries: 0`), or they multiply with
 * yours: three attempts of a client that tries three times each are nine
 * requests.
 *
 * @example
 * import * as Http from 'fp-ts-retry/http'
 *
 * // the shape of an SDK's RateLimitError: a status and the response headers
 * const limited = Object.assign(new Error('429 Rate limit reached'), {
 *   status: 429,
 *   headers: new Headers({ 'retry-after-ms': '1500' }),
 *   error: { message: 'Rate limit reached', type: 'requests' },
 * })
 * const error = Http.fromSdkError(limited)
 * // error._tag === 'HttpError', error.retryAfter is some(1500)
 * Http.isTransient(error)
 * // => true
 *
 * @throws the error itself when it is neither an HTTP nor a connection failure (a defect)
 * @since 0.2.0
 * @category constructors
 */
export const fromSdkError = (error: unknown, options: SdkErrorOptions = {}): FetchError => {
  const method = (options.method ?? 'POST').toUpperCase()
  const url = options.url ?? ''
  if (typeof error !== 'object' || error === null) throw error
  const names = classNames(error)
  const { status, headers, error: body } = error as { status?: unknown; headers?: unknown; error?: unknown }
  const { message, code } = describeCause(error)
  if (options.signal?.aborted === true || names.includes('APIUserAbortError') || names.includes('AbortError')) {
    const reason = options.signal?.aborted === true ? describeCause(options.signal.reason).message : message
    return { _tag: 'NetworkError', method, url, code: O.some(ABORT_ERR), message: `aborted: ${reason}`, cause: error }
  }
  if (typeof status === 'number') {
    const record = headerRecord(headers)
    return {
      _tag: 'HttpError',
      method,
      url,
      status,
      statusText: STATUS_TEXT[status] ?? '',
      headers: record,
      retryAfter: retryAfter(record, (options.now ?? Date.now)()),
      body: bodyText(body),
    }
  }
  const connectionCode = pipe(code, O.filter(isConnectionCode))
  const isTimedOut = names.includes('APIConnectionTimeoutError')
  if (
    isTimedOut ||
    names.includes('APIConnectionError') ||
    ('status' in error && 'headers' in error) ||
    O.isSome(connectionCode)
  ) {
    const named = O.isSome(connectionCode) ? connectionCode : isTimedOut ? O.some('ETIMEDOUT') : O.none
    return { _tag: 'NetworkError', method, url, code: named, message, cause: error }
  }
  throw error
}
