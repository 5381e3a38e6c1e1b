/**
 * Scenario 4: ask a language model for JSON through the official clients
 * (`openai`, `@anthropic-ai/sdk`), pointed at a fake model on 127.0.0.1
 * (examples/model-server.ts) that speaks their HTTP APIs. The recipe, step by
 * step:
 *
 * 1. the SDKs' own retries are off (`maxRetries: 0`): ours are the only ones;
 * 2. each call is a cancellable operation: our signal goes to the SDK, which
 *    cancels its request;
 * 3. transient failures (429, 5xx, 529 overloaded, a dropped connection) are
 *    retried with backoff, waiting at least the server's `retry-after`;
 * 4. the answer is decoded with an io-ts codec, and a decode error goes into
 *    the next prompt (`retryingWith`);
 * 5. when the first model gives up, a second model (another vendor) is asked.
 *
 * Run alone: npx tsx examples/llm-json.ts
 */
import Anthropic from '@anthropic-ai/sdk'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import type * as RTE from 'fp-ts/ReaderTaskEither'
import * as TE from 'fp-ts/TaskEither'
import * as t from 'io-ts'
import OpenAI from 'openai'
import { type Clock, Fallback, Operation, Retry, Schedule, Timeout } from '../src/index'
import * as Decode from '../src/Decode'
import * as Http from '../src/Http'
import { answer, drop, fail, type ModelServer, type Script, startModelServer } from './model-server'
import { isMain, timeline } from './support'

/** What we want from the model. */
export const Person = t.type({ name: t.string, age: t.number })
export type Person = t.TypeOf<typeof Person>

export const PROMPT = 'Reply with JSON only: {"name": string, "age": number} for the first programmer.'

/** Every way asking a model can fail. */
export type ModelError = Http.FetchError | Timeout.TimeoutError | Decode.DecodeError

/** One call to a model: the prompt in, the text of its answer out, cancellable. */
export type Complete = (prompt: string) => RTE.ReaderTaskEither<Operation.Env, Http.FetchError, string>

/** A chat completion through the `openai` client: our signal cancels its request, its errors become typed. */
export const openAiModel =
  (client: OpenAI, model: string): Complete =>
  (prompt) =>
  ({ signal }) =>
    pipe(
      TE.tryCatch(
        () => client.chat.completions.create({ model, messages: [{ role: 'user', content: prompt }] }, { signal }),
        (error) => Http.fromSdkError(error, { signal, url: `${client.baseURL}/chat/completions` }),
      ),
      TE.map((completion) => completion.choices[0]?.message.content ?? ''),
    )

/** A message through the `@anthropic-ai/sdk` client, the same way. */
export const anthropicModel =
  (client: Anthropic, model: string): Complete =>
  (prompt) =>
  ({ signal }) =>
    pipe(
      TE.tryCatch(
        () =>
          client.messages.create(
            { model, max_tokens: 1024, messages: [{ role: 'user', content: prompt }] },
            { signal },
          ),
        (error) => Http.fromSdkError(error, { signal, url: `${client.baseURL}/v1/messages` }),
      ),
      TE.map((message) => message.content.map((block) => (block.type === 'text' ? block.text : '')).join('')),
    )

/** The prompt for an attempt: the original one, plus what was wrong with the last answer. */
export const promptFor = (status: Retry.RetryStatus<ModelError>): string =>
  pipe(
    status.lastError,
    O.filter(Decode.isDecodeError),
    O.match(
      () => PROMPT,
      (error) => `${PROMPT} Your previous answer was rejected (${error.message}). Reply with valid JSON only.`,
    ),
  )

/**
 * The policy for one model: up to 3 retries, exponential from 50 ms, for
 * answers that did not decode (the feedback fixes them) and transient
 * failures, waiting at least the server's hint (capped at 10 s).
 */
export const policy = pipe(
  Schedule.exponential(50),
  Schedule.intersect(Schedule.recurs(3)),
  Schedule.whileInput((error: ModelError) => Decode.isDecodeError(error) || Http.isTransient(error)),
  Schedule.waitForHint(10_000),
)

