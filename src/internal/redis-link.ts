/**
 * The one way the shared protections talk to Redis: Lua scripts run by SHA
 * (`EVALSHA`, loaded with `SCRIPT LOAD` on first use and again after a
 * `NOSCRIPT`, as after a restart), each bounded by a timeout, and a health
 * flag that every outcome updates. Nothing here ever rejects: a reply is
 * `{ ok: true, reply }`, any failure (an error reply, a closed client, a
 * timeout) is `{ ok: false, error }`.
 *
 * It calls the user's client structurally (`sendCommand`), so it imports
 * nothing: the node-redis client (v5, v6) fits, and so does anything with the
 * same method.
 *
 * @internal
 */

/** What the shared protections call on a Redis client: node-redis's `sendCommand` (v5 and later). @internal */
export interface CommandClient {
  sendCommand(args: ReadonlyArray<string>, options?: { readonly abortSignal?: AbortSignal }): Promise<unknown>
  /** node-redis's `isReady`: when `false`, nothing is sent (the client would only queue it). */
  readonly isReady?: boolean
}

/** A Lua script and, once loaded, its SHA1 as Redis reported it. @internal */
export interface Script {
  readonly source: string
  sha: string | undefined
}

/** @internal */
export const script = (source: string): Script => ({ source, sha: undefined })

/** @internal */
export type Outcome = { readonly ok: true; readonly reply: unknown } | { readonly ok: false; readonly error: unknown }

/** Why Redis could not be used, as the link saw it. @internal */
export interface Failure {
  readonly reason: 'timeout' | 'error' | 'not-ready'
  readonly error: unknown
}

/** @internal */
export interface Link {
  /** Runs `s` by SHA with `keys` and `args`, within `timeout` ms in all (load included). Never rejects. */
  readonly run: (s: Script, keys: ReadonlyArray<string>, args: ReadonlyArray<string | number>) => Promise<Outcome>
  /** Whether the last call succeeded (true until one fails). */
  readonly available: () => boolean
  /** The last failure while unavailable. */
  readonly failure: () => Failure | undefined
}

const isNoScript = (error: unknown): boolean =>
  error instanceof Error && typeof error.message === 'string' && error.message.startsWith('NOSCRIPT')

/** A timer that does not keep the process alive. @internal */
export const unrefTimeout = (f: () => void, ms: number): ReturnType<typeof setTimeout> => {
  const timer = setTimeout(f, ms)
  ;(timer as { unref?: () => void }).unref?.()
  return timer
}

/** The error of a call that ran out of time. @internal */
export class RedisTimeout extends Error {
  constructor(readonly timeout: number) {
    super(`fp-ts-retry/redis: no reply from Redis within ${timeout} ms`)
    this.name = 'RedisTimeout'
  }
}

/** @internal */
export const link = (client: CommandClient, timeout: number, onChange?: (available: boolean) => void): Link => {
  let available = true
  let failure: Failure | undefined
  const settle = (next: boolean, why: Failure | undefined) => {
    failure = why
    if (next === available) return
    available = next
    if (onChange !== undefined) {
      try {
        onChange(next)
      } catch {
        // a listener must not disturb the link
      }
    }
  }

  const send = (args: ReadonlyArray<string>, signal: AbortSignal): Promise<unknown> => {
    try {
      return Promise.resolve(client.sendCommand(args, { abortSignal: signal }))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  const evalsha = async (s: Script, keys: ReadonlyArray<string>, args: ReadonlyArray<string>, signal: AbortSignal) => {
    const call = (sha: string) => send(['EVALSHA', sha, String(keys.length), ...keys, ...args], signal)
    if (s.sha !== undefined) {
      try {
        return await call(s.sha)
      } catch (error) {
        if (!isNoScript(error)) throw error
      }
    }
    const sha = await send(['SCRIPT', 'LOAD', s.source], signal)
    if (typeof sha !== 'string') throw new Error('fp-ts-retry/redis: SCRIPT LOAD did not return a SHA')
    s.sha = sha
    return call(sha)
  }

  const run = (s: Script, keys: ReadonlyArray<string>, args: ReadonlyArray<string | number>): Promise<Outcome> => {
    if (client.isReady === false) {
      const error = new Error('fp-ts-retry/redis: the Redis client is not ready')
      settle(false, { reason: 'not-ready', error })
      return Promise.resolve({ ok: false, error })
    }
    return new Promise<Outcome>((resolve) => {
      const abort = new AbortController()
      let done = false
      const finish = (outcome: Outcome, why: Failure | undefined) => {
        if (done) return
        done = true
        clearTimeout(timer)
        settle(outcome.ok, why)
        resolve(outcome)
      }
      const timer = unrefTimeout(() => {
        const error = new RedisTimeout(timeout)
        finish({ ok: false, error }, { reason: 'timeout', error })
        abort.abort(error)
      }, timeout)
      evalsha(s, keys, args.map(String), abort.signal).then(
        (reply) => finish({ ok: true, reply }, undefined),
        (error: unknown) => finish({ ok: false, error }, { reason: 'error', error }),
      )
    })
  }

  return { run, available: () => available, failure: () => failure }
}

/** A reply element as a number (Lua replies numbers as strings, to keep their fractions). @internal */
export const num = (reply: unknown, index: number, fallback = 0): number => {
  const value = Array.isArray(reply) ? reply[index] : index === 0 ? reply : undefined
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN
  return Number.isFinite(n) ? n : fallback
}

/** A reply element as a string. @internal */
export const str = (reply: unknown, index: number): string => {
  const value = Array.isArray(reply) ? reply[index] : undefined
  return typeof value === 'string' ? value : String(value ?? '')
}
