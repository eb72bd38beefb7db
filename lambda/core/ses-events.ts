import { createHash } from 'node:crypto';
import { OutboxError } from './errors';
import { isUuid } from './ids';
import { isObject } from './json-body';
import { isReservedHeader } from './send-request';
import { MESSAGE_ID_TAG, OUTBOX_TAG_PREFIX } from '../shared/env';

/**
 * SES notifications, read from either family SES publishes (SES-FACTS §1): event publishing
 * records (`eventType`, from a configuration set) and identity feedback notifications
 * (`notificationType`: Bounce, Complaint, Delivery). Each may come inside an SNS envelope (as an
 * SQS body or a Lambda SNS record) or bare. SES adds fields over time, so unknown keys are ignored.
 */

export type SesEventType =
  | 'Send'
  | 'Reject'
  | 'Bounce'
  | 'Complaint'
  | 'Delivery'
  | 'DeliveryDelay'
  | 'RenderingFailure'
  | 'Open'
  | 'Click'
  | 'Subscription';

export interface BouncedRecipient {
  readonly emailAddress: string;
  readonly action?: string;
  readonly status?: string;
  readonly diagnosticCode?: string;
}

export type SesEventDetail =
  | { readonly kind: 'Send' }
  | { readonly kind: 'Reject'; readonly reason: string }
  | {
      readonly kind: 'Bounce';
      readonly bounceType: 'Permanent' | 'Transient' | 'Undetermined';
      readonly bounceSubType: string;
      readonly feedbackId?: string;
      readonly reportingMTA?: string;
      readonly bouncedRecipients: readonly BouncedRecipient[];
    }
  | { readonly kind: 'Complaint'; readonly feedbackId?: string; readonly complaintFeedbackType?: string; readonly complaintSubType?: string | null; readonly userAgent?: string }
  | { readonly kind: 'Delivery'; readonly smtpResponse?: string; readonly processingTimeMillis?: number; readonly reportingMTA?: string }
  | { readonly kind: 'DeliveryDelay'; readonly delayType?: string; readonly expirationTime?: string; readonly diagnosticCodes: readonly string[] }
  | { readonly kind: 'RenderingFailure'; readonly errorMessage?: string; readonly templateName?: string }
  | { readonly kind: 'Open'; readonly ipAddress?: string; readonly userAgent?: string }
  | { readonly kind: 'Click'; readonly link?: string; readonly ipAddress?: string; readonly userAgent?: string }
  | { readonly kind: 'Subscription'; readonly contactList?: string; readonly source?: string };

/** One SES notification, normalized. */
export interface SesEvent {
  /**
   * Stable across redeliveries, replays and the two families: the type and feedbackId for bounces
   * and complaints (SES's own id for that feedback; AWS's examples reuse one feedbackId for a
   * bounce and a complaint, hence the type), otherwise a hash of what the event says.
   */
  readonly eventKey: string;
  readonly type: SesEventType;
  readonly format: 'event-publishing' | 'notification';
  /** The SES message ID (`mail.messageId`). */
  readonly sesMessageId: string;
  /** Outbox's email id from the `outbox-message-id` tag, when the message carried it. */
  readonly outboxId?: string;
  /** When it happened, by SES's clock. */
  readonly occurredAt: string;
  /** The recipients it is about, lower-cased; for Send and Reject, every recipient of the message. */
  readonly recipients: readonly string[];
  /** The message's custom tags: the sender's own, SES's automatic `ses:` and Outbox's `outbox-` tags left out. */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * What SES says of the message itself (`mail`): From and To as written (when SES included the
   * headers; else the envelope sender and every recipient), subject, all recipients, when sent.
   */
  readonly mail: {
    readonly from: string;
    readonly to: readonly string[];
    readonly subject: string;
    readonly destination: readonly string[];
    readonly timestamp: string;
    /** `mail.source` as SES wrote it (the address the message was sent from), or '' when absent. */
    readonly source: string;
    /**
     * The message's custom headers, from `mail.headers` (event publishing carries them; identity
     * notifications only when set to include them): every header but those Outbox writes from
     * the email's fields or SES controls (RESERVED_HEADERS, `X-SES-*`), which are exactly the ones
     * `headers` may not set. Absent or empty when SES sent none.
     */
    readonly headers?: readonly { readonly name: string; readonly value: string }[];
  };
  /** The SNS MessageId of the envelope it came in, if any. */
  readonly snsMessageId?: string;
  readonly detail: SesEventDetail;
}

