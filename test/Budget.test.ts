import fc from 'fast-check'
import { pipe } from 'fp-ts/function'
import * as TE from 'fp-ts/TaskEither'
import { describe, expect, it } from 'vitest'
import { Budget, type Operation, Retry, Schedule, TestClock } from '../src/index'

const timeout = { _tag: 'TimeoutError', timeout: 1000 } as const

describe('Budget.tokenBucket (AWS SDK standard mode)', () => {
  it('starts full at 500', () => {
    expect(Budget.tokenBucket()().tokens()).toBe(500)
  })

  it('a retry costs 5, a retry after a timeout costs 10', () => {
    const budget = Budget.tokenBucket()()
    expect(budget.tryRetry('503')).toBe(true)
    expect(budget.tokens()).toBe(495)
    expect(budget.tryRetry(timeout)).toBe(true)
    expect(budget.tokens()).toBe(485)
  })

  it('a failure alone costs nothing', () => {
    const budget = Budget.tokenBucket()()
    budget.recordFailure('503')
    expect(budget.tokens()).toBe(500)
  })

  it('refuses a retry it cannot pay for, and withdraws nothing then', () => {
    const budget = Budget.tokenBucket({ capacity: 12 })()
    expect(budget.tryRetry('503')).toBe(true) // 7
    expect(budget.tryRetry(timeout)).toBe(false) // 10 > 7
    expect(budget.tokens()).toBe(7)
    expect(budget.tryRetry('503')).toBe(true) // 2
    expect(budget.tryRetry('503')).toBe(false)
    expect(budget.tokens()).toBe(2)
  })

  it('a success returns 1, never above capacity', () => {
    const budget = Budget.tokenBucket()()
    budget.recordSuccess()
    expect(budget.tokens()).toBe(500)
    budget.tryRetry('503')
    budget.recordSuccess()
    expect(budget.tokens()).toBe(496)
  })

  it('a full bucket allows exactly 100 retries in a row', () => {
    const budget = Budget.tokenBucket()()
    let granted = 0
    while (budget.tryRetry('503')) granted += 1
    expect(granted).toBe(100)
  })

  it('honours custom costs and a custom timeout test', () => {
    const budget = Budget.tokenBucket({ capacity: 20, retryCost: 1, timeoutCost: 7, isTimeout: (e) => e === 'slow' })()
    budget.tryRetry('slow')
    budget.tryRetry(timeout) // not a timeout for this bucket
    expect(budget.tokens()).toBe(12)
  })

  it('keeps tokens within [0, capacity] under any sequence of events', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('retry', 'timeout', 'success', 'failure')), (events) => {
        const budget = Budget.tokenBucket({ capacity: 50 })()
        let expected = 50
        for (const event of events) {
          if (event === 'success') {
            budget.recordSuccess()
            expected = Math.min(50, expected + 1)
          } else if (event === 'failure') budget.recordFailure('x')
          else {
            const cost = event === 'timeout' ? 10 : 5
            const granted = budget.tryRetry(event === 'timeout' ? timeout : 'x')
            expect(granted).toBe(expected >= cost)
            if (granted) expected -= cost
          }
          expect(budget.tokens()).toBe(expected)
        }
      }),
    )
  })

  it('rejects nonsense options at once', () => {
    expect(() => Budget.tokenBucket({ capacity: 0 })).toThrow(RangeError)
    expect(() => Budget.tokenBucket({ retryCost: -1 })).toThrow('Budget.tokenBucket: retryCost must be')
    expect(() => Budget.tokenBucket({ timeoutCost: Number.NaN })).toThrow(RangeError)
    expect(() => Budget.tokenBucket({ successReward: Infinity })).toThrow(RangeError)
  })

  it('is created in IO: each run of the IO is a fresh bucket', () => {
    const make = Budget.tokenBucket({ capacity: 10 })
    const a = make()
    a.tryRetry('x')
    expect(make().tokens()).toBe(10)
  })
})

describe('Budget.throttle (gRPC retry throttling)', () => {
  it('starts at maxTokens; a failure removes 1, a success adds tokenRatio, within [0, maxTokens]', () => {
    const budget = Budget.throttle({ maxTokens: 3, tokenRatio: 0.5 })()
    expect(budget.tokens()).toBe(3)
    budget.recordSuccess()
    expect(budget.tokens()).toBe(3)
    budget.recordFailure('x')
    budget.recordSuccess()
    expect(budget.tokens()).toBe(2.5)
    for (let i = 0; i < 5; i++) budget.recordFailure('x')
    expect(budget.tokens()).toBe(0)
  })

  it('allows retries only while tokens are above half of maxTokens', () => {
    const budget = Budget.throttle({ maxTokens: 10, tokenRatio: 0.1 })()
    for (let i = 0; i < 4; i++) budget.recordFailure('x')
    expect(budget.tokens()).toBe(6)
    expect(budget.tryRetry('x')).toBe(true)
    budget.recordFailure('x')
    expect(budget.tokens()).toBe(5)
    expect(budget.tryRetry('x')).toBe(false) // at half: throttled
    budget.recordSuccess()
    expect(budget.tokens()).toBe(5.1)
    expect(budget.tryRetry('x')).toBe(true)
  })

  it('asking costs nothing: only failures and successes move the tokens', () => {
    const budget = Budget.throttle()()
    budget.tryRetry('x')
    expect(budget.tokens()).toBe(10)
  })

  it('counts in thousandths, so ten successes of 0.1 add exactly 1', () => {
    const budget = Budget.throttle({ maxTokens: 10, tokenRatio: 0.1 })()
    for (let i = 0; i < 3; i++) budget.recordFailure('x')
    for (let i = 0; i < 10; i++) budget.recordSuccess()
    expect(budget.tokens()).toBe(8)
  })

  it('matches the gRPC rules under any sequence of events', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('ask', 'success', 'failure')), (events) => {
        const budget = Budget.throttle({ maxTokens: 6, tokenRatio: 0.3 })()
        let milli = 6_000
        for (const event of events) {
          if (event === 'success') {
            budget.recordSuccess()
            milli = Math.min(6_000, milli + 300)
          } else if (event === 'failure') {
            budget.recordFailure('x')
            milli = Math.max(0, milli - 1_000)
          } else expect(budget.tryRetry('x')).toBe(milli > 3_000)
          expect(budget.tokens()).toBe(milli / 1_000)
        }
      }),
    )
  })

  it('rejects nonsense options at once', () => {
    expect(() => Budget.throttle({ maxTokens: 0 })).toThrow('Budget.throttle: maxTokens must be')
    expect(() => Budget.throttle({ tokenRatio: -0.1 })).toThrow(RangeError)
  })
})

