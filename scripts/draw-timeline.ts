/**
 * Draws docs/timeline.svg: the timelines of two retrying calls drawn from the events they emitted (`onEvent`):
 * each attempt a bar (red: failed, green: succeeded) labelled with its error, each sleep a gap labelled with its
 * delay and where the delay came from (the schedule's backoff, or a hint the failure carried), the protections'
 * events as marks, and why the call ended. The calls run on a TestClock against a scripted dependency, so the
 * picture is the same on every run.
 *
 * Run: npx tsx scripts/draw-timeline.ts
 */
import { writeFileSync } from 'node:fs'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import type { Events } from '../src/index'
import { Budget, Operation, Retry, Schedule, TestClock, Timeout } from '../src/index'

/** What attempt n of the scripted dependency does: answer after `ms`, with an HTTP status (and a Retry-After). */
interface Step {
  readonly ms: number
  readonly status: number
  readonly retryAfter?: number
}

interface Story {
  readonly title: string
  readonly code: string
  readonly steps: ReadonlyArray<Step>
  readonly budget?: number
}

const stories: ReadonlyArray<Story> = [
  {
    title: 'a call that succeeds',
    code: 'timeout(1000) · retrying(exponential(200) ∩ recurs(5), waitForHint(5000))',
    steps: [
      { ms: 5_000, status: 200 },
      { ms: 150, status: 503, retryAfter: 1_500 },
      { ms: 300, status: 500 },
      { ms: 250, status: 200 },
    ],
  },
  {
    title: 'a call its budget stops',
    code: 'the same, with a retry budget of 20 tokens (10 per retry of a 5xx)',
    steps: [
      { ms: 400, status: 503 },
      { ms: 350, status: 502 },
      { ms: 300, status: 503 },
    ],
    budget: 20,
  },
]

const record = async (story: Story): Promise<ReadonlyArray<Events.Event>> => {
  const clock = TestClock.make()
  const events: Array<Events.Event> = []
  let n = 0
  const dependency =
    ({ signal }: Operation.Env) =>
    async (): Promise<E.Either<unknown, string>> => {
      const step = story.steps[Math.min(n++, story.steps.length - 1)] as Step
      await clock.sleep(step.ms, signal, 'server')
      if (signal.aborted) return E.left('cancelled')
      if (step.status === 200) return E.right('ok')
      const retryAfter = step.retryAfter === undefined ? O.none : O.some(step.retryAfter)
      return E.left({ _tag: 'HttpError', status: step.status, retryAfter })
    }
  const policy = pipe(Schedule.exponential(200), Schedule.intersect(Schedule.recurs(5)), Schedule.waitForHint(5_000))
  const budget = story.budget === undefined ? undefined : Budget.tokenBucket({ capacity: story.budget })()
  const call = pipe(
    dependency,
    Timeout.timeout(1_000, { clock }),
    Retry.retrying(policy, { clock, budget, onEvent: (event) => events.push(event) }),
  )
  const running = Operation.run(call)()
  await clock.runAll()
  await running
  return events
}

const recorded = await Promise.all(stories.map(record))

const horizon = Math.ceil(Math.max(...recorded.map((events) => events.at(-1)?.time ?? 0)) / 500) * 500 + 500
const width = 980
const left = 30
const right = 30
const rowHeight = 170
const top = 60
const height = top + stories.length * rowHeight + 20
const x = (ms: number) => left + (ms / horizon) * (width - left - right)
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const text = (tx: number, ty: number, s: string, attrs = '') =>
  `<text x="${tx.toFixed(1)}" y="${ty}" ${attrs}>${escape(s)}</text>`

const describe = (error: unknown): string => {
  const e = error as { readonly _tag?: string; readonly status?: number; readonly timeout?: number }
  if (e._tag === 'HttpError') return `${e.status}`
  if (e._tag === 'TimeoutError') return `timeout`
  return String(e._tag ?? error)
}

