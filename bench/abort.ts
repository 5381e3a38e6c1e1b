/**
 * Abort at scale (issue 11): `n` retrying calls on one shared `AbortSignal`,
 * each asleep in a one-minute backoff after its first failed attempt, then
 * the signal fires. "Register" is from the first call until all `n` are
 * asleep, "abort" from `abort()` until every call has settled; the target is
 * under 1 s in total for 10^5 calls, with no listener left on the signal.
 * fp-ts-retry on the live clock and on a `TestClock`, and the peers that take
 * a signal, each in their own idiom. Each row is three fresh child
 * processes; each warms the code up on 1,000 calls, then runs `n` calls three
 * times: the first run meets a cold heap (V8's young generation starts small
 * and grows under load), the third a process that has run them before, as a
 * server that has been up a while; the table shows both, the verdict is on
 * the third. (The `TestClock` alone at scale is in bench/hardening.ts.)
 *
 * `npm run bench -- --only=abort`; this file alone: `node --import
 * ./bench/loader.mjs bench/abort.ts [--runs=3] [--sizes=10000,100000]`.
 */
import { spawnSync } from 'node:child_process'
import { getEventListeners } from 'node:events'
import { fileURLToPath } from 'node:url'
import { ConstantBackoff, handleAll, retry as cockatielRetry } from 'cockatiel'
import { Effect, Schedule as EffectSchedule } from 'effect'
import * as E from 'fp-ts/Either'
import type { TaskEither } from 'fp-ts/TaskEither'
import * as TE from 'fp-ts/TaskEither'
import pRetry from 'p-retry'
import type { Operation } from '../src/index'
import { Clock, Retry, Schedule, TestClock } from '../src/index'

const BACKOFF = 60_000

