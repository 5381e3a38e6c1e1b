import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import type * as TE from 'fp-ts/TaskEither'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { Random, Retry, Schedule, TestClock } from '../src/index'
import * as Grpc from '../src/Grpc'

/** The retry policy of the gRPC retry design (gRFC A6). */
const A6 = {
  maxAttempts: 4,
  initialBackoff: '.1s',
  maxBackoff: '1s',
  backoffMultiplier: 2,
  retryableStatusCodes: ['UNAVAILABLE'],
}

const decoded = (input: unknown): Grpc.RetryPolicy => {
  const result = Grpc.decode(input)
  if (E.isLeft(result)) throw new Error(`expected a valid retryPolicy: ${result.left.messages.join('; ')}`)
  return result.right
}

const messagesOf = (input: unknown): ReadonlyArray<string> =>
  E.match(
    (e: { readonly messages: ReadonlyArray<string> }) => e.messages,
    () => [],
  )(Grpc.decode(input))

const FAILURES = Array(10).fill(14)

/** The bound of retry n (from 1), as gRFC A6 words it: min(initialBackoff * multiplier^(n-1), maxBackoff). */
const boundsOf = (initial: number, max: number, multiplier: number, retries: number): ReadonlyArray<number> =>
  Array.from({ length: retries }, (_, i) => Math.min(initial * multiplier ** i, max))

describe('the examples of the gRPC retry design', () => {
  it('decodes the A6 retryPolicy', () => {
    expect(Grpc.decode(A6)).toEqual(
      E.right({
        maxAttempts: 4,
        initialBackoff: { _tag: 'Duration', millis: 100, spelling: '.1s' },
        maxBackoff: { _tag: 'Duration', millis: 1000, spelling: '1s' },
        backoffMultiplier: 2,
        retryableStatusCodes: ['UNAVAILABLE'],
      }),
    )
  })

  // gRFC A6 (since 2024): "the n-th attempt will occur after min(initialBackoff*backoffMultiplier**(n-1), maxBackoff) * random(0.8, 1.2))"
  it('waits min(initialBackoff * multiplier^(n-1), maxBackoff) * random(0.8, 1.2) before retry n, for maxAttempts - 1 retries', () => {
    const schedule = Grpc.toSchedule(decoded(A6))
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const delays = Schedule.simulate(schedule, FAILURES, { random: Random.seeded(seed) })
        const draws = Random.seeded(seed)
        expect(delays).toEqual(boundsOf(100, 1000, 2, 3).map((bound) => bound * (0.8 + 0.4 * draws())))
        delays.forEach((d, i) => expect(d >= 0.8 * [100, 200, 400][i]! && d <= 1.2 * [100, 200, 400][i]!).toBe(true))
      }),
    )
    expect(Schedule.simulate(schedule, FAILURES, { random: Random.constant(0) })).toEqual([80, 160, 320])
    const highest = Schedule.simulate(schedule, FAILURES, { random: Random.constant(0.999_999) })
    ;[120, 240, 480].forEach((bound, i) => expect(highest[i]).toBeCloseTo(bound, 2))
  })

  it('the hedging example durations read the same way: "0s" is refused for a retry backoff, ".5s" is 500 ms', () => {
    expect(decoded({ ...A6, initialBackoff: '.5s' }).initialBackoff.millis).toBe(500)
    expect(messagesOf({ ...A6, initialBackoff: '0s' })).toEqual([
      'at retryPolicy.initialBackoff: expected a duration greater than zero, in seconds with an "s", such as "0.1s" or "1.5s", got "0s"',
    ])
  })
})

