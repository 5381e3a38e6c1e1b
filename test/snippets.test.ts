/**
 * The TypeScript snippets in README.md and docs/ compile against the public
 * API. A snippet that starts with imports stands alone; one without imports
 * continues the page's previous snippets (inside its own block, so two
 * snippets may reuse a name).
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'
import { toSrc } from './support/public-imports'

const root = path.resolve(__dirname, '..')

const outDir = path.join(root, '.tmp', 'doc-snippets')

const pages = [
  'README.md',
  ...fs
    .readdirSync(path.join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md') && !f.startsWith('api'))
    .map((f) => path.join('docs', f)),
]

/** Groups a page's ```ts blocks into compilation units. */
const units = (page: string): ReadonlyArray<string> => {
  const text = fs.readFileSync(path.join(root, page), 'utf8')
  const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')
  const result: Array<string> = []
  for (const block of blocks) {
    const code = toSrc(block)
    if (/^\s*import /m.test(code) || result.length === 0) result.push(code)
    else result[result.length - 1] += `\n{\n${code}\n}\n`
  }
  return result
}

const files = (() => {
  fs.rmSync(outDir, { recursive: true, force: true })
  fs.mkdirSync(outDir, { recursive: true })
  return pages.flatMap((page) =>
    units(page).map((code, i) => {
      const file = path.join(outDir, `${page.replace(/[/\\.]/g, '_')}-${i + 1}.ts`)
      fs.writeFileSync(file, `${code}\nexport {}\n`)
      return file
    }),
  )
})()

afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }))

describe('snippets in README.md and docs/', () => {
  it('there are snippets to check', () => {
    expect(files.length).toBeGreaterThan(10)
  })

  it('all compile against the public API', () => {
    const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile)
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root)
    const options = { ...parsed.options, noUnusedLocals: false, noUnusedParameters: false, noEmit: true }
    const diagnostics = ts
      .getPreEmitDiagnostics(ts.createProgram(files, options))
      .filter((d) => d.file?.fileName.startsWith(outDir))
      .map((d) => {
        const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0
        return `${path.basename(d.file?.fileName ?? '')}:${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
      })
    expect(diagnostics).toEqual([])
  }, 120_000) // one type-check of every block: it grows with the docs
})
