/**
 * Hostile input: every parser of outside text (model output, durations, gRPC
 * status names, policy JSON) never throws, whatever it is given, and runs in
 * linear time on the worst inputs we can construct. Time is checked as a
 * ratio: the input grows 10x, and the time may grow about 10x (less than 30x
 * here, to absorb noise), never against a clock budget. Deep and wide input
 * is refused with a readable Left, never a stack overflow.
 *
 * Retry-After (src/Http.ts) has its own tests in test/RetryAfter.test.ts.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as TE from 'fp-ts/TaskEither'
import * as t from 'io-ts'
import { describe, expect, it, vi } from 'vitest'
import { Schedule } from '../src/index'
import * as Decode from '../src/Decode'
import * as Duration from '../src/Duration'
import { adversarialJson, cyclicAndDeepPolicies, hostileDurations, repeat } from './support/hostile'
import * as Grpc from '../src/Grpc'
import * as Policy from '../src/Policy'

// -------------------------------------------------------------------------------------
// timing: ratios, never absolute times
// -------------------------------------------------------------------------------------

/** The least time of `runs` runs of `f`, in ms: the run least disturbed by GC and other workers. */
const fastest = (f: () => unknown, runs: number): number => {
  let best = Infinity
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    f()
    best = Math.min(best, performance.now() - start)
  }
  return best
}

/** At most this much slower on an input 10 times bigger: linear, with room for noise (quadratic would be 100x). */
const LINEAR = 30

/**
 * How much longer `run` takes on `make(10 n)` than on `make(n)`. The size
 * starts at `n` and doubles until the small run takes at least 2 ms, so that
 * timer resolution does not decide the ratio (up to 128 n); both inputs are run once
 * before timing (JIT warm-up, flattening of the strings built for the test).
 * Small and big runs alternate, so that both see the same load from other
 * test workers, and the least time of each counts. A small run still under
 * 1 ms at 128 n (a refusal that does not depend on the size) counts as
 * 1 ms: below that, the ratio would measure noise.
 *
 * A ratio above the bound is measured again, up to three times in all, and
 * the least counts: a busy machine can slow one measurement down, but a
 * super-linear algorithm is slow every time.
 */
const growth = <A>(make: (n: number) => A, run: (input: A) => unknown, n: number): number => {
  let size = n
  let small = make(size)
  run(small)
  while (fastest(() => run(small), 3) < 2 && size < n * 128) {
    size *= 2
    small = make(size)
  }
  const big = make(size * 10)
  run(big)
  let ratio = Infinity
  for (let attempt = 0; attempt < 3 && ratio >= LINEAR; attempt++) {
    let smallTime = Infinity
    let bigTime = Infinity
    for (let i = 0; i < 5; i++) {
      smallTime = Math.min(
        smallTime,
        fastest(() => run(small), 1),
      )
      bigTime = Math.min(
        bigTime,
        fastest(() => run(big), 1),
      )
    }
    ratio = Math.min(ratio, bigTime / Math.max(1, smallTime))
  }
  return ratio
}

// -------------------------------------------------------------------------------------
// generators of hostile text
// -------------------------------------------------------------------------------------

/** Pieces that broke or could break a backtracking scan: fences, brackets, quotes, escapes, words, spaces. */
const piece = fc.oneof(
  fc.constantFrom(
    '```',
    '```json',
    '```json\n',
    '``` \t\r\n',
    '`',
    '{',
    '}',
    '[',
    ']',
    '{]',
    '{a}',
    '"',
    '\\',
    '\\"',
    ',',
    ':',
    ' ',
    '    ',
    '\n',
    '\t',
    '\u00a0',
    '\u2028',
    'json',
    'Sure! Here it is: ',
    '{"a":',
    '[1,',
    '-',
    '1e',
    '\ud800',
  ),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 8 }),
)
const hostileText = fc.oneof(
  fc.array(piece, { maxLength: 60 }).map((pieces) => pieces.join('')),
  fc.tuple(piece, fc.nat({ max: 2000 })).map(([p, times]) => p.repeat(times)),
  fc.string({ unit: 'binary', maxLength: 200 }),
)

