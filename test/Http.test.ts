/**
 * Http against real node:http servers on 127.0.0.1: what is transient is
 * retried, what is permanent is not, the server's Retry-After is honoured in
 * the clock's time, and failed bodies do not leak connections.
 */
import type * as http from 'node:http'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import { afterEach, describe, expect, it } from 'vitest'
import { CircuitBreaker, Operation, Retry, Schedule, TestClock, Timeout } from '../src/index'
import * as Http from '../src/Http'
import { refusedUrl, reply, serve, type TestServer } from './support/server'

const policy = pipe(
  Schedule.spaced(100),
  Schedule.intersect(Schedule.recurs(4)),
  Schedule.whileInput(Http.isTransient),
  Schedule.waitForHint(10_000),
)

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const deferred = <A = void>() => {
  let resolve: (value: A) => void = () => undefined
  const promise = new Promise<A>((r) => (resolve = r))
  return { promise, resolve: (value: A) => resolve(value) }
}

const failures = () => {
  const seen: Array<Retry.RetryEvent<{ readonly _tag: string }>> = []
  return { seen, onRetry: (event: Retry.RetryEvent<{ readonly _tag: string }>) => void seen.push(event) }
}

describe('Http scenarios against a real server', () => {
  it('503 then 200 is retried after the schedule delay and succeeds', async () => {
    server = await serve((_, res, n) => (n === 1 ? reply(res, 503, 'busy') : reply(res, 200, 'hello')))
    const clock = TestClock.make()
    const log = failures()
    const running = Operation.run(
      pipe(Http.text(server.url), Retry.retrying(policy, { clock, onRetry: log.onRetry })),
    )()
    await clock.whenSleeping()
    await clock.adjust(100)
    expect(await running).toEqual(E.right('hello'))
    expect(server.requests()).toBe(2)
    expect(log.seen.map((e) => [e.error._tag, (e.error as Http.HttpError).status, e.delay])).toEqual([
      ['HttpError', 503, 100],
    ])
  })

  it('401 is tried exactly once and reported with its typed error', async () => {
    server = await serve((_, res) => reply(res, 401, 'bad token', { 'www-authenticate': 'Bearer' }))
    const clock = TestClock.make()
    const result = await Operation.run(pipe(Http.text(server.url), Retry.retrying(policy, { clock })))()
    expect(server.requests()).toBe(1)
    expect(clock.pending()).toBe(0)
    expect(E.isLeft(result) && result.left).toMatchObject({
      _tag: 'HttpError',
      method: 'GET',
      status: 401,
      statusText: 'Unauthorized',
      headers: { 'www-authenticate': 'Bearer' },
      retryAfter: O.none,
      body: 'bad token',
    })
  })

  it('429 with Retry-After: 2 waits 2 s of the clock before the next attempt', async () => {
    const clock = TestClock.make()
    const arrivals: Array<number> = []
    server = await serve((_, res, n) => {
      arrivals.push(clock.now())
      if (n === 1) reply(res, 429, 'slow down', { 'retry-after': '2' })
      else reply(res, 200, 'ok')
    })
    const log = failures()
    const running = Operation.run(
      pipe(Http.text(server.url), Retry.retrying(policy, { clock, onRetry: log.onRetry })),
    )()
    await clock.whenSleeping()
    expect(log.seen.map((e) => e.delay)).toEqual([2000])
    await clock.adjust(1999)
    expect(clock.pending()).toBe(1) // still waiting: the schedule's own 100 ms was overruled
    expect(server.requests()).toBe(1)
    await clock.adjust(1)
    expect(await running).toEqual(E.right('ok'))
    expect(arrivals).toHaveLength(2)
    expect(arrivals[1]).toBeGreaterThanOrEqual(2000)
  })

  it('a server hint longer than the maximum is bounded by it', async () => {
    const clock = TestClock.make()
    server = await serve((_, res, n) =>
      n === 1 ? reply(res, 503, '', { 'retry-after': '3600' }) : reply(res, 200, 'back'),
    )
    const log = failures()
    const bounded = pipe(Schedule.spaced(100), Schedule.intersect(Schedule.recurs(1)), Schedule.waitForHint(5000))
    const running = Operation.run(
      pipe(Http.text(server.url), Retry.retrying(bounded, { clock, onRetry: log.onRetry })),
    )()
    await clock.whenSleeping()
    expect(log.seen.map((e) => e.delay)).toEqual([5000])
    await clock.adjust(5000)
    expect(await running).toEqual(E.right('back'))
  })

  it('an HTTP-date Retry-After is resolved against the injected wall clock', async () => {
    const now = Date.UTC(2025, 0, 1, 12, 0, 0)
    server = await serve((_, res) => reply(res, 503, '', { 'retry-after': 'Wed, 01 Jan 2025 12:00:03 GMT' }))
    const result = await Operation.run(Http.text(server.url, { now: () => now }))()
    expect(E.isLeft(result) && result.left._tag === 'HttpError' && result.left.retryAfter).toEqual(O.some(3000))
  })

  it('a connection refused is a typed NetworkError, retried by the default classifier', async () => {
    const url = await refusedUrl()
    const clock = TestClock.make()
    const log = failures()
    const running = Operation.run(
      pipe(
        Http.text(url),
        Retry.retrying(pipe(Schedule.recurs(2), Schedule.whileInput(Http.isTransient)), {
          clock,
          onRetry: log.onRetry,
        }),
      ),
    )()
    const result = await running
    expect(log.seen).toHaveLength(2)
    expect(E.isLeft(result) && result.left).toMatchObject({
      _tag: 'NetworkError',
      method: 'GET',
      url,
      code: O.some('ECONNREFUSED'),
    })
    expect(E.isLeft(result) && result.left._tag === 'NetworkError' && result.left.message).toMatch(/ECONNREFUSED/)
  })

  it('a redirect loop and oversized headers are permanent: one attempt each, not retried', async () => {
    const retries = pipe(Schedule.recurs(3), Schedule.whileInput(Http.isTransient))
    server = await serve((request, response) =>
      request.url === '/loop'
        ? reply(response, 302, '', { location: '/loop' })
        : reply(response, 200, 'x', { 'x-big': 'a'.repeat(100_000) }),
    )
    const loop = await Operation.run(pipe(Http.text(`${server.url}/loop`), Retry.retrying(retries)))()
    expect(E.isLeft(loop) && loop.left).toMatchObject({ _tag: 'NetworkError', code: O.some('ERR_TOO_MANY_REDIRECTS') })
    // fetch follows 20 redirects, once: 21 requests, where retrying the loop sent 84
    expect(server.requests()).toBe(21)
    const big = await Operation.run(pipe(Http.text(`${server.url}/big`), Retry.retrying(retries)))()
    expect(E.isLeft(big) && big.left).toMatchObject({ _tag: 'NetworkError', code: O.some('UND_ERR_HEADERS_OVERFLOW') })
    expect(server.requests()).toBe(22)
  })

  it('a connection reset in the middle of the body is a NetworkError and is retried', async () => {
    server = await serve((_, res, n) => {
      if (n > 1) return reply(res, 200, 'complete body')
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' })
      res.write('only the first bytes', () => res.socket?.destroy())
    })
    const clock = TestClock.make()
    const log = failures()
    const running = Operation.run(
      pipe(Http.text(server.url), Retry.retrying(policy, { clock, onRetry: log.onRetry })),
    )()
    await clock.whenSleeping()
    await clock.adjust(100)
    expect(await running).toEqual(E.right('complete body'))
    expect(server.requests()).toBe(2)
    expect(log.seen.map((e) => e.error._tag)).toEqual(['NetworkError'])
  })

  it('a per-attempt timeout aborts a hanging request as a TimeoutError, in the clock’s time', async () => {
    server = await serve((_, res, n) => {
      if (n > 1) reply(res, 200, 'fast now')
      // the first request never gets an answer
    })
    const clock = TestClock.make()
    const log = failures()
    const running = Operation.run(
      pipe(
        Http.text(server.url),
        Timeout.timeout(1000, { clock }),
        Retry.retrying(policy, { clock, onRetry: log.onRetry }),
      ),
    )()
    await clock.whenSleeping(1, 'timeout') // the first attempt's timeout
    // the timer is armed before the request is sent: wait (in real time) until the server has it, so that the
    // timeout cuts a request in flight rather than one not yet connected
    while (server.requests() < 1) await new Promise((resolve) => setTimeout(resolve, 1))
    await clock.adjust(999)
    expect(log.seen).toEqual([])
    await clock.adjust(1)
    await clock.whenSleeping(1, 'backoff') // the retry's delay
    await clock.adjust(100)
    expect(await running).toEqual(E.right('fast now'))
    // 0.2: the one Timeout.TimeoutError, without the request's method and url
    expect(log.seen.map((e) => e.error)).toEqual([{ _tag: 'TimeoutError', timeout: 1000 }])
  })

  it('the timeout of text covers a body that stalls', async () => {
    server = await serve((_, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' })
      res.write('the start, then nothing')
    })
    const clock = TestClock.make()
    const running = Operation.run(pipe(Http.text(server.url), Timeout.timeout(1000, { clock })))()
    await clock.whenSleeping(1, 'timeout')
    await clock.adjust(1000)
    // 0.2: the one Timeout.TimeoutError, without the request's method and url
    expect(await running).toEqual(E.left({ _tag: 'TimeoutError', timeout: 1000 }))
  })

  it('the timeout timer is cancelled as soon as the attempt ends', async () => {
    server = await serve((_, res) => reply(res, 200, 'quick'))
    const clock = TestClock.make()
    const response = await Operation.run(pipe(Http.request(server.url), Timeout.timeout(1000, { clock })))()
    expect(clock.pending()).toBe(0)
    expect(E.isRight(response) && (await response.right.text())).toBe('quick')
  })

  it('the caller’s signal cancels a hanging attempt: the retrying call ends at once, with no retry', async () => {
    server = await serve(() => undefined) // never answers
    const controller = new AbortController()
    const attempts: Array<number> = []
    const running = pipe(
      Http.text(server.url),
      Retry.retrying(pipe(Schedule.recurs(3), Schedule.whileInput(Http.isTransient)), {
        onRetry: (e) => void attempts.push(e.attempt),
      }),
    )({ signal: controller.signal })()
    while (server.requests() === 0) await new Promise((resolve) => setImmediate(resolve))
    const reason = new Error('user left')
    controller.abort(reason)
    const result = await running
    // 0.2: under retrying an abort ends the call at once with Retry.Aborted (the attempt itself fails with
    // a NetworkError ABORT_ERR, see 'a caller’s signal firing mid-request' below)
    expect(E.isLeft(result) && result.left).toEqual({ _tag: 'Aborted', reason, lastError: O.none })
    expect(attempts).toEqual([])
    expect(server.requests()).toBe(1)
  })

  it('an already aborted signal sends nothing', async () => {
    server = await serve((_, res) => reply(res, 200, 'ok'))
    const result = await Http.text(server.url)({ signal: AbortSignal.abort() })()
    expect(E.isLeft(result) && result.left._tag === 'NetworkError' && result.left.code).toEqual(O.some('ABORT_ERR'))
    expect(server.requests()).toBe(0)
  })

  it('consumes the body of every failed attempt, so the connection is reused', async () => {
    // a body too large for the client to buffer on its own: left unread, it would pin its connection
    const body = 'b'.repeat(150_000)
    server = await serve((_, res) => reply(res, 503, body))
    const clock = TestClock.make()
    const running = Operation.run(
      pipe(
        Http.text(server.url, { maxErrorBody: 200_000 }),
        Retry.retrying(pipe(Schedule.spaced(10), Schedule.intersect(Schedule.recurs(4))), { clock }),
      ),
    )()
    for (let i = 0; i < 4; i++) {
      await clock.whenSleeping()
      await clock.adjust(10)
    }
    const result = await running
    expect(server.requests()).toBe(5)
    expect(server.connections()).toBe(1)
    expect(E.isLeft(result) && result.left._tag === 'HttpError' && result.left.body).toBe(body)
  })

  it('keeps only maxErrorBody bytes of a large error body and cancels the rest', async () => {
    server = await serve((_, res) => reply(res, 500, 'x'.repeat(1_000_000)))
    const result = await Operation.run(Http.text(server.url, { maxErrorBody: 100 }))()
    expect(E.isLeft(result) && result.left._tag === 'HttpError' && result.left.body).toBe('x'.repeat(100))
  })

  it('cancels the rest of an error body past maxErrorBody: an endless error stream is closed, not left pinned', async () => {
    let closedUnfinished: (unfinished: boolean) => void = () => undefined
    const closed = new Promise<boolean>((resolve) => (closedUnfinished = resolve))
    server = await serve((_, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' })
      const pump = () => {
        while (!res.destroyed && res.write('x'.repeat(16_384)));
      }
      res.on('drain', pump)
      res.on('close', () => closedUnfinished(!res.writableFinished))
      pump()
    })
    const result = await Operation.run(Http.text(server.url, { maxErrorBody: 100 }))()
    expect(E.isLeft(result) && result.left._tag === 'HttpError' && result.left.body).toBe('x'.repeat(100))
    // the server only sees its response closed if the client cancelled the body (left unread, it waits forever)
    expect(await closed).toBe(true)
  })

  it('request returns the 2xx Response with its body unread; json parses; sends method and body', async () => {
    const bodies: Array<string> = []
    server = await serve((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => {
        bodies.push(`${req.method} ${body}`)
        reply(res, 200, '{"ok":true}', { 'content-type': 'application/json' })
      })
    })
    const response = await Operation.run(Http.request(server.url, { method: 'POST', body: 'hi' }))()
    expect(E.isRight(response) && (await response.right.json())).toEqual({ ok: true })
    expect(await Operation.run(Http.json(server.url))()).toEqual(E.right({ ok: true }))
    expect(bodies).toEqual(['POST hi', 'GET '])
  })

  it('a 2xx body that is not JSON is a DecodeError from json, not retried by isTransient', async () => {
    server = await serve((_, res) => reply(res, 200, '<html>oops</html>'))
    const result = await Operation.run(
      pipe(Http.json(server.url), Retry.retrying(pipe(Schedule.recurs(3), Schedule.whileInput(Http.isTransient)))),
    )()
    expect(server.requests()).toBe(1)
    expect(E.isLeft(result) && result.left).toMatchObject({ _tag: 'DecodeError', reason: 'InvalidJson' })
  })

  it('rejects a nonsense timeout or maxErrorBody at once', () => {
    // 0.2: the timeout is Timeout.timeout's, so its check names Timeout.timeout
    expect(() => pipe(Http.request('http://127.0.0.1/'), Timeout.timeout(-1))).toThrow(
      new RangeError('Timeout.timeout: ms must be a finite non-negative number of milliseconds, got -1'),
    )
    expect(() => Http.text('http://127.0.0.1/', { maxErrorBody: 1.5 })).toThrow(RangeError)
  })
})

