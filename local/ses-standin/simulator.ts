import { parseMailboxList } from './addresses';
import { sesMessageId } from './message-id';
import { headerValue, headerValues } from './mime';
import { SES_EVENT_SUBJECT, snsNotification, type SnsEnvelope } from './sns-envelope';
import type { AcceptedMessage, NameValue } from './types';

/**
 * The SES mailbox simulator (SES-FACTS §4), as event publishing reports it: for a message SES
 * accepted, the SES event records (`eventType` format, SES-FACTS §1) that a configuration set's SNS
 * event destination would publish, each in its SNS envelope, with the delay after acceptance at
 * which it arrives. Pure apart from fresh UUIDs, the placeholder signatures and, unless
 * `options.random` is given, `Math.random` for the delays and host names.
 *
 * Field values come from the real simulator captures in ses-payloads/observed-simulator-*.json
 * (identity notifications of the same outcomes) and the shapes from AWS's event-publishing examples
 * (ses-payloads/event-*.json).
 */

/** The simulator mailboxes that behave differently from an ordinary address. */
export type SimulatorMailbox = 'success' | 'bounce' | 'ooto' | 'complaint' | 'suppressionlist';

/** Where `recipient` lands in the simulator: `bounce+label@Simulator.AmazonSES.com` → `bounce`; anything else → undefined. */
export function simulatorMailboxOf(recipient: string): SimulatorMailbox | undefined {
  const at = recipient.lastIndexOf('@');
  if (at < 0 || recipient.slice(at + 1).toLowerCase() !== SIMULATOR_DOMAIN) return undefined;
  // Labels (`bounce+label@...`) are how AWS suggests telling simulator sends apart (SES-FACTS §4).
  const mailbox = recipient.slice(0, at).split('+')[0]!.toLowerCase();
  return (SIMULATOR_MAILBOXES as readonly string[]).includes(mailbox) ? (mailbox as SimulatorMailbox) : undefined;
}

export interface SimulateOptions {
  /** The SES Region: message ID and feedback ID prefixes, `sourceArn`, the reporting MTA's host name. */
  readonly region: string;
  /** Default `000000000000`. */
  readonly accountId?: string;
  /** The event destination's SNS topic. */
  readonly topicArn: string;
  /**
   * The configuration set when the message names none (as an identity's default configuration
   * set would). With neither, SES publishes no events and `simulateOutcomes` returns [].
   */
  readonly configurationSetName?: string;
  /** Milliseconds since the epoch, taken as the moment of acceptance for the event times. */
  readonly clock: () => number;
  /** In [0, 1); default Math.random. Chooses delays and MTA names. */
  readonly random?: () => number;
  /** The `ses:source-ip` tag: the caller's address. Default 127.0.0.1. */
  readonly sourceIp?: string;
  /** The `ses:caller-identity` tag: the IAM identity that called SendEmail. Default `outbox-local`. */
  readonly callerIdentity?: string;
  /**
   * Whether the address is on the account-level suppression list when the message is accepted:
   * SES then sends it nothing, and answers with a Bounce Permanent/OnAccountSuppressionList.
   * Default: nobody is.
   */
  readonly accountSuppressed?: (address: string) => boolean;
}

/** One SNS notification and when it arrives, in milliseconds after the message was accepted. */
export interface ScheduledNotification {
  readonly delayMs: number;
  readonly envelope: SnsEnvelope;
}

export interface SesCommonHeaders {
  readonly from: readonly string[];
  readonly replyTo?: readonly string[];
  readonly date?: string;
  readonly to?: readonly string[];
  readonly cc?: readonly string[];
  readonly messageId: string;
  readonly subject?: string;
}

/** The `mail` object of an event-publishing record. */
export interface SesMail {
  readonly timestamp: string;
  readonly source: string;
  readonly sourceArn: string;
  readonly sendingAccountId: string;
  readonly messageId: string;
  readonly destination: readonly string[];
  readonly headersTruncated: boolean;
  readonly headers: readonly NameValue[];
  readonly commonHeaders: SesCommonHeaders;
  readonly tags: Readonly<Record<string, readonly string[]>>;
}

