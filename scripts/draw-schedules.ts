/**
 * Draws docs/schedules.svg: when each attempt of a few common policies starts,
 * computed with `Schedule.simulate` (seeded, so the picture is stable).
 *
 * Run: npm run docs:pictures
 */
import { writeFileSync } from 'node:fs'
import { pipe } from 'fp-ts/function'
import { Random, Schedule } from '../src/index'

const policies: ReadonlyArray<readonly [string, Schedule.Schedule<unknown, unknown>]> = [
  ['spaced(500) ∩ recurs(6)', pipe(Schedule.spaced(500), Schedule.intersect(Schedule.recurs(6)))],
  ['linear(150) ∩ recurs(6)', pipe(Schedule.linear(150), Schedule.intersect(Schedule.recurs(6)))],
  ['fibonacci(100) ∩ recurs(6)', pipe(Schedule.fibonacci(100), Schedule.intersect(Schedule.recurs(6)))],
  ['exponential(100) ∩ recurs(6)', pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(6)))],
  [
    'exponential(100), capDelay(800) ∩ recurs(8)',
    pipe(Schedule.exponential(100), Schedule.capDelay(800), Schedule.intersect(Schedule.recurs(8))),
  ],
  [
    'exponential(100), fullJitter ∩ recurs(6)',
    pipe(Schedule.exponential(100), Schedule.fullJitter, Schedule.intersect(Schedule.recurs(6))),
  ],
  [
    'decorrelatedJitter(100, 2000) ∩ recurs(6)',
    pipe(Schedule.decorrelatedJitter(100, 2000), Schedule.intersect(Schedule.recurs(6))),
  ],
  ['exponential(100), upTo(3000)', pipe(Schedule.exponential(100), Schedule.upTo(3000))],
  [
    'recurs(2) andThen spaced(1000) ∩ recurs(3)',
    pipe(Schedule.recurs(2), Schedule.andThen(pipe(Schedule.spaced(1000), Schedule.intersect(Schedule.recurs(3))))),
  ],
]

const horizon = 6400
const width = 960
const left = 330
const right = 20
const rowHeight = 34
const top = 40
const height = top + policies.length * rowHeight + 40
const x = (ms: number) => left + (Math.min(ms, horizon) / horizon) * (width - left - right)

const rows = policies.map(([label, schedule], i) => {
  const delays = Schedule.simulate(schedule, Array(20).fill(null), { random: Random.seeded(7) })
  const starts = delays.reduce<Array<number>>((acc, d) => [...acc, (acc.at(-1) ?? 0) + d], [0])
  const y = top + i * rowHeight + rowHeight / 2
  const dots = starts
    .filter((t) => t <= horizon)
    .map((t, n) => `<circle cx="${x(t).toFixed(1)}" cy="${y}" r="5" fill="${n === 0 ? '#555' : '#2b6cb0'}"/>`)
    .join('')
  return [
    `<text x="${left - 10}" y="${y + 4}" text-anchor="end">${label}</text>`,
    `<line x1="${left}" x2="${width - right}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
    dots,
  ].join('')
})

const ticks = Array.from({ length: horizon / 800 + 1 }, (_, i) => i * 800)
  .map((t) => {
    const tx = x(t).toFixed(1)
    return `<line x1="${tx}" x2="${tx}" y1="${top - 6}" y2="${height - 34}" stroke="#eee"/><text x="${tx}" y="${height - 18}" text-anchor="middle">${t} ms</text>`
  })
  .join('')

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${left}" y="20" font-size="14" font-weight="bold">When each attempt starts (first attempt at 0, grey), from Schedule.simulate</text>
${ticks}
${rows.join('\n')}
</svg>
`
writeFileSync('docs/schedules.svg', svg)
console.log('wrote docs/schedules.svg')
