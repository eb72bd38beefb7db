import { createHash } from 'node:crypto';
import { OutboxError } from './errors';
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
  readonly mail: { readonly from: string; readonly to: readonly string[]; readonly subject: string; readonly destination: readonly string[]; readonly timestamp: string };
  /** The SNS MessageId of the envelope it came in, if any. */
  readonly snsMessageId?: string;
  readonly detail: SesEventDetail;
}

const EVENT_TYPES: Readonly<Record<string, SesEventType>> = {
  Send: 'Send',
  Reject: 'Reject',
  Bounce: 'Bounce',
  Complaint: 'Complaint',
  Delivery: 'Delivery',
  DeliveryDelay: 'DeliveryDelay',
  // SES writes this one with a space in event publishing records (SES-FACTS §1).
  'Rendering Failure': 'RenderingFailure',
  RenderingFailure: 'RenderingFailure',
  Open: 'Open',
  Click: 'Click',
  Subscription: 'Subscription',
};

const NOTIFICATION_TYPES = new Set(['Bounce', 'Complaint', 'Delivery']);

function malformed(message: string): OutboxError {
  return new OutboxError('validation', `Not an SES notification: ${message}`);
}

/**
 * Reads one SES notification from an SQS body, an SNS envelope (either key spelling), a Lambda SNS
 * record, or a bare SES record, given as JSON text or an object. Throws a `validation` OutboxError
 * naming what is wrong; SubscriptionConfirmation envelopes are refused too, as they carry no event.
 */
export function parseSesNotification(input: unknown): SesEvent {
  let value = typeof input === 'string' ? parseJson(input, 'the body is not JSON') : input;
  if (!isObject(value)) throw malformed('expected a JSON object');
  let snsMessageId: string | undefined;
  if (isObject(value.Sns)) value = value.Sns;
  if (isObject(value) && typeof value.Type === 'string') {
    if (value.Type !== 'Notification') throw malformed(`an SNS ${value.Type} carries no SES event`);
    if (typeof value.Message !== 'string') throw malformed('the SNS envelope has no Message string');
    snsMessageId = typeof value.MessageId === 'string' ? value.MessageId : undefined;
    value = parseJson(value.Message, 'the SNS Message is not JSON');
  }
  if (!isObject(value)) throw malformed('the SES record is not a JSON object');
  return parseRecord(value, snsMessageId);
}

