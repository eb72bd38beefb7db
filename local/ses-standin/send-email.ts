import { isVerifiedSender, parseMailbox, parseMailboxList, type Mailbox } from './addresses';
import { badRequest, messageRejected, notFound, type SesError } from './errors';
import { decodeEncodedWords, headerValue, headerValues, parseMimeMessage } from './mime';
import { renderTemplate } from './template-render';
import { templateNameOf, type StoredTemplate } from './templates';
import type { AcceptedAttachment, AcceptedMessage, NameValue } from './types';

/**
 * Pure decoding and validation of an SES v2 SendEmail request body (`POST /v2/email/outbound-emails`,
 * restJson1; field names as the SDK serializes them, SES-FACTS §5). No state, no clock: the HTTP
 * layer adds the account checks (paused, rate) and the message ID.
 *
 * Wording: where a real SES message is known it is used and the comment says where it comes from;
 * the others are ours and say plainly what is wrong.
 */

/** SES v2's message size limit, after MIME encoding (SES-FACTS §6): 40 MB, not adjustable. */
export const MAX_MESSAGE_BYTES = 40 * 1024 * 1024;
/** Recipients per message, To + Cc + Bcc (SES-FACTS §6). */
export const MAX_RECIPIENTS = 50;
/** Custom headers per Simple/Template message (SES-FACTS §5). */
export const MAX_HEADERS = 15;

export type { StoredTemplate } from './templates';

/** The stored templates a Template send by name is rendered from (the TemplateStore, or a map in tests). */
export interface TemplateLookup {
  get(name: string): { readonly content: StoredTemplate } | undefined;
}

/** A SendEmail request that passed validation, with what the account checks need. */
export interface DecodedSendEmail {
  /** The message as it will be kept, less the ID, time and MIME rendering the HTTP layer adds. */
  readonly message: Omit<AcceptedMessage, 'messageId' | 'receivedAt' | 'mime'>;
  /** Simple/Template: each attachment's bytes, in the order of `message.attachments` (for the MIME rendering). */
  readonly attachmentContents: readonly Buffer[];
  /**
   * Every sender identity SES checks: FromEmailAddress and any From, Sender or Return-Path header
   * ("This error can pertain to the From, Source, Sender, or Return-Path address", AWS
   * troubleshoot-error-messages page). `given` is the text as sent, used in the error message.
   */
  readonly senders: readonly { readonly given: string; readonly address: string }[];
}

const NO_TEMPLATES: TemplateLookup = { get: () => undefined };

/**
 * Decodes and validates a SendEmail body; throws an `SesError` naming the first problem found.
 * `templates` are the stored templates a Template send by name is rendered from; a name it does not
 * hold is SES's NotFoundException.
 */
export function decodeSendEmail(body: unknown, templates: TemplateLookup = NO_TEMPLATES): DecodedSendEmail {
  const request = object(body, 'request body') ?? {};
  const content = object(request['Content'], 'Content');
  if (!content) throw badRequest('Missing required field: Content.');
  const kinds = (['Simple', 'Raw', 'Template'] as const).filter((k) => content[k] !== undefined && content[k] !== null);
  if (kinds.length !== 1) {
    throw badRequest('Content must contain exactly one of Simple, Raw or Template.');
  }
  const common = decodeCommon(request);
  switch (kinds[0]) {
    case 'Raw':
      return decodeRaw(object(content['Raw'], 'Content.Raw')!, common);
    case 'Template':
      return decodeStructured('Template', object(content['Template'], 'Content.Template')!, common, templates);
    default:
      return decodeStructured('Simple', object(content['Simple'], 'Content.Simple')!, common, templates);
  }
}

/** Throws `NotFoundException` when a configuration set is named that the account does not have. */
export function checkConfigurationSet(name: string | undefined, known: ReadonlySet<string> | undefined): void {
  if (name === undefined || known === undefined || known.has(name)) return;
  // v1 called this ConfigurationSetDoesNotExist with this sentence; v2 models it as NotFoundException.
  throw notFound(`Configuration set ${name} does not exist.`);
}

/**
 * Returns the `MessageRejected` error for unverified senders, or undefined when all are verified.
 * `identities` undefined means every sender is verified.
 */
