import type { Principal } from './api-keys';
import { requireFullAccess } from './api-keys';
import type { LastEvent } from './email';
import { OutboxError } from './errors';
import { isUuid } from './ids';
import type { OutboundQueue } from './outbound';
import type { Clock } from './ports';
import { parseScheduledAt } from './schedule';
import { checkFields } from './send-request';
import { isObject } from './json-body';

/**
 * How long a `queued` email may wait before the sweep looks at it: a `queued` email carries a
 * check time in the due-time index, first `createdAt` + this (or, for one the api stored, the
 * moment the sweep finds it unsent this long after `createdAt`), and each look pushes it on by as
 * much again. Longer than anything a live job waits without a sender touching the email (the
 * Send-event grace after an uncertain attempt, 6 minutes with its lease; a throttling backoff,
 * 5 minutes), so a job that is merely waiting is seldom duplicated.
 */
export const QUEUED_CHECK_DELAY_MS = 10 * 60_000;

/**
 * An entry the due-time index says is due: a `scheduled` email at its time, or a `queued` email
 * at its check time. The state comes from the index, so it can lag the email by a moment; every
 * write that acts on an entry is conditioned on the entry itself.
 */
export interface DueEmail {
  readonly id: string;
  /** The index entry read (`<time>#<id>`); a release or recheck only counts if it is still this. */
  readonly dueAt: string;
  /** Where the email stood when the index was read: `scheduled`, `queued`, or (rarely) past both. */
  readonly lastEvent?: LastEvent;
  /** Epoch ms at which a sender's claim on it ends (see SendClaims); absent when none is held. */
  readonly claimUntil?: number;
  /** Epoch ms at which a sender last gave a claim back (it waits for a send slot or a retry). */
  readonly releasedAt?: number;
}

/** What a change to a scheduled email found: done, no such email, or an email past `scheduled`. */
export type ScheduleChange = { readonly ok: true } | { readonly ok: false; readonly lastEvent?: LastEvent };

/**
 * The scheduled emails in the emails table and their due-time index, which also holds the check
 * time of every `queued` email (see releaseDueEmails). Each method decides with one conditional
 * single-item write (or is one index query), so the API, the scheduler and the sender can race
 * safely: only an email whose `last_event` is still `scheduled` can be moved, canceled or
 * released, and only a still `queued` one rechecked.
 */
export interface ScheduleStore {
  /**
   * Moves a `scheduled` email to a new time (and its retention with it). Its content, wherever
   * the store keeps it, lasts at least as long as the email.
   */
  reschedule(id: string, scheduledAt: string, expiresAt: number): Promise<ScheduleChange>;
  /** `scheduled` -> `canceled`, leaving the due-time index: it will never be sent. */
  cancel(id: string): Promise<ScheduleChange>;
  /**
   * Up to `limit` index entries due at `until` or earlier; `cursor` pages on. `checksUntil`, when
   * given, bounds the queued emails' check entries instead (the scheduled ones stay at `until`).
   */
  findDue(until: Date, limit: number, cursor?: string, checksUntil?: Date): Promise<{ due: DueEmail[]; cursor?: string }>;
  /**
   * `scheduled` -> `queued` if the index entry is still `dueAt` (not rescheduled, not canceled,
   * not released by another run), moving the entry to the email's first check time `checkAt` in
   * the same write. (An email already `queued` under that very entry, left so by an earlier
   * version that cleared entries after enqueuing, only has its entry moved.) False when the email
   * moved on; an entry still on such an email is removed.
   */
  release(email: DueEmail, checkAt: Date): Promise<boolean>;
  /**
   * Moves a `queued` email's check entry from `dueAt` to `checkAt`. False when the entry moved
   * already (another run took it) or the email is no longer `queued`; an entry still on such an
   * email is removed.
   */
  recheck(email: DueEmail, checkAt: Date): Promise<boolean>;
  /**
   * The sweep of queued emails stored without a check entry (EmailStore.create with
   * `findByCreation`: sync sends, batches): the ids of the emails created after the sweep's position and at or before
   * `until` that are still `queued`, with no SES message ID and no check entry, looking at at most
   * `limit` emails, oldest first. `position` is where the next look goes on from (undefined when
   * nothing needs saving); `more` says the limit stopped it. A store without these methods gives
   * every `queued` email its check entry when it stores it.
   */
  findUnchecked?(until: Date, limit: number): Promise<{ ids: string[]; position?: string; more: boolean }>;
  /** Gives such an email a check entry at `checkAt` if it still is one (`queued`, unsent, no entry); false otherwise. */
  addCheckEntry?(id: string, checkAt: Date): Promise<boolean>;
  /** Saves the sweep's position (findUnchecked's), never moving it back. */
  saveUncheckedPosition?(position: string): Promise<void>;
}

