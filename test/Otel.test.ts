/**
 * fp-ts-retry/otel with the real OpenTelemetry SDK, no mocks: a `BasicTracerProvider` exporting to an
 * `InMemorySpanExporter` through a `SimpleSpanProcessor`, a `MeterProvider` whose reader is flushed on demand into an
 * `InMemoryMetricExporter`, and the async-hooks context manager so that the active context is the parent. The calls
 * go to a real HTTP server on 127.0.0.1; the retries sleep on a TestClock, so the span times are exact.
 */
import { context, trace } from '@opentelemetry/api'
import type { HrTime } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as TE from 'fp-ts/TaskEither'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Budget, CircuitBreaker, Operation, Retry, Schedule, TestClock } from '../src/index'
import * as Http from '../src/Http'
import * as Otel from '../src/Otel'
import { reply, serve, type TestServer } from './support/server'

const contextManager = new AsyncLocalStorageContextManager()
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable())
})
afterAll(() => {
  context.disable()
})

let spans: InMemorySpanExporter
let tracerProvider: BasicTracerProvider
let metricExporter: InMemoryMetricExporter
let reader: PeriodicExportingMetricReader
let meterProvider: MeterProvider
beforeEach(() => {
  spans = new InMemorySpanExporter()
  tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
  metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  // read on demand with forceFlush: the interval is never reached in a test
  reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 })
  meterProvider = new MeterProvider({ readers: [reader] })
})
afterEach(async () => {
  await tracerProvider.shutdown()
  await meterProvider.shutdown()
})

const otel = (name: string) =>
  Otel.listener({ tracer: tracerProvider.getTracer('test'), meter: meterProvider.getMeter('test'), name })

// -------------------------------------------------------------------------------------
// reading what the SDK recorded
// -------------------------------------------------------------------------------------

const ms = (t: HrTime): number => t[0] * 1_000 + t[1] / 1e6

/** A span as the tests compare it: times in ms from the call span's start, children in start order. */
interface Node {
  readonly name: string
  readonly start: number
  readonly duration: number
  readonly attributes: Record<string, unknown>
  readonly status: { readonly code: number; readonly message?: string }
  readonly events: ReadonlyArray<{ readonly name: string; readonly at: number; readonly attributes: unknown }>
  readonly children: ReadonlyArray<Node>
}

const tree = (root: ReadableSpan, all: ReadonlyArray<ReadableSpan>, origin = ms(root.startTime)): Node => ({
  name: root.name,
  start: ms(root.startTime) - origin,
  duration: ms(root.duration),
  attributes: { ...root.attributes },
  status: root.status.message === undefined ? { code: root.status.code } : { ...root.status },
  events: root.events.map((e) => ({ name: e.name, at: ms(e.time) - origin, attributes: e.attributes ?? {} })),
  children: all
    .filter((s) => s.parentSpanContext?.spanId === root.spanContext().spanId)
    .sort((a, b) => ms(a.startTime) - ms(b.startTime))
    .map((s) => tree(s, all, origin)),
})

/** The tree of the call span named `name`, and the span it is a child of. */
const callTree = (name: string): { readonly node: Node; readonly parent: string | undefined } => {
  const all = spans.getFinishedSpans()
  const root = all.find((s) => s.name === name)
  if (root === undefined) throw new Error(`no span ${name} in ${all.map((s) => s.name).join(', ')}`)
  const parent = all.find((s) => s.spanContext().spanId === root.parentSpanContext?.spanId)
  return { node: tree(root, all), parent: parent?.name }
}

/** Every metric point recorded so far, by metric name: attributes and value. */
const points = async (): Promise<Record<string, ReadonlyArray<{ attributes: unknown; value: unknown }>>> => {
  await reader.forceFlush()
  const last = metricExporter.getMetrics().at(-1)
  const out: Record<string, Array<{ attributes: unknown; value: unknown }>> = {}
  for (const scope of last?.scopeMetrics ?? [])
    for (const metric of scope.metrics)
      out[metric.descriptor.name] = (metric.dataPoints as ReadonlyArray<DataPoint<unknown>>).map((p) => ({
        attributes: p.attributes,
        value: isHistogram(p.value)
          ? { count: p.value.count, sum: p.value.sum, min: p.value.min, max: p.value.max }
          : p.value,
      }))
  return out
}
const isHistogram = (value: unknown): value is Histogram =>
  typeof value === 'object' && value !== null && 'buckets' in value

