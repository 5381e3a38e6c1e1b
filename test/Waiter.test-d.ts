import * as E from 'fp-ts/Either'
import { absurd, pipe } from 'fp-ts/function'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type * as TE from 'fp-ts/TaskEither'
import { describe, expectTypeOf, it } from 'vitest'
import { CircuitBreaker, Retry, Schedule, Timeout, Waiter } from '../src/index'
import type { Operation } from '../src/index'

type Job =
  | { readonly status: 'running' }
  | { readonly status: 'succeeded'; readonly url: string }
  | { readonly status: 'failed'; readonly message: string }
type Succeeded = Extract<Job, { status: 'succeeded' }>
interface HttpError {
  readonly _tag: 'HttpError'
  readonly status: number
}
interface JobFailed {
  readonly _tag: 'JobFailed'
  readonly message: string
}
declare const getJob: TE.TaskEither<HttpError, Job>
declare const cancellableGetJob: ReaderTaskEither<Operation.Env, HttpError, Job>
declare const breaker: CircuitBreaker.CircuitBreaker
declare const other: TE.TaskEither<string, Job>
declare const narrower: TE.TaskEither<HttpError, Succeeded>
declare const numbers: TE.TaskEither<HttpError, number>

const classify = (o: E.Either<HttpError, Job>) =>
  E.isLeft(o)
    ? o.left.status === 404
      ? Waiter.pending
      : Waiter.failed(o.left)
    : o.right.status === 'succeeded'
      ? Waiter.ready(o.right)
      : o.right.status === 'failed'
        ? Waiter.failed<JobFailed>({ _tag: 'JobFailed', message: o.right.message })
        : Waiter.pending

