/**
 * Http.fromSdkError: the errors the SDKs throw, read by their shape (never by
 * their class: the classifier depends on no SDK) into typed HttpError /
 * NetworkError values; and Http.isTransient honouring the server's
 * `x-should-retry`, as the SDKs do.
 */
import * as Anthropic from '@anthropic-ai/sdk'
import * as O from 'fp-ts/Option'
import { pipe } from 'fp-ts/function'
import * as OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { Schedule } from '../src/index'
import * as Http from '../src/Http'

const now = Date.UTC(2025, 0, 1)

describe('Http.fromSdkError on the SDKs’ own error classes', () => {
  it('a RateLimitError is an HttpError with its headers and retry hint', () => {
    const headers = new Headers({ 'retry-after': '20', 'x-request-id': 'req_1' })
    const error = Http.fromSdkError(
      new OpenAI.RateLimitError(429, { message: 'Rate limit reached', type: 'requests' }, undefined, headers),
      { url: 'https://api.openai.com/v1/chat/completions', now: () => now },
    )
    expect(error).toEqual({
      _tag: 'HttpError',
      method: 'POST',
      url: 'https://api.openai.com/v1/chat/completions',
      status: 429,
      statusText: 'Too Many Requests',
      headers: { 'retry-after': '20', 'x-request-id': 'req_1' },
      retryAfter: O.some(20_000),
      body: '{"message":"Rate limit reached","type":"requests"}',
    })
    expect(Http.isTransient(error)).toBe(true)
  })

  it('an Anthropic OverloadedError (529) is transient, and retry-after-ms wins over retry-after', () => {
    const headers = new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' })
    const overloaded = new Anthropic.InternalServerError(529, { type: 'error' }, undefined, headers)
    const error = Http.fromSdkError(overloaded)
    expect(error).toMatchObject({ _tag: 'HttpError', status: 529, statusText: 'Overloaded', retryAfter: O.some(1500) })
    expect(Http.isTransient(error)).toBe(true)
  })

  it.each([
    ['openai', new OpenAI.APIConnectionError({ message: 'Connection error.' })],
    ['anthropic', new Anthropic.APIConnectionError({ message: 'Connection error.' })],
  ])('a %s APIConnectionError is a NetworkError, with the code of its cause', (_, error) => {
    expect(Http.fromSdkError(error)).toMatchObject({ _tag: 'NetworkError', code: O.none, message: 'Connection error.' })
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    const withCause = Object.assign(error, { cause: new TypeError('fetch failed', { cause: reset }) })
    const classified = Http.fromSdkError(withCause)
    expect(classified).toMatchObject({ _tag: 'NetworkError', code: O.some('ECONNRESET') })
    expect(Http.isTransient(classified)).toBe(true)
  })

  it.each([
    ['openai', new OpenAI.APIConnectionTimeoutError()],
    ['anthropic', new Anthropic.APIConnectionTimeoutError()],
  ])('a %s APIConnectionTimeoutError is a NetworkError ETIMEDOUT', (_, error) => {
    expect(Http.fromSdkError(error)).toMatchObject({ _tag: 'NetworkError', code: O.some('ETIMEDOUT') })
  })

  it.each([
    ['openai', new OpenAI.APIUserAbortError()],
    ['anthropic', new Anthropic.APIUserAbortError()],
  ])('a %s APIUserAbortError is the caller’s abort: ABORT_ERR, not transient', (_, error) => {
    const classified = Http.fromSdkError(error)
    expect(classified).toMatchObject({ _tag: 'NetworkError', code: O.some('ABORT_ERR') })
    expect(Http.isTransient(classified)).toBe(false)
  })

  it('any failure while the given signal has fired is the caller’s abort, with the signal’s reason', () => {
    const controller = new AbortController()
    controller.abort(new Error('user left'))
    const error = Http.fromSdkError(new OpenAI.APIConnectionError({ message: 'Connection error.' }), {
      signal: controller.signal,
    })
    expect(error).toMatchObject({ _tag: 'NetworkError', code: O.some('ABORT_ERR'), message: 'aborted: user left' })
  })
})

describe('Http.fromSdkError on shapes, from any SDK', () => {
  it('reads a plain record or a Map of headers, names in lower case', () => {
    expect(Http.fromSdkError({ status: 503, headers: { 'Retry-After': '1' } }, { now: () => now })).toMatchObject({
      headers: { 'retry-after': '1' },
      retryAfter: O.some(1000),
      statusText: 'Service Unavailable',
      body: '',
    })
    expect(Http.fromSdkError({ status: 418, headers: new Map([['X-Should-Retry', 'true']]) })).toMatchObject({
      headers: { 'x-should-retry': 'true' },
      statusText: '',
    })
    expect(Http.fromSdkError({ status: 500 })).toMatchObject({ _tag: 'HttpError', headers: {}, retryAfter: O.none })
  })

  it('a body cut short (a system code in the cause chain) is a NetworkError', () => {
    const cut = new TypeError('terminated', {
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    })
    expect(Http.fromSdkError(cut, { method: 'post', url: 'http://127.0.0.1/v1/messages' })).toEqual({
      _tag: 'NetworkError',
      method: 'POST',
      url: 'http://127.0.0.1/v1/messages',
      code: O.some('UND_ERR_SOCKET'),
      message: 'terminated: other side closed',
      cause: cut,
    })
  })

  it('anything else is a defect, rethrown unchanged: never a blind catch-all', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'content')")
    expect(() => Http.fromSdkError(bug)).toThrow(bug)
    const argument = Object.assign(new TypeError('bad argument'), { code: 'ERR_INVALID_ARG_TYPE' })
    expect(() => Http.fromSdkError(argument)).toThrow(argument)
    expect(() => Http.fromSdkError('oops')).toThrow('oops')
    expect(() =>
      Http.fromSdkError(new OpenAI.OpenAIError('The OPENAI_API_KEY environment variable is missing')),
    ).toThrow(/OPENAI_API_KEY/)
  })
})

describe('Http.isTransient and the server’s x-should-retry', () => {
  const httpError = (status: number, headers: Record<string, string> = {}): Http.HttpError => ({
    _tag: 'HttpError',
    method: 'POST',
    url: '/',
    status,
    statusText: '',
    headers,
    retryAfter: O.none,
    body: '',
  })

  it('decides alone when present, for any HttpError (fetch too), as the SDKs obey it', () => {
    expect(Http.isTransient(httpError(503, { 'x-should-retry': 'false' }))).toBe(false)
    expect(Http.isTransient(httpError(400, { 'x-should-retry': 'true' }))).toBe(true)
    expect(Http.isTransient(httpError(400, { 'x-should-retry': 'maybe' }))).toBe(false)
    expect(Http.isTransient(httpError(503, { 'x-should-retry': 'TRUE' }))).toBe(true) // not a verdict: the status decides
    const policy = pipe(Schedule.recurs(5), Schedule.whileInput(Http.isTransient))
    expect(Schedule.simulate(policy, [httpError(529), httpError(500, { 'x-should-retry': 'false' })])).toEqual([0])
  })

  it('never throws, whatever it is given', () => {
    const hostile = new Proxy(
      { _tag: 'HttpError' },
      {
        get: () => {
          throw new Error('no')
        },
      },
    )
    expect(Http.isTransient(hostile)).toBe(false)
    expect(Http.isTransient({ _tag: 'HttpError', status: 500, headers: null })).toBe(true)
  })
})
