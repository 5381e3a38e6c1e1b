import { pipe } from 'fp-ts/function'
import type * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import * as TE from 'fp-ts/TaskEither'
import { describe, expectTypeOf, it } from 'vitest'
import type { Clock, Operation } from '../src/index'
import { Random, Retry, Schedule, TestClock } from '../src/index'

type HttpError = { readonly _tag: 'HttpError'; readonly status: number }
type NetworkError = { readonly _tag: 'NetworkError'; readonly cause: string }
type FetchError = HttpError | NetworkError
type ParseError = { readonly _tag: 'ParseError'; readonly line: number }

declare const fetchUser: TE.TaskEither<FetchError, string>
declare const parse: TE.TaskEither<ParseError, number>
declare const isHttp: (e: FetchError) => e is HttpError
declare const isNetwork: (e: FetchError) => e is NetworkError
/** A schedule that needs the narrowed type: it reads `status`. */
declare const byStatus: Schedule.Schedule<HttpError, number>
declare const forFetch: Schedule.Schedule<FetchError, number>
declare const forParse: Schedule.Schedule<ParseError, string>

interface Db {
  readonly db: { readonly query: (sql: string) => string }
}
/** A cancellable operation that needs the user's own dependencies next to the signal. */
declare const loadUser: ReaderTaskEither<Operation.Env & Db, FetchError, string>

describe('the error type survives', () => {
  it('retrying', () => {
    expectTypeOf(pipe(fetchUser, Retry.retrying(Schedule.recurs(3)))).toEqualTypeOf<TE.TaskEither<FetchError, string>>()
    expectTypeOf(pipe(fetchUser, Retry.retrying(forFetch))).toEqualTypeOf<TE.TaskEither<FetchError, string>>()
    expectTypeOf(Retry.retrying(fetchUser, forFetch)).toEqualTypeOf<TE.TaskEither<FetchError, string>>()
  })

  it('retryingWith, whose action sees a status typed by the error', () => {
    const retried = pipe(
      (status: Retry.RetryStatus<FetchError>) => {
        expectTypeOf(status.lastError).toEqualTypeOf<O.Option<FetchError>>()
        expectTypeOf(status.lastDelay).toEqualTypeOf<O.Option<number>>()
        expectTypeOf(status.attempt).toEqualTypeOf<number>()
        return fetchUser
      },
      Retry.retryingWith(Schedule.recurs(3)),
    )
    expectTypeOf(retried).toEqualTypeOf<TE.TaskEither<FetchError, string>>()
  })

  it('retryable, which keeps the parameters too', () => {
    const get = (id: number, verbose?: boolean): TE.TaskEither<FetchError, { id: number; verbose: boolean }> =>
      TE.right({ id, verbose: verbose ?? false })
    const getRetrying = Retry.retryable(Schedule.recurs(3))(get)
    expectTypeOf(getRetrying).toEqualTypeOf<
      (id: number, verbose?: boolean) => TE.TaskEither<FetchError, { id: number; verbose: boolean }>
    >()
    expectTypeOf(getRetrying).parameters.toEqualTypeOf<[id: number, verbose?: boolean]>()
    // @ts-expect-error the parameters are kept: a string is not an id
    getRetrying('7')
  })

  it('retryingOrElse: the fallback sees the last error and the last output, and its types make the result', () => {
    const policy = pipe(forFetch, Schedule.intersect(Schedule.recurs(3)))
    const result = pipe(
      fetchUser,
      Retry.retryingOrElse(policy, (error, out) => {
        expectTypeOf(error).toEqualTypeOf<FetchError>()
        expectTypeOf(out).toEqualTypeOf<[number, number]>()
        return TE.left({ _tag: 'GaveUp' as const, last: error })
      }),
    )
    expectTypeOf(result).toEqualTypeOf<TE.TaskEither<{ _tag: 'GaveUp'; last: FetchError }, string>>()
    const withCache = pipe(
      fetchUser,
      Retry.retryingOrElse(Schedule.recurs(1), (_: FetchError) => TE.right(42)),
    )
    expectTypeOf(withCache).toEqualTypeOf<TE.TaskEither<never, string | number>>()
  })

  it('onRetry of the data-first retrying sees the action’s error type', () => {
    Retry.retrying(fetchUser, Schedule.recurs(3), {
      onRetry: (event) => {
        expectTypeOf(event.error).toEqualTypeOf<FetchError>()
        expectTypeOf(event.delay).toEqualTypeOf<number>()
      },
    })
  })
})

