import fc from 'fast-check'
import * as E from 'fp-ts/Either'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import * as Duration from '../src/Duration'

const millisOf = (input: unknown): number | string =>
  E.match<string, Duration.Duration, number | string>(
    (message) => message,
    (d) => d.millis,
  )(Duration.parse(input))

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const

describe('Duration.parse', () => {
  it.each([
    [0, 0],
    [250, 250],
    [12.5, 12.5],
    ['0ms', 0],
    ['250ms', 250],
    ['1s', 1000],
    ['1.5s', 1500],
    ['0.1s', 100],
    ['.1s', 100],
    ['1.1s', 1100],
    ['0.3s', 300],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['1s500ms', 1500],
    ['0.001s', 1],
  ])('reads %j as %d ms', (input, expected) => {
    expect(millisOf(input)).toBe(expected)
  })

  it('keeps the spelling it read', () => {
    expect(Duration.parse('100ms')).toEqual(E.right({ _tag: 'Duration', millis: 100, spelling: '100ms' }))
    expect(Duration.parse(100)).toEqual(E.right({ _tag: 'Duration', millis: 100, spelling: 100 }))
  })

  const EXPECTED = 'expected a duration (milliseconds, or a string like "250ms", "1.5s", "2m", "1h30m")'

  it.each<[unknown, string]>([
    [-1, `${EXPECTED}, got -1`],
    [NaN, `${EXPECTED}, got NaN`],
    [Infinity, `${EXPECTED}, got Infinity`],
    ['', `${EXPECTED}, got ""`],
    ['10 seconds', `${EXPECTED}, got "10 seconds"`],
    ['100', `${EXPECTED}, got "100" (add a unit: "100ms" or "100s")`],
    ['-1s', `${EXPECTED}, got "-1s" (a duration cannot be negative)`],
    ['1e3ms', `${EXPECTED}, got "1e3ms"`],
    [' 1s', `${EXPECTED}, got " 1s"`],
    ['1.s', `${EXPECTED}, got "1.s"`],
    ['1d', `${EXPECTED}, got "1d"`],
    [null, `${EXPECTED}, got null`],
    [true, `${EXPECTED}, got true`],
    [[100], `${EXPECTED}, got [100]`],
    [{ ms: 100 }, `${EXPECTED}, got {"ms":100}`],
    [undefined, `${EXPECTED}, got undefined`],
  ])('refuses %j with a readable message', (input, message) => {
    expect(Duration.parse(input)).toEqual(E.left(message))
  })

  it('refuses a string whose value is not finite, and truncates long values in the message', () => {
    const huge = `${'9'.repeat(400)}ms`
    expect(Duration.parse(huge)).toEqual(E.left(`expected a finite duration, got "${'9'.repeat(58)}…`))
  })

  it('reads <n><unit> as n times the unit, for any integer n', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 1_000_000 }),
        fc.constantFrom(...(Object.keys(UNITS) as Array<keyof typeof UNITS>)),
        (n, unit) => {
          expect(millisOf(`${n}${unit}`)).toBe(n * UNITS[unit])
        },
      ),
    )
  })

  it('reads decimal seconds and minutes exactly, for any whole part and up to 3 decimals', () => {
    // "1.005s" must be 1005 ms, not 1004.9999999999999 as 1.005 * 1000 is in floating point
    expect(millisOf('1.005s')).toBe(1005)
    fc.assert(
      fc.property(fc.nat({ max: 100_000 }), fc.nat({ max: 999 }), (whole, thousandths) => {
        const fraction = String(thousandths).padStart(3, '0')
        expect(millisOf(`${whole}.${fraction}s`)).toBe(whole * 1000 + thousandths)
        expect(millisOf(`${whole}.${fraction}m`)).toBe(whole * 60_000 + thousandths * 60)
      }),
    )
  })

  it('never throws and never yields a negative, NaN or infinite duration', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string(), fc.stringMatching(/^[\d.]{0,6}(ms|s|m|h){0,2}$/)), (input) => {
        const result = Duration.parse(input)
        if (E.isRight(result)) {
          expect(Number.isFinite(result.right.millis) && result.right.millis >= 0).toBe(true)
        } else {
          expect(result.left).toMatch(/^expected a (finite )?duration/)
        }
      }),
    )
  })
})

describe('Duration.parse on hostile text', () => {
  it('reads a 10 MB duration of 3,000,000 parts, where the regular expression of 0.1.0 overflowed its stack', () => {
    const text = '1ms'.repeat(3_000_000) + '1s'
    expect(E.map((d: Duration.Duration) => d.millis)(Duration.parse(text))).toEqual(E.right(3_001_000))
    expect(Duration.parse(`${text}x`)).toEqual(E.left(`expected ${Duration.EXPECTED}, got "${'1ms'.repeat(19)}1…`))
  })

  it('refuses a long run of digits, points or units with the usual message', () => {
    for (const text of [
      '1'.repeat(1_000_000),
      '.'.repeat(1_000_000),
      'ms'.repeat(500_000),
      `1.${'1'.repeat(1_000_000)}`,
    ]) {
      expect(E.isLeft(Duration.parse(text))).toBe(true)
    }
  })
})

describe('Duration.millis', () => {
  it('spells the duration as its number of milliseconds', () => {
    expect(Duration.millis(250)).toEqual({ _tag: 'Duration', millis: 250, spelling: 250 })
  })

  it('throws a RangeError naming function, parameter and value', () => {
    expect(() => Duration.millis(-1)).toThrow(
      new RangeError('Duration.millis: millis must be a finite non-negative number of milliseconds, got -1'),
    )
  })
})

describe('Duration.format', () => {
  it.each([
    [0, '0ms'],
    [250, '250ms'],
    [87.25, '87.3ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [1234, '1.234s'],
    [60_000, '1m'],
    [90_000, '1m30s'],
    [61_234, '1m1.234s'],
    [5_400_000, '1h30m'],
    [3_600_000, '1h'],
    [3_601_000, '1h1s'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(Duration.format(ms)).toBe(text)
  })

  it('parses back to the same number of milliseconds, for any integer', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000_000 }), (ms) => {
        expect(millisOf(Duration.format(ms))).toBe(ms)
      }),
    )
  })
})

describe('Duration.codec', () => {
  it('decodes, encodes back to the same spelling, and recognises decoded values', () => {
    const decoded = Duration.codec.decode('2m')
    expect(decoded).toEqual(E.right({ _tag: 'Duration', millis: 120_000, spelling: '2m' }))
    if (E.isRight(decoded)) {
      expect(Duration.codec.encode(decoded.right)).toBe('2m')
      expect(Duration.codec.is(decoded.right)).toBe(true)
    }
    expect(Duration.codec.is('2m')).toBe(false)
    expect(Duration.codec.is({ _tag: 'Duration', millis: 1, spelling: '2m' })).toBe(false)
  })

  it('carries the readable message in its io-ts errors', () => {
    const result = t.type({ timeout: Duration.codec }).decode({ timeout: '5 sec' })
    expect(E.isLeft(result) && result.left.map((e) => e.message)).toEqual([
      'expected a duration (milliseconds, or a string like "250ms", "1.5s", "2m", "1h30m"), got "5 sec"',
    ])
  })
})
