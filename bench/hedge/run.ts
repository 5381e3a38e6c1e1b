/**
 * `npm run simulate`: the tail-latency experiment. Runs 100,000 requests through each hedging strategy against the
 * simulated heavy-tailed server of bench/hedge/sim.ts, in virtual time on a TestClock, prints the table, and
 * writes docs/hedging.csv and docs/hedging.svg.
 *
 * Options: `--requests=N` (default 100000), `--seed=N` (default 1), `--out=DIR` (default docs).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderLineChart, type Series } from '../contention/chart'
import { defaults, simulate, strategies, type Result } from './sim'

const option = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback

const requests = Number(option('requests', '100000'))
const seed = Number(option('seed', '1'))
const outDir = option('out', 'docs')

const colors: Record<string, string> = {
  none: '#7f7f7f',
  fixed: '#d62728',
  adaptive: '#1f77b4',
  bounded: '#2ca02c',
}

// the two adaptive lines dashed, so that the fixed hedge's line shows where they coincide
const dashes: Record<string, string> = { adaptive: '6 4', bounded: '2 3' }

const started = performance.now()
const results: Array<Result> = []
for (const strategy of strategies()) results.push(await simulate(strategy, { requests, seed }))
const seconds = (performance.now() - started) / 1000

const percent = (x: number): string => (x * 100).toFixed(2)
const csv = [
  'strategy,requests,seed,attempts,extra_percent,cancelled,p50_ms,p90_ms,p99_ms,p99_9_ms,p99_99_ms,max_ms',
  ...results.map((r) =>
    [
      r.key,
      r.requests,
      seed,
      r.attempts,
      percent(r.extra),
      r.cancelled,
      r.p50,
      r.p90,
      r.p99,
      r.p999,
      r.p9999,
      r.max,
    ].join(','),
  ),
  '',
].join('\n')

// x: the percentile in "nines" (p90 = 1, p99 = 2, p99.9 = 3), so the tail gets as much room as the body
const nines = (q: number): number => -Math.log10(1 - q)
const percentiles: ReadonlyArray<readonly [number, string, (r: Result) => number]> = [
  [0.5, 'p50', (r) => r.p50],
  [0.9, 'p90', (r) => r.p90],
  [0.99, 'p99', (r) => r.p99],
  [0.999, 'p99.9', (r) => r.p999],
  [0.9999, 'p99.99', (r) => r.p9999],
]
const series: ReadonlyArray<Series> = results.map((r) => ({
  name: `${r.strategy.label} (+${percent(r.extra)} %)`,
  color: colors[r.key] ?? '#000',
  ...(dashes[r.key] === undefined ? {} : { dash: dashes[r.key] }),
  points: percentiles.map(([q, , pick]) => [nines(q), pick(r)] as const),
}))
const p = defaults
const model =
  `${(100 * (1 - p.slowShare - p.stallShare)).toFixed(0)} % ~${p.fastMedian} ms, ` +
  `${(100 * p.slowShare).toFixed(0)} % ${p.slowMin}-${p.slowMax} ms, ${(100 * p.stallShare).toFixed(0)} % >= ${p.stallMin / 1000} s`

mkdirSync(outDir, { recursive: true })
writeFileSync(join(outDir, 'hedging.csv'), csv)
writeFileSync(
  join(outDir, 'hedging.svg'),
  renderLineChart({
    title: `Latency percentiles of ${requests.toLocaleString('en-US')} requests, per hedging strategy (log scale)`,
    xLabel: `percentile (server: ${model}; seed ${seed})`,
    yLabel: 'latency (ms, virtual)',
    series,
    logY: true,
    xTicks: percentiles.map(([q, label]) => [nines(q), label] as const),
  }),
)

const none = results[0] as Result
console.log(
  `Tail-latency simulation: ${requests} requests x ${results.length} strategies, seed ${seed}, in ${seconds.toFixed(1)} s`,
)
console.log('| strategy | p50 (ms) | p99 (ms) | p99.9 (ms) | p99.9 cut | extra requests |')
console.log('| --- | --- | --- | --- | --- | --- |')
for (const r of results) {
  const cut = r === none ? '-' : `${(none.p999 / r.p999).toFixed(0)}x`
  console.log(`| ${r.name} | ${r.p50} | ${r.p99} | ${r.p999} | ${cut} | ${percent(r.extra)} % |`)
}
console.log(`wrote ${join(outDir, 'hedging.csv')}, ${join(outDir, 'hedging.svg')}`)
