/**
 * The specs fp-ts-retry claims to follow, one test per sentence, quoted:
 *
 * - gRPC: gRFC A6 "gRPC Retry Design", current text (grpc/proposal A6-client-retries.md, last changed by
 *   dc9fd4f, 2024-08-29, "change specification of backoff behavior to make sense").
 * - AWS: the standard retry strategy of the AWS SDK for JavaScript v3 (smithy-lang/smithy-typescript
 *   packages/core/src/submodules/retry, re-exported by @smithy/util-retry; read at 6815d3e, 2026-08-20).
 *
 * docs/specs.md gives the formulas, the parameters and the files read.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import type * as TE from 'fp-ts/TaskEither'
import { describe, expect, it } from 'vitest'
import { Budget, Random, Retry, Schedule, TestClock } from '../src/index'
import * as Grpc from '../src/Grpc'

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

/** The retry policy of gRFC A6's example service config. */
const A6 = {
  maxAttempts: 4,
  initialBackoff: '0.1s',
  maxBackoff: '1s',
  backoffMultiplier: 2,
  retryableStatusCodes: ['UNAVAILABLE'],
}

const policyOf = (input: unknown): Grpc.RetryPolicy =>
  E.getOrElseW((e: { readonly messages: ReadonlyArray<string> }) => {
    throw new Error(e.messages.join('; '))
  })(Grpc.decode(input))

const throttlingMessages = (input: unknown): ReadonlyArray<string> =>
  E.match(
    (e: { readonly messages: ReadonlyArray<string> }) => e.messages,
    () => [],
  )(Grpc.decodeThrottling(input))

/** A failed RPC as grpc-js reports it: a numeric `code`, and trailers as `metadata`. */
type RpcError = { readonly code: number; readonly metadata?: Readonly<Record<string, string | ReadonlyArray<string>>> }
const UNAVAILABLE: RpcError = { code: 14 }
const INVALID_ARGUMENT: RpcError = { code: 3 }
const pushback = (value: string, code = 14): RpcError => ({ code, metadata: { 'grpc-retry-pushback-ms': value } })

/** The delay bound of retry n (from 1): min(initialBackoff * multiplier^(n-1), maxBackoff). */
const bound = (initial: number, max: number, multiplier: number, n: number): number =>
  Math.min(initial * multiplier ** (n - 1), max)

/** Runs `rpc` (answering from `answers`, then OK) under the policy's schedule, retrying its retryable codes only. */
const runRpc = async (policy: Grpc.RetryPolicy, answers: ReadonlyArray<RpcError>, budget?: Budget.Budget) => {
  const clock = TestClock.make()
  const sent: Array<number> = []
  let calls = 0
  const rpc: TE.TaskEither<RpcError, string> = () => {
    sent.push(clock.now())
    const answer = answers[calls++]
    return Promise.resolve(answer === undefined ? E.right('OK') : E.left(answer))
  }
  const schedule = pipe(
    Grpc.toSchedule(policy),
    Schedule.whileInput((e: RpcError) => Grpc.isRetryable(policy)(e.code)),
  )
  const running = pipe(rpc, Retry.retrying(schedule, { clock, budget, random: Random.constant(0.5) }))()
  await clock.runAll()
  return { result: await running, sent }
}

/**
 * Feeds a budget the calls the retry driver makes for one call whose attempts end with `outcomes` (errors, then
 * 'ok' for a success): recordFailure after each failure, tryRetry before each retry, recordSuccess with the error
 * before the success (none at the first attempt). Returns what each step did and the tokens after it.
 */
const drive = (
  budget: Budget.Budget,
  outcomes: ReadonlyArray<unknown>,
  maxAttempts = 3,
): ReadonlyArray<readonly [string, number]> => {
  const steps: Array<readonly [string, number]> = []
  let last: O.Option<unknown> = O.none
  for (let attempt = 1; attempt <= outcomes.length; attempt++) {
    const outcome = outcomes[attempt - 1]
    if (outcome === 'ok') {
      budget.recordSuccess(last)
      steps.push(['success', budget.tokens()])
      return steps
    }
    budget.recordFailure(outcome)
    if (attempt >= maxAttempts) {
      steps.push(['max_attempts_exceeded', budget.tokens()])
      return steps
    }
    if (!budget.tryRetry(outcome)) {
      steps.push(['retry_quota_exceeded', budget.tokens()])
      return steps
    }
    steps.push(['retry_request', budget.tokens()])
    last = O.some(outcome)
  }
  return steps
}

/** AWS SDK errors as @smithy/core/retry classifies them. */
const aws = {
  throttling: { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } },
  tooManyRequests: { name: 'Error', $metadata: { httpStatusCode: 429 } },
  serverError: { name: 'InternalError', $metadata: { httpStatusCode: 500 } },
  badGateway: { name: 'Error', $metadata: { httpStatusCode: 502 } },
  timeout: { name: 'TimeoutError' },
  reset: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
  validation: { name: 'ValidationException', $metadata: { httpStatusCode: 400 } },
} as const

