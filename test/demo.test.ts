/**
 * The demo (`npm start`) runs every scenario against its own local servers
 * and exits 0, telling the same seeded story on every run.
 */
import { execFile } from 'node:child_process'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'

const root = path.resolve(__dirname, '..')

/**
 * Runs the demo. A server left open keeps the process alive: the demo is then killed after 45 s and the
 * result says so (well before the test's own timeout, so the failure names the cause).
 */
const runDemo = (): Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join('examples', 'demo.ts')],
      { cwd: root, timeout: 45_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          stdout,
          stderr: error?.killed
            ? `${stderr}killed after 45 s: did the demo leave a server or a timer running?`
            : stderr,
        }),
    )
  })

describe('npm start (examples/demo.ts)', () => {
  it('runs all scenarios and exits 0 with the expected timeline', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await runDemo()
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const section = (n: number) => stdout.split('\n== ')[n] ?? ''

    // 1. flaky API: the seeded failures and jittered delays, then success
    expect(section(1)).toMatch(/#1 .*HttpError 503 Service Unavailable\s+retry in 98 ms/)
    expect(section(1)).toMatch(/#2 .*NetworkError UND_ERR_SOCKET .*retry in 185 ms/)
    expect(section(1)).toMatch(/#3 .*HttpError 500 Internal Server Error\s+retry in 426 ms/)
    expect(section(1)).toMatch(/outcome: success after 4 attempts/)
    // the call's span tree, recorded by the OpenTelemetry SDK from its events
    expect(section(1)).toMatch(/span tree of that call[\s\S]*attempt 4 .*ok/)

    // 2. rate limit: the server's hints win over the schedule's short delays
    expect(section(2)).toMatch(/HttpError 429 Too Many Requests, hint 1000 ms\s+retry in 1000 ms/)
    expect(section(2)).toMatch(/hint 300 ms\s+retry in 300 ms/)
    expect(section(2)).toMatch(/outcome: success after 3 attempts/)

    // 3. 401: one attempt, no retry
    expect(section(3)).toMatch(/#1 .*HttpError 401 Unauthorized\s+stop/)
    expect(section(3)).toMatch(/outcome: failed after 1 attempt in/)
    expect(section(3)).not.toMatch(/#2/)

    // 4. LLM through the real openai and anthropic clients: the 429's hint, decode errors fed back into the
    // prompt, a dropped connection that spends gpt's retries, then claude (overloaded once)
    expect(section(4)).toMatch(/#1 .*gpt: HttpError 429 Too Many Requests, hint 300 ms\s+retry in 300 ms/)
    expect(section(4)).toMatch(/#2 .*gpt: DecodeError invalid value: at \$\.age: expected number.*retry in 100 ms/)
    expect(section(4)).toMatch(/#3 .*gpt: DecodeError invalid JSON.*retry in 200 ms/)
    expect(section(4)).toMatch(/#4 .*gpt: NetworkError UND_ERR_SOCKET/)
    expect(section(4)).toMatch(/#5 .*claude: HttpError 529 Overloaded\s+retry in 50 ms/)
    expect(section(4)).toMatch(
      /prompt \+= "Your previous answer was rejected \(invalid value: at \$\.age: expected number/,
    )
    expect(section(4)).toMatch(/prompt \+= "Your previous answer was rejected \(invalid JSON/)
    expect(section(4)).toMatch(/outcome: success after 6 attempts in \d+ ms: Ada Lovelace, 36/)
    expect(section(4)).toMatch(
      /the model server saw 6 requests: gpt-4o-mini 4, claude-sonnet-4-5 2 \(SDK retries off\)/,
    )

    // 5. fallback: primary three times, backup, second backup
    expect(section(5).match(/primary: NetworkError ECONNREFUSED/g)).toHaveLength(3)
    expect(section(5)).toMatch(/#4 .*backup: HttpError 503/)
    expect(section(5)).toMatch(/#5 .*backup 2: ok 41.5/)

    // 6. deadline: gives up with the last typed error
    expect(section(6)).toMatch(/outcome: failed after \d+ attempts in \d+ ms: HttpError 503/)

    // 7. wrap once
    expect(section(7)).toMatch(/getUser\(3\) -> ok Barbara after 3 attempts/)

    // 8. polling a job: pending observations (a 404 just after the POST, a poll cut by its timeout) are not errors
    expect(section(8)).toMatch(/#1 .*GET \/jobs\/job-1: HttpError 404 Not Found\s+poll in 50 ms/)
    expect(section(8)).toMatch(/outcome: done after 5 polls in \d+ ms: 1200 rows at \/exports\/job-1\.csv/)
    expect(section(8)).toMatch(/outcome: failed after 3 polls in \d+ ms: JobFailed \(disk full\)/)
    expect(section(8)).toMatch(/GET \/jobs\/job-3: TimeoutError after 300 ms\s+poll in \d+ ms/)
    expect(section(8)).toMatch(/outcome: failed after \d+ polls in \d+ ms: WaitTimeout: running 6% after \d+ polls/)
    expect(stdout).toMatch(/all 8 scenarios done in \d+\.\d s/)

    // under 15 s: the seeded delays the demo sleeps are fixed, so their sum is checked, not the wall clock
    // (which a loaded CI machine stretches); what is left of the 15 s is headroom for the real I/O
    const slept = [...stdout.matchAll(/retry in (\d+) ms/g)].reduce((sum, m) => sum + Number(m[1]), 0)
    expect(slept).toBeGreaterThan(3500) // the timelines do show the retries' delays (scenario 6 varies: a real deadline)...
    expect(slept).toBeLessThan(8000) // ...and they leave more than 7 s of the 15 s for I/O
  })
})
