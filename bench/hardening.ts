/**
 * Hardening (issue 11), re-measured on this machine: every timing figure of
 * the issue, one row each, with its input size, what came back and the time.
 *
 * - JSON extraction from model prose (`Decode.extractJson`): an unclosed fence
 *   and 1, 4 and 10 KB of spaces (10 KB took 27 s in 0.1.0), 1 MB of `{]`, and
 *   10 MB of each adversarial text test/hostile-input.test.ts builds (target:
 *   under 1 s each), with the growth from 1 MB to 10 MB of `{]` (about 10x:
 *   linear).
 * - "Did you mean" suggestions: a 1 MB unknown policy key, ten 1 MB gRPC
 *   status names. `Duration.parse` on 6 MB of each hostile text of the tests.
 * - Deep and wide input: `Decode.decodeText` with a recursive codec on
 *   10,000-deep JSON (a `DecodeError`), `Policy.decode` of an `intersect` of
 *   20,000 and a `fromDelays` of 300,000 (a `Left` naming the limit),
 *   `Policy.is` on cyclic and 100,000-deep values (`false`, no throw).
 * - Hostile schedule steps on a `TestClock`: a NaN delay under `upTo(100)`
 *   (the call ends at the deadline), a NaN step intersected with `spaced(100)`
 *   (100, 100, 100).
 * - `TestClock` at scale: one `adjust` waking 20,000 sleeps, aborting 40,000
 *   pending sleeps, two concurrent `adjust`s (time moves by their sum).
 * - On the live clock: an outer abort while an attempt that ignores its signal
 *   runs under `Timeout.timeout(1_500)` in `Retry.retrying` (settles within one
 *   tick, the timeout's timer cleared); a redirect loop on a local server
 *   retried by `recurs(3)` with `Http.isTransient` (one attempt, 21 requests;
 *   0.1.0 sent 84); a `TaskEither` resolving to 42 (the call rejects).
 *
 * Each time is the least of a few runs after a warm-up (the run least disturbed
 * by GC), or the median where a run has side effects on the event loop (the
 * abort, the server). The inputs are those of test/hostile-input.test.ts,
 * test/scale-abort.test.ts, test/Abort.test.ts and test/Http.test.ts. Not a
 * test: `npm test` never runs it.
 *
 * `npm run bench -- --only=hardening`; this file alone: `node --expose-gc
 * --import ./bench/loader.mjs bench/hardening.ts`.
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as TE from 'fp-ts/TaskEither'
import * as t from 'io-ts'
import { Clock, Operation, Retry, Schedule, TestClock, Timeout } from '../src/index'
import * as Decode from '../src/Decode'
import * as Duration from '../src/Duration'
import * as Grpc from '../src/Grpc'
import * as Http from '../src/Http'
import * as Policy from '../src/Policy'
import { abortSleeps, wakeMany } from '../test/support/clock-workloads'
import { adversarialJson, cyclicAndDeepPolicies, hostileDurations, repeat } from '../test/support/hostile'
import { trackTimers } from '../test/support/tracked-timers'

// -------------------------------------------------------------------------------------
// rows
// -------------------------------------------------------------------------------------

/** What a figure must show, and whether it did. */
export interface Target {
  readonly text: string
  readonly met: boolean
}

/** One row of the table. */
export interface HardeningRow {
  readonly figure: string
  readonly input: string
  /** What came back (a Left's reason and message, a count, a verdict), or what was thrown. */
  readonly result: string
  /** The least (or median) wall time of the runs, in ms. */
  readonly ms: number
  readonly target: Target | undefined
}

/** The value `f` returned, or what it threw. */
type Outcome<A> = { readonly _tag: 'Returned'; readonly value: A } | { readonly _tag: 'Threw'; readonly error: unknown }

interface Timed<A> {
  readonly ms: number
  readonly outcome: Outcome<A>
}

const attempt = async <A>(f: () => A | Promise<A>): Promise<Outcome<A>> => {
  try {
    return { _tag: 'Returned', value: await f() }
  } catch (error) {
    return { _tag: 'Threw', error }
  }
}

/** A forced collection (with `--expose-gc`), so that a run does not pay for the garbage of the one before. */
const collect = (): void => (globalThis as { gc?: () => void }).gc?.()

