import { createHash } from 'node:crypto';
import { normalizeAddress, parseMailbox } from './addresses';
import type { Principal } from './api-keys';
import { OutboxError, type ErrorKind } from './errors';
import { messageLines, readHeaderSection, type HeaderField } from './header-section';
import { withIdempotency, type IdempotencyDeps } from './idempotency';
import { mailboxParser, readMimeMessage } from './mime-message';
import { sendRawEmail } from './raw-email';
import type { SendEmailDeps } from './send-email';
import { MAX_RECIPIENTS } from './send-request';

/**
 * SMTP submission (local mode's SMTP port) on the raw-MIME use case: the same validation, scan,
 * suppression check, configuration set, tracking and webhooks as `POST /emails/raw`. This module
 * knows nothing of the SMTP library; it turns an envelope and the message's bytes into the raw
 * request, and any refusal into the SMTP reply a client acts on.
 */

/** The SMTP envelope: MAIL FROM (empty for `<>`) and the RCPT TO addresses, in order. */
export interface SmtpEnvelope {
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
}

/** The idempotency namespace of SMTP submissions: keys never collide with the HTTP routes'. */
export const SMTP_IDEMPOTENCY_ROUTE = 'SMTP';

/** Headers that carry an Idempotency-Key, as the HTTP header does; the first is Outbox's own. */
export const IDEMPOTENCY_HEADERS = ['Outbox-Idempotency-Key', 'Resend-Idempotency-Key'] as const;
/** `name=value, ...`: the email's tags. X-SES-MESSAGE-TAGS (SES's own SMTP header) is read the same way. */
export const TAGS_HEADERS = ['X-Outbox-Tags', 'X-SES-MESSAGE-TAGS'] as const;
/**
 * Removed, not refused: a framework moved from SES's SMTP endpoint may still name a configuration
 * set, and Outbox's is the one that tracks the email.
 */
const IGNORED_HEADERS = ['X-SES-CONFIGURATION-SET'] as const;

/** What a submission becomes: the `POST /emails/raw` body, and the idempotency key it carried. */
export interface SmtpSubmission {
  readonly request: {
    readonly raw: string;
    readonly from?: string;
    readonly to: readonly string[];
    readonly cc: readonly string[];
    readonly bcc: readonly string[];
    readonly tags: readonly { name: string; value: string }[];
  };
  readonly idempotencyKey?: string;
}

/**
 * Turns an envelope and a message into the raw request.
 *
 * - Recipients are the envelope's RCPT TO, as SMTP means: each is `to` or `cc` when the To or Cc
 *   header names it, else `bcc` (SES sends to the Destination, and the headers stay as written).
 * - Removed from the message, so no recipient ever reads them: a Bcc header (some clients write
 *   one; its addresses are in the envelope already), the idempotency and tags headers once read,
 *   and X-SES-CONFIGURATION-SET. Any other X-SES-* header is left for the raw checks to refuse.
 * - MAIL FROM, when it is not the From header's address, is the identity SES checks (the raw
 *   request's `from`); the same address or `<>` leaves it to From, so the email is listed with
 *   From's display name.
 *
 * A header section the reader refuses is passed on unchanged, and the raw checks name its problem.
 */
export async function prepareSmtpSubmission(envelope: SmtpEnvelope, bytes: Uint8Array): Promise<SmtpSubmission> {
  const reading = readHeaderSection(bytes);
  const fields = reading.ok ? reading.section.fields : [];
  const named = (names: readonly string[]) => fields.filter((f) => names.some((n) => n.toLowerCase() === f.name.toLowerCase()));

  const keys = [...new Set(named(IDEMPOTENCY_HEADERS).map((f) => f.value))];
  if (keys.length > 1) {
    throw new OutboxError('invalid_idempotency_key', `The message has ${keys.length} different idempotency keys (${IDEMPOTENCY_HEADERS.join(', ')}); give one.`);
  }
  const tags = named(TAGS_HEADERS).flatMap(readTagsHeader);

  const mailboxesIn = await mailboxParser();
  const inHeader = (name: string) => new Set(named([name]).flatMap((f) => mailboxesIn(f.value)).map((m) => normalizeAddress(m.address)));
  const toHeader = inHeader('To');
  const ccHeader = inHeader('Cc');
  const fromHeader = inHeader('From');
  const to: string[] = [];
  const cc: string[] = [];
  const bcc: string[] = [];
  for (const address of envelope.rcptTo) {
    const lower = normalizeAddress(address);
    (toHeader.has(lower) ? to : ccHeader.has(lower) ? cc : bcc).push(address);
  }

  const removed = reading.ok ? named(['Bcc', ...IDEMPOTENCY_HEADERS, ...TAGS_HEADERS, ...IGNORED_HEADERS]) : [];
  const message = reading.ok ? withoutFields(bytes, fields, removed, reading.section.bodyLine) : bytes;
  return {
    request: {
      raw: Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString('base64'),
      ...(envelope.mailFrom !== '' && !fromHeader.has(normalizeAddress(envelope.mailFrom)) ? { from: envelope.mailFrom } : {}),
      to,
      cc,
      bcc,
      tags,
    },
    ...(keys[0] !== undefined ? { idempotencyKey: keys[0] } : {}),
  };
}

