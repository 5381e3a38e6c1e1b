import fc from 'fast-check'
import { pipe } from 'fp-ts/function'
import { describe, expect, it } from 'vitest'
import { Schedule } from '../src/index'
import { failure, handBuilt, policy } from './policy-arbitrary'

type S = Schedule.Schedule<unknown, unknown>

/**
 * A printable description of a schedule, so that fast-check reports readable counterexamples. Its leaves are the
 * random policies of test/policy-arbitrary.ts (every combinator of `Policy.grammar`, the shorthand included), built
 * by hand with the `Schedule` combinators they name; the rest is what the policy language cannot say: the identities,
 * predicates and delay rewrites of any kind (NaN, negative, infinite, saturating), and hostile `make` steps.
 */
type Spec =
  | { readonly k: 'policy'; readonly json: PolicyJson }
  | { readonly k: 'forever' | 'once' | 'stop' }
  | { readonly k: 'intersect' | 'union' | 'andThen'; readonly a: Spec; readonly b: Spec }
  | { readonly k: 'whileInput' | 'untilInput'; readonly limit: number; readonly s: Spec }
  | { readonly k: 'whileOutput'; readonly limit: number; readonly s: Spec }
  | { readonly k: 'upTo' | 'capDelay'; readonly d: number; readonly s: Spec }
  | {
      readonly k: 'modifyDelay'
      readonly mode: 'scale' | 'nan' | 'negative' | 'infinite'
      readonly x: number
      readonly s: Spec
    }
  | { readonly k: 'addDelay'; readonly x: number; readonly s: Spec }
  | { readonly k: 'map'; readonly s: Spec }
  | { readonly k: 'jittered'; readonly lo: number; readonly spread: number; readonly s: Spec }
  | { readonly k: 'fullJitter' | 'equalJitter'; readonly s: Spec }
  | { readonly k: 'hostile'; readonly delay: number }

type PolicyJson = Readonly<Record<string, unknown>>

/** Errors are small numbers (so that whileInput / untilInput sometimes stop) or the failures a policy tells apart. */
const small = (e: unknown): e is number => typeof e === 'number'

const build = (spec: Spec): S => {
  switch (spec.k) {
    case 'policy':
      return handBuilt(spec.json)
    case 'forever':
      return Schedule.forever
    case 'once':
      return Schedule.once
    case 'stop':
      return Schedule.stop
    case 'intersect':
      return pipe(build(spec.a), Schedule.intersect(build(spec.b)))
    case 'union':
      return pipe(build(spec.a), Schedule.union(build(spec.b)))
    case 'andThen':
      return pipe(build(spec.a), Schedule.andThen(build(spec.b)))
    case 'whileInput':
      return pipe(
        build(spec.s),
        Schedule.whileInput((e: unknown) => !small(e) || e < spec.limit),
      )
    case 'untilInput':
      return pipe(
        build(spec.s),
        Schedule.untilInput((e: unknown) => small(e) && e >= spec.limit),
      )
    case 'whileOutput':
      return pipe(
        build(spec.s),
        Schedule.map((out) => JSON.stringify(out) ?? ''),
        Schedule.whileOutput((out: string) => out.length < spec.limit),
      )
    case 'upTo':
      return pipe(build(spec.s), Schedule.upTo(spec.d))
    case 'capDelay':
      return pipe(build(spec.s), Schedule.capDelay(spec.d))
    case 'modifyDelay': {
      const { mode, x } = spec
      const f = (d: number) =>
        mode === 'scale' ? d * x : mode === 'nan' ? NaN : mode === 'negative' ? -x - 1 : Infinity
      return pipe(build(spec.s), Schedule.modifyDelay(f))
    }
    case 'addDelay':
      return pipe(
        build(spec.s),
        Schedule.addDelay(() => spec.x),
      )
    case 'map':
      return pipe(
        build(spec.s),
        Schedule.map((out) => [out]),
      )
    case 'jittered':
      return pipe(build(spec.s), Schedule.jittered(spec.lo, spec.lo + spec.spread))
    case 'fullJitter':
      return pipe(build(spec.s), Schedule.fullJitter)
    case 'equalJitter':
      return pipe(build(spec.s), Schedule.equalJitter)
    case 'hostile':
      // a user's `make` step that returns a bad delay, forever
      return Schedule.make(0, (n: number) => ({ _tag: 'Continue', delay: spec.delay, out: n, state: n + 1 }))
  }
}

const delayArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 2000 }) },
  { weight: 2, arbitrary: fc.double({ min: 0, max: 1e6, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1e15, 1e300, Number.MAX_VALUE) },
)

/** Any policy of the language, or an identity: the leaves of every generated schedule. */
const leaf: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 4, arbitrary: policy.map((json): Spec => ({ k: 'policy', json })) },
  { weight: 1, arbitrary: fc.record({ k: fc.constantFrom('forever' as const, 'once' as const, 'stop' as const) }) },
)

const { spec: specArb } = fc.letrec<{ spec: Spec }>((tie) => ({
  spec: fc.oneof(
    { maxDepth: 3, depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({
      k: fc.constantFrom('intersect' as const, 'union' as const, 'andThen' as const),
      a: tie('spec'),
      b: tie('spec'),
    }),
    fc.record({
      k: fc.constantFrom('whileInput' as const, 'untilInput' as const, 'whileOutput' as const),
      limit: fc.integer({ min: 0, max: 40 }),
      s: tie('spec'),
    }),
    fc.record({ k: fc.constantFrom('upTo' as const, 'capDelay' as const), d: delayArb, s: tie('spec') }),
    fc.record({
      k: fc.constant('modifyDelay' as const),
      mode: fc.constantFrom('scale' as const, 'nan' as const, 'negative' as const, 'infinite' as const),
      // scaling by a huge factor reaches the delays a policy cannot write: saturation at MAX_DELAY and beyond
      x: fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.constantFrom(1e15, 1e300, Number.MAX_VALUE)),
      s: tie('spec'),
    }),
    fc.record({ k: fc.constant('addDelay' as const), x: fc.double({ noNaN: false }), s: tie('spec') }),
    fc.record({ k: fc.constant('map' as const), s: tie('spec') }),
    fc.record({
      k: fc.constant('jittered' as const),
      lo: fc.double({ min: 0, max: 2, noNaN: true }),
      spread: fc.double({ min: 0, max: 2, noNaN: true }),
      s: tie('spec'),
    }),
    fc.record({ k: fc.constantFrom('fullJitter' as const, 'equalJitter' as const), s: tie('spec') }),
  ),
}))

/** Generated schedules whose leaves include hostile `make` steps (NaN, negative or infinite delays). */
const hostileLeaf: fc.Arbitrary<Spec> = fc.record({
  k: fc.constant('hostile' as const),
  delay: fc.constantFrom(NaN, -1, -Infinity, Infinity, 1e308 * 10),
})
const { spec: hostileSpecArb } = fc.letrec<{ spec: Spec }>((tie) => ({
  spec: fc.oneof(
    { maxDepth: 3, depthSize: 'small', withCrossShrink: true },
    hostileLeaf,
    leaf,
    fc.record({
      k: fc.constantFrom('intersect' as const, 'union' as const, 'andThen' as const),
      a: tie('spec'),
      b: tie('spec'),
    }),
    fc.record({ k: fc.constantFrom('upTo' as const, 'capDelay' as const), d: delayArb, s: tie('spec') }),
    fc.record({ k: fc.constant('map' as const), s: tie('spec') }),
    fc.record({ k: fc.constantFrom('fullJitter' as const, 'equalJitter' as const), s: tie('spec') }),
  ),
}))

/** Inputs (errors): small numbers, so that whileInput / untilInput sometimes stop, and the failures policies name. */
const inputsArb = fc.array(fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 20 }) }, failure), {
  minLength: 0,
  maxLength: 25,
})
/** A constant draw: laws that reorder schedules must not depend on the order of draws. */
const drawArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
/** Any random source, faulty ones included: a printable description, made into a fresh source per run. */
type RandomSpec = { readonly constant: number } | { readonly seed: number }
const randomArb: fc.Arbitrary<RandomSpec> = fc.oneof(
  drawArb.map((constant) => ({ constant })),
  fc.integer().map((seed) => ({ seed })),
  fc.constantFrom(NaN, 1, 2, -1, Infinity, -Infinity).map((constant) => ({ constant })),
)
/** Constant sources only: comparing a jittered schedule with its plain self needs the inner draws to agree. */
const constantArb: fc.Arbitrary<RandomSpec> = fc
  .oneof(drawArb, fc.constantFrom(NaN, 1, 2, -1, Infinity, -Infinity))
  .map((constant) => ({ constant }))
