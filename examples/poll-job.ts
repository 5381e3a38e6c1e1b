/**
 * Scenario 8: poll a job until it is done. A local job service takes a job
 * (POST /jobs) and answers its status (GET /jobs/:id): not visible yet (404)
 * just after the POST, then queued, running, and at last succeeded or failed.
 * The client polls with a waiter: every result goes through one classifier
 * (done, failed, or pending), a slow poll is cut by a per-poll timeout, and
 * the waiter never sleeps past its deadline. "Still running" is a value, not
 * an error: no retry hook, budget or breaker ever sees it.
 *
 * Run alone: npx tsx examples/poll-job.ts
 */
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import * as t from 'io-ts'
import { Operation, Random, type Retry, Timeout, Waiter } from '../src/index'
import * as Decode from '../src/Decode'
import * as Http from '../src/Http'
import { describeError, isMain, readBody, sendJson, startServer } from './support'

const Job = t.union([
  t.type({ id: t.string, status: t.keyof({ queued: null, running: null }), progress: t.number }),
  t.type({ id: t.string, status: t.literal('succeeded'), result: t.type({ rows: t.number, url: t.string }) }),
  t.type({ id: t.string, status: t.literal('failed'), error: t.string }),
])
export type Job = t.TypeOf<typeof Job>

/** The job ended in failure: the waiter's own typed failure. */
export interface JobFailed {
  readonly _tag: 'JobFailed'
  readonly id: string
  readonly reason: string
}

/** What one poll can fail with. */
export type PollError = Http.FetchError | Timeout.TimeoutError | Decode.DecodeError

/**
 * What each poll means. Not visible yet (a 404 just after the POST), a poll that timed out or any other
 * transient failure: poll again. A failed job, or a permanent error (401, a body that does not decode): stop.
 */
export const classify = (observation: E.Either<PollError, Job>) => {
  if (E.isLeft(observation)) {
    const e = observation.left
    return (e._tag === 'HttpError' && e.status === 404) || Http.isTransient(e) ? Waiter.pending : Waiter.failed(e)
  }
  const job = observation.right
  switch (job.status) {
    case 'succeeded':
      return Waiter.ready(job.result)
    case 'failed':
      return Waiter.failed<JobFailed>({ _tag: 'JobFailed', id: job.id, reason: job.error })
    default:
      return Waiter.pending
  }
}

/** The scripted life of each job, one answer per GET (the last one forever); 'hang' answers nothing. */
const SCRIPTS: Readonly<Record<string, ReadonlyArray<Job | 404 | 'hang'>>> = {
  report: [
    404,
    { id: 'job-1', status: 'queued', progress: 0 },
    { id: 'job-1', status: 'running', progress: 30 },
    { id: 'job-1', status: 'running', progress: 80 },
    { id: 'job-1', status: 'succeeded', result: { rows: 1200, url: '/exports/job-1.csv' } },
  ],
  export: [
    { id: 'job-2', status: 'running', progress: 10 },
    { id: 'job-2', status: 'running', progress: 40 },
    { id: 'job-2', status: 'failed', error: 'disk full' },
  ],
  reindex: [{ id: 'job-3', status: 'running', progress: 5 }, 'hang', { id: 'job-3', status: 'running', progress: 6 }],
}

const showJob = (job: Job): string =>
  job.status === 'succeeded'
    ? `succeeded: ${job.result.rows} rows`
    : job.status === 'failed'
      ? `failed: ${job.error}`
      : `${job.status} ${job.progress}%`

const ms = (n: number) => `${Math.round(n)} ms`.padStart(8)

/** Everything one wait can end with. */
type Outcome = E.Either<
  JobFailed | PollError | Waiter.WaitTimeout<PollError, Job> | Retry.Aborted<PollError>,
  { readonly rows: number; readonly url: string }
>

/**
 * Prints one row per poll (number, start time from the first poll's, as the deadline counts, observation, the
 * delay to the next) and the outcome.
 */
