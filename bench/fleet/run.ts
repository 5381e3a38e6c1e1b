/**
 * `npx tsx bench/fleet/run.ts`: the fleet proof of fp-ts-retry/redis, with 20 real worker processes, one
 * redis-server (started from PATH; `apt-get install -y redis-server`) and a local HTTP dependency that goes into a
 * total outage. Prints the table of docs/run-a-fleet.md (about 70 s).
 *
 * `--quick`: 8 workers, shorter phases (about 25 s). `--only=hotPath` (or `--only=budget:shared,breaker:local`, any
 * of the runs in `ALL_RUNS`): only those measurements.
 */
import { ALL_RUNS, formatReport, FULL, runFleet } from './fleet'
import type { Run } from './fleet'

const quick = process.argv.includes('--quick')
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',')
const unknown = only?.filter((r) => !(ALL_RUNS as ReadonlyArray<string>).includes(r)) ?? []
if (unknown.length > 0) throw new Error(`--only: unknown ${unknown.join(', ')}; the runs are ${ALL_RUNS.join(', ')}`)
const options = {
  ...(quick
    ? { ...FULL, workers: 8, outage: 3_000, rateWindow: 3_000, halfOpenAfter: 500, intervals: 4, iterations: 20_000 }
    : FULL),
  runs: only as ReadonlyArray<Run> | undefined,
}
console.log(`fleet: ${options.workers} workers, ${(options.runs ?? ALL_RUNS).join(', ')}`)
const report = await runFleet(options, (line) => console.log(line))
console.log(`\n${formatReport(report)}`)
