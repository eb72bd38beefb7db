import type { Mailbox } from './addresses';

/** A name/value pair: a custom header or an SES message tag. */
export interface NameValue {
  readonly name: string;
  readonly value: string;
}

/** A file sent with an email. The bytes are base64 so a draft serializes as JSON. */
export interface DraftAttachment {
  readonly filename: string;
  /** The file's bytes: standard base64, padded, no line breaks. */
  readonly content: string;
  /** Given by the caller, or derived from the file name's extension. */
  readonly contentType: string;
  /** Set for an inline part, which the HTML references as `cid:<contentId>`. */
  readonly contentId?: string;
}

/** An SES email template stored in the account, by name, with the values of its variables. */
export interface DraftTemplate {
  readonly id: string;
  readonly variables: Readonly<Record<string, string | number>>;
}

/**
 * A validated request to send one email, ready for the store and for SES. It goes to SES in one
 * of three forms: `raw` set (a whole MIME message, sent as it is), `template` set (SES renders the
 * subject and body), or else the Simple fields (`subject`, `html`/`text`, `attachments`).
 */
export interface EmailDraft {
  readonly from: Mailbox;
  readonly to: readonly Mailbox[];
  readonly cc: readonly Mailbox[];
  readonly bcc: readonly Mailbox[];
  readonly replyTo: readonly Mailbox[];
  /** Absent when an SES template gives it, or a raw message has none. */
  readonly subject?: string;
  readonly html?: string;
  readonly text?: string;
  readonly headers: readonly NameValue[];
  readonly tags: readonly NameValue[];
  /** Simple and Template content only; a raw message carries its own. */
  readonly attachments: readonly DraftAttachment[];
  readonly template?: DraftTemplate;
  /**
   * `POST /emails/raw`: the RFC 5322 message, base64, sent to SES as it is. The other content
   * fields then only describe it (subject, html and text as read from it) for GET /emails/{id}.
   */
  readonly raw?: string;
}

/**
 * The `last_event` values, named as the Resend SDK names them. `queued` until SES accepts the
 * message, `sent` once it has; later values come from SES's events.
 */
export type LastEvent =
  | 'queued'
  | 'scheduled'
  | 'canceled'
  | 'sent'
  | 'delivered'
  | 'delivery_delayed'
  | 'bounced'
  | 'complained'
  | 'opened'
  | 'clicked'
  | 'failed'
  | 'suppressed';

/** SES's definitive refusal of a queued email, as the sender recorded it. */
export interface SendFailure {
  /** The error name the synchronous API answers with in the same case (e.g. `validation_error`). */
  readonly name: string;
  /** SES's words, as a sentence. */
  readonly message: string;
  /** ISO 8601, UTC. */
  readonly failedAt: string;
}

/** An email as Outbox keeps it. */
export interface EmailRecord extends EmailDraft {
  readonly id: string;
  /** ISO 8601, UTC. */
  readonly createdAt: string;
  /** The API key that sent it, for audit. */
  readonly apiKeyId: string;
  readonly lastEvent: LastEvent;
  /** Set once SES has accepted the message. */
  readonly sesMessageId?: string;
  /** When a scheduled email is due (ISO 8601, UTC); absent for emails sent at once. */
  readonly scheduledAt?: string;
  /** Recipients left out of the send because they were on the suppression list (lower-cased). */
  readonly suppressedRecipients?: readonly string[];
  /** Why a queued email failed for good (`last_event` `failed` with no SES message ID). */
  readonly failure?: SendFailure;
  /** Epoch seconds after which the record may be deleted (retention). */
  readonly expiresAt: number;
}

export type RecipientKind = 'to' | 'cc' | 'bcc';

/** Every recipient of the draft with the field it was given in, in request order. */
export function recipientsOf(draft: EmailDraft): { address: string; kind: RecipientKind }[] {
  return [
    ...draft.to.map((m) => ({ address: m.address, kind: 'to' as const })),
    ...draft.cc.map((m) => ({ address: m.address, kind: 'cc' as const })),
    ...draft.bcc.map((m) => ({ address: m.address, kind: 'bcc' as const })),
  ];
}