/**
 * One untimed run (JIT warm-up, flattening of the strings built for it), then
 * the least time of `runs` runs, each after a forced collection.
 */
const fastest = <A>(runs: number, f: () => A): Timed<A> => {
  let outcome: Outcome<A>
  try {
    outcome = { _tag: 'Returned', value: f() }
  } catch (error) {
    return { ms: NaN, outcome: { _tag: 'Threw', error } }
  }
  let best = Infinity
  for (let i = 0; i < runs; i++) {
    collect()
    const start = performance.now()
    outcome = { _tag: 'Returned', value: f() }
    best = Math.min(best, performance.now() - start)
  }
  return { ms: best, outcome }
}

/** The median time of `runs` runs of `f` (no warm-up: each run is a scenario of its own), and the last outcome. */
const medianOf = async <A>(runs: number, f: () => Promise<A>): Promise<Timed<A>> => {
  const times: Array<number> = []
  let outcome: Outcome<A> = { _tag: 'Threw', error: new Error('no run') }
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    outcome = await attempt(f)
    times.push(performance.now() - start)
    if (outcome._tag === 'Threw') break
  }
  times.sort((a, b) => a - b)
  return { ms: times[Math.floor(times.length / 2)] ?? NaN, outcome }
}

const clip = (s: string, n = 90): string => (s.length > n ? `${s.slice(0, n)}... (${s.length} chars)` : s)

const thrown = (error: unknown): string => `THREW ${clip(error instanceof Error ? error.message : String(error))}`

/** A row from a timed outcome: `describe` says what came back, `check` whether it meets the target (if any). */
const row = <A>(
  figure: string,
  input: string,
  timed: Timed<A>,
  describe: (value: A) => string,
  target?: { readonly text: string; readonly check: (value: A, ms: number) => boolean },
): HardeningRow => ({
  figure,
  input,
  ms: timed.ms,
  result: timed.outcome._tag === 'Returned' ? describe(timed.outcome.value) : thrown(timed.outcome.error),
  target:
    target === undefined
      ? undefined
      : {
          text: target.text,
          met: timed.outcome._tag === 'Returned' && target.check(timed.outcome.value, timed.ms),
        },
})

const size = (bytes: number): string =>
  bytes >= 1e6 ? `${bytes / 1e6} MB` : bytes >= 1e3 ? `${bytes / 1e3} KB` : `${bytes} B`

const sizes = (length: number): string => `${length.toLocaleString('en-US')} chars`

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

// -------------------------------------------------------------------------------------
// 1. JSON extraction from model prose
// -------------------------------------------------------------------------------------

const decoded = (result: E.Either<Decode.DecodeError, unknown>): string =>
  E.isLeft(result) ? `Left ${result.left.reason}: ${clip(result.left.message, 70)}` : 'Right (a JSON value)'

const isDecodeLeft = (result: E.Either<Decode.DecodeError, unknown>): boolean =>
  E.isLeft(result) && Decode.isDecodeError(result.left)

const extraction = (): ReadonlyArray<HardeningRow> => {
  const figure = '1. extractJson'
  const rows: Array<HardeningRow> = []
  for (const n of [1_000, 4_000, 10_000]) {
    const text = '```' + ' '.repeat(n)
    rows.push(
      row(
        figure,
        `an unclosed fence + ${size(n)} of spaces`,
        fastest(5, () => Decode.extractJson(text)),
        decoded,
        {
          text: 'a NoJson Left at once (10 KB: 27 s in 0.1.0), under 100 ms',
          check: (r, ms) => E.isLeft(r) && r.left.reason === 'NoJson' && ms < 100,
        },
      ),
    )
  }
  const oneMb = repeat('{]')(1_000_000)
  const small = fastest(5, () => Decode.extractJson(oneMb))
  rows.push(row(figure, `repeated {], ${size(1_000_000)}`, small, decoded))
  for (const [name, make] of adversarialJson) {
    const text = make(10_000_000)
    const timed = fastest(3, () => Decode.extractJson(text))
    rows.push(
      row(figure, `${name}, ${size(10_000_000)} (${sizes(text.length)})`, timed, decoded, {
        text: 'a DecodeError in under 1 s',
        check: (r, ms) => isDecodeLeft(r) && ms < 1_000,
      }),
    )
    if (name === 'repeated {]') {
      const ratio = timed.ms / small.ms
      rows.push({
        figure,
        input: `repeated {]: time(10 MB) / time(1 MB)`,
        result: `${ratio.toFixed(1)}x (linear: about 10x; quadratic: 100x)`,
        ms: timed.ms,
        target: { text: 'about 10x (under 30x, the tests bound)', met: ratio < 30 },
      })
    }
  }
  return rows
}

