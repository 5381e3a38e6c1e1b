/**
 * The properties of the policy language, over random policies generated from `Policy.grammar`
 * (test/policy-arbitrary.ts): every combinator of the table, and the shorthand, is covered without being named here.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { describe, expect, it } from 'vitest'
import { Random, Schedule } from '../src/index'
import * as Policy from '../src/Policy'
import {
  BACKOFF,
  RENAMED,
  decisions,
  failure,
  handBuilt,
  namesake,
  nodeOfCombinator,
  policy,
  run,
  shorthand,
} from './policy-arbitrary'

const decoded = (json: unknown): Policy.Policy => {
  const result = Policy.decode(json)
  if (E.isLeft(result)) throw new Error(`expected a valid policy: ${result.left.messages.join('; ')}`)
  return result.right
}

describe('the generator and the oracle cover the whole grammar', () => {
  it.each(Policy.grammar.combinators.map((c) => [c.name, c] as const))(
    '%s: generated, decoded, built by hand',
    (name, c) => {
      for (const json of fc.sample(nodeOfCombinator(c), { numRuns: 20, seed: 42 })) {
        expect(Object.keys(json)).toContain(name)
        expect(Policy.decode(json)).toEqual(E.right(json))
        expect(() => handBuilt(json)).not.toThrow()
      }
      // its schedule is its namesake in Schedule, or spelt out in RENAMED
      if (RENAMED[name] === undefined) expect(() => namesake(name)).not.toThrow()
    },
  )

  it('every shorthand key is generated, and every backoff has its leaf', () => {
    const seen = new Set(fc.sample(shorthand, { numRuns: 300, seed: 7 }).flatMap((s) => Object.keys(s)))
    expect([...seen].sort()).toEqual(Policy.grammar.shorthand.map((k) => k.key).sort())
    const backoff = Policy.grammar.shorthand.find((k) => k.key === 'backoff')?.body
    expect(backoff?._tag === 'OneOf' && [...backoff.values].sort()).toEqual(Object.keys(BACKOFF).sort())
  })
})

describe('properties of every policy', () => {
  it('decode gives back the JSON itself: encode(decode(json)) = json, decode(encode(p)) = p', () => {
    fc.assert(
      fc.property(policy, (json) => {
        const p = decoded(json)
        expect(p).toEqual(json)
        expect(Policy.encode(p)).toEqual(json)
        expect(Policy.decode(Policy.encode(p))).toEqual(E.right(p))
        expect(Policy.decodeJson(JSON.stringify(json))).toEqual(E.right(p))
        expect(Policy.is(p)).toBe(true)
        expect(Policy.codec.decode(json)).toEqual(E.right(p))
      }),
      { numRuns: 300 },
    )
  })

  it('toSchedule steps like the schedule built by hand, for any failures, attempt times and seed', () => {
    fc.assert(
      fc.property(policy, run, fc.integer(), (json, steps, seed) => {
        const fromPolicy = decisions(Policy.toSchedule(decoded(json)), steps, Random.seeded(seed))
        const byHand = decisions(handBuilt(json), steps, Random.seeded(seed))
        expect(fromPolicy).toEqual(byHand)
      }),
      { numRuns: 500 },
    )
  })

  it('so does every shorthand, alone or next to a policy that draws random numbers too', () => {
    const random = fc.constantFrom<Policy.Policy>(
      { decorrelatedJitter: { base: 10, cap: 1000 } },
      { jitter: 'full', of: { spaced: '1s' } },
    )
    const beside = fc.tuple(shorthand, random, fc.constantFrom('intersect', 'union', 'andThen'), fc.boolean())
    const json = fc.oneof(
      shorthand,
      beside.map(([s, r, list, first]) => ({ [list]: first ? [s, r] : [r, s] })),
    )
    fc.assert(
      fc.property(json, run, fc.integer(), (json, steps, seed) => {
        const fromPolicy = decisions(Policy.toSchedule(decoded(json)), steps, Random.seeded(seed))
        expect(fromPolicy).toEqual(decisions(handBuilt(json), steps, Random.seeded(seed)))
      }),
      { numRuns: 300 },
    )
  })

  it('toSchedule outputs the retry count, from 0', () => {
    fc.assert(
      fc.property(policy, fc.array(failure, { maxLength: 8 }), (json, failures) => {
        const steps = Schedule.trace(Policy.toSchedule(decoded(json)), failures, { random: Random.seeded(1) })
        expect(steps.map((s) => s.out)).toEqual(steps.map((_, i) => i))
      }),
      { numRuns: 200 },
    )
  })

  it('describe never throws, and says the policy in words, then its delays', () => {
    fc.assert(
      fc.property(policy, fc.option(failure, { nil: undefined }), (json, input) => {
        const text = Policy.describe(decoded(json), { steps: 5, input })
        expect(text).toMatch(/^[A-Z(].*\. (With random seed 1|It never retries|Stepping it)/)
        expect(text).not.toMatch(/undefined|NaN|\[object Object\]|An invalid policy/)
      }),
      { numRuns: 300 },
    )
  })
})
