/**
 * A real `redis-server` for the Redis tests and the fleet bench: started from PATH in a temporary directory, on a
 * free 127.0.0.1 port (or a unix socket there), with no persistence, and stopped (or stopped and restarted on the
 * same address, mid-test) by the test. No mock: when `redis-server` is missing, `start` fails and says how to
 * install it; it never skips.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import * as net from 'node:net'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { createClient } from 'redis'

export interface RedisServer {
  /** The URL a node-redis client connects to: `redis://127.0.0.1:<port>`, or `unix://<socket>`. */
  readonly url: string
  readonly port: number | undefined
  readonly socket: string | undefined
  /** Stops the server (SIGKILL: it dies as a crashed host would, without a goodbye to its clients). */
  readonly stop: () => Promise<void>
  /** Starts it again on the same address, empty (no persistence: keys and loaded scripts are gone). */
  readonly restart: () => Promise<void>
  /** The server's process id while it runs. */
  readonly pid: () => number | undefined
  /** Stops it for good and removes its directory. */
  readonly close: () => Promise<void>
}

export const INSTALL_HINT =
  'redis-server is not on PATH: the Redis tests need a real one. Install it with `apt-get install -y redis-server` ' +
  '(Debian/Ubuntu; `brew install redis` on macOS), then run the tests again.'

const hasRedisServer = (): boolean => {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' })
  return probe.error === undefined && probe.status === 0
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** Resolves once a PING on the address answers PONG; a real process takes a real, bounded wait to come up. */
const waitForPong = async (connect: () => net.Socket, child: ChildProcess, deadline: number): Promise<void> => {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} at start`)
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect()
      const done = (value: boolean) => {
        socket.destroy()
        resolve(value)
      }
      socket.once('error', () => done(false))
      socket.once('connect', () => socket.write('PING\r\n'))
      socket.once('data', (data) => done(data.toString().startsWith('+PONG')))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error('redis-server did not answer PING within 10 s')
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Starts a `redis-server` on a free loopback port, or on a unix socket (`{ unixSocket: true }`), in a temp dir. */
export const startRedis = async (options: { readonly unixSocket?: boolean } = {}): Promise<RedisServer> => {
  if (!hasRedisServer()) throw new Error(INSTALL_HINT)
  const dir = mkdtempSync(path.join(tmpdir(), 'fp-ts-retry-redis-'))
  const socket = options.unixSocket === true ? path.join(dir, 'redis.sock') : undefined
  const port = socket === undefined ? await freePort() : undefined
  const args = [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port ?? 0),
    ...(socket === undefined ? [] : ['--unixsocket', socket, '--unixsocketperm', '700']),
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--protected-mode',
    'yes',
    '--loglevel',
    'warning',
  ]
  const connect = () => (socket === undefined ? net.connect(port ?? 0, '127.0.0.1') : net.connect(socket))
  let child: ChildProcess | undefined

  const launch = async () => {
    const started = spawn('redis-server', args, { cwd: dir, stdio: 'ignore' })
    child = started
    started.on('error', () => undefined)
    await waitForPong(connect, started, Date.now() + 10_000)
  }
  const stop = () =>
    new Promise<void>((resolve) => {
      const running = child
      child = undefined
      if (running === undefined || running.exitCode !== null || running.signalCode !== null) return resolve()
      running.once('exit', () => resolve())
      running.kill('SIGKILL')
    })

  await launch()
  return {
    pid: () => child?.pid,
    url: socket === undefined ? `redis://127.0.0.1:${port}` : `unix://${socket}`,
    port,
    socket,
    stop,
    restart: async () => {
      await stop()
      await launch()
    },
    close: async () => {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

// -------------------------------------------------------------------------------------
// clients, and real-time waits: these tests talk to a real process, so they wait for it in real, bounded time
// -------------------------------------------------------------------------------------

/** A connected client; errors (a stopped server) are swallowed, as an application's `on('error')` would. */
export const connect = async (server: RedisServer, options: { readonly offlineQueue?: boolean } = {}) => {
  const client = createClient({
    ...(server.socket === undefined ? { url: server.url } : { socket: { path: server.socket, tls: false as const } }),
    disableOfflineQueue: options.offlineQueue === false,
  })
  client.on('error', () => undefined)
  await client.connect()
  return client
}

export type Connected = Awaited<ReturnType<typeof connect>>

/** Closes a client whatever state it is in. */
export const disconnect = async (client: { readonly isOpen: boolean; destroy(): void }): Promise<void> => {
  try {
    if (client.isOpen) client.destroy()
  } catch {
    // already gone
  }
}

/** A real sleep: the server is a real process (bounded, and only where a test waits for it). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `predicate` every 5 ms until it holds; rejects after `within` ms of real time. */
export const eventually = async (predicate: () => boolean | Promise<boolean>, within = 3_000): Promise<number> => {
  const start = performance.now()
  for (;;) {
    if (await predicate()) return performance.now() - start
    if (performance.now() - start > within) throw new Error(`condition not met within ${within} ms`)
    await sleep(5)
  }
}
