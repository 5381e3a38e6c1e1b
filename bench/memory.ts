/**
 * Memory per pending retry: the heap a call retains while it sleeps in a
 * backoff, for this library and each peer.
 *
 * Each contender runs in a fresh child process (`node --expose-gc`), so that
 * no contender's code, caches or garbage count against another. The child
 * builds the contender's policy once, warms it up on a few complete calls,
 * reads `heapUsed` after a forced collection, starts `n` concurrent calls of
 * an operation that always fails (so every call's first attempt fails and
 * the call sleeps in a 10-minute backoff), waits until every call has made
 * exactly one attempt and its timers are pending (`n`, or fewer where sleeps share a timer), collects again and reads
 * `heapUsed` again. The difference over `n` is the retained heap per pending
 * call: everything the call keeps alive across its sleep (its promises,
 * async frames, closures, the timer, the library's state), since the policy
 * and the operation are shared and built before the first reading.
 *
 * `npm run bench:memory` (or `npm run bench -- --only=memory`) prints the
 * table; `--snapshot` adds, for each contender at 10^4 calls, what the
 * retained objects are: the difference of two heap snapshots (before the
 * calls, with them pending) grouped by V8 node type and constructor (or
 * function) name, per call.
 *
 * Options: `--sizes=10000,100000`, `--runs=3` (each a fresh process; the
 * figure is the median, the spread is min-max), `--only=<contender name
 * substring>`, `--snapshot`.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeHeapSnapshot } from 'node:v8'
import { ConstantBackoff, handleAll, retry as cockatielRetry } from 'cockatiel'
import { Effect, Schedule as EffectSchedule } from 'effect'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import type { TaskEither } from 'fp-ts/TaskEither'
import pRetry from 'p-retry'
import * as RetryTs from 'retry-ts'
import { retrying as retryTsRetrying } from 'retry-ts/lib/Task'
import { type Operation, Retry, Schedule } from '../src/index'

/** The backoff every pending call sleeps in: long enough that no call wakes during a measurement. */
const BACKOFF_MS = 600_000
/** Retries the policy grants: the call is asleep before its second attempt. */
const RETRIES = 3

/** The failure every attempt reports: allocated once, so it is not part of any call's cost. */
const failure = new Error('transient')

/** Attempts made so far, by every call of the contender under measurement. */
let attempts = 0

const failPromise = async (): Promise<number> => {
  attempts++
  throw failure
}

