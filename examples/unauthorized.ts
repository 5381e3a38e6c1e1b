/**
 * Scenario 3: an API answers 401. That is permanent: the same request will
 * fail the same way, so it is not retried. The typed error says why at once.
 *
 * Run alone: npx tsx examples/unauthorized.ts
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import { Operation, Random, Retry } from '../src/index'
import * as Http from '../src/Http'
import { policy } from './flaky-api'
import { isMain, sendJson, startServer, timeline } from './support'

export const main = async (): Promise<void> => {
  const api = await startServer((_, res) =>
    sendJson(res, 401, { error: 'invalid token' }, { 'www-authenticate': 'Bearer error="invalid_token"' }),
  )
  try {
    const tl = timeline('3. Unauthorized: 401 is not retried', 'the policy of scenario 1 (transient errors only)')
    const getAccount = pipe(
      tl.attempt('GET /me', Http.json(`${api.url}/me`, { headers: { authorization: 'Bearer expired' } })),
      Retry.retrying(policy, { random: Random.seeded(2026), onRetry: tl.onRetry }),
    )
    const result = await Operation.run(getAccount)()
    tl.outcome(result)
    if (E.isLeft(result) && result.left._tag === 'HttpError' && !Http.isTransient(result.left)) {
      console.log(
        `   -> permanent: ${result.left.status} says "${result.left.body}"; fix the credentials, do not retry`,
      )
    }
  } finally {
    await api.close()
  }
}

if (isMain(import.meta.url)) await main()
