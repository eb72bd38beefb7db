import { acceptEmail } from './accept-email';
import { parseMailbox, type Mailbox } from './addresses';
import type { Principal } from './api-keys';
import { canonicalBase64, MAX_MESSAGE_BYTES } from './attachments';
import { scanDraft } from './content-scan';
import type { EmailDraft } from './email';
import { OutboxError, type ErrorKind } from './errors';
import { messageLines, readHeaderSection, type HeaderField, type HeaderSection } from './header-section';
import { readMimeMessage, type HeaderMailbox, type MimeMessage } from './mime-message';
import { deliverNow, refuseWhileHeld, type SendEmailDeps } from './send-email';
import { checkFields, MAX_RECIPIENTS, parseAddressList, parseTags, TAG_FIELDS } from './send-request';
import { isObject } from './json-body';

/** RFC 5322 §2.1.1 (and SES, SES-FACTS §5): at most 998 characters per line, CRLF excluded. */
const MAX_LINE_LENGTH = 998;
/**
 * Fields a message may have once at most: RFC 5322 §3.6's (Bcc aside, refused anyway) and the
 * MIME fields that decide how the body is read (SES's header-fields list has them all). With two,
 * readers disagree about which counts: Outbox could check one From or Content-Type while SES or
 * a recipient's client acts on the other.
 */
const ONCE_ONLY = [
  ...['From', 'Sender', 'Reply-To', 'To', 'Cc', 'Subject', 'Date', 'Message-ID', 'In-Reply-To', 'References'],
  ...['MIME-Version', 'Content-Type', 'Content-Transfer-Encoding', 'Content-Disposition'],
] as const;
/**
 * `/emails` fields that do not apply here: the message carries its own content, and a
 * silently ignored field would surprise.
 */
const NOT_FOR_RAW: Readonly<Record<string, string>> = {
  subject: 'the raw message carries its own Subject header',
  html: 'the raw message carries its own body',
  text: 'the raw message carries its own body',
  attachments: 'put attachments in the raw message as MIME parts',
  headers: 'put headers in the raw message itself',
  reply_to: 'put a Reply-To header in the raw message',
  template: 'templates are sent through POST /emails',
  scheduled_at: 'raw messages are sent at once',
};

/** The fields `POST /emails/raw` reads; with NOT_FOR_RAW's, anything else is refused as unknown. */
export const RAW_FIELDS = ['raw', 'from', 'to', 'cc', 'bcc', 'tags'] as const;

interface Problem {
  readonly kind: ErrorKind;
  readonly message: string;
}

/** A validated `POST /emails/raw` request: the draft, and the message as parsed (for the scan). */
export interface RawSendRequest {
  readonly draft: EmailDraft;
  readonly message: MimeMessage;
}

/**
 * Validates a `POST /emails/raw` body (Outbox's extension, the SendRawEmail path):
 * `{ "raw": "<base64 RFC 5322 message>", "from"?, "to"?, "cc"?, "bcc"?, "tags"? }`.
 *
 * - `raw` must be base64 of a message that starts with header fields, separates them from the
 *   body with a blank line, keeps lines within 998 characters, and fits SES's 40 MB.
 * - The header section is read once, by readHeaderSection, and every check below runs on that
 *   reading. It refuses what readers could disagree about: a bare CR or LF, control bytes and
 *   8-bit bytes in the header section, lines there that are neither field nor fold. A bare CR in
 *   the body is refused too (RFC 5322 allows CR only before LF): postal-mime, which reads the
 *   parts for the content scan, does not end a line there, and a reader that does could see a
 *   part header or boundary the scan did not. A field RFC 5322 allows once may not repeat.
 * - From: the message's From header must name a mailbox. `from` in the body, when given, is the
 *   identity SES checks and sends from (SES's FromEmailAddress); the From header stays as written.
 * - Recipients: the message's To and Cc headers, unless the body gives `to`, `cc` or `bcc`, in
 *   which case those alone are the SES Destination. At most 50, as for /emails.
 * - Refused headers: `X-SES-*` (X-SES-CONFIGURATION-SET and X-SES-MESSAGE-TAGS would change the
 *   configuration set or tags SES applies and defeat tracking; the ARN headers change the sending
 *   identity), and `Bcc` (SES sends a raw message as it is, so every recipient would read it).
 *
 * - Other fields: those of `/emails` that do not apply are refused with the reason (NOT_FOR_RAW),
 *   any other unknown field as unknown (RAW_FIELDS).
 *
 * Throws one OutboxError naming every problem found; the kind is the first problem's.
 */
