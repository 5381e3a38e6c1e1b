/**
 * The cost of each protection on the success path: the same call, which
 * succeeds at once, bare and under each protection alone, then under all of
 * them composed, measured by mitata in one process, interleaved (every row
 * once per round, several rounds, each row's figure the median of its
 * rounds' medians). Both forms of operation: a plain `TaskEither`, and a
 * cancellable `ReaderTaskEither` run with one shared `AbortSignal` (the
 * protections then link a signal of their own per call where they need one).
 *
 * Every protection is configured so that it never refuses during the run
 * (a limit far above one call at a time, a rate far above what one process
 * can call), so that what is measured is its bookkeeping, not its decisions.
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import type { TaskEither } from 'fp-ts/TaskEither'
import { measure } from 'mitata'
import {
  Budget,
  Bulkhead,
  CircuitBreaker,
  Hedge,
  type Operation,
  RateLimit,
  Retry,
  Schedule,
  Timeout,
} from '../src/index'

/** Calls of the operation since the last check: every row must call it exactly once per run. */
let calls = 0

const call: TaskEither<Error, number> = async () => {
  calls++
  return E.right(42)
}

const cancellable = (_: Operation.Env): TaskEither<Error, number> => call

/** A long time: no timer set by a protection fires during the benchmark. */
const LONG = 60_000

/** Fresh protections, one set per row and form, created once and shared by every run of that row. */
const protections = () => ({
  timeout: Timeout.timeout(LONG),
  breaker: CircuitBreaker.make({ consecutiveFailures: 5 })(),
  budget: Budget.tokenBucket()(),
  bulkhead: Bulkhead.make({ maxConcurrent: 1_000, maxQueue: 1_000 })(),
  limiter: RateLimit.make({ rate: 1e12, burst: 1e12 })(),
  // one hedge after a minute: armed on every call, cleared when the first attempt succeeds
  hedges: pipe(Schedule.spaced(LONG), Schedule.intersect(Schedule.recurs(1))),
  retries: pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(3))),
})

type Protections = ReturnType<typeof protections>

/** One row: a name and how to wrap an operation of either form (the combinators accept both). */
interface Row {
  readonly name: string
  readonly wrap: <Op extends Operation.Any<Error, number>>(op: Op, p: Protections) => Operation.Any<unknown, number>
}

/* eslint-disable @typescript-eslint/no-explicit-any -- each combinator keeps the operation's form; the row table is generic over it */
const rows: ReadonlyArray<Row> = [
  { name: 'bare call', wrap: (op) => op },
  { name: 'Retry.retrying (no budget)', wrap: (op, p) => Retry.retrying(p.retries)(op as any) },
  {
    name: 'Retry.retrying with a Budget (token bucket)',
    wrap: (op, p) => Retry.retrying(p.retries, { budget: p.budget })(op as any),
  },
  { name: 'Timeout.timeout', wrap: (op, p) => p.timeout(op as any) },
  { name: 'CircuitBreaker.protect', wrap: (op, p) => CircuitBreaker.protect(p.breaker)(op as any) },
  { name: 'Bulkhead.limit', wrap: (op, p) => Bulkhead.limit(p.bulkhead)(op as any) },
  { name: 'RateLimit.limit', wrap: (op, p) => RateLimit.limit(p.limiter)(op as any) },
  { name: 'Hedge.hedging (one hedge, armed and cleared)', wrap: (op, p) => Hedge.hedging(p.hedges)(op as any) },
  {
    name: 'all composed',
    // the order the guides recommend: per-attempt timeout inside the breaker, the bulkhead and the rate limit
    // around each attempt, hedges racing copies of that, the retry (with its budget) outermost
    wrap: (op, p) =>
      pipe(
        op as any,
        p.timeout,
        CircuitBreaker.protect(p.breaker),
        Bulkhead.limit(p.bulkhead),
        RateLimit.limit(p.limiter),
        Hedge.hedging(p.hedges),
        Retry.retrying(p.retries, { budget: p.budget }),
      ) as Operation.Any<unknown, number>,
  },
]
/* eslint-enable @typescript-eslint/no-explicit-any */

