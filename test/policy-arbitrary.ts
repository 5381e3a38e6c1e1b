/**
 * Random policies, derived from `Policy.grammar` (the same table that src/Policy.ts decodes, builds and describes
 * with), and an oracle that builds each policy's schedule by hand.
 *
 * The generator knows shapes, not combinators: a combinator added to the table is generated at once. The oracle is
 * independent of src/Policy.ts, so that a property comparing the two can fail:
 * - a combinator builds the `Schedule` export of the same name, with its body's values as arguments in the order the
 *   JSON lists them (durations in milliseconds, read by the small parser below, not by `Duration.parse`); the few
 *   whose names differ from the schedule combinator they build are in `RENAMED`, spelt out;
 * - the conditions of `retryOn` / `giveUpOn` are restated here from the docs (`Http.isTransient`, a `status` in the
 *   list, a `_tag` in the list);
 * - the shorthand starts from the backoff of `BACKOFF` (or from `Schedule.forever` without a base) and applies each
 *   key's combinator in the order `Policy.grammar.shorthand` lists them (a leaf intersected, a wrapper wrapping);
 *   that order is checked against docs/policies.md in test/Policy.test.ts.
 * A shape or a combinator this file does not know makes it throw, naming what to add.
 */
import fc from 'fast-check'
import * as O from 'fp-ts/Option'
import { Schedule } from '../src/index'
import * as Http from '../src/Http'
import * as Policy from '../src/Policy'

export type Any = Schedule.Schedule<unknown, unknown>
type Node = Readonly<Record<string, unknown>>

// -------------------------------------------------------------------------------------
// durations, with their milliseconds computed here
// -------------------------------------------------------------------------------------

const UNIT = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const

/** Durations as written in JSON, in every spelling the docs show. */
export const duration: fc.Arbitrary<number | string> = fc.oneof(
  fc.nat({ max: 5000 }),
  fc
    .tuple(fc.nat({ max: 500 }), fc.constantFrom('ms', 's', 'm', 'h') as fc.Arbitrary<keyof typeof UNIT>)
    .map(([n, unit]) => `${n}${unit}`),
  fc.nat({ max: 99 }).map((tenths) => `${Math.floor(tenths / 10)}.${tenths % 10}s`),
  fc.nat({ max: 9 }).map((tenths) => `.${tenths}s`),
  fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 59 })).map(([h, m]) => `${h}h${m}m`),
)

/** The milliseconds of a duration `duration` generates (and of the plain numbers and unit strings of the tests). */
export const msOf = (json: unknown): number => {
  if (typeof json === 'number') return json
  const text = String(json)
  const plain = /^(\d+)(ms|s|m|h)$/.exec(text)
  if (plain) return Number(plain[1]) * UNIT[plain[2] as keyof typeof UNIT]
  const decimal = /^(\d*)\.(\d)s$/.exec(text)
  if (decimal) return Number(decimal[1] || 0) * 1000 + Number(decimal[2]) * 100
  const hm = /^(\d+)h(\d+)m$/.exec(text)
  if (hm) return Number(hm[1]) * 3_600_000 + Number(hm[2]) * 60_000
  throw new Error(`policy-arbitrary: no milliseconds for the duration ${JSON.stringify(json)}`)
}

// -------------------------------------------------------------------------------------
// the generator: one arbitrary per shape, one per combinator from the grammar
// -------------------------------------------------------------------------------------

const STATUSES = [400, 401, 404, 408, 409, 429, 500, 501, 502, 503, 504]
const TAGS = ['HttpError', 'NetworkError', 'TimeoutError', 'CircuitOpen', 'Conflict', 'RateLimited']

const oneCondition: fc.Arbitrary<Policy.Condition> = fc.oneof(
  fc.constant<Policy.Condition>('transient'),
  fc.array(fc.constantFrom(...STATUSES), { minLength: 1, maxLength: 3 }).map((status) => ({ status })),
  fc.array(fc.constantFrom(...TAGS), { minLength: 1, maxLength: 3 }).map((tag) => ({ tag })),
)

