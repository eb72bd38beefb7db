import type { ApiKeyRecord } from '../../lambda/core/api-keys';
import type { EmailDraft, EmailRecord } from '../../lambda/core/email';
import type { EmailPage, EmailPageRequest } from '../../lambda/core/email-list';
import type { ApiKeyStore, Clock, EmailDetails, EmailSender, EmailStore, SendContext } from '../../lambda/core/ports';
import { ORIGIN_RANK, type SuppressionList, type SuppressionOrigin, type SuppressionRecord } from '../../lambda/core/suppression';
import type { TimelineEntry } from '../../lambda/core/tracking';

/** In-memory fakes of the core's ports, for unit tests of the use cases. */
export class InMemoryEmailStore implements EmailStore {
  readonly emails = new Map<string, EmailRecord>();
  /** Each email's timeline, as the events path appends it. */
  readonly timelines = new Map<string, TimelineEntry[]>();

  async create(email: EmailRecord): Promise<void> {
    if (this.emails.has(email.id)) throw new Error(`duplicate ${email.id}`);
    this.emails.set(email.id, email);
  }

  async markSent(id: string, sesMessageId: string): Promise<void> {
    const email = this.emails.get(id);
    if (!email) throw new Error(`no email ${id}`);
    this.emails.set(id, { ...email, sesMessageId, lastEvent: email.lastEvent === 'queued' ? 'sent' : email.lastEvent });
  }

  async discard(id: string): Promise<void> {
    this.emails.delete(id);
  }

  async get(id: string): Promise<EmailDetails | undefined> {
    const email = this.emails.get(id);
    return email ? { email, events: this.timelines.get(id) ?? [] } : undefined;
  }

  /** Every email newest first, cut at the cursor; no retention or day walk. */
  async list(page: EmailPageRequest): Promise<EmailPage> {
    const newestFirst = [...this.emails.values()].sort((a, b) => b.id.localeCompare(a.id));
    const beyond = page.before
      ? newestFirst.filter((e) => e.id > page.before!).reverse()
      : newestFirst.filter((e) => page.after === undefined || e.id < page.after);
    const taken = beyond.slice(0, page.limit);
    if (page.before) taken.reverse();
    return { emails: taken.map((email) => ({ email, events: this.timelines.get(email.id) ?? [] })), hasMore: beyond.length > page.limit };
  }
}

export class RecordingSender implements EmailSender {
  readonly sent: { draft: EmailDraft; context: SendContext }[] = [];
  failWith?: Error;

  async send(draft: EmailDraft, context: SendContext): Promise<string> {
    if (this.failWith) throw this.failWith;
    this.sent.push({ draft, context });
    return `ses-${this.sent.length}`;
  }
}

export class InMemoryApiKeyStore implements ApiKeyStore {
  readonly keys = new Map<string, ApiKeyRecord>();

  async create(key: ApiKeyRecord): Promise<void> {
    this.keys.set(key.keyHash, key);
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    return this.keys.get(keyHash);
  }

  async list(): Promise<ApiKeyRecord[]> {
    return [...this.keys.values()];
  }

  async update(id: string, change: { readonly name: string }): Promise<boolean> {
    for (const [hash, key] of this.keys) {
      if (key.id === id) {
        this.keys.set(hash, { ...key, name: change.name });
        return true;
      }
    }
    return false;
  }

  /** Every touch asked for, written or not, so tests can count them. */
  readonly touches: { keyHash: string; usedAt: string }[] = [];
  /** Set to make touch fail. */
  touchFailure?: Error;

  async touch(keyHash: string, usedAt: string, staleBefore: string): Promise<void> {
    this.touches.push({ keyHash, usedAt });
    if (this.touchFailure) throw this.touchFailure;
    const key = this.keys.get(keyHash);
    if (key && (key.lastUsedAt === undefined || key.lastUsedAt <= staleBefore)) this.keys.set(keyHash, { ...key, lastUsedAt: usedAt });
  }

  async remove(id: string): Promise<boolean> {
    for (const [hash, key] of this.keys) {
      if (key.id === id) return this.keys.delete(hash);
    }
    return false;
  }
}

export function fixedClock(iso: string): Clock {
  return { now: () => new Date(iso) };
}

/** The suppression list in a map keyed by the lower-cased address, with the port's semantics. */
export class InMemorySuppressionList implements SuppressionList {
  readonly records = new Map<string, SuppressionRecord>();

  async add(record: SuppressionRecord): Promise<{ record: SuppressionRecord; created: boolean }> {
    const email = record.email.toLowerCase();
    const existing = this.records.get(email);
    if (existing && ORIGIN_RANK[record.origin] > ORIGIN_RANK[existing.origin]) {
      const raised = { ...existing, origin: record.origin, sourceId: record.sourceId, ...(record.reason !== undefined ? { reason: record.reason } : {}) };
      this.records.set(email, raised);
      return { record: raised, created: false };
    }
    if (existing) return { record: existing, created: false };
    const stored = { ...record, email };
    this.records.set(email, stored);
    return { record: stored, created: true };
  }

  async findMany(emails: readonly string[]): Promise<Map<string, SuppressionRecord>> {
    const found = new Map<string, SuppressionRecord>();
    for (const email of emails) {
      const record = this.records.get(email.toLowerCase());
      if (record) found.set(record.email, record);
    }
    return found;
  }

  async get(email: string): Promise<SuppressionRecord | undefined> {
    return this.records.get(email.toLowerCase());
  }

  async getById(id: string): Promise<SuppressionRecord | undefined> {
    return [...this.records.values()].find((record) => record.id === id);
  }

  async remove(email: string): Promise<boolean> {
    return this.records.delete(email.toLowerCase());
  }

