import { parseMailbox, type Mailbox } from './addresses';
import { checkMessageSize, parseAttachments } from './attachments';
import type { EmailDraft, NameValue } from './email';
import { OutboxError, type ErrorKind } from './errors';
import { isObject } from './json-body';
import { describeValue } from './list-query';
import { parseTemplate } from './template-request';
import { OUTBOX_TAG_PREFIX } from '../shared/env';

/** SES: at most 50 recipients per message, To, Cc and Bcc together (SES-FACTS §6). */
export const MAX_RECIPIENTS = 50;
/** SES Simple content takes at most 15 custom headers (SES-FACTS §5). */
export const MAX_HEADERS = 15;
export const MAX_TAGS = 50;
const MAX_SUBJECT_LENGTH = 998;

/** SES message tag names and values: ASCII letters, digits, `_` and `-`, up to 256 characters. */
const TAG_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;
/** Header names: printable ASCII 33-126 except the colon, up to 126 characters (SES). */
const HEADER_NAME_PATTERN = /^[\x21-\x39\x3b-\x7e]{1,126}$/;
/** Header values: printable ASCII and tab, so no CR/LF can start a header of its own. */
const HEADER_VALUE_PATTERN = /^[\x20-\x7e\t]{0,995}$/;

/**
 * Headers Outbox writes itself from the request's fields, or SES controls; a custom header of the
 * same name would duplicate or override them. `X-SES-*` headers would change the configuration
 * set or tags and defeat tracking.
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set(
  [
    'from', 'to', 'cc', 'bcc', 'subject', 'reply-to', 'sender', 'return-path', 'date', 'message-id',
    'mime-version', 'content-type', 'content-transfer-encoding', 'content-disposition',
  ],
);

/** A header (lower-cased) an email may not set: one Outbox or SES writes itself (RESERVED_HEADERS, `X-SES-*`). */
export function isReservedHeader(lowerCaseName: string): boolean {
  return RESERVED_HEADERS.has(lowerCaseName) || lowerCaseName.startsWith('x-ses-');
}

interface Problem {
  readonly kind: ErrorKind;
  readonly message: string;
}

/**
 * The fields of one email, for `POST /emails` and each email of `POST /emails/batch`: every field
 * the resend SDK (6.x) puts on the wire for `emails.send` and `batch.send` (its camelCase options
 * converted to these names; `react` is rendered to `html` before sending), less the unsupported
 * ones below. Anything else is refused, so a typo such as `replyTo` or `reply-to` sent over curl is
 * named instead of silently dropping the reply address.
 */
export const EMAIL_FIELDS = ['from', 'to', 'cc', 'bcc', 'reply_to', 'subject', 'html', 'text', 'headers', 'tags', 'attachments', 'template', 'scheduled_at'] as const;
/** The fields of an attachment (`path` is known, and refused with its reason by parseAttachments). */
export const ATTACHMENT_FIELDS = ['filename', 'content', 'content_type', 'content_id', 'path'] as const;
export const TEMPLATE_FIELDS = ['id', 'variables'] as const;
export const TAG_FIELDS = ['name', 'value'] as const;

/** Fields the resend SDK can send that Outbox cannot honour yet, with the reason it refuses them. */
const UNSUPPORTED_EMAIL_FIELDS: Readonly<Record<string, string>> = {
  topic_id:
    "`topic_id` (the SDK's `topicId`) is not supported yet: Outbox keeps no contacts or topics, so it cannot limit an email to a topic's subscribers. Remove it to send to the recipients given.",
};

/**
 * Reports each field of `input` that is not in `known` (and not listed in `unsupported`, whose
 * reasons are reported instead) in one problem, suggesting the known field a typo stands for
 * (`replyTo` or `reply-to` for `reply_to`) and listing the known ones. `where.prefix` goes before
 * each field's name (`attachments[0].`), `where.noun` names the object (`an email`), `where.shown`
 * limits the fields listed. Shared with the raw route.
 */