/** The dependencies of a submission: the api's, since it is the api's use case. */
export type SmtpSubmissionDeps = SendEmailDeps & IdempotencyDeps;

/**
 * Sends one submitted message, once per idempotency key within 24 hours (see withIdempotency; the
 * namespace is SMTP_IDEMPOTENCY_ROUTE). Retries are recognised by what a client's retry keeps the
 * same: the envelope and the parsed content, not the bytes, since clients write a new Date,
 * Message-ID and MIME boundaries on each attempt (and SES replaces Date and Message-ID anyway).
 */
export async function submitSmtpMessage(deps: SmtpSubmissionDeps, principal: Principal, envelope: SmtpEnvelope, bytes: Uint8Array): Promise<{ id: string }> {
  const submission = await prepareSmtpSubmission(envelope, bytes);
  const send = () => sendRawEmail(deps, principal, submission.request);
  if (submission.idempotencyKey === undefined) return send();
  const whatCounts = await retryFingerprint(envelope, submission);
  const answer = await withIdempotency(deps, principal, SMTP_IDEMPOTENCY_ROUTE, submission.idempotencyKey, whatCounts, async () => ({ status: 200, body: await send() }));
  return answer.body as { id: string };
}

/** An SMTP reply: the basic code, the RFC 3463 enhanced status, the text. */
export interface SmtpReply {
  readonly code: number;
  readonly enhanced: string;
  readonly text: string;
}

/** The reply line, as sent after the code: `5.7.1 text`. */
export function replyLine(reply: Pick<SmtpReply, 'enhanced' | 'text'>): string {
  return `${reply.enhanced} ${reply.text}`;
}

/** RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets, code and CRLF included. */
const MAX_REPLY_TEXT = 490;

/**
 * Every refusal as the SMTP reply clients act on: 5xx means fix the message (a client drops or
 * bounces it), 4xx means try again later (a client queues and retries). SES's own SMTP answers
 * use the same codes for the same causes (SES-FACTS §11).
 */
export const SMTP_REPLIES: Readonly<Record<ErrorKind, { readonly code: number; readonly enhanced: string }>> = {
  malformed_body: { code: 554, enhanced: '5.6.0' },
  malformed_path: { code: 554, enhanced: '5.6.0' },
  body_too_large: { code: 552, enhanced: '5.3.4' },
  validation: { code: 554, enhanced: '5.6.0' },
  missing_field: { code: 554, enhanced: '5.6.0' },
  invalid_from: { code: 553, enhanced: '5.1.7' },
  // Over SMTP only the content scan raises it: a blocked attachment type.
  invalid_attachment: { code: 554, enhanced: '5.7.1' },
  virus_found: { code: 554, enhanced: '5.7.1' },
  missing_api_key: { code: 530, enhanced: '5.7.0' },
  invalid_api_key: { code: 535, enhanced: '5.7.8' },
  restricted_api_key: { code: 550, enhanced: '5.7.1' },
  not_found: { code: 550, enhanced: '5.0.0' },
  method_not_allowed: { code: 502, enhanced: '5.5.1' },
  invalid_idempotency_key: { code: 554, enhanced: '5.6.0' },
  idempotency_key_reused: { code: 554, enhanced: '5.6.0' },
  concurrent_idempotent_requests: { code: 451, enhanced: '4.3.0' },
  sender_not_verified: { code: 550, enhanced: '5.7.1' },
  ses_access_denied: { code: 554, enhanced: '5.7.1' },
  all_recipients_suppressed: { code: 550, enhanced: '5.1.1' },
  message_rejected: { code: 554, enhanced: '5.6.0' },
  rate_limited: { code: 451, enhanced: '4.4.5' },
  sending_paused: { code: 451, enhanced: '4.3.2' },
  unavailable: { code: 451, enhanced: '4.3.0' },
  internal: { code: 451, enhanced: '4.3.0' },
};

/** Texts that would name an HTTP header or body where the client wrote an SMTP header or message. */
const SMTP_TEXTS: Partial<Record<ErrorKind, string>> = {
  invalid_idempotency_key: 'The idempotency key header (Outbox-Idempotency-Key or Resend-Idempotency-Key) must be 1-256 printable ASCII characters; send again with a valid key, or without one.',
  idempotency_key_reused: 'This idempotency key was used for a different message in the last 24 hours; use a new key for a new message.',
  concurrent_idempotent_requests: 'A message with the same idempotency key is still being sent; try again in a moment to get its answer.',
};

