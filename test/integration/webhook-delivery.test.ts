import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { DynamoDbWebhookStore } from '../../lambda/adapters/dynamodb-webhook-store';
import { DnsHostResolver } from '../../lambda/adapters/dns-host-resolver';
import { HttpWebhookClient } from '../../lambda/adapters/http-webhook-client';
import { uuidv7 } from '../../lambda/core/ids';
import { systemClock } from '../../lambda/core/ports';
import { WebhookRequestError } from '../../lambda/core/webhook-delivery';
import type { NotificationPayload, WebhookRecord } from '../../lambda/core/webhooks';
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
