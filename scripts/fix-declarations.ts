/**
 * After `tsc -p tsconfig.declarations.json` (one `.d.ts` per module in dist/), gives every declaration the specifiers
 * its resolution mode needs, so that consumers resolve the same files in node10, node16 (ESM and CommonJS) and bundler:
 * - `X.d.ts`, for the ESM build: `./Schedule` becomes `./Schedule.js`;
 * - `X.d.cts`, a copy for the CommonJS build: `./Schedule` becomes `./Schedule.cjs`;
 * - in both, `fp-ts/Either` becomes `fp-ts/lib/Either.js`, the one fp-ts path every mode resolves (fp-ts has no
 *   `exports` map, and Node's ESM resolution does not look into its `Either/package.json`); it is the file that
 *   `fp-ts/Either` names too, so a consumer's `Either` and ours are one type.
 *
 * Only module specifiers are rewritten (found with the TypeScript parser): the `@example` code in the TSDoc keeps the
 * imports a user writes. It also checks that package.json's `typesVersions` (types for `moduleResolution: node10`,
 * which ignores `exports`) lists the same entries as `exports`.
 *
 * Run by `npm run build`.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import ts from 'typescript'

const root = path.resolve(import.meta.dirname, '..')
const dist = path.join(root, 'dist')

const declarations = (fs.readdirSync(dist, { recursive: true, encoding: 'utf8' }) as Array<string>)
  .filter((f) => f.endsWith('.d.ts'))
  .map((f) => path.join(dist, f))

/** The string literals that name a module: import/export declarations, `import("...")` types, `import x = require()`. */
const specifiers = (file: ts.SourceFile): ReadonlyArray<ts.StringLiteralLike> => {
  const found: Array<ts.StringLiteralLike> = []
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined) {
      if (ts.isStringLiteralLike(node.moduleSpecifier)) found.push(node.moduleSpecifier)
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument
      if (ts.isLiteralTypeNode(argument) && ts.isStringLiteralLike(argument.literal)) found.push(argument.literal)
    } else if (ts.isExternalModuleReference(node) && ts.isStringLiteralLike(node.expression)) {
      found.push(node.expression)
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
  return found
}

const rewrite = (file: string, text: string, extension: '.js' | '.cjs'): string => {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  let out = ''
  let last = 0
  for (const literal of specifiers(source)) {
    const spec = literal.text
    let next = spec
    if (spec.startsWith('.')) {
      const target = path.resolve(path.dirname(file), spec)
      if (fs.existsSync(`${target}.d.ts`)) next = `${spec}${extension}`
      else if (fs.existsSync(path.join(target, 'index.d.ts'))) next = `${spec}/index${extension}`
      else throw new Error(`${path.relative(root, file)}: no declaration for ${spec}`)
    } else if (/^fp-ts(\/\w+)?$/.test(spec)) {
      next = `fp-ts/lib/${spec.split('/')[1] ?? 'index'}.js`
    }
    const start = literal.getStart(source)
    out += `${text.slice(last, start)}'${next}'`
    last = literal.getEnd()
  }
  return out + text.slice(last)
}

for (const file of declarations) {
  const text = fs.readFileSync(file, 'utf8')
  if (/^\/\/\/ <reference types="node"/m.test(text)) throw new Error(`${path.relative(root, file)} needs @types/node`)
  fs.writeFileSync(file.replace(/\.d\.ts$/, '.d.cts'), rewrite(file, text, '.cjs'))
  fs.writeFileSync(file, rewrite(file, text, '.js'))
}

// node10 ignores `exports`; `typesVersions` must name the same entries
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { require?: { types: string } }>
  typesVersions?: Record<string, Record<string, ReadonlyArray<string>>>
}
const expected = Object.fromEntries(
  Object.entries(pkg.exports)
    .filter(([subpath, target]) => subpath !== '.' && typeof target === 'object' && target.require !== undefined)
    .map(([subpath, target]) => [subpath.slice(2), [target.require?.types]]),
)
if (JSON.stringify(pkg.typesVersions?.['*']) !== JSON.stringify(expected)) {
  throw new Error(
    `package.json typesVersions must match exports (types for moduleResolution node10):\n${JSON.stringify({ '*': expected }, null, 2)}`,
  )
}
console.log(`fix-declarations: ${declarations.length} modules, .d.ts (ESM) and .d.cts (CommonJS)`)