/** The fastest of a few runs, in ms. */
const timed = (runs: number, work: () => void): number => {
  let best = Infinity
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    work()
    best = Math.min(best, performance.now() - start)
  }
  return best
}

// -------------------------------------------------------------------------------------
// gRPC: exponential backoff
// -------------------------------------------------------------------------------------

describe('gRFC A6: exponential backoff', () => {
  it('"The initial retry attempt will occur after initialBackoff * random(0.8, 1.2)."', () => {
    const schedule = Grpc.toSchedule(policyOf(A6))
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const [first] = Schedule.simulate(schedule, [UNAVAILABLE], { random: Random.seeded(seed) })
        expect(first).toBeGreaterThanOrEqual(80)
        expect(first).toBeLessThanOrEqual(120)
      }),
    )
  })

  it('"the n-th attempt will occur after min(initialBackoff*backoffMultiplier**(n-1), maxBackoff) * random(0.8, 1.2))" (property)', () => {
    const policies = fc.record({
      maxAttempts: fc.integer({ min: 2, max: 9 }),
      initial: fc.integer({ min: 1, max: 60_000 }),
      max: fc.integer({ min: 1, max: 600_000 }),
      multiplier: fc.double({ min: 0.01, max: 100, noNaN: true, noDefaultInfinity: true }),
    })
    fc.assert(
      fc.property(policies, fc.integer(), ({ maxAttempts, initial, max, multiplier }, seed) => {
        const policy = policyOf({
          ...A6,
          maxAttempts,
          initialBackoff: `${initial / 1000}s`,
          maxBackoff: `${max / 1000}s`,
          backoffMultiplier: multiplier,
        })
        const delays = Schedule.simulate(Grpc.toSchedule(policy), Array(12).fill(UNAVAILABLE), {
          random: Random.seeded(seed),
        })
        const draws = Random.seeded(seed)
        const { millis: i } = policy.initialBackoff
        const { millis: m } = policy.maxBackoff
        expect(delays).toHaveLength(Math.min(maxAttempts, 5) - 1)
        delays.forEach((delay, k) => {
          const b = bound(i, m, multiplier, k + 1)
          // the exact formula, with the same draws...
          expect(delay).toBeCloseTo(b * (0.8 + 0.4 * draws()), 6)
          // ...and its bounds, [0.8, 1.2] x the capped exponential
          expect(delay).toBeGreaterThanOrEqual(0.8 * b * (1 - 1e-12))
          expect(delay).toBeLessThanOrEqual(1.2 * b * (1 + 1e-12))
        })
      }),
      { numRuns: 500 },
    )
  })

  it('the jitter stays within [0.8, 1.2] x the capped exponential whatever the random source returns (property)', () => {
    const hostile = fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Infinity, -Infinity, 1, -1, 0, 0.999_999_999_999))
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 8 }), (values) => {
        let k = 0
        const random = () => values[k++ % values.length]!
        const delays = Schedule.simulate(Grpc.toSchedule(policyOf({ ...A6, maxAttempts: 5 })), Array(5).fill(14), {
          random,
        })
        expect(delays).toHaveLength(4)
        delays.forEach((d, n) => {
          expect(d).toBeGreaterThanOrEqual(0.8 * bound(100, 1000, 2, n + 1))
          expect(d).toBeLessThanOrEqual(1.2 * bound(100, 1000, 2, n + 1))
        })
      }),
    )
  })

  it('"Note that this means that the backoff delay may actually be slightly lower than initialBackoff or slightly higher than maxBackoff."', () => {
    const policy = policyOf({ ...A6, maxAttempts: 5, maxBackoff: '0.2s' })
    const low = Schedule.simulate(Grpc.toSchedule(policy), Array(4).fill(14), { random: Random.constant(0) })
    const high = Schedule.simulate(Grpc.toSchedule(policy), Array(4).fill(14), { random: Random.constant(0.999) })
    expect(low[0]).toBe(80) // below initialBackoff (100 ms)
    expect(high[3]).toBeGreaterThan(200) // above maxBackoff (200 ms)
    expect(high[3]).toBeCloseTo(239.92, 6)
  })

  it('the retry driver sleeps exactly those delays, in virtual time', async () => {
    const { result, sent } = await runRpc(policyOf(A6), [UNAVAILABLE, UNAVAILABLE, UNAVAILABLE])
    expect(result).toEqual(E.right('OK'))
    // random 0.5: random(0.8, 1.2) is 1
    expect(sent).toEqual([0, 100, 100 + 200, 100 + 200 + 400])
  })
})

// -------------------------------------------------------------------------------------
// gRPC: retry throttling
// -------------------------------------------------------------------------------------

