/**
 * Serves the browser example on 127.0.0.1: the page (index.html), its script (main.ts, bundled from the core entry by
 * esbuild for the browser, with fp-ts through its ES modules) and GET /api/value, which answers 503 twice, then 200
 * with `{ "value": 42 }`.
 *
 * Run alone, then open the URL it prints: npx tsx examples/browser/server.ts
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as esbuild from 'esbuild'
import { isMain, sendJson, startServer } from '../support'

const here = import.meta.dirname

export interface BrowserExample {
  readonly url: string
  /** The requests to /api/value so far, with the status each was answered. */
  readonly requests: ReadonlyArray<{ readonly status: number }>
  readonly close: () => Promise<void>
}

/** Bundles main.ts for the browser: what a user's bundler does with the core entry. */
export const bundle = async (): Promise<string> => {
  const result = await esbuild.build({
    entryPoints: [path.join(here, 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0]?.text ?? ''
}

/** Starts the server; `failures` is how many 503s /api/value answers before its 200. */
export const start = async (failures = 2): Promise<BrowserExample> => {
  const script = await bundle()
  const page = fs.readFileSync(path.join(here, 'index.html'), 'utf8')
  const requests: Array<{ status: number }> = []
  const server = await startServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(page)
    } else if (req.url === '/main.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' })
      res.end(script)
    } else if (req.url === '/api/value') {
      const status = requests.length < failures ? 503 : 200
      requests.push({ status })
      if (status === 503) sendJson(res, 503, { error: 'unavailable' })
      else sendJson(res, 200, { value: 42 })
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204).end()
    } else {
      res.writeHead(404).end()
    }
  })
  return { url: server.url, requests, close: server.close }
}

if (isMain(import.meta.url)) {
  const example = await start()
  console.log(`Open ${example.url}/ (the first two requests to /api/value get a 503). Ctrl-C to stop.`)
}
