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
 * Where an event's notification stood when the event was appended (see recordSesEvent):
 * - `claimed`: this append created the entry and claimed its notification; the caller sends it.
 * - `sent`: it was sent. An entry stored before notifications were claimed reads as sent: every
 *   delivery notified then.
 * - `held`: a delivery claimed it at `claimedAt` (epoch ms; 0 when it gave the claim back after
 *   failing) and has not recorded it sent.
 * - `none`: the entry is new and no claim was asked for.
 */
export type NotificationClaim =
  | { readonly state: 'claimed' }
  | { readonly state: 'sent' }
  | { readonly state: 'held'; readonly claimedAt: number }
  | { readonly state: 'none' };

export interface AppendedEvent {
  /** False when the entry was there already (a redelivery or a replay): the stored one is kept. */
  readonly firstTime: boolean;
  readonly notification: NotificationClaim;
}

/**
 * Where SES events are recorded: an append-only timeline per owner. The owner is the Outbox email
 * id, or `ses#<SES message ID>` for mail Outbox did not send (SMTP, console), so those events are
 * kept too. Nothing here updates an email: its state is folded from the timeline on read. Each
 * entry also carries where its notification stands, so each event notifies once however often
 * it is delivered.
 */
export interface TrackingStore {
  /** The email SES accepted as this message, by the SES message ID (set once the send is recorded). */
  findEmail(sesMessageId: string): Promise<TrackedEmail | undefined>;
  /**
   * Adds the entry to the owner's timeline unless it is there (keyed by its time and event key)
   * and, given `claimAt` (epoch ms), claims the event's notification unless it is claimed, in
   * one write. Says whether the entry is new and where its notification stood before.
   */
  appendEvent(owner: string, entry: TimelineEntry, claimAt?: number): Promise<AppendedEvent>;
  /** Moves a claim still as it was seen (`seen`) and not sent to `at`: true when the caller now holds it. */
  takeOverNotification(owner: string, entry: TimelineEntry, seen: number, at: number): Promise<boolean>;
  /** Gives back the claim made at `claim` after its notification failed, so the next delivery takes it over at once. */
  releaseNotification(owner: string, entry: TimelineEntry, claim: number): Promise<void>;
  /** Records the event's notification sent. */
  markNotified(owner: string, entry: TimelineEntry, at: string): Promise<void>;
}

/**
 * How long a notification claim stands for a live delivery: longer than an events Lambda can run
 * (30 s), shorter than the events queue's visibility timeout (180 s). A claim older than this,
 * never recorded sent, was left by a delivery that died; the next delivery of the event (its own
 * retry, after the visibility timeout) takes it over.
 */
export const NOTIFICATION_LEASE_MS = 90_000;

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
  /** Logs what went wrong without failing the event (a notification sent but not recorded sent). */
  readonly log?: (message: string, error?: unknown) => void;
}

export interface TrackingOutcome {
  /** The Outbox email, when the message was sent through Outbox. */
  readonly emailId?: string;
  /** False when this event was recorded before (a redelivery or a replay). */
  readonly firstTime: boolean;
  /** True when this delivery sent the event's notification; false when it had been sent, or there is none. */
  readonly notified: boolean;
  readonly suppressed: readonly { email: string; origin: SuppressionOrigin }[];
}

