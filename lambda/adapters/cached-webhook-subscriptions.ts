import type { WebhookSubscriptions } from '../core/notifications';
import type { Clock } from '../core/ports';
import type { WebhookEventType, WebhookRecord, WebhookStore } from '../core/webhooks';

/**
 * Which webhooks want which notifications, read from the store at most once per `ttlMs`: the events
 * Lambda asks for every event, and webhooks change rarely. A new or changed webhook takes effect
 * within `ttlMs` (0 = always read, as local mode does).
 */
export class CachedWebhookSubscriptions implements WebhookSubscriptions {
  private cached: { at: number; webhooks: Promise<WebhookRecord[]> } | undefined;

  constructor(
    private readonly store: WebhookStore,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  async subscribersOf(type: WebhookEventType): Promise<WebhookRecord[]> {
    const now = this.clock.now().getTime();
    if (!this.cached || now - this.cached.at >= this.ttlMs) {
      const webhooks = this.store.list();
      this.cached = { at: now, webhooks };
      // A failed read must not be cached.
      webhooks.catch(() => (this.cached = undefined));
    }
    const webhooks = await this.cached.webhooks;
    return webhooks.filter((w) => w.status === 'enabled' && (w.events === null || w.events.includes(type)));
  }
}
