import type { DynamoDbDocumentClient } from '../../lambda/adapters/aws/dynamodb';
import { Resend } from 'resend';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { DynamoDbWebhookStore } from '../../lambda/adapters/dynamodb-webhook-store';
import { systemClock } from '../../lambda/core/ports';
import { uuidv7 } from '../../lambda/core/ids';
import type { WebhookMessage } from '../../lambda/core/webhooks';
import { WEBHOOKS_TABLE } from '../../lambda/shared/tables';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/embedded-dynamodb';
import { localTableName, startLocalOutbox, type LocalOutbox } from '../../local/runtime';

/** A logged webhook message, not yet attempted, at time `ms`. */
function logged(webhookId: string, ms: number, overrides: Partial<WebhookMessage> = {}): WebhookMessage {
  const createdAt = new Date(ms).toISOString();
  return {
    id: `msg_${uuidv7(ms)}`,
    webhookId,
    type: 'email.sent',
    createdAt,
    status: 'attempting',
    nextAttemptAt: null,
    attempts: 0,
    payload: {
      type: 'email.sent',
      created_at: createdAt,
      data: { email_id: null, created_at: createdAt, message_id: 'ses-2', from: 'a@acme.example', to: ['b@example.com'], subject: '', recipients: ['b@example.com'] },
    },
    ...overrides,
  };
}

/**
 * The webhooks API behind the local server, against the embedded DynamoDB-compatible store, driven
 * by the official resend SDK. Delivery log entries are written through the store adapter, as the
 * fan-out and the delivery worker write them.
 */
