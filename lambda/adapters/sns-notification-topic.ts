import type { PublishBatchRequestEntry, SnsClient } from './aws/sns';
import type { NotificationPayload, NotificationTopic } from '../core/webhooks';

/** PublishBatch takes at most 10 messages, of at most 256 KiB together. */
const BATCH_ENTRIES = 10;
const BATCH_BYTES = 256 * 1024;

/**
 * Publishes notifications to the SNS notifications topic as JSON, with the type as a message
 * attribute so subscribers can filter (`{"type": ["email.bounced"]}`) without reading bodies.
 */
export class SnsNotificationTopic implements NotificationTopic {
  constructor(
    private readonly sns: SnsClient,
    private readonly topicArn: string,
  ) {}

  async publish(payload: NotificationPayload): Promise<void> {
    await this.sns.publish({ TopicArn: this.topicArn, ...message(payload) });
  }

  /**
   * PublishBatch, 10 messages (and at most 256 KiB) a request, requests in parallel. An entry SNS
   * refused, or a request that failed, is that payload's error; the others are published.
   */
  async publishBatch(payloads: readonly NotificationPayload[]): Promise<readonly (Error | undefined)[]> {
    const results: (Error | undefined)[] = payloads.map(() => undefined);
    await Promise.all(
      chunksOf(payloads).map(async (indexes) => {
        const entries: PublishBatchRequestEntry[] = indexes.map((index) => ({ Id: String(index), ...message(payloads[index]!) }));
        try {
          const { Failed = [] } = await this.sns.publishBatch({ TopicArn: this.topicArn, PublishBatchRequestEntries: entries });
          for (const failed of Failed) {
            const index = Number(failed.Id);
            results[index] = new Error(`SNS did not publish the ${payloads[index]?.type} notification: ${failed.Code}: ${failed.Message ?? 'no message'}`);
          }
        } catch (error) {
          for (const index of indexes) results[index] = error instanceof Error ? error : new Error(String(error));
        }
      }),
    );
    return results;
  }
}

function message(payload: NotificationPayload): Pick<PublishBatchRequestEntry, 'Subject' | 'Message' | 'MessageAttributes'> {
  return {
    Subject: payload.type,
    Message: JSON.stringify(payload),
    MessageAttributes: { type: { DataType: 'String', StringValue: payload.type } },
  };
}

/** The payloads' indexes in PublishBatch-sized groups, by count and by bytes. */
function chunksOf(payloads: readonly NotificationPayload[]): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  payloads.forEach((payload, index) => {
    const size = Buffer.byteLength(JSON.stringify(payload)) + payload.type.length * 2 + 64;
    if (current.length === BATCH_ENTRIES || (current.length > 0 && bytes + size > BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}
