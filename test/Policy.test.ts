import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import type * as TE from 'fp-ts/TaskEither'
import * as t from 'io-ts'
import { PathReporter } from 'io-ts/PathReporter'
import { describe, expect, it } from 'vitest'
import { Random, Retry, Schedule, TestClock } from '../src/index'
import * as Grpc from '../src/Grpc'
import * as Http from '../src/Http'
import * as Policy from '../src/Policy'
import { decisions, policy, run } from './policy-arbitrary'

const FAILURES: ReadonlyArray<unknown> = Array(15).fill('boom')

const decoded = (input: unknown): Policy.Policy => {
  const result = Policy.decode(input)
  if (E.isLeft(result)) throw new Error(`expected a valid policy: ${result.left.messages.join('; ')}`)
  return result.right
}

const delaysOf = (input: unknown, random: () => number = Math.random): ReadonlyArray<number> =>
  Schedule.simulate(Policy.toSchedule(decoded(input)), FAILURES, { random })

const messagesOf = (input: unknown): ReadonlyArray<string> =>
  E.match<Policy.PolicyError, Policy.Policy, ReadonlyArray<string>>(
    (e) => e.messages,
    () => [],
  )(Policy.decode(input))

/** Every path to a value inside a JSON document, for mutation. */
const paths = (
  json: unknown,
  here: ReadonlyArray<string | number> = [],
): ReadonlyArray<ReadonlyArray<string | number>> =>
  Array.isArray(json)
    ? [here, ...json.flatMap((item, i) => paths(item, [...here, i]))]
    : typeof json === 'object' && json !== null
      ? [here, ...Object.entries(json).flatMap(([k, v]) => paths(v, [...here, k]))]
      : [here]

const replaceAt = (json: unknown, path: ReadonlyArray<string | number>, value: unknown): unknown => {
  const [head, ...rest] = path
  if (head === undefined) return value
  if (Array.isArray(json)) return json.map((item, i) => (i === head ? replaceAt(item, rest, value) : item))
  const record = json as Record<string, unknown>
  return { ...record, [head]: replaceAt(record[head], rest, value) }
}

/** The HTTP policy of the README's quick start, and the same policy as JSON (as docs/policies.md shows it). */
const README = pipe(
  Schedule.exponential(100),
  Schedule.jittered(),
  Schedule.capDelay(2_000),
  Schedule.intersect(Schedule.recurs(5)),
  Schedule.whileInput(Http.isTransient),
  Schedule.waitForHint(5_000),
  Schedule.upTo(10_000),
)
const README_POLICY = {
  upTo: '10s',
  of: {
    waitForHint: '5s',
    of: {
      retryOn: 'transient',
      of: {
        intersect: [
          { cap: '2s', of: { jitter: { min: 0.8, max: 1.2 }, of: { exponential: { base: '100ms' } } } },
          { recurs: 5 },
        ],
      },
    },
  },
}

const READABLE = /^at policy(\.[A-Za-z_$][\w$]*|\[\d+\])*: (expected |unexpected key |could not be read )/

const expectRightOrReadableLeft = (input: unknown) => {
  const result = Policy.decode(input)
  if (E.isLeft(result)) {
    expect(result.left._tag).toBe('PolicyError')
    expect(result.left.messages.length).toBeGreaterThanOrEqual(1)
    for (const message of result.left.messages) {
      expect(message).toMatch(READABLE)
      expect(message).not.toContain('[object Object]')
    }
  } else {
    expect(Policy.is(result.right)).toBe(true)
    // a decoded policy always builds, and its delays stay sane: finite and never negative
    const delays = Schedule.simulate(Policy.toSchedule(result.right), FAILURES, { random: Random.seeded(1) })
    for (const d of delays) expect(Number.isFinite(d) && d >= 0).toBe(true)
  }
}

// -------------------------------------------------------------------------------------
// round trips
// -------------------------------------------------------------------------------------

describe('round trips', () => {
  // decode(encode(p)) = p for random policies of every combinator: test/policy-laws.test.ts
  it('keeps the spelling of durations', () => {
    const json = { fromDelays: ['100ms', 100, '0.1s', '.1s', '1h30m'] }
    expect(Policy.encode(decoded(json))).toEqual(json)
  })

  it('keeps optional fields absent, and present when written with their default value', () => {
    expect(Policy.encode(decoded({ exponential: { base: '1s' } }))).toEqual({ exponential: { base: '1s' } })
    expect(Policy.encode(decoded({ exponential: { base: '1s', factor: 2 } }))).toEqual({
      exponential: { base: '1s', factor: 2 },
    })
  })
})

// -------------------------------------------------------------------------------------
// fuzz
// -------------------------------------------------------------------------------------

describe('decoding never throws', () => {
  it('any JSON value gives Right or a Left with readable messages', () => {
    fc.assert(fc.property(fc.jsonValue(), expectRightOrReadableLeft), { numRuns: 1000 })
  })

  it('any JavaScript value gives Right or a Left with readable messages', () => {
    const anything = fc.anything({
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
    })
    fc.assert(fc.property(anything, expectRightOrReadableLeft), { numRuns: 1000 })
  })

  it('a valid policy with one part replaced by anything gives Right or a Left with readable messages', () => {
    const mutated = policy.chain((json) => {
      const all = paths(json)
      return fc
        .tuple(fc.nat({ max: all.length - 1 }), fc.oneof(fc.jsonValue(), fc.anything()))
        .map(([i, value]) => replaceAt(json, all[i] ?? [], value))
    })
    fc.assert(fc.property(mutated, expectRightOrReadableLeft), { numRuns: 1000 })
  })

  it('a value whose getter throws is refused with a message', () => {
    const hostile = {
      get spaced(): unknown {
        throw new Error('boom')
      },
    }
    expect(messagesOf(hostile)).toEqual(['at policy: could not be read (boom)'])
  })

  it('a proxy whose traps throw is refused with a message', () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('no keys for you')
        },
      },
    )
    expect(messagesOf(hostile)).toEqual(['at policy: could not be read (no keys for you)'])
  })

  it('nesting too deep for the stack is refused with a message naming the limit', () => {
    let deep: unknown = { recurs: 1 }
    for (let i = 0; i < 1_000_000; i++) deep = { cap: '1s', of: deep }
    const messages = messagesOf(deep)
    expect(messages).toHaveLength(1)
    expect(messages[0]).toMatch(
      /^at policy: expected policies nested at most 100 deep \(Policy\.MAX_DEPTH, the limit on untrusted policies\), got deeper \(at policy\.of\.of.*….*\.of\)$/,
    )
  })
})

// -------------------------------------------------------------------------------------
// limits on untrusted policies
// -------------------------------------------------------------------------------------

