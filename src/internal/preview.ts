/**
 * The sentence that shows what a schedule does: its first delays, stepped
 * purely with a seeded random source, and whether it ended within the steps.
 *
 * @internal
 */
import { format } from '../Duration'
import { seeded } from '../Random'
import { trace } from '../Schedule'
import type { Schedule } from '../Schedule'
import { show } from './decoder'

/** @internal */
export interface PreviewOptions<In> {
  /** How many failed attempts to simulate (default 10). */
  readonly steps?: number | undefined
  /** The seed of the random source for jitter (default 1). */
  readonly seed?: number | undefined
  /** The error fed to the schedule at each step (default `undefined`). */
  readonly input?: In | undefined
}

/** "a", "a and b", "a, b and c". @internal */
export const list = (items: ReadonlyArray<string>): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`

/** "1 retry", "3 retries". @internal */
export const retries = (n: number): string => `${n} ${n === 1 ? 'retry' : 'retries'}`

/**
 * "With random seed 1, its first delays are 63ms, 146ms and 221ms, and it
 * gives up after 3 retries." Never throws: a schedule that throws when stepped
 * with `input` is reported as such.
 *
 * @internal
 */
export const preview = <In>(schedule: Schedule<In, unknown>, options?: PreviewOptions<In>): string => {
  const wanted = options?.steps
  const steps = Number.isFinite(wanted) ? Math.max(1, Math.min(1000, Math.floor(wanted as number))) : 10
  const seed = Number.isSafeInteger(options?.seed) ? (options?.seed as number) : 1
  let decisions: ReturnType<typeof trace<In, unknown>>
  try {
    decisions = trace(schedule, Array<In>(steps).fill(options?.input as In), { random: seeded(seed) })
  } catch (error) {
    const reason = error instanceof Error ? error.message : show(error)
    return `Stepping it with ${show(options?.input)} as the error threw (${reason}); pass a representative error as "input" to see its delays.`
  }
  const delays = decisions.filter((d) => d._tag === 'Continue').map((d) => format(d.delay))
  const ended = decisions.at(-1)?._tag === 'Done'
  if (delays.length === 0) return 'It never retries: the first failure is final.'
  const which = ended
    ? delays.length === 1
      ? 'only delay is'
      : 'delays are'
    : delays.length === 1
      ? 'first delay is'
      : `first ${delays.length} delays are`
  const shown = `With random seed ${seed}, its ${which} ${list(delays)}`
  return ended
    ? `${shown}, and it gives up after ${retries(delays.length)}.`
    : `${shown}, and it is still retrying after ${steps} ${steps === 1 ? 'failure' : 'failures'}.`
}
