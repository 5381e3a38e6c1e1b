/**
 * `npx tsx bench/fleet/run.ts`: the fleet proof of fp-ts-retry/redis, with 20 real worker processes, one
 * redis-server (started from PATH; `apt-get install -y redis-server`) and a local HTTP dependency that goes into a
 * total outage. Prints the table of docs/run-a-fleet.md. `--quick` runs a shorter version (8 workers).
 */
import { formatReport, FULL, runFleet } from './fleet'

const quick = process.argv.includes('--quick')
const options = quick
  ? { ...FULL, workers: 8, outage: 3_000, rateWindow: 3_000, halfOpenAfter: 500, intervals: 4, iterations: 20_000 }
  : FULL
console.log(`fleet: ${options.workers} workers (this takes about ${quick ? 30 : 90} s)`)
const report = await runFleet(options, (line) => console.log(line))
console.log(`\n${formatReport(report)}`)