export interface SesDelivery {
  readonly timestamp: string;
  readonly processingTimeMillis: number;
  readonly recipients: readonly string[];
  readonly smtpResponse: string;
  readonly remoteMtaIp: string;
  readonly reportingMTA: string;
}

/** `action`, `status` and `diagnosticCode` appear only when a DSN came back (SES-FACTS §2). */
export interface SesBouncedRecipient {
  readonly emailAddress: string;
  readonly action?: 'failed';
  readonly status?: string;
  readonly diagnosticCode?: string;
}

export interface SesBounce {
  readonly feedbackId: string;
  readonly bounceType: 'Permanent' | 'Transient';
  readonly bounceSubType: 'General' | 'OnAccountSuppressionList';
  readonly bouncedRecipients: readonly SesBouncedRecipient[];
  readonly timestamp: string;
  /** Only with a DSN (Permanent here). */
  readonly remoteMtaIp?: string;
  /** Only with a DSN (Permanent here). */
  readonly reportingMTA?: string;
}

export interface SesComplaint {
  readonly feedbackId: string;
  readonly complaintSubType: null;
  readonly complainedRecipients: readonly { readonly emailAddress: string }[];
  readonly timestamp: string;
  readonly userAgent: string;
  readonly complaintFeedbackType: 'abuse';
  readonly arrivalDate: string;
}

/** A Rendering Failure's `failure` object (AWS's example: errorMessage and templateName). */
export interface SesRenderingFailure {
  readonly errorMessage: string;
  readonly templateName?: string;
}

/** The one record of a message SES could not render; its `mail` has no headers, as SES built no message. */
export interface SesRenderingFailureRecord {
  readonly eventType: 'Rendering Failure';
  readonly mail: Omit<SesMail, 'headers' | 'commonHeaders'>;
  readonly failure: SesRenderingFailure;
}

export type SesEventRecord =
  | { readonly eventType: 'Send'; readonly mail: SesMail; readonly send: Record<string, never> }
  | { readonly eventType: 'Delivery'; readonly mail: SesMail; readonly delivery: SesDelivery }
  | { readonly eventType: 'Bounce'; readonly mail: SesMail; readonly bounce: SesBounce }
  | { readonly eventType: 'Complaint'; readonly mail: SesMail; readonly complaint: SesComplaint };

/**
 * The SES record inside an envelope `simulateOutcomes` made (its `Message`, parsed); for a message
 * SES could not render, a SesRenderingFailureRecord.
 */
export function sesRecordOf(envelope: SnsEnvelope): SesEventRecord {
  return JSON.parse(envelope.Message) as SesEventRecord;
}

export const DEFAULT_ACCOUNT_ID = '000000000000';

/** Observed simulator answers (ses-payloads/observed-simulator-*.json). */
export const SIMULATOR = {
  smtpResponse: '250 2.6.0 Message received',
  bounceStatus: '5.1.1',
  bounceDiagnosticCode: 'smtp; 550 5.1.1 user unknown',
  suppressionListDiagnosticCode: (address: string) => `smtp; 550 5.1.1 user unknown ( blacklisted address: ${address} )`,
  complaintUserAgent: 'Amazon SES Mailbox Simulator',
  complaintFeedbackType: 'abuse',
} as const;

/**
 * What SES says of an address on the account-level suppression list (observed, SES-FACTS §2): no
 * remote MTA was reached, so SES itself is the reporting MTA.
 */
export const ACCOUNT_SUPPRESSION_BOUNCE = {
  status: '5.1.1',
  diagnosticCode:
    'Amazon SES did not send the message to this address because it is on the suppression list for your account. For more information about removing addresses from the suppression list, see the Amazon SES Developer Guide at https://docs.aws.amazon.com/ses/latest/DeveloperGuide/sending-email-suppression-list.html',
  reportingMTA: 'dns; amazonses.com',
} as const;

