import { ScanCommand } from '../../lambda/adapters/aws/dynamodb';
import { EMAILS_TABLE } from '../../lambda/shared/tables';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/embedded-dynamodb';
import { localTableName, startLocalOutbox, type LocalOutbox } from '../../local/runtime';

/**
 * The api handlers behind the local server, against the embedded DynamoDB-compatible store and the
 * SES stand-in, over loopback HTTP. Nothing of Outbox's is mocked.
 */
describe('the send API over HTTP', () => {
  let outbox: LocalOutbox;
  const valid = { from: 'Acme <hello@acme.test>', to: 'success@simulator.amazonses.com', subject: 'Hi', text: 'Hello' };

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, identities: ['acme.test'] });
  });
  afterAll(() => outbox.stop());

  async function call(method: string, path: string, body?: unknown, key: string | null = outbox.apiKey, raw?: string) {
    const response = await fetch(`${outbox.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(key !== null ? { authorization: `Bearer ${key}` } : {}) },
      ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function storedEmailCount(): Promise<number> {
    const documents = documentClient(outbox.dynamoDbEndpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const { Count } = await documents.send(
      new ScanCommand({ TableName: localTableName(EMAILS_TABLE), Select: 'COUNT', FilterExpression: 'sk = :email', ExpressionAttributeValues: { ':email': 'email' } }),
    );
    return Count ?? 0;
  }

  it('sends an email through SES with the configuration set and the tracking tag, and reads it back', async () => {
    const sent = await call('POST', '/emails', {
      ...valid,
      cc: 'cc@example.com',
      bcc: ['bcc@example.com'],
      reply_to: 'reply@acme.test',
      subject: 'Grüße ✉ 日本語',
      html: '<p>Hello</p>',
      headers: { 'X-Entity-Ref-ID': 'abc-123' },
      tags: [{ name: 'category', value: 'welcome' }],
    });
    expect(sent.status).toBe(200);
    const id = sent.body.id as string;

    const message = outbox.ses.messages().at(-1)!;
    expect(message.configurationSetName).toBe('outbox-local');
    expect(message.tags).toEqual(expect.arrayContaining([{ name: 'outbox-message-id', value: id }, { name: 'category', value: 'welcome' }]));
    expect(message.subject).toBe('Grüße ✉ 日本語');
    expect(message.destination).toEqual({ to: ['success@simulator.amazonses.com'], cc: ['cc@example.com'], bcc: ['bcc@example.com'] });
    expect(message.headers).toEqual(expect.arrayContaining([{ name: 'X-Entity-Ref-ID', value: 'abc-123' }]));

    const read = await call('GET', `/emails/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      object: 'email',
      id,
      from: 'Acme <hello@acme.test>',
      to: ['success@simulator.amazonses.com'],
      cc: ['cc@example.com'],
      bcc: ['bcc@example.com'],
      reply_to: ['reply@acme.test'],
      subject: 'Grüße ✉ 日本語',
      html: '<p>Hello</p>',
      text: 'Hello',
      ses_message_id: message.messageId,
      tags: [{ name: 'category', value: 'welcome' }],
    });
    // The stand-in's Delivery event follows within about a second; on a busy machine it can come first.
    expect(['sent', 'delivered']).toContain(read.body.last_event);
  });

  it('refuses an unverified sender with SES\'s reason and keeps no record', async () => {
    const before = await storedEmailCount();
    const sentBefore = outbox.ses.messages().length;
    const refused = await call('POST', '/emails', { ...valid, from: 'someone@elsewhere.test' });
    expect(refused.status).toBe(403);
    expect(refused.body.name).toBe('invalid_from_address');
    expect(refused.body.message).toMatch(/not verified.*someone@elsewhere\.test/i);
    expect(await storedEmailCount()).toBe(before);
    expect(outbox.ses.messages()).toHaveLength(sentBefore);
  });

  const tooMany = Array.from({ length: 51 }, (_, i) => `r${i}@example.com`);
  it.each([
    ['no key', 'POST', '/emails', valid, null, 401, 'missing_api_key'],
    ['a wrong key', 'POST', '/emails', valid, 'ob_wrong', 403, 'invalid_api_key'],
    ['a missing from', 'POST', '/emails', { ...valid, from: undefined }, undefined, 422, 'missing_required_field'],
    ['an invalid from', 'POST', '/emails', { ...valid, from: 'nobody' }, undefined, 422, 'invalid_from_address'],
    ['a missing to', 'POST', '/emails', { ...valid, to: undefined }, undefined, 422, 'missing_required_field'],
    ['an invalid to', 'POST', '/emails', { ...valid, to: 'x@' }, undefined, 422, 'validation_error'],
    ['51 recipients', 'POST', '/emails', { ...valid, to: tooMany }, undefined, 422, 'validation_error'],
    ['CR/LF in the subject', 'POST', '/emails', { ...valid, subject: 'a\r\nBcc: x@example.com' }, undefined, 422, 'validation_error'],
    ['CR/LF in a header', 'POST', '/emails', { ...valid, headers: { 'X-A': 'a\nBcc: x@example.com' } }, undefined, 422, 'validation_error'],
    ['a bad header name', 'POST', '/emails', { ...valid, headers: { 'X A': 'a' } }, undefined, 422, 'validation_error'],
    ['no body', 'POST', '/emails', { ...valid, text: undefined }, undefined, 422, 'missing_required_field'],
    ['a tag with a space', 'POST', '/emails', { ...valid, tags: [{ name: 'a b', value: 'c' }] }, undefined, 422, 'validation_error'],
    ['an array body', 'POST', '/emails', [valid], undefined, 400, 'validation_error'],
    ['an unknown id', 'GET', '/emails/0190a0b0-0000-7000-8000-000000000000', undefined, undefined, 404, 'not_found'],
    ['a malformed id', 'GET', '/emails/not-an-id', undefined, undefined, 404, 'not_found'],
    ['an unknown route', 'GET', '/nothing-here', undefined, undefined, 404, 'not_found'],
    ['a wrong method', 'DELETE', '/emails', undefined, undefined, 405, 'method_not_allowed'],
  ] as const)('answers %s in the SDK error shape and sends nothing', async (_case, method, path, body, key, status, name) => {
    const sentBefore = outbox.ses.messages().length;
    const answer = await call(method, path, body, key === undefined ? outbox.apiKey : key);
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ statusCode: status, name, message: expect.any(String) });
    expect((answer.body.message as string).length).toBeGreaterThan(10);
    expect(outbox.ses.messages()).toHaveLength(sentBefore);
  });

  it('answers a non-JSON body with 400', async () => {
    const answer = await call('POST', '/emails', undefined, outbox.apiKey, '{"from": ');
    expect(answer).toEqual({ status: 400, body: { statusCode: 400, name: 'validation_error', message: 'The request body is not valid JSON.' } });
  });

  it('answers a body over the Lambda payload cap with 413', async () => {
    const sentBefore = outbox.ses.messages().length;
    const answer = await call('POST', '/emails', { ...valid, html: 'x'.repeat(7 * 1024 * 1024) });
    expect(answer.status).toBe(413);
    expect(answer.body.message).toMatch(/over 6 MB/);
    expect(outbox.ses.messages()).toHaveLength(sentBefore);
  });

  it('answers /health without a key', async () => {
    expect(await call('GET', '/health', undefined, null)).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('creates a sending-only key that can send but not read', async () => {
    const created = await call('POST', '/api-keys', { name: 'sender', permission: 'sending_access' });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    const sent = await call('POST', '/emails', valid, token);
    expect(sent.status).toBe(200);
    const read = await call('GET', `/emails/${sent.body.id as string}`, undefined, token);
    expect(read).toMatchObject({ status: 401, body: { name: 'restricted_api_key' } });
    const removed = await call('DELETE', `/api-keys/${created.body.id as string}`);
    expect(removed.body).toMatchObject({ deleted: true });
    expect((await call('POST', '/emails', valid, token)).status).toBe(403);
  });
});
