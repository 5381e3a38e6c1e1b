/**
 * A `Schedule<In, Out>` decides, after each failed attempt, whether to try
 * again and after how long. Schedules are pure, immutable values: build one
 * policy from small pieces with the combinators below and share it between any
 * number of concurrent retries.
 *
 * @since 0.1.0
 */
import type * as O from 'fp-ts/Option'
import type { Predicate } from 'fp-ts/Predicate'
import type { Refinement } from 'fp-ts/Refinement'
import { MAX_DELAY as MAX, sanitize, unitDraw } from './internal/delay'
import * as fp from './internal/fp'
import { hintOf } from './internal/hint'
import * as check from './internal/validate'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What a schedule is given at each step besides the input.
 *
 * @since 0.1.0
 * @category model
 */
export interface StepContext {
  /** Milliseconds since the first attempt began, at the moment of this step. */
  readonly elapsed: number
  /** A uniform random source in `[0, 1)`: the only randomness a schedule may use. */
  readonly random: () => number
}

/**
 * Try again after `delay` ms, with output `out`, carrying `state` into the next step.
 *
 * @since 0.1.0
 * @category model
 */
export interface Continue<S, Out> {
  readonly _tag: 'Continue'
  readonly delay: number
  readonly out: Out
  readonly state: S
  /** Set by {@link waitForHint} when the failure's hint, not the schedule's own backoff, set `delay`. */
  readonly hinted?: boolean
}

/**
 * Give up. `out` is the schedule's output at that step.
 *
 * @since 0.1.0
 * @category model
 */
export interface Done<Out> {
  readonly _tag: 'Done'
  readonly out: Out
}

/**
 * The answer of one step: continue after a delay, or done.
 *
 * @since 0.1.0
 * @category model
 */
export type Decision<S, Out> = Continue<S, Out> | Done<Out>

/**
 * A retry policy: stepped once after each failed attempt with that attempt's
 * error as input, it answers *continue after `delay` ms with output `out`* or
 * *done*.
 *
 * `In` is contravariant, so a `Schedule<unknown, Out>` serves any error type;
 * `Out` is covariant. The state is hidden: `initial` is where every run
 * starts, and `step` never mutates it, so one schedule value can drive any
 * number of concurrent retries.
 *
 * @since 0.1.0
 * @category model
 */
export interface Schedule<In, Out> {
  readonly _tag: 'Schedule'
  /** The state every run starts from. */
  readonly initial: unknown
  /** One pure step: never mutates `state`, never reads the clock or `Math.random`. */
  readonly step: (state: unknown, input: In, context: StepContext) => Decision<unknown, Out>
  /**
   * `true` when no step reads `context.elapsed` (counts and backoffs): the
   * driver then reads no clock for the schedule's sake. Absent, as for
   * {@link make}, means a step may read it.
   */
  readonly timeless?: boolean
}

/**
 * The input type of a schedule.
 *
 * @since 0.1.0
 * @category model
 */
export type InputOf<S> = S extends Schedule<infer In, unknown> ? In : never

/**
 * The output type of a schedule.
 *
 * @since 0.1.0
 * @category model
 */
export type OutputOf<S> = S extends Schedule<never, infer Out> ? Out : never

/**
 * The longest delay any schedule yields (`Number.MAX_SAFE_INTEGER` ms):
 * exponential, Fibonacci and linear growth saturate here instead of reaching
 * `Infinity`.
 *
 * @example
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(Schedule.exponential(1, 10), Array(400).fill(0)).at(-1) === Schedule.MAX_DELAY
 * // => true
 *
 * @since 0.1.0
 * @category model
 */
export const MAX_DELAY: number = MAX

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Builds a schedule from an initial state and a pure step function. The
 * escape hatch for policies the combinators do not cover; the step must not
 * mutate its state and must take randomness only from `context.random`.
 *
 * @example
 * import { Schedule } from 'fp-ts-retry'
 *
 * // 10 ms, 20 ms, 30 ms, then give up
 * const steps = Schedule.make(1, (n: number) =>
 *   n <= 3 ? { _tag: 'Continue', delay: n * 10, out: n, state: n + 1 } : { _tag: 'Done', out: n },
 * )
 * Schedule.simulate(steps, [0, 0, 0, 0, 0])
 * // => [10, 20, 30]
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <S, In, Out>(
  initial: S,
  step: (state: S, input: In, context: StepContext) => Decision<S, Out>,
): Schedule<In, Out> => ({
  _tag: 'Schedule',
  initial,
  step: step as Schedule<In, Out>['step'],
})

/** A schedule whose steps never read `elapsed`. */
const timeless = <In, Out>(self: Schedule<In, Out>): Schedule<In, Out> => ({ ...self, timeless: true })

/** `self`, timeless when every schedule it is built from is. */
const inherit = <In, Out>(self: Schedule<In, Out>, ...from: ReadonlyArray<Schedule<never, unknown>>) =>
  from.every((s) => s.timeless === true) ? timeless(self) : self

const counting = (delayAt: (n: number) => number, limit = Infinity): Schedule<unknown, number> =>
  timeless(
    make(0, (n: number) => (n < limit ? { _tag: 'Continue', delay: delayAt(n), out: n, state: n + 1 } : done(n))),
  )

const done = <Out>(out: Out): Done<Out> => ({ _tag: 'Done', out })

/**
 * Retries `times` times with no delay: `times + 1` attempts in all. Outputs the
 * recurrence count, from 0.
 *
 * @example
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(Schedule.recurs(3), ['a', 'b', 'c', 'd', 'e'])
 * // => [0, 0, 0]
 *
 * @throws RangeError when `times` is negative, fractional or NaN
 * @since 0.1.0
 * @category constructors
 */
