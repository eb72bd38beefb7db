import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutCommand } from '../../lambda/adapters/aws/dynamodb';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { DynamoDbEmailStore } from '../../lambda/adapters/dynamodb-email-store';
import { systemClock } from '../../lambda/core/ports';
import type { TimelineEntry } from '../../lambda/core/tracking';
import { EMAILS_TABLE } from '../../lambda/shared/tables';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/embedded-dynamodb';
import { localTableName, startLocalOutbox, type LocalOutbox } from '../../local/runtime';

/** A webhook receiver on loopback: every delivery's path and `webhook-id`, answered 200. */
async function startReceiver(): Promise<{ url: string; deliveries: { path: string; webhookId: string }[]; server: Server }> {
  const deliveries: { path: string; webhookId: string }[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      deliveries.push({ path: request.url ?? '', webhookId: String(request.headers['webhook-id']) });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, deliveries, server };
}

/** A seeded shuffle, so the test replays the same orders every run. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed;
  const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

async function call(outbox: LocalOutbox, method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${outbox.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function settled(outbox: LocalOutbox): Promise<void> {
  await outbox.eventsQueue.idle();
  await outbox.webhookQueue.idle();
}

/**
 * Replaying SES events through POST /_local/ses-events, the route that runs the deployed events
 * path's processSesNotification: real store, real HTTP, a real webhook receiver.
 */
