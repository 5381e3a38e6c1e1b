/**
 * Every public export carries TSDoc with a summary, an example, `@since` and
 * `@category`: the API reference in docs/api is generated from it.
 */
import * as path from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const entry = path.resolve(__dirname, '../src/index.ts')
const program = ts.createProgram(
  [
    entry,
    ...['Decode', 'Duration', 'Grpc', 'Http', 'Policy'].map((name) => path.resolve(__dirname, `../src/${name}.ts`)),
  ],
  {
    strict: true,
    module: ts.ModuleKind.ESNext,
    target: ts.ScriptTarget.ES2022,
  },
)
const checker = program.getTypeChecker()
const source = program.getSourceFile(entry)
if (source === undefined) throw new Error('src/index.ts not found')
const moduleSymbol = checker.getSymbolAtLocation(source)
if (moduleSymbol === undefined) throw new Error('src/index.ts is not a module')

const resolve = (symbol: ts.Symbol): ts.Symbol =>
  symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol

// the core's namespaces, and each integration's own entry (src/<Module>.ts)
const integrations = ['Decode', 'Duration', 'Grpc', 'Http', 'Policy'].map((name) => {
  const file = program.getSourceFile(path.resolve(__dirname, `../src/${name}.ts`))
  const symbol = file === undefined ? undefined : checker.getSymbolAtLocation(file)
  if (symbol === undefined) throw new Error(`src/${name}.ts not found`)
  return [name, symbol] as const
})
const namespaces = [
  ...checker.getExportsOfModule(moduleSymbol).map((s) => [s.getName(), resolve(s)] as const),
  ...integrations,
]

const missingTags = (symbol: ts.Symbol): ReadonlyArray<string> => {
  const declaration = symbol.getDeclarations()?.[0]
  if (declaration === undefined) return ['declaration']
  const tags = new Set(ts.getJSDocTags(declaration).map((t) => t.tagName.getText()))
  const summary = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim()
  return [
    ...(summary === '' ? ['summary'] : []),
    ...['example', 'since', 'category'].filter((t) => !tags.has(t)).map((t) => `@${t}`),
  ]
}

describe('TSDoc', () => {
  it('exports at least the core namespaces', () => {
    expect(namespaces.map(([name]) => name)).toEqual(
      expect.arrayContaining(['Clock', 'Random', 'Retry', 'Schedule', 'TestClock']),
    )
  })

  it.each(namespaces)('every export of %s has a summary, @example, @since and @category', (_, namespace) => {
    const undocumented = checker
      .getExportsOfModule(namespace)
      .map(resolve)
      .map((symbol) => [symbol.getName(), missingTags(symbol)] as const)
      .filter(([, missing]) => missing.length > 0)
      .map(([name, missing]) => `${name}: missing ${missing.join(', ')}`)
    expect(undocumented).toEqual([])
  })
})
