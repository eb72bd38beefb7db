import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateEmailIdentityCommand,
  DeleteEmailIdentityCommand,
  DeleteSuppressedDestinationCommand,
  GetAccountCommand,
  GetEmailIdentityCommand,
  ListEmailIdentitiesCommand,
  PutConfigurationSetSendingOptionsCommand,
  PutEmailIdentityConfigurationSetAttributesCommand,
  PutEmailIdentityMailFromAttributesCommand,
  PutSuppressedDestinationCommand,
  SendEmailCommand,
  SESv2Client,
} from '@aws-sdk/client-sesv2';
import { SesV2Client, type SendEmailInput } from '../../lambda/adapters/aws/sesv2';
import { startSesStandIn, type SesStandIn } from '../../local/ses-standin';
import { CaptureServer, failureOf, type Answer, type Captured, type Failure, type Outcome } from '../helpers/capture-server';
import { lightStandInClient, standInClient } from '../helpers/ses-standin-client';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

/**
 * The light SES v2 client against the SDK's SESv2Client: for every operation Outbox calls, both
 * send the same request (method, escaped path, query, JSON body) to a loopback server and read the
 * same canned answers into the same outputs and error names; then the light client sends through
 * the SES stand-in and meets its refusals under the names the SDK gives them.
 */

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const REGION = 'eu-west-1';

const capture = new CaptureServer({ 'content-type': 'application/json' });
let endpoint: string;
let sdk: SESv2Client;
let light: SesV2Client;

beforeAll(async () => {
  endpoint = await capture.start();
  sdk = new SESv2Client({ region: REGION, endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
  light = new SesV2Client({ region: REGION, endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
});

afterAll(async () => {
  sdk.destroy();
  await capture.stop();
});

/** Runs `call` with the server answering `given`; returns what it resolved or threw, and the one request it made. */
async function exchange(given: Answer, call: () => Promise<unknown>): Promise<{ outcome: Outcome; request: Captured }> {
  const { outcome, requests } = await capture.exchange([given], call);
  expect(requests).toHaveLength(1);
  return { outcome, request: requests[0]! };
}

/** The parts of a request that carry its meaning: method, path as escaped on the wire, decoded query, content-type and the body parsed. */
function meaning(request: Captured): Record<string, unknown> {
  const url = new URL(request.url, 'http://capture');
  const query: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) (query[name] ??= []).push(value);
  return {
    method: request.method,
    path: request.url.split('?')[0],
    query,
    contentType: request.headers['content-type'],
    body: request.body === '' ? undefined : JSON.parse(request.body),
  };
}

/** `Credential=AKID/20260101/eu-west-1/ses/aws4_request` → `eu-west-1/ses/aws4_request`. */
function signingScope(request: Captured): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([^,]+)/.exec(String(request.headers.authorization))?.[1];
}

const PDF = Buffer.from('%PDF-1.4 not really');
const RAW_MESSAGE = Buffer.from('From: Acme <hello@acme.test>\r\nTo: b@example.com\r\nSubject: Hi\r\n\r\nHi there \u00e9\r\n', 'utf8');
const SIMPLE: SendEmailInput = {
  FromEmailAddress: 'Acme <hello@acme.test>',
  Destination: { ToAddresses: ['b@example.com'], CcAddresses: ['=?UTF-8?B?Q8Op?= <c@example.com>'], BccAddresses: [] },
  ReplyToAddresses: ['support@acme.test'],
  Content: {
    Simple: {
      Subject: { Data: 'Caf\u00e9 "quotes" & <tags>', Charset: 'UTF-8' },
      Body: { Html: { Data: '<p>Hi <img src="cid:logo"></p>', Charset: 'UTF-8' }, Text: { Data: 'Hi\n\u2603', Charset: 'UTF-8' } },
      Headers: [{ Name: 'X-Entity-Ref-ID', Value: '42' }],
      Attachments: [
        { RawContent: PDF, FileName: 'invoice.pdf', ContentType: 'application/pdf', ContentDisposition: 'ATTACHMENT', ContentTransferEncoding: 'BASE64' },
        { RawContent: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255]), FileName: 'logo.png', ContentType: 'image/png', ContentDisposition: 'INLINE', ContentId: 'logo', ContentTransferEncoding: 'BASE64' },
      ],
    },
  },
  EmailTags: [
    { Name: 'kind', Value: 'welcome' },
    { Name: 'outbox-message-id', Value: '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11' },
  ],
  ConfigurationSetName: 'outbox-events',
};
const TEMPLATE: SendEmailInput = {
  FromEmailAddress: 'hello@acme.test',
  Destination: { ToAddresses: ['b@example.com'] },
  Content: { Template: { TemplateName: 'welcome_v2', TemplateData: '{"name":"Ada","count":3}', Headers: [{ Name: 'X-Kind', Value: 'welcome' }], Attachments: [{ RawContent: PDF, FileName: 'a.pdf' }] } },
};
const RAW: SendEmailInput = {
  FromEmailAddress: 'hello@acme.test',
  Destination: { ToAddresses: ['b@example.com'], CcAddresses: [], BccAddresses: [] },
  Content: { Raw: { Data: RAW_MESSAGE } },
  EmailTags: [{ Name: 'outbox-message-id', Value: 'msg_1' }],
};
/** Labels that need escaping: `+`, `@`, a space, `/`, the characters encodeURIComponent leaves (`!'()*`), and non-ASCII. */
const AWKWARD = "o'neil+(tag)*!@ex ample.com/x?y#z";
const UNICODE = 'b\u00fccher.example';

