/**
 * The scale measurements: many consecutive immediate retries of one call, in
 * one `retrying`, timing each run and (with `--expose-gc`) the retained heap
 * at the deepest point, after a forced collection.
 */
import * as E from 'fp-ts/Either'
import type { TaskEither } from 'fp-ts/TaskEither'
import { Retry, Schedule } from '../src/index'

/** What one run of `retries` immediate retries measured. */
export interface ScaleResult {
  readonly retries: number
  readonly totalMs: number
  readonly nsPerRetry: number
  /** Heap used at the deepest point minus before the run, both after a forced GC; undefined without `--expose-gc`. */
  readonly retainedBytes: number | undefined
  /** The same for a naive recursive promise chain, the control. */
  readonly naiveRetainedBytes: number | undefined
}

const heapAfterGc = (): number | undefined => {
  // read at each call, so that a test that exposes `gc` after importing this module gets the figures
  const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) return undefined
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

/**
 * Runs one call that fails `retries` times in a row, then succeeds, retried by
 * `Schedule.recurs(retries)` with no delay: `retries + 1` attempts in one
 * `retrying`. With `atDeepest`, calls it during the last attempt.
 */
const failThenSucceed = async (retries: number, atDeepest?: () => void): Promise<void> => {
  let attempts = 0
  const failure = { _tag: 'Transient' as const }
  const call: TaskEither<typeof failure, number> = async () => {
    attempts++
    if (attempts <= retries) return E.left(failure)
    atDeepest?.()
    return E.right(attempts)
  }
  const result = await Retry.retrying(Schedule.recurs(retries))(call)()
  if (E.isLeft(result) || result.right !== retries + 1)
    throw new Error(`expected ${retries + 1} attempts, got ${attempts}`)
}

/**
 * The control: the same retries as a naive recursive chain of promises
 * (`attempt().then((r) => (isLeft(r) ? retry(n - 1) : r))`), whose pending
 * promises pile up until the last attempt. Shows what the heap measurement
 * catches.
 */
const failThenSucceedRecursive = async (retries: number, atDeepest?: () => void): Promise<void> => {
  let attempts = 0
  const call = async (): Promise<E.Either<string, number>> => {
    attempts++
    if (attempts <= retries) return E.left('transient')
    atDeepest?.()
    return E.right(attempts)
  }
  const go = (left: number): Promise<E.Either<string, number>> =>
    call().then((r) => (E.isLeft(r) && left > 0 ? go(left - 1) : r))
  await go(retries)
}

/** Heap used at the deepest point of `retries` immediate retries minus before them, both after a forced GC. */
export const retainedHeap = async (retries: number, naive = false): Promise<number | undefined> => {
  const before = heapAfterGc()
  let deepest: number | undefined
  await (naive ? failThenSucceedRecursive : failThenSucceed)(retries, () => {
    deepest = heapAfterGc()
  })
  return before === undefined || deepest === undefined ? undefined : deepest - before
}

/** The median wall time (ms) of `runs` runs of `retries` immediate retries. */
export const timeRetries = async (retries: number, runs: number): Promise<number> => {
  const times: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await failThenSucceed(retries)
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)] ?? NaN
}

/** Warms up, then measures 10^3 .. 10^6 immediate retries: time per retry, and the retained heap. */
export const scaleTable = async (): Promise<ReadonlyArray<ScaleResult>> => {
  await timeRetries(10_000, 30)
  const out: Array<ScaleResult> = []
  for (const n of [1_000, 10_000, 100_000, 1_000_000]) {
    const totalMs = await timeRetries(n, Math.max(7, Math.round(1e6 / n / 10)))
    out.push({
      retries: n,
      totalMs,
      nsPerRetry: (totalMs * 1e6) / n,
      retainedBytes: await retainedHeap(n),
      naiveRetainedBytes: await retainedHeap(n, true),
    })
  }
  return out
}
