/**
 * Scenario 4: ask a language model for JSON. The local model endpoint
 * sometimes wraps its JSON in prose, sometimes returns broken JSON. The reply
 * is decoded with an io-ts codec; only a reply that does not decode is
 * retried, and the decode error goes into the next prompt (`retryingWith`).
 *
 * Run alone: npx tsx examples/llm-json.ts
 */
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import * as RTE from 'fp-ts/ReaderTaskEither'
import * as t from 'io-ts'
import { Operation, Retry, Schedule, Timeout } from '../src/index'
import * as Decode from '../src/Decode'
import * as Http from '../src/Http'
import { isMain, readBody, sendJson, startServer, timeline } from './support'

/** What we want from the model. */
const Person = t.type({ name: t.string, age: t.number })
type Person = t.TypeOf<typeof Person>

/** The model's replies: prose around a wrong type; broken JSON; at last a fenced block that decodes. */
const REPLIES = [
  'Sure! Here is the person you asked for: {"name": "Ada Lovelace", "age": "thirty-six"}. Anything else?',
  '```json\n{"name": "Ada Lovelace", "age": 36,}\n```',
  'Apologies. Here is the corrected JSON:\n```json\n{"name": "Ada Lovelace", "age": 36}\n```',
]

const PROMPT = 'Reply with JSON only: {"name": string, "age": number} for the first programmer.'

type ModelError = Http.FetchError | Timeout.TimeoutError | Decode.DecodeError

export const main = async (): Promise<void> => {
  // a scripted model: it repairs its answer only when the prompt says what was wrong
  const model = await startServer(async (req, res) => {
    const { prompt } = JSON.parse(await readBody(req)) as { prompt: string }
    const reply = prompt.includes('invalid JSON')
      ? REPLIES[2]
      : prompt.includes('invalid value')
        ? REPLIES[1]
        : REPLIES[0]
    sendJson(res, 200, { text: reply })
  })
  try {
    /** One completion: POST the prompt, get the text back. */
    const complete = (prompt: string): RTE.ReaderTaskEither<Operation.Env, ModelError, string> =>
      pipe(
        Http.json(`${model.url}/v1/complete`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt }),
        }),
        Timeout.timeout(2000),
        Decode.decode(t.type({ text: t.string })),
        RTE.map((reply) => reply.text),
      )

    /** The prompt for an attempt: the original one, plus what was wrong with the last answer. */
    const promptFor = (status: Retry.RetryStatus<ModelError>): string =>
      pipe(
        status.lastError,
        O.filter(Decode.isDecodeError),
        O.match(
          () => PROMPT,
          (error) => `${PROMPT} Your previous answer was rejected (${error.message}). Reply with valid JSON only.`,
        ),
      )

    const tl = timeline(
      '4. LLM JSON decoded with io-ts, repaired through feedback',
      'spaced(50), 4 retries, decode errors only, retryingWith feeds the error back',
    )
    const askPerson = pipe(
      (status: Retry.RetryStatus<ModelError>) => {
        const prompt = promptFor(status)
        if (status.attempt > 1)
          console.log(`${' '.repeat(20)}prompt += "${prompt.slice(PROMPT.length + 1, PROMPT.length + 90)}..."`)
        return tl.attempt('model', pipe(complete(prompt), Decode.decodeText(Person)))
      },
      Retry.retryingWith(
        pipe(Schedule.spaced(50), Schedule.intersect(Schedule.recurs(4)), Schedule.whileInput(Decode.isDecodeError)),
        {
          onRetry: tl.onRetry,
        },
      ),
    )
    tl.outcome(await Operation.run(askPerson)(), (p: Person) => `${p.name}, ${p.age}`)
  } finally {
    await model.close()
  }
}

if (isMain(import.meta.url)) await main()