export const recurs = (times: number): Schedule<unknown, number> =>
  counting(() => 0, check.count('Schedule.recurs', 'times', times))

/**
 * Retries forever, waiting the same delay before every retry. Outputs the
 * recurrence count.
 *
 * Pair it with a limit: `pipe(spaced(1000), intersect(recurs(5)))` waits one
 * second between at most five retries.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(pipe(Schedule.spaced(250), Schedule.intersect(Schedule.recurs(3))), [1, 2, 3, 4])
 * // => [250, 250, 250]
 *
 * @throws RangeError when `delay` is negative, NaN or infinite
 * @since 0.1.0
 * @category constructors
 */
export const spaced = (delay: number): Schedule<unknown, number> => {
  const d = sanitize(check.delay('Schedule.spaced', 'delay', delay))
  return counting(() => d)
}

/**
 * Retries forever with no delay. The identity of {@link intersect}.
 *
 * Alone it never ends, and with no delay the driver retries at once, without
 * a timer: over an action that always fails, bound it (`recurs`, `upTo`) or
 * combine it with a delay.
 *
 * @example
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(Schedule.forever, [1, 2, 3])
 * // => [0, 0, 0]
 *
 * @since 0.1.0
 * @category constructors
 */
export const forever: Schedule<unknown, number> = /* @__PURE__ */ counting(() => 0)

/**
 * Retries once, at once: `recurs(1)`.
 *
 * @example
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(Schedule.once, [1, 2, 3])
 * // => [0]
 *
 * @since 0.1.0
 * @category constructors
 */
export const once: Schedule<unknown, number> = /* @__PURE__ */ recurs(1)

/**
 * Never retries: `recurs(0)`. The identity of {@link union}.
 *
 * @example
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(Schedule.stop, [1, 2, 3])
 * // => []
 *
 * @since 0.1.0
 * @category constructors
 */
export const stop: Schedule<unknown, number> = /* @__PURE__ */ recurs(0)

const growing = (name: string, base: number, grow: (current: number) => number): Schedule<unknown, number> =>
  timeless(
    make(sanitize(check.delay(`Schedule.${name}`, 'base', base)), (current: number) => ({
      _tag: 'Continue',
      delay: current,
      out: current,
      state: sanitize(grow(current)),
    })),
  )

/**
 * Exponential backoff: `base`, `base * factor`, `base * factor^2`, ...,
 * saturating at {@link MAX_DELAY}. Never ends; outputs the delay.
 *
 * @example
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(Schedule.exponential(100), [1, 2, 3, 4])
 * // => [100, 200, 400, 800]
 *
 * @throws RangeError when `base` is negative, NaN or infinite, or `factor` is below 1 or not finite
 * @since 0.1.0
 * @category constructors
 */
export const exponential = (base: number, factor = 2): Schedule<unknown, number> => {
  const f = check.atLeast('Schedule.exponential', 'factor', 1, factor)
  return growing('exponential', base, (current) => current * f)
}

/**
 * Fibonacci backoff: `base`, `base`, `2 * base`, `3 * base`, `5 * base`, ...,
 * saturating at {@link MAX_DELAY}. Never ends; outputs the delay.
 *
 * @example
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(Schedule.fibonacci(10), [1, 2, 3, 4, 5])
 * // => [10, 10, 20, 30, 50]
 *
 * @throws RangeError when `base` is negative, NaN or infinite
 * @since 0.1.0
 * @category constructors
 */
export const fibonacci = (base: number): Schedule<unknown, number> => {
  const b = sanitize(check.delay('Schedule.fibonacci', 'base', base))
  return timeless(
    make<readonly [number, number], unknown, number>([b, b], ([current, following]) => ({
      _tag: 'Continue',
      delay: current,
      out: current,
      state: [following, sanitize(current + following)],
    })),
  )
}

/**
 * Linear backoff: `base`, `2 * base`, `3 * base`, ..., saturating at
 * {@link MAX_DELAY}. Never ends; outputs the delay.
 *
 * @example
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(Schedule.linear(50), [1, 2, 3])
 * // => [50, 100, 150]
 *
 * @throws RangeError when `base` is negative, NaN or infinite
 * @since 0.1.0
 * @category constructors
 */
export const linear = (base: number): Schedule<unknown, number> => {
  const b = sanitize(check.delay('Schedule.linear', 'base', base))
  return growing('linear', b, (current) => current + b)
}

/**
 * Exactly the given delays, one per retry, then done. Outputs the delay.
 *
 * @example
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(Schedule.fromDelays(10, 100, 1000), [1, 2, 3, 4, 5])
 * // => [10, 100, 1000]
 *
 * @throws RangeError when a delay is negative, NaN or infinite
 * @since 0.1.0
 * @category constructors
 */
export const fromDelays = (...delays: ReadonlyArray<number>): Schedule<unknown, number> => {
  const ds = delays.map((d, i) => sanitize(check.delay('Schedule.fromDelays', `delays[${i}]`, d)))
  return timeless(
    make(0, (i: number) => {
      const d = ds[i]
      return d === undefined ? done(ds[i - 1] ?? 0) : { _tag: 'Continue', delay: d, out: d, state: i + 1 }
    }),
  )
}