// -------------------------------------------------------------------------------------
// 2. "did you mean" suggestions, 3. Duration.parse
// -------------------------------------------------------------------------------------

const policyError = (result: E.Either<Policy.PolicyError, unknown>): string =>
  E.isLeft(result)
    ? `Left, ${result.left.messages.length} message(s), the longest ${Math.max(...result.left.messages.map((m) => m.length))} chars: ${clip(result.left.messages[0], 80)}`
    : 'Right (accepted)'

const shortLeft =
  (limit: number) =>
  (result: E.Either<Policy.PolicyError, unknown>): boolean =>
    E.isLeft(result) && result.left.messages.every((m) => m.length < limit)

const grpcPolicy = (codes: ReadonlyArray<unknown>) => ({
  maxAttempts: 3,
  initialBackoff: '0.1s',
  maxBackoff: '1s',
  backoffMultiplier: 2,
  retryableStatusCodes: codes,
})

const suggestions = (): ReadonlyArray<HardeningRow> => {
  const figure = '2. did you mean'
  const key = 'x'.repeat(1_000_000)
  const unknownKey = { [key]: 1 }
  const misspelt = { recurs: 1, ['recurs'.repeat(200_000)]: 1 }
  const text = JSON.stringify(unknownKey)
  const names = Array.from({ length: 10 }, () => 'U'.repeat(1_000_000))
  const short = { text: 'a Left with short messages, at once (1 s in 0.1.0)', check: shortLeft(500) }
  return [
    row(
      figure,
      'Policy.decode, a 1 MB unknown key',
      fastest(5, () => Policy.decode(unknownKey)),
      policyError,
      short,
    ),
    row(
      figure,
      'Policy.decodeJson, a 1 MB unknown key',
      fastest(5, () => Policy.decodeJson(text)),
      policyError,
      short,
    ),
    row(
      figure,
      'Policy.decode, a 1 MB misspelt key (recurs x 200,000)',
      fastest(5, () => Policy.decode(misspelt)),
      policyError,
      short,
    ),
    row(
      figure,
      'Grpc.decode, ten 1 MB status names',
      fastest(5, () => Grpc.decode(grpcPolicy(names))),
      policyError,
      {
        text: 'ten short messages, at once (10 s in 0.1.0)',
        check: (r) => E.isLeft(r) && r.left.messages.length === 10 && shortLeft(300)(r),
      },
    ),
  ]
}

/** The hostile durations of test/hostile-input.test.ts (`Duration.parse is linear on ...`), `n` characters or so. */
const durations = (): ReadonlyArray<HardeningRow> =>
  hostileDurations.map(([name, make]) => {
    const text = make(6_000_000)
    return row(
      '3. Duration.parse',
      `${name}, ${size(6_000_000)}`,
      fastest(3, () => Duration.parse(text)),
      (r) => (E.isLeft(r) ? `Left: ${clip(r.left, 80)}` : `Right ${r.right.millis} ms`),
    )
  })

// -------------------------------------------------------------------------------------
// 4. deep JSON, 5. oversized and cyclic policies
// -------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Array<Json> | { [key: string]: Json }
const Json: t.Type<Json> = t.recursion('Json', () =>
  t.union([t.null, t.boolean, t.number, t.string, t.array(Json), t.record(t.string, Json)]),
)
type Tree = { children: Array<Tree> }
const Tree: t.Type<Tree> = t.recursion('Tree', () => t.type({ children: t.array(Tree) }))

