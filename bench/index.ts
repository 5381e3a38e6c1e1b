/**
 * `npm run bench`: the overhead table (every contender, every workload, one
 * process), the scale table and the cost of each protection. Run with
 * `--expose-gc` (the npm script does) so that heap figures are taken after a
 * forced collection, and under bench/loader.mjs (the npm script does), which
 * compiles TypeScript without tsx's `keepNames`, so that `src/` runs as the
 * built package would.
 *
 * Options: `--only=overhead`, `scale`, `abort`, `hardening`, `protections` or `memory` (the memory
 * table, which spawns a fresh process per contender and size, runs only when
 * asked: `--only=memory`, or `npm run bench:memory`); several comma-separated.
 * `--rounds=5`: the interleaved rounds of the overhead and protection tables.
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { measure } from 'mitata'
import { abortTable, formatAbortTable } from './abort'
import { formatHardeningTable, hardeningTable } from './hardening'
import { formatMemoryTable, memoryTable } from './memory'
import { contenders, verify, workloads } from './overhead'
import { formatProtectionTable, protectionTable } from './protections'
import { scaleTable } from './scale'

const versionOf = (name: string): string =>
  (JSON.parse(readFileSync(join('node_modules', name, 'package.json'), 'utf8')) as { version: string }).version

const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',')
const runs = (table: string): boolean => (only === undefined ? table !== 'memory' : only.includes(table))
const roundsArgument = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length))

/** The CPU model as /proc/cpuinfo names it (os.cpus() may shorten it), or os.cpus()'s. */
const cpuModel = (): string | undefined => {
  try {
    return /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]
  } catch {
    return undefined
  }
}

/** Whether tsx's keepNames is in effect (a named inner closure then has a property dictionary of its own). */
const keepsNames = (): boolean => {
  const named = () => {
    const inner = () => 0
    return inner
  }
  return /__name/.test(named.toString())
}

const machine = (): ReadonlyArray<string> => {
  const cpus = os.cpus()
  const cpu = cpus[0]
  return [
    `Node ${process.version} (V8 ${process.versions.v8}), ${os.platform()} ${os.release()} ${os.arch()}`,
    `CPU: ${cpus.length} x ${cpuModel() ?? cpu?.model ?? 'unknown'}${cpu?.speed ? ` @ ${cpu.speed} MHz` : ''} (os.availableParallelism() = ${os.availableParallelism()})`,
    `Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB total, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    `Contenders: ${['p-retry', 'cockatiel', 'effect', 'retry-ts', 'mitata'].map((name) => `${name} ${versionOf(name)}`).join(', ')}`,
    `Date: ${new Date().toISOString()}`,
    `Compiled by: ${keepsNames() ? 'tsx (keepNames: closures carry a name property each; figures are not those of the package)' : 'bench/loader.mjs (esbuild, no keepNames)'}`,
  ]
}

const formatTime = (ns: number): string =>
  ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const line = (cells: ReadonlyArray<string>) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

const OURS = 'fp-ts-retry retrying'
const FLOOR = 'hand-written Either loop (reference: no throw)'
const ROUNDS = Number.isInteger(roundsArgument) && roundsArgument > 0 ? roundsArgument : 5

const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}

const overhead = async (): Promise<void> => {
  // every contender must do the same work: failures + 1 attempts, then the call's value
  const problems: Array<string> = []
  for (const w of workloads)
    for (const c of contenders) {
      const problem = await verify(c, w)
      if (problem !== undefined) problems.push(problem)
    }
  if (problems.length > 0) throw new Error(`contenders do not run the same workload:\n${problems.join('\n')}`)
  console.log(
    `Checked: on each workload every contender makes exactly failures + 1 attempts and returns the call's value.\n`,
  )
  const rows: Array<Array<string>> = []
  const verdicts: Array<string> = []
  for (const w of workloads) {
    // contenders take turns over several rounds; each one's figure is the median of its rounds' medians,
    // so that one disturbed round (another process, a GC) does not decide the table
    const rounds = w.delay > 0 ? 1 : ROUNDS
    const samples = new Map<string, Array<number>>(contenders.map((c) => [c.name, []]))
    for (let round = 0; round < rounds; round++) {
      for (const c of contenders) {
        // sleeping workloads take milliseconds per op: fewer samples suffice for a stable median
        const stats = await measure(c.build(w), w.delay > 0 ? { min_cpu_time: 200e6, max_samples: 2_000 } : {})
        samples.get(c.name)?.push(stats.p50)
      }
    }
    const medians = new Map([...samples].map(([name, xs]) => [name, median(xs)]))
    const baseline = medians.get(contenders[0]?.name ?? '') ?? NaN
    const floor = medians.get(FLOOR) ?? NaN
    for (const c of contenders) {
      const m = medians.get(c.name) ?? NaN
      const xs = samples.get(c.name) ?? []
      const spread = xs.length > 1 ? `${formatTime(Math.min(...xs))} - ${formatTime(Math.max(...xs))}` : '-'
      rows.push([w.label, c.name, formatTime(m), spread, `${(m / floor).toFixed(2)}x`, `${(m / baseline).toFixed(2)}x`])
    }
    const ours = (medians.get(OURS) ?? NaN) / floor
    const others = contenders.filter((c) => c.name !== OURS && c.reference !== true && c !== contenders[0])
    const fastest = others.every((c) => (medians.get(OURS) ?? Infinity) < (medians.get(c.name) ?? 0))
    // the targets of issue 18, against the fair floor for a TaskEither library: the Either loop
    if (w.key === 'a')
      verdicts.push(`(a) target <= 1.30x the Either loop: ${ours.toFixed(2)}x, ${ours <= 1.3 ? 'met' : 'MISSED'}`)
    if (w.key === 'b')
      verdicts.push(
        `(b) target <= 1.50x the Either loop and faster than every other library: ${ours.toFixed(2)}x, ` +
          `${ours <= 1.5 && fastest ? 'met' : 'MISSED'}${fastest ? '' : ' (another library is faster)'}`,
      )
  }
  console.log(`## Overhead: median time per operation (mitata, ${ROUNDS} interleaved rounds)\n`)
  console.log(
    table(
      ['workload', 'contender', 'median per op', 'spread of rounds', 'vs Either loop', 'vs hand-written try/catch'],
      rows,
    ),
  )
  console.log()
  console.log(verdicts.join('\n'))
  console.log()
}