describe('gRFC A6: retry throttling', () => {
  const policy = policyOf(A6)

  it('"the gRPC client maintains a token_count variable which is initially set to maxTokens and can take values between 0 and maxTokens"', () => {
    const budget = Grpc.throttle({ maxTokens: 3, tokenRatio: 0.5 }, policy)()
    expect(budget.tokens()).toBe(3)
    budget.recordSuccess()
    expect(budget.tokens()).toBe(3)
    for (let i = 0; i < 5; i++) budget.recordFailure(UNAVAILABLE)
    expect(budget.tokens()).toBe(0)
  })

  it('"Every failed RPC will decrement the token_count by 1." "Every successful RPC will increment the token_count by tokenRatio."', () => {
    const budget = Grpc.throttle({ maxTokens: 10, tokenRatio: 0.1 }, policy)()
    budget.recordFailure(UNAVAILABLE)
    expect(budget.tokens()).toBe(9)
    budget.recordSuccess()
    expect(budget.tokens()).toBe(9.1)
  })

  it('"If token_count is less than or equal to the threshold, defined to be (maxTokens / 2), then RPCs will not be retried until token_count rises over the threshold."', () => {
    const budget = Grpc.throttle({ maxTokens: 10, tokenRatio: 0.1 }, policy)()
    for (let i = 0; i < 4; i++) budget.recordFailure(UNAVAILABLE)
    expect(budget.tryRetry(UNAVAILABLE)).toBe(true) // 6 > 5
    budget.recordFailure(UNAVAILABLE)
    expect(budget.tryRetry(UNAVAILABLE)).toBe(false) // 5 <= 5
    budget.recordSuccess()
    expect(budget.tryRetry(UNAVAILABLE)).toBe(true) // 5.1 > 5
  })

  it('"The only RPCs that are counted as failures for the throttling policy are RPCs that fail with a status code that qualifies as a retryable [...] status code, or that receive a pushback response indicating not to retry."', () => {
    const budget = Grpc.throttle({ maxTokens: 10, tokenRatio: 0.1 }, policy)()
    budget.recordFailure(UNAVAILABLE) // retryable: counts
    expect(budget.tokens()).toBe(9)
    budget.recordFailure(INVALID_ARGUMENT) // not retryable: does not count
    budget.recordFailure({ code: 'invalid_argument' })
    budget.recordFailure(new Error('not even an RPC'))
    expect(budget.tokens()).toBe(9)
    budget.recordFailure(pushback('-1', 3)) // pushback "do not retry": counts, whatever the code
    budget.recordFailure(pushback('soon', 3))
    expect(budget.tokens()).toBe(7)
    budget.recordFailure(pushback('10', 3)) // a pushback with a delay on a fatal code: does not count
    expect(budget.tokens()).toBe(7)
    expect([{ code: 'UNAVAILABLE' }, { code: 'Unavailable' }].map(Grpc.isThrottlingFailure(policy))).toEqual([
      true,
      true,
    ])
  })

  it('"This avoids conflating server failure with responses to malformed requests (such as the INVALID_ARGUMENT status code)."', async () => {
    const budget = Grpc.throttle({ maxTokens: 10, tokenRatio: 0.1 }, policy)()
    // a hundred malformed requests do not throttle the next RPC's retries
    for (let i = 0; i < 100; i++) await runRpc(policy, [INVALID_ARGUMENT], budget)
    expect(budget.tokens()).toBe(10)
    const { result, sent } = await runRpc(policy, [UNAVAILABLE, UNAVAILABLE], budget)
    expect(result).toEqual(E.right('OK'))
    expect(sent).toHaveLength(3)
    expect(budget.tokens()).toBe(8.1)
  })

  it('Budget.throttle counts every failure by default, and only those `isFailure` accepts when given', () => {
    const all = Budget.throttle({ maxTokens: 10 })()
    all.recordFailure(INVALID_ARGUMENT)
    expect(all.tokens()).toBe(9)
    const some = Budget.throttle({ maxTokens: 10, isFailure: (e) => e === 'counted' })()
    some.recordFailure('ignored')
    some.recordFailure('counted')
    expect(some.tokens()).toBe(9)
  })

  it('"Decimal places beyond 3 are ignored. (eg. 0.5466 is treated as 0.546.)" (truncated, not rounded)', () => {
    const budget = Grpc.throttle({ maxTokens: 10, tokenRatio: 0.5466 }, policy)()
    budget.recordFailure(UNAVAILABLE)
    budget.recordSuccess()
    expect(budget.tokens()).toBe(9.546)
    // the decimal spelling counts, not the binary value: 0.57 adds 0.57 (Math.floor(0.57 * 1000) is 569)
    const b = Budget.throttle({ maxTokens: 10, tokenRatio: 0.57 })()
    b.recordFailure('x')
    b.recordSuccess()
    expect(b.tokens()).toBe(9.57)
  })

  it('truncates any tokenRatio to its first 3 decimal places (property)', () => {
    const ratios = fc
      .tuple(fc.integer({ min: 0, max: 2 }), fc.stringMatching(/^\d{1,8}$/))
      .map(([whole, fraction]) => Number(`${whole}.${fraction}`))
      .filter((r) => r >= 0.001)
    fc.assert(
      fc.property(ratios, (ratio) => {
        const [whole = '0', fraction = ''] = String(ratio).split('.')
        const expected = Number(whole) + Number(fraction.slice(0, 3).padEnd(3, '0')) / 1000
        const budget = Budget.throttle({ maxTokens: 1000, tokenRatio: ratio })()
        for (let i = 0; i < 10; i++) budget.recordFailure('x')
        budget.recordSuccess()
        expect(budget.tokens()).toBeCloseTo(990 + expected, 9)
      }),
    )
  })
})

