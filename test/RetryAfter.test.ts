/**
 * Retry-After as RFC 9110 defines it (delay-seconds or an HTTP-date, relative
 * to the clock), plus retry-after-ms: malformed values are ignored, never a
 * crash.
 */
import fc from 'fast-check'
import * as O from 'fp-ts/Option'
import { describe, expect, it } from 'vitest'
import { Http, Schedule } from '../src/index'

const now = Date.UTC(2025, 0, 1, 0, 0, 0) // Wed, 01 Jan 2025 00:00:00 GMT

describe('Http.parseRetryAfter', () => {
  it.each([
    ['2', O.some(2000)],
    ['0', O.some(0)],
    [' 120 ', O.some(120_000)],
    ['007', O.some(7000)],
    ['Wed, 01 Jan 2025 00:00:30 GMT', O.some(30_000)],
    ['Wednesday, 01-Jan-25 00:00:30 GMT', O.some(30_000)],
    ['Wed Jan  1 00:00:30 2025', O.some(30_000)],
    ['Tue, 31 Dec 2024 23:59:00 GMT', O.some(0)], // a past date: retry now
    ['Sun, 06 Nov 1994 08:49:37 GMT', O.some(0)],
    ['99999999999', O.some(99_999_999_999_000)],
    ['9'.repeat(400), O.some(Schedule.MAX_DELAY)], // huge saturates, never Infinity
  ])('%j is %j', (value, expected) => {
    expect(Http.parseRetryAfter(value, now)).toEqual(expected)
  })

  it.each([
    '',
    'soon',
    '-1',
    '+3',
    '1.5',
    '1e3',
    '0x10',
    'NaN',
    'Infinity',
    '2 seconds',
    'Wed, 32 Jan 2025 00:00:00 GMT',
    'Fri, 31 Feb 2025 00:00:00 GMT',
    'Wed, 01 Jan 2025 25:00:00 GMT',
    'Wed, 01 Jan 2025 00:00:30 UTC',
    'wed, 01 jan 2025 00:00:30 gmt',
    '2025-01-01T00:00:30Z',
  ])('%j is ignored', (value) => {
    expect(Http.parseRetryAfter(value, now)).toEqual(O.none)
  })

  it('an rfc850-date two-digit year is never more than 50 years ahead (RFC 9110 section 5.6.7)', () => {
    expect(Http.parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now)).toEqual(O.some(0)) // 1994, not 2094
    expect(Http.parseRetryAfter('Thursday, 01-Jan-76 00:00:00 GMT', now)).toEqual(O.some(0)) // 51 years ahead: 1976
    expect(Http.parseRetryAfter('Tuesday, 01-Jan-75 00:00:00 GMT', now)).toEqual(
      O.some(Date.UTC(2075, 0, 1) - now), // exactly 50 years ahead: still 2075
    )
    // across a century: in 2090, "10" is 2110 (20 years ahead), not 2010
    const in2090 = Date.UTC(2090, 0, 1)
    expect(Http.parseRetryAfter('Wednesday, 01-Jan-10 00:00:00 GMT', in2090)).toEqual(
      O.some(Date.UTC(2110, 0, 1) - in2090),
    )
    expect(Http.parseRetryAfter('Monday, 01-Jan-91 00:00:00 GMT', in2090)).toEqual(
      O.some(Date.UTC(2091, 0, 1) - in2090),
    )
  })

  it('an HTTP-date is relative to the given now; with no valid now it is ignored', () => {
    expect(Http.parseRetryAfter('Wed, 01 Jan 2025 00:01:00 GMT', now + 15_000)).toEqual(O.some(45_000))
    expect(Http.parseRetryAfter('Wed, 01 Jan 2025 00:01:00 GMT', Number.NaN)).toEqual(O.none)
    expect(Http.parseRetryAfter('3', Number.NaN)).toEqual(O.some(3000))
  })

  it('property: no header value makes it throw, and any answer is a sane delay', () => {
    const dateAlphabet = fc.constantFrom(...'0123456789 ,:-+.GMTWedJanFrisuy'.split(''))
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: dateAlphabet })),
        fc.oneof(fc.double(), fc.integer()),
        (value, at) => {
          const parsed = Http.parseRetryAfter(value, at)
          if (O.isSome(parsed)) {
            expect(Number.isFinite(parsed.value)).toBe(true)
            expect(parsed.value).toBeGreaterThanOrEqual(0)
            expect(parsed.value).toBeLessThanOrEqual(Schedule.MAX_DELAY)
          }
          const ms = Http.parseRetryAfterMs(value)
          if (O.isSome(ms)) expect(ms.value).toBeGreaterThanOrEqual(0)
          const hint = Http.retryAfter({ 'retry-after': value, 'retry-after-ms': value.slice(1) }, at)
          if (O.isSome(hint)) expect(hint.value).toBeGreaterThanOrEqual(0)
          if (O.isSome(hint)) expect(hint.value).toBeLessThanOrEqual(Schedule.MAX_DELAY)
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('property: delay-seconds n is n * 1000 ms', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1e9 }), (n) => {
        expect(Http.parseRetryAfter(String(n), now)).toEqual(O.some(n * 1000))
      }),
    )
  })

  it('property: an IMF-fixdate is the time until that second, or 0 when past', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        (date) => {
          const second = Math.floor(date.getTime() / 1000) * 1000
          expect(Http.parseRetryAfter(date.toUTCString(), now)).toEqual(O.some(Math.max(0, second - now)))
        },
      ),
    )
  })
})

describe('Http.parseRetryAfterMs and Http.retryAfter', () => {
  it.each([
    ['250', O.some(250)],
    ['1.5', O.some(1.5)],
    ['0', O.some(0)],
    ['-5', O.none],
    ['x', O.none],
    ['', O.none],
  ])('retry-after-ms %j is %j', (value, expected) => {
    expect(Http.parseRetryAfterMs(value)).toEqual(expected)
  })

  it('prefers a valid retry-after-ms, falls back to Retry-After, ignores case of names', () => {
    expect(Http.retryAfter({ 'retry-after-ms': '250', 'retry-after': '3' }, now)).toEqual(O.some(250))
    expect(Http.retryAfter({ 'retry-after-ms': 'bogus', 'retry-after': '3' }, now)).toEqual(O.some(3000))
    expect(Http.retryAfter({ 'Retry-After': '4' }, now)).toEqual(O.some(4000))
    expect(Http.retryAfter(new Headers({ 'Retry-After': '5' }), now)).toEqual(O.some(5000))
    expect(Http.retryAfter(new Headers(), now)).toEqual(O.none)
  })
})