/**
 * AWS "decorrelated jitter": each delay is uniform between `base` and three
 * times the previous delay, never above `cap`. Never ends; outputs the delay.
 * The first delay is within `[base, 3 * base]`, so a `base` of 0 gives 0 every
 * time: give a positive `base`.
 *
 * One deliberate difference from the AWS post's `min(cap, random_between(base,
 * 3 * sleep))`: the draw is uniform within `[base, min(cap, 3 * sleep)]`, so
 * once delays reach the cap they stay spread out below it instead of bunching
 * on it (bunched delays are what jitter is meant to prevent).
 *
 * @example
 * import { Schedule, Random } from 'fp-ts-retry'
 *
 * const delays = Schedule.simulate(Schedule.decorrelatedJitter(100, 10_000), [1, 2, 3], { random: Random.seeded(42) })
 * delays.every((d) => d >= 100 && d <= 10_000)
 * // => true
 * // every draw 0.25: each delay is a quarter of the way from base to 3 × the last one
 * Schedule.simulate(Schedule.decorrelatedJitter(100, 10_000), [1, 2, 3], { random: () => 0.25 })
 * // => [150, 187.5, 215.625]
 *
 * @throws RangeError when `base` or `cap` is negative, NaN or infinite, or `cap < base`
 * @since 0.1.0
 * @category jitter
 */
export const decorrelatedJitter = (base: number, cap: number): Schedule<unknown, number> => {
  const b = check.delay('Schedule.decorrelatedJitter', 'base', base)
  const c = check.delay('Schedule.decorrelatedJitter', 'cap', cap)
  if (c < b) check.fail('Schedule.decorrelatedJitter', 'cap', `>= base (${b})`, cap)
  return timeless(
    make(b, (previous: number, _: unknown, { random }) => {
      const upper = Math.min(c, previous * 3)
      const d = sanitize(Math.min(c, b + unitDraw(random) * Math.max(0, upper - b)))
      return { _tag: 'Continue', delay: d, out: d, state: d }
    }),
  )
}

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

/**
 * Continues while **both** schedules continue, waiting the **longer** of their
 * two delays. Outputs both outputs. The identity is {@link forever}.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(3))), [1, 2, 3, 4, 5])
 * // => [100, 200, 400]
 *
 * @since 0.1.0
 * @category combinators
 */
export const intersect =
  <In2, Out2>(that: Schedule<In2, Out2>) =>
  <In, Out>(self: Schedule<In, Out>): Schedule<In & In2, [Out, Out2]> =>
    inherit(
      make<readonly [unknown, unknown], In & In2, [Out, Out2]>([self.initial, that.initial], ([s1, s2], input, ctx) => {
        const left = self.step(s1, input, ctx)
        const right = that.step(s2, input, ctx)
        const out: [Out, Out2] = [left.out, right.out]
        return left._tag === 'Done' || right._tag === 'Done'
          ? done(out)
          : {
              _tag: 'Continue',
              delay: Math.max(sanitize(left.delay), sanitize(right.delay)),
              out,
              state: [left.state, right.state],
            }
      }),
      self,
      that,
    )

interface Side {
  readonly running: boolean
  readonly state: unknown
  readonly out: unknown
}

const stepSide = <In>(schedule: Schedule<In, unknown>, side: Side, input: In, ctx: StepContext) =>
  side.running ? schedule.step(side.state, input, ctx) : undefined

/**
 * Continues while **either** schedule continues, waiting the **shorter** delay
 * of those that continue. A schedule that is done stays done; its last output
 * is kept. The identity is {@link stop}.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * // three quick retries, then keep going every second
 * Schedule.simulate(pipe(Schedule.recurs(3), Schedule.union(Schedule.spaced(1000))), [1, 2, 3, 4, 5])
 * // => [0, 0, 0, 1000, 1000]
 *
 * @since 0.1.0
 * @category combinators
 */
export const union =
  <In2, Out2>(that: Schedule<In2, Out2>) =>
  <In, Out>(self: Schedule<In, Out>): Schedule<In & In2, [Out, Out2]> => {
    const initial: readonly [Side, Side] = [
      { running: true, state: self.initial, out: undefined },
      { running: true, state: that.initial, out: undefined },
    ]
    return inherit(
      make(initial, ([l, r], input: In & In2, ctx) => {
        const left = stepSide(self, l, input, ctx)
        const right = stepSide(that, r, input, ctx)
        const l2: Side =
          left === undefined ? l : { running: left._tag === 'Continue', state: next(left), out: left.out }
        const r2: Side =
          right === undefined ? r : { running: right._tag === 'Continue', state: next(right), out: right.out }
        const out = [l2.out, r2.out] as [Out, Out2]
        const delays: Array<number> = []
        if (left?._tag === 'Continue') delays.push(sanitize(left.delay))
        if (right?._tag === 'Continue') delays.push(sanitize(right.delay))
        return delays.length === 0
          ? done(out)
          : { _tag: 'Continue', delay: Math.min(...delays), out, state: [l2, r2] as const }
      }),
      self,
      that,
    )
  }

const next = (decision: Decision<unknown, unknown>): unknown =>
  decision._tag === 'Continue' ? decision.state : undefined

/**
 * Runs `self` to its end, then `that`: on the step where `self` is done,
 * `that` takes over from its own start with the same input, so no attempt is
 * lost and no extra gap appears. Outputs whichever schedule is running.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * // two quick retries, then three slow ones
 * const policy = pipe(
 *   Schedule.recurs(2),
 *   Schedule.andThen(pipe(Schedule.spaced(1000), Schedule.intersect(Schedule.recurs(3)))),
 * )
 * Schedule.simulate(policy, [1, 2, 3, 4, 5, 6, 7])
 * // => [0, 0, 1000, 1000, 1000]
 *
 * @since 0.1.0
 * @category combinators
 */
export const andThen =
  <In2, Out2>(that: Schedule<In2, Out2>) =>
  <In, Out>(self: Schedule<In, Out>): Schedule<In & In2, Out | Out2> =>
    inherit(
      make<{ readonly first: boolean; readonly state: unknown }, In & In2, Out | Out2>(
        { first: true, state: self.initial },
        ({ first, state }, input, ctx) => {
          if (first) {
            const decision = self.step(state, input, ctx)
            if (decision._tag === 'Continue') return { ...decision, state: { first: true, state: decision.state } }
          }
          const decision = that.step(first ? that.initial : state, input, ctx)
          return decision._tag === 'Continue'
            ? { ...decision, state: { first: false, state: decision.state } }
            : decision
        },
      ),
      self,
      that,
    )

