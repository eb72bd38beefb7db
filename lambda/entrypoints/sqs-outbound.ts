import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { OutboundJob, OutboundQueue } from '../core/outbound';
import { sendQueuedEmail, type OutboundOutcome, type OutboundRetry, type OutboundSenderDeps } from '../core/outbound-sender';
import { backoffSeconds } from '../core/send-rate';

export interface OutboundBatchDeps extends OutboundSenderDeps {
  readonly retry: OutboundRetry;
  /** Puts a job back as a new message when it has come round often or for long (see below). */
  readonly requeue?: OutboundQueue;
}

/**
 * A job handed back this many times is put on the queue again as a new message instead, so its
 * receive count starts over: waiting through a long SES pause or heavy throttling must never walk
 * a good email into the dead-letter queue (maxReceiveCount OUTBOUND_MAX_RECEIVE_COUNT).
 */
export const REQUEUE_AFTER_RECEIVES = 50;
/** Likewise for a job this old, so SQS's retention (at most 14 days) never drops it. */
export const REQUEUE_AFTER_AGE_MS = 3 * 86_400_000;
/** SQS's longest DelaySeconds, for a requeued job. */
const MAX_DELAY_SECONDS = 900;

/** What became of one record: the job's outcome, or `requeued` as a new message. */
export type OutboundRecordOutcome = OutboundOutcome | { readonly kind: 'requeued'; readonly retryAfterSeconds: number };

/**
 * The outbound queue consumer: each SQS record is an OutboundJob (one email), and its receive
 * count is the attempt number. Records are sent concurrently (pacing is the governor's job) and
 * settle alone:
 *
 * - sent, failed for good, or nothing to do: the record succeeds and Lambda deletes it;
 * - a retry (throttled, paused, waiting for a send slot, claimed by another sender, waiting for a
 *   Send event): the record's visibility is set to the delay and it is reported in
 *   `batchItemFailures`, so SQS hands it out again then; after REQUEUE_AFTER_RECEIVES receives, or
 *   REQUEUE_AFTER_AGE_MS, it is queued afresh and the old message deleted instead;
 * - the sender throws (the store failing): retried the same way with backoff;
 * - a malformed body: reported with the queue's own visibility timeout, so it reaches the DLQ after
 *   maxReceiveCount receives.
 */
export async function handleOutboundBatch(deps: OutboundBatchDeps, event: SQSEvent): Promise<SQSBatchResponse> {
  const results = await Promise.allSettled(event.Records.map((record) => processOutboundRecord(deps, record)));
  const batchItemFailures: { itemIdentifier: string }[] = [];
  results.forEach((result, index) => {
    const record = event.Records[index]!;
    if (result.status === 'rejected') {
      deps.log(`Outbound job ${record.messageId} failed`, result.reason);
      batchItemFailures.push({ itemIdentifier: record.messageId });
    } else if (result.value.kind === 'retry') {
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  });
  return { batchItemFailures };
}

/** Sends one record's email and, for a retry, sets when the queue hands it out again. */
export async function processOutboundRecord(deps: OutboundBatchDeps, record: SQSRecord): Promise<OutboundRecordOutcome> {
  const job = parseOutboundJob(record.body);
  const attempt = receiveCount(record);
  let outcome: OutboundOutcome;
  try {
    outcome = await sendQueuedEmail(deps, job, attempt);
  } catch (error) {
    deps.log(`Sending email ${job.emailId} failed; retrying later`, error);
    outcome = { kind: 'retry', reason: 'unavailable', retryAfterSeconds: backoffSeconds(attempt, deps.random) };
  }
  if (outcome.kind === 'done') return outcome;

  const age = Date.now() - Number(record.attributes.SentTimestamp);
  if (deps.requeue && (attempt >= REQUEUE_AFTER_RECEIVES || age >= REQUEUE_AFTER_AGE_MS)) {
    try {
      await deps.requeue.enqueue([job], Math.min(MAX_DELAY_SECONDS, outcome.retryAfterSeconds));
      return { kind: 'requeued', retryAfterSeconds: outcome.retryAfterSeconds };
    } catch (error) {
      deps.log(`Could not requeue email ${job.emailId}; it stays on its old message`, error);
    }
  }
  try {
    await deps.retry.retryAfter(record.receiptHandle, outcome.retryAfterSeconds);
  } catch (error) {
    deps.log(`Could not delay outbound job ${record.messageId} by ${outcome.retryAfterSeconds} s; it returns after the queue's visibility timeout`, error);
  }
  return outcome;
}

/** A queue body as an OutboundJob; throws on anything else. */
export function parseOutboundJob(body: string): OutboundJob {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new Error('Outbound job is not JSON', { cause: error });
  }
  const job = value as { emailId?: unknown } | null;
  if (typeof job !== 'object' || job === null || typeof job.emailId !== 'string' || job.emailId === '') {
    throw new Error(`Outbound job is not { emailId }: ${body.slice(0, 200)}`);
  }
  return { emailId: job.emailId };
}

/** SQS's ApproximateReceiveCount: 1 on the first delivery. */
function receiveCount(record: SQSRecord): number {
  const count = Number(record.attributes.ApproximateReceiveCount);
  return Number.isInteger(count) && count >= 1 ? count : 1;
}
