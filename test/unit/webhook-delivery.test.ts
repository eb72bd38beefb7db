import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { CachedWebhookStore } from '../../lambda/adapters/cached-webhook-store';
import type { SqsClient } from '../../lambda/adapters/aws/sqs';
import { SqsWebhookQueue } from '../../lambda/adapters/sqs-webhook-queue';
import { MAX_RETRY_DELAY_SECONDS, SqsWebhookRetry } from '../../lambda/adapters/sqs-webhook-retry';
import { readWebhookDeliveryConfig } from '../../lambda/config';
import type { Clock } from '../../lambda/core/ports';
import {
  deliverWebhookMessage,
  WebhookRequestError,
  type WebhookDeliveryDeps,
  type WebhookHttpClient,
  type WebhookHttpResponse,
  type WebhookRetry,
} from '../../lambda/core/webhook-delivery';
import type { NotificationPayload, WebhookJob, WebhookMessage, WebhookRecord, WebhookStore } from '../../lambda/core/webhooks';
import { handleWebhookBatch, parseWebhookJob } from '../../lambda/entrypoints/sqs-webhooks';
import { WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_DELAYS_SECONDS } from '../../lambda/shared/env';
import { LocalWebhookRetry } from '../../local/local-webhook-retry';
import { InMemoryWebhookStore, StaticHostResolver } from '../helpers/in-memory';

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const webhookId = '019ac9a4-0000-7000-8000-000000000001';
const messageId = 'msg_019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11';
const job: WebhookJob = { webhookId, messageId };

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

/** Answers in order; an Error is thrown instead of answered. After the script: 200. */
class ScriptedHttpClient implements WebhookHttpClient {
  readonly requests: { url: string; headers: Readonly<Record<string, string>>; body: string; timeoutMs: number }[] = [];

  constructor(private readonly answers: (Partial<WebhookHttpResponse> | Error)[] = []) {}

  async post(url: string, headers: Readonly<Record<string, string>>, body: string, timeoutMs: number): Promise<WebhookHttpResponse> {
    this.requests.push({ url, headers, body, timeoutMs });
    const next = this.answers.shift() ?? {};
    if (next instanceof Error) throw next;
    return { status: 200, body: 'ok', latencyMs: 12, ...next };
  }
}