describe('gRFC A6: validation of retryThrottling', () => {
  const MAX = 'an integer greater than 0 and at most 1000'
  const RATIO = 'a number greater than 0, at least 0.001 (decimal places beyond 3 are ignored)'

  it('decodes the example config', () => {
    expect(Grpc.decodeThrottling({ maxTokens: 10, tokenRatio: 0.1 })).toEqual(
      E.right({ maxTokens: 10, tokenRatio: 0.1 }),
    )
  })

  it.each<[string, unknown, ReadonlyArray<string>]>([
    ['maxTokens 0', { maxTokens: 0, tokenRatio: 0.1 }, [`at retryThrottling.maxTokens: expected ${MAX}, got 0`]],
    ['maxTokens -1', { maxTokens: -1, tokenRatio: 0.1 }, [`at retryThrottling.maxTokens: expected ${MAX}, got -1`]],
    [
      'maxTokens 1001',
      { maxTokens: 1001, tokenRatio: 0.1 },
      [`at retryThrottling.maxTokens: expected ${MAX}, got 1001`],
    ],
    [
      'maxTokens 10.5',
      { maxTokens: 10.5, tokenRatio: 0.1 },
      [`at retryThrottling.maxTokens: expected ${MAX}, got 10.5`],
    ],
    [
      'maxTokens "10"',
      { maxTokens: '10', tokenRatio: 0.1 },
      [`at retryThrottling.maxTokens: expected ${MAX}, got "10"`],
    ],
    [
      'maxTokens missing',
      { tokenRatio: 0.1 },
      [`at retryThrottling.maxTokens: expected ${MAX}, but the key is missing`],
    ],
  ])(
    '"maxTokens MUST be specified and MUST be a JSON integer value in the range (0, 1000]": %s',
    (_, input, messages) => {
      expect(throttlingMessages(input)).toEqual(messages)
    },
  )

  it('accepts maxTokens 1 and 1000, the ends of (0, 1000]', () => {
    expect(E.isRight(Grpc.decodeThrottling({ maxTokens: 1, tokenRatio: 0.1 }))).toBe(true)
    expect(E.isRight(Grpc.decodeThrottling({ maxTokens: 1000, tokenRatio: 0.1 }))).toBe(true)
  })

  it.each<[string, unknown, ReadonlyArray<string>]>([
    ['tokenRatio 0', { maxTokens: 10, tokenRatio: 0 }, [`at retryThrottling.tokenRatio: expected ${RATIO}, got 0`]],
    [
      'tokenRatio -0.1',
      { maxTokens: 10, tokenRatio: -0.1 },
      [`at retryThrottling.tokenRatio: expected ${RATIO}, got -0.1`],
    ],
    [
      'tokenRatio 0.0005 (treated as 0.000)',
      { maxTokens: 10, tokenRatio: 0.0005 },
      [`at retryThrottling.tokenRatio: expected ${RATIO}, got 0.0005`],
    ],
    [
      'tokenRatio "0.1"',
      { maxTokens: 10, tokenRatio: '0.1' },
      [`at retryThrottling.tokenRatio: expected ${RATIO}, got "0.1"`],
    ],
    [
      'tokenRatio missing',
      { maxTokens: 10 },
      [`at retryThrottling.tokenRatio: expected ${RATIO}, but the key is missing`],
    ],
  ])('"tokenRatio MUST be specified and MUST be a JSON floating point greater than 0": %s', (_, input, messages) => {
    expect(throttlingMessages(input)).toEqual(messages)
  })

  it('refuses unknown keys and non-objects, and reports every problem at once', () => {
    expect(throttlingMessages({ maxTokens: 10, tokenRatio: 0.1, MaxTokens: 3 })).toEqual([
      'at retryThrottling: unexpected key "MaxTokens" (did you mean "maxTokens"?)',
    ])
    expect(throttlingMessages([10, 0.1])).toEqual([
      'at retryThrottling: expected a gRPC retryThrottling (an object with the keys "maxTokens" and "tokenRatio"), got [10,0.1]',
    ])
    expect(throttlingMessages({ maxTokens: 2000, tokenRatio: 0 })).toHaveLength(2)
  })

  it('the codec reads the same, with its place in a service config', () => {
    const result = Grpc.throttlingCodec.decode({ maxTokens: 1001, tokenRatio: 0.1 })
    expect(E.isLeft(result) && result.left.map((e) => e.message)).toEqual([
      `at retryThrottling.maxTokens: expected ${MAX}, got 1001`,
    ])
    expect(Grpc.throttlingCodec.is({ maxTokens: 10, tokenRatio: 0.1 })).toBe(true)
    expect(Grpc.throttlingCodec.is({ maxTokens: 10, tokenRatio: 0 })).toBe(false)
  })

  it('never throws, whatever the input (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.anything(), fc.record({ maxTokens: fc.anything(), tokenRatio: fc.anything() })),
        (input) => {
          const result = Grpc.decodeThrottling(input)
          if (E.isRight(result)) {
            expect(Number.isInteger(result.right.maxTokens) && result.right.maxTokens > 0).toBe(true)
            expect(result.right.maxTokens).toBeLessThanOrEqual(1000)
            expect(result.right.tokenRatio).toBeGreaterThanOrEqual(0.001)
          } else result.left.messages.forEach((m) => expect(m).toMatch(/^at retryThrottling/))
        },
      ),
    )
  })
})