const SIMULATOR_DOMAIN = 'simulator.amazonses.com';
const SIMULATOR_MAILBOXES: readonly SimulatorMailbox[] = ['success', 'bounce', 'ooto', 'complaint', 'suppressionlist'];
/** SES outbound MTAs seen in the captures; `aX-Y.smtp-out.amazonses.com` sends from 54.240.X.Y. */
const OUTGOING_MTAS = ['a8-43', 'a48-111', 'a48-112', 'a48-113'] as const;
/** The simulator's inbound MTAs seen in the captures (`remoteMtaIp`). */
const SIMULATOR_MTA_IPS = ['3.225.75.158', '54.86.94.241', '54.209.96.121'] as const;
/** SES truncates the headers it publishes at 10 KB (SES-FACTS §1). */
const MAX_PUBLISHED_HEADER_BYTES = 10 * 1024;

/**
 * What the mailbox simulator makes of `message`, as SNS notifications of its event destination,
 * sorted by `delayMs` (all within about 0.6 s):
 *
 * 1. One `Send` for the message (all recipients), after 0–49 ms.
 * 2. Per distinct recipient (To, Cc, Bcc; compared case-insensitively):
 *    - addresses on the account-level suppression list (`options.accountSuppressed`), simulator
 *      ones included: nothing is sent; all of them together get one `Bounce`
 *      Permanent/OnAccountSuppressionList, as SES reports it, after 50–99 ms;
 *    - ordinary addresses, `success@`, `ooto@`, `complaint@`: one `Delivery` each, after 100–299 ms;
 *    - `bounce@`, `suppressionlist@`: no Delivery; all of them together get one `Bounce`
 *      Permanent/General with DSN fields, after 100–299 ms (SES combines simulator bounces).
 * 3. `ooto@` recipients: one `Bounce` Transient/General (address only, as observed), 200–249 ms
 *    after their last Delivery. `complaint@` recipients: one `Complaint`, 200–299 ms after theirs.
 *
 * A Template message SES could not render (`renderingFailure`) was never sent: its only event is one
 * `Rendering Failure`, after 0–49 ms, whose `mail` has no headers (SES built no message; AWS's
 * example has none).
 *
 * Returns [] when no configuration set applies: SES then publishes no events at all.
 */
