/**
 * The switch to the final entry layout (issue 10), done once, mechanically: `fp-ts-retry` exports the core only, and
 * each integration is imported from its own entry.
 *
 * - src/index.ts: the integrations' `export * as X from './X'` lines go.
 * - In test/, examples/, bench/, scripts/ (TypeScript), the ```ts blocks of README.md and docs/, and the TSDoc
 *   `@example`s of src/: `import { Http, Retry } from '../src/index'` becomes `import { Retry } from '../src/index'`
 *   plus `import * as Http from '../src/Http'`, and `import { Http, Retry } from 'fp-ts-retry'` becomes
 *   `import { Retry } from 'fp-ts-retry'` plus `import * as Http from 'fp-ts-retry/http'` (type-only imports and
 *   aliases kept: `import type { Http as H }` becomes `import type * as H`).
 * - test/snippets.test.ts and test/examples.test.ts, which map `fp-ts-retry` to src/index, map `fp-ts-retry/<entry>`
 *   to its module too; test/docs.test.ts checks the TSDoc of the integrations' entries as well as the core's;
 *   typedoc.json documents every entry.
 * - Changed files are formatted with Prettier. Whatever it cannot rewrite (a namespace import of the whole index used
 *   as `Lib.Http`, a multi-line import inside a TSDoc comment) is listed at the end, for a hand to fix.
 *
 * npx tsx scripts/split-core-entry.ts [--dry-run] [Module ...]   (default: Decode Duration Grpc Http Policy)
 *
 * Afterwards: npm run typecheck && npm test && npm run docs && npm run build && ./scripts/check-pack.sh
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as prettier from 'prettier'
import ts from 'typescript'

const root = path.resolve(import.meta.dirname, '..')
const args = process.argv.slice(2)
const dryRun = args.includes('--dry-run')
const named = args.filter((a) => !a.startsWith('--'))
const integrations: ReadonlyArray<string> = named.length > 0 ? named : ['Decode', 'Duration', 'Grpc', 'Http', 'Policy']

// the entry of each integration, from the one table: package.json `exports`
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { import?: { default?: string } } | string>
}
const entryOf = new Map<string, string>()
for (const [subpath, target] of Object.entries(pkg.exports)) {
  const module = typeof target === 'object' ? /(\w+)\.js$/.exec(target.import?.default ?? '')?.[1] : undefined
  if (module !== undefined && subpath !== '.') entryOf.set(module, `fp-ts-retry/${subpath.slice(2)}`)
}
for (const m of integrations) {
  if (!entryOf.has(m)) throw new Error(`${m}: no entry in package.json exports`)
  if (!fs.existsSync(path.join(root, 'src', `${m}.ts`))) throw new Error(`${m}: no src/${m}.ts`)
}

const changed = new Set<string>()
const manual: Array<string> = []
const rel = (file: string) => path.relative(root, file)

const write = (file: string, text: string): void => {
  if (fs.readFileSync(file, 'utf8') === text) return
  changed.add(file)
  if (!dryRun) fs.writeFileSync(file, text)
}

// ---------------------------------------------------------------------------------------------------------------
// src/index.ts

const indexFile = path.join(root, 'src', 'index.ts')
{
  const text = fs.readFileSync(indexFile, 'utf8')
  const kept = text
    .split('\n')
    .filter((line) => !integrations.some((m) => new RegExp(`^export \\* as ${m} from '\\./${m}'$`).test(line.trim())))
  const note = [
    ' * The integrations have their own entries, one per module:',
    ...integrations.map(
      (m) => ` * \`import * as ${m} from '${entryOf.get(m)}'\`${m === integrations.at(-1) ? '.' : ','}`,
    ),
  ]
  const at = kept.findIndex((line) => line.startsWith(' * @example'))
  if (at > 0 && !kept.some((line) => line.includes('have their own entries'))) kept.splice(at, 0, ...note, ' *')
  write(indexFile, kept.join('\n'))
}

// ---------------------------------------------------------------------------------------------------------------
// imports

/** Where an import names the core entry, what an integration's own entry is called from the same place. */
const targetFor = (specifier: string, from: string | undefined): ((module: string) => string) | undefined => {
  if (specifier === 'fp-ts-retry') return (module) => entryOf.get(module) ?? module
  if (from === undefined || !specifier.startsWith('.')) return undefined
  const resolved = path.resolve(path.dirname(from), specifier).replace(/\.(ts|js)$/, '')
  const src = path.join(root, 'src')
  if (resolved !== path.join(src, 'index') && resolved !== src) return undefined
  const base = specifier.replace(/\.(ts|js)$/, '').replace(/\/index$/, '')
  const extension = /\.(ts|js)$/.exec(specifier)?.[0] ?? ''
  return (module) => `${base}/${module}${extension}`
}

