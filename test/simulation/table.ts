/**
 * The measured tables of docs/protect-your-dependency.md, as rows of cells:
 * printed by scripts/outage-table.ts and compared with the page by
 * test/outage.test.ts, so the page cannot drift from the simulation.
 */
import * as Scenarios from './scenarios'

export const labels: Record<Scenarios.Protection, string> = {
  none: 'no protection',
  aws: 'AWS token bucket (500, retry 5, timeout 10, success +1)',
  grpc: 'gRPC throttle (10 tokens, ratio 0.1)',
  breaker: 'circuit breaker',
  'aws+breaker': 'AWS token bucket + circuit breaker',
}

const fixed = (n: number, digits = 3) => n.toFixed(digits)

export const amplificationHeader = [
  'protection',
  'requests',
  'attempts',
  'attempts per request',
  'once the protection kicked in',
]

/** Rows of the amplification table: one per protection, then the nested layers. */
export const amplificationRows = async (): Promise<Array<Array<string>>> => {
  const rows: Array<Array<string>> = []
  for (const p of Scenarios.protections) {
    const r = await Scenarios.totalOutage(p)
    const kicked =
      r.spentAt === undefined ? '(never)' : `${fixed(r.amplificationOnceSpent)} (after ${Math.round(r.spentAt)} ms)`
    rows.push([labels[p], `${r.requests}`, `${r.attempts}`, fixed(r.amplification), kicked])
  }
  const nested = await Scenarios.nestedLayers(false)
  const passOn = await Scenarios.nestedLayers(true)
  rows.push([
    'three nested layers of `recurs(3)`',
    `${nested.requests}`,
    `${nested.attempts}`,
    fixed(nested.amplification, 1),
    '',
  ])
  rows.push([
    'three layers, inner one passes on `AlreadyRetried`',
    `${passOn.requests}`,
    `${passOn.attempts}`,
    fixed(passOn.amplification, 1),
    '',
  ])
  return rows
}

export const recoveryHeader = [
  'protection',
  'attempts per request during the outage',
  'success after the outage',
  'requests after the outage until >= 99% succeed',
  'breaker closed at',
]

/** Rows of the recovery table: one per protection. */
export const recoveryRows = async (): Promise<Array<Array<string>>> => {
  const rows: Array<Array<string>> = []
  for (const p of Scenarios.protections) {
    const r = await Scenarios.recovery({ protection: p })
    const closed = r.changes.filter((c) => c.to === 'Closed').map((c) => `${(c.at / 1000).toFixed(2)} s`)
    rows.push([
      labels[p],
      fixed(r.amplificationDuringOutage),
      `${(r.successRateAfter * 100).toFixed(2)}% of ${r.requestsAfter}`,
      `${r.requestsToRecover ?? 'never'}`,
      closed.join(', ') || '-',
    ])
  }
  return rows
}

/** A markdown table, unaligned (prettier aligns it in the page). */
export const markdown = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  [
    `| ${header.join(' | ')} |`,
    `| --- | ${header
      .slice(1)
      .map(() => '---:')
      .join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n')

/** The rows (cells trimmed) of every markdown table in `text`, header and separator rows excluded. */
export const tableRows = (text: string): Array<Array<string>> =>
  text
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[\s:|-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    )
