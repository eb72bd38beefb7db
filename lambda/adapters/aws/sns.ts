import { AwsHttpClient, uriEscape, type AwsClientOptions, type AwsResponse, type BatchResultErrorEntry } from './aws-http-client';
import { childElement, childElements, parseXml, type XmlElement } from './xml';

const API_VERSION = '2010-03-31';

/**
 * A light SNS client for the calls Outbox makes (Publish, PublishBatch), in the wire format of the
 * SDK's SNSClient: the AWS Query protocol, a form-encoded POST to `/` with the members flattened as
 * the SDK's Query serializer flattens them (`PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name`),
 * answered in XML. Inputs and outputs use the SDK's member names.
 */
export class SnsClient {
  private transport: AwsHttpClient | undefined;

  constructor(private readonly options: AwsClientOptions = {}) {}

  async publish(input: PublishInput): Promise<PublishOutput> {
    const form = new QueryForm('Publish');
    form.add('Message', input.Message);
    form.add('TopicArn', input.TopicArn);
    form.add('Subject', input.Subject);
    form.addAttributes('MessageAttributes', input.MessageAttributes);
    const result = await this.call('Publish', form);
    return readStruct(result, { MessageId: readString, SequenceNumber: readString }) as PublishOutput;
  }

  async publishBatch(input: PublishBatchInput): Promise<PublishBatchOutput> {
    const form = new QueryForm('PublishBatch');
    form.add('TopicArn', input.TopicArn);
    form.addList('PublishBatchRequestEntries', input.PublishBatchRequestEntries, (prefix, entry) => {
      form.add(`${prefix}.Id`, entry.Id);
      form.add(`${prefix}.Message`, entry.Message);
      form.add(`${prefix}.Subject`, entry.Subject);
      form.addAttributes(`${prefix}.MessageAttributes`, entry.MessageAttributes);
    });
    const result = await this.call('PublishBatch', form);
    return readStruct(result, {
      Successful: readList({ Id: readString, MessageId: readString, SequenceNumber: readString }),
      Failed: readList({ Id: readString, Code: readString, SenderFault: readBoolean, Message: readString }),
    }) as PublishBatchOutput;
  }

  /** Sends the form; resolves with the answer's `<ActionResult>` element, if it has one. */
  private async call(action: string, form: QueryForm): Promise<XmlElement | undefined> {
    // Made at the first call: as with the SDK, a missing region fails a call, not the wiring.
    this.transport ??= new AwsHttpClient({ endpointPrefix: 'sns', endpointEnvId: 'SNS', signingName: 'sns', parseError: parseSnsError }, this.options);
    const response = await this.transport.send({
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    return response.body === '' ? undefined : childElement(parseXml(response.body), `${action}Result`);
  }
}

export interface MessageAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
}

export interface PublishInput {
  readonly TopicArn: string;
  readonly Message: string;
  readonly Subject?: string;
  readonly MessageAttributes?: Readonly<Record<string, MessageAttributeValue>>;
}

export interface PublishOutput {
  readonly MessageId?: string;
  readonly SequenceNumber?: string;
}

export interface PublishBatchRequestEntry {
  readonly Id: string;
  readonly Message: string;
  readonly Subject?: string;
  readonly MessageAttributes?: Readonly<Record<string, MessageAttributeValue>>;
}

export interface PublishBatchInput {
  readonly TopicArn: string;
  readonly PublishBatchRequestEntries: readonly PublishBatchRequestEntry[];
}

export interface PublishBatchResultEntry {
  readonly Id?: string;
  readonly MessageId?: string;
  readonly SequenceNumber?: string;
}

export interface PublishBatchOutput {
  readonly Successful?: readonly PublishBatchResultEntry[];
  readonly Failed?: readonly BatchResultErrorEntry[];
}

/**
 * A Query request body, written as the SDK's QueryShapeSerializer writes it: `Action` and `Version`
 * first, then the members in the model's order, absent ones left out, keys and values escaped as
 * its extendedEncodeURIComponent escapes them.
 */
class QueryForm {
  private body: string;

  constructor(action: string) {
    this.body = `Action=${action}&Version=${API_VERSION}`;
  }

  add(key: string, value: string | undefined): void {
    if (value !== undefined) this.body += `&${uriEscape(key)}=${uriEscape(value)}`;
  }

  /** A list: `key.member.1.…`, `key.member.2.…`; an empty list as `key=` (the SDK's serializeEmptyLists). */
  addList<Item>(key: string, items: readonly Item[], write: (prefix: string, item: Item) => void): void {
    if (items.length === 0) {
      this.body += `&${uriEscape(key)}=`;
      return;
    }
    items.forEach((item, index) => write(`${key}.member.${index + 1}`, item));
  }

  /** A message attribute map: `key.entry.1.Name`, `key.entry.1.Value.DataType`, `key.entry.1.Value.StringValue`. */
  addAttributes(key: string, attributes: Readonly<Record<string, MessageAttributeValue>> | undefined): void {
    if (!attributes) return;
    let index = 1;
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined) continue;
      this.add(`${key}.entry.${index}.Name`, name);
      this.add(`${key}.entry.${index}.Value.DataType`, value.DataType);
      this.add(`${key}.entry.${index}.Value.StringValue`, value.StringValue);
      index += 1;
    }
  }

  toString(): string {
    return this.body;
  }
}