export async function parseRawSendRequest(body: unknown): Promise<RawSendRequest> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OutboxError('malformed_body', 'The request body must be a JSON object: `{ "raw": "<base64 of an RFC 5322 message>" }`.');
  }
  const input = body as Record<string, unknown>;
  const problems: Problem[] = [];
  const report = (kind: ErrorKind, message: string) => problems.push({ kind, message });
  const fail = (): never => {
    throw new OutboxError(problems[0]!.kind, problems.map((p) => p.message).join(' '));
  };

  for (const [field, reason] of Object.entries(NOT_FOR_RAW)) {
    if (input[field] !== undefined && input[field] !== null) report('validation', `\`${field}\` does not apply to /emails/raw: ${reason}.`);
  }
  checkFields(input, [...RAW_FIELDS, ...Object.keys(NOT_FOR_RAW)], { prefix: '', noun: 'a raw email', shown: RAW_FIELDS }, report);
  if (Array.isArray(input.tags)) {
    input.tags.forEach((tag: unknown, index) => {
      if (isObject(tag)) {
        checkFields(tag as Record<string, unknown>, TAG_FIELDS, { prefix: `tags[${index}].`, noun: 'a tag' }, report);
      }
    });
  }
  const bytes = readRaw(input.raw, report);
  const fromOverride = readFromOverride(input.from, report);
  const overridden = ['to', 'cc', 'bcc'].some((field) => input[field] !== undefined && input[field] !== null);
  const to = parseAddressList('to', input.to, report, false);
  const cc = parseAddressList('cc', input.cc, report, false);
  const bcc = parseAddressList('bcc', input.bcc, report, false);
  const tags = parseTags(input.tags, report);
  if (bytes === undefined) return fail();

  const structure = checkStructure(bytes, report);
  if (structure) checkHeaderFields(structure.fields, report);
  if (problems.length > 0 || !structure?.section) return fail();

  let message: MimeMessage;
  try {
    message = await readMimeMessage(bytes, structure.section);
  } catch (error) {
    throw new OutboxError('validation', `\`raw\` could not be read as a MIME message (${error instanceof Error ? error.message : 'parse error'}).`, { cause: error });
  }

  const from = headerFrom(message, report);
  const destination = overridden
    ? { to, cc, bcc }
    : { to: headerMailboxes('To', message.to, report), cc: headerMailboxes('Cc', message.cc, report), bcc: [] };
  const count = destination.to.length + destination.cc.length + destination.bcc.length;
  // A message whose header recipients are all invalid already has its problem named.
  if (count === 0 && (overridden || message.to.length + message.cc.length === 0)) {
    report(
      'missing_field',
      overridden
        ? 'Give at least one recipient in `to`, `cc` or `bcc`.'
        : 'The raw message names no recipients (no To or Cc header): add them, or give `to`, `cc` or `bcc` in the request.',
    );
  }
  if (count > MAX_RECIPIENTS) {
    report('validation', `An email can have at most ${MAX_RECIPIENTS} recipients; this one has ${count}. Split it into several emails.`);
  }
  if (problems.length > 0) return fail();

  const replyTo = message.replyTo.flatMap((m) => {
    const parsed = parseMailbox(m.address);
    return parsed.ok ? [withName(parsed.mailbox, m.name)] : [];
  });
  const draft: EmailDraft = {
    from: fromOverride ?? from!,
    ...destination,
    replyTo,
    ...(message.subject !== undefined ? { subject: message.subject } : {}),
    ...(message.html !== undefined ? { html: message.html } : {}),
    ...(message.text !== undefined ? { text: message.text } : {}),
    headers: [],
    tags,
    attachments: [],
    raw: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
  };
  return { draft, message };
}

/**
 * Sends one raw MIME message synchronously through SES (Raw content).
 *
 * 1. Validate the body and parse the message (throws validation errors; nothing stored).
 * 2. Scan it: blocked attachment types in every named part, the EICAR signature, ClamAV when
 *    configured (see scanDraft).
 * 3. Sending held paused: 503, nothing stored (see refuseWhileHeld).
 * 4. Accept it: suppression check, then stored as `queued` with subject, from and recipients
 *    read from it (see acceptEmail).
 * 5. Hand it to SES (see deliverNow).
 *
 * Not idempotent: each call sends a new email.
 */
export async function sendRawEmail(deps: SendEmailDeps, principal: Principal, body: unknown): Promise<{ id: string }> {
  const { draft, message } = await parseRawSendRequest(body);
  await scanDraft(deps, draft, message);
  await refuseWhileHeld(deps);
  const accepted = await acceptEmail(deps, principal, draft, 'queued', undefined, { sendingNow: true });
  await deliverNow(deps, accepted);
  return { id: accepted.email.id };
}

type Report = (kind: ErrorKind, message: string) => void;

function readRaw(value: unknown, report: Report): Buffer | undefined {
  if (value === undefined || value === null || value === '') {
    report('missing_field', 'Missing `raw`: give the whole RFC 5322 message (headers, a blank line, the body), base64-encoded.');
    return undefined;
  }
  if (typeof value !== 'string') {
    report('validation', '`raw` must be a string: the message, base64-encoded.');
    return undefined;
  }
  const canonical = canonicalBase64(value);
  if (canonical === undefined) {
    report('validation', '`raw` is not valid base64 (standard alphabet A-Z a-z 0-9 + /, with = padding at the end only).');
    return undefined;
  }
  const bytes = Buffer.from(canonical, 'base64');
  if (bytes.length > MAX_MESSAGE_BYTES) {
    report(
      'validation',
      `The raw message is ${(bytes.length / 1048576).toFixed(1)} MB; SES takes at most 40 MB per message (and an Outbox request carries at most about 6 MB).`,
    );
    return undefined;
  }
  return bytes;
}