describe('limits on untrusted policies', () => {
  const LIMIT = 'the limit on untrusted policies'
  /** `depth` policies on one path: caps around a recurs. */
  const chain = (depth: number, leaf: unknown = { recurs: 3 }): unknown => {
    let json = leaf
    for (let i = 1; i < depth; i++) json = { cap: '1s', of: json }
    return json
  }

  it('are 1000 policies, nested 100 deep, and 10000 delays', () => {
    expect([Policy.MAX_POLICIES, Policy.MAX_DEPTH, Policy.MAX_DELAYS]).toEqual([1000, 100, 10_000])
  })

  it('a policy at every limit decodes, is recognised, describes itself, builds and runs', async () => {
    const wide = { intersect: [{ recurs: 3 }, ...Array(998).fill({ spaced: '1ms' })] }
    const long = { fromDelays: Array(10_000).fill(1) }
    const deep = chain(100)
    for (const json of [wide, long, deep]) {
      const p = decoded(json)
      expect(Policy.is(p)).toBe(true)
      expect(Policy.describe(p)).toMatch(/With random seed 1/)
      expect(Policy.encode(p)).toEqual(json)
    }
    expect(delaysOf(wide)).toEqual([1, 1, 1])
    expect(Schedule.simulate(Policy.toSchedule(decoded(long)), Array(10_001).fill(0))).toHaveLength(10_000)
    expect(delaysOf(deep)).toEqual([0, 0, 0])
    // and under the retry driver: 4 attempts, 3 retries of 1 ms
    const clock = TestClock.make()
    let attempts = 0
    const run = Retry.retrying(Policy.toSchedule(decoded(wide)), { clock })(async () => {
      attempts++
      return E.left('boom')
    })()
    await clock.runAll()
    expect(await run).toEqual(E.left('boom'))
    expect(attempts).toBe(4)
  })

  it('one policy too many is refused, naming the limit, in one list or in all', () => {
    expect(messagesOf({ intersect: Array(20_000).fill({ recurs: 1 }) })).toEqual([
      `at policy.intersect: expected at most 1000 policies (Policy.MAX_POLICIES, ${LIMIT}), got an array of 20000`,
    ])
    expect(messagesOf({ union: Array(1000).fill({ recurs: 1 }) })).toEqual([
      `at policy.union: expected at most 1000 policies in all (Policy.MAX_POLICIES, ${LIMIT}), got 1001 up to here`,
    ])
    const half = { intersect: Array(600).fill({ recurs: 1 }) }
    expect(messagesOf({ union: [half, half] })).toEqual([
      `at policy.union[1].intersect: expected at most 1000 policies in all (Policy.MAX_POLICIES, ${LIMIT}), got 1203 up to here`,
    ])
  })

  it('one delay too many is refused, naming the limit, in one list or in all', () => {
    expect(messagesOf({ fromDelays: Array(300_000).fill(1) })).toEqual([
      `at policy.fromDelays: expected at most 10000 delays (Policy.MAX_DELAYS, ${LIMIT}), got an array of 300000`,
    ])
    const some = { fromDelays: Array(6000).fill('1s') }
    expect(messagesOf({ andThen: [some, some] })).toEqual([
      `at policy.andThen[1].fromDelays: expected at most 10000 delays in all (Policy.MAX_DELAYS, ${LIMIT}), got 12000 up to here`,
    ])
  })

  it('one level too deep is refused, naming the limit and where, however deep or cyclic the input', () => {
    const message = `at policy: expected policies nested at most 100 deep (Policy.MAX_DEPTH, ${LIMIT}), got deeper (at policy.of.of.of.of.of.of.of.of.of.of.o…of.of.of.of.of.of.of.of.of.of.of.of.of)`
    expect(messagesOf(chain(101))).toEqual([message])
    expect(messagesOf(chain(1_000_000))).toEqual([message])
    const cyclic: Record<string, unknown> = { cap: '1s' }
    cyclic['of'] = cyclic
    expect(messagesOf(cyclic)).toEqual([message])
    const lists: Record<string, unknown> = { andThen: [] }
    lists['andThen'] = [{ recurs: 1 }, lists]
    expect(messagesOf(lists)).toEqual([
      `at policy: expected policies nested at most 100 deep (Policy.MAX_DEPTH, ${LIMIT}), got deeper (at policy.andThen[1].andThen[1].andThen[1…en[1].andThen[1].andThen[1].andThen[0])`,
    ])
  })

  it('a value that is not a policy at the deepest level still gets its own message', () => {
    const [message] = messagesOf(chain(100, 5))
    expect(message).toMatch(/^at policy(\.of){99}: expected a policy \(.*\), got 5$/)
  })

  it('applies inside a bigger codec, with the path it sits under', () => {
    const result = t.type({ retry: Policy.codec }).decode({ retry: { fromDelays: Array(10_001).fill(1) } })
    expect(E.isLeft(result) && result.left.map((e) => e.message)).toEqual([
      `at retry.fromDelays: expected at most 10000 delays (Policy.MAX_DELAYS, ${LIMIT}), got an array of 10001`,
    ])
  })

  it('decodeJson refuses JSON text nested deeper than 500 before parsing it', () => {
    expect(Policy.decodeJson('['.repeat(100_000))).toEqual(
      E.left({
        _tag: 'PolicyError',
        messages: [
          `at policy: expected JSON text nested at most 500 deep, got "${'['.repeat(58)}… (nested deeper at position 500)`,
        ],
      }),
    )
  })

  it('Policy.is applies the same limits, and toSchedule throws a RangeError naming them on a policy written in code', () => {
    const wide: Policy.Policy = { union: Array(1001).fill({ recurs: 1 }) }
    const long: Policy.Policy = { fromDelays: Array(10_001).fill(1) }
    let deep: Policy.Policy = { recurs: 1 }
    for (let i = 0; i < 100; i++) deep = { cap: 1, of: deep }
    expect([wide, long, deep].map(Policy.is)).toEqual([false, false, false])
    expect(() => Policy.toSchedule(wide)).toThrow(
      new RangeError(
        `Policy.toSchedule: self must be a policy that Policy.decode accepts, got one it refuses: at self.union: expected at most 1000 policies (Policy.MAX_POLICIES, ${LIMIT}), got an array of 1001`,
      ),
    )
    expect(() => Policy.toSchedule(long)).toThrow(
      /at self\.fromDelays: expected at most 10000 delays \(Policy\.MAX_DELAYS/,
    )
    expect(() => Policy.toSchedule(deep)).toThrow(/policies nested at most 100 deep \(Policy\.MAX_DEPTH/)
    expect(Policy.describe(wide)).toMatch(
      /^An invalid policy \(Policy\.describe: self must be a policy that Policy\.decode accepts/,
    )
  })

  it('toSchedule refuses, like decode, a policy written in code that breaks a rule, with every message counted', () => {
    expect(() => Policy.toSchedule({ recurs: -1 })).toThrow(
      new RangeError(
        'Policy.toSchedule: self must be a policy that Policy.decode accepts, got one it refuses: at self.recurs: expected a non-negative integer, got -1',
      ),
    )
    expect(() => Policy.toSchedule({ andThen: [{ recurs: -1 }, { spaced: 'soon' }] })).toThrow(/ \(and 1 more\)$/)
  })
})

// -------------------------------------------------------------------------------------
// malformed inputs and their exact messages
// -------------------------------------------------------------------------------------

const POLICY =
  'a policy (an object with one of the keys "exponential", "fibonacci", "linear", "spaced", "recurs", "fromDelays", "decorrelatedJitter", "fixed", "windowed", "intersect", "union", "andThen", "jitter", "cap", "upTo", "retryOn", "giveUpOn", "waitForHint" or "resetAfter", or with shorthand keys among "backoff", "base", "factor", "max", "jitter", "retries", "retryOn", "waitForHint" and "deadline")'
const CONDITION = '"transient", { "status": [<HTTP status>, ...] } or { "tag": [<string>, ...] }'
const DURATION = 'a duration (milliseconds, or a string like "250ms", "1.5s", "2m", "1h30m")'

describe('malformed inputs', () => {
  it.each<[string, unknown, ReadonlyArray<string>]>([
    ['a number', 42, [`at policy: expected ${POLICY}, got 42`]],
    ['null', null, [`at policy: expected ${POLICY}, got null`]],
    ['an array', [{ recurs: 1 }], [`at policy: expected ${POLICY}, got [{"recurs":1}]`]],
    ['an empty object', {}, [`at policy: expected ${POLICY}, got {}`]],
    ['an unknown key', { foo: 1 }, [`at policy: expected ${POLICY}, got {"foo":1}`]],
    [
      'a negative recurs inside intersect',
      { intersect: [{ spaced: '1s' }, { recurs: -3 }] },
      ['at policy.intersect[1].recurs: expected a non-negative integer, got -3'],
    ],
    ['a fractional recurs', { recurs: 1.5 }, ['at policy.recurs: expected a non-negative integer, got 1.5']],
    ['a recurs as a string', { recurs: '3' }, ['at policy.recurs: expected a non-negative integer, got "3"']],
    [
      'a duration without unit',
      { spaced: '100' },
      [`at policy.spaced: expected ${DURATION}, got "100" (add a unit: "100ms" or "100s")`],
    ],
    ['a duration in words', { spaced: '10 seconds' }, [`at policy.spaced: expected ${DURATION}, got "10 seconds"`]],
    ['a negative duration', { linear: -5 }, [`at policy.linear: expected ${DURATION}, got -5`]],
    [
      'a negative duration string',
      { fibonacci: '-1s' },
      [`at policy.fibonacci: expected ${DURATION}, got "-1s" (a duration cannot be negative)`],
    ],
    ['a NaN duration', { spaced: NaN }, [`at policy.spaced: expected ${DURATION}, got NaN`]],
    ['an infinite duration', { spaced: Infinity }, [`at policy.spaced: expected ${DURATION}, got Infinity`]],
    [
      'a factor below 1',
      { exponential: { base: '100ms', factor: 0.5 } },
      ['at policy.exponential.factor: expected a number >= 1, got 0.5'],
    ],
    [
      'exponential without a base',
      { exponential: { factor: 2 } },
      [`at policy.exponential.base: expected ${DURATION}, but the key is missing`],
    ],
    [
      'exponential given a duration',
      { exponential: '100ms' },
      ['at policy.exponential: expected an object { "base": <duration>, "factor"?: <number >= 1> }, got "100ms"'],
    ],
    [
      'a typo inside exponential',
      { exponential: { base: '100ms', factr: 2 } },
      ['at policy.exponential: unexpected key "factr" (did you mean "factor"?)'],
    ],
    [
      'two combinators in one object',
      { spaced: '1s', recurs: 3 },
      [
        'at policy: expected exactly one combinator key, got "spaced" and "recurs" (combine policies with "intersect", "union" or "andThen")',
      ],
    ],
    [
      'a combinator mixed with shorthand keys',
      { retries: 3, spaced: '1s' },
      ['at policy: expected either one combinator or shorthand keys, got both "spaced" and "retries"'],
    ],
    [
      'a typo in a combinator key',
      { expnential: { base: 1 } },
      ['at policy: unexpected key "expnential" (did you mean "exponential"?)'],
    ],
    [
      'a typo in a shorthand key',
      { retries: 3, retires: 4 },
      ['at policy: unexpected key "retires" (did you mean "retries"?)'],
    ],
    [
      'an unknown key next to a combinator',
      { recurs: 3, of: { spaced: 1 } },
      ['at policy: unexpected key "of" (allowed here: "recurs")'],
    ],
    ['cap without of', { cap: '1s' }, ['at policy.of: expected a policy, but the key is missing']],
    ['an empty intersect', { intersect: [] }, ['at policy.intersect: expected a non-empty array of policies, got []']],
    [
      'union of a non-array',
      { union: { recurs: 1 } },
      ['at policy.union: expected a non-empty array of policies, got {"recurs":1}'],
    ],
    [
      'fromDelays of a non-array',
      { fromDelays: '1s' },
      ['at policy.fromDelays: expected an array of durations, got "1s"'],
    ],
    [
      'several problems at once',
      { andThen: [{ recurs: -1 }, 5, { fromDelays: ['1s', 'soon'] }] },
      [
        'at policy.andThen[0].recurs: expected a non-negative integer, got -1',
        `at policy.andThen[1]: expected ${POLICY}, got 5`,
        `at policy.andThen[2].fromDelays[1]: expected ${DURATION}, got "soon"`,
      ],
    ],
    [
      'jitter min above max',
      { jitter: { min: 1.2, max: 0.8 }, of: { spaced: 1 } },
      ['at policy.jitter.max: expected a number >= min (1.2), got 0.8'],
    ],
    [
      'a negative jitter min',
      { jitter: { min: -0.5, max: 1 }, of: { spaced: 1 } },
      ['at policy.jitter.min: expected a number >= 0, got -0.5'],
    ],
    [
      'an unknown jitter',
      { jitter: 'partial', of: { spaced: 1 } },
      ['at policy.jitter: expected "full", "equal" or { "min": <number>, "max": <number> }, got "partial"'],
    ],
    [
      'a decorrelated cap below its base',
      { decorrelatedJitter: { base: '1s', cap: '500ms' } },
      ['at policy.decorrelatedJitter.cap: expected a duration >= base (1s), got "500ms"'],
    ],
    [
      'a shorthand that never ends',
      { base: '100ms' },
      ['at policy: expected "retries" or "deadline" (a shorthand policy must end), got neither'],
    ],
    [
      'a shorthand backoff without base',
      { retries: 3, backoff: 'linear' },
      ['at policy.base: expected a duration (backoff "linear" needs a base), but the key is missing'],
    ],
    [
      'a shorthand deadline without any delay',
      { deadline: '30s' },
      [
        'at policy.base: expected a duration (with only a "deadline" and no delay it would retry in a tight loop), but the key is missing',
      ],
    ],
    [
      'an unknown shorthand backoff',
      { retries: 3, backoff: 'quadratic', base: 1 },
      ['at policy.backoff: expected "exponential", "fibonacci", "linear" or "constant", got "quadratic"'],
    ],
    [
      'a factor with a linear backoff',
      { retries: 3, backoff: 'linear', base: 1, factor: 3 },
      ['at policy.factor: expected no "factor" with backoff "linear" (only "exponential" has one), got 3'],
    ],
    ['negative retries', { retries: -1, base: '1s' }, ['at policy.retries: expected a non-negative integer, got -1']],
    [
      'a misspelt condition',
      { retryOn: 'transiant', of: { recurs: 1 } },
      [`at policy.retryOn: expected ${CONDITION}, got "transiant" (did you mean "transient"?)`],
    ],
    [
      'an unknown condition',
      { retryOn: 'always', of: { recurs: 1 } },
      [`at policy.retryOn: expected ${CONDITION}, got "always"`],
    ],
    [
      'an empty list of conditions',
      { retryOn: [], of: { recurs: 1 } },
      [`at policy.retryOn: expected ${CONDITION}, or a non-empty array of them, got []`],
    ],
    [
      'a status out of range, an empty tag list and a misspelt key, in one list',
      { retryOn: [{ status: [503, 5030] }, { tag: [] }, { statuses: [503] }], of: { recurs: 1 } },
      [
        'at policy.retryOn[0].status[1]: expected an HTTP status (an integer from 100 to 599), got 5030',
        'at policy.retryOn[1].tag: expected a non-empty array of tags, got []',
        'at policy.retryOn[2]: unexpected key "statuses" (did you mean "status"?)',
      ],
    ],
    [
      'a status and a tag in one condition',
      { giveUpOn: { status: [401], tag: ['Unauthorized'] }, of: { recurs: 1 } },
      ['at policy.giveUpOn: expected one of "status" or "tag" in a condition, got both (list them as two conditions)'],
    ],
    [
      'a tag that is not a string',
      { retryOn: { tag: [42] }, of: { recurs: 1 } },
      ['at policy.retryOn.tag[0]: expected a tag (a non-empty string), got 42'],
    ],
    [
      'a list of 1001 statuses',
      { retryOn: { status: Array(1001).fill(503) }, of: { recurs: 1 } },
      ['at policy.retryOn.status: expected at most 1000 HTTP statuses, got an array of 1001'],
    ],
    [
      'a nested list of conditions',
      { retryOn: [['transient']], of: { recurs: 1 } },
      [`at policy.retryOn[0]: expected ${CONDITION}, got ["transient"]`],
    ],
    [
      'a condition in the shorthand',
      { retries: 3, retryOn: 503 },
      [`at policy.retryOn: expected ${CONDITION}, got 503`],
    ],
    [
      'a hint bound that is not a duration',
      { waitForHint: '5 s', of: { recurs: 1 } },
      [`at policy.waitForHint: expected ${DURATION}, got "5 s"`],
    ],
    ['waitForHint without of', { waitForHint: '5s' }, ['at policy.of: expected a policy, but the key is missing']],
    [
      'a negative resetAfter',
      { resetAfter: -1, of: { recurs: 1 } },
      [`at policy.resetAfter: expected ${DURATION}, got -1`],
    ],
  ])('%s', (_, input, messages) => {
    expect(messagesOf(input)).toEqual(messages)
  })

  it('refuses text that is not JSON', () => {
    expect(Policy.decodeJson('{ retries: 3 }')).toEqual(
      E.left({
        _tag: 'PolicyError',
        messages: [
          `at policy: expected JSON text, got "{ retries: 3 }" (${(() => {
            try {
              JSON.parse('{ retries: 3 }')
              return ''
            } catch (error) {
              return (error as Error).message
            }
          })()})`,
        ],
      }),
    )
  })
})

// -------------------------------------------------------------------------------------
// what the policies do
// -------------------------------------------------------------------------------------

describe('toSchedule', () => {
  it.each<[string, unknown, ReadonlyArray<number>]>([
    [
      'exponential with recurs',
      { intersect: [{ exponential: { base: '100ms', factor: 2 } }, { recurs: 5 }] },
      [100, 200, 400, 800, 1600],
    ],
    [
      'exponential with factor 3',
      { intersect: [{ exponential: { base: 10, factor: 3 } }, { recurs: 3 }] },
      [10, 30, 90],
    ],
    ['fibonacci', { intersect: [{ fibonacci: '50ms' }, { recurs: 5 }] }, [50, 50, 100, 150, 250]],
    ['linear', { intersect: [{ linear: '1s' }, { recurs: 3 }] }, [1000, 2000, 3000]],
    ['fromDelays', { fromDelays: ['10ms', '1s', '.5s'] }, [10, 1000, 500]],
    ['union', { union: [{ recurs: 2 }, { intersect: [{ spaced: '1s' }, { recurs: 3 }] }] }, [0, 0, 1000]],
    ['andThen', { andThen: [{ recurs: 2 }, { intersect: [{ spaced: '1s' }, { recurs: 2 }] }] }, [0, 0, 1000, 1000]],
    [
      'cap',
      { cap: '500ms', of: { intersect: [{ exponential: { base: '200ms' } }, { recurs: 4 }] } },
      [200, 400, 500, 500],
    ],
    ['upTo', { upTo: '10s', of: { exponential: { base: '1s' } } }, [1000, 2000, 4000]],
    ['shorthand, retries only', { retries: 2 }, [0, 0]],
    ['shorthand, exponential by default', { retries: 4, base: '100ms' }, [100, 200, 400, 800]],
    ['shorthand, linear', { retries: 3, backoff: 'linear', base: '50ms' }, [50, 100, 150]],
    ['shorthand, fibonacci', { retries: 4, backoff: 'fibonacci', base: 10 }, [10, 10, 20, 30]],
    ['shorthand, constant with max', { retries: 3, backoff: 'constant', base: '1s', max: '500ms' }, [500, 500, 500]],
    ['shorthand, factor', { retries: 3, base: '1s', factor: 1.5 }, [1000, 1500, 2250]],
    ['shorthand, deadline', { backoff: 'exponential', base: '1s', deadline: '10s' }, [1000, 2000, 4000]],
    ['shorthand, max then deadline', { retries: 9, base: '1s', max: '2s', deadline: '7s' }, [1000, 2000, 2000, 2000]],
    ['fixed, when attempts take no time', { intersect: [{ fixed: '1s' }, { recurs: 3 }] }, [1000, 1000, 1000]],
    ['windowed, when attempts take no time', { intersect: [{ windowed: 250 }, { recurs: 2 }] }, [250, 250]],
    ['resetAfter, when attempts take no time', { resetAfter: '1m', of: { fromDelays: [1, 2, 3] } }, [1, 2, 3]],
  ])('%s', (_, input, expected) => {
    expect(delaysOf(input)).toEqual(expected)
  })

  /** The decisions of a policy, each attempt taking `took` ms before it fails with `error`. */
  const stepped = (json: unknown, steps: ReadonlyArray<readonly [unknown, number]>) =>
    decisions(Policy.toSchedule(decoded(json)), steps, Random.constant(0.5))

  it('fixed, windowed and resetAfter read the time attempts take', () => {
    // attempts due every second; the second takes 2.5 s, so the third starts at once, the fourth at the next due instant
    expect(
      stepped({ fixed: '1s' }, [
        ['e', 0],
        ['e', 2500],
        ['e', 0],
      ]),
    ).toEqual([1000, 0, 500])
    // windows of a second: an attempt ending at 300 waits until 1000; the next takes 1.5 s, ends at 2500, waits until 3000
    expect(
      stepped({ windowed: '1s' }, [
        ['e', 300],
        ['e', 1500],
      ]),
    ).toEqual([700, 500])
    // an attempt that stayed up for a minute starts the backoff over
    expect(
      stepped({ resetAfter: '1m', of: { exponential: { base: 100 } } }, [
        ['e', 0],
        ['e', 0],
        ['e', 60_000],
        ['e', 0],
      ]),
    ).toEqual([100, 200, 100, 200])
  })

  const http = (status: number, retryAfter: O.Option<number> = O.none): Http.HttpError => ({
    _tag: 'HttpError',
    method: 'GET',
    url: '/',
    status,
    statusText: '',
    headers: {},
    retryAfter,
    body: '',
  })
  const timeout = { _tag: 'TimeoutError', timeout: 100 }

  it('retryOn retries only the failures its condition names, giveUpOn ends on them', () => {
    const steps = (...errors: ReadonlyArray<unknown>) => errors.map((e) => [e, 0] as const)
    const retries = { intersect: [{ spaced: 10 }, { recurs: 5 }] }
    expect(stepped({ retryOn: 'transient', of: retries }, steps(http(503), timeout, http(401)))).toEqual([
      10,
      10,
      'done',
    ])
    expect(stepped({ retryOn: { status: [409] }, of: retries }, steps({ status: 409 }, http(409), http(503)))).toEqual([
      10,
      10,
      'done',
    ])
    expect(stepped({ retryOn: { tag: ['TimeoutError'] }, of: retries }, steps(timeout, http(503)))).toEqual([
      10,
      'done',
    ])
    expect(
      stepped({ retryOn: ['transient', { status: [409] }], of: retries }, steps(http(503), http(409), http(400))),
    ).toEqual([10, 10, 'done'])
    expect(stepped({ giveUpOn: { status: [501] }, of: retries }, steps(http(400), http(501)))).toEqual([10, 'done'])
    // "transient" is the library's classification, whatever the failure
    for (const error of [http(429), http(501), timeout, 'boom', null, { _tag: 'CircuitOpen', retryAfter: O.none }]) {
      expect(stepped({ retryOn: 'transient', of: retries }, steps(error))).toEqual(
        Http.isTransient(error) ? [10] : ['done'],
      )
    }
  })

  it('"transient" retries 529 and obeys x-should-retry as Http.isTransient does, for any status and header', () => {
    const retries = { intersect: [{ spaced: 10 }, { recurs: 5 }] }
    const verdict = (error: unknown) => stepped({ retryOn: 'transient', of: retries }, [[error, 0]])
    const withHeaders = (status: number, headers: Record<string, string>): Http.HttpError => ({
      ...http(status),
      headers,
    })
    expect(verdict(http(529))).toEqual([10]) // Anthropic's Overloaded
    expect(verdict(withHeaders(503, { 'x-should-retry': 'false' }))).toEqual(['done'])
    expect(verdict(withHeaders(409, { 'x-should-retry': 'true' }))).toEqual([10])
    expect(verdict(withHeaders(500, { 'X-Should-Retry': 'false' }))).toEqual(['done'])
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.constantFrom('x-should-retry', 'X-Should-Retry', 'x-other'),
        fc.constantFrom('true', 'false', 'TRUE', ''),
        (status, name, value) => {
          const error = withHeaders(status, { [name]: value })
          expect(verdict(error)).toEqual(Http.isTransient(error) ? [10] : ['done'])
        },
      ),
    )
  })

  it('waitForHint waits at least the hint a failure carries, at most its bound', () => {
    const policy = { waitForHint: '5s', of: { intersect: [{ spaced: 100 }, { recurs: 3 }] } }
    expect(
      stepped(policy, [
        [http(429, O.some(2000)), 0],
        [http(503), 0],
        [http(429, O.some(3_600_000)), 0],
      ]),
    ).toEqual([2000, 100, 5000])
  })

  it("the README's HTTP policy, as JSON, steps exactly like the README's pipe, for any failures, times and seed", () => {
    const schedule = Policy.toSchedule(decoded(README_POLICY))
    fc.assert(
      fc.property(run, fc.integer(), (steps, seed) => {
        expect(decisions(schedule, steps, Random.seeded(seed))).toEqual(decisions(README, steps, Random.seeded(seed)))
      }),
      { numRuns: 300 },
    )
  })

  it('the shorthand of the issue: capped exponential with full jitter, at most 5 retries, within 30 s', () => {
    const json = { retries: 5, backoff: 'exponential', base: '100ms', max: '10s', jitter: 'full', deadline: '30s' }
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const delays = delaysOf(json, Random.seeded(seed))
        expect(delays).toHaveLength(5)
        delays.forEach((d, i) => {
          expect(d).toBeGreaterThanOrEqual(0)
          expect(d).toBeLessThanOrEqual(Math.min(100 * 2 ** i, 10_000))
        })
      }),
    )
    expect(delaysOf(json, Random.constant(0))).toEqual([0, 0, 0, 0, 0])
  })

  it('the shorthand is the documented longhand, for any seed', () => {
    const short = { retries: 5, backoff: 'exponential', base: '100ms', max: '10s', jitter: 'full', deadline: '30s' }
    const long = {
      upTo: '30s',
      of: {
        intersect: [
          { jitter: 'full', of: { cap: '10s', of: { exponential: { base: '100ms', factor: 2 } } } },
          { recurs: 5 },
        ],
      },
    }
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        expect(delaysOf(short, Random.seeded(seed))).toEqual(delaysOf(long, Random.seeded(seed)))
      }),
    )
  })

  it('full and equal jitter stay within max; jitter with min/max scales', () => {
    expect(
      delaysOf({ retries: 3, backoff: 'constant', base: '10s', max: '1s', jitter: 'equal' }, Random.constant(0)),
    ).toEqual([500, 500, 500])
    expect(delaysOf({ jitter: { min: 0.5, max: 1.5 }, of: { fromDelays: [100, 200] } }, Random.constant(0.5))).toEqual([
      100, 200,
    ])
    expect(delaysOf({ jitter: { min: 0.5, max: 1.5 }, of: { fromDelays: [100, 200] } }, Random.constant(0))).toEqual([
      50, 100,
    ])
  })

  it('decorrelated jitter stays within [base, cap]', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const delays = delaysOf(
          { intersect: [{ decorrelatedJitter: { base: '100ms', cap: '1s' } }, { recurs: 10 }] },
          Random.seeded(seed),
        )
        expect(delays).toHaveLength(10)
        delays.forEach((d) => expect(d >= 100 && d <= 1000).toBe(true))
      }),
    )
  })

  it('drives a real retry in virtual time', async () => {
    const clock = TestClock.make()
    let calls = 0
    const flaky: TE.TaskEither<string, string> = () => {
      calls += 1
      return Promise.resolve(calls < 3 ? E.left('503') : E.right('ok'))
    }
    const schedule = Policy.toSchedule(decoded({ retries: 5, backoff: 'constant', base: '1s' }))
    const running = pipe(flaky, Retry.retrying(schedule, { clock }))()
    await clock.adjust(1999)
    expect(calls).toBe(2)
    await clock.adjust(1)
    expect(await running).toEqual(E.right('ok'))
    expect(calls).toBe(3)
  })
})