/** `n` runs of `f`, one after the other, the least time counts (after one untimed run). */
const fastestAsync = async <A>(runs: number, f: () => Promise<A>): Promise<Timed<A>> => {
  let outcome = await attempt(f)
  let best = Infinity
  for (let i = 0; i < runs && outcome._tag === 'Returned'; i++) {
    collect()
    const start = performance.now()
    outcome = await attempt(f)
    best = Math.min(best, performance.now() - start)
  }
  return { ms: outcome._tag === 'Returned' ? best : NaN, outcome }
}

const deepJson = async (): Promise<ReadonlyArray<HardeningRow>> => {
  const figure = '4. decodeText, deep JSON'
  const arrays = '['.repeat(10_000) + ']'.repeat(10_000)
  let tree = '{"children":[]}'
  for (let i = 0; i < 5_000; i++) tree = `{"children":[${tree}]}`
  const target = {
    text: 'an InvalidJson DecodeError naming Decode.MAX_DEPTH, no stack overflow',
    check: (r: E.Either<Decode.DecodeError, unknown>) =>
      E.isLeft(r) && r.left.reason === 'InvalidJson' && /MAX_DEPTH/.test(r.left.message),
  }
  return [
    row(
      figure,
      '10,000-deep arrays, a recursive Json codec',
      await fastestAsync(5, () => pipe(TE.right(arrays), Decode.decodeText(Json))()),
      decoded,
      target,
    ),
    row(
      figure,
      '10,001-deep {"children":[...]}, a recursive Tree codec',
      await fastestAsync(5, () => pipe(TE.right(tree), Decode.decodeText(Tree))()),
      decoded,
      target,
    ),
  ]
}

const oversized = (): ReadonlyArray<HardeningRow> => {
  const figure = '5. Policy.decode, oversized'
  const intersect = { intersect: Array.from({ length: 20_000 }, () => ({ spaced: 1 })) }
  const fromDelays = { fromDelays: Array<number>(300_000).fill(1) }
  const naming = (limit: string) => ({
    text: `a readable Left naming Policy.${limit} (0.1.0 threw when run)`,
    check: (r: E.Either<Policy.PolicyError, unknown>) =>
      E.isLeft(r) && r.left.messages.some((m) => m.includes(`Policy.${limit}`)),
  })
  return [
    row(
      figure,
      'an intersect of 20,000 policies',
      fastest(5, () => Policy.decode(intersect)),
      policyError,
      naming('MAX_POLICIES'),
    ),
    row(
      figure,
      'a fromDelays of 300,000 delays',
      fastest(5, () => Policy.decode(fromDelays)),
      policyError,
      naming('MAX_DELAYS'),
    ),
  ]
}

const cyclicAndDeep = (): ReadonlyArray<HardeningRow> => {
  const { cap, intersect, deep } = cyclicAndDeepPolicies(100_000)
  const falsy = { text: 'false, no throw', check: (is: boolean) => is === false }
  const values: ReadonlyArray<readonly [string, unknown]> = [
    ['a Cap whose `of` is itself (cyclic)', cap],
    ['an Intersect that contains itself (cyclic)', intersect],
    ['Cap nested 100,000 deep', deep],
  ]
  return values.map(([input, value]) =>
    row(
      '5. Policy.is',
      input,
      fastest(5, () => Policy.is(value)),
      (is) => `${is}`,
      falsy,
    ),
  )
}

// -------------------------------------------------------------------------------------
// 6. hostile schedule steps, 7. TestClock at scale
// -------------------------------------------------------------------------------------

/** A `Schedule.make` step that always continues, with a NaN delay. */
const nanStep: Schedule.Schedule<unknown, number> = Schedule.make(0, (n: number) => ({
  _tag: 'Continue' as const,
  delay: NaN,
  out: n,
  state: n + 1,
}))

const ATTEMPT_MS = 10

/** A call whose every attempt fails after `ATTEMPT_MS` of virtual time, retried by NaN steps under `upTo(100)`. */
const nanUpTo = async (): Promise<{ readonly attempts: number; readonly endedAt: number; readonly left: boolean }> => {
  const clock = TestClock.make()
  let attempts = 0
  const action: TE.TaskEither<string, never> = async () => {
    attempts++
    await clock.sleep(ATTEMPT_MS)
    return E.left('503')
  }
  let endedAt = NaN
  const running = pipe(action, Retry.retrying(pipe(nanStep, Schedule.upTo(100)), { clock }))().then((r) => {
    endedAt = clock.now()
    return r
  })
  await clock.runAll(100_000) // rejects instead of hanging when the deadline does not hold
  const result = await running
  return { attempts, endedAt, left: E.isLeft(result) }
}

