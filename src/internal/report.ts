/**
 * The one rule for exceptions thrown by user callbacks (hooks, listeners,
 * predicates, schedule steps): the exception is reported, never thrown into
 * the call, and the library goes on with a safe answer. Reported with
 * `globalThis.reportError` where the platform has it (browsers, Deno, Bun),
 * else `console.error`, as `EventTarget` does with a throwing listener.
 *
 * @internal
 */

/** Reports an exception thrown by a user callback, without throwing. @internal */
export const report = (error: unknown): void => {
  try {
    const { reportError } = globalThis as { reportError?: (error: unknown) => void }
    if (typeof reportError === 'function') reportError(error)
    else console.error('fp-ts-retry: a callback threw', error)
  } catch {
    // reporting must never disturb the call either
  }
}

/** Calls `f(a)`; if it throws, reports the exception and returns `fallback` (default `undefined`). @internal */
export function guarded<A, B>(f: (a: A) => B, a: A): B | undefined
export function guarded<A, B>(f: (a: A) => B, a: A, fallback: B): B
export function guarded<A, B>(f: (a: A) => B, a: A, fallback?: B): B | undefined {
  try {
    return f(a)
  } catch (error) {
    report(error)
    return fallback
  }
}