describe('the schedule', () => {
  it.each<[string, Partial<typeof A6> & Record<string, unknown>, ReadonlyArray<number>]>([
    ['maxAttempts 2: one retry', { maxAttempts: 2 }, [100]],
    ['maxAttempts 5: four retries', { maxAttempts: 5 }, [100, 200, 400, 800]],
    ['maxAttempts 6 is treated as 5', { maxAttempts: 6 }, [100, 200, 400, 800]],
    ['maxAttempts 100 is treated as 5', { maxAttempts: 100 }, [100, 200, 400, 800]],
    ['the bound stops at maxBackoff', { maxAttempts: 5, maxBackoff: '0.3s' }, [100, 200, 300, 300]],
    ['maxBackoff below initialBackoff bounds every retry', { maxAttempts: 3, maxBackoff: '0.05s' }, [50, 50]],
    ['multiplier 1: a constant bound', { maxAttempts: 4, backoffMultiplier: 1 }, [100, 100, 100]],
    [
      'multiplier in (0, 1): the bound shrinks',
      { maxAttempts: 5, initialBackoff: '1s', maxBackoff: '10s', backoffMultiplier: 0.5 },
      [1000, 500, 250, 125],
    ],
    ['fractional multiplier', { maxAttempts: 4, backoffMultiplier: 1.5 }, [100, 150, 225]],
    ['nanosecond precision', { maxAttempts: 2, initialBackoff: '1.000340012s', maxBackoff: '2s' }, [1000.340012]],
    [
      'a huge multiplier saturates at maxBackoff',
      { maxAttempts: 5, backoffMultiplier: 1e308 },
      [100, 1000, 1000, 1000],
    ],
  ])('%s', (_, change, bounds) => {
    const schedule = Grpc.toSchedule(decoded({ ...A6, ...change }))
    // with a random source pinned at 0.5, the factor random(0.8, 1.2) is exactly 1: each delay is its bound
    expect(Schedule.simulate(schedule, FAILURES, { random: Random.constant(0.5) })).toEqual(bounds)
  })

  it('the bounds follow the A6 formula for any valid policy', () => {
    const policy = fc.record({
      maxAttempts: fc.integer({ min: 2, max: 20 }),
      initial: fc.integer({ min: 1, max: 10_000 }),
      max: fc.integer({ min: 1, max: 100_000 }),
      multiplier: fc.double({ min: 0.01, max: 10, noNaN: true }),
    })
    fc.assert(
      fc.property(policy, fc.integer(), ({ maxAttempts, initial, max, multiplier }, seed) => {
        const p = decoded({
          maxAttempts,
          initialBackoff: `${initial / 1000}s`,
          maxBackoff: `${max / 1000}s`,
          backoffMultiplier: multiplier,
          retryableStatusCodes: [14],
        })
        const delays = Schedule.simulate(Grpc.toSchedule(p), Array(30).fill(14), { random: Random.seeded(seed) })
        const bounds = boundsOf(p.initialBackoff.millis, p.maxBackoff.millis, multiplier, Math.min(maxAttempts, 5) - 1)
        expect(delays).toHaveLength(bounds.length)
        delays.forEach((d, i) => expect(d >= 0.8 * bounds[i]! && d <= 1.2 * bounds[i]!).toBe(true))
      }),
    )
  })
})

describe('retryable status codes', () => {
  it('answers by name and by number', () => {
    const isRetryable = Grpc.isRetryable(decoded({ ...A6, retryableStatusCodes: ['UNAVAILABLE', 10] }))
    expect([isRetryable('UNAVAILABLE'), isRetryable(14), isRetryable('ABORTED'), isRetryable(10)]).toEqual([
      true,
      true,
      true,
      true,
    ])
    expect([isRetryable('INVALID_ARGUMENT'), isRetryable(3), isRetryable(0), isRetryable('invalid_argument')]).toEqual([
      false,
      false,
      false,
      false,
    ])
    // gRFC A6 writes codes "in the integer form or the case-insensitive string form"
    expect([isRetryable('unavailable'), isRetryable('Aborted')]).toEqual([true, true])
  })

  it('reads names in any case, as gRFC A6 requires, and holds them in upper case', () => {
    const policy = decoded({ ...A6, retryableStatusCodes: ['unavailable', 'Resource_Exhausted', 'ABORTED', 4] })
    expect(policy.retryableStatusCodes).toEqual(['UNAVAILABLE', 'RESOURCE_EXHAUSTED', 'ABORTED', 'DEADLINE_EXCEEDED'])
    expect(Grpc.encode(policy).retryableStatusCodes).toEqual([
      'UNAVAILABLE',
      'RESOURCE_EXHAUSTED',
      'ABORTED',
      'DEADLINE_EXCEEDED',
    ])
    expect(Grpc.codec.is(policy)).toBe(true)
  })

  it('knows every gRPC status code, 0 to 16', () => {
    expect(Object.values(Grpc.STATUS_CODES)).toEqual(Array.from({ length: 17 }, (_, i) => i))
  })

  it('retries the retryable codes and no others, in virtual time', async () => {
    type RpcError = { readonly code: number }
    const policy = decoded(A6)
    const schedule = pipe(
      Grpc.toSchedule(policy),
      Schedule.whileInput((e: RpcError) => Grpc.isRetryable(policy)(e.code)),
    )
    const run = async (codes: ReadonlyArray<number>) => {
      const clock = TestClock.make()
      let calls = 0
      const rpc: TE.TaskEither<RpcError, string> = () => {
        const code = codes[calls++]
        return Promise.resolve(code === undefined ? E.right('ok') : E.left({ code }))
      }
      const result = pipe(rpc, Retry.retrying(schedule, { clock, random: Random.constant(0.5) }))()
      await clock.runAll()
      return { result: await result, calls, time: clock.now() }
    }
    // random 0.5: the A6 factor random(0.8, 1.2) is 1, so each delay is its bound
    expect(await run([14, 14])).toEqual({ result: E.right('ok'), calls: 3, time: 100 + 200 })
    expect(await run([14, 3])).toEqual({ result: E.left({ code: 3 }), calls: 2, time: 100 })
    expect(await run([14, 14, 14, 14])).toEqual({ result: E.left({ code: 14 }), calls: 4, time: 100 + 200 + 400 })
  })
})

