import { absurd, pipe } from 'fp-ts/function'
import type * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type * as TE from 'fp-ts/TaskEither'
import { describe, expectTypeOf, it } from 'vitest'
import { Repeat, Retry, Schedule } from '../src/index'
import type { Operation } from '../src/index'

interface Token {
  readonly value: string
  readonly expiresIn: number
}
interface Unreachable {
  readonly _tag: 'Unreachable'
}
declare const refresh: TE.TaskEither<Unreachable, Token>
declare const cancellableRefresh: ReaderTaskEither<Operation.Env, Unreachable, Token>
declare const numbers: TE.TaskEither<Unreachable, number>
declare const signal: AbortSignal
const every = pipe(Schedule.spaced(1_000), Schedule.intersect(Schedule.recurs(3)))

describe('Repeat.repeating types', () => {
  it('a TaskEither<E, A> becomes TaskEither<E, Repeated<A, Out>>: the error type is kept exactly', () => {
    expectTypeOf(pipe(refresh, Repeat.repeating(every))).toEqualTypeOf<
      TE.TaskEither<Unreachable, Repeat.Repeated<Token, [number, number]>>
    >()
    expectTypeOf(Repeat.repeating(refresh, Schedule.recurs(2))).toEqualTypeOf<
      TE.TaskEither<Unreachable, Repeat.Repeated<Token, number>>
    >()
  })

  it('a cancellable operation gains Aborted<never>, and only it', () => {
    type Expected = ReaderTaskEither<
      Operation.Env,
      Unreachable | Retry.Aborted<never>,
      Repeat.Repeated<Token, [number, number]>
    >
    expectTypeOf(pipe(cancellableRefresh, Repeat.repeating(every))).toEqualTypeOf<Expected>()
    expectTypeOf(Repeat.repeating(cancellableRefresh, every)).toEqualTypeOf<Expected>()
    expectTypeOf<Retry.Aborted<never>['lastError']>().toEqualTypeOf<O.Option<never>>()
  })

  it('the schedule is stepped with values: one typed for another value type does not compile', () => {
    const whileShort = pipe(
      Schedule.forever,
      Schedule.whileInput((t: Token) => t.expiresIn < 60),
    )
    expectTypeOf(pipe(refresh, Repeat.repeating(whileShort))).toEqualTypeOf<
      TE.TaskEither<Unreachable, Repeat.Repeated<Token, O.Option<number>>>
    >()
    const onNumbers = pipe(
      Schedule.forever,
      Schedule.whileInput((n: number) => n > 0),
    )
    // @ts-expect-error the schedule takes numbers, the operation gives tokens
    pipe(refresh, Repeat.repeating(onNumbers))
    // @ts-expect-error nor data-first
    Repeat.repeating(refresh, onNumbers)
  })

  it('the hook is typed by the value: inferred data-first, checked against the operation data-last', () => {
    Repeat.repeating(refresh, every, {
      onRepeat: (e) => expectTypeOf(e).toEqualTypeOf<Repeat.RepeatEvent<Token>>(),
    })
    const logged = Repeat.repeating(every, { onRepeat: (e: Repeat.RepeatEvent<Token>) => e.value.expiresIn })
    expectTypeOf(logged(refresh)).toEqualTypeOf<TE.TaskEither<Unreachable, Repeat.Repeated<Token, [number, number]>>>()
    // @ts-expect-error the hook takes tokens
    logged(numbers)
  })

  it('the error union of a retried, repeated cancellable operation is exact and matches exhaustively', () => {
    const op = pipe(cancellableRefresh, Retry.retrying(Schedule.recurs(2)), Repeat.repeating(every))
    type Err = Operation.ErrorOf<typeof op>
    expectTypeOf(op).toEqualTypeOf<ReaderTaskEither<Operation.Env, Err, Repeat.Repeated<Token, [number, number]>>>()
    expectTypeOf<Err>().toEqualTypeOf<Unreachable | Retry.Aborted<Unreachable> | Retry.Aborted<never>>()
    const describe = (e: Err): string => {
      switch (e._tag) {
        case 'Unreachable':
          return 'down'
        case 'Aborted':
          return 'stopped'
        default:
          return absurd(e)
      }
    }
    expectTypeOf(describe).returns.toEqualTypeOf<string>()
    const incomplete = (e: Err): string => {
      switch (e._tag) {
        case 'Unreachable':
          return 'down'
        default:
          // @ts-expect-error Aborted is not handled
          return absurd(e)
      }
    }
    expectTypeOf(incomplete).returns.toEqualTypeOf<string>()
  })

  it('a cancellable operation needs its signal at run time', () => {
    const run = pipe(cancellableRefresh, Repeat.repeating(every))
    expectTypeOf(run({ signal })).toEqualTypeOf<
      TE.TaskEither<Unreachable | Retry.Aborted<never>, Repeat.Repeated<Token, [number, number]>>
    >()
    // @ts-expect-error the environment must carry the signal
    run({})
  })
})