const failTaskEither: TaskEither<Error, number> = async () => {
  attempts++
  return E.left(failure)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A contender: builds, for a backoff delay, a function that starts one retried call. */
interface Contender {
  readonly name: string
  /** A baseline shown for context, not a library in the race. */
  readonly reference?: boolean
  /** Its sleeps that end in the same millisecond share one timer (`Clock.live`): fewer than `n` timers. */
  readonly sharesTimers?: boolean
  readonly build: (delay: number) => () => Promise<unknown>
}

/** One AbortSignal shared by every call of the cancellable form, as a server shares its shutdown signal. */
const shared = new AbortController()

const fpTsRetryPolicy = (delay: number) => pipe(Schedule.spaced(delay), Schedule.intersect(Schedule.recurs(RETRIES)))

const contenders: ReadonlyArray<Contender> = [
  {
    name: 'hand-written try/catch loop',
    reference: true,
    build: (delay) => async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await failPromise()
        } catch (error) {
          if (attempt >= RETRIES) throw error
          await sleep(delay)
        }
      }
    },
  },
  {
    name: 'hand-written Either loop',
    reference: true,
    build: (delay) => async () => {
      for (let attempt = 0; ; attempt++) {
        const result = await failTaskEither()
        if (E.isRight(result) || attempt >= RETRIES) return result
        await sleep(delay)
      }
    },
  },
  {
    name: 'fp-ts-retry, TaskEither',
    sharesTimers: true,
    build: (delay) => Retry.retrying(fpTsRetryPolicy(delay))(failTaskEither),
  },
  {
    name: 'fp-ts-retry, cancellable (shared AbortSignal)',
    sharesTimers: true,
    build: (delay) => {
      const op = Retry.retrying(fpTsRetryPolicy(delay))((_: Operation.Env) => failTaskEither)
      const env = { signal: shared.signal }
      return () => op(env)()
    },
  },
  {
    name: 'p-retry',
    build: (delay) => {
      const options = { retries: RETRIES, minTimeout: delay, maxTimeout: delay, factor: 1, randomize: false }
      return () => pRetry(failPromise, options)
    },
  },
  {
    name: 'cockatiel',
    build: (delay) => {
      const policy = cockatielRetry(handleAll, { maxAttempts: RETRIES, backoff: new ConstantBackoff(delay) })
      return () => policy.execute(failPromise)
    },
  },
  {
    name: 'cockatiel (shared AbortSignal)',
    build: (delay) => {
      const policy = cockatielRetry(handleAll, { maxAttempts: RETRIES, backoff: new ConstantBackoff(delay) })
      return () => policy.execute(failPromise, shared.signal)
    },
  },
  {
    name: 'Effect.retry',
    build: (delay) => {
      // Effect 4: `Schedule.max` recurs while every schedule recurs, waiting the longest delay
      const policy = EffectSchedule.max([EffectSchedule.spaced(delay), EffectSchedule.recurs(RETRIES)])
      const program = Effect.retry(Effect.tryPromise({ try: failPromise, catch: (e) => e }), policy)
      return () => Effect.runPromise(program)
    },
  },
  {
    name: 'retry-ts',
    build: (delay) => {
      const policy = RetryTs.monoidRetryPolicy.concat(RetryTs.constantDelay(delay), RetryTs.limitRetries(RETRIES))
      return () => retryTsRetrying(policy, () => failTaskEither, E.isLeft)()
    },
  },
]

// -------------------------------------------------------------------------------------
// the child: one contender, one size
// -------------------------------------------------------------------------------------

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect === undefined) throw new Error('bench/memory: run with node --expose-gc')
  collect()
  collect()
  collect()
}

const pendingTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

/** Waits (in real time: these are real timers) until `check` holds, polling once per event-loop turn. */
const until = async (check: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 60_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`bench/memory: timed out waiting for ${what}`)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** What one child measured. */
interface ChildResult {
  readonly name: string
  readonly n: number
  readonly bytesPerCall: number
  readonly attempts: number
  readonly timers: number
  /** With `--snapshot`: the largest groups of retained objects, per call. */
  readonly retained?: ReadonlyArray<Retained>
}

interface Retained {
  readonly kind: string
  readonly countPerCall: number
  readonly bytesPerCall: number
}

interface HeapSnapshot {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: ReadonlyArray<string>
      readonly node_types: readonly [ReadonlyArray<string>, ...ReadonlyArray<unknown>]
      readonly edge_fields: ReadonlyArray<string>
      readonly edge_types: readonly [ReadonlyArray<string>, ...ReadonlyArray<unknown>]
    }
  }
  readonly nodes: ReadonlyArray<number>
  readonly edges: ReadonlyArray<number>
  readonly strings: ReadonlyArray<string>
}

/**
 * Counts and self sizes of a heap snapshot's nodes, by kind: an object by its
 * constructor name; a closure by its name and the variables its context holds
 * (what it keeps alive); a context by its variables; an internal array (a
 * property or element store) by the object that owns it.
 */
