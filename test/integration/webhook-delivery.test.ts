import { randomBytes } from 'node:crypto';
import { QueryCommand } from '../../lambda/adapters/aws/dynamodb';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { DynamoDbWebhookStore } from '../../lambda/adapters/dynamodb-webhook-store';
import { DnsHostResolver } from '../../lambda/adapters/dns-host-resolver';
import { HttpWebhookClient } from '../../lambda/adapters/http-webhook-client';
import { uuidv7 } from '../../lambda/core/ids';
import { systemClock, type Clock } from '../../lambda/core/ports';
import { deliverWebhookMessage, WebhookRequestError, type WebhookDeliveryDeps } from '../../lambda/core/webhook-delivery';
import { WEBHOOK_SUCCESS_RETENTION_DAYS, type NotificationPayload, type WebhookJob, type WebhookRecord } from '../../lambda/core/webhooks';
import { handleWebhookBatch, type WebhookBatchDeps } from '../../lambda/entrypoints/sqs-webhooks';
import { WEBHOOKS_TABLE } from '../../lambda/shared/tables';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../local/embedded-dynamodb';
import { LocalQueue } from '../../local/local-queue';
import { LocalWebhookRetry } from '../../local/local-webhook-retry';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A webhook receiver on 127.0.0.1 answering from a script (the last status repeats). */
async function startReceiver(statuses: number[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      const status = statuses[Math.min(received.length, statuses.length) - 1]!;
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'thanks' : 'receiver is down');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/outbox`, received, server };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

const payload: NotificationPayload = {
  type: 'email.delivered',
  created_at: '2026-11-28T10:00:00.000Z',
  data: {
    email_id: '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b00',
    created_at: '2026-11-28T09:59:58.000Z',
    message_id: '010001abc-ses',
    from: 'app@acme.test',
    to: ['a@example.com'],
    subject: 'Hello',
    tags: { category: 'welcome' },
    recipients: ['a@example.com'],
  },
};

/**
 * Webhook delivery end to end in one process: a real receiver on loopback, the webhooks table in
 * the embedded DynamoDB-compatible store, jobs through the local SQS stand-in to the same consumer
 * the Lambda runs, with retries delayed through changeVisibility.
 */
describe('webhook delivery through the local queue', () => {
  let dynamo: EmbeddedDynamoDb;
  let store: DynamoDbWebhookStore;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamoDb();
    await createTables(dynamo.endpoint, [{ definition: WEBHOOKS_TABLE, name: 'webhooks' }]);
    const documents = documentClient(dynamo.endpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    store = new DynamoDbWebhookStore(documents, 'webhooks', systemClock, 1);
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });
  afterAll(() => dynamo.stop());

  /** A webhook on `endpoint`, a message owed to it, and a queue and consumer to deliver it. */
  async function deliverThroughQueue(endpoint: string, options: { maxAttempts: number; retryDelaysSeconds: number[]; speedup: number }) {
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const webhook: WebhookRecord = { id: uuidv7(Date.now()), endpoint, events: null, status: 'enabled', signingSecret: secret, createdAt: new Date().toISOString() };
    await store.create(webhook);
    const messageId = `msg_${uuidv7(Date.now())}`;
    await store.putMessage({ id: messageId, webhookId: webhook.id, type: payload.type, createdAt: payload.created_at, status: 'attempting', nextAttemptAt: null, attempts: 0, payload });

    const logs: string[] = [];
    // The consumer reads `deps` when it runs, after both exist.
    const queue: LocalQueue = new LocalQueue((event) => handleWebhookBatch(deps, event), { maxReceiveCount: options.maxAttempts, visibilityTimeoutMs: 60_000 });
    const deps: WebhookBatchDeps = {
      store,
      http: new HttpWebhookClient({ allowPrivate: true }),
      resolver: new DnsHostResolver(),
      retry: new LocalWebhookRetry(queue, options.speedup),
      clock: systemClock,
      random: Math.random,
      allowPrivateWebhookUrls: true,
      maxAttempts: options.maxAttempts,
      retryDelaysSeconds: options.retryDelaysSeconds,
      log: (message) => logs.push(message),
    };
    stops.push(() => queue.stop());
    queue.send(JSON.stringify({ webhookId: webhook.id, messageId }));
    await queue.idle();
    return { webhook, messageId, secret, queue, logs };
  }

  it('retries a receiver answering 500, 500, then 200 with the same webhook-id, each signed', async () => {
    const receiver = await startReceiver([500, 500, 200]);
    stops.push(() => closeServer(receiver.server));

    // 1 s between attempts at real speed: webhook-timestamp has whole seconds, so each attempt's is later.
    const { webhook, messageId, secret, queue } = await deliverThroughQueue(receiver.url, { maxAttempts: 8, retryDelaysSeconds: [1, 1], speedup: 1 });

    expect(receiver.received).toHaveLength(3);
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    expect(ids).toEqual([messageId, messageId, messageId]);
    const timestamps = receiver.received.map((r) => Number(r.headers['webhook-timestamp']));
    expect(timestamps[1]).toBeGreaterThan(timestamps[0]!);
    expect(timestamps[2]).toBeGreaterThan(timestamps[1]!);
    for (const { headers, body } of receiver.received) {
      expect(headers['content-type']).toBe('application/json');
      expect(headers['user-agent']).toBe('Outbox-Webhooks/1.0');
      expect(new Webhook(secret).verify(body, headers as Record<string, string>)).toEqual(payload);
      expect(() => new Webhook(`whsec_${randomBytes(24).toString('base64')}`).verify(body, headers as Record<string, string>)).toThrow();
    }

    const attempts = await store.listAttempts(webhook.id, messageId);
    expect(attempts.map((a) => [a.attempt, a.httpStatusCode, a.response])).toEqual([
      [1, 500, 'receiver is down'],
      [2, 500, 'receiver is down'],
      [3, 200, 'thanks'],
    ]);
    expect(await store.getMessage(webhook.id, messageId)).toMatchObject({ status: 'success', attempts: 3, nextAttemptAt: null });
    expect((await store.get(webhook.id))?.status).toBe('enabled');
    expect(queue.deadLettered()).toEqual([]);
  });

  it('fails the message, disables the webhook and dead-letters the job when a receiver never recovers', async () => {
    const receiver = await startReceiver([503]);
    stops.push(() => closeServer(receiver.server));

    const { webhook, messageId, queue, logs } = await deliverThroughQueue(receiver.url, { maxAttempts: 3, retryDelaysSeconds: [5, 300], speedup: 300 });

    expect(receiver.received).toHaveLength(3);
    const attempts = await store.listAttempts(webhook.id, messageId);
    expect(attempts.map((a) => [a.attempt, a.httpStatusCode])).toEqual([
      [1, 503],
      [2, 503],
      [3, 503],
    ]);
    expect(await store.getMessage(webhook.id, messageId)).toMatchObject({ status: 'failed', attempts: 3, nextAttemptAt: null });
    const disabled = await store.get(webhook.id);
    expect(disabled?.status).toBe('disabled');
    expect(disabled?.disabledReason).toMatch(/^Disabled on \d{4}-\d\d-\d\dT.*Z: a message failed all 3 delivery attempts over about a day \(last: HTTP 503\)$/);
    expect(queue.deadLettered()).toEqual([
      { messageId: expect.any(String), body: JSON.stringify({ webhookId: webhook.id, messageId }), receiveCount: 3, deadLetteredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    ]);
    expect(logs).toEqual([expect.stringContaining('disabled')]);
  });

  it('logs a refused connection with status 0 and retries it', async () => {
    const receiver = await startReceiver([200]);
    const url = receiver.url;
    await closeServer(receiver.server);

    const { webhook, messageId, queue } = await deliverThroughQueue(url, { maxAttempts: 2, retryDelaysSeconds: [5], speedup: 300 });

    const attempts = await store.listAttempts(webhook.id, messageId);
    expect(attempts.map((a) => [a.attempt, a.httpStatusCode, a.response])).toEqual([
      [1, 0, 'Connection refused'],
      [2, 0, 'Connection refused'],
    ]);
    expect(queue.deadLettered()).toHaveLength(1);
  });
});

/**
 * What the delivery log costs and keeps, through the real store adapter on the embedded store:
 * each command the adapter sends is counted by a middleware on its client (nothing is stubbed).
 */
describe('the delivery log in the webhooks table', () => {
  const DAY_MS = 86_400_000;
  const RETENTION_DAYS = 90;
  let dynamo: EmbeddedDynamoDb;
  let raw: ReturnType<typeof documentClient>;
  let counted: ReturnType<typeof documentClient>;
  let commands: string[];
  let now: number;
  const clock: Clock = { now: () => new Date(now) };
  let store: DynamoDbWebhookStore;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamoDb();
    await createTables(dynamo.endpoint, [{ definition: WEBHOOKS_TABLE, name: 'webhooks' }]);
    raw = documentClient(dynamo.endpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    counted = documentClient(dynamo.endpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const send = counted.send.bind(counted);
    counted.send = (command) => {
      commands.push(command.operation.replace(/Item$/, ''));
      return send(command);
    };
    store = new DynamoDbWebhookStore(counted, 'webhooks', clock, RETENTION_DAYS);
    receiver = await startReceiver([200]);
  });
  beforeEach(() => {
    commands = [];
    now = Date.now();
  });
  afterAll(async () => {
    await closeServer(receiver.server);
    await dynamo.stop();
  });

  const writes = (): string[] => commands.filter((command) => ['Put', 'Update', 'Delete', 'BatchWrite'].includes(command));

  async function webhookAt(endpoint: string): Promise<WebhookRecord> {
    const webhook: WebhookRecord = { id: uuidv7(Date.now()), endpoint, events: null, status: 'enabled', signingSecret: `whsec_${randomBytes(24).toString('base64')}`, createdAt: new Date().toISOString() };
    await store.create(webhook);
    return webhook;
  }

  /** A job as the events path queues it: the message rides along and is not in the log yet. */
  function carried(webhook: WebhookRecord): WebhookJob {
    return { webhookId: webhook.id, messageId: `msg_${uuidv7(now)}`, message: { type: payload.type, createdAt: payload.created_at, payload } };
  }

  function deps(): WebhookDeliveryDeps {
    return { store, http: new HttpWebhookClient({ allowPrivate: true }), resolver: new DnsHostResolver(), clock, random: () => 0.5, allowPrivateWebhookUrls: true, log: () => undefined };
  }

  /** Every item of a webhook's partition but the webhook's own, by sort key. */
  async function logItems(webhookId: string): Promise<Record<string, Record<string, unknown>>> {
    const page = await raw.send(new QueryCommand({ TableName: 'webhooks', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': webhookId } }));
    return Object.fromEntries((page.Items ?? []).filter((item) => item.sk !== 'webhook').map((item) => [String(item.sk), item]));
  }

  it('logs a first-attempt success in one write: the message, already success, with its attempt inline', async () => {
    const webhook = await webhookAt(receiver.url);
    const job = carried(webhook);
    commands = [];

    expect(await deliverWebhookMessage(deps(), job, 1)).toEqual({ kind: 'done', result: 'delivered' });

    expect(writes()).toEqual(['Put']);
    expect(commands).toEqual(['Get', 'Get', 'Put']);
    const items = await logItems(webhook.id);
    expect(Object.keys(items)).toEqual([`msg#${job.messageId}`]);
    expect(items[`msg#${job.messageId}`]).toMatchObject({ status: 'success', attempts: 1, firstAttempt: { httpStatusCode: 200, response: 'thanks' } });
    expect(await store.listAttempts(webhook.id, job.messageId)).toEqual([
      { id: expect.any(String), messageId: job.messageId, attempt: 1, sentAt: new Date(now).toISOString(), httpStatusCode: 200, response: 'thanks', latencyMs: expect.any(Number) },
    ]);
  });

  it('sends nothing and writes nothing when that job is redelivered', async () => {
    const webhook = await webhookAt(receiver.url);
    const job = carried(webhook);
    await deliverWebhookMessage(deps(), job, 1);
    const posts = receiver.received.length;
    commands = [];

    expect(await deliverWebhookMessage(deps(), job, 2)).toEqual({ kind: 'done', result: 'already delivered' });
    expect(receiver.received).toHaveLength(posts);
    expect(writes()).toEqual([]);
  });

  it('keeps the full log of a failed attempt: the message, a try# item, the status update', async () => {
    const failing = await startReceiver([500]);
    try {
      const webhook = await webhookAt(failing.url);
      const job = carried(webhook);
      commands = [];

      expect(await deliverWebhookMessage(deps(), job, 1)).toMatchObject({ kind: 'retry', reason: 'HTTP 500' });

      expect(writes()).toEqual(['Put', 'Put', 'Update']);
      const items = await logItems(webhook.id);
      const tries = Object.keys(items).filter((sk) => sk.startsWith(`try#${job.messageId}#001#`));
      expect(tries).toHaveLength(1);
      expect(items[`msg#${job.messageId}`]).toMatchObject({ status: 'pending', attempts: 1 });
      expect(items[`msg#${job.messageId}`]).not.toHaveProperty('firstAttempt');
      expect(await store.listAttempts(webhook.id, job.messageId)).toEqual([expect.objectContaining({ attempt: 1, httpStatusCode: 500, response: 'receiver is down' })]);
    } finally {
      await closeServer(failing.server);
    }
  });

  it(`keeps a first-attempt success ${WEBHOOK_SUCCESS_RETENTION_DAYS} days and a failure the full retention`, async () => {
    const failing = await startReceiver([500]);
    try {
      const webhook = await webhookAt(receiver.url);
      const delivered = carried(webhook);
      await deliverWebhookMessage(deps(), delivered, 1);
      const other = await webhookAt(failing.url);
      const failed = carried(other);
      await deliverWebhookMessage({ ...deps(), maxAttempts: 1 }, failed, 1);
      const start = Math.floor(now / 1000);

      expect((await logItems(webhook.id))[`msg#${delivered.messageId}`]).toMatchObject({ expiresAt: start + WEBHOOK_SUCCESS_RETENTION_DAYS * 86_400 });
      const failedItems = await logItems(other.id);
      for (const item of Object.values(failedItems)) expect(item.expiresAt).toBe(start + RETENTION_DAYS * 86_400);

      now += (WEBHOOK_SUCCESS_RETENTION_DAYS + 1) * DAY_MS;
      expect(await store.getMessage(webhook.id, delivered.messageId)).toBeUndefined();
      expect(await store.listMessages(webhook.id, { limit: 10 })).toEqual({ messages: [], hasMore: false });
      expect(await store.listAttempts(webhook.id, delivered.messageId)).toEqual([]);
      expect(await store.getMessage(other.id, failed.messageId)).toMatchObject({ status: 'failed', attempts: 1 });
      expect(await store.listAttempts(other.id, failed.messageId)).toEqual([expect.objectContaining({ attempt: 1, httpStatusCode: 500 })]);
    } finally {
      await closeServer(failing.server);
    }
  });

  it('writes nothing when putDelivered finds the message logged, and keeps a later attempt the full retention', async () => {
    const webhook = await webhookAt(receiver.url);
    const messageId = `msg_${uuidv7(now)}`;
    const message = { id: messageId, webhookId: webhook.id, type: payload.type, createdAt: payload.created_at, status: 'success' as const, nextAttemptAt: null, attempts: 1, payload };
    const first = { id: uuidv7(now), messageId, attempt: 1, sentAt: new Date(now).toISOString(), httpStatusCode: 204, response: '', latencyMs: 5 };
    expect(await store.putDelivered(message, first)).toBe(true);
    expect(await store.putDelivered(message, { ...first, id: uuidv7(now + 1) })).toBe(false);
    expect(await store.putMessage({ ...message, status: 'attempting', attempts: 0 })).toBe(false);

    // A duplicate job's attempt, recorded after the success: both are listed, and the message now keeps the full retention.
    const second = { ...first, id: uuidv7(now + 2), attempt: 2, httpStatusCode: 200, response: 'again' };
    await store.recordAttempt(webhook.id, second, { status: 'success', nextAttemptAt: null });
    expect((await store.listAttempts(webhook.id, messageId)).map((attempt) => [attempt.attempt, attempt.httpStatusCode])).toEqual([
      [1, 204],
      [2, 200],
    ]);
    expect((await logItems(webhook.id))[`msg#${messageId}`]).toMatchObject({ attempts: 2, expiresAt: Math.floor(now / 1000) + RETENTION_DAYS * 86_400 });
  });
});