const mb = (bytes: number | undefined): string =>
  bytes === undefined
    ? 'n/a (run with --expose-gc)'
    : Math.abs(bytes) < 2 ** 20
      ? `${(bytes / 1024).toFixed(1)} KB`
      : `${(bytes / 2 ** 20).toFixed(1)} MB`

const scale = async (): Promise<void> => {
  const results = await scaleTable()
  console.log('## Scale: consecutive immediate retries of one call\n')
  console.log(
    table(
      ['retries', 'total', 'per retry', 'retained heap at deepest point', 'naive recursive promise chain (control)'],
      results.map((r) => [
        r.retries.toLocaleString('en-US'),
        `${r.totalMs.toFixed(2)} ms`,
        `${r.nsPerRetry.toFixed(0)} ns`,
        mb(r.retainedBytes),
        mb(r.naiveRetainedBytes),
      ]),
    ),
  )
  const million = results.find((r) => r.retries === 1_000_000)
  if (million?.retainedBytes !== undefined)
    console.log(
      `\n10^6 retries, retained heap < 5 MB: ${million.retainedBytes < 5 * 2 ** 20 ? 'met' : 'MISSED'} (${mb(million.retainedBytes)})`,
    )
  console.log()
}

const abort = async (): Promise<void> => {
  console.log('## Abort at scale: pending retries on one signal, then abort (3 fresh processes per row)\n')
  console.log(formatAbortTable(await abortTable()))
  console.log()
}

const hardening = async (): Promise<void> => {
  console.log('## Hardening: hostile input, hostile steps, virtual time and aborts (the figures of issue 11)\n')
  console.log(formatHardeningTable(await hardeningTable()))
  console.log()
}

const protections = async (): Promise<void> => {
  const results = await protectionTable(ROUNDS)
  console.log(`## Protections: the success path, median time per call (mitata, ${ROUNDS} interleaved rounds)\n`)
  console.log(formatProtectionTable(results))
  console.log()
}

const memory = (): void => {
  console.log('## Memory: retained heap per call sleeping in a backoff (3 fresh processes per row)\n')
  console.log(formatMemoryTable(memoryTable()))
  console.log()
}

console.log(machine().join('\n'))
console.log()
if (runs('overhead')) await overhead()
if (runs('scale')) await scale()
if (runs('abort')) await abort()
if (runs('hardening')) await hardening()
if (runs('protections')) await protections()
if (runs('memory')) memory()