const census = (file: string): Map<string, { count: number; size: number }> => {
  const heap = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot
  const {
    node_fields: fields,
    node_types: nodeTypes,
    edge_fields: edgeFields,
    edge_types: edgeTypes,
  } = heap.snapshot.meta
  const { nodes, edges, strings } = heap
  const width = fields.length
  const edgeWidth = edgeFields.length
  const [typeAt, nameAt, sizeAt, edgeCountAt] = ['type', 'name', 'self_size', 'edge_count'].map((f) =>
    fields.indexOf(f),
  )
  const [edgeTypeAt, edgeNameAt, edgeToAt] = ['type', 'name_or_index', 'to_node'].map((f) => edgeFields.indexOf(f))
  const count = nodes.length / width
  const typeOf = (node: number) => nodeTypes[0][nodes[node * width + (typeAt ?? 0)] ?? 0] ?? '?'
  const nameOf = (node: number) => strings[nodes[node * width + (nameAt ?? 1)] ?? 0] ?? ''
  // the first edge of each node, and for each node its first strong retainer (owner) and that edge's name
  const firstEdge = new Int32Array(count + 1)
  for (let node = 0, edge = 0; node < count; node++) {
    firstEdge[node] = edge
    edge += nodes[node * width + (edgeCountAt ?? 4)] ?? 0
  }
  firstEdge[count] = edges.length / edgeWidth
  const owner = new Int32Array(count).fill(-1)
  const edgeTypeOf = (edge: number) => edgeTypes[0][edges[edge * edgeWidth + (edgeTypeAt ?? 0)] ?? 0] ?? '?'
  const edgeNameOf = (edge: number) => {
    const raw = edges[edge * edgeWidth + (edgeNameAt ?? 1)] ?? 0
    const type = edgeTypeOf(edge)
    return type === 'element' || type === 'hidden' ? `[${raw}]` : (strings[raw] ?? '')
  }
  const targetOf = (edge: number) => (edges[edge * edgeWidth + (edgeToAt ?? 2)] ?? 0) / width
  const ownerEdge = new Int32Array(count).fill(-1)
  for (let node = 0; node < count; node++)
    for (let edge = firstEdge[node] ?? 0; edge < (firstEdge[node + 1] ?? 0); edge++) {
      const to = targetOf(edge)
      if (edgeTypeOf(edge) !== 'weak' && owner[to] === -1) {
        owner[to] = node
        ownerEdge[to] = edge
      }
    }
  const variablesOf = (context: number): string => {
    const names: Array<string> = []
    for (let edge = firstEdge[context] ?? 0; edge < (firstEdge[context + 1] ?? 0); edge++)
      if (edgeTypeOf(edge) === 'context') names.push(edgeNameOf(edge))
    return names.join(', ')
  }
  const contextOf = (closure: number): number | undefined => {
    for (let edge = firstEdge[closure] ?? 0; edge < (firstEdge[closure + 1] ?? 0); edge++)
      if (edgeTypeOf(edge) === 'internal' && edgeNameOf(edge) === 'context') return targetOf(edge)
    return undefined
  }
  const shortKind = (node: number): string => {
    const type = typeOf(node)
    const name = nameOf(node)
    if (type === 'closure') {
      const context = contextOf(node)
      return `closure ${name === '' ? '(anonymous)' : name} over {${context === undefined ? '' : variablesOf(context)}}`
    }
    if (type === 'object' && name === 'system / Context') return `context {${variablesOf(node)}}`
    return `${type} ${name.slice(0, 50)}`
  }
  const kindOf = (node: number): string => {
    const type = typeOf(node)
    if (type === 'array' || type === 'hidden' || type === 'number' || type === 'object shape') {
      const by = owner[node] ?? -1
      const edge = ownerEdge[node] ?? -1
      return by < 0 ? `${type} ${nameOf(node)}` : `${type} ${nameOf(node)} (${edgeNameOf(edge)} of ${shortKind(by)})`
    }
    if (type === 'object' || type === 'closure' || type === 'native' || type === 'code') return shortKind(node)
    return type
  }
  const out = new Map<string, { count: number; size: number }>()
  for (let node = 0; node < count; node++) {
    const key = kindOf(node)
    const entry = out.get(key) ?? { count: 0, size: 0 }
    entry.count++
    entry.size += nodes[node * width + (sizeAt ?? 3)] ?? 0
    out.set(key, entry)
  }
  return out
}

