/**
 * Scenario 5: the primary service is down. Try it three times with backoff,
 * then fall back to a backup, then to a second backup: one chain, one
 * schedule for the delays, the first success wins.
 *
 * Run alone: npx tsx examples/fallback.ts
 */
import { pipe } from 'fp-ts/function'
import * as t from 'io-ts'
import { Fallback, Operation, Schedule, Timeout } from '../src/index'
import * as Decode from '../src/Decode'
import * as Http from '../src/Http'
import { downUrl, isMain, sendJson, startServer, timeline } from './support'

const Quote = t.type({ symbol: t.string, price: t.number, source: t.string })

export const main = async (): Promise<void> => {
  const primaryUrl = await downUrl() // nothing listens there: connection refused
  const backup = await startServer((_, res) => sendJson(res, 503, { error: 'maintenance' }, { 'retry-after': '0' }))
  const secondBackup = await startServer((_, res) =>
    sendJson(res, 200, { symbol: 'ACME', price: 41.5, source: 'second backup (cached 30 s ago)' }),
  )
  try {
    const tl = timeline(
      '5. Fallbacks: primary down, then backups',
      '[primary x3, backup, second backup], exponential(100) between them, transient errors only',
    )
    const quote = (label: string, url: string) =>
      tl.attempt(
        label,
        pipe(Http.json(`${url}/quote/ACME`), Timeout.timeout(1000), Decode.decode(Quote)),
        (q) => `${q.price} from ${q.source}`,
      )
    const primary = quote('primary', primaryUrl)
    const getQuote = pipe(
      [primary, primary, primary, quote('backup', backup.url), quote('backup 2', secondBackup.url)] as const,
      Fallback.firstSuccess(pipe(Schedule.exponential(100), Schedule.whileInput(Http.isTransient)), {
        onRetry: tl.onRetry,
      }),
    )
    tl.outcome(await Operation.run(getQuote)(), (q) => `${q.symbol} ${q.price} from the ${q.source}`)
  } finally {
    await Promise.all([backup.close(), secondBackup.close()])
  }
}

if (isMain(import.meta.url)) await main()