const drawRow = (story: Story, events: ReadonlyArray<Events.Event>, i: number): string => {
  const y = top + i * rowHeight + 40
  const parts: Array<string> = [
    text(left, y - 42, `${i + 1}. ${story.title}`, 'font-weight="bold"'),
    text(left + 200, y - 42, story.code, 'font-family="monospace" font-size="12" fill="#444"'),
    `<line x1="${left}" x2="${width - right}" y1="${y + 14}" y2="${y + 14}" stroke="#ddd"/>`,
  ]
  const starts = new Map<number, number>()
  for (const event of events) {
    switch (event._tag) {
      case 'AttemptStarted':
        starts.set(event.attempt, event.time)
        break
      case 'AttemptEnded': {
        const from = starts.get(event.attempt) ?? event.time
        const color = event.outcome === 'success' ? '#2f855a' : '#c53030'
        const w = Math.max(2, x(event.time) - x(from))
        parts.push(
          `<rect x="${x(from).toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="28" rx="3" fill="${color}"/>`,
        )
        const label =
          event.outcome === 'success' ? `#${event.attempt} ok` : `#${event.attempt} ${describe(event.error)}`
        parts.push(text(x(from), y + 44, label, 'font-size="12"'))
        parts.push(text(x(from), y + 58, `${event.duration} ms`, 'fill="#666" font-size="11"'))
        break
      }
      case 'RetryScheduled': {
        if (event.delay <= 0) break
        const mid = x(event.time + event.delay / 2)
        parts.push(
          `<line x1="${x(event.time).toFixed(1)}" x2="${x(event.time + event.delay).toFixed(1)}" y1="${y + 14}" y2="${y + 14}" stroke="#999" stroke-dasharray="4 3"/>`,
          text(mid, y - 18, `sleep ${event.delay} ms`, 'text-anchor="middle" font-size="12"'),
          text(
            mid,
            y - 5,
            event.source === 'hint' ? 'hint (Retry-After)' : 'schedule backoff',
            'text-anchor="middle" fill="#666" font-size="11"',
          ),
        )
        break
      }
      case 'TimeoutFired':
        parts.push(
          `<line x1="${x(event.time).toFixed(1)}" x2="${x(event.time).toFixed(1)}" y1="${y - 8}" y2="${y + 36}" stroke="#d69e2e" stroke-width="2"/>`,
          text(
            x(event.time),
            y + 74,
            `timeout fired (${event.after} ms)`,
            'text-anchor="middle" fill="#b7791f" font-size="11"',
          ),
        )
        break
      case 'BudgetRefused':
        parts.push(
          text(
            x(event.time) + 6,
            y + 18,
            `budget refused (${event.tokens} tokens left)`,
            'fill="#c53030" font-size="12"',
          ),
        )
        break
      case 'CallSucceeded':
      case 'GaveUp': {
        const ended =
          event._tag === 'CallSucceeded'
            ? `CallSucceeded: ${event.attempts} attempts in ${event.elapsed} ms`
            : `GaveUp (${event.reason._tag}) after ${event.attempt} attempts in ${event.elapsed} ms`
        parts.push(
          `<line x1="${x(event.time).toFixed(1)}" x2="${x(event.time).toFixed(1)}" y1="${y - 8}" y2="${y + 76}" stroke="#333"/>`,
          text(x(event.time), y + 90, ended, 'text-anchor="end" font-size="12" font-weight="bold"'),
        )
        break
      }
      default:
        break
    }
  }
  return parts.join('\n')
}

const ticks = Array.from({ length: horizon / 500 + 1 }, (_, i) => i * 500)
  .map((t) => {
    const tx = x(t).toFixed(1)
    return `<line x1="${tx}" x2="${tx}" y1="${top}" y2="${height - 34}" stroke="#f3f3f3"/><text x="${tx}" y="${height - 20}" text-anchor="middle" font-size="11" fill="#666">${t} ms</text>`
  })
  .join('')

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="${left}" y="22" font-size="14" font-weight="bold">Two calls drawn from their events (onEvent): attempts as bars, sleeps as gaps, and the reason for each</text>
${ticks}
${stories.map((story, i) => drawRow(story, recorded[i] ?? [], i)).join('\n')}
</svg>
`
writeFileSync('docs/timeline.svg', svg)
console.log('wrote docs/timeline.svg')
