#!/usr/bin/env bash
# Packs the library (run `npm run build` first) and checks the tarball as its users meet it:
#  1. publint and @arethetypeswrong/cli: no problem in any resolution mode (node10, node16 CJS and ESM, bundler);
#  2. a consumer with fp-ts only (io-ts is an optional peer): the core loads from ESM and CommonJS and retries;
#  3. with the optional peers io-ts and @opentelemetry/api too (not redis: fp-ts-retry/redis calls the client it is
#     given and imports nothing from the package): every entry of the `exports` map loads from ESM and CommonJS, with
#     the same exports both ways, and passes its check, none of which needs a server;
#  4. the fixtures in test/consumer compile with `declaration: true` under module node16 (ESM and CJS) and bundler:
#     a consumer's compiler can name every inferred type, through the package's entry points.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/node_modules/.bin"
step() { printf '\n--> %s\n' "$*"; }

[ -f "$root/dist/index.js" ] || { echo "check-pack: no dist/; run 'npm run build' first" >&2; exit 1; }
# outside the repository, so that nothing resolves from its node_modules (io-ts, @types) by walking up
work=$(mktemp -d "${TMPDIR:-/tmp}/fp-ts-retry-pack.XXXXXX")
trap 'rm -rf "$work"' EXIT
tarball=$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)
cd "$work"

step "publint"
"$bin/publint" run --strict "./$tarball"

step "attw (node10, node16 from CJS, node16 from ESM, bundler)"
"$bin/attw" "./$tarball" --profile strict --format table-flipped --no-emoji --no-color

step "a consumer with fp-ts and no io-ts: the core entry"
cat > package.json <<'JSON'
{ "name": "consumer", "private": true, "version": "0.0.0", "type": "module" }
JSON
npm install --silent --no-audit --no-fund --prefer-offline "./$tarball" fp-ts@2 >/dev/null
if [ -d node_modules/io-ts ]; then echo "io-ts was installed, but it is an optional peer" >&2; exit 1; fi

cat > core.mjs <<'JS'
import { pipe } from 'fp-ts/lib/function.js'
import { Schedule, Retry, TestClock, Random, Clock } from 'fp-ts-retry'
const delays = Schedule.simulate(pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(3))), [1, 2, 3, 4])
if (delays.join() !== '100,200,400') throw new Error(`ESM: unexpected delays ${delays}`)
const clock = TestClock.make()
let calls = 0
const running = Retry.retrying(Schedule.spaced(1000), { clock })(async () =>
  ++calls < 3 ? { _tag: 'Left', left: 'boom' } : { _tag: 'Right', right: calls },
)()
await clock.adjust(2000)
const result = await running
if (result._tag !== 'Right' || result.right !== 3) throw new Error(`ESM: unexpected result ${JSON.stringify(result)}`)
if (typeof Random.seeded !== 'function' || !Clock.live) throw new Error('ESM: bad exports')
console.log('ESM core ok (without io-ts)')
JS
cat > core.cjs <<'JS'
const { Schedule, Retry, TestClock, Random } = require('fp-ts-retry')
const delays = Schedule.simulate(Schedule.fibonacci(10), [1, 2, 3, 4])
if (delays.join() !== '10,10,20,30') throw new Error(`CJS: unexpected delays ${delays}`)
if (typeof Retry.retrying !== 'function' || typeof TestClock.make !== 'function' || typeof Random.seeded !== 'function')
  throw new Error('CJS: bad exports')
console.log('CommonJS core ok (without io-ts)')
JS
node core.mjs && node core.cjs || {
  echo "The core entry must load without io-ts; if it still re-exports an integration, run scripts/split-core-entry.ts" >&2
  exit 1
}

