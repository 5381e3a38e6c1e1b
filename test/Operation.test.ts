/**
 * The 0.2 operation model: a plain TaskEither, or a cancellable ReaderTaskEither whose environment carries the
 * signal of the run (next to the user's own dependencies), given at run time: `op({ signal, ...deps })()`.
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import * as TE from 'fp-ts/TaskEither'
import { getEventListeners } from 'node:events'
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { settledWithinOneTick } from './support/settle'
import { timers } from './support/timers'
import { Clock, Fallback, Operation, Retry, Schedule, TestClock, Timeout } from '../src/index'
const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length

const deferred = <A = void>() => {
  let resolve!: (value: A) => void
  const promise = new Promise<A>((r) => (resolve = r))
  return { promise, resolve }
}

const aborted = <E>(reason: unknown, lastError: O.Option<E>) => E.left({ _tag: 'Aborted', reason, lastError })

describe('one wrapped function, many calls, each with its own signal (live clock)', () => {
  /**
   * A service whose `get(id)` fails its first attempt with `'<id> #1'`, then succeeds with `'<id> ok'`; the second
   * attempt of an id in `hang` first waits on a gate that ignores the signal. Records the signal of every attempt.
   */
  const service = (hang: ReadonlyArray<string> = []) => {
    const attempts = new Map<string, Array<AbortSignal>>()
    const gates = new Map(hang.map((id) => [id, { started: deferred(), open: deferred() }] as const))
    const get =
      (id: string) =>
      ({ signal }: Operation.Env): TE.TaskEither<string, string> =>
      async () => {
        const seen = attempts.get(id) ?? []
        attempts.set(id, [...seen, signal])
        if (seen.length === 0) return E.left(`${id} #1`)
        const gate = gates.get(id)
        if (gate !== undefined) {
          gate.started.resolve()
          await gate.open.promise // ignores its signal
        }
        return E.right(`${id} ok`)
      }
    return { get, attempts, gates }
  }

  const policy = pipe(Schedule.spaced(5), Schedule.intersect(Schedule.recurs(3)))

  it('an abort during one call’s backoff ends that call only; no timer and no abort listener remain', async () => {
    const before = timers()
    const { get, attempts } = service()
    let aSleeping!: () => void
    const aAsleep = new Promise<void>((resolve) => (aSleeping = resolve))
    const getRetrying = Retry.retryable(policy, {
      clock: Clock.live,
      // called just before the backoff sleep starts: the microtask runs once it has
      onRetry: (e: Retry.RetryEvent<string>) => e.error === 'a #1' && queueMicrotask(aSleeping),
    })(get)
    const a = new AbortController()
    const b = new AbortController()
    const started = performance.now()
    const runningA = getRetrying('a')({ signal: a.signal })()
    const runningB = getRetrying('b')({ signal: b.signal })()
    await aAsleep
    // both backoffs: one timer when they end in the same millisecond, else two
    expect(timers() - before).toBeGreaterThanOrEqual(1)
    expect(timers() - before).toBeLessThanOrEqual(2)
    expect(listeners(b.signal)).toBeGreaterThan(0) // while running, the call listens
    a.abort('user left')
    expect(await settledWithinOneTick(runningA)).toBe(true)
    expect(await runningA).toEqual(aborted('user left', O.some('a #1')))
    expect(await runningB).toEqual(E.right('b ok'))
    expect(performance.now() - started).toBeLessThan(100)
    expect(attempts.get('a')).toEqual([a.signal]) // no attempt after the abort
    expect(attempts.get('b')).toEqual([b.signal, b.signal]) // every attempt gets the caller's own environment
    expect(timers()).toBe(before)
    expect(listeners(a.signal)).toBe(0)
    expect(listeners(b.signal)).toBe(0)
  })

  it('an abort during one call’s attempt (which ignores its signal) ends that call only, at once', async () => {
    const before = timers()
    const { get, attempts, gates } = service(['c', 'd'])
    const getRetrying = Retry.retryable(policy, { clock: Clock.live })(get)
    const c = new AbortController()
    const d = new AbortController()
    const started = performance.now()
    const runningC = getRetrying('c')({ signal: c.signal })()
    const runningD = getRetrying('d')({ signal: d.signal })()
    await Promise.all([gates.get('c')?.started.promise, gates.get('d')?.started.promise]) // both in attempt 2
    expect(listeners(d.signal)).toBeGreaterThan(0) // while running, the call listens
    c.abort('timeout budget spent')
    // the attempt is raced against the signal: the call ends though the attempt goes on
    expect(await settledWithinOneTick(runningC)).toBe(true)
    expect(await runningC).toEqual(aborted('timeout budget spent', O.some('c #1')))
    expect(await settledWithinOneTick(runningD)).toBe(false) // d is untouched, still in its attempt
    gates.get('d')?.open.resolve()
    expect(await runningD).toEqual(E.right('d ok'))
    gates.get('c')?.open.resolve() // the abandoned attempt finishes late: its result goes nowhere
    await new Promise((resolve) => setImmediate(resolve))
    expect(performance.now() - started).toBeLessThan(100)
    expect(attempts.get('c')).toEqual([c.signal, c.signal])
    expect(attempts.get('d')).toEqual([d.signal, d.signal])
    expect(timers()).toBe(before)
    expect(listeners(c.signal)).toBe(0)
    expect(listeners(d.signal)).toBe(0)
  })
})

