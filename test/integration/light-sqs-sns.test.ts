import { createHash } from 'node:crypto';
import { PublishBatchCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SnsClient } from '../../lambda/adapters/aws/sns';
import { SqsClient } from '../../lambda/adapters/aws/sqs';
import { parseXml, type XmlElement } from '../../lambda/adapters/aws/xml';
import { SnsNotificationTopic } from '../../lambda/adapters/sns-notification-topic';
import { SqsOutboundQueue } from '../../lambda/adapters/sqs-outbound-queue';
import type { NotificationPayload } from '../../lambda/core/webhooks';
import { CaptureServer, type Answer, type Captured } from '../helpers/capture-server';

/**
 * The light SQS and SNS clients against the SDK's SQSClient and SNSClient: for every call Outbox
 * makes, both send the same request to a loopback server, and read the same canned answers
 * (successes, partial batch failures, errors) into the same outputs and error names.
 */

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const REGION = 'us-east-1';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:outbox-notifications';
const SILENT = { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

const capture = new CaptureServer();
let endpoint: string;
let queueUrl: string;

beforeAll(async () => {
  endpoint = await capture.start();
  queueUrl = `${endpoint}/123456789012/outbox-outbound`;
});

afterAll(() => capture.stop());

beforeEach(() => capture.answerWith([]));

/** A call Outbox makes, through the SDK's client and through the light one, each with at most `maxAttempts` attempts. */
interface BothClients {
  readonly sdk: (maxAttempts?: number) => Promise<unknown>;
  readonly light: (maxAttempts?: number) => Promise<unknown>;
}

/** Runs `operation` through the SDK's client, then through the light one, the server answering `given` each time. */
async function both(given: Answer[], operation: BothClients, maxAttempts?: number) {
  const fromSdk = await capture.exchange(given, () => operation.sdk(maxAttempts));
  const fromLight = await capture.exchange(given, () => operation.light(maxAttempts));
  return { fromSdk, fromLight };
}

/** What of a request must match: the rest (user agent, invocation id) is the SDK's own. */
function essentials(request: Captured): Record<string, unknown> {
  const authorization = String(request.headers.authorization ?? '');
  return {
    method: request.method,
    url: request.url,
    host: request.headers.host,
    contentType: request.headers['content-type'],
    target: request.headers['x-amz-target'],
    queryMode: request.headers['x-amzn-query-mode'],
    credentialScope: /Credential=[^/]+\/\d{8}\/([^,]+),/.exec(authorization)?.[1],
  };
}

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

describe('SqsClient, as SQSClient', () => {
  const sdk = (maxAttempts = 3) => new SQSClient({ region: REGION, credentials: CREDENTIALS, maxAttempts, logger: SILENT });
  const light = (maxAttempts = 3) => new SqsClient({ region: REGION, credentials: CREDENTIALS, maxAttempts });
  const entries = [
    { Id: '0', MessageBody: JSON.stringify({ emailId: 'e-0' }) },
    { Id: '1', MessageBody: JSON.stringify({ emailId: 'e-1', note: 'ünïcödé & <xml> "quotes" 😀' }), DelaySeconds: 900 },
  ];
  const sendBatch = { sdk: (n?: number) => sdk(n).send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries })), light: (n?: number) => light(n).sendMessageBatch({ QueueUrl: queueUrl, Entries: entries }) };
  const changeVisibility = {
    sdk: (n?: number) => sdk(n).send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: 'AQEB+handle/==', VisibilityTimeout: 42_300 })),
    light: (n?: number) => light(n).changeMessageVisibility({ QueueUrl: queueUrl, ReceiptHandle: 'AQEB+handle/==', VisibilityTimeout: 42_300 }),
  };
  const acknowledged = JSON.stringify({ Successful: entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: md5(e.MessageBody) })) });

  it('sends SendMessageBatch and ChangeMessageVisibility as the SDK does, to the queue URL’s host', async () => {
    for (const operation of [sendBatch, changeVisibility]) {
      const { fromSdk, fromLight } = await both([{ body: operation === sendBatch ? acknowledged : '' }], operation);
      expect(fromLight.requests).toHaveLength(1);
      expect(fromLight.requests.map(essentials)).toEqual(fromSdk.requests.map(essentials));
      expect(JSON.parse(fromLight.requests[0]!.body)).toEqual(JSON.parse(fromSdk.requests[0]!.body));
    }
    const [request] = (await capture.exchange([{ body: acknowledged }], () => sendBatch.light())).requests;
    expect(essentials(request!)).toMatchObject({ url: '/', target: 'AmazonSQS.SendMessageBatch', contentType: 'application/x-amz-json-1.0', queryMode: 'true', credentialScope: 'us-east-1/sqs/aws4_request' });
  });

  it('sends to the endpoint it is given rather than the queue URL’s host', async () => {
    const elsewhere = 'https://sqs.eu-west-1.amazonaws.com/123456789012/q';
    const input = { QueueUrl: elsewhere, ReceiptHandle: 'h', VisibilityTimeout: 0 };
    const fromSdk = await capture.exchange([{ body: '{}' }], () => new SQSClient({ region: REGION, credentials: CREDENTIALS, endpoint }).send(new ChangeMessageVisibilityCommand(input)));
    const fromLight = await capture.exchange([{ body: '{}' }], () => new SqsClient({ region: REGION, credentials: CREDENTIALS, endpoint }).changeMessageVisibility(input));
    expect(fromLight.requests.map(essentials)).toEqual(fromSdk.requests.map(essentials));
    expect(fromLight.outcome).toEqual({ ok: {} });
  });

  it.each([
    ['every entry taken', acknowledged],
    [
      'a partial batch failure',
      JSON.stringify({
        Successful: [{ Id: '0', MessageId: 'm-0', MD5OfMessageBody: md5(entries[0]!.MessageBody), SequenceNumber: '1' }],
        Failed: [{ Id: '1', SenderFault: true, Code: 'InvalidMessageContents', Message: 'bad & "odd"' }],
      }),
    ],
    ['every entry failed, SQS at fault', JSON.stringify({ Successful: [], Failed: entries.map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError' })) })],
    ['a body SQS acknowledged with another MD5', JSON.stringify({ Successful: [{ Id: '0', MessageId: 'm-0', MD5OfMessageBody: md5('something else') }] })],
  ])('reads a SendMessageBatch answer with %s as the SDK does', async (_, body) => {
    const { fromSdk, fromLight } = await both([{ body }], sendBatch);
    expect(fromLight.outcome).toEqual(fromSdk.outcome);
  });

  it('throws on a body acknowledged with another MD5, as the SDK does', async () => {
    const body = JSON.stringify({ Successful: [{ Id: '1', MessageId: 'm-1', MD5OfMessageBody: md5('tampered') }] });
    const { outcome } = await capture.exchange([{ body }], () => sendBatch.light());
    expect(outcome.failed).toEqual({ name: 'Error', message: 'Invalid MD5 checksum on messages: m-1' });
  });

  const queryError = (code: string, type: 'Sender' | 'Receiver' = 'Sender') => ({ 'x-amzn-query-error': `${code};${type}`, 'content-type': 'application/x-amz-json-1.0' });
  it.each<[string, Answer, string]>([
    ['QueueDoesNotExist by its Query code', { status: 400, headers: queryError('AWS.SimpleQueueService.NonExistentQueue'), body: JSON.stringify({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' }) }, 'QueueDoesNotExist'],
    ['QueueDoesNotExist by __type alone', { status: 400, body: JSON.stringify({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' }) }, 'QueueDoesNotExist'],
    ['ReceiptHandleIsInvalid', { status: 400, headers: queryError('ReceiptHandleIsInvalid'), body: JSON.stringify({ __type: 'com.amazonaws.sqs#ReceiptHandleIsInvalid', message: 'The input receipt handle is invalid.' }) }, 'ReceiptHandleIsInvalid'],
    ['an unmodeled AccessDenied', { status: 403, headers: queryError('AccessDenied'), body: JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', Message: 'Access to the resource is denied.' }) }, 'AccessDenied'],
    ['InvalidParameterValue', { status: 400, headers: queryError('InvalidParameterValue'), body: JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', message: 'Value 43200 for parameter VisibilityTimeout is invalid.' }) }, 'InvalidParameterValue'],
    ['a KMS throttle', { status: 400, headers: queryError('KMS.ThrottlingException'), body: JSON.stringify({ __type: 'com.amazonaws.sqs#KmsThrottled', message: 'KMS throttled.' }) }, 'KmsThrottled'],
    ['a throttle', { status: 400, headers: queryError('RequestThrottled'), body: JSON.stringify({ __type: 'com.amazonaws.sqs#RequestThrottled', message: 'Rate exceeded' }) }, 'RequestThrottled'],
    ['an internal error', { status: 500, headers: queryError('InternalFailure', 'Receiver'), body: JSON.stringify({ __type: 'com.amazon.coral.service#InternalFailure', message: 'We encountered an internal error.' }) }, 'InternalFailure'],
    ['an error without a message', { status: 400, body: JSON.stringify({ __type: 'com.amazonaws.sqs#QueueDoesNotExist' }) }, 'QueueDoesNotExist'],
  ])('names %s as the SDK does', async (_, answer, name) => {
    for (const operation of [sendBatch, changeVisibility]) {
      const { fromSdk, fromLight } = await both([answer], operation, 1);
      expect(fromSdk.outcome.failed).toBeDefined();
      expect(fromLight.outcome).toEqual(fromSdk.outcome);
      expect(fromLight.outcome.failed?.name).toBe(name);
    }
  });

  it('retries a throttled call, as the SDK does', async () => {
    const throttled: Answer = { status: 400, headers: queryError('ThrottlingException'), body: JSON.stringify({ __type: 'com.amazon.coral.availability#ThrottlingException', message: 'Rate exceeded' }) };
    const { fromSdk, fromLight } = await both([throttled, { body: acknowledged }], sendBatch);
    expect(fromLight.requests).toHaveLength(2);
    expect(fromSdk.requests).toHaveLength(2);
    expect(fromLight.outcome).toEqual(fromSdk.outcome);
    expect(fromLight.outcome.ok).toEqual(JSON.parse(acknowledged));
  }, 15_000);
});

describe('SnsClient, as SNSClient', () => {
  const sdk = (maxAttempts = 3) => new SNSClient({ region: REGION, credentials: CREDENTIALS, endpoint, maxAttempts });
  const light = (maxAttempts = 3) => new SnsClient({ region: REGION, credentials: CREDENTIALS, endpoint, maxAttempts });
  // Characters the form encoding must escape as the SDK does: spaces, `+`, `&`, `=`, `!'()*`, newlines, non-ASCII.
  const tricky = JSON.stringify({ type: 'email.bounced', text: "a+b & c=d !'()* ~._-\n\tünïcödé 😀 <tag>" });
  const attributes = { type: { DataType: 'String', StringValue: 'email.bounced' }, other: { DataType: 'String', StringValue: 'x y' } };
  const publish = {
    sdk: (n?: number) => sdk(n).send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: tricky, Subject: 'email.bounced', MessageAttributes: attributes })),
    light: (n?: number) => light(n).publish({ TopicArn: TOPIC_ARN, Message: tricky, Subject: 'email.bounced', MessageAttributes: attributes }),
  };
  const batchEntries = [
    { Id: '0', Message: tricky, Subject: 'email.bounced', MessageAttributes: attributes },
    { Id: '1', Message: '{"type":"email.delivered"}', MessageAttributes: { type: { DataType: 'String', StringValue: 'email.delivered' } } },
    { Id: '2', Message: 'plain' },
  ];
  const publishBatch = {
    sdk: (n?: number) => sdk(n).send(new PublishBatchCommand({ TopicArn: TOPIC_ARN, PublishBatchRequestEntries: batchEntries })),
    light: (n?: number) => light(n).publishBatch({ TopicArn: TOPIC_ARN, PublishBatchRequestEntries: batchEntries }),
  };
  const xml = (action: string, result: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/">\n  <${action}Result>${result}</${action}Result>\n  <ResponseMetadata>\n    <RequestId>6b5e2a1c-0000-4000-8000-000000000000</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`;
  const errorXml = (code: string, message: string, type = 'Sender') =>
    `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n    <Message>${message}</Message>\n  </Error>\n  <RequestId>6b5e2a1c-0000-4000-8000-000000000001</RequestId>\n</ErrorResponse>\n`;
  const allPublished = xml(
    'PublishBatch',
    `\n    <Failed/>\n    <Successful>\n${batchEntries.map((e) => `      <member>\n        <MessageId>m-${e.Id}</MessageId>\n        <Id>${e.Id}</Id>\n      </member>\n`).join('')}    </Successful>\n  `,
  );

  it('sends Publish and PublishBatch as the SDK serializes them, byte for byte', async () => {
    for (const [operation, answer] of [
      [publish, xml('Publish', '<MessageId>m-1</MessageId>')],
      [publishBatch, allPublished],
    ] as const) {
      const { fromSdk, fromLight } = await both([{ body: answer }], operation);
      expect(fromLight.requests).toHaveLength(1);
      expect(fromLight.requests.map(essentials)).toEqual(fromSdk.requests.map(essentials));
      const form = (body: string) => [...new URLSearchParams(body)].sort(([a], [b]) => a.localeCompare(b));
      expect(form(fromLight.requests[0]!.body)).toEqual(form(fromSdk.requests[0]!.body));
      expect(fromLight.requests[0]!.body).toBe(fromSdk.requests[0]!.body);
    }
    const [request] = (await capture.exchange([{ body: allPublished }], () => publishBatch.light())).requests;
    expect(essentials(request!)).toMatchObject({ url: '/', contentType: 'application/x-www-form-urlencoded', credentialScope: 'us-east-1/sns/aws4_request' });
    const form = new URLSearchParams(request!.body);
    expect(form.get('Action')).toBe('PublishBatch');
    expect(form.get('PublishBatchRequestEntries.member.1.MessageAttributes.entry.2.Value.StringValue')).toBe('x y');
    expect(form.get('PublishBatchRequestEntries.member.2.Message')).toBe('{"type":"email.delivered"}');
  });

  it.each<[string, () => BothClients, string]>([
    ['Publish', () => publish, xml('Publish', '\n    <MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId>\n  ')],
    ['Publish (FIFO, with a sequence number)', () => publish, xml('Publish', '<MessageId>m</MessageId><SequenceNumber>10000000000000003000</SequenceNumber>')],
    ['PublishBatch, all published', () => publishBatch, allPublished],
    [
      'PublishBatch, a partial failure',
      () => publishBatch,
      xml(
        'PublishBatch',
        `<Successful><member><Id>0</Id><MessageId>m-0</MessageId><SequenceNumber>1</SequenceNumber></member><member><Id>2</Id><MessageId>m-2</MessageId></member></Successful>` +
          `<Failed><member><Id>1</Id><Code>InternalError</Code><SenderFault>false</SenderFault><Message>Internal &lt;error&gt; &amp; &quot;more&quot; &#39;x&#x27; &#233;</Message></member></Failed>`,
      ),
    ],
    ['PublishBatch, all failed by the sender', () => publishBatch, xml('PublishBatch', `<Successful/><Failed>${batchEntries.map((e) => `<member><Id>${e.Id}</Id><Code>InvalidParameter</Code><SenderFault>true</SenderFault></member>`).join('')}</Failed>`)],
    ['PublishBatch, an empty result', () => publishBatch, xml('PublishBatch', '')],
  ])('reads a %s answer as the SDK does', async (_, operation, body) => {
    const { fromSdk, fromLight } = await both([{ body }], operation());
    expect(fromSdk.outcome.ok).toBeDefined();
    expect(fromLight.outcome).toEqual(fromSdk.outcome);
  });

  it.each<[string, Answer, string]>([
    ['InvalidParameter', { status: 400, body: errorXml('InvalidParameter', 'Invalid parameter: TopicArn') }, 'InvalidParameterException'],
    ['NotFound', { status: 404, body: errorXml('NotFound', 'Topic does not exist') }, 'NotFoundException'],
    ['a 404 without a body', { status: 404, body: '' }, 'NotFoundException'],
    ['AuthorizationError', { status: 403, body: errorXml('AuthorizationError', 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: SNS:Publish') }, 'AuthorizationErrorException'],
    ['an unmodeled Throttling', { status: 400, body: errorXml('Throttling', 'Rate exceeded') }, 'Throttling'],
    ['a modeled Throttled', { status: 400, body: errorXml('Throttled', 'Rate exceeded') }, 'ThrottledException'],
    ['a KMS throttle', { status: 400, body: errorXml('KMSThrottling', 'KMS throttled') }, 'KMSThrottlingException'],
    ['InternalError', { status: 500, body: errorXml('InternalError', 'Internal &amp; error', 'Receiver') }, 'InternalErrorException'],
    ['an unmodeled SignatureDoesNotMatch', { status: 403, body: errorXml('SignatureDoesNotMatch', 'The request signature we calculated does not match') }, 'SignatureDoesNotMatch'],
  ])('names %s as the SDK does', async (_, answer, name) => {
    for (const operation of [publish, publishBatch]) {
      const { fromSdk, fromLight } = await both([answer], operation, 1);
      expect(fromSdk.outcome.failed).toBeDefined();
      expect(fromLight.outcome).toEqual(fromSdk.outcome);
      expect(fromLight.outcome.failed?.name).toBe(name);
    }
  });

  it('retries a throttled call, as the SDK does', async () => {
    const { fromSdk, fromLight } = await both([{ status: 400, body: errorXml('Throttling', 'Rate exceeded') }, { body: allPublished }], publishBatch);
    expect(fromLight.requests).toHaveLength(2);
    expect(fromSdk.requests).toHaveLength(2);
    expect(fromLight.outcome).toEqual(fromSdk.outcome);
  }, 15_000);
});

describe('the adapters over the light clients', () => {
  const payload = (type: NotificationPayload['type']): NotificationPayload => ({ type, created_at: '2026-11-28T10:00:00.000Z', data: { email_id: 'e-1' } }) as unknown as NotificationPayload;

  it('SnsNotificationTopic reports the entry SNS refused as that payload’s error', async () => {
    capture.answerWith([
      {
        body: `<PublishBatchResponse><PublishBatchResult><Successful><member><Id>0</Id><MessageId>m-0</MessageId></member></Successful><Failed><member><Id>1</Id><Code>InternalError</Code><SenderFault>false</SenderFault><Message>try again</Message></member></Failed></PublishBatchResult></PublishBatchResponse>`,
      },
    ]);
    const topic = new SnsNotificationTopic(new SnsClient({ region: REGION, credentials: CREDENTIALS, endpoint }), TOPIC_ARN);
    const results = await topic.publishBatch([payload('email.delivered'), payload('email.bounced')]);
    expect(results[0]).toBeUndefined();
    expect(results[1]?.message).toBe('SNS did not publish the email.bounced notification: InternalError: try again');
    const form = new URLSearchParams(capture.requests[0]!.body);
    expect(form.get('PublishBatchRequestEntries.member.2.Subject')).toBe('email.bounced');
    expect(form.get('PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Name')).toBe('type');
    expect(form.get('PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Value.StringValue')).toBe('email.bounced');
  });

  it('SqsOutboundQueue resends the entry SQS failed on its side and then takes the queue as done', async () => {
    const body = (emailId: string) => JSON.stringify({ emailId });
    capture.answerWith([
      { body: JSON.stringify({ Successful: [{ Id: '0', MessageId: 'm-0', MD5OfMessageBody: md5(body('a')) }], Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError' }] }) },
      { body: JSON.stringify({ Successful: [{ Id: '1', MessageId: 'm-1', MD5OfMessageBody: md5(body('b')) }] }) },
    ]);
    await new SqsOutboundQueue(new SqsClient({ region: REGION, credentials: CREDENTIALS }), queueUrl).enqueue([
      { emailId: 'a' },
      { emailId: 'b' },
    ] as never);
    expect(capture.requests.map((request) => JSON.parse(request.body).Entries.map((entry: any) => entry.Id))).toEqual([['0', '1'], ['1']]);
  });
});

describe('the XML reader', () => {
  const text = (element: XmlElement | undefined): string | undefined => element?.text;

  // Here this reader and the SDK's part: the SDK reads a reference beyond U+FFFF as one UTF-16 unit
  // (String.fromCharCode), another character; this reader reads the character referred to.
  it('decodes the five entities and numeric references, astral ones included', () => {
    const root = parseXml('<a>&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#65;&#x42;&#x1F600;&#128512;</a>');
    expect(root.text).toBe('<b> & "c" \'d\' AB😀😀');
  });

  it('reads CDATA as it stands, next to text (SNS is not known to send CDATA; the SDK reads it, so this reader does)', () => {
    const root = parseXml('<a>x <![CDATA[<not> &amp; a tag]]> y</a>');
    expect(root.text).toBe('x <not> &amp; a tag y');
  });

  it('reads self-closing tags, attributes, comments and the declaration', () => {
    const root = parseXml(`<?xml version="1.0" encoding="UTF-8"?>\n<!-- before -->\n<Root xmlns="http://sns.amazonaws.com/doc/2010-03-31/" other='1'>\n  <Empty/>\n  <Spaced />\n  <!-- inside --><Value attr="a &amp; b">v</Value>\n</Root>\n<!-- after -->\n`);
    expect(root.name).toBe('Root');
    expect(root.children.map((child) => [child.name, child.text, child.children.length])).toEqual([
      ['Empty', '', 0],
      ['Spaced', '', 0],
      ['Value', 'v', 0],
    ]);
    expect(text(root.children[2])).toBe('v');
  });

  it('reads CRLF as LF', () => {
    expect(parseXml('<a>x\r\ny\rz</a>').text).toBe('x\ny\nz');
  });

  it.each([
    ['a mismatched end tag', '<a><b></a></b>'],
    ['an unclosed element', '<a><b></b>'],
    ['a truncated answer', '<PublishBatchResponse><PublishBatchResult><Successful><member><Id>0</Id>'],
    ['an unknown entity', '<a>&nbsp;</a>'],
    ['a bare ampersand', '<a>fish & chips</a>'],
    ['a reference to a non-character', '<a>&#0;</a>'],
    ['a DOCTYPE', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'],
    ['text outside the root', '<a/>trailing'],
    ['two roots', '<a/><b/>'],
    ['no root', '   '],
    ['an unquoted attribute', '<a x=1/>'],
    ['an unterminated CDATA section', '<a><![CDATA[x</a>'],
  ])('refuses %s', (_, document) => {
    expect(() => parseXml(document)).toThrow(/Malformed XML answer/);
  });
});