/** Drives the retry's backoff on `clock`: waits for each sleep (after the real HTTP round trip), then moves time. */
const sleepThrough = async (clock: TestClock.TestClock, delays: ReadonlyArray<number>): Promise<void> => {
  for (const delay of delays) {
    await clock.whenSleeping(1, 'backoff')
    await clock.adjust(delay)
  }
}

const transient = (schedule: Schedule.Schedule<unknown, unknown>) =>
  pipe(schedule, Schedule.whileInput(Http.isTransient))

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

// -------------------------------------------------------------------------------------
// the tests
// -------------------------------------------------------------------------------------

describe('Otel.listener: a call answered 503, 503, 200', () => {
  it('is a call span under the active span, an attempt span per attempt, a span event per retry', async () => {
    server = await serve((_, res, n) => (n < 3 ? reply(res, 503, 'busy') : reply(res, 200, 'ok')))
    const clock = TestClock.make()
    const policy = transient(pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(3))))
    const call = pipe(Http.text(`${server.url}/price`), Retry.retrying(policy, { clock, onEvent: otel('GET /price') }))
    const tracer = tracerProvider.getTracer('app')
    const result = await tracer.startActiveSpan('handle request', async (parent) => {
      const running = Operation.run(call)()
      await sleepThrough(clock, [100, 200])
      const settled = await running
      parent.end()
      return settled
    })
    expect(result).toEqual(E.right('ok'))

    const { node, parent } = callTree('GET /price')
    expect(parent).toBe('handle request')
    const failedAttempt = (n: number, start: number) => ({
      name: 'GET /price attempt',
      start,
      duration: 0, // the attempts take no time on the TestClock: only the sleeps move it
      attributes: {
        'retry.attempt': n,
        ...(n > 1 ? { 'http.request.resend_count': n - 1 } : {}),
        'retry.attempt.outcome': 'failure',
        'error.type': '503',
      },
      status: { code: 2, message: '503' },
      events: [],
      children: [],
    })
    expect(node).toEqual({
      name: 'GET /price',
      start: 0,
      duration: 300,
      attributes: { 'retry.attempts': 3, 'retry.outcome': 'successful_with_retry' },
      status: { code: 0 },
      events: [
        {
          name: 'retry',
          at: 0,
          attributes: { 'retry.attempt': 1, 'retry.delay': 0.1, 'retry.delay.source': 'schedule', 'error.type': '503' },
        },
        {
          name: 'retry',
          at: 100,
          attributes: { 'retry.attempt': 2, 'retry.delay': 0.2, 'retry.delay.source': 'schedule', 'error.type': '503' },
        },
      ],
      children: [
        failedAttempt(1, 0),
        failedAttempt(2, 100),
        {
          name: 'GET /price attempt',
          start: 300,
          duration: 0,
          attributes: { 'retry.attempt': 3, 'http.request.resend_count': 2, 'retry.attempt.outcome': 'success' },
          status: { code: 0 },
          events: [],
          children: [],
        },
      ],
    })
  })

  it('records the attempts, the delays and the kind of the call', async () => {
    server = await serve((_, res, n) => (n % 3 === 0 ? reply(res, 200, 'ok') : reply(res, 503, 'busy')))
    const clock = TestClock.make()
    const policy = transient(pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(3))))
    const call = pipe(Http.text(`${server.url}/price`), Retry.retrying(policy, { clock, onEvent: otel('GET /price') }))
    const running = Operation.run(call)()
    await sleepThrough(clock, [100, 200])
    expect(await running).toEqual(E.right('ok'))

    const name = { 'retry.name': 'GET /price' }
    expect(await points()).toEqual({
      'retry.call.attempts': [
        {
          attributes: { ...name, 'retry.outcome': 'successful_with_retry' },
          value: { count: 1, sum: 3, min: 3, max: 3 },
        },
      ],
      'retry.delay': [
        {
          attributes: { ...name, 'retry.delay.source': 'schedule' },
          value: { count: 2, sum: expect.closeTo(0.3, 9), min: 0.1, max: 0.2 },
        },
      ],
      'retry.calls': [{ attributes: { ...name, 'retry.outcome': 'successful_with_retry' }, value: 1 }],
    })
  })
})