describe('input types', () => {
  it('Schedule<unknown, _> serves any error type', () => {
    const anyError: Schedule.Schedule<unknown, number> = Schedule.spaced(100)
    expectTypeOf(pipe(fetchUser, Retry.retrying(anyError))).toEqualTypeOf<TE.TaskEither<FetchError, string>>()
    expectTypeOf(pipe(parse, Retry.retrying(anyError))).toEqualTypeOf<TE.TaskEither<ParseError, number>>()
    // contravariance: a schedule for unknown is a schedule for FetchError
    expectTypeOf(anyError).toExtend<Schedule.Schedule<FetchError, number>>()
    expectTypeOf(forFetch).not.toExtend<Schedule.Schedule<unknown, number>>()
  })

  it('a schedule typed for one error type does not apply to an action with an unrelated error type', () => {
    // @ts-expect-error ParseError is not a FetchError
    pipe(parse, Retry.retrying(forFetch))
    // @ts-expect-error ParseError is not a FetchError
    Retry.retrying(parse, forFetch)
    // RED with the current src: a function the schedule does not fit is taken as an empty client, typed `{}`
    // @ts-expect-error ParseError is not a FetchError
    Retry.retryable(forFetch)((): TE.TaskEither<ParseError, number> => parse)
    // @ts-expect-error a schedule for HttpError only does not serve the wider FetchError
    pipe(fetchUser, Retry.retrying(byStatus))
  })

  it('whileInput with a type guard narrows what the wrapped schedule sees', () => {
    const narrowed = pipe(byStatus, Schedule.whileInput(isHttp))
    expectTypeOf(narrowed).toEqualTypeOf<Schedule.Schedule<FetchError, O.Option<number>>>()
    expectTypeOf(pipe(fetchUser, Retry.retrying(narrowed))).toEqualTypeOf<TE.TaskEither<FetchError, string>>()
    // TypeScript 5.5+ infers the guard from an arrow function that narrows: accepted too
    expectTypeOf(
      pipe(
        byStatus,
        Schedule.whileInput((e: FetchError) => e._tag !== 'NetworkError'),
      ),
    ).toEqualTypeOf<Schedule.Schedule<FetchError, O.Option<number>>>()
    // without the guard (a plain boolean predicate), the schedule that needs HttpError is rejected
    pipe(
      byStatus,
      // @ts-expect-error NetworkError is not an HttpError
      Schedule.whileInput((e: FetchError): boolean => e._tag === 'HttpError'),
    )
    // a guard to the other member does not fit a schedule that needs HttpError
    // @ts-expect-error NetworkError is not an HttpError
    pipe(byStatus, Schedule.whileInput(isNetwork))
  })

  it('untilInput with a type guard excludes the guarded type', () => {
    const untilNetwork = pipe(byStatus, Schedule.untilInput(isNetwork))
    expectTypeOf(untilNetwork).toEqualTypeOf<Schedule.Schedule<FetchError, O.Option<number>>>()
    // @ts-expect-error after excluding HttpError, the wrapped schedule sees NetworkError, not HttpError
    pipe(byStatus, Schedule.untilInput(isHttp))
  })

  it('combining schedules intersects their input types', () => {
    expectTypeOf(pipe(forFetch, Schedule.intersect(Schedule.recurs(2)))).toEqualTypeOf<
      Schedule.Schedule<FetchError, [number, number]>
    >()
    expectTypeOf(pipe(forFetch, Schedule.union(forParse))).toEqualTypeOf<
      Schedule.Schedule<FetchError & ParseError, [number, string]>
    >()
  })
})

describe('output types', () => {
  it('intersect and union pair the outputs; andThen joins them', () => {
    const mapped = pipe(
      Schedule.recurs(3),
      Schedule.map((n) => `#${n}`),
    )
    expectTypeOf(pipe(Schedule.exponential(100), Schedule.intersect(mapped))).toEqualTypeOf<
      Schedule.Schedule<unknown, [number, string]>
    >()
    expectTypeOf(pipe(mapped, Schedule.union(Schedule.spaced(10)))).toEqualTypeOf<
      Schedule.Schedule<unknown, [string, number]>
    >()
    expectTypeOf(pipe(mapped, Schedule.andThen(Schedule.spaced(10)))).toEqualTypeOf<
      Schedule.Schedule<unknown, string | number>
    >()
    expectTypeOf<Schedule.OutputOf<typeof mapped>>().toEqualTypeOf<string>()
    expectTypeOf<Schedule.InputOf<typeof forFetch>>().toEqualTypeOf<FetchError>()
  })

  it('map changes the output type; conditions and delay combinators keep it', () => {
    const s = pipe(
      Schedule.exponential(100),
      Schedule.capDelay(1000),
      Schedule.upTo(5000),
      Schedule.fullJitter,
      Schedule.whileOutput((d) => d < 2000),
    )
    expectTypeOf(s).toEqualTypeOf<Schedule.Schedule<unknown, number>>()
    expectTypeOf(
      pipe(
        s,
        Schedule.map((d) => ({ d })),
      ),
    ).toEqualTypeOf<Schedule.Schedule<unknown, { d: number }>>()
  })
})

