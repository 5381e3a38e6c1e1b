/**
 * Every public export carries TSDoc with a summary, `@since` and `@category`, and every value export an `@example`
 * (run and checked by test/examples.test.ts): the API reference in docs/api is generated from it. A type (an
 * interface or a type alias) needs no example; when it has one, the example claims something (a `// =>`), so that no
 * example only declares a value of the type.
 *
 * Each behaviour is said once: a paragraph of TSDoc longer than a dozen words appears in one place of src/, and the
 * others link to it (the rules every combinator shares are on the `Operation` module).
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const entry = path.resolve(__dirname, '../src/index.ts')
/** The integrations, each its own subpath entry: every module of src/ that the core entry does not export. */
const INTEGRATIONS = ['Decode', 'Duration', 'Grpc', 'Http', 'Otel', 'Policy', 'Redis']
const program = ts.createProgram([entry, ...INTEGRATIONS.map((name) => path.resolve(__dirname, `../src/${name}.ts`))], {
  strict: true,
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
})
const checker = program.getTypeChecker()
const source = program.getSourceFile(entry)
if (source === undefined) throw new Error('src/index.ts not found')
const moduleSymbol = checker.getSymbolAtLocation(source)
if (moduleSymbol === undefined) throw new Error('src/index.ts is not a module')

const resolve = (symbol: ts.Symbol): ts.Symbol =>
  symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol

// the core's namespaces, and each integration's own entry (src/<Module>.ts)
const integrations = INTEGRATIONS.map((name) => {
  const file = program.getSourceFile(path.resolve(__dirname, `../src/${name}.ts`))
  const symbol = file === undefined ? undefined : checker.getSymbolAtLocation(file)
  if (symbol === undefined) throw new Error(`src/${name}.ts not found`)
  return [name, symbol] as const
})
const namespaces = [
  ...checker.getExportsOfModule(moduleSymbol).map((s) => [s.getName(), resolve(s)] as const),
  ...integrations,
]

/** An interface or a type alias, with no value of the same name. */
const isTypeOnly = (symbol: ts.Symbol): boolean =>
  (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)) !== 0 &&
  (symbol.flags & ts.SymbolFlags.Value) === 0

const exampleOf = (declaration: ts.Node): string | undefined => {
  const tag = ts.getJSDocTags(declaration).find((t) => t.tagName.getText() === 'example')
  return tag === undefined ? undefined : (ts.getTextOfJSDocComment(tag.comment) ?? '')
}

const missingTags = (symbol: ts.Symbol): ReadonlyArray<string> => {
  const declaration = symbol.getDeclarations()?.[0]
  if (declaration === undefined) return ['declaration']
  const tags = new Set(ts.getJSDocTags(declaration).map((t) => t.tagName.getText()))
  const summary = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim()
  const required = isTypeOnly(symbol) ? ['since', 'category'] : ['example', 'since', 'category']
  return [...(summary === '' ? ['summary'] : []), ...required.filter((t) => !tags.has(t)).map((t) => `@${t}`)]
}

const exportsOf = (namespace: ts.Symbol): ReadonlyArray<ts.Symbol> => checker.getExportsOfModule(namespace).map(resolve)

describe('TSDoc', () => {
  it('exports at least the core namespaces', () => {
    expect(namespaces.map(([name]) => name)).toEqual(
      expect.arrayContaining(['Clock', 'Random', 'Retry', 'Schedule', 'TestClock']),
    )
  })

  it.each(namespaces)('every export of %s has a summary, @since and @category, every value an @example', (_, ns) => {
    const undocumented = exportsOf(ns)
      .map((symbol) => [symbol.getName(), missingTags(symbol)] as const)
      .filter(([, missing]) => missing.length > 0)
      .map(([name, missing]) => `${name}: missing ${missing.join(', ')}`)
    expect(undocumented).toEqual([])
  })

  it('the example of a type, when it has one, claims something: no example only declares a value', () => {
    const filler = namespaces.flatMap(([name, ns]) =>
      exportsOf(ns)
        .filter(isTypeOnly)
        .flatMap((symbol) => {
          const declaration = symbol.getDeclarations()?.[0]
          const example = declaration === undefined ? undefined : exampleOf(declaration)
          return example !== undefined && !example.includes('// =>') ? [`${name}.${symbol.getName()}`] : []
        }),
    )
    expect(filler).toEqual([])
  })
})