/** The delays a NaN step intersected with `spaced(100)` waits before three retries, on a TestClock. */
const nanIntersect = async (): Promise<ReadonlyArray<number>> => {
  const clock = TestClock.make()
  const delays: Array<number> = []
  let attempts = 0
  const action: TE.TaskEither<string, string> = async () => (++attempts <= 3 ? E.left('503') : E.right('ok'))
  const running = pipe(
    action,
    Retry.retrying(pipe(nanStep, Schedule.intersect(Schedule.spaced(100))), {
      clock,
      onRetry: (e) => void delays.push(e.delay),
    }),
  )()
  await clock.runAll(1_000)
  await running
  return delays
}

const hostileSteps = async (): Promise<ReadonlyArray<HardeningRow>> => [
  row(
    '6. hostile step',
    `Schedule.make step with NaN delays under upTo(100), attempts of ${ATTEMPT_MS} ms (virtual)`,
    await medianOf(5, nanUpTo),
    (r) => `${r.attempts} attempts, ended at ${r.endedAt} ms virtual${r.left ? ' (the last Left)' : ''}`,
    {
      text: `ends at the deadline (100 ms virtual, at most one attempt past it: <= ${100 + ATTEMPT_MS} ms)`,
      check: (r) => r.endedAt >= 100 && r.endedAt <= 100 + ATTEMPT_MS,
    },
  ),
  row(
    '6. hostile step',
    'a NaN step intersected with spaced(100): the first three delays',
    await medianOf(5, nanIntersect),
    (delays) => delays.join(', '),
    { text: '100, 100, 100', check: (delays) => delays.join(',') === '100,100,100' },
  ),
]

const concurrentAdjusts = async (): Promise<{ readonly now: number; readonly seen: ReadonlyArray<number> }> => {
  const clock = TestClock.make()
  const seen: Array<number> = []
  void clock.sleep(5).then(() => seen.push(clock.now()))
  void clock.sleep(1_005).then(() => seen.push(clock.now()))
  await Promise.all([clock.adjust(1_000), clock.adjust(10)])
  return { now: clock.now(), seen }
}

const testClock = async (): Promise<ReadonlyArray<HardeningRow>> => {
  const figure = '7. TestClock at scale'
  await wakeMany(1_000)
  await abortSleeps(1_000)
  return [
    row(
      figure,
      'one adjust(1000) waking 20,000 sleeps at 997 instants',
      await fastestAsync(3, () => wakeMany(20_000)),
      (woken) => `${woken.toLocaleString('en-US')} woken (8 s before the heap)`,
      { text: 'all 20,000 woken', check: (woken) => woken === 20_000 },
    ),
    row(
      figure,
      '40,000 pending sleeps aborted, one AbortController each',
      await fastestAsync(3, () => abortSleeps(40_000)),
      (pending) => `${pending} left pending (74 s before the heap)`,
      { text: 'none left pending', check: (pending) => pending === 0 },
    ),
    row(
      figure,
      'Promise.all([adjust(1000), adjust(10)]), sleeps at 5 and 1005, then now()',
      await fastestAsync(5, concurrentAdjusts),
      (r) => `now() = ${r.now}, sleeps woke at ${r.seen.join(', ')}`,
      { text: 'now() = 1010, wake-ups 5, 1005', check: (r) => r.now === 1_010 && r.seen.join(',') === '5,1005' },
    ),
  ]
}

// -------------------------------------------------------------------------------------
// 8. an outer abort while an attempt ignores its signal (live clock)
// -------------------------------------------------------------------------------------

/**
 * Tracks the `setTimeout` handles made while `work` runs and neither fired nor
 * cleared (as test/support/timers.ts does): `Clock.live` reads the global
 * `setTimeout` at each sleep. The bench's own waits use the real functions.
 */
const realSetTimeout = globalThis.setTimeout

