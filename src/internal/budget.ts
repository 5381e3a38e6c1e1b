/**
 * A retry budget's calls as the drivers make them (`Retry`, `Hedge`), each
 * guarded by the callback rule: a budget that throws is reported, and counts
 * as refusing (`tryRetry`) or as having done nothing (the records).
 *
 * @internal
 */
import type { Option } from 'fp-ts/Option'
import { guarded } from './report'

/** What the drivers call on a `Budget.Budget` (structurally: internal imports no public module). @internal */
export interface BudgetCalls {
  readonly recordSuccess: (lastError?: Option<unknown>) => void
  readonly recordFailure: (error: unknown) => void
  readonly tryRetry: (error: unknown) => boolean
  readonly tokens: () => number
}

/** Records a success; `lastError` tells whether it came after retries (the AWS bucket refunds the last one). @internal */
export const recordSuccess = (budget: BudgetCalls, lastError: Option<unknown>): void =>
  guarded((b: BudgetCalls) => b.recordSuccess(lastError), budget, undefined)

/** Records a failed attempt. @internal */
export const recordFailure = (budget: BudgetCalls, error: unknown): void =>
  guarded((b: BudgetCalls) => b.recordFailure(error), budget, undefined)

/** Whether the budget allows one more attempt after `error`; a throwing budget refuses. @internal */
export const tryRetry = (budget: BudgetCalls, error: unknown): boolean =>
  guarded((b: BudgetCalls) => b.tryRetry(error), budget, false)

/** The tokens left, or `NaN` when the budget throws. @internal */
export const tokensOf = (budget: BudgetCalls): number => guarded((b: BudgetCalls) => b.tokens(), budget, NaN)
