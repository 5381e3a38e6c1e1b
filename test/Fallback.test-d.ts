import { pipe } from 'fp-ts/function'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import * as TE from 'fp-ts/TaskEither'
import { describe, expectTypeOf, it } from 'vitest'
import { Fallback, type Operation, type Retry, Schedule } from '../src/index'

interface PrimaryDown {
  readonly _tag: 'PrimaryDown'
}
interface BackupDown {
  readonly _tag: 'BackupDown'
}
interface Unauthorized {
  readonly _tag: 'Unauthorized'
}

declare const primary: TE.TaskEither<PrimaryDown, { readonly price: number }>
declare const backup: TE.TaskEither<BackupDown, { readonly price: number; readonly stale: true }>
declare const cache: TE.TaskEither<never, 'cached'>
declare const primaryC: ReaderTaskEither<Operation.Env, PrimaryDown, { readonly price: number }>
declare const backupC: ReaderTaskEither<Operation.Env, BackupDown, { readonly price: number; readonly stale: true }>

describe('Fallback types', () => {
  // 0.1: a signal in the options widened the TaskEither; now the cancellable form has Aborted, the plain one not
  it('cancellable alternatives widen the error with Retry.Aborted; plain ones keep the error type unchanged', () => {
    const chain = pipe([primaryC, backupC] as const, Fallback.firstSuccess(Schedule.spaced(100), {}))
    // the parts, each exactly
    expectTypeOf<Operation.ErrorOf<typeof chain>>().toEqualTypeOf<
      PrimaryDown | BackupDown | Retry.Aborted<PrimaryDown | BackupDown>
    >()
    expectTypeOf<Operation.ValueOf<typeof chain>>().toEqualTypeOf<
      { readonly price: number } | { readonly price: number; readonly stale: true }
    >()
    expectTypeOf(chain).parameter(0).toEqualTypeOf<Operation.Env>()
    // the whole (RED with the current src: the environment is `Operation.Env & internal Env`, not normalised to
    // `Operation.Env` as Retry.retrying's is; see the migration report)
    expectTypeOf(chain).toEqualTypeOf<
      ReaderTaskEither<
        Operation.Env,
        PrimaryDown | BackupDown | Retry.Aborted<PrimaryDown | BackupDown>,
        { readonly price: number } | { readonly price: number; readonly stale: true }
      >
    >()
    const plain = pipe([primary, backup] as const, Fallback.firstSuccess(Schedule.spaced(100), {}))
    expectTypeOf(plain).toEqualTypeOf<
      TE.TaskEither<
        PrimaryDown | BackupDown,
        { readonly price: number } | { readonly price: number; readonly stale: true }
      >
    >()
  })

  it('the error is the union of all alternatives’ errors, the value the union of their values', () => {
    const chain = pipe([primary, primary, backup, cache] as const, Fallback.firstSuccess(Schedule.spaced(100)))
    expectTypeOf(chain).toEqualTypeOf<
      TE.TaskEither<
        PrimaryDown | BackupDown,
        { readonly price: number } | { readonly price: number; readonly stale: true } | 'cached'
      >
    >()
  })

  it('the schedule must accept every alternative’s error', () => {
    const onlyPrimary = pipe(
      Schedule.spaced(100),
      Schedule.whileInput((e: PrimaryDown | BackupDown) => e._tag === 'PrimaryDown'),
    )
    expectTypeOf(pipe([primary, backup] as const, Fallback.firstSuccess(onlyPrimary))).toEqualTypeOf<
      TE.TaskEither<
        PrimaryDown | BackupDown,
        { readonly price: number } | { readonly price: number; readonly stale: true }
      >
    >()
    const unauthorized = TE.left<Unauthorized, { readonly price: number }>({ _tag: 'Unauthorized' })
    // @ts-expect-error the schedule does not know Unauthorized
    pipe([primary, unauthorized] as const, Fallback.firstSuccess(onlyPrimary))
  })

  it('the list must not be empty', () => {
    // @ts-expect-error an empty chain has nothing to try
    Fallback.firstSuccess(Schedule.forever)([])
  })
})