const trackingTimers = async <A>(work: (pending: () => number) => Promise<A>): Promise<A> => {
  const tracked = trackTimers()
  try {
    return await work(tracked.pending)
  } finally {
    tracked.restore()
  }
}

const TIMEOUT_MS = 1_500

interface AbortRun {
  /** From `abort()` until the call settled, in ms. */
  readonly settleMs: number
  readonly withinOneTick: boolean
  readonly timersBefore: number
  readonly timersAfter: number
  readonly aborted: boolean
}

/** One call: an attempt that never settles and ignores its signal, under a 1.5 s timeout, retried; then an abort. */
const abortIgnored = (): Promise<AbortRun> =>
  trackingTimers(async (timers) => {
    const controller = new AbortController()
    const ignores =
      (_: Operation.Env): TE.TaskEither<string, never> =>
      () =>
        new Promise<never>(() => undefined)
    const call = pipe(
      ignores,
      Timeout.timeout(TIMEOUT_MS, { clock: Clock.live }),
      Retry.retrying(pipe(Schedule.spaced(100), Schedule.intersect(Schedule.recurs(3))), { clock: Clock.live }),
    )
    let settledAt = NaN
    const running = call({ signal: controller.signal })().then((r) => ((settledAt = performance.now()), r))
    await new Promise((resolve) => realSetTimeout(resolve, 5)) // the attempt runs, its timeout armed
    const timersBefore = timers()
    const abortedAt = performance.now()
    controller.abort('shutdown')
    await tick()
    const withinOneTick = !Number.isNaN(settledAt)
    const result = await running
    return {
      settleMs: settledAt - abortedAt,
      withinOneTick,
      timersBefore,
      timersAfter: timers(),
      aborted: E.isLeft(result) && Retry.isAborted(result.left),
    }
  })

const abortWhileIgnored = async (): Promise<HardeningRow> => {
  const runs: Array<AbortRun> = []
  const outcome = await attempt(async () => {
    for (let i = 0; i < 7; i++) runs.push(await abortIgnored())
    return runs
  })
  const times = runs.map((r) => r.settleMs).sort((a, b) => a - b)
  const ms = times[Math.floor(times.length / 2)] ?? NaN
  return row(
    '8. outer abort, attempt ignores its signal',
    `Timeout.timeout(${TIMEOUT_MS}) inside Retry.retrying, live clock, abort() 5 ms in (${runs.length} runs)`,
    { ms, outcome },
    (rs) =>
      `abort() to settled: median ${ms.toFixed(2)} ms, max ${Math.max(...times).toFixed(2)} ms; ` +
      `within one tick ${rs.filter((r) => r.withinOneTick).length}/${rs.length}; ` +
      `timers ${rs[0]?.timersBefore ?? '?'} before, ${Math.max(...rs.map((r) => r.timersAfter))} after; ` +
      `Aborted ${rs.filter((r) => r.aborted).length}/${rs.length}`,
    {
      text: `settles within one tick (a few ms, not ${TIMEOUT_MS / 1_000} s) as Aborted, the timeout's timer cleared`,
      check: (rs) => rs.every((r) => r.withinOneTick && r.aborted && r.timersBefore === 1 && r.timersAfter === 0),
    },
  )
}

// -------------------------------------------------------------------------------------
// 9. a redirect loop, 10. a TaskEither that resolves to a non-Either
// -------------------------------------------------------------------------------------

interface LoopServer {
  readonly url: string
  readonly requests: () => number
  readonly close: () => Promise<void>
}

