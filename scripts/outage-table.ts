/**
 * Prints the measured tables of docs/protect-your-dependency.md, from the
 * simulated outages of test/simulation (the same runs test/outage.test.ts
 * asserts on): virtual time, seeded random sources, the real library.
 *
 * Run: npx tsx scripts/outage-table.ts
 */
import * as Scenarios from '../test/simulation/scenarios'

const labels: Record<Scenarios.Protection, string> = {
  none: 'no protection',
  aws: 'AWS token bucket (500, retry 5, timeout 10, success +1)',
  grpc: 'gRPC throttle (10 tokens, ratio 0.1)',
  breaker: 'circuit breaker',
  'aws+breaker': 'AWS token bucket + circuit breaker',
}
const fixed = (n: number, digits = 3) => n.toFixed(digits)
const started = performance.now()

console.log('### Amplification under a total outage\n')
console.log(
  'Open-loop traffic, 50 requests/s on average for 60 s, dependency down throughout, each request retried with `recurs(3)`.\n',
)
console.log('| protection | requests | attempts | attempts per request | once the protection kicked in |')
console.log('| --- | ---: | ---: | ---: | ---: |')
for (const p of Scenarios.protections) {
  const r = await Scenarios.totalOutage(p)
  const kicked =
    r.spentAt === undefined ? '(never)' : `${fixed(r.amplificationOnceSpent)} (after ${Math.round(r.spentAt)} ms)`
  console.log(`| ${labels[p]} | ${r.requests} | ${r.attempts} | ${fixed(r.amplification)} | ${kicked} |`)
}
const nested = await Scenarios.nestedLayers(false)
const passOn = await Scenarios.nestedLayers(true)
console.log(
  `| three nested layers of \`recurs(3)\` | ${nested.requests} | ${nested.attempts} | ${fixed(nested.amplification, 1)} | |`,
)
console.log(
  `| three layers, inner one passes on \`AlreadyRetried\` | ${passOn.requests} | ${passOn.attempts} | ${fixed(passOn.amplification, 1)} | |`,
)

console.log('\n### Recovery after a 20 s outage\n')
console.log(
  'Open-loop traffic, 100 requests/s for 60 s; the dependency is down from 10 s to 30 s, serves each call in 50 ms and is overloaded beyond 12 calls in flight; each request retried with `exponential(50)`, full jitter, at most 3 retries.\n',
)
console.log(
  '| protection | attempts per request during the outage | success after the outage | requests after the outage until >= 99% succeed | breaker closed at |',
)
console.log('| --- | ---: | ---: | ---: | ---: |')
for (const p of Scenarios.protections) {
  const r = await Scenarios.recovery({ protection: p })
  const closed = r.changes.filter((c) => c.to === 'Closed').map((c) => `${(c.at / 1000).toFixed(2)} s`)
  console.log(
    `| ${labels[p]} | ${fixed(r.amplificationDuringOutage)} | ${(r.successRateAfter * 100).toFixed(2)}% of ${r.requestsAfter} | ${r.requestsToRecover ?? 'never'} | ${closed.join(', ') || '-'} |`,
  )
}
console.log(`\n(${Math.round(performance.now() - started)} ms of real time)`)
