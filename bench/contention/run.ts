/**
 * `npm run simulate`: sweeps the contention experiment over 10..200 clients,
 * averages several seeds per point, prints a summary, and writes
 * docs/contention.csv, docs/contention-calls.svg and docs/contention-time.svg.
 *
 * Options: `--seeds=N` (default 20), `--step=N` (default 10), `--out=DIR` (default docs).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderLineChart, type Series } from './chart'
import { average, awsParameters, strategies, type Averaged } from './sim'

const option = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback

const seeds = Number(option('seeds', '20'))
const step = Number(option('step', '10'))
const outDir = option('out', 'docs')

const colors: Record<string, string> = {
  none: '#7f7f7f',
  exponential: '#d62728',
  full: '#1f77b4',
  equal: '#2ca02c',
  decorrelated: '#9467bd',
}

const sizes: Array<number> = []
for (let n = 10; n <= 200; n += step) sizes.push(n)

const started = performance.now()
const results = strategies().map((s) => ({
  strategy: s,
  points: sizes.map((n): Averaged => average(s.schedule, n, seeds)),
}))
const seconds = (performance.now() - started) / 1000

const csv = [
  'strategy,clients,seeds,calls,completion_ms',
  ...results.flatMap(({ strategy, points }) =>
    points.map((p) => [strategy.key, p.clients, p.seeds, p.calls.toFixed(1), p.completion.toFixed(1)].join(',')),
  ),
  '',
].join('\n')

const series = (measure: (p: Averaged) => number): ReadonlyArray<Series> =>
  results.map(({ strategy, points }) => ({
    name: strategy.name,
    color: colors[strategy.key] ?? '#000',
    ...(strategy.key === 'equal' ? { dash: '6 4' } : {}),
    points: points.map((p) => [p.clients, measure(p)] as const),
  }))

const p = awsParameters
const subtitle = `base ${p.base} ms, cap ${p.cap} ms, calls |N(${p.latencyMean}, ${p.latencySd})| ms, mean of ${seeds} seeds`

mkdirSync(outDir, { recursive: true })
writeFileSync(join(outDir, 'contention.csv'), csv)
writeFileSync(
  join(outDir, 'contention-calls.svg'),
  renderLineChart({
    title: `Work: total calls (reads + writes) vs clients`,
    xLabel: `clients (${subtitle})`,
    yLabel: 'calls',
    series: series((pt) => pt.calls),
  }),
)
writeFileSync(
  join(outDir, 'contention-time.svg'),
  renderLineChart({
    title: `Time until every client has written (log scale)`,
    xLabel: `clients (${subtitle})`,
    yLabel: 'completion time (ms, virtual)',
    series: series((pt) => pt.completion),
    logY: true,
  }),
)

const at = (n: number) => (r: (typeof results)[number]) => r.points.find((pt) => pt.clients === n)
console.log(
  `Contention simulation: ${sizes.length} client counts x ${results.length} strategies x ${seeds} seeds in ${seconds.toFixed(1)} s`,
)
console.log(
  `| strategy | calls @ 50 | calls @ 100 | calls @ 200 | time @ 50 (ms) | time @ 100 (ms) | time @ 200 (ms) |`,
)
console.log(`| --- | --- | --- | --- | --- | --- | --- |`)
for (const r of results) {
  const cells = [50, 100, 200].map((n) => at(n)(r))
  console.log(
    `| ${r.strategy.name} | ${cells.map((c) => (c ? c.calls.toFixed(0) : '-')).join(' | ')} | ${cells
      .map((c) => (c ? c.completion.toFixed(0) : '-'))
      .join(' | ')} |`,
  )
}
console.log(
  `wrote ${join(outDir, 'contention.csv')}, ${join(outDir, 'contention-calls.svg')}, ${join(outDir, 'contention-time.svg')}`,
)