/** A server on 127.0.0.1 (an ephemeral port) answering every request with a 302 to itself. */
const redirectLoop = (): Promise<LoopServer> =>
  new Promise((resolve, reject) => {
    let requests = 0
    const server = http.createServer((request, response) => {
      requests++
      response.writeHead(302, { location: request.url ?? '/', 'content-type': 'text/plain' })
      response.end()
    })
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}/loop`,
        requests: () => requests,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })

interface LoopRun {
  readonly requests: number
  readonly result: E.Either<unknown, string>
}

const followLoop = async (): Promise<LoopRun> => {
  const server = await redirectLoop()
  try {
    const retries = pipe(Schedule.recurs(3), Schedule.whileInput(Http.isTransient))
    const result = await Operation.run(pipe(Http.text(server.url), Retry.retrying(retries)))()
    return { requests: server.requests(), result }
  } finally {
    await server.close()
  }
}

const codeOf = (error: unknown): string => {
  const code = (error as { readonly code?: { readonly _tag: string; readonly value?: unknown } }).code
  return code?._tag === 'Some' ? String(code.value) : 'no code'
}

const redirects = async (): Promise<HardeningRow> =>
  row(
    '9. redirect loop',
    'a 302 to itself on 127.0.0.1, Http.text retried by recurs(3) while Http.isTransient',
    await medianOf(3, followLoop),
    (r) =>
      `${r.requests} requests received (0.1.0: 84); ` +
      (E.isLeft(r.result)
        ? `Left ${(r.result.left as { readonly _tag?: string })._tag} ${codeOf(r.result.left)}`
        : 'Right'),
    {
      text: 'one attempt, permanent: 21 requests (fetch follows 20 redirects once)',
      check: (r) => r.requests === 21 && E.isLeft(r.result) && codeOf(r.result.left) === 'ERR_TOO_MANY_REDIRECTS',
    },
  )

const nonEither = async (): Promise<HardeningRow> => {
  let calls = 0
  const action = (async () => (calls++, 42)) as unknown as TE.TaskEither<string, never>
  const call = pipe(action, Retry.retrying(Schedule.recurs(5)))
  const timed = await medianOf(5, async () => {
    calls = 0
    const settled = await attempt(call)
    return { settled, calls }
  })
  return row(
    '10. non-Either result',
    'a TaskEither resolving to 42 (async () => 42) under retrying(recurs(5))',
    timed,
    ({ settled, calls: n }) =>
      settled._tag === 'Threw'
        ? `rejects after ${n} call(s): ${clip(settled.error instanceof Error ? settled.error.message : String(settled.error))}`
        : `resolved to ${clip(JSON.stringify(settled.value))} after ${n} call(s)`,
    {
      text: 'the call rejects naming what came back, not retried',
      check: ({ settled, calls: n }) =>
        settled._tag === 'Threw' &&
        n === 1 &&
        settled.error instanceof Error &&
        /not an Either/.test(settled.error.message),
    },
  )
}

// -------------------------------------------------------------------------------------
// the table
// -------------------------------------------------------------------------------------

/** Every figure, in the issue's order. */
export const hardeningTable = async (): Promise<ReadonlyArray<HardeningRow>> => {
  const rows: Array<HardeningRow> = []
  const sections: ReadonlyArray<() => ReadonlyArray<HardeningRow> | Promise<ReadonlyArray<HardeningRow>>> = [
    extraction,
    suggestions,
    durations,
    deepJson,
    oversized,
    cyclicAndDeep,
    hostileSteps,
    testClock,
    async () => [await abortWhileIgnored()],
    async () => [await redirects()],
    async () => [await nonEither()],
  ]
  for (const section of sections) {
    collect()
    rows.push(...(await section()))
  }
  return rows
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')

const formatMs = (ms: number): string =>
  Number.isNaN(ms) ? '-' : ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(3)} ms`

export const formatHardeningTable = (rows: ReadonlyArray<HardeningRow>): string => {
  const verdicts = rows.flatMap((r) =>
    r.target === undefined
      ? []
      : [`${r.figure}, ${r.input}: ${r.target.text}: ${r.target.met ? 'met' : 'MISSED'} (${formatMs(r.ms)})`],
  )
  const missed = rows.filter((r) => r.target !== undefined && !r.target.met).length
  return [
    '| figure | input | result | time |',
    '| --- | --- | --- | ---: |',
    ...rows.map((r) => `| ${[r.figure, r.input, r.result, formatMs(r.ms)].map(cell).join(' | ')} |`),
    '',
    ...verdicts,
    '',
    `${verdicts.length - missed} of ${verdicts.length} targets met${missed > 0 ? `, ${missed} MISSED` : ''}.`,
  ].join('\n')
}

const main = async (): Promise<void> => {
  const start = performance.now()
  console.log(formatHardeningTable(await hardeningTable()))
  console.log(`\n(${((performance.now() - start) / 1_000).toFixed(1)} s in all)`)
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main()