/**
 * Rewrites the imports of one piece of TypeScript (a file, a ```ts block); `from` is its path (undefined for a block,
 * whose imports say `fp-ts-retry`). Returns the new text.
 */
const rewriteImports = (code: string, from: string | undefined, where: string): string => {
  const source = ts.createSourceFile('x.ts', code, ts.ScriptTarget.Latest, true)
  const edits: Array<{ start: number; end: number; text: string }> = []
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const spec = node.moduleSpecifier.text
      const target = targetFor(spec, from)
      const bindings = node.importClause?.namedBindings
      if (target === undefined || bindings === undefined) return
      if (ts.isNamespaceImport(bindings)) {
        const name = bindings.name.text
        if (integrations.some((m) => new RegExp(`\\b${name}\\.${m}\\b`).test(code)))
          manual.push(`${where}: \`import * as ${name}\` from ${spec} is used as ${name}.<integration>`)
        return
      }
      const typeOnly = node.importClause?.isTypeOnly === true
      const moving = bindings.elements.filter((e) => integrations.includes((e.propertyName ?? e.name).text))
      if (moving.length === 0) return
      const staying = bindings.elements.filter((e) => !moving.includes(e))
      const quote = code[node.moduleSpecifier.getStart(source)] ?? "'"
      const semi = code.slice(node.getStart(source), node.getEnd()).trimEnd().endsWith(';') ? ';' : ''
      const lines: Array<string> = []
      if (staying.length > 0 || node.importClause?.name !== undefined) {
        const head = node.importClause?.name?.text
        const list = staying.map((e) => e.getText(source)).join(', ')
        const clause = [head, staying.length > 0 ? `{ ${list} }` : undefined].filter((x) => x !== undefined).join(', ')
        lines.push(`import ${typeOnly ? 'type ' : ''}${clause} from ${quote}${spec}${quote}${semi}`)
      }
      for (const e of moving) {
        const module = (e.propertyName ?? e.name).text
        const type = typeOnly || e.isTypeOnly ? 'type ' : ''
        lines.push(`import ${type}* as ${e.name.text} from ${quote}${target(module)}${quote}${semi}`)
      }
      edits.push({ start: node.getStart(source), end: node.getEnd(), text: lines.join('\n') })
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) {
      const spec = ts.isStringLiteral(node.moduleSpecifier) ? node.moduleSpecifier.text : ''
      if (targetFor(spec, from) !== undefined && integrations.some((m) => node.getText(source).includes(m)))
        manual.push(`${where}: re-exports an integration from ${spec}: ${node.getText(source)}`)
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteral(node.arguments[0]) &&
      targetFor(node.arguments[0].text, from) !== undefined
    ) {
      manual.push(`${where}: a dynamic import of the core entry (check it uses no integration)`)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  let out = code
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end)
  return out
}

const walk = (dir: string, keep: (file: string) => boolean): ReadonlyArray<string> =>
  fs.existsSync(dir)
    ? (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as Array<string>)
        .map((f) => path.join(dir, f))
        .filter((f) => !f.split(path.sep).includes('node_modules') && fs.statSync(f).isFile() && keep(f))
    : []

const isCode = (f: string) => /\.(ts|mts|cts|tsx)$/.test(f) && !f.endsWith('.d.ts')
const self = path.join(root, 'scripts', 'split-core-entry.ts')
for (const file of ['test', 'examples', 'bench', 'scripts'].flatMap((d) => walk(path.join(root, d), isCode))) {
  if (file === self) continue
  write(file, rewriteImports(fs.readFileSync(file, 'utf8'), file, rel(file)))
}

// the ```ts blocks of README.md and docs/ (not docs/api, which typedoc generates)
const pages = [
  path.join(root, 'README.md'),
  ...walk(path.join(root, 'docs'), (f) => f.endsWith('.md') && !rel(f).startsWith(path.join('docs', 'api'))),
]
for (const page of pages) {
  const text = fs.readFileSync(page, 'utf8')
  write(
    page,
    text.replace(/(```ts\n)([\s\S]*?)(```)/g, (_, open: string, code: string, close: string) => {
      return `${open}${rewriteImports(code, undefined, rel(page))}${close}`
    }),
  )
}

