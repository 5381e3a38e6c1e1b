/**
 * `npm run simulate`: runs every simulation in bench/ (each `bench/<name>/run.ts`), one after another, each
 * with the command line it was given. Pass `--only=<name>` to run one (e.g. `--only=contention`).
 */
import { readdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length)
const here = import.meta.dirname
const names = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'run.ts')))
  .map((d) => d.name)
  .filter((name) => only === undefined || name === only)
  .sort()

for (const name of names) {
  console.log(`\n==> simulation: ${name}`)
  await import(pathToFileURL(join(here, name, 'run.ts')).href)
}