export function simulateOutcomes(message: AcceptedMessage, options: SimulateOptions): ScheduledNotification[] {
  const configurationSetName = message.configurationSetName ?? options.configurationSetName;
  if (configurationSetName === undefined) return [];
  const random = options.random ?? Math.random;
  const between = (low: number, high: number): number => low + Math.floor(random() * (high - low));
  const acceptedAt = options.clock();
  const receivedAt = Date.parse(message.receivedAt);
  const region = options.region;

  const mta = OUTGOING_MTAS[between(0, OUTGOING_MTAS.length)]!;
  const [, x, y] = /^a(\d+)-(\d+)$/.exec(mta)!;
  const outgoingIp = `54.240.${x}.${y}`;
  const mtaHost = region === 'us-east-1' ? `${mta}.smtp-out.amazonses.com` : `${mta}.smtp-out.${region}.amazonses.com`;
  const remoteMtaIp = SIMULATOR_MTA_IPS[between(0, SIMULATOR_MTA_IPS.length)]!;

  const context = { ...options, accountId: options.accountId ?? DEFAULT_ACCOUNT_ID, configurationSetName };
  const mail = mailOf(message, context, undefined);
  // Only Delivery records carry ses:outgoing-ip in AWS's examples and in the captures we have.
  const deliveryMail = mailOf(message, context, outgoingIp);

  const planned: { delayMs: number; record: (occurredAt: number) => SesEventRecord | SesRenderingFailureRecord }[] = [];
  if (message.renderingFailure) {
    const { headers: _headers, commonHeaders: _commonHeaders, ...bare } = mail;
    planned.push({ delayMs: between(0, 50), record: () => ({ eventType: 'Rendering Failure', mail: bare, failure: { ...message.renderingFailure! } }) });
    return publish(planned, acceptedAt, between, options.topicArn);
  }
  planned.push({ delayMs: between(0, 50), record: () => ({ eventType: 'Send', mail, send: {} }) });

  const permanent: string[] = [];
  const onAccountList: string[] = [];
  const ooto: { address: string; deliveredAfter: number }[] = [];
  const complaint: { address: string; deliveredAfter: number }[] = [];
  const seen = new Set<string>();
  for (const address of message.recipients) {
    if (seen.has(address.toLowerCase())) continue;
    seen.add(address.toLowerCase());
    if (options.accountSuppressed?.(address)) {
      onAccountList.push(address);
      continue;
    }
    const mailbox = simulatorMailboxOf(address);
    if (mailbox === 'bounce' || mailbox === 'suppressionlist') {
      permanent.push(address);
      continue;
    }
    const deliveredAfter = between(100, 300);
    planned.push({
      delayMs: deliveredAfter,
      record: (occurredAt) => ({
        eventType: 'Delivery',
        mail: deliveryMail,
        delivery: {
          timestamp: iso(occurredAt),
          processingTimeMillis: Math.max(0, occurredAt - receivedAt),
          recipients: [address],
          smtpResponse: SIMULATOR.smtpResponse,
          remoteMtaIp,
          reportingMTA: mtaHost,
        },
      }),
    });
    if (mailbox === 'ooto') ooto.push({ address, deliveredAfter });
    if (mailbox === 'complaint') complaint.push({ address, deliveredAfter });
  }

  if (permanent.length > 0) {
    planned.push({
      delayMs: between(100, 300),
      record: (occurredAt) => ({
        eventType: 'Bounce',
        mail,
        bounce: {
          feedbackId: sesMessageId(region, occurredAt),
          bounceType: 'Permanent',
          bounceSubType: 'General',
          bouncedRecipients: permanent.map((address) => ({
            emailAddress: address,
            action: 'failed' as const,
            status: SIMULATOR.bounceStatus,
            // suppressionlist@ is Permanent/General too, not Suppressed: only the diagnostic differs (observed).
            diagnosticCode:
              simulatorMailboxOf(address) === 'suppressionlist'
                ? SIMULATOR.suppressionListDiagnosticCode(address)
                : SIMULATOR.bounceDiagnosticCode,
          })),
          timestamp: wholeSecond(occurredAt),
          remoteMtaIp,
          reportingMTA: `dns; ${mtaHost}`,
        },
      }),
    });
  }

  if (onAccountList.length > 0) {
    planned.push({
      delayMs: between(50, 100),
      record: (occurredAt) => ({
        eventType: 'Bounce',
        mail,
        bounce: {
          feedbackId: sesMessageId(region, occurredAt),
          bounceType: 'Permanent',
          bounceSubType: 'OnAccountSuppressionList',
          bouncedRecipients: onAccountList.map((address) => ({
            emailAddress: address,
            action: 'failed' as const,
            status: ACCOUNT_SUPPRESSION_BOUNCE.status,
            diagnosticCode: ACCOUNT_SUPPRESSION_BOUNCE.diagnosticCode,
          })),
          timestamp: wholeSecond(occurredAt),
          reportingMTA: ACCOUNT_SUPPRESSION_BOUNCE.reportingMTA,
        },
      }),
    });
  }

  if (ooto.length > 0) {
    planned.push({
      delayMs: Math.max(...ooto.map((o) => o.deliveredAfter)) + between(200, 250),
      // The auto-reply arrives as a Transient bounce with no DSN fields and no reportingMTA (observed).
      record: (occurredAt) => ({
        eventType: 'Bounce',
        mail,
        bounce: {
          feedbackId: sesMessageId(region, occurredAt),
          bounceType: 'Transient',
          bounceSubType: 'General',
          bouncedRecipients: ooto.map((o) => ({ emailAddress: o.address })),
          timestamp: wholeSecond(occurredAt),
        },
      }),
    });
  }

  if (complaint.length > 0) {
    planned.push({
      delayMs: Math.max(...complaint.map((c) => c.deliveredAfter)) + between(200, 300),
      record: (occurredAt) => ({
        eventType: 'Complaint',
        mail,
        complaint: {
          feedbackId: sesMessageId(region, occurredAt),
          // Real simulator complaints carry the key with null (observed); AWS's example leaves it out.
          complaintSubType: null,
          complainedRecipients: complaint.map((c) => ({ emailAddress: c.address })),
          timestamp: wholeSecond(occurredAt),
          userAgent: SIMULATOR.complaintUserAgent,
          complaintFeedbackType: SIMULATOR.complaintFeedbackType,
          arrivalDate: iso(occurredAt),
        },
      }),
    });
  }

  return publish(planned, acceptedAt, between, options.topicArn);
}