/**
 * What one SES record may carry; a record beyond any of these is refused as malformed, with a
 * reason that names the limit. Each is well above what SES sends, and bounds what one record
 * can cost to read and store.
 */
export const SES_RECORD_LIMITS = Object.freeze({
  /** The whole input text (an SQS message body, an SNS envelope): SQS's largest message, 1 MiB. */
  inputBytes: 1_048_576,
  /** The SES record itself (the SNS `Message`, or a bare record), UTF-8 bytes: SNS's largest message, 256 KiB. */
  recordBytes: 262_144,
  /** Levels of nesting in the SES record (SES's own go 4 deep). */
  depth: 16,
  /** Addresses in any one list of the record: SES sends one message to at most 50 recipients. */
  recipients: 50,
  /** Characters of `mail.messageId` (printable ASCII; SES's are 60). */
  messageIdLength: 256,
  /** Characters of an identifier, type, timestamp, tag name or tag value (SES's tags: 256). */
  idLength: 256,
  /**
   * Characters of a recipient address (RFC 5321: 64 before the @, 255 after). Recipients become
   * keys of the suppression list, so this keeps them well inside DynamoDB's key size.
   */
  addressLength: 320,
  /** Characters of a From or To header entry or `mail.source`, as written with a display name: one header line. */
  headerLength: 998,
  /** Characters of free text: a subject, diagnostic code, SMTP response, user agent, link. */
  textLength: 16_384,
  /** Entries of `mail.tags` (SES allows 50 of the sender's own, plus its `ses:` tags). */
  tags: 100,
});

/** An SES notification Outbox refuses to read, with the reason; never retried into success. */
export class MalformedSesRecordError extends OutboxError {
  constructor(reason: string) {
    super('malformed_body', `Not an SES notification: ${reason}`);
  }
}

// Maps, not object literals: a type name from the record (`__proto__`, `toString`) must find nothing.
const EVENT_TYPES: ReadonlyMap<string, SesEventType> = new Map<string, SesEventType>([
  ['Send', 'Send'],
  ['Reject', 'Reject'],
  ['Bounce', 'Bounce'],
  ['Complaint', 'Complaint'],
  ['Delivery', 'Delivery'],
  ['DeliveryDelay', 'DeliveryDelay'],
  // SES writes this one with a space in event publishing records (SES-FACTS §1).
  ['Rendering Failure', 'RenderingFailure'],
  ['RenderingFailure', 'RenderingFailure'],
  ['Open', 'Open'],
  ['Click', 'Click'],
  ['Subscription', 'Subscription'],
]);

const NOTIFICATION_TYPES: ReadonlyMap<string, SesEventType> = new Map<string, SesEventType>([
  ['Bounce', 'Bounce'],
  ['Complaint', 'Complaint'],
  ['Delivery', 'Delivery'],
]);

const L = SES_RECORD_LIMITS;

/** A length limit and its name in SES_RECORD_LIMITS, for the reason a refusal gives. */
interface Limit {
  readonly max: number;
  readonly name: string;
}
const ID: Limit = { max: L.idLength, name: 'idLength' };
const ADDRESS: Limit = { max: L.addressLength, name: 'addressLength' };
const HEADER: Limit = { max: L.headerLength, name: 'headerLength' };
const TEXT: Limit = { max: L.textLength, name: 'textLength' };

function malformed(reason: string): MalformedSesRecordError {
  return new MalformedSesRecordError(reason);
}

/**
 * Reads one SES notification from an SQS body, an SNS envelope (either key spelling), a Lambda SNS
 * record, or a bare SES record, given as JSON text or a JSON value. Throws a
 * MalformedSesRecordError (a `malformed_body` OutboxError) naming what is wrong, and nothing
 * else, whatever the input: SubscriptionConfirmation envelopes are refused too, as they carry no
 * event, and so is a record beyond SES_RECORD_LIMITS. Reads own properties only, so keys such as
 * `__proto__` or `toString` in the JSON are plain unknown keys.
 */