describe('Http as a cancellable operation', () => {
  it('a caller’s signal firing mid-request fails it with a NetworkError ABORT_ERR, which isTransient does not retry', async () => {
    const arrived = deferred()
    const closed = deferred<boolean>()
    server = await serve((_, res) => {
      res.on('close', () => closed.resolve(!res.writableFinished))
      arrived.resolve() // and never answers
    })
    const controller = new AbortController()
    const running = Http.text(server.url)({ signal: controller.signal })()
    await arrived.promise
    controller.abort(new Error('user left'))
    const result = await running
    expect(E.isLeft(result) && result.left).toMatchObject({
      _tag: 'NetworkError',
      method: 'GET',
      url: server.url,
      code: O.some('ABORT_ERR'),
      message: 'aborted: user left',
    })
    expect(E.isLeft(result) && Http.isTransient(result.left)).toBe(false)
    expect(await closed.promise).toBe(true) // the request was cancelled, not left open
    expect(server.requests()).toBe(1)
  })

  it('Timeout.timeout around text covers a body that stalls after the headers: a TimeoutError, the connection closed', async () => {
    const closed = deferred<boolean>()
    server = await serve((_, res) => {
      res.on('close', () => closed.resolve(!res.writableFinished))
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' })
      res.write('the start, then nothing')
    })
    const headers = deferred()
    const seeHeaders: typeof fetch = (input, init) =>
      fetch(input, init).then((response) => {
        headers.resolve()
        return response
      })
    const clock = TestClock.make()
    const running = Operation.run(
      pipe(Http.text(server.url, { fetch: seeHeaders }), Timeout.timeout(1000, { clock })),
    )()
    await headers.promise // the response is in: the limit now falls while the body is read
    await clock.whenSleeping(1, 'timeout')
    await clock.adjust(999)
    expect(server.requests()).toBe(1)
    await clock.adjust(1)
    expect(await running).toEqual(E.left({ _tag: 'TimeoutError', timeout: 1000 }))
    // the timeout's signal cancelled the body: the server sees its unfinished response closed
    expect(await closed.promise).toBe(true)
    expect(clock.pending()).toBe(0)
  })

  it('one wrapped request run twice with two signals: aborting one run leaves the other succeeding', async () => {
    const arrived = [deferred<http.ServerResponse>(), deferred<http.ServerResponse>()] as const
    const firstClosed = deferred<boolean>()
    server = await serve((_, res, n) => {
      if (n === 1) res.on('close', () => firstClosed.resolve(!res.writableFinished))
      arrived[n - 1]?.resolve(res) // answered below, or never
    })
    const clock = TestClock.make()
    const call = pipe(Http.text(server.url), Timeout.timeout(5000, { clock }), Retry.retrying(policy, { clock }))
    const a = new AbortController()
    const b = new AbortController()
    const first = call({ signal: a.signal })()
    await arrived[0].promise
    const second = call({ signal: b.signal })()
    const secondResponse = await arrived[1].promise
    a.abort('first caller left')
    expect(await first).toEqual(E.left({ _tag: 'Aborted', reason: 'first caller left', lastError: O.none }))
    expect(await firstClosed.promise).toBe(true) // the first run's request was cancelled
    reply(secondResponse, 200, 'for the second caller')
    expect(await second).toEqual(E.right('for the second caller'))
    expect(b.signal.aborted).toBe(false)
    expect(server.requests()).toBe(2)
    expect(clock.pending()).toBe(0)
  })

  it('an open circuit in front of the server is waited out by Schedule.waitForHint, then a probe gets through', async () => {
    server = await serve((_, res, n) => (n === 1 ? reply(res, 503, 'down') : reply(res, 200, 'recovered')))
    const clock = TestClock.make()
    const breaker = CircuitBreaker.make({ clock, consecutiveFailures: 1, halfOpenAfter: 5000 })()
    const log = failures()
    const running = Operation.run(
      pipe(
        Http.text(server.url),
        CircuitBreaker.protect(breaker),
        Retry.retrying(policy, { clock, onRetry: log.onRetry }),
      ),
    )()
    await clock.whenSleeping(1, 'backoff')
    await clock.adjust(100) // the second attempt finds the circuit open until 5000
    await clock.whenSleeping(1, 'backoff')
    expect(log.seen.map((e) => [e.error._tag, e.delay])).toEqual([
      ['HttpError', 100],
      ['CircuitOpen', 4900],
    ])
    await clock.adjust(4899)
    expect(server.requests()).toBe(1)
    await clock.adjust(1)
    expect(await running).toEqual(E.right('recovered'))
    expect(server.requests()).toBe(2)
  })
})

