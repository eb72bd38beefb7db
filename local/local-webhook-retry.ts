import type { WebhookRetry } from '../lambda/core/webhook-delivery';
import type { LocalQueue } from './local-queue';

/**
 * Local mode's compressed clock: real retry delays divided by 300 by default, so the schedule's
 * 5 s, 5 min and 30 min waits take about 17 ms, 1 s and 6 s (the first retries within seconds),
 * and the whole day of retries about 6 minutes.
 */
export const LOCAL_WEBHOOK_SPEEDUP = 300;

/** Delays a local webhook job the way SqsWebhookRetry does in AWS, on a compressed clock. */
export class LocalWebhookRetry implements WebhookRetry {
  constructor(
    private readonly queue: Pick<LocalQueue, 'changeVisibility'>,
    private readonly speedup: number = LOCAL_WEBHOOK_SPEEDUP,
  ) {
    if (!(speedup > 0)) throw new Error(`speedup must be a positive number; got ${speedup}`);
  }

  async retryAfter(receiptHandle: string, seconds: number): Promise<void> {
    this.queue.changeVisibility(receiptHandle, (Math.max(0, seconds) * 1000) / this.speedup);
  }
}