const isDecodeError = (e: unknown): boolean =>
  Decode.isDecodeError(e) &&
  ['NoJson', 'InvalidJson', 'InvalidValue'].includes(e.reason) &&
  e.errors.length > 0 &&
  typeof e.message === 'string'

type Json = null | boolean | number | string | Array<Json> | { [key: string]: Json }
const Json: t.Type<Json> = t.recursion('Json', () =>
  t.union([t.null, t.boolean, t.number, t.string, t.array(Json), t.record(t.string, Json)]),
)
type Tree = { children: Array<Tree> }
const Tree: t.Type<Tree> = t.recursion('Tree', () => t.type({ children: t.array(Tree) }))

// -------------------------------------------------------------------------------------
// model output
// -------------------------------------------------------------------------------------

describe('model output: Decode.extractJson, parseJson, decodeText', () => {
  it('property: never throws; a Left is always a well-formed DecodeError', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        for (const result of [Decode.extractJson(text), Decode.parseJson(text)]) {
          if (E.isLeft(result)) expect(isDecodeError(result.left)).toBe(true)
        }
      }),
      { numRuns: 500 },
    )
  })

  it('property: parseJson accepts exactly what JSON.parse accepts (below the depth limit), with the same value', () => {
    const mutated = fc
      .tuple(fc.json({ maxDepth: 4 }), fc.array(fc.tuple(fc.nat(), piece, fc.nat({ max: 3 })), { maxLength: 3 }))
      .map(([json, edits]) =>
        edits.reduce((s, [at, insert, cut]) => {
          const i = at % (s.length + 1)
          return s.slice(0, i) + insert + s.slice(i + cut)
        }, json),
      )
    fc.assert(
      fc.property(fc.oneof(fc.json(), mutated, hostileText), (text) => {
        let expected: E.Either<unknown, unknown>
        try {
          expected = E.right(JSON.parse(text))
        } catch (error) {
          expected = E.left(error)
        }
        const result = Decode.parseJson(text)
        expect(E.isRight(result)).toBe(E.isRight(expected))
        if (E.isRight(result) && E.isRight(expected)) expect(result.right).toEqual(expected.right)
      }),
      { numRuns: 2000 },
    )
  })

  it('property: decodeText with a recursive codec never throws nor rejects, on any text', async () => {
    await fc.assert(
      fc.asyncProperty(hostileText, async (text) => {
        const result = await pipe(TE.right(text), Decode.decodeText(Json))()
        if (E.isLeft(result)) expect(isDecodeError(result.left)).toBe(true)
      }),
      { numRuns: 200 },
    )
  })

  it.each<readonly [string, (n: number) => string]>(adversarialJson)('extractJson is linear on %s', (_, make) => {
    expect(growth(make, Decode.extractJson, 10_000)).toBeLessThan(LINEAR)
  })

  it.each<[string, (n: number) => string]>([
    ['repeated [', repeat('[')],
    ['a long unclosed array', (n) => '[' + '1,'.repeat(n / 2)],
    ['balanced JSON too deep to parse', (n) => '['.repeat(n / 2) + ']'.repeat(n / 2)],
    ['deep objects', (n) => '{"a":'.repeat(n / 5)],
  ])('parseJson is linear on %s', (_, make) => {
    expect(growth(make, Decode.parseJson, 10_000)).toBeLessThan(LINEAR)
  })

  it('an unclosed fence and 10 KB of spaces (27 s in 0.1.0) is a NoJson error at once', () => {
    const result = Decode.extractJson('```' + ' '.repeat(10_000))
    expect(E.isLeft(result) && result.left.reason).toBe('NoJson')
  })

  it('10 MB of each adversarial text is refused with a DecodeError', () => {
    for (const make of [repeat('{]'), repeat('{a}'), repeat('['), (n: number) => '```' + ' '.repeat(n)]) {
      const result = Decode.extractJson(make(10_000_000))
      expect(E.isLeft(result) && isDecodeError(result.left)).toBe(true)
    }
  })

  it('an error past the first MiB is told by the scan: JSON.parse never builds megabytes of values to report it', () => {
    const parse = vi.spyOn(JSON, 'parse')
    try {
      const unclosed = '[' + '1,'.repeat(2_000_000)
      const badAtEnd = '[' + '1,'.repeat(2_000_000) + 'x]'
      const messageOf = (text: string) => {
        const result = Decode.parseJson(text)
        return E.isLeft(result) ? result.left.message.split(', in:')[0] : undefined
      }
      expect(messageOf(unclosed)).toBe('invalid JSON: Unexpected end of JSON input')
      expect(messageOf(badAtEnd)).toBe('invalid JSON: Unexpected character in JSON at position 4000001')
      expect(E.isLeft(Decode.extractJson(unclosed))).toBe(true)
      expect(parse).not.toHaveBeenCalled()
      // a short text keeps JSON.parse's own message
      expect(messageOf('[1,2')).toBe("invalid JSON: Expected ',' or ']' after array element in JSON at position 4")
    } finally {
      parse.mockRestore()
    }
  })

  it('decodeText on 10,000-deep JSON with a recursive codec is a DecodeError naming the depth limit', async () => {
    const deepArrays = '['.repeat(10_000) + ']'.repeat(10_000)
    let deepTree = '{"children":[]}'
    for (let i = 0; i < 5_000; i++) deepTree = `{"children":[${deepTree}]}`
    const arrays = await pipe(TE.right(deepArrays), Decode.decodeText(Json))()
    const tree = await pipe(TE.right(deepTree), Decode.decodeText(Tree))()
    for (const result of [arrays, tree]) {
      expect(E.isLeft(result) && result.left).toMatchObject({ _tag: 'DecodeError', reason: 'InvalidJson' })
      expect(E.isLeft(result) && result.left.message).toMatch(
        /^invalid JSON: nested deeper than 500 levels \(Decode\.MAX_DEPTH\) at position \d+, in: /,
      )
    }
  })
})

