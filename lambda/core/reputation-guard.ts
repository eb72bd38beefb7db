import {
  addTallies,
  countsView,
  decideGuard,
  deliverabilityReport,
  EMPTY_TALLY,
  GUARD_WINDOW,
  hourOf,
  isEmptyTally,
  percent,
  windowHours,
  type DeliverabilityCounts,
  type DeliverabilityReport,
  type DeliverabilityTally,
  type DeliverabilityWindow,
  type GuardDecision,
  type GuardRate,
  type GuardState,
  type GuardThresholds,
  type RateCrossing,
} from './deliverability';
import type { Notify } from './notifications';
import type { Clock } from './ports';
import type { PauseSource, SendingPause } from './send-rate';
import type { AccountNotificationPayload } from './webhooks';

/**
 * The rolling counters and the reputation guard over them: the ports, and the use cases the events
 * path (recordDeliverability) and GET /deliverability (reportDeliverability) run. The rules are in
 * deliverability.ts.
 */

/** The hourly deliverability buckets (hours as hourOf numbers them). */
export interface DeliverabilityCounters {
  /** Adds the tally to the hour's bucket in one write; returns the bucket as it is after it. */
  add(hour: number, tally: DeliverabilityTally): Promise<DeliverabilityTally>;
  /**
   * The buckets of `hours`, in their order; an hour never written is empty. Hours before `current`
   * are final (nothing writes to a past hour), so an adapter may answer them from a cache.
   */
  buckets(hours: readonly number[], current: number): Promise<DeliverabilityTally[]>;
}

/** What the guard remembers (GuardState), shared by every events container. */
export interface GuardMemory {
  /** The state and its version (0 before anything was written); may be a few seconds old. */
  read(): Promise<{ readonly state: GuardState; readonly version: number }>;
  /**
   * Stores `state` as version `version + 1` if the stored version is still `version`; false when
   * another container changed it first (the next read is then fresh).
   */
  replace(state: GuardState, version: number): Promise<boolean>;
}

/** Pauses Outbox's sending until a person resumes it (sending-control's pauseSending, bound). */
export type PauseSending = (request: { readonly reason: string; readonly by: PauseSource }) => Promise<{ readonly changed: boolean }>;

export interface DeliverabilityDeps {
  readonly counters: DeliverabilityCounters;
  readonly memory: GuardMemory;
  readonly thresholds: GuardThresholds;
  readonly clock: Clock;
  /** Sends `deliverability.warning` (SNS topic, webhooks); absent, warnings are only logged. */
  readonly notify?: Notify;
  /** Absent, a pause crossing is only logged (and remembered). */
  readonly pause?: PauseSending;
  readonly log: (message: string, error?: unknown) => void;
}

export interface DeliverabilityOutcome {
  /** The guard window's totals after this batch. */
  readonly totals: DeliverabilityCounts;
  /** Undefined when another container kept changing the guard's state (it acted instead). */
  readonly decision?: GuardDecision;
}

/**
 * Counts one events batch and lets the guard look at the result.
 *
 * 1. Nothing to count (opens, clicks, simulator traffic, redeliveries): nothing is done.
 * 2. Add the batch's tally to the current hour's bucket: one write, which answers the bucket.
 * 3. Sum the rest of the guard window (GUARD_WINDOW, 24 h): past hours, cached once read.
 * 4. Decide and act (guardReputation).
 * Throws what the counters or the guard's memory throw; the caller logs it and carries on, as the
 * events themselves are recorded. Not idempotent: the caller passes each event's tally once (the
 * first time the event is recorded).
 */
export async function recordDeliverability(deps: DeliverabilityDeps, tally: DeliverabilityTally): Promise<DeliverabilityOutcome | undefined> {
  if (isEmptyTally(tally)) return undefined;
  const now = deps.clock.now();
  const hour = hourOf(now);
  const current = await deps.counters.add(hour, tally);
  const past = await deps.counters.buckets(
    windowHours(GUARD_WINDOW, now).filter((h) => h !== hour),
    hour,
  );
  const totals = addTallies([current, ...past]).account;
  const decision = await guardReputation(deps, totals);
  return { totals, ...(decision ? { decision } : {}) };
}

/**
 * The guard's turn (see decideGuard for the rules):
 * 1. Read what it remembers and decide. Nothing changed: done, with no write.
 * 2. Store the new state conditionally, so of two containers that see the same crossing only one
 *    stores it, and only that one acts. If another got there first, read afresh and decide once
 *    more.
 * 3. Act: a `deliverability.warning` notification per rate that crossed its warn threshold, and
 *    one pauseSending call (by `guard`) for the rates that crossed their pause threshold. A failed
 *    notification is logged (the warning is not sent again); a failed pause is logged and its
 *    crossing forgotten, so the next batch tries again.
 */
