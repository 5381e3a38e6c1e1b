/**
 * A fake language model on 127.0.0.1 that speaks enough of two real HTTP
 * APIs for their official clients to talk to it: OpenAI's chat completions
 * (`POST /v1/chat/completions`, for `new OpenAI({ baseURL: `${url}/v1` })`)
 * and Anthropic's messages (`POST /v1/messages`, for
 * `new Anthropic({ baseURL: url })`). A script decides what each request gets:
 * an answer (any text: JSON, JSON in prose or fences, JSON of the wrong
 * shape), an error status with headers (429 with `retry-after`, 500, 529
 * overloaded), a dropped connection, or no answer at all. The server records
 * every request it saw, and every one whose client went away before the answer.
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the server does with one request. */
export type Behaviour =
  | { readonly _tag: 'Answer'; readonly text: string }
  | {
      readonly _tag: 'Fail'
      readonly status: number
      readonly headers?: Readonly<Record<string, string>>
      readonly message?: string
    }
  /** Closes the connection without a response. */
  | { readonly _tag: 'Drop' }
  /** Never answers: the request stays open until the client goes away. */
  | { readonly _tag: 'Hang' }

export const answer = (text: string): Behaviour => ({ _tag: 'Answer', text })
export const fail = (status: number, headers: Readonly<Record<string, string>> = {}, message?: string): Behaviour =>
  message === undefined ? { _tag: 'Fail', status, headers } : { _tag: 'Fail', status, headers, message }
export const drop: Behaviour = { _tag: 'Drop' }
export const hang: Behaviour = { _tag: 'Hang' }

/** One request as the server saw it. */
export interface SeenRequest {
  readonly api: 'openai' | 'anthropic'
  readonly model: string
  /** The text of the last user message. */
  readonly prompt: string
  /** The how-many-th request for this model, from 1. */
  readonly n: number
  /** `now()` when it arrived (the clock given to the server: a test's virtual clock, or real time). */
  readonly at: number
  /** What the server did with it. */
  readonly behaviour: Behaviour['_tag']
}

export type Script = (request: Omit<SeenRequest, 'behaviour'>) => Behaviour

export interface ModelServer {
  /** The origin, `http://127.0.0.1:<port>`: Anthropic's `baseURL`; OpenAI's is `${url}/v1`. */
  readonly url: string
  /** Every request so far, in order. */
  readonly requests: () => ReadonlyArray<SeenRequest>
  /** How many requests the client abandoned (closed) before they were answered. */
  readonly abandoned: () => number
  /** Resolves when the `count`-th abandoned request has closed. */
  readonly whenAbandoned: (count?: number) => Promise<void>
  /** Resolves when the `count`-th request has arrived. */
  readonly whenReceived: (count?: number) => Promise<void>
  readonly close: () => Promise<void>
}

const readBody = (request: http.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => (body += chunk))
    request.on('end', () => resolve(body))
    request.on('error', reject)
  })

interface ChatBody {
  readonly model?: unknown
  readonly messages?: ReadonlyArray<{ readonly role?: unknown; readonly content?: unknown }>
}

/** The text of the last user message: a string, or the text blocks of an array. */
const lastPrompt = (body: ChatBody): string => {
  const user = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user')
  const content = user?.content
  if (typeof content === 'string') return content
  return Array.isArray(content)
    ? content.map((block: { readonly text?: unknown }) => (typeof block.text === 'string' ? block.text : '')).join('')
    : ''
}

const ANTHROPIC_ERROR_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
}

const completion = (api: SeenRequest['api'], model: string, n: number, text: string): unknown =>
  api === 'openai'
    ? {
        id: `chatcmpl-${n}`,
        object: 'chat.completion',
        created: 0,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: text, refusal: null },
            finish_reason: 'stop',
            logprobs: null,
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      }
    : {
        id: `msg_${n}`,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 10 },
      }

const errorBody = (api: SeenRequest['api'], status: number, message: string): unknown =>
  api === 'openai'
    ? { error: { message, type: status === 429 ? 'requests' : 'server_error', param: null, code: null } }
    : { type: 'error', error: { type: ANTHROPIC_ERROR_TYPES[status] ?? 'api_error', message } }

/** Starts the fake model on 127.0.0.1, on a free port. */
export const startModelServer = (script: Script, now: () => number = () => performance.now()): Promise<ModelServer> =>
  new Promise((resolve, reject) => {
    const seen: Array<SeenRequest> = []
    const perModel = new Map<string, number>()
    let abandoned = 0
    const waiters: Array<{ readonly ready: () => boolean; readonly resolve: () => void }> = []
    const notify = () => {
      for (const waiter of [...waiters]) {
        if (waiter.ready()) {
          waiters.splice(waiters.indexOf(waiter), 1)
          waiter.resolve()
        }
      }
    }
    const when = (ready: () => boolean): Promise<void> =>
      ready() ? Promise.resolve() : new Promise((done) => waiters.push({ ready, resolve: done }))

    const handle = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
      const api =
        request.url === '/v1/chat/completions' ? 'openai' : request.url === '/v1/messages' ? 'anthropic' : undefined
      if (request.method !== 'POST' || api === undefined) {
        response.writeHead(404, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ error: { message: `no route ${request.method} ${request.url}` } }))
        return
      }
      const body = JSON.parse(await readBody(request)) as ChatBody
      const model = typeof body.model === 'string' ? body.model : ''
      const n = (perModel.get(model) ?? 0) + 1
      perModel.set(model, n)
      const arrived = { api, model, prompt: lastPrompt(body), n, at: now() } as const
      const behaviour = script(arrived)
      response.on('close', () => {
        // the client went away before the answer (a dropped connection is the server's doing, not counted)
        if (!response.writableFinished && behaviour._tag !== 'Drop') {
          abandoned += 1
          notify()
        }
      })
      seen.push({ ...arrived, behaviour: behaviour._tag })
      notify()
      switch (behaviour._tag) {
        case 'Answer':
          response.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_${seen.length}` })
          response.end(JSON.stringify(completion(api, model, n, behaviour.text)))
          return
        case 'Fail':
          response.writeHead(behaviour.status, { 'content-type': 'application/json', ...behaviour.headers })
          response.end(
            JSON.stringify(errorBody(api, behaviour.status, behaviour.message ?? `status ${behaviour.status}`)),
          )
          return
        case 'Drop':
          request.socket.destroy()
          return
        case 'Hang':
          return
      }
    }

    const server = http.createServer((request, response) => {
      handle(request, response).catch(() => request.socket.destroy())
    })
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests: () => seen,
        abandoned: () => abandoned,
        whenAbandoned: (count = 1) => when(() => abandoned >= count),
        whenReceived: (count = 1) => when(() => seen.length >= count),
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