/** The planned records as SNS notifications, sorted by delay. */
function publish(
  planned: readonly { delayMs: number; record: (occurredAt: number) => SesEventRecord | SesRenderingFailureRecord }[],
  acceptedAt: number,
  between: (low: number, high: number) => number,
  topicArn: string,
): ScheduledNotification[] {
  return [...planned]
    .sort((a, b) => a.delayMs - b.delayMs)
    .map(({ delayMs, record }) => {
      const publishedAt = acceptedAt + delayMs;
      // The event happens a little before SNS stamps the notification (tens of ms in captures).
      const occurredAt = publishedAt - Math.min(delayMs, between(1, 20));
      // "\n"-terminated, as in the real captures of event-publishing notifications (SES-FACTS §1).
      const text = `${JSON.stringify(record(occurredAt))}\n`;
      return { delayMs, envelope: snsNotification(topicArn, SES_EVENT_SUBJECT, text, publishedAt) };
    });
}

interface MailContext {
  readonly region: string;
  readonly accountId: string;
  readonly configurationSetName: string;
  readonly sourceIp?: string;
  readonly callerIdentity?: string;
}

function mailOf(message: AcceptedMessage, context: MailContext, outgoingIp: string | undefined): SesMail {
  const fromDomain = message.fromAddress.slice(message.fromAddress.lastIndexOf('@') + 1).toLowerCase();
  const { headers, commonHeaders } = headersOf(message);
  const published = truncate(headers);
  return {
    timestamp: message.receivedAt,
    source: message.from,
    // The stand-in does not know which identity verified the sender; the From domain is the usual one.
    sourceArn: `arn:aws:ses:${context.region}:${context.accountId}:identity/${fromDomain}`,
    sendingAccountId: context.accountId,
    messageId: message.messageId,
    destination: [...message.recipients],
    headersTruncated: published.length < headers.length,
    headers: published,
    commonHeaders,
    tags: tagsOf(message, context, fromDomain, outgoingIp),
  };
}

/** Auto tags in the order a real 2024 capture shows them, then the message's own tags (EmailTags or X-SES-MESSAGE-TAGS). */
function tagsOf(message: AcceptedMessage, context: MailContext, fromDomain: string, outgoingIp: string | undefined): Record<string, string[]> {
  // A null prototype: a sender's tag may be named `constructor` or `__proto__` (both fit SES's tag rules).
  const tags: Record<string, string[]> = Object.assign(Object.create(null) as Record<string, string[]>, {
    'ses:source-tls-version': ['TLSv1.3'],
    'ses:operation': ['SendEmail'],
    'ses:configuration-set': [context.configurationSetName],
    'ses:source-ip': [context.sourceIp ?? '127.0.0.1'],
    'ses:from-domain': [fromDomain],
    'ses:caller-identity': [context.callerIdentity ?? 'outbox-local'],
  });
  if (outgoingIp !== undefined) tags['ses:outgoing-ip'] = [outgoingIp];
  for (const tag of message.tags) (tags[tag.name] ??= []).push(tag.value);
  return tags;
}

