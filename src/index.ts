/**
 * fp-ts-retry: typed, composable retry schedules for fp-ts `TaskEither`.
 *
 * The integrations have their own entries, one per module:
 * `import * as Decode from 'fp-ts-retry/decode'`,
 * `import * as Duration from 'fp-ts-retry/duration'`,
 * `import * as Grpc from 'fp-ts-retry/grpc'`,
 * `import * as Http from 'fp-ts-retry/http'`,
 * `import * as Otel from 'fp-ts-retry/otel'` (optional peer `@opentelemetry/api`),
 * `import * as Policy from 'fp-ts-retry/policy'`,
 * `import * as Redis from 'fp-ts-retry/redis'` (optional peer `redis`).
 *
 * @example
 * import { Schedule, Retry, TestClock, Random, Clock } from 'fp-ts-retry'
 *
 * @since 0.1.0
 */
export * as Budget from './Budget'
export * as Bulkhead from './Bulkhead'
export * as CircuitBreaker from './CircuitBreaker'
export * as Events from './Events'
export * as Clock from './Clock'
export * as Fallback from './Fallback'
export * as Hedge from './Hedge'
export * as Operation from './Operation'
export * as Random from './Random'
export * as RateLimit from './RateLimit'
export * as Repeat from './Repeat'
export * as Retry from './Retry'
export * as Schedule from './Schedule'
export * as TestClock from './TestClock'
export * as Timeout from './Timeout'
export * as Waiter from './Waiter'