// -------------------------------------------------------------------------------------
// io-ts codec
// -------------------------------------------------------------------------------------

describe('codec', () => {
  it('decodes and encodes like decode and encode', () => {
    const json = { upTo: '2m', of: { retries: 3, base: '1s' } }
    expect(Policy.codec.decode(json)).toEqual(E.right(decoded(json)))
    expect(Policy.codec.encode(decoded(json))).toEqual(json)
  })

  it('starts its messages at the key it sits under in a bigger codec', () => {
    const Config = t.type({ service: t.string, retry: Policy.codec })
    const result = Config.decode({ service: 'users', retry: { intersect: [{ spaced: '1s' }, { recurs: -3 }] } })
    expect(E.isLeft(result) && result.left.map((e) => e.message)).toEqual([
      'at retry.intersect[1].recurs: expected a non-negative integer, got -3',
    ])
    expect(PathReporter.report(result)).toEqual([
      'at retry.intersect[1].recurs: expected a non-negative integer, got -3',
    ])
    const many = t.array(Policy.codec).decode([{ recurs: 1 }, { recurs: -1 }])
    expect(E.isLeft(many) && many.left.map((e) => e.message)).toEqual([
      'at [1].recurs: expected a non-negative integer, got -1',
    ])
  })

  it('is tells the policies decode accepts from everything else', () => {
    expect(Policy.codec.is(decoded({ retries: 3 }))).toBe(true)
    expect(Policy.is({ retries: 3 })).toBe(true)
    expect(Policy.is({ retryOn: 'transient', of: { recurs: 3 } })).toBe(true)
    expect(Policy.is({ recurs: -1 })).toBe(false)
    expect(Policy.is({ intersect: [] })).toBe(false)
    expect(Policy.is({ base: '1s' })).toBe(false)
    expect(Policy.is({ _tag: 'Recurs', times: 3 })).toBe(false)
    expect(Policy.is(Schedule.recurs(3))).toBe(false)
  })

  it('decode gives a fresh copy of the JSON, so that changing the input later changes nothing', () => {
    const input = { intersect: [{ spaced: '1s' }, { recurs: 3 }] }
    const p = decoded(input)
    expect(p).toEqual(input)
    expect(p).not.toBe(input)
    input.intersect.push({ spaced: '1h' })
    expect(Policy.encode(p)).toEqual({ intersect: [{ spaced: '1s' }, { recurs: 3 }] })
  })
})