export async function guardReputation(deps: DeliverabilityDeps, totals: DeliverabilityCounts): Promise<GuardDecision | undefined> {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const { state, version } = await deps.memory.read();
    const decision = decideGuard(totals, deps.thresholds, state);
    if (!decision.changed) return decision;
    if (!(await deps.memory.replace(decision.state, version))) continue;
    await act(deps, totals, decision, version + 1);
    return decision;
  }
  return undefined;
}

async function act(deps: DeliverabilityDeps, totals: DeliverabilityCounts, decision: GuardDecision, version: number): Promise<void> {
  const at = deps.clock.now().toISOString();
  for (const crossing of decision.warn) {
    const message = `The ${rateName(crossing.rate)} over the last ${WINDOW_LABEL[GUARD_WINDOW]} is ${percent(crossing.value)} (${partOf(crossing.rate, totals)} of ${totals.sent} sends), at or above the warning threshold of ${percent(crossing.threshold)}; Outbox pauses sending at ${percent(pauseThreshold(deps.thresholds, crossing.rate))}.`;
    const payload: AccountNotificationPayload = {
      type: 'deliverability.warning',
      created_at: at,
      data: {
        window: GUARD_WINDOW,
        rate: crossing.rate,
        value: crossing.value,
        threshold: crossing.threshold,
        pause_threshold: pauseThreshold(deps.thresholds, crossing.rate),
        ...countsView(totals),
        message,
      },
    };
    deps.log(`deliverability warning: ${message}`);
    if (!deps.notify) continue;
    try {
      // One key per crossing (the state's version), so each webhook gets one webhook-id for it.
      await deps.notify(payload, `deliverability.warning#${crossing.rate}#${version}`, at);
    } catch (error) {
      deps.log(`the deliverability warning for the ${rateName(crossing.rate)} could not be notified`, error);
    }
  }
  if (decision.pause.length === 0) return;
  const reason = pauseReason(decision.pause, totals);
  if (!deps.pause) {
    deps.log(`the reputation guard would pause sending, but has no way to: ${reason}`);
    return;
  }
  try {
    await deps.pause({ reason, by: 'guard' });
  } catch (error) {
    deps.log('the reputation guard could not pause sending; the next events batch tries again', error);
    const paused = { ...decision.state.paused };
    for (const crossing of decision.pause) paused[crossing.rate] = false;
    await deps.memory.replace({ ...decision.state, paused }, version).catch((rearm: unknown) => deps.log('the reputation guard could not re-arm its pause', rearm));
  }
}

/**
 * Why the guard paused sending, as GET /sending, the `sending.paused` notification and the 503 of
 * POST /emails quote it (heldPauseMessage adds who, when and how to resume).
 */
export function pauseReason(crossings: readonly RateCrossing[], totals: DeliverabilityCounts): string {
  const parts = crossings.map(
    (c) => `the ${rateName(c.rate)} over the last ${WINDOW_LABEL[GUARD_WINDOW]} is ${percent(c.value)} (${partOf(c.rate, totals)} of ${totals.sent} sends), at or above the reputation guard's pause threshold of ${percent(c.threshold)}`,
  );
  return parts.join('; ');
}

const WINDOW_LABEL: Readonly<Record<DeliverabilityWindow, string>> = { '24h': '24 hours', '7d': '7 days' };

function rateName(rate: GuardRate): string {
  return rate === 'bounce_rate' ? 'bounce rate' : 'complaint rate';
}

function partOf(rate: GuardRate, totals: DeliverabilityCounts): number {
  return rate === 'bounce_rate' ? totals.bounced : totals.complained;
}

function pauseThreshold(thresholds: GuardThresholds, rate: GuardRate): number {
  return rate === 'bounce_rate' ? thresholds.pauseBounceRate : thresholds.pauseComplaintRate;
}

export interface DeliverabilityReportDeps {
  readonly counters: DeliverabilityCounters;
  /** Outbox's pause: `paused` while a held pause stands. */
  readonly pause: SendingPause;
  readonly thresholds: GuardThresholds;
  readonly clock: Clock;
}

/** GET /deliverability: the window's counts and rates, per domain and per hour too, and the status. Reads only. */
export async function reportDeliverability(deps: DeliverabilityReportDeps, window: DeliverabilityWindow): Promise<DeliverabilityReport> {
  const now = deps.clock.now();
  const hours = windowHours(window, now);
  const [tallies, pause] = await Promise.all([deps.counters.buckets(hours, hourOf(now)), deps.pause.read()]);
  const buckets = hours.map((hour, i) => ({ hour, tally: tallies[i] ?? EMPTY_TALLY }));
  return deliverabilityReport(window, buckets, deps.thresholds, pause?.held !== undefined);
}
