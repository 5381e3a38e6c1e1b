/**
 * How an observed call's listener reaches the protections inside it. A
 * retrying call given `onEvent` makes an observer (the listener and the
 * call's id) and makes it current while it starts each attempt: every
 * protection inside starts synchronously within that window (a `TaskEither`
 * is run, a `ReaderTaskEither` given its environment and run), reads
 * {@link active} there, and keeps it for the events it emits later (a timeout
 * firing, a hedge starting). Nothing is put into the operation's environment.
 */
import type { Either } from 'fp-ts/Either'
import { runIn } from './operation'
import type { AnyOperation, Env } from './operation'
import { guarded } from './report'

export interface Observer<Ev> {
  /** The id every event of this logical call carries. */
  readonly call: number
  readonly listener: (event: Ev) => void
}

let current: Observer<never> | undefined
let calls = 0

/** A new observer for one logical call: a fresh id. */
export const observer = <Ev>(listener: (event: Ev) => void): Observer<Ev> => ({ call: ++calls, listener })

/** The observer of the call whose attempt is starting now, if it has one. */
export const active = <Ev>(): Observer<Ev> | undefined => current as Observer<Ev> | undefined

/** Runs `start` (which starts an attempt) with `self` as the active observer. */
export const within = <T>(self: Observer<never>, start: () => T): T => attempt(self, start, undefined, undefined)

/** `within`, for the driver's hot path: calls `start(a, b)`, with no closure made per attempt. */
export const attempt = <A, B, T>(self: Observer<never>, start: (a: A, b: B) => T, a: A, b: B): T => {
  const previous = current
  current = self
  try {
    return start(a, b)
  } finally {
    current = previous
  }
}

/** Hands `event` to the listener, by the callback rule (a throw is reported, not propagated). */
export const emit = <Ev>(self: Observer<Ev>, event: Ev): void => guarded(self.listener, event, undefined)

/**
 * Runs `self` once in the caller's form, within `observer` when there is one:
 * a protection that starts its operation later (after a queue, a timer) makes
 * the call current again, so that the protections inside still hear it.
 */
export const runWithin = <E, A>(
  observer: Observer<never> | undefined,
  self: AnyOperation,
  env: Env | undefined,
): Promise<Either<E, A>> =>
  observer === undefined ? runIn<E, A>(self, env) : attempt(observer, runIn<E, A>, self, env)
