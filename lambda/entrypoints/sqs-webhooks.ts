import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { deliverWebhookMessage, type DeliveryOutcome, type WebhookDeliveryDeps, type WebhookRetry } from '../core/webhook-delivery';
import type { WebhookJob } from '../core/webhooks';

export interface WebhookBatchDeps extends WebhookDeliveryDeps {
  readonly retry: WebhookRetry;
}

/**
 * The webhook queue consumer: each SQS record is a WebhookJob, one message for one webhook, and
 * its receive count is the attempt number. Records are delivered concurrently and settle alone:
 *
 * - delivered, or nothing to do: the record succeeds and Lambda deletes it;
 * - a failed attempt with retries left: the record's visibility is set to the retry delay and it
 *   is reported in `batchItemFailures`, so SQS hands out the same body (the same `webhook-id`)
 *   again after the delay;
 * - the last attempt failed: visibility 0 and reported too. SQS moves a message to the DLQ when a
 *   receive would take its receive count past the redrive policy's maxReceiveCount, so with
 *   maxReceiveCount = WEBHOOK_MAX_ATTEMPTS the job is delivered exactly that many times and the
 *   receive after the last failure moves it to the DLQ at once instead of delivering it;
 * - a malformed body or a store failure: reported with the queue's own visibility timeout, so it
 *   is retried and, after maxReceiveCount receives, lands in the DLQ.
 *
 * A failure to change the visibility is logged and the record still reported: SQS then redelivers
 * it after the queue's visibility timeout, earlier than planned but still counted.
 */
export async function handleWebhookBatch(deps: WebhookBatchDeps, event: SQSEvent): Promise<SQSBatchResponse> {
  const results = await Promise.allSettled(event.Records.map((record) => processWebhookRecord(deps, record)));
  const batchItemFailures: { itemIdentifier: string }[] = [];
  results.forEach((result, index) => {
    const record = event.Records[index]!;
    if (result.status === 'rejected') {
      deps.log(`Webhook job ${record.messageId} failed`, result.reason);
      batchItemFailures.push({ itemIdentifier: record.messageId });
    } else if (result.value.kind !== 'done') {
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  });
  return { batchItemFailures };
}

/** Delivers one record's job and sets when the queue hands it out again. */
export async function processWebhookRecord(deps: WebhookBatchDeps, record: SQSRecord): Promise<DeliveryOutcome> {
  const job = parseWebhookJob(record.body);
  const outcome = await deliverWebhookMessage(deps, job, receiveCount(record));
  if (outcome.kind === 'done') return outcome;
  const delay = outcome.kind === 'retry' ? outcome.retryAfterSeconds : 0;
  try {
    await deps.retry.retryAfter(record.receiptHandle, delay);
  } catch (error) {
    deps.log(`Could not delay webhook job ${record.messageId} by ${delay} s; it returns after the queue's visibility timeout`, error);
  }
  return outcome;
}

/** A queue body as a WebhookJob; throws on anything else. */
export function parseWebhookJob(body: string): WebhookJob {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new Error('Webhook job is not JSON', { cause: error });
  }
  const job = value as Partial<Record<keyof WebhookJob, unknown>> | null;
  if (typeof job !== 'object' || job === null || typeof job.webhookId !== 'string' || typeof job.messageId !== 'string' || job.webhookId === '' || job.messageId === '') {
    throw new Error(`Webhook job is not { webhookId, messageId }: ${body.slice(0, 200)}`);
  }
  if (job.replay !== undefined) {
    const afterAttempts = (job.replay as { afterAttempts?: unknown } | null)?.afterAttempts;
    if (typeof afterAttempts !== 'number' || !Number.isInteger(afterAttempts) || afterAttempts < 0) {
      throw new Error(`Webhook job's replay is not { afterAttempts }: ${body.slice(0, 200)}`);
    }
    return { webhookId: job.webhookId, messageId: job.messageId, replay: { afterAttempts } };
  }
  if (job.message === undefined) return { webhookId: job.webhookId, messageId: job.messageId };
  const message = job.message as Partial<Record<keyof NonNullable<WebhookJob['message']>, unknown>> | null;
  if (typeof message !== 'object' || message === null || typeof message.type !== 'string' || typeof message.createdAt !== 'string' || typeof message.payload !== 'object' || message.payload === null) {
    throw new Error(`Webhook job's message is not { type, createdAt, payload }: ${body.slice(0, 200)}`);
  }
  // The job was built by the events path from a checked payload; its shape is trusted past this point.
  return { webhookId: job.webhookId, messageId: job.messageId, message: job.message as NonNullable<WebhookJob['message']> };
}

/** SQS's ApproximateReceiveCount: 1 on the first delivery. */
function receiveCount(record: SQSRecord): number {
  const count = Number(record.attributes.ApproximateReceiveCount);
  return Number.isInteger(count) && count >= 1 ? count : 1;
}
