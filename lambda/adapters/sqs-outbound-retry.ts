import type { SqsClient } from './aws/sqs';
import type { OutboundRetry } from '../core/outbound-sender';
import { MAX_RETRY_DELAY_SECONDS } from './sqs-webhook-retry';

/**
 * Delays an outbound job's next delivery by changing its visibility timeout; the consumer reports
 * the job as a batch item failure, so Lambda leaves it on the queue and SQS hands it out again
 * after the delay (capped below SQS's 12-hour limit, as for webhook retries). 0 = at once.
 */
export class SqsOutboundRetry implements OutboundRetry {
  constructor(
    private readonly sqs: SqsClient,
    private readonly queueUrl: string,
  ) {}

  async retryAfter(receiptHandle: string, seconds: number): Promise<void> {
    const visibilityTimeout = Math.min(MAX_RETRY_DELAY_SECONDS, Math.max(0, Math.ceil(seconds)));
    await this.sqs.changeMessageVisibility({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: visibilityTimeout });
  }
}
