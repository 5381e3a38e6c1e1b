/**
 * Http against real node:http servers on 127.0.0.1: what is transient is
 * retried, what is permanent is not, the server's Retry-After is honoured in
 * the clock's time, and failed bodies do not leak connections.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import { afterEach, describe, expect, it } from 'vitest'
import { Http, Retry, Schedule, TestClock } from '../src/index'
import { refusedUrl, reply, serve, type TestServer } from './support/server'

const policy = pipe(
  Schedule.spaced(100),
  Schedule.intersect(Schedule.recurs(4)),
  Schedule.whileInput(Http.isTransient),
  Http.respectRetryAfter(10_000),
)

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const failures = () => {
  const seen: Array<Retry.RetryEvent<{ readonly _tag: string }>> = []
  return { seen, onRetry: (event: Retry.RetryEvent<{ readonly _tag: string }>) => void seen.push(event) }
}

describe('Http scenarios against a real server', () => {
  it('503 then 200 is retried after the schedule delay and succeeds', async () => {
    server = await serve((_, res, n) => (n === 1 ? reply(res, 503, 'busy') : reply(res, 200, 'hello')))
    const clock = TestClock.make()
    const log = failures()
    const running = pipe(Http.text(server.url), Retry.retrying(policy, { clock, onRetry: log.onRetry }))()
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
    const result = await pipe(Http.text(server.url), Retry.retrying(policy, { clock }))()
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
    const running = pipe(Http.text(server.url), Retry.retrying(policy, { clock, onRetry: log.onRetry }))()
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
    const bounded = pipe(Schedule.spaced(100), Schedule.intersect(Schedule.recurs(1)), Http.respectRetryAfter(5000))
    const running = pipe(Http.text(server.url), Retry.retrying(bounded, { clock, onRetry: log.onRetry }))()
    await clock.whenSleeping()
    expect(log.seen.map((e) => e.delay)).toEqual([5000])
    await clock.adjust(5000)
    expect(await running).toEqual(E.right('back'))
  })

  it('an HTTP-date Retry-After is resolved against the injected wall clock', async () => {
    const now = Date.UTC(2025, 0, 1, 12, 0, 0)
    server = await serve((_, res) => reply(res, 503, '', { 'retry-after': 'Wed, 01 Jan 2025 12:00:03 GMT' }))
    const result = await Http.text(server.url, { now: () => now })()
    expect(E.isLeft(result) && result.left._tag === 'HttpError' && result.left.retryAfter).toEqual(O.some(3000))
  })

  it('a connection refused is a typed NetworkError, retried by the default classifier', async () => {
    const url = await refusedUrl()
    const clock = TestClock.make()
    const log = failures()
    const running = pipe(
      Http.text(url),
      Retry.retrying(pipe(Schedule.recurs(2), Schedule.whileInput(Http.isTransient)), { clock, onRetry: log.onRetry }),
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

  it('a connection reset in the middle of the body is a NetworkError and is retried', async () => {
    server = await serve((_, res, n) => {
      if (n > 1) return reply(res, 200, 'complete body')
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' })
      res.write('only the first bytes', () => res.socket?.destroy())
    })
    const clock = TestClock.make()
    const log = failures()
    const running = pipe(Http.text(server.url), Retry.retrying(policy, { clock, onRetry: log.onRetry }))()
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
    const running = pipe(
      Http.text(server.url, { timeout: 1000, clock }),
      Retry.retrying(policy, { clock, onRetry: log.onRetry }),
    )()
    await clock.whenSleeping() // the first attempt's timeout
    await clock.adjust(999)
    expect(log.seen).toEqual([])
    await clock.adjust(1)
    await clock.whenSleeping() // the retry's delay
    await clock.adjust(100)
    expect(await running).toEqual(E.right('fast now'))
    expect(log.seen.map((e) => e.error)).toEqual([
      { _tag: 'TimeoutError', method: 'GET', url: server.url, timeout: 1000 },
    ])
  })

  it('the timeout of text covers a body that stalls', async () => {
    server = await serve((_, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' })
      res.write('the start, then nothing')
    })
    const clock = TestClock.make()
    const running = Http.text(server.url, { timeout: 1000, clock })()
    await clock.whenSleeping()
    await clock.adjust(1000)
    expect(await running).toEqual(E.left({ _tag: 'TimeoutError', method: 'GET', url: server.url, timeout: 1000 }))
  })

  it('the timeout timer is cancelled as soon as the attempt ends', async () => {
    server = await serve((_, res) => reply(res, 200, 'quick'))
    const clock = TestClock.make()
    const response = await Http.request(server.url, { timeout: 1000, clock })()
    expect(clock.pending()).toBe(0)
    expect(E.isRight(response) && (await response.right.text())).toBe('quick')
  })

  it('the caller’s signal cancels a hanging attempt: a NetworkError ABORT_ERR that isTransient does not retry', async () => {
    server = await serve(() => undefined) // never answers
    const controller = new AbortController()
    const attempts: Array<number> = []
    const running = pipe(
      Http.text(server.url, { signal: controller.signal }),
      Retry.retrying(pipe(Schedule.recurs(3), Schedule.whileInput(Http.isTransient)), {
        onRetry: (e) => void attempts.push(e.attempt),
      }),
    )()
    while (server.requests() === 0) await new Promise((resolve) => setImmediate(resolve))
    controller.abort(new Error('user left'))
    const result = await running
    expect(E.isLeft(result) && result.left).toMatchObject({
      _tag: 'NetworkError',
      code: O.some('ABORT_ERR'),
      message: 'aborted: user left',
    })
    expect(attempts).toEqual([])
    expect(server.requests()).toBe(1)
  })

  it('an already aborted signal sends nothing', async () => {
    server = await serve((_, res) => reply(res, 200, 'ok'))
    const result = await Http.text(server.url, { signal: AbortSignal.abort() })()
    expect(E.isLeft(result) && result.left._tag === 'NetworkError' && result.left.code).toEqual(O.some('ABORT_ERR'))
    expect(server.requests()).toBe(0)
  })

  it('consumes the body of every failed attempt, so the connection is reused', async () => {
    // a body too large for the client to buffer on its own: left unread, it would pin its connection
    const body = 'b'.repeat(150_000)
    server = await serve((_, res) => reply(res, 503, body))
    const clock = TestClock.make()
    const running = pipe(
      Http.text(server.url, { maxErrorBody: 200_000 }),
      Retry.retrying(pipe(Schedule.spaced(10), Schedule.intersect(Schedule.recurs(4))), { clock }),
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
    const result = await Http.text(server.url, { maxErrorBody: 100 })()
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
    const result = await Http.text(server.url, { maxErrorBody: 100 })()
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
    const response = await Http.request(server.url, { method: 'POST', body: 'hi' })()
    expect(E.isRight(response) && (await response.right.json())).toEqual({ ok: true })
    expect(await Http.json(server.url)()).toEqual(E.right({ ok: true }))
    expect(bodies).toEqual(['POST hi', 'GET '])
  })

  it('a 2xx body that is not JSON is a DecodeError from json, not retried by isTransient', async () => {
    server = await serve((_, res) => reply(res, 200, '<html>oops</html>'))
    const result = await pipe(
      Http.json(server.url),
      Retry.retrying(pipe(Schedule.recurs(3), Schedule.whileInput(Http.isTransient))),
    )()
    expect(server.requests()).toBe(1)
    expect(E.isLeft(result) && result.left).toMatchObject({ _tag: 'DecodeError', reason: 'InvalidJson' })
  })

  it('rejects a nonsense timeout or maxErrorBody at once', () => {
    expect(() => Http.request('http://127.0.0.1/', { timeout: -1 })).toThrow(
      new RangeError('Http.request: timeout must be a finite non-negative number of milliseconds, got -1'),
    )
    expect(() => Http.text('http://127.0.0.1/', { maxErrorBody: 1.5 })).toThrow(RangeError)
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

  it.each([408, 429, 500, 502, 503, 504])('retries %i', (status) => {
    expect(Http.isTransient(httpError(status))).toBe(true)
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
})

describe('Http.respectRetryAfter', () => {
  const hinted = (hint: O.Option<number>): Http.HttpError => ({
    _tag: 'HttpError',
    method: 'GET',
    url: '/',
    status: 429,
    statusText: '',
    headers: {},
    retryAfter: hint,
    body: '',
  })

  it('takes the longer of the hint (bounded by max) and the schedule’s own delay', () => {
    const s = pipe(Schedule.spaced(100), Http.respectRetryAfter(5000))
    expect(
      Schedule.simulate(s, [hinted(O.some(2000)), hinted(O.some(50)), hinted(O.some(1e9)), hinted(O.none)]),
    ).toEqual([2000, 100, 5000, 100])
    expect(Schedule.simulate(s, ['not an http error', null, 42])).toEqual([100, 100, 100])
  })

  it('property: each delay is max(own delay, min(hint, max)); the number of retries never changes', () => {
    const input = fc.oneof(
      fc
        .option(fc.nat({ max: 10_000_000 }), { nil: undefined })
        .map((h) => hinted(h === undefined ? O.none : O.some(h))),
      fc.constantFrom<unknown>('not an http error', null, { _tag: 'NetworkError' }),
    )
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 100_000 }), { maxLength: 8 }),
        fc.array(input, { maxLength: 12 }),
        fc.nat({ max: 1_000_000 }),
        (delays, inputs, max) => {
          const own = Schedule.simulate(Schedule.fromDelays(...delays), inputs)
          const honoured = Schedule.simulate(pipe(Schedule.fromDelays(...delays), Http.respectRetryAfter(max)), inputs)
          expect(honoured).toHaveLength(own.length)
          honoured.forEach((delay, i) => {
            const error = inputs[i] as Partial<Http.HttpError>
            const hint = error?._tag === 'HttpError' && error.retryAfter ? error.retryAfter : O.none
            const d = own[i] ?? Number.NaN
            expect(delay).toBe(O.isSome(hint) ? Math.max(d, Math.min(hint.value, max)) : d)
          })
        },
      ),
    )
  })

  it('never turns a done into a continue', () => {
    const s = pipe(Schedule.recurs(1), Http.respectRetryAfter(5000))
    expect(Schedule.simulate(s, [hinted(O.some(1000)), hinted(O.some(1000)), hinted(O.some(1000))])).toEqual([1000])
  })

  it('rejects a nonsense maximum', () => {
    expect(() => Http.respectRetryAfter(Number.NaN)).toThrow(
      new RangeError('Http.respectRetryAfter: max must be a finite non-negative number of milliseconds, got NaN'),
    )
  })
})