describe('invalid policies are refused as the gRPC spec requires', () => {
  const DURATION = 'a duration greater than zero, in seconds with an "s", such as "0.1s" or "1.5s"'
  const CODE = 'a status code name such as "UNAVAILABLE" or a number from 0 to 16'

  it.each<[string, unknown, ReadonlyArray<string>]>([
    [
      'maxAttempts 1',
      { ...A6, maxAttempts: 1 },
      ['at retryPolicy.maxAttempts: expected an integer >= 2 (it counts the first attempt), got 1'],
    ],
    [
      'maxAttempts 2.5',
      { ...A6, maxAttempts: 2.5 },
      ['at retryPolicy.maxAttempts: expected an integer >= 2 (it counts the first attempt), got 2.5'],
    ],
    [
      'empty retryableStatusCodes',
      { ...A6, retryableStatusCodes: [] },
      ['at retryPolicy.retryableStatusCodes: expected a non-empty array of status codes, got []'],
    ],
    [
      'a negative initialBackoff',
      { ...A6, initialBackoff: '-1s' },
      [`at retryPolicy.initialBackoff: expected ${DURATION}, got "-1s"`],
    ],
    [
      'a negative maxBackoff',
      { ...A6, maxBackoff: '-0.5s' },
      [`at retryPolicy.maxBackoff: expected ${DURATION}, got "-0.5s"`],
    ],
    [
      'a duration as a number',
      { ...A6, maxBackoff: 1000 },
      [`at retryPolicy.maxBackoff: expected ${DURATION}, got 1000`],
    ],
    [
      'a duration in ms',
      { ...A6, initialBackoff: '100ms' },
      [`at retryPolicy.initialBackoff: expected ${DURATION}, got "100ms"`],
    ],
    [
      'more than nanosecond precision',
      { ...A6, initialBackoff: '0.1234567891s' },
      [`at retryPolicy.initialBackoff: expected ${DURATION}, got "0.1234567891s"`],
    ],
    [
      'a zero multiplier',
      { ...A6, backoffMultiplier: 0 },
      ['at retryPolicy.backoffMultiplier: expected a number greater than 0, got 0'],
    ],
    [
      'a negative multiplier',
      { ...A6, backoffMultiplier: -2 },
      ['at retryPolicy.backoffMultiplier: expected a number greater than 0, got -2'],
    ],
    [
      'a multiplier as a string',
      { ...A6, backoffMultiplier: '2' },
      ['at retryPolicy.backoffMultiplier: expected a number greater than 0, got "2"'],
    ],
    [
      'an unknown status name, with a suggestion',
      {
        ...A6,
        retryableStatusCodes: [
          'UNAVAILABLE',
          'unavailable',
          'UNAVAILIBLE',
          'TIMEOUT',
          17,
          -1,
          null,
          'unavailible',
          1.5,
        ],
      },
      [
        `at retryPolicy.retryableStatusCodes[2]: expected ${CODE}, got "UNAVAILIBLE" (did you mean "UNAVAILABLE"?)`,
        `at retryPolicy.retryableStatusCodes[3]: expected ${CODE}, got "TIMEOUT"`,
        `at retryPolicy.retryableStatusCodes[4]: expected ${CODE}, got 17`,
        `at retryPolicy.retryableStatusCodes[5]: expected ${CODE}, got -1`,
        `at retryPolicy.retryableStatusCodes[6]: expected ${CODE}, got null`,
        `at retryPolicy.retryableStatusCodes[7]: expected ${CODE}, got "unavailible" (did you mean "UNAVAILABLE"?)`,
        `at retryPolicy.retryableStatusCodes[8]: expected ${CODE}, got 1.5`,
      ],
    ],
    [
      'a Go-style capitalised key',
      { ...A6, MaxBackoff: '1s' },
      ['at retryPolicy: unexpected key "MaxBackoff" (did you mean "maxBackoff"?)'],
    ],
    [
      'everything missing',
      {},
      [
        'at retryPolicy.maxAttempts: expected an integer >= 2, but the key is missing',
        `at retryPolicy.initialBackoff: expected ${DURATION}, but the key is missing`,
        `at retryPolicy.maxBackoff: expected ${DURATION}, but the key is missing`,
        'at retryPolicy.backoffMultiplier: expected a number greater than 0, but the key is missing',
        'at retryPolicy.retryableStatusCodes: expected a non-empty array of status codes, but the key is missing',
      ],
    ],
    [
      'not an object',
      '{"maxAttempts": 4}',
      [
        'at retryPolicy: expected a gRPC retryPolicy (an object with the keys "maxAttempts", "initialBackoff", "maxBackoff", "backoffMultiplier" and "retryableStatusCodes"), got "{\\"maxAttempts\\": 4}"',
      ],
    ],
  ])('%s', (_, input, messages) => {
    expect(messagesOf(input)).toEqual(messages)
  })

  it('never throws, whatever the input', () => {
    const mutated = fc
      .tuple(fc.constantFrom(...Object.keys(A6)), fc.oneof(fc.jsonValue(), fc.anything()))
      .map(([k, v]) => ({ ...A6, [k]: v }))
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything(), mutated), (input) => {
        const result = Grpc.decode(input)
        if (E.isLeft(result)) {
          expect(result.left.messages.length).toBeGreaterThanOrEqual(1)
          result.left.messages.forEach((m) =>
            expect(m).toMatch(/^at retryPolicy(\.\w+|\[\d+\])*: (expected|unexpected key|could not be read) /),
          )
        } else {
          expect(Grpc.codec.is(result.right)).toBe(true)
          const delays = Schedule.simulate(Grpc.toSchedule(result.right), FAILURES, { random: Random.seeded(1) })
          expect(delays.length).toBe(Math.min(result.right.maxAttempts, 5) - 1)
          for (const d of delays) expect(Number.isFinite(d) && d >= 0).toBe(true)
        }
      }),
      { numRuns: 1000 },
    )
  })
})