/** A clock the test moves. */
class ManualClock implements Clock {
  constructor(private ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

/** The store's write methods called so far, in order, by name. */
function recordWrites(store: WebhookStore): string[] {
  const writes: string[] = [];
  for (const name of ['putMessage', 'putDelivered', 'recordAttempt', 'update'] as const) {
    const write = store[name].bind(store) as (...args: unknown[]) => Promise<unknown>;
    (store as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      writes.push(name);
      return write(...args);
    };
  }
  return writes;
}

interface Setup {
  readonly deps: WebhookDeliveryDeps;
  readonly store: InMemoryWebhookStore;
  readonly http: ScriptedHttpClient;
  readonly clock: ManualClock;
  readonly logs: string[];
}

async function setup(
  options: {
    answers?: (Partial<WebhookHttpResponse> | Error)[];
    webhook?: Partial<WebhookRecord>;
    message?: Partial<WebhookMessage>;
    dns?: Record<string, string[]>;
    random?: number;
  } = {},
): Promise<Setup> {
  const store = new InMemoryWebhookStore();
  await store.create({
    id: webhookId,
    endpoint: 'https://hooks.acme.test/outbox',
    events: null,
    status: 'enabled',
    signingSecret: secret,
    createdAt: '2026-11-01T00:00:00.000Z',
    ...options.webhook,
  });
  await store.putMessage({
    id: messageId,
    webhookId,
    type: 'email.delivered',
    createdAt: payload.created_at,
    status: 'attempting',
    nextAttemptAt: null,
    attempts: 0,
    payload,
    ...options.message,
  });
  const http = new ScriptedHttpClient(options.answers);
  // Real time, so the signatures verify within the libraries' 5-minute tolerance.
  const clock = new ManualClock(Date.now());
  const logs: string[] = [];
  const deps: WebhookDeliveryDeps = {
    store,
    http,
    resolver: new StaticHostResolver({ 'hooks.acme.test': ['93.184.215.14'], ...options.dns }),
    clock,
    random: () => options.random ?? 0.5,
    allowPrivateWebhookUrls: false,
    log: (message) => logs.push(message),
  };
  return { deps, store, http, clock, logs };
}

describe('deliverWebhookMessage', () => {
  describe('a replay job', () => {
    const replay: WebhookJob = { ...job, replay: { afterAttempts: 1 } };

    it('delivers a delivered message again with the same webhook-id and svix-id, logged as its next attempt', async () => {
      const { deps, store, http } = await setup({ message: { status: 'success', attempts: 1 } });

      expect(await deliverWebhookMessage(deps, replay, 1)).toEqual({ kind: 'done', result: 'delivered' });

      expect(http.requests.map((r) => [r.headers['webhook-id'], r.headers['svix-id']])).toEqual([[messageId, messageId]]);
      expect(new Webhook(secret).verify(http.requests[0]!.body, { ...http.requests[0]!.headers })).toEqual(payload);
      expect((await store.listAttempts(webhookId, messageId)).map((a) => a.attempt)).toEqual([2]);
      expect(await store.getMessage(webhookId, messageId)).toMatchObject({ status: 'success', attempts: 2 });
    });

    it('sends nothing more once an attempt of its own succeeded (a redelivered replay job)', async () => {
      const { deps, http } = await setup({ message: { status: 'success', attempts: 1 } });
      await deliverWebhookMessage(deps, replay, 1);
      expect(await deliverWebhookMessage(deps, replay, 2)).toEqual({ kind: 'done', result: 'already delivered' });
      expect(http.requests).toHaveLength(1);
    });

    it('retries a failing replay on the schedule, its attempts numbered on from the log', async () => {
      const { deps, store, http } = await setup({ message: { status: 'success', attempts: 1 }, answers: [{ status: 503 }] });

      expect(await deliverWebhookMessage(deps, replay, 1)).toMatchObject({ kind: 'retry', reason: 'HTTP 503' });
      expect(await store.getMessage(webhookId, messageId)).toMatchObject({ status: 'pending', attempts: 2 });
      expect(await deliverWebhookMessage(deps, replay, 2)).toEqual({ kind: 'done', result: 'delivered' });

      expect(http.requests).toHaveLength(2);
      expect((await store.listAttempts(webhookId, messageId)).map((a) => [a.attempt, a.httpStatusCode])).toEqual([
        [2, 503],
        [3, 200],
      ]);
      expect(await store.getMessage(webhookId, messageId)).toMatchObject({ status: 'success', attempts: 3 });
    });
  });

  it('delivers a signed POST the first time and logs the attempt', async () => {
    const { deps, store, http, clock } = await setup({ answers: [{ status: 204, body: '', latencyMs: 37.6 }] });

    const outcome = await deliverWebhookMessage(deps, job, 1);

    expect(outcome).toEqual({ kind: 'done', result: 'delivered' });
    expect(http.requests).toHaveLength(1);
    const [request] = http.requests;
    expect(request!.url).toBe('https://hooks.acme.test/outbox');
    expect(request!.timeoutMs).toBe(10_000);
    expect(JSON.parse(request!.body)).toEqual(payload);
    expect(request!.headers).toEqual({
      'content-type': 'application/json',
      'user-agent': 'Outbox-Webhooks/1.0',
      'webhook-id': messageId,
      'webhook-timestamp': String(Math.floor(clock.now().getTime() / 1000)),
      'webhook-signature': expect.stringMatching(/^v1,/),
      'svix-id': messageId,
      'svix-timestamp': String(Math.floor(clock.now().getTime() / 1000)),
      'svix-signature': request!.headers['webhook-signature'],
    });
    expect(new Webhook(secret).verify(request!.body, { ...request!.headers })).toEqual(payload);
    expect(await store.listAttempts(webhookId, messageId)).toEqual([
      { id: expect.any(String), messageId, attempt: 1, sentAt: clock.now().toISOString(), httpStatusCode: 204, response: '', latencyMs: 38 },
    ]);
    expect(await store.getMessage(webhookId, messageId)).toMatchObject({ status: 'success', nextAttemptAt: null, attempts: 1 });
  });

  it.each([
    [1, 0, 4],
    [1, 0.5, 5],
    [1, 0.999999, 6],
    [2, 0, 240],
    [2, 0.999999, 360],
    [7, 0.25, 32_400],
  ])('after failed attempt %i (random %f) asks for a retry after %i s, the schedule +-20%%', async (attempt, random, expected) => {
    const { deps, store, clock } = await setup({ answers: [{ status: 500, body: 'Internal Server Error' }], random });

    const outcome = await deliverWebhookMessage(deps, job, attempt);

    expect(outcome).toEqual({ kind: 'retry', retryAfterSeconds: expected, reason: 'HTTP 500' });
    const base = WEBHOOK_RETRY_DELAYS_SECONDS[attempt - 1]!;
    expect(expected).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
    expect(expected).toBeLessThanOrEqual(Math.ceil(base * 1.2));
    expect(await store.getMessage(webhookId, messageId)).toMatchObject({
      status: 'pending',
      attempts: attempt,
      nextAttemptAt: new Date(clock.now().getTime() + expected * 1000).toISOString(),
    });
    expect(await store.listAttempts(webhookId, messageId)).toEqual([expect.objectContaining({ attempt, httpStatusCode: 500, response: 'Internal Server Error' })]);
  });

  it('keeps every retry delay within +-20% of the schedule', async () => {
    for (let attempt = 1; attempt < WEBHOOK_MAX_ATTEMPTS; attempt += 1) {
      for (const random of [0, 0.1, 0.5, 0.9, 0.999999]) {
        const { deps } = await setup({ answers: [{ status: 503 }], random });
        const outcome = await deliverWebhookMessage(deps, job, attempt);
        const base = WEBHOOK_RETRY_DELAYS_SECONDS[attempt - 1]!;
        expect(outcome.kind).toBe('retry');
        const seconds = outcome.kind === 'retry' ? outcome.retryAfterSeconds : NaN;
        expect(seconds).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
        expect(seconds).toBeLessThanOrEqual(Math.ceil(base * 1.2));
      }
    }
  });

  it('signs every retry with the same webhook-id and a fresh timestamp', async () => {
    const { deps, http, clock } = await setup({ answers: [{ status: 500 }, { status: 200 }] });

    await deliverWebhookMessage(deps, job, 1);
    clock.advance(5);
    await deliverWebhookMessage(deps, job, 2);

    const [first, second] = http.requests;
    expect(first!.headers['webhook-id']).toBe(messageId);
    expect(second!.headers['webhook-id']).toBe(messageId);
    expect(Number(second!.headers['webhook-timestamp']) - Number(first!.headers['webhook-timestamp'])).toBe(5);
    expect(second!.headers['webhook-signature']).not.toBe(first!.headers['webhook-signature']);
  });

  it(`fails the message and disables the webhook when attempt ${WEBHOOK_MAX_ATTEMPTS} fails`, async () => {
    const { deps, store, clock, logs } = await setup({ answers: [{ status: 500 }] });

    const outcome = await deliverWebhookMessage(deps, job, WEBHOOK_MAX_ATTEMPTS);

    expect(outcome).toEqual({ kind: 'exhausted', exhausted: true, reason: 'HTTP 500' });
    expect(await store.getMessage(webhookId, messageId)).toMatchObject({ status: 'failed', nextAttemptAt: null, attempts: WEBHOOK_MAX_ATTEMPTS });
    expect(await store.get(webhookId)).toMatchObject({
      status: 'disabled',
      disabledReason: `Disabled on ${clock.now().toISOString()}: a message failed all 8 delivery attempts over about a day (last: HTTP 500)`,
    });
    expect(logs).toEqual([expect.stringContaining(`Webhook ${webhookId} disabled`)]);
  });

  it('uses an injected number of attempts', async () => {
    const { deps, store } = await setup({ answers: [{ status: 500 }] });

    const outcome = await deliverWebhookMessage({ ...deps, maxAttempts: 2 }, job, 2);

    expect(outcome.kind).toBe('exhausted');
    expect((await store.get(webhookId))?.disabledReason).toMatch(/failed all 2 delivery attempts/);
  });

  it('sends nothing to a disabled webhook and fails the message', async () => {
    const { deps, store, http } = await setup({ webhook: { status: 'disabled' } });

    const outcome = await deliverWebhookMessage(deps, job, 3);

    expect(outcome).toEqual({ kind: 'done', result: 'webhook disabled' });
    expect(http.requests).toHaveLength(0);
    expect(await store.getMessage(webhookId, messageId)).toMatchObject({ status: 'failed', nextAttemptAt: null });
    expect(await store.listAttempts(webhookId, messageId)).toEqual([expect.objectContaining({ attempt: 3, httpStatusCode: 0, response: 'webhook disabled', latencyMs: 0 })]);
  });

  it('logs nothing more for a failed message of a disabled webhook', async () => {
    const { deps, store, http } = await setup({ webhook: { status: 'disabled' }, message: { status: 'failed', attempts: 8 } });

    expect(await deliverWebhookMessage(deps, job, 9)).toEqual({ kind: 'done', result: 'webhook disabled' });
    expect(http.requests).toHaveLength(0);
    expect(await store.listAttempts(webhookId, messageId)).toEqual([]);
  });

  it('sends nothing for a message already delivered', async () => {
    const { deps, store, http } = await setup({ message: { status: 'success', attempts: 1 } });

    expect(await deliverWebhookMessage(deps, job, 2)).toEqual({ kind: 'done', result: 'already delivered' });
    expect(http.requests).toHaveLength(0);
    expect(await store.listAttempts(webhookId, messageId)).toEqual([]);
  });

  it('drops a job whose webhook or message is gone', async () => {
    const { deps, http, logs } = await setup();

    expect(await deliverWebhookMessage(deps, { webhookId: 'gone', messageId }, 1)).toEqual({ kind: 'done', result: 'webhook missing' });
    expect(await deliverWebhookMessage(deps, { webhookId, messageId: 'msg_gone' }, 1)).toEqual({ kind: 'done', result: 'message missing' });
    expect(http.requests).toHaveLength(0);
    expect(logs).toHaveLength(2);
  });

  it('logs a message the job carries with its first attempt, so the events path need not write it', async () => {
    const { deps, store, http } = await setup({ answers: [{ status: 500 }] });
    const fresh: WebhookJob = { webhookId, messageId: 'msg_new', message: { type: 'email.delivered', createdAt: '2026-11-28T10:00:01.000Z', payload } };
    expect(await store.getMessage(webhookId, 'msg_new')).toBeUndefined();

    expect(await deliverWebhookMessage(deps, fresh, 1)).toMatchObject({ kind: 'retry' });
    expect(http.requests).toHaveLength(1);
    expect(http.requests[0]!.headers['webhook-id']).toBe('msg_new');
    expect(await store.getMessage(webhookId, 'msg_new')).toMatchObject({ id: 'msg_new', type: 'email.delivered', createdAt: '2026-11-28T10:00:01.000Z', status: 'pending', attempts: 1, payload });
    expect(await store.listAttempts(webhookId, 'msg_new')).toEqual([expect.objectContaining({ attempt: 1, httpStatusCode: 500 })]);

    // Its retry (the same job, received again) delivers it from the log.
    expect(await deliverWebhookMessage(deps, fresh, 2)).toEqual({ kind: 'done', result: 'delivered' });
    expect((await store.listAttempts(webhookId, 'msg_new')).map((a) => a.httpStatusCode)).toEqual([500, 200]);
  });

  describe('a message the job carries', () => {
    const carried: WebhookJob = { webhookId, messageId: 'msg_new', message: { type: 'email.delivered', createdAt: '2026-11-28T10:00:01.000Z', payload } };

    it('is logged in one write when its first attempt succeeds: already success, with that attempt', async () => {
      const { deps, store, http, clock } = await setup({ answers: [{ status: 200, body: 'ok', latencyMs: 41 }] });
      const writes = recordWrites(store);

      expect(await deliverWebhookMessage(deps, carried, 1)).toEqual({ kind: 'done', result: 'delivered' });

      expect(http.requests).toHaveLength(1);
      expect(writes).toEqual(['putDelivered']);
      expect(await store.getMessage(webhookId, 'msg_new')).toEqual({
        id: 'msg_new',
        webhookId,
        type: 'email.delivered',
        createdAt: '2026-11-28T10:00:01.000Z',
        status: 'success',
        nextAttemptAt: null,
        attempts: 1,
        payload,
      });
      expect(await store.listAttempts(webhookId, 'msg_new')).toEqual([
        { id: expect.any(String), messageId: 'msg_new', attempt: 1, sentAt: clock.now().toISOString(), httpStatusCode: 200, response: 'ok', latencyMs: 41 },
      ]);
    });

    it('sends nothing and writes nothing when the job is redelivered after that success', async () => {
      const { deps, store, http } = await setup();
      await deliverWebhookMessage(deps, carried, 1);
      const writes = recordWrites(store);

      expect(await deliverWebhookMessage(deps, carried, 2)).toEqual({ kind: 'done', result: 'already delivered' });
      expect(await deliverWebhookMessage(deps, carried, 1)).toEqual({ kind: 'done', result: 'already delivered' });
      expect(http.requests).toHaveLength(1);
      expect(writes).toEqual([]);
    });

    it('keeps the full log when its first attempt fails: the message, the attempt, the status', async () => {
      const { deps, store } = await setup({ answers: [{ status: 503 }] });
      const writes = recordWrites(store);

      expect(await deliverWebhookMessage(deps, carried, 1)).toMatchObject({ kind: 'retry' });
      expect(writes).toEqual(['putMessage', 'recordAttempt']);
      expect(await store.getMessage(webhookId, 'msg_new')).toMatchObject({ status: 'pending', attempts: 1 });
    });

    it('keeps the full log when it succeeds on a later receive (the first one left no log)', async () => {
      const { deps, store } = await setup();
      const writes = recordWrites(store);

      expect(await deliverWebhookMessage(deps, carried, 2)).toEqual({ kind: 'done', result: 'delivered' });
      expect(writes).toEqual(['putMessage', 'recordAttempt']);
      expect(await store.getMessage(webhookId, 'msg_new')).toMatchObject({ status: 'success', attempts: 2 });
      expect(await store.listAttempts(webhookId, 'msg_new')).toEqual([expect.objectContaining({ attempt: 2, httpStatusCode: 200 })]);
    });

    it('joins the full log when a duplicate job logged the message between its read and its write', async () => {
      const { deps, store, http } = await setup();
      const read = store.getMessage.bind(store);
      // The duplicate's put lands after this job read the log and before its own write.
      store.getMessage = async (...args) => {
        const found = await read(...args);
        await store.putMessage({ id: 'msg_new', webhookId, ...carried.message!, status: 'attempting', nextAttemptAt: null, attempts: 0 });
        return found;
      };
      const writes = recordWrites(store);

      expect(await deliverWebhookMessage(deps, carried, 1)).toEqual({ kind: 'done', result: 'delivered' });
      expect(http.requests).toHaveLength(1);
      expect(writes).toEqual(['putMessage', 'putDelivered', 'recordAttempt']);
      expect(await store.getMessage(webhookId, 'msg_new')).toMatchObject({ status: 'success', attempts: 1 });
      expect(await store.listAttempts(webhookId, 'msg_new')).toEqual([expect.objectContaining({ attempt: 1, httpStatusCode: 200 })]);
    });

    it('is logged as failed, with nothing sent, for a disabled webhook', async () => {
      const { deps, store, http } = await setup({ webhook: { status: 'disabled' } });

      expect(await deliverWebhookMessage(deps, carried, 1)).toEqual({ kind: 'done', result: 'webhook disabled' });
      expect(http.requests).toHaveLength(0);
      expect(await store.getMessage(webhookId, 'msg_new')).toMatchObject({ status: 'failed', attempts: 1 });
      expect(await store.listAttempts(webhookId, 'msg_new')).toEqual([expect.objectContaining({ attempt: 1, httpStatusCode: 0, response: 'webhook disabled' })]);
    });
  });

  it('drops a second job for a message another job already tried (an event processed twice)', async () => {
    const { deps, store, http } = await setup({ message: { status: 'pending', attempts: 1 } });
    const duplicate: WebhookJob = { ...job, message: { type: 'email.delivered', createdAt: payload.created_at, payload } };

    expect(await deliverWebhookMessage(deps, duplicate, 1)).toEqual({ kind: 'done', result: 'already queued' });
    expect(http.requests).toHaveLength(0);
    expect(await store.getMessage(webhookId, messageId)).toMatchObject({ status: 'pending', attempts: 1 });
  });

  it('sends nothing when the endpoint now resolves to a private address, and logs a failure with status 0', async () => {
    const { deps, store, http } = await setup({ dns: { 'hooks.acme.test': ['10.0.0.1'] } });

    const outcome = await deliverWebhookMessage(deps, job, 1);

    expect(outcome).toMatchObject({ kind: 'retry', reason: expect.stringContaining('a private address') });
    expect(http.requests).toHaveLength(0);
    expect(await store.listAttempts(webhookId, messageId)).toEqual([
      expect.objectContaining({ attempt: 1, httpStatusCode: 0, latencyMs: 0, response: expect.stringMatching(/^Not sent: .*hooks\.acme\.test resolves to a private address/) }),
    ]);
    expect(await store.getMessage(webhookId, messageId)).toMatchObject({ status: 'pending' });
  });

  it('allows a loopback endpoint in local mode', async () => {
    const { deps, http } = await setup({ webhook: { endpoint: 'http://127.0.0.1:4000/hook' } });

    expect(await deliverWebhookMessage({ ...deps, allowPrivateWebhookUrls: true }, job, 1)).toEqual({ kind: 'done', result: 'delivered' });
    expect(http.requests[0]!.url).toBe('http://127.0.0.1:4000/hook');
  });

  it('treats a redirect as a failure', async () => {
    const { deps, store } = await setup({ answers: [{ status: 301, body: '' }] });

    const outcome = await deliverWebhookMessage(deps, job, 1);

    expect(outcome).toMatchObject({ kind: 'retry', reason: 'HTTP 301 (redirects are not followed)' });
    expect(await store.getMessage(webhookId, messageId)).toMatchObject({ status: 'pending' });
  });

  it('logs a timeout with status 0 and its reason', async () => {
    const { deps, store } = await setup({ answers: [new WebhookRequestError('timeout', 'Timed out after 10 s without a complete answer', 10_002.4)] });

    const outcome = await deliverWebhookMessage(deps, job, 1);

    expect(outcome).toMatchObject({ kind: 'retry', reason: 'Timed out after 10 s without a complete answer' });
    expect(await store.listAttempts(webhookId, messageId)).toEqual([
      expect.objectContaining({ httpStatusCode: 0, response: 'Timed out after 10 s without a complete answer', latencyMs: 10_002 }),
    ]);
  });

  it('keeps at most 2,000 characters of an answer', async () => {
    const { deps, store } = await setup({ answers: [{ status: 500, body: 'x'.repeat(5000) }] });

    await deliverWebhookMessage(deps, job, 1);

    const [attempt] = await store.listAttempts(webhookId, messageId);
    expect(attempt!.response).toHaveLength(2001);
  });

  it('throws when the store fails, and when the client fails in an unexpected way', async () => {
    const { deps, store } = await setup({ answers: [new TypeError('bug')] });
    await expect(deliverWebhookMessage(deps, job, 1)).rejects.toThrow('bug');

    store.getMessage = () => Promise.reject(new Error('DynamoDB is down'));
    await expect(deliverWebhookMessage(deps, job, 1)).rejects.toThrow('DynamoDB is down');
  });
});

describe('CachedWebhookStore', () => {
  async function cached(ttlMs = 10_000) {
    const store = new InMemoryWebhookStore();
    await store.create({ id: webhookId, endpoint: 'https://hooks.acme.test/outbox', events: null, status: 'enabled', signingSecret: secret, createdAt: '2026-11-01T00:00:00.000Z' });
    let reads = 0;
    const get = store.get.bind(store);
    store.get = (id) => {
      reads += 1;
      return get(id);
    };
    const clock = new ManualClock(Date.parse('2026-11-28T10:00:00.000Z'));
    return { store, clock, cache: new CachedWebhookStore(store, clock, ttlMs), reads: () => reads };
  }

  it('reads a webhook once per 10 s, so a change made elsewhere shows within 10 s', async () => {
    const { store, clock, cache, reads } = await cached();

    expect(await cache.get(webhookId)).toMatchObject({ status: 'enabled' });
    // Disabled through the API, in another container.
    await store.update(webhookId, { status: 'disabled' });
    clock.advance(9.999);
    expect(await cache.get(webhookId)).toMatchObject({ status: 'enabled' });
    expect(reads()).toBe(1);
    clock.advance(0.001);
    expect(await cache.get(webhookId)).toMatchObject({ status: 'disabled' });
    expect(reads()).toBe(2);

    await store.remove(webhookId);
    expect(await cache.get(webhookId)).toMatchObject({ status: 'disabled' });
    clock.advance(10);
    expect(await cache.get(webhookId)).toBeUndefined();
  });

  it('sees its own update and removal at once', async () => {
    const { cache } = await cached();

    await cache.get(webhookId);
    await cache.update(webhookId, { status: 'disabled', disabledReason: 'every attempt failed' });
    expect(await cache.get(webhookId)).toMatchObject({ status: 'disabled', disabledReason: 'every attempt failed' });
    expect(await cache.remove(webhookId)).toBe(true);
    expect(await cache.get(webhookId)).toBeUndefined();
  });

  it('does not keep a failed read, and reads every time with a TTL of 0', async () => {
    const { store, cache, reads } = await cached();
    const get = store.get;
    store.get = () => Promise.reject(new Error('DynamoDB is down'));
    await expect(cache.get(webhookId)).rejects.toThrow('DynamoDB is down');
    store.get = get;
    expect(await cache.get(webhookId)).toMatchObject({ id: webhookId });

    const always = await cached(0);
    await always.cache.get(webhookId);
    await always.cache.get(webhookId);
    expect(always.reads()).toBe(2);
    expect(reads()).toBe(1);
  });

  it('stops a disabled webhook getting deliveries within the TTL', async () => {
    const { deps, store, http, clock } = await setup();
    const cache = new CachedWebhookStore(store, clock, 10_000);
    const carried = (n: number): WebhookJob => ({ webhookId, messageId: `msg_${n}`, message: { type: 'email.delivered', createdAt: payload.created_at, payload } });

    expect(await deliverWebhookMessage({ ...deps, store: cache }, carried(1), 1)).toEqual({ kind: 'done', result: 'delivered' });
    await store.update(webhookId, { status: 'disabled' });
    clock.advance(10);
    expect(await deliverWebhookMessage({ ...deps, store: cache }, carried(2), 1)).toEqual({ kind: 'done', result: 'webhook disabled' });
    expect(http.requests).toHaveLength(1);
  });
});

class RecordingRetry implements WebhookRetry {
  readonly calls: [string, number][] = [];
  failWith?: Error;

  async retryAfter(receiptHandle: string, seconds: number): Promise<void> {
    this.calls.push([receiptHandle, seconds]);
    if (this.failWith) throw this.failWith;
  }
}

function sqsRecord(body: string, receiveCount: number, messageId = 'sqs-1'): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:webhooks',
    awsRegion: 'us-east-1',
  };
}

