/**
 * The few fp-ts values the core builds on its hot paths, written as the plain
 * data fp-ts defines them to be: importing them from `fp-ts/Either` and
 * `fp-ts/Option` would bring those modules' top-level instances into every
 * bundle (about 0.7 KB gzip of a 2 KB policy). They are the same shapes, so
 * every fp-ts function accepts them.
 *
 * @internal
 */
import type { Left } from 'fp-ts/Either'
import type { None, Option, Some } from 'fp-ts/Option'

/** `E.left`. @internal */
export const left = <E>(e: E): Left<E> => ({ _tag: 'Left', left: e })

/** `O.some`. @internal */
export const some = <A>(a: A): Option<A> => ({ _tag: 'Some', value: a }) as Some<A>

/** `O.none`. @internal */
export const none: Option<never> = { _tag: 'None' } as None