describe('a timeout inside a retry, on one cancellable operation', () => {
  it('the attempt’s own signal fires with the TimeoutError as reason when its time is up; the caller’s does not', async () => {
    const clock = TestClock.make()
    const signals: Array<AbortSignal> = []
    const hangs = ({ signal }: Operation.Env): TE.TaskEither<string, string> => {
      signals.push(signal)
      return () => clock.sleep(60_000, signal).then(() => E.left('cancelled'))
    }
    const controller = new AbortController()
    const call = pipe(
      hangs,
      Timeout.timeout(1_000, { clock }),
      Retry.retrying(pipe(Schedule.spaced(100), Schedule.intersect(Schedule.recurs(1))), { clock }),
    )
    const running = call({ signal: controller.signal })()
    await clock.adjust(999)
    expect(signals).toHaveLength(1)
    expect(signals[0]?.aborted).toBe(false)
    await clock.adjust(1)
    expect(signals[0]?.aborted).toBe(true)
    expect(signals[0]?.reason).toEqual({ _tag: 'TimeoutError', timeout: 1_000 })
    expect(signals[0]).not.toBe(controller.signal) // a signal derived for this attempt
    expect(controller.signal.aborted).toBe(false)
    await clock.adjust(100 + 1_000) // the backoff, then attempt 2 times out too
    expect(signals).toHaveLength(2)
    expect(signals[1]).not.toBe(signals[0]) // each attempt its own
    expect(signals[1]?.reason).toEqual({ _tag: 'TimeoutError', timeout: 1_000 })
    expect(await running).toEqual(E.left({ _tag: 'TimeoutError', timeout: 1_000 }))
    expect(clock.pending()).toBe(0)
    expect(listeners(controller.signal)).toBe(0)
  })

  it('the caller’s abort during an attempt that ignores its signal settles the call within a tick and disarms the timeout', async () => {
    const clock = TestClock.make()
    let attempts = 0
    // ignores its signal: sleeps 10 s on the clock whatever happens
    const deaf: TE.TaskEither<string, string> = () => {
      attempts += 1
      return clock.sleep(10_000).then(() => E.right('too late'))
    }
    const controller = new AbortController()
    const call = pipe(
      (_: Operation.Env) => deaf,
      Timeout.timeout(1_000, { clock }),
      Retry.retrying(Schedule.spaced(100), { clock }),
    )
    const running = call({ signal: controller.signal })()
    await clock.adjust(1_000 + 100) // attempt 1 times out; attempt 2 starts at 1100
    expect(attempts).toBe(2)
    expect(clock.pending('timeout')).toBe(1)
    controller.abort('shutting down')
    expect(await settledWithinOneTick(running)).toBe(true) // no adjust needed
    expect(await running).toEqual(aborted('shutting down', O.some({ _tag: 'TimeoutError', timeout: 1_000 })))
    expect(clock.pending('timeout')).toBe(0)
    expect(clock.pending('backoff')).toBe(0)
    expect(clock.now()).toBe(1_100)
    expect(clock.pending()).toBe(2) // only the two deaf attempts' own sleeps, which nothing can stop
    await clock.runAll()
    expect(attempts).toBe(2)
  })
})

