/**
 * The real `openai` and `@anthropic-ai/sdk` clients, pointed at a fake model
 * on 127.0.0.1 (examples/model-server.ts) that speaks their HTTP APIs: the
 * exact requests the server saw (3 attempts, not 9, once the SDK's own
 * retries are off), `Retry-After` honoured in virtual time, an abort that
 * closes the SDK's request on the server, and the recipe of
 * examples/llm-json.ts end to end.
 */
import Anthropic from '@anthropic-ai/sdk'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import * as O from 'fp-ts/Option'
import OpenAI from 'openai'
import { afterEach, describe, expect, it } from 'vitest'
import { Retry, Schedule, TestClock } from '../src/index'
import * as Http from '../src/Http'
import {
  anthropicModel,
  askModel,
  askPerson,
  clientsFor,
  type Complete,
  demoScript,
  openAiModel,
  PROMPT,
  REPLIES,
} from '../examples/llm-json'
import { answer, drop, fail, hang, type ModelServer, type Script, startModelServer } from '../examples/model-server'

let server: ModelServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const start = async (script: Script, now?: () => number): Promise<ModelServer> => {
  server = await startModelServer(script, now)
  return server
}

type Sdk = 'openai' | 'anthropic'
const SDKS: ReadonlyArray<Sdk> = ['openai', 'anthropic']

/** One model call through the real client of `sdk`, its own retries set to `maxRetries` (the SDKs' default is 2). */
const modelOf = (sdk: Sdk, url: string, maxRetries?: number): Complete => {
  const options = { apiKey: 'local-test-key', ...(maxRetries === undefined ? {} : { maxRetries }) }
  return sdk === 'openai'
    ? openAiModel(new OpenAI({ baseURL: `${url}/v1`, ...options }), 'gpt-4o-mini')
    : anthropicModel(new Anthropic({ baseURL: url, ...options }), 'claude-sonnet-4-5')
}

const signal = () => new AbortController().signal