const filter = <In, Out>(self: Schedule<In, Out>, keep: (input: In, out: Out) => boolean): Schedule<In, Out> =>
  inherit(
    make(self.initial, (state, input: In, ctx) => {
      const decision = self.step(state, input, ctx)
      return decision._tag === 'Continue' && !keep(input, decision.out) ? done(decision.out) : decision
    }),
    self,
  )

/**
 * Steps `self` only with inputs that pass `pass`, so that a type guard's
 * narrowing holds at run time too; the first input that fails ends the
 * retries without stepping `self`. The output is `self`'s latest output,
 * `none` when the very first input failed.
 */
const guardInput = <In, Out>(self: Schedule<In, Out>, pass: Predicate<In>): Schedule<In, O.Option<Out>> =>
  inherit(
    make<{ readonly state: unknown; readonly last: O.Option<Out> }, In, O.Option<Out>>(
      { state: self.initial, last: fp.none },
      ({ state, last }, input, ctx) => {
        if (!pass(input)) return done(last)
        const decision = self.step(state, input, ctx)
        const out = fp.some(decision.out)
        return decision._tag === 'Continue'
          ? { _tag: 'Continue', delay: decision.delay, out, state: { state: decision.state, last: out } }
          : done(out)
      },
    ),
    self,
  )

/**
 * Continues only while the error satisfies `predicate`: the first error for
 * which it is false ends the retries. The wrapped schedule is stepped only
 * with errors that pass, so with a type guard it only ever sees the narrowed
 * type, at compile time and at run time.
 *
 * The output is the wrapped schedule's latest output: `none` when the very
 * first error fails the predicate.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * type HttpError = { status: number }
 * const transient = (e: HttpError) => e.status >= 500 || e.status === 429
 *
 * const policy = pipe(Schedule.recurs(5), Schedule.whileInput(transient))
 * Schedule.simulate(policy, [{ status: 503 }, { status: 401 }, { status: 503 }])
 * // => [0]
 *
 * @since 0.1.0
 * @category conditions
 */
export function whileInput<In, B extends In>(
  refinement: Refinement<In, B>,
): <Out>(self: Schedule<B, Out>) => Schedule<In, O.Option<Out>>
export function whileInput<In>(predicate: Predicate<In>): <Out>(self: Schedule<In, Out>) => Schedule<In, O.Option<Out>>
export function whileInput<In>(predicate: Predicate<In>) {
  return <Out>(self: Schedule<In, Out>): Schedule<In, O.Option<Out>> => guardInput(self, predicate)
}

/**
 * Continues until the error satisfies `predicate`: the first error for which
 * it is true ends the retries. The wrapped schedule is stepped only with the
 * other errors, so with a type guard it only ever sees the errors the guard
 * excludes.
 *
 * The output is the wrapped schedule's latest output: `none` when the very
 * first error satisfies the predicate.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * const isFatal = (e: Error) => e.message === 'fatal'
 * const policy = pipe(Schedule.spaced(100), Schedule.untilInput(isFatal))
 * Schedule.simulate(policy, [new Error('flaky'), new Error('fatal')])
 * // => [100]
 *
 * @since 0.1.0
 * @category conditions
 */
export function untilInput<In, B extends In>(
  refinement: Refinement<In, B>,
): <Out>(self: Schedule<Exclude<In, B>, Out>) => Schedule<In, O.Option<Out>>
export function untilInput<In>(predicate: Predicate<In>): <Out>(self: Schedule<In, Out>) => Schedule<In, O.Option<Out>>
export function untilInput<In>(predicate: Predicate<In>) {
  return <Out>(self: Schedule<In, Out>): Schedule<In, O.Option<Out>> => guardInput(self, (input) => !predicate(input))
}

/**
 * Continues only while the schedule's output satisfies `predicate`.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * // back off exponentially while the delay stays under one second
 * Schedule.simulate(pipe(Schedule.exponential(100), Schedule.whileOutput((d) => d < 1000)), Array(10).fill(0))
 * // => [100, 200, 400, 800]
 *
 * @since 0.1.0
 * @category conditions
 */
export const whileOutput =
  <Out>(predicate: Predicate<Out>) =>
  <In>(self: Schedule<In, Out>): Schedule<In, Out> =>
    filter(self, (_, out) => predicate(out))

/**
 * Continues until the schedule's output satisfies `predicate`.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(pipe(Schedule.forever, Schedule.untilOutput((n) => n >= 2)), Array(10).fill(0))
 * // => [0, 0]
 *
 * @since 0.1.0
 * @category conditions
 */
export const untilOutput =
  <Out>(predicate: Predicate<Out>) =>
  <In>(self: Schedule<In, Out>): Schedule<In, Out> =>
    filter(self, (_, out) => !predicate(out))

/**
 * A deadline: gives up rather than start an attempt later than `duration` ms
 * after the **first attempt began**. A step whose elapsed time plus next delay
 * exceeds `duration` is done; an attempt starting exactly at `duration` is
 * still allowed.
 *
 * The driver measures the elapsed time on its clock, so the time attempts
 * take counts too; {@link simulate} takes every attempt to last no time. It
 * never interrupts an attempt in flight: bound each attempt with a timeout.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * // attempts at 0, 100, 300, 700; the next would start at 1500 > 1000
 * Schedule.simulate(pipe(Schedule.exponential(100), Schedule.upTo(1000)), Array(10).fill(0))
 * // => [100, 200, 400]
 *
 * @throws RangeError when `duration` is negative, NaN or infinite
 * @since 0.1.0
 * @category conditions
 */