// -------------------------------------------------------------------------------------
// gRPC: server pushback
// -------------------------------------------------------------------------------------

describe('gRFC A6: server pushback', () => {
  const policy = policyOf({ ...A6, maxAttempts: 5 })
  const simulate = (inputs: ReadonlyArray<unknown>, p = policy) =>
    Schedule.simulate(Grpc.toSchedule(p), inputs, { random: Random.constant(0.5) })

  it('"The value is to be an ASCII encoded signed 32-bit integer with no unnecessary leading zeros that represents how many milliseconds to wait before sending a retry."', () => {
    expect(['0', '1', '250', '2147483647'].map(Grpc.parsePushback)).toEqual([
      { _tag: 'RetryIn', millis: 0 },
      { _tag: 'RetryIn', millis: 1 },
      { _tag: 'RetryIn', millis: 250 },
      { _tag: 'RetryIn', millis: 2147483647 },
    ])
  })

  it('"If the value for pushback is negative or unparseble, then it will be seen as the server asking the client not to retry at all."', () => {
    const dontRetry = [
      '-1',
      '-2147483648',
      '007',
      '-0',
      '+5',
      ' 5',
      '5 ',
      '1.5',
      '1e3',
      '',
      'soon',
      '2147483648',
      '0x10',
    ]
    expect(dontRetry.map(Grpc.parsePushback)).toEqual(dontRetry.map((value) => ({ _tag: 'DontRetry', value })))
    for (const value of ['-1', 'soon']) expect(simulate([UNAVAILABLE, pushback(value), UNAVAILABLE])).toEqual([100])
  })

  it('"When a client receives an explicit pushback response from a server, and it is appropriate to retry the RPC, it will retry after exactly that delay."', () => {
    // exactly: no jitter, whatever the random source, and no cap at maxBackoff
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed, ms) => {
        const [delay] = Schedule.simulate(Grpc.toSchedule(policy), [pushback(String(ms))], {
          random: Random.seeded(seed),
        })
        expect(delay).toBe(ms)
      }),
    )
  })

  it('"For subsequent retries, the delay period will be reset to the initialBackoff setting and scale according to the Exponential Backoff section above, unless an explicit pushback response is received again."', () => {
    expect(simulate([UNAVAILABLE, UNAVAILABLE, pushback('3000'), UNAVAILABLE])).toEqual([100, 200, 3000, 100])
    expect(simulate([UNAVAILABLE, pushback('3000'), UNAVAILABLE, UNAVAILABLE])).toEqual([100, 3000, 100, 200])
    expect(simulate([pushback('10'), pushback('20'), UNAVAILABLE, pushback('0')])).toEqual([10, 20, 100, 0])
  })

  it('"If the client has already exhausted its maxAttempts, the call will not be retried even if the server says to retry after a given delay."', () => {
    const two = policyOf({ ...A6, maxAttempts: 2 })
    expect(simulate([pushback('5'), pushback('5'), pushback('5')], two)).toEqual([5])
  })

  it('"Pushback: Don\'t Retry — Don\'t retry, return failure to client application"; "Pushback: Retry in n ms — If this attempt also fails, retry delay will reset to initial backoff"', async () => {
    const stop = await runRpc(policy, [pushback('-1'), UNAVAILABLE])
    expect(stop).toEqual({ result: E.left(pushback('-1')), sent: [0] })
    const later = await runRpc(policy, [pushback('2500'), UNAVAILABLE])
    expect(later).toEqual({ result: E.right('OK'), sent: [0, 2500, 2600] })
  })

  it('"Fatal Status Code — Don\'t retry": a pushback with a delay does not make a non-retryable code retryable', async () => {
    expect(await runRpc(policy, [pushback('10', 3)])).toEqual({ result: E.left(pushback('10', 3)), sent: [0] })
  })

  it('reads the metadata of grpc-js (`Metadata.get` gives an array), Connect (`Headers.get` gives a string) and plain records', () => {
    const grpcJs = { code: 14, metadata: { get: (k: string) => (k === Grpc.PUSHBACK_KEY ? ['750'] : []) } }
    const connect = { code: 14, metadata: new Headers({ 'grpc-retry-pushback-ms': '250' }) }
    const none = { code: 14, metadata: { get: () => [] } }
    expect([grpcJs, connect, none, pushback('5'), UNAVAILABLE, null, 'UNAVAILABLE'].map(Grpc.pushbackOf)).toEqual([
      O.some({ _tag: 'RetryIn', millis: 750 }),
      O.some({ _tag: 'RetryIn', millis: 250 }),
      O.none,
      O.some({ _tag: 'RetryIn', millis: 5 }),
      O.none,
      O.none,
      O.none,
    ])
    // several values, or one that is not text, are unparsable: do not retry
    expect(Grpc.pushbackOf({ code: 14, metadata: { 'grpc-retry-pushback-ms': ['5', '10'] } })).toEqual(
      O.some({ _tag: 'DontRetry', value: '5, 10' }),
    )
    expect(Grpc.pushbackOf({ code: 14, metadata: { 'grpc-retry-pushback-ms': 5 } })).toEqual(
      O.some({ _tag: 'DontRetry', value: '5' }),
    )
  })

  it('a custom pushback reader replaces the metadata one', () => {
    const schedule = Grpc.toSchedule(policy, {
      pushback: (e) => (e === 'wait' ? O.some({ _tag: 'RetryIn', millis: 42 }) : O.none),
    })
    expect(Schedule.simulate(schedule, ['wait', pushback('-1'), 'x'], { random: Random.constant(0.5) })).toEqual([
      42, 100, 200,
    ])
  })

  it('parsing pushback never throws, whatever the error or its metadata (property)', () => {
    const hostile = {
      code: 14,
      get metadata(): never {
        throw new Error('boom')
      },
    }
    expect(Grpc.pushbackOf(hostile)).toEqual(O.none)
    expect(
      Grpc.pushbackOf({
        code: 14,
        metadata: {
          get: () => {
            throw new Error('boom')
          },
        },
      }),
    ).toEqual(O.none)
    const metadata = fc.oneof(
      fc.anything(),
      fc.dictionary(
        fc.constantFrom(Grpc.PUSHBACK_KEY, 'other'),
        fc.oneof(fc.string(), fc.array(fc.anything()), fc.anything()),
      ),
    )
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.record({ code: fc.anything(), metadata })), (error) => {
        const read = Grpc.pushbackOf(error)
        expect(O.isNone(read) || read.value._tag === 'DontRetry' || Number.isInteger(read.value.millis)).toBe(true)
        expect(typeof Grpc.isThrottlingFailure(policy)(error)).toBe('boolean')
        expect(
          Schedule.simulate(Grpc.toSchedule(policy), [error], { random: Random.seeded(1) }).length,
        ).toBeLessThanOrEqual(1)
      }),
    )
    fc.assert(
      fc.property(fc.string(), (value) => {
        const parsed = Grpc.parsePushback(value)
        expect(parsed._tag === 'DontRetry' || String(parsed.millis) === value).toBe(true)
      }),
    )
  })

  it('parsing pushback takes time linear in the input: 10x the values, about 10x the time', () => {
    const values = (n: number) =>
      Array.from(
        { length: n },
        (_, i) => ['9'.repeat(1000 + (i % 7)), `-${'1'.repeat(500)}`, '0'.repeat(800), '1'.repeat(10)][i % 4]!,
      )
    const small = values(2_000)
    const large = values(20_000)
    const run = (vs: ReadonlyArray<string>) => () => vs.forEach((v) => Grpc.pushbackOf(pushback(v)))
    run(small)() // warm up
    run(large)()
    const ratio = timed(7, run(large)) / Math.max(timed(7, run(small)), 0.05)
    expect(ratio).toBeLessThan(30)
  })
})