describe.each(SDKS)('the %s client inside our retry', (sdk) => {
  // the server asks for a 1 ms wait, which the SDK's own retries sleep for real: a bounded real wait of a few ms
  const alwaysFailing: Script = () => fail(500, { 'retry-after-ms': '1' })
  const threeAttempts = pipe(Schedule.recurs(2), Schedule.whileInput(Http.isTransient))

  it('with its own retries on (the default), 3 attempts are 9 requests', async () => {
    const model = await start(alwaysFailing)
    const result = await pipe(modelOf(sdk, model.url)('hello'), Retry.retrying(threeAttempts))({ signal: signal() })()
    expect(E.isLeft(result) && result.left).toMatchObject({ _tag: 'HttpError', status: 500 })
    expect(model.requests()).toHaveLength(9)
  })

  it('with maxRetries: 0, 3 attempts are 3 requests', async () => {
    const model = await start(alwaysFailing)
    const result = await pipe(
      modelOf(sdk, model.url, 0)('hello'),
      Retry.retrying(threeAttempts),
    )({ signal: signal() })()
    expect(E.isLeft(result) && result.left).toMatchObject({ _tag: 'HttpError', status: 500 })
    expect(model.requests().map((r) => r.n)).toEqual([1, 2, 3])
  })

  it('Retry-After is honoured in virtual time: our sleep runs on the TestClock (the SDK has no timer: maxRetries 0)', async () => {
    const clock = TestClock.make()
    const status = sdk === 'openai' ? 429 : 529
    const model = await start(
      (r) => (r.n === 1 ? fail(status, { 'retry-after': '30' }) : answer('{"ok": true}')),
      clock.now,
    )
    const delays: Array<number> = []
    const policy = pipe(
      Schedule.exponential(100),
      Schedule.intersect(Schedule.recurs(3)),
      Schedule.whileInput(Http.isTransient),
      Schedule.waitForHint(60_000),
    )
    const running = pipe(
      modelOf(sdk, model.url, 0)('hello'),
      Retry.retrying(policy, { clock, onRetry: (event) => delays.push(event.delay) }),
    )({ signal: signal() })()
    await clock.whenSleeping(1, 'backoff') // the 429/529 arrived over real I/O; the retry now sleeps, virtually
    await clock.adjust(30_000)
    expect(await running).toEqual(E.right('{"ok": true}'))
    expect(delays).toEqual([30_000])
    // the second request arrived 30 virtual seconds after the first, not the schedule's 100 ms
    expect(model.requests().map((r) => r.at)).toEqual([0, 30_000])
  })

  it('an abort cancels the request in flight: the server sees it close, and nothing is retried', async () => {
    const model = await start(() => hang)
    const controller = new AbortController()
    const running = pipe(
      modelOf(sdk, model.url, 0)('hello'),
      Retry.retrying(pipe(Schedule.recurs(3), Schedule.whileInput(Http.isTransient))),
    )({ signal: controller.signal })()
    await model.whenReceived(1)
    controller.abort(new Error('user left'))
    const result = await running
    expect(E.isLeft(result) && result.left._tag).toBe('Aborted')
    await model.whenAbandoned(1) // real I/O: the close reaches the server shortly after the abort
    expect(model.abandoned()).toBe(1)
    expect(model.requests()).toHaveLength(1)
  })

  it('an abort seen by the SDK itself is the caller’s abort (ABORT_ERR), never retried', async () => {
    const model = await start(() => hang)
    const controller = new AbortController()
    const running = modelOf(sdk, model.url, 0)('hello')({ signal: controller.signal })()
    await model.whenReceived(1)
    controller.abort()
    const result = await running
    expect(E.isLeft(result) && result.left).toMatchObject({ _tag: 'NetworkError', code: O.some('ABORT_ERR') })
    expect(Http.isTransient(E.isLeft(result) && result.left)).toBe(false)
  })

  it.each([
    [
      '429 with retry-after',
      fail(429, { 'retry-after': '2' }),
      { _tag: 'HttpError', status: 429, retryAfter: O.some(2000) },
      true,
    ],
    [
      '429 with retry-after-ms',
      fail(429, { 'retry-after-ms': '250' }),
      { _tag: 'HttpError', retryAfter: O.some(250) },
      true,
    ],
    ['500', fail(500), { _tag: 'HttpError', status: 500, statusText: 'Internal Server Error' }, true],
    ['529 overloaded', fail(529), { _tag: 'HttpError', status: 529, statusText: 'Overloaded' }, true],
    [
      '500 with x-should-retry: false',
      fail(500, { 'x-should-retry': 'false' }),
      { _tag: 'HttpError', status: 500 },
      false,
    ],
    [
      '409 with x-should-retry: true',
      fail(409, { 'x-should-retry': 'true' }),
      { _tag: 'HttpError', status: 409 },
      true,
    ],
    ['401', fail(401), { _tag: 'HttpError', status: 401, retryAfter: O.none }, false],
    ['a dropped connection', drop, { _tag: 'NetworkError', method: 'POST' }, true],
  ] as const)('classifies %s', async (_, behaviour, expected, transient) => {
    const model = await start(() => behaviour)
    const result = await modelOf(sdk, model.url, 0)('hello')({ signal: signal() })()
    const error = E.isLeft(result) ? result.left : undefined
    expect(error).toMatchObject(expected)
    expect(Http.isTransient(error)).toBe(transient)
    expect(model.requests()).toHaveLength(1)
  })

  it('the error body the SDK parsed is kept, and the url says which API', async () => {
    const model = await start(() => fail(429, {}, 'Rate limit reached'))
    const result = await modelOf(sdk, model.url, 0)('hello')({ signal: signal() })()
    const error = E.isLeft(result) ? result.left : undefined
    expect(error?._tag === 'HttpError' && error.body).toContain('Rate limit reached')
    expect(error?.url).toBe(`${model.url}/v1/${sdk === 'openai' ? 'chat/completions' : 'messages'}`)
  })
})

describe('layered retries (docs/when-not-to-retry.md): the figure measured', () => {
  // the server asks for a 1 ms wait, which the SDK's own retries sleep for real: a bounded real wait (48 x 1 ms)
  const alwaysFailing: Script = () => fail(500, { 'retry-after-ms': '1' })
  const threeRetries = pipe(Schedule.recurs(3), Schedule.whileInput(Http.isTransient))

  it('three layers that each retry 3 times send 4^3 = 64 requests; one layer alone sends 4', async () => {
    const model = await start(alwaysFailing)
    // the job queue retries the job, which retries the call, whose SDK retries the request
    const job = pipe(
      modelOf('openai', model.url, 3)('hello'),
      Retry.retrying(threeRetries),
      Retry.retrying(threeRetries),
    )
    expect(E.isLeft(await job({ signal: signal() })())).toBe(true)
    expect(model.requests()).toHaveLength(64)
  })

  it('one layer retrying (ours), the SDK and the queue failing fast: 4 requests', async () => {
    const model = await start(alwaysFailing)
    const job = pipe(modelOf('openai', model.url, 0)('hello'), Retry.retrying(threeRetries))
    expect(E.isLeft(await job({ signal: signal() })())).toBe(true)
    expect(model.requests()).toHaveLength(4)
  })
})

