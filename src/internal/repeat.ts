/**
 * The loop behind `Repeat.repeating` and the waiters of `Waiter`: run the
 * operation, decide from its result whether the call is over, else step the
 * schedule, sleep and run again. One `async` function, so the stack and
 * memory stay constant however many runs; a zero delay runs again without a
 * timer. (The retry driver in `Retry` has the same shape; a retry steps the
 * schedule with failures, this loop with whatever its caller chooses.)
 *
 * The types of clock and schedule are structural, so that `internal/`
 * imports no public module.
 *
 * @internal
 */
import type { Either } from 'fp-ts/Either'
import { sanitize } from './delay'
import { ABORTED, whenAborted } from './operation'
import type { Env, Watch } from './operation'

/** What the loop needs of a clock. @internal */
export interface ClockLike {
  readonly now: () => number
  readonly sleep: (ms: number, signal?: AbortSignal, purpose?: string) => Promise<void>
}

/** What the loop needs of a schedule. @internal */
export interface ScheduleLike<In> {
  readonly initial: unknown
  readonly step: (
    state: unknown,
    input: In,
    context: { readonly elapsed: number; readonly random: () => number },
  ) => { readonly _tag: 'Continue' | 'Done'; readonly delay?: number; readonly out: unknown; readonly state?: unknown }
}

/**
 * How one kind of call uses the loop. `settle` looks at each run's result: a
 * final result ends the call, `undefined` goes on, stepping the schedule with
 * `inputOf(result)`. `scheduleDone` ends the call when the schedule is done,
 * `deadline.overrun` when the next sleep would end more than `deadline.ms`
 * after the first run began, `aborted` when the environment's signal fires
 * (with the last result, if any). `beforeSleep` is called once before each
 * sleep.
 *
 * @internal
 */
export interface Plan<E, A, In, G> {
  readonly clock: ClockLike
  readonly random: () => number
  readonly schedule: ScheduleLike<In>
  /** Passed to `clock.sleep`, so that a test clock can tell these sleeps apart. */
  readonly purpose: string
  readonly settle: (result: Either<E, A>) => G | undefined
  readonly inputOf: (result: Either<E, A>) => In
  readonly scheduleDone: (result: Either<E, A>, out: unknown, runs: number, elapsed: number) => G
  readonly deadline:
    { readonly ms: number; readonly overrun: (result: Either<E, A>, runs: number, elapsed: number) => G } | undefined
  readonly beforeSleep: ((result: Either<E, A>, delay: number, runs: number, elapsed: number) => void) | undefined
  readonly aborted: (reason: unknown, last: Either<E, A> | undefined) => G
}

/** Runs the operation once with the caller's environment (`undefined` for a `TaskEither`). @internal */
export type RunOnce<E, A> = (env: Env | undefined) => Promise<Either<E, A>>

/**
 * Drives `run` by `plan`. With a signal, each run is raced against it (a
 * sleep ends on the signal itself), and no subscription is left once the
 * call settles.
 *
 * @internal
 */
export const drive = <E, A, In, G>(plan: Plan<E, A, In, G>, run: RunOnce<E, A>, env: Env | undefined): Promise<G> => {
  const signal = env?.signal
  if (signal === undefined) return loop(plan, run, undefined, undefined)
  if (signal.aborted) return Promise.resolve(plan.aborted(signal.reason, undefined))
  const watch = whenAborted(signal)
  return loop(plan, run, env, watch).finally(() => watch.idle())
}

async function loop<E, A, In, G>(
  plan: Plan<E, A, In, G>,
  run: RunOnce<E, A>,
  env: Env | undefined,
  watch: Watch | undefined,
): Promise<G> {
  const { clock, schedule, purpose, deadline } = plan
  const signal = env?.signal
  const context = { elapsed: 0, random: plan.random }
  const start = clock.now()
  let state = schedule.initial
  let last: Either<E, A> | undefined
  for (let runs = 1; ; runs++) {
    const result = watch === undefined ? await run(env) : await watch.race(run(env))
    watch?.idle()
    if (result === ABORTED) return plan.aborted((signal as AbortSignal).reason, last)
    last = result
    const settled = plan.settle(result)
    if (settled !== undefined) return settled
    if (signal !== undefined && signal.aborted) return plan.aborted(signal.reason, result)
    const elapsed = clock.now() - start
    // a NaN or negative reading (a custom clock) counts as 0, so that it cannot disable the deadline
    context.elapsed = elapsed > 0 ? elapsed : 0
    const decision = schedule.step(state, plan.inputOf(result), context)
    if (decision._tag === 'Done') return plan.scheduleDone(result, decision.out, runs, context.elapsed)
    const delay = sanitize(decision.delay ?? 0)
    if (deadline !== undefined && context.elapsed + delay > deadline.ms)
      return deadline.overrun(result, runs, context.elapsed)
    plan.beforeSleep?.(result, delay, runs, context.elapsed)
    if (delay > 0) await clock.sleep(delay, signal, purpose)
    if (signal !== undefined && signal.aborted) return plan.aborted(signal.reason, result)
    state = decision.state
  }
}
