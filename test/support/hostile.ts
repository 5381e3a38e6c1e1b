/**
 * Adversarial text, shared by the linear-time tests (test/hostile-input.test.ts) and the hardening bench
 * (bench/hardening.ts), so that both measure the same inputs.
 */

/** `unit` repeated to about `n` characters. */
export const repeat =
  (unit: string) =>
  (n: number): string =>
    unit.repeat(Math.max(1, Math.ceil(n / unit.length)))

/** Texts of about `n` characters that broke, or could break, a backtracking JSON extraction from model prose. */
export const adversarialJson: ReadonlyArray<readonly [string, (n: number) => string]> = [
  ['an unclosed fence followed by spaces', (n) => '```' + ' '.repeat(n)],
  ['an unclosed fence followed by a long word', (n) => '```' + 'a'.repeat(n)],
  ['an unclosed fence, a word, spaces', (n) => '```' + 'json'.repeat(n / 8) + ' \t'.repeat(n / 4)],
  ['fences that never close a block', repeat('```json\n ')],
  ['repeated {]', repeat('{]')],
  ['repeated {a}', repeat('{a}')],
  ['repeated [', repeat('[')],
  ['repeated {"', repeat('{"')],
  ['repeated ```{', repeat('```{')],
  ['a long unclosed array', (n) => '[' + '1,'.repeat(n / 2)],
  ['blocks of invalid JSON', repeat('```json\n{"a": 1,}\n```\n')],
  ['balanced JSON too deep to parse', (n) => '['.repeat(n / 2) + ']'.repeat(n / 2)],
  ['escapes in an unclosed string', (n) => '{"' + '\\"'.repeat(n / 2)],
  ['prose with stray brackets', repeat('Sure, [see] {this}: ')],
]

/** Texts of about `n` characters that broke, or could break, a duration parser. */
export const hostileDurations: ReadonlyArray<readonly [string, (n: number) => string]> = [
  ['digits then a bad unit', (n) => '1'.repeat(n) + 'x'],
  ['units then a bad character', (n) => repeat('1ms')(n) + 'x'],
  ['a long fraction then a bad unit', (n) => '1.' + '1'.repeat(n) + 'x'],
  ['spaces and digits (the unit hint)', (n) => ' '.repeat(n / 2) + '1'.repeat(n / 2) + ' '],
  ['many valid parts', repeat('1h1m1s1ms')],
  ['a huge number of milliseconds', (n) => '9'.repeat(n) + 'ms'],
]

/**
 * Policy-shaped values no decoder should accept, and no guard may throw on: a `Cap` whose `of` is itself, an
 * `Intersect` that contains itself, and a `Cap` nested `depth` deep.
 */
export const cyclicAndDeepPolicies = (depth: number): { cap: unknown; intersect: unknown; deep: unknown } => {
  const duration = { _tag: 'Duration', millis: 1, spelling: 1 }
  const cap: Record<string, unknown> = { _tag: 'Cap', max: duration }
  cap['of'] = cap
  const intersect: Record<string, unknown> = { _tag: 'Intersect' }
  intersect['policies'] = [intersect]
  let deep: unknown = { _tag: 'Recurs', times: 1 }
  for (let i = 0; i < depth; i++) deep = { _tag: 'Cap', max: duration, of: deep }
  return { cap, intersect, deep }
}
