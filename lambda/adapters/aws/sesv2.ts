import { AwsHttpClient, uriEscape, type AwsClientOptions } from './aws-http-client';
import { parseJsonError } from './aws-json';

/**
 * The SES v2 API (restJson1) for the calls Outbox makes, one method per operation, taking and
 * giving the SDK's member names (SendEmailCommand's input is sendEmail's). Each operation is bound
 * as the SDK's model binds it: its method and URI (labels escaped as the SDK escapes them), query
 * members, and the other members as a JSON body (blobs base64); outputs are the answer's JSON with
 * null members left out and timestamps (epoch seconds) as Dates, as the SDK parses them. An error
 * is an AwsServiceError named from the `x-amzn-ErrorType` header or the body's `code`/`__type`
 * (`NotFoundException`), with SES's `message`. Checked against SESv2Client in
 * test/integration/light-sesv2.test.ts.
 */
export class SesV2Client {
  private http: AwsHttpClient | undefined;

  constructor(private readonly options: AwsClientOptions = {}) {}

  /** The region the client sends to; rejects when there is none, as SESv2Client's `config.region()` does. */
  async region(): Promise<string> {
    return this.transport().region;
  }

  sendEmail(input: SendEmailInput): Promise<SendEmailOutput> {
    return this.call('POST', '/v2/email/outbound-emails', { body: input });
  }

  getAccount(): Promise<GetAccountOutput> {
    return this.call('GET', '/v2/email/account');
  }

  /** A POST with the paging in the body, as SDK 3.1176's model has it (older SDKs sent GET /v2/email/identities?PageSize=). */
  listEmailIdentities(input: ListEmailIdentitiesInput = {}): Promise<ListEmailIdentitiesOutput> {
    return this.call('POST', '/v2/email/list-identities', { body: input });
  }

  async getEmailIdentity({ EmailIdentity }: { EmailIdentity: string }): Promise<GetEmailIdentityOutput> {
    const output = await this.call<GetEmailIdentityOutput>('GET', `/v2/email/identities/${uriEscape(EmailIdentity)}`);
    return withDates(output, [
      ['DkimAttributes', 'LastKeyGenerationTimestamp'],
      ['VerificationInfo', 'LastCheckedTimestamp'],
      ['VerificationInfo', 'LastSuccessTimestamp'],
    ]);
  }

  async createEmailIdentity(input: CreateEmailIdentityInput): Promise<CreateEmailIdentityOutput> {
    const output = await this.call<CreateEmailIdentityOutput>('POST', '/v2/email/identities', { body: input });
    return withDates(output, [['DkimAttributes', 'LastKeyGenerationTimestamp']]);
  }

  deleteEmailIdentity({ EmailIdentity }: { EmailIdentity: string }): Promise<EmptyOutput> {
    return this.call('DELETE', `/v2/email/identities/${uriEscape(EmailIdentity)}`);
  }

  putEmailIdentityMailFromAttributes({ EmailIdentity, ...body }: PutEmailIdentityMailFromAttributesInput): Promise<EmptyOutput> {
    return this.call('PUT', `/v2/email/identities/${uriEscape(EmailIdentity)}/mail-from`, { body });
  }

  putEmailIdentityConfigurationSetAttributes({ EmailIdentity, ...body }: PutEmailIdentityConfigurationSetAttributesInput): Promise<EmptyOutput> {
    return this.call('PUT', `/v2/email/identities/${uriEscape(EmailIdentity)}/configuration-set`, { body });
  }

  putConfigurationSetSendingOptions({ ConfigurationSetName, ...body }: PutConfigurationSetSendingOptionsInput): Promise<EmptyOutput> {
    return this.call('PUT', `/v2/email/configuration-sets/${uriEscape(ConfigurationSetName)}/sending`, { body });
  }

  putSuppressedDestination(input: PutSuppressedDestinationInput): Promise<EmptyOutput> {
    return this.call('PUT', '/v2/email/suppression/addresses', { body: input });
  }

