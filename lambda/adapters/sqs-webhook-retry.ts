import type { SqsClient } from './aws/sqs';
import type { WebhookRetry } from '../core/webhook-delivery';

/**
 * The longest retry delay applied: SQS allows a visibility timeout of at most 12 hours (43,200 s),
 * counted from when the message was received, and rejects (rather than trims) a longer one. The
 * consumer calls some seconds after the receive, and a Lambda runs at most 15 minutes, so 15 minutes
 * are kept in hand.
 */
export const MAX_RETRY_DELAY_SECONDS = 43_200 - 900;

/**
 * Delays a webhook job's next delivery by changing its visibility timeout: the consumer reports
 * the job as a batch item failure, so Lambda leaves it on the queue, and SQS hands it out again,
 * same body and so the same `webhook-id`, once the delay has passed. 0 makes it visible at once.
 */
export class SqsWebhookRetry implements WebhookRetry {
  constructor(
    private readonly sqs: SqsClient,
    private readonly queueUrl: string,
  ) {}

  async retryAfter(receiptHandle: string, seconds: number): Promise<void> {
    const visibilityTimeout = Math.min(MAX_RETRY_DELAY_SECONDS, Math.max(0, Math.round(seconds)));
    await this.sqs.changeMessageVisibility({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: visibilityTimeout });
  }
}