export function unverifiedSenderError(
  decoded: DecodedSendEmail,
  identities: ReadonlySet<string> | undefined,
  region: string,
): SesError | undefined {
  if (identities === undefined) return undefined;
  const failed = decoded.senders.filter((s) => !isVerifiedSender(s.address, identities)).map((s) => s.given);
  if (failed.length === 0) return undefined;
  // Observed wording (SES-FACTS §7, v1 capture): region upper-cased, identities as the caller wrote them.
  return messageRejected(
    `Email address is not verified. The following identities failed the check in region ${region.toUpperCase()}: ${failed.join(', ')}`,
  );
}

// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

interface Common {
  readonly from?: { readonly given: string; readonly mailbox: Mailbox };
  readonly destination?: { readonly to: Mailbox[]; readonly cc: Mailbox[]; readonly bcc: Mailbox[] };
  readonly replyTo: Mailbox[];
  readonly tags?: NameValue[];
  readonly configurationSetName?: string;
  readonly listManagementOptions?: { readonly contactListName: string; readonly topicName?: string };
}

function decodeCommon(request: Json): Common {
  const fromText = string(request['FromEmailAddress'], 'FromEmailAddress');
  const destination = object(request['Destination'], 'Destination');
  const tags = list(request['EmailTags'], 'EmailTags');
  const configurationSetName = string(request['ConfigurationSetName'], 'ConfigurationSetName');
  const listOptions = object(request['ListManagementOptions'], 'ListManagementOptions');
  let listManagementOptions: Common['listManagementOptions'];
  if (listOptions) {
    const contactListName = string(listOptions['ContactListName'], 'ListManagementOptions.ContactListName');
    if (!contactListName) throw badRequest('Missing required field: ListManagementOptions.ContactListName.');
    const topicName = string(listOptions['TopicName'], 'ListManagementOptions.TopicName');
    listManagementOptions = { contactListName, ...(topicName !== undefined ? { topicName } : {}) };
  }
  return {
    ...(fromText !== undefined ? { from: { given: fromText.trim(), mailbox: parseMailbox(fromText) } } : {}),
    ...(destination
      ? {
          destination: {
            to: strings(destination['ToAddresses'], 'Destination.ToAddresses').map(parseMailbox),
            cc: strings(destination['CcAddresses'], 'Destination.CcAddresses').map(parseMailbox),
            bcc: strings(destination['BccAddresses'], 'Destination.BccAddresses').map(parseMailbox),
          },
        }
      : {}),
    replyTo: strings(request['ReplyToAddresses'], 'ReplyToAddresses').map(parseMailbox),
    ...(tags !== undefined ? { tags: tags.map((t, i) => decodeTag(t, `EmailTags[${i}]`)) } : {}),
    ...(configurationSetName !== undefined ? { configurationSetName } : {}),
    ...(listManagementOptions ? { listManagementOptions } : {}),
  };
}