export function parseSesNotification(input: unknown): SesEvent {
  try {
    return parseInput(input);
  } catch (error) {
    if (error instanceof MalformedSesRecordError) throw error;
    // Only a value no JSON text can produce gets here (a getter that throws, a BigInt).
    throw malformed(`the input could not be read (${error instanceof Error ? error.name : typeof error})`);
  }
}

function parseInput(input: unknown): SesEvent {
  let value: unknown;
  if (typeof input === 'string') {
    const bytes = Buffer.byteLength(input, 'utf8');
    if (bytes > L.inputBytes) throw malformed(`the body is ${bytes} bytes; the limit is ${L.inputBytes} (inputBytes), SQS's largest message`);
    value = parseJson(input, 'the body is not JSON');
  } else {
    value = input;
  }
  if (!isObject(value)) throw malformed('expected a JSON object');
  let snsMessageId: string | undefined;
  // A value naming its SES type is the record itself, whatever other keys (`Sns`, `Type`) it has.
  const bare = typeof own(value, 'eventType') === 'string' || typeof own(value, 'notificationType') === 'string';
  const lambdaSns = own(value, 'Sns');
  const envelope = !bare && isObject(lambdaSns) ? lambdaSns : value;
  const snsType = bare ? undefined : own(envelope, 'Type');
  let record: unknown;
  if (typeof snsType === 'string') {
    if (snsType !== 'Notification') throw malformed(`an SNS ${clip(snsType)} carries no SES event`);
    const message = own(envelope, 'Message');
    if (typeof message !== 'string') throw malformed('the SNS envelope has no Message string');
    const messageId = own(envelope, 'MessageId');
    snsMessageId = typeof messageId === 'string' ? limited(messageId, 'the SNS MessageId', ID) : undefined;
    checkRecordBytes(Buffer.byteLength(message, 'utf8'));
    record = parseJson(message, 'the SNS Message is not JSON');
  } else {
    // A bare record: it is the whole input.
    checkRecordBytes(typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : jsonBytes(envelope));
    record = envelope;
  }
  if (!isObject(record)) throw malformed('the SES record is not a JSON object');
  checkDepth(record);
  return parseRecord(record, snsMessageId);
}

function checkRecordBytes(bytes: number): void {
  if (bytes > L.recordBytes) throw malformed(`the SES record is ${bytes} bytes; the limit is ${L.recordBytes} (recordBytes), SNS's largest message`);
}

/** The size of a value given as an object, as JSON text; its depth is checked first, so it has no cycle. */
function jsonBytes(value: Record<string, unknown>): number {
  checkDepth(value);
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/** Walks the value without recursion, so no nesting can exhaust the stack; a cycle counts as too deep. */
function checkDepth(root: unknown): void {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > L.depth) throw malformed(`the SES record nests deeper than ${L.depth} levels (depth)`);
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
    }
  }
}