describe('the recipe (examples/llm-json.ts), against the local model', () => {
  it('retries transient failures with the hint, feeds decode errors back, falls back to the second model', async () => {
    const clock = TestClock.make()
    const model = await start(demoScript, clock.now)
    const { openai, anthropic } = clientsFor(model)
    const delays: Array<number> = []
    const running = askPerson(openAiModel(openai, 'gpt-4o-mini'), anthropicModel(anthropic, 'claude-sonnet-4-5'), {
      clock,
      onRetry: (event) => delays.push(event.delay),
    })({ signal: signal() })()
    // each failure arrives over real I/O; then the retry sleeps on the virtual clock
    for (const _ of [1, 2, 3, 4]) {
      await clock.whenSleeping(1, 'backoff')
      await clock.adjust(1_000)
    }
    expect(await running).toEqual(E.right({ name: 'Ada Lovelace', age: 36 }))
    // the 429's retry-after-ms (300) beats the schedule's 50 ms; then 100, 200; claude's own retry starts at 50
    expect(delays).toEqual([300, 100, 200, 50])
    const rejected = (what: string) =>
      `${PROMPT} Your previous answer was rejected (${what}). Reply with valid JSON only.`
    expect(
      model.requests().map(({ api, model: name, prompt, behaviour }) => ({ api, name, prompt, behaviour })),
    ).toEqual([
      { api: 'openai', name: 'gpt-4o-mini', prompt: PROMPT, behaviour: 'Fail' },
      { api: 'openai', name: 'gpt-4o-mini', prompt: PROMPT, behaviour: 'Answer' },
      {
        api: 'openai',
        name: 'gpt-4o-mini',
        prompt: rejected('invalid value: at $.age: expected number, got "thirty-six"'),
        behaviour: 'Answer',
      },
      {
        api: 'openai',
        name: 'gpt-4o-mini',
        prompt: expect.stringMatching(/rejected \(invalid JSON: Expected double-quoted property name/),
        behaviour: 'Drop',
      },
      { api: 'anthropic', name: 'claude-sonnet-4-5', prompt: PROMPT, behaviour: 'Fail' },
      { api: 'anthropic', name: 'claude-sonnet-4-5', prompt: PROMPT, behaviour: 'Answer' },
    ])
    expect(REPLIES.valid).toContain('```json')
  })

  it('a model that never decodes is asked 4 times, then the next one', async () => {
    const model = await start((r) =>
      r.model === 'gpt-4o-mini' ? answer('I cannot help with that.') : answer('{"name": "Ada", "age": 36}'),
    )
    const { openai, anthropic } = clientsFor(model)
    const clock = TestClock.make()
    const running = askPerson(openAiModel(openai, 'gpt-4o-mini'), anthropicModel(anthropic, 'claude-sonnet-4-5'), {
      clock,
    })({ signal: signal() })()
    for (const _ of [1, 2, 3]) {
      await clock.whenSleeping(1, 'backoff')
      await clock.adjust(1_000)
    }
    expect(await running).toEqual(E.right({ name: 'Ada', age: 36 }))
    expect(model.requests().map((r) => r.model)).toEqual([
      'gpt-4o-mini',
      'gpt-4o-mini',
      'gpt-4o-mini',
      'gpt-4o-mini',
      'claude-sonnet-4-5',
    ])
    expect(model.requests()[1]?.prompt).toMatch(/rejected \(no JSON found: no JSON object or array in "I cannot help/)
  })

  it('an abort while the first model is asked ends the whole call: no fallback', async () => {
    const model = await start(() => hang)
    const { openai, anthropic } = clientsFor(model)
    const controller = new AbortController()
    const running = askModel('gpt', openAiModel(openai, 'gpt-4o-mini'))({ signal: controller.signal })()
    const both = askPerson(
      openAiModel(openai, 'gpt-4o-mini'),
      anthropicModel(anthropic, 'claude-sonnet-4-5'),
    )({
      signal: controller.signal,
    })()
    await model.whenReceived(2)
    controller.abort(new Error('user left'))
    expect(E.isLeft(await running) && E.isLeft(await both)).toBe(true)
    const [one, two] = [await running, await both]
    expect(E.isLeft(one) && one.left._tag).toBe('Aborted')
    expect(E.isLeft(two) && two.left._tag).toBe('Aborted')
    await model.whenAbandoned(2)
    expect(model.requests().map((r) => r.model)).toEqual(['gpt-4o-mini', 'gpt-4o-mini'])
  })
})
