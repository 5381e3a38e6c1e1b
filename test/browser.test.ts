/**
 * The core runs in a real browser (issue 10): its bundle names no Node-only global, and the page in examples/browser
 * (the core entry bundled by esbuild) retries a `fetch` against a local server (503 twice, then 200) in headless
 * Chromium, driven by puppeteer-core. The system Chromium is used (Debian's `chromium`; CHROMIUM_PATH overrides it);
 * no browser is downloaded. Where there is none the browser test is skipped, except in CI (CI=true), where it fails.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as esbuild from 'esbuild'
import type { Browser } from 'puppeteer-core'
import puppeteer from 'puppeteer-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { start } from '../examples/browser/server'
import type { BrowserExample } from '../examples/browser/server'

const root = path.resolve(__dirname, '..')

const findChromium = (): string | undefined => {
  const candidates = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser']
  const found = candidates.find((c): c is string => c !== undefined && c !== '' && fs.existsSync(c))
  if (found !== undefined) return found
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

const chromium = findChromium()
const inCi = process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false'

describe('the core entry, bundled for the browser', () => {
  /** src/index.ts, the core entry, bundled as a browser app's bundler does, every export kept. */
  const bundle = esbuild.buildSync({
    entryPoints: [path.join(root, 'src/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const code = bundle.outputFiles[0]?.text ?? ''

  it.each([
    ['process', /\bprocess\b/],
    ['setImmediate', /\bsetImmediate\b/],
    ['Buffer', /\bBuffer\b/],
    ['require(', /\brequire\s*\(/],
    ['node: modules', /["'`]node:/],
    ['__dirname', /\b__(?:dir|file)name\b/],
    ['global (not globalThis)', /\bglobal\b(?!This)/],
  ])('names no %s', (_, pattern) => {
    expect(code.length).toBeGreaterThan(1000)
    const at = code.search(pattern)
    expect(at < 0 ? '' : code.slice(Math.max(0, at - 60), at + 60)).toBe('')
  })

  it('takes fp-ts from its ES modules, and no Node built-in', () => {
    const inputs = Object.keys(bundle.metafile.inputs)
    const fpTs = inputs.filter((i) => i.includes('node_modules/fp-ts/'))
    expect(fpTs.filter((i) => !i.includes('node_modules/fp-ts/es6/'))).toEqual([])
    expect(fpTs.length).toBeGreaterThan(0)
    expect(inputs.filter((i) => !i.includes('node_modules/') && !i.startsWith('src/'))).toEqual([])
  })
})

describe.skipIf(chromium === undefined && !inCi)('in headless Chromium', () => {
  let browser: Browser | undefined
  let example: BrowserExample | undefined

  beforeAll(async () => {
    if (chromium === undefined) throw new Error('CI: no Chromium (apt-get install -y chromium, or set CHROMIUM_PATH)')
    example = await start()
    browser = await puppeteer.launch({
      executablePath: chromium,
      args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage'],
    })
  }, 20_000)

  afterAll(async () => {
    await browser?.close()
    await example?.close()
  })

  it('retries a fetch: 503, 503, then 200; shows the attempts, the delays and the value', async () => {
    if (browser === undefined || example === undefined) throw new Error('not started')
    const page = await browser.newPage()
    const errors: Array<string> = []
    page.on('pageerror', (error) => errors.push(String(error)))
    // the 503s are logged by the browser as failed loads: expected; any other console error is not
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().includes('status of 503')) errors.push(message.text())
    })
    await page.goto(`${example.url}/`)
    await page.waitForSelector('body[data-done="true"]', { timeout: 10_000 })

    const shown = await page.evaluate(() => ({
      attempts: Array.from(document.querySelectorAll<HTMLElement>('#attempts li')).map((li) => ({
        at: Number(li.dataset['at']),
        status: Number(li.dataset['status']),
      })),
      delays: document.getElementById('delays')?.dataset['delays'],
      value: document.getElementById('result')?.dataset['value'],
      error: document.getElementById('result')?.dataset['error'],
      virtual: { ...document.getElementById('virtual')?.dataset },
    }))

    // what the server saw agrees with what the page shows
    expect(example.requests.map((r) => r.status)).toEqual([503, 503, 200])
    expect(shown.attempts.map((a) => a.status)).toEqual([503, 503, 200])
    expect(shown.delays).toBe('100,200')
    expect(shown.error).toBeUndefined()
    expect(shown.value).toBe('42')
    // the backoff was really waited: each attempt starts at least its delay after the one before
    const [first, second, third] = shown.attempts.map((a) => a.at)
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(99)
    expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(199)
    // the TestClock (virtual time) works in a browser too: three delays, then the schedule's Left, at 700 ms
    expect(shown.virtual).toEqual({ delays: '100,200,400', now: '700', tag: 'Left' })
    expect(errors).toEqual([])
    await page.close()
  }, 15_000)
})