describe('handleWebhookBatch', () => {
  const event = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

  it('deletes a delivered job', async () => {
    const { deps } = await setup();
    const retry = new RecordingRetry();

    expect(await handleWebhookBatch({ ...deps, retry }, event(sqsRecord(JSON.stringify(job), 1)))).toEqual({ batchItemFailures: [] });
    expect(retry.calls).toEqual([]);
  });

  it('delays a failed job by the retry delay and reports it, with its receive count as the attempt', async () => {
    const { deps, store } = await setup({ answers: [{ status: 500 }], random: 0.5 });
    const retry = new RecordingRetry();

    const response = await handleWebhookBatch({ ...deps, retry }, event(sqsRecord(JSON.stringify(job), 2)));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'sqs-1' }] });
    expect(retry.calls).toEqual([['handle-sqs-1', 300]]);
    expect(await store.listAttempts(webhookId, messageId)).toEqual([expect.objectContaining({ attempt: 2 })]);
  });

  it(`makes the job visible at once after the last attempt, so its next receive moves it to the DLQ`, async () => {
    const { deps } = await setup({ answers: [{ status: 500 }] });
    const retry = new RecordingRetry();

    const response = await handleWebhookBatch({ ...deps, retry }, event(sqsRecord(JSON.stringify(job), WEBHOOK_MAX_ATTEMPTS)));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'sqs-1' }] });
    expect(retry.calls).toEqual([['handle-sqs-1', 0]]);
  });

  it('reports malformed jobs without delaying them', async () => {
    const { deps, logs } = await setup();
    const retry = new RecordingRetry();

    const response = await handleWebhookBatch({ ...deps, retry }, event(sqsRecord('not json', 1, 'a'), sqsRecord('{"webhookId":1}', 1, 'b'), sqsRecord(JSON.stringify(job), 1, 'c')));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }] });
    expect(retry.calls).toEqual([]);
    expect(logs).toEqual([expect.stringContaining('a failed'), expect.stringContaining('b failed')]);
  });

  it('still reports the job when its visibility cannot be changed', async () => {
    const { deps, logs } = await setup({ answers: [{ status: 500 }] });
    const retry = new RecordingRetry();
    retry.failWith = new Error('ReceiptHandleIsInvalid');

    const response = await handleWebhookBatch({ ...deps, retry }, event(sqsRecord(JSON.stringify(job), 1)));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'sqs-1' }] });
    expect(logs).toEqual([expect.stringContaining('Could not delay webhook job sqs-1')]);
  });

  it('parses a job and nothing else', () => {
    expect(parseWebhookJob(JSON.stringify({ ...job, extra: 1 }))).toEqual(job);
    expect(() => parseWebhookJob('[]')).toThrow(/not \{ webhookId, messageId \}/);
    expect(() => parseWebhookJob('{"webhookId":"w","messageId":""}')).toThrow();
    const carrying: WebhookJob = { ...job, message: { type: 'email.delivered', createdAt: payload.created_at, payload } };
    expect(parseWebhookJob(JSON.stringify(carrying))).toEqual(carrying);
    expect(() => parseWebhookJob(JSON.stringify({ ...job, message: { type: 'email.delivered' } }))).toThrow(/message is not/);
    const replay: WebhookJob = { ...job, replay: { afterAttempts: 3 } };
    expect(parseWebhookJob(JSON.stringify(replay))).toEqual(replay);
    expect(() => parseWebhookJob(JSON.stringify({ ...job, replay: { afterAttempts: -1 } }))).toThrow(/replay is not/);
    expect(() => parseWebhookJob(JSON.stringify({ ...job, replay: true }))).toThrow(/replay is not/);
  });
});