/** The reply for any thrown value; an unknown one is an internal fault, answered 451 so the client keeps the message. */
export function smtpReplyFor(error: unknown): SmtpReply {
  if (!(error instanceof OutboxError)) {
    return { code: 451, enhanced: '4.3.0', text: 'Outbox could not take the message because of an internal error; nothing was sent. Try again later.' };
  }
  const { code, enhanced } = SMTP_REPLIES[error.kind];
  return { code, enhanced, text: clip(SMTP_TEXTS[error.kind] ?? error.message) };
}

/** The answer to a message taken: its Outbox id, as mail servers name a queue id. */
export function acceptedReply(id: string): SmtpReply {
  return { code: 250, enhanced: '2.0.0', text: `Ok: queued as ${id}` };
}

/** The reply to an envelope address Outbox cannot use (MAIL FROM or RCPT TO), or undefined when it can. */
export function envelopeAddressProblem(role: 'sender' | 'recipient', address: string): SmtpReply | undefined {
  if (role === 'sender' && address === '') return undefined;
  const parsed = parseMailbox(address);
  if (parsed.ok && parsed.mailbox.address === address.trim()) return undefined;
  const why = parsed.ok ? 'is not a bare address' : parsed.reason;
  return role === 'sender'
    ? { code: 553, enhanced: '5.1.7', text: `The sender address <${clip(address, 100)}> ${why}.` }
    : { code: 553, enhanced: '5.1.3', text: `The recipient address <${clip(address, 100)}> ${why}.` };
}

/** The reply to a RCPT TO beyond SES's 50 recipients: RFC 5321's 452, so the client sends the rest in another message. */
export function tooManyRecipientsReply(): SmtpReply {
  return { code: 452, enhanced: '4.5.3', text: `Too many recipients: SES takes at most ${MAX_RECIPIENTS} per message; send the rest in another message.` };
}

function clip(text: string, max = MAX_REPLY_TEXT): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 3)}...` : oneLine;
}

/**
 * `name=value, name2=value2` into tags. The raw checks then hold them to SES's rules (letters,
 * digits, `_` and `-`; no reserved name); an item without `=` is refused here, by header name.
 */
function readTagsHeader(field: HeaderField): { name: string; value: string }[] {
  return field.value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      const equals = item.indexOf('=');
      if (equals <= 0) {
        throw new OutboxError('validation', `The ${field.name} header must read \`name=value, name2=value2\`; \`${clip(item, 60)}\` has no name=value.`);
      }
      return { name: item.slice(0, equals).trim(), value: item.slice(equals + 1).trim() };
    });
}

/**
 * The message without the given fields. A field runs from its first line to the next field's (or
 * to the empty line that ends the section), so folded continuation lines go with it.
 */
function withoutFields(bytes: Uint8Array, fields: readonly HeaderField[], removed: readonly HeaderField[], bodyLine: number): Uint8Array {
  if (removed.length === 0) return bytes;
  const lineStarts = new Map<number, number>();
  for (const line of messageLines(bytes)) {
    lineStarts.set(line.number, line.start);
    if (line.number >= bodyLine) break;
  }
  const startOf = (lineNumber: number) => lineStarts.get(lineNumber)!;
  const drop = new Set(removed);
  const kept: Uint8Array[] = [];
  let cursor = 0;
  fields.forEach((field, index) => {
    if (!drop.has(field)) return;
    const start = startOf(field.line);
    const end = startOf(fields[index + 1]?.line ?? bodyLine - 1);
    kept.push(bytes.subarray(cursor, start));
    cursor = end;
  });
  kept.push(bytes.subarray(cursor));
  return Buffer.concat(kept);
}

/** What a retry of the same submission keeps the same (see submitSmtpMessage). */
async function retryFingerprint(envelope: SmtpEnvelope, submission: SmtpSubmission): Promise<unknown> {
  const { raw, ...rest } = submission.request;
  const bytes = Buffer.from(raw, 'base64');
  const envelopePart = { mailFrom: envelope.mailFrom, rcptTo: [...envelope.rcptTo].map(normalizeAddress).sort(), ...rest };
  try {
    const message = await readMimeMessage(bytes);
    const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');
    return {
      envelope: envelopePart,
      from: message.from ?? null,
      to: message.to,
      cc: message.cc,
      replyTo: message.replyTo,
      subject: message.subject ?? null,
      text: message.text ?? null,
      html: message.html ?? null,
      parts: message.parts.map((p) => ({ filename: p.filename ?? null, contentType: p.contentType, contentId: p.contentId ?? null, sha256: sha256(p.bytes) })),
    };
  } catch {
    // Unreadable: the raw checks refuse it, and the key is released; the bytes stand for it meanwhile.
    return { envelope: envelopePart, raw };
  }
}
