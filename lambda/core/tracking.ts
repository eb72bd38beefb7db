import { normalizeAddress } from './addresses';
import type { EmailRecord, LastEvent } from './email';
import { uuidv7 } from './ids';
import type { Clock } from './ports';
import { LAST_EVENT_RANK, lastEventOf, recipientStatusOf, type RecipientStatus } from './precedence';
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

/** The recipient state the events have established. */
export interface RecipientState {
  readonly address: string;
  readonly status: RecipientStatus;
  readonly updatedAt: string;
}

/**
 * Where SES events are recorded. The owner is the Outbox email id, or `ses#<SES message ID>` for
 * mail Outbox did not send (SMTP, console), so those events are kept too.
 */
export interface TrackingStore {
  /** The email by Outbox's id (from the tag) if it exists, else by the SES message ID index. */
  findEmail(sesMessageId: string, outboxId?: string): Promise<EmailRecord | undefined>;
  /** Adds the entry to the owner's timeline; false when it is already there. */
  appendEvent(owner: string, entry: TimelineEntry): Promise<boolean>;
  /** Sets the recipient's status if its rank is above the current one. */
  raiseRecipientStatus(owner: string, address: string, status: RecipientStatus, at: string): Promise<void>;
  /** Sets `last_event` if its rank is above the current one, and the SES message ID if missing. */
  raiseLastEvent(emailId: string, lastEvent: LastEvent, sesMessageId: string): Promise<void>;
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
 * 1. Find the email: by Outbox's tag, else by the SES message ID. Unknown mail is kept under
 *    `ses#<SES message ID>`.
 * 2. Append the event to the timeline (once: the key is stable across redeliveries).
 * 3. Raise each recipient's status and the email's `last_event` by precedence.
 * 4. Apply the suppression policy: Permanent bounces and complaints (except `not-spam`)
 *    suppress; Transient bounces suppress after `limit` within `windowDays`; Undetermined bounces
 *    and auto-responses never do; mailbox-simulator addresses never enter the list.
 * 5. Forward it to the sender as a notification (SNS topic and webhooks), once recorded.
 *
 * Idempotent: steps 2-4 are conditional or set-based writes, so a retry after a crash at any
 * point completes the work without doing any of it twice.
 */
export async function recordSesEvent(deps: TrackingDeps, event: SesEvent): Promise<TrackingOutcome> {
  const email = await deps.tracking.findEmail(event.sesMessageId, event.outboxId);
  const owner = email?.id ?? `ses#${event.sesMessageId}`;
  const firstTime = await deps.tracking.appendEvent(owner, {
    eventKey: event.eventKey,
    type: event.type,
    occurredAt: event.occurredAt,
    recipients: event.recipients,
    sesMessageId: event.sesMessageId,
    ...(event.snsMessageId ? { snsMessageId: event.snsMessageId } : {}),
    detail: event.detail,
  });

  const status = recipientStatusOf(event.detail);
  if (status) {
    await Promise.all(event.recipients.map((address) => deps.tracking.raiseRecipientStatus(owner, address, status, event.occurredAt)));
  }
  const lastEvent = lastEventOf(event.detail);
  // The email was just read: skip the write when it would change nothing (most Send events,
  // since the API already recorded `sent`), which saves a conditional write that would fail.
  if (email && lastEvent && (LAST_EVENT_RANK[lastEvent] > LAST_EVENT_RANK[email.lastEvent] || email.sesMessageId === undefined)) {
    await deps.tracking.raiseLastEvent(email.id, lastEvent, event.sesMessageId);
  }

  const suppressed = await applySuppressionPolicy(deps, event, email?.id ?? event.sesMessageId);
  const payload = deps.notify ? toNotificationPayload(event, email) : undefined;
  if (payload) await deps.notify!(payload, event.eventKey);
  return { ...(email ? { emailId: email.id } : {}), firstTime, suppressed };
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