function parseRecord(record: Record<string, unknown>, snsMessageId: string | undefined): SesEvent {
  let type: SesEventType | undefined;
  let format: SesEvent['format'];
  const eventType = own(record, 'eventType');
  const notificationType = own(record, 'notificationType');
  if (typeof eventType === 'string') {
    type = EVENT_TYPES.get(eventType);
    format = 'event-publishing';
    if (!type) throw malformed(`unknown eventType ${echo(eventType)}`);
  } else if (typeof notificationType === 'string') {
    format = 'notification';
    type = NOTIFICATION_TYPES.get(notificationType);
    if (!type) throw malformed(`unknown notificationType ${echo(notificationType)}`);
  } else {
    throw malformed('no eventType or notificationType');
  }

  const mail = own(record, 'mail');
  const messageId = isObject(mail) ? own(mail, 'messageId') : undefined;
  if (!isObject(mail) || typeof messageId !== 'string' || messageId === '') {
    throw malformed('mail.messageId is missing');
  }
  limited(messageId, 'mail.messageId', { max: L.messageIdLength, name: 'messageIdLength' });
  if (!/^[\x21-\x7e]+$/.test(messageId)) throw malformed('mail.messageId is not printable ASCII without spaces');
  const destination = stringList(own(mail, 'destination'), 'mail.destination', ADDRESS).map((a) => a.toLowerCase());
  const { outboxId, tags } = readTags(own(mail, 'tags'));
  const rawTimestamp = optional(mail, 'timestamp', 'mail.timestamp', ID);
  const mailTimestamp = rawTimestamp !== undefined && !Number.isNaN(Date.parse(rawTimestamp)) ? rawTimestamp : undefined;
  const { detail, recipients, occurredAt } = readDetail(type, record, destination, mailTimestamp);

  const eventKey =
    'feedbackId' in detail && detail.feedbackId
      ? `fb-${type}-${detail.feedbackId}`
      : `h-${createHash('sha256').update(JSON.stringify([type, messageId, occurredAt, recipients, detail])).digest('hex').slice(0, 32)}`;

  const headers = own(mail, 'commonHeaders');
  const commonHeaders = isObject(headers) ? headers : {};
  const headerTo = own(commonHeaders, 'to');
  const source = optional(mail, 'source', 'mail.source', HEADER) ?? '';
  return {
    eventKey,
    type,
    format,
    sesMessageId: messageId,
    mail: {
      // The From header as written (with its display name) when SES included headers.
      from: stringList(own(commonHeaders, 'from'), 'mail.commonHeaders.from', HEADER)[0] ?? source,
      to: headerTo !== undefined ? stringList(headerTo, 'mail.commonHeaders.to', HEADER) : destination,
      subject: optional(commonHeaders, 'subject', 'mail.commonHeaders.subject', TEXT) ?? '',
      destination,
      timestamp: mailTimestamp ?? occurredAt,
      source,
      headers: customHeaders(own(mail, 'headers')),
    },
    ...(outboxId ? { outboxId } : {}),
    occurredAt,
    recipients,
    tags,
    ...(snsMessageId ? { snsMessageId } : {}),
    detail,
  };
}