describe('the pieces users put together', () => {
  it('jitter, caps, deadlines and taps keep the input and output types; tapInput narrows the input', () => {
    expectTypeOf(pipe(forFetch, Schedule.fullJitter)).toEqualTypeOf<Schedule.Schedule<FetchError, number>>()
    expectTypeOf(pipe(forFetch, Schedule.equalJitter)).toEqualTypeOf<Schedule.Schedule<FetchError, number>>()
    expectTypeOf(pipe(forFetch, Schedule.jittered(0.5, 1.5))).toEqualTypeOf<Schedule.Schedule<FetchError, number>>()
    expectTypeOf(pipe(forParse, Schedule.upTo(1000), Schedule.capDelay(10))).toEqualTypeOf<
      Schedule.Schedule<ParseError, string>
    >()
    expectTypeOf(
      pipe(
        Schedule.recurs(2),
        Schedule.tapInput((e: FetchError) => e._tag),
      ),
    ).toEqualTypeOf<Schedule.Schedule<FetchError, number>>()
    expectTypeOf(
      pipe(
        forFetch,
        Schedule.untilOutput((n) => n > 3),
      ),
    ).toEqualTypeOf<Schedule.Schedule<FetchError, number>>()
  })

  it('make infers a custom schedule from its step; simulate takes the schedule input type', () => {
    const custom = Schedule.make(0, (n: number, e: HttpError) =>
      e.status === 503
        ? { _tag: 'Continue' as const, delay: 100, out: n, state: n + 1 }
        : { _tag: 'Done' as const, out: n },
    )
    expectTypeOf(custom).toEqualTypeOf<Schedule.Schedule<HttpError, number>>()
    expectTypeOf(Schedule.simulate(custom, [{ _tag: 'HttpError', status: 503 }])).toEqualTypeOf<ReadonlyArray<number>>()
    // @ts-expect-error a ParseError is not an input of a schedule for HttpError
    Schedule.simulate(custom, [{ _tag: 'ParseError', line: 1 }])
  })

  it('a TestClock is a Clock and a seeded source is a random option', () => {
    expectTypeOf(TestClock.make()).toExtend<Clock.Clock>()
    expectTypeOf(Random.seeded(1)).toEqualTypeOf<Random.Random>()
    expectTypeOf(
      Retry.retrying(Schedule.recurs(1), { clock: TestClock.make(), random: Random.seeded(1) }),
    ).toBeFunction()
  })
})