function decodeStructured(kind: 'Simple' | 'Template', part: Json, common: Common, templates: TemplateLookup): DecodedSendEmail {
  const path = `Content.${kind}`;
  // FromEmailAddress is required unless Raw supplies a From header. v1 said this for a missing
  // source (observed); v2's wording is not documented.
  if (!common.from) throw badRequest("Missing final '@domain'");
  const headers = (list(part['Headers'], `${path}.Headers`) ?? []).map((h, i) => decodeHeader(h, `${path}.Headers[${i}]`));
  if (headers.length > MAX_HEADERS) throw badRequest(`Too many headers in ${path}.Headers: ${headers.length}; at most ${MAX_HEADERS} are allowed.`);
  const attachmentInputs = list(part['Attachments'], `${path}.Attachments`) ?? [];
  const decodedAttachments = attachmentInputs.map((a, i) => decodeAttachment(a, `${path}.Attachments[${i}]`));
  const attachments = decodedAttachments.map((a) => a.attachment);

  let subject: string | undefined;
  let text: string | undefined;
  let html: string | undefined;
  let template: AcceptedMessage['template'];
  let renderingFailure: AcceptedMessage['renderingFailure'];
  if (kind === 'Simple') {
    const subjectPart = object(part['Subject'], `${path}.Subject`);
    if (!subjectPart) throw badRequest(`Missing required field: ${path}.Subject.`);
    subject = decodeEncodedWords(contentData(subjectPart, `${path}.Subject`));
    const body = object(part['Body'], `${path}.Body`);
    if (!body) throw badRequest(`Missing required field: ${path}.Body.`);
    const textPart = object(body['Text'], `${path}.Body.Text`);
    const htmlPart = object(body['Html'], `${path}.Body.Html`);
    text = textPart ? contentData(textPart, `${path}.Body.Text`) : undefined;
    html = htmlPart ? contentData(htmlPart, `${path}.Body.Html`) : undefined;
  } else {
    const name = string(part['TemplateName'], `${path}.TemplateName`);
    const arn = string(part['TemplateArn'], `${path}.TemplateArn`);
    const data = string(part['TemplateData'], `${path}.TemplateData`);
    const inline = object(part['TemplateContent'], `${path}.TemplateContent`);
    if (name === undefined && arn === undefined && !inline) {
      throw badRequest(`${path} must name a template (TemplateName or TemplateArn) or give TemplateContent.`);
    }
    const values = data === undefined ? {} : parseTemplateData(data, `${path}.TemplateData`);
    const content = inline
      ? {
          ...optional('subject', string(inline['Subject'], `${path}.TemplateContent.Subject`)),
          ...optional('text', string(inline['Text'], `${path}.TemplateContent.Text`)),
          ...optional('html', string(inline['Html'], `${path}.TemplateContent.Html`)),
        }
      : undefined;
    // A stored template must exist (SES answers NotFoundException); inline content wins over a name.
    const storedName = content ? undefined : templateNameOf(name, arn);
    const stored = storedName === undefined ? undefined : templates.get(storedName);
    if (storedName !== undefined && !stored) throw notFound(`Template ${storedName} does not exist.`);
    // SES accepts a message it cannot render, sends nothing, and publishes a Rendering Failure
    // event; the message is kept here with the reason and without subject or bodies.
    const rendered = renderTemplate(content ?? stored!.content, values, { inline: content !== undefined });
    if (rendered.ok) {
      ({ subject, text, html } = rendered.parts);
    } else {
      renderingFailure = { errorMessage: rendered.errorMessage, ...optional('templateName', storedName) };
    }
    template = { ...optional('name', name), ...optional('arn', arn), ...optional('data', data), ...(content ? { content } : {}) };
  }

  const destination = common.destination ?? { to: [], cc: [], bcc: [] };
  const recipients = checkRecipients(destination);
  const sizeBytes = estimateMimeSize([subject, text, html], headers, attachments.map((a) => a.size));
  checkSize(sizeBytes);
  return {
    message: {
      contentKind: kind,
      from: decodeEncodedWords(common.from.given),
      fromAddress: common.from.mailbox.address,
      destination: displays(destination),
      recipients,
      replyTo: common.replyTo.map((m) => m.display),
      ...optional('subject', subject),
      ...optional('text', text),
      ...optional('html', html),
      headers,
      attachments,
      ...(template ? { template } : {}),
      ...(renderingFailure ? { renderingFailure } : {}),
      ...optional('configurationSetName', common.configurationSetName),
      tags: common.tags ?? [],
      ...(common.listManagementOptions ? { listManagementOptions: common.listManagementOptions } : {}),
      sizeBytes,
    },
    attachmentContents: decodedAttachments.map((a) => a.content),
    senders: [
      { given: common.from.given, address: common.from.mailbox.address },
      ...headerSenders(headers),
    ],
  };
}

