import type { NotificationPayload, NotificationTopic } from '../lambda/core/webhooks';

/** The SNS notifications topic in local mode: keeps the latest notifications for inspection. */
export class LocalNotificationTopic implements NotificationTopic {
  private readonly published: { publishedAt: string; payload: NotificationPayload }[] = [];

  constructor(private readonly keep = 1_000) {}

  async publish(payload: NotificationPayload): Promise<void> {
    this.keepPublished(payload);
  }

  /** As SNS PublishBatch: every payload published, none refused. */
  async publishBatch(payloads: readonly NotificationPayload[]): Promise<readonly (Error | undefined)[]> {
    for (const payload of payloads) this.keepPublished(payload);
    return payloads.map(() => undefined);
  }

  private keepPublished(payload: NotificationPayload): void {
    this.published.push({ publishedAt: new Date().toISOString(), payload });
    if (this.published.length > this.keep) this.published.splice(0, this.published.length - this.keep);
  }

  /** Newest first. */
  list(): readonly { publishedAt: string; payload: NotificationPayload }[] {
    return [...this.published].reverse();
  }
}
