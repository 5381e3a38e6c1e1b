/**
 * The browser page's script: the core entry, bundled for the browser by esbuild (examples/browser/server.ts), retries
 * a `fetch` against the page's own server, which answers 503 twice, then 200. The page shows every attempt, the delays
 * the schedule chose and the final value; test/browser.test.ts reads them back from headless Chromium.
 *
 * It also runs the same policy on a TestClock (virtual time, no waiting), which must work in a browser as well.
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import type { TaskEither } from 'fp-ts/TaskEither'
import { Retry, Schedule, TestClock } from '../../src/index'

/** What a failed attempt is: the server's status, or 0 when the request did not complete. */
interface Unavailable {
  readonly _tag: 'Unavailable'
  readonly status: number
}

const $ = (id: string): HTMLElement => {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`#${id} is missing`)
  return element
}

const started = performance.now()

/** One attempt: GET /api/value; a status other than 2xx is a Left. Each attempt is listed on the page. */
const getValue: TaskEither<Unavailable, number> = async () => {
  const item = document.createElement('li')
  item.dataset['at'] = String(Math.round(performance.now() - started))
  $('attempts').append(item)
  try {
    const response = await fetch('/api/value', { cache: 'no-store' })
    item.dataset['status'] = String(response.status)
    item.textContent = `at ${item.dataset['at']} ms: ${response.status} ${response.statusText}`
    if (!response.ok) return E.left({ _tag: 'Unavailable', status: response.status })
    const body = (await response.json()) as { readonly value: number }
    return E.right(body.value)
  } catch (error) {
    item.dataset['status'] = '0'
    item.textContent = `at ${item.dataset['at']} ms: ${String(error)}`
    return E.left({ _tag: 'Unavailable', status: 0 })
  }
}

/** 100 ms, 200 ms, 400 ms, at most 3 retries. */
const policy = pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(3)))

const delays: Array<number> = []
const result = await pipe(getValue, Retry.retrying(policy, { onRetry: (event) => void delays.push(event.delay) }))()

$('delays').textContent = delays.map((d) => `${d} ms`).join(', ')
$('delays').dataset['delays'] = delays.join(',')
const output = $('result')
if (E.isRight(result)) {
  output.textContent = `${result.right}`
  output.dataset['value'] = String(result.right)
} else {
  output.textContent = `gave up: ${JSON.stringify(result.left)}`
  output.dataset['error'] = JSON.stringify(result.left)
}

// the same policy, virtual time: four attempts, three delays, no real waiting
const clock = TestClock.make()
const virtualDelays: Array<number> = []
const failing: TaskEither<string, never> = async () => E.left('still down')
const running = pipe(
  failing,
  Retry.retrying(policy, { clock, onRetry: (event) => void virtualDelays.push(event.delay) }),
)()
await clock.runAll()
const virtual = await running
$('virtual').textContent =
  `${virtualDelays.map((d) => `${d} ms`).join(', ')}, then ${JSON.stringify(virtual)} at ${clock.now()} ms`
$('virtual').dataset['delays'] = virtualDelays.join(',')
$('virtual').dataset['now'] = String(clock.now())
$('virtual').dataset['tag'] = virtual._tag

document.body.dataset['done'] = 'true'
