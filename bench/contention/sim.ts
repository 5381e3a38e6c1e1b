/**
 * The contention experiment of the AWS Architecture Blog post "Exponential
 * Backoff And Jitter" (Marc Brooker, 2015), as a discrete-event simulation in
 * virtual time, driven by this library's real `Schedule` values.
 *
 * The model (see docs/performance.md for the reasoning):
 *
 * - One item on one server, with a version that starts at 0 and grows by one
 *   on each successful write.
 * - `clients` clients start at time 0. Each must write the item once with
 *   optimistic concurrency: it reads (learning the version), then sends a
 *   conditional write "only if the version is still the one I read". The
 *   write succeeds when no other write landed since the read was served, and
 *   that client is done. Otherwise it fails with a `Conflict`, the client
 *   steps its schedule with that error, sleeps the delay, then reads again and
 *   writes again, until its own write succeeds.
 * - Each network call (read or write) takes |Normal(10, 2)| ms round trip;
 *   the server acts on it atomically halfway through (request and response
 *   each take half).
 * - Work is the number of calls (reads + writes); the completion time is when
 *   the last client receives its successful write's response.
 *
 * Everything is deterministic for a given seed: network latencies and jitter
 * come from two `Random.seeded` streams, and simultaneous events run in the
 * order they were scheduled.
 */
import { pipe } from 'fp-ts/function'
import { Random, Schedule } from '../../src/index'

/** The error a conditional write fails with: another client wrote since this client's read. */
export interface Conflict {
  readonly _tag: 'Conflict'
  /** The version this client read. */
  readonly expected: number
  /** The version the server holds. */
  readonly actual: number
}

/** A backoff strategy of the experiment: a name and the schedule each client steps after a conflict. */
export interface Strategy {
  readonly key: string
  readonly name: string
  readonly schedule: Schedule.Schedule<Conflict, unknown>
}

/** The experiment's parameters: backoff base and cap, and the network latency distribution (ms). */
export interface Parameters {
  readonly base: number
  readonly cap: number
  readonly latencyMean: number
  readonly latencySd: number
}

/** The parameters of the AWS post: base 5 ms, cap 2 s, each call |Normal(10, 2)| ms. */
export const awsParameters: Parameters = { base: 5, cap: 2_000, latencyMean: 10, latencySd: 2 }

/** The five strategies of the experiment, each built from the library's real schedules. */
export const strategies = (p: Parameters = awsParameters): ReadonlyArray<Strategy> => {
  const capped = pipe(Schedule.exponential(p.base), Schedule.capDelay(p.cap))
  return [
    { key: 'none', name: 'No backoff', schedule: Schedule.forever },
    { key: 'exponential', name: 'Exponential (capped, no jitter)', schedule: capped },
    { key: 'full', name: 'Full jitter', schedule: pipe(capped, Schedule.fullJitter) },
    { key: 'equal', name: 'Equal jitter', schedule: pipe(capped, Schedule.equalJitter) },
    { key: 'decorrelated', name: 'Decorrelated jitter', schedule: Schedule.decorrelatedJitter(p.base, p.cap) },
  ]
}

/** What one simulated run measured. */
export interface RunResult {
  readonly clients: number
  /** Reads plus writes: the work the server did. */
  readonly calls: number
  readonly reads: number
  readonly writes: number
  /** Conditional writes that failed. */
  readonly conflicts: number
  /** Virtual ms until the last client received its successful write's response. */
  readonly completion: number
  /** Clients whose schedule ended before their write succeeded (0 with the experiment's never-ending schedules). */
  readonly gaveUp: number
}

type EventKind = 'sendRead' | 'serveRead' | 'readResponse' | 'serveWrite' | 'writeResponse'

interface Event {
  readonly time: number
  readonly seq: number
  readonly client: number
  readonly kind: EventKind
  /** For the server-side events: when the response reaches the client. */
  readonly respondAt: number
}

/** A binary min-heap of events by time, then by scheduling order. */
class EventQueue {
  private readonly heap: Array<Event> = []

  get size(): number {
    return this.heap.length
  }