// -------------------------------------------------------------------------------------
// AWS: the standard retry strategy's token bucket
// -------------------------------------------------------------------------------------

describe('AWS standard retry strategy: the retry quota (AWS_STANDARD, the default)', () => {
  it('"INITIAL_RETRY_TOKENS = 500": the bucket starts full at 500, its capacity', () => {
    expect(Budget.tokenBucket()().tokens()).toBe(500)
    expect(Budget.tokenBucket(Budget.AWS_STANDARD)().tokens()).toBe(500)
  })

  it('getCapacityCost: a retry after a TRANSIENT error costs TIMEOUT_RETRY_COST (10); after a THROTTLING one, RETRY_COST (5)', () => {
    // the "retry timings" table of @smithy/core/retry's StandardRetryStrategy: TRANSIENT 10, THROTTLING 5
    for (const make of [Budget.tokenBucket(), Budget.tokenBucket(Budget.AWS_STANDARD)]) {
      const budget = make()
      const costs = [aws.serverError, aws.badGateway, aws.timeout, aws.reset, aws.throttling, aws.tooManyRequests].map(
        (e) => {
          const before = budget.tokens()
          budget.tryRetry(e)
          return before - budget.tokens()
        },
      )
      expect(costs).toEqual([10, 10, 10, 10, 5, 5])
    }
  })

  it('"3x - throttling mixed": THROTTLING, TRANSIENT, THROTTLING cost 5 + 10 + 5', () => {
    const budget = Budget.tokenBucket()()
    expect(drive(budget, [aws.throttling, aws.serverError, aws.throttling], 4)).toEqual([
      ['retry_request', 495],
      ['retry_request', 485],
      ['retry_request', 480],
    ])
  })

  it('shouldRetry: "this.capacity >= this.getCapacityCost(errorType)"; a refused retry withdraws nothing', () => {
    const budget = Budget.tokenBucket({ capacity: 14 })()
    expect(drive(budget, [aws.serverError, aws.serverError])).toEqual([
      ['retry_request', 4],
      ['retry_quota_exceeded', 4],
    ])
    expect(budget.tryRetry(aws.throttling)).toBe(false) // 4 < 5
    expect(budget.tokens()).toBe(4)
  })

  it('recordSuccess: "capacity + (token.getRetryCost() ?? NO_RETRY_INCREMENT)", at most INITIAL_RETRY_TOKENS', () => {
    const budget = Budget.tokenBucket()()
    // "NO_RETRY_INCREMENT: [...] if an SDK operation invocation succeeds without requiring a retry request"
    budget.tryRetry(aws.serverError) // 490
    budget.recordSuccess(O.none)
    expect(budget.tokens()).toBe(491)
    budget.recordSuccess() // the 0.1 driver's call: a first-try success
    expect(budget.tokens()).toBe(492)
    // a success on a retry refunds that retry's cost (the last retry only), up to the capacity
    expect(drive(budget, [aws.serverError, aws.throttling, 'ok'], 3)).toEqual([
      ['retry_request', 482],
      ['retry_request', 477],
      ['success', 482],
    ])
    const full = Budget.tokenBucket()()
    full.recordSuccess(O.some(aws.serverError))
    expect(full.tokens()).toBe(500)
  })

  it('the retry driver passes the error before a success to recordSuccess: a retried success refunds its retry', async () => {
    const budget = Budget.tokenBucket()()
    let n = 0
    const call: TE.TaskEither<typeof aws.serverError, string> = () =>
      Promise.resolve(++n === 1 ? E.left(aws.serverError) : E.right('ok'))
    await pipe(call, Retry.retrying(Schedule.recurs(2), { budget }))()
    expect(budget.tokens()).toBe(500) // -10 for the retry, +10 refunded by its success
  })
})

