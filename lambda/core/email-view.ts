import { displayMailbox as display, type Mailbox } from './addresses';
import { base64Size } from './attachments';
import type { EmailRecord, RecipientKind } from './email';
import { foldEmailState, type EmailState } from './email-state';
import type { EmailDetails } from './ports';
import { notificationTypeOf, type RecipientStatus } from './precedence';

/** `GET /emails/{id}` in the Resend API's shape, plus Outbox's extensions. */
export interface EmailView {
  readonly object: 'email';
  readonly id: string;
  readonly from: string;
  readonly to: string[];
  readonly cc: string[] | null;
  readonly bcc: string[] | null;
  readonly reply_to: string[] | null;
  readonly subject: string;
  readonly html: string | null;
  readonly text: string | null;
  readonly created_at: string;
  readonly scheduled_at: string | null;
  readonly last_event: EmailRecord['lastEvent'];
  readonly tags: { name: string; value: string }[];
  /** Resend's field; Outbox gives the SES message ID here (null until SES accepts it). */
  readonly message_id: string | null;
  readonly ses_message_id: string | null;
  readonly headers: Record<string, string>;
  /** The files sent, without their bytes (`size` is the decoded size). A raw message lists none here. */
  readonly attachments: { filename: string; content_type: string; content_id: string | null; size: number }[];
  /** The SES template it was sent with, if any; SES rendered the subject and body, so `subject` is empty. */
  readonly template: { id: string; variables: Readonly<Record<string, string | number>> } | null;
  /** Why SES refused a queued email for good (`last_event` `failed`, nothing sent); null otherwise. */
  readonly failure: { name: string; message: string; failed_at: string } | null;
  readonly recipients: { email: string; type: RecipientKind; status: RecipientStatus; updated_at: string | null }[];
  /** The timeline: every SES event once, oldest first, in SES's own words. */
  readonly events: { id: string; type: string; name: string; occurred_at: string; recipients: readonly string[]; detail: object }[];
}

function listOrNull(mailboxes: readonly Mailbox[]): string[] | null {
  return mailboxes.length > 0 ? mailboxes.map(display) : null;
}

/** What both `GET /emails/{id}` and each entry of `GET /emails` say of an email. */
export type EmailSummary = Pick<
  EmailView,
  'id' | 'from' | 'to' | 'cc' | 'bcc' | 'reply_to' | 'subject' | 'created_at' | 'scheduled_at' | 'last_event' | 'message_id'
>;

/** The email's summary, its state (`last_event`, the SES message ID) as foldEmailState gave it. */
export function toEmailSummary(email: EmailRecord, state: EmailState): EmailSummary {
  return {
    id: email.id,
    from: display(email.from),
    to: email.to.map(display),
    cc: listOrNull(email.cc),
    bcc: listOrNull(email.bcc),
    reply_to: listOrNull(email.replyTo),
    subject: email.subject ?? '',
    created_at: email.createdAt,
    scheduled_at: email.scheduledAt ?? null,
    last_event: state.lastEvent,
    message_id: state.sesMessageId ?? null,
  };
}

/** The email as stored, its timeline folded in (foldEmailState) for its state and its recipients'. */
export function toEmailView({ email, events }: EmailDetails): EmailView {
  const state = foldEmailState(email, events);
  return {
    object: 'email',
    ...toEmailSummary(email, state),
    html: email.html ?? null,
    text: email.text ?? null,
    tags: email.tags.map((t) => ({ name: t.name, value: t.value })),
    ses_message_id: state.sesMessageId ?? null,
    headers: Object.fromEntries(email.headers.map((h) => [h.name, h.value])),
    attachments: (email.attachments ?? []).map((a) => ({ filename: a.filename, content_type: a.contentType, content_id: a.contentId ?? null, size: base64Size(a.content) })),
    template: email.template ? { id: email.template.id, variables: email.template.variables } : null,
    failure: email.failure ? { name: email.failure.name, message: email.failure.message, failed_at: email.failure.failedAt } : null,
    recipients: state.recipients.map((r) => ({ email: r.address, type: r.kind, status: r.status, updated_at: r.updatedAt ?? null })),
    events: [...events]
      .sort(timelineOrder)
      .map((e) => {
        const { kind: _kind, ...detail } = e.detail;
        return { id: e.eventKey, type: e.type, name: notificationTypeOf(e.detail), occurred_at: e.occurredAt, recipients: e.recipients, detail };
      }),
  };
}

const LIFECYCLE_ORDER: Readonly<Record<string, number>> = { Send: 0, Reject: 1, RenderingFailure: 1, DeliveryDelay: 1, Delivery: 2, Bounce: 3, Complaint: 3, Open: 4, Click: 5, Subscription: 6 };

/**
 * Oldest first by the second, then in lifecycle order: SES stamps bounces and complaints with whole
 * seconds (SES-FACTS §4), so by the millisecond they can appear to precede their own Send.
 */
function timelineOrder(a: { occurredAt: string; type: string }, b: { occurredAt: string; type: string }): number {
  const bySecond = a.occurredAt.slice(0, 19).localeCompare(b.occurredAt.slice(0, 19));
  if (bySecond !== 0) return bySecond;
  const byLifecycle = (LIFECYCLE_ORDER[a.type] ?? 9) - (LIFECYCLE_ORDER[b.type] ?? 9);
  return byLifecycle !== 0 ? byLifecycle : a.occurredAt.localeCompare(b.occurredAt);
}
