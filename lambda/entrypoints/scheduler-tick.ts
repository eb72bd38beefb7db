import { releaseDueEmails, type ReleaseSummary, type SchedulerDeps, type SchedulerOptions } from '../core/scheduler';

export interface SchedulerTickDeps extends SchedulerDeps {
  readonly log: (message: string, error?: unknown) => void;
}

/** How long one tick keeps releasing while more is due; the scheduler Lambda's timeout is 60 s. */
export const TICK_BUDGET_MS = 40_000;

/**
 * One scheduler tick (the EventBridge rule's every-minute invocation, or the local timer): runs
 * releaseDueEmails passes while a pass reports more due and the budget lasts, so a large batch of
 * emails due at one time (or a large sweep) goes out in this tick rather than 1,000 a minute.
 * Throws when a pass fails; the next tick repeats the work (every pass is complete and safe to
 * overlap). `options` go to each pass (local mode's start-up sweep sets `everyQueued`).
 */
export async function handleSchedulerTick(deps: SchedulerTickDeps, budgetMs = TICK_BUDGET_MS, options: Omit<SchedulerOptions, 'maxPerRun'> = {}): Promise<ReleaseSummary> {
  const started = Date.now();
  const total = { released: 0, recovered: 0, deferred: 0, skipped: 0 };
  let pass: ReleaseSummary;
  do {
    pass = await releaseDueEmails(deps, options);
    total.released += pass.released;
    total.recovered += pass.recovered;
    total.deferred += pass.deferred;
    total.skipped += pass.skipped;
  } while (pass.more && Date.now() - started < budgetMs);
  if (total.recovered > 0) deps.log(`The sweep put ${total.recovered} stalled queued email(s) back on the outbound queue`);
  return { ...total, more: pass.more };
}