describe('AWS standard retry strategy: the 2026 parameters (AWS_STANDARD_2026, SMITHY_NEW_RETRIES_2026=true)', () => {
  // the "specification tests" of @smithy/core/retry (retries.integ.spec.ts), run with Retry.v2026 = true
  const v2026 = (capacity = 500) => Budget.tokenBucket({ ...Budget.AWS_STANDARD_2026, capacity })()
  const status = (code: number) => ({ name: 'Error', $metadata: { httpStatusCode: code } })

  it('"Retry eventually succeeds": 500, 500, 200 -> quota 486, 472, then 486', () => {
    expect(drive(v2026(), [status(500), status(500), 'ok'])).toEqual([
      ['retry_request', 486],
      ['retry_request', 472],
      ['success', 486],
    ])
  })

  it('"Fail due to max attempts reached": 502 x 3 -> 486, 472, max_attempts_exceeded at 472', () => {
    expect(drive(v2026(), [status(502), status(502), status(502)])).toEqual([
      ['retry_request', 486],
      ['retry_request', 472],
      ['max_attempts_exceeded', 472],
    ])
  })

  it('"Retry Quota reached after a single retry": 14 tokens -> 0, then retry_quota_exceeded', () => {
    expect(drive(v2026(14), [status(500), status(500)])).toEqual([
      ['retry_request', 0],
      ['retry_quota_exceeded', 0],
    ])
  })

  it('"No retries at all if retry quota is 0": a drained bucket refuses the first retry', () => {
    const budget = v2026(14)
    budget.tryRetry(status(500))
    expect(drive(budget, [status(500)])).toEqual([['retry_quota_exceeded', 0]])
  })

  it('"Retry Stops After Retry Quota Exhaustion": 20 tokens -> 6, then 502 refused at 6', () => {
    expect(drive(v2026(20), [status(500), status(502)], 5)).toEqual([
      ['retry_request', 6],
      ['retry_quota_exceeded', 6],
    ])
  })

  it('"Retry quota Recovery After Successful Responses": 30 -> 16 -> 2 -> success 16; 500 -> 2 -> success 16', () => {
    const budget = v2026(30)
    expect(drive(budget, [status(500), status(502), 'ok'], 5)).toEqual([
      ['retry_request', 16],
      ['retry_request', 2],
      ['success', 16],
    ])
    expect(drive(budget, [status(500), 'ok'], 5)).toEqual([
      ['retry_request', 2],
      ['success', 16],
    ])
  })

  it('"Throttling Error Token Bucket Drain (5 tokens)": 400 Throttling -> 495, then success -> 500', () => {
    expect(drive(v2026(), [{ name: 'Throttling', $metadata: { httpStatusCode: 400 } }, 'ok'])).toEqual([
      ['retry_request', 495],
      ['success', 500],
    ])
  })
})

