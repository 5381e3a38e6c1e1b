/**
 * Draws docs/breaker-outage.svg: a simulated 20 s outage (10 s to 30 s) of a
 * dependency serving 100 requests/s, with and without protection: attempts
 * reaching it per second, the share of requests that succeed, and the
 * breaker's states. Driven by the real library on a TestClock with seeded
 * random sources (test/simulation), so the picture is stable.
 *
 * Run: npx tsx scripts/draw-outage.ts
 */
import { writeFileSync } from 'node:fs'
import type { CircuitBreaker } from '../src/index'
import * as Scenarios from '../test/simulation/scenarios'

const outageFrom = 10_000
const outageTo = 30_000
const duration = 60_000

const none = await Scenarios.recovery({ protection: 'none', outageFrom, outageTo, duration })
const budgeted = await Scenarios.recovery({ protection: 'aws', outageFrom, outageTo, duration })
const guarded = await Scenarios.recovery({ protection: 'aws+breaker', outageFrom, outageTo, duration })

const width = 960
const left = 70
const right = 20
const plot = width - left - right
const x = (ms: number) => left + (ms / duration) * plot
const seconds = duration / 1000

const colors = {
  none: '#c0392b',
  budgeted: '#8e44ad',
  guarded: '#2471a3',
  Closed: '#27ae60',
  Open: '#c0392b',
  HalfOpen: '#f39c12',
}

const parts: Array<string> = []
const text = (px: number, py: number, s: string, extra = '') =>
  parts.push(`<text x="${px.toFixed(1)}" y="${py.toFixed(1)}" ${extra}>${s}</text>`)
const line = (points: ReadonlyArray<readonly [number, number]>, color: string, dashed: boolean) =>
  parts.push(
    `<polyline fill="none" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="5 3"' : ''} points="${points.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`,
  )

/** A panel: a step line per series over the 60 seconds. */
const panel = (
  top: number,
  height: number,
  title: string,
  max: number,
  ticks: ReadonlyArray<number>,
  format: (v: number) => string,
  series: ReadonlyArray<readonly [string, ReadonlyArray<number>, boolean]>,
) => {
  const y = (v: number) => top + height - (v / max) * height
  parts.push(
    `<rect x="${x(outageFrom)}" y="${top}" width="${x(outageTo) - x(outageFrom)}" height="${height}" fill="#eee"/>`,
  )
  text(left, top - 8, title, 'font-weight="bold"')
  for (const t of ticks) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/>`)
    text(left - 6, y(t) + 4, format(t), 'text-anchor="end" fill="#555"')
  }
  for (const [color, values, dashed] of series) {
    const points: Array<readonly [number, number]> = []
    values.slice(0, seconds).forEach((v, s) => points.push([x(s * 1000), y(v)], [x((s + 1) * 1000), y(v)]))
    line(points, color, dashed)
  }
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${top + height}" y2="${top + height}" stroke="#333"/>`)
}

const attempts = (r: Scenarios.Recovery) => r.perSecond.map((s) => s.attempts)
const successShare = (r: Scenarios.Recovery) =>
  r.perSecond.map((s) => (s.ok + s.failed === 0 ? 1 : s.ok / (s.ok + s.failed)))

panel(50, 150, 'Attempts reaching the dependency, per second', 500, [0, 100, 200, 300, 400, 500], String, [
  [colors.none, attempts(none), false],
  [colors.budgeted, attempts(budgeted), true],
  [colors.guarded, attempts(guarded), false],
])
panel(250, 110, 'Requests that succeed, per second of arrival', 1, [0, 0.5, 1], (v) => `${v * 100}%`, [
  [colors.none, successShare(none), false],
  [colors.budgeted, successShare(budgeted), true],
  [colors.guarded, successShare(guarded), false],
])

// the breaker's states, as a band
const bandTop = 410
const bandHeight = 26
text(left, bandTop - 8, 'Circuit breaker (budget + breaker run)', 'font-weight="bold"')
const segments: Array<{ state: CircuitBreaker.State; from: number; to: number }> = []
let current: CircuitBreaker.State = 'Closed'
let since = 0
for (const change of guarded.changes) {
  segments.push({ state: current, from: since, to: change.at })
  current = change.to
  since = change.at
}
segments.push({ state: current, from: since, to: duration })
for (const s of segments)
  parts.push(
    `<rect x="${x(s.from).toFixed(1)}" y="${bandTop}" width="${Math.max(1.5, x(s.to) - x(s.from)).toFixed(1)}" height="${bandHeight}" fill="${colors[s.state]}"/>`,
  )

// time axis
const axisY = bandTop + bandHeight + 18
for (let s = 0; s <= seconds; s += 5) text(x(s * 1000), axisY, `${s} s`, 'text-anchor="middle" fill="#555"')
text(x((outageFrom + outageTo) / 2), 140, 'dependency down', 'text-anchor="middle" fill="#777"')

// legend
const legendY = axisY + 26
const legend: ReadonlyArray<readonly [string, string]> = [
  [colors.none, 'backoff, 3 retries, no protection'],
  [colors.budgeted, '+ AWS token bucket'],
  [colors.guarded, '+ AWS token bucket + circuit breaker'],
]
legend.forEach(([color, label], i) => {
  const lx = left + i * 260
  parts.push(`<rect x="${lx}" y="${legendY - 10}" width="22" height="4" fill="${color}"/>`)
  text(lx + 28, legendY - 4, label)
})
const states: ReadonlyArray<CircuitBreaker.State> = ['Closed', 'Open', 'HalfOpen']
states.forEach((state, i) => {
  const lx = left + i * 140
  parts.push(`<rect x="${lx}" y="${legendY + 8}" width="14" height="14" fill="${colors[state]}"/>`)
  text(lx + 20, legendY + 20, state)
})

const height = legendY + 36
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
${parts.join('\n')}
</svg>
`
writeFileSync(new URL('../docs/breaker-outage.svg', import.meta.url), svg)
console.log(`docs/breaker-outage.svg: ${guarded.changes.length} breaker changes`)
