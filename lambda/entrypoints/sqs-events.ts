import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { addTallies, countsOf, type DeliverabilityTally } from '../core/deliverability';
import { recordDeliverability, type DeliverabilityDeps } from '../core/reputation-guard';
import { MalformedSesRecordError, parseSesNotification } from '../core/ses-events';
import type { NotificationSlot } from '../core/notifications';
import { recordSesEvent, type TrackingDeps, type TrackingOutcome } from '../core/tracking';

export interface EventsDeps extends TrackingDeps {
  readonly log: (message: string, error?: unknown) => void;
  /** One slot per record of a batch, so the batch's notifications go out together; absent, each record notifies alone (`notify`). */
  readonly notifyBatch?: (records: number) => NotificationSlot[];
  /** The rolling deliverability counters and the reputation guard; absent (tests, tools), nothing is counted. */
  readonly deliverability?: DeliverabilityDeps;
}

/** One notification recorded: the tracking outcome, what it was, and what it adds to the counters. */
export type RecordedNotification = TrackingOutcome & { readonly type: string; readonly sesMessageId: string; readonly counts: DeliverabilityTally };

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
 * The rest of the batch is done either way. Then the batch is counted (recordSesNotifications).
 */
export async function handleSesEventBatch(deps: EventsDeps, event: SQSEvent): Promise<SQSBatchResponse> {
  const records = Array.isArray(event?.Records) ? event.Records : [];
  const results = await recordSesNotifications(
    deps,
    records.map((record: Partial<SQSRecord> | undefined) => record?.body),
  );
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
 * Records notifications concurrently (processSesNotification), then counts them once:
 * 1. Each body is parsed and recorded; each settles on its own. Their notifications go out
 *    together once every record has reached its notification or finished (notificationBatch).
 * 2. The counts of the events recorded for the first time are summed, so a redelivery or a replay
 *    of an event already recorded adds nothing, and written in one go, after which the guard
 *    looks at the rates (recordDeliverability). An event whose recording failed is not counted
 *    (its retry is, if it is then recorded for the first time).
 * A failure of step 2 is logged and does not fail any record: the events are recorded, and a
 * retry would not count them anyway. The one path for the events queue and the local replay.
 */
export async function recordSesNotifications(deps: EventsDeps, bodies: readonly unknown[]): Promise<PromiseSettledResult<RecordedNotification>[]> {
  const slots = deps.notify && deps.notifyBatch ? deps.notifyBatch(bodies.length) : undefined;
  const results = await Promise.allSettled(
    bodies.map(async (body, index) => {
      const slot = slots?.[index];
      try {
        return await processSesNotification(slot ? { ...deps, notify: slot.notify } : deps, body);
      } finally {
        slot?.done();
      }
    }),
  );
  if (deps.deliverability) {
    const firstTime = results.flatMap((result) => (result.status === 'fulfilled' && result.value.firstTime ? [result.value.counts] : []));
    try {
      await recordDeliverability(deps.deliverability, addTallies(firstTime));
    } catch (error) {
      safely(deps.log, `the deliverability counters or the reputation guard failed for a batch of ${bodies.length}; its events are recorded, not counted`, error);
    }
  }
  return results;
}

/**
 * Parses and records one notification (an SNS envelope or a bare SES record), and says what it
 * adds to the deliverability counters (countsOf), without counting it. Throws a
 * MalformedSesRecordError for one it cannot read, else what recording throws.
 */
export async function processSesNotification(deps: TrackingDeps, body: unknown): Promise<RecordedNotification> {
  const event = parseSesNotification(body);
  const outcome = await recordSesEvent(deps, event);
  return { ...outcome, type: event.type, sesMessageId: event.sesMessageId, counts: countsOf(event) };
}

/** Logs without letting a failing logger fail the batch. */
function safely(log: EventsDeps['log'], message: string, error: unknown): void {
  try {
    log(message, error);
  } catch {
    // Nothing more can be said.
  }
}