describe('"did you mean" for status names: bounded work, the same suggestions', () => {
  const NAMES = Object.keys(Grpc.STATUS_CODES)
  const CODE = 'a status code name such as "UNAVAILABLE" or a number from 0 to 16'

  /** The suggestion as 0.1.0 computed it: an edit distance to every name, whatever the length. */
  const reference = (word: string): string | undefined => {
    const distance = (a: string, b: string): number => {
      let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
      for (let i = 1; i <= a.length; i++) {
        const current = [i]
        for (let j = 1; j <= b.length; j++) {
          current[j] = Math.min(
            previous[j]! + 1,
            current[j - 1]! + 1,
            previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
          )
        }
        previous = current
      }
      return previous[b.length]!
    }
    const upper = word.toUpperCase()
    if (NAMES.includes(upper)) return undefined // a name, accepted: nothing to suggest
    let best: string | undefined
    let bestDistance = Infinity
    for (const name of NAMES) {
      const d = name.toLowerCase() === upper.toLowerCase() ? 0 : distance(upper, name)
      if (d < bestDistance) [best, bestDistance] = [name, d]
    }
    return bestDistance <= Math.max(1, Math.floor(upper.length / 3)) ? best : undefined
  }

  const suggestionOf = (code: string): string | undefined => {
    const result = Grpc.decode({ ...A6, retryableStatusCodes: [code] })
    if (E.isRight(result)) return undefined
    return /\(did you mean "(\w+)"\?\)$/.exec(result.left.messages[0] ?? '')?.[1]
  }

  it('property: suggests exactly what the unbounded search suggested, for names of any length', () => {
    const letters = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdeilnrstu'.split(''), 'ß', 'ﬃ')
    const near = fc
      .tuple(fc.constantFrom(...NAMES), fc.string({ unit: letters, maxLength: 30 }), fc.nat({ max: 3 }))
      .map(([name, noise, cut]) => name.slice(cut) + noise)
    fc.assert(
      fc.property(fc.oneof(near, fc.string({ unit: letters, minLength: 20, maxLength: 60 })), (code) => {
        expect(suggestionOf(code)).toBe(reference(code))
      }),
      { numRuns: 500 },
    )
  })

  it('still suggests for a plausible typo, and refuses a megabyte-long name at once, with a short message', () => {
    expect(suggestionOf('UNAVAILABLEE')).toBe('UNAVAILABLE')
    expect(suggestionOf('resource-exhausted')).toBe('RESOURCE_EXHAUSTED')
    const huge = 'UNAVAILABLE'.repeat(100_000)
    expect(messagesOf({ ...A6, retryableStatusCodes: [huge] })).toEqual([
      `at retryPolicy.retryableStatusCodes[0]: expected ${CODE}, got "${huge.slice(0, 58)}…`,
    ])
  })

  it('a Go-style key of a megabyte gets a short message and no suggestion', () => {
    const key = 'MaxBackoff'.repeat(100_000)
    expect(messagesOf({ ...A6, [key]: '1s' })).toEqual([
      `at retryPolicy: unexpected key "${key.slice(0, 58)}… (allowed here: "maxAttempts", "initialBackoff", "maxBackoff", "backoffMultiplier" or "retryableStatusCodes")`,
    ])
  })
})