function readFromOverride(value: unknown, report: Report): Mailbox | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    report('invalid_from', '`from` must be a string such as `Name <email@example.com>`.');
    return undefined;
  }
  const parsed = parseMailbox(value);
  if (!parsed.ok) {
    report('invalid_from', `\`from\` ${parsed.reason}: use \`email@example.com\` or \`Name <email@example.com>\`.`);
    return undefined;
  }
  return parsed.mailbox;
}

/**
 * The shape SES requires before reading a raw message at all (SES-FACTS §5, Raw), on the one
 * reading of its lines (messageLines: CRLF, bare CR and bare LF each end one): the header section
 * as readHeaderSection reads it, no bare CR in the body, no line over 998 bytes. Returns the
 * header section when it could be read, and the fields the reading saw either way (undefined
 * when the bytes are not a message at all).
 */
function checkStructure(bytes: Buffer, report: Report): { section?: HeaderSection; fields: readonly HeaderField[] } | undefined {
  const reading = readHeaderSection(bytes);
  if (!reading.ok) {
    for (const problem of reading.problems) report('validation', problem);
    if (reading.notAMessage) return undefined;
  }
  const bodyLine = reading.ok ? reading.section.bodyLine : Infinity;
  let long = false;
  let bareCr = false;
  for (const line of messageLines(bytes)) {
    const length = line.end - line.start;
    if (!long && length > MAX_LINE_LENGTH) {
      long = true;
      report('validation', `Line ${line.number} of the raw message is ${length} characters; SES (and RFC 5322) allow at most ${MAX_LINE_LENGTH}. Use a transfer encoding (base64 or quoted-printable) for long lines.`);
    }
    if (!bareCr && line.ending === 'CR' && line.number >= bodyLine) {
      bareCr = true;
      report(
        'validation',
        `Line ${line.number} of the raw message, in the body, ends with a bare CR (0x0D without LF after it): RFC 5322 allows CR only in CRLF, and readers disagree about where such a line ends, so a MIME part's headers could read differently to Outbox's content scan than to the recipient. End lines with CRLF, and send binary data in a base64 part.`,
      );
    }
    if (long && bareCr) break;
  }
  return reading.ok ? { section: reading.section, fields: reading.section.fields } : { fields: reading.fields };
}

/** Headers Outbox refuses by name, on the header-section reader's fields. */
function checkHeaderFields(fields: readonly HeaderField[], report: Report): void {
  for (const header of fields) {
    const name = header.name.toLowerCase();
    if (name.startsWith('x-ses-')) {
      report(
        'validation',
        `The raw message has an \`${header.name}\` header at line ${header.line}, which Outbox refuses: X-SES-* headers would change the configuration set, tags or sending identity SES applies, and Outbox's tracking depends on them. Remove it; give tags in \`tags\`.`,
      );
    } else if (name === 'bcc') {
      report(
        'validation',
        `The raw message has a \`Bcc\` header${header.name === 'Bcc' ? '' : ` (written \`${header.name}\`)`} at line ${header.line}, which every recipient would see (SES sends a raw message as it is). Remove it and list those addresses in \`bcc\`.`,
      );
    }
  }
  for (const field of ONCE_ONLY) {
    const lines = fields.filter((h) => h.name.toLowerCase() === field.toLowerCase()).map((h) => h.line);
    if (lines.length > 1) {
      report(
        'validation',
        `The raw message has ${lines.length} \`${field}\` headers (lines ${lines.join(', ')}); a message may have one (RFC 5322), and readers disagree about which of several counts.`,
      );
    }
  }
}

function headerFrom(message: MimeMessage, report: Report): Mailbox | undefined {
  const header = message.headers.find((h) => h.name.toLowerCase() === 'from');
  if (!header || !message.from) {
    report(
      header ? 'invalid_from' : 'missing_field',
      header ? `The raw message's From header (${JSON.stringify(header.value.slice(0, 80))}) names no mailbox.` : 'The raw message has no From header: SES needs one to send it.',
    );
    return undefined;
  }
  const parsed = parseMailbox(message.from.address);
  if (!parsed.ok) {
    report('invalid_from', `The raw message's From address ${parsed.reason}: ${JSON.stringify(message.from.address.slice(0, 80))}.`);
    return undefined;
  }
  return withName(parsed.mailbox, message.from.name);
}

function headerMailboxes(header: string, mailboxes: readonly HeaderMailbox[], report: Report): Mailbox[] {
  const valid: Mailbox[] = [];
  for (const m of mailboxes) {
    const parsed = parseMailbox(m.address);
    if (parsed.ok) valid.push(withName(parsed.mailbox, m.name));
    else report('validation', `The raw message's ${header} header has an address that ${parsed.reason}: ${JSON.stringify(m.address.slice(0, 80))}.`);
  }
  return valid;
}

function withName(mailbox: Mailbox, name: string): Mailbox {
  const trimmed = name.trim();
  return trimmed ? { address: mailbox.address, name: trimmed } : { address: mailbox.address };
}