// -------------------------------------------------------------------------------------
// each behaviour said once
// -------------------------------------------------------------------------------------

/** More words than this make a paragraph a statement of behaviour, which src/ says once. */
const MIN_WORDS = 12

/** The prose of a TSDoc comment (its `@example` left out), as paragraphs: a list item is a paragraph of its own. */
export const paragraphsOf = (comment: string): ReadonlyArray<string> => {
  const lines = comment
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, ''))
  const paragraphs: Array<Array<string>> = [[]]
  let inExample = false
  for (const line of lines) {
    if (line.startsWith('@')) inExample = line.startsWith('@example')
    if (inExample) continue
    if (line.trim() === '' || /^\s*- /.test(line) || line.startsWith('@')) paragraphs.push([])
    if (line.trim() !== '') paragraphs[paragraphs.length - 1]?.push(line)
  }
  return paragraphs.map((p) => p.join(' ')).filter((p) => p.trim() !== '')
}

/** A paragraph as compared: its words, lower-cased, with links, code marks and list marks gone. */
export const normalized = (paragraph: string): string =>
  paragraph
    .replace(/\{@link\s+([^}|\s]+)(?:[|\s][^}]*)?\}/g, '$1')
    .replace(/^\s*(?:- |@\w+\s)/, '')
    .replace(/[`*_]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase()

describe('each behaviour is said once', () => {
  const srcDir = path.resolve(__dirname, '../src')
  const files = fs
    .readdirSync(srcDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .sort()

  it('finds paragraphs and normalizes them', () => {
    const comment = [
      '/**',
      ' * Runs {@link retrying} once: `fast`.',
      ' *',
      ' * - one item',
      ' * - another',
      ' *   item',
      ' *',
      ' * @example',
      ' * const not = "prose"',
      ' *',
      ' * @since 0.2.0',
      ' */',
    ].join('\n')
    expect(paragraphsOf(comment).map(normalized)).toEqual([
      'runs retrying once: fast.',
      'one item',
      'another item',
      '0.2.0',
    ])
  })

  /** Each normalized paragraph said more than once, with where: `sources` are [name, text] pairs. */
  const repeatedIn = (sources: ReadonlyArray<readonly [string, string]>): ReadonlyArray<string> => {
    const seen = new Map<string, Array<string>>()
    for (const [name, text] of sources) {
      for (const match of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
        const line = text.slice(0, match.index).split('\n').length
        for (const paragraph of paragraphsOf(match[0]).map(normalized)) {
          if (paragraph.split(' ').length <= MIN_WORDS) continue
          seen.set(paragraph, [...(seen.get(paragraph) ?? []), `${name}:${line}`])
        }
      }
    }
    return [...seen].filter(([, where]) => where.length > 1).map(([p, where]) => `${where.join(', ')}: ${p}`)
  }

  it('finds a paragraph said twice, however it is wrapped and linked', () => {
    const once =
      '/**\n * When the signal fires, the call ends at once with {@link Aborted}: no further attempt starts.\n */'
    const again =
      '/**\n * Retries.\n *\n * When the signal fires, the call ends at once\n * with `Aborted`: no further attempt starts.\n */'
    expect(
      repeatedIn([
        ['a.ts', once],
        ['b.ts', `const x = 1\n${again}`],
      ]),
    ).toEqual(['a.ts:1, b.ts:2: when the signal fires, the call ends at once with aborted: no further attempt starts.'])
    expect(repeatedIn([['a.ts', once]])).toEqual([])
  })

  it(`no TSDoc paragraph of more than ${MIN_WORDS} words appears twice in src/`, () => {
    const sources = files.map((file) => [`src/${file}`, fs.readFileSync(path.join(srcDir, file), 'utf8')] as const)
    expect(repeatedIn(sources)).toEqual([])
  })
})
