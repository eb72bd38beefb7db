import { releaseDueEmails } from '../lambda/core/scheduler';
import type { SchedulerTickDeps } from '../lambda/entrypoints/scheduler-tick';
import type { LocalQueue } from './local-queue';
import type { SesStandIn } from './ses-standin';

/**
 * Local mode's sweep delay: a `queued` email nothing has sent for this long goes back on the
 * outbound queue. Deployed it is ten minutes (QUEUED_CHECK_DELAY_MS); here, where the sender's
 * lease and Send-event grace are seconds (LOCAL_SENDER_SETTINGS), half a minute, so the sweep can
 * be watched. A restart on a data directory does not wait for it (recoverPreviousRun).
 */
export const LOCAL_QUEUED_CHECK_DELAY_MS = 30_000;

/**
 * The sender's claim lease and Send-event grace in local mode. Deployed they are a minute and five
 * minutes, sized for a Lambda's 30 s timeout and an events pipeline that may lag; here an attempt
 * takes at most the sender's 5 s wait for a send slot plus a loopback call, and the stand-in's
 * events arrive within about a second (and are published again after a restart). So an email a
 * killed process had claimed goes out, or is found sent, about 15 s after the claim, not 6 minutes.
 * A pause is looked at every 2 s instead of every minute, so emails queued during a pause go out
 * within seconds of POST /sending/resume.
 */
export const LOCAL_SENDER_SETTINGS = { leaseMs: 10_000, sendEventGraceMs: 5_000, pauseMs: 2_000 } as const;

/** What a start on a data directory found left over by the process before it. */
export interface RecoveredWork {
  /** SES event notifications the stand-in owed for messages it accepted, published again. */
  readonly notifications: number;
  /** Emails left `queued` (their jobs died with that process's in-process queue), queued again. */
  readonly emails: number;
}

export interface RecoveryParts {
  readonly ses: SesStandIn;
  readonly eventsQueue: LocalQueue;
  readonly scheduler: SchedulerTickDeps;
  /** The longest wait for the replayed notifications to be recorded before the sweep (default 10 s). */
  readonly settleMs?: number;
}

/**
 * Local mode at start, on a data directory, before it takes requests. The previous process may
 * have been killed (or stopped) with emails queued in memory and SES events not yet recorded:
 *
 * 1. The stand-in publishes the notifications it owes (its journal), and their events are recorded
 *    (waiting for the events queue, at most `settleMs`): an email SES took shows its Send event
 *    before anything looks at whether to send it.
 * 2. The sweep runs with `everyQueued`: every `queued` email goes back on the outbound queue, whatever
 *    its check time, since no job of the previous process survives. The sender sends each once:
 *    one with an SES event in its timeline is recorded sent, one a dead sender had claimed waits
 *    for the claim and the grace to run out (LOCAL_SENDER_SETTINGS).
 *
 * Scheduled emails that came due meanwhile are released as the scheduler's tick would.
 */
export async function recoverPreviousRun(parts: RecoveryParts): Promise<RecoveredWork> {
  const notifications = parts.ses.replayOwed();
  if (notifications > 0) await Promise.race([parts.eventsQueue.idle(), delay(parts.settleMs ?? 10_000)]);
  // One clock reading for every pass: an entry one pass moved is then out of every later pass's reach.
  const startedAt = parts.scheduler.clock.now();
  const scheduler = { ...parts.scheduler, clock: { now: () => startedAt } };
  let emails = 0;
  for (;;) {
    const pass = await releaseDueEmails(scheduler, { everyQueued: true });
    emails += pass.recovered;
    if (!pass.more) break;
  }
  return { notifications, emails };
}

/**
 * The graceful part of a stop, once the outbound queue has stopped taking jobs and its sends in
 * flight have finished: the stand-in's notifications for what it accepted come due (at most
 * `maxWaitMs`, they are due within a second), and the events queue records them, so the store is
 * as complete as it can be. Whatever is still left (queued emails, owed notifications) is found at
 * the next start on the same data directory.
 */
export async function settleBeforeStop(parts: Pick<RecoveryParts, 'ses' | 'eventsQueue'>, maxWaitMs = 3_000): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  await parts.ses.flushNotifications(maxWaitMs);
  await Promise.race([parts.eventsQueue.idle(), delay(Math.max(0, deadline - Date.now()))]);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