const source = (spec: RandomSpec): (() => number) => {
  if ('constant' in spec) return () => spec.constant
  let state = spec.seed >>> 0
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32
}

/**
 * What a law compares: the delays granted and whether the schedule ended within the inputs. `r` is a constant
 * draw, or a description of a source (seeded or faulty), made afresh for each call so that both sides of a law
 * see the same sequence of draws.
 */
const behaviour = (spec: Spec | S, inputs: ReadonlyArray<unknown>, r: number | RandomSpec) => {
  const random = typeof r === 'number' ? () => r : source(r)
  const steps = Schedule.trace(sched(spec), inputs, { random })
  return {
    delays: steps.filter((x) => x._tag === 'Continue').map((x) => x.delay),
    ended: steps.at(-1)?._tag === 'Done',
  }
}

/**
 * Steps a schedule directly, without the sanitizing of `trace`, with attempts that take `durations` ms.
 * With `advance` false, time does not move with the delays: to compare a schedule with a rewrite of its delays
 * step by step (an inner `upTo` then sees the same elapsed time in both).
 */
const rawDecisions = (
  spec: Spec | S,
  inputs: ReadonlyArray<unknown>,
  random: RandomSpec | (() => number),
  durations: ReadonlyArray<number> = [],
  advance = true,
) => {
  const s = sched(spec)
  const next = typeof random === 'function' ? random : source(random)
  const out: Array<{ readonly elapsed: number; readonly decision: Schedule.Decision<unknown, unknown> }> = []
  let state = s.initial
  let elapsed = 0
  for (const [i, input] of inputs.entries()) {
    elapsed += durations[i] ?? 0
    const decision = s.step(state, input, { elapsed, random: next })
    out.push({ elapsed, decision })
    if (decision._tag === 'Done') break
    state = decision.state
    // as the driver does: a bad delay is slept as 0 (or MAX_DELAY)
    if (advance) elapsed += decision.delay > 0 ? Math.min(decision.delay, Schedule.MAX_DELAY) : 0
  }
  return out
}

const delaysOf = (ds: ReturnType<typeof rawDecisions>) =>
  ds.flatMap(({ decision }) => (decision._tag === 'Continue' ? [decision.delay] : []))

const sched = (x: Spec | S): S => ('k' in x ? build(x) : x)
const intersect = (a: Spec | S, b: Spec | S): S => pipe(sched(a), Schedule.intersect(sched(b)))
const union = (a: Spec | S, b: Spec | S): S => pipe(sched(a), Schedule.union(sched(b)))
const andThen = (a: Spec | S, b: Spec | S): S => pipe(sched(a), Schedule.andThen(sched(b)))