const jitter: fc.Arbitrary<Policy.JitterJson> = fc.oneof(
  fc.constantFrom<Policy.JitterJson>('full', 'equal'),
  fc
    .tuple(fc.double({ min: 0, max: 2, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true }))
    .map(([a, b]) => (a <= b ? { min: a, max: b } : { min: b, max: a })),
)

/** A valid value of a shape (a policy list is the generator's business, not the shape's). */
export const valueOf = (shape: Policy.Shape): fc.Arbitrary<unknown> => {
  switch (shape._tag) {
    case 'Duration':
      return duration
    case 'Count':
      return fc.nat({ max: 8 })
    case 'Factor':
      return fc.double({ min: 1, max: 4, noNaN: true })
    case 'Jitter':
      return jitter
    case 'Condition':
      return fc.oneof(oneCondition, fc.array(oneCondition, { minLength: 1, maxLength: 3 }))
    case 'OneOf':
      return fc.constantFrom(...shape.values)
    case 'Array':
      return fc.array(valueOf(shape.item), { maxLength: 4 })
    case 'Struct': {
      const fields = Object.fromEntries(shape.fields.map((f) => [f.name, valueOf(f.shape)]))
      const requiredKeys = shape.fields.filter((f) => !f.optional).map((f) => f.name)
      return fc.record(fields, { requiredKeys }).map((record) => {
        if (shape.atLeast === undefined) return record
        // a field that may not be shorter than another: lengthen it by the difference
        const [longer, shorter] = shape.atLeast
        const [a, b] = [msOf(record[longer]), msOf(record[shorter])]
        return a >= b ? record : { ...record, [longer]: record[shorter] }
      })
    }
    case 'Policies':
      throw new Error('policy-arbitrary: a list of policies is generated by `policy`')
    default:
      throw new Error(`policy-arbitrary: no arbitrary for the shape ${JSON.stringify(shape)}: add one to valueOf`)
  }
}

const { combinators } = Policy.grammar

const nodeOf = (c: Policy.Combinator, policy: fc.Arbitrary<Node>): fc.Arbitrary<Node> => {
  switch (c.nests) {
    case 'leaf':
      return valueOf(c.body).map((body) => ({ [c.name]: body }))
    case 'list':
      return fc.array(policy, { minLength: 1, maxLength: 3 }).map((policies) => ({ [c.name]: policies }))
    case 'wrapper':
      return fc.tuple(valueOf(c.body), policy).map(([body, of]) => ({ [c.name]: body, of }))
  }
}

/** The shorthand's rules, as docs/policies.md states them. */
const isValidShorthand = (s: Node): boolean =>
  (s['retries'] !== undefined || s['deadline'] !== undefined) &&
  (s['base'] !== undefined ||
    (s['backoff'] === undefined && s['factor'] === undefined && s['retries'] !== undefined)) &&
  (s['factor'] === undefined || s['backoff'] === undefined || s['backoff'] === 'exponential')

/** A shorthand policy: any of its keys, as the grammar lists them, within its rules; half of them with no delay. */
export const shorthand: fc.Arbitrary<Node> = fc
  .tuple(
    fc.record(Object.fromEntries(Policy.grammar.shorthand.map((k) => [k.key, valueOf(k.body)])), { requiredKeys: [] }),
    fc.boolean(),
  )
  .map(([s, delayed]): Node => {
    if (delayed) return s
    const { base: _base, backoff: _backoff, factor: _factor, ...rest } = s
    return rest
  })
  .filter(isValidShorthand)

/** One policy node of a combinator, its nested policies any policy. */
export const nodeOfCombinator = (c: Policy.Combinator): fc.Arbitrary<Node> => nodeOf(c, policy)

