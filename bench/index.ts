/**
 * `npm run bench`: the overhead table (every contender, every workload, one
 * process) and the scale table. Run with `--expose-gc` (the npm script does)
 * so that heap figures are taken after a forced collection.
 */
import os from 'node:os'
import { measure } from 'mitata'
import { contenders, workloads } from './overhead'

const machine = () => {
  const cpus = os.cpus()
  return [
    `Node ${process.version} (V8 ${process.versions.v8}) on ${os.platform()} ${os.release()} ${os.arch()}`,
    `CPU: ${cpus.length} x ${cpus[0]?.model ?? 'unknown'}${cpus[0]?.speed ? ` @ ${cpus[0].speed} MHz` : ''}`,
    `Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
  ]
}

const formatTime = (ns: number): string =>
  ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`

const overhead = async () => {
  const rows: Array<Array<string>> = []
  for (const w of workloads) {
    const medians: Array<number> = []
    for (const c of contenders) {
      const run = c.build(w)
      const stats = await measure(run, w.delay > 0 ? { min_cpu_time: 200e6, max_samples: 2_000 } : {})
      medians.push(stats.p50)
    }
    const baseline = medians[0] ?? NaN
    contenders.forEach((c, i) => {
      const m = medians[i] ?? NaN
      rows.push([w.label, c.name, formatTime(m), `${(m / baseline).toFixed(2)}x`])
    })
  }
  return rows
}

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const line = (cells: ReadonlyArray<string>) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

const main = async () => {
  console.log(machine().join('\n'))
  console.log()
  console.log(table(['workload', 'contender', 'median per op', 'vs hand-written'], await overhead()))
}

await main()