describe('encoding and the codec', () => {
  it('encodes back to the same JSON, with status codes by name', () => {
    expect(Grpc.encode(decoded(A6))).toEqual(A6)
    expect(Grpc.encode(decoded({ ...A6, retryableStatusCodes: [14, 'ABORTED'] }))).toEqual({
      ...A6,
      retryableStatusCodes: ['UNAVAILABLE', 'ABORTED'],
    })
  })

  it('starts its messages where it sits in a service config', () => {
    const ServiceConfig = t.type({ methodConfig: t.array(t.type({ retryPolicy: Grpc.codec })) })
    const result = ServiceConfig.decode({
      methodConfig: [{ retryPolicy: A6 }, { retryPolicy: { ...A6, maxAttempts: 1 } }],
    })
    expect(E.isLeft(result) && result.left.map((e) => e.message)).toEqual([
      'at methodConfig[1].retryPolicy.maxAttempts: expected an integer >= 2 (it counts the first attempt), got 1',
    ])
  })

  it('is recognises decoded policies only', () => {
    expect(Grpc.codec.is(decoded(A6))).toBe(true)
    expect(Grpc.codec.is(A6)).toBe(false)
  })
})

describe('describe', () => {
  it('says what the policy does, then its first delays', () => {
    expect(Grpc.describe(decoded(A6), { seed: 3 })).toBe(
      'gRPC retry policy: up to 3 retries (maxAttempts 4) on UNAVAILABLE; retry n waits min(100ms × 2^(n-1), 1s) times a random factor between 0.8 and 1.2; ' +
        'a server pushback sets the next delay (the backoff then restarts) or stops the retries. ' +
        `With random seed 3, its delays are ${Schedule.simulate(Grpc.toSchedule(decoded(A6)), FAILURES, {
          random: Random.seeded(3),
        })
          .map((d) => `${Math.round(d * 10) / 10}ms`)
          .join(', ')
          .replace(/, ([^,]*)$/, ' and $1')}, and it gives up after 3 retries.`,
    )
    expect(Grpc.describe(decoded({ ...A6, maxAttempts: 9, retryableStatusCodes: [14, 10] }))).toMatch(
      /^gRPC retry policy: up to 4 retries \(maxAttempts 9, treated as 5\) on UNAVAILABLE or ABORTED; /,
    )
  })
})
