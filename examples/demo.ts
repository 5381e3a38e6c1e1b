/**
 * The demo: every scenario of the library against real HTTP servers started
 * here on 127.0.0.1, each printed as a timeline (attempt, time, result, next
 * delay, outcome). Random sources are seeded, so the story is the same on
 * every run; only the measured times move by a few milliseconds.
 *
 * Run: npm start
 */
import { main as backoffJitterDeadline } from './backoff-jitter-deadline'
import { main as fallback } from './fallback'
import { main as flakyApi } from './flaky-api'
import { main as llmJson } from './llm-json'
import { main as pollJob } from './poll-job'
import { main as rateLimited } from './rate-limited'
import { main as unauthorized } from './unauthorized'
import { main as wrapOnce } from './wrap-once'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import * as Otel from '../src/Otel'

/** Scenario 1's call, traced by fp-ts-retry/otel into memory, so that its span tree can be printed after it. */
const spans = new InMemorySpanExporter()
const tracing = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
const tracedFlakyApi = () => flakyApi(19, Otel.listener({ tracer: tracing.getTracer('demo'), name: 'GET /joke' }))

const millis = (t: readonly [number, number]): number => t[0] * 1_000 + t[1] / 1e6

/** The call span, its attempts and its retry decisions, in time order, indented, with durations. */
const printSpanTree = (all: ReadonlyArray<ReadableSpan>): void => {
  const root = all.find((s) => s.name === 'GET /joke')
  if (root === undefined) return
  const origin = millis(root.startTime)
  const at = (t: readonly [number, number]) => `+${Math.round(millis(t) - origin)} ms`.padStart(9)
  const took = (s: ReadableSpan) => `${Math.round(millis(s.duration))} ms`.padStart(8)
  const attrs = root.attributes
  console.log('   span tree of that call (fp-ts-retry/otel):')
  console.log(
    `   ${root.name.padEnd(22)}${at(root.startTime)}${took(root)}  ${String(attrs['retry.outcome'])}, ${String(attrs['retry.attempts'])} attempts`,
  )
  const children = all.filter((s) => s.parentSpanContext?.spanId === root.spanContext().spanId)
  const rows = [
    ...children.map((s) => ({
      time: millis(s.startTime),
      line: `     ${`attempt ${String(s.attributes['retry.attempt'])}`.padEnd(20)}${at(s.startTime)}${took(s)}  ${
        s.attributes['error.type'] === undefined ? 'ok' : `error.type ${String(s.attributes['error.type'])}`
      }`,
    })),
    ...root.events.map((e) => ({
      time: millis(e.time),
      line: `     · ${e.name.padEnd(18)}${at(e.time)}  sleep ${Math.round(Number(e.attributes?.['retry.delay']) * 1_000)} ms (${String(e.attributes?.['retry.delay.source'])})`,
    })),
  ]
  rows.sort((a, b) => a.time - b.time).forEach((row) => console.log(row.line))
}

const started = performance.now()
console.log('fp-ts-retry demo: typed retries against local HTTP servers (127.0.0.1)')

const scenarios = [
  tracedFlakyApi,
  rateLimited,
  unauthorized,
  llmJson,
  fallback,
  backoffJitterDeadline,
  wrapOnce,
  pollJob,
]
for (const scenario of scenarios) {
  await scenario()
  if (scenario === tracedFlakyApi) printSpanTree(spans.getFinishedSpans())
}

console.log(`\nall ${scenarios.length} scenarios done in ${((performance.now() - started) / 1000).toFixed(1)} s`)