export function checkFields(
  input: Record<string, unknown>,
  known: readonly string[],
  where: { readonly prefix: string; readonly noun: string; readonly shown?: readonly string[] },
  report: Report,
  unsupported: Readonly<Record<string, string>> = {},
): void {
  const unknown: string[] = [];
  for (const field of Object.keys(input)) {
    if (known.includes(field)) continue;
    const reason = unsupported[field];
    if (reason !== undefined) {
      if (input[field] !== undefined && input[field] !== null) report('validation', reason);
      continue;
    }
    const suggestion = (where.shown ?? known).find((name) => name === snakeCase(field));
    unknown.push(`\`${where.prefix}${field}\`${suggestion !== undefined ? ` (did you mean \`${suggestion}\`?)` : ''}`);
  }
  if (unknown.length === 0) return;
  const named = unknown.length === 1 ? `${unknown[0]} is not a field` : `${unknown.slice(0, -1).join(', ')} and ${unknown.at(-1)} are not fields`;
  report('validation', `${named} of ${where.noun}; the fields of ${where.noun} are ${(where.shown ?? known).map((f) => `\`${f}\``).join(', ')}.`);
}

/** `replyTo`, `Reply-To` and `reply-to` become `reply_to`. */
function snakeCase(field: string): string {
  return field
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s]+/g, '_')
    .toLowerCase();
}

/**
 * Validates a `POST /emails` body (the Resend API's field names) and returns the draft to send.
 * Collects every problem and throws one OutboxError naming them all; the kind is the first
 * problem's. Fields that are not an email's (EMAIL_FIELDS), or not an attachment's, template's or
 * tag's, are refused, naming each.
 */
export function parseSendRequest(body: unknown): EmailDraft {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OutboxError('malformed_body', 'The request body must be a JSON object describing one email.');
  }
  const input = body as Record<string, unknown>;
  const problems: Problem[] = [];
  const report = (kind: ErrorKind, message: string) => problems.push({ kind, message });

  const from = parseFrom(input.from, report);
  const to = parseAddressList('to', input.to, report, true);
  const cc = parseAddressList('cc', input.cc, report, false);
  const bcc = parseAddressList('bcc', input.bcc, report, false);
  const replyTo = parseAddressList('reply_to', input.reply_to, report, false);
  const recipientCount = to.length + cc.length + bcc.length;
  if (recipientCount > MAX_RECIPIENTS) {
    report(
      'validation',
      `An email can have at most ${MAX_RECIPIENTS} recipients in \`to\`, \`cc\` and \`bcc\` together; this one has ${recipientCount}. Split it into several emails.`,
    );
  }

  const template = parseTemplate(input.template, report);
  const withTemplate = input.template !== undefined && input.template !== null;
  // SES renders a stored template's subject and body itself: there is nowhere to put others.
  for (const field of withTemplate ? (['subject', 'html', 'text'] as const) : []) {
    if (input[field] !== undefined && input[field] !== null && input[field] !== '') {
      report('validation', `\`${field}\` cannot be given with \`template\`: SES takes the subject and body from the stored template. Pass the value as a template variable instead.`);
    }
  }
  const subject = withTemplate ? undefined : parseSubject(input.subject, report);
  const html = withTemplate ? undefined : parseBody('html', input.html, report);
  const text = withTemplate ? undefined : parseBody('text', input.text, report);
  if (!withTemplate && html === undefined && text === undefined && !problems.some((p) => p.message.includes('`html`') || p.message.includes('`text`'))) {
    report('missing_field', 'Missing `html` or `text`: an email needs a body (or a `template`).');
  }
  const headers = parseHeaders(input.headers, report);
  const tags = parseTags(input.tags, report);
  const attachments = parseAttachments(input.attachments, report);
  checkMessageSize([html, text], attachments, report);
  checkEmailFields(input, report);

  if (problems.length > 0) {
    throw new OutboxError(problems[0]!.kind, problems.map((p) => p.message).join(' '));
  }
  return {
    from: from!,
    to,
    cc,
    bcc,
    replyTo,
    ...(subject !== undefined ? { subject } : {}),
    ...(html !== undefined ? { html } : {}),
    ...(text !== undefined ? { text } : {}),
    headers,
    tags,
    attachments,
    ...(template ? { template } : {}),
  };
}

export type Report = (kind: ErrorKind, message: string) => void;

/** Unknown fields of an email and of its attachments, template and tags (see EMAIL_FIELDS). */
function checkEmailFields(input: Record<string, unknown>, report: Report): void {
  checkFields(input, EMAIL_FIELDS, { prefix: '', noun: 'an email' }, report, UNSUPPORTED_EMAIL_FIELDS);
  if (Array.isArray(input.attachments)) {
    input.attachments.forEach((attachment: unknown, index) => {
      if (isObject(attachment)) {
        const shown = ATTACHMENT_FIELDS.filter((f) => f !== 'path');
        checkFields(attachment, ATTACHMENT_FIELDS, { prefix: `attachments[${index}].`, noun: 'an attachment', shown }, report);
      }
    });
  }
  if (isObject(input.template)) checkFields(input.template, TEMPLATE_FIELDS, { prefix: 'template.', noun: '`template`' }, report);
  if (Array.isArray(input.tags)) {
    input.tags.forEach((tag: unknown, index) => {
      if (isObject(tag)) checkFields(tag, TAG_FIELDS, { prefix: `tags[${index}].`, noun: 'a tag' }, report);
    });
  }
}