  async list(options: { origin?: SuppressionOrigin; limit: number; after?: string }): Promise<{ records: SuppressionRecord[]; hasMore: boolean }> {
    const { origin, limit, after } = options;
    const matching = [...this.records.values()]
      .filter((record) => (origin === undefined || record.origin === origin) && (after === undefined || record.id < after))
      .sort((a, b) => (a.id < b.id ? 1 : -1));
    return { records: matching.slice(0, limit), hasMore: matching.length > limit };
  }
}

/** A clock that moves one millisecond each time it is read, so ids made in a row sort in order. */
export function tickingClock(iso: string): Clock {
  let ms = Date.parse(iso);
  return { now: () => new Date(ms++) };
}

// Webhooks. (Imports are hoisted; this block is appended so parallel work on the file stays apart.)
import type { HostResolver, WebhookAttempt, WebhookMessage, WebhookRecord, WebhookStore } from '../../lambda/core/webhooks';
import type { SendEmailDeps } from '../../lambda/core/send-email';

/** Webhooks and their delivery log in maps, with the WebhookStore port's semantics. */
export class InMemoryWebhookStore implements WebhookStore {
  readonly webhooks = new Map<string, WebhookRecord>();
  /** By webhook id, then message id. */
  readonly messages = new Map<string, Map<string, WebhookMessage>>();
  /** By message id, in the order recorded. */
  readonly attempts = new Map<string, WebhookAttempt[]>();

  async create(webhook: WebhookRecord): Promise<void> {
    if (this.webhooks.has(webhook.id)) throw new Error(`duplicate ${webhook.id}`);
    this.webhooks.set(webhook.id, webhook);
  }

  async get(id: string): Promise<WebhookRecord | undefined> {
    return this.webhooks.get(id);
  }

  async list(): Promise<WebhookRecord[]> {
    return [...this.webhooks.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async update(id: string, patch: Parameters<WebhookStore['update']>[1]): Promise<WebhookRecord | undefined> {
    const current = this.webhooks.get(id);
    if (!current) return undefined;
    const { disabledReason, ...rest } = patch;
    const { disabledReason: _previous, ...kept } = current;
    const reason = disabledReason === undefined ? current.disabledReason : (disabledReason ?? undefined);
    const updated: WebhookRecord = { ...kept, ...rest, ...(reason !== undefined ? { disabledReason: reason } : {}) };
    this.webhooks.set(id, updated);
    return updated;
  }

  async remove(id: string): Promise<boolean> {
    return this.webhooks.delete(id);
  }

  async putMessage(message: WebhookMessage): Promise<boolean> {
    return this.addMessage(message);
  }

  /** Expiry is not kept: a delivered message stays like any other. */
  async putDelivered(message: WebhookMessage, attempt: WebhookAttempt): Promise<boolean> {
    if (!this.addMessage(message)) return false;
    this.attempts.set(attempt.messageId, [...(this.attempts.get(attempt.messageId) ?? []), attempt]);
    return true;
  }

  async getMessage(webhookId: string, messageId: string): Promise<WebhookMessage | undefined> {
    return this.messages.get(webhookId)?.get(messageId);
  }

  async listMessages(webhookId: string, options: { limit: number; after?: string }): Promise<{ messages: WebhookMessage[]; hasMore: boolean }> {
    const { limit, after } = options;
    const newestFirst = [...(this.messages.get(webhookId)?.values() ?? [])]
      .filter((message) => after === undefined || message.id < after)
      .sort((a, b) => (a.id < b.id ? 1 : -1));
    return { messages: newestFirst.slice(0, limit), hasMore: newestFirst.length > limit };
  }

  async recordAttempt(webhookId: string, attempt: WebhookAttempt, outcome: Pick<WebhookMessage, 'status' | 'nextAttemptAt'>): Promise<void> {
    this.attempts.set(attempt.messageId, [...(this.attempts.get(attempt.messageId) ?? []), attempt]);
    const message = this.messages.get(webhookId)?.get(attempt.messageId);
    if (message && message.attempts <= attempt.attempt) {
      this.messages.get(webhookId)!.set(message.id, { ...message, ...outcome, attempts: attempt.attempt });
    }
  }

  async listAttempts(_webhookId: string, messageId: string): Promise<WebhookAttempt[]> {
    return [...(this.attempts.get(messageId) ?? [])].sort((a, b) => a.attempt - b.attempt);
  }

  private addMessage(message: WebhookMessage): boolean {
    const log = this.messages.get(message.webhookId) ?? new Map<string, WebhookMessage>();
    this.messages.set(message.webhookId, log);
    if (log.has(message.id)) return false;
    log.set(message.id, message);
    return true;
  }
}

/** DNS from a table: host name -> addresses. An unknown name fails as getaddrinfo does (ENOTFOUND). */
export class StaticHostResolver implements HostResolver {
  readonly asked: string[] = [];

  constructor(private readonly table: Readonly<Record<string, readonly string[]>> = {}) {}

  async resolve(hostname: string): Promise<string[]> {
    this.asked.push(hostname);
    const addresses = this.table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return [...addresses];
  }
}

/** What sendEmail and sendRawEmail need, all in memory: the store, a recording sender, an empty suppression list. */
export function inMemorySendDeps(): SendEmailDeps & { emails: InMemoryEmailStore; sender: RecordingSender; suppressions: InMemorySuppressionList } {
  return {
    emails: new InMemoryEmailStore(),
    sender: new RecordingSender(),
    suppressions: new InMemorySuppressionList(),
    clock: fixedClock('2026-11-28T10:00:00.000Z'),
    configurationSet: 'outbox',
    retentionDays: 90,
  };
}