describe('the environment', () => {
  interface Deps {
    readonly db: { readonly rows: ReadonlyArray<string> }
    readonly tenant: string
  }

  it('Operation.run(op) runs with a signal that never fires, and Operation.run(op, deps) passes deps through', async () => {
    const envs: Array<Operation.Env> = []
    const bare = (env: Operation.Env): TE.TaskEither<never, boolean> => {
      envs.push(env)
      return TE.right(env.signal.aborted)
    }
    expect(await Operation.run(bare)()).toEqual(E.right(false))
    expect(Object.keys(envs[0] ?? {})).toEqual(['signal'])
    expect(envs[0]?.signal).toBeInstanceOf(AbortSignal)

    const db = { rows: ['ada', 'grace'] }
    const withDeps = (env: Operation.Env & Deps): TE.TaskEither<never, string> => {
      envs.push(env)
      return TE.right(`${env.tenant}: ${env.db.rows.join(', ')}`)
    }
    expect(await Operation.run(withDeps, { db, tenant: 'acme' })()).toEqual(E.right('acme: ada, grace'))
    const env = envs[1] as Operation.Env & Deps
    expect(env.db).toBe(db)
    expect(env.tenant).toBe('acme')
    expect(env.signal.aborted).toBe(false)
    expect(Object.keys(env).sort()).toEqual(['db', 'signal', 'tenant'])
  })

  it('Operation.run of a retrying operation: every attempt gets deps, and no listener is left on its signal', async () => {
    const envs: Array<Operation.Env & Deps> = []
    const op = (env: Operation.Env & Deps): TE.TaskEither<string, string> => {
      envs.push(env)
      return envs.length < 3 ? TE.left(`down #${envs.length}`) : TE.right(env.tenant)
    }
    const db = { rows: [] }
    const result = await Operation.run(Retry.retrying(op, Schedule.recurs(5)), { db, tenant: 'acme' })()
    expect(result).toEqual(E.right('acme'))
    expect(envs).toHaveLength(3)
    for (const env of envs) {
      expect(env.db).toBe(db)
      expect(env.signal.aborted).toBe(false)
      expect(listeners(env.signal)).toBe(0)
    }
  })

  it('the user’s environment reaches every attempt unchanged; under Timeout only the signal is derived', async () => {
    const clock = TestClock.make()
    const controller = new AbortController()
    const db = { rows: ['ada'] }
    const env = { signal: controller.signal, db, tenant: 'acme', extra: 42 }
    const seen: Array<Operation.Env & Deps> = []
    const op = (e: Operation.Env & Deps): TE.TaskEither<string, string> => {
      seen.push(e)
      return seen.length % 3 === 0 ? TE.right(`ok ${seen.length}`) : TE.left('down')
    }
    const policy = pipe(Schedule.spaced(10), Schedule.intersect(Schedule.recurs(5)))

    // plain retrying: the very same environment object, every attempt
    const plain = Retry.retrying(op, policy, { clock })(env)()
    await clock.runAll()
    expect(await plain).toEqual(E.right('ok 3'))
    expect(seen).toHaveLength(3)
    for (const e of seen) expect(e).toBe(env)

    // under Timeout: the same fields, and a signal of its own for each attempt, derived from the caller's
    const timed = pipe(op, Timeout.timeout(1_000, { clock }), Retry.retrying(policy, { clock }))(env)()
    await clock.runAll()
    expect(await timed).toEqual(E.right('ok 6'))
    const underTimeout = seen.slice(3)
    expect(underTimeout).toHaveLength(3)
    for (const e of underTimeout) {
      expect(e).toEqual({ ...env, signal: expect.any(AbortSignal) })
      expect(e.db).toBe(db)
      expect(e.signal).not.toBe(controller.signal)
    }
    expect(new Set(underTimeout.map((e) => e.signal)).size).toBe(3)
    expect(listeners(controller.signal)).toBe(0)
  })
})