describe('Otel.listener: how calls end', () => {
  it('a first-try success and a permanent failure: the other two kinds, and the failure as an error status', async () => {
    server = await serve((req, res) => (req.url === '/ok' ? reply(res, 200, 'ok') : reply(res, 401, 'who?')))
    const clock = TestClock.make()
    const onEvent = otel('GET /account')
    const policy = transient(Schedule.recurs(3))
    await Operation.run(pipe(Http.text(`${server.url}/ok`), Retry.retrying(policy, { clock, onEvent })))()
    const denied = await Operation.run(
      pipe(Http.text(`${server.url}/no`), Retry.retrying(policy, { clock, onEvent })),
    )()
    expect(denied).toMatchObject(E.left({ _tag: 'HttpError', status: 401 }))

    const calls = spans.getFinishedSpans().filter((s) => s.name === 'GET /account')
    expect(calls.map((s) => ({ ...s.attributes }))).toEqual([
      { 'retry.attempts': 1, 'retry.outcome': 'successful_without_retry' },
      {
        'retry.attempts': 1,
        'retry.outcome': 'failed_without_retry',
        'retry.give_up.reason': 'ScheduleDone',
        'error.type': '401',
      },
    ])
    expect(calls[1]?.status).toEqual({ code: 2, message: 'gave up after 1 attempts (ScheduleDone): 401' })
    const kinds = (await points())['retry.calls']
    expect(kinds).toEqual([
      { attributes: { 'retry.name': 'GET /account', 'retry.outcome': 'successful_without_retry' }, value: 1 },
      { attributes: { 'retry.name': 'GET /account', 'retry.outcome': 'failed_without_retry' }, value: 1 },
    ])
  })

  it('an aborted call: aborted during its backoff, one attempt, the abort as the error', async () => {
    server = await serve((_, res) => reply(res, 503, 'busy'))
    const clock = TestClock.make()
    const policy = transient(pipe(Schedule.spaced(1_000), Schedule.intersect(Schedule.recurs(5))))
    const call = pipe(Http.text(`${server.url}/slow`), Retry.retrying(policy, { clock, onEvent: otel('GET /slow') }))
    const controller = new AbortController()
    const running = call({ signal: controller.signal })()
    await clock.whenSleeping(1, 'backoff')
    await clock.adjust(400)
    controller.abort('user left')
    expect(await running).toMatchObject(E.left({ _tag: 'Aborted', reason: 'user left' }))

    const { node } = callTree('GET /slow')
    expect(node).toMatchObject({
      duration: 400,
      attributes: { 'retry.attempts': 1, 'retry.outcome': 'aborted', 'error.type': 'Aborted' },
      status: { code: 2, message: 'aborted after 1 attempts' },
      events: [{ name: 'retry', at: 0, attributes: { 'retry.delay': 1 } }],
    })
    expect(node.children.map((c) => c.attributes['retry.attempt.outcome'])).toEqual(['failure'])
    expect((await points())['retry.calls']).toEqual([
      { attributes: { 'retry.name': 'GET /slow', 'retry.outcome': 'aborted' }, value: 1 },
    ])
  })

  it('a budget refusal: the refused retry is a span event, the give-up reason BudgetExhausted, a refusal counted', async () => {
    server = await serve((_, res) => reply(res, 503, 'busy'))
    const clock = TestClock.make()
    const budget = Budget.tokenBucket({ capacity: 10 })() // one retry of a 503 costs 10
    const policy = transient(pipe(Schedule.spaced(100), Schedule.intersect(Schedule.recurs(5))))
    const onEvent = otel('GET /stock')
    const call = pipe(Http.text(`${server.url}/stock`), Retry.retrying(policy, { clock, budget, onEvent }))
    const running = Operation.run(call)()
    await sleepThrough(clock, [100])
    expect(await running).toMatchObject(E.left({ _tag: 'HttpError', status: 503 }))

    const { node } = callTree('GET /stock')
    expect(node.attributes).toEqual({
      'retry.attempts': 2,
      'retry.outcome': 'failed_with_retry',
      'retry.give_up.reason': 'BudgetExhausted',
      'error.type': '503',
    })
    expect(node.events.map((e) => [e.name, e.at, e.attributes])).toEqual([
      ['budget.granted', 0, { 'retry.budget.kind': 'TokenBucket', 'retry.budget.tokens': 0 }],
      ['retry', 0, { 'retry.attempt': 1, 'retry.delay': 0.1, 'retry.delay.source': 'schedule', 'error.type': '503' }],
      ['budget.refused', 100, { 'retry.budget.kind': 'TokenBucket', 'retry.budget.tokens': 0 }],
    ])
    const metrics = await points()
    expect(metrics['retry.budget.refusals']).toEqual([
      { attributes: { 'retry.name': 'GET /stock', 'retry.budget.kind': 'TokenBucket' }, value: 1 },
    ])
    expect(metrics['retry.calls']).toEqual([
      { attributes: { 'retry.name': 'GET /stock', 'retry.outcome': 'failed_with_retry' }, value: 1 },
    ])
  })

  it('an open circuit: the transition on the attempt that opened it, the refusals on the attempts it refused', async () => {
    server = await serve((_, res) => reply(res, 503, 'busy'))
    const clock = TestClock.make()
    const breaker = CircuitBreaker.make({ clock, consecutiveFailures: 1, halfOpenAfter: 60_000 })()
    const onEvent = otel('GET /quote')
    const policy = transient(Schedule.recurs(1)) // a CircuitOpen is transient: retried at once, refused again
    const call = pipe(
      Http.text(`${server.url}/quote`),
      CircuitBreaker.protect(breaker),
      Retry.retrying(policy, { clock, onEvent }),
    )
    expect(await Operation.run(call)()).toMatchObject(E.left({ _tag: 'CircuitOpen', state: 'Open' }))
    expect(server.requests()).toBe(1)

    const { node } = callTree('GET /quote')
    expect(node.attributes).toEqual({
      'retry.attempts': 2,
      'retry.outcome': 'failed_with_retry',
      'retry.give_up.reason': 'ScheduleDone',
      'error.type': 'CircuitOpen',
    })
    expect(node.children.map((c) => [c.attributes['error.type'], c.events.map((e) => [e.name, e.attributes])])).toEqual(
      [
        [
          '503',
          [
            [
              'circuit_breaker.transition',
              { 'circuit_breaker.previous_state': 'Closed', 'circuit_breaker.state': 'Open' },
            ],
          ],
        ],
        ['CircuitOpen', [['rejected', { 'error.type': 'CircuitOpen' }]]],
      ],
    )
    expect((await points())['circuit_breaker.transitions']).toEqual([
      {
        attributes: {
          'retry.name': 'GET /quote',
          'circuit_breaker.previous_state': 'Closed',
          'circuit_breaker.state': 'Open',
        },
        value: 1,
      },
    ])
  })
})

describe('Otel.listener: the operation is untouched', () => {
  it('the environment reaches the operation as it was given: the same signal, the same dependencies', async () => {
    const seen: Array<unknown> = []
    const op = (env: Operation.Env & { readonly tenant: string }): TE.TaskEither<string, string> => {
      seen.push(env)
      return TE.right(env.tenant)
    }
    const call = pipe(op, Retry.retrying(Schedule.recurs(1), { clock: TestClock.make(), onEvent: otel('lookup') }))
    const env = { signal: new AbortController().signal, tenant: 'acme' }
    expect(await call(env)()).toEqual(E.right('acme'))
    expect(seen).toEqual([env])
    expect((seen[0] as typeof env).signal).toBe(env.signal)
  })

  it('with no provider registered, the default tracer and meter are no-ops: the call runs as it would', async () => {
    const call = pipe(
      TE.left<string, string>('503'),
      Retry.retrying(Schedule.recurs(2), { clock: TestClock.make(), onEvent: Otel.listener() }),
    )
    expect(await call()).toEqual(E.left('503'))
    expect(trace.getActiveSpan()).toBeUndefined()
  })
})