describe('replaying SES events through the local runtime', () => {
  let source: LocalOutbox;
  let once: LocalOutbox;
  let thrice: LocalOutbox;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  /** The SNS envelopes the SES stand-in published for one email to complaint@ and one to ooto@. */
  const envelopes: string[] = [];

  beforeAll(async () => {
    receiver = await startReceiver();
    [source, once, thrice] = await Promise.all([startLocalOutbox({ port: 0 }), startLocalOutbox({ port: 0 }), startLocalOutbox({ port: 0 })]);
    for (const [outbox, path] of [[once, '/once'], [thrice, '/thrice']] as const) {
      expect((await call(outbox, 'POST', '/webhooks', { endpoint: `${receiver.url}${path}`, events: ['email.sent', 'email.delivered', 'email.complained', 'email.bounced', 'email.auto_replied'] })).status).toBe(201);
    }
    source.ses.onNotification((envelope) => void envelopes.push(JSON.stringify(envelope)));
    for (const to of ['complaint@simulator.amazonses.com', 'ooto@simulator.amazonses.com']) {
      expect((await call(source, 'POST', '/emails', { from: 'app@acme.test', to, subject: 'Hello', text: 'Hi' })).status).toBe(200);
    }
    const deadline = Date.now() + 5_000;
    while (envelopes.length < 6 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(envelopes).toHaveLength(6);
  }, 20_000);

  afterAll(async () => {
    await Promise.all([source, once, thrice].filter(Boolean).map((outbox) => outbox.stop()));
    receiver?.server.closeAllConnections();
    await new Promise((resolve) => receiver?.server.close(resolve));
  });

  it('publishes as many notifications for the events replayed three times shuffled as once in order, and each webhook-id reaches the webhook once', async () => {
    for (const body of envelopes) expect((await call(once, 'POST', '/_local/ses-events', body)).body).toMatchObject({ object: 'ses_event', first_time: true });
    for (const [round, seed] of [20261201, 7, 99].entries()) {
      for (const body of shuffled(envelopes, seed)) {
        const answer = await call(thrice, 'POST', '/_local/ses-events', body);
        expect(answer.status).toBe(200);
        if (round > 0) expect(answer.body.first_time).toBe(false);
      }
    }
    await Promise.all([settled(once), settled(thrice)]);

    const types = (outbox: LocalOutbox) => outbox.notifications.list().map((n) => `${n.payload.type} ${n.payload.data.email_id as string}`).sort();
    // Send, Delivery and Complaint; Send, Delivery and the auto-reply.
    expect(once.notifications.list()).toHaveLength(6);
    expect(types(thrice)).toEqual(types(once));

    const ids = (path: string) => receiver.deliveries.filter((d) => d.path === path).map((d) => d.webhookId);
    expect(ids('/once')).toHaveLength(6);
    expect(ids('/thrice')).toHaveLength(6);
    expect(new Set(ids('/thrice')).size).toBe(6);
  }, 30_000);

  it.each([
    ['an eventType of __proto__', (r: Record<string, any>) => (r.eventType = '__proto__'), 'unknown eventType "__proto__"'],
    ['an eventType of toString', (r: Record<string, any>) => (r.eventType = 'toString'), 'unknown eventType "toString"'],
    ['a 10,000-character message ID', (r: Record<string, any>) => (r.mail.messageId = 'x'.repeat(10_000)), 'mail.messageId is 10000 characters; the limit is 256 (messageIdLength)'],
    [
      'a bounce with 10,000 recipients',
      (r: Record<string, any>) => ((r.eventType = 'Bounce'), (r.bounce = { bounceType: 'Permanent', bounceSubType: 'General', timestamp: r.mail.timestamp, bouncedRecipients: Array.from({ length: 10_000 }, () => ({ emailAddress: 'a@b' })) })),
      'bounce.bouncedRecipients lists 10000 recipients; the limit is 50 (recipients)',
    ],
  ])('answers %s with 400 validation_error naming the problem, and records nothing', async (_case, patch, reason) => {
    const envelope = JSON.parse(envelopes[0]!) as { Message: string };
    const record = JSON.parse(envelope.Message) as Record<string, any>;
    patch(record);
    const before = thrice.notifications.list().length;
    const answer = await call(thrice, 'POST', '/_local/ses-events', { ...envelope, Message: JSON.stringify(record) });
    expect(answer).toEqual({ status: 400, body: { statusCode: 400, name: 'validation_error', message: expect.stringContaining(reason) } });
    expect(thrice.notifications.list()).toHaveLength(before);
  });

  describe('the timeline item as DynamoDB keeps it', () => {
    let store: DynamoDbEmailStore;
    const entry = (eventKey: string): TimelineEntry => ({ eventKey, type: 'Delivery', occurredAt: '2026-12-01T00:00:00.000Z', recipients: ['a@example.com'], sesMessageId: 'ses-1', detail: { kind: 'Delivery' } });

    beforeAll(() => {
      store = new DynamoDbEmailStore(documentClient(source.dynamoDbEndpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }), localTableName(EMAILS_TABLE), systemClock, 90);
    });

    it('keeps the first entry and the first claim, and says where the notification stands', async () => {
      expect(await store.appendEvent('owner-1', entry('k1'), 1_000)).toEqual({ firstTime: true, notification: { state: 'claimed' } });
      const later = { ...entry('k1'), snsMessageId: 'other' };
      expect(await store.appendEvent('owner-1', later, 2_000)).toEqual({ firstTime: false, notification: { state: 'held', claimedAt: 1_000 } });
      await store.markNotified('owner-1', entry('k1'), '2026-12-01T00:00:01.000Z');
      expect(await store.appendEvent('owner-1', later, 3_000)).toEqual({ firstTime: false, notification: { state: 'sent' } });
      expect(await store.appendEvent('owner-1', entry('k2'))).toEqual({ firstTime: true, notification: { state: 'none' } });
    });

    it('moves a claim only from the one seen, and never after it is sent', async () => {
      await store.appendEvent('owner-2', entry('k1'), 1_000);
      expect(await store.takeOverNotification('owner-2', entry('k1'), 999, 5_000)).toBe(false);
      expect(await store.takeOverNotification('owner-2', entry('k1'), 1_000, 5_000)).toBe(true);
      expect(await store.takeOverNotification('owner-2', entry('k1'), 1_000, 6_000)).toBe(false);
      // A release by a delivery that no longer holds it changes nothing.
      await store.releaseNotification('owner-2', entry('k1'), 1_000);
      expect(await store.appendEvent('owner-2', entry('k1'), 7_000)).toMatchObject({ notification: { state: 'held', claimedAt: 5_000 } });
      await store.releaseNotification('owner-2', entry('k1'), 5_000);
      expect(await store.appendEvent('owner-2', entry('k1'), 7_000)).toMatchObject({ notification: { state: 'held', claimedAt: 0 } });
      await store.markNotified('owner-2', entry('k1'), '2026-12-01T00:00:01.000Z');
      expect(await store.takeOverNotification('owner-2', entry('k1'), 0, 8_000)).toBe(false);
    });

    it('reads an item stored before notifications were claimed as sent, and settles it so', async () => {
      const documents = documentClient(source.dynamoDbEndpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
      // As the PutItem of earlier versions wrote it.
      await documents.send(new PutCommand({ TableName: localTableName(EMAILS_TABLE), Item: { pk: 'owner-3', sk: 'event#2026-12-01T00:00:00.000Z#k1', entry: entry('k1'), expiresAt: 4_102_444_800 } }));
      expect(await store.appendEvent('owner-3', entry('k1'), 1_000)).toEqual({ firstTime: false, notification: { state: 'sent' } });
      expect(await store.appendEvent('owner-3', entry('k1'), 500_000)).toEqual({ firstTime: false, notification: { state: 'sent' } });
    });
  });
});