step "with io-ts and @opentelemetry/api (no redis): every entry point, from ESM and from CommonJS"
npm install --silent --no-audit --no-fund --prefer-offline io-ts@2 @opentelemetry/api@1 >/dev/null
if [ -d node_modules/redis ]; then echo "redis was installed, but it is an optional peer" >&2; exit 1; fi
cat > entries.mjs <<'JS'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
const require = createRequire(import.meta.url)
const { exports } = JSON.parse(readFileSync('node_modules/fp-ts-retry/package.json', 'utf8'))
// An entry whose module the core entry re-exports must be that very module (one instance, shared). An integration
// must pass its check below; an integration without one fails here, so a new entry comes with its check.
const checks = {
  './decode': (m) => m.parseJson('{"a":1}')._tag === 'Right',
  './duration': (m) => m.parse('1.5s')._tag === 'Right' && m.parse('1.5s').right.millis === 1500,
  './grpc': (m) =>
    m.decode({
      maxAttempts: 3,
      initialBackoff: '0.1s',
      maxBackoff: '1s',
      backoffMultiplier: 2,
      retryableStatusCodes: ['UNAVAILABLE'],
    })._tag === 'Right',
  './http': (m) => m.isTransientStatus(503) && !m.isTransientStatus(404),
  './otel': (m) => typeof m.listener({ name: 'pack' }) === 'function',
  './policy': (m) => m.decode({ retries: 3, backoff: 'exponential', base: '100ms' })._tag === 'Right',
  './redis': (m) => {
    // no server and no redis package: a client that is not ready, so the budget goes on locally (failMode 'open')
    const client = { isReady: false, sendCommand: () => Promise.reject(new Error('no server')) }
    const budget = m.tokenBucket({ client, name: 'pack' })()
    const local = budget.tryRetry('503') && !budget.available()
    void budget.close()
    return local && m.isRedisUnavailable({ _tag: 'RedisUnavailable', reason: 'not-ready', cause: undefined })
  },
}
const names = (m) => Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule' && k !== 'module.exports').sort()
const core = { esm: await import('fp-ts-retry'), cjs: require('fp-ts-retry') }
const integrations = []
for (const [subpath, target] of Object.entries(exports)) {
  if (subpath === '.' || subpath === './package.json') continue
  const spec = `fp-ts-retry/${subpath.slice(2)}`
  const name = /(\w+)\.js$/.exec(target.import.default)[1]
  const esm = await import(spec)
  const cjs = require(spec)
  // a module of types only (Events) has no runtime exports; the core entry re-exports it, as checked below
  if (names(esm).length === 0 && !(name in core.esm)) throw new Error(`${spec}: no exports`)
  if (names(esm).join() !== names(cjs).join())
    throw new Error(`${spec}: ESM exports ${names(esm)} but CommonJS exports ${names(cjs)}`)
  if (name in core.esm) {
    if (core.esm[name] !== esm) throw new Error(`${spec}: not the module fp-ts-retry exports as ${name} (ESM)`)
    const differ = names(cjs).filter((k) => core.cjs[name][k] !== cjs[k])
    if (differ.length > 0) throw new Error(`${spec}: ${differ} differ from fp-ts-retry's ${name} (CommonJS)`)
  } else integrations.push(name)
  const check = checks[subpath]
  if (check === undefined && !(name in core.esm)) throw new Error(`${spec}: an integration with no check in check-pack.sh`)
  if (check !== undefined && !(check(esm) && check(cjs))) throw new Error(`${spec}: check failed`)
  console.log(`${spec}: ${names(esm).length} exports, ESM and CommonJS ok${name in core.esm ? `, = fp-ts-retry's ${name}` : ''}`)
}
console.log(`core entry: ${names(core.esm).join(', ')}`)
console.log(`integrations (own entry only): ${integrations.join(', ') || 'none (the core entry still re-exports them)'}`)
JS
node entries.mjs

step "declarations a consumer can name: declaration: true, module node16 (ESM + CJS) and bundler"
for f in "$root"/test/consumer/*.txt; do cp "$f" "$(basename "$f" .txt)"; done
cp "$root"/test/consumer/tsconfig.*.json .
for config in node16 bundler; do
  "$bin/tsc" -p "tsconfig.$config.json" --typeRoots "$root/node_modules/@types"
  # the emitted declarations name our types through the entry points, never through dist/ or a bundler's alias
  if grep -nE "fp-ts-retry/dist|[A-Za-z]_[A-Z][A-Za-z]+Error|\\\$[0-9]" "out/$config"/*.d.*ts; then
    echo "out/$config: a type named through an internal path or an alias" >&2
    exit 1
  fi
  echo "$config: $(ls "out/$config" | tr '\n' ' ')compiled"
done
# a type from a module the fixture does not import is named through that module's own entry
grep -q 'import("fp-ts-retry/operation").Env' out/node16/library.d.ts || {
  echo "out/node16/library.d.ts does not name Operation.Env through fp-ts-retry/operation" >&2
  exit 1
}
echo "Declarations ok; e.g. $(grep -o 'import("fp-ts-retry[^"]*")\.[A-Za-z.]*' out/node16/library.d.ts | sort -u | tr '\n' ' ')"
