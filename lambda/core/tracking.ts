import { normalizeAddress } from './addresses';
import type { EmailRecord } from './email';
import { uuidv7 } from './ids';
import type { Clock } from './ports';
import { isAutoResponse, type SesEvent, type SesEventDetail } from './ses-events';
import type { SuppressionList, SuppressionOrigin } from './suppression';
import { toNotificationPayload } from './notifications';
import type { NotificationPayload } from './webhooks';

/** One entry of an email's timeline. */
export interface TimelineEntry {
  readonly eventKey: string;
  readonly type: SesEvent['type'];
  readonly occurredAt: string;
  readonly recipients: readonly string[];
  readonly sesMessageId: string;
  readonly snsMessageId?: string;
  readonly detail: SesEventDetail;
}

/** What the events path may need of an email it found by its SES message ID: no content. */
export type TrackedEmail = Pick<EmailRecord, 'id' | 'createdAt' | 'from' | 'to' | 'subject' | 'tags'>;

/**
 * Where SES events are recorded: an append-only timeline per owner. The owner is the Outbox email
 * id, or `ses#<SES message ID>` for mail Outbox did not send (SMTP, console), so those events are
 * kept too. Nothing here updates an email: its state is folded from the timeline on read.
 */
export interface TrackingStore {
  /** The email SES accepted as this message, by the SES message ID (set once the send is recorded). */
  findEmail(sesMessageId: string): Promise<TrackedEmail | undefined>;
  /** Adds the entry to the owner's timeline; false when it is already there. */
  appendEvent(owner: string, entry: TimelineEntry): Promise<boolean>;
}

/** Soft bounces per address, for the repeated-soft-bounce rule. */
export interface SoftBounceCounter {
  /** Records one soft bounce (idempotent on `bounceKey`) and returns how many fall in the window. */
  record(address: string, bounceKey: string, at: Date, windowDays: number): Promise<number>;
}

export interface SoftBouncePolicy {
  /** This many Transient bounces within the window suppress the address. */
  readonly limit: number;
  readonly windowDays: number;
}

export interface TrackingDeps {
  readonly tracking: TrackingStore;
  readonly suppressions: SuppressionList;
  readonly softBounces: SoftBounceCounter;
  readonly softBouncePolicy: SoftBouncePolicy;
  readonly clock: Clock;
  /** Forwards the event to the sender (SNS topic, webhooks); absent where nothing listens. */
  readonly notify?: (payload: NotificationPayload, eventKey: string) => Promise<void>;
}

export interface TrackingOutcome {
  /** The Outbox email, when the message was sent through Outbox. */
  readonly emailId?: string;
  /** False when this event was recorded before (a redelivery or a replay). */
  readonly firstTime: boolean;
  readonly suppressed: readonly { email: string; origin: SuppressionOrigin }[];
}

/**
 * Records one SES event.
 *
 * 1. Find its owner: Outbox's email id from the `outbox-message-id` tag, taken as it is (no read);
 *    without the tag (identity feedback notifications carry none, nor mail sent before the tag),
 *    the email whose SES message ID it is; otherwise `ses#<SES message ID>`.
 * 2. Append the event to the owner's timeline (once: the key is stable across redeliveries). This
 *    is the only write for the email: recipient statuses and `last_event` are folded from the
 *    timeline when the email is read (foldEmailState), so events may come late, twice or in any
 *    order.
 * 3. Apply the suppression policy: Permanent bounces and complaints (except `not-spam`)
 *    suppress; Transient bounces suppress after `limit` within `windowDays`; Undetermined bounces
 *    and auto-responses never do; mailbox-simulator addresses never enter the list.
 * 4. Forward it to the sender as a notification (SNS topic and webhooks), described from SES's
 *    own `mail` object, or from the email found in step 1.
 *
 * Idempotent: step 2 rewrites the same item under the event's own key, and step 3 is made of
 * conditional or set-based writes, so a retry after a crash at any point completes the work
 * without doing any of it twice. On the common path (tagged, no
 * suppression) the whole of it is one DynamoDB write.
 */
export async function recordSesEvent(deps: TrackingDeps, event: SesEvent): Promise<TrackingOutcome> {
  const found = event.outboxId === undefined ? await deps.tracking.findEmail(event.sesMessageId) : undefined;
  const emailId = event.outboxId ?? found?.id;
  const firstTime = await deps.tracking.appendEvent(emailId ?? `ses#${event.sesMessageId}`, {
    eventKey: event.eventKey,
    type: event.type,
    occurredAt: event.occurredAt,
    recipients: event.recipients,
    sesMessageId: event.sesMessageId,
    ...(event.snsMessageId ? { snsMessageId: event.snsMessageId } : {}),
    detail: event.detail,
  });

  const suppressed = await applySuppressionPolicy(deps, event, emailId ?? event.sesMessageId);
  const payload = deps.notify ? toNotificationPayload(event, emailId, found) : undefined;
  if (payload) await deps.notify!(payload, event.eventKey);
  return { ...(emailId ? { emailId } : {}), firstTime, suppressed };
}

/** The SES mailbox simulator's domain: its addresses test outcomes and are never suppressed. */
export function isMailboxSimulator(address: string): boolean {
  return normalizeAddress(address).endsWith('@simulator.amazonses.com');
}

async function applySuppressionPolicy(deps: TrackingDeps, event: SesEvent, sourceId: string): Promise<{ email: string; origin: SuppressionOrigin }[]> {
  const detail = event.detail;
  const candidates: { email: string; origin: SuppressionOrigin; reason: string }[] = [];
  if (detail.kind === 'Bounce' && detail.bounceType === 'Permanent') {
    for (const r of detail.bouncedRecipients) {
      candidates.push({ email: r.emailAddress, origin: 'bounce', reason: `Permanent/${detail.bounceSubType} bounce${r.diagnosticCode ? `: ${r.diagnosticCode}` : ''}` });
    }
  } else if (detail.kind === 'Complaint' && detail.complaintFeedbackType !== 'not-spam') {
    for (const address of event.recipients) {
      candidates.push({ email: address, origin: 'complaint', reason: `Complaint${detail.complaintFeedbackType ? ` (${detail.complaintFeedbackType})` : ''}` });
    }
  } else if (detail.kind === 'Bounce' && detail.bounceType === 'Transient' && !isAutoResponse(detail)) {
    const { limit, windowDays } = deps.softBouncePolicy;
    for (const r of detail.bouncedRecipients) {
      if (isMailboxSimulator(r.emailAddress)) continue;
      const count = await deps.softBounces.record(normalizeAddress(r.emailAddress), event.eventKey, new Date(event.occurredAt), windowDays);
      if (count >= limit) {
        candidates.push({ email: r.emailAddress, origin: 'bounce', reason: `${count} soft bounces within ${windowDays} days (last: Transient/${detail.bounceSubType})` });
      }
    }
  }

  const added: { email: string; origin: SuppressionOrigin }[] = [];
  for (const candidate of candidates) {
    if (isMailboxSimulator(candidate.email)) continue;
    const email = normalizeAddress(candidate.email);
    const { record } = await deps.suppressions.add({
      id: uuidv7(deps.clock.now().getTime()),
      email,
      origin: candidate.origin,
      sourceId,
      reason: candidate.reason,
      createdAt: deps.clock.now().toISOString(),
    });
    added.push({ email, origin: record.origin });
  }
  return added;
}
