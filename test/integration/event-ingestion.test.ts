import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { DynamoDbEmailStore } from '../../lambda/adapters/dynamodb-email-store';
import { DynamoDbSendClaims } from '../../lambda/adapters/dynamodb-send-claims';
import type { EmailRecord } from '../../lambda/core/email';
import { uuidv7 } from '../../lambda/core/ids';
import { systemClock } from '../../lambda/core/ports';
import type { WebhookJob } from '../../lambda/core/webhooks';
import { processSesNotification } from '../../lambda/entrypoints/sqs-events';
import { MESSAGE_ID_TAG } from '../../lambda/shared/env';
import { EMAILS_TABLE, SUPPRESSIONS_TABLE, WEBHOOKS_TABLE } from '../../lambda/shared/tables';
import { buildEventsDeps } from '../../lambda/wiring';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/embedded-dynamodb';
import { localTableName, startLocalOutbox, type LocalOutbox } from '../../local/runtime';

/**
 * A loopback proxy in front of the embedded store that counts DynamoDB requests by operation (the
 * `X-Amz-Target` header), as the benchmark's store process does, so a test sees exactly what the
 * real clients send.
 */
async function startCountingProxy(target: string): Promise<{ url: string; counts: Map<string, number>; reset(): void; total(): number; close(): Promise<void> }> {
  const upstream = new URL(target);
  const counts = new Map<string, number>();
  const server: Server = createServer((incoming, outgoing) => {
    const operation = String(incoming.headers['x-amz-target'] ?? '').split('.').pop() ?? '?';
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
    const forwarded = request({ host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 500, answer.headers);
      answer.pipe(outgoing);
    });
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    reset: () => counts.clear(),
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const fixtures = path.join(__dirname, '../fixtures/ses');
const AWS_EXAMPLE_ID = 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000';

/** AWS's example record for `name`, about `sesMessageId`, to `address`, with the given tags added. */
function sesRecord(name: string, sesMessageId: string, address: string, tags: Record<string, string[]> = {}): Record<string, any> {
  const record = JSON.parse(readFileSync(path.join(fixtures, name), 'utf8').replaceAll(AWS_EXAMPLE_ID, sesMessageId).replaceAll('recipient@example.com', address));
  if (record.mail.tags || Object.keys(tags).length > 0) record.mail.tags = { ...record.mail.tags, ...tags };
  return record;
}

function envelope(record: object, snsMessageId: string): string {
  return JSON.stringify({ Type: 'Notification', MessageId: snsMessageId, Message: JSON.stringify(record) });
}

function queuedEmail(address: string): EmailRecord {
  return {
    id: uuidv7(Date.now()),
    from: { address: 'hello@acme.test', name: 'Acme' },
    to: [{ address }],
    cc: [],
    bcc: [],
    replyTo: [],
    subject: 'Hello',
    text: 'x'.repeat(8_000),
    headers: [],
    tags: [{ name: 'flow', value: 'welcome' }],
    attachments: [],
    createdAt: new Date().toISOString(),
    apiKeyId: 'key',
    lastEvent: 'queued',
    expiresAt: Math.floor(Date.now() / 1000) + 86_400,
  };
}

describe('event ingestion appends: DynamoDB requests per SES event, counted at the store', () => {
  let outbox: LocalOutbox;
  let proxy: Awaited<ReturnType<typeof startCountingProxy>>;
  let store: DynamoDbEmailStore;
  const jobs: WebhookJob[] = [];
  let deps: ReturnType<typeof buildEventsDeps>;

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0 });
    proxy = await startCountingProxy(outbox.dynamoDbEndpoint);
    const options = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    deps = buildEventsDeps(
      {
        emailsTable: localTableName(EMAILS_TABLE),
        suppressionsTable: localTableName(SUPPRESSIONS_TABLE),
        webhooksTable: localTableName(WEBHOOKS_TABLE),
        retentionDays: 90,
        softBounceLimit: 3,
        softBounceWindowDays: 7,
        notificationsTopicArn: 'unused',
        webhookQueueUrl: 'unused',
        // As deployed: subscriptions are cached, so they cost no request per event.
        webhookCacheMs: 60_000,
        dynamoDbEndpoint: proxy.url,
      },
      options,
      { topic: { publish: async () => undefined }, queue: { enqueue: async (queued) => void jobs.push(...queued) } },
    );
    store = new DynamoDbEmailStore(documentClient(outbox.dynamoDbEndpoint, options), localTableName(EMAILS_TABLE), systemClock, 90);
    const webhook = await fetch(`${outbox.url}/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint: 'http://127.0.0.1:9/hook', events: ['email.sent', 'email.delivered', 'email.bounced', 'email.complained'] }),
    });
    expect(webhook.status).toBe(201);
  });

  afterAll(async () => {
    await proxy?.close();
    await outbox?.stop();
  });

  async function sentEmail(address: string): Promise<{ email: EmailRecord; sesMessageId: string }> {
    const email = queuedEmail(address);
    const sesMessageId = `0100019ac9a4-${email.id}-000000`;
    await store.create(email);
    await store.markSent(email.id, sesMessageId);
    return { email, sesMessageId };
  }

  it('makes two writes per tagged event, the timeline item with its notification claim and the notification recorded sent, and still answers GET /emails/{id} by precedence', async () => {
    const { email, sesMessageId } = await sentEmail('reader@example.com');
    const tags = { [MESSAGE_ID_TAG]: [email.id], flow: ['welcome'] };
    // Fill the subscriptions cache, as a warm Lambda has it.
    await processSesNotification(deps, envelope(sesRecord('event-open.json', sesMessageId, 'reader@example.com', tags), 'warm-up'));
    proxy.reset();
    jobs.length = 0;

    const records = [
      envelope(sesRecord('event-delivery.json', sesMessageId, 'reader@example.com', tags), 'sns-2'),
      envelope(sesRecord('event-send.json', sesMessageId, 'reader@example.com', tags), 'sns-1'),
      envelope(sesRecord('event-click.json', sesMessageId, 'reader@example.com', tags), 'sns-3'),
    ];
    for (const body of records) await processSesNotification(deps, body);
    expect(Object.fromEntries(proxy.counts)).toEqual({ UpdateItem: 6 });
    // The webhook takes sent and delivered, not clicked.
    expect(jobs.map((j) => j.message?.type).sort()).toEqual(['email.delivered', 'email.sent']);

    // A redelivery is one UpdateItem each that finds the item there, notifies nothing and changes nothing.
    proxy.reset();
    for (const body of records) expect(await processSesNotification(deps, body)).toMatchObject({ firstTime: false, notified: false, emailId: email.id });
    expect(Object.fromEntries(proxy.counts)).toEqual({ UpdateItem: 3 });
    expect(jobs).toHaveLength(2);

    const view = (await (await fetch(`${outbox.url}/emails/${email.id}`, { headers: { authorization: `Bearer ${outbox.apiKey}` } })).json()) as Record<string, any>;
    expect(view).toMatchObject({ last_event: 'clicked', ses_message_id: sesMessageId, recipients: [{ email: 'reader@example.com', status: 'delivered' }] });
    expect(view.events.map((e: { type: string }) => e.type).sort()).toEqual(['Click', 'Delivery', 'Open', 'Send']);
    // The webhook jobs carry their message, described from SES's mail object, tags echoed.
    const delivered = jobs.find((j) => j.message?.type === 'email.delivered');
    expect(delivered?.message?.payload.data).toMatchObject({ email_id: email.id, message_id: sesMessageId, tags: { flow: 'welcome' } });
  });

  it('adds the suppression write for a permanent bounce, and nothing else', async () => {
    const { email, sesMessageId } = await sentEmail('gone@example.com');
    proxy.reset();
    await processSesNotification(deps, envelope(sesRecord('event-bounce-permanent.json', sesMessageId, 'gone@example.com', { [MESSAGE_ID_TAG]: [email.id] }), 'sns-b'));
    // The timeline item and its notification's two writes, and the suppression (a conditional PutItem that the list's own rules may follow up).
    expect(proxy.counts.get('UpdateItem')).toBe(2);
    expect(proxy.counts.get('PutItem')).toBe(1);
    expect(proxy.counts.has('GetItem')).toBe(false);
    expect((await store.get(email.id))!.events).toHaveLength(1);
  });

  it('finds an untagged event\'s email by its SES message ID through the keys-only index, then reads the item without its body', async () => {
    const { email, sesMessageId } = await sentEmail('plain@example.com');
    proxy.reset();
    jobs.length = 0;
    // An identity feedback notification: no tags at all.
    const delivery = { notificationType: 'Delivery', delivery: { timestamp: new Date().toISOString(), recipients: ['plain@example.com'], smtpResponse: '250 ok' }, mail: { messageId: sesMessageId, timestamp: new Date().toISOString(), source: 'hello@acme.test', destination: ['plain@example.com'] } };
    expect(await processSesNotification(deps, envelope(delivery, 'sns-u'))).toMatchObject({ emailId: email.id, firstTime: true, notified: true });
    expect(Object.fromEntries(proxy.counts)).toEqual({ Query: 1, GetItem: 1, UpdateItem: 2 });
    // The notification still echoes the email's tags, from its record.
    expect(jobs[0]?.message?.payload.data).toMatchObject({ email_id: email.id, from: 'Acme <hello@acme.test>', subject: 'Hello', tags: { flow: 'welcome' } });
  });
});

describe('once only: a send the sender made but did not record', () => {
  let outbox: LocalOutbox;
  let proxy: Awaited<ReturnType<typeof startCountingProxy>>;

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0 });
    proxy = await startCountingProxy(outbox.dynamoDbEndpoint);
  });

  afterAll(async () => {
    await proxy?.close();
    await outbox?.stop();
  });

  function adapters() {
    const documents = documentClient(proxy.url, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    return { store: new DynamoDbEmailStore(documents, localTableName(EMAILS_TABLE), systemClock, 90), claims: new DynamoDbSendClaims(documents, localTableName(EMAILS_TABLE)) };
  }

  it('records the email sent, from its Send event, when a claim takes over one that ran out, instead of claiming it to send again', async () => {
    const { store, claims } = adapters();
    const email = queuedEmail('once@example.com');
    await store.create(email);
    const now = Date.now();
    // The first sender claimed it, SES took it, and the sender crashed before markSent.
    expect(await claims.claim(email.id, 'crashed', { until: now - 400_000, staleBefore: now - 300_000 })).toEqual({ claimed: true });
    await store.appendEvent(email.id, { eventKey: 'send-1', type: 'Send', occurredAt: new Date(now - 399_000).toISOString(), recipients: ['once@example.com'], sesMessageId: 'ses-taken-1', detail: { kind: 'Send' } });

    expect(await claims.claim(email.id, 'retry', { until: now + 60_000, staleBefore: now - 300_000 })).toEqual({ claimed: false, state: { lastEvent: 'sent', sesMessageId: 'ses-taken-1' } });
    const { email: recorded } = (await store.get(email.id))!;
    expect(recorded).toMatchObject({ lastEvent: 'sent', sesMessageId: 'ses-taken-1' });
    expect(await claims.claim(email.id, 'later', { until: now + 60_000, staleBefore: now })).toMatchObject({ claimed: false, state: { lastEvent: 'sent' } });
  });

  it('grants the takeover when the timeline has no SES event, and reads no timeline for a first claim', async () => {
    const { store, claims } = adapters();
    const email = queuedEmail('twice@example.com');
    await store.create(email);
    const now = Date.now();
    proxy.reset();
    expect(await claims.claim(email.id, 'first', { until: now - 400_000, staleBefore: now - 300_000 })).toEqual({ claimed: true });
    expect(proxy.counts.has('Query')).toBe(false);
    expect(await claims.claim(email.id, 'takeover', { until: now + 60_000, staleBefore: now - 300_000 })).toEqual({ claimed: true });
    expect(proxy.counts.get('Query')).toBe(1);
  });
});