/** One operation both ways: the SDK command, and the same call through the light client. */
interface Operation {
  readonly name: string;
  readonly sdk: () => Promise<unknown>;
  readonly light: () => Promise<unknown>;
}

const operations: Operation[] = [
  { name: 'SendEmail, Simple with attachments', sdk: () => sdk.send(new SendEmailCommand(SIMPLE)), light: () => light.sendEmail(SIMPLE) },
  { name: 'SendEmail, Template', sdk: () => sdk.send(new SendEmailCommand(TEMPLATE)), light: () => light.sendEmail(TEMPLATE) },
  { name: 'SendEmail, Raw', sdk: () => sdk.send(new SendEmailCommand(RAW)), light: () => light.sendEmail(RAW) },
  { name: 'GetAccount', sdk: () => sdk.send(new GetAccountCommand({})), light: () => light.getAccount() },
  { name: 'ListEmailIdentities, one page', sdk: () => sdk.send(new ListEmailIdentitiesCommand({ PageSize: 20 })), light: () => light.listEmailIdentities({ PageSize: 20 }) },
  { name: 'ListEmailIdentities, no input', sdk: () => sdk.send(new ListEmailIdentitiesCommand({})), light: () => light.listEmailIdentities() },
  {
    name: 'ListEmailIdentities, next page',
    sdk: () => sdk.send(new ListEmailIdentitiesCommand({ PageSize: 5, NextToken: 'tok/en+=' })),
    light: () => light.listEmailIdentities({ PageSize: 5, NextToken: 'tok/en+=' }),
  },
  { name: 'GetEmailIdentity', sdk: () => sdk.send(new GetEmailIdentityCommand({ EmailIdentity: 'acme.test' })), light: () => light.getEmailIdentity({ EmailIdentity: 'acme.test' }) },
  { name: 'GetEmailIdentity, awkward label', sdk: () => sdk.send(new GetEmailIdentityCommand({ EmailIdentity: AWKWARD })), light: () => light.getEmailIdentity({ EmailIdentity: AWKWARD }) },
  { name: 'GetEmailIdentity, non-ASCII label', sdk: () => sdk.send(new GetEmailIdentityCommand({ EmailIdentity: UNICODE })), light: () => light.getEmailIdentity({ EmailIdentity: UNICODE }) },
  {
    name: 'CreateEmailIdentity',
    sdk: () =>
      sdk.send(
        new CreateEmailIdentityCommand({
          EmailIdentity: 'acme.test',
          DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
          ConfigurationSetName: 'outbox-events',
          Tags: [{ Key: 'outbox:stack', Value: 'arn:aws:cloudformation:eu-west-1:1:stack/Outbox/x' }],
        }),
      ),
    light: () =>
      light.createEmailIdentity({
        EmailIdentity: 'acme.test',
        DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
        ConfigurationSetName: 'outbox-events',
        Tags: [{ Key: 'outbox:stack', Value: 'arn:aws:cloudformation:eu-west-1:1:stack/Outbox/x' }],
      }),
  },
  { name: 'CreateEmailIdentity, bare', sdk: () => sdk.send(new CreateEmailIdentityCommand({ EmailIdentity: 'a@acme.test' })), light: () => light.createEmailIdentity({ EmailIdentity: 'a@acme.test' }) },
  { name: 'DeleteEmailIdentity', sdk: () => sdk.send(new DeleteEmailIdentityCommand({ EmailIdentity: 'a+b@acme.test' })), light: () => light.deleteEmailIdentity({ EmailIdentity: 'a+b@acme.test' }) },
  {
    name: 'PutEmailIdentityMailFromAttributes',
    sdk: () => sdk.send(new PutEmailIdentityMailFromAttributesCommand({ EmailIdentity: 'acme.test', MailFromDomain: 'bounce.acme.test', BehaviorOnMxFailure: 'REJECT_MESSAGE' })),
    light: () => light.putEmailIdentityMailFromAttributes({ EmailIdentity: 'acme.test', MailFromDomain: 'bounce.acme.test', BehaviorOnMxFailure: 'REJECT_MESSAGE' }),
  },
  {
    name: 'PutEmailIdentityMailFromAttributes, cleared',
    sdk: () => sdk.send(new PutEmailIdentityMailFromAttributesCommand({ EmailIdentity: 'acme.test' })),
    light: () => light.putEmailIdentityMailFromAttributes({ EmailIdentity: 'acme.test' }),
  },
  {
    name: 'PutEmailIdentityConfigurationSetAttributes',
    sdk: () => sdk.send(new PutEmailIdentityConfigurationSetAttributesCommand({ EmailIdentity: 'acme.test', ConfigurationSetName: 'outbox-events' })),
    light: () => light.putEmailIdentityConfigurationSetAttributes({ EmailIdentity: 'acme.test', ConfigurationSetName: 'outbox-events' }),
  },
  {
    name: 'PutEmailIdentityConfigurationSetAttributes, cleared',
    sdk: () => sdk.send(new PutEmailIdentityConfigurationSetAttributesCommand({ EmailIdentity: 'acme.test' })),
    light: () => light.putEmailIdentityConfigurationSetAttributes({ EmailIdentity: 'acme.test' }),
  },
  {
    name: 'PutConfigurationSetSendingOptions, disabled',
    sdk: () => sdk.send(new PutConfigurationSetSendingOptionsCommand({ ConfigurationSetName: 'outbox events', SendingEnabled: false })),
    light: () => light.putConfigurationSetSendingOptions({ ConfigurationSetName: 'outbox events', SendingEnabled: false }),
  },
  {
    name: 'PutConfigurationSetSendingOptions, enabled',
    sdk: () => sdk.send(new PutConfigurationSetSendingOptionsCommand({ ConfigurationSetName: 'outbox-events', SendingEnabled: true })),
    light: () => light.putConfigurationSetSendingOptions({ ConfigurationSetName: 'outbox-events', SendingEnabled: true }),
  },
  {
    name: 'PutSuppressedDestination',
    sdk: () => sdk.send(new PutSuppressedDestinationCommand({ EmailAddress: 'someone+x@example.com', Reason: 'COMPLAINT' })),
    light: () => light.putSuppressedDestination({ EmailAddress: 'someone+x@example.com', Reason: 'COMPLAINT' }),
  },
  {
    name: 'DeleteSuppressedDestination',
    sdk: () => sdk.send(new DeleteSuppressedDestinationCommand({ EmailAddress: 'someone+x@example.com' })),
    light: () => light.deleteSuppressedDestination({ EmailAddress: 'someone+x@example.com' }),
  },
  {
    name: 'DeleteSuppressedDestination, with a tenant',
    sdk: () => sdk.send(new DeleteSuppressedDestinationCommand({ EmailAddress: 'someone@example.com', TenantName: "t 1&x=y+z'" })),
    light: () => light.deleteSuppressedDestination({ EmailAddress: 'someone@example.com', TenantName: "t 1&x=y+z'" }),
  },
];

