/**
 * OpenTelemetry traces and metrics from a retrying call's events: give
 * {@link listener} to `Retry.retrying(schedule, { onEvent })` and every call
 * becomes a span, each attempt a child span, each retry decision a span event,
 * and the metrics below are recorded. Needs `@opentelemetry/api` (an optional
 * peer dependency, `^1.3.0`); the SDK is the application's choice.
 *
 * Traces (a span's times are the call's clock, so a `TestClock` gives exact
 * durations in tests):
 *
 * - the **call** span (named by `name`, default `'retry'`), a child of the
 *   context active when the call starts: `retry.attempts`, `retry.outcome`,
 *   on a give-up `retry.give_up.reason`, on a failure `error.type` and the
 *   error status;
 * - one **attempt** span per attempt (`<name> attempt`), a child of the call
 *   span: `retry.attempt` (from 1) and, on resent attempts,
 *   `http.request.resend_count` (OpenTelemetry HTTP semantic conventions);
 *   `retry.attempt.outcome`; on a failure `error.type` and the error status;
 * - span events: `retry` on the call span for each retry scheduled
 *   (`retry.attempt`, `retry.delay` in seconds, `retry.delay.source`:
 *   `schedule` or `hint`), `budget.granted` / `budget.refused`; on the
 *   attempt span the protections' decisions: `timeout`,
 *   `circuit_breaker.transition`, `rejected`, `admitted`, `hedge.started`,
 *   `hedge.won`, `hedge.lost`.
 *
 * Metrics (no OpenTelemetry semantic convention covers retries: the names
 * follow gRPC's A96 retry metrics, `grpc.client.call.*`, with `retry.` for
 * `grpc.client.`, and resilience4j's call kinds):
 *
 * - `retry.call.attempts` (histogram, `{attempt}`): attempts per call;
 * - `retry.delay` (histogram, `s`): each delay slept before a retry, by
 *   `retry.delay.source`;
 * - `retry.calls` (counter, `{call}`): calls by `retry.outcome`, one of
 *   resilience4j's `successful_without_retry`, `successful_with_retry`,
 *   `failed_without_retry`, `failed_with_retry`, or `aborted`;
 * - `circuit_breaker.transitions` (counter, `{transition}`): breaker state
 *   changes, by `circuit_breaker.state` and `circuit_breaker.previous_state`;
 * - `retry.budget.refusals` (counter, `{refusal}`): retries a budget refused,
 *   by `retry.budget.kind`.
 *
 * Every metric carries `retry.name` (the `name` option). No attribute holds an
 * error message, a URL or an id: cardinality stays bounded.
 *
 * @since 0.2.0
 */