export interface AskOptions {
  readonly clock?: Clock.Clock | undefined
  readonly onRetry?: ((event: Retry.RetryEvent<ModelError>) => void) | undefined
  /** Wraps each attempt (the demo prints a timeline row per attempt). */
  readonly observe?: <A>(
    label: string,
    attempt: RTE.ReaderTaskEither<Operation.Env, ModelError, A>,
  ) => RTE.ReaderTaskEither<Operation.Env, ModelError, A>
}

/** Asks one model for a Person: each attempt bounded to 30 s, decoded, retried by {@link policy} with feedback. */
export const askModel = (label: string, complete: Complete, options: AskOptions = {}) =>
  pipe(
    (status: Retry.RetryStatus<ModelError>) => {
      const attempt = pipe(
        complete(promptFor(status)),
        Timeout.timeout(30_000, { clock: options.clock }),
        Decode.decodeText(Person),
      )
      return options.observe === undefined ? attempt : options.observe(label, attempt)
    },
    Retry.retryingWith(policy, { clock: options.clock, onRetry: options.onRetry }),
  )

/** The first model with its retries; when it gives up (not when the caller aborts), the second with its own. */
export const askPerson = (primary: Complete, secondary: Complete, options: AskOptions = {}) =>
  pipe(
    [askModel('gpt', primary, options), askModel('claude', secondary, options)] as const,
    Fallback.firstSuccess(Schedule.forever, { clock: options.clock }),
  )

/** The clients, pointed at the local model, their own retries off: 3 of our attempts are then 3 requests, not 9. */
export const clientsFor = (server: ModelServer) => ({
  openai: new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'local-test-key', maxRetries: 0 }),
  anthropic: new Anthropic({ baseURL: server.url, apiKey: 'local-test-key', maxRetries: 0 }),
})

/** The replies of the demo's models: an io-ts Person is wanted. */
export const REPLIES = {
  wrongType: 'Sure! Here is the person you asked for: {"name": "Ada Lovelace", "age": "thirty-six"}. Anything else?',
  brokenJson: '```json\n{"name": "Ada Lovelace", "age": 36,}\n```',
  valid: 'Apologies. Here is the corrected JSON:\n```json\n{"name": "Ada Lovelace", "age": 36}\n```',
}

/**
 * The demo's story: gpt is rate limited (429, `retry-after-ms: 300`), then
 * answers the wrong type, then broken JSON (each time told what was wrong),
 * then its connection drops and its retries are spent; claude is overloaded
 * (529) once, then answers.
 */
export const demoScript: Script = (request) => {
  if (request.model === 'gpt-4o-mini') {
    return (
      [
        fail(429, { 'retry-after-ms': '300' }, 'Rate limit reached for requests'),
        answer(REPLIES.wrongType),
        answer(REPLIES.brokenJson),
        drop,
      ][request.n - 1] ?? drop
    )
  }
  return request.n === 1 ? fail(529, {}, 'Overloaded') : answer(REPLIES.valid)
}

export const main = async (): Promise<void> => {
  const server = await startModelServer(demoScript)
  try {
    const { openai, anthropic } = clientsFor(server)
    const tl = timeline(
      '4. LLM JSON via the openai and anthropic SDKs, decoded with io-ts, repaired through feedback',
      'SDK maxRetries 0; exponential(50), 3 retries, transient or decode errors, waitForHint; then the next model',
    )
    const ask = askPerson(openAiModel(openai, 'gpt-4o-mini'), anthropicModel(anthropic, 'claude-sonnet-4-5'), {
      onRetry: tl.onRetry,
      observe: tl.attempt,
    })
    tl.outcome(await Operation.run(ask)(), (p: Person) => `${p.name}, ${p.age}`)
    for (const request of server.requests()) {
      const feedback = request.prompt.slice(PROMPT.length + 1)
      if (feedback !== '')
        console.log(`${' '.repeat(20)}${request.model} #${request.n} prompt += "${feedback.slice(0, 90)}..."`)
    }
    const count = (model: string) => server.requests().filter((r) => r.model === model).length
    console.log(
      `   the model server saw ${server.requests().length} requests: gpt-4o-mini ${count('gpt-4o-mini')}, claude-sonnet-4-5 ${count('claude-sonnet-4-5')} (SDK retries off)`,
    )
  } finally {
    await server.close()
  }
}

if (isMain(import.meta.url)) await main()
