/**
 * What the examples share: a local HTTP server on 127.0.0.1 (ephemeral port,
 * closed at the end), and a timeline printer that shows every attempt, its
 * time, its error, the next delay and the outcome.
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import type { Either } from 'fp-ts/Either'
import * as O from 'fp-ts/Option'
import type { ReaderTaskEither } from 'fp-ts/ReaderTaskEither'
import type { Operation, Retry } from '../src/index'

export interface LocalServer {
  readonly url: string
  readonly close: () => Promise<void>
}

/** Starts a node:http server on 127.0.0.1 on a free port. */
export const startServer = (handler: http.RequestListener): Promise<LocalServer> =>
  new Promise((resolve, reject) => {
    const server = http.createServer(handler)
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })

/** A URL where nothing listens (a port just freed): a service that is down. */
export const downUrl = async (): Promise<string> => {
  const server = await startServer(() => undefined)
  await server.close()
  return server.url
}

/** Sends a JSON body with a status. */
export const sendJson = (
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

/** Reads a request body as text. */
export const readBody = (req: http.IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => resolve(body))
  })

/** One line for any error the examples meet. */
export const describeError = (error: unknown): string => {
  if (typeof error !== 'object' || error === null || !('_tag' in error)) return String(error)
  const e = error as { _tag: string } & Record<string, unknown>
  switch (e._tag) {
    case 'HttpError': {
      const hint = e['retryAfter'] as O.Option<number>
      const asked = O.isSome(hint) ? `, hint ${hint.value} ms` : ''
      return `HttpError ${String(e['status'])} ${String(e['statusText'])}${asked}`
    }
    case 'NetworkError': {
      const code = O.getOrElse(() => '')(e['code'] as O.Option<string>)
      const detail = String(e['message']).split(': ').at(-1) ?? ''
      return detail.includes(code) ? `NetworkError ${code}` : `NetworkError ${code} (${detail})`
    }
    case 'TimeoutError':
      return `TimeoutError after ${String(e['timeout'])} ms`
    case 'DecodeError':
      return `DecodeError ${String(e['message'])}`
    case 'CircuitOpen': {
      const hint = e['retryAfter'] as O.Option<number>
      return `CircuitOpen (${String(e['state'])})${O.isSome(hint) ? `, hint ${hint.value} ms` : ''}`
    }
    case 'Aborted':
      return `Aborted (${String(e['reason'])})`
    default:
      return typeof e['reason'] === 'string' ? `${e._tag} (${e['reason']})` : e._tag
  }
}

const ms = (n: number) => `${Math.round(n)} ms`.padStart(8)
const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 3)}...` : s)
const RESULT_WIDTH = 62

/**
 * A timeline for one scenario. Wrap each attempt with `attempt(label, op)`,
 * pass `onRetry` to the retry options, and print the outcome with `outcome`.
 * One row per attempt: its number, its start time, its result and the delay
 * before the next attempt.
 */
export const timeline = (title: string, policy: string, notes: ReadonlyArray<string> = []) => {
  const started = performance.now()
  let attempts = 0
  let pending: string | undefined
  const print = (next: string) => {
    if (pending !== undefined) console.log(`${pending}${next}`.trimEnd())
    pending = undefined
  }
  console.log(`\n== ${title} ${'='.repeat(Math.max(3, 84 - title.length))}`)
  console.log(`   policy: ${policy}`)
  notes.forEach((note) => console.log(`   ${note}`))
  console.log(`   ${'attempt'.padEnd(7)}${'time'.padStart(8)}  ${'result'.padEnd(RESULT_WIDTH)}  next`)
  return {
    /** Runs one attempt of a cancellable operation, noting its number, start time and result. */
    attempt:
      <R extends Operation.Env, E, A>(
        label: string,
        self: ReaderTaskEither<R, E, A>,
        show: (a: A) => string = (a) => JSON.stringify(a),
      ): ReaderTaskEither<R, E, A> =>
      (env) =>
      async () => {
        print('')
        attempts += 1
        const at = performance.now() - started
        const result = await self(env)()
        const what = result._tag === 'Right' ? `ok ${show(result.right)}` : describeError(result.left)
        pending = `   ${`#${attempts}`.padEnd(7)}${ms(at)}  ${clip(`${label}: ${what}`, RESULT_WIDTH).padEnd(RESULT_WIDTH)}  `
        return result
      },
    /** The retry hook: prints the failed attempt with the delay before the next one. */
    onRetry: (event: Retry.RetryEvent<unknown>) => print(`retry in ${Math.round(event.delay)} ms`),
    /** Prints the last attempt and the outcome. */
    outcome: <E, A>(result: Either<E, A>, show: (a: A) => string = (a) => JSON.stringify(a)) => {
      print(result._tag === 'Right' ? '' : 'stop')
      const total = Math.round(performance.now() - started)
      const noun = attempts === 1 ? 'attempt' : 'attempts'
      console.log(
        result._tag === 'Right'
          ? `   outcome: success after ${attempts} ${noun} in ${total} ms: ${clip(show(result.right), 80)}`
          : `   outcome: failed after ${attempts} ${noun} in ${total} ms: ${clip(describeError(result.left), 80)}`,
      )
    },
  }
}

/** Whether this module is the program being run (`tsx examples/x.ts`), not an import. */
export const isMain = (url: string): boolean =>
  process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === url
