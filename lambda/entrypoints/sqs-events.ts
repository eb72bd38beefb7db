import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { MalformedSesRecordError, parseSesNotification } from '../core/ses-events';
import { recordSesEvent, type TrackingDeps, type TrackingOutcome } from '../core/tracking';

export interface EventsDeps extends TrackingDeps {
  readonly log: (message: string, error?: unknown) => void;
}

/**
 * The events queue consumer: each SQS record is an SNS envelope of one SES notification. Records
 * are processed concurrently and each ends one of three ways, never in a thrown batch:
 * - processed: recorded (or found recorded before), and left out of `batchItemFailures`, so SQS
 *   deletes it;
 * - refused as malformed (not an SES notification, or beyond SES_RECORD_LIMITS): reported in
 *   `batchItemFailures` and logged, with the reason and the receive count, as one line each
 *   receive. Retrying cannot change the answer, but the queue's own redrive moves the message,
 *   as it came, to the dead-letter queue after maxReceiveCount receives, where the alarm sees it
 *   and a redrive replays it once the reason is dealt with. That costs a few parses (no store
 *   access) and needs no permission or write path beyond the queue's;
 * - failed (the store, the topic or anything unexpected): reported in `batchItemFailures`, so it
 *   is retried after the visibility timeout, and dead-lettered after maxReceiveCount receives.
 * The rest of the batch is done either way.
 */
export async function handleSesEventBatch(deps: EventsDeps, event: SQSEvent): Promise<SQSBatchResponse> {
  const records = Array.isArray(event?.Records) ? event.Records : [];
  const results = await Promise.allSettled(records.map(async (record) => processSesNotification(deps, record?.body)));
  const batchItemFailures: { itemIdentifier: string }[] = [];
  results.forEach((result, index) => {
    if (result.status === 'fulfilled') return;
    const record: Partial<SQSRecord> | undefined = records[index];
    // Lambda fails the whole batch for an identifier it cannot match, which is right for a record without one.
    const messageId = typeof record?.messageId === 'string' ? record.messageId : '';
    const receives = record?.attributes?.ApproximateReceiveCount;
    const at = receives ? ` (receive ${receives})` : '';
    const error: unknown = result.reason;
    safely(
      deps.log,
      error instanceof MalformedSesRecordError
        ? `SES event ${messageId} refused as malformed${at}; it moves to the dead-letter queue after its last receive`
        : `SES event ${messageId} failed${at}`,
      error,
    );
    batchItemFailures.push({ itemIdentifier: messageId });
  });
  return { batchItemFailures };
}

/**
 * Parses and records one notification (an SNS envelope or a bare SES record). Throws a
 * MalformedSesRecordError for one it cannot read, else what recording throws.
 */
export async function processSesNotification(deps: TrackingDeps, body: unknown): Promise<TrackingOutcome & { type: string; sesMessageId: string }> {
  const event = parseSesNotification(body);
  const outcome = await recordSesEvent(deps, event);
  return { ...outcome, type: event.type, sesMessageId: event.sesMessageId };
}

/** Logs without letting a failing logger fail the batch. */
function safely(log: EventsDeps['log'], message: string, error: unknown): void {
  try {
    log(message, error);
  } catch {
    // Nothing more can be said.
  }
}