function readDetail(
  type: SesEventType,
  record: Record<string, unknown>,
  destination: string[],
  mailTimestamp: string | undefined,
): { detail: SesEventDetail; recipients: string[]; occurredAt: string } {
  const section = (key: string): Record<string, unknown> => {
    const value = own(record, key);
    if (!isObject(value)) throw malformed(`a ${type} record needs a \`${key}\` object`);
    return value;
  };
  const when = (body: Record<string, unknown>, where: string): string => {
    const at = optional(body, 'timestamp', `${where}.timestamp`, ID) ?? mailTimestamp;
    if (!at || Number.isNaN(Date.parse(at))) throw malformed(`the ${type} record has no valid timestamp`);
    return new Date(at).toISOString();
  };
  const text = (body: Record<string, unknown>, key: string, where: string): string | undefined => optional(body, key, `${where}.${key}`, TEXT);

  switch (type) {
    case 'Send':
    case 'Reject': {
      const key = type === 'Send' ? 'send' : 'reject';
      const value = own(record, key);
      const body = isObject(value) ? value : {};
      const occurredAt = when({ timestamp: mailTimestamp }, 'mail');
      const detail: SesEventDetail = type === 'Send' ? { kind: 'Send' } : { kind: 'Reject', reason: text(body, 'reason', key) ?? 'unknown' };
      return { detail, recipients: destination, occurredAt };
    }
    case 'Bounce': {
      const bounce = section('bounce');
      const bounceType = own(bounce, 'bounceType');
      if (bounceType !== 'Permanent' && bounceType !== 'Transient' && bounceType !== 'Undetermined') {
        throw malformed(`unknown bounceType ${echo(bounceType)}`);
      }
      const bounced = objectList(own(bounce, 'bouncedRecipients'), 'bounce.bouncedRecipients').map((r) => ({
        emailAddress: requiredAddress(r, 'bounce.bouncedRecipients[].emailAddress'),
        ...pick(r, { action: ID, status: ID, diagnosticCode: TEXT }, 'bounce.bouncedRecipients[]'),
      }));
      return {
        detail: {
          kind: 'Bounce',
          bounceType,
          bounceSubType: optional(bounce, 'bounceSubType', 'bounce.bounceSubType', ID) ?? 'Undetermined',
          ...pick(bounce, { feedbackId: ID, reportingMTA: ID }, 'bounce'),
          bouncedRecipients: bounced,
        },
        recipients: bounced.map((r) => r.emailAddress.toLowerCase()),
        occurredAt: when(bounce, 'bounce'),
      };
    }
    case 'Complaint': {
      const complaint = section('complaint');
      const complained = objectList(own(complaint, 'complainedRecipients'), 'complaint.complainedRecipients');
      const subType = own(complaint, 'complaintSubType');
      return {
        detail: {
          kind: 'Complaint',
          ...pick(complaint, { feedbackId: ID, complaintFeedbackType: ID, userAgent: TEXT }, 'complaint'),
          ...(subType === null ? { complaintSubType: null } : typeof subType === 'string' ? { complaintSubType: limited(subType, 'complaint.complaintSubType', ID) } : {}),
        },
        recipients: complained.map((r) => requiredAddress(r, 'complaint.complainedRecipients[].emailAddress').toLowerCase()),
        occurredAt: when(complaint, 'complaint'),
      };
    }
    case 'Delivery': {
      const delivery = section('delivery');
      const millis = own(delivery, 'processingTimeMillis');
      return {
        detail: {
          kind: 'Delivery',
          ...pick(delivery, { smtpResponse: TEXT, reportingMTA: ID }, 'delivery'),
          ...(typeof millis === 'number' && Number.isFinite(millis) ? { processingTimeMillis: millis } : {}),
        },
        recipients: stringList(own(delivery, 'recipients'), 'delivery.recipients', ADDRESS).map((a) => a.toLowerCase()),
        occurredAt: when(delivery, 'delivery'),
      };
    }
    case 'DeliveryDelay': {
      const delay = section('deliveryDelay');
      const delayed = objectList(own(delay, 'delayedRecipients'), 'deliveryDelay.delayedRecipients');
      return {
        detail: {
          kind: 'DeliveryDelay',
          ...pick(delay, { delayType: ID, expirationTime: ID }, 'deliveryDelay'),
          diagnosticCodes: delayed.map((r) => text(r, 'diagnosticCode', 'deliveryDelay.delayedRecipients[]') ?? '').filter((c) => c !== ''),
        },
        recipients: delayed.map((r) => requiredAddress(r, 'deliveryDelay.delayedRecipients[].emailAddress').toLowerCase()),
        occurredAt: when(delay, 'deliveryDelay'),
      };
    }
    case 'RenderingFailure': {
      const failure = section('failure');
      return { detail: { kind: 'RenderingFailure', ...pick(failure, { errorMessage: TEXT, templateName: ID }, 'failure') }, recipients: destination, occurredAt: when({ timestamp: mailTimestamp }, 'mail') };
    }
    case 'Open': {
      const open = section('open');
      return { detail: { kind: 'Open', ...pick(open, { ipAddress: ID, userAgent: TEXT }, 'open') }, recipients: destination, occurredAt: when(open, 'open') };
    }
    case 'Click': {
      const click = section('click');
      return { detail: { kind: 'Click', ...pick(click, { link: TEXT, ipAddress: ID, userAgent: TEXT }, 'click') }, recipients: destination, occurredAt: when(click, 'click') };
    }
    case 'Subscription': {
      const subscription = section('subscription');
      return { detail: { kind: 'Subscription', ...pick(subscription, { contactList: ID, source: ID }, 'subscription') }, recipients: destination, occurredAt: when(subscription, 'subscription') };
    }
  }
}

/**
 * SES reports an auto-response (an out-of-office reply) as a Transient/General bounce whose
 * recipients carry no DSN fields (SES-FACTS §2, §4: the simulator's ooto@ does exactly this).
 */
export function isAutoResponse(detail: SesEventDetail): boolean {
  return (
    detail.kind === 'Bounce' &&
    detail.bounceType === 'Transient' &&
    detail.bounceSubType === 'General' &&
    detail.reportingMTA === undefined &&
    detail.bouncedRecipients.every((r) => r.action === undefined && r.status === undefined && r.diagnosticCode === undefined)
  );
}