describe('the webhooks API through the resend SDK', () => {
  let outbox: LocalOutbox;
  let resend: Resend;
  let documents: DynamoDbDocumentClient;
  let store: DynamoDbWebhookStore;
  const unknownId = '019ac9a4-0000-7000-8000-000000000000';

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, logError: () => undefined });
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
    documents = documentClient(outbox.dynamoDbEndpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    store = new DynamoDbWebhookStore(documents, localTableName(WEBHOOKS_TABLE), systemClock, 30);
  });
  afterAll(async () => {
    await outbox.stop();
  });

  async function create(endpoint = 'http://127.0.0.1:9/hook'): Promise<{ id: string; signing_secret: string }> {
    const created = await resend.webhooks.create({ endpoint, events: ['email.sent', 'email.delivered'] });
    expect(created.error).toBeNull();
    return created.data!;
  }

  it('creates a webhook (local mode accepts http on loopback) and reads it back', async () => {
    const created = await resend.webhooks.create({ endpoint: 'http://127.0.0.1:9/hook', events: ['email.sent', 'email.bounced'] });
    expect(created.error).toBeNull();
    expect(created.data).toEqual({ object: 'webhook', id: expect.stringMatching(/^[0-9a-f-]{36}$/), signing_secret: expect.stringMatching(/^whsec_/) });

    const got = await resend.webhooks.get(created.data!.id);
    expect(got.data).toEqual({
      object: 'webhook',
      id: created.data!.id,
      created_at: expect.any(String),
      status: 'enabled',
      endpoint: 'http://127.0.0.1:9/hook',
      events: ['email.sent', 'email.bounced'],
      signing_secret: created.data!.signing_secret,
    });
  });

  it('lists webhooks newest first without their secrets', async () => {
    const older = await create('http://127.0.0.1:9/older');
    const newer = await create('http://127.0.0.1:9/newer');
    const listed = await resend.webhooks.list({ limit: 2 });
    expect(listed.error).toBeNull();
    expect(listed.data!.object).toBe('list');
    expect(listed.data!.data.map((webhook) => webhook.id)).toEqual([newer.id, older.id]);
    expect(listed.data!.data[0]).toEqual({ id: newer.id, endpoint: 'http://127.0.0.1:9/newer', created_at: expect.any(String), status: 'enabled', events: ['email.sent', 'email.delivered'] });
    expect(JSON.stringify(listed.data)).not.toContain('whsec_');
    const after = await resend.webhooks.list({ limit: 1, after: newer.id });
    expect(after.data!.data.map((webhook) => webhook.id)).toEqual([older.id]);
  });

  it('updates the endpoint, the events and the status', async () => {
    const { id } = await create();
    const updated = await resend.webhooks.update(id, { endpoint: 'http://127.0.0.1:9/v2', events: ['email.complained'], status: 'disabled' });
    expect(updated.error).toBeNull();
    expect(updated.data).toEqual({ object: 'webhook', id });
    expect((await resend.webhooks.get(id)).data).toMatchObject({ endpoint: 'http://127.0.0.1:9/v2', events: ['email.complained'], status: 'disabled' });
    await resend.webhooks.update(id, { status: 'enabled' });
    expect((await resend.webhooks.get(id)).data).toMatchObject({ status: 'enabled' });
  });

  it('rotates the signing secret', async () => {
    const { id, signing_secret } = await create();
    const rotated = await resend.webhooks.rotateSigningSecret(id);
    expect(rotated.error).toBeNull();
    expect(rotated.data).toEqual({ object: 'webhook', id, signing_secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.data!.signing_secret).not.toBe(signing_secret);
    expect((await resend.webhooks.get(id)).data!.signing_secret).toBe(rotated.data!.signing_secret);
  });

  it('removes a webhook, after which it is not found', async () => {
    const { id } = await create();
    expect((await resend.webhooks.remove(id)).data).toEqual({ object: 'webhook', id, deleted: true });
    expect((await resend.webhooks.get(id)).error).toMatchObject({ statusCode: 404, name: 'not_found' });
    expect((await resend.webhooks.remove(id)).error).toMatchObject({ statusCode: 404, name: 'not_found' });
  });

  it('answers not_found for unknown webhooks', async () => {
    expect((await resend.webhooks.get(unknownId)).error).toMatchObject({ statusCode: 404, name: 'not_found' });
    expect((await resend.webhooks.update(unknownId, { status: 'disabled' })).error).toMatchObject({ statusCode: 404, name: 'not_found' });
    expect((await resend.webhooks.rotateSigningSecret(unknownId)).error).toMatchObject({ statusCode: 404, name: 'not_found' });
    expect((await resend.webhooks.events.list({ webhookId: unknownId })).error).toMatchObject({ statusCode: 404, name: 'not_found' });
  });

  it('refuses an unknown event type and a URL that is not http(s), storing nothing', async () => {
    const before = (await resend.webhooks.list({ limit: 100 })).data!.data.length;
    const badType = await resend.webhooks.create({ endpoint: 'http://127.0.0.1:9/hook', events: ['contact.created'] });
    expect(badType.error).toMatchObject({ statusCode: 422, name: 'validation_error', message: expect.stringContaining('"contact.created"') });
    const ftp = await resend.webhooks.create({ endpoint: 'ftp://127.0.0.1/hook', events: ['email.sent'] });
    expect(ftp.error).toMatchObject({ statusCode: 422, name: 'validation_error', message: expect.stringContaining('uses ftp') });
    expect((await resend.webhooks.list({ limit: 100 })).data!.data.length).toBe(before);
  });

  it('reads the delivery log: events newest first, one event with its payload, and its attempts', async () => {
    const { id: webhookId } = await create();
    const now = Date.now();
    const logged: WebhookMessage[] = [0, 1].map((n) => {
      const createdAt = new Date(now + n).toISOString();
      return {
        id: `msg_${uuidv7(now + n)}`,
        webhookId,
        type: 'email.delivered',
        createdAt,
        status: 'attempting',
        nextAttemptAt: null,
        attempts: 0,
        payload: {
          type: 'email.delivered',
          created_at: createdAt,
          data: {
            email_id: uuidv7(now),
            created_at: createdAt,
            message_id: 'ses-message-1',
            from: 'Acme <hello@acme.example>',
            to: ['ada@example.com'],
            subject: 'Welcome',
            tags: { category: 'welcome' },
            recipients: ['ada@example.com'],
          },
        },
      };
    });
    for (const message of logged) expect(await store.putMessage(message)).toBe(true);
    expect(await store.putMessage(logged[0]!)).toBe(false);
    const [older, newer] = logged as [WebhookMessage, WebhookMessage];
    const failed = { id: uuidv7(now + 10), messageId: newer.id, attempt: 1, sentAt: new Date(now + 10).toISOString(), httpStatusCode: 500, response: 'boom', latencyMs: 12 };
    const succeeded = { id: uuidv7(now + 20), messageId: newer.id, attempt: 2, sentAt: new Date(now + 20).toISOString(), httpStatusCode: 200, response: 'ok', latencyMs: 8 };
    await store.recordAttempt(webhookId, failed, { status: 'pending', nextAttemptAt: new Date(now + 5000).toISOString() });
    await store.recordAttempt(webhookId, succeeded, { status: 'success', nextAttemptAt: null });

    const events = await resend.webhooks.events.list({ webhookId });
    expect(events.error).toBeNull();
    expect(events.data).toEqual({
      object: 'list',
      has_more: false,
      data: [
        { id: newer.id, type: 'email.delivered', created_at: newer.createdAt, status: 'success' },
        { id: older.id, type: 'email.delivered', created_at: older.createdAt, status: 'attempting' },
      ],
    });
    const paged = await resend.webhooks.events.list({ webhookId, limit: 1, after: newer.id });
    expect(paged.data).toEqual({ object: 'list', has_more: false, data: [expect.objectContaining({ id: older.id })] });

    const event = await resend.webhooks.events.get({ webhookId, eventId: newer.id });
    expect(event.data).toEqual({
      object: 'webhook_event',
      id: newer.id,
      type: 'email.delivered',
      created_at: newer.createdAt,
      status: 'success',
      next_attempt_at: null,
      payload: newer.payload,
    });

    const attempts = await resend.webhooks.events.attempts.list({ webhookId, eventId: newer.id });
    expect(attempts.data).toEqual({
      object: 'list',
      has_more: false,
      data: [
        { id: succeeded.id, http_status_code: 200, response: 'ok', sent_at: succeeded.sentAt, latency_ms: 8 },
        { id: failed.id, http_status_code: 500, response: 'boom', sent_at: failed.sentAt, latency_ms: 12 },
      ],
    });
    expect((await resend.webhooks.events.attempts.list({ webhookId, eventId: older.id })).data).toEqual({ object: 'list', has_more: false, data: [] });
    expect((await resend.webhooks.events.get({ webhookId, eventId: `msg_${unknownId}` })).error).toMatchObject({ statusCode: 404 });

    const replay = await resend.webhooks.events.replay({ webhookId, eventId: newer.id });
    expect(replay).toMatchObject({ data: { object: 'webhook_event', id: newer.id }, error: null });
    expect((await resend.webhooks.events.replay({ webhookId, eventId: `msg_${unknownId}` })).error).toMatchObject({ statusCode: 404 });
    expect((await resend.webhooks.events.replay({ webhookId: unknownId, eventId: newer.id })).error).toMatchObject({ statusCode: 404 });
    const sendingKey = await resend.apiKeys.create({ name: 'sending only', permission: 'sending_access' });
    const sender = new Resend(sendingKey.data!.token, { baseUrl: outbox.url });
    expect((await sender.webhooks.events.replay({ webhookId, eventId: newer.id })).error).toMatchObject({ statusCode: 401, name: 'restricted_api_key' });
  });

  it('shows a first-attempt success logged in one write as it shows one logged in full: the event, and its one attempt', async () => {
    const { id: webhookId } = await create();
    const now = Date.now();
    const [full, oneWrite] = [logged(webhookId, now), logged(webhookId, now + 1)] as const;
    const attemptOf = (message: WebhookMessage) => ({ id: uuidv7(now + 50), messageId: message.id, attempt: 1, sentAt: new Date(now + 50).toISOString(), httpStatusCode: 200, response: 'ok', latencyMs: 17 });
    await store.putMessage(full);
    await store.recordAttempt(webhookId, attemptOf(full), { status: 'success', nextAttemptAt: null });
    expect(await store.putDelivered({ ...oneWrite, status: 'success', attempts: 1 }, attemptOf(oneWrite))).toBe(true);

    const answers = async (message: WebhookMessage) => {
      const event = await resend.webhooks.events.get({ webhookId, eventId: message.id });
      const attempts = await resend.webhooks.events.attempts.list({ webhookId, eventId: message.id });
      expect(event.error).toBeNull();
      expect(attempts.error).toBeNull();
      const { id: _id, created_at: _createdAt, payload: _payload, ...rest } = event.data!;
      return { event: rest, attempts: attempts.data!.data.map(({ id: _id, ...attempt }) => attempt) };
    };
    const shown = await answers(oneWrite);
    expect(shown).toEqual(await answers(full));
    expect(shown).toEqual({
      event: { object: 'webhook_event', type: 'email.sent', status: 'success', next_attempt_at: null },
      attempts: [{ http_status_code: 200, response: 'ok', sent_at: new Date(now + 50).toISOString(), latency_ms: 17 }],
    });
    expect((await resend.webhooks.events.get({ webhookId, eventId: oneWrite.id })).data).toMatchObject({ id: oneWrite.id, created_at: oneWrite.createdAt, payload: oneWrite.payload });
    expect((await resend.webhooks.events.list({ webhookId })).data!.data).toEqual([
      { id: oneWrite.id, type: 'email.sent', created_at: oneWrite.createdAt, status: 'success' },
      { id: full.id, type: 'email.sent', created_at: full.createdAt, status: 'success' },
    ]);
  });

  describe('the store adapter underneath', () => {
    it('keeps a reason Outbox disabled a webhook for, shows it through the SDK, and removes it when cleared', async () => {
      const { id } = await create();
      const disabled = await store.update(id, { status: 'disabled', disabledReason: 'Every retry of a message failed.' });
      expect(disabled).toMatchObject({ id, status: 'disabled', disabledReason: 'Every retry of a message failed.' });
      expect((await resend.webhooks.get(id)).data).toMatchObject({ status: 'disabled', disabled_reason: 'Every retry of a message failed.' });
      expect((await resend.webhooks.list({ limit: 100 })).data!.data.find((webhook) => webhook.id === id)).toMatchObject({
        disabled_reason: 'Every retry of a message failed.',
      });

      await resend.webhooks.update(id, { status: 'enabled' });
      const enabled = await store.get(id);
      expect(enabled).toMatchObject({ status: 'enabled' });
      expect(enabled).not.toHaveProperty('disabledReason');
      expect(await store.update(id, { events: null })).toMatchObject({ events: null });
      expect(await store.update(unknownId, { status: 'disabled' })).toBeUndefined();
      expect(await store.remove(unknownId)).toBe(false);
    });

    it('pages messages past a cursor without reading attempts, and ignores an attempt reported late', async () => {
      const { id: webhookId } = await create();
      const base = Date.now();
      const messages = [0, 1, 2, 3].map((n) => logged(webhookId, base + n));
      for (const message of messages) await store.putMessage(message);
      for (let n = 1; n <= 3; n++) {
        await store.recordAttempt(
          webhookId,
          { id: uuidv7(base + 100 + n), messageId: messages[3]!.id, attempt: n, sentAt: new Date().toISOString(), httpStatusCode: 503, response: '', latencyMs: 1 },
          { status: 'pending', nextAttemptAt: `2030-01-01T00:00:0${n}.000Z` },
        );
      }
      // Attempt 2 reported again after attempt 3: logged, but the message keeps attempt 3's outcome.
      await store.recordAttempt(
        webhookId,
        { id: uuidv7(base + 200), messageId: messages[3]!.id, attempt: 2, sentAt: new Date().toISOString(), httpStatusCode: 200, response: 'ok', latencyMs: 1 },
        { status: 'success', nextAttemptAt: null },
      );
      expect(await store.getMessage(webhookId, messages[3]!.id)).toMatchObject({ status: 'pending', attempts: 3, nextAttemptAt: '2030-01-01T00:00:03.000Z' });
      expect((await store.listAttempts(webhookId, messages[3]!.id)).map((attempt) => attempt.attempt)).toEqual([1, 2, 2, 3]);

      const first = await store.listMessages(webhookId, { limit: 2 });
      expect(first.messages.map((message) => message.id)).toEqual([messages[3]!.id, messages[2]!.id]);
      expect(first.hasMore).toBe(true);
      const second = await store.listMessages(webhookId, { limit: 2, after: messages[2]!.id });
      expect(second.messages.map((message) => message.id)).toEqual([messages[1]!.id, messages[0]!.id]);
      expect(second.hasMore).toBe(false);
    });

    it('treats messages and attempts past retention as absent', async () => {
      const { id: webhookId } = await create();
      const past = new DynamoDbWebhookStore(documents, localTableName(WEBHOOKS_TABLE), { now: () => new Date(Date.now() - 3 * 86_400_000) }, 1);
      const old = logged(webhookId, Date.now() - 3 * 86_400_000);
      await past.putMessage(old);
      await past.recordAttempt(
        webhookId,
        { id: uuidv7(Date.now()), messageId: old.id, attempt: 1, sentAt: old.createdAt, httpStatusCode: 200, response: 'ok', latencyMs: 3 },
        { status: 'success', nextAttemptAt: null },
      );
      expect(await past.getMessage(webhookId, old.id)).toMatchObject({ status: 'success', attempts: 1 });
      expect(await store.getMessage(webhookId, old.id)).toBeUndefined();
      expect(await store.listMessages(webhookId, { limit: 10 })).toEqual({ messages: [], hasMore: false });
      expect(await store.listAttempts(webhookId, old.id)).toEqual([]);
    });
  });

  it('refuses the webhooks API to a sending-only key', async () => {
    const key = await resend.apiKeys.create({ name: 'sender', permission: 'sending_access' });
    const sender = new Resend(key.data!.token, { baseUrl: outbox.url });
    expect((await sender.webhooks.list()).error).toMatchObject({ statusCode: 401, name: 'restricted_api_key' });
    expect((await sender.webhooks.create({ endpoint: 'http://127.0.0.1:9/hook', events: ['email.sent'] })).error).toMatchObject({
      name: 'restricted_api_key',
    });
  });
});