/** A random valid policy, as JSON: every combinator of the grammar, and the shorthand, nested at most 4 deep. */
export const policy: fc.Arbitrary<Node> = fc.letrec<{ policy: Node }>((tie) => {
  const nested = tie('policy')
  const byNesting = (nests: Policy.Combinator['nests']) =>
    combinators.filter((c) => c.nests === nests).map((c) => nodeOf(c, nested))
  // leaves first: past the depth bound, fast-check takes the first arbitrary
  return {
    policy: fc.oneof(
      { maxDepth: 4, depthSize: 'small' },
      ...byNesting('leaf'),
      shorthand,
      ...byNesting('list'),
      ...byNesting('wrapper'),
    ),
  }
}).policy

// -------------------------------------------------------------------------------------
// failures, and a driver that lets attempts take time
// -------------------------------------------------------------------------------------

const httpError = (status: number, retryAfter: O.Option<number> = O.none): Http.HttpError => ({
  _tag: 'HttpError',
  method: 'GET',
  url: '/',
  status,
  statusText: '',
  headers: {},
  retryAfter,
  body: '',
})

/** Failures of every kind a condition or the hint rule tells apart. */
export const failure: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...STATUSES).map((status) => httpError(status)),
  fc.tuple(fc.constantFrom(429, 503), fc.nat({ max: 20_000 })).map(([status, hint]) => httpError(status, O.some(hint))),
  fc.constant({ _tag: 'NetworkError', method: 'GET', url: '/', message: 'reset', code: O.none }),
  fc.constant({ _tag: 'TimeoutError', timeout: 100 }),
  fc.nat({ max: 20_000 }).map((hint) => ({ _tag: 'CircuitOpen', retryAfter: O.some(hint) })),
  fc.constantFrom({ _tag: 'Conflict' }, { status: 409 }, 'boom', undefined, null),
)

/** One run: the failures, and how long each attempt took (its time counts for `upTo`, `fixed`, `resetAfter`...). */
export const run: fc.Arbitrary<ReadonlyArray<readonly [unknown, number]>> = fc.array(
  fc.tuple(failure, fc.oneof(fc.constant(0), fc.nat({ max: 3000 }), fc.nat({ max: 120_000 }))),
  { minLength: 1, maxLength: 12 },
)

/** Each step's decision (`'done'` or the delay), stepping as the driver does: elapsed time is attempts plus sleeps. */
export const decisions = (
  schedule: Any,
  steps: ReadonlyArray<readonly [unknown, number]>,
  random: () => number,
): ReadonlyArray<number | 'done'> => {
  const out: Array<number | 'done'> = []
  let state = schedule.initial
  let elapsed = 0
  for (const [error, took] of steps) {
    elapsed += took
    const decision = schedule.step(state, error, { elapsed, random })
    if (decision._tag === 'Done') {
      out.push('done')
      break
    }
    out.push(decision.delay)
    state = decision.state
    elapsed += decision.delay
  }
  return out
}

// -------------------------------------------------------------------------------------
// the oracle: each policy built by hand with the schedule combinators
// -------------------------------------------------------------------------------------

type Condition = Policy.Condition | ReadonlyArray<Policy.Condition>

const fieldIs = (error: unknown, name: string, values: ReadonlyArray<unknown>): boolean =>
  typeof error === 'object' && error !== null && values.includes((error as Record<string, unknown>)[name])

/** Whether a failure is one a condition names, as the docs say it. */
export const names =
  (c: Condition) =>
  (error: unknown): boolean =>
    (Array.isArray(c) ? (c as ReadonlyArray<Policy.Condition>) : [c as Policy.Condition]).some((one) =>
      one === 'transient'
        ? Http.isTransient(error)
        : 'status' in one
          ? fieldIs(error, 'status', one.status)
          : fieldIs(error, '_tag', one.tag),
    )

const jittered = (j: Policy.JitterJson, of: Any): Any =>
  j === 'full'
    ? Schedule.fullJitter(of)
    : j === 'equal'
      ? Schedule.equalJitter(of)
      : Schedule.jittered(j.min, j.max)(of)

