import { recipientsOf, type EmailRecord, type LastEvent, type RecipientKind } from './email';
import { LAST_EVENT_RANK, RECIPIENT_RANK, lastEventOf, recipientStatusOf, type RecipientStatus } from './precedence';
import type { TimelineEntry } from './tracking';

/** Where one recipient of an email stands. */
export interface RecipientState {
  /** As the request gave it. */
  readonly address: string;
  readonly kind: RecipientKind;
  readonly status: RecipientStatus;
  /** When the event that set the status happened; absent when no event has (the email's own state). */
  readonly updatedAt?: string;
}

/** An email's state: its record as the API and the sender left it, with its timeline folded in. */
export interface EmailState {
  readonly lastEvent: LastEvent;
  readonly sesMessageId?: string;
  /** Every recipient, in request order. */
  readonly recipients: readonly RecipientState[];
}

/**
 * Folds an email's timeline into its state. The events path only appends events; precedence is
 * applied here, on read, so neither the order events arrived in nor how often they came changes
 * the result:
 *
 * - a recipient's status is the highest-ranked (RECIPIENT_RANK) status among the events about it,
 *   so a late Delivery never undoes a Complaint; opens and clicks are engagement and set none.
 *   With no such event: `suppressed` when the send left it out, else the email's own state
 *   (`queued`, `scheduled`, `canceled`, `failed`, or `sent` once SES took the message);
 * - `last_event` is the highest-ranked (LAST_EVENT_RANK) of the record's own and every event's;
 * - the SES message ID is the record's, else the Send event's, else any event's: every event in
 *   an email's timeline is about the one message SES accepted for it.
 *
 * Pure and total: the same record and the same events, in any order, give the same state.
 */
export function foldEmailState(email: EmailRecord, timeline: readonly TimelineEntry[]): EmailState {
  const best = new Map<string, { status: RecipientStatus; at: string }>();
  let lastEvent = email.lastEvent;
  for (const entry of timeline) {
    const status = recipientStatusOf(entry.detail);
    if (status) {
      for (const address of entry.recipients) {
        const key = address.toLowerCase();
        const current = best.get(key);
        if (!current || outranks(status, entry.occurredAt, current)) best.set(key, { status, at: entry.occurredAt });
      }
    }
    const event = lastEventOf(entry.detail);
    if (event && LAST_EVENT_RANK[event] > LAST_EVENT_RANK[lastEvent]) lastEvent = event;
  }

  const suppressed = new Set(email.suppressedRecipients ?? []);
  const ownStatus: RecipientStatus = email.failure
    ? 'failed'
    : email.lastEvent === 'queued' || email.lastEvent === 'scheduled' || email.lastEvent === 'canceled'
      ? email.lastEvent
      : 'sent';
  const sesMessageId = email.sesMessageId ?? (timeline.find((e) => e.type === 'Send') ?? timeline[0])?.sesMessageId;
  return {
    lastEvent,
    ...(sesMessageId !== undefined ? { sesMessageId } : {}),
    recipients: recipientsOf(email).map(({ address, kind }) => {
      const fromEvents = best.get(address.toLowerCase());
      if (fromEvents) return { address, kind, status: fromEvents.status, updatedAt: fromEvents.at };
      return { address, kind, status: suppressed.has(address.toLowerCase()) ? 'suppressed' : ownStatus };
    }),
  };
}

/** A higher rank wins; between equal ranks the earlier event, then the name, so the result is order-free. */
function outranks(status: RecipientStatus, at: string, current: { status: RecipientStatus; at: string }): boolean {
  const byRank = RECIPIENT_RANK[status] - RECIPIENT_RANK[current.status];
  if (byRank !== 0) return byRank > 0;
  return at !== current.at ? at < current.at : status < current.status;
}