export interface ScheduleDeps {
  readonly schedule: ScheduleStore;
  readonly clock: Clock;
  readonly retentionDays: number;
}

/** What `PATCH /emails/{id}` takes: the resend SDK's `emails.update` sends only this. */
export const RESCHEDULE_FIELDS = ['scheduled_at'] as const;

/**
 * `PATCH /emails/{id}` with `{ scheduled_at }`: moves a scheduled email to a new time.
 *
 * 1. Full-access keys only (as reading an email).
 * 2. Refuse any other field (checkFields), then parse `scheduled_at` as on send (ISO 8601 with a zone, or "in N minutes"; future; <= 30 days).
 * 3. One conditional write: only while the email is still `scheduled`.
 *
 * Throws `not_found`, or a validation error (422) when the email is no longer scheduled.
 * Idempotent: moving it to the same time twice is the same as once.
 */
export async function rescheduleEmail(deps: ScheduleDeps, principal: Principal, id: string, body: unknown): Promise<{ object: 'email'; id: string }> {
  requireFullAccess(principal);
  const input = isObject(body) ? body : undefined;
  if (input) {
    // As on send: a field PATCH does not take (`scheduledAt` sent raw, `status`) is named, not ignored.
    const problems: string[] = [];
    checkFields(input, RESCHEDULE_FIELDS, { prefix: '', noun: 'a reschedule' }, (_kind, message) => problems.push(message));
    if (problems.length > 0) throw new OutboxError('validation', problems.join(' '));
  }
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
  /** The sweep's delay (QUEUED_CHECK_DELAY_MS when absent); the email store's must match. */
  readonly checkDelayMs?: number;
}

export interface SchedulerOptions {
  /** Index entries read per page (and acted on at once). */
  readonly pageSize?: number;
  /** At most this many entries per run; the rest wait for the next run. */
  readonly maxPerRun?: number;
  /**
   * Treat every `queued` email as stalled, whatever its check time, claim or last release: for a
   * start after a crash, when no job of the previous process survives (local mode's in-process
   * queue). Check entries are read up to now + the check delay, exclusive: every email queued
   * before now has its check time within that, and the entries this run moves go to exactly now +
   * the delay, out of reach. Passes run for one start should share one clock reading, so that no
   * pass reads what an earlier one moved.
   */
  readonly everyQueued?: boolean;
}

/** What one run did. */
export interface ReleaseSummary {
  /** Scheduled emails flipped to `queued` and put on the outbound queue. */
  readonly released: number;
  /** Queued emails found stalled and put on the outbound queue again (the sweep). */
  readonly recovered: number;
  /** Queued emails a sender is at (a live claim, or a claim given back within the check delay): only checked again later. */
  readonly deferred: number;
  /** Entries whose email had moved on (rescheduled, canceled, sent) or that another run took. */
  readonly skipped: number;
  /** True when the run stopped at maxPerRun with more possibly due. */
  readonly more: boolean;
}

type EntryOutcome = 'released' | 'recovered' | 'deferred' | 'skipped';

