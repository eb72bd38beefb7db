import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parseSesNotification } from '../core/ses-events';
import { recordSesEvent, type TrackingDeps, type TrackingOutcome } from '../core/tracking';

export interface EventsDeps extends TrackingDeps {
  readonly log: (message: string, error?: unknown) => void;
}

/**
 * The events queue consumer: each SQS record is an SNS envelope of one SES notification. Records
 * are processed concurrently and fail alone: a malformed or failing record is reported in
 * `batchItemFailures`, goes back to the queue and, after the queue's maxReceiveCount, to its DLQ,
 * while the rest of the batch is done.
 */
export async function handleSesEventBatch(deps: EventsDeps, event: SQSEvent): Promise<SQSBatchResponse> {
  const results = await Promise.allSettled(event.Records.map((record) => processSesNotification(deps, record.body)));
  const batchItemFailures: { itemIdentifier: string }[] = [];
  results.forEach((result, index) => {
    if (result.status === 'rejected') {
      const record = event.Records[index]!;
      deps.log(`SES event ${record.messageId} failed`, result.reason);
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  });
  return { batchItemFailures };
}

/** Parses and records one notification (an SNS envelope or a bare SES record). */
export async function processSesNotification(deps: TrackingDeps, body: unknown): Promise<TrackingOutcome & { type: string; sesMessageId: string }> {
  const event = parseSesNotification(body);
  const outcome = await recordSesEvent(deps, event);
  return { ...outcome, type: event.type, sesMessageId: event.sesMessageId };
}

