import { OutboxError } from '../../lambda/core/errors';
import { isUuid } from '../../lambda/core/ids';
import {
  createWebhook,
  getWebhook,
  getWebhookEvent,
  listWebhookEventAttempts,
  listWebhookEvents,
  listWebhooks,
  removeWebhook,
  replayWebhookEvent,
  rotateWebhookSecret,
  updateWebhook,
  type WebhooksDeps,
} from '../../lambda/core/webhooks-api';
import { WEBHOOK_EVENT_TYPES, type WebhookAttempt, type WebhookJob, type WebhookMessage } from '../../lambda/core/webhooks';
import { InMemoryWebhookStore, StaticHostResolver, tickingClock } from '../helpers/in-memory';

describe('the webhooks API use cases', () => {
  let webhooks: InMemoryWebhookStore;
  let deps: WebhooksDeps;
  const resolver = new StaticHostResolver({ 'hooks.example.com': ['93.184.215.14'], 'internal.example.com': ['10.0.0.1'] });
  const unknownId = '019ac9a4-0000-7000-8000-000000000000';

  beforeEach(() => {
    webhooks = new InMemoryWebhookStore();
    deps = { webhooks, resolver, allowPrivateWebhookUrls: false, clock: tickingClock('2026-11-28T10:00:00.000Z') };
  });

  async function create(endpoint = 'https://hooks.example.com/outbox', events: unknown = ['email.sent', 'email.bounced']): Promise<string> {
    return (await createWebhook(deps, { endpoint, events })).id;
  }

  async function refusal(work: Promise<unknown>): Promise<OutboxError> {
    const error = await work.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    if (!(error instanceof OutboxError)) throw new Error(`expected an OutboxError, got ${String(error)}`);
    return error;
  }

  function message(webhookId: string, n: number, overrides: Partial<WebhookMessage> = {}): WebhookMessage {
    const createdAt = new Date(Date.UTC(2026, 10, 28, 11, 0, n)).toISOString();
    return {
      id: `msg_019ac9a4-${String(n).padStart(4, '0')}-7000-8000-000000000000`,
      webhookId,
      type: 'email.delivered',
      createdAt,
      status: 'success',
      nextAttemptAt: null,
      attempts: 1,
      payload: {
        type: 'email.delivered',
        created_at: createdAt,
        data: {
          email_id: '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11',
          created_at: createdAt,
          message_id: 'ses-1',
          from: 'hello@acme.example',
          to: ['ada@example.com'],
          subject: 'Hi',
          recipients: ['ada@example.com'],
        },
      },
      ...overrides,
    };
  }

  function attempt(messageId: string, n: number, httpStatusCode: number): WebhookAttempt {
    return {
      id: `019ac9a4-${String(n).padStart(4, '0')}-7000-8000-00000000000a`,
      messageId,
      attempt: n,
      sentAt: `2026-11-28T11:0${n}:00.000Z`,
      httpStatusCode,
      response: httpStatusCode === 200 ? 'ok' : 'Internal Server Error',
      latencyMs: 40 + n,
    };
  }

  describe('createWebhook', () => {
    it('stores an enabled webhook and answers its id and a whsec_ signing secret', async () => {
      const answer = await createWebhook(deps, { endpoint: 'https://hooks.example.com/outbox', events: ['email.sent', 'email.sent', 'email.bounced'] });
      expect(answer).toEqual({ object: 'webhook', id: expect.any(String), signing_secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{32}$/) });
      expect(isUuid(answer.id)).toBe(true);
      expect(Buffer.from(answer.signing_secret.slice('whsec_'.length), 'base64')).toHaveLength(24);
      expect(webhooks.webhooks.get(answer.id)).toEqual({
        id: answer.id,
        endpoint: 'https://hooks.example.com/outbox',
        events: ['email.sent', 'email.bounced'],
        status: 'enabled',
        signingSecret: answer.signing_secret,
        createdAt: '2026-11-28T10:00:00.000Z',
      });
    });

    it('accepts email.scheduled, an event type the resend SDK defines, on create and update', async () => {
      const answer = await createWebhook(deps, { endpoint: 'https://hooks.example.com/scheduled', events: ['email.scheduled'] });
      expect(webhooks.webhooks.get(answer.id)?.events).toEqual(['email.scheduled']);
      await updateWebhook(deps, answer.id, { events: ['email.scheduled', 'email.sent'] });
      expect(webhooks.webhooks.get(answer.id)?.events).toEqual(['email.scheduled', 'email.sent']);
    });

    it('makes a different secret for each webhook', async () => {
      const first = await createWebhook(deps, { endpoint: 'https://hooks.example.com/a', events: ['email.sent'] });
      const second = await createWebhook(deps, { endpoint: 'https://hooks.example.com/b', events: ['email.sent'] });
      expect(first.signing_secret).not.toBe(second.signing_secret);
    });

    it('asks for endpoint and events when they are missing', async () => {
      const error = await refusal(createWebhook(deps, {}));
      expect(error.kind).toBe('missing_field');
      expect(error.message).toMatch(/^Give `endpoint` and `events`/);
    });

    it('refuses an unknown event type, naming it and listing the valid ones', async () => {
      const error = await refusal(createWebhook(deps, { endpoint: 'https://hooks.example.com/', events: ['email.sent', 'contact.created'] }));
      expect(error.kind).toBe('validation');
      expect(error.message).toBe(
        `\`events\` has an event type Outbox does not send: "contact.created". Use any of ${WEBHOOK_EVENT_TYPES.join(', ')}. Nothing was created.`,
      );
      expect(webhooks.webhooks.size).toBe(0);
    });

    it('refuses an empty list of events', async () => {
      const error = await refusal(createWebhook(deps, { endpoint: 'https://hooks.example.com/', events: [] }));
      expect(error.message).toMatch(/^`events` must be a non-empty list of event types \(email\.sent, /);
    });

    it('refuses an endpoint the SSRF guard refuses, with every other problem at once', async () => {
      const error = await refusal(createWebhook(deps, { endpoint: 'https://internal.example.com/hook', events: ['email.nope'] }));
      expect(error.kind).toBe('validation');
      expect(error.message).toMatch(/"email\.nope"/);
      expect(error.message).toMatch(/internal\.example\.com resolves to a private address \(10\.0\.0\.0\/8\)/);
      expect((await refusal(createWebhook(deps, { endpoint: 'ftp://hooks.example.com/', events: ['email.sent'] }))).message).toMatch(/uses ftp/);
      expect((await refusal(createWebhook(deps, { endpoint: 42, events: ['email.sent'] }))).message).toMatch(/`endpoint` must be an https URL, not 42/);
      expect(webhooks.webhooks.size).toBe(0);
    });

    it('accepts http on loopback when private URLs are allowed (local mode)', async () => {
      deps = { ...deps, allowPrivateWebhookUrls: true };
      const { id } = await createWebhook(deps, { endpoint: 'http://127.0.0.1:4000/hook', events: ['email.delivered'] });
      expect(webhooks.webhooks.get(id)?.endpoint).toBe('http://127.0.0.1:4000/hook');
    });
  });

  describe('getWebhook and listWebhooks', () => {
    it('answers one webhook with its secret, and the reason Outbox disabled it when it did', async () => {
      const id = await create();
      await webhooks.update(id, { status: 'disabled', disabledReason: 'A message failed every retry.' });
      expect(await getWebhook(deps, id)).toEqual({
        object: 'webhook',
        id,
        created_at: '2026-11-28T10:00:00.000Z',
        status: 'disabled',
        endpoint: 'https://hooks.example.com/outbox',
        events: ['email.sent', 'email.bounced'],
        signing_secret: webhooks.webhooks.get(id)!.signingSecret,
        disabled_reason: 'A message failed every retry.',
      });
    });

    it('answers not_found for an unknown or malformed id', async () => {
      for (const id of [unknownId, 'nope']) {
        const error = await refusal(getWebhook(deps, id));
        expect(error.kind).toBe('not_found');
      }
    });

    it('lists newest first without secrets, paging with after and before', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await create(`https://hooks.example.com/${i}`));
      const newestFirst = [...ids].reverse();

      const first = await listWebhooks(deps, { limit: '2' });
      expect(first.object).toBe('list');
      expect(first.has_more).toBe(true);
      expect(first.data.map((webhook) => webhook.id)).toEqual(newestFirst.slice(0, 2));
      expect(first.data[0]).toEqual({
        id: ids[4],
        endpoint: 'https://hooks.example.com/4',
        created_at: expect.any(String),
        status: 'enabled',
        events: ['email.sent', 'email.bounced'],
      });
      expect(JSON.stringify(first)).not.toContain('whsec_');

      const last = await listWebhooks(deps, { limit: '2', after: newestFirst[3]! });
      expect(last).toEqual({ object: 'list', has_more: false, data: [expect.objectContaining({ id: newestFirst[4] })] });

      const back = await listWebhooks(deps, { limit: '2', before: newestFirst[4]! });
      expect(back.data.map((webhook) => webhook.id)).toEqual(newestFirst.slice(2, 4));
      expect(back.has_more).toBe(true);
      expect((await listWebhooks(deps, {})).data).toHaveLength(5);
    });

    it('refuses bad paging parameters, naming each', async () => {
      const error = await refusal(listWebhooks(deps, { limit: '0', after: 'x', before: unknownId }));
      expect(error.kind).toBe('validation');
      expect(error.message).toBe(
        '`limit` must be a whole number from 1 to 100, not "0"; `after` must be the id of a webhook (the last one of the previous page), not "x".',
      );
      expect((await refusal(listWebhooks(deps, { after: unknownId, before: unknownId }))).message).toMatch(/give `after` or `before`, not both/);
    });
  });

  describe('updateWebhook', () => {
    it('changes the endpoint, the events and the status', async () => {
      const id = await create();
      expect(await updateWebhook(deps, id, { endpoint: 'https://hooks.example.com/v2', events: ['email.delivered'], status: 'disabled' })).toEqual({
        object: 'webhook',
        id,
      });
      expect(webhooks.webhooks.get(id)).toMatchObject({ endpoint: 'https://hooks.example.com/v2', events: ['email.delivered'], status: 'disabled' });
    });

    it('clears the reason Outbox disabled a webhook for when it is enabled again', async () => {
      const id = await create();
      await webhooks.update(id, { status: 'disabled', disabledReason: 'A message failed every retry.' });
      await updateWebhook(deps, id, { status: 'enabled' });
      expect(webhooks.webhooks.get(id)!.status).toBe('enabled');
      expect(webhooks.webhooks.get(id)!.disabledReason).toBeUndefined();
    });

    it('checks a new endpoint and events as creation does, changing nothing when refused', async () => {
      const id = await create();
      const error = await refusal(updateWebhook(deps, id, { endpoint: 'https://127.0.0.1/', events: ['email.opened', 'email.whatever'], status: 'paused' }));
      expect(error.kind).toBe('validation');
      expect(error.message).toMatch(/"email\.whatever"/);
      expect(error.message).toMatch(/`status` must be "enabled" or "disabled", not "paused"/);
      expect(error.message).toMatch(/a loopback address/);
      expect(error.message).toMatch(/Nothing was changed\.$/);
      expect(webhooks.webhooks.get(id)!.endpoint).toBe('https://hooks.example.com/outbox');
    });

    it('refuses a body with nothing to change, naming what it got', async () => {
      const id = await create();
      expect((await refusal(updateWebhook(deps, id, {}))).message).toBe('Give at least one of `endpoint`, `events` or `status` to change; got an empty body.');
      expect((await refusal(updateWebhook(deps, id, { enabled: false }))).message).toMatch(/got only `"enabled"`\.$/);
    });

    it('answers not_found for an unknown webhook', async () => {
      expect((await refusal(updateWebhook(deps, unknownId, { status: 'disabled' }))).kind).toBe('not_found');
    });
  });

  describe('removeWebhook and rotateWebhookSecret', () => {
    it('removes a webhook, after which it is not found', async () => {
      const id = await create();
      expect(await removeWebhook(deps, id)).toEqual({ object: 'webhook', id, deleted: true });
      expect((await refusal(removeWebhook(deps, id))).kind).toBe('not_found');
      expect((await refusal(getWebhook(deps, id))).kind).toBe('not_found');
    });

    it('replaces the signing secret and answers the new one', async () => {
      const id = await create();
      const before = webhooks.webhooks.get(id)!.signingSecret;
      const rotated = await rotateWebhookSecret(deps, id);
      expect(rotated).toEqual({ object: 'webhook', id, signing_secret: expect.stringMatching(/^whsec_/) });
      expect(rotated.signing_secret).not.toBe(before);
      expect(webhooks.webhooks.get(id)!.signingSecret).toBe(rotated.signing_secret);
      expect((await refusal(rotateWebhookSecret(deps, unknownId))).kind).toBe('not_found');
    });
  });

  describe('the delivery log', () => {
    let webhookId: string;
    let messages: WebhookMessage[];

    beforeEach(async () => {
      webhookId = await create();
      messages = [];
      for (let n = 1; n <= 3; n++) {
        messages.push(message(webhookId, n));
        await webhooks.putMessage(messages[n - 1]!);
      }
    });

    it('lists events newest first in the SDK shape, paging with after', async () => {
      const first = await listWebhookEvents(deps, webhookId, { limit: '2' });
      expect(first).toEqual({
        object: 'list',
        has_more: true,
        data: [
          { id: messages[2]!.id, type: 'email.delivered', created_at: messages[2]!.createdAt, status: 'success' },
          { id: messages[1]!.id, type: 'email.delivered', created_at: messages[1]!.createdAt, status: 'success' },
        ],
      });
      const rest = await listWebhookEvents(deps, webhookId, { limit: '2', after: messages[1]!.id });
      expect(rest.has_more).toBe(false);
      expect(rest.data.map((entry) => entry.id)).toEqual([messages[0]!.id]);
    });

    it('refuses a bad cursor and before', async () => {
      const error = await refusal(listWebhookEvents(deps, webhookId, { after: unknownId, before: messages[0]!.id }));
      expect(error.message).toMatch(/`after` must be the id of an event/);
      expect(error.message).toMatch(/`before` is not supported/);
    });

    it('answers one event with its payload and next attempt time', async () => {
      const pending = message(webhookId, 4, { status: 'pending', nextAttemptAt: '2026-11-28T11:05:00.000Z', attempts: 1 });
      await webhooks.putMessage(pending);
      expect(await getWebhookEvent(deps, webhookId, pending.id)).toEqual({
        object: 'webhook_event',
        id: pending.id,
        type: 'email.delivered',
        created_at: pending.createdAt,
        status: 'pending',
        next_attempt_at: '2026-11-28T11:05:00.000Z',
        payload: pending.payload,
      });
    });

    it('lists the attempts of one event newest first, with their latency', async () => {
      const target = messages[0]!;
      await webhooks.recordAttempt(webhookId, attempt(target.id, 1, 500), { status: 'pending', nextAttemptAt: '2026-11-28T11:01:05.000Z' });
      await webhooks.recordAttempt(webhookId, attempt(target.id, 2, 200), { status: 'success', nextAttemptAt: null });
      const answer = await listWebhookEventAttempts(deps, webhookId, target.id, {});
      expect(answer).toEqual({
        object: 'list',
        has_more: false,
        data: [
          { id: attempt(target.id, 2, 200).id, http_status_code: 200, response: 'ok', sent_at: '2026-11-28T11:02:00.000Z', latency_ms: 42 },
          { id: attempt(target.id, 1, 500).id, http_status_code: 500, response: 'Internal Server Error', sent_at: '2026-11-28T11:01:00.000Z', latency_ms: 41 },
        ],
      });
      const paged = await listWebhookEventAttempts(deps, webhookId, target.id, { limit: '1' });
      expect(paged.has_more).toBe(true);
      const next = await listWebhookEventAttempts(deps, webhookId, target.id, { limit: '1', after: paged.data[0]!.id });
      expect(next).toEqual({ object: 'list', has_more: false, data: [expect.objectContaining({ http_status_code: 500 })] });
    });

    it('answers not_found for an unknown webhook or event', async () => {
      for (const work of [
        listWebhookEvents(deps, unknownId, {}),
        getWebhookEvent(deps, webhookId, 'msg_019ac9a4-9999-7000-8000-000000000000'),
        getWebhookEvent(deps, webhookId, 'not-an-event'),
        getWebhookEvent(deps, unknownId, messages[0]!.id),
        listWebhookEventAttempts(deps, webhookId, 'msg_019ac9a4-9999-7000-8000-000000000000', {}),
      ]) {
        expect((await refusal(work)).kind).toBe('not_found');
      }
    });

    describe('replayWebhookEvent', () => {
      let queued: WebhookJob[];
      beforeEach(() => {
        queued = [];
        deps = { ...deps, webhookQueue: { enqueue: async (jobs) => void queued.push(...jobs) } };
      });

      it('queues a replay of the event, numbered after its logged attempts, and answers its id', async () => {
        const target = message(webhookId, 5, { status: 'success', attempts: 2 });
        await webhooks.putMessage(target);
        expect(await replayWebhookEvent(deps, webhookId, target.id)).toEqual({ object: 'webhook_event', id: target.id });
        expect(queued).toEqual([{ webhookId, messageId: target.id, replay: { afterAttempts: 2 } }]);
        // The log is left to the delivery worker.
        expect(await webhooks.getMessage(webhookId, target.id)).toEqual(target);
      });

      it('refuses a disabled webhook, queueing nothing', async () => {
        await updateWebhook(deps, webhookId, { status: 'disabled' });
        const error = await refusal(replayWebhookEvent(deps, webhookId, messages[0]!.id));
        expect(error.kind).toBe('validation');
        expect(error.message).toMatch(/is disabled, so a replay would not be sent/);
        expect(queued).toEqual([]);
      });

      it('answers not_found for an unknown webhook or event, queueing nothing', async () => {
        for (const work of [
          replayWebhookEvent(deps, webhookId, 'msg_019ac9a4-9999-7000-8000-000000000000'),
          replayWebhookEvent(deps, webhookId, 'not-an-event'),
          replayWebhookEvent(deps, unknownId, messages[0]!.id),
        ]) {
          expect((await refusal(work)).kind).toBe('not_found');
        }
        expect(queued).toEqual([]);
      });

      it('answers unavailable where no webhook queue is wired', async () => {
        const { webhookQueue: _none, ...withoutQueue } = deps;
        expect((await refusal(replayWebhookEvent(withoutQueue, webhookId, messages[0]!.id))).kind).toBe('unavailable');
      });
    });
  });
});
