/**
 * Scenario 1: the classic flaky API. A joke API fails at random (503, 500, a
 * dropped connection); the client retries transient failures with exponential
 * backoff and jitter, and decodes the joke with io-ts.
 *
 * Run alone: npx tsx examples/flaky-api.ts
 */
import { pipe } from 'fp-ts/function'
import * as t from 'io-ts'
import { Decode, Http, Random, Retry, Schedule } from '../src/index'
import { isMain, sendJson, startServer, timeline } from './support'

const Joke = t.type({ id: t.number, joke: t.string })

const JOKES = [
  'There are 10 kinds of people: those who understand binary and those who do not.',
  'I would tell you a UDP joke, but you might not get it.',
  'A retry walks into a bar. A retry walks into a bar. A retry walks into a bar.',
]

/** The policy: 100 ms, 200 ms, 400 ms... each times a random factor in [0.8, 1.2), capped at 2 s, at most 6 retries. */
export const policy = pipe(
  Schedule.exponential(100),
  Schedule.jittered(0.8, 1.2),
  Schedule.capDelay(2000),
  Schedule.intersect(Schedule.recurs(6)),
  Schedule.whileInput(Http.isTransient),
)

export const main = async (seed = 19): Promise<void> => {
  const chaos = Random.seeded(seed) // the server's bad luck, the same on every run
  let served = 0
  const api = await startServer((_, res) => {
    const roll = chaos()
    if (roll < 0.3) {
      res.writeHead(503, { 'content-type': 'text/plain' })
      res.end('overloaded, try again')
    } else if (roll < 0.45)
      res.socket?.destroy() // the connection drops
    else if (roll < 0.6) {
      res.writeHead(500, { 'content-type': 'text/plain' })
      res.end('oops')
    } else sendJson(res, 200, { id: served, joke: JOKES[served++ % JOKES.length] })
  })
  try {
    const tl = timeline(
      '1. Flaky joke API: exponential backoff + jitter',
      'exponential(100) x jitter [0.8, 1.2), cap 2 s, 6 retries, transient errors only',
    )
    const getJoke = pipe(
      tl.attempt(
        'GET /joke',
        pipe(Http.json(`${api.url}/joke`, { timeout: 1000 }), Decode.decode(Joke)),
        (j) => `joke #${j.id}`,
      ),
      Retry.retrying(policy, { random: Random.seeded(2026), onRetry: tl.onRetry }),
    )
    tl.outcome(await getJoke(), (j) => j.joke)
  } finally {
    await api.close()
  }
}

if (isMain(import.meta.url)) await main()