/** The combinators that do not build the schedule combinator of their own name. */
export const RENAMED: Readonly<Record<string, (body: never, of: Any) => Any>> = {
  cap: (max: number | string, of) => Schedule.capDelay(msOf(max))(of),
  jitter: jittered,
  retryOn: (c: Condition, of) => Schedule.whileInput(names(c))(of),
  giveUpOn: (c: Condition, of) => Schedule.untilInput(names(c))(of),
}

/** The shorthand's backoff names, and the leaf each one is. */
export const BACKOFF: Readonly<Record<string, string>> = {
  exponential: 'exponential',
  linear: 'linear',
  fibonacci: 'fibonacci',
  constant: 'spaced',
}

/** The arguments of a combinator's namesake, from its body: the values in the order the JSON lists them. */
const argumentsOf = (shape: Policy.Shape, body: unknown): ReadonlyArray<unknown> => {
  switch (shape._tag) {
    case 'Duration':
      return [msOf(body)]
    case 'Array':
      return (body as ReadonlyArray<unknown>).flatMap((item) => argumentsOf(shape.item, item))
    case 'Struct':
      return shape.fields.map((f) => {
        const value = (body as Node)[f.name]
        return value === undefined ? undefined : argumentsOf(f.shape, value)[0]
      })
    default:
      return [body]
  }
}

const SCHEDULE = Schedule as unknown as Readonly<Record<string, unknown>>

/** The function of `Schedule` a combinator builds, by name; throws for one the oracle cannot build. */
export const namesake = (name: string): ((...args: ReadonlyArray<unknown>) => unknown) => {
  const f = SCHEDULE[name]
  if (typeof f !== 'function') {
    throw new Error(`policy-arbitrary: no Schedule.${name}: say in RENAMED which schedule "${name}" builds`)
  }
  return f as (...args: ReadonlyArray<unknown>) => unknown
}

const byName = new Map(combinators.map((c) => [c.name, c]))
const shorthandOnly = new Set(Policy.grammar.shorthand.map((k) => k.key).filter((key) => !byName.has(key)))

const shorthandBuilt = (s: Node): Any => {
  const backoff = BACKOFF[String(s['backoff'] ?? 'exponential')] ?? 'unknown backoff'
  // the factor is exponential's second argument; the other backoffs take one
  let schedule: Any =
    s['base'] === undefined ? Schedule.forever : (namesake(backoff)(msOf(s['base']), s['factor']) as Any)
  for (const key of Policy.grammar.shorthand) {
    if (key.combinator === undefined || s[key.key] === undefined) continue
    const c = byName.get(key.combinator)
    if (c === undefined) throw new Error(`policy-arbitrary: the shorthand key ${key.key} names no combinator`)
    schedule =
      c.nests === 'leaf'
        ? Schedule.intersect(handBuilt({ [c.name]: s[key.key] }))(schedule)
        : wrapped(c, s[key.key], schedule)
  }
  return schedule
}

const wrapped = (c: Policy.Combinator, body: unknown, of: Any): Any => {
  const renamed = RENAMED[c.name]
  if (renamed !== undefined) return renamed(body as never, of)
  const wrap = namesake(c.name)(...argumentsOf(c.body, body)) as (self: Any) => Any
  return wrap(of)
}

/** The schedule of a valid policy, built by hand. */
export const handBuilt = (json: unknown): Any => {
  const node = json as Node
  const keys = Object.keys(node)
  if (keys.some((key) => shorthandOnly.has(key))) return shorthandBuilt(node)
  const c = keys.map((key) => byName.get(key)).find((found) => found !== undefined)
  if (c === undefined) throw new Error(`policy-arbitrary: not a policy: ${JSON.stringify(json)}`)
  const body = node[c.name]
  switch (c.nests) {
    case 'leaf':
      return namesake(c.name)(...argumentsOf(c.body, body)) as Any
    case 'list': {
      const combine = namesake(c.name) as (that: Any) => (self: Any) => Any
      const [first, ...rest] = (body as ReadonlyArray<unknown>).map(handBuilt)
      return rest.reduce((acc, next) => combine(next)(acc), first as Any)
    }
    case 'wrapper':
      return wrapped(c, body, handBuilt(node['of']))
  }
}
