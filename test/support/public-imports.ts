/**
 * How the docs' code (TSDoc examples, README and docs/ snippets) is compiled against src/: `fp-ts-retry` is
 * src/index.ts, and `fp-ts-retry/<entry>` is the module of that name, lower-cased (`http`: src/Http.ts).
 */
import * as fs from 'node:fs'
import * as path from 'node:path'

const root = path.resolve(__dirname, '../..')

const srcModule = (entry: string | undefined): string =>
  entry === undefined
    ? 'index'
    : (fs
        .readdirSync(path.join(root, 'src'))
        .find((f) => f.toLowerCase() === `${entry}.ts`)
        ?.slice(0, -3) ?? entry)

/** `code` with its `fp-ts-retry` imports pointed at src/, from a file two folders below the root (.tmp/<dir>/). */
export const toSrc = (code: string): string =>
  code.replace(
    /from 'fp-ts-retry(?:\/([\w-]+))?'/g,
    (_, entry: string | undefined) => `from '../../src/${srcModule(entry)}'`,
  )
