import type { Clock } from '../core/ports';
import type { WebhookAttempt, WebhookMessage, WebhookRecord, WebhookStore } from '../core/webhooks';

/**
 * A WebhookStore whose `get` reads each webhook at most once per `ttlMs`: the delivery Lambda asks
 * for the webhook on every job, and webhooks change rarely. Everything else goes to the store.
 *
 * What a change made elsewhere (the API's PATCH or DELETE, another container) costs: for up to
 * `ttlMs` after it, a warm container still delivers to a disabled or deleted webhook, to its old
 * endpoint, signed with its old secret. A change made through this object (the delivery worker
 * disabling a webhook whose message failed every attempt) is seen by this container at once.
 * A failed read is not cached; 0 = always read.
 */
export class CachedWebhookStore implements WebhookStore {
  private readonly webhooks = new Map<string, { at: number; webhook: Promise<WebhookRecord | undefined> }>();

  constructor(
    private readonly store: WebhookStore,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  get(id: string): Promise<WebhookRecord | undefined> {
    const now = this.clock.now().getTime();
    const cached = this.webhooks.get(id);
    if (cached && now - cached.at < this.ttlMs) return cached.webhook;
    const webhook = this.store.get(id);
    // Expired entries are replaced, never swept: a container sees a handful of webhooks.
    const entry = { at: now, webhook };
    this.webhooks.set(id, entry);
    webhook.catch(() => {
      if (this.webhooks.get(id) === entry) this.webhooks.delete(id);
    });
    return webhook;
  }

  async update(id: string, patch: Parameters<WebhookStore['update']>[1]): Promise<WebhookRecord | undefined> {
    this.webhooks.delete(id);
    try {
      return await this.store.update(id, patch);
    } finally {
      // Also after the write: a read that raced it may have cached the old webhook.
      this.webhooks.delete(id);
    }
  }

  async remove(id: string): Promise<boolean> {
    try {
      return await this.store.remove(id);
    } finally {
      this.webhooks.delete(id);
    }
  }

  create(webhook: WebhookRecord): Promise<void> {
    return this.store.create(webhook);
  }

  list(): Promise<WebhookRecord[]> {
    return this.store.list();
  }

  putMessage(message: WebhookMessage): Promise<boolean> {
    return this.store.putMessage(message);
  }

  putDelivered(message: WebhookMessage, attempt: WebhookAttempt): Promise<boolean> {
    return this.store.putDelivered(message, attempt);
  }

  getMessage(webhookId: string, messageId: string): Promise<WebhookMessage | undefined> {
    return this.store.getMessage(webhookId, messageId);
  }

  listMessages(webhookId: string, options: { limit: number; after?: string }): Promise<{ messages: WebhookMessage[]; hasMore: boolean }> {
    return this.store.listMessages(webhookId, options);
  }

  recordAttempt(webhookId: string, attempt: WebhookAttempt, outcome: Pick<WebhookMessage, 'status' | 'nextAttemptAt'>): Promise<void> {
    return this.store.recordAttempt(webhookId, attempt, outcome);
  }

  listAttempts(webhookId: string, messageId: string): Promise<WebhookAttempt[]> {
    return this.store.listAttempts(webhookId, messageId);
  }
}
