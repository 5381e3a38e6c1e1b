/**
 * A small SVG line chart, written by hand: axes with round ticks, one
 * polyline per series, a legend. No plotting dependency.
 */

/** One line of the chart. */
export interface Series {
  readonly name: string
  readonly color: string
  readonly points: ReadonlyArray<readonly [number, number]>
  /** An SVG `stroke-dasharray`, to tell apart lines that overlap. */
  readonly dash?: string
}

/** What to draw. `logY` draws the y axis in powers of ten (for values spanning decades). */
export interface LineChart {
  readonly title: string
  readonly xLabel: string
  readonly yLabel: string
  readonly series: ReadonlyArray<Series>
  readonly logY?: boolean
  /** Ticks of the x axis with their labels, instead of round numbers (e.g. percentiles: `[[2, 'p99'], ...]`). */
  readonly xTicks?: ReadonlyArray<readonly [number, string]>
}

const WIDTH = 860
const HEIGHT = 460
const MARGIN = { top: 48, right: 270, bottom: 56, left: 80 }

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten. */
export const niceTicks = (lo: number, hi: number, target = 6): ReadonlyArray<number> => {
  const span = hi - lo || Math.abs(hi) || 1
  const raw = span / target
  const power = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => span / s <= target) ?? 10 * power
  const ticks: Array<number> = []
  const last = Math.ceil(hi / step - 1e-9) * step
  for (let t = Math.floor(lo / step) * step; t <= last + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)))
  return ticks
}

const format = (v: number): string =>
  Math.abs(v) >= 1_000 ? `${Number((v / 1000).toPrecision(3))}k` : String(Number(v.toPrecision(4)))

/** Renders the chart as a standalone SVG document. */
export const renderLineChart = (chart: LineChart): string => {
  const xs = chart.series.flatMap((s) => s.points.map(([x]) => x))
  const ys = chart.series.flatMap((s) => s.points.map(([, y]) => y))
  const plotW = WIDTH - MARGIN.left - MARGIN.right
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom
  const xTicks = chart.xTicks?.map(([v]) => v) ?? niceTicks(Math.min(...xs), Math.max(...xs))
  const xTickLabel = (v: number): string => chart.xTicks?.find(([t]) => t === v)?.[1] ?? format(v)
  const x0 = Math.min(...xTicks, ...xs)
  const x1 = Math.max(...xTicks, ...xs)

  let yTicks: ReadonlyArray<number>
  let toY: (v: number) => number
  if (chart.logY === true) {
    const lo = Math.floor(Math.log10(Math.max(Math.min(...ys), 1e-9)))
    const hi = Math.ceil(Math.log10(Math.max(...ys)))
    yTicks = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i))
    toY = (v) => MARGIN.top + plotH - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo || 1)) * plotH
  } else {
    yTicks = niceTicks(0, Math.max(...ys))
    const top = Math.max(...yTicks, ...ys)
    toY = (v) => MARGIN.top + plotH - (v / (top || 1)) * plotH
  }
  const toX = (v: number) => MARGIN.left + ((v - x0) / (x1 - x0 || 1)) * plotW

  const out: Array<string> = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="28" font-size="16" font-weight="600" fill="#111">${escape(chart.title)}</text>`,
  ]
  for (const t of yTicks) {
    const y = toY(t).toFixed(1)
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`)
    out.push(
      `<text x="${MARGIN.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#444">${format(t)}</text>`,
    )
  }
  for (const t of xTicks) {
    const x = toX(t).toFixed(1)
    out.push(`<line x1="${x}" x2="${x}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 5}" stroke="#444"/>`)
    out.push(
      `<text x="${x}" y="${MARGIN.top + plotH + 18}" text-anchor="middle" fill="#444">${escape(xTickLabel(t))}</text>`,
    )
  }
  out.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#444"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="#444"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 14}" text-anchor="middle" fill="#111">${escape(chart.xLabel)}</text>`,
    `<text transform="translate(20 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#111">${escape(chart.yLabel)}</text>`,
  )
  chart.series.forEach((s, i) => {
    const points = s.points.map(([x, y]) => `${toX(x).toFixed(1)},${toY(y).toFixed(1)}`).join(' ')
    const dash = s.dash === undefined ? '' : ` stroke-dasharray="${s.dash}"`
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${points}"/>`)
    for (const [x, y] of s.points) {
      out.push(`<circle cx="${toX(x).toFixed(1)}" cy="${toY(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`)
    }
    const ly = MARGIN.top + 10 + i * 22
    const lx = MARGIN.left + plotW + 20
    out.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="3"${dash}/>`)
    out.push(`<text x="${lx + 32}" y="${ly}" dominant-baseline="middle" fill="#111">${escape(s.name)}</text>`)
  })
  out.push('</svg>', '')
  return out.join('\n')
}
