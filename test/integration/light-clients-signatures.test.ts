import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchGetCommand, DeleteCommand, DynamoDbDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '../../lambda/adapters/aws/dynamodb';
import { SesV2Client } from '../../lambda/adapters/aws/sesv2';
import { SnsClient } from '../../lambda/adapters/aws/sns';
import { SqsClient } from '../../lambda/adapters/aws/sqs';

/**
 * The light clients' SigV4 signatures, checked by a verifier written here from AWS's description of
 * Signature Version 4 (not with the signer the clients use): the canonical request is rebuilt from
 * the request as it arrived on the wire (method, the path as sent and each segment encoded again,
 * as every service but S3 does; the query decoded and encoded again, sorted; the signed headers;
 * the body's SHA-256), so a client that signed something other than what it sent, or for the wrong
 * service or region, fails here as it would in AWS. The differential tests (light-*.test.ts) show
 * the requests equal the SDK's; this shows their signatures would verify.
 */

const CREDENTIALS = { accessKeyId: 'AKIDLIGHTCLIENTS', secretAccessKey: 'light/secret+key=', sessionToken: 'session token/with+chars=' };
const REGION = 'eu-central-1';

interface Verdict {
  readonly method: string;
  readonly url: string;
  readonly service: string;
  readonly region: string;
  readonly signedHeaders: string[];
  readonly valid: boolean;
}

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters, as %XX in upper case. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** A request as it arrived. */
interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

function verify(request: Received): Verdict {
  const { body } = request;
  const authorization = String(request.headers.authorization ?? '');
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(authorization);
  const { url } = request;
  if (!match) return { method: request.method, url, service: '', region: '', signedHeaders: [], valid: false };
  const [, accessKeyId, day, region, service, signedHeaderList, signature] = match as unknown as string[];
  const signedHeaders = signedHeaderList!.split(';');
  const [rawPath, rawQuery = ''] = url.split('?', 2) as [string, string?];
  const canonicalUri = rawPath.split('/').map(uriEncode).join('/') || '/';
  const canonicalQuery = rawQuery
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const [name, value = ''] = pair.split('=', 2) as [string, string?];
      return [uriEncode(decodeURIComponent(name.replace(/\+/g, ' '))), uriEncode(decodeURIComponent(value.replace(/\+/g, ' ')))] as const;
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const headerValue = (name: string) => {
    const value = request.headers[name];
    return (Array.isArray(value) ? value.join(',') : String(value ?? '')).trim().replace(/\s+/g, ' ');
  };
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${headerValue(name)}\n`).join('');
  const payloadHash = typeof request.headers['x-amz-content-sha256'] === 'string' ? request.headers['x-amz-content-sha256'] : sha256Hex(body);
  const canonicalRequest = [request.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaderList, payloadHash].join('\n');
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${CREDENTIALS.secretAccessKey}`, day!), region!), service!), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  const valid =
    accessKeyId === CREDENTIALS.accessKeyId &&
    expected === signature &&
    amzDate.startsWith(day!) &&
    signedHeaders.includes('host') &&
    signedHeaders.includes('x-amz-date') &&
    signedHeaders.includes('x-amz-security-token') &&
    request.headers['x-amz-security-token'] === CREDENTIALS.sessionToken &&
    sha256Hex(body) === payloadHash;
  return { method: request.method, url, service: service!, region: region!, signedHeaders, valid };
}

