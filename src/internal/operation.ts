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
import { onAbort } from './abort'

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
export const NEVER: AbortSignal = new AbortController().signal

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
 * Watches `signal` for a whole call with one subscription: `next()` is a
 * fresh promise for each attempt (so that a long call does not pile reactions
 * on one promise that never settles), resolving with {@link ABORTED} when the
 * signal fires; `idle()` lets the attempt's promise go once the attempt has
 * settled (a call asleep in its backoff holds none); `release` ends the watch.
 *
 * @internal
 */
export interface Watch {
  readonly next: () => Promise<typeof ABORTED>
  readonly idle: () => void
  readonly release: () => void
}

/** A watch's state, in one object: the methods are shared, not closures made per call. */
class SignalWatch implements Watch {
  private fired: boolean
  private fire: ((value: typeof ABORTED) => void) | undefined = undefined
  readonly release: () => void

  constructor(signal: AbortSignal) {
    this.fired = signal.aborted
    this.release = this.fired
      ? noop
      : onAbort(signal, () => {
          this.fired = true
          this.fire?.(ABORTED)
        })
  }

  next(): Promise<typeof ABORTED> {
    return this.fired ? Promise.resolve(ABORTED) : new Promise((resolve) => (this.fire = resolve))
  }

  idle(): void {
    this.fire = undefined
  }
}

/** @internal */
export const whenAborted = (signal: AbortSignal): Watch => new SignalWatch(signal)

/** The value a {@link whenAborted} promise resolves with. @internal */
export const ABORTED: unique symbol = Symbol('aborted')
