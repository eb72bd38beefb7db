import type { Principal } from './api-keys';
import { requireFullAccess } from './api-keys';
import type { LastEvent } from './email';
import { OutboxError } from './errors';
import { isUuid } from './ids';
import type { OutboundQueue } from './outbound';
import type { Clock } from './ports';
import { parseScheduledAt } from './schedule';

/** A scheduled email the due-time index says is due: its id and the index entry that said so. */
export interface DueEmail {
  readonly id: string;
  /** The index entry read (`<scheduledAt>#<id>`); a release only counts if it is still this. */
  readonly dueAt: string;
}

/** What a change to a scheduled email found: done, no such email, or an email past `scheduled`. */
export type ScheduleChange = { readonly ok: true } | { readonly ok: false; readonly lastEvent?: LastEvent };

/**
 * The scheduled emails in the emails table and their due-time index. Each method decides with one
 * conditional single-item write (or is one index query), so the API, the scheduler and the sender
 * can race safely: only an email whose `last_event` is still `scheduled` can be moved, canceled or
 * released.
 */
export interface ScheduleStore {
  /**
   * Moves a `scheduled` email to a new time (and its retention with it). Its content, wherever
   * the store keeps it, lasts at least as long as the email.
   */
  reschedule(id: string, scheduledAt: string, expiresAt: number): Promise<ScheduleChange>;
  /** `scheduled` -> `canceled`, leaving the due-time index: it will never be sent. */
  cancel(id: string): Promise<ScheduleChange>;
  /** Up to `limit` due-index entries due at `now` or earlier, oldest first; `cursor` pages on. */
  findDue(now: Date, limit: number, cursor?: string): Promise<{ due: DueEmail[]; cursor?: string }>;
  /**
   * `scheduled` -> `queued` if the index entry is still `dueAt` (not rescheduled, not canceled).
   * Also true for an email already `queued` under the same entry (a run that stopped before
   * enqueuing it), so it is enqueued again. False when the email moved on.
   */
  release(email: DueEmail): Promise<boolean>;
  /** Removes the email's due-index entry once it is on the outbound queue. */
  clearDue(email: DueEmail): Promise<void>;
}

export interface ScheduleDeps {
  readonly schedule: ScheduleStore;
  readonly clock: Clock;
  readonly retentionDays: number;
}

/**
 * `PATCH /emails/{id}` with `{ scheduled_at }`: moves a scheduled email to a new time.
 *
 * 1. Full-access keys only (as reading an email).
 * 2. Parse `scheduled_at` as on send (ISO 8601 with a zone, or "in N minutes"; future; <= 30 days).
 * 3. One conditional write: only while the email is still `scheduled`.
 *
 * Throws `not_found`, or a validation error (422) when the email is no longer scheduled.
 * Idempotent: moving it to the same time twice is the same as once.
 */
export async function rescheduleEmail(deps: ScheduleDeps, principal: Principal, id: string, body: unknown): Promise<{ object: 'email'; id: string }> {
  requireFullAccess(principal);
  const input = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  if (input?.scheduled_at === undefined || input.scheduled_at === null) {
    throw new OutboxError('missing_field', 'Missing `scheduled_at`: give the new time, such as "2026-08-05T11:52:01Z" or "in 10 minutes".');
  }
  const scheduledAt = parseScheduledAt(input.scheduled_at, deps.clock.now());
  if (!isUuid(id)) throw notFound(id);
  const change = await deps.schedule.reschedule(id, scheduledAt, retentionFrom(scheduledAt, deps.retentionDays));
  if (!change.ok) throw refusal(id, change.lastEvent, 'rescheduled');
  return { object: 'email', id };
}

/**
 * `POST /emails/{id}/cancel`: cancels a scheduled email; `last_event` becomes `canceled` and it is
 * never sent.
 *
 * 1. Full-access keys only.
 * 2. One conditional write: only while the email is still `scheduled`. A cancel racing the
 *    scheduler is safe: whichever write lands first wins, and the other finds the email moved on.
 *
 * Throws `not_found`, or a validation error (422) when the email already went (or was canceled).
 */
