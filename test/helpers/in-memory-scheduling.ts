import type { IdempotencyRecord, IdempotencyStore, StoredResponse } from '../../lambda/core/idempotency';
import type { OutboundJob, OutboundQueue } from '../../lambda/core/outbound';
import type { Clock } from '../../lambda/core/ports';
import { QUEUED_CHECK_DELAY_MS, type DueEmail, type ScheduleChange, type ScheduleStore } from '../../lambda/core/scheduler';
import type { InMemoryEmailStore } from './in-memory';
import type { InMemorySendClaims } from './in-memory-outbound';

/** Idempotency records in a map, with the DynamoDB adapter's conditions. */
export class InMemoryIdempotencyStore implements IdempotencyStore {
  readonly records = new Map<string, IdempotencyRecord & { owner?: string }>();
  claims = 0;

  async claim(key: string, record: Extract<IdempotencyRecord, { state: 'in_progress' }>, now: Date): Promise<boolean> {
    this.claims++;
    const existing = this.records.get(key);
    const free =
      !existing ||
      existing.expiresAt <= Math.floor(now.getTime() / 1000) ||
      (existing.state === 'in_progress' && existing.lockedUntil <= now.getTime());
    if (!free) return false;
    this.records.set(key, record);
    return true;
  }

  async find(key: string, now: Date): Promise<IdempotencyRecord | undefined> {
    const record = this.records.get(key);
    return record && record.expiresAt > Math.floor(now.getTime() / 1000) ? record : undefined;
  }

  async complete(key: string, owner: string, response: StoredResponse): Promise<boolean> {
    const record = this.records.get(key);
    if (record?.owner !== owner) return false;
    this.records.set(key, { state: 'done', fingerprint: record.fingerprint, expiresAt: record.expiresAt, response });
    return true;
  }

  async release(key: string, owner: string): Promise<void> {
    if (this.records.get(key)?.owner === owner) this.records.delete(key);
  }
}

/**
 * Scheduled emails and the check entries of queued ones over an InMemoryEmailStore's records,
 * with the DynamoDB adapters' conditions. A `scheduled` email with a `scheduledAt` is in the due
 * index at that time; a `queued` one at its check time (createdAt + the check delay, or where a
 * release or recheck moved it) until it is sent, failed or removed. With `claims`, findDue reports
 * their leases and releases as the index would.
 */
export class InMemoryScheduleStore implements ScheduleStore {
  /** Check entries a release or recheck moved, by email id. */
  private readonly moved = new Map<string, string>();
  private readonly checkDelayMs: number;
  private readonly claims: InMemorySendClaims | undefined;

  constructor(
    private readonly store: InMemoryEmailStore,
    private readonly clock: Clock,
    options: { checkDelayMs?: number; claims?: InMemorySendClaims } = {},
  ) {
    this.checkDelayMs = options.checkDelayMs ?? QUEUED_CHECK_DELAY_MS;
    this.claims = options.claims;
  }

  /** The email's current due-index entry, if it has one. */
  dueAtOf(id: string): string | undefined {
    const email = this.store.emails.get(id);
    if (email?.lastEvent === 'scheduled') return email.scheduledAt ? `${email.scheduledAt}#${id}` : undefined;
    if (email?.lastEvent !== 'queued' || email.sesMessageId !== undefined) return undefined;
    return this.moved.get(id) ?? `${new Date(Date.parse(email.createdAt) + this.checkDelayMs).toISOString()}#${id}`;
  }

  async reschedule(id: string, scheduledAt: string, expiresAt: number): Promise<ScheduleChange> {
    const email = this.live(id);
    if (email?.lastEvent !== 'scheduled') return { ok: false, ...(email ? { lastEvent: email.lastEvent } : {}) };
    this.store.emails.set(id, { ...email, scheduledAt, expiresAt });
    return { ok: true };
  }

  async cancel(id: string): Promise<ScheduleChange> {
    const email = this.live(id);
    if (email?.lastEvent !== 'scheduled') return { ok: false, ...(email ? { lastEvent: email.lastEvent } : {}) };
    this.store.emails.set(id, { ...email, lastEvent: 'canceled' });
    return { ok: true };
  }

  async findDue(until: Date, limit: number, cursor?: string, checksUntil?: Date): Promise<{ due: DueEmail[]; cursor?: string }> {
    const boundOf = (id: string) => `${(this.store.emails.get(id)?.lastEvent === 'queued' ? (checksUntil ?? until) : until).toISOString()}#\uffff`;
    const all = [...this.store.emails.keys()]
      .map((id) => ({ id, dueAt: this.dueAtOf(id) }))
      .filter((e): e is { id: string; dueAt: string } => e.dueAt !== undefined && e.dueAt <= boundOf(e.id) && (cursor === undefined || e.dueAt > cursor))
      .sort((a, b) => a.dueAt.localeCompare(b.dueAt))
      .map((e) => this.asIndexed(e.id, e.dueAt));
    const due = all.slice(0, limit);
    return all.length > limit ? { due, cursor: due.at(-1)!.dueAt } : { due };
  }

  async release(email: DueEmail, checkAt: Date): Promise<boolean> {
    const record = this.store.emails.get(email.id);
    if (!record || this.dueAtOf(email.id) !== email.dueAt || (record.lastEvent !== 'scheduled' && record.lastEvent !== 'queued')) return false;
    this.store.emails.set(email.id, { ...record, lastEvent: 'queued' });
    this.moved.set(email.id, `${checkAt.toISOString()}#${email.id}`);
    return true;
  }

  async recheck(email: DueEmail, checkAt: Date): Promise<boolean> {
    if (this.store.emails.get(email.id)?.lastEvent !== 'queued' || this.dueAtOf(email.id) !== email.dueAt) return false;
    this.moved.set(email.id, `${checkAt.toISOString()}#${email.id}`);
    return true;
  }

  /** An entry as the index projects it: the email's state, its lease and its last release. */
  private asIndexed(id: string, dueAt: string): DueEmail {
    const lease = this.claims?.leases.get(id);
    const releasedAt = this.claims?.released.get(id);
    return {
      id,
      dueAt,
      lastEvent: this.store.emails.get(id)!.lastEvent,
      ...(lease ? { claimUntil: lease.until } : {}),
      ...(releasedAt !== undefined ? { releasedAt } : {}),
    };
  }

  private live(id: string) {
    const email = this.store.emails.get(id);
    return email && email.expiresAt > this.clock.now().getTime() / 1000 ? email : undefined;
  }
}

/** Records what is enqueued; `failWith` makes the next enqueue throw. */
export class RecordingOutboundQueue implements OutboundQueue {
  readonly jobs: OutboundJob[] = [];
  failWith?: Error;

  async enqueue(jobs: readonly OutboundJob[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.jobs.push(...jobs);
  }
}