describe('laws', () => {
  // Associativity, identities and map keep the order in which the schedules draw, so they must hold for any
  // random source: seeded, constant or faulty. Commutativity swaps that order, so it is checked with constant draws.
  it('intersect is associative (delays and end), for any random source', () => {
    fc.assert(
      fc.property(specArb, specArb, specArb, inputsArb, randomArb, (a, b, c, inputs, r) => {
        expect(behaviour(intersect(intersect(a, b), c), inputs, r)).toEqual(
          behaviour(intersect(a, intersect(b, c)), inputs, r),
        )
      }),
    )
  })

  it('intersect is commutative (delays and end)', () => {
    fc.assert(
      fc.property(specArb, specArb, inputsArb, drawArb, (a, b, inputs, r) => {
        expect(behaviour(intersect(a, b), inputs, r)).toEqual(behaviour(intersect(b, a), inputs, r))
      }),
    )
  })

  it('union is associative (delays and end), for any random source', () => {
    fc.assert(
      fc.property(specArb, specArb, specArb, inputsArb, randomArb, (a, b, c, inputs, r) => {
        expect(behaviour(union(union(a, b), c), inputs, r)).toEqual(behaviour(union(a, union(b, c)), inputs, r))
      }),
    )
  })

  it('union is commutative (delays and end)', () => {
    fc.assert(
      fc.property(specArb, specArb, inputsArb, drawArb, (a, b, inputs, r) => {
        expect(behaviour(union(a, b), inputs, r)).toEqual(behaviour(union(b, a), inputs, r))
      }),
    )
  })

  it('forever is the identity of intersect, on both sides (delays and end), for any random source', () => {
    fc.assert(
      fc.property(specArb, inputsArb, randomArb, (s, inputs, r) => {
        const expected = behaviour(s, inputs, r)
        expect(behaviour(intersect(s, Schedule.forever), inputs, r)).toEqual(expected)
        expect(behaviour(intersect(Schedule.forever, s), inputs, r)).toEqual(expected)
      }),
    )
  })

  it('stop is the identity of union, on both sides (delays and end), for any random source', () => {
    fc.assert(
      fc.property(specArb, inputsArb, randomArb, (s, inputs, r) => {
        const expected = behaviour(s, inputs, r)
        expect(behaviour(union(s, Schedule.stop), inputs, r)).toEqual(expected)
        expect(behaviour(union(Schedule.stop, s), inputs, r)).toEqual(expected)
      }),
    )
  })

  it('andThen is associative (delays and end), for any random source', () => {
    fc.assert(
      fc.property(specArb, specArb, specArb, inputsArb, randomArb, (a, b, c, inputs, r) => {
        expect(behaviour(andThen(andThen(a, b), c), inputs, r)).toEqual(behaviour(andThen(a, andThen(b, c)), inputs, r))
      }),
    )
  })

  it('map never changes delays nor when the schedule ends, for any random source', () => {
    fc.assert(
      fc.property(specArb, inputsArb, randomArb, (s, inputs, r) => {
        const mapped = pipe(
          sched(s),
          Schedule.map((out) => ({ wrapped: out })),
        )
        expect(behaviour(mapped, inputs, r)).toEqual(behaviour(s, inputs, r))
      }),
    )
  })
})

/** Delays and end of a schedule stepped with time standing still (see `rawDecisions`). */
const still = (s: Spec | S, inputs: ReadonlyArray<unknown>, r: number) => {
  const ds = rawDecisions(s, inputs, () => r, [], false)
  return { delays: delaysOf(ds), ended: ds.at(-1)?.decision._tag === 'Done' }
}

/** The output of every step (the final *done* included) of a schedule stepped with time standing still. */
const outsStill = (s: Spec | S, inputs: ReadonlyArray<unknown>, r: number): ReadonlyArray<unknown> =>
  rawDecisions(s, inputs, () => r, [], false).map(({ decision }) => decision.out)

