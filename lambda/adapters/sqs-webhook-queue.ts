import type { SendMessageBatchRequestEntry, SqsClient } from './aws/sqs';
import type { WebhookJob, WebhookQueue } from '../core/webhooks';

/** SendMessageBatch takes at most 10 entries. */
const BATCH_SIZE = 10;
/** Rounds of resending entries SQS failed on its side before giving up. */
const MAX_ROUNDS = 3;

/**
 * Puts webhook jobs on the webhook queue with SendMessageBatch, 10 at a time, chunks in parallel.
 * SendMessageBatch succeeds even when some entries fail, so failed entries are resent (those SQS
 * blames on itself, up to 3 rounds); whatever is left is thrown as one error naming every job, so
 * the caller's own retry can redo the fan-out (jobs are idempotent: deliveries dedupe on the
 * message's status).
 */
export class SqsWebhookQueue implements WebhookQueue {
  constructor(
    private readonly sqs: SqsClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(jobs: readonly WebhookJob[]): Promise<void> {
    const chunks: WebhookJob[][] = [];
    for (let i = 0; i < jobs.length; i += BATCH_SIZE) chunks.push(jobs.slice(i, i + BATCH_SIZE));
    const failures = (await Promise.all(chunks.map((chunk) => this.sendChunk(chunk)))).flat();
    if (failures.length > 0) {
      throw new Error(`SQS did not take ${failures.length} of ${jobs.length} webhook jobs: ${failures.join('; ')}`);
    }
  }

  /** Sends one chunk; returns a description of each job that could not be sent. */
  private async sendChunk(chunk: readonly WebhookJob[]): Promise<string[]> {
    let entries: SendMessageBatchRequestEntry[] = chunk.map((job, index) => ({ Id: String(index), MessageBody: JSON.stringify(job) }));
    const failures: string[] = [];
    for (let round = 1; entries.length > 0; round += 1) {
      const { Failed = [] } = await this.sqs.sendMessageBatch({ QueueUrl: this.queueUrl, Entries: entries });
      const retry: SendMessageBatchRequestEntry[] = [];
      for (const failed of Failed) {
        const entry = entries.find((e) => e.Id === failed.Id);
        if (!entry) continue;
        if (!failed.SenderFault && round < MAX_ROUNDS) retry.push(entry);
        else failures.push(`${entry.MessageBody} (${failed.Code}: ${failed.Message ?? 'no message'})`);
      }
      entries = retry;
    }
    return failures;
  }
}