const child = async (index: number, n: number, snapshot: boolean): Promise<ChildResult> => {
  const c = contenders[index]
  if (c === undefined) throw new Error(`bench/memory: no contender ${index}`)
  // warm up on complete calls (1 ms backoff), so that lazily built code and caches exist before the first reading
  const warm = c.build(1)
  for (let i = 0; i < 50; i++) await warm().catch(() => undefined)
  const start = c.build(BACKOFF_MS)
  const pending: Array<Promise<unknown> | undefined> = new Array<Promise<unknown> | undefined>(n).fill(undefined)
  const dir = join('.tmp', 'bench-memory')
  if (snapshot) mkdirSync(dir, { recursive: true })
  const before = join(dir, `before-${index}.heapsnapshot`)
  const after = join(dir, `after-${index}.heapsnapshot`)
  await sleep(10)
  attempts = 0
  const timersBefore = pendingTimers()
  if (snapshot) writeHeapSnapshot(before)
  gc()
  const heapBefore = process.memoryUsage().heapUsed
  for (let i = 0; i < n; i++) pending[i] = start()
  await until(() => attempts >= n, `${n} first attempts`)
  const expected = c.sharesTimers === true ? 1 : n
  await until(() => pendingTimers() - timersBefore >= expected, `${expected} pending timers`)
  await sleep(20)
  gc()
  const heapAfter = process.memoryUsage().heapUsed
  const timers = pendingTimers() - timersBefore
  const made = attempts
  let retained: ReadonlyArray<Retained> | undefined
  if (snapshot) {
    writeHeapSnapshot(after)
    const was = census(before)
    const is = census(after)
    retained = [...is]
      .map(([kind, { count, size }]) => {
        const old = was.get(kind) ?? { count: 0, size: 0 }
        return { kind, countPerCall: (count - old.count) / n, bytesPerCall: (size - old.size) / n }
      })
      .filter((r) => r.bytesPerCall >= 1)
      .sort((a, b) => b.bytesPerCall - a.bytesPerCall)
      .slice(0, 25)
    rmSync(before, { force: true })
    rmSync(after, { force: true })
  }
  if (pending.length !== n) throw new Error('unreachable: keeps the pending calls alive until here')
  return {
    name: c.name,
    n,
    bytesPerCall: (heapAfter - heapBefore) / n,
    attempts: made,
    timers,
    ...(retained === undefined ? {} : { retained }),
  }
}

// -------------------------------------------------------------------------------------
// the parent: every contender, every size, fresh processes
// -------------------------------------------------------------------------------------

const self = fileURLToPath(import.meta.url)
/** The children compile TypeScript without tsx's `keepNames` (see bench/loader.mjs). */
const loader = new URL('loader.mjs', import.meta.url).href

const spawnChild = (index: number, n: number, snapshot: boolean): ChildResult => {
  const args = ['--expose-gc', '--max-old-space-size=4096', '--import', loader, self, `--child=${index}`, `--n=${n}`]
  const run = spawnSync(process.execPath, snapshot ? [...args, '--snapshot'] : args, {
    encoding: 'utf8',
    maxBuffer: 2 ** 26,
  })
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '))
  if (run.status !== 0 || line === undefined)
    throw new Error(`bench/memory: child ${index} (n = ${n}) failed:\n${run.stderr}${run.stdout}`)
  const result = JSON.parse(line.slice('RESULT '.length)) as ChildResult
  // every contender must be in the same state: n calls, one attempt each, each asleep on a timer (its own, or one
  // it shares with the calls that wake in the same millisecond)
  const timersNeeded = contenders[index]?.sharesTimers === true ? 1 : n
  if (result.attempts !== n || result.timers < timersNeeded)
    throw new Error(`bench/memory: ${result.name}: ${result.attempts} attempts, ${result.timers} timers for ${n} calls`)
  return result
}

/** One row of the memory table: a contender at one size, over several fresh processes. */
export interface MemoryRow {
  readonly name: string
  readonly reference: boolean
  readonly n: number
  /** Median over the runs. */
  readonly bytesPerCall: number
  readonly min: number
  readonly max: number
}

const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}

const argument = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)

const selected = (): ReadonlyArray<number> => {
  const only = argument('only')
  return contenders.flatMap((c, i) => (only === undefined || c.name.includes(only) ? [i] : []))
}

