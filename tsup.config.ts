import { readFile, readdir, writeFile } from 'node:fs/promises'
import { defineConfig } from 'tsup'

/**
 * fp-ts has no `exports` map, so Node's ESM loader cannot resolve `fp-ts/Either`.
 * The built code imports `fp-ts/lib/Either.js` instead, which both loaders
 * resolve (ESM through Node's CommonJS interop); the sources keep the usual
 * `fp-ts/Either` spelling.
 */
const rewriteFpTsSubpaths = async (): Promise<void> => {
  const files = (await readdir('dist')).filter((f) => /\.(c?js)$/.test(f))
  for (const file of files) {
    const code = await readFile(`dist/${file}`, 'utf8')
    await writeFile(`dist/${file}`, code.replace(/(['"])fp-ts\/([A-Za-z]+)\1/g, '$1fp-ts/lib/$2.js$1'))
  }
}

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  treeshake: true,
  onSuccess: rewriteFpTsSubpaths,
})