describe('a budget in the retry driver', () => {
  const failingCall = () => {
    let attempts = 0
    const call: TE.TaskEither<string, never> = () => {
      attempts += 1
      return Promise.resolve({ _tag: 'Left', left: `503 #${attempts}` })
    }
    return { call, attempts: () => attempts }
  }

  it('ends the call with its last error when the budget refuses, and onGiveUp says why', async () => {
    const budget = Budget.tokenBucket({ capacity: 10 })()
    const events: Array<Retry.GiveUpEvent<unknown>> = []
    const retries: Array<number> = []
    const { call, attempts } = failingCall()
    const result = await pipe(
      call,
      Retry.retrying(Schedule.recurs(5), {
        clock: TestClock.make(),
        budget,
        onGiveUp: (e) => events.push(e),
        onRetry: (e) => retries.push(e.attempt),
      }),
    )()
    expect(result).toEqual({ _tag: 'Left', left: '503 #3' })
    expect(attempts()).toBe(3)
    expect(retries).toEqual([1, 2])
    // onGiveUp hears the stream's GaveUp event
    expect(events).toEqual([
      {
        _tag: 'GaveUp',
        call: expect.any(Number),
        time: 0,
        attempt: 3,
        error: '503 #3',
        elapsed: 0,
        reason: { _tag: 'BudgetExhausted', kind: 'TokenBucket', tokens: 0 },
      },
    ])
  })

  it('onGiveUp reports ScheduleDone when the schedule ends first', async () => {
    const events: Array<Retry.GiveUpReason> = []
    const { call } = failingCall()
    await pipe(
      call,
      Retry.retrying(Schedule.recurs(1), { budget: Budget.tokenBucket()(), onGiveUp: (e) => events.push(e.reason) }),
    )()
    expect(events).toEqual([{ _tag: 'ScheduleDone' }])
  })

  it('a refused retry does not sleep', async () => {
    const clock = TestClock.make()
    const budget = Budget.tokenBucket({ capacity: 4 })()
    const { call, attempts } = failingCall()
    const result = await pipe(call, Retry.retrying(Schedule.spaced(1_000), { clock, budget }))()
    expect(result._tag).toBe('Left')
    expect(attempts()).toBe(1)
    expect(clock.now()).toBe(0)
  })

  it('a success replenishes the bucket; the throttle sees every failed attempt', async () => {
    const bucket = Budget.tokenBucket()()
    let n = 0
    const flaky: TE.TaskEither<string, number> = () =>
      Promise.resolve(++n % 2 === 0 ? { _tag: 'Right', right: n } : { _tag: 'Left', left: 'x' })
    // fail, retry (-5), succeed: a retried success refunds its retry's cost (the current AWS SDK)
    await pipe(flaky, Retry.retrying(Schedule.recurs(3), { budget: bucket }))()
    expect(bucket.tokens()).toBe(500)
    const throttle = Budget.throttle({ maxTokens: 10, tokenRatio: 0.5 })()
    await pipe(flaky, Retry.retrying(Schedule.recurs(3), { budget: throttle }))() // fail (-1), succeed (+0.5)
    expect(throttle.tokens()).toBe(9.5)
  })

  it('works with every entry point: retryingWith, retryable, retryingOrElse, and on a cancellable operation', async () => {
    const budget = Budget.tokenBucket({ capacity: 5 })()
    const { call, attempts } = failingCall()
    await Retry.retryingWith(Schedule.recurs(3), { budget })(() => call)()
    await Retry.retryable(Schedule.recurs(3), { budget })(() => call)()()
    const orElse = await pipe(
      call,
      Retry.retryingOrElse(Schedule.recurs(3), (e, out) => TE.right(`${e}/${out}`), { budget }),
    )()
    // 0.1's retryingAbortable: a cancellable operation, run with its signal
    await Retry.retryingWith(Schedule.recurs(3), { budget })(() => (_: Operation.Env) => call)({
      signal: new AbortController().signal,
    })()
    expect(attempts()).toBe(2 + 1 + 1 + 1)
    expect(orElse).toEqual({ _tag: 'Right', right: '503 #4/0' })
  })
})