export const upTo = (duration: number) => {
  const limit = check.delay('Schedule.upTo', 'duration', duration)
  return <In, Out>(self: Schedule<In, Out>): Schedule<In, Out> =>
    make(self.initial, (state, input: In, ctx) => {
      const decision = self.step(state, input, ctx)
      // a NaN from a custom step (or clock) counts as 0, so that it cannot disable the deadline
      return decision._tag === 'Continue' && (ctx.elapsed > 0 ? ctx.elapsed : 0) + sanitize(decision.delay) > limit
        ? done(decision.out)
        : decision
    })
}

/**
 * Rewrites every delay with `f(delay, out)`. A result that is NaN or negative
 * becomes 0, an infinite one {@link MAX_DELAY}.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(pipe(Schedule.spaced(100), Schedule.modifyDelay((d) => d / 2)), [1, 2])
 * // => [50, 50]
 *
 * @since 0.1.0
 * @category combinators
 */
export const modifyDelay =
  <Out>(f: (delay: number, out: Out) => number) =>
  <In>(self: Schedule<In, Out>): Schedule<In, Out> =>
    inherit(
      make(self.initial, (state, input: In, ctx) => {
        const decision = self.step(state, input, ctx)
        return decision._tag === 'Continue'
          ? { ...decision, delay: sanitize(f(decision.delay, decision.out)) }
          : decision
      }),
      self,
    )

/**
 * Adds `f(delay, out)` to every delay.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(pipe(Schedule.exponential(100), Schedule.addDelay(() => 5)), [1, 2])
 * // => [105, 205]
 *
 * @since 0.1.0
 * @category combinators
 */
export const addDelay = <Out>(f: (delay: number, out: Out) => number) =>
  modifyDelay<Out>((delay, out) => delay + f(delay, out))

/**
 * Bounds every delay by `max`. Never turns a *done* into a *continue*.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(pipe(Schedule.exponential(100), Schedule.capDelay(500)), [1, 2, 3, 4, 5])
 * // => [100, 200, 400, 500, 500]
 *
 * @throws RangeError when `max` is negative, NaN or infinite
 * @since 0.1.0
 * @category combinators
 */
export const capDelay = (max: number) => {
  const m = check.delay('Schedule.capDelay', 'max', max)
  return <In, Out>(self: Schedule<In, Out>): Schedule<In, Out> => modifyDelay<Out>((d) => Math.min(d, m))(self)
}

/**
 * Waits at least the retry hint a failure carries, but never more than `max`
 * ms for the hint's sake: the one rule for every hint in the library. A
 * failure carries a hint as `retryAfter: Option<number>`, the milliseconds
 * from its failing to the earliest time worth trying again: an
 * `Http.HttpError`'s `Retry-After`, a `CircuitBreaker.CircuitOpen`'s time
 * until a probe may pass. The delay becomes the hint (at most `max`) when that
 * is longer than the schedule's own; other failures keep the schedule's delay.
 * Never turns a *done* into a *continue*.
 *
 * Put it before {@link upTo}, so the deadline sees the real delay, and let the
 * failures that carry hints through any `whileInput` before it
 * (`Http.isTransient` lets an open circuit through).
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import * as O from 'fp-ts/Option'
 * import { Schedule } from 'fp-ts-retry'
 *
 * const policy = pipe(Schedule.spaced(100), Schedule.intersect(Schedule.recurs(3)), Schedule.waitForHint(5_000))
 * Schedule.simulate(policy, [{ retryAfter: O.some(2_000) }, new Error('503'), { retryAfter: O.some(3_600_000) }])
 * // => [2000, 100, 5000]
 *
 * @throws RangeError when `max` is negative, NaN or infinite
 * @since 0.2.0
 * @category combinators
 */
export const waitForHint = (max: number) => {
  const limit = check.delay('Schedule.waitForHint', 'max', max)
  return <In, Out>(self: Schedule<In, Out>): Schedule<In, Out> =>
    inherit(
      make(self.initial, (state, input: In, ctx) => {
        const decision = self.step(state, input, ctx)
        if (decision._tag === 'Done') return decision
        const hint = hintOf(input)
        if (hint === undefined) return decision
        const delay = sanitize(decision.delay)
        const bounded = Math.min(hint, limit)
        return bounded > delay ? { ...decision, delay: bounded, hinted: true } : { ...decision, delay }
      }),
      self,
    )
}

/**
 * Changes the output, never the timing.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * const attempts = pipe(Schedule.recurs(3), Schedule.map((n) => `retry #${n + 1}`))
 *
 * @since 0.1.0
 * @category combinators
 */
export const map =
  <Out, Out2>(f: (out: Out) => Out2) =>
  <In>(self: Schedule<In, Out>): Schedule<In, Out2> =>
    inherit(
      make(self.initial, (state, input: In, ctx) => {
        const decision = self.step(state, input, ctx)
        return { ...decision, out: f(decision.out) }
      }),
      self,
    )

const withRandomDelay = <In, Out>(self: Schedule<In, Out>, f: (delay: number, r: number) => number) =>
  inherit(
    make(self.initial, (state, input: In, ctx) => {
      const decision = self.step(state, input, ctx)
      return decision._tag === 'Continue'
        ? { ...decision, delay: sanitize(f(decision.delay, unitDraw(ctx.random))) }
        : decision
    }),
    self,
  )

/**
 * Multiplies each delay by a uniform factor in `[min, max)`, so that clients
 * that failed together do not retry together.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule, Random } from 'fp-ts-retry'
 *
 * const policy = pipe(Schedule.spaced(1000), Schedule.jittered(0.5, 1.5))
 * Schedule.simulate(policy, [1, 2, 3], { random: Random.seeded(1) }).every((d) => d >= 500 && d < 1500)
 * // => true
 * // every draw 0.25: each delay times 0.5 + 0.25 × (1.5 - 0.5)
 * Schedule.simulate(policy, [1, 2, 3], { random: () => 0.25 })
 * // => [750, 750, 750]
 *
 * @throws RangeError when `min` is negative, or `max < min`, or either is not finite
 * @since 0.1.0
 * @category jitter
 */
