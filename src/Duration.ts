/**
 * Durations as people write them in configuration: a number of milliseconds
 * (`250`) or a string with units (`"250ms"`, `"1.5s"`, `"2m"`, `"1h30m"`). A
 * decoded `Duration` keeps the spelling it was read from, so writing it back
 * gives the same text.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/Either'
import * as t from 'io-ts'
import { show, toValidation } from './internal/decoder'
import * as check from './internal/validate'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A validated duration: `millis` is finite and non-negative; `spelling` is
 * how it was written (a number of milliseconds or a string with units).
 *
 * @since 0.1.0
 * @category model
 */
export interface Duration {
  readonly _tag: 'Duration'
  /** The length in milliseconds: finite, never negative. */
  readonly millis: number
  /** The spelling it was read from, written back by {@link encode}. */
  readonly spelling: number | string
}

/**
 * How a duration is written in JSON: milliseconds, or a string with units
 * `ms`, `s`, `m`, `h` (`"100ms"`, `"0.5s"`, `".1s"`, `"2m"`, `"1h30m"`).
 *
 * @since 0.1.0
 * @category model
 */
export type DurationJson = number | string

/**
 * What a duration looks like, as the messages say it.
 *
 * @example
 * import * as Duration from 'fp-ts-retry/duration'
 *
 * Duration.EXPECTED
 * // => 'a duration (milliseconds, or a string like "250ms", "1.5s", "2m", "1h30m")'
 *
 * @since 0.1.0
 * @category utils
 */
export const EXPECTED = 'a duration (milliseconds, or a string like "250ms", "1.5s", "2m", "1h30m")'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39

/** The end of the digits of `text` from `i`. */
const digitsEnd = (text: string, i: number): number => {
  let j = i
  while (j < text.length && isDigit(text.charCodeAt(j))) j++
  return j
}

/**
 * The milliseconds a duration string means, or `undefined` when it is not
 * one: parts of digits with an optional fraction (`1`, `1.5`, `.5`), each
 * followed by a unit `ms`, `s`, `m` or `h`, with nothing in between. One
 * pass, no regular expression: linear in the length of the text, and no
 * backtracking stack to overflow on a long one.
 */
const millisOf = (text: string): number | undefined => {
  let total = 0
  let i = 0
  do {
    const wholeEnd = digitsEnd(text, i)
    let fractionEnd = wholeEnd
    if (text.charCodeAt(wholeEnd) === 0x2e) {
      fractionEnd = digitsEnd(text, wholeEnd + 1)
      if (fractionEnd === wholeEnd + 1) return undefined // a point with no digits after it
    } else if (wholeEnd === i) return undefined // no digits at all
    // the unit: "ms" (two characters), "s", "m" or "h"
    const c = text.charCodeAt(fractionEnd)
    const ms = c === 0x6d && text.charCodeAt(fractionEnd + 1) === 0x73
    const scale = ms ? 1 : c === 0x73 ? 1000 : c === 0x6d ? 60_000 : c === 0x68 ? 3_600_000 : 0
    if (scale === 0) return undefined
    const whole = text.slice(i, wholeEnd)
    const fraction = fractionEnd > wholeEnd ? text.slice(wholeEnd + 1, fractionEnd) : ''
    // integer arithmetic on the digits, one division: "0.1s" is exactly 100, "1.1s" exactly 1100
    total += (Number(`${whole}${fraction}`) * scale) / 10 ** fraction.length
    i = fractionEnd + (ms ? 2 : 1)
  } while (i < text.length)
  return total
}

/** The longest number a hint repeats: a message never echoes megabytes of hostile input. */
const MAX_HINTED = 24

const hint = (text: string): string => {
  const number = text.trim()
  if (number.length <= MAX_HINTED && /^\d+(\.\d+)?$/.test(number)) return ` (add a unit: "${number}ms" or "${number}s")`
  return text.startsWith('-') ? ' (a duration cannot be negative)' : ''
}

/**
 * Reads a duration from untrusted input. Never throws: a `Left` holds a
 * message `expected a duration (...), got <value>` (with a hint where one
 * helps). Linear in the length of the text, however long.
 *
 * @example
 * import * as Duration from 'fp-ts-retry/duration'
 *
 * Duration.parse('1.5s')
 * // => right({ _tag: 'Duration', millis: 1500, spelling: '1.5s' })
 * Duration.parse('10 seconds')
 * // => left('expected a duration (milliseconds, or a string like "250ms", "1.5s", "2m", "1h30m"), got "10 seconds"')
 *
 * @since 0.1.0
 * @category constructors
 */
