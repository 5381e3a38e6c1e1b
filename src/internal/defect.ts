/**
 * How a protection is told that the operation it guarded rejected (threw)
 * instead of returning a `Left`: the permit's `onFailure` receives the
 * rejection wrapped as a defect, which always counts as a failure, whatever
 * the breaker's `isFailure` says. One symbol for the local breaker
 * (`CircuitBreaker.protect`) and the shared one (`fp-ts-retry/redis`).
 *
 * @internal
 */

/** @internal */
export const DEFECT: unique symbol = Symbol('defect')

/** A rejection, as `onFailure` receives it. @internal */
export interface Defect {
  readonly [DEFECT]: true
  readonly cause: unknown
}

/** @internal */
export const asDefect = (cause: unknown): Defect => ({ [DEFECT]: true, cause })

/** True for a wrapped rejection; accepts any value. @internal */
export const isDefect = (error: unknown): error is Defect =>
  typeof error === 'object' && error !== null && (error as Partial<Defect>)[DEFECT] === true
