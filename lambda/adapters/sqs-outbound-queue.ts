import type { SendMessageBatchRequestEntry, SqsClient } from './aws/sqs';
import { OutboundEnqueueError, type OutboundJob, type OutboundQueue } from '../core/outbound';

/** SendMessageBatch takes at most 10 entries. */
const BATCH_SIZE = 10;
/** Rounds of resending entries SQS failed on its side before giving up. */
const MAX_ROUNDS = 3;
/** SQS's longest DelaySeconds. */
export const MAX_DELAY_SECONDS = 900;

/**
 * Puts outbound jobs (one email each) on the outbound queue with SendMessageBatch, 10 at a time,
 * chunks in parallel, each with DelaySeconds clamped to 0-900. Entries SQS failed on its side are
 * resent (up to 3 rounds); whatever is left is thrown as an OutboundEnqueueError naming those
 * emails, so the caller knows exactly which emails are not on the queue. A job queued twice is
 * harmless: the sender sends only a `queued` email, once.
 */
export class SqsOutboundQueue implements OutboundQueue {
  constructor(
    private readonly sqs: SqsClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(jobs: readonly OutboundJob[], delaySeconds = 0): Promise<void> {
    const delay = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds)));
    const chunks: OutboundJob[][] = [];
    for (let i = 0; i < jobs.length; i += BATCH_SIZE) chunks.push(jobs.slice(i, i + BATCH_SIZE));
    const results = await Promise.allSettled(chunks.map((chunk) => this.sendChunk(chunk, delay)));
    const notQueued: string[] = [];
    const reasons: string[] = [];
    results.forEach((result, index) => {
      if (result.status === 'fulfilled') {
        notQueued.push(...result.value.map((f) => f.emailId));
        reasons.push(...result.value.map((f) => `${f.emailId} (${f.reason})`));
      } else {
        notQueued.push(...chunks[index]!.map((job) => job.emailId));
        reasons.push(`${chunks[index]!.length} jobs (${result.reason instanceof Error ? result.reason.message : String(result.reason)})`);
      }
    });
    if (notQueued.length > 0) {
      throw new OutboundEnqueueError(notQueued, `SQS did not take ${notQueued.length} of ${jobs.length} outbound jobs: ${reasons.join('; ')}`);
    }
  }

  /** Sends one chunk; returns each job that could not be sent, with why. */
  private async sendChunk(chunk: readonly OutboundJob[], delaySeconds: number): Promise<{ emailId: string; reason: string }[]> {
    let entries: SendMessageBatchRequestEntry[] = chunk.map((job, index) => ({
      Id: String(index),
      MessageBody: JSON.stringify({ emailId: job.emailId }),
      ...(delaySeconds > 0 ? { DelaySeconds: delaySeconds } : {}),
    }));
    const failures: { emailId: string; reason: string }[] = [];
    for (let round = 1; entries.length > 0; round += 1) {
      const { Failed = [] } = await this.sqs.sendMessageBatch({ QueueUrl: this.queueUrl, Entries: entries });
      const retry: SendMessageBatchRequestEntry[] = [];
      for (const failed of Failed) {
        const entry = entries.find((e) => e.Id === failed.Id);
        if (!entry) continue;
        if (!failed.SenderFault && round < MAX_ROUNDS) retry.push(entry);
        else failures.push({ emailId: chunk[Number(entry.Id)]!.emailId, reason: `${failed.Code}: ${failed.Message ?? 'no message'}` });
      }
      entries = retry;
    }
    return failures;
  }
}
