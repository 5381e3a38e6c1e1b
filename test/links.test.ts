/**
 * Every relative link and image in README.md and docs/ points at a file that
 * exists, so the guide never sends a reader to a missing page or picture.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'

const root = path.resolve(__dirname, '..')
const pages = [
  'README.md',
  'CHANGELOG.md',
  ...fs
    .readdirSync(path.join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md') && !f.startsWith('api'))
    .map((f) => path.join('docs', f)),
]

const brokenLinks = (page: string): ReadonlyArray<string> => {
  const text = fs.readFileSync(path.join(root, page), 'utf8').replace(/```[\s\S]*?```/g, '')
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] ?? '')
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.split('#')[0] ?? '')
    .filter((target) => !fs.existsSync(path.resolve(root, path.dirname(page), target)))
    .map((target) => `${page} -> ${target}`)
}

describe('links in README.md and docs/', () => {
  it('there are pages to check', () => {
    expect(pages.length).toBeGreaterThan(8)
  })

  it.each(pages)('%s links only to files that exist', (page) => {
    expect(brokenLinks(page)).toEqual([])
  })
})