type Form = 'TaskEither' | 'cancellable'

/** One AbortSignal shared by every run of the cancellable form. */
const shared = { signal: new AbortController().signal }

/** A function that runs the row's operation once. */
const runner = (row: Row, form: Form): (() => Promise<E.Either<unknown, number>>) => {
  const p = protections()
  if (form === 'TaskEither') {
    const te = row.wrap(call, p) as TaskEither<unknown, number>
    return () => te() // mitata needs a function without parameters
  }
  const op = row.wrap(cancellable, p) as unknown as (env: Operation.Env) => TaskEither<unknown, number>
  return () => op(shared)()
}

/** Runs each row once in each form and checks it called the operation once and returned its value. */
export const verifyProtections = async (): Promise<ReadonlyArray<string>> => {
  const problems: Array<string> = []
  for (const form of ['TaskEither', 'cancellable'] as const)
    for (const row of rows) {
      calls = 0
      const result = await runner(row, form)()
      if (calls !== 1) problems.push(`${row.name} (${form}): ${calls} calls, expected 1`)
      if (E.isLeft(result) || result.right !== 42)
        problems.push(`${row.name} (${form}): returned ${JSON.stringify(result)}`)
    }
  return problems
}

/** One measured row: median ns per call in each form, with the spread of the rounds' medians. */
export interface ProtectionResult {
  readonly name: string
  readonly form: Form
  readonly ns: number
  readonly min: number
  readonly max: number
}

const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}

/** Measures every row in both forms, interleaved over `rounds` rounds. */
export const protectionTable = async (rounds = 5): Promise<ReadonlyArray<ProtectionResult>> => {
  const problems = await verifyProtections()
  if (problems.length > 0) throw new Error(`protections do not run the same call:\n${problems.join('\n')}`)
  const forms = ['TaskEither', 'cancellable'] as const
  const runners = forms.flatMap((form) => rows.map((row) => ({ row, form, run: runner(row, form) })))
  const samples = runners.map(() => [] as Array<number>)
  for (let round = 0; round < rounds; round++)
    for (const [i, r] of runners.entries()) samples[i]?.push((await measure(r.run)).p50)
  return runners.map((r, i) => {
    const xs = samples[i] ?? []
    return { name: r.row.name, form: r.form, ns: median(xs), min: Math.min(...xs), max: Math.max(...xs) }
  })
}

/** The table as Markdown: each form's figure, the time it adds to the bare call of the same form, and their ratio. */
export const formatProtectionTable = (results: ReadonlyArray<ProtectionResult>): string => {
  const line = (cells: ReadonlyArray<string>) => `| ${cells.join(' | ')} |`
  const at = (name: string, form: Form) => results.find((r) => r.name === name && r.form === form)
  const cells = (name: string, form: Form): ReadonlyArray<string> => {
    const r = at(name, form)
    const bare = at('bare call', form)?.ns ?? NaN
    if (r === undefined) return ['-', '-', '-']
    const added = r.ns - bare
    return [
      `${r.ns.toFixed(0)} ns (${r.min.toFixed(0)}-${r.max.toFixed(0)})`,
      name === 'bare call' ? '-' : `${added >= 0 ? '+' : ''}${added.toFixed(0)} ns`,
      `${(r.ns / bare).toFixed(2)}x`,
    ]
  }
  const header = [
    'protection',
    'TaskEither: per call (spread)',
    'added',
    'vs bare',
    'cancellable: per call (spread)',
    'added',
    'vs bare',
  ]
  return [
    line(header),
    line(header.map(() => '---')),
    ...rows.map((row) => line([row.name, ...cells(row.name, 'TaskEither'), ...cells(row.name, 'cancellable')])),
  ].join('\n')
}
