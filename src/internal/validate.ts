/**
 * Argument checks shared by the constructors. A failed check is a programmer
 * error, so it throws a `RangeError` at construction naming the function, the
 * parameter and the value.
 *
 * @internal
 */

const show = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value)
  if (Object.is(value, -0)) return '-0'
  return String(value)
}

/** @internal */
export const fail = (fn: string, param: string, expected: string, value: unknown): never => {
  throw new RangeError(`${fn}: ${param} must be ${expected}, got ${show(value)}`)
}

/** @internal */
export const isDelay = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0

/** A finite, non-negative number of milliseconds. @internal */
export const delay = (fn: string, param: string, value: number): number =>
  isDelay(value) ? value : fail(fn, param, 'a finite non-negative number of milliseconds', value)

/** A non-negative integer. @internal */
export const count = (fn: string, param: string, value: number): number =>
  Number.isSafeInteger(value) && value >= 0 ? value : fail(fn, param, 'a non-negative integer', value)

/** A finite number at least `min`. @internal */
export const atLeast = (fn: string, param: string, min: number, value: number): number =>
  typeof value === 'number' && Number.isFinite(value) && value >= min
    ? value
    : fail(fn, param, `a finite number >= ${min}`, value)
