/**
 * The one data-first / data-last dispatch behind every entry point (fp-ts's
 * `dual`, told apart by the arguments rather than by their count, since the
 * options are optional). `make(...rest)` builds the combinator once, checking
 * its arguments at once (a `RangeError` at construction), and the result is
 * applied to the operation: data-last returns it, data-first applies it to
 * the first argument.
 *
 * @internal
 */

/** @internal */
export const dual =
  <Rest extends ReadonlyArray<unknown>>(
    isDataFirst: (args: ReadonlyArray<unknown>) => boolean,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    make: (...rest: Rest) => (self: any) => unknown,
  ) =>
  (args: ReadonlyArray<unknown>): unknown =>
    isDataFirst(args) ? make(...(args.slice(1) as unknown as Rest))(args[0]) : make(...(args as unknown as Rest))

/** Data-first when the first argument is the operation (a function), as `protect(self, breaker)`. @internal */
export const firstIsFunction = (args: ReadonlyArray<unknown>): boolean => typeof args[0] === 'function'

/** Data-first unless the first argument is a schedule, as `retrying(self, schedule)`. @internal */
export const firstIsNotSchedule = (args: ReadonlyArray<unknown>): boolean => {
  const first = args[0]
  return !(typeof first === 'object' && first !== null && (first as { readonly _tag?: unknown })._tag === 'Schedule')
}