import { context, metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import type { Attributes, Context, Counter, Histogram, Meter, Span, Tracer } from '@opentelemetry/api'
import type * as Events from './Events'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Options of {@link listener}.
 *
 * @since 0.2.0
 * @category model
 */
export interface Options {
  /** Where spans go (default `trace.getTracer('fp-ts-retry')`: the global provider's). */
  readonly tracer?: Tracer | undefined
  /** Where metrics go (default `metrics.getMeter('fp-ts-retry')`: the global provider's). */
  readonly meter?: Meter | undefined
  /**
   * The operation's name: the call span's name and the `retry.name` of every
   * metric (default `'retry'`). A fixed, low-cardinality string such as
   * `'GET /users/{id}'`, never a URL with ids in it.
   */
  readonly name?: string | undefined
}

/**
 * How a call ended, as the `retry.outcome` attribute says it: resilience4j's
 * four kinds of call, and `aborted` for a call whose signal fired.
 *
 * @since 0.2.0
 * @category model
 */
export type Outcome =
  'successful_without_retry' | 'successful_with_retry' | 'failed_without_retry' | 'failed_with_retry' | 'aborted'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A listener that turns the events of every call it hears into OpenTelemetry
 * spans and metrics (see the module's documentation for each name). Make one
 * per operation and share it: it keeps the state of the calls in flight
 * only, and lets each go when its call ends. It reads nothing from the
 * operation and changes nothing in it: the signal and the environment pass
 * through as they are.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as TE from 'fp-ts/TaskEither'
 * import { Retry, Schedule, TestClock } from 'fp-ts-retry'
 * import * as Otel from 'fp-ts-retry/otel'
 *
 * const onEvent = Otel.listener({ name: 'GET /price' })
 * const call = pipe(TE.right(42), Retry.retrying(Schedule.recurs(3), { clock: TestClock.make(), onEvent }))
 * await call()
 * // => { _tag: 'Right', right: 42 }
 *
 * @since 0.2.0
 * @category constructors
 */
export const listener = (options: Options = {}): Events.Listener => {
  const tracer = options.tracer ?? trace.getTracer(SCOPE)
  const meter = options.meter ?? metrics.getMeter(SCOPE)
  const name = options.name ?? 'retry'
  const instruments = instrumentsOf(meter)
  const named: Attributes = { 'retry.name': name }
  const calls = new Map<number, Call>()

  const begin = (event: Events.Event): Call => {
    const parent = context.active()
    const offset = Date.now() - event.time
    const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, startTime: offset + event.time }, parent)
    const call: Call = { span, context: trace.setSpan(parent, span), offset, attempt: undefined, attempts: 0 }
    if (calls.size >= MAX_CALLS) lose(calls)
    calls.set(event.call, call)
    return call
  }

  const end = (id: number, call: Call, time: number, outcome: Outcome, attributes: Attributes): void => {
    calls.delete(id)
    call.attempt?.end(call.offset + time) // an attempt cut short (an abort): it ends with the call
    call.span.setAttributes({ 'retry.attempts': call.attempts, 'retry.outcome': outcome, ...attributes })
    call.span.end(call.offset + time)
    const kind = { ...named, 'retry.outcome': outcome }
    instruments.attempts.record(call.attempts, kind)
    instruments.calls.add(1, kind)
  }

  return (event) => {
    const call = calls.get(event.call) ?? begin(event)
    const at = call.offset + event.time
    switch (event._tag) {
      case 'AttemptStarted': {
        call.attempts = event.attempt
        const attributes: Attributes = { 'retry.attempt': event.attempt }
        if (event.attempt > 1) attributes['http.request.resend_count'] = event.attempt - 1
        call.attempt = tracer.startSpan(
          `${name} attempt`,
          { kind: SpanKind.INTERNAL, startTime: at, attributes },
          call.context,
        )
        return
      }
      case 'AttemptEnded': {
        const span = call.attempt
        if (span === undefined) return
        call.attempt = undefined
        span.setAttribute('retry.attempt.outcome', event.outcome)
        if (event.outcome === 'failure') failed(span, errorType(event.error))
        else if (event.outcome === 'aborted') failed(span, 'Aborted')
        span.end(at)
        return
      }
      case 'RetryScheduled':
        call.span.addEvent(
          'retry',
          {
            'retry.attempt': event.attempt,
            'retry.delay': event.delay / 1_000,
            'retry.delay.source': event.source,
            'error.type': errorType(event.error),
          },
          at,
        )
        instruments.delay.record(event.delay / 1_000, { ...named, 'retry.delay.source': event.source })
        return
      case 'BudgetGranted':
      case 'BudgetRefused':
        call.span.addEvent(
          event._tag === 'BudgetGranted' ? 'budget.granted' : 'budget.refused',
          { 'retry.budget.kind': event.kind, 'retry.budget.tokens': event.tokens },
          at,
        )
        if (event._tag === 'BudgetRefused') instruments.refusals.add(1, { ...named, 'retry.budget.kind': event.kind })
        return
      case 'CallSucceeded':
        return end(
          event.call,
          call,
          event.time,
          call.attempts > 1 ? 'successful_with_retry' : 'successful_without_retry',
          {},
        )
      case 'GaveUp': {
        const type = errorType(event.error)
        const reason = event.reason._tag
        failed(call.span, type, `gave up after ${event.attempt} attempts (${reason}): ${type}`)
        const outcome = event.attempt > 1 ? 'failed_with_retry' : 'failed_without_retry'
        return end(event.call, call, event.time, outcome, { 'retry.give_up.reason': reason })
      }
      case 'CallAborted':
        failed(call.span, 'Aborted', `aborted after ${event.attempts} attempts`)
        return end(event.call, call, event.time, 'aborted', {})
      case 'CircuitChanged':
        ;(call.attempt ?? call.span).addEvent(
          'circuit_breaker.transition',
          { 'circuit_breaker.previous_state': event.from, 'circuit_breaker.state': event.to },
          at,
        )
        instruments.transitions.add(1, {
          ...named,
          'circuit_breaker.previous_state': event.from,
          'circuit_breaker.state': event.to,
        })
        return
      case 'TimeoutFired':
        ;(call.attempt ?? call.span).addEvent('timeout', { 'retry.timeout': event.after / 1_000 }, at)
        return
      case 'HedgeStarted':
      case 'HedgeWon':
      case 'HedgeLost':
        ;(call.attempt ?? call.span).addEvent(HEDGE_EVENTS[event._tag], { 'retry.hedge.attempt': event.attempt }, at)
        return
      case 'Rejected': {
        const attributes: Attributes = { 'error.type': event.failure._tag }
        if ('reason' in event.failure) attributes['retry.rejected.reason'] = event.failure.reason
        ;(call.attempt ?? call.span).addEvent('rejected', attributes, at)
        return
      }
      case 'Admitted':
        ;(call.attempt ?? call.span).addEvent(
          'admitted',
          { 'retry.admitted.by': event.by, 'retry.admitted.wait': event.waited / 1_000 },
          at,
        )
        return
    }
  }
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

/** The instrumentation scope's name. */
const SCOPE = 'fp-ts-retry'

/** The calls in flight one listener keeps, at most: a call that never ends (a defect) must not grow it forever. */
const MAX_CALLS = 10_000

const HEDGE_EVENTS = { HedgeStarted: 'hedge.started', HedgeWon: 'hedge.won', HedgeLost: 'hedge.lost' } as const

/** A call in flight: its span, the context its attempts are children of, and its clock's offset to the epoch. */
interface Call {
  readonly span: Span
  readonly context: Context
  /** `Date.now()` minus the call's clock time, taken at its first event. */
  readonly offset: number
  attempt: Span | undefined
  attempts: number
}

interface Instruments {
  readonly attempts: Histogram
  readonly delay: Histogram
  readonly calls: Counter
  readonly transitions: Counter
  readonly refusals: Counter
}

const instrumentsOf = (meter: Meter): Instruments => ({
  attempts: meter.createHistogram('retry.call.attempts', {
    description: 'Attempts made by each call, the first included.',
    unit: '{attempt}',
    advice: { explicitBucketBoundaries: [1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 50] },
  }),
  delay: meter.createHistogram('retry.delay', {
    description: 'Each delay slept before a retry.',
    unit: 's',
    advice: { explicitBucketBoundaries: [0, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] },
  }),
  calls: meter.createCounter('retry.calls', { description: 'Calls, by how they ended.', unit: '{call}' }),
  transitions: meter.createCounter('circuit_breaker.transitions', {
    description: 'State changes of the circuit breakers the calls went through.',
    unit: '{transition}',
  }),
  refusals: meter.createCounter('retry.budget.refusals', {
    description: 'Retries a retry budget refused.',
    unit: '{refusal}',
  }),
})

/** Marks a span failed: the error status and `error.type`. */
const failed = (span: Span, type: string, message: string = type): void => {
  span.setAttribute('error.type', type)
  span.setStatus({ code: SpanStatusCode.ERROR, message })
}

/**
 * The `error.type` of an error, low in cardinality as OpenTelemetry asks: the
 * status code of an error that has one (an `HttpError`: `'503'`, as the HTTP
 * conventions say), else its `_tag`, else the name of an `Error`, else
 * `'_OTHER'`.
 */
const errorType = (error: unknown): string => {
  if (typeof error !== 'object' || error === null) return '_OTHER'
  const { status, _tag } = error as { readonly status?: unknown; readonly _tag?: unknown }
  if (typeof status === 'number' && Number.isInteger(status)) return String(status)
  if (typeof _tag === 'string') return _tag
  return error instanceof Error ? error.name : '_OTHER'
}

/** Ends the oldest call in flight, as lost: its listener has too many open. */
const lose = (calls: Map<number, Call>): void => {
  const oldest = calls.entries().next()
  if (oldest.done === true) return
  const [id, call] = oldest.value
  calls.delete(id)
  call.attempt?.end()
  failed(call.span, '_OTHER', 'lost: the call never ended')
  call.span.end()
}