function parseRecord(record: Record<string, unknown>, snsMessageId: string | undefined): SesEvent {
  let type: SesEventType | undefined;
  let format: SesEvent['format'];
  if (typeof record.eventType === 'string') {
    type = EVENT_TYPES[record.eventType];
    format = 'event-publishing';
    if (!type) throw malformed(`unknown eventType ${JSON.stringify(record.eventType)}`);
  } else if (typeof record.notificationType === 'string') {
    format = 'notification';
    if (!NOTIFICATION_TYPES.has(record.notificationType)) {
      throw malformed(`unknown notificationType ${JSON.stringify(record.notificationType)}`);
    }
    type = record.notificationType as SesEventType;
  } else {
    throw malformed('no eventType or notificationType');
  }

  const mail = record.mail;
  if (!isObject(mail) || typeof mail.messageId !== 'string' || mail.messageId === '') {
    throw malformed('mail.messageId is missing');
  }
  const destination = stringList(mail.destination).map((a) => a.toLowerCase());
  const { outboxId, tags } = readTags(mail.tags);
  const mailTimestamp = typeof mail.timestamp === 'string' ? mail.timestamp : undefined;
  const { detail, recipients, occurredAt } = readDetail(type, record, destination, mailTimestamp);

  const eventKey =
    'feedbackId' in detail && detail.feedbackId
      ? `fb-${type}-${detail.feedbackId}`
      : `h-${createHash('sha256').update(JSON.stringify([type, mail.messageId, occurredAt, recipients, detail])).digest('hex').slice(0, 32)}`;

  const commonHeaders = isObject(mail.commonHeaders) ? mail.commonHeaders : {};
  return {
    eventKey,
    type,
    format,
    sesMessageId: mail.messageId,
    mail: {
      // The From header as written (with its display name) when SES included headers.
      from: stringList(commonHeaders.from)[0] ?? (typeof mail.source === 'string' ? mail.source : ''),
      to: commonHeaders.to !== undefined ? stringList(commonHeaders.to) : destination,
      subject: typeof commonHeaders.subject === 'string' ? commonHeaders.subject : '',
      destination,
      timestamp: mailTimestamp ?? occurredAt,
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
    const value = record[key];
    if (!isObject(value)) throw malformed(`a ${type} record needs a \`${key}\` object`);
    return value;
  };
  const when = (body: Record<string, unknown>): string => {
    const at = typeof body.timestamp === 'string' ? body.timestamp : mailTimestamp;
    if (!at || Number.isNaN(Date.parse(at))) throw malformed(`the ${type} record has no valid timestamp`);
    return new Date(at).toISOString();
  };
  const optional = (body: Record<string, unknown>, key: string): string | undefined =>
    typeof body[key] === 'string' ? (body[key] as string) : undefined;

  switch (type) {
    case 'Send':
    case 'Reject': {
      const body = isObject(record[type === 'Send' ? 'send' : 'reject']) ? (record[type === 'Send' ? 'send' : 'reject'] as Record<string, unknown>) : {};
      const occurredAt = when({ timestamp: mailTimestamp });
      const detail: SesEventDetail = type === 'Send' ? { kind: 'Send' } : { kind: 'Reject', reason: optional(body, 'reason') ?? 'unknown' };
      return { detail, recipients: destination, occurredAt };
    }
    case 'Bounce': {
      const bounce = section('bounce');
      const bounceType = bounce.bounceType;
      if (bounceType !== 'Permanent' && bounceType !== 'Transient' && bounceType !== 'Undetermined') {
        throw malformed(`unknown bounceType ${JSON.stringify(bounceType)}`);
      }
      const bounced = objectList(bounce.bouncedRecipients, 'bounce.bouncedRecipients').map((r) => ({
        emailAddress: requiredString(r, 'emailAddress', 'bouncedRecipients[].emailAddress'),
        ...pick(r, ['action', 'status', 'diagnosticCode']),
      }));
      return {
        detail: {
          kind: 'Bounce',
          bounceType,
          bounceSubType: optional(bounce, 'bounceSubType') ?? 'Undetermined',
          ...pick(bounce, ['feedbackId', 'reportingMTA']),
          bouncedRecipients: bounced,
        },
        recipients: bounced.map((r) => r.emailAddress.toLowerCase()),
        occurredAt: when(bounce),
      };
    }
    case 'Complaint': {
      const complaint = section('complaint');
      const complained = objectList(complaint.complainedRecipients, 'complaint.complainedRecipients');
      return {
        detail: {
          kind: 'Complaint',
          ...pick(complaint, ['feedbackId', 'complaintFeedbackType', 'userAgent']),
          ...(complaint.complaintSubType === null || typeof complaint.complaintSubType === 'string' ? { complaintSubType: complaint.complaintSubType } : {}),
        },
        recipients: complained.map((r) => requiredString(r, 'emailAddress', 'complainedRecipients[].emailAddress').toLowerCase()),
        occurredAt: when(complaint),
      };
    }
    case 'Delivery': {
      const delivery = section('delivery');
      return {
        detail: {
          kind: 'Delivery',
          ...pick(delivery, ['smtpResponse', 'reportingMTA']),
          ...(typeof delivery.processingTimeMillis === 'number' ? { processingTimeMillis: delivery.processingTimeMillis } : {}),
        },
        recipients: stringList(delivery.recipients).map((a) => a.toLowerCase()),
        occurredAt: when(delivery),
      };
    }
    case 'DeliveryDelay': {
      const delay = section('deliveryDelay');
      const delayed = objectList(delay.delayedRecipients, 'deliveryDelay.delayedRecipients');
      return {
        detail: {
          kind: 'DeliveryDelay',
          ...pick(delay, ['delayType', 'expirationTime']),
          diagnosticCodes: delayed.map((r) => (typeof r.diagnosticCode === 'string' ? r.diagnosticCode : '')).filter((c) => c !== ''),
        },
        recipients: delayed.map((r) => requiredString(r, 'emailAddress', 'delayedRecipients[].emailAddress').toLowerCase()),
        occurredAt: when(delay),
      };
    }
    case 'RenderingFailure': {
      const failure = section('failure');
      return { detail: { kind: 'RenderingFailure', ...pick(failure, ['errorMessage', 'templateName']) }, recipients: destination, occurredAt: when({ timestamp: mailTimestamp }) };
    }
    case 'Open': {
      const open = section('open');
      return { detail: { kind: 'Open', ...pick(open, ['ipAddress', 'userAgent']) }, recipients: destination, occurredAt: when(open) };
    }
    case 'Click': {
      const click = section('click');
      return { detail: { kind: 'Click', ...pick(click, ['link', 'ipAddress', 'userAgent']) }, recipients: destination, occurredAt: when(click) };
    }
    case 'Subscription': {
      const subscription = section('subscription');
      return { detail: { kind: 'Subscription', ...pick(subscription, ['contactList', 'source']) }, recipients: destination, occurredAt: when(subscription) };
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


function readTags(value: unknown): { outboxId?: string; tags: Record<string, string> } {
  const tags: Record<string, string> = {};
  let outboxId: string | undefined;
  if (!isObject(value)) return { tags };
  for (const [name, values] of Object.entries(value)) {
    const first = Array.isArray(values) ? values.find((v) => typeof v === 'string') : typeof values === 'string' ? values : undefined;
    if (typeof first !== 'string') continue;
    if (name === MESSAGE_ID_TAG) outboxId = first;
    else if (!name.startsWith('ses:') && !name.startsWith(OUTBOX_TAG_PREFIX)) tags[name] = first;
  }
  return { ...(outboxId ? { outboxId } : {}), tags };
}

function parseJson(text: string, problem: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformed(problem);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function objectList(value: unknown, where: string): Record<string, unknown>[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every(isObject)) throw malformed(`${where} must be a non-empty list of objects`);
  return value;
}

function requiredString(body: Record<string, unknown>, key: string, where: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') throw malformed(`${where} is missing`);
  return value;
}

function pick<K extends string>(body: Record<string, unknown>, keys: readonly K[]): Partial<Record<K, string>> {
  const picked: Partial<Record<K, string>> = {};
  for (const key of keys) {
    if (typeof body[key] === 'string') picked[key] = body[key] as string;
  }
  return picked;
}
