/**
 * The `@example` of every TSDoc comment in src compiles against the public
 * API and runs without throwing: the docs cannot drift from the code.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import ts from 'typescript'
import { afterAll, describe, expect, it, vi } from 'vitest'

const root = path.resolve(__dirname, '..')

/** `fp-ts-retry` is src/index.ts; `fp-ts-retry/<entry>` is the module of that name, lower-cased (`http`: src/Http.ts). */
const srcModule = (entry: string | undefined): string =>
  entry === undefined
    ? 'index'
    : (fs
        .readdirSync(path.join(root, 'src'))
        .find((f) => f.toLowerCase() === `${entry}.ts`)
        ?.slice(0, -3) ?? entry)
const toSrc = (code: string): string =>
  code.replace(
    /from 'fp-ts-retry(?:\/([\w-]+))?'/g,
    (_, entry: string | undefined) => `from '../../src/${srcModule(entry)}'`,
  )
const outDir = path.join(root, '.tmp', 'doc-examples')

interface Example {
  readonly name: string
  readonly file: string
}

const extract = (file: string): ReadonlyArray<string> => {
  const text = fs.readFileSync(file, 'utf8')
  const blocks: Array<string> = []
  for (const comment of text.match(/\/\*\*[\s\S]*?\*\//g) ?? []) {
    const lines = comment.split('\n').map((line) => line.replace(/^\s*\*? ?/, ''))
    const start = lines.findIndex((line) => line.startsWith('@example'))
    if (start < 0) continue
    const end = lines.findIndex((line, i) => i > start && line.startsWith('@'))
    blocks.push(lines.slice(start + 1, end < 0 ? lines.length - 1 : end).join('\n'))
  }
  return blocks
}

const examples: ReadonlyArray<Example> = (() => {
  fs.rmSync(outDir, { recursive: true, force: true })
  fs.mkdirSync(outDir, { recursive: true })
  const srcDir = path.join(root, 'src')
  return fs
    .readdirSync(srcDir)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) =>
      extract(path.join(srcDir, f)).map((code, i) => {
        const name = `${f.replace(/\.ts$/, '')}-${i + 1}`
        const file = path.join(outDir, `${name}.ts`)
        const body = toSrc(code)
        fs.writeFileSync(file, `${body}\nexport {}\n`)
        return { name, file }
      }),
    )
})()

afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }))

describe('TSDoc examples', () => {
  it('there are examples to check', () => {
    expect(examples.length).toBeGreaterThan(40)
  })

  it('all compile against the public API', () => {
    const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile)
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root)
    const options = { ...parsed.options, noUnusedLocals: false, noEmit: true }
    const program = ts.createProgram(
      examples.map((e) => e.file),
      options,
    )
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName.startsWith(outDir))
      .map((d) => `${path.basename(d.file?.fileName ?? '')}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
    expect(diagnostics).toEqual([])
  }, 120_000) // one type-check of every block: it grows with the docs

  it.each(examples.map((e) => [e.name, e.file] as const))('%s runs', async (_, file) => {
    const quiet = [vi.spyOn(console, 'log'), vi.spyOn(console, 'warn'), vi.spyOn(console, 'error')]
    quiet.forEach((spy) => spy.mockImplementation(() => undefined))
    try {
      await import(file)
    } finally {
      quiet.forEach((spy) => spy.mockRestore())
    }
  })
})
