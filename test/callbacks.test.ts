/**
 * The rule for user callbacks that throw (hooks, listeners, classifiers, budgets): the exception is reported
 * (`console.error` on Node 20, which has no `reportError`), the call still returns its own typed result, other
 * listeners still run, and no state machine is left stuck.
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as TE from 'fp-ts/TaskEither'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Budget } from '../src/index'
import { CircuitBreaker, Retry, Schedule, TestClock } from '../src/index'

const boom = (): never => {
  throw new Error('callback bug')
}

let reported: ReturnType<typeof vi.spyOn>
beforeEach(() => {
  reported = vi.spyOn(console, 'error').mockImplementation(() => undefined)
})
afterEach(() => reported.mockRestore())

const reportedErrors = () => reported.mock.calls.map((args: ReadonlyArray<unknown>) => (args[1] as Error).message)

/** Fails `failures` times with 'e<n>', then succeeds with 'ok'. */
const flaky = (failures: number) => {
  let calls = 0
  const action: TE.TaskEither<string, string> = () =>
    Promise.resolve(++calls > failures ? E.right('ok') : E.left(`e${calls}`))
  return { action, calls: () => calls }
}

describe('hooks that throw', () => {
  it('a throwing onRetry is reported once per retry and the call still retries to its own Right', async () => {
    const { action, calls } = flaky(2)
    const result = await Retry.retrying(action, Schedule.recurs(5), { onRetry: boom })()
    expect(result).toEqual(E.right('ok'))
    expect(calls()).toBe(3)
    expect(reportedErrors()).toEqual(['callback bug', 'callback bug'])
  })

  it('a throwing onGiveUp is reported and the call still ends with its last Left', async () => {
    const { action } = flaky(10)
    const result = await Retry.retrying(action, Schedule.recurs(2), { onGiveUp: boom })()
    expect(result).toEqual(E.left('e3'))
    expect(reportedErrors()).toEqual(['callback bug'])
  })

  it('a budget that throws refuses the retry (reported), and a throwing recordSuccess keeps the Right', async () => {
    const throwing: Budget.Budget = {
      _tag: 'Budget',
      kind: 'Broken',
      tokens: boom,
      recordFailure: boom,
      tryRetry: boom,
      recordSuccess: boom,
    }
    const failing = flaky(10)
    expect(await Retry.retrying(failing.action, Schedule.recurs(3), { budget: throwing })()).toEqual(E.left('e1'))
    expect(failing.calls()).toBe(1)
    const ok = flaky(0)
    expect(await Retry.retrying(ok.action, Schedule.recurs(3), { budget: throwing })()).toEqual(E.right('ok'))
    expect(reported).toHaveBeenCalled()
  })
})

describe('breakers whose callbacks throw', () => {
  it('a throwing listener loses neither the call’s result nor the other listeners’ transitions', async () => {
    const clock = TestClock.make()
    const heard: Array<string> = []
    const breaker = CircuitBreaker.make({ clock, consecutiveFailures: 1, halfOpenAfter: 100, isFailure: () => true })()
    breaker.subscribe(boom)
    breaker.subscribe((change) => heard.push(`${change.from}->${change.to}`))
    expect(await pipe(TE.left('503'), CircuitBreaker.protect(breaker))()).toEqual(E.left('503'))
    await clock.adjust(100)
    expect(await pipe(TE.right('up'), CircuitBreaker.protect(breaker))()).toEqual(E.right('up'))
    expect(heard).toEqual(['Closed->Open', 'Open->HalfOpen', 'HalfOpen->Closed'])
    expect(reportedErrors()).toEqual(['callback bug', 'callback bug', 'callback bug'])
  })

  it('an isFailure that throws while a half-open probe settles counts as a failure: the breaker opens again', async () => {
    const clock = TestClock.make()
    let throwing = false
    const breaker = CircuitBreaker.make({
      clock,
      consecutiveFailures: 1,
      halfOpenAfter: 100,
      isFailure: () => (throwing ? boom() : true),
    })()
    await pipe(TE.left('503'), CircuitBreaker.protect(breaker))()
    await clock.adjust(100)
    throwing = true
    expect(await pipe(TE.left('weird'), CircuitBreaker.protect(breaker))()).toEqual(E.left('weird'))
    expect(breaker.state()).toBe('Open') // not HalfOpen forever
    await clock.adjust(100)
    expect(breaker.state()).toBe('HalfOpen')
    expect(await pipe(TE.right('up'), CircuitBreaker.protect(breaker))()).toEqual(E.right('up'))
    expect(breaker.state()).toBe('Closed')
  })

  it('a probe that never settles holds its slot only for its lease; then it counts as failed', async () => {
    const clock = TestClock.make()
    const breaker = CircuitBreaker.make({
      clock,
      consecutiveFailures: 1,
      halfOpenAfter: 100,
      probeLease: 1_000,
      isFailure: () => true,
    })()
    await pipe(TE.left('503'), CircuitBreaker.protect(breaker))()
    await clock.adjust(100)
    const hung = breaker.acquire() // a probe whose outcome is never reported
    expect(E.isRight(hung)).toBe(true)
    expect(E.isLeft(breaker.acquire())).toBe(true) // its slot is taken
    await clock.adjust(999)
    expect(breaker.state()).toBe('HalfOpen')
    await clock.adjust(1)
    expect(breaker.state()).toBe('Open') // the lease is over: a failed probe
    await clock.adjust(100)
    expect(await pipe(TE.right('up'), CircuitBreaker.protect(breaker))()).toEqual(E.right('up'))
    expect(breaker.state()).toBe('Closed')
    if (E.isRight(hung)) hung.right.onSuccess() // a late report from an old generation changes nothing
    expect(breaker.state()).toBe('Closed')
  })

  it('rejects a probeLease that is not a delay, naming it', () => {
    expect(() => CircuitBreaker.make({ probeLease: -1 })).toThrow(
      new RangeError('CircuitBreaker.make: probeLease must be a finite non-negative number of milliseconds, got -1'),
    )
  })
})
