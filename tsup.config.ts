import { existsSync, readFileSync, readdirSync } from 'node:fs'
import * as path from 'node:path'
import type { Plugin } from 'esbuild'
import { defineConfig } from 'tsup'

/**
 * One output file per source module, in ESM (`.js`) and CommonJS (`.cjs`), next to the per-module declarations that
 * `tsc` emits (see `npm run build`). Keeping the module structure is what lets a consumer's bundler drop what it does
 * not use, what lets the entries share one copy of each module (one `ABORTED`, one error class, not one per entry),
 * and what lets a consumer's compiler name every type (`import("fp-ts-retry/operation").Env`).
 *
 * The entries are the `exports` map of package.json, the one table: `fp-ts-retry` (src/index.ts, the core) and one
 * subpath per public module, its file's name lower-cased (`fp-ts-retry/http` is src/Http.ts). The build checks that
 * the table and src/ agree, both ways.
 */
const checkEntries = (): void => {
  const { exports } = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, unknown> }
  const table = Object.entries(exports)
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, conditions]) => {
      const target = (conditions as { import: { default: string } }).import.default
      const module = /^\.\/dist\/(\w+)\.js$/.exec(target)?.[1] ?? ''
      const expected = module === 'index' ? '.' : `./${module.toLowerCase()}`
      if (subpath !== expected || !existsSync(`src/${module}.ts`))
        throw new Error(`package.json exports ${subpath} -> ${target}: expected src/${module}.ts as ${expected}`)
      return module
    })
  const missing = readdirSync('src')
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .filter((module) => !table.includes(module))
  if (missing.length > 0) throw new Error(`package.json exports has no entry for src/${missing.join('.ts, src/')}.ts`)
}

/**
 * Every import stays an import (each module is compiled alone), with the specifier Node needs:
 * - `./Schedule` becomes `./Schedule.js` (ESM) or `./Schedule.cjs` (CommonJS);
 * - `fp-ts/Either` becomes `#fp-ts/Either` in ESM: package.json `imports` sends Node to `fp-ts/lib/Either.js` (Node's
 *   ESM loader cannot load fp-ts's bare directory paths) and bundlers to `fp-ts/es6/Either.js`, fp-ts's ES modules,
 *   which they can tree-shake; CommonJS requires `fp-ts/lib/Either.js`;
 * - anything else (io-ts) is left as written.
 */
const perModule: Plugin = {
  name: 'per-module',
  setup(build) {
    const cjs = build.initialOptions.format === 'cjs'
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined
      if (args.path.startsWith('.')) {
        const file = path.resolve(args.resolveDir, args.path)
        const stem = existsSync(`${file}.ts`)
          ? args.path
          : existsSync(path.join(file, 'index.ts'))
            ? `${args.path}/index`
            : ''
        if (stem === '') throw new Error(`${args.importer}: cannot resolve ${args.path}`)
        return { path: `${stem}${cjs ? '.cjs' : '.js'}`, external: true }
      }
      const fpTs = /^fp-ts(?:\/(\w+))?$/.exec(args.path)
      if (fpTs !== null) {
        const module = fpTs[1] ?? 'index'
        return { path: cjs ? `fp-ts/lib/${module}.js` : `#fp-ts/${module}`, external: true }
      }
      return { path: args.path, external: true }
    })
  },
}

export default defineConfig(() => {
  checkEntries()
  return {
    entry: ['src/**/*.ts'],
    format: ['esm', 'cjs'],
    dts: false, // per-module declarations: tsc -p tsconfig.declarations.json, then scripts/fix-declarations.ts
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    treeshake: false,
    splitting: false,
    // tsup's own externals would claim fp-ts before perModule can rewrite it
    noExternal: [/./],
    esbuildPlugins: [perModule],
  }
})
