import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetCommand, PutCommand, type DynamoDbDocumentClient } from '../../lambda/adapters/aws/dynamodb';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { DynamoDbEmailStore } from '../../lambda/adapters/dynamodb-email-store';
import { checkIndexAttributes, DynamoDbScheduleStore } from '../../lambda/adapters/dynamodb-schedule-store';
import { DynamoDbSendClaims } from '../../lambda/adapters/dynamodb-send-claims';
import { SesV2Client } from '../../lambda/adapters/aws/sesv2';
import { SesEmailSender } from '../../lambda/adapters/ses-email-sender';
import type { EmailRecord } from '../../lambda/core/email';
import { uuidv7 } from '../../lambda/core/ids';
import type { Clock, CreateOptions } from '../../lambda/core/ports';
import { releaseDueEmails, type DueEmail } from '../../lambda/core/scheduler';
import { parseSendRequest } from '../../lambda/core/send-request';
import { ALL_TABLES, EMAILS_TABLE } from '../../lambda/shared/tables';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../local/embedded-dynamodb';
import { LOCAL_CONFIGURATION_SET, localTableName, startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { LOCAL_QUEUED_CHECK_DELAY_MS } from '../../local/restart';
import { readSendLedger } from '../../local/ses-standin';
import { RecordingOutboundQueue } from '../helpers/in-memory-scheduling';
import { waitFor } from '../helpers/wait-for';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

/**
 * The sweep of queued emails nothing is sending, on the embedded DynamoDB-compatible store: the
 * check entries the email store, the claims and the scheduler write in the `by-due` index, the
 * sweep over them, and, through the local runtime, emails an api stored and never queued, or sent
 * and never recorded, found and sent once. Nothing of Outbox's is mocked.
 */

const TABLE = localTableName(EMAILS_TABLE);
const DELAY = 60_000;
const T = Date.parse('2026-11-28T10:00:00.000Z');
const draft = parseSendRequest({ from: 'hello@acme.test', to: 'success@simulator.amazonses.com', subject: 'Sweep', text: 'Hello' });

function record(id: string, createdAt: number): EmailRecord {
  return { ...draft, id, createdAt: new Date(createdAt).toISOString(), apiKeyId: 'key', lastEvent: 'queued', expiresAt: Math.floor(createdAt / 1000) + 86_400 };
}


describe('check entries and the sweep, on the embedded store', () => {
  let dynamo: EmbeddedDynamoDb;
  let documents: DynamoDbDocumentClient;
  let now = T;
  const clock: Clock = { now: () => new Date(now) };
  let emails: DynamoDbEmailStore;
  let schedule: DynamoDbScheduleStore;
  let claims: DynamoDbSendClaims;

  // A store of its own for each test (dynalite starts in milliseconds), so no entry of another is due.
  beforeEach(async () => {
    now = T;
    dynamo = await startEmbeddedDynamoDb();
    await createTables(dynamo.endpoint, ALL_TABLES.map((definition) => ({ definition, name: localTableName(definition) })));
    documents = documentClient(dynamo.endpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    emails = new DynamoDbEmailStore(documents, TABLE, clock, 90, DELAY);
    schedule = new DynamoDbScheduleStore(documents, TABLE, clock);
    claims = new DynamoDbSendClaims(documents, TABLE);
  });
  afterEach(async () => {
    await dynamo.stop();
  });

  async function item(id: string): Promise<Record<string, unknown>> {
    return (await documents.send(new GetCommand({ TableName: TABLE, Key: { pk: id, sk: 'email' }, ConsistentRead: true }))).Item!;
  }

  async function allDue(until: number, pageSize: number): Promise<DueEmail[]> {
    const found: DueEmail[] = [];
    let cursor: string | undefined;
    do {
      const page = await schedule.findDue(new Date(until), pageSize, cursor);
      found.push(...page.due);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return found;
  }

  it('stores a queued email with its check entry, and the write that records it sent removes the entry', async () => {
    const id = uuidv7(now);
    await emails.create(record(id, now));
    expect(await item(id)).toMatchObject({ dueShard: `check#${id.slice(-1)}`, dueAt: `${new Date(now + DELAY).toISOString()}#${id}` });
    await emails.markSent(id, 'ses-1');
    const sent = await item(id);
    expect(sent).toMatchObject({ lastEvent: 'sent', sesMessageId: 'ses-1' });
    expect(sent).not.toHaveProperty('dueAt');
    expect(sent).not.toHaveProperty('dueShard');
  });

  it('removes the entry when the sender marks the email failed, and records when a sender gave its claim back', async () => {
    const failed = uuidv7(now);
    await emails.create(record(failed, now));
    await claims.claim(failed, 'token', { until: now + 10_000, staleBefore: now - 5_000 });
    await claims.markFailed(failed, 'token', { name: 'validation_error', message: 'SES rejected it', failedAt: new Date(now).toISOString() });
    expect(await item(failed)).not.toHaveProperty('dueAt');

    const waiting = uuidv7(now + 1);
    await emails.create(record(waiting, now));
    await claims.claim(waiting, 'token', { until: now + 10_000, staleBefore: now - 5_000 });
    await claims.release(waiting, 'token', now + 2_000);
    expect(await item(waiting)).toMatchObject({ sendReleasedAt: now + 2_000, dueAt: expect.any(String) });
    expect(await item(waiting)).not.toHaveProperty('sendingClaimUntil');
  });

  it('finds every due entry across the shards, each once, a page at a time, with the claim and release the sweep reads', async () => {
    const ids = Array.from({ length: 40 }, (_, n) => uuidv7(now + n));
    await Promise.all(ids.map((id) => emails.create(record(id, now))));
    expect(new Set(ids.map((id) => id.slice(-1))).size).toBeGreaterThan(4);
    await claims.claim(ids[0]!, 'token', { until: now + 90_000, staleBefore: now });
    await claims.claim(ids[1]!, 'token', { until: now + 90_000, staleBefore: now });
    await claims.release(ids[1]!, 'token', now + 30_000);

    expect(await allDue(now + DELAY - 1, 100)).toEqual([]);
    const due = await allDue(now + DELAY, 7);
    expect(due.map((d) => d.id).sort()).toEqual([...ids].sort());
    expect(due.find((d) => d.id === ids[0])).toEqual({ id: ids[0], dueAt: `${new Date(now + DELAY).toISOString()}#${ids[0]}`, lastEvent: 'queued', claimUntil: now + 90_000 });
    expect(due.find((d) => d.id === ids[1])).toMatchObject({ releasedAt: now + 30_000 });
    expect(due.find((d) => d.id === ids[1])).not.toHaveProperty('claimUntil');
  });

  it('lets two sweeps racing over the same stalled emails enqueue each exactly once, and moves each entry a delay on', async () => {
    const ids = Array.from({ length: 30 }, (_, n) => uuidv7(now + n));
    await Promise.all(ids.map((id) => emails.create(record(id, now))));
    now += DELAY;
    const [a, b] = [new RecordingOutboundQueue(), new RecordingOutboundQueue()];
    const [first, second] = await Promise.all([
      releaseDueEmails({ schedule, outbound: a, clock, checkDelayMs: DELAY }),
      releaseDueEmails({ schedule, outbound: b, clock, checkDelayMs: DELAY }),
    ]);
    expect(first.recovered + second.recovered).toBe(30);
    const jobs = [...a.jobs, ...b.jobs].map((j) => j.emailId);
    expect(jobs.sort()).toEqual([...ids].sort());
    expect(await item(ids[0]!)).toMatchObject({ dueAt: `${new Date(now + DELAY).toISOString()}#${ids[0]}` });
    expect(await allDue(now, 100)).toEqual([]);
  });

  it('leaves to its job an email a sender holds a claim on, or gave back within the delay', async () => {
    const claimed = uuidv7(now);
    const released = uuidv7(now + 1);
    await emails.create(record(claimed, now));
    await emails.create(record(released, now));
    await claims.claim(claimed, 'token', { until: now + DELAY + 20_000, staleBefore: now });
    await claims.claim(released, 'token', { until: now + 20_000, staleBefore: now });
    await claims.release(released, 'token', now + 20_000);
    now += DELAY;
    const queue = new RecordingOutboundQueue();
    expect(await releaseDueEmails({ schedule, outbound: queue, clock, checkDelayMs: DELAY })).toEqual({ released: 0, recovered: 0, deferred: 2, skipped: 0, more: false });
    expect(queue.jobs).toEqual([]);
    // A delay later the claim has run out without a release, and the release is old: both stalled.
    now += DELAY;
    expect(await releaseDueEmails({ schedule, outbound: queue, clock, checkDelayMs: DELAY })).toMatchObject({ recovered: 2 });
  });

  it('removes an entry left on an email that moved on, instead of reading it on every tick', async () => {
    const id = uuidv7(now);
    // As an email that was sent by a write that did not remove its entry.
    await documents.send(new PutCommand({ TableName: TABLE, Item: { pk: id, sk: 'email', lastEvent: 'sent', lastEventRank: 10, expiresAt: Math.floor(now / 1000) + 86_400, ...checkIndexAttributes(id, new Date(now)) } }));
    const queue = new RecordingOutboundQueue();
    expect(await releaseDueEmails({ schedule, outbound: queue, clock, checkDelayMs: DELAY })).toEqual({ released: 0, recovered: 0, deferred: 0, skipped: 1, more: false });
    expect(await item(id)).not.toHaveProperty('dueAt');
    expect(await allDue(now, 100)).toEqual([]);
  });

  describe('the sweep of emails the api stored without a check entry (sync sends, batches), on the embedded store', () => {
    /** A sync send as the api stores it: `queued`, without a check entry. */
    async function storeSyncSend(createdAt: number): Promise<string> {
      const id = uuidv7(createdAt);
      await emails.create(record(id, createdAt), { sendingNow: true });
      return id;
    }

    const run = (queue: RecordingOutboundQueue, options: { maxPerRun?: number } = {}) => releaseDueEmails({ schedule, outbound: queue, clock, checkDelayMs: DELAY }, options);

    it('stores a sync send without a check entry, and records it sent beside its email item', async () => {
      const id = await storeSyncSend(now);
      expect(await item(id)).not.toHaveProperty('dueAt');
      await emails.markSent(id, 'ses-1', { sendingNow: true });
      expect(await item(id)).not.toHaveProperty('dueShard');
      expect((await emails.get(id))!.email).toMatchObject({ lastEvent: 'sent', sesMessageId: 'ses-1' });
      expect(await emails.findEmail('ses-1')).toMatchObject({ id });
    });

    it('enqueues, once, a sync send still unsent a delay after it was stored, and never one already sent or one still within the delay', async () => {
      const lost = await storeSyncSend(now);
      const sent = await storeSyncSend(now + 1);
      await emails.markSent(sent, 'ses-sent', { sendingNow: true });
      const recent = await storeSyncSend(now + DELAY / 2);
      const queue = new RecordingOutboundQueue();

      now += DELAY - 1;
      expect(await run(queue)).toMatchObject({ recovered: 0 });
      expect(queue.jobs).toEqual([]);

      now += 1;
      expect(await run(queue)).toMatchObject({ recovered: 1 });
      expect(queue.jobs.map((j) => j.emailId)).toEqual([lost]);
      // From here it is swept as any queued email: its check entry a delay on.
      expect(await item(lost)).toMatchObject({ dueAt: `${new Date(now + DELAY).toISOString()}#${lost}` });
      expect(await item(sent)).not.toHaveProperty('dueAt');

      // Later runs: the lost one is not enqueued again before its check time, the sent one never; the recent one in its turn.
      now += DELAY / 2;
      expect(await run(queue)).toMatchObject({ recovered: 1 });
      expect(queue.jobs.map((j) => j.emailId)).toEqual([lost, recent]);
      expect(await run(queue)).toMatchObject({ recovered: 0 });
      expect(queue.jobs).toHaveLength(2);
    });

    it('finds a batch email whose job was lost as it finds a sync send, and leaves one its sender is at to that job', async () => {
      const [lost, claimed] = [uuidv7(now), uuidv7(now)];
      await emails.create(record(lost, now), { findByCreation: true });
      await emails.create(record(claimed, now), { findByCreation: true });
      expect(await item(lost)).not.toHaveProperty('dueAt');
      const claims = new DynamoDbSendClaims(documents, TABLE);
      await claims.claim(claimed, 'token', { until: now + DELAY + 30_000, staleBefore: now });
      expect(await item(claimed)).not.toHaveProperty('dueAt');
      now += DELAY;
      const queue = new RecordingOutboundQueue();
      expect(await run(queue)).toMatchObject({ recovered: 1, deferred: 1 });
      expect(queue.jobs.map((j) => j.emailId)).toEqual([lost]);
    });

    it('lets two sweeps racing over the same lost sync sends enqueue each exactly once', async () => {
      const ids = await Promise.all(Array.from({ length: 25 }, (_, n) => storeSyncSend(now + n)));
      now += DELAY + 100;
      const [a, b] = [new RecordingOutboundQueue(), new RecordingOutboundQueue()];
      await Promise.all([run(a), run(b)]);
      // An entry written by one run may be read by the other's due pass, or by neither until the next run.
      await Promise.all([run(a), run(b)]);
      expect([...a.jobs, ...b.jobs].map((j) => j.emailId).sort()).toEqual([...ids].sort());
    });

    it('pages through more lost sync sends than a run looks at, across a day boundary, each once', async () => {
      const midnight = Date.parse('2026-11-29T00:00:00.000Z');
      now = midnight - 5_000;
      const ids = await Promise.all(Array.from({ length: 12 }, (_, n) => storeSyncSend(now + n * 1_000)));
      expect(new Set(await Promise.all(ids.map(async (id) => (await item(id)).createdDay)))).toEqual(new Set(['2026-11-28', '2026-11-29']));
      now += DELAY + 20_000;
      const queue = new RecordingOutboundQueue();
      let more = true;
      let runs = 0;
      while (more) {
        more = (await run(queue, { maxPerRun: 5 })).more;
        runs += 1;
      }
      expect(runs).toBeGreaterThan(2);
      expect(queue.jobs.map((j) => j.emailId).sort()).toEqual([...ids].sort());
    });

    it('saves where it stands, so a quiet run writes nothing and a later one looks only at what came since', async () => {
      const first = await storeSyncSend(now);
      now += DELAY;
      await run(new RecordingOutboundQueue());
      const position = async () => (await documents.send(new GetCommand({ TableName: TABLE, Key: { pk: 'sweep#sync-sends', sk: 'position' }, ConsistentRead: true }))).Item?.position;
      const saved = await position();
      expect(typeof saved).toBe('string');
      expect(saved > first).toBe(true);
      now += 1_000;
      await run(new RecordingOutboundQueue());
      expect(await position()).toBe(saved);
      now += 60_000;
      await run(new RecordingOutboundQueue());
      expect((await position()) > saved).toBe(true);
    });
  });
});

describe('the sweep in the local runtime', () => {
  let outbox: LocalOutbox;
  let documents: DynamoDbDocumentClient;
  let emails: DynamoDbEmailStore;

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, queuedCheckDelayMs: 1_000, logError: () => undefined });
    documents = documentClient(outbox.dynamoDbEndpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    emails = new DynamoDbEmailStore(documents, TABLE, { now: () => new Date() }, 90, 1_000);
  });
  afterAll(async () => {
    await outbox.stop();
  });

  function accepted(id: string) {
    return outbox.ses.messages().filter((m) => m.tags.some((t) => t.name === 'outbox-message-id' && t.value === id));
  }

  async function lastEvent(id: string): Promise<string | undefined> {
    const response = await fetch(`${outbox.url}/emails/${id}`, { headers: { authorization: `Bearer ${outbox.apiKey}` } });
    return ((await response.json()) as { last_event?: string }).last_event;
  }

  it('sends, once, an email an api stored as queued and died before queuing', async () => {
    const id = uuidv7(Date.now());
    await emails.create(record(id, Date.now()));
    await waitFor('the sweep to send it', async () => ((await lastEvent(id)) === 'delivered' ? true : undefined));
    expect(accepted(id)).toHaveLength(1);
    // Sent: out of the index, so no later sweep looks at it.
    expect((await documents.send(new GetCommand({ TableName: TABLE, Key: { pk: id, sk: 'email' } }))).Item).not.toHaveProperty('dueAt');
  });

  it('sends, once, a sync send whose api stored it and died before calling SES', async () => {
    const id = uuidv7(Date.now());
    await emails.create(record(id, Date.now()), { sendingNow: true });
    await waitFor('the sweep to send it', async () => ((await lastEvent(id)) === 'delivered' ? true : undefined));
    expect(accepted(id)).toHaveLength(1);
    expect((await documents.send(new GetCommand({ TableName: TABLE, Key: { pk: id, sk: 'email' } }))).Item).not.toHaveProperty('dueAt');
  });

  /**
   * An email stored as `options` say, handed to SES as the api hands it, and nothing after: no
   * markSent. The sweep must record it sent (its Send event reaches the timeline) without sending again.
   */
  async function expectRecordedWithoutResending(options?: CreateOptions): Promise<void> {
    const id = uuidv7(Date.now());
    await emails.create(record(id, Date.now()), options);
    const ses = new SesV2Client({ region: LOCAL_REGION, endpoint: outbox.ses.url, credentials: LOCAL_CREDENTIALS });
    const sesMessageId = await new SesEmailSender(ses).send(draft, { emailId: id, configurationSet: LOCAL_CONFIGURATION_SET });
    const stored = await waitFor('the sweep to record it sent', async () => {
      const { Item } = await documents.send(new GetCommand({ TableName: TABLE, Key: { pk: id, sk: 'email' }, ConsistentRead: true }));
      return Item?.lastEvent === 'sent' ? Item : undefined;
    });
    expect(stored).toMatchObject({ sesMessageId });
    expect(accepted(id)).toHaveLength(1);
  }

  it('records sent, without sending again, a sync send SES took whose api died before recording it', async () => {
    await expectRecordedWithoutResending({ sendingNow: true });
  });

  it('sends, once, a batch email whose job was lost, and never again one of the batch that went', async () => {
    const response = await fetch(`${outbox.url}/emails/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ from: 'hello@acme.test', to: 'success@simulator.amazonses.com', subject: 'Batch', text: 'Hello' }]),
    });
    const { data } = (await response.json()) as { data: { id: string }[] };
    const went = data[0]!.id;
    // As the api stores a batch email, whose job then never reached the queue.
    const lost = uuidv7(Date.now());
    await emails.create(record(lost, Date.now()), { findByCreation: true });
    await waitFor('the sweep to send the lost one', async () => ((await lastEvent(lost)) === 'delivered' ? true : undefined));
    expect(accepted(lost)).toHaveLength(1);
    expect(accepted(went)).toHaveLength(1);
    expect((await documents.send(new GetCommand({ TableName: TABLE, Key: { pk: went, sk: 'email' } }))).Item).not.toHaveProperty('dueAt');
  });

  it('never sends again a sync send the api sent and recorded', async () => {
    const response = await fetch(`${outbox.url}/emails`, {
      method: 'POST',
      headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'hello@acme.test', to: 'success@simulator.amazonses.com', subject: 'Once', text: 'Hello' }),
    });
    const { id } = (await response.json()) as { id: string };
    expect((await documents.send(new GetCommand({ TableName: TABLE, Key: { pk: id, sk: 'email' } }))).Item).not.toHaveProperty('dueAt');
    // Several sweep delays (1 s here) and ticks go by.
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(accepted(id)).toHaveLength(1);
  });

  it('records sent, without sending again, an email SES took whose api died before recording it', async () => {
    await expectRecordedWithoutResending();
  });
});

describe('a start on a data directory', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'outbox-restart-'));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('puts every email the previous process left queued (those without a check entry too) back on the outbound queue, and sends each once', async () => {
    const first = await startLocalOutbox({ port: 0, dataDir, logError: () => undefined });
    expect(first.recovered).toEqual({ notifications: 0, emails: 0 });
    const documents = documentClient(first.dynamoDbEndpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    // Stored as the local api stores a batch, whose jobs then died with the process: its check time is a while off.
    const ids = [uuidv7(Date.now()), uuidv7(Date.now() + 1), uuidv7(Date.now() + 2), uuidv7(Date.now() + 3)];
    const store = new DynamoDbEmailStore(documents, TABLE, { now: () => new Date() }, 90, LOCAL_QUEUED_CHECK_DELAY_MS);
    for (const id of ids.slice(0, 2)) await store.create(record(id, Date.now()));
    // And, without a check entry, a sync send whose api stored it and died, and a batch email whose job died.
    await store.create(record(ids[2]!, Date.now()), { sendingNow: true });
    await store.create(record(ids[3]!, Date.now()), { findByCreation: true });
    await first.stop();

    const second = await startLocalOutbox({ port: 0, dataDir, logError: () => undefined });
    try {
      expect(second.recovered).toEqual({ notifications: 0, emails: 4 });
      await waitFor('both delivered', async () => {
        const views = await Promise.all(
          ids.map(async (id) => ((await (await fetch(`${second.url}/emails/${id}`, { headers: { authorization: `Bearer ${second.apiKey}` } })).json()) as { last_event?: string }).last_event),
        );
        return views.every((v) => v === 'delivered') ? true : undefined;
      });
      const ledger = readSendLedger(dataDir);
      expect(ids.map((id) => ledger.filter((e) => e.outboxMessageId === id).length)).toEqual([1, 1, 1, 1]);
    } finally {
      await second.stop();
    }
  });
});
