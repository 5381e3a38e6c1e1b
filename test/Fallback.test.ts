/**
 * Fallback.firstSuccess: alternatives tried in order, the schedule's delays
 * between them, first success or last error.
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import * as RTE from 'fp-ts/ReaderTaskEither'
import type * as TE from 'fp-ts/TaskEither'
import { describe, expect, it } from 'vitest'
import { Fallback, type Operation, Retry, Schedule, TestClock } from '../src/index'

/** An alternative that records its calls (name and clock time) and answers as told. */
const recorder = (clock: TestClock.TestClock) => {
  const calls: Array<readonly [string, number]> = []
  const alternative =
    <E, A>(name: string, answer: E.Either<E, A>): TE.TaskEither<E, A> =>
    () => {
      calls.push([name, clock.now()])
      return Promise.resolve(answer)
    }
  return { calls, alternative }
}

describe('Fallback.firstSuccess', () => {
  it('an abort during the delay between alternatives ends the chain at once with a typed Aborted', async () => {
    const clock = TestClock.make()
    const { calls, alternative } = recorder(clock)
    const controller = new AbortController()
    // 0.1 passed the signal in the options; the alternatives are now cancellable and get it at run time
    const primary = RTE.fromTaskEither<'PrimaryDown', never, Operation.Env>(
      alternative('primary', E.left('PrimaryDown')),
    )
    const backup = RTE.fromTaskEither<never, string, Operation.Env>(alternative('backup', E.right('from backup')))
    const running = pipe(
      [primary, backup] as const,
      Fallback.firstSuccess(Schedule.spaced(60_000), { clock }),
    )({
      signal: controller.signal,
    })()
    await clock.whenSleeping()
    controller.abort('shutting down')
    const result = await running
    expect(result).toEqual(E.left({ _tag: 'Aborted', reason: 'shutting down', lastError: O.some('PrimaryDown') }))
    expect(calls).toEqual([['primary', 0]])
    expect(clock.pending()).toBe(0)
    expect(clock.now()).toBe(0)
  })

  it('tries the alternatives in order with the schedule delays between them, and returns the first success', async () => {
    const clock = TestClock.make()
    const { calls, alternative } = recorder(clock)
    const primary = alternative('primary', E.left('PrimaryDown' as const))
    const backup = alternative('backup', E.left('BackupDown' as const))
    const second = alternative('secondBackup', E.right('from the second backup'))
    const third = alternative('never', E.right('unreachable'))
    const running = pipe(
      [primary, primary, primary, backup, second, third] as const,
      Fallback.firstSuccess(Schedule.exponential(100), { clock }),
    )()
    await clock.runAll()
    expect(await running).toEqual(E.right('from the second backup'))
    expect(calls).toEqual([
      ['primary', 0],
      ['primary', 100],
      ['primary', 300],
      ['backup', 700],
      ['secondBackup', 1500],
    ])
  })

  it('returns the last error when every alternative fails, without sleeping after the last', async () => {
    const clock = TestClock.make()
    const { calls, alternative } = recorder(clock)
    const delays: Array<number> = []
    const running = pipe(
      [alternative('a', E.left('A')), alternative('b', E.left('B')), alternative('c', E.left('C'))] as const,
      Fallback.firstSuccess(Schedule.spaced(50), { clock, onRetry: (e) => void delays.push(e.delay) }),
    )()
    await clock.runAll()
    expect(await running).toEqual(E.left('C'))
    expect(calls.map(([name]) => name)).toEqual(['a', 'b', 'c'])
    expect(delays).toEqual([50, 50])
    expect(clock.now()).toBe(100)
  })

  it('stops early when the schedule is done, with that error', async () => {
    const clock = TestClock.make()
    const { calls, alternative } = recorder(clock)
    const result = await pipe(
      [
        alternative('primary', E.left({ _tag: 'Unauthorized' as const })),
        alternative('backup', E.right('never reached')),
      ] as const,
      Fallback.firstSuccess(
        pipe(
          Schedule.forever,
          Schedule.whileInput((e: { _tag: string }) => e._tag !== 'Unauthorized'),
        ),
        {
          clock,
        },
      ),
    )()
    expect(result).toEqual(E.left({ _tag: 'Unauthorized' }))
    expect(calls.map(([name]) => name)).toEqual(['primary'])
  })

  it('a single alternative is run once; the result is lazy and starts afresh on each call', async () => {
    let runs = 0
    const only: TE.TaskEither<string, number> = () => Promise.resolve(E.right(++runs))
    const chain = pipe([only] as const, Fallback.firstSuccess(Schedule.forever))
    expect(runs).toBe(0)
    expect(await chain()).toEqual(E.right(1))
    expect(await chain()).toEqual(E.right(2))
  })

  it('mixes with retrying: each alternative can carry its own retry policy', async () => {
    const clock = TestClock.make()
    const { calls, alternative } = recorder(clock)
    const primary = pipe(alternative('primary', E.left('down')), Retry.retrying(Schedule.recurs(2), { clock }))
    const backup = alternative('backup', E.right('ok'))
    const running = pipe([primary, backup] as const, Fallback.firstSuccess(Schedule.spaced(1000), { clock }))()
    await clock.runAll()
    expect(await running).toEqual(E.right('ok'))
    expect(calls).toEqual([
      ['primary', 0],
      ['primary', 0],
      ['primary', 0],
      ['backup', 1000],
    ])
  })

  it('rejects an empty list at once', () => {
    expect(() => Fallback.firstSuccess(Schedule.forever)([] as unknown as Fallback.Alternatives<unknown>)).toThrow(
      new RangeError('Fallback.firstSuccess: alternatives.length must be a finite number >= 1, got 0'),
    )
  })
})