const pollTimeline = (title: string) => {
  let started: number | undefined
  let polls = 0
  let row = ''
  console.log(`   ${title}`)
  console.log(`   ${'poll'.padEnd(7)}${'time'.padStart(8)}  ${'observation'.padEnd(62)}  next`)
  return {
    /** Wraps one poll, noting its start time and result. */
    poll:
      <R extends Operation.Env, A>(
        label: string,
        self: ReaderTaskEither<R, PollError, A>,
        show: (a: A) => string,
      ): ReaderTaskEither<R, PollError, A> =>
      (env) =>
      async () => {
        polls += 1
        started ??= performance.now()
        const at = performance.now() - started
        const result = await self(env)()
        const what = E.isRight(result) ? show(result.right) : describeError(result.left)
        row = `   ${`#${polls}`.padEnd(7)}${ms(at)}  ${`${label}: ${what}`.padEnd(62)}  `
        return result
      },
    onPending: (event: { readonly delay: number }) => console.log(`${row}poll in ${Math.round(event.delay)} ms`),
    outcome: (result: Outcome) => {
      console.log(row.trimEnd())
      const total = Math.round(performance.now() - (started ?? 0))
      const noun = polls === 1 ? 'poll' : 'polls'
      if (E.isRight(result))
        return console.log(
          `   outcome: done after ${polls} ${noun} in ${total} ms: ${result.right.rows} rows at ${result.right.url}`,
        )
      const e = result.left
      const why =
        e._tag === 'WaitTimeout'
          ? `WaitTimeout: ${E.isRight(e.last) ? showJob(e.last.right) : describeError(e.last.left)} after ${e.observations} polls; the next would start after the ${e.maxWait} ms deadline`
          : describeError(e)
      console.log(`   outcome: failed after ${polls} ${noun} in ${total} ms: ${why}`)
    },
  }
}

export const main = async (): Promise<void> => {
  const gets = new Map<string, number>()
  const ids = new Map<string, string>()
  const api = await startServer(async (req, res) => {
    if (req.method === 'POST' && req.url === '/jobs') {
      const { name } = JSON.parse(await readBody(req)) as { name: string }
      const id = `job-${ids.size + 1}`
      ids.set(id, name)
      return sendJson(res, 202, { id })
    }
    const id = req.url?.split('/').at(-1) ?? ''
    const script = SCRIPTS[ids.get(id) ?? ''] ?? [404]
    const n = gets.get(id) ?? 0
    gets.set(id, n + 1)
    const answer = script[Math.min(n, script.length - 1)]
    if (answer === 'hang') return // no answer: the per-poll timeout cuts the request
    if (answer === 404 || answer === undefined) return sendJson(res, 404, { error: 'no such job' })
    sendJson(res, 200, answer)
  })
  try {
    console.log(`\n== 8. Poll a job until it is done: a waiter with a deadline ${'='.repeat(25)}`)
    console.log('   waiter: Waiter.awsBackoff(50, 400) between polls (AWS waiter delays, scaled down), 300 ms per poll')
    const random = Random.seeded(8)
    for (const [name, maxWait] of [
      ['report', 3_000],
      ['export', 3_000],
      ['reindex', 1_000],
    ] as const) {
      const submitted = await Operation.run(
        Http.json(`${api.url}/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name }),
        }),
      )()
      const id = E.isRight(submitted) ? (submitted.right as { id: string }).id : 'none'
      const tl = pollTimeline(`job ${name} (${id}), deadline ${maxWait} ms`)
      const status = pipe(Http.json(`${api.url}/jobs/${id}`), Timeout.timeout(300), Decode.decode(Job))
      const waiting = pipe(
        tl.poll(`GET /jobs/${id}`, status, showJob),
        Waiter.poll(classify, {
          maxWait,
          schedule: Waiter.awsBackoff(50, 400),
          random,
          onPending: tl.onPending,
        }),
      )
      tl.outcome(await Operation.run(waiting)())
    }
  } finally {
    await api.close()
  }
}

if (isMain(import.meta.url)) await main()
