/**
 * The Lua scripts behind the shared protections. Each runs atomically in
 * Redis, reads time from the server (`TIME`, so that the hosts' clocks never
 * disagree), and sets a TTL on every key it writes (`PX` / `PEXPIRE`), so
 * that an abandoned key disappears. Numbers go back as strings, to keep their
 * fractions (Redis turns a Lua number into an integer).
 *
 * @internal
 */
import { script } from './redis-link'

const NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
`

/**
 * Retry budget, token bucket. KEYS[1] the bucket; ARGV: ttl, capacity,
 * tokens given back (refunds, a returned lease), tokens wanted. Adds the
 * tokens given back (up to capacity), then leases up to `want`. Replies
 * `{ leased, left }`.
 *
 * @internal
 */
export const budgetLease = script(`
local ttl = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local give = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local tokens = tonumber(redis.call('GET', KEYS[1]) or capacity)
tokens = math.min(capacity, tokens + give)
local leased = math.max(0, math.min(want, tokens))
tokens = tokens - leased
redis.call('SET', KEYS[1], tostring(tokens), 'PX', ttl)
return { tostring(leased), tostring(tokens) }
`)

/**
 * Retry budget, gRPC throttle. KEYS[1] the tokens, in thousandths; ARGV:
 * ttl, max (thousandths), delta (thousandths: -1000 per failure, + ratio per
 * success). Replies the tokens after the delta, clamped to [0, max].
 *
 * @internal
 */
export const throttleSync = script(`
local ttl = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local delta = tonumber(ARGV[3])
local tokens = tonumber(redis.call('GET', KEYS[1]) or max)
tokens = math.max(0, math.min(max, tokens + delta))
redis.call('SET', KEYS[1], tostring(tokens), 'PX', ttl)
return tostring(tokens)
`)

/**
 * The breaker's state, shared: KEYS[1] a hash (state, generation, retryAt,
 * failures in a row, a sliding window counter, openings in a row, probe
 * successes, probe deadline), KEYS[2] the half-open probe's lease. Every
 * breaker script starts with ARGV[1] = ttl, ARGV[2] = the delays of the
 * openings in a row (comma separated; the last one repeats).
 */
const BREAKER = `${NOW_MS}
now = math.floor(now)
local ttl = tonumber(ARGV[1])
local delays = {}
for d in string.gmatch(ARGV[2], '[^,]+') do delays[#delays + 1] = tonumber(d) end
local v = redis.call('HMGET', KEYS[1], 'state', 'gen', 'retryAt', 'row', 'cc', 'cf', 'pc', 'pf', 'opens', 'ok', 'pd')
local state = v[1] or 'Closed'
local gen = tonumber(v[2]) or 0
local retryAt = tonumber(v[3]) or 0
local row = tonumber(v[4]) or 0
local cc = tonumber(v[5]) or 0
local cf = tonumber(v[6]) or 0
local pc = tonumber(v[7]) or 0
local pf = tonumber(v[8]) or 0
local opens = tonumber(v[9]) or 0
local ok = tonumber(v[10]) or 0
local pd = tonumber(v[11]) or 0
local function open()
  local delay = delays[math.min(opens + 1, #delays)] or 0
  state = 'Open'; gen = gen + 1; retryAt = now + delay; opens = opens + 1; ok = 0; pd = 0
  redis.call('DEL', KEYS[2])
end
local function close()
  state = 'Closed'; gen = gen + 1; row = 0; cc = 0; cf = 0; pc = 0; pf = 0; opens = 0; ok = 0; pd = 0
  redis.call('DEL', KEYS[2])
end
local function save(won)
  redis.call('HSET', KEYS[1], 'state', state, 'gen', gen, 'retryAt', retryAt, 'row', row, 'cc', cc, 'cf', cf,
    'pc', pc, 'pf', pf, 'opens', opens, 'ok', ok, 'pd', pd)
  redis.call('PEXPIRE', KEYS[1], ttl)
  return { state, tostring(gen), tostring(math.max(0, retryAt - now)), tostring(opens), tostring(won) }
end
`

/**
 * Flushes one process's outcomes of closed-state calls and reads the state.
 * ARGV[3..]: the generation they were admitted in, successes, failures,
 * failures after the last success (-1: no success), consecutive threshold
 * (0: off), window (0: off), minimum calls, failure-rate threshold. Outcomes
 * of another generation are dropped. The window is a sliding window counter:
 * the current `window` calls, plus the previous ones weighted by how much of
 * the window they still cover.
 *
 * @internal
 */
export const breakerSync = script(`${BREAKER}
local admitted = tonumber(ARGV[3])
local oks = tonumber(ARGV[4])
local fails = tonumber(ARGV[5])
local trailing = tonumber(ARGV[6])
local consecutive = tonumber(ARGV[7])
local window = tonumber(ARGV[8])
local minimum = tonumber(ARGV[9])
local threshold = tonumber(ARGV[10])
if state == 'Closed' and admitted == gen and oks + fails > 0 then
  if trailing >= 0 then row = trailing else row = row + fails end
  local tripped = consecutive > 0 and row >= consecutive
  if window > 0 then
    cc = cc + oks + fails
    cf = cf + fails
    if cc >= window then
      pf = cf * window / cc; pc = window; cc = 0; cf = 0
    end
    local weight = (window - cc) / window
    local calls = cc + pc * weight
    local failed = cf + pf * weight
    if calls > 0 and calls >= minimum and failed / calls >= threshold then tripped = true end
  end
  if fails > 0 and tripped then open() end
end
if state == 'HalfOpen' and pd > 0 and now >= pd and redis.call('EXISTS', KEYS[2]) == 0 then open() end
return save(0)
`)

/**
 * Contests the half-open probe. ARGV[3]: this process's id, ARGV[4]: the
 * probe lease (ms). An open breaker whose delay has passed becomes
 * half-open; a half-open one whose last probe's lease ran out unreported (its
 * holder died or hung) counts that probe as failed and opens again; else the
 * first `SET NX PX` on the lease wins the probe (reply's last element 1).
 *
 * @internal
 */
export const breakerProbe = script(`${BREAKER}
local won = 0
if state == 'Open' and now >= retryAt then
  state = 'HalfOpen'; gen = gen + 1; ok = 0; pd = 0
end
if state == 'HalfOpen' then
  if pd > 0 and now >= pd and redis.call('EXISTS', KEYS[2]) == 0 then
    open()
  elseif redis.call('SET', KEYS[2], ARGV[3] .. ':' .. gen, 'NX', 'PX', tonumber(ARGV[4])) then
    pd = now + tonumber(ARGV[4]); won = 1
  end
end
return save(won)
`)

/**
 * Reports the probe this process won. ARGV[3]: the lease's value
 * (`id:generation`), ARGV[4]: 1 success / 0 failure, ARGV[5]: successful
 * probes that close it. A report whose lease is gone (expired, or another
 * generation) changes nothing.
 *
 * @internal
 */
export const breakerReport = script(`${BREAKER}
if state == 'HalfOpen' and redis.call('GET', KEYS[2]) == ARGV[3] then
  if ARGV[4] == '1' then
    ok = ok + 1; pd = 0
    redis.call('DEL', KEYS[2])
    if ok >= tonumber(ARGV[5]) then close() end
  else
    open()
  end
end
return save(0)
`)

/**
 * Rate limit, token bucket. KEYS[1] a hash (tokens, last refill, held
 * until); ARGV: ttl, tokens per ms, burst, tokens wanted. Leases up to
 * `want` whole tokens; replies `{ leased, ms until the next token }`.
 *
 * @internal
 */
export const rateTake = script(`${NOW_MS}
local ttl = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local v = redis.call('HMGET', KEYS[1], 'tk', 'ts', 'hu')
local tokens = tonumber(v[1]) or burst
local last = tonumber(v[2]) or now
local held = tonumber(v[3]) or 0
local leased = 0
local wait = 0
if now < held then
  tokens = 0; last = held; wait = held - now + 1 / perMs
else
  local from = math.max(last, held)
  if now > from then tokens = math.min(burst, tokens + (now - from) * perMs) end
  last = now
  leased = math.max(0, math.min(want, math.floor(tokens + 1e-9)))
  tokens = math.max(0, tokens - leased)
  if tokens < 1 then wait = (1 - tokens) / perMs end
end
redis.call('HSET', KEYS[1], 'tk', tostring(tokens), 'ts', tostring(last), 'hu', tostring(held))
redis.call('PEXPIRE', KEYS[1], ttl)
return { tostring(leased), tostring(wait) }
`)

/**
 * Rate limit: holds every token for ARGV[2] ms (a `Retry-After` seen by one
 * process), then refills from empty. ARGV[1]: ttl.
 *
 * @internal
 */
export const rateHold = script(`${NOW_MS}
local ttl = tonumber(ARGV[1])
local until_ = now + tonumber(ARGV[2])
local held = tonumber(redis.call('HGET', KEYS[1], 'hu')) or 0
if until_ > held then held = until_ end
redis.call('HSET', KEYS[1], 'tk', '0', 'ts', tostring(held), 'hu', tostring(held))
redis.call('PEXPIRE', KEYS[1], ttl)
return tostring(held - now)
`)