export const parse = (input: unknown): E.Either<string, Duration> => {
  if (typeof input === 'number') {
    return check.isDelay(input)
      ? E.right({ _tag: 'Duration', millis: input, spelling: input })
      : E.left(`expected ${EXPECTED}, got ${show(input)}`)
  }
  const millis = typeof input === 'string' && input !== '' ? millisOf(input) : undefined
  if (typeof input === 'string' && millis !== undefined) {
    return check.isDelay(millis)
      ? E.right({ _tag: 'Duration', millis, spelling: input })
      : E.left(`expected a finite duration, got ${show(input)}`)
  }
  return E.left(`expected ${EXPECTED}, got ${show(input)}${typeof input === 'string' ? hint(input) : ''}`)
}

/**
 * A duration of `millis` milliseconds, spelled as that number.
 *
 * @example
 * import * as Duration from 'fp-ts-retry/duration'
 *
 * Duration.millis(250)
 * // => { _tag: 'Duration', millis: 250, spelling: 250 }
 *
 * @throws RangeError when `millis` is negative, NaN or infinite
 * @since 0.1.0
 * @category constructors
 */
export const millis = (millis: number): Duration => ({
  _tag: 'Duration',
  millis: check.delay('Duration.millis', 'millis', millis),
  spelling: millis,
})

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The spelling a duration was read from: what goes back into the JSON.
 *
 * @example
 * import * as E from 'fp-ts/Either'
 * import * as Duration from 'fp-ts-retry/duration'
 *
 * E.map(Duration.encode)(Duration.parse('100ms'))
 * // => right('100ms')
 *
 * @since 0.1.0
 * @category utils
 */
export const encode = (self: Duration): DurationJson => self.spelling

const trimmed = (n: number, digits: number): string => String(Number(n.toFixed(digits)))

/**
 * A short human spelling of a number of milliseconds, for logs: `"0ms"`,
 * `"87.5ms"`, `"1.25s"`, `"2m30s"`, `"1h30m"`. Below a second it keeps one
 * decimal, below a minute three; from a minute on it splits into hours,
 * minutes and seconds. It parses back with {@link parse}.
 *
 * @example
 * import * as Duration from 'fp-ts-retry/duration'
 *
 * [Duration.format(250), Duration.format(1500), Duration.format(90_000), Duration.format(5_400_000)]
 * // => ['250ms', '1.5s', '1m30s', '1h30m']
 *
 * @since 0.1.0
 * @category utils
 */
export const format = (ms: number): string => {
  if (!check.isDelay(ms)) return String(ms)
  const tenths = Math.round(ms * 10) / 10
  if (tenths < 1000) return `${trimmed(tenths, 1)}ms`
  if (ms < 60_000) return `${trimmed(ms / 1000, 3)}s`
  const rounded = Math.round(ms)
  const hours = Math.floor(rounded / 3_600_000)
  const minutes = Math.floor((rounded % 3_600_000) / 60_000)
  const seconds = (rounded % 60_000) / 1000
  return [
    hours > 0 ? `${hours}h` : '',
    minutes > 0 ? `${minutes}m` : '',
    seconds > 0 ? `${trimmed(seconds, 3)}s` : '',
  ].join('')
}

/**
 * The io-ts codec of durations: decodes numbers (milliseconds) and strings
 * with units, encodes back to the original spelling. Its errors carry the
 * readable message.
 *
 * @example
 * import * as Duration from 'fp-ts-retry/duration'
 *
 * Duration.codec.decode('2m')
 * // => right({ _tag: 'Duration', millis: 120000, spelling: '2m' })
 *
 * @since 0.1.0
 * @category utils
 */
export const codec: t.Type<Duration, DurationJson, unknown> = new t.Type<Duration, DurationJson, unknown>(
  'Duration',
  (u): u is Duration =>
    typeof u === 'object' &&
    u !== null &&
    (u as Duration)._tag === 'Duration' &&
    E.exists((d: Duration) => Object.is(d.millis, (u as Duration).millis))(parse((u as Duration).spelling)),
  (u, context) => toValidation(E.mapLeft((message: string) => [message] as const)(parse(u)), u, context),
  encode,
)