/**
 * One scheduler run (the scheduler Lambda, every minute; locally every second): puts every
 * scheduled email that is due on the outbound queue, and sweeps up `queued` emails that nothing
 * is sending.
 *
 * 1. Read the due-time index for entries due now or earlier, a page at a time, at most
 *    `maxPerRun` per run.
 * 2. A `scheduled` email: release it, `scheduled` -> `queued`, with a conditional write on its
 *    index entry that also moves the entry to its first check time (now + the check delay), so
 *    an email canceled or rescheduled a moment ago is skipped (its cancel or new time wins), and
 *    of two runs only one releases it.
 * 3. A `queued` email (the sweep): every `queued` email carries a check time from the moment it
 *    is stored (or, stored by the api, from the moment it is found unsent, below), removed by the
 *    write that makes it `sent` or `failed`. Due means it has been queued for the check delay. Move its entry on by the delay (conditionally: of two runs,
 *    one wins). If a sender holds a live claim on it, or gave one back within the delay (it is
 *    waiting for a send slot), it is left to that job; otherwise it is stalled (an api that
 *    stored it and died before queuing it, a job dead-lettered, a local queue lost with its
 *    process) and goes on the outbound queue again.
 * 4. Enqueue the released and recovered ids; the sender sends `queued` emails, once: it claims
 *    each, and one that SES may already have taken waits for its Send event (sendQueuedEmail).
 *
 * Before step 1, emails the api stored `queued` (sync sends, batches): they are stored without a
 * check entry, since nearly all are sent within seconds. The store's findUnchecked walks the
 * emails created since its saved position and at least the check delay ago (every one, with
 * `everyQueued`); each still `queued`, unsent and without an entry (an api that died between
 * storing it and sending or queuing it, a job lost or dead-lettered, a job still waiting for a
 * send slot) gets a check entry due now, conditionally, and from there is swept as in step 3 (in
 * this run, or the next once the index shows the entry). The position is saved after those
 * writes, so a run that stops in between leaves them to be looked at again.
 *
 * Every entry's write lands before its job is queued, so a run that stops in between leaves the
 * email `queued` with a check entry, and a later run finds it at that time. A duplicate job is
 * harmless: the sender sends only a `queued` email it holds the claim on. Throws when the index
 * or the queue fails (the run is retried by the next tick).
 */
export async function releaseDueEmails(deps: SchedulerDeps, options: SchedulerOptions = {}): Promise<ReleaseSummary> {
  const pageSize = options.pageSize ?? 100;
  const maxPerRun = options.maxPerRun ?? 1_000;
  const delayMs = deps.checkDelayMs ?? QUEUED_CHECK_DELAY_MS;
  const now = deps.clock.now().getTime();
  const checkAt = new Date(now + delayMs);
  const counts: Record<EntryOutcome, number> = { released: 0, recovered: 0, deferred: 0, skipped: 0 };
  const uncheckedMore = await checkUnsentSyncSends(deps.schedule, { now, delayMs, limit: maxPerRun, everyQueued: options.everyQueued === true });
  let read = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.schedule.findDue(new Date(now), Math.min(pageSize, maxPerRun - read), cursor, options.everyQueued ? new Date(now + delayMs - 1) : undefined);
    cursor = page.cursor;
    read += page.due.length;
    const outcomes = await Promise.all(page.due.map(async (email) => ({ email, outcome: await settleEntry(deps, email, { now, delayMs, checkAt, everyQueued: options.everyQueued === true }) })));
    for (const { outcome } of outcomes) counts[outcome] += 1;
    const ready = outcomes.filter((o) => o.outcome === 'released' || o.outcome === 'recovered').map((o) => ({ emailId: o.email.id }));
    if (ready.length > 0) await deps.outbound.enqueue(ready);
  } while (cursor !== undefined && read < maxPerRun);
  return { released: counts.released, recovered: counts.recovered, deferred: counts.deferred, skipped: counts.skipped, more: cursor !== undefined || uncheckedMore };
}

/** The sync sends' part of a run (see releaseDueEmails): true when its limit stopped it. */
async function checkUnsentSyncSends(store: ScheduleStore, at: { now: number; delayMs: number; limit: number; everyQueued: boolean }): Promise<boolean> {
  if (!store.findUnchecked || !store.addCheckEntry || !store.saveUncheckedPosition) return false;
  const found = await store.findUnchecked(new Date(at.everyQueued ? at.now : at.now - at.delayMs), at.limit);
  const dueNow = new Date(at.now);
  await Promise.all(found.ids.map((id) => store.addCheckEntry!(id, dueNow)));
  if (found.position !== undefined) await store.saveUncheckedPosition(found.position);
  return found.more;
}

/** Decides one due entry (steps 2 and 3 of releaseDueEmails). */
async function settleEntry(
  deps: SchedulerDeps,
  email: DueEmail,
  at: { now: number; delayMs: number; checkAt: Date; everyQueued: boolean },
): Promise<EntryOutcome> {
  if (email.lastEvent === 'queued') {
    const busy = !at.everyQueued && ((email.claimUntil ?? 0) > at.now || (email.releasedAt ?? 0) > at.now - at.delayMs);
    if (!(await deps.schedule.recheck(email, at.checkAt))) return 'skipped';
    return busy ? 'deferred' : 'recovered';
  }
  return (await deps.schedule.release(email, at.checkAt)) ? 'released' : 'skipped';
}
