/**
 * One `abort` listener per signal, however many pending calls wait on it.
 * `AbortSignal.addEventListener` and `removeEventListener` scan the signal's
 * listeners, so 100,000 calls that each add and remove their own cost
 * quadratic time. Here the subscribers of a signal are a doubly linked list
 * threaded through the subscribers themselves: subscribing and unsubscribing
 * take constant time and allocate nothing, and the one real listener goes as
 * soon as no subscriber is left.
 *
 * A subscriber is an object (the driver's watch, a sleep), not a callback,
 * so a pending call makes no closure to be told of the abort, nor one to
 * unsubscribe.
 *
 * @internal
 */

/** What hears a signal fire; subscribed to at most one signal at a time. @internal */
export abstract class Subscriber {
  /** The neighbours in the signal's list, `undefined` while not subscribed. */
  prev: Subscriber | undefined = undefined
  next: Subscriber | undefined = undefined
  abstract fired(): void
}

/** The head of a signal's list: the list is a ring through it. */
class Root extends Subscriber {
  constructor(readonly signal: AbortSignal) {
    super()
    this.prev = this.next = this
  }

  /** Fires every subscriber, first subscribed first; one that unsubscribes another on the way spares it. */
  readonly listener = (): void => {
    for (let first = this.next; first !== undefined && first !== this; first = this.next) {
      unlink(first)
      first.fired()
    }
    hubs.delete(this.signal)
  }

  fired(): void {}
}

const hubs = new WeakMap<AbortSignal, Root>()

const unlink = (self: Subscriber): void => {
  const { prev, next } = self
  if (prev === undefined || next === undefined) return
  prev.next = next
  next.prev = prev
  self.prev = self.next = undefined
}

/**
 * Calls `subscriber.fired()` once when `signal` fires, unless
 * {@link unsubscribe}d first. `signal` must not be aborted yet, and
 * `subscriber` must not be subscribed already.
 *
 * @internal
 */
export const subscribe = (signal: AbortSignal, subscriber: Subscriber): void => {
  let root = hubs.get(signal)
  if (root === undefined) {
    root = new Root(signal)
    hubs.set(signal, root)
    signal.addEventListener('abort', root.listener, { once: true })
  }
  const last = root.prev as Subscriber
  subscriber.prev = last
  subscriber.next = root
  last.next = subscriber
  root.prev = subscriber
}

/** Stops `subscriber` hearing `signal`; a no-op when it is not subscribed (fired already, or never). @internal */
export const unsubscribe = (signal: AbortSignal, subscriber: Subscriber): void => {
  if (subscriber.next === undefined) return
  unlink(subscriber)
  const root = hubs.get(signal)
  // the last one gone: the real listener goes too (not while the signal is firing)
  if (root === undefined || root.next !== root || signal.aborted) return
  hubs.delete(signal)
  signal.removeEventListener('abort', root.listener)
}

/** A subscriber that calls a function. */
class Callback extends Subscriber {
  constructor(private readonly callback: () => void) {
    super()
  }

  fired(): void {
    this.callback()
  }
}

/**
 * Calls `callback` once when `signal` fires; returns the function that
 * unsubscribes it (a no-op once fired), for callers that hold a closure
 * anyway. `signal` must not be aborted yet.
 *
 * @internal
 */
export const onAbort = (signal: AbortSignal, callback: () => void): (() => void) => {
  const subscriber = new Callback(callback)
  subscribe(signal, subscriber)
  return () => unsubscribe(signal, subscriber)
}