// TSDoc @examples in src/: one-line imports from 'fp-ts-retry' inside /** */ comments
for (const file of walk(path.join(root, 'src'), isCode)) {
  const text = fs.readFileSync(file, 'utf8')
  const out = text.replace(/\/\*\*[\s\S]*?\*\//g, (comment) =>
    comment
      .split('\n')
      .map((line) => {
        const m = /^(\s*\*\s?)import (type )?\{([^}]*)\} from 'fp-ts-retry'\s*$/.exec(line)
        if (m === null) {
          if (/^\s*\*\s?import (type )?\{\s*$/.test(line))
            manual.push(`${rel(file)}: a multi-line import in a TSDoc comment`)
          return line
        }
        const [, prefix = ' * ', type = '', list = ''] = m
        const rewritten = rewriteImports(`import ${type}{${list}} from 'fp-ts-retry'`, undefined, rel(file))
        return rewritten
          .split('\n')
          .map((l) => `${prefix}${l}`)
          .join('\n')
      })
      .join('\n'),
  )
  write(file, out)
}

// ---------------------------------------------------------------------------------------------------------------
// the tests that map 'fp-ts-retry' to src, docs.test.ts, typedoc.json

const patch = (file: string, from: string, to: string, what: string): void => {
  const full = path.join(root, file)
  const text = fs.readFileSync(full, 'utf8')
  if (text.includes(to)) return
  if (!text.includes(from)) {
    manual.push(`${file}: ${what} (the expected code was not found)`)
    return
  }
  write(full, text.replace(from, to))
}

const mapper = `
/** \`fp-ts-retry\` is src/index.ts; \`fp-ts-retry/<entry>\` is the module of that name, lower-cased (\`http\`: src/Http.ts). */
const srcModule = (entry: string | undefined): string =>
  entry === undefined
    ? 'index'
    : (fs
        .readdirSync(path.join(root, 'src'))
        .find((f) => f.toLowerCase() === \`\${entry}.ts\`)
        ?.slice(0, -3) ?? entry)
const toSrc = (code: string): string =>
  code.replace(/from 'fp-ts-retry(?:\\/([\\w-]+))?'/g, (_, entry: string | undefined) => \`from '../../src/\${srcModule(entry)}'\`)
`
for (const [file, from, to] of [
  [
    'test/snippets.test.ts',
    `const code = block.replace(/from 'fp-ts-retry'/g, "from '../../src/index'")`,
    'const code = toSrc(block)',
  ],
  [
    'test/examples.test.ts',
    `const body = code.replace(/from 'fp-ts-retry'/g, "from '../../src/index'")`,
    'const body = toSrc(code)',
  ],
] as const) {
  patch(file, from, to, "map 'fp-ts-retry/<entry>' to src/<Module> as 'fp-ts-retry' is mapped to src/index")
  const anchor = "const root = path.resolve(__dirname, '..')\n"
  patch(file, anchor, `${anchor}${mapper}`, 'add the srcModule/toSrc helpers')
}

patch(
  'test/docs.test.ts',
  'const namespaces = checker.getExportsOfModule(moduleSymbol).map((s) => [s.getName(), resolve(s)] as const)',
  `// the core's namespaces, and each integration's own entry (src/<Module>.ts)
const integrations = ${JSON.stringify(integrations).replace(/"/g, "'")}.map((name) => {
  const file = program.getSourceFile(path.resolve(__dirname, \`../src/\${name}.ts\`))
  const symbol = file === undefined ? undefined : checker.getSymbolAtLocation(file)
  if (symbol === undefined) throw new Error(\`src/\${name}.ts not found\`)
  return [name, symbol] as const
})
const namespaces = [
  ...checker.getExportsOfModule(moduleSymbol).map((s) => [s.getName(), resolve(s)] as const),
  ...integrations,
]`,
  'check the TSDoc of the integrations, which the core entry no longer exports',
)
patch(
  'test/docs.test.ts',
  'const program = ts.createProgram([entry], {',
  `const program = ts.createProgram([entry, ...${JSON.stringify(integrations).replace(/"/g, "'")}.map((name) => path.resolve(__dirname, \`../src/\${name}.ts\`))], {`,
  'add the integrations to the program',
)

{
  const file = path.join(root, 'typedoc.json')
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as { entryPoints: Array<string> }
  const wanted = ['src/index.ts', ...integrations.map((m) => `src/${m}.ts`)]
  const entryPoints = [...config.entryPoints, ...wanted.filter((e) => !config.entryPoints.includes(e))]
  write(file, `${JSON.stringify({ ...config, entryPoints }, null, 2)}\n`)
}

// ---------------------------------------------------------------------------------------------------------------

if (!dryRun) {
  for (const file of changed) {
    const options = (await prettier.resolveConfig(file)) ?? {}
    const text = fs.readFileSync(file, 'utf8')
    fs.writeFileSync(file, await prettier.format(text, { ...options, filepath: file }))
  }
}
console.log(`${dryRun ? 'would change' : 'changed'} ${changed.size} files:`)
for (const file of changed) console.log(`  ${rel(file)}`)
if (manual.length > 0) {
  console.log(`\nto fix by hand (${manual.length}):`)
  for (const m of manual) console.log(`  ${m}`)
  process.exitCode = 1
}