/** An SqsClient stand-in that records each call's input and answers from a script. */
function fakeSqs(answer: (input: any, call: number) => unknown = () => ({})) {
  const inputs: any[] = [];
  const record = async (input: unknown): Promise<any> => {
    inputs.push(input);
    return answer(input, inputs.length);
  };
  const client = { sendMessageBatch: record, changeMessageVisibility: record };
  return { client: client as unknown as SqsClient, inputs };
}

describe('SqsWebhookRetry', () => {
  it('changes the visibility in whole seconds, capped below the 12-hour limit', async () => {
    const { client, inputs } = fakeSqs();
    const retry = new SqsWebhookRetry(client, 'https://sqs/q');

    await retry.retryAfter('h1', 299.6);
    await retry.retryAfter('h2', 43_200);
    await retry.retryAfter('h3', 0);

    expect(inputs).toEqual([
      { QueueUrl: 'https://sqs/q', ReceiptHandle: 'h1', VisibilityTimeout: 300 },
      { QueueUrl: 'https://sqs/q', ReceiptHandle: 'h2', VisibilityTimeout: MAX_RETRY_DELAY_SECONDS },
      { QueueUrl: 'https://sqs/q', ReceiptHandle: 'h3', VisibilityTimeout: 0 },
    ]);
    expect(MAX_RETRY_DELAY_SECONDS).toBe(42_300);
  });
});

