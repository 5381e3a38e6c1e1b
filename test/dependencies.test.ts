/**
 * Dependencies flow one way (DESIGN, "Modules and entry points"): `internal/` imports no public module, the core
 * imports no integration, and only integrations import io-ts.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'

const src = path.resolve(__dirname, '../src')
const CORE = [
  'Budget',
  'Bulkhead',
  'CircuitBreaker',
  'Clock',
  'Events',
  'Fallback',
  'Hedge',
  'Operation',
  'Random',
  'RateLimit',
  'Repeat',
  'Retry',
  'Schedule',
  'TestClock',
  'Timeout',
  'Waiter',
]
const INTEGRATIONS = ['Decode', 'Duration', 'Grpc', 'Http', 'Otel', 'Policy', 'Redis']

const importsOf = (file: string): ReadonlyArray<string> =>
  [...fs.readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from '([^']+)'/gm)].map((m) => m[1] ?? '')

describe('dependencies flow one way', () => {
  it('every public module is either core or an integration', () => {
    const modules = fs
      .readdirSync(src)
      .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
      .map((f) => f.slice(0, -3))
    expect([...modules].sort()).toEqual([...CORE, ...INTEGRATIONS].sort())
  })

  it('internal/ imports only internal modules and fp-ts', () => {
    const offending = fs
      .readdirSync(path.join(src, 'internal'))
      .flatMap((f) => importsOf(path.join(src, 'internal', f)).map((i) => `${f} -> ${i}`))
      .filter((edge) => !/-> (\.\/|fp-ts\/|io-ts$)/.test(edge))
    expect(offending).toEqual([])
  })

  it('the core imports no integration, and no io-ts', () => {
    const offending = CORE.flatMap((m) => importsOf(path.join(src, `${m}.ts`)).map((i) => `${m} -> ${i}`)).filter(
      (edge) => INTEGRATIONS.some((name) => edge.endsWith(`./${name}`)) || edge.endsWith('io-ts'),
    )
    expect(offending).toEqual([])
  })

  it('the core entry exports the core modules and no integration (those have their own subpath entries)', () => {
    const exported = importsOf(path.join(src, 'index.ts')).map((i) => i.replace('./', ''))
    expect([...exported].sort()).toEqual([...CORE].sort())
  })
})