// -------------------------------------------------------------------------------------
// durations
// -------------------------------------------------------------------------------------

describe('durations: Duration.parse', () => {
  it('property: never throws on hostile text or any value', () => {
    const durationish = fc
      .array(fc.constantFrom('1', '0', '.', '5', 'ms', 's', 'm', 'h', ' ', '-', 'e', '1.5s', '\u0661'), {
        maxLength: 40,
      })
      .map((parts) => parts.join(''))
    fc.assert(
      fc.property(fc.oneof(durationish, hostileText, fc.anything()), (input) => {
        const result = Duration.parse(input)
        if (E.isLeft(result)) expect(typeof result.left).toBe('string')
        else expect(Number.isFinite(result.right.millis) && result.right.millis >= 0).toBe(true)
      }),
      { numRuns: 1000 },
    )
  })

  it.each<readonly [string, (n: number) => string]>(hostileDurations)('is linear on %s', (_, make) => {
    expect(growth(make, Duration.parse, 10_000)).toBeLessThan(LINEAR)
  })

  it('never echoes megabytes: the message stays short however long the input', () => {
    for (const input of [
      ' '.repeat(3_000_000) + '1'.repeat(3_000_000),
      '1'.repeat(6_000_000) + 'x',
      '-' + '1'.repeat(6_000_000),
    ]) {
      const result = Duration.parse(input)
      expect(E.isLeft(result) && result.left.length < 500).toBe(true)
    }
    expect(Duration.parse('250')).toEqual(E.left(expect.stringContaining('(add a unit: "250ms" or "250s")')))
  })
})

// -------------------------------------------------------------------------------------
// gRPC status names
// -------------------------------------------------------------------------------------

const grpcPolicy = (codes: ReadonlyArray<unknown>) => ({
  maxAttempts: 3,
  initialBackoff: '0.1s',
  maxBackoff: '1s',
  backoffMultiplier: 2,
  retryableStatusCodes: codes,
})