// -------------------------------------------------------------------------------------
// describe
// -------------------------------------------------------------------------------------

describe('describe', () => {
  it('describes the shorthand of the issue in words, then its first delays', () => {
    const json = { retries: 5, backoff: 'exponential', base: '100ms', max: '10s', jitter: 'full', deadline: '30s' }
    expect(Policy.describe(decoded(json))).toBe(
      'Exponential backoff from 100ms, doubling at each retry, each delay capped at 10s, with full jitter (each delay random between 0 and itself), at most 5 retries, giving up rather than retry later than 30s after the first attempt. ' +
        'With random seed 1, its delays are 62.7ms, 0.5ms, 211ms, 784.8ms and 1.549s, and it gives up after 5 retries.',
    )
  })

  it.each<[unknown, string]>([
    [
      { intersect: [{ exponential: { base: '100ms' } }, { recurs: 3 }] },
      'Exponential backoff from 100ms, doubling at each retry, at most 3 retries. With random seed 1, its delays are 100ms, 200ms and 400ms, and it gives up after 3 retries.',
    ],
    [
      { union: [{ recurs: 2 }, { spaced: '1s' }] },
      'The shortest delay of (at most 2 retries with no delay; a fixed delay of 1s), while any of them goes on. With random seed 1, its first 10 delays are 0ms, 0ms, 1s, 1s, 1s, 1s, 1s, 1s, 1s and 1s, and it is still retrying after 10 failures.',
    ],
    [
      { upTo: '2m', of: { andThen: [{ recurs: 1 }, { intersect: [{ spaced: '1m' }, { recurs: 3 }] }] } },
      '(First at most 1 retry with no delay; then a fixed delay of 1m, at most 3 retries), giving up rather than retry later than 2m after the first attempt. With random seed 1, its delays are 0ms, 1m and 1m, and it gives up after 3 retries.',
    ],
    [{ recurs: 0 }, 'No retries. It never retries: the first failure is final.'],
    [
      { fromDelays: ['10ms', '1.5s'] },
      'Exactly the delays 10ms and 1.5s, then no more. With random seed 1, its delays are 10ms and 1.5s, and it gives up after 2 retries.',
    ],
  ])('describes %j', (json, text) => {
    expect(Policy.describe(decoded(json))).toBe(text)
  })

  it('honours steps and seed', () => {
    expect(Policy.describe(decoded({ spaced: '1s' }), { steps: 2, seed: 7 })).toBe(
      'A fixed delay of 1s. With random seed 7, its first 2 delays are 1s and 1s, and it is still retrying after 2 failures.',
    )
  })

  it('reads a steps option that is not a finite number as the default, and keeps steps within 1..1000', () => {
    const tenDelays =
      'A fixed delay of 1s. With random seed 1, its first 10 delays are 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s and 1s, and it is still retrying after 10 failures.'
    for (const steps of [NaN, Infinity, -Infinity, undefined])
      expect(Policy.describe(decoded({ spaced: '1s' }), { steps })).toBe(tenDelays)
    expect(Policy.describe(decoded({ spaced: '1s' }), { steps: 0 })).toBe(
      'A fixed delay of 1s. With random seed 1, its first delay is 1s, and it is still retrying after 1 failure.',
    )
    expect(Policy.describe(decoded({ spaced: '1s' }), { steps: 5000 })).toMatch(/still retrying after 1000 failures\.$/)
  })

  it('says what can be said of an opaque schedule: its first delays and whether it ended', () => {
    expect(Policy.describe(pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(2))))).toBe(
      'An opaque schedule: only its behaviour can be shown. With random seed 1, its delays are 100ms and 200ms, and it gives up after 2 retries.',
    )
    expect(Policy.describe(Schedule.spaced(250), { steps: 3 })).toBe(
      'An opaque schedule: only its behaviour can be shown. With random seed 1, its first 3 delays are 250ms, 250ms and 250ms, and it is still retrying after 3 failures.',
    )
  })

  it('feeds the given input to a schedule that looks at its errors, and does not throw without one', () => {
    type HttpError = { readonly status: number }
    const schedule = pipe(
      Schedule.spaced(100),
      Schedule.intersect(Schedule.recurs(2)),
      Schedule.whileInput((e: HttpError) => e.status >= 500),
    )
    expect(Policy.describe(schedule, { input: { status: 503 } })).toBe(
      'An opaque schedule: only its behaviour can be shown. With random seed 1, its delays are 100ms and 100ms, and it gives up after 2 retries.',
    )
    expect(Policy.describe(schedule, { input: { status: 400 } })).toBe(
      'An opaque schedule: only its behaviour can be shown. It never retries: the first failure is final.',
    )
    expect(Policy.describe(schedule)).toMatch(
      /^An opaque schedule: only its behaviour can be shown\. Stepping it with undefined as the error threw \(.+\); pass a representative error as "input" to see its delays\.$/,
    )
  })

  it.each<[unknown, string]>([
    [
      { retryOn: ['transient', { status: [409] }, { tag: ['Conflict', 'Locked'] }], of: { recurs: 2 } },
      'At most 2 retries with no delay, retrying only transient failures, failures with status 409 or failures tagged Conflict or Locked. With random seed 1 and failures it retries, its delays are 0ms and 0ms, and it gives up after 2 retries.',
    ],
    [
      { giveUpOn: { status: [401, 403] }, of: { spaced: '1s' } },
      'A fixed delay of 1s, giving up at once on failures with status 401 or 403. With random seed 1 and failures it retries, its first 10 delays are 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s, 1s and 1s, and it is still retrying after 10 failures.',
    ],
    [
      { waitForHint: '5s', of: { retries: 2, base: '100ms' } },
      "Exponential backoff from 100ms, doubling at each retry, at most 2 retries, waiting at least as long as a failure's retry hint asks (at most 5s). With random seed 1, its delays are 100ms and 200ms, and it gives up after 2 retries.",
    ],
    [
      { resetAfter: '1m', of: { intersect: [{ fixed: '1s' }, { recurs: 1 }] } },
      'Attempts due every 1s from the first (one that falls behind starts at once), at most 1 retry, starting over after an attempt that ran for 1m or more. With random seed 1, its only delay is 1s, and it gives up after 1 retry.',
    ],
    [
      { intersect: [{ windowed: '10s' }, { recurs: 1 }] },
      'Each attempt at the next boundary of 10s windows from the first, at most 1 retry. With random seed 1, its only delay is 10s, and it gives up after 1 retry.',
    ],
    [
      { retries: 3, jitter: 'full' },
      'A fixed delay of 0ms, with full jitter (each delay random between 0 and itself), at most 3 retries. With random seed 1, its delays are 0ms, 0ms and 0ms, and it gives up after 3 retries.',
    ],
  ])('describes %j', (json, text) => {
    expect(Policy.describe(decoded(json))).toBe(text)
  })

  it('steps a policy that says what it retries with the input given, and says so', () => {
    const json = { retryOn: { status: [503] }, of: { intersect: [{ spaced: 100 }, { recurs: 2 }] } }
    expect(Policy.describe(decoded(json), { input: { status: 503 } })).toBe(
      'A fixed delay of 100ms, at most 2 retries, retrying only failures with status 503. With random seed 1, its delays are 100ms and 100ms, and it gives up after 2 retries.',
    )
    expect(Policy.describe(decoded(json), { input: { status: 400 } })).toBe(
      'A fixed delay of 100ms, at most 2 retries, retrying only failures with status 503. It never retries: the first failure is final.',
    )
  })

  it('says what is wrong with a policy written in code instead of throwing', () => {
    expect(Policy.describe({ spaced: '10 seconds' })).toBe(
      `An invalid policy (Policy.describe: self must be a policy that Policy.decode accepts, got one it refuses: at self.spaced: expected ${DURATION}, got "10 seconds").`,
    )
    expect(Policy.describe(null as unknown as Policy.Policy)).toMatch(
      /^An invalid policy \(.*at self: expected a policy/,
    )
  })
})