export const jittered = (min = 0.8, max = 1.2) => {
  const lo = check.atLeast('Schedule.jittered', 'min', 0, min)
  const hi = check.atLeast('Schedule.jittered', 'max', lo, max)
  return <In, Out>(self: Schedule<In, Out>): Schedule<In, Out> =>
    withRandomDelay(self, (d, r) => Math.min(d * hi, d * (lo + r * (hi - lo))))
}

/**
 * "Full jitter": each delay `d` becomes uniform in `[0, d]`. The AWS
 * recommendation for contended resources. A combinator value: `pipe(s, fullJitter)`.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule, Random } from 'fp-ts-retry'
 *
 * const policy = pipe(Schedule.exponential(100), Schedule.capDelay(10_000), Schedule.fullJitter)
 * Schedule.simulate(policy, [1, 2, 3], { random: Random.seeded(7) }).map((d, i) => d >= 0 && d <= 100 * 2 ** i)
 * // => [true, true, true]
 * // every draw 0.25: a quarter of 100, 200, 400
 * Schedule.simulate(policy, [1, 2, 3], { random: () => 0.25 })
 * // => [25, 50, 100]
 *
 * @since 0.1.0
 * @category jitter
 */
export const fullJitter = <In, Out>(self: Schedule<In, Out>): Schedule<In, Out> =>
  withRandomDelay(self, (d, r) => d * r)

/**
 * "Equal jitter": each delay `d` becomes uniform in `[d/2, d]`: never much
 * shorter than planned, still spread out. A combinator value: `pipe(s, equalJitter)`.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule, Random } from 'fp-ts-retry'
 *
 * const policy = pipe(Schedule.spaced(1000), Schedule.equalJitter)
 * Schedule.simulate(policy, [1, 2], { random: Random.seeded(3) }).every((d) => d >= 500 && d <= 1000)
 * // => true
 * // every draw 0.25: 500 + 0.25 × 500
 * Schedule.simulate(policy, [1, 2], { random: () => 0.25 })
 * // => [625, 625]
 *
 * @since 0.1.0
 * @category jitter
 */
export const equalJitter = <In, Out>(self: Schedule<In, Out>): Schedule<In, Out> =>
  withRandomDelay(self, (d, r) => Math.min(d, d / 2 + (d / 2) * r))

// -------------------------------------------------------------------------------------
// cadence and state (0.2): schedules for repeating as well as retrying
// -------------------------------------------------------------------------------------

/** Continue after `delay` with output `out`, carrying `state`. */
const next_ = <S, Out>(delay: number, out: Out, state: S): Continue<S, Out> => ({
  _tag: 'Continue',
  delay: sanitize(delay),
  out,
  state,
})

/** The elapsed time of a step, a NaN or negative one (from a custom clock) counting as 0. */
const elapsedOf = (ctx: StepContext): number => (ctx.elapsed > 0 ? ctx.elapsed : 0)

/**
 * Runs on a fixed cadence measured from the start: runs are due at 0,
 * `interval`, `2 * interval`, ... after the first run began, however long each
 * run takes. A run that ends before the next due instant waits for it; a run
 * that ends after it is followed by the next run at once, and the cadence
 * resumes at the next due instant after that: the missed runs are skipped,
 * never piled up. Never ends; outputs the recurrence count, from 0.
 *
 * It reads the time elapsed since the first run began from the step (the
 * driver measures it on its clock, so a run's own time counts); with
 * {@link simulate}, whose runs take no time, it is `spaced(interval)`. Compare
 * {@link spaced} (the gap *after* each run) and {@link windowed} (the next
 * window boundary, never at once).
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * // runs due every 1000 ms; the second run takes 2500 ms (it ends at 3500), so the third starts at once,
 * // and the fourth at the next due instant, 4000
 * const policy = pipe(Schedule.fixed(1000), Schedule.intersect(Schedule.recurs(3)))
 * const ends = [0, 3500, 3500]
 * let state = policy.initial
 * const delays: Array<number> = []
 * for (const elapsed of ends) {
 *   const d = policy.step(state, null, { elapsed, random: Math.random })
 *   if (d._tag === 'Done') break
 *   delays.push(d.delay)
 *   state = d.state
 * }
 * delays
 * // => [1000, 0, 500]
 *
 * @throws RangeError when `interval` is negative, NaN or infinite
 * @since 0.2.0
 * @category constructors
 */
export const fixed = (interval: number): Schedule<unknown, number> => {
  const i = sanitize(check.delay('Schedule.fixed', 'interval', interval))
  // `slot`: the index of the due instant the last run started at (or, when it started late, the window it fell in)
  return make<{ readonly n: number; readonly slot: number }, unknown, number>(
    { n: 0, slot: 0 },
    ({ n, slot }, _, ctx) => {
      if (i === 0) return next_(0, n, { n: n + 1, slot })
      const now = elapsedOf(ctx)
      const due = (slot + 1) * i
      return now <= due
        ? next_(due - now, n, { n: n + 1, slot: slot + 1 })
        : next_(0, n, { n: n + 1, slot: Math.floor(now / i) })
    },
  )
}

