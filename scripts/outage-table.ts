/**
 * Prints the measured tables of docs/protect-your-dependency.md, from the
 * simulated outages of test/simulation (the same runs test/outage.test.ts
 * asserts on, and compares with the page): virtual time, seeded random
 * sources, the real library.
 *
 * Run: npx tsx scripts/outage-table.ts
 */
import * as Table from '../test/simulation/table'

const started = performance.now()

console.log('### Amplification under a total outage\n')
console.log(
  'Open-loop traffic, 50 requests/s on average for 60 s, dependency down throughout, each request retried with `recurs(3)`.\n',
)
console.log(Table.markdown(Table.amplificationHeader, await Table.amplificationRows()))

console.log('\n### Recovery after a 20 s outage\n')
console.log(
  'Open-loop traffic, 100 requests/s for 60 s; the dependency is down from 10 s to 30 s, serves each call in 50 ms and is overloaded beyond 12 calls in flight; each request retried with `exponential(50)`, full jitter, at most 3 retries.\n',
)
console.log(Table.markdown(Table.recoveryHeader, await Table.recoveryRows()))
console.log(`\n(${Math.round(performance.now() - started)} ms of real time)`)
