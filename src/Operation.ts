/**
 * The two forms of operation every combinator of this library accepts and
 * returns in kind:
 *
 * - a plain `TaskEither<E, A>`: it cannot be cancelled;
 * - a cancellable `ReaderTaskEither<R, E, A>` whose environment `R` carries
 *   `signal: AbortSignal` ({@link Env}), next to your own dependencies.
 *
 * A cancellable operation is run as `op({ signal, ...deps })()`: the signal
 * comes at run time, so one wrapped function serves many calls, each with its
 * own signal. Every combinator hands the operation inside it a signal that
 * fires when the caller's fires, or when the combinator itself cancels that
 * attempt (a timeout expiring), and leaves no listener or timer behind once
 * the call settles. Only a run with a signal can end in `Retry.Aborted`, so
 * only the cancellable form has it in its error type.
 *
 * The rules every combinator shares, said here once and linked from each:
 *
 * - **Abort.** When the caller's signal fires, a call that retries, repeats,
 *   polls, hedges or falls back ends at once with `Retry.Aborted` (the
 *   signal's reason, and the last error if an attempt had failed): a sleep is
 *   cut short, an attempt in flight is no longer awaited, and no further
 *   attempt starts. A protection that makes a call wait (a bulkhead's queue, a
 *   rate limiter's bucket) stops the wait at once with its own typed refusal,
 *   whose reason is `'aborted'`.
 * - **Defects.** An operation that rejects instead of returning a `Left`, or
 *   resolves to something that is not an `Either`, breaks its contract: that
 *   is a defect, not a failure. No combinator retries it or turns it into a
 *   `Left`: the rejection propagates (a breaker records it as a failure, a
 *   bulkhead frees its slot).
 * - **Callbacks.** A hook, listener or predicate of yours that throws is
 *   reported (`globalThis.reportError`, else `console.error`), never thrown
 *   into the call, which goes on with the safe answer (see the guide's
 *   "Contracts and callbacks").
 * - **Time and randomness.** Whatever sleeps or draws takes a `clock`
 *   (default `Clock.live`) and, where a schedule may jitter, a `random`
 *   source (default `Math.random`): give `TestClock.make()` and
 *   `Random.seeded(n)` in tests, and the same clock to every combinator of
 *   one call.
 *
 * At run time the two forms are told apart by how they are called: a
 * `TaskEither` with no argument (`te()`, as fp-ts always does), a
 * cancellable operation with its environment. So run a wrapped `TaskEither`
 * as `te()`, never as a callback that passes arguments
 * (`tasks.map((te) => te())`, not `tasks.map(te)`).
 *
 * @since 0.2.0
 */
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type { TaskEither } from 'fp-ts/TaskEither'
import * as internal from './internal/operation'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The environment of a cancellable operation: the `AbortSignal` of this run.
 * Extend it with your own dependencies (`Env & { readonly db: Db }`): they
 * pass through every combinator untouched.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
 * import { Operation } from 'fp-ts-retry'
 *
 * interface Deps extends Operation.Env {
 *   readonly baseUrl: string
 * }
 * const getUser = (id: string): ReaderTaskEither<Deps, Error, string> => (deps) =>
 *   TE.right(`${deps.baseUrl}/users/${id} (aborted: ${deps.signal.aborted})`)
 * await getUser('ada')({ baseUrl: 'http://127.0.0.1', signal: new AbortController().signal })()
 * // => { _tag: 'Right', right: 'http://127.0.0.1/users/ada (aborted: false)' }
 *
 * @since 0.2.0
 * @category model
 */
export interface Env extends internal.Env {
  /** Fires when the caller, or a combinator around this attempt, cancels it. */
  readonly signal: AbortSignal
}

/**
 * A cancellable operation: a `ReaderTaskEither` whose environment carries the
 * run's `signal`.
 *
 * @since 0.2.0
 * @category model
 */
export type Cancellable<R extends Env, E, A> = ReaderTaskEither<R, E, A>

/**
 * An operation of either form whose errors are `E` (and values `A`): what
 * every combinator accepts. (`never` as the environment admits any environment; the result
 * types then require the signal, see {@link EnvOf}.)
 *
 * @since 0.2.0
 * @category model
 */
export type Any<E = unknown, A = unknown> = TaskEither<E, A> | ReaderTaskEither<never, E, A>

/**
 * The error type of an operation of either form (a union when given a union).
 *
 * @since 0.2.0
 * @category model
 */
export type ErrorOf<Op> =
  Op extends TaskEither<infer E, unknown> ? E : Op extends ReaderTaskEither<never, infer E, unknown> ? E : never

/**
 * The success type of an operation of either form (a union when given a union).
 *
 * @since 0.2.0
 * @category model
 */
export type ValueOf<Op> =
  Op extends TaskEither<unknown, infer A> ? A : Op extends ReaderTaskEither<never, unknown, infer A> ? A : never

/**
 * The environment a cancellable operation runs in once wrapped: its own, with
 * the signal added if it did not ask for one.
 *
 * @since 0.2.0
 * @category model
 */
export type EnvOf<Op> = Op extends ReaderTaskEither<infer R, unknown, unknown> ? WithSignal<R> : never

/** `R` when it carries the signal, else `R & Env`. */
type WithSignal<R> = [R] extends [Env] ? R : R & Env

/**
 * The same form of operation with `X` added to its errors and `B` as its
 * value: what a combinator that validates or transforms a result returns.
 *
 * @since 0.2.0
 * @category model
 */
export type Mapped<Op, X, B> =
  Op extends TaskEither<infer E, unknown>
    ? TaskEither<E | X, B>
    : Op extends ReaderTaskEither<infer R, infer E, unknown>
      ? ReaderTaskEither<WithSignal<R>, E | X, B>
      : never

/**
 * The same form of operation with `X` added to its errors: what a combinator
 * that adds a failure mode returns.
 *
 * @since 0.2.0
 * @category model
 */
export type Widen<Op, X> = Mapped<Op, X, ValueOf<Op>>

// -------------------------------------------------------------------------------------
// running
// -------------------------------------------------------------------------------------

/**
 * A cancellable operation as a plain `TaskEither`, run with a signal that
 * never fires (and with `deps`, the rest of its environment). Use it where
 * nothing can cancel the call; pass a real signal (`op({ signal })()`) where
 * something can.
 *
 * @example
 * import * as TE from 'fp-ts/TaskEither'
 * import { Operation } from 'fp-ts-retry'
 *
 * const greet = ({ name }: Operation.Env & { readonly name: string }) => TE.right(`hello ${name}`)
 * await Operation.run(greet, { name: 'Ada' })()
 * // => { _tag: 'Right', right: 'hello Ada' }
 *
 * @since 0.2.0
 * @category running
 */
export function run<E, A>(self: ReaderTaskEither<Env, E, A>): TaskEither<E, A>
export function run<R extends Env, E, A>(self: ReaderTaskEither<R, E, A>, deps: Omit<R, 'signal'>): TaskEither<E, A>
export function run<E, A>(self: ReaderTaskEither<Env, E, A>, deps?: object): TaskEither<E, A> {
  return self(deps === undefined ? { signal: internal.NEVER } : { ...deps, signal: internal.NEVER })
}