function decodeRaw(part: Json, common: Common): DecodedSendEmail {
  const bytes = blob(part['Data'], 'Content.Raw.Data');
  if (!bytes || bytes.length === 0) throw badRequest('Missing required field: Content.Raw.Data.');
  checkSize(bytes.length);
  const mime = parseMimeMessage(bytes);
  const headers = mime.headers;
  const fromHeader = headerValue(headers, 'from');
  // A raw message needs its own From header (RFC 5322 §3.6); v1 named missing headers this way.
  if (fromHeader === undefined || fromHeader.trim() === '') throw badRequest("Missing required header 'From'.");
  const fromMailboxes = parseMailboxList(fromHeader);
  const firstFrom = fromMailboxes[0];
  if (!firstFrom) throw badRequest("Missing required header 'From'.");
  const from = common.from ?? { given: fromHeader.trim(), mailbox: firstFrom };

  // Recipients come from Destination when it names any; otherwise from the To/Cc/Bcc headers.
  const given = common.destination;
  const hasDestination = given !== undefined && given.to.length + given.cc.length + given.bcc.length > 0;
  const destination = hasDestination
    ? given
    : {
        to: headerValues(headers, 'to').flatMap(parseMailboxList),
        cc: headerValues(headers, 'cc').flatMap(parseMailboxList),
        bcc: headerValues(headers, 'bcc').flatMap(parseMailboxList),
      };
  const recipients = checkRecipients(destination);
  const replyTo = common.replyTo.length > 0 ? common.replyTo : headerValues(headers, 'reply-to').flatMap(parseMailboxList);

  // SES reads X-SES-CONFIGURATION-SET and X-SES-MESSAGE-TAGS from raw mail; API parameters win
  // (SES-FACTS §5). Header tags are not validated: bad ones only lose their metrics.
  const headerConfigurationSet = headerValue(headers, 'x-ses-configuration-set')?.trim();
  const configurationSetName = common.configurationSetName ?? (headerConfigurationSet || undefined);
  const tags = common.tags && common.tags.length > 0 ? common.tags : parseTagHeader(headerValue(headers, 'x-ses-message-tags'));

  for (const attachment of mime.attachments) checkFileName(attachment.filename);
  const subjectHeader = headerValue(headers, 'subject');
  return {
    message: {
      contentKind: 'Raw',
      from: decodeEncodedWords(common.from ? common.from.given : fromHeader.trim()),
      fromAddress: from.mailbox.address,
      destination: displays(destination),
      recipients,
      replyTo: replyTo.map((m) => m.display),
      ...optional('subject', subjectHeader === undefined ? undefined : decodeEncodedWords(subjectHeader)),
      ...optional('text', mime.text),
      ...optional('html', mime.html),
      headers,
      attachments: mime.attachments.map((a) => ({ ...a })),
      raw: bytes.toString('utf8'),
      ...optional('configurationSetName', configurationSetName),
      tags,
      ...(common.listManagementOptions ? { listManagementOptions: common.listManagementOptions } : {}),
      sizeBytes: bytes.length,
    },
    attachmentContents: [],
    senders: [
      ...(common.from ? [{ given: common.from.given, address: common.from.mailbox.address }] : []),
      ...fromMailboxes.map((m) => ({ given: fromHeader.trim(), address: m.address })),
      ...headerSenders(headers.filter((h) => h.name.toLowerCase() !== 'from')),
    ].filter((s, i, all) => all.findIndex((o) => o.address.toLowerCase() === s.address.toLowerCase()) === i),
  };
}

function checkRecipients(destination: { to: Mailbox[]; cc: Mailbox[]; bcc: Mailbox[] }): string[] {
  const recipients = [...destination.to, ...destination.cc, ...destination.bcc].map((m) => m.address);
  // Wording from the AWS troubleshooting page (SES-FACTS §7).
  if (recipients.length === 0) throw badRequest('There are no recipients specified.');
  // v1 answered InvalidParameterValue "Recipient count exceeds 50." (observed); v2's equivalent is BadRequestException.
  if (recipients.length > MAX_RECIPIENTS) throw badRequest(`Recipient count exceeds ${MAX_RECIPIENTS}.`);
  return recipients;
}

function checkSize(bytes: number): void {
  // SES-FACTS §6: 40 MB for v2, after MIME encoding. The wording follows v1's 10 MB rejection.
  if (bytes > MAX_MESSAGE_BYTES) {
    throw messageRejected(`Message length is more than ${MAX_MESSAGE_BYTES} bytes long: '${bytes}'.`);
  }
}