describe('definitions, step by step', () => {
  it('intersect waits the longer delay and ends as soon as either ends', () => {
    fc.assert(
      fc.property(specArb, specArb, inputsArb, drawArb, (a, b, inputs, r) => {
        const left = still(a, inputs, r)
        const right = still(b, inputs, r)
        const both = still(intersect(a, b), inputs, r)
        const n = Math.min(left.delays.length, right.delays.length)
        expect(both.delays).toEqual(left.delays.slice(0, n).map((d, i) => Math.max(d, right.delays[i] ?? NaN)))
        expect(both.ended).toBe(left.ended || right.ended)
        // the output pairs the two outputs of the same step, the final one included
        const leftOuts = outsStill(a, inputs, r)
        const rightOuts = outsStill(b, inputs, r)
        const steps = Math.min(leftOuts.length, rightOuts.length)
        expect(outsStill(intersect(a, b), inputs, r)).toEqual(leftOuts.slice(0, steps).map((o, i) => [o, rightOuts[i]]))
      }),
    )
  })

  it('union waits the shorter delay of those continuing and ends when both have ended', () => {
    fc.assert(
      fc.property(specArb, specArb, inputsArb, drawArb, (a, b, inputs, r) => {
        const left = still(a, inputs, r)
        const right = still(b, inputs, r)
        const either = still(union(a, b), inputs, r)
        const n = Math.max(left.delays.length, right.delays.length)
        const expected = Array.from({ length: n }, (_, i) =>
          Math.min(left.delays[i] ?? Infinity, right.delays[i] ?? Infinity),
        )
        expect(either.delays).toEqual(expected)
        expect(either.ended).toBe(left.ended && right.ended)
        // the output pairs each side's latest output: a side that is done keeps its last one
        const leftOuts = outsStill(a, inputs, r)
        const rightOuts = outsStill(b, inputs, r)
        const latest = (outs: ReadonlyArray<unknown>, i: number) => outs[Math.min(i, outs.length - 1)]
        expect(outsStill(union(a, b), inputs, r)).toEqual(
          Array.from({ length: Math.max(leftOuts.length, rightOuts.length) }, (_, i) => [
            latest(leftOuts, i),
            latest(rightOuts, i),
          ]),
        )
      }),
    )
  })

  it('andThen runs self to its end, then that from its start on the same input', () => {
    fc.assert(
      fc.property(specArb, specArb, inputsArb, drawArb, (a, b, inputs, r) => {
        const first = still(a, inputs, r)
        const sequenced = still(andThen(a, b), inputs, r)
        if (!first.ended) expect(sequenced).toEqual(first)
        else {
          const second = still(b, inputs.slice(first.delays.length), r)
          expect(sequenced).toEqual({ delays: [...first.delays, ...second.delays], ended: second.ended })
          // outputs: self's while it continues, then that's from the step on which self ended
          expect(outsStill(andThen(a, b), inputs, r)).toEqual([
            ...outsStill(a, inputs, r).slice(0, first.delays.length),
            ...outsStill(b, inputs.slice(first.delays.length), r),
          ])
        }
      }),
    )
  })
})

