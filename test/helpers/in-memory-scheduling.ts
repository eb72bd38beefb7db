import type { IdempotencyRecord, IdempotencyStore, StoredResponse } from '../../lambda/core/idempotency';
import type { OutboundJob, OutboundQueue } from '../../lambda/core/outbound';
import type { Clock } from '../../lambda/core/ports';
import type { DueEmail, ScheduleChange, ScheduleStore } from '../../lambda/core/scheduler';
import type { InMemoryEmailStore } from './in-memory';

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
 * Scheduled emails over an InMemoryEmailStore's records, with the DynamoDB adapter's conditions.
 * A `scheduled` email with a `scheduledAt` is in the due index until released, canceled or cleared.
 */
export class InMemoryScheduleStore implements ScheduleStore {
  /** Index entries removed (cleared or canceled). */
  private readonly removed = new Set<string>();
  /** Entries of emails released (and so no longer `scheduled`) but not yet cleared. */
  private readonly kept = new Map<string, string>();

  constructor(
    private readonly store: InMemoryEmailStore,
    private readonly clock: Clock,
  ) {}

  /** The email's current due-index entry, if it has one. */
  dueAtOf(id: string): string | undefined {
    if (this.removed.has(id)) return undefined;
    if (this.kept.has(id)) return this.kept.get(id);
    const email = this.store.emails.get(id);
    return email?.lastEvent === 'scheduled' && email.scheduledAt ? `${email.scheduledAt}#${id}` : undefined;
  }

  async reschedule(id: string, scheduledAt: string, expiresAt: number): Promise<ScheduleChange> {
    const email = this.live(id);
    if (email?.lastEvent !== 'scheduled') return { ok: false, ...(email ? { lastEvent: email.lastEvent } : {}) };
    this.store.emails.set(id, { ...email, scheduledAt, expiresAt });
    this.removed.delete(id);
    return { ok: true };
  }

  async cancel(id: string): Promise<ScheduleChange> {
    const email = this.live(id);
    if (email?.lastEvent !== 'scheduled') return { ok: false, ...(email ? { lastEvent: email.lastEvent } : {}) };
    this.store.emails.set(id, { ...email, lastEvent: 'canceled' });
    this.removed.add(id);
    return { ok: true };
  }

  async findDue(now: Date, limit: number, cursor?: string): Promise<{ due: DueEmail[]; cursor?: string }> {
    const bound = `${now.toISOString()}#\uffff`;
    const all = [...this.store.emails.keys()]
      .map((id) => ({ id, dueAt: this.dueAtOf(id) }))
      .filter((e): e is DueEmail => e.dueAt !== undefined && e.dueAt <= bound && (cursor === undefined || e.dueAt > cursor))
      .sort((a, b) => a.dueAt.localeCompare(b.dueAt));
    const due = all.slice(0, limit);
    return all.length > limit ? { due, cursor: due.at(-1)!.dueAt } : { due };
  }

  async release(email: DueEmail): Promise<boolean> {
    const record = this.store.emails.get(email.id);
    if (!record || this.dueAtOf(email.id) !== email.dueAt || (record.lastEvent !== 'scheduled' && record.lastEvent !== 'queued')) return false;
    this.kept.set(email.id, email.dueAt);
    this.store.emails.set(email.id, { ...record, lastEvent: 'queued' });
    return true;
  }

  async clearDue(email: DueEmail): Promise<void> {
    if (this.dueAtOf(email.id) !== email.dueAt) return;
    this.kept.delete(email.id);
    this.removed.add(email.id);
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