/** Sender identities named in From/Sender/Return-Path headers (Simple/Template custom headers or raw headers). */
function headerSenders(headers: readonly NameValue[]): { given: string; address: string }[] {
  const senders: { given: string; address: string }[] = [];
  for (const h of headers) {
    const name = h.name.toLowerCase();
    if (name !== 'from' && name !== 'sender' && name !== 'return-path') continue;
    // "Return-Path: <>" is the null sender: nothing to verify.
    if (h.value.replace(/[<>\s]/g, '') === '') continue;
    for (const m of parseMailboxList(h.value)) senders.push({ given: h.value.trim(), address: m.address });
  }
  return senders;
}

// SES-FACTS §5: tag names and values use ASCII letters, digits, "_" and "-", up to 256 each.
const TAG_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;
// The two fine-grained feedback tags are the documented exception to that rule (AWS
// monitor-using-event-publishing, "event-publishing-fine-grained-feedback").
const FEEDBACK_TAG_NAMES = new Set(['ses:feedback-id-a', 'ses:feedback-id-b']);

function decodeTag(input: unknown, path: string): NameValue {
  const tag = object(input, path) ?? {};
  const name = string(tag['Name'], `${path}.Name`);
  const value = string(tag['Value'], `${path}.Value`);
  if (name === undefined) throw badRequest(`Missing required field: ${path}.Name.`);
  if (value === undefined) throw badRequest(`Missing required field: ${path}.Value.`);
  // Observed wording (v1 InvalidParameterValue, 2023 and 2024 captures).
  if (!TAG_PATTERN.test(name) && !FEEDBACK_TAG_NAMES.has(name)) {
    throw badRequest(`Invalid tag name <${name}>: only alphanumeric ASCII characters, '_', and '-' are allowed.`);
  }
  if (!TAG_PATTERN.test(value)) {
    throw badRequest(`Invalid tag value <${value}>: only alphanumeric ASCII characters, '_', and '-' are allowed.`);
  }
  return { name, value };
}

function parseTagHeader(value: string | undefined): NameValue[] {
  if (!value) return [];
  return value
    .split(',')
    .map((pair) => pair.split('='))
    .filter((kv): kv is [string, string] => kv.length === 2 && kv[0]!.trim() !== '')
    .map(([name, v]) => ({ name: name.trim(), value: v.trim() }));
}

function decodeHeader(input: unknown, path: string): NameValue {
  const header = object(input, path) ?? {};
  const name = string(header['Name'], `${path}.Name`);
  const value = string(header['Value'], `${path}.Value`);
  if (name === undefined) throw badRequest(`Missing required field: ${path}.Name.`);
  if (value === undefined) throw badRequest(`Missing required field: ${path}.Value.`);
  // SES-FACTS §5: name printable ASCII 33–126 except ":", at most 126 chars; value printable
  // ASCII at most 995 chars; together at most 996.
  if (!/^[\x21-\x39\x3b-\x7e]{1,126}$/.test(name)) throw badRequest(`Invalid header name <${name}>.`);
  if (!/^[\x20-\x7e\t]{0,995}$/.test(value)) throw badRequest(`Invalid value for header ${name}.`);
  if (name.length + value.length > 996) throw badRequest(`Header ${name} is too long: name and value exceed 996 characters.`);
  return { name, value };
}

// SES-FACTS §8: extensions SES refuses in attachments.
const BLOCKED_EXTENSIONS = new Set(
  (
    'ade adp app asp bas bat cer chm cmd com cpl crt csh der exe fxp gadget hlp hta inf ins isp its js jse ksh lib lnk ' +
    'mad maf mag mam maq mar mas mat mau mav maw mda mdb mde mdt mdw mdz msc msh msh1 msh2 mshxml msh1xml msh2xml msi msp ' +
    'mst ops pcd pif plg prf prg reg scf scr sct shb shs sys ps1 ps1xml ps2 ps2xml psc1 psc2 tmp url vb vbe vbs vps ' +
    'vsmacros vss vst vsw vxd ws wsc wsf wsh xnk'
  ).split(' '),
);

function checkFileName(fileName: string): void {
  const dot = fileName.lastIndexOf('.');
  const extension = dot >= 0 ? fileName.slice(dot + 1).toLowerCase().trim() : '';
  if (BLOCKED_EXTENSIONS.has(extension)) {
    throw messageRejected(`Attachment ${fileName} has an unsupported file extension (.${extension}).`);
  }
}

