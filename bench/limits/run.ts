/**
 * `npm run simulate` (or `--only=limits`): the load-limit experiments of bench/limits/sim.ts. Sweeps the offered load
 * for every strategy, averages `--seeds` seeds per point, prints the tables and checks the targets, and writes
 * docs/limits.csv, docs/limits-goodput.svg, docs/limits-p99.svg, docs/limits-trace.svg, docs/limits-guard.svg and
 * docs/limits-throttle.svg.
 *
 * Options: `--seeds=N` (default 1), `--out=DIR` (default docs).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Bulkhead } from '../../src/index'
import { renderLineChart, type Series } from '../contention/chart'
import {
  capacity,
  concurrencyParameters as cp,
  concurrencyStrategies,
  fixedLimits,
  mean,
  runConcurrency,
  runThrottling,
  throttlingParameters as tp,
  throttlingStrategies,
  type ConcurrencyResult,
  type ThrottlingResult,
} from './sim'

const option = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback

const seeds = Number(option('seeds', '1'))
const outDir = option('out', 'docs')

const concurrencyLoads = [0.5, 0.75, 1, 1.25, 1.5, 2, 3]
const throttlingLoads = [0.5, 1, 1.5, 2, 3]

const started = performance.now()

const averaged = async <R extends { readonly strategy: string; readonly load: number }>(
  run: (seed: number) => Promise<R>,
): Promise<R> => {
  const runs: Array<R> = []
  for (let seed = 1; seed <= seeds; seed++) runs.push(await run(seed))
  return mean(runs)
}

const strategies = concurrencyStrategies()
const concurrency: Array<ConcurrencyResult> = []
for (const s of strategies)
  for (const load of concurrencyLoads) concurrency.push(await averaged((seed) => runConcurrency(s, load, seed)))

const throttling: Array<ThrottlingResult> = []
for (const s of throttlingStrategies)
  for (const load of throttlingLoads) throttling.push(await averaged((seed) => runThrottling(s, load, seed)))

// the limits over time at twice the capacity: windowed (as compared above) and per sample
const window = { minWindowTime: 100, maxWindowTime: 100 }
const traced = [
  {
    key: 'aimd',
    name: 'AIMD, windowed',
    limit: Bulkhead.windowed(Bulkhead.aimd({ timeout: 2.5 * cp.service }), window),
  },
  { key: 'gradient2', name: 'Gradient2, windowed', limit: Bulkhead.windowed(Bulkhead.gradient2(), window) },
  { key: 'aimd-per-sample', name: 'AIMD, per sample', limit: Bulkhead.aimd({ timeout: 2.5 * cp.service }) },
  { key: 'gradient2-per-sample', name: 'Gradient2, per sample', limit: Bulkhead.gradient2() },
]
const traces = []
for (const s of traced) traces.push({ strategy: s, result: await runConcurrency(s, 2, 1, cp, 50) })

// PR #134: Gradient2 under modest overload for a minute, the published formula and the guarded one
const long = { ...cp, warmup: 50_000, measure: 10_000 }
const guardLoad = 1.25
const guard = [
  { key: 'gradient2', name: 'Gradient2 (guarded)', limit: Bulkhead.windowed(Bulkhead.gradient2(), window) },
  {
    key: 'gradient2-published',
    name: 'Gradient2 (published formula)',
    limit: Bulkhead.windowed(Bulkhead.gradient2({ guardGrowth: false }), window),
  },
]
const guarded = []
for (const s of guard) guarded.push({ strategy: s, result: await runConcurrency(s, guardLoad, 1, long, 500) })

const seconds = (performance.now() - started) / 1000

// -------------------------------------------------------------------------------------
// CSV
// -------------------------------------------------------------------------------------

const f = (n: number, digits = 1) => n.toFixed(digits)
const csv = [
  'scenario,strategy,load,offered_per_s,goodput_per_s,p99_ms,rejected_per_s,shed_per_s,timeouts_per_s,mean_limit,attempts_per_s,throttled_per_s,throttle_rate,failed_per_s',
  ...concurrency.map((r) =>
    [
      'concurrency',
      r.strategy,
      r.load,
      f(r.offered),
      f(r.goodput),
      f(r.p99),
      f(r.rejected),
      f(r.shed),
      f(r.timeouts),
      f(r.meanLimit),
      '',
      '',
      '',
      f(r.rejected + r.shed + r.timeouts),
    ].join(','),
  ),
  ...guarded.map(({ result: r }) =>
    [
      'guard',
      r.strategy,
      r.load,
      f(r.offered),
      f(r.goodput),
      f(r.p99),
      f(r.rejected),
      f(r.shed),
      f(r.timeouts),
      f(r.meanLimit),
      '',
      '',
      '',
      f(r.rejected + r.shed + r.timeouts),
    ].join(','),
  ),
  ...throttling.map((r) =>
    [
      'throttling',
      r.strategy,
      r.load,
      f(r.offered),
      f(r.goodput),
      f(r.p99),
      '',
      '',
      '',
      '',
      f(r.attempts),
      f(r.throttled),
      f(r.throttleRate, 4),
      f(r.failed),
    ].join(','),
  ),
  '',
].join('\n')

// -------------------------------------------------------------------------------------
// charts
// -------------------------------------------------------------------------------------

const fixedColors = ['#c6dbef', '#9ecae1', '#6baed6', '#3182bd', '#08519c', '#08306b']
const colorOf = (key: string): string => {
  if (key === 'none') return '#7f7f7f'
  if (key.startsWith('aimd')) return '#d62728'
  if (key.startsWith('gradient2')) return '#9467bd'
  const i = fixedLimits.findIndex((n) => key === `fixed-${n}`)
  return fixedColors[i] ?? '#000'
}

const concurrencySeries = (measure: (r: ConcurrencyResult) => number | undefined): ReadonlyArray<Series> =>
  strategies.map((s) => ({
    name: s.name,
    color: colorOf(s.key),
    ...(s.key.startsWith('fixed') ? { dash: '5 3' } : {}),
    points: concurrency
      .filter((r) => r.strategy === s.key)
      .flatMap((r) => {
        const y = measure(r)
        return y === undefined ? [] : [[r.load * capacity(cp), y] as const]
      }),
  }))

const knee = `${cp.workers} workers x ${cp.service} ms = ${capacity(cp)} calls/s, ${cp.timeout} ms client timeout`

mkdirSync(outDir, { recursive: true })
writeFileSync(join(outDir, 'limits.csv'), csv)
writeFileSync(
  join(outDir, 'limits-goodput.svg'),
  renderLineChart({
    title: 'Goodput: successful calls per second vs offered load',
    xLabel: `offered load, calls/s (capacity ${knee})`,
    yLabel: 'successful calls/s',
    series: concurrencySeries((r) => r.goodput),
  }),
)
writeFileSync(
  join(outDir, 'limits-p99.svg'),
  renderLineChart({
    title: 'p99 latency of successful calls (log scale; none when nothing succeeds)',
    xLabel: `offered load, calls/s (capacity ${knee})`,
    yLabel: 'p99 latency (ms, virtual)',
    series: concurrencySeries((r) => (r.goodput > 0 ? r.p99 : undefined)),
    logY: true,
  }),
)
writeFileSync(
  join(outDir, 'limits-trace.svg'),
  renderLineChart({
    title: `Adaptive limits over time at twice the capacity (${2 * capacity(cp)} calls/s offered)`,
    xLabel: 'virtual time (ms)',
    yLabel: 'concurrency limit',
    series: traces.map(({ strategy, result }) => ({
      name: strategy.name,
      color: colorOf(strategy.key),
      ...(strategy.key.endsWith('per-sample') ? { dash: '4 3' } : {}),
      points: result.trace,
    })),
  }),
)
writeFileSync(
  join(outDir, 'limits-guard.svg'),
  renderLineChart({
    title: `Gradient2 for a minute at ${guardLoad}x the capacity: the PR #134 climb, and the guard`,
    xLabel: 'virtual time (ms)',
    yLabel: 'concurrency limit',
    series: guarded.map(({ strategy, result }) => ({
      name: strategy.name,
      color: strategy.key === 'gradient2' ? colorOf('gradient2') : '#ff7f0e',
      ...(strategy.key === 'gradient2' ? {} : { dash: '6 4' }),
      points: result.trace,
    })),
  }),
)
const throttleColors: Record<string, string> = {
  retries: '#d62728',
  'aws-adaptive': '#2ca02c',
  'token-bucket': '#1f77b4',
}
writeFileSync(
  join(outDir, 'limits-throttle.svg'),
  renderLineChart({
    title: 'Throttle rate: share of attempts the dependency answered 429',
    xLabel: `offered load, calls/s (quota ${tp.quota} calls/s, ${tp.quotaBurst} at once; up to 3 attempts a call)`,
    yLabel: 'throttled attempts (%)',
    series: throttlingStrategies.map((s) => ({
      name: s.name,
      color: throttleColors[s.key] ?? '#000',
      ...(s.key === 'token-bucket' ? { dash: '6 4' } : {}),
      points: throttling.filter((r) => r.strategy === s.key).map((r) => [r.offered, 100 * r.throttleRate] as const),
    })),
  }),
)

// -------------------------------------------------------------------------------------
// tables and targets
// -------------------------------------------------------------------------------------

const at = (strategy: string, load: number) =>
  concurrency.find((r) => r.strategy === strategy && r.load === load) as ConcurrencyResult
const bestFixed = (load: number) =>
  fixedLimits.map((n) => at(`fixed-${n}`, load)).reduce((a, b) => (b.goodput > a.goodput ? b : a))

console.log(
  `Limits simulation: ${strategies.length} concurrency strategies x ${concurrencyLoads.length} loads, ` +
    `${throttlingStrategies.length} throttling strategies x ${throttlingLoads.length} loads, ${seeds} seed(s), in ${seconds.toFixed(1)} s`,
)
console.log(`\nConcurrency (${knee}): goodput calls/s, p99 ms`)
console.log(`| strategy | ${concurrencyLoads.map((l) => `${l * capacity(cp)}/s`).join(' | ')} |`)
console.log(`| --- | ${concurrencyLoads.map(() => '---').join(' | ')} |`)
for (const s of strategies)
  console.log(
    `| ${s.name} | ${concurrencyLoads
      .map((l) => {
        const r = at(s.key, l)
        return `${f(r.goodput, 0)}, ${r.goodput > 0 ? f(r.p99, 0) : '-'}`
      })
      .join(' | ')} |`,
  )

const misses: Array<string> = []
console.log(
  '\nTarget: adaptive goodput within 10 % of the best fixed limit at every load, p99 below the client timeout',
)
for (const l of concurrencyLoads) {
  const best = bestFixed(l)
  const cells = ['aimd', 'gradient2'].map((k) => {
    const r = at(k, l)
    const ratio = best.goodput === 0 ? 1 : r.goodput / best.goodput
    if (ratio < 0.9) misses.push(`${k} goodput at ${l}x: ${f(100 * ratio)} % of ${best.strategy}`)
    if (r.p99 >= cp.timeout) misses.push(`${k} p99 at ${l}x: ${f(r.p99)} ms`)
    return `${k} ${f(100 * ratio)} % (p99 ${f(r.p99, 0)} ms, limit ${f(r.meanLimit, 0)})`
  })
  console.log(
    `  ${l}x: best fixed ${best.strategy} ${f(best.goodput, 0)}/s (p99 ${f(best.p99, 0)} ms); ${cells.join('; ')}`,
  )
}

console.log(`\nGradient2 at ${guardLoad}x for ${long.warmup + long.measure} ms (the last ${long.measure} ms measured):`)
for (const { strategy, result: r } of guarded) {
  const last = r.trace[r.trace.length - 1]?.[1] ?? 0
  console.log(
    `  ${strategy.name}: limit ${f(r.meanLimit, 0)} (last ${last}), p99 ${f(r.p99, 0)} ms, goodput ${f(r.goodput, 0)}/s`,
  )
}
const [g, pub] = guarded.map(({ result }) => result)
if (g !== undefined && pub !== undefined && !(g.meanLimit < pub.meanLimit / 2))
  misses.push(`the guard: limit ${f(g.meanLimit)} vs the published formula's ${f(pub.meanLimit)}`)

console.log(`\nThrottling (quota ${tp.quota}/s): throttle rate, goodput calls/s, p99 ms`)
console.log(`| strategy | ${throttlingLoads.map((l) => `${l * tp.quota}/s`).join(' | ')} |`)
console.log(`| --- | ${throttlingLoads.map(() => '---').join(' | ')} |`)
for (const s of throttlingStrategies)
  console.log(
    `| ${s.name} | ${throttlingLoads
      .map((l) => {
        const r = throttling.find((x) => x.strategy === s.key && x.load === l) as ThrottlingResult
        return `${f(100 * r.throttleRate)} %, ${f(r.goodput, 0)}, ${f(r.p99, 0)}`
      })
      .join(' | ')} |`,
  )
console.log(
  '\nTarget: the AWS adaptive limiter throttles less than plain retries at every load where retries are throttled',
)
for (const l of throttlingLoads) {
  const plain = throttling.find((x) => x.strategy === 'retries' && x.load === l) as ThrottlingResult
  const aws = throttling.find((x) => x.strategy === 'aws-adaptive' && x.load === l) as ThrottlingResult
  if (plain.throttleRate > 0 && !(aws.throttleRate < plain.throttleRate))
    misses.push(
      `aws-adaptive throttle rate at ${l}x: ${f(100 * aws.throttleRate)} % vs ${f(100 * plain.throttleRate)} %`,
    )
  console.log(`  ${l}x: plain retries ${f(100 * plain.throttleRate)} %, AWS adaptive ${f(100 * aws.throttleRate, 2)} %`)
}

console.log(misses.length === 0 ? '\nall targets met' : `\ntargets MISSED:\n  ${misses.join('\n  ')}`)
if (misses.length > 0) process.exitCode = 1
console.log(
  `wrote ${[
    'limits.csv',
    'limits-goodput.svg',
    'limits-p99.svg',
    'limits-trace.svg',
    'limits-guard.svg',
    'limits-throttle.svg',
  ]
    .map((n) => join(outDir, n))
    .join(', ')}`,
)