/** The custom headers of `mail.headers` (see SesEvent.mail.headers); entries that are not `{ name, value }` strings are skipped. */
function customHeaders(value: unknown): { name: string; value: string }[] {
  if (!Array.isArray(value)) return [];
  const headers: { name: string; value: string }[] = [];
  for (const entry of value) {
    if (!isObject(entry)) continue;
    const name = own(entry, 'name');
    const headerValue = own(entry, 'value');
    if (typeof name !== 'string' || typeof headerValue !== 'string') continue;
    const lower = name.toLowerCase();
    if (isReservedHeader(lower)) continue;
    limited(name, 'a mail.headers name', ID);
    limited(headerValue, `mail.headers ${name}`, TEXT);
    headers.push({ name, value: headerValue });
  }
  return headers;
}

function readTags(value: unknown): { outboxId?: string; tags: Record<string, string> } {
  // A Map first, so a tag named `__proto__` is a tag like any other in the object made from it.
  const tags = new Map<string, string>();
  let outboxId: string | undefined;
  if (!isObject(value)) return { tags: {} };
  const entries = Object.entries(value);
  if (entries.length > L.tags) throw malformed(`mail.tags has ${entries.length} entries; the limit is ${L.tags} (tags)`);
  for (const [name, values] of entries) {
    limited(name, 'a mail.tags name', ID);
    const first = Array.isArray(values) ? values.find((v) => typeof v === 'string') : typeof values === 'string' ? values : undefined;
    if (typeof first !== 'string') continue;
    limited(first, `mail.tags.${name}`, ID);
    // Outbox's ids are UUIDs; another value in its tag (mail sent over SMTP can carry any tag) names no email of its.
    if (name === MESSAGE_ID_TAG) outboxId = isUuid(first) ? first : undefined;
    else if (!name.startsWith('ses:') && !name.startsWith(OUTBOX_TAG_PREFIX)) tags.set(name, first);
  }
  return { ...(outboxId ? { outboxId } : {}), tags: Object.fromEntries(tags) };
}

function parseJson(text: string, problem: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformed(problem);
  }
}


/** The value of the object's own property `key`: nothing inherited (`constructor`, `toString`, ...). */
function own(body: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(body, key) ? body[key] : undefined;
}

/** A string from the record cut short enough for an error message. */
function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}...` : text;
}

/** A value from the record as an error message quotes it: a short string, or its type. */
function echo(value: unknown): string {
  return JSON.stringify(clip(typeof value === 'string' ? value : typeof value));
}

function limited(value: string, where: string, limit: Limit): string {
  if (value.length > limit.max) throw malformed(`${where} is ${value.length} characters; the limit is ${limit.max} (${limit.name})`);
  return value;
}

function optional(body: Record<string, unknown>, key: string, where: string, limit: Limit): string | undefined {
  const value = own(body, key);
  return typeof value === 'string' ? limited(value, where, limit) : undefined;
}

function checkRecipients(length: number, where: string): void {
  if (length > L.recipients) throw malformed(`${where} lists ${length} recipients; the limit is ${L.recipients} (recipients), the most SES sends one message to`);
}

/** The strings of a list of addresses; other entries are left out. */
function stringList(value: unknown, where: string, limit: Limit): string[] {
  if (!Array.isArray(value)) return [];
  checkRecipients(value.length, where);
  return value.filter((v): v is string => typeof v === 'string').map((v) => limited(v, `an entry of ${where}`, limit));
}

function objectList(value: unknown, where: string): Record<string, unknown>[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every(isObject)) throw malformed(`${where} must be a non-empty list of objects`);
  checkRecipients(value.length, where);
  return value;
}

function requiredAddress(body: Record<string, unknown>, where: string): string {
  const value = own(body, 'emailAddress');
  if (typeof value !== 'string' || value === '') throw malformed(`${where} is missing`);
  return limited(value, where, ADDRESS);
}

/** The string fields among `fields`, each checked against its limit; other types are left out. */
function pick<K extends string>(body: Record<string, unknown>, fields: Readonly<Record<K, Limit>>, where: string): Partial<Record<K, string>> {
  const picked: Partial<Record<K, string>> = {};
  for (const key of Object.keys(fields) as K[]) {
    const value = optional(body, key, `${where}.${key}`, fields[key]);
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}
