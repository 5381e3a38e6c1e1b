/**
 * Scenario 2: a rate-limited API answers 429 with a retry hint. The schedule's
 * own delay is short, but the client waits as long as the server asks
 * (`Retry-After` in seconds, or `retry-after-ms`), never more than 5 s.
 *
 * Run alone: npx tsx examples/rate-limited.ts
 */
import { pipe } from 'fp-ts/function'
import { Operation, Random, Retry, Schedule, Timeout } from '../src/index'
import * as Http from '../src/Http'
import { isMain, sendJson, startServer, timeline } from './support'

export const policy = pipe(
  Schedule.exponential(100),
  Schedule.jittered(),
  Schedule.intersect(Schedule.recurs(4)),
  Schedule.whileInput(Http.isTransient),
  Schedule.waitForHint(5000), // wait what the server asks, up to 5 s
)

export const main = async (): Promise<void> => {
  let requests = 0
  const api = await startServer((_, res) => {
    requests += 1
    if (requests === 1) sendJson(res, 429, { error: 'rate limited' }, { 'retry-after': '1' })
    else if (requests === 2) sendJson(res, 429, { error: 'rate limited' }, { 'retry-after-ms': '300' })
    else sendJson(res, 200, { quota: 'ok', items: [1, 2, 3] })
  })
  try {
    const tl = timeline(
      '2. Rate-limited API: 429 + Retry-After',
      'exponential(100) x jitter, 4 retries, waitForHint(5000)',
    )
    const getItems = pipe(
      tl.attempt('GET /items', pipe(Http.json(`${api.url}/items`), Timeout.timeout(1000))),
      Retry.retrying(policy, { random: Random.seeded(2026), onRetry: tl.onRetry }),
    )
    tl.outcome(await Operation.run(getItems)())
  } finally {
    await api.close()
  }
}

if (isMain(import.meta.url)) await main()
