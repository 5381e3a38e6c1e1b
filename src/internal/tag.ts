/**
 * The one tag guard: every `isX` of the library is `hasTag('X')`, so every
 * such predicate accepts any value and narrows it to its tagged type.
 *
 * @internal
 */

/** A guard for the values whose `_tag` is `tag`; accepts any value and never throws (a throwing getter reads as no tag). @internal */
export const hasTag =
  <A extends { readonly _tag: string }>(tag: A['_tag']) =>
  (value: unknown): value is A => {
    if (typeof value !== 'object' || value === null) return false
    try {
      return (value as { readonly _tag?: unknown })._tag === tag
    } catch {
      return false
    }
  }