describe('gRPC status names: Grpc.decode', () => {
  it('property: never throws, whatever the status codes', () => {
    const code = fc.oneof(
      fc.constantFrom('UNAVAILABLE', 'unavailible', 'ß', 'ﬃ', 'İ'),
      hostileText,
      fc.anything(),
      fc.integer(),
    )
    fc.assert(
      fc.property(fc.array(code, { maxLength: 5 }), (codes) => {
        const result = Grpc.decode(grpcPolicy(codes))
        if (E.isLeft(result)) for (const m of result.left.messages) expect(m.length).toBeLessThan(400)
      }),
      { numRuns: 500 },
    )
  })

  it('ten 1 MB status strings (10 s in 0.1.0) are refused at once with short messages', () => {
    const result = Grpc.decode(grpcPolicy(Array.from({ length: 10 }, () => 'U'.repeat(1_000_000))))
    expect(E.isLeft(result) && result.left.messages.length).toBe(10)
    if (E.isLeft(result)) for (const m of result.left.messages) expect(m.length).toBeLessThan(300)
  })

  it('is linear in the length of a status string', () => {
    expect(growth((n) => grpcPolicy(['UNAVAILABLX'.repeat(n / 10)]), Grpc.decode, 10_000)).toBeLessThan(LINEAR)
  })

  it('is linear in the number of misspelt status names', () => {
    const codes = (n: number) => Array.from({ length: n / 10 }, (_, i) => (i % 2 === 0 ? 'UNAVAILIBLE' : 'unknwn'))
    expect(growth((n) => grpcPolicy(codes(n)), Grpc.decode, 1_000)).toBeLessThan(LINEAR)
  })
})

// -------------------------------------------------------------------------------------
// policies
// -------------------------------------------------------------------------------------

const DURATION = { _tag: 'Duration', millis: 100, spelling: '100ms' }

/**
 * A fresh cyclic value around a generated one (never mutated: fast-check may
 * share generated values): the root's `of` leads to an object whose `key`
 * leads back to the root, next to `inner`.
 */
const withCycle = (inner: unknown, key: string, json: boolean): unknown => {
  const root: Record<string, unknown> = json ? { cap: '1s' } : { _tag: 'Cap', max: DURATION }
  const middle: Record<string, unknown> = json ? { intersect: [inner] } : { _tag: 'Intersect', policies: [inner] }
  middle[key] = key === 'of' ? root : [inner, root]
  root['of'] = middle
  return root
}

const durationValue = fc.oneof(fc.constant({ _tag: 'Duration', millis: 100, spelling: '100ms' }), fc.anything())
const { node: policyLike } = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.constant({ _tag: 'Recurs', times: 3 }),
    fc.record({ _tag: fc.constant('Spaced'), delay: durationValue }),
    fc.record({
      _tag: fc.constantFrom('Intersect', 'Union', 'AndThen'),
      policies: fc.array(tie('node'), { maxLength: 3 }),
    }),
    fc.record({ _tag: fc.constantFrom('Cap', 'UpTo'), max: durationValue, duration: durationValue, of: tie('node') }),
    fc.record({ _tag: fc.constant('FromDelays'), delays: fc.array(durationValue, { maxLength: 3 }) }),
    fc.anything(),
  ),
}))
const policyJsonLike = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.constant({ recurs: 3 }),
    fc.record({ spaced: fc.oneof(fc.constant('1s'), fc.jsonValue()) }),
    fc.dictionary(fc.constantFrom('intersect', 'union', 'andThen'), fc.array(tie('node'), { maxLength: 3 }), {
      maxKeys: 1,
    }),
    fc.record({ cap: fc.constant('1s'), of: tie('node') }),
    fc.record({ fromDelays: fc.array(fc.oneof(fc.constant(10), fc.jsonValue()), { maxLength: 3 }) }),
    fc.jsonValue(),
  ),
})).node