describe('TestClock sleep purposes', () => {
  it('with a timeout timer and a backoff on one clock, whenSleeping(1, "backoff") waits for the backoff itself', async () => {
    const clock = TestClock.make()
    let attempts = 0
    // does real I/O before it fails, so the backoff starts only once the I/O is done
    const readsThenFails: TE.TaskEither<string, never> = async () => {
      attempts += 1
      await readFile(new URL('../package.json', import.meta.url))
      return E.left(`failed #${attempts}`)
    }
    const call = pipe(
      readsThenFails,
      Timeout.timeout(60_000, { clock }),
      Retry.retrying(pipe(Schedule.spaced(100), Schedule.intersect(Schedule.recurs(1))), { clock }),
    )
    const running = call()
    let backoffStarted = false
    const backoff = clock.whenSleeping(1, 'backoff').then(() => (backoffStarted = true))
    // whenSleeping(1) resolves on the timeout timer, armed as the attempt starts, while the attempt still reads
    await clock.whenSleeping(1)
    expect(clock.pending('timeout')).toBe(1)
    expect(clock.pending('backoff')).toBe(0)
    expect(backoffStarted).toBe(false)
    await backoff
    expect(attempts).toBe(1)
    expect(clock.pending('backoff')).toBe(1)
    expect(clock.pending('timeout')).toBe(0) // cleared when the attempt failed
    await clock.adjust(100)
    expect(attempts).toBe(2)
    expect(await running).toEqual(E.left('failed #2'))
    expect(clock.pending()).toBe(0)
  })
})

