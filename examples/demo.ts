/**
 * The demo: every scenario of the library against real HTTP servers started
 * here on 127.0.0.1, each printed as a timeline (attempt, time, result, next
 * delay, outcome). Random sources are seeded, so the story is the same on
 * every run; only the measured times move by a few milliseconds.
 *
 * Run: npm start
 */
import { main as backoffJitterDeadline } from './backoff-jitter-deadline'
import { main as fallback } from './fallback'
import { main as flakyApi } from './flaky-api'
import { main as llmJson } from './llm-json'
import { main as pollJob } from './poll-job'
import { main as rateLimited } from './rate-limited'
import { main as unauthorized } from './unauthorized'
import { main as wrapOnce } from './wrap-once'

const started = performance.now()
console.log('fp-ts-retry demo: typed retries against local HTTP servers (127.0.0.1)')

const scenarios = [flakyApi, rateLimited, unauthorized, llmJson, fallback, backoffJitterDeadline, wrapOnce, pollJob]
for (const scenario of scenarios) {
  await scenario()
}

console.log(`\nall ${scenarios.length} scenarios done in ${((performance.now() - started) / 1000).toFixed(1)} s`)
