/**
 * Draws docs/retry-vs-repeat.svg: the same kind of schedule driving a retry, a repeat and a waiter, each run's
 * start computed with `Schedule.simulate` (runs taking no time). A retry steps its schedule with failures and
 * stops at the first success; a repeat steps it with successes and stops at the first failure (or when the
 * schedule is done); a waiter steps it with pending results and stops at done, failed or its deadline.
 *
 * Run: npx tsx scripts/draw-repeat.ts
 */
import { writeFileSync } from 'node:fs'
import { pipe } from 'fp-ts/function'
import { Schedule } from '../src/index'

type Kind = 'failure' | 'success' | 'pending' | 'done'

interface Row {
  readonly label: string
  readonly code: string
  readonly schedule: Schedule.Schedule<unknown, unknown>
  /** What each run gives, in order; the schedule is stepped with all but the last. */
  readonly runs: ReadonlyArray<Kind>
  readonly note: string
  readonly deadline?: number
}

const rows: ReadonlyArray<Row> = [
  {
    label: 'retry',
    code: 'Retry.retrying(exponential(100) ∩ recurs(5))',
    schedule: pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(5))),
    runs: ['failure', 'failure', 'failure', 'failure', 'success'],
    note: 'stepped with each failure; the first success ends it (its value is the result)',
  },
  {
    label: 'repeat',
    code: 'Repeat.repeating(spaced(400) ∩ recurs(4))',
    schedule: pipe(Schedule.spaced(400), Schedule.intersect(Schedule.recurs(4))),
    runs: ['success', 'success', 'success', 'success', 'success'],
    note: 'stepped with each success; ends when the schedule is done (the last value is the result) or at a failure',
  },
  {
    label: 'poll',
    code: 'Waiter.poll(classify, { schedule: spaced(300), maxWait: 1700 })',
    schedule: Schedule.spaced(300),
    runs: ['pending', 'pending', 'pending', 'pending', 'pending', 'done'],
    note: 'stepped with each pending result; ends at done or failed, or with WaitTimeout before a sleep past maxWait',
    deadline: 1_700,
  },
]

const COLORS: Readonly<Record<Kind, string>> = {
  failure: '#c53030',
  success: '#2f855a',
  pending: '#d69e2e',
  done: '#2f855a',
}

const horizon = 1_800
const width = 960
const left = 90
const right = 30
const rowHeight = 78
const top = 48
const height = top + rows.length * rowHeight + 56
const x = (ms: number) => left + (Math.min(ms, horizon) / horizon) * (width - left - right)
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

const drawn = rows.map((row, i) => {
  // the schedule sees every run but the last (which ended the call), as the drivers step it
  const delays = Schedule.simulate(row.schedule, row.runs.slice(0, -1))
  const starts = delays.reduce<Array<number>>((acc, d) => [...acc, (acc.at(-1) ?? 0) + d], [0])
  const y = top + i * rowHeight + 30
  const dots = starts
    .map((t, n) => {
      const kind = row.runs[n] ?? 'success'
      const cx = x(t).toFixed(1)
      const mark =
        n === starts.length - 1
          ? `<circle cx="${cx}" cy="${y}" r="9" fill="none" stroke="${COLORS[kind]}" stroke-width="2"/>`
          : ''
      return `${mark}<circle cx="${cx}" cy="${y}" r="6" fill="${COLORS[kind]}"/>`
    })
    .join('')
  const gaps = delays
    .map((d, n) => {
      const mid = x((starts[n] as number) + d / 2).toFixed(1)
      return `<text x="${mid}" y="${y - 12}" text-anchor="middle" fill="#666" font-size="11">${d}</text>`
    })
    .join('')
  const deadline =
    row.deadline === undefined
      ? ''
      : `<line x1="${x(row.deadline).toFixed(1)}" x2="${x(row.deadline).toFixed(1)}" y1="${y - 22}" y2="${y + 14}" stroke="#c53030" stroke-dasharray="4 3"/>` +
        `<text x="${x(row.deadline).toFixed(1)}" y="${y + 27}" text-anchor="middle" fill="#c53030" font-size="11">maxWait</text>`
  return [
    `<text x="${left - 14}" y="${y + 4}" text-anchor="end" font-weight="bold">${row.label}</text>`,
    `<text x="${left}" y="${y - 26}" font-family="monospace" font-size="12">${escape(row.code)}</text>`,
    `<line x1="${left}" x2="${width - right}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
    deadline,
    gaps,
    dots,
    `<text x="${left}" y="${y + 27}" fill="#444" font-size="12">${escape(row.note)}</text>`,
  ].join('')
})

const ticks = Array.from({ length: horizon / 300 + 1 }, (_, i) => i * 300)
  .map((t) => {
    const tx = x(t).toFixed(1)
    return `<line x1="${tx}" x2="${tx}" y1="${top - 4}" y2="${height - 46}" stroke="#f0f0f0"/><text x="${tx}" y="${height - 32}" text-anchor="middle" font-size="11">${t} ms</text>`
  })
  .join('')

const legend = (
  [
    ['failure', 'Left: the retry’s input'],
    ['success', 'Right: the repeat’s input'],
    ['pending', 'pending: the waiter’s input'],
  ] as const
)
  .map(([kind, text], i) => {
    const lx = left + i * 230
    return `<circle cx="${lx}" cy="${height - 12}" r="6" fill="${COLORS[kind]}"/><text x="${lx + 12}" y="${height - 8}" font-size="12">${text}</text>`
  })
  .join('')

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="${left}" y="22" font-size="14" font-weight="bold">One schedule, three drivers: when each run starts (from Schedule.simulate; delays in ms above the gaps)</text>
${ticks}
${drawn.join('\n')}
${legend}<text x="${left + 690}" y="${height - 8}" font-size="12">ringed: the run that ends the call</text>
</svg>
`
writeFileSync('docs/retry-vs-repeat.svg', svg)
console.log('wrote docs/retry-vs-repeat.svg')
