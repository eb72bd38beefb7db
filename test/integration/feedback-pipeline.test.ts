import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { handleSesEventBatch } from '../../lambda/entrypoints/sqs-events';
import { buildEventsDeps } from '../../lambda/wiring';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/embedded-dynamodb';
import { localTableName, startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { EMAILS_TABLE, SUPPRESSIONS_TABLE, WEBHOOKS_TABLE } from '../../lambda/shared/tables';

/**
 * The feedback pipeline over loopback: sends through the API, SES events from the stand-in's
 * mailbox simulator through the local queue to the events handler, and AWS's documented payloads
 * replayed through /_local/ses-events. Real store, real HTTP.
 */
describe('feedback pipeline', () => {
  let outbox: LocalOutbox;
  const fixtures = path.join(__dirname, '../fixtures/ses');

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0 });
  });
  afterAll(() => outbox.stop());

  async function call(method: string, route: string, body?: unknown) {
    const response = await fetch(`${outbox.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  async function send(to: string | string[]): Promise<string> {
    const sent = await call('POST', '/emails', { from: 'app@acme.test', to, subject: 'Hello', text: 'Hi' });
    expect(sent.status).toBe(200);
    return sent.body.id as string;
  }

  async function settled(id: string) {
    await outbox.eventsQueue.idle();
    return (await call('GET', `/emails/${id}`)).body;
  }

  /** Polls until `check` passes, for at most `ms`: events arrive asynchronously. */
  async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, ms = 3000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await read();
      if (check(value) || Date.now() > deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const read = (id: string) => async () => (await call('GET', `/emails/${id}`)).body;

  it('tracks a send to success@ as delivered within 3 s', async () => {
    const id = await send('success@simulator.amazonses.com');
    const email = await eventually(read(id), (e) => e.last_event === 'delivered');
    expect(email.last_event).toBe('delivered');
    expect(email.recipients).toEqual([expect.objectContaining({ email: 'success@simulator.amazonses.com', status: 'delivered' })]);
    expect(email.events.map((e: { type: string }) => e.type)).toEqual(['Send', 'Delivery']);
  });

  it('tracks bounce@ as a hard bounce and keeps the simulator off the suppression list', async () => {
    const id = await send('bounce@simulator.amazonses.com');
    const email = await eventually(read(id), (e) => e.last_event === 'bounced');
    expect(email.recipients[0].status).toBe('bounced');
    expect(email.events.at(-1)).toMatchObject({ type: 'Bounce', name: 'email.bounced', detail: { bounceType: 'Permanent' } });
    expect((await call('GET', '/suppressions/bounce@simulator.amazonses.com')).status).toBe(404);
  });

  it('tracks ooto@ as delivered with an auto-reply, neither suppressed nor a bounce', async () => {
    const id = await send('ooto@simulator.amazonses.com');
    const email = await eventually(read(id), (e) => e.recipients[0].status === 'auto_replied');
    expect(email.last_event).toBe('delivered');
    expect(email.events.map((e: { name: string }) => e.name)).toEqual(['email.sent', 'email.delivered', 'email.auto_replied']);
  });

  it('tracks complaint@ as delivered then complained', async () => {
    const id = await send('complaint@simulator.amazonses.com');
    const email = await eventually(read(id), (e) => e.last_event === 'complained');
    expect(email.recipients[0].status).toBe('complained');
    expect(email.events.map((e: { type: string }) => e.type)).toEqual(['Send', 'Delivery', 'Complaint']);
  });

  it('tracks suppressionlist@ and a label form as hard bounces', async () => {
    const id = await send(['suppressionlist@simulator.amazonses.com', 'bounce+label-1@simulator.amazonses.com']);
    const email = await eventually(read(id), (e) => e.recipients.every((r: { status: string }) => r.status === 'bounced'));
    expect(email.recipients.map((r: { status: string }) => r.status)).toEqual(['bounced', 'bounced']);
  });

  it('suppresses an ordinary address that bounced and refuses a later send to it', async () => {
    const id = await send('reader@example.com');
    const email = await settled(id);
    const bounce = JSON.parse(readFileSync(path.join(fixtures, 'event-bounce-permanent.json'), 'utf8').replaceAll('recipient@example.com', 'reader@example.com')) as { mail: { messageId: string } };
    bounce.mail.messageId = email.ses_message_id;
    expect((await call('POST', '/_local/ses-events', bounce)).body).toMatchObject({ email_id: id, first_time: true, suppressed: [{ email: 'reader@example.com', origin: 'bounce' }] });
    const suppression = await call('GET', '/suppressions/reader@example.com');
    expect(suppression.body).toMatchObject({ origin: 'bounce', source_id: id });
    const refused = await call('POST', '/emails', { from: 'app@acme.test', to: 'Reader@example.com', subject: 'Again', text: 'Hi' });
    expect(refused).toMatchObject({ status: 422, body: { name: 'validation_error', message: expect.stringMatching(/suppression list/) } });
  });

  it('sends to the rest when some recipients are suppressed and shows those as suppressed', async () => {
    await call('POST', '/suppressions', { email: 'blocked@example.com' });
    const id = await send(['fine@example.com', 'blocked@example.com']);
    const email = await eventually(read(id), (e) => e.last_event === 'delivered');
    expect(email.recipients.map((r: { status: string }) => r.status)).toEqual(['delivered', 'suppressed']);
    expect(outbox.ses.messages().at(-1)!.destination.to).toEqual(['fine@example.com']);
  });

  it('records a complaint, but not a not-spam one, on the suppression list', async () => {
    const complaint = (address: string, feedbackType: string, messageId: string) => ({
      notificationType: 'Complaint',
      complaint: { complainedRecipients: [{ emailAddress: address }], timestamp: '2026-11-28T00:00:00.000Z', feedbackId: `fb-${address}`, complaintFeedbackType: feedbackType },
      mail: { messageId, timestamp: '2026-11-28T00:00:00.000Z', destination: [address] },
    });
    await call('POST', '/_local/ses-events', complaint('angry@example.com', 'abuse', 'not-ours-1'));
    await call('POST', '/_local/ses-events', complaint('fine2@example.com', 'not-spam', 'not-ours-2'));
    expect((await call('GET', '/suppressions/angry@example.com')).body).toMatchObject({ origin: 'complaint', source_id: 'not-ours-1' });
    expect((await call('GET', '/suppressions/fine2@example.com')).status).toBe(404);
  });

  it('suppresses after three soft bounces, not before', async () => {
    const now = Date.now();
    const soft = (n: number) => ({
      eventType: 'Bounce',
      bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull', bouncedRecipients: [{ emailAddress: 'full@example.com', action: 'failed', status: '4.2.2', diagnosticCode: 'smtp; 452 4.2.2 mailbox full' }], timestamp: new Date(now - (3 - n) * 3_600_000).toISOString(), feedbackId: `soft-${n}` },
      mail: { messageId: `soft-mail-${n}`, timestamp: new Date(now).toISOString(), destination: ['full@example.com'] },
    });
    await call('POST', '/_local/ses-events', soft(1));
    await call('POST', '/_local/ses-events', soft(2));
    await call('POST', '/_local/ses-events', soft(2)); // a redelivery counts once
    expect((await call('GET', '/suppressions/full@example.com')).status).toBe(404);
    await call('POST', '/_local/ses-events', soft(3));
    expect((await call('GET', '/suppressions/full@example.com')).body).toMatchObject({ origin: 'bounce' });
  });

  describe('replaying AWS\'s example payloads', () => {
    const names = ['event-send.json', 'event-delivery.json', 'event-delivery-delay.json', 'event-open.json', 'event-click.json', 'event-bounce-permanent.json', 'event-complaint.json'];

    async function replay(address: string, order: string[]): Promise<Record<string, any>> {
      const id = await send(address);
      // Let the simulator's own Send and Delivery land first, so every run ends with the same events.
      const { ses_message_id } = await eventually(read(id), (e) => e.events.length === 2);
      for (const name of order) {
        const text = readFileSync(path.join(fixtures, name), 'utf8').replaceAll('recipient@example.com', address).replaceAll('EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000', ses_message_id);
        const answer = await call('POST', '/_local/ses-events', text);
        expect(answer.status).toBe(200);
      }
      const email = await settled(id);
      return {
        last_event: email.last_event,
        statuses: email.recipients.map((r: { status: string }) => r.status),
        events: email.events.map((e: { type: string }) => e.type),
        suppression: (await call('GET', `/suppressions/${address}`)).body.origin,
      };
    }

    it('gives the same final state once, twice and shuffled', async () => {
      const once = await replay('replay-a@example.com', names);
      const twice = await replay('replay-b@example.com', [...names, ...names]);
      const shuffled = await replay('replay-c@example.com', [...names].reverse().concat(names.slice(2, 5)));
      expect(once).toEqual({
        last_event: 'complained',
        statuses: ['complained'],
        // AWS's examples are dated 2016-2020, so they sort before the simulator's own Send and Delivery.
        events: ['Send', 'Delivery', 'Bounce', 'Complaint', 'Open', 'Click', 'DeliveryDelay', 'Send', 'Delivery'],
        // Bounced and complained: the complaint, the stronger reason, is the one kept.
        suppression: 'complaint',
      });
      expect(twice).toEqual(once);
      expect(shuffled).toEqual(once);
    });
  });

  it('answers a malformed replay with 400 and a reason', async () => {
    const answer = await call('POST', '/_local/ses-events', '{"Type":"Notification","Message":"Hello world!"}');
    expect(answer).toEqual({ status: 400, body: { statusCode: 400, name: 'validation_error', message: expect.stringMatching(/SNS Message is not JSON/) } });
    expect((await call('POST', '/_local/ses-events', 'nope')).status).toBe(400);
  });

  it('fails a malformed record alone in a batch and records the valid ones', async () => {
    const deps = buildEventsDeps(
      {
        emailsTable: localTableName(EMAILS_TABLE),
        suppressionsTable: localTableName(SUPPRESSIONS_TABLE),
        webhooksTable: localTableName(WEBHOOKS_TABLE),
        retentionDays: 90,
        softBounceLimit: 3,
        softBounceWindowDays: 7,
        notificationsTopicArn: 'unused',
        webhookQueueUrl: 'unused',
        webhookCacheMs: 0,
        dynamoDbEndpoint: outbox.dynamoDbEndpoint,
      },
      { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS },
      { topic: outbox.notifications, queue: { enqueue: async () => undefined } },
    );
    const errors: string[] = [];
    const id = await send('batch@example.com');
    const { ses_message_id } = await settled(id);
    const delivery = readFileSync(path.join(fixtures, 'event-open.json'), 'utf8').replaceAll('EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000', ses_message_id);
    const envelope = (message: string) => JSON.stringify({ Type: 'Notification', MessageId: 'm', Message: message });
    const event = {
      Records: [
        { messageId: 'good', body: envelope(delivery) },
        { messageId: 'bad', body: envelope('not json') },
        { messageId: 'also-bad', body: '{' },
      ],
    } as unknown as SQSEvent;
    const result = await handleSesEventBatch({ ...deps, log: (m) => errors.push(m) }, event);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }, { itemIdentifier: 'also-bad' }]);
    expect(errors).toHaveLength(2);
    expect((await settled(id)).events.map((e: { type: string }) => e.type)).toContain('Open');
  });
});
