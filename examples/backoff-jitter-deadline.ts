/**
 * Scenario 6: exponential backoff with a cap, full jitter and a deadline. The
 * service stays down; the client never starts an attempt later than 1.5 s
 * after the first one began, and gives up with the last typed error.
 * `Schedule.simulate` shows the plan before anything runs.
 *
 * Run alone: npx tsx examples/backoff-jitter-deadline.ts
 */
import { pipe } from 'fp-ts/function'
import { Operation, Random, Retry, Schedule, Timeout } from '../src/index'
import * as Http from '../src/Http'
import { isMain, startServer, timeline } from './support'

export const policy = pipe(
  Schedule.exponential(100), // 100, 200, 400, 800...
  Schedule.capDelay(500), //      ... never more than 500 ms
  Schedule.fullJitter, //         each delay uniform in [0, d]: clients spread out
  Schedule.whileInput(Http.isTransient),
  Schedule.upTo(1500), //         no attempt starts later than 1.5 s after the first
)

export const main = async (): Promise<void> => {
  const api = await startServer((_, res) => {
    res.writeHead(503, { 'content-type': 'text/plain' })
    res.end('down for maintenance')
  })
  try {
    const plan = Schedule.simulate(policy, Array(10).fill({ _tag: 'TimeoutError', timeout: 500 }), {
      random: Random.seeded(2026),
    })
    const tl = timeline(
      '6. Backoff, cap, full jitter and a deadline',
      'exponential(100), cap 500 ms, full jitter, upTo(1500)',
      [`plan (Schedule.simulate, attempts taking no time): ${plan.map((d) => Math.round(d)).join(', ')} ms`],
    )
    const status = pipe(
      tl.attempt('GET /status', pipe(Http.text(`${api.url}/status`), Timeout.timeout(500))),
      Retry.retrying(policy, { random: Random.seeded(2026), onRetry: tl.onRetry }),
    )
    tl.outcome(await Operation.run(status)())
  } finally {
    await api.close()
  }
}

if (isMain(import.meta.url)) await main()