describe('AWS: the pre-SRA quota (AWS_LEGACY, retry-pre-sra-deprecated/defaultRetryQuota)', () => {
  it('"getCapacityAmount = (error) => (error.name === \'TimeoutError\' ? timeoutRetryCost : retryCost)"', () => {
    const budget = Budget.tokenBucket(Budget.AWS_LEGACY)()
    expect(drive(budget, [aws.timeout, aws.serverError, aws.throttling], 4)).toEqual([
      ['retry_request', 490],
      ['retry_request', 485],
      ['retry_request', 480],
    ])
    expect(budget.tryRetry({ _tag: 'TimeoutError', timeout: 100 })).toBe(true)
    expect(budget.tokens()).toBe(470)
  })

  it('"releaseRetryTokens(capacityReleaseAmount ?? noRetryIncrement)", at most MAX_CAPACITY', () => {
    const budget = Budget.tokenBucket(Budget.AWS_LEGACY)()
    expect(drive(budget, [aws.timeout, 'ok'])).toEqual([
      ['retry_request', 490],
      ['success', 500],
    ])
  })
})

describe('AWS: error classification (isThrottlingError, isTransientError of @smithy/core/retry)', () => {
  it('throttling: HTTP 429, the THROTTLING_ERROR_CODES names, or a throttling retryable trait', () => {
    expect(
      [
        aws.throttling,
        aws.tooManyRequests,
        { name: 'SlowDown' },
        { name: 'TransactionInProgressException' },
        { $retryable: { throttling: true } },
        { _tag: 'HttpError', status: 429 },
      ].map(Budget.isAwsThrottlingError),
    ).toEqual([true, true, true, true, true, true])
    expect(
      [aws.serverError, aws.validation, { $retryable: {} }, { status: 429 }, 'ThrottlingException', null].map(
        Budget.isAwsThrottlingError,
      ),
    ).toEqual([false, false, false, false, false, false])
  })

  it('transient: timeouts, connection errors, 500/502/503/504, retryable traits, clock skew, and causes up to 11 deep', () => {
    const deep = (depth: number): unknown => (depth === 0 ? aws.reset : { name: 'Wrapper', cause: deep(depth - 1) })
    expect(
      [
        aws.timeout,
        { name: 'RequestTimeoutException' },
        aws.reset,
        { code: 'EAI_AGAIN' },
        { code: 'ERR_HTTP2_STREAM_ERROR', message: 'Stream closed with error code NGHTTP2_REFUSED_STREAM' },
        new TypeError('Failed to fetch'),
        aws.serverError,
        { $metadata: { httpStatusCode: 504 } },
        { $metadata: { clockSkewCorrected: true } },
        { name: 'InvalidSignatureException', message: 'Signature expired: 20260101T000000Z is now earlier than ...' },
        { $retryable: {} },
        { _tag: 'TimeoutError', timeout: 10 },
        { _tag: 'NetworkError', code: O.some('ECONNREFUSED') },
        { _tag: 'HttpError', status: 503 },
        deep(11),
      ].map(Budget.isAwsTransientError),
    ).toEqual(Array(15).fill(true))
    expect(
      [
        { $metadata: { httpStatusCode: 501 } },
        aws.validation,
        { _tag: 'NetworkError', code: O.some('ABORT_ERR') },
        { _tag: 'HttpError', status: 501 },
        new TypeError('x is not a function'),
        deep(12),
        '503',
        undefined,
      ].map(Budget.isAwsTransientError),
    ).toEqual(Array(8).fill(false))
  })

  it('never throws, whatever the error: cyclic causes, throwing getters, proxies (property)', () => {
    const cyclic: { name: string; cause?: unknown } = { name: 'Loop' }
    cyclic.cause = cyclic
    const throwing = new Proxy(
      {},
      {
        get: () => {
          throw new Error('boom')
        },
      },
    )
    for (const e of [cyclic, throwing]) {
      expect(Budget.isAwsTransientError(e)).toBe(false)
      expect(Budget.isAwsThrottlingError(e)).toBe(false)
      expect(Budget.tokenBucket()().tryRetry(e)).toBe(true)
    }
    fc.assert(
      fc.property(fc.anything(), (e) => {
        expect(typeof Budget.isAwsTransientError(e)).toBe('boolean')
        expect(typeof Budget.isAwsThrottlingError(e)).toBe('boolean')
      }),
    )
  })

  it('keeps tokens within [0, capacity] and exact under any sequence of events, for every preset (property)', () => {
    const errors = [aws.serverError, aws.throttling, aws.validation, aws.timeout]
    const presets = [Budget.AWS_STANDARD, Budget.AWS_STANDARD_2026, Budget.AWS_LEGACY]
    const costs = [
      [10, 5, 5, 10],
      [14, 5, 14, 14],
      [5, 5, 5, 10],
    ]
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.array(fc.tuple(fc.constantFrom('retry', 'success', 'retried-success'), fc.integer({ min: 0, max: 3 }))),
        (p, events) => {
          const budget = Budget.tokenBucket({ ...presets[p], capacity: 40 })()
          let expected = 40
          for (const [event, k] of events) {
            const cost = costs[p]![k]!
            if (event === 'retry') {
              const granted = budget.tryRetry(errors[k])
              expect(granted).toBe(expected >= cost)
              if (granted) expected -= cost
            } else {
              budget.recordSuccess(event === 'success' ? O.none : O.some(errors[k]))
              expected = Math.min(40, expected + (event === 'success' ? 1 : cost))
            }
            expect(budget.tokens()).toBe(expected)
          }
        },
      ),
    )
  })
})