describe('SqsWebhookQueue', () => {
  const jobs = Array.from({ length: 23 }, (_, i) => ({ webhookId: 'w', messageId: `msg_${i}` }));

  it('sends jobs in batches of 10', async () => {
    const { client, inputs } = fakeSqs();

    await new SqsWebhookQueue(client, 'https://sqs/q').enqueue(jobs);

    expect(inputs.map((input) => input.Entries.length)).toEqual([10, 10, 3]);
    expect(inputs.flatMap((input) => input.Entries.map((entry: any) => JSON.parse(entry.MessageBody)))).toEqual(jobs);
    expect(inputs.every((input) => input.QueueUrl === 'https://sqs/q')).toBe(true);
  });

  it("resends entries SQS failed on its side and throws for the sender's faults", async () => {
    const { client, inputs } = fakeSqs((input, call) =>
      call === 1
        ? {
            Failed: [
              { Id: '0', SenderFault: false, Code: 'InternalError' },
              { Id: '1', SenderFault: true, Code: 'InvalidMessageContents', Message: 'bad' },
            ],
          }
        : {},
    );

    await expect(new SqsWebhookQueue(client, 'https://sqs/q').enqueue(jobs.slice(0, 3))).rejects.toThrow(/1 of 3 webhook jobs.*msg_1.*InvalidMessageContents: bad/);
    expect(inputs.map((input) => input.Entries.map((entry: any) => entry.Id))).toEqual([['0', '1', '2'], ['0']]);
  });

  it('sends nothing for no jobs', async () => {
    const { client, inputs } = fakeSqs();
    await new SqsWebhookQueue(client, 'https://sqs/q').enqueue([]);
    expect(inputs).toEqual([]);
  });
});

