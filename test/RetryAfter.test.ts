/**
 * Retry-After as RFC 9110 defines it (delay-seconds or an HTTP-date, relative
 * to the clock), plus retry-after-ms: malformed values are ignored, never a
 * crash. And how a schedule honours the hint: Schedule.waitForHint.
 */
import fc from 'fast-check'
import * as O from 'fp-ts/Option'
import { describe, expect, it } from 'vitest'
import { pipe } from 'fp-ts/function'
import { type CircuitBreaker, Schedule } from '../src/index'
import * as Http from '../src/Http'

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

// 0.2: Http.respectRetryAfter(max) is Schedule.waitForHint(max), the same rule for any failure carrying a retryAfter
describe('Schedule.waitForHint', () => {
  const hinted = (hint: O.Option<number>): Http.HttpError => ({
    _tag: 'HttpError',
    method: 'GET',
    url: '/',
    status: 429,
    statusText: '',
    headers: {},
    retryAfter: hint,
    body: '',
  })
  const circuitOpen: CircuitBreaker.CircuitOpen = {
    _tag: 'CircuitOpen',
    state: 'Open',
    retryAt: 5000,
    retryAfter: O.some(4700),
  }

  it('takes the longer of the hint (bounded by max) and the schedule’s own delay', () => {
    const s = pipe(Schedule.spaced(100), Schedule.waitForHint(5000))
    expect(
      Schedule.simulate(s, [hinted(O.some(2000)), hinted(O.some(50)), hinted(O.some(1e9)), hinted(O.none)]),
    ).toEqual([2000, 100, 5000, 100])
    expect(Schedule.simulate(s, ['not an http error', null, 42])).toEqual([100, 100, 100])
  })

  it('reads the hint of an open circuit the same way', () => {
    expect(Schedule.simulate(pipe(Schedule.spaced(100), Schedule.waitForHint(5000)), [circuitOpen])).toEqual([4700])
    expect(Schedule.simulate(pipe(Schedule.spaced(100), Schedule.waitForHint(1000)), [circuitOpen])).toEqual([1000])
    expect(Schedule.simulate(pipe(Schedule.spaced(6000), Schedule.waitForHint(5000)), [circuitOpen])).toEqual([6000])
    // Http.isTransient lets the open circuit through to the hint
    const policy = pipe(
      Schedule.spaced(100),
      Schedule.intersect(Schedule.recurs(2)),
      Schedule.whileInput(Http.isTransient),
      Schedule.waitForHint(10_000),
    )
    expect(Schedule.simulate(policy, [circuitOpen, hinted(O.some(250)), circuitOpen])).toEqual([4700, 250])
  })

  it('property: each delay is max(own delay, min(hint, max)); the number of retries never changes', () => {
    const input = fc.oneof(
      fc
        .option(fc.nat({ max: 10_000_000 }), { nil: undefined })
        .map((h) => hinted(h === undefined ? O.none : O.some(h))),
      fc.nat({ max: 10_000_000 }).map((h): unknown => ({ ...circuitOpen, retryAfter: O.some(h) })),
      fc.constantFrom<unknown>('not an http error', null, { _tag: 'NetworkError' }),
    )
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 100_000 }), { maxLength: 8 }),
        fc.array(input, { maxLength: 12 }),
        fc.nat({ max: 1_000_000 }),
        (delays, inputs, max) => {
          const own = Schedule.simulate(Schedule.fromDelays(...delays), inputs)
          const honoured = Schedule.simulate(pipe(Schedule.fromDelays(...delays), Schedule.waitForHint(max)), inputs)
          expect(honoured).toHaveLength(own.length)
          honoured.forEach((delay, i) => {
            // 0.2: the hint of any failure that carries one (an HttpError's, a CircuitOpen's), not only an HttpError's
            const error = inputs[i] as { readonly retryAfter?: O.Option<number> } | null
            const hint = error?.retryAfter ?? O.none
            const d = own[i] ?? Number.NaN
            expect(delay).toBe(O.isSome(hint) ? Math.max(d, Math.min(hint.value, max)) : d)
          })
        },
      ),
    )
  })

  it('never turns a done into a continue', () => {
    const s = pipe(Schedule.recurs(1), Schedule.waitForHint(5000))
    expect(Schedule.simulate(s, [hinted(O.some(1000)), hinted(O.some(1000)), hinted(O.some(1000))])).toEqual([1000])
    expect(Schedule.simulate(s, [circuitOpen, circuitOpen])).toEqual([4700])
  })

  it('rejects a nonsense maximum', () => {
    // 0.2: the check names Schedule.waitForHint
    expect(() => Schedule.waitForHint(Number.NaN)).toThrow(
      new RangeError('Schedule.waitForHint: max must be a finite non-negative number of milliseconds, got NaN'),
    )
  })
})