function parseFrom(value: unknown, report: Report): Mailbox | undefined {
  if (value === undefined || value === null || value === '') {
    report('missing_field', 'Missing `from`: give the sender as `email@example.com` or `Name <email@example.com>`.');
    return undefined;
  }
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

/** Reads a recipient field (`to`, `cc`, `bcc`, `reply_to`): one address or a list. Shared with the raw route. */
export function parseAddressList(field: string, value: unknown, report: Report, required: boolean): Mailbox[] {
  if (value === undefined || value === null) {
    if (required) report('missing_field', `Missing \`${field}\`: give at least one recipient address.`);
    return [];
  }
  const items = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(items) || items.some((item) => typeof item !== 'string')) {
    report('validation', `\`${field}\` must be an email address or a list of email addresses.`);
    return [];
  }
  if (required && items.length === 0) {
    report('missing_field', `Missing \`${field}\`: give at least one recipient address.`);
    return [];
  }
  const mailboxes: Mailbox[] = [];
  items.forEach((item: string, index) => {
    const parsed = parseMailbox(item);
    const where = items.length === 1 ? `\`${field}\`` : `\`${field}[${index}]\``;
    if (parsed.ok) mailboxes.push(parsed.mailbox);
    else report('validation', `${where} ${parsed.reason}: ${JSON.stringify(truncate(item))}.`);
  });
  return mailboxes;
}

function parseSubject(value: unknown, report: Report): string | undefined {
  if (value === undefined || value === null) {
    report('missing_field', 'Missing `subject`.');
    return undefined;
  }
  if (typeof value !== 'string') {
    report('validation', '`subject` must be a string.');
    return undefined;
  }
  if (/[\r\n]/.test(value)) {
    report('validation', '`subject` must be one line: remove the line breaks (CR or LF).');
    return undefined;
  }
  if (value.length > MAX_SUBJECT_LENGTH) {
    report('validation', `\`subject\` is ${value.length} characters; the limit is ${MAX_SUBJECT_LENGTH}.`);
    return undefined;
  }
  return value;
}

function parseBody(field: 'html' | 'text', value: unknown, report: Report): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    report('validation', `\`${field}\` must be a string.`);
    return undefined;
  }
  return value;
}

function parseHeaders(value: unknown, report: Report): NameValue[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value)) {
    report('validation', '`headers` must be an object of header names to string values.');
    return [];
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) {
    report('validation', `\`headers\` has ${entries.length} entries; SES allows at most ${MAX_HEADERS}.`);
    return [];
  }
  const seen = new Set<string>();
  const headers: NameValue[] = [];
  for (const [name, headerValue] of entries) {
    const lower = name.toLowerCase();
    if (!HEADER_NAME_PATTERN.test(name)) {
      report('validation', `Header name ${JSON.stringify(truncate(name))} is invalid: use 1-126 printable ASCII characters, no spaces or colons.`);
    } else if (isReservedHeader(lower)) {
      report('validation', `Header \`${name}\` cannot be set in \`headers\`: Outbox sets it from the email's fields or SES controls it.`);
    } else if (seen.has(lower)) {
      report('validation', `Header \`${name}\` is given twice (header names are case-insensitive).`);
    } else if (typeof headerValue !== 'string') {
      report('validation', `Header \`${name}\` must have a string value.`);
    } else if (/[\r\n]/.test(headerValue)) {
      report('validation', `Header \`${name}\` must be one line: remove the line breaks (CR or LF).`);
    } else if (!HEADER_VALUE_PATTERN.test(headerValue) || name.length + headerValue.length > 996) {
      report('validation', `Header \`${name}\` must be printable ASCII and at most 995 characters (encode other text as RFC 2047 encoded-words).`);
    } else {
      headers.push({ name, value: headerValue });
    }
    seen.add(lower);
  }
  return headers;
}

/** Reads `tags` (SES message tags). Shared with the raw route. */
export function parseTags(value: unknown, report: Report): NameValue[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    report('validation', '`tags` must be a list of `{ "name": ..., "value": ... }` objects.');
    return [];
  }
  if (value.length > MAX_TAGS) {
    report('validation', `\`tags\` has ${value.length} entries; the limit is ${MAX_TAGS}.`);
    return [];
  }
  const seen = new Set<string>();
  const tags: NameValue[] = [];
  value.forEach((tag: unknown, index) => {
    const where = `\`tags[${index}]\``;
    if (typeof tag !== 'object' || tag === null) {
      report('validation', `${where} must be an object with \`name\` and \`value\`.`);
      return;
    }
    const { name, value: tagValue } = tag as Record<string, unknown>;
    if (typeof name !== 'string' || !TAG_PATTERN.test(name)) {
      report('validation', `${where}.name must be 1-256 ASCII letters, digits, underscores or dashes; got ${describeValue(name)}.`);
    } else if (typeof tagValue !== 'string' || !TAG_PATTERN.test(tagValue)) {
      report('validation', `${where}.value must be 1-256 ASCII letters, digits, underscores or dashes; got ${describeValue(tagValue)}.`);
    } else if (name.toLowerCase().startsWith(OUTBOX_TAG_PREFIX)) {
      report('validation', `${where}.name \`${name}\` is reserved: tag names starting with \`${OUTBOX_TAG_PREFIX}\` are Outbox's own (it tracks the email with one).`);
    } else if (seen.has(name)) {
      report('validation', `${where}.name \`${name}\` is given twice.`);
    } else {
      seen.add(name);
      tags.push({ name, value: tagValue });
    }
  });
  return tags;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