describe('LocalWebhookRetry', () => {
  it('divides delays by 300 by default, so the first retries come within seconds', async () => {
    const changes: [string, number][] = [];
    const retry = new LocalWebhookRetry({ changeVisibility: (handle, ms) => void changes.push([handle, ms]) });

    await retry.retryAfter('m1', 5);
    await retry.retryAfter('m1', 300);
    await retry.retryAfter('m1', 1800);

    expect(changes.map(([, ms]) => Math.round(ms))).toEqual([17, 1000, 6000]);
  });

  it('takes another speedup', async () => {
    const changes: number[] = [];
    await new LocalWebhookRetry({ changeVisibility: (_h, ms) => void changes.push(ms) }, 1).retryAfter('m1', 2);
    expect(changes).toEqual([2000]);
    expect(() => new LocalWebhookRetry({ changeVisibility: () => undefined }, 0)).toThrow(/positive/);
  });
});

describe('readWebhookDeliveryConfig', () => {
  it('reads the table, queue and retention', () => {
    expect(
      readWebhookDeliveryConfig({ OUTBOX_WEBHOOKS_TABLE: 't', OUTBOX_WEBHOOK_QUEUE_URL: 'https://sqs/q', OUTBOX_RETENTION_DAYS: '30', OUTBOX_DYNAMODB_ENDPOINT: 'http://127.0.0.1:1' }),
    ).toEqual({ webhooksTable: 't', webhookQueueUrl: 'https://sqs/q', retentionDays: 30, dynamoDbEndpoint: 'http://127.0.0.1:1' });
  });

  it('names every missing variable at once', () => {
    expect(() => readWebhookDeliveryConfig({})).toThrow('Missing environment variables: OUTBOX_WEBHOOKS_TABLE, OUTBOX_WEBHOOK_QUEUE_URL, OUTBOX_RETENTION_DAYS');
  });
});
