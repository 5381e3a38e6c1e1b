/**
 * The two forms of operation every combinator accepts, and the one runtime
 * rule that tells them apart: a `TaskEither` is always run with no argument,
 * a cancellable `ReaderTaskEither` always with its environment. A combinator
 * builds one function that, called with no argument, runs at once (the
 * `TaskEither` form), and called with an environment returns the task (the
 * `ReaderTaskEither` form).
 *
 * @internal
 */
import type { Either } from 'fp-ts/Either'
import { onAbort, subscribe, Subscriber, unsubscribe } from './abort'

/** The environment of a cancellable operation: the signal of this run, plus the user's own dependencies. @internal */
export interface Env {
  readonly signal: AbortSignal
}

/** Runs an operation of either form: `env` is `undefined` for a `TaskEither`. @internal */
export type Run<E, A> = (env: Env | undefined) => Promise<Either<E, A>>

/** An operation of either form, as the combinators see it at run time. @internal */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOperation = (env?: any) => any

/** Runs `self` once, in the form the caller used: with no argument, or given `env`. @internal */
export const runIn = <E, A>(self: AnyOperation, env: Env | undefined): Promise<Either<E, A>> =>
  env === undefined ? self() : self(env)()

/** How to run `self` once, in the form the caller used. @internal */
export const runner =
  <E, A>(self: AnyOperation): Run<E, A> =>
  (env) =>
    runIn(self, env)

/**
 * The operation whose runs are `body`, in the caller's form: called with no
 * argument it runs at once, called with an environment it returns the task.
 *
 * @internal
 */
export const operation =
  <E, A>(body: Run<E, A>): AnyOperation =>
  (env?: Env) =>
    env === undefined ? body(undefined) : () => body(env)

/** `self`, its success value passed through `f`: a `Left` from `f` becomes the result. @internal */
export const chainEither =
  <E, A, E2, B>(self: AnyOperation, f: (a: A) => Either<E2, B>): AnyOperation =>
  (env?: Env) => {
    const run = runner<E, A>(self)
    const body = (e: Env | undefined) => run(e).then((result) => (result._tag === 'Left' ? result : f(result.right)))
    return env === undefined ? body(undefined) : () => body(env)
  }

/** The environment `env`, with `signal` in place of its own. @internal */
export const withSignal = (env: Env, signal: AbortSignal): Env => ({ ...env, signal })

/** A signal that never fires, shared: what `Operation.run` supplies. @internal */
export const NEVER: AbortSignal = /* @__PURE__ */ (() => new AbortController().signal)()

/**
 * A child of `parent`: it fires when `parent` fires, or when `abort` is
 * called. `release` removes the listener from `parent`; call it once the
 * run that uses the child has settled.
 *
 * @internal
 */
export interface Child {
  readonly signal: AbortSignal
  readonly abort: (reason: unknown) => void
  readonly release: () => void
}

/** @internal */
export const child = (parent: AbortSignal | undefined): Child => {
  const controller = new AbortController()
  if (parent === undefined) return { signal: controller.signal, abort: (r) => controller.abort(r), release: noop }
  if (parent.aborted) {
    controller.abort(parent.reason)
    return { signal: controller.signal, abort: noop, release: noop }
  }
  const release = onAbort(parent, () => controller.abort(parent.reason))
  return { signal: controller.signal, abort: (reason) => controller.abort(reason), release }
}

const noop = (): void => undefined

/**
 * Races a call's attempts against `signal`, subscribed only while an attempt
 * runs (a call asleep in its backoff is not: the sleep hears the signal
 * itself). `race(attempt)` settles as the attempt does, or with
 * {@link ABORTED} when the signal fires first; `idle()`, once the attempt has
 * settled, unsubscribes (idempotent: also called when the call settles). The
 * watch is the subscriber, so it makes no closure of its own.
 *
 * @internal
 */
export class Watch extends Subscriber {
  private fire: ((value: typeof ABORTED) => void) | undefined = undefined

  constructor(private readonly signal: AbortSignal) {
    super()
  }

  race<T>(attempt: Promise<T>): Promise<T | typeof ABORTED> {
    // the attempt may have fired the signal as it started: no subscription then, and one that has settled still wins
    if (this.signal.aborted) return Promise.race([attempt, Promise.resolve<typeof ABORTED>(ABORTED)])
    subscribe(this.signal, this)
    return new Promise((resolve, reject) => {
      this.fire = resolve
      Promise.resolve(attempt).then(resolve, reject)
    })
  }

  idle(): void {
    this.fire = undefined
    unsubscribe(this.signal, this)
  }

  fired(): void {
    const fire = this.fire
    // in a job of its own, as `Promise.race` would: an attempt that settled before the abort still wins
    if (fire !== undefined) queueMicrotask(() => fire(ABORTED))
  }
}

/** @internal */
export const whenAborted = (signal: AbortSignal): Watch => new Watch(signal)

/** The value a {@link whenAborted} promise resolves with. @internal */
export const ABORTED: unique symbol = Symbol('aborted')
