/**
 * The `@example` of every TSDoc comment in src compiles against the public API, runs, and shows what it claims:
 * the docs cannot drift from the code.
 *
 * How an example says what it gives: a `// =>` comment right after an expression statement.
 *
 * ```ts
 * Schedule.simulate(policy, [1, 2, 3])
 * // => [100, 200, 400]
 * await call()
 * // => { _tag: 'Right', right: 'ok' }
 * ```
 *
 * The runner turns each claim into an assertion, `assert.deepStrictEqual(actual, claimed)`, where `actual` is the
 * value of the statement before the comment (awaited when the statement is `await ...`) and `claimed` is the text
 * after `// =>`, compiled and run as TypeScript with the example:
 * - a claim is a value, not prose: a note goes on a `//` line of its own after it;
 * - it may span several `//` lines: it ends at the first line where it is a complete expression;
 * - fp-ts data may be written `right(a)`, `left(e)`, `some(a)`, `none` without an import (the plain data fp-ts
 *   builds), or with the example's own imports (`O.some(3)`);
 * - its type must fit the type of the expression, so a claim of the wrong shape fails to compile;
 * - a `// =>` that follows anything but an expression statement, or that does not parse, fails the example.
 * So a wrong claim fails `npm test` with the place it is written (`src/Budget.ts:46`) and both values.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import ts from 'typescript'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { toSrc } from './support/public-imports'

const root = path.resolve(__dirname, '..')

const outDir = path.join(root, '.tmp', 'doc-examples')

// -------------------------------------------------------------------------------------
// extracting the examples
// -------------------------------------------------------------------------------------

interface Block {
  readonly code: string
  /** The line of src (1-based) of the block's first line. */
  readonly line: number
}

const extract = (file: string): ReadonlyArray<Block> => {
  const text = fs.readFileSync(file, 'utf8')
  const blocks: Array<Block> = []
  for (const match of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const lines = match[0].split('\n').map((line) => line.replace(/^\s*\*? ?/, ''))
    const start = lines.findIndex((line) => line.startsWith('@example'))
    if (start < 0) continue
    const end = lines.findIndex((line, i) => i > start && line.startsWith('@'))
    const commentLine = text.slice(0, match.index).split('\n').length
    blocks.push({
      code: lines.slice(start + 1, end < 0 ? lines.length - 1 : end).join('\n'),
      line: commentLine + start + 1,
    })
  }
  return blocks
}

// -------------------------------------------------------------------------------------
// claims: `expr` then `// => value` becomes an assertion
// -------------------------------------------------------------------------------------

const CLAIM = /^\/\/ =>/