/**
 * Raw: the message's own top-level headers, as SES publishes them (X-SES-* headers included, as a
 * real capture shows). Simple/Template: the headers SES writes when it builds the MIME, then the
 * caller's `Headers`. `commonHeaders.messageId` is the SES message ID, as in AWS's examples.
 */
function headersOf(message: AcceptedMessage): { headers: NameValue[]; commonHeaders: SesCommonHeaders } {
  if (message.contentKind === 'Raw') {
    const raw = message.headers;
    const list = (name: string): string[] | undefined => {
      const values = headerValues(raw, name).flatMap(mailboxesIn);
      return values.length > 0 ? values : undefined;
    };
    const date = headerValue(raw, 'date');
    return {
      headers: raw.map((h) => ({ name: h.name, value: h.value })),
      commonHeaders: definedOnly({
        from: list('from') ?? [message.from],
        replyTo: list('reply-to'),
        date: date?.trim(),
        to: list('to'),
        cc: list('cc'),
        messageId: message.messageId,
        subject: message.subject,
      }),
    };
  }
  const date = rfc5322Date(Date.parse(message.receivedAt));
  const { to, cc } = message.destination;
  const headers: NameValue[] = [{ name: 'From', value: message.from }];
  if (message.replyTo.length > 0) headers.push({ name: 'Reply-To', value: message.replyTo.join(', ') });
  if (to.length > 0) headers.push({ name: 'To', value: to.join(', ') });
  if (cc.length > 0) headers.push({ name: 'Cc', value: cc.join(', ') });
  if (message.subject !== undefined) headers.push({ name: 'Subject', value: encodedWord(message.subject) });
  headers.push({ name: 'Date', value: date }, { name: 'MIME-Version', value: '1.0' });
  headers.push(...contentHeaders(message), ...message.headers.map((h) => ({ name: h.name, value: h.value })));
  return {
    headers,
    commonHeaders: definedOnly({
      from: [message.from],
      replyTo: message.replyTo.length > 0 ? [...message.replyTo] : undefined,
      date,
      to: to.length > 0 ? [...to] : undefined,
      cc: cc.length > 0 ? [...cc] : undefined,
      messageId: message.messageId,
      subject: message.subject,
    }),
  };
}

function contentHeaders(message: AcceptedMessage): NameValue[] {
  const boundary = `----=_Part_${message.messageId.slice(4, 16)}`;
  if (message.attachments.length > 0) return [{ name: 'Content-Type', value: `multipart/mixed; boundary="${boundary}"` }];
  if (message.text !== undefined && message.html !== undefined) {
    return [{ name: 'Content-Type', value: `multipart/alternative; boundary="${boundary}"` }];
  }
  const body = message.html ?? message.text ?? '';
  return [
    { name: 'Content-Type', value: `${message.html !== undefined ? 'text/html' : 'text/plain'}; charset=UTF-8` },
    { name: 'Content-Transfer-Encoding', value: isAscii(body) ? '7bit' : 'quoted-printable' },
  ];
}

/** Keeps the leading headers that fit in SES's 10 KB. */
function truncate(headers: readonly NameValue[]): NameValue[] {
  const kept: NameValue[] = [];
  let size = 0;
  for (const header of headers) {
    size += header.name.length + header.value.length + 4;
    if (size > MAX_PUBLISHED_HEADER_BYTES) break;
    kept.push(header);
  }
  return kept;
}

function mailboxesIn(value: string): string[] {
  try {
    return parseMailboxList(value).map((m) => m.display);
  } catch {
    return [value.trim()];
  }
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function encodedWord(text: string): string {
  return isAscii(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

function isAscii(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(text);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Bounce and complaint timestamps of the real simulator have whole seconds (`...:55.000Z`), so they can precede the Delivery. */
function wholeSecond(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

/** `Mon, 11 Mar 2024 14:47:59 +0000`, as SES writes Date headers. */
function rfc5322Date(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}