/**
 * Divides time into windows of `interval` ms from the first run's start, and
 * waits until the next window boundary (strictly after now) every time: a
 * run that takes longer than a window skips to the boundary after it, never
 * starting at once. Never ends; outputs the recurrence count, from 0.
 *
 * With {@link simulate}, whose runs take no time, it is `spaced(interval)`.
 * Compare {@link fixed}, which starts a late run at once.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * // windows of 1000 ms: a run ending at 300 waits for 1000, one ending at 2500 for 3000
 * const policy = pipe(Schedule.windowed(1000), Schedule.intersect(Schedule.recurs(2)))
 * const first = policy.step(policy.initial, null, { elapsed: 300, random: Math.random })
 * const second = first._tag === 'Continue' ? policy.step(first.state, null, { elapsed: 2500, random: Math.random }) : first
 * ;[first, second].map((d) => (d._tag === 'Continue' ? d.delay : 'done'))
 * // => [700, 500]
 *
 * @throws RangeError when `interval` is negative, NaN or infinite
 * @since 0.2.0
 * @category constructors
 */
export const windowed = (interval: number): Schedule<unknown, number> => {
  const i = sanitize(check.delay('Schedule.windowed', 'interval', interval))
  return make(0, (n: number, _: unknown, ctx) => next_(i === 0 ? 0 : i - (elapsedOf(ctx) % i), n, n + 1))
}

/**
 * Continues forever with no delay, outputting the recurrence count, from 0:
 * the identity of {@link intersect} on delays and on when it ends, so
 * `intersect(count)` adds a count to any schedule's output without changing
 * its timing. (The same timing as {@link forever}; the name says what it is
 * for.)
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * const counted = pipe(Schedule.exponential(100), Schedule.intersect(Schedule.count))
 * Schedule.trace(counted, [1, 2, 3]).map((step) => step.out)
 * // => [[100, 0], [200, 1], [400, 2]]
 *
 * @since 0.2.0
 * @category constructors
 */
export const count: Schedule<unknown, number> = /* @__PURE__ */ counting(() => 0)

/**
 * Continues forever with no delay, outputting the milliseconds elapsed since
 * the first run (or attempt) began, at each step: `intersect(elapsed)` adds
 * the time to any schedule's output without changing its timing, for
 * {@link tapOutput} or a final report.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * const timed = pipe(Schedule.spaced(250), Schedule.intersect(Schedule.recurs(3)), Schedule.intersect(Schedule.elapsed))
 * Schedule.trace(timed, [1, 2, 3, 4]).map((step) => step.out[1])
 * // => [0, 250, 500, 750]
 *
 * @since 0.2.0
 * @category constructors
 */
export const elapsed: Schedule<unknown, number> = /* @__PURE__ */ make(null, (state: null, _: unknown, ctx) =>
  next_(0, elapsedOf(ctx), state),
)

/**
 * Chooses the schedule from the first input, then follows it: a different
 * policy for a 429 than for a 503, for a timeout than for a refused
 * connection. `choose` is called once per run of the retry (or repeat), at
 * its first step; the chosen schedule starts from its own beginning with that
 * input and sees every later input.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * type HttpError = { readonly status: number }
 * const policy = Schedule.dynamic((first: HttpError) =>
 *   first.status === 429
 *     ? pipe(Schedule.spaced(1_000), Schedule.intersect(Schedule.recurs(2)))
 *     : pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(4))),
 * )
 * Schedule.simulate(policy, Array(6).fill({ status: 429 }))
 * // => [1000, 1000]
 * Schedule.simulate(policy, [{ status: 503 }, { status: 429 }, { status: 429 }, { status: 429 }, { status: 429 }])
 * // => [100, 200, 400, 800]
 *
 * @since 0.2.0
 * @category constructors
 */
export const dynamic = <In, Out>(choose: (first: In) => Schedule<In, Out>): Schedule<In, Out> =>
  make<{ readonly schedule: Schedule<In, Out>; readonly state: unknown } | null, In, Out>(
    null,
    (chosen, input, ctx) => {
      const schedule = chosen === null ? choose(input) : chosen.schedule
      const decision = schedule.step(chosen === null ? schedule.initial : chosen.state, input, ctx)
      return decision._tag === 'Continue' ? { ...decision, state: { schedule, state: decision.state } } : decision
    },
  )

/**
 * Starts the schedule over after a quiet period: when the attempt (or run)
 * that just ended ran for at least `duration` ms before this step, the step
 * is taken from the schedule's beginning, as if it were the first. A
 * connection that stayed up for an hour before failing backs off from the
 * first delay again, not from where the last outage left off.
 *
 * The quiet period is measured from when that attempt was due to start (the
 * step before it, plus its delay) to this step, so the schedule's own sleeps
 * never count: a long backoff does not reset itself. With {@link simulate},
 * whose attempts take no time, it never resets (unless `duration` is 0).
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * // attempts fail at once at 0 and 100 ms; the third (due at 300) stays up until 60_300, the fourth fails at once
 * const policy = pipe(Schedule.exponential(100), Schedule.resetAfter(60_000))
 * let state = policy.initial
 * const delays: Array<number> = []
 * for (const elapsed of [0, 100, 60_300, 60_400]) {
 *   const d = policy.step(state, null, { elapsed, random: Math.random })
 *   if (d._tag === 'Done') break
 *   delays.push(d.delay)
 *   state = d.state
 * }
 * delays
 * // => [100, 200, 100, 200]
 *
 * @throws RangeError when `duration` is negative, NaN or infinite
 * @since 0.2.0
 * @category combinators
 */
export const resetAfter = (duration: number) => {
  const limit = check.delay('Schedule.resetAfter', 'duration', duration)
  return <In, Out>(self: Schedule<In, Out>): Schedule<In, Out> =>
    // `due`: when the attempt that ends at the next step was due to start
    make<{ readonly state: unknown; readonly due: number }, In, Out>(
      { state: self.initial, due: 0 },
      ({ state, due }, input, ctx) => {
        const now = elapsedOf(ctx)
        const decision = self.step(now - due >= limit ? self.initial : state, input, ctx)
        return decision._tag === 'Continue'
          ? { ...decision, state: { state: decision.state, due: now + sanitize(decision.delay) } }
          : decision
      },
    )
}