describe('Http.isTransient', () => {
  const httpError = (status: number): Http.HttpError => ({
    _tag: 'HttpError',
    method: 'GET',
    url: '/',
    status,
    statusText: '',
    headers: {},
    retryAfter: O.none,
    body: '',
  })

  it.each([408, 429, 500, 502, 503, 504, 529])('retries %i', (status) => {
    expect(Http.isTransient(httpError(status))).toBe(true)
  })

  it('transientStatuses and isTransientStatus list 529 (Overloaded) with the others, and only those', () => {
    expect([...Http.transientStatuses].sort((a, b) => a - b)).toEqual([408, 429, 500, 502, 503, 504, 529])
    for (let status = 100; status < 600; status++)
      expect(Http.isTransientStatus(status), String(status)).toBe(Http.transientStatuses.has(status))
  })

  it('obeys x-should-retry true or false over the status, whatever the case of the header’s name', () => {
    const withHeaders = (status: number, headers: Record<string, string>): Http.HttpError => ({
      ...httpError(status),
      headers,
    })
    expect(Http.isTransient(withHeaders(529, { 'x-should-retry': 'false' }))).toBe(false)
    expect(Http.isTransient(withHeaders(409, { 'x-should-retry': 'true' }))).toBe(true)
    expect(Http.isTransient(withHeaders(503, { 'X-Should-Retry': 'false' }))).toBe(false) // a hand-built error
    expect(Http.isTransient(withHeaders(400, { 'X-SHOULD-RETRY': 'true' }))).toBe(true)
    expect(Http.isTransient(withHeaders(503, { 'x-should-retry': 'no' }))).toBe(true) // not a verdict: the status decides
  })

  it.each([400, 401, 403, 404, 405, 409, 410, 422, 501, 505])('never retries %i', (status) => {
    expect(Http.isTransient(httpError(status))).toBe(false)
  })

  it('retries network errors and timeouts, not decode errors nor unknown tags', () => {
    const network: Http.NetworkError = {
      _tag: 'NetworkError',
      method: 'GET',
      url: '/',
      code: O.none,
      message: '',
      cause: undefined,
    }
    expect(Http.isTransient(network)).toBe(true)
    const reset: Http.NetworkError = { ...network, code: O.some('ECONNRESET') }
    const aborted: Http.NetworkError = { ...network, code: O.some('ABORT_ERR') }
    expect(Http.isTransient(reset)).toBe(true)
    expect(Http.isTransient(aborted)).toBe(false)
    const timeout = { _tag: 'TimeoutError', timeout: 10 } as const
    expect(Http.isTransient(timeout)).toBe(true)
    expect(Http.isTransient({ _tag: 'DecodeError' })).toBe(false)
    expect(Http.isTransient({ _tag: 'SomethingElse' })).toBe(false)
  })

  it('retries an open circuit, and accepts any value', () => {
    const open: CircuitBreaker.CircuitOpen = {
      _tag: 'CircuitOpen',
      state: 'Open',
      retryAt: 5000,
      retryAfter: O.some(4700),
    }
    expect(Http.isTransient(open)).toBe(true)
    expect(Http.isTransient({ ...open, state: 'HalfOpen', retryAfter: O.some(0) })).toBe(true)
    for (const value of [undefined, null, 42, 'NetworkError', new Error('503'), { status: 503 }])
      expect(Http.isTransient(value)).toBe(false)
  })
})
