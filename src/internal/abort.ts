/**
 * One `abort` listener per signal, however many pending calls wait on it.
 * `AbortSignal.addEventListener` and `removeEventListener` scan the signal's
 * listeners, so 100,000 calls that each add and remove their own cost
 * quadratic time; here each call adds to and removes from a `Set` (constant
 * time), and the one real listener goes as soon as no call is left.
 *
 * @internal
 */

interface Hub {
  readonly callbacks: Set<() => void>
  readonly listener: () => void
}

const hubs = new WeakMap<AbortSignal, Hub>()

const noop = (): void => undefined

/**
 * Calls `callback` once when `signal` fires; returns the function that
 * unsubscribes it (a no-op once fired). `signal` must not be aborted yet, and
 * `callback` must be a function made for this subscription (every caller
 * passes a fresh closure), since it is the subscription's key.
 *
 * @internal
 */
export const onAbort = (signal: AbortSignal, callback: () => void): (() => void) => {
  let hub = hubs.get(signal)
  if (hub === undefined) {
    const callbacks = new Set<() => void>()
    const listener = () => {
      hubs.delete(signal)
      for (const f of callbacks) f()
      callbacks.clear()
    }
    hub = { callbacks, listener }
    hubs.set(signal, hub)
    signal.addEventListener('abort', listener, { once: true })
  }
  const own = hub
  own.callbacks.add(callback)
  return () => {
    if (!own.callbacks.delete(callback) || own.callbacks.size > 0 || hubs.get(signal) !== own) return
    hubs.delete(signal)
    signal.removeEventListener('abort', own.listener)
  }
}

/** `onAbort`, or nothing to do when there is no signal. @internal */
export const onAbortOf = (signal: AbortSignal | undefined, callback: () => void): (() => void) =>
  signal === undefined ? noop : onAbort(signal, callback)