describe('Retry.retryable on a whole client', () => {
  it('a record of functions: each wrapped function retries on its own', async () => {
    const clock = TestClock.make()
    const calls = { user: 0, count: 0 }
    const client = {
      // fails twice, then answers
      user:
        (id: number): TE.TaskEither<string, string> =>
        () =>
          Promise.resolve(++calls.user < 3 ? E.left(`user down #${calls.user}`) : E.right(`user ${id}`)),
      // always fails
      count: (): TE.TaskEither<string, number> => () => Promise.resolve(E.left(`count down #${++calls.count}`)),
    }
    const api = Retry.retryable(Schedule.recurs(3), { clock })(client)
    expect(await api.user(7)()).toEqual(E.right('user 7'))
    expect(calls).toEqual({ user: 3, count: 0 })
    expect(await api.count()()).toEqual(E.left('count down #4'))
    expect(calls).toEqual({ user: 3, count: 4 })
    // a fresh run of each starts its own schedule afresh
    calls.user = 0
    expect(await api.user(8)()).toEqual(E.right('user 8'))
    expect(calls.user).toBe(3)
  })

  it('a class instance: the methods run with the instance as `this`, each retrying on its own', async () => {
    const clock = TestClock.make()
    class Users {
      readonly #base: string
      #calls = 0
      constructor(base: string) {
        this.#base = base
      }
      get(id: number): TE.TaskEither<string, string> {
        return () =>
          Promise.resolve(++this.#calls < 2 ? E.left(`${this.#base} down`) : E.right(`${this.#base}/users/${id}`))
      }
      load(id: number): ReaderTaskEither<Operation.Env & { readonly tenant: string }, string, string> {
        return (env) => () =>
          Promise.resolve(this.#calls++ % 2 === 0 ? E.left('flaky') : E.right(`${this.#base}/${env.tenant}/${id}`))
      }
      calls(): TE.TaskEither<never, number> {
        return TE.right(this.#calls)
      }
    }
    const users = Retry.retryable(Schedule.recurs(2), { clock })(new Users('https://api.test'))
    expect(await users.get(1)()).toEqual(E.right('https://api.test/users/1')) // 2 attempts
    expect(await users.calls()()).toEqual(E.right(2))
    const controller = new AbortController()
    expect(await users.load(2)({ signal: controller.signal, tenant: 'acme' })()).toEqual(
      E.right('https://api.test/acme/2'),
    ) // attempt 3 (even) fails, attempt 4 answers
    expect(await users.calls()()).toEqual(E.right(4))
    expect(listeners(controller.signal)).toBe(0)
  })
})

describe('retryingOrElse and Fallback.firstSuccess on cancellable operations', () => {
  interface Cache {
    readonly cache: ReadonlyMap<string, string>
  }

  it('firstSuccess hands the caller’s environment to each alternative', async () => {
    const clock = TestClock.make()
    const seen: Array<readonly [string, Operation.Env & { readonly tenant: string }]> = []
    const alternative =
      <E, A>(name: string, answer: E.Either<E, A>) =>
      (env: Operation.Env & { readonly tenant: string }): TE.TaskEither<E, A> =>
      () => {
        seen.push([name, env])
        return Promise.resolve(answer)
      }
    const chain = pipe(
      [
        alternative('primary', E.left('PrimaryDown')),
        alternative('backup', E.left('BackupDown')),
        alternative('cache', E.right('cached')),
      ] as const,
      Fallback.firstSuccess(Schedule.spaced(10), { clock }),
    )
    const env = { signal: new AbortController().signal, tenant: 'acme' }
    const running = chain(env)()
    await clock.runAll()
    expect(await running).toEqual(E.right('cached'))
    expect(seen.map(([name]) => name)).toEqual(['primary', 'backup', 'cache'])
    for (const [, e] of seen) expect(e).toBe(env)
  })

  it('firstSuccess: an abort between alternatives gives Aborted, and the next alternative never runs', async () => {
    const clock = TestClock.make()
    const ran: Array<string> = []
    const primary = (_: Operation.Env): TE.TaskEither<'PrimaryDown', never> => {
      ran.push('primary')
      return TE.left('PrimaryDown')
    }
    const backup = (_: Operation.Env): TE.TaskEither<never, string> => {
      ran.push('backup')
      return TE.right('from backup')
    }
    const controller = new AbortController()
    const running = Fallback.firstSuccess([primary, backup] as const, Schedule.spaced(1_000), { clock })({
      signal: controller.signal,
    })()
    await clock.whenSleeping(1, 'backoff')
    controller.abort('bye')
    expect(await settledWithinOneTick(running)).toBe(true)
    expect(await running).toEqual(aborted('bye', O.some('PrimaryDown')))
    await clock.runAll()
    expect(ran).toEqual(['primary'])
    expect(clock.now()).toBe(0)
  })

  it('retryingOrElse: an orElse returning a ReaderTaskEither gets the caller’s environment', async () => {
    const clock = TestClock.make()
    const envs: Array<unknown> = []
    const op = (env: Operation.Env & Cache): TE.TaskEither<string, string> => {
      envs.push(env)
      return TE.left('primary down')
    }
    const call = pipe(
      op,
      Retry.retryingOrElse(
        Schedule.recurs(2),
        (error: string, retries) =>
          (env: Operation.Env & Cache): TE.TaskEither<string, string> => {
            envs.push(env)
            return TE.fromOption(() => `no cache after ${retries} retries: ${error}`)(
              O.fromNullable(env.cache.get('k')),
            )
          },
        { clock },
      ),
    )
    const env = { signal: new AbortController().signal, cache: new Map([['k', 'cached']]) }
    expect(await call(env)()).toEqual(E.right('cached'))
    expect(envs).toHaveLength(4) // three attempts, then the fallback
    for (const e of envs) expect(e).toBe(env)
    const empty = { signal: new AbortController().signal, cache: new Map<string, string>() }
    expect(await call(empty)()).toEqual(E.left('no cache after 2 retries: primary down'))
  })

  it('retryingOrElse: a TaskEither orElse on a cancellable operation; an abort skips the fallback', async () => {
    const clock = TestClock.make()
    let fallbacks = 0
    const call = Retry.retryingOrElse(
      (_: Operation.Env) => TE.left('primary down'),
      Schedule.spaced(1_000),
      () => {
        fallbacks += 1
        return TE.right('fallback')
      },
      { clock },
    )
    const controller = new AbortController()
    const running = call({ signal: controller.signal })()
    await clock.whenSleeping(1, 'backoff')
    controller.abort('bye')
    expect(await running).toEqual(aborted('bye', O.some('primary down')))
    expect(fallbacks).toBe(0)
    const done = Retry.retryingOrElse(
      (_: Operation.Env) => TE.left('primary down'),
      Schedule.recurs(1),
      () => TE.right('fallback'),
    )
    expect(await Operation.run(done)()).toEqual(E.right('fallback'))
  })
})
