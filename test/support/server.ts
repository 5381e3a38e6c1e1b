/**
 * A real HTTP server for scenario tests: node:http on 127.0.0.1, an ephemeral
 * port, counting requests and connections, closed (with its keep-alive
 * connections) by `close`.
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface TestServer {
  readonly url: string
  /** Requests received so far. */
  readonly requests: () => number
  /** TCP connections accepted so far. */
  readonly connections: () => number
  readonly close: () => Promise<void>
}

/** Handles the `n`-th request (from 1). */
export type Handler = (request: http.IncomingMessage, response: http.ServerResponse, n: number) => void

export const serve = (handler: Handler): Promise<TestServer> =>
  new Promise((resolve, reject) => {
    let requests = 0
    let connections = 0
    const server = http.createServer((request, response) => handler(request, response, ++requests))
    server.on('connection', () => {
      connections += 1
    })
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests: () => requests,
        connections: () => connections,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })

/** Answers with a status, headers and a text body. */
export const reply = (
  response: http.ServerResponse,
  status: number,
  body = '',
  headers: Readonly<Record<string, string>> = {},
): void => {
  response.writeHead(status, { 'content-type': 'text/plain', ...headers })
  response.end(body)
}

/** A URL on 127.0.0.1 where nothing listens: a port just freed. */
export const refusedUrl = async (): Promise<string> => {
  const server = await serve(() => undefined)
  await server.close()
  return server.url
}