/** Whether `text` is one complete expression and nothing else. */
const isExpression = (text: string): boolean => {
  const file = ts.createSourceFile('claim.ts', `(${text}\n)`, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
  const diagnostics = (file as unknown as { readonly parseDiagnostics: ReadonlyArray<unknown> }).parseDiagnostics
  const [only, ...rest] = file.statements
  return (
    diagnostics.length === 0 &&
    rest.length === 0 &&
    only !== undefined &&
    ts.isExpressionStatement(only) &&
    ts.isParenthesizedExpression(only.expression)
  )
}

/** The claimed value after `node`, and where its comments end; undefined when no `// =>` follows it. */
const claimAfter = (code: string, node: ts.Node): { readonly value: string; readonly end: number } | undefined => {
  const comments = ts.getLeadingCommentRanges(code, node.end) ?? []
  const [first] = comments
  if (first === undefined || !CLAIM.test(code.slice(first.pos, first.end))) return undefined
  const parts: Array<string> = []
  for (const [i, comment] of comments.entries()) {
    const previous = comments[i - 1]
    // consecutive `//` lines only: a blank line or a block comment ends the claim
    if (comment.kind !== ts.SyntaxKind.SingleLineCommentTrivia) break
    if (previous !== undefined && !/^[ \t]*\r?\n[ \t]*$/.test(code.slice(previous.end, comment.pos))) break
    const text = code.slice(comment.pos, comment.end)
    if (i > 0 && CLAIM.test(text)) break
    parts.push(text.replace(i === 0 ? CLAIM : /^\/\//, ''))
    const value = parts.join('\n')
    if (isExpression(value)) return { value: value.trim(), end: comment.end }
  }
  throw new Error(
    `the claim "${parts.join(' ').trim()}" is not a TypeScript expression (a note goes on a line after it)`,
  )
}

/** The runtime and the types of a claim, put before every instrumented example. */
const CLAIM_SUPPORT = `
import { deepStrictEqual as __deepStrictEqual } from 'node:assert/strict'
import { inspect as __inspect } from 'node:util'
/** The type of the field \`K\` of the members of \`A\` tagged \`Tag\` (unknown if none is): what a claim's \`right(...)\` is typed by. */
type __Field<A, Tag, K extends string> = [A extends { readonly _tag: Tag } ? (A extends { readonly [k in K]: infer V } ? V : never) : never] extends [infer F] ? ([F] extends [never] ? unknown : F) : unknown
/** fp-ts data, as the plain values fp-ts builds. */
interface __Fp<A> {
  readonly right: <B extends __Field<A, 'Right', 'right'>>(right: B) => { readonly _tag: 'Right'; readonly right: B }
  readonly left: <E extends __Field<A, 'Left', 'left'>>(left: E) => { readonly _tag: 'Left'; readonly left: E }
  readonly some: <B extends __Field<A, 'Some', 'value'>>(value: B) => { readonly _tag: 'Some'; readonly value: B }
  readonly none: { readonly _tag: 'None' }
}
const __fp: __Fp<unknown> = {
  right: (right) => ({ _tag: 'Right', right }),
  left: (left) => ({ _tag: 'Left', left }),
  some: (value) => ({ _tag: 'Some', value }),
  none: { _tag: 'None' },
}
const __claim = <A,>(actual: A, where: string) => (claimed: (fp: __Fp<A>) => A): void => {
  const expected = claimed(__fp as __Fp<A>)
  try {
    __deepStrictEqual(actual, expected)
  } catch {
    const show = (value: unknown) => __inspect(value, { depth: 8, breakLength: 120 })
    throw new Error(where + ': the example claims\\n  ' + show(expected) + '\\nbut gives\\n  ' + show(actual))
  }
}
`

/**
 * The example with each `expr` + `// => value` rewritten as `__claim(expr, where)(({ right, left, some, none }) => (value))`,
 * and how many claims it checks. `where(line)` names the line (0-based in `code`) of a claim in its source.
 */
export const instrument = (
  code: string,
  where: (line: number) => string,
): { readonly code: string; readonly claims: number } => {
  const file = ts.createSourceFile('example.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
  const lineOf = (pos: number) => file.getLineAndCharacterOfPosition(pos).line
  const edits: Array<{ readonly start: number; readonly end: number; readonly text: string }> = []
  const checked = new Set<number>()
  const visit = (node: ts.Node): void => {
    if (ts.isExpressionStatement(node)) {
      const claim = claimAfter(code, node)
      if (claim !== undefined) {
        const line = lineOf(ts.getLeadingCommentRanges(code, node.end)?.[0]?.pos ?? node.end)
        checked.add(line)
        const actual = node.expression.getText(file)
        const text = `__claim(${actual}, ${JSON.stringify(where(line))})(({ right, left, some, none }) => (${claim.value}\n));`
        edits.push({ start: node.getStart(file), end: node.end, text })
        return // a claim inside a claimed statement is left unchecked, so reported below
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
  const stray = code.split('\n').flatMap((text, line) => (CLAIM.test(text.trim()) && !checked.has(line) ? [line] : []))
  if (stray.length > 0) {
    throw new Error(`${stray.map(where).join(', ')}: a \`// =>\` claim must follow an expression statement`)
  }
  const rewritten = [...edits]
    .sort((a, b) => b.start - a.start)
    .reduce((text, e) => text.slice(0, e.start) + e.text + text.slice(e.end), code)
  return { code: edits.length === 0 ? code : `${CLAIM_SUPPORT}\n${rewritten}`, claims: edits.length }
}

// -------------------------------------------------------------------------------------
// the examples of src
// -------------------------------------------------------------------------------------

interface Example {
  readonly name: string
  readonly file: string
  readonly claims: number
}

const examples: ReadonlyArray<Example> = (() => {
  fs.rmSync(outDir, { recursive: true, force: true })
  fs.mkdirSync(outDir, { recursive: true })
  const srcDir = path.join(root, 'src')
  return fs
    .readdirSync(srcDir)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) =>
      extract(path.join(srcDir, f)).map((block, i) => {
        const name = `${f.replace(/\.ts$/, '')}-${i + 1}`
        const file = path.join(outDir, `${name}.ts`)
        try {
          const { code, claims } = instrument(toSrc(block.code), (line) => `src/${f}:${block.line + line}`)
          fs.writeFileSync(file, `${code}\nexport {}\n`)
          return { name, file, claims }
        } catch (error) {
          // the example's own test reports it; the others still run
          fs.writeFileSync(
            file,
            `throw new Error(${JSON.stringify(`src/${f}:${block.line}: ${String(error)}`)})\nexport {}\n`,
          )
          return { name, file, claims: 0 }
        }
      }),
    )
})()

afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }))

const runQuietly = async (file: string): Promise<void> => {
  const quiet = [vi.spyOn(console, 'log'), vi.spyOn(console, 'warn'), vi.spyOn(console, 'error')]
  quiet.forEach((spy) => spy.mockImplementation(() => undefined))
  try {
    await import(file)
  } finally {
    quiet.forEach((spy) => spy.mockRestore())
  }
}

const typeErrors = (files: ReadonlyArray<string>): ReadonlyArray<string> => {
  const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root)
  const options = { ...parsed.options, noUnusedLocals: false, noUnusedParameters: false, noEmit: true }
  const program = ts.createProgram(files, options)
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName.startsWith(outDir))
    .map((d) => `${path.basename(d.file?.fileName ?? '')}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
}

describe('TSDoc examples', () => {
  it('there are examples to check, and claims in them', () => {
    expect(examples.length).toBeGreaterThan(40)
    expect(examples.reduce((n, e) => n + e.claims, 0)).toBeGreaterThan(100)
  })

  it('all compile against the public API, each claim with the type of what it claims about', () => {
    expect(typeErrors(examples.map((e) => e.file))).toEqual([])
  }, 120_000) // one type-check of every block: it grows with the docs

  it.each(examples.map((e) => [e.name, e.file] as const))('%s runs and gives what it claims', async (_, file) => {
    await runQuietly(file)
  })
})

// -------------------------------------------------------------------------------------
// the runner itself: a wrong claim fails
// -------------------------------------------------------------------------------------

describe('the claim runner', () => {
  let count = 0
  /** Writes an instrumented example (claims placed at `src/Example.ts:<line + 1>`) and returns its file. */
  const write = (code: string): string => {
    const file = path.join(outDir, `runner-${++count}.ts`)
    fs.writeFileSync(file, `${instrument(code, (line) => `src/Example.ts:${line + 1}`).code}\nexport {}\n`)
    return file
  }

  it('a right claim passes: plain values, fp-ts data, awaited results, claims over several lines', async () => {
    const file = write(
      [
        "import * as TE from 'fp-ts/TaskEither'",
        '[1, 2].map((n) => n * 2)',
        '// => [2, 4]',
        "await TE.right('ok')()",
        "// => right('ok')",
        "await TE.left({ status: 503, messages: ['down'] })()",
        '// => left({',
        '//   status: 503,',
        "//   messages: ['down'],",
        '// })',
        '// (a note after the claim is a comment)',
      ].join('\n'),
    )
    await expect(runQuietly(file)).resolves.toBeUndefined()
  })

  it('a deliberately wrong claim fails, naming its line and both values', async () => {
    const file = write(['const xs = [1, 2]', 'xs.map((n) => n * 2)', '// => [2, 5]'].join('\n'))
    await expect(runQuietly(file)).rejects.toThrow(
      /src\/Example\.ts:3: the example claims\n {2}\[ 2, 5 \]\nbut gives\n {2}\[ 2, 4 \]/,
    )
  })

  it('a wrong claim in an example of src fails too', async () => {
    const real = examples.find((e) => e.claims > 0)
    const block = fs
      .readdirSync(path.join(root, 'src'))
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => extract(path.join(root, 'src', f)))
      .find((b) => b.code.includes('// =>'))
    expect(real).toBeDefined()
    expect(block).toBeDefined()
    const wrong = toSrc(block?.code ?? '').replace(/\/\/ =>.*/, "// => ({ deliberately: 'wrong' })")
    await expect(runQuietly(write(wrong))).rejects.toThrow(/the example claims\n {2}\{ deliberately: 'wrong' \}/)
  })

  it('a claim of the wrong type does not compile', () => {
    const file = write(['const n: number = 2 * 21', 'n', "// => '42'"].join('\n'))
    expect(typeErrors([file]).join('\n')).toMatch(/'string' is not assignable to type 'number'/)
  }, 60_000)

  it('a claim that is prose, or that follows no expression, is refused', () => {
    const at = (line: number) => `src/Example.ts:${line + 1}`
    expect(() => instrument(['[1].length', '// => 1 (one item)'].join('\n'), at)).toThrow(
      /the claim "1 \(one item\)" is not a TypeScript expression/,
    )
    expect(() => instrument(['const one = [1].length', '// => 1'].join('\n'), at)).toThrow(
      /src\/Example\.ts:2: a `\/\/ =>` claim must follow an expression statement/,
    )
    expect(instrument(['[1].length', '// => 1'].join('\n'), at).claims).toBe(1)
  })
})