describe('the light clients sign what they send, for the right service and region', () => {
  let server: Server;
  let endpoint: string;
  const verdicts: Verdict[] = [];
  const received: Received[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const arrived = { method: request.method ?? '', url: request.url ?? '/', headers: request.headers, body: Buffer.concat(chunks) };
        received.push(arrived);
        verdicts.push(verify(arrived));
        // A refusal no client retries: only the signature is under test.
        response.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'ValidationException' }).end('{"message":"checked"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    verdicts.length = 0;
    received.length = 0;
  });

  /** Runs each call (each is refused by the server) and returns the verdict on each request. */
  async function verdictsOf(calls: Array<() => Promise<unknown>>): Promise<Verdict[]> {
    for (const call of calls) await call().catch(() => undefined);
    return verdicts.splice(0);
  }

  const options = () => ({ region: REGION, endpoint, credentials: CREDENTIALS, maxAttempts: 1 });

  it('DynamoDB: every command kind', async () => {
    const db = new DynamoDbDocumentClient(options());
    const results = await verdictsOf([
      () => db.send(new GetCommand({ TableName: 't', Key: { pk: 'a b/c+d', sk: 'email' } })),
      () => db.send(new PutCommand({ TableName: 't', Item: { pk: 'é', n: 1, data: new Uint8Array([1, 2, 3]) }, ConditionExpression: 'attribute_not_exists(pk)' })),
      () => db.send(new UpdateCommand({ TableName: 't', Key: { pk: 'x' }, UpdateExpression: 'SET #n = :n', ExpressionAttributeNames: { '#n': 'n' }, ExpressionAttributeValues: { ':n': 2 } })),
      () => db.send(new DeleteCommand({ TableName: 't', Key: { pk: 'x' } })),
      () => db.send(new QueryCommand({ TableName: 't', IndexName: 'by-day', KeyConditionExpression: 'd = :d', ExpressionAttributeValues: { ':d': '2026-12-03' } })),
      () => db.send(new ScanCommand({ TableName: 't', Limit: 1 })),
      () => db.send(new BatchGetCommand({ RequestItems: { t: { Keys: [{ pk: 'a' }, { pk: 'b' }] } } })),
    ]);
    expect(results).toHaveLength(7);
    expect(results.filter((v) => !v.valid)).toEqual([]);
    expect(new Set(results.map((v) => `${v.service} ${v.region}`))).toEqual(new Set([`dynamodb ${REGION}`]));
  });

  it('SES v2: every operation, with labels and a query that need escaping', async () => {
    const ses = new SesV2Client(options());
    const awkward = "o'neil+(tag)*!@ex ample.com/x?y#z";
    const results = await verdictsOf([
      () => ses.sendEmail({ FromEmailAddress: 'a@acme.test', Destination: { ToAddresses: ['b@example.com'] }, Content: { Raw: { Data: new Uint8Array(Buffer.from('Subject: hi\r\n\r\nhé')) } } }),
      () => ses.getAccount(),
      () => ses.listEmailIdentities({ PageSize: 10 }),
      () => ses.getEmailIdentity({ EmailIdentity: 'b\u00fccher.example' }),
      () => ses.createEmailIdentity({ EmailIdentity: 'mail.acme.test', Tags: [{ Key: 'outbox-api-domain', Value: 'outbox' }] }),
      () => ses.deleteEmailIdentity({ EmailIdentity: awkward }),
      () => ses.putEmailIdentityMailFromAttributes({ EmailIdentity: 'acme.test', MailFromDomain: 'bounce.acme.test' }),
      () => ses.putEmailIdentityConfigurationSetAttributes({ EmailIdentity: 'acme.test', ConfigurationSetName: 'outbox' }),
      () => ses.putConfigurationSetSendingOptions({ ConfigurationSetName: 'out box', SendingEnabled: false }),
      () => ses.putSuppressedDestination({ EmailAddress: 'x@example.com', Reason: 'BOUNCE' }),
      () => ses.deleteSuppressedDestination({ EmailAddress: awkward, TenantName: 'tenant one/+' }),
    ]);
    expect(results).toHaveLength(11);
    expect(results.filter((v) => !v.valid)).toEqual([]);
    expect(new Set(results.map((v) => `${v.service} ${v.region}`))).toEqual(new Set([`ses ${REGION}`]));
    expect(results.map((v) => v.url)).toEqual(expect.arrayContaining([expect.stringMatching(/\?TenantName=/)]));
  });

  it('SQS and SNS: every operation', async () => {
    const sqs = new SqsClient({ region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    const sns = new SnsClient(options());
    const queueUrl = `${endpoint}/123456789012/outbox-webhooks`;
    const results = await verdictsOf([
      () => sqs.sendMessageBatch({ QueueUrl: queueUrl, Entries: [{ Id: '0', MessageBody: '{"emailId":"é"}', DelaySeconds: 5 }] }),
      () => sqs.changeMessageVisibility({ QueueUrl: queueUrl, ReceiptHandle: 'AQEB+handle/==', VisibilityTimeout: 30 }),
      () => sns.publish({ TopicArn: 'arn:aws:sns:eu-central-1:123456789012:t', Message: 'hé & <b>', MessageAttributes: { type: { DataType: 'String', StringValue: 'email.sent' } } }),
      () => sns.publishBatch({ TopicArn: 'arn:aws:sns:eu-central-1:123456789012:t', PublishBatchRequestEntries: [{ Id: '0', Message: 'a+b c' }] }),
    ]);
    expect(results).toHaveLength(4);
    expect(results.filter((v) => !v.valid)).toEqual([]);
    expect(results.map((v) => v.service)).toEqual(['sqs', 'sqs', 'sns', 'sns']);
    expect(new Set(results.map((v) => v.region))).toEqual(new Set([REGION]));
  });

  it('fails a request changed after signing: another path, query, body or signed header (the verifier can tell)', async () => {
    await new SesV2Client(options()).deleteSuppressedDestination({ EmailAddress: 'a@example.com', TenantName: 't1' }).catch(() => undefined);
    await new DynamoDbDocumentClient(options()).send(new GetCommand({ TableName: 't', Key: { pk: 'a' } })).catch(() => undefined);
    const [ses, db] = received.splice(0);
    expect(verify(ses!).valid).toBe(true);
    expect(verify(db!).valid).toBe(true);
    expect(verify({ ...ses!, url: ses!.url.replace('a%40example.com', 'b%40example.com') }).valid).toBe(false);
    expect(verify({ ...ses!, url: ses!.url.replace('TenantName=t1', 'TenantName=t2') }).valid).toBe(false);
    expect(verify({ ...db!, body: Buffer.from(db!.body.toString().replace('"a"', '"b"')) }).valid).toBe(false);
    expect(verify({ ...db!, headers: { ...db!.headers, 'x-amz-target': 'DynamoDB_20120810.DeleteItem' } }).valid).toBe(false);
  });
});
