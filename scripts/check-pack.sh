#!/usr/bin/env bash
# Packs the library and imports the tarball from a fresh ESM and a fresh CommonJS
# consumer, at run time and through the type declarations (module node16).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/.tmp/pack-check"
rm -rf "$work" && mkdir -p "$work"
tarball=$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)
cd "$work"
cat > package.json <<'JSON'
{ "name": "consumer", "private": true, "version": "0.0.0" }
JSON
npm install --silent --no-audit --no-fund --prefer-offline "./$tarball" fp-ts@2 io-ts@2 >/dev/null

cat > esm.mjs <<'JS'
import { pipe } from 'fp-ts/lib/function.js'
import { Schedule, Retry, TestClock, Random, Clock } from 'fp-ts-retry'
const delays = Schedule.simulate(pipe(Schedule.exponential(100), Schedule.intersect(Schedule.recurs(3))), [1, 2, 3, 4])
if (delays.join() !== '100,200,400') throw new Error(`ESM: unexpected delays ${delays}`)
const result = await Retry.retrying(Schedule.recurs(2))(async () => ({ _tag: 'Right', right: 1 }))()
if (result._tag !== 'Right' || typeof TestClock.make !== 'function' || typeof Random.seeded !== 'function' || !Clock.live) throw new Error('ESM: bad exports')
console.log('ESM consumer ok')
JS
cat > cjs.cjs <<'JS'
const { Schedule, Retry, TestClock, Random } = require('fp-ts-retry')
const delays = Schedule.simulate(Schedule.fibonacci(10), [1, 2, 3, 4])
if (delays.join() !== '10,10,20,30') throw new Error(`CJS: unexpected delays ${delays}`)
if (typeof Retry.retrying !== 'function' || typeof TestClock.make !== 'function' || typeof Random.seeded !== 'function') throw new Error('CJS: bad exports')
console.log('CommonJS consumer ok')
JS
cat > types.mts <<'TS'
import { Schedule, Retry } from 'fp-ts-retry'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
declare const action: TaskEither<{ readonly status: number }, string>
const retried: TaskEither<{ readonly status: number }, string> = Retry.retrying(Schedule.recurs(3))(action)
export { retried }
TS
cat > types.cts <<'TS'
import { Schedule } from 'fp-ts-retry'
export const policy: Schedule.Schedule<unknown, number> = Schedule.spaced(10)
TS
node esm.mjs
node cjs.cjs
"$root/node_modules/.bin/tsc" --noEmit --strict --module node16 --moduleResolution node16 --skipLibCheck false --types node --typeRoots "$root/node_modules/@types" types.mts types.cts
echo "Type declarations ok (ESM and CommonJS, module node16)"