describe('bounds', () => {
  it('no step of any generated schedule yields a NaN, negative, infinite or over-MAX_DELAY delay', () => {
    fc.assert(
      fc.property(
        specArb,
        inputsArb,
        randomArb,
        fc.array(fc.double({ min: 0, max: 1e7, noNaN: true })),
        (s, inputs, random, durations) => {
          for (const { decision } of rawDecisions(s, inputs, random, durations))
            if (decision._tag === 'Continue') {
              expect(Number.isFinite(decision.delay)).toBe(true)
              expect(decision.delay).toBeGreaterThanOrEqual(0)
              expect(decision.delay).toBeLessThanOrEqual(Schedule.MAX_DELAY)
            }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('capDelay never yields a delay above its cap and never turns done into continue', () => {
    fc.assert(
      fc.property(specArb, delayArb, inputsArb, drawArb, (s, max, inputs, r) => {
        const capped = rawDecisions(pipe(sched(s), Schedule.capDelay(max)), inputs, () => r, [], false)
        const plain = rawDecisions(s, inputs, () => r, [], false)
        expect(capped.map((x) => x.decision._tag)).toEqual(plain.map((x) => x.decision._tag))
        for (const d of delaysOf(capped)) expect(d).toBeLessThanOrEqual(max)
        // exactly min(delay, max), outputs untouched
        expect(delaysOf(capped)).toEqual(delaysOf(plain).map((d) => Math.min(d, max)))
        expect(capped.map((x) => x.decision.out)).toEqual(plain.map((x) => x.decision.out))
      }),
    )
  })

  it('jittered(min, max) keeps each delay within [d * min, d * max] of the delay it jitters', () => {
    fc.assert(
      fc.property(
        specArb,
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        inputsArb,
        constantArb,
        (s, lo, spread, inputs, random) => {
          const hi = lo + spread
          const plain = delaysOf(rawDecisions(s, inputs, random, [], false))
          const jittered = delaysOf(rawDecisions(pipe(sched(s), Schedule.jittered(lo, hi)), inputs, random, [], false))
          expect(jittered).toHaveLength(plain.length)
          jittered.forEach((d, i) => {
            const base = plain[i] ?? NaN
            expect(d).toBeGreaterThanOrEqual(Math.min(base * lo, Schedule.MAX_DELAY))
            expect(d).toBeLessThanOrEqual(Math.min(base * hi, Schedule.MAX_DELAY))
          })
        },
      ),
    )
  })

  it('jitter puts each delay where the draw says: d(min + r(max - min)), d·r, d/2 + r·d/2', () => {
    const near = (actual: number | undefined, expected: number) => {
      const e = Math.min(expected, Schedule.MAX_DELAY)
      expect(Math.abs((actual ?? NaN) - e)).toBeLessThanOrEqual(1e-9 * Math.max(1, e))
    }
    // factors spread evenly over [0, 3] (fc.double favours the ends, where a wrong formula can hide)
    const factorArb = fc.integer({ min: 0, max: 300 }).map((n) => n / 100)
    fc.assert(
      fc.property(specArb, factorArb, factorArb, inputsArb, drawArb, (s, lo, spread, inputs, r) => {
        const draw = () => r
        const plain = delaysOf(rawDecisions(s, inputs, draw, [], false))
        const at = (f: (self: S) => S) => delaysOf(rawDecisions(f(sched(s)), inputs, draw, [], false))
        const jittered = at(Schedule.jittered(lo, lo + spread))
        const full = at(Schedule.fullJitter)
        const equal = at(Schedule.equalJitter)
        plain.forEach((d, i) => {
          near(jittered[i], d * (lo + r * spread))
          near(full[i], d * r)
          near(equal[i], d / 2 + (d / 2) * r)
        })
      }),
    )
  })

  it('fullJitter keeps each delay within [0, d], equalJitter within [d/2, d]', () => {
    fc.assert(
      fc.property(specArb, inputsArb, constantArb, (s, inputs, random) => {
        const plain = delaysOf(rawDecisions(s, inputs, random, [], false))
        const full = delaysOf(rawDecisions(pipe(sched(s), Schedule.fullJitter), inputs, random, [], false))
        const equal = delaysOf(rawDecisions(pipe(sched(s), Schedule.equalJitter), inputs, random, [], false))
        expect(full).toHaveLength(plain.length)
        expect(equal).toHaveLength(plain.length)
        plain.forEach((d, i) => {
          expect(full[i]).toBeGreaterThanOrEqual(0)
          expect(full[i]).toBeLessThanOrEqual(d)
          expect(equal[i]).toBeGreaterThanOrEqual(d / 2)
          expect(equal[i]).toBeLessThanOrEqual(d)
        })
      }),
    )
  })

  it('decorrelatedJitter stays within [base, cap] for any random source', () => {
    fc.assert(
      fc.property(delayArb, delayArb, randomArb, fc.integer({ min: 1, max: 50 }), (base, extra, random, n) => {
        const cap = Math.min(base + extra, Number.MAX_VALUE)
        const delays = delaysOf(rawDecisions(Schedule.decorrelatedJitter(base, cap), Array(n).fill(0), random))
        expect(delays).toHaveLength(n)
        for (const d of delays) {
          expect(d).toBeGreaterThanOrEqual(Math.min(base, Schedule.MAX_DELAY))
          expect(d).toBeLessThanOrEqual(Math.min(cap, Schedule.MAX_DELAY))
        }
      }),
    )
  })

  it('upTo never grants a delay that ends past the deadline, however long attempts take', () => {
    fc.assert(
      fc.property(
        specArb,
        delayArb,
        inputsArb,
        randomArb,
        fc.array(fc.double({ min: 0, max: 5000, noNaN: true })),
        (s, deadline, inputs, random, durations) => {
          const decisions = rawDecisions(pipe(sched(s), Schedule.upTo(deadline)), inputs, random, durations)
          for (const { elapsed, decision } of decisions)
            if (decision._tag === 'Continue') expect(elapsed + decision.delay).toBeLessThanOrEqual(deadline)
        },
      ),
    )
  })

  it('upTo(d) is done exactly on the first step whose elapsed time plus delay exceeds d, and changes nothing before', () => {
    fc.assert(
      fc.property(
        specArb,
        delayArb,
        fc.option(fc.nat(), { nil: undefined }),
        inputsArb,
        randomArb,
        fc.array(fc.oneof(fc.integer({ min: 0, max: 500 }), fc.double({ min: 0, max: 5000, noNaN: true }))),
        (s, someDeadline, boundary, inputs, random, durations) => {
          const plain = rawDecisions(s, inputs, random, durations)
          // often the deadline falls exactly where a granted retry would start: that attempt is still allowed
          const granted = plain.flatMap((x) => (x.decision._tag === 'Continue' ? [x.elapsed + x.decision.delay] : []))
          const deadline =
            boundary === undefined || granted.length === 0
              ? someDeadline
              : (granted[boundary % granted.length] ?? someDeadline)
          const limited = rawDecisions(pipe(sched(s), Schedule.upTo(deadline)), inputs, random, durations)
          limited.forEach(({ elapsed, decision }, i) => {
            const own = plain[i]
            expect(own?.elapsed).toBe(elapsed)
            if (own?.decision._tag === 'Continue' && elapsed + own.decision.delay <= deadline)
              expect(decision).toEqual(own.decision)
            else {
              expect(decision).toEqual({ _tag: 'Done', out: own?.decision.out })
              expect(i).toBe(limited.length - 1)
            }
          })
          // it stops only where it must: while self continues within the deadline, so does upTo
          const stop = plain.findIndex((x) => x.decision._tag === 'Done' || x.elapsed + x.decision.delay > deadline)
          expect(limited.length).toBe(stop < 0 ? plain.length : stop + 1)
        },
      ),
    )
  })

  it('upTo only ever ends a schedule earlier: it grants a prefix of the delays', () => {
    fc.assert(
      fc.property(specArb, delayArb, inputsArb, drawArb, (s, deadline, inputs, r) => {
        const plain = behaviour(s, inputs, r).delays
        const limited = behaviour(pipe(sched(s), Schedule.upTo(deadline)), inputs, r).delays
        expect(limited).toEqual(plain.slice(0, limited.length))
      }),
    )
  })
})

describe('hostile make steps never disable a protection', () => {
  const sane = (d: number) => Number.isFinite(d) && d >= 0 && d <= Schedule.MAX_DELAY

  it('intersect, union and capDelay over any schedule yield only sane delays, and capDelay still caps', () => {
    fc.assert(
      fc.property(hostileSpecArb, hostileSpecArb, delayArb, inputsArb, drawArb, (a, b, max, inputs, r) => {
        for (const s of [intersect(a, b), union(a, b)])
          for (const d of delaysOf(rawDecisions(s, inputs, () => r))) expect(sane(d)).toBe(true)
        for (const d of delaysOf(rawDecisions(pipe(sched(a), Schedule.capDelay(max)), inputs, () => r)))
          expect(d).toBeLessThanOrEqual(max)
      }),
    )
  })

  it('a bad delay counts as 0 where delays are combined: intersect with spaced(100) still waits 100', () => {
    fc.assert(
      fc.property(fc.constantFrom(NaN, -1, -Infinity), inputsArb, (bad, inputs) => {
        const s = intersect({ k: 'hostile', delay: bad }, Schedule.spaced(100))
        for (const d of delaysOf(rawDecisions(s, inputs, () => 0.5))) expect(d).toBe(100)
      }),
    )
  })

  it('upTo(d) over any schedule still ends before the deadline once attempts take time', () => {
    fc.assert(
      fc.property(
        hostileSpecArb,
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 50 }),
        (s, deadline, duration) => {
          const inputs = Array<number>(Math.ceil(deadline / duration) + 5).fill(0)
          const decisions = rawDecisions(
            pipe(sched(s), Schedule.upTo(deadline)),
            inputs,
            () => 0.5,
            Array(inputs.length).fill(duration),
          )
          // it ends within the inputs: every attempt takes `duration`, so the deadline is reached
          expect(decisions.at(-1)?.decision._tag).toBe('Done')
          for (const { elapsed, decision } of decisions)
            if (decision._tag === 'Continue')
              expect(
                elapsed + (decision.delay > 0 ? Math.min(decision.delay, Schedule.MAX_DELAY) : 0),
              ).toBeLessThanOrEqual(deadline)
        },
      ),
    )
  })
})