describe('HttpWebhookClient', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.url === '/redirect') response.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end('moved');
        else if (request.url === '/large') response.writeHead(500).end('x'.repeat(100_000));
        else if (request.url === '/silent') return;
        else response.writeHead(200).end(JSON.stringify({ headers: request.headers }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => closeServer(server));

  const local = new HttpWebhookClient({ allowPrivate: true });

  it('POSTs the body with the given headers and measures latency', async () => {
    const answer = await local.post(`${base}/ok`, { 'content-type': 'application/json', 'webhook-id': 'msg_1' }, '{"a":1}', 1000);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).headers).toMatchObject({ 'content-type': 'application/json', 'webhook-id': 'msg_1', 'content-length': '7' });
    expect(answer.latencyMs).toBeGreaterThan(0);
  });

  it('returns a redirect without following it', async () => {
    expect(await local.post(`${base}/redirect`, {}, '{}', 1000)).toMatchObject({ status: 302, body: 'moved' });
  });

  it('reads at most 2 KB of an answer', async () => {
    const answer = await local.post(`${base}/large`, {}, '{}', 1000);
    expect(answer.status).toBe(500);
    expect(answer.body).toHaveLength(2048);
  });

  it('gives up after the timeout with a reason', async () => {
    const failure = await local.post(`${base}/silent`, {}, '{}', 200).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WebhookRequestError);
    expect(failure).toMatchObject({ failure: 'timeout', message: 'Timed out after 0.2 s without a complete answer' });
    expect((failure as WebhookRequestError).latencyMs).toBeGreaterThanOrEqual(190);
  });

  it('refuses, at connect time, a name that resolves to loopback outside local mode', async () => {
    const strict = new HttpWebhookClient();
    const port = new URL(base).port;
    await expect(strict.post(`http://localhost:${port}/ok`, {}, '{}', 1000)).rejects.toMatchObject({
      failure: 'blocked',
      message: 'Not connected: localhost resolves to a loopback address (127.0.0.0/8)',
    });
    await expect(strict.post(`${base}/ok`, {}, '{}', 1000)).rejects.toMatchObject({ failure: 'blocked' });
    await expect(strict.post('http://169.254.169.254/latest/meta-data/', {}, '{}', 1000)).rejects.toMatchObject({
      failure: 'blocked',
      message: expect.stringContaining('metadata'),
    });
  });
});
