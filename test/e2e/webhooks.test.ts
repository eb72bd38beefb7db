import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Resend } from 'resend';
import { Webhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { npmStart, type StartedProcess } from '../helpers/npm-start';
import { waitFor } from '../helpers/wait-for';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A webhook receiver on loopback: `answers` are the status codes to give, in turn (then 200), or
 * a function giving each delivery's status.
 */
async function startReceiver(answers: number[] | ((delivery: Received) => number) = []): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const delivery = { headers: request.headers, body };
      received.push(delivery);
      response.writeHead(typeof answers === 'function' ? answers(delivery) : (answers.shift() ?? 200)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

/** Waits until `check` holds, failing the test if it does not within `ms`. */
function until(check: () => boolean, ms = 5000): Promise<true> {
  return waitFor('the deliveries expected', () => check() || undefined, ms, 50);
}

/** Webhooks end to end: `npm start`, the resend SDK registering an endpoint, real signed deliveries. */
describe('webhooks against npm start', () => {
  let outbox: StartedProcess;
  let resend: Resend;
  const servers: Server[] = [];

  beforeAll(async () => {
    outbox = await npmStart();
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
  }, 60_000);

  afterAll(async () => {
    for (const server of servers) server.close();
    await outbox?.stop();
  });

  const verified = (secret: string, delivery: Received) =>
    new Webhook(secret).verify(delivery.body, {
      'webhook-id': delivery.headers['webhook-id'] as string,
      'webhook-timestamp': delivery.headers['webhook-timestamp'] as string,
      'webhook-signature': delivery.headers['webhook-signature'] as string,
    }) as { type: string; data: { email_id: string; tags?: Record<string, string> } };

  it('says at start that local mode accepts loopback webhook endpoints', () => {
    expect(outbox.output()).toMatch(/Webhooks: local mode accepts http:\/\/ and loopback/);
  });

  it('delivers email.sent, email.delivered and email.bounced, signed so standardwebhooks verifies them', async () => {
    const receiver = await startReceiver();
    servers.push(receiver.server);
    const created = await resend.webhooks.create({ endpoint: receiver.url, events: ['email.sent', 'email.delivered', 'email.bounced'] });
    expect(created.error).toBeNull();
    const secret = created.data!.signing_secret;
    expect(secret).toMatch(/^whsec_/);

    const ok = await resend.emails.send({ from: 'a@acme.test', to: 'success@simulator.amazonses.com', subject: 'Hi', text: 'x', tags: [{ name: 'flow', value: 'welcome' }] });
    const bounced = await resend.emails.send({ from: 'a@acme.test', to: 'bounce@simulator.amazonses.com', subject: 'Hi', text: 'x' });
    await until(() => receiver.received.length >= 4);

    const events = receiver.received.map((delivery) => verified(secret, delivery));
    const seen = events.map((e) => `${e.data.email_id === ok.data!.id ? 'ok' : e.data.email_id === bounced.data!.id ? 'bounced' : '?'}:${e.type}`).sort();
    expect(seen).toEqual(['bounced:email.bounced', 'bounced:email.sent', 'ok:email.delivered', 'ok:email.sent']);
    expect(events.find((e) => e.data.email_id === ok.data!.id)!.data.tags).toEqual({ flow: 'welcome' });

    const wrong = new Webhook('whsec_' + Buffer.from('not the secret, not at all').toString('base64'));
    const first = receiver.received[0]!;
    expect(() => wrong.verify(first.body, first.headers as Record<string, string>)).toThrow();
    expect(resend.webhooks.verify({ payload: first.body, headers: { id: first.headers['webhook-id'] as string, timestamp: first.headers['webhook-timestamp'] as string, signature: first.headers['webhook-signature'] as string }, webhookSecret: secret })).toMatchObject({ type: expect.any(String) });

    // Each delivered at its first attempt, logged in one write: the log still shows it with that one attempt.
    // An attempt is logged after its answer: wait for the last one's.
    const statusesLogged = async (): Promise<string[]> => (await resend.webhooks.events.list({ webhookId: created.data!.id })).data!.data.map((event) => event.status);
    const deadline = Date.now() + 5000;
    let statuses = await statusesLogged();
    while (statuses.length < 4 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      statuses = await statusesLogged();
    }
    expect(statuses).toEqual(['success', 'success', 'success', 'success']);
    const attempts = await resend.webhooks.events.attempts.list({ webhookId: created.data!.id, eventId: first.headers['webhook-id'] as string });
    expect(attempts.data!.data).toEqual([{ id: expect.any(String), http_status_code: 200, response: expect.any(String), sent_at: expect.any(String), latency_ms: expect.any(Number) }]);

    await resend.webhooks.remove(created.data!.id);
  });

  it('delivers so a receiver written for Resend verifies with svix from the svix-* headers, and the SDK verifies the webhook-* ones', async () => {
    // The receiver checks each delivery as code written for Resend does, answering 400 when it cannot.
    let secret = '';
    const verdicts: string[] = [];
    const { url, received, server } = await startReceiver(({ headers, body }) => {
      try {
        const svixOnly = { 'svix-id': headers['svix-id'] as string, 'svix-timestamp': headers['svix-timestamp'] as string, 'svix-signature': headers['svix-signature'] as string };
        const event = new SvixWebhook(secret).verify(body, svixOnly) as { type: string };
        verdicts.push(`svix:${event.type}`);
        return 200;
      } catch (error) {
        verdicts.push(`refused:${(error as Error).message}`);
        return 400;
      }
    });
    servers.push(server);
    const created = await resend.webhooks.create({ endpoint: url, events: ['email.delivered'] });
    secret = created.data!.signing_secret;

    const sent = await resend.emails.send({ from: 'a@acme.test', to: 'success@simulator.amazonses.com', subject: 'Svix', text: 'x', headers: { 'X-Entity-Ref-ID': 'order-7' } });
    await until(() => verdicts.length >= 1);

    expect(verdicts).toEqual(['svix:email.delivered']);
    const delivery = received[0]!;
    for (const name of ['id', 'timestamp', 'signature']) expect(delivery.headers[`svix-${name}`]).toBe(delivery.headers[`webhook-${name}`]);
    const event = resend.webhooks.verify({
      payload: delivery.body,
      headers: { id: delivery.headers['webhook-id'] as string, timestamp: delivery.headers['webhook-timestamp'] as string, signature: delivery.headers['webhook-signature'] as string },
      webhookSecret: secret,
    });
    // The custom header rides along from SES's copy of the message's headers, as Resend's spec writes it.
    expect(event).toMatchObject({ type: 'email.delivered', data: { email_id: sent.data!.id, headers: [{ name: 'X-Entity-Ref-ID', value: 'order-7' }] } });
    expect(() => new SvixWebhook(`whsec_${Buffer.from('another secret, 24 bytes!').toString('base64')}`).verify(delivery.body, delivery.headers as Record<string, string>)).toThrow();
    await resend.webhooks.remove(created.data!.id);
  });

  it('replays a delivered event through the SDK: the same payload again, with the same webhook-id and svix-id, as a new attempt', async () => {
    const receiver = await startReceiver();
    servers.push(receiver.server);
    const created = await resend.webhooks.create({ endpoint: receiver.url, events: ['email.delivered'] });
    const webhookId = created.data!.id;
    await resend.emails.send({ from: 'a@acme.test', to: 'success@simulator.amazonses.com', subject: 'Replay', text: 'x' });
    await until(() => receiver.received.length >= 1);
    const eventId = receiver.received[0]!.headers['webhook-id'] as string;
    // The first attempt is logged after its answer.
    await waitFor('the first attempt logged', async () => ((await resend.webhooks.events.attempts.list({ webhookId, eventId })).data?.data.length ?? 0) >= 1 || undefined);

    const replay = await resend.webhooks.events.replay({ webhookId, eventId });
    expect(replay).toEqual({ data: { object: 'webhook_event', id: eventId }, error: null, headers: expect.anything() });
    await until(() => receiver.received.length >= 2);

    expect(receiver.received).toHaveLength(2);
    const [first, again] = receiver.received as [Received, Received];
    expect(again.body).toBe(first.body);
    expect([again.headers['webhook-id'], again.headers['svix-id']]).toEqual([eventId, eventId]);
    expect(verified(created.data!.signing_secret, again).type).toBe('email.delivered');
    const attempts = await waitFor('the replay logged as a second attempt', async () => {
      const listed = await resend.webhooks.events.attempts.list({ webhookId, eventId });
      return (listed.data?.data.length ?? 0) >= 2 ? listed : undefined;
    });
    expect(attempts.data!.data.map((a) => a.http_status_code)).toEqual([200, 200]);
    expect((await resend.webhooks.events.get({ webhookId, eventId })).data).toMatchObject({ id: eventId, status: 'success' });
    expect((await resend.webhooks.events.replay({ webhookId, eventId: 'msg_019ac9a4-0000-7000-8000-000000000000' })).error).toMatchObject({ statusCode: 404 });
    await resend.webhooks.remove(webhookId);
  });

  it('sends email.scheduled, with the custom headers, when an email is scheduled', async () => {
    const receiver = await startReceiver();
    servers.push(receiver.server);
    const created = await resend.webhooks.create({ endpoint: receiver.url, events: ['email.scheduled'] });
    expect(created.error).toBeNull();
    const scheduledAt = new Date(Date.now() + 3_600_000).toISOString();
    const sent = await resend.emails.send({
      from: 'Acme <a@acme.test>', to: 'success@simulator.amazonses.com', subject: 'Later', text: 'x', scheduledAt, headers: { 'X-Entity-Ref-ID': 'order-42' },
    });
    expect(sent.error).toBeNull();
    await until(() => receiver.received.length >= 1);

    expect(receiver.received).toHaveLength(1);
    const event = verified(created.data!.signing_secret, receiver.received[0]!) as unknown as { type: string; data: Record<string, unknown> };
    expect(event).toMatchObject({
      type: 'email.scheduled',
      data: { email_id: sent.data!.id, message_id: null, from: 'Acme <a@acme.test>', to: ['success@simulator.amazonses.com'], subject: 'Later', headers: [{ name: 'X-Entity-Ref-ID', value: 'order-42' }] },
    });
    await resend.webhooks.remove(created.data!.id);
  });

  it('retries a failing receiver with the same webhook-id until it answers 200', async () => {
    const receiver = await startReceiver([500, 500]);
    servers.push(receiver.server);
    const created = await resend.webhooks.create({ endpoint: receiver.url, events: ['email.delivered'] });
    await resend.emails.send({ from: 'a@acme.test', to: 'success@simulator.amazonses.com', subject: 'Retry', text: 'x' });
    await until(() => receiver.received.length >= 3, 10_000);

    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    for (const delivery of receiver.received) expect(verified(created.data!.signing_secret, delivery).type).toBe('email.delivered');

    const log = await resend.webhooks.events.list({ webhookId: created.data!.id });
    const eventId = log.data!.data[0]!.id;
    expect(eventId).toBe(receiver.received[0]!.headers['webhook-id']);
    const attempts = await waitFor('all three attempts logged', async () => {
      const listed = await resend.webhooks.events.attempts.list({ webhookId: created.data!.id, eventId });
      return (listed.data?.data.length ?? 0) >= 3 ? listed : undefined;
    });
    expect(attempts.data!.data.map((a) => a.http_status_code).sort()).toEqual([200, 500, 500]);
  }, 20_000);
});
