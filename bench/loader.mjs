/**
 * The module loader the benchmarks run under (`node --import ./bench/loader.mjs bench/index.ts`): it compiles
 * TypeScript with esbuild, as tsx does, but without tsx's `keepNames`.
 *
 * tsx compiles with `keepNames: true`, which wraps every named function expression in
 * `__name(fn, 'name')`, an `Object.defineProperty` on each closure as it is created. That gives each such
 * closure a property dictionary of its own (about 250 bytes of heap, held as long as the closure is) and costs
 * the defineProperty call each time: a closure-heavy driver measured under tsx pays for what no build of the
 * package ships (tsup does not keep names, and neither does a user's bundler by default). Under this loader
 * `src/` runs as `dist/` would.
 *
 * Resolution follows tsx's leniency where Node's ESM resolver refuses: an extensionless relative import finds
 * its `.ts` file (or `index.ts`), and a bare specifier that names a CommonJS directory (`fp-ts/Either`,
 * `retry-ts/lib/Task`) resolves as `require` would.
 */
import { readFile } from 'node:fs/promises'
import { createRequire, register } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { isMainThread } from 'node:worker_threads'

if (isMainThread) register(import.meta.url)

export const resolve = async (specifier, context, next) => {
  try {
    return await next(specifier, context)
  } catch (error) {
    const parent = context.parentURL
    if (parent === undefined || !parent.endsWith('.ts')) throw error
    if (specifier.startsWith('.')) {
      for (const suffix of ['.ts', '/index.ts'])
        try {
          return await next(`${specifier}${suffix}`, context)
        } catch {
          // try the next form
        }
      throw error
    }
    return { url: pathToFileURL(createRequire(parent).resolve(specifier)).href, shortCircuit: true }
  }
}

export const load = async (url, context, next) => {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context)
  const { transform } = await import('esbuild')
  const file = fileURLToPath(url)
  const { code } = await transform(await readFile(file, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: `node${process.versions.node}`,
    sourcemap: 'inline',
    sourcefile: file,
    keepNames: false,
  })
  return { format: 'module', source: code, shortCircuit: true }
}
