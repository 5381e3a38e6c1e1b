/**
 * fp-ts-retry: typed, composable retry schedules for fp-ts `TaskEither`.
 *
 * @example
 * import { Schedule, Retry, TestClock, Random, Clock } from 'fp-ts-retry'
 *
 * @since 0.1.0
 */
export * as Budget from './Budget'
export * as Bulkhead from './Bulkhead'
export * as CircuitBreaker from './CircuitBreaker'
export * as Clock from './Clock'
export * as Decode from './Decode'
export * as Duration from './Duration'
export * as Fallback from './Fallback'
export * as Grpc from './Grpc'
export * as Hedge from './Hedge'
export * as Http from './Http'
export * as Operation from './Operation'
export * as Policy from './Policy'
export * as Random from './Random'
export * as RateLimit from './RateLimit'
export * as Repeat from './Repeat'
export * as Retry from './Retry'
export * as Schedule from './Schedule'
export * as TestClock from './TestClock'
export * as Timeout from './Timeout'
export * as Waiter from './Waiter'