/** Measures every selected contender at every size, `runs` fresh processes each, interleaved (contender after contender). */
export const memoryTable = (
  sizes: ReadonlyArray<number> = [10_000, 100_000],
  runs = 3,
  indices: ReadonlyArray<number> = contenders.map((_, i) => i),
): ReadonlyArray<MemoryRow> => {
  const samples = new Map<string, Array<number>>()
  for (let run = 0; run < runs; run++)
    for (const n of sizes)
      for (const i of indices) {
        const r = spawnChild(i, n, false)
        process.stderr.write(
          `bench/memory: run ${run + 1}, ${n} calls, ${r.name}: ${r.bytesPerCall.toFixed(0)} B per call\n`,
        )
        const key = `${i} ${n}`
        samples.set(key, [...(samples.get(key) ?? []), r.bytesPerCall])
      }
  return sizes.flatMap((n) =>
    indices.map((i) => {
      const xs = samples.get(`${i} ${n}`) ?? []
      const c = contenders[i]
      return {
        name: c?.name ?? '?',
        reference: c?.reference === true,
        n,
        bytesPerCall: median(xs),
        min: Math.min(...xs),
        max: Math.max(...xs),
      }
    }),
  )
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KB`

/** The table as Markdown, with each row's ratio to the hand-written Either loop at the same size. */
export const formatMemoryTable = (rows: ReadonlyArray<MemoryRow>): string => {
  const line = (cells: ReadonlyArray<string>) => `| ${cells.join(' | ')} |`
  const header = ['pending calls', 'contender', 'retained per call', 'spread (min-max)', 'vs Either loop']
  const floor = (n: number) => rows.find((r) => r.n === n && r.name === 'hand-written Either loop')?.bytesPerCall
  return [
    line(header),
    line(header.map(() => '---')),
    ...rows.map((r) => {
      const base = floor(r.n)
      return line([
        r.n.toLocaleString('en-US'),
        r.name.startsWith('fp-ts-retry') ? `**${r.name}**` : r.name,
        kb(r.bytesPerCall),
        `${kb(r.min)} - ${kb(r.max)}`,
        base === undefined ? '-' : `${(r.bytesPerCall / base).toFixed(2)}x`,
      ])
    }),
  ].join('\n')
}

/** With `--snapshot`: what each contender's pending call retains, grouped by V8 type and name. */
export const formatRetained = (indices: ReadonlyArray<number>, n = 10_000): string =>
  indices
    .map((i) => {
      const r = spawnChild(i, n, true)
      const rows = (r.retained ?? []).map(
        (x) => `| ${x.kind.replace(/\|/g, '\\|')} | ${x.countPerCall.toFixed(2)} | ${x.bytesPerCall.toFixed(0)} B |`,
      )
      return [
        `### ${r.name}: ${r.bytesPerCall.toFixed(0)} B per call (${n.toLocaleString('en-US')} pending)\n`,
        '| V8 node (type, constructor or function name) | per call | bytes per call |',
        '| --- | ---: | ---: |',
        ...rows,
      ].join('\n')
    })
    .join('\n\n')

const main = async (): Promise<void> => {
  const index = argument('child')
  if (index !== undefined) {
    const result = await child(Number(index), Number(argument('n') ?? 10_000), process.argv.includes('--snapshot'))
    console.log(`RESULT ${JSON.stringify(result)}`)
    process.exit(0) // the pending calls sleep for minutes: leave without waiting for them
  }
  const sizes = (argument('sizes') ?? '10000,100000').split(',').map(Number)
  const runs = Number(argument('runs') ?? 3)
  console.log(`## Memory: retained heap per call sleeping in a backoff (${runs} fresh processes per row)\n`)
  console.log(formatMemoryTable(memoryTable(sizes, runs, selected())))
  console.log()
  if (process.argv.includes('--snapshot')) {
    console.log('## Where it goes: heap snapshot difference, per pending call\n')
    console.log(formatRetained(selected()))
    console.log()
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main()