describe('policies: Policy.decode, decodeJson, is', () => {
  it('property: decode and is never throw, on any value, cyclic ones included', () => {
    const cyclic = fc
      .tuple(
        fc.oneof(policyJsonLike, policyLike),
        fc.constantFrom('of', 'policies', 'intersect', 'union', 'delays'),
        fc.boolean(),
      )
      .map(([inner, key, json]) => withCycle(inner, key, json))
    fc.assert(
      fc.property(fc.oneof(policyJsonLike, policyLike, cyclic, fc.anything()), (value) => {
        const decoded = Policy.decode(value)
        if (E.isRight(decoded)) {
          expect(Policy.is(decoded.right)).toBe(true)
          Schedule.simulate(Policy.toSchedule(decoded.right), [1, 2, 3])
        }
        const is = Policy.is(value)
        if (is) Schedule.simulate(Policy.toSchedule(value as Policy.Policy), [1, 2, 3])
      }),
      { numRuns: 1000 },
    )
  })

  it('property: decodeJson never throws on hostile text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileText,
          policyJsonLike.map((json) => JSON.stringify(json)),
        ),
        (text) => {
          const result = Policy.decodeJson(text)
          if (E.isLeft(result)) expect(result.left.messages[0]).toMatch(/^at policy/)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('Policy.is never throws on cyclic or very deep values: it says false', () => {
    const { cap, intersect, deep } = cyclicAndDeepPolicies(1_000_000)
    const wide = { _tag: 'Intersect', policies: Array(1_000_000).fill({ _tag: 'Recurs', times: 1 }) }
    for (const value of [cap, intersect, deep, wide]) expect(Policy.is(value)).toBe(false)
  })

  it('an intersect of 20,000 and a fromDelays of 300,000 (which threw when run in 0.1.0) are refused at decode time', () => {
    const intersect = Policy.decode({ intersect: Array.from({ length: 20_000 }, () => ({ spaced: 1 })) })
    const fromDelays = Policy.decode({ fromDelays: Array<number>(300_000).fill(1) })
    expect(intersect).toEqual(
      E.left({
        _tag: 'PolicyError',
        messages: [
          'at policy.intersect: expected at most 1000 policies (Policy.MAX_POLICIES, the limit on untrusted policies), got an array of 20000',
        ],
      }),
    )
    expect(fromDelays).toEqual(
      E.left({
        _tag: 'PolicyError',
        messages: [
          'at policy.fromDelays: expected at most 10000 delays (Policy.MAX_DELAYS, the limit on untrusted policies), got an array of 300000',
        ],
      }),
    )
  })

  it('a 1 MB key (1 s in 0.1.0) is refused at once with a short message', () => {
    for (const input of [{ ['x'.repeat(1_000_000)]: 1 }, { recurs: 1, ['recurs'.repeat(200_000)]: 1 }]) {
      const result = Policy.decode(input)
      expect(E.isLeft(result)).toBe(true)
      if (E.isLeft(result)) for (const m of result.left.messages) expect(m.length).toBeLessThan(500)
    }
  })

  it.each<[string, (n: number) => unknown]>([
    ['the length of an unknown key', (n) => ({ ['k'.repeat(n)]: 1 })],
    ['the length of a misspelt key next to a combinator', (n) => ({ recurs: 1, ['recurs'.repeat(n / 6)]: 1 })],
    [
      'the number of misspelt keys, each searched for a suggestion',
      (n) => ({ retries: 1, ...Object.fromEntries(Array.from({ length: n / 10 }, (_, i) => [`retires${i}`, 1])) }),
    ],
    ['the length of a duration', (n) => ({ spaced: '1'.repeat(n) + 'x' })],
    ['the length of an over-long list', (n) => ({ intersect: Array(n).fill({ recurs: 1 }) })],
    ['the length of an over-long fromDelays', (n) => ({ fromDelays: Array(n).fill(1) })],
  ])('decode is linear in %s', (_, make) => {
    expect(growth(make, Policy.decode, 100)).toBeLessThan(LINEAR)
  })

  it.each<[string, (n: number) => string]>([
    ['deeply nested text', repeat('[')],
    ['deeply nested policies', (n) => '{"cap":"1s","of":'.repeat(n / 17)],
    ['a long unknown key', (n) => `{"${'k'.repeat(n)}":1}`],
    ['a long list', (n) => `{"intersect":[${'{"recurs":1},'.repeat(n / 13)}{"recurs":1}]}`],
  ])('decodeJson is linear in %s', (_, make) => {
    expect(growth(make, Policy.decodeJson, 1_000)).toBeLessThan(LINEAR)
  })
})