describe('Waiter types', () => {
  it('the classifier narrows: Done carries the narrowed value, Failed the union of its reasons', () => {
    expectTypeOf(classify).returns.toEqualTypeOf<
      Waiter.Pending | Waiter.Failed<HttpError> | Waiter.Ready<Succeeded> | Waiter.Failed<JobFailed>
    >()
    expectTypeOf<Waiter.ReadyOf<ReturnType<typeof classify>>>().toEqualTypeOf<Succeeded>()
    expectTypeOf<Waiter.ReasonOf<ReturnType<typeof classify>>>().toEqualTypeOf<HttpError | JobFailed>()
    // inline, data-first: the observation is typed by the operation, and narrowing carries into the result
    const inline = Waiter.poll(
      getJob,
      (o) => (E.isRight(o) && o.right.status === 'succeeded' ? Waiter.ready(o.right.url) : Waiter.pending),
      { maxWait: 1_000 },
    )
    expectTypeOf(inline).toEqualTypeOf<TE.TaskEither<Waiter.WaitTimeout<HttpError, Job>, string>>()
  })

  it('the result union is exact: value; the classifier’s failures; WaitTimeout; Aborted only when cancellable', () => {
    type Plain = TE.TaskEither<HttpError | JobFailed | Waiter.WaitTimeout<HttpError, Job>, Succeeded>
    expectTypeOf(pipe(getJob, Waiter.poll(classify, { maxWait: 1_000 }))).toEqualTypeOf<Plain>()
    expectTypeOf(Waiter.poll(getJob, classify, { maxWait: 1_000 })).toEqualTypeOf<Plain>()
    type Cancellable = ReaderTaskEither<
      Operation.Env,
      HttpError | JobFailed | Waiter.WaitTimeout<HttpError, Job> | Retry.Aborted<HttpError>,
      Succeeded
    >
    expectTypeOf(pipe(cancellableGetJob, Waiter.poll(classify, { maxWait: 1_000 }))).toEqualTypeOf<Cancellable>()
    expectTypeOf(Waiter.poll(cancellableGetJob, classify, { maxWait: 1_000 })).toEqualTypeOf<Cancellable>()
  })

  it('an exhaustive switch compiles, and one that drops a case does not', () => {
    const waiting = pipe(
      cancellableGetJob,
      Timeout.timeout(2_000),
      Waiter.poll(
        (o: E.Either<HttpError | Timeout.TimeoutError, Job>) =>
          E.isLeft(o)
            ? o.left._tag === 'TimeoutError'
              ? Waiter.pending
              : Waiter.failed(o.left)
            : o.right.status === 'succeeded'
              ? Waiter.ready(o.right.url)
              : o.right.status === 'failed'
                ? Waiter.failed<JobFailed>({ _tag: 'JobFailed', message: o.right.message })
                : Waiter.pending,
        { maxWait: 60_000 },
      ),
    )
    type Err = Operation.ErrorOf<typeof waiting>
    expectTypeOf(waiting).toEqualTypeOf<ReaderTaskEither<Operation.Env, Err, string>>()
    const describe = (e: Err): string => {
      switch (e._tag) {
        case 'HttpError':
          return `HTTP ${e.status}`
        case 'JobFailed':
          return e.message
        case 'WaitTimeout':
          return `still ${E.isRight(e.last) ? e.last.right.status : e.last.left._tag} after ${e.observations} polls`
        case 'Aborted':
          return 'cancelled'
        default:
          return absurd(e)
      }
    }
    expectTypeOf(describe).returns.toEqualTypeOf<string>()
    const incomplete = (e: Err): string => {
      switch (e._tag) {
        case 'HttpError':
        case 'JobFailed':
        case 'Aborted':
          return e._tag
        default:
          // @ts-expect-error WaitTimeout is not handled
          return absurd(e)
      }
    }
    expectTypeOf(incomplete).returns.toEqualTypeOf<string>()
  })

  it('pending never widens the error type: a retry and a breaker inside add only their own failures', () => {
    const waiting = pipe(
      getJob,
      CircuitBreaker.protect(breaker),
      Retry.retrying(Schedule.recurs(2)),
      Waiter.poll(
        (o: E.Either<HttpError | CircuitBreaker.CircuitOpen, Job>) =>
          E.isRight(o) && o.right.status === 'succeeded' ? Waiter.ready(o.right.url) : Waiter.pending,
        { maxWait: 1_000 },
      ),
    )
    expectTypeOf(waiting).toEqualTypeOf<
      TE.TaskEither<Waiter.WaitTimeout<HttpError | CircuitBreaker.CircuitOpen, Job>, string>
    >()
  })

  it('data-last: the classifier’s annotation decides which operations fit', () => {
    const poller = Waiter.poll(classify, { maxWait: 1_000 })
    // @ts-expect-error the classifier does not take string errors
    poller(other)
    expectTypeOf(poller(narrower)).toEqualTypeOf<
      TE.TaskEither<HttpError | JobFailed | Waiter.WaitTimeout<HttpError, Succeeded>, Succeeded>
    >()
  })

  it('hooks and schedules are typed by the operation', () => {
    Waiter.poll(getJob, classify, {
      maxWait: 1_000,
      onPending: (e) => expectTypeOf(e).toEqualTypeOf<Waiter.PendingEvent<HttpError, Job>>(),
      schedule: pipe(
        Schedule.spaced(1_000),
        Schedule.modifyDelayWithInput((d, o: E.Either<HttpError, Job>) => (E.isLeft(o) ? d * 2 : d)),
      ),
    })
    const wrong: Waiter.PollOptions<HttpError, Job> = {
      maxWait: 1_000,
      // @ts-expect-error the schedule takes numbers, the waiter steps it with observations
      schedule: pipe(
        Schedule.forever,
        Schedule.whileInput((n: number) => n > 0),
      ),
    }
    expectTypeOf(wrong).toEqualTypeOf<Waiter.PollOptions<HttpError, Job>>()
  })

  it('until narrows by a type guard and keeps the operation’s own errors', () => {
    const isSucceeded = (job: Job): job is Succeeded => job.status === 'succeeded'
    expectTypeOf(Waiter.until(getJob, isSucceeded, { maxWait: 1_000 })).toEqualTypeOf<
      TE.TaskEither<HttpError | Waiter.WaitTimeout<HttpError, Job>, Succeeded>
    >()
    expectTypeOf(pipe(getJob, Waiter.until(isSucceeded, { maxWait: 1_000 }))).toEqualTypeOf<
      TE.TaskEither<HttpError | Waiter.WaitTimeout<HttpError, Job>, Succeeded>
    >()
    expectTypeOf(pipe(cancellableGetJob, Waiter.until(isSucceeded, { maxWait: 1_000 }))).toEqualTypeOf<
      ReaderTaskEither<
        Operation.Env,
        HttpError | Waiter.WaitTimeout<HttpError, Job> | Retry.Aborted<HttpError>,
        Succeeded
      >
    >()
    // a plain predicate (not a type guard, nor inferred as one) keeps the value type
    expectTypeOf(
      Waiter.until(getJob, (job) => job.status === 'succeeded' && job.url !== '', { maxWait: 1_000 }),
    ).toEqualTypeOf<TE.TaskEither<HttpError | Waiter.WaitTimeout<HttpError, Job>, Job>>()
    // @ts-expect-error the predicate takes jobs
    pipe(numbers, Waiter.until(isSucceeded, { maxWait: 1_000 }))
  })
})