/** A contender: starts one call on `signal` that fails, counting its attempts, and sleeps in a one-minute backoff. */
interface Contender {
  readonly name: string
  /** Resolves once every call is asleep (after each has made its first attempt). */
  readonly start: (
    signal: AbortSignal,
    count: () => void,
  ) => { readonly call: () => Promise<unknown>; readonly asleep: (n: number) => Promise<void> }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Every call has made its attempt; then one more macrotask, in which the failed attempts reach their sleeps. */
const whenAttempted =
  (attempts: () => number) =>
  async (n: number): Promise<void> => {
    while (attempts() < n) await tick()
    await tick()
  }

const fpTsRetry = (live: boolean): Contender => ({
  name: `fp-ts-retry, ${live ? 'live clock' : 'TestClock'}`,
  start: (signal, count) => {
    const test = live ? undefined : TestClock.make()
    const failing = (_: Operation.Env): TaskEither<string, never> => (count(), TE.left('503'))
    const op = Retry.retrying(failing, Schedule.spaced(BACKOFF), { clock: test ?? Clock.live })
    const env = { signal }
    return {
      call: () => op(env)(),
      asleep: test === undefined ? whenAttempted(attempted) : (n) => test.whenSleeping(n, 'backoff'),
    }
  },
})

const failPromise = (count: () => void) => (): Promise<never> => {
  count()
  return Promise.reject(new Error('503'))
}

const contenders: ReadonlyArray<Contender> = [
  fpTsRetry(true),
  fpTsRetry(false),
  {
    name: 'cockatiel 4 (`policy.execute(fn, signal)`)',
    start: (signal, count) => {
      const policy = cockatielRetry(handleAll, { maxAttempts: 1_000, backoff: new ConstantBackoff(BACKOFF) })
      const fn = failPromise(count)
      return { call: () => policy.execute(fn, signal), asleep: whenAttempted(attempted) }
    },
  },
  {
    name: 'p-retry 9 (`signal` option)',
    start: (signal, count) => {
      const options = { retries: 1_000, minTimeout: BACKOFF, factor: 1, randomize: false, signal }
      const fn = failPromise(count)
      return { call: () => pRetry(fn, options), asleep: whenAttempted(attempted) }
    },
  },
  {
    name: 'Effect 4 (`Effect.runPromise(program, { signal })`)',
    start: (signal, count) => {
      const program = Effect.retry(
        Effect.tryPromise({ try: failPromise(count), catch: (e) => e }),
        EffectSchedule.spaced(BACKOFF),
      )
      return { call: () => Effect.runPromise(program, { signal }), asleep: whenAttempted(attempted) }
    },
  },
]

// the child's attempt count, read by the peers' `asleep`
let attemptsMade = 0
const attempted = (): number => attemptsMade

/** What one child measured, in ms. */
interface ChildResult {
  readonly register: number
  readonly abort: number
  /** Calls that did not end in an abort (an `Aborted` Left, or a rejection). */
  readonly unaborted: number
  readonly listenersLeft: number
}

const once = async (contender: Contender, n: number): Promise<ChildResult> => {
  attemptsMade = 0
  const controller = new AbortController()
  const started = contender.start(controller.signal, () => attemptsMade++)
  const begin = performance.now()
  const running = Array.from({ length: n }, () => started.call())
  await started.asleep(n)
  const asleep = performance.now()
  controller.abort('shutdown')
  const results = await Promise.allSettled(running)
  const end = performance.now()
  const aborted = (r: PromiseSettledResult<unknown>) =>
    r.status === 'rejected' ||
    (E.isLeft(r.value as E.Either<unknown, unknown>) && Retry.isAborted((r.value as E.Left<unknown>).left))
  return {
    register: asleep - begin,
    abort: end - asleep,
    unaborted: results.filter((r) => !aborted(r)).length,
    listenersLeft: getEventListeners(controller.signal, 'abort').length,
  }
}

const self = fileURLToPath(import.meta.url)
const loader = new URL('loader.mjs', import.meta.url).href
const CHILD_TIMEOUT = 30_000

/** What a child measured: its first run of `n` calls (a cold heap), and its third (a process that has run them before). */
interface ChildRuns {
  readonly cold: ChildResult
  readonly warm: ChildResult
}

/** One child process; `undefined` when it takes longer than 30 s. */
const inChild = (index: number, n: number): ChildRuns | undefined => {
  const args = ['--max-old-space-size=4096', '--import', loader, self, `--child=${index}`, `--n=${n}`]
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: CHILD_TIMEOUT })
  if (run.error !== undefined && (run.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return undefined
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '))
  if (run.status !== 0 || line === undefined)
    throw new Error(`bench/abort: child ${index} (n = ${n}) failed:\n${run.stderr}${run.stdout}`)
  return JSON.parse(line.slice('RESULT '.length)) as ChildRuns
}

/** One row of the table. */
export interface AbortResult {
  readonly name: string
  readonly n: number
  /** Medians over the processes, in ms, of each one's third run; `undefined` when a process took longer than 30 s. */
  readonly register: number | undefined
  readonly abort: number | undefined
  readonly total: number | undefined
  /** The median total of each process's first run (a cold heap: the young generation not grown yet), in ms. */
  readonly cold: number | undefined
  /** Calls that did not end aborted, and listeners left on the signal, in the worst run. */
  readonly unaborted: number
  readonly listenersLeft: number
}

const median = (xs: ReadonlyArray<number>): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

export const abortTable = async (
  runs = 3,
  sizes: ReadonlyArray<number> = [10_000, 100_000],
): Promise<ReadonlyArray<AbortResult>> => {
  const results: Array<AbortResult> = []
  for (const [index, contender] of contenders.entries())
    for (const n of sizes) {
      const children: Array<ChildRuns> = []
      let timedOut = false
      for (let i = 0; i < runs && !timedOut; i++) {
        const result = inChild(index, n)
        if (result === undefined) timedOut = true
        else children.push(result)
      }
      const samples = children.map((c) => c.warm)
      const of = (f: (r: ChildResult) => number) => (timedOut ? undefined : median(samples.map(f)))
      results.push({
        name: contender.name,
        n,
        register: of((r) => r.register),
        abort: of((r) => r.abort),
        total: of((r) => r.register + r.abort),
        cold: timedOut ? undefined : median(children.map((c) => c.cold.register + c.cold.abort)),
        unaborted: Math.max(0, ...samples.map((r) => r.unaborted)),
        listenersLeft: Math.max(0, ...samples.map((r) => r.listenersLeft)),
      })
    }
  return results
}

export const formatAbortTable = (results: ReadonlyArray<AbortResult>): string => {
  const ms = (x: number | undefined) => (x === undefined ? '-' : `${x.toFixed(0)} ms`)
  const rows = results.map((r) =>
    [
      r.name,
      r.n.toLocaleString('en-US'),
      ms(r.register),
      ms(r.abort),
      r.total === undefined ? '> 30 s' : ms(r.total),
      r.total === undefined ? '> 30 s' : ms(r.cold),
      `${r.unaborted}`,
      `${r.listenersLeft}`,
    ].join(' | '),
  )
  const ours = results.filter((r) => r.name.startsWith('fp-ts-retry') && r.n === 100_000)
  const verdicts = ours.map(
    (r) =>
      `10^5 calls, ${r.name}: ${ms(r.total)} in total (first run in a process: ${ms(r.cold)}), ` +
      `target < 1,000 ms with no listener left: ` +
      `${(r.total ?? Infinity) < 1_000 && r.listenersLeft === 0 && r.unaborted === 0 ? 'met' : 'MISSED'}`,
  )
  const ratiosAt = (n: number): string => {
    const live = results.find((r) => r.name === 'fp-ts-retry, live clock' && r.n === n)?.total
    return results
      .filter((r) => r.n === n && !r.name.startsWith('fp-ts-retry'))
      .map((r) => {
        const ratio = r.total === undefined || live === undefined ? undefined : r.total / live
        return `${r.name.split(' (')[0]} ${ratio === undefined ? 'over 30 s' : `${ratio.toFixed(1)}x`}`
      })
      .join(', ')
  }
  return [
    '| workload | calls | register | abort | total | total, first run in a process | not aborted | listeners left |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((row) => `| ${row} |`),
    '',
    ...verdicts,
    `Total vs fp-ts-retry on the live clock: 10^4 calls: ${ratiosAt(10_000)}; 10^5 calls: ${ratiosAt(100_000)}`,
  ].join('\n')
}

const argument = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)

const main = async (): Promise<void> => {
  const index = argument('child')
  if (index !== undefined) {
    const contender = contenders[Number(index)]
    if (contender === undefined) throw new Error(`no contender ${index}`)
    const n = Number(argument('n') ?? 10_000)
    await once(contender, 1_000) // the code warmed up, the heap not
    const cold = await once(contender, n)
    await once(contender, n)
    const warm = await once(contender, n)
    console.log(`RESULT ${JSON.stringify({ cold, warm })}`)
    process.exit(0)
  }
  const sizes = (argument('sizes') ?? '10000,100000').split(',').map(Number)
  console.log(formatAbortTable(await abortTable(Number(argument('runs') ?? 3), sizes)))
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main()
