/** Status precedence: how SES events move a recipient's status and an email's `last_event`. */
import type { LastEvent } from './email';
import { isAutoResponse, type SesEventDetail } from './ses-events';

/** Where a recipient stands. Moves only up this ladder, so late or repeated events never undo news. */
export type RecipientStatus =
  | 'scheduled'
  | 'canceled'
  | 'queued'
  | 'sent'
  | 'delayed'
  | 'delivered'
  | 'auto_replied'
  | 'soft_bounced'
  | 'bounced'
  | 'complained'
  | 'rejected'
  | 'failed'
  | 'suppressed';

/**
 * Recipient precedence. Final outcomes outrank progress (a Delivery that arrives after a Bounce or
 * a Complaint changes nothing); a complaint outranks a bounce because it is the stronger signal;
 * outcomes where SES sent nothing (rejected, failed, suppressed) outrank everything.
 */
export const RECIPIENT_RANK: Readonly<Record<RecipientStatus, number>> = {
  // Shown from the email's state only (a scheduled or canceled email has no SES events).
  scheduled: 0,
  canceled: 100,
  queued: 0,
  sent: 10,
  delayed: 20,
  delivered: 30,
  auto_replied: 40,
  soft_bounced: 50,
  bounced: 60,
  complained: 70,
  rejected: 80,
  failed: 80,
  suppressed: 90,
};

/** Email precedence for `last_event`: the most telling thing that happened to any recipient. */
export const LAST_EVENT_RANK: Readonly<Record<LastEvent, number>> = {
  queued: 0,
  scheduled: 0,
  canceled: 100,
  sent: 10,
  delivery_delayed: 20,
  delivered: 30,
  opened: 40,
  clicked: 50,
  bounced: 60,
  complained: 70,
  failed: 80,
  suppressed: 90,
};

export function recipientStatusOf(detail: SesEventDetail): RecipientStatus | undefined {
  switch (detail.kind) {
    case 'Send':
      return 'sent';
    case 'Delivery':
      return 'delivered';
    case 'DeliveryDelay':
      return 'delayed';
    case 'Bounce':
      if (detail.bounceType === 'Permanent') return detail.bounceSubType === 'OnAccountSuppressionList' ? 'suppressed' : 'bounced';
      if (detail.bounceType === 'Transient') return isAutoResponse(detail) ? 'auto_replied' : 'soft_bounced';
      // Undetermined: the ISP bounced it without saying why; shown as a bounce, never suppressed.
      return 'bounced';
    case 'Complaint':
      return detail.complaintSubType === 'OnAccountSuppressionList' ? 'suppressed' : 'complained';
    case 'Reject':
      return 'rejected';
    case 'RenderingFailure':
      return 'failed';
    case 'Open':
    case 'Click':
    case 'Subscription':
      // Engagement, not delivery status: kept in the timeline only.
      return undefined;
  }
}

export function lastEventOf(detail: SesEventDetail): LastEvent | undefined {
  switch (detail.kind) {
    case 'Send':
      return 'sent';
    case 'Delivery':
      return 'delivered';
    case 'DeliveryDelay':
      return 'delivery_delayed';
    case 'Bounce':
      if (isAutoResponse(detail)) return undefined;
      return detail.bounceSubType === 'OnAccountSuppressionList' ? 'suppressed' : 'bounced';
    case 'Complaint':
      return detail.complaintSubType === 'OnAccountSuppressionList' ? 'suppressed' : 'complained';
    case 'Reject':
    case 'RenderingFailure':
      return 'failed';
    case 'Open':
      return 'opened';
    case 'Click':
      return 'clicked';
    case 'Subscription':
      return undefined;
  }
}

/** The Resend webhook event type an SES event maps to; auto-responses get Outbox's own type. */
export type NotificationType =
  | 'email.sent'
  | 'email.delivered'
  | 'email.delivery_delayed'
  | 'email.bounced'
  | 'email.complained'
  | 'email.opened'
  | 'email.clicked'
  | 'email.failed'
  | 'email.suppressed'
  | 'email.auto_replied'
  | 'email.subscription_changed';

export function notificationTypeOf(detail: SesEventDetail): NotificationType {
  if (detail.kind === 'Bounce' && isAutoResponse(detail)) return 'email.auto_replied';
  if (detail.kind === 'Subscription') return 'email.subscription_changed';
  const lastEvent = lastEventOf(detail);
  return `email.${lastEvent === 'delivery_delayed' ? 'delivery_delayed' : lastEvent}` as NotificationType;
}