// -------------------------------------------------------------------------------------
// docs/policies.md says what the code does
// -------------------------------------------------------------------------------------

describe('docs/policies.md', () => {
  const page = readFileSync(join(__dirname, '..', 'docs', 'policies.md'), 'utf8')
  const jsonBlocks = [...page.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1] ?? '') as unknown)
  const isGrpc = (json: unknown): boolean => typeof json === 'object' && json !== null && 'maxAttempts' in json
  const policyBlocks = jsonBlocks.filter((json) => !isGrpc(json))
  const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim()
  /** The rows of the markdown table that follows `heading` (the first table after it). */
  const tableAfter = (heading: string): ReadonlyArray<ReadonlyArray<string>> => {
    const start = page.indexOf(heading)
    const lines = page.slice(start).split('\n')
    const first = lines.findIndex((line) => line.startsWith('|'))
    const rows = lines.slice(first).filter((_, i, all) => all.slice(0, i + 1).every((l) => l.startsWith('|')))
    return rows.slice(2).map((row) =>
      row
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    )
  }
  /** The code spans of a table cell. */
  const spans = (cell: string): ReadonlyArray<string> => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '')
  /** A message pattern where `...` stands for any text. */
  const pattern = (text: string): RegExp =>
    new RegExp(
      `^${text
        .split('...')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    )

  it('every JSON example decodes as written, and encodes back to the same JSON', () => {
    expect(policyBlocks.length).toBeGreaterThanOrEqual(5)
    for (const json of policyBlocks) {
      expect(E.map(Policy.encode)(Policy.decode(json))).toEqual(E.right(json))
    }
    const grpc = jsonBlocks.filter(isGrpc)
    expect(grpc).toHaveLength(1)
    for (const json of grpc) expect(E.map(Grpc.encode)(Grpc.decode(json))).toEqual(E.right(json))
  })

  it('the shorthand example is exactly its longhand, for any seed', () => {
    const [short, long] = policyBlocks
    expect(short).toEqual({
      retries: 5,
      backoff: 'exponential',
      base: '100ms',
      max: '10s',
      jitter: 'full',
      deadline: '30s',
    })
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        expect(delaysOf(short, Random.seeded(seed))).toEqual(delaysOf(long, Random.seeded(seed)))
      }),
    )
  })

  it('"More examples" yield the delays the page states', () => {
    const [, , first, second, third] = policyBlocks
    expect(delaysOf(first)).toEqual([100, 200, 400, 800, 1600])
    expect(delaysOf(second)).toEqual([...Array(3).fill(100), ...Array(10).fill(5000)])
    expect(delaysOf(third)).toEqual([0, 0, 0, 1000, 1000])
  })

  it('every row of the error-message table is the message decoding that input gives', () => {
    const rows = tableAfter('## Error messages')
    expect(rows.length).toBeGreaterThanOrEqual(15)
    for (const [inputCell = '', messageCell = ''] of rows) {
      const [input, ...more] = spans(inputCell).map((text) => JSON.parse(text.replace('...', '{ "recurs": 1 }')))
      const [message] = spans(messageCell)
      const messages = messagesOf(input)
      expect(messages, inputCell).toHaveLength(1)
      expect(messages[0], inputCell).toMatch(pattern(message ?? ''))
      for (const other of more) expect(messagesOf(other), inputCell).toHaveLength(1)
    }
  })

  it('every row of the gRPC table is the message decoding that input gives', () => {
    const A6 = jsonBlocks.find(isGrpc)
    const rows = tableAfter('Refused, with these messages:')
    expect(rows.length).toBeGreaterThanOrEqual(7)
    for (const [inputCell = '', messageCell = ''] of rows) {
      const inputs = spans(inputCell).map((text) =>
        text.startsWith('"') && text.includes(':') ? JSON.parse(`{${text}}`) : text,
      )
      const [first] = inputs
      const change = typeof first === 'object' ? first : {}
      const result = Grpc.decode({ ...(A6 as object), ...change })
      const messages = E.isLeft(result) ? result.left.messages : []
      expect(messages, inputCell).toHaveLength(1)
      const [message] = spans(messageCell)
      if (message !== undefined) expect(messages[0], inputCell).toBe(message)
    }
  })

  it('the grammar table is Policy.grammar, row for row', () => {
    const rows = tableAfter('## The grammar')
    expect(rows.map(([json = '']) => spans(json)[0])).toEqual(Policy.grammar.combinators.map((c) => c.syntax))
  })

  it('the shorthand table is Policy.grammar.shorthand, row for row, each naming the combinator it applies', () => {
    const rows = tableAfter('Its keys, in the order it applies them')
    expect(rows.map(([key = '']) => spans(key)[0])).toEqual(Policy.grammar.shorthand.map((k) => k.key))
    for (const [key = '', meaning = ''] of rows) {
      const combinator = Policy.grammar.shorthand.find((k) => `\`${k.key}\`` === key)?.combinator
      if (combinator !== undefined) expect(meaning, key).toMatch(new RegExp(`^\`${combinator}\`: `))
    }
  })

  it('every jitter and every condition of the tables decodes', () => {
    for (const [j = ''] of tableAfter('A jitter `J` is one of')) {
      const json = (spans(j)[0] ?? '').replace(': a,', ': 0.8,').replace(': b }', ': 1.2 }')
      expect(messagesOf({ jitter: JSON.parse(json), of: { recurs: 1 } }), j).toEqual([])
    }
    const conditions = tableAfter('## What to retry')
    expect(conditions).toHaveLength(3)
    for (const [c = ''] of conditions) {
      expect(messagesOf({ retryOn: JSON.parse(spans(c)[0] ?? ''), of: { recurs: 1 } }), c).toEqual([])
    }
  })

  it("the README's policy as JSON is the one that steps like the README's pipe; its shorthand caps, then jitters", () => {
    const [, , , , , longhand, short] = policyBlocks
    expect(longhand).toEqual(README_POLICY)
    const capThenJitter = pipe(
      Schedule.exponential(100),
      Schedule.capDelay(2_000),
      Schedule.jittered(),
      Schedule.intersect(Schedule.recurs(5)),
      Schedule.whileInput(Http.isTransient),
      Schedule.waitForHint(5_000),
      Schedule.upTo(10_000),
    )
    const schedule = Policy.toSchedule(decoded(short))
    fc.assert(
      fc.property(run, fc.integer(), (steps, seed) => {
        expect(decisions(schedule, steps, Random.seeded(seed))).toEqual(
          decisions(capThenJitter, steps, Random.seeded(seed)),
        )
      }),
      { numRuns: 200 },
    )
  })

  it('"adding a combinator is one entry" shows an entry of src/Policy.ts as it is', () => {
    const [, entry] =
      /## Adding a combinator is one entry[\s\S]*?```ts title="src\/Policy.ts"\n([\s\S]*?)```/.exec(page) ?? []
    const source = readFileSync(join(__dirname, '..', 'src', 'Policy.ts'), 'utf8')
    expect(entry).toMatch(/^ {2}\w+: (leaf|list|wrapper)\(\{\n/)
    expect(source).toContain(entry)
    const [name] = /\w+/.exec(entry ?? '') ?? []
    expect(Policy.grammar.combinators.map((c) => c.name)).toContain(name)
  })

  it('the describe paragraphs are what describe says', () => {
    const [short] = policyBlocks
    // the page wraps the paragraphs over several `// ` comment lines
    const comments = page.replace(/\n\/\/ /g, ' ')
    expect(comments).toContain(` ${Policy.describe(decoded(short))}\n`)
    expect(comments).toContain(` ${Policy.describe(Schedule.exponential(100))}\n`)
    const A6 = Grpc.decode(jsonBlocks.find(isGrpc))
    expect(E.isRight(A6) && oneLine(page)).toContain(`\`${E.isRight(A6) ? Grpc.describe(A6.right) : ''}\``)
  })
})
