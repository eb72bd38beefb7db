import { releaseDueEmails, type ReleaseSummary, type SchedulerDeps } from '../core/scheduler';

export interface SchedulerTickDeps extends SchedulerDeps {
  readonly log: (message: string, error?: unknown) => void;
}

/** How long one tick keeps releasing while more is due; the scheduler Lambda's timeout is 60 s. */
export const TICK_BUDGET_MS = 40_000;

/**
 * One scheduler tick (the EventBridge rule's every-minute invocation, or the local timer): runs
 * releaseDueEmails passes while a pass reports more due and the budget lasts, so a large batch of
 * emails due at one time goes out in this tick rather than 1,000 a minute. Throws when a pass
 * fails; the next tick repeats the work (every pass is complete and safe to overlap).
 */
export async function handleSchedulerTick(deps: SchedulerTickDeps, budgetMs = TICK_BUDGET_MS): Promise<ReleaseSummary> {
  const started = Date.now();
  let released = 0;
  let skipped = 0;
  let pass: ReleaseSummary;
  do {
    pass = await releaseDueEmails({ ...deps, warn: deps.log });
    released += pass.released;
    skipped += pass.skipped;
  } while (pass.more && Date.now() - started < budgetMs);
  return { released, skipped, more: pass.more };
}