export async function cancelEmail(deps: Pick<ScheduleDeps, 'schedule'>, principal: Principal, id: string): Promise<{ object: 'email'; id: string }> {
  requireFullAccess(principal);
  if (!isUuid(id)) throw notFound(id);
  const change = await deps.schedule.cancel(id);
  if (!change.ok) throw refusal(id, change.lastEvent, 'canceled');
  return { object: 'email', id };
}

/** Epoch seconds at which a scheduled email's record may go: retention counts from its send time. */
export function retentionFrom(scheduledAt: string, retentionDays: number): number {
  return Math.floor(Date.parse(scheduledAt) / 1000) + retentionDays * 86_400;
}

function notFound(id: string): OutboxError {
  return new OutboxError('not_found', `Email ${id} not found.`);
}

function refusal(id: string, lastEvent: LastEvent | undefined, verb: 'rescheduled' | 'canceled'): OutboxError {
  if (lastEvent === undefined) return notFound(id);
  const why =
    lastEvent === 'canceled'
      ? 'it was canceled'
      : lastEvent === 'queued'
        ? 'it is already on its way (queued to send)'
        : `it has already been sent (last_event \`${lastEvent}\`)`;
  return new OutboxError('validation', `Email ${id} cannot be ${verb}: ${why}. Only an email whose last_event is \`scheduled\` can be ${verb}.`);
}

export interface SchedulerDeps {
  readonly schedule: ScheduleStore;
  readonly outbound: OutboundQueue;
  readonly clock: Clock;
  /** Reports a failure that the next run repairs. */
  readonly warn?: (message: string, error: unknown) => void;
}

export interface SchedulerOptions {
  /** Index entries read per page (and released at once). */
  readonly pageSize?: number;
  /** At most this many emails per run; the rest wait for the next run. */
  readonly maxPerRun?: number;
}

/** What one run did. */
export interface ReleaseSummary {
  /** Emails flipped to `queued` and put on the outbound queue. */
  readonly released: number;
  /** Index entries whose email had moved on (rescheduled, canceled, sent) in the meantime. */
  readonly skipped: number;
  /** True when the run stopped at maxPerRun with more possibly due. */
  readonly more: boolean;
}

/**
 * Puts every scheduled email that is due on the outbound queue (the scheduler Lambda, every minute;
 * locally every second).
 *
 * 1. Read the due-time index for entries due now or earlier, a page at a time, at most
 *    `maxPerRun` per run.
 * 2. Release each: `scheduled` -> `queued` with a conditional write on its index entry, so an email
 *    canceled or rescheduled a moment ago is skipped (its cancel or new time wins).
 * 3. Enqueue the released ids on the outbound queue; the sender sends `queued` emails.
 * 4. Only then remove their index entries.
 *
 * At least once: a run that stops between 2 and 4 leaves the entries in the index, and the next
 * run enqueues those emails again (still `queued`), so a due email is never stranded. The sender
 * sends only `queued` emails, so a repeated job sends nothing twice. Throws when the index or the
 * queue fails (the run is retried by the next tick).
 */
export async function releaseDueEmails(deps: SchedulerDeps, options: SchedulerOptions = {}): Promise<ReleaseSummary> {
  const pageSize = options.pageSize ?? 100;
  const maxPerRun = options.maxPerRun ?? 1_000;
  const now = deps.clock.now();
  let released = 0;
  let skipped = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.schedule.findDue(now, Math.min(pageSize, maxPerRun - released - skipped), cursor);
    cursor = page.cursor;
    const outcomes = await Promise.all(page.due.map(async (email) => ({ email, released: await deps.schedule.release(email) })));
    const ready = outcomes.filter((o) => o.released).map((o) => o.email);
    skipped += outcomes.length - ready.length;
    if (ready.length > 0) {
      await deps.outbound.enqueue(ready.map((email) => ({ emailId: email.id })));
      released += ready.length;
      const cleared = await Promise.allSettled(ready.map((email) => deps.schedule.clearDue(email)));
      cleared.forEach((result, index) => {
        // Harmless: the next run finds the entry, sees the email queued, and enqueues it again.
        if (result.status === 'rejected') deps.warn?.(`could not clear the due entry of email ${ready[index]!.id}`, result.reason);
      });
    }
  } while (cursor !== undefined && released + skipped < maxPerRun);
  return { released, skipped, more: cursor !== undefined };
}