  deleteSuppressedDestination({ EmailAddress, TenantName }: DeleteSuppressedDestinationInput): Promise<EmptyOutput> {
    return this.call('DELETE', `/v2/email/suppression/addresses/${uriEscape(EmailAddress)}`, TenantName !== undefined ? { query: { TenantName } } : {});
  }

  /**
   * One call. An operation with body members always sends a JSON body, `{}` when none is set, as
   * the SDK does; one without (GET, DELETE) sends none and no content-type.
   */
  private async call<Output>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, parts: { body?: object; query?: Record<string, string> } = {}): Promise<Output> {
    const response = await this.transport().send({
      method,
      path,
      ...(parts.query ? { query: parts.query } : {}),
      ...(parts.body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(parts.body, toWire) } : {}),
    });
    return (response.body === '' ? {} : JSON.parse(response.body, withoutNulls)) as Output;
  }

  /** Made at the first use: as with the SDK, a missing region fails a call, not the wiring. */
  private transport(): AwsHttpClient {
    if (!this.http) {
      // The endpoint is email.<region>.amazonaws.com; the signing name is ses.
      this.http = new AwsHttpClient({ endpointPrefix: 'email', endpointEnvId: 'SESV2', signingName: 'ses', parseError: parseJsonError }, this.options);
    }
    return this.http;
  }
}

/**
 * JSON.stringify's replacer for a request body: blobs (Uint8Array, Buffer) as base64, null members
 * left out. It reads `this[key]`, the value before Buffer's own toJSON ran.
 */
function toWire(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Uint8Array) return Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64');
  return withoutNulls.call(this, key, value);
}

/** JSON.parse's reviver for an answer: the SDK leaves out a member whose value is null (list items stay). */
function withoutNulls(this: unknown, _key: string, value: unknown): unknown {
  return value === null && !Array.isArray(this) ? undefined : value;
}

/** Turns the epoch-seconds members at `paths` (struct, then member) into Dates, as the SDK's parseEpochTimestamp does. */
function withDates<T extends object>(output: T, paths: ReadonlyArray<readonly [string, string]>): T {
  for (const [struct, member] of paths) {
    const holder = (output as Record<string, unknown>)[struct];
    if (holder === null || typeof holder !== 'object') continue;
    const value = (holder as Record<string, unknown>)[member];
    const seconds = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : undefined;
    if (seconds !== undefined && Number.isFinite(seconds)) (holder as Record<string, unknown>)[member] = new Date(Math.round(seconds * 1000));
  }
  return output;
}

/** The answer of an operation that returns nothing. */
export type EmptyOutput = Record<string, never>;

export interface SesContent {
  Data: string;
  Charset?: string;
}

export interface SesMessageHeader {
  Name: string;
  Value: string;
}

export interface SesAttachment {
  RawContent: Uint8Array;
  FileName: string;
  ContentDisposition?: 'ATTACHMENT' | 'INLINE';
  ContentDescription?: string;
  ContentId?: string;
  ContentTransferEncoding?: 'BASE64' | 'QUOTED_PRINTABLE' | 'SEVEN_BIT';
  ContentType?: string;
}

export interface SesEmailContent {
  Simple?: {
    Subject: SesContent;
    Body: { Text?: SesContent; Html?: SesContent };
    Headers?: SesMessageHeader[];
    Attachments?: SesAttachment[];
  };
  /** The whole MIME message; sent base64 in the JSON body. */
  Raw?: { Data: Uint8Array };
  Template?: {
    TemplateName?: string;
    TemplateArn?: string;
    TemplateContent?: { Subject?: string; Text?: string; Html?: string };
    TemplateData?: string;
    Headers?: SesMessageHeader[];
    Attachments?: SesAttachment[];
  };
}

