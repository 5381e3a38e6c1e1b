/**
 * Scenario 1: the classic flaky API. A joke API fails at random (503, 500, a
 * dropped connection); the client retries transient failures with exponential
 * backoff and jitter, and decodes the joke with io-ts. Each attempt is bounded
 * by a timeout and asks a circuit breaker first; the policy waits out a
 * server's `Retry-After` or an open circuit (`waitForHint`), within a deadline.
 *
 * Run alone: npx tsx examples/flaky-api.ts
 */
import { pipe } from 'fp-ts/function'
import * as t from 'io-ts'
import { CircuitBreaker, type Events, Operation, Random, Retry, Schedule, Timeout } from '../src/index'
import * as Decode from '../src/Decode'
import * as Http from '../src/Http'
import { isMain, sendJson, startServer, timeline } from './support'

const Joke = t.type({ id: t.number, joke: t.string })

const JOKES = [
  'There are 10 kinds of people: those who understand binary and those who do not.',
  'I would tell you a UDP joke, but you might not get it.',
  'A retry walks into a bar. A retry walks into a bar. A retry walks into a bar.',
]

/**
 * The policy: 100 ms, 200 ms, 400 ms... each times a random factor in [0.8, 1.2), capped at 2 s, at most 6 retries,
 * transient errors only (an open circuit is one); at least the hint a failure carries (up to 5 s); no attempt starts
 * later than 10 s after the first.
 */
export const policy = pipe(
  Schedule.exponential(100),
  Schedule.jittered(0.8, 1.2),
  Schedule.capDelay(2000),
  Schedule.intersect(Schedule.recurs(6)),
  Schedule.whileInput(Http.isTransient),
  Schedule.waitForHint(5000),
  Schedule.upTo(10_000),
)

export const main = async (seed = 19, onEvent?: Events.Listener): Promise<void> => {
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
  // one breaker for this dependency, shared by every call to it: opens after 5 failures in a row, probes after 5 s
  const breaker = CircuitBreaker.make({ consecutiveFailures: 5, halfOpenAfter: 5000 })()
  try {
    const tl = timeline(
      '1. Flaky joke API: exponential backoff + jitter',
      'exponential(100) x jitter [0.8, 1.2), cap 2 s, 6 retries, transient only, waitForHint(5000), upTo(10 s)',
      ['each attempt: timeout 1 s, then the breaker (5 failures in a row open it for 5 s)'],
    )
    const getJoke = pipe(
      tl.attempt(
        'GET /joke',
        pipe(
          Http.json(`${api.url}/joke`),
          Timeout.timeout(1000), // per attempt: its signal cancels the request
          Decode.decode(Joke),
          CircuitBreaker.protect(breaker), // inside the retry: each attempt asks the breaker
        ),
        (j) => `joke #${j.id}`,
      ),
      Retry.retrying(policy, { random: Random.seeded(2026), onRetry: tl.onRetry, onEvent }),
    )
    // a cancellable operation: run it with a signal, or with Operation.run where nothing cancels it
    tl.outcome(await Operation.run(getJoke)(), (j) => j.joke)
  } finally {
    await api.close()
  }
}

if (isMain(import.meta.url)) await main()