describe('the 0.2 operation model', () => {
  it('data-first retrying types the hooks by the operation’s error, for either form', () => {
    Retry.retrying(fetchUser, Schedule.recurs(3), {
      onRetry: (e) => expectTypeOf(e.error).toEqualTypeOf<FetchError>(),
      onGiveUp: (e) => expectTypeOf(e.error).toEqualTypeOf<FetchError>(),
    })
    Retry.retrying(loadUser, Schedule.recurs(3), {
      onRetry: (e) => expectTypeOf(e.error).toEqualTypeOf<FetchError>(),
    })
    Retry.retrying(parse, forParse, { onRetry: (e) => expectTypeOf(e.error).toEqualTypeOf<ParseError>() })
  })

  it('data-last: an annotated hook must take the operation’s error', () => {
    const right = pipe(
      fetchUser,
      Retry.retrying(Schedule.recurs(3), { onRetry: (_: Retry.RetryEvent<FetchError>) => undefined }),
    )
    expectTypeOf(right).toEqualTypeOf<TE.TaskEither<FetchError, string>>()
    // a hook for a wider error type takes it too
    pipe(fetchUser, Retry.retrying(Schedule.recurs(3), { onRetry: (_: Retry.RetryEvent<unknown>) => undefined }))
    pipe(
      fetchUser,
      // @ts-expect-error the hook takes ParseError, the operation fails with FetchError
      Retry.retrying(Schedule.recurs(3), { onRetry: (_: Retry.RetryEvent<ParseError>) => undefined }),
    )
    pipe(
      fetchUser,
      // @ts-expect-error the hook takes only HttpError, the operation also fails with NetworkError
      Retry.retrying(Schedule.recurs(3), { onGiveUp: (_: Retry.GiveUpEvent<HttpError>) => undefined }),
    )
  })

  it('a TaskEither stays exactly its type and has no Aborted; a ReaderTaskEither keeps its env and gains Aborted', () => {
    const plain = pipe(fetchUser, Retry.retrying(forFetch))
    expectTypeOf(plain).toEqualTypeOf<typeof fetchUser>()
    expectTypeOf<Extract<Operation.ErrorOf<typeof plain>, Retry.Aborted<unknown>>>().toBeNever()
    const cancellable = pipe(loadUser, Retry.retrying(forFetch))
    expectTypeOf(cancellable).toEqualTypeOf<
      ReaderTaskEither<Operation.Env & Db, FetchError | Retry.Aborted<FetchError>, string>
    >()
    expectTypeOf(Retry.retrying(loadUser, forFetch)).toEqualTypeOf<typeof cancellable>()
    expectTypeOf<Retry.Retried<typeof fetchUser>>().toEqualTypeOf<typeof fetchUser>()
    expectTypeOf<Retry.Retried<typeof loadUser>>().toEqualTypeOf<typeof cancellable>()
    // the environment still asks for the user's dependencies
    // @ts-expect-error the db is missing
    cancellable({ signal: new AbortController().signal })
  })

  it('retryable keeps a generic TaskEither-returning function generic, and widens a ReaderTaskEither one with Aborted', () => {
    const getAs = <A>(_id: number, fallback: A): TE.TaskEither<FetchError, A> => TE.right(fallback)
    const getAsRetrying = Retry.retryable(forFetch)(getAs)
    expectTypeOf(getAsRetrying).toEqualTypeOf<<A>(id: number, fallback: A) => TE.TaskEither<FetchError, A>>()
    expectTypeOf(getAsRetrying(1, 'x' as const)).toEqualTypeOf<TE.TaskEither<FetchError, 'x'>>()
    // RED with the current src: the data-first form instantiates the generic, to `(id: number, fallback: any) => ...`
    expectTypeOf(Retry.retryable(getAs, forFetch)).toEqualTypeOf<typeof getAs>()

    const load =
      (id: number): ReaderTaskEither<Operation.Env & Db, FetchError, string> =>
      (env) =>
        TE.right(env.db.query(`select ${id}`))
    expectTypeOf(Retry.retryable(forFetch)(load)).toEqualTypeOf<
      (id: number) => ReaderTaskEither<Operation.Env & Db, FetchError | Retry.Aborted<FetchError>, string>
    >()
    expectTypeOf(Retry.retryable(load, forFetch)).toEqualTypeOf<
      (id: number) => ReaderTaskEither<Operation.Env & Db, FetchError | Retry.Aborted<FetchError>, string>
    >()
  })

  it('retryable on a whole client wraps each function by its own rule', () => {
    const client = {
      get: <A>(_id: number, fallback: A): TE.TaskEither<FetchError, A> => TE.right(fallback),
      count: (): TE.TaskEither<FetchError, number> => TE.right(2),
      load:
        (id: number): ReaderTaskEither<Operation.Env & Db, FetchError, string> =>
        (env) =>
          TE.right(env.db.query(`select ${id}`)),
    }
    const api = Retry.retryable(forFetch)(client)
    expectTypeOf(api.get).toEqualTypeOf<<A>(id: number, fallback: A) => TE.TaskEither<FetchError, A>>()
    expectTypeOf(api.count).toEqualTypeOf<() => TE.TaskEither<FetchError, number>>()
    expectTypeOf(api.load).toEqualTypeOf<
      (id: number) => ReaderTaskEither<Operation.Env & Db, FetchError | Retry.Aborted<FetchError>, string>
    >()
    // @ts-expect-error a client with a function the schedule does not fit is rejected
    Retry.retryable(forFetch)({ ...client, parse: (): TE.TaskEither<ParseError, number> => parse })

    class Users {
      readonly #base = 'https://api.test'
      get(id: number): TE.TaskEither<FetchError, string> {
        return TE.right(`${this.#base}/users/${id}`)
      }
      load(id: number): ReaderTaskEither<Operation.Env, FetchError, string> {
        return () => TE.right(`${this.#base}/users/${id}`)
      }
    }
    const users = Retry.retryable(forFetch)(new Users())
    expectTypeOf(users.get).toEqualTypeOf<(id: number) => TE.TaskEither<FetchError, string>>()
    expectTypeOf(users.load).toEqualTypeOf<
      (id: number) => ReaderTaskEither<Operation.Env, FetchError | Retry.Aborted<FetchError>, string>
    >()
  })
})
