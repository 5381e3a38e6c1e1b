/**
 * Type promises of fp-ts-retry/redis: a node-redis client fits `Redis.Client`; each shared protection is a drop-in
 * for its local twin (`pipe(op, CircuitBreaker.protect(shared))` widens exactly as with a local breaker).
 */
import { pipe } from 'fp-ts/function'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type { TaskEither } from 'fp-ts/TaskEither'
import { createClient } from 'redis'
import { describe, expectTypeOf, it } from 'vitest'
import type { Budget, Operation } from '../src'
import { CircuitBreaker, RateLimit, Retry, Schedule } from '../src'
import * as Redis from '../src/Redis'

declare const op: TaskEither<'boom', number>
declare const cancellable: ReaderTaskEither<Operation.Env & { readonly db: string }, 'boom', number>
const client = createClient()

describe('fp-ts-retry/redis types', () => {
  it('takes a node-redis client', () => {
    expectTypeOf(client).toMatchTypeOf<Redis.Client>()
    // @ts-expect-error a URL is not a client: pass a connected one
    Redis.tokenBucket({ client: 'redis://127.0.0.1', name: 'x' })
  })

  it('a shared breaker is a drop-in for a local one in pipe', () => {
    const shared = Redis.circuitBreaker({ client, name: 'x' })()
    const local = CircuitBreaker.make()()
    expectTypeOf(shared).toMatchTypeOf<CircuitBreaker.CircuitBreaker>()
    expectTypeOf(pipe(op, CircuitBreaker.protect(shared))).toEqualTypeOf(pipe(op, CircuitBreaker.protect(local)))
    expectTypeOf(pipe(op, CircuitBreaker.protect(shared))).toEqualTypeOf<
      TaskEither<'boom' | CircuitBreaker.CircuitOpen, number>
    >()
    expectTypeOf(pipe(cancellable, CircuitBreaker.protect(shared))).toEqualTypeOf<
      ReaderTaskEither<Operation.Env & { readonly db: string }, 'boom' | CircuitBreaker.CircuitOpen, number>
    >()
  })

  it('a shared rate limit and a shared budget fit wherever their local twins do', () => {
    const limiter = Redis.rateLimit({ client, name: 'x', rate: 10 })()
    expectTypeOf(pipe(op, RateLimit.limit(limiter))).toEqualTypeOf<TaskEither<'boom' | RateLimit.RateLimited, number>>()
    const budget = Redis.tokenBucket({ client, name: 'x' })()
    expectTypeOf(budget).toMatchTypeOf<Budget.Budget>()
    expectTypeOf(Redis.throttle({ client, name: 'x' })()).toMatchTypeOf<Budget.Budget>()
    expectTypeOf(pipe(op, Retry.retrying(Schedule.recurs(3), { budget }))).toEqualTypeOf<TaskEither<'boom', number>>()
  })

  it('the fail mode is one of two words', () => {
    // @ts-expect-error 'half' is not a fail mode
    Redis.circuitBreaker({ client, name: 'x', failMode: 'half' })
    expectTypeOf(Redis.isFailClosed).parameter(0).toEqualTypeOf<unknown>()
  })
})