const DISPOSITIONS = new Set(['ATTACHMENT', 'INLINE']);
const TRANSFER_ENCODINGS = new Set(['BASE64', 'QUOTED_PRINTABLE', 'SEVEN_BIT']);

function decodeAttachment(input: unknown, path: string): { attachment: AcceptedAttachment; content: Buffer } {
  const attachment = object(input, path) ?? {};
  const content = blob(attachment['RawContent'], `${path}.RawContent`);
  const fileName = string(attachment['FileName'], `${path}.FileName`);
  if (!content) throw badRequest(`Missing required field: ${path}.RawContent.`);
  if (!fileName) throw badRequest(`Missing required field: ${path}.FileName.`);
  checkFileName(fileName);
  const disposition = string(attachment['ContentDisposition'], `${path}.ContentDisposition`) ?? 'ATTACHMENT';
  if (!DISPOSITIONS.has(disposition)) throw badRequest(`Invalid value for ${path}.ContentDisposition: ${disposition}.`);
  const encoding = string(attachment['ContentTransferEncoding'], `${path}.ContentTransferEncoding`);
  if (encoding !== undefined && !TRANSFER_ENCODINGS.has(encoding)) {
    throw badRequest(`Invalid value for ${path}.ContentTransferEncoding: ${encoding}.`);
  }
  const contentType = string(attachment['ContentType'], `${path}.ContentType`);
  const contentId = string(attachment['ContentId'], `${path}.ContentId`);
  return {
    attachment: {
      filename: fileName,
      ...optional('contentType', contentType),
      disposition: disposition as 'ATTACHMENT' | 'INLINE',
      ...optional('contentId', contentId),
      size: content.length,
    },
    content,
  };
}

/** SES builds the MIME itself for Simple/Template; this estimates its size for the 40 MB check. */
function estimateMimeSize(texts: readonly (string | undefined)[], headers: readonly NameValue[], attachmentSizes: readonly number[]): number {
  const textBytes = texts.reduce((sum, t) => sum + (t === undefined ? 0 : Buffer.byteLength(t)), 0);
  const headerBytes = headers.reduce((sum, h) => sum + h.name.length + h.value.length + 4, 0);
  // Base64 grows by 4/3, plus CRLF every 76 characters; ~1 KB for SES's own headers and boundaries.
  const attachmentBytes = attachmentSizes.reduce((sum, n) => sum + Math.ceil((Math.ceil(n / 3) * 4 * 78) / 76) + 200, 0);
  return textBytes + headerBytes + attachmentBytes + 1024;
}

function parseTemplateData(data: string, path: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    throw badRequest(`Invalid value for ${path}: not valid JSON.`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw badRequest(`Invalid value for ${path}: expected a JSON object.`);
  }
  return parsed as Json;
}

function contentData(content: Json, path: string): string {
  const data = string(content['Data'], `${path}.Data`);
  if (data === undefined) throw badRequest(`Missing required field: ${path}.Data.`);
  return data;
}

function displays(destination: { to: Mailbox[]; cc: Mailbox[]; bcc: Mailbox[] }): AcceptedMessage['destination'] {
  return {
    to: destination.to.map((m) => m.display),
    cc: destination.cc.map((m) => m.display),
    bcc: destination.bcc.map((m) => m.display),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

// --- JSON shape checks: the SDK always sends the right types, but curl and other clients may not.

function object(value: unknown, path: string): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest(`Invalid value for ${path}: expected an object.`);
  return value as Json;
}

function string(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`Invalid value for ${path}: expected a string.`);
  return value;
}

function list(value: unknown, path: string): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw badRequest(`Invalid value for ${path}: expected a list.`);
  return value;
}

function strings(value: unknown, path: string): string[] {
  return (list(value, path) ?? []).map((item, i) => string(item, `${path}[${i}]`) ?? '');
}

/** Blobs travel as base64 strings in restJson1. */
function blob(value: unknown, path: string): Buffer | undefined {
  const text = string(value, path);
  if (text === undefined) return undefined;
  if (!/^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$/.test(text)) throw badRequest(`Invalid value for ${path}: not valid base64.`);
  return Buffer.from(text, 'base64');
}