type Read = (element: XmlElement) => unknown;

/**
 * A struct as the SDK's XML deserializer reads it: a member for each child element present
 * (elements not in the model are left out), none for one absent.
 */
function readStruct(element: XmlElement | undefined, members: Readonly<Record<string, Read>>): Record<string, unknown> {
  const output: Record<string, unknown> = {};
  if (!element) return output;
  for (const [name, read] of Object.entries(members)) {
    const child = childElement(element, name);
    if (child) output[name] = read(child);
  }
  return output;
}

/** A list of `<member>` structs; an empty element (`<Failed/>`) is an empty list. */
function readList(members: Readonly<Record<string, Read>>): Read {
  return (element) => childElements(element, 'member').map((member) => readStruct(member, members));
}

/** Text as the SDK's XML parser gives it: as it stands, but nothing for whitespace that spans lines (pretty-printing). */
function readString(element: XmlElement): string {
  return element.text.trim() === '' && element.text.includes('\n') ? '' : element.text;
}

function readBoolean(element: XmlElement): boolean {
  const text = readString(element);
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new Error(`Malformed XML answer: <${element.name}> is "${text}", not a boolean.`);
}

/**
 * SNS's error shapes and their Query error codes (the `<Code>` of an error answer) where the two
 * differ: the SDK names an error by its shape (the SDK's SNS error schemas, awsQueryError).
 */
const SHAPE_OF_QUERY_CODE: Readonly<Record<string, string>> = {
  AuthorizationError: 'AuthorizationErrorException',
  BatchEntryIdsNotDistinct: 'BatchEntryIdsNotDistinctException',
  BatchRequestTooLong: 'BatchRequestTooLongException',
  ConcurrentAccess: 'ConcurrentAccessException',
  EmptyBatchRequest: 'EmptyBatchRequestException',
  EndpointDisabled: 'EndpointDisabledException',
  FilterPolicyLimitExceeded: 'FilterPolicyLimitExceededException',
  InternalError: 'InternalErrorException',
  InvalidBatchEntryId: 'InvalidBatchEntryIdException',
  InvalidParameter: 'InvalidParameterException',
  ParameterValueInvalid: 'InvalidParameterValueException',
  InvalidSecurity: 'InvalidSecurityException',
  InvalidState: 'InvalidStateException',
  KMSAccessDenied: 'KMSAccessDeniedException',
  KMSDisabled: 'KMSDisabledException',
  KMSInvalidState: 'KMSInvalidStateException',
  KMSNotFound: 'KMSNotFoundException',
  KMSThrottling: 'KMSThrottlingException',
  NotFound: 'NotFoundException',
  OptedOut: 'OptedOutException',
  PlatformApplicationDisabled: 'PlatformApplicationDisabledException',
  ReplayLimitExceeded: 'ReplayLimitExceededException',
  ResourceNotFound: 'ResourceNotFoundException',
  StaleTag: 'StaleTagException',
  SubscriptionLimitExceeded: 'SubscriptionLimitExceededException',
  TagLimitExceeded: 'TagLimitExceededException',
  TagPolicy: 'TagPolicyException',
  Throttled: 'ThrottledException',
  TooManyEntriesInBatchRequest: 'TooManyEntriesInBatchRequestException',
  TopicLimitExceeded: 'TopicLimitExceededException',
  UserError: 'UserErrorException',
};

/**
 * The error of an SNS answer (`<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code>
 * <Message>…</Message></Error>`), named as the SDK names it: a modeled error by its shape
 * (`NotFoundException`), any other by its code (`Throttling`); a 404 without a code is NotFound.
 */
export function parseSnsError(response: AwsResponse): { name: string; message: string; fields: Record<string, unknown> } {
  let root: XmlElement | undefined;
  try {
    root = response.body.trim() === '' ? undefined : parseXml(response.body);
  } catch {
    // Not XML (a proxy's page, say): the status names the error.
    return { name: `Http${response.status}Error`, message: `Http${response.status}Error (HTTP ${response.status})`, fields: {} };
  }
  const error = childElement(childElement(root, 'Errors'), 'Error') ?? childElement(root, 'Error');
  const text = (name: string): string | undefined => {
    const element = childElement(error, name);
    return element ? readString(element) : undefined;
  };
  const code = text('Code') || (response.status === 404 ? 'NotFound' : undefined);
  const type = text('Type');
  const name = code ? (SHAPE_OF_QUERY_CODE[code] ?? code) : 'Unknown';
  const bareMessage = childElement(root, 'Message');
  const message = text('Message') ?? (bareMessage ? readString(bareMessage) : undefined);
  return { name, message: message || 'Unknown', fields: { ...(type !== undefined ? { Type: type } : {}), ...(code !== undefined ? { Code: code } : {}) } };
}