/**
 * Rewrites every delay with `f(delay, input, out)`: like {@link modifyDelay},
 * but it also sees the step's input (the error of a retry, the value of a
 * repeat), so that the delay can depend on what happened. A result that is
 * NaN or negative becomes 0, an infinite one {@link MAX_DELAY}. Never turns a
 * *done* into a *continue*.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * type HttpError = { readonly status: number }
 * // twice the delay after a 429
 * const policy = pipe(
 *   Schedule.exponential(100),
 *   Schedule.modifyDelayWithInput((delay, e: HttpError) => (e.status === 429 ? delay * 2 : delay)),
 * )
 * Schedule.simulate(policy, [{ status: 503 }, { status: 429 }, { status: 503 }])
 * // => [100, 400, 400]
 *
 * @since 0.2.0
 * @category combinators
 */
export const modifyDelayWithInput =
  <In2, Out>(f: (delay: number, input: In2, out: Out) => number) =>
  <In>(self: Schedule<In, Out>): Schedule<In & In2, Out> =>
    inherit(
      make(self.initial, (state, input: In & In2, ctx) => {
        const decision = self.step(state, input, ctx)
        return decision._tag === 'Continue'
          ? { ...decision, delay: sanitize(f(decision.delay, input, decision.out)) }
          : decision
      }),
      self,
    )

// -------------------------------------------------------------------------------------
// observing
// -------------------------------------------------------------------------------------

/**
 * Calls `f` with each input (error) the schedule is stepped with, for logging.
 * The schedule's decisions are unchanged.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * const logged = pipe(Schedule.recurs(3), Schedule.tapInput((e: Error) => console.warn(e.message)))
 *
 * @since 0.1.0
 * @category observing
 */
export const tapInput =
  <In2>(f: (input: In2) => void) =>
  <In, Out>(self: Schedule<In, Out>): Schedule<In & In2, Out> =>
    inherit(
      make(self.initial, (state, input: In & In2, ctx) => {
        f(input)
        return self.step(state, input, ctx)
      }),
      self,
    )

/**
 * Calls `f` with each output of the schedule, for logging. The schedule's
 * decisions are unchanged.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * const logged = pipe(Schedule.exponential(100), Schedule.tapOutput((d) => console.log(`next delay ${d} ms`)))
 *
 * @since 0.1.0
 * @category observing
 */
export const tapOutput =
  <Out>(f: (out: Out) => void) =>
  <In>(self: Schedule<In, Out>): Schedule<In, Out> =>
    inherit(
      make(self.initial, (state, input: In, ctx) => {
        const decision = self.step(state, input, ctx)
        f(decision.out)
        return decision
      }),
      self,
    )

// -------------------------------------------------------------------------------------
// running
// -------------------------------------------------------------------------------------

/**
 * Options of {@link simulate} and {@link trace}.
 *
 * @since 0.1.0
 * @category running
 */
export interface SimulateOptions {
  /** The random source for jitter (default `Math.random`). */
  readonly random?: (() => number) | undefined
}

/**
 * One step of a {@link trace}: the decision, the time at which it was taken
 * and the output.
 *
 * @since 0.1.0
 * @category running
 */
export interface TraceStep<Out> {
  readonly _tag: 'Continue' | 'Done'
  /** The attempt that failed (1-based). */
  readonly attempt: number
  /** Milliseconds since the first attempt began, attempts taking no time. */
  readonly elapsed: number
  /** The delay before the next attempt; 0 when done. */
  readonly delay: number
  readonly out: Out
}

/**
 * Steps the schedule purely with each input in turn, as if every attempt took
 * no time, and returns every decision, the final *done* included.
 *
 * @example
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.trace(Schedule.recurs(1), ['a', 'b', 'c']).map((s) => s._tag)
 * // => ['Continue', 'Done']
 *
 * @since 0.1.0
 * @category running
 */
export const trace = <In, Out>(
  schedule: Schedule<In, Out>,
  inputs: Iterable<In>,
  options?: SimulateOptions,
): ReadonlyArray<TraceStep<Out>> => {
  const context = { elapsed: 0, random: options?.random ?? Math.random }
  const steps: Array<TraceStep<Out>> = []
  let state = schedule.initial
  for (const input of inputs) {
    const decision = schedule.step(state, input, context)
    const attempt = steps.length + 1
    if (decision._tag === 'Done') {
      steps.push({ _tag: 'Done', attempt, elapsed: context.elapsed, delay: 0, out: decision.out })
      break
    }
    const delay = sanitize(decision.delay)
    steps.push({ _tag: 'Continue', attempt, elapsed: context.elapsed, delay, out: decision.out })
    context.elapsed += delay
    state = decision.state
  }
  return steps
}

/**
 * The delays the schedule would sleep, one per retry it grants, stepping it
 * purely with the inputs in turn as if every attempt took no time; stops at
 * *done* or at the end of the inputs. This is how to see a policy before
 * running it.
 *
 * @example
 * import { pipe } from 'fp-ts/function'
 * import { Schedule } from 'fp-ts-retry'
 *
 * Schedule.simulate(pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(4))), Array(10).fill(0))
 * // => [100, 200, 400, 800]
 *
 * @since 0.1.0
 * @category running
 */
export const simulate = <In, Out>(
  schedule: Schedule<In, Out>,
  inputs: Iterable<In>,
  options?: SimulateOptions,
): ReadonlyArray<number> =>
  trace(schedule, inputs, options)
    .filter((step) => step._tag === 'Continue')
    .map((step) => step.delay)