/**
 * Records one SES event.
 *
 * 1. Find its owner: Outbox's email id from the `outbox-message-id` tag, taken as it is (no read);
 *    without the tag (identity feedback notifications carry none, nor mail sent before the tag),
 *    the email whose SES message ID it is; otherwise `ses#<SES message ID>`.
 * 2. Append the event to the owner's timeline (once: the key is stable across redeliveries), and
 *    in the same write claim its notification. This is the only write for the email: recipient
 *    statuses and `last_event` are folded from the timeline when the email is read
 *    (foldEmailState), so events may come late, twice or in any order.
 * 3. Apply the suppression policy: Permanent bounces and complaints (except `not-spam`)
 *    suppress; Transient bounces suppress after `limit` within `windowDays`; Undetermined bounces
 *    and auto-responses never do; mailbox-simulator addresses never enter the list.
 * 4. Forward it to the sender as a notification (SNS topic and webhooks), described from SES's
 *    own `mail` object, or from the email found in step 1, then record it sent. Only the
 *    delivery holding the claim notifies: the one whose append created the entry, or one taking
 *    over a claim given back after a failure or left by a delivery that died (older than
 *    NOTIFICATION_LEASE_MS). A redelivery of an event already notified, or being notified by a
 *    live delivery, notifies nothing, whatever order the events come in.
 *
 * Throws what the store, the suppression list or the notification throws; a claim held then is
 * given back first, so the retry notifies. Idempotent: step 2 keeps the entry first stored, step 3
 * is made of conditional or set-based writes, and step 4 happens once per event. A retry after a
 * failure partway through step 4 (the topic took it, the webhook queue did not) notifies again,
 * with the same webhook message ids; so does the rare delivery after one that died between
 * notifying and recording it. On the common path (tagged, no suppression) the whole of it is two
 * DynamoDB writes to the timeline item, and a redelivery is one.
 */
export async function recordSesEvent(deps: TrackingDeps, event: SesEvent): Promise<TrackingOutcome> {
  const found = event.outboxId === undefined ? await deps.tracking.findEmail(event.sesMessageId) : undefined;
  const emailId = event.outboxId ?? found?.id;
  const owner = emailId ?? `ses#${event.sesMessageId}`;
  const entry: TimelineEntry = {
    eventKey: event.eventKey,
    type: event.type,
    occurredAt: event.occurredAt,
    recipients: event.recipients,
    sesMessageId: event.sesMessageId,
    ...(event.snsMessageId ? { snsMessageId: event.snsMessageId } : {}),
    detail: event.detail,
  };
  const payload = deps.notify ? toNotificationPayload(event, emailId, found) : undefined;
  const now = deps.clock.now().getTime();
  const appended = await deps.tracking.appendEvent(owner, entry, payload ? now : undefined);
  const claim = payload ? await holdClaim(deps.tracking, owner, entry, appended.notification, now) : undefined;

  let suppressed: { email: string; origin: SuppressionOrigin }[];
  try {
    suppressed = await applySuppressionPolicy(deps, event, emailId ?? event.sesMessageId);
    if (payload && claim !== undefined) await deps.notify!(payload, event.eventKey);
  } catch (error) {
    // If this fails too, the claim goes stale and the retry, a visibility timeout later, takes it over.
    if (claim !== undefined) await deps.tracking.releaseNotification(owner, entry, claim).catch(() => undefined);
    throw error;
  }
  if (claim !== undefined) {
    try {
      await deps.tracking.markNotified(owner, entry, deps.clock.now().toISOString());
    } catch (error) {
      // Sent: failing the event now would only send it again. The claim goes stale instead.
      deps.log?.(`The notification of SES event ${event.eventKey} was sent but not recorded sent`, error);
    }
  }
  return { ...(emailId ? { emailId } : {}), firstTime: appended.firstTime, notified: claim !== undefined, suppressed };
}

/** The claim time this delivery notifies under, or undefined when another delivery did or does. */
async function holdClaim(tracking: TrackingStore, owner: string, entry: TimelineEntry, claim: NotificationClaim, now: number): Promise<number | undefined> {
  switch (claim.state) {
    case 'claimed':
      return now;
    case 'sent':
    case 'none':
      return undefined;
    case 'held':
      if (claim.claimedAt !== 0 && now - claim.claimedAt < NOTIFICATION_LEASE_MS) return undefined;
      return (await tracking.takeOverNotification(owner, entry, claim.claimedAt, now)) ? now : undefined;
  }
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