export interface SendEmailInput {
  FromEmailAddress?: string;
  FromEmailAddressIdentityArn?: string;
  Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  ReplyToAddresses?: string[];
  FeedbackForwardingEmailAddress?: string;
  Content: SesEmailContent;
  EmailTags?: Array<{ Name: string; Value: string }>;
  ConfigurationSetName?: string;
}

export interface SendEmailOutput {
  MessageId?: string;
}

export interface GetAccountOutput {
  DedicatedIpAutoWarmupEnabled?: boolean;
  EnforcementStatus?: string;
  ProductionAccessEnabled?: boolean;
  SendQuota?: { Max24HourSend?: number; MaxSendRate?: number; SentLast24Hours?: number };
  SendingEnabled?: boolean;
  SuppressionAttributes?: { SuppressedReasons?: string[] };
  Details?: { MailType?: string; ContactLanguage?: string; ReviewDetails?: { Status?: string; CaseId?: string } };
}

export interface ListEmailIdentitiesInput {
  Filter?: Record<string, string>;
  NextToken?: string;
  PageSize?: number;
}

export interface ListEmailIdentitiesOutput {
  EmailIdentities?: Array<{ IdentityType?: string; IdentityName?: string; SendingEnabled?: boolean; VerificationStatus?: string }>;
  NextToken?: string;
}

export interface SesDkimAttributes {
  SigningEnabled?: boolean;
  Status?: string;
  Tokens?: string[];
  SigningHostedZone?: string;
  SigningAttributesOrigin?: string;
  NextSigningKeyLength?: string;
  CurrentSigningKeyLength?: string;
  LastKeyGenerationTimestamp?: Date;
}

export interface SesMailFromAttributes {
  MailFromDomain?: string;
  MailFromDomainStatus?: string;
  BehaviorOnMxFailure?: string;
}

export interface GetEmailIdentityOutput {
  IdentityType?: string;
  FeedbackForwardingStatus?: boolean;
  VerifiedForSendingStatus?: boolean;
  DkimAttributes?: SesDkimAttributes;
  MailFromAttributes?: SesMailFromAttributes;
  Policies?: Record<string, string>;
  Tags?: Array<{ Key?: string; Value?: string }>;
  ConfigurationSetName?: string;
  VerificationStatus?: string;
  VerificationInfo?: { LastCheckedTimestamp?: Date; LastSuccessTimestamp?: Date; ErrorType?: string };
}

export interface CreateEmailIdentityInput {
  EmailIdentity: string;
  Tags?: Array<{ Key: string; Value: string }>;
  DkimSigningAttributes?: {
    DomainSigningSelector?: string;
    DomainSigningPrivateKey?: string;
    NextSigningKeyLength?: 'RSA_1024_BIT' | 'RSA_2048_BIT';
    DomainSigningAttributesOrigin?: string;
  };
  ConfigurationSetName?: string;
}

export interface CreateEmailIdentityOutput {
  IdentityType?: string;
  VerifiedForSendingStatus?: boolean;
  DkimAttributes?: SesDkimAttributes;
}

export interface PutEmailIdentityMailFromAttributesInput {
  EmailIdentity: string;
  /** Without it SES goes back to its own MAIL FROM domain. */
  MailFromDomain?: string;
  BehaviorOnMxFailure?: 'USE_DEFAULT_VALUE' | 'REJECT_MESSAGE';
}

export interface PutEmailIdentityConfigurationSetAttributesInput {
  EmailIdentity: string;
  /** Without it the identity has no default configuration set. */
  ConfigurationSetName?: string;
}

export interface PutConfigurationSetSendingOptionsInput {
  ConfigurationSetName: string;
  SendingEnabled?: boolean;
}

export interface PutSuppressedDestinationInput {
  EmailAddress: string;
  Reason: 'BOUNCE' | 'COMPLAINT';
  TenantName?: string;
}

export interface DeleteSuppressedDestinationInput {
  EmailAddress: string;
  TenantName?: string;
}