  push(event: Event): void {
    const h = this.heap
    h.push(event)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(h[i]!, h[parent]!)) break
      ;[h[i], h[parent]] = [h[parent]!, h[i]!]
      i = parent
    }
  }

  pop(): Event | undefined {
    const h = this.heap
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last !== undefined) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && before(h[l]!, h[m]!)) m = l
        if (r < h.length && before(h[r]!, h[m]!)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m]!, h[i]!]
        i = m
      }
    }
    return top
  }
}

const before = (a: Event, b: Event): boolean => a.time < b.time || (a.time === b.time && a.seq < b.seq)

/** |Normal(mean, sd)| by the Box-Muller transform. */
const latencySource = (random: Random.Random, mean: number, sd: number) => () => {
  const u1 = 1 - random()
  const u2 = random()
  return Math.abs(mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2))
}

interface ClientState {
  scheduleState: unknown
  readVersion: number
  done: boolean
}

/** More reads than this per client means the run makes no progress (the experiment needs under 100). */
const MAX_READS_PER_CLIENT = 10_000

/**
 * Runs the experiment once: `clients` clients, each stepping `schedule` after
 * every conflict, with network latencies and jitter seeded by `seed`.
 */
export const run = (
  schedule: Schedule.Schedule<Conflict, unknown>,
  clients: number,
  seed: number,
  p: Parameters = awsParameters,
): RunResult => {
  const latency = latencySource(Random.seeded(seed), p.latencyMean, p.latencySd)
  const context = { elapsed: 0, random: Random.seeded(seed + 0x9e3779b9) }
  const queue = new EventQueue()
  const states: Array<ClientState> = Array.from({ length: clients }, () => ({
    scheduleState: schedule.initial,
    readVersion: -1,
    done: false,
  }))
  let seq = 0
  let version = 0
  let reads = 0
  let writes = 0
  let conflicts = 0
  let completion = 0
  let gaveUp = 0

  const at = (time: number, client: number, kind: EventKind, respondAt = time) =>
    queue.push({ time, seq: seq++, client, kind, respondAt })
  const call = (now: number, client: number, serve: EventKind) => {
    const l = latency()
    at(now + l / 2, client, serve, now + l)
  }

  for (let c = 0; c < clients; c++) at(0, c, 'sendRead')

  for (let event = queue.pop(); event !== undefined; event = queue.pop()) {
    const { time, client, kind } = event
    const state = states[client]!
    switch (kind) {
      case 'sendRead':
        reads++
        // a model that never lets writes through would loop forever: fail loudly instead
        if (reads > clients * MAX_READS_PER_CLIENT)
          throw new Error(`no progress: ${reads} reads for ${clients} clients (seed ${seed})`)
        call(time, client, 'serveRead')
        break
      case 'serveRead':
        state.readVersion = version
        at(event.respondAt, client, 'readResponse')
        break
      case 'readResponse':
        writes++
        call(time, client, 'serveWrite')
        break
      case 'serveWrite':
        if (version === state.readVersion) {
          version++
          state.done = true
        }
        at(event.respondAt, client, 'writeResponse')
        break
      case 'writeResponse': {
        if (state.done) {
          completion = Math.max(completion, time)
          break
        }
        conflicts++
        context.elapsed = time
        const error: Conflict = { _tag: 'Conflict', expected: state.readVersion, actual: version }
        const decision = schedule.step(state.scheduleState, error, context)
        if (decision._tag === 'Done') {
          gaveUp++
          break
        }
        state.scheduleState = decision.state
        at(time + Math.max(0, decision.delay), client, 'sendRead')
        break
      }
    }
  }
  return { clients, calls: reads + writes, reads, writes, conflicts, completion, gaveUp }
}

/** The mean of each measure over several seeds. */
export interface Averaged {
  readonly clients: number
  readonly seeds: number
  readonly calls: number
  readonly completion: number
}

/** Runs the experiment with seeds `1..seeds` and averages calls and completion time. */
export const average = (
  schedule: Schedule.Schedule<Conflict, unknown>,
  clients: number,
  seeds: number,
  p: Parameters = awsParameters,
): Averaged => {
  let calls = 0
  let completion = 0
  for (let seed = 1; seed <= seeds; seed++) {
    const r = run(schedule, clients, seed, p)
    calls += r.calls
    completion += r.completion
  }
  return { clients, seeds, calls: calls / seeds, completion: completion / seeds }
}