describe('SesV2Client requests', () => {
  it.each(operations.map((operation) => [operation.name, operation] as const))('%s: the same method, path, query and JSON body as SESv2Client', async (_name, operation) => {
    const fromSdk = await exchange({ body: '{}' }, operation.sdk);
    const fromLight = await exchange({ body: '{}' }, operation.light);
    expect(fromLight.outcome.failed).toBeUndefined();
    expect(meaning(fromLight.request)).toEqual(meaning(fromSdk.request));
    expect(fromLight.request.headers['content-length']).toBe(fromSdk.request.headers['content-length']);
    expect(signingScope(fromLight.request)).toBe(`${REGION}/ses/aws4_request`);
    expect(signingScope(fromSdk.request)).toBe(`${REGION}/ses/aws4_request`);
    expect(fromLight.request.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('sends blobs base64 in the JSON body, as the bytes given', async () => {
    const { request } = await exchange({ body: '{}' }, () => light.sendEmail(RAW));
    expect(Buffer.from(JSON.parse(request.body).Content.Raw.Data, 'base64')).toEqual(RAW_MESSAGE);
  });

  it('takes its endpoint from AWS_ENDPOINT_URL_SESV2, then AWS_ENDPOINT_URL, when none is given, as SESv2Client does', async () => {
    const saved = { AWS_ENDPOINT_URL_SESV2: process.env.AWS_ENDPOINT_URL_SESV2, AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL };
    try {
      for (const variable of ['AWS_ENDPOINT_URL_SESV2', 'AWS_ENDPOINT_URL'] as const) {
        delete process.env.AWS_ENDPOINT_URL_SESV2;
        delete process.env.AWS_ENDPOINT_URL;
        process.env[variable] = endpoint;
        const viaEnvironment = new SESv2Client({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
        const fromSdk = await exchange({ body: '{}' }, () => viaEnvironment.send(new GetAccountCommand({})));
        viaEnvironment.destroy();
        const fromLight = await exchange({ body: '{}' }, () => new SesV2Client({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 }).getAccount());
        expect(meaning(fromLight.request)).toEqual(meaning(fromSdk.request));
      }
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('tells its region as SESv2Client does, and fails a call (not its construction) without one', async () => {
    await expect(light.region()).resolves.toBe(await sdk.config.region());
    const saved = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      const regionless = new SesV2Client({ endpoint, credentials: CREDENTIALS });
      await expect(regionless.region()).rejects.toThrow(/region/i);
      await expect(regionless.getAccount()).rejects.toThrow(/region/i);
    } finally {
      for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
    }
  });
});

/** Canned success answers and the operation that reads each. */
const successes: Array<{ name: string; body: string; operation: string }> = [
  { name: 'SendEmail', operation: 'SendEmail, Raw', body: JSON.stringify({ MessageId: '0100018f5e1a2b3c-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d-000000' }) },
  {
    name: 'GetAccount, every member',
    operation: 'GetAccount',
    body: JSON.stringify({
      DedicatedIpAutoWarmupEnabled: false,
      EnforcementStatus: 'HEALTHY',
      ProductionAccessEnabled: true,
      SendQuota: { Max24HourSend: 50000, MaxSendRate: 14, SentLast24Hours: 123.5 },
      SendingEnabled: true,
      SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      Details: { MailType: 'TRANSACTIONAL', ContactLanguage: 'EN', ReviewDetails: { Status: 'GRANTED', CaseId: '1234' } },
    }),
  },
  {
    name: 'GetAccount, a sandbox account with null members',
    operation: 'GetAccount',
    body: JSON.stringify({ ProductionAccessEnabled: false, SendingEnabled: true, EnforcementStatus: null, SendQuota: { Max24HourSend: 200, MaxSendRate: 1, SentLast24Hours: 0 }, Details: null }),
  },
  {
    name: 'ListEmailIdentities',
    operation: 'ListEmailIdentities, one page',
    body: JSON.stringify({
      EmailIdentities: [
        { IdentityType: 'DOMAIN', IdentityName: 'acme.test', SendingEnabled: true, VerificationStatus: 'SUCCESS' },
        { IdentityType: 'EMAIL_ADDRESS', IdentityName: 'a@acme.test', SendingEnabled: false, VerificationStatus: 'PENDING' },
      ],
      NextToken: 'next-page',
    }),
  },
  {
    name: 'GetEmailIdentity, with epoch-second timestamps',
    operation: 'GetEmailIdentity',
    body: JSON.stringify({
      IdentityType: 'DOMAIN',
      FeedbackForwardingStatus: true,
      VerifiedForSendingStatus: true,
      DkimAttributes: {
        SigningEnabled: true,
        Status: 'SUCCESS',
        Tokens: ['abc', 'def', 'ghi'],
        SigningAttributesOrigin: 'AWS_SES',
        NextSigningKeyLength: 'RSA_2048_BIT',
        CurrentSigningKeyLength: 'RSA_2048_BIT',
        LastKeyGenerationTimestamp: 1767225600.123,
      },
      MailFromAttributes: { MailFromDomain: 'bounce.acme.test', MailFromDomainStatus: 'SUCCESS', BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
      Policies: { send: '{"Version":"2012-10-17"}' },
      Tags: [{ Key: 'outbox:stack', Value: 'Outbox' }],
      ConfigurationSetName: 'outbox-events',
      VerificationStatus: 'SUCCESS',
      VerificationInfo: { LastCheckedTimestamp: 1767225601, LastSuccessTimestamp: '1767225602.5', ErrorType: null },
    }),
  },
  {
    name: 'CreateEmailIdentity',
    operation: 'CreateEmailIdentity',
    body: JSON.stringify({
      IdentityType: 'DOMAIN',
      VerifiedForSendingStatus: false,
      DkimAttributes: { SigningEnabled: true, Status: 'PENDING', Tokens: ['t1', 't2', 't3'], SigningAttributesOrigin: 'AWS_SES', LastKeyGenerationTimestamp: 1767225600 },
    }),
  },
  { name: 'DeleteEmailIdentity, an empty object', operation: 'DeleteEmailIdentity', body: '{}' },
  { name: 'PutConfigurationSetSendingOptions, an empty body', operation: 'PutConfigurationSetSendingOptions, disabled', body: '' },
  { name: 'PutSuppressedDestination', operation: 'PutSuppressedDestination', body: '{}' },
];

/** Canned error answers: restJson1 names the error in x-amzn-ErrorType, else in the body's code or __type. */
const failures: Array<{ name: string; operation: string; answer: Answer }> = [
  {
    name: 'NotFoundException in x-amzn-ErrorType, with its Coral suffix',
    operation: 'GetEmailIdentity',
    answer: { status: 404, headers: { 'x-amzn-ErrorType': 'NotFoundException:http://internal.amazon.com/coral/com.amazonaws.sesv2/' }, body: JSON.stringify({ message: 'Email identity acme.test does not exist.' }) },
  },
  {
    name: 'MessageRejected',
    operation: 'SendEmail, Simple with attachments',
    answer: { status: 400, headers: { 'x-amzn-ErrorType': 'MessageRejected' }, body: JSON.stringify({ message: 'Email address is not verified. The following identities failed the check in region EU-WEST-1: hello@acme.test' }) },
  },
  {
    name: 'AlreadyExistsException',
    operation: 'CreateEmailIdentity',
    answer: { status: 400, headers: { 'x-amzn-ErrorType': 'AlreadyExistsException' }, body: JSON.stringify({ message: 'Email identity acme.test already exist.' }) },
  },
  {
    name: 'TooManyRequestsException',
    operation: 'SendEmail, Raw',
    answer: { status: 429, headers: { 'x-amzn-ErrorType': 'TooManyRequestsException' }, body: JSON.stringify({ message: 'Maximum sending rate exceeded.' }) },
  },
  {
    name: 'NotFoundException on a suppression delete',
    operation: 'DeleteSuppressedDestination',
    answer: { status: 404, headers: { 'x-amzn-ErrorType': 'NotFoundException' }, body: JSON.stringify({ message: 'Email address someone+x@example.com does not exist on your suppression list.' }) },
  },
  {
    name: 'AccessDeniedException with Message (capital M)',
    operation: 'GetAccount',
    answer: { status: 403, headers: { 'x-amzn-ErrorType': 'AccessDeniedException' }, body: JSON.stringify({ Message: 'User: arn:aws:sts::1:assumed-role/r/x is not authorized to perform: ses:GetAccount' }) },
  },
  {
    name: 'an error SES v2 does not model (ConfigurationSetSendingPausedException)',
    operation: 'SendEmail, Simple with attachments',
    answer: { status: 400, headers: { 'x-amzn-ErrorType': 'ConfigurationSetSendingPausedException' }, body: JSON.stringify({ message: 'Sending is paused for configuration set outbox-events.' }) },
  },
  {
    name: 'the name only in the body: code',
    operation: 'PutSuppressedDestination',
    answer: { status: 400, body: JSON.stringify({ code: 'BadRequestException', message: 'Invalid email address.' }) },
  },
  {
    name: 'the name only in the body: __type',
    operation: 'PutEmailIdentityMailFromAttributes',
    answer: { status: 400, body: JSON.stringify({ __type: 'com.amazonaws.sesv2#MailFromDomainNotVerifiedException', message: 'Mail-from domain is not verified.' }) },
  },
  {
    name: 'a 500 InternalServiceErrorException (one attempt each)',
    operation: 'PutConfigurationSetSendingOptions, enabled',
    answer: { status: 500, headers: { 'x-amzn-ErrorType': 'InternalServiceErrorException' }, body: JSON.stringify({ message: 'Internal failure.' }) },
  },
];

function operationNamed(name: string): Operation {
  const operation = operations.find((o) => o.name === name);
  if (!operation) throw new Error(`no operation ${name}`);
  return operation;
}

describe('SesV2Client answers', () => {
  it.each(successes.map((s) => [s.name, s] as const))('%s: the same output as SESv2Client', async (_name, success) => {
    const operation = operationNamed(success.operation);
    const fromSdk = await exchange({ body: success.body }, operation.sdk);
    const fromLight = await exchange({ body: success.body }, operation.light);
    expect(fromSdk.outcome.failed).toBeUndefined();
    expect(fromLight.outcome).toStrictEqual(fromSdk.outcome);
  });

  it('reads timestamps as Dates, null members left out', async () => {
    const body = successes.find((s) => s.operation === 'GetEmailIdentity')!.body;
    const { outcome } = await exchange({ body }, () => light.getEmailIdentity({ EmailIdentity: 'acme.test' }));
    const output = outcome.ok as Awaited<ReturnType<SesV2Client['getEmailIdentity']>>;
    expect(output.DkimAttributes?.LastKeyGenerationTimestamp).toEqual(new Date(1767225600123));
    expect(output.VerificationInfo).toStrictEqual({ LastCheckedTimestamp: new Date(1767225601000), LastSuccessTimestamp: new Date(1767225602500) });
  });

  it.each(failures.map((f) => [f.name, f] as const))('%s: the same error name, message and status as SESv2Client', async (_name, failure) => {
    const operation = operationNamed(failure.operation);
    const fromSdk = await exchange(failure.answer, operation.sdk);
    const fromLight = await exchange(failure.answer, operation.light);
    expect(fromSdk.outcome.failed).toBeDefined();
    expect(fromLight.outcome).toStrictEqual(fromSdk.outcome);
  });

  it('ends an attempt that hangs with a TimeoutError, as the sender configures it', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const client = new SesV2Client({ region: REGION, endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, credentials: CREDENTIALS, maxAttempts: 1, requestTimeoutMs: 200 });
    try {
      const started = Date.now();
      await expect(client.getAccount()).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('SesV2Client against the SES stand-in', () => {
  let standIn: SesStandIn;
  let viaLight: SesV2Client;
  let viaSdk: SESv2Client;

  beforeAll(async () => {
    standIn = await startSesStandIn({ verifiedIdentities: ['acme.test'], configurationSets: ['outbox-events'], simulateEvents: false });
    viaLight = lightStandInClient(standIn);
    viaSdk = standInClient(standIn);
  });

  afterAll(async () => {
    viaSdk.destroy();
    await standIn.stop();
  });

  beforeEach(() => standIn.clearMessages());

  it('sends a raw message: the stand-in takes the bytes as they were', async () => {
    const { MessageId } = await viaLight.sendEmail(RAW);
    const [accepted] = standIn.messages();
    expect(accepted).toMatchObject({ messageId: MessageId, contentKind: 'Raw', fromAddress: 'hello@acme.test', recipients: ['b@example.com'], subject: 'Hi' });
    expect(accepted?.raw).toBe(RAW_MESSAGE.toString('utf8'));
  });

  it('sends a simple message with its attachments, headers and tags', async () => {
    const { MessageId } = await viaLight.sendEmail(SIMPLE);
    const [accepted] = standIn.messages();
    expect(accepted).toMatchObject({
      messageId: MessageId,
      contentKind: 'Simple',
      fromAddress: 'hello@acme.test',
      subject: 'Caf\u00e9 "quotes" & <tags>',
      text: 'Hi\n\u2603',
      replyTo: ['support@acme.test'],
      headers: [{ name: 'X-Entity-Ref-ID', value: '42' }],
    });
    expect(accepted?.attachments.map((a) => [a.filename, a.size])).toEqual([
      ['invoice.pdf', PDF.length],
      ['logo.png', 6],
    ]);
  });

  /** What each client makes of the same refused send: the error's name, message and status. */
  async function refusalOf(input: SendEmailInput): Promise<{ light: Failure | undefined; sdk: Failure | undefined }> {
    // Each of the stand-in's answers has a request id of its own.
    const identity = (error: unknown): Failure => {
      const { requestId: _requestId, ...failure } = failureOf(error);
      return failure;
    };
    const light = await viaLight.sendEmail(input).then(() => undefined, identity);
    const sdk = await viaSdk.send(new SendEmailCommand(input)).then(() => undefined, identity);
    return { light, sdk };
  }

  it('meets an unverified sender as MessageRejected, as the SDK does', async () => {
    const { light: fromLight, sdk: fromSdk } = await refusalOf({ ...SIMPLE, FromEmailAddress: 'hello@not-verified.test' });
    expect(fromLight).toMatchObject({ name: 'MessageRejected', status: 400 });
    expect(fromLight).toStrictEqual(fromSdk);
  });

  it('meets a configuration set whose sending is paused as ConfigurationSetSendingPausedException, as the SDK does', async () => {
    await viaLight.putConfigurationSetSendingOptions({ ConfigurationSetName: 'outbox-events', SendingEnabled: false });
    try {
      const { light: fromLight, sdk: fromSdk } = await refusalOf(SIMPLE);
      expect(fromLight).toMatchObject({ name: 'ConfigurationSetSendingPausedException', status: 400 });
      expect(fromLight).toStrictEqual(fromSdk);
    } finally {
      await viaLight.putConfigurationSetSendingOptions({ ConfigurationSetName: 'outbox-events', SendingEnabled: true });
    }
  });

  it('meets an account suspension and a missing configuration set under the SDK names', async () => {
    standIn.failNextSends({ name: 'AccountSuspendedException', message: 'Your account has been suspended.' });
    const suspendedLight = await viaLight.sendEmail(RAW).catch((error: Error) => error.name);
    standIn.failNextSends({ name: 'AccountSuspendedException', message: 'Your account has been suspended.' });
    const suspendedSdk = await viaSdk.send(new SendEmailCommand(RAW)).catch((error: Error) => error.name);
    expect(suspendedLight).toBe('AccountSuspendedException');
    expect(suspendedLight).toBe(suspendedSdk);
    const { light: fromLight, sdk: fromSdk } = await refusalOf({ ...RAW, ConfigurationSetName: 'missing-set' });
    expect(fromLight).toMatchObject({ name: 'NotFoundException', status: 404 });
    expect(fromLight).toStrictEqual(fromSdk);
    expect(standIn.messages()).toHaveLength(0);
  });

  it('reads the account and the identities as the SDK reads them', async () => {
    const strip = ({ $metadata: _metadata, ...output }: { $metadata?: unknown }): unknown => output;
    expect(await viaLight.getAccount()).toStrictEqual(strip(await viaSdk.send(new GetAccountCommand({}))));
    expect(await viaLight.listEmailIdentities({ PageSize: 10 })).toStrictEqual(strip(await viaSdk.send(new ListEmailIdentitiesCommand({ PageSize: 10 }))));
    const created = await viaLight.createEmailIdentity({ EmailIdentity: 'new.test', ConfigurationSetName: 'outbox-events', Tags: [{ Key: 'k', Value: 'v' }] });
    expect(created.DkimAttributes?.Tokens).toHaveLength(3);
    await viaLight.putEmailIdentityMailFromAttributes({ EmailIdentity: 'new.test', MailFromDomain: 'bounce.new.test' });
    expect(await viaLight.getEmailIdentity({ EmailIdentity: 'new.test' })).toStrictEqual(strip(await viaSdk.send(new GetEmailIdentityCommand({ EmailIdentity: 'new.test' }))));
    await viaLight.deleteEmailIdentity({ EmailIdentity: 'new.test' });
    await expect(viaLight.getEmailIdentity({ EmailIdentity: 'new.test' })).rejects.toMatchObject({ name: 'NotFoundException', $metadata: { httpStatusCode: 404 } });
  });

  it('puts and deletes an account-level suppression', async () => {
    await viaLight.putSuppressedDestination({ EmailAddress: 'gone+1@example.com', Reason: 'BOUNCE' });
    expect(standIn.accountSuppressionList().map((s) => s.emailAddress)).toContain('gone+1@example.com');
    await viaLight.deleteSuppressedDestination({ EmailAddress: 'gone+1@example.com' });
    expect(standIn.accountSuppressionList().map((s) => s.emailAddress)).not.toContain('gone+1@example.com');
    await expect(viaLight.deleteSuppressedDestination({ EmailAddress: 'gone+1@example.com' })).rejects.toMatchObject({ name: 'NotFoundException' });
  });
});
