import { GetCommand, ScanCommand, type DynamoDbDocumentClient } from '../../lambda/adapters/aws/dynamodb';
import { Resend } from 'resend';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { DynamoDbScheduleStore } from '../../lambda/adapters/dynamodb-schedule-store';
import { systemClock } from '../../lambda/core/ports';
import { cancelEmail, QUEUED_CHECK_DELAY_MS, releaseDueEmails } from '../../lambda/core/scheduler';
import { EMAILS_TABLE, IDEMPOTENCY_TABLE } from '../../lambda/shared/tables';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/embedded-dynamodb';
import { localTableName, startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { RecordingOutboundQueue } from '../helpers/in-memory-scheduling';

/**
 * Idempotency-Key and scheduling through the official resend SDK (and plain fetch where the test
 * needs 50 requests in flight at once) against the local server, the embedded DynamoDB-compatible
 * store and the SES stand-in. Nothing of Outbox's is mocked.
 */
describe('Idempotency-Key and scheduling through the resend SDK', () => {
  let outbox: LocalOutbox;
  let resend: Resend;
  let documents: DynamoDbDocumentClient;
  let schedule: DynamoDbScheduleStore;
  const email = { from: 'Acme <hello@acme.test>', to: ['success@simulator.amazonses.com'], subject: 'Hi', text: 'Hello' };

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, identities: ['acme.test'], logError: () => undefined });
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
    documents = documentClient(outbox.dynamoDbEndpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    schedule = new DynamoDbScheduleStore(documents, localTableName(EMAILS_TABLE), systemClock);
  });
  afterAll(async () => {
    await outbox.stop();
  });

  /** Messages the SES stand-in accepted for this Outbox email id (by the tracking tag). */
  function sesMessagesFor(id: string) {
    return outbox.ses.messages().filter((m) => m.tags.some((t) => t.name === 'outbox-message-id' && t.value === id));
  }

  async function post(path: string, body: unknown, idempotencyKey?: string) {
    const response = await fetch(`${outbox.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json', ...(idempotencyKey !== undefined ? { 'idempotency-key': idempotencyKey } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  describe('Idempotency-Key', () => {
    it('answers a retry with the same key and body with the same id, and sends once', async () => {
      const first = await resend.emails.send({ ...email, subject: 'Once' }, { idempotencyKey: 'welcome-user/1' });
      expect(first.error).toBeNull();
      const again = await resend.emails.send({ ...email, subject: 'Once' }, { idempotencyKey: 'welcome-user/1' });
      expect(again.error).toBeNull();
      expect(again.data).toEqual(first.data);
      expect(sesMessagesFor(first.data!.id)).toHaveLength(1);
    });

    it('refuses the same key with another body: 409 invalid_idempotent_request, nothing sent', async () => {
      const first = await resend.emails.send({ ...email, subject: 'First' }, { idempotencyKey: 'welcome-user/2' });
      const count = outbox.ses.messages().length;
      const other = await resend.emails.send({ ...email, subject: 'Second' }, { idempotencyKey: 'welcome-user/2' });
      expect(other.data).toBeNull();
      expect(other.error).toMatchObject({ statusCode: 409, name: 'invalid_idempotent_request' });
      expect(outbox.ses.messages()).toHaveLength(count);
      expect(first.error).toBeNull();
    });

    it('refuses a key longer than 256 characters: 400 invalid_idempotency_key', async () => {
      const sent = await resend.emails.send(email, { idempotencyKey: 'k'.repeat(257) });
      expect(sent.error).toMatchObject({ statusCode: 400, name: 'invalid_idempotency_key' });
    });

    it('sends exactly one email for 50 concurrent requests with one key; each answer is the id or concurrent_idempotent_requests', async () => {
      const body = { ...email, subject: 'Fifty at once' };
      const answers = await Promise.all(Array.from({ length: 50 }, () => post('/emails', body, 'burst-1')));
      const ids = new Set(answers.filter((a) => a.status === 200).map((a) => a.body.id as string));
      expect(ids.size).toBe(1);
      const [id] = [...ids];
      for (const answer of answers.filter((a) => a.status !== 200)) {
        expect(answer).toMatchObject({ status: 409, body: { statusCode: 409, name: 'concurrent_idempotent_requests' } });
      }
      expect(sesMessagesFor(id!)).toHaveLength(1);
      expect(outbox.ses.messages().filter((m) => m.subject === 'Fifty at once')).toHaveLength(1);
      // Once the first has answered, a retry gets the replay.
      await expect(post('/emails', body, 'burst-1')).resolves.toEqual({ status: 200, body: { id } });
    });

    it('replays a batch sent again with the same key, queuing its emails once', async () => {
      const batch = [
        { ...email, subject: 'Batch one' },
        { ...email, subject: 'Batch two' },
      ];
      const first = await resend.batch.send(batch, { idempotencyKey: 'batch-1' });
      expect(first.error).toBeNull();
      expect(first.data!.data).toHaveLength(2);
      const again = await resend.batch.send(batch, { idempotencyKey: 'batch-1' });
      expect(again.data).toEqual(first.data);
      const other = await resend.batch.send([batch[0]!], { idempotencyKey: 'batch-1' });
      expect(other.error).toMatchObject({ statusCode: 409, name: 'invalid_idempotent_request' });
      const deadline = Date.now() + 10_000;
      const ids = first.data!.data.map((e) => e.id);
      while (ids.some((id) => sesMessagesFor(id).length === 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      for (const id of ids) expect(sesMessagesFor(id)).toHaveLength(1);
    });

    it('lets a client fix a refused request and retry with the same key', async () => {
      const refused = await post('/emails', { ...email, to: 'not an address' }, 'fix-me');
      expect(refused.status).toBe(422);
      const fixed = await post('/emails', email, 'fix-me');
      expect(fixed.status).toBe(200);
    });

    it('keeps the key 24 hours in the idempotency table, scoped to the API key and route', async () => {
      const sent = await post('/emails', { ...email, subject: 'Stored' }, 'stored-1');
      const { Items = [] } = await documents.send(new ScanCommand({ TableName: localTableName(IDEMPOTENCY_TABLE) }));
      const item = Items.find((i) => String(i.key).endsWith('#POST /emails#stored-1'))!;
      expect(item).toMatchObject({ state: 'done', status: 200, responseBody: JSON.stringify(sent.body) });
      expect(item.expiresAt as number).toBeGreaterThan(Date.now() / 1000 + 24 * 3600 - 60);
      expect(item.expiresAt as number).toBeLessThanOrEqual(Date.now() / 1000 + 24 * 3600);
    });
  });

  describe('scheduling', () => {
    it('accepts scheduled_at, shows the email scheduled with its time, and sends nothing yet', async () => {
      const at = new Date(Date.now() + 60 * 60 * 1000).toISOString();
      const sent = await resend.emails.send({ ...email, scheduledAt: at });
      expect(sent.error).toBeNull();
      const read = await resend.emails.get(sent.data!.id);
      expect(read.data).toMatchObject({ last_event: 'scheduled', scheduled_at: at });
      expect(sesMessagesFor(sent.data!.id)).toHaveLength(0);
    });

    it('reads "in 1 min" as Resend does', async () => {
      const before = Date.now();
      const sent = await resend.emails.send({ ...email, scheduledAt: 'in 1 min' });
      const read = await resend.emails.get(sent.data!.id);
      const at = Date.parse(read.data!.scheduled_at!);
      expect(at).toBeGreaterThanOrEqual(before + 60_000 - 1000);
      expect(at).toBeLessThanOrEqual(Date.now() + 60_000);
    });

    it('refuses a time more than 30 days ahead', async () => {
      const sent = await resend.emails.send({ ...email, scheduledAt: 'in 31 days' });
      expect(sent.error).toMatchObject({ statusCode: 422, name: 'validation_error', message: expect.stringMatching(/30 days/) });
    });

    it('reschedules with emails.update and cancels with emails.cancel', async () => {
      const sent = await resend.emails.send({ ...email, scheduledAt: 'in 1 hour' });
      const id = sent.data!.id;
      const newTime = new Date(Date.now() + 2 * 60 * 60 * 1000).toISOString();
      const updated = await resend.emails.update({ id, scheduledAt: newTime });
      expect(updated).toMatchObject({ data: { object: 'email', id }, error: null });
      expect((await resend.emails.get(id)).data).toMatchObject({ last_event: 'scheduled', scheduled_at: newTime });

      const canceled = await resend.emails.cancel(id);
      expect(canceled).toMatchObject({ data: { object: 'email', id }, error: null });
      expect((await resend.emails.get(id)).data).toMatchObject({ last_event: 'canceled' });

      const again = await resend.emails.cancel(id);
      expect(again.error).toMatchObject({ statusCode: 422, name: 'validation_error', message: expect.stringMatching(/it was canceled/) });
      const moved = await resend.emails.update({ id, scheduledAt: 'in 3 hours' });
      expect(moved.error).toMatchObject({ statusCode: 422 });
    });

    it('answers 404 for an unknown email, and 405 for a method no route takes', async () => {
      const unknown = await resend.emails.cancel('019ac9a4-0000-7000-8000-000000000000');
      expect(unknown.error).toMatchObject({ statusCode: 404, name: 'not_found' });
      const response = await fetch(`${outbox.url}/emails/019ac9a4-0000-7000-8000-000000000000`, { method: 'DELETE', headers: { authorization: `Bearer ${outbox.apiKey}` } });
      expect(response.status).toBe(405);
      expect(((await response.json()) as { message: string }).message).toMatch(/use GET or PATCH/);
    });

    it('releases a due email to the outbound queue as queued, with its check entry; a canceled one never', async () => {
      // Hours ahead, with the scheduler's clock moved past them, so the local runtime's own
      // scheduler (every second, real time) never takes these emails first.
      const due = (await resend.emails.send({ ...email, scheduledAt: 'in 5 hours' })).data!.id;
      const canceled = (await resend.emails.send({ ...email, scheduledAt: 'in 5 hours' })).data!.id;
      await resend.emails.cancel(canceled);
      const queue = new RecordingOutboundQueue();
      const later = { now: () => new Date(Date.now() + 6 * 3600_000) };
      const releasedFrom = later.now().getTime();
      const summary = await releaseDueEmails({ schedule, outbound: queue, clock: later });
      expect(queue.jobs.map((j) => j.emailId)).toContain(due);
      expect(queue.jobs.map((j) => j.emailId)).not.toContain(canceled);
      expect(summary.released).toBeGreaterThanOrEqual(1);
      expect((await resend.emails.get(due)).data!.last_event).toBe('queued');
      const { Item } = await documents.send(new GetCommand({ TableName: localTableName(EMAILS_TABLE), Key: { pk: due, sk: 'email' } }));
      // Out of the scheduled shard, into a check shard at its first check time, where the sweep finds it if nothing sends it.
      expect(Item).toMatchObject({ dueShard: `check#${due.slice(-1)}`, dueAt: expect.stringMatching(new RegExp(`#${due}$`)) });
      const checkAt = Date.parse(String(Item!.dueAt).split('#')[0]!);
      expect(checkAt).toBeGreaterThanOrEqual(releasedFrom + QUEUED_CHECK_DELAY_MS);
      expect(checkAt).toBeLessThanOrEqual(later.now().getTime() + QUEUED_CHECK_DELAY_MS);
      expect((await resend.emails.get(canceled)).data!.last_event).toBe('canceled');
    });

    it('lets exactly one of a cancel and a release win when they race', async () => {
      const principal = { keyId: 'test', scope: 'full_access' as const };
      for (let round = 0; round < 5; round++) {
        const id = (await resend.emails.send({ ...email, scheduledAt: 'in 7 hours' })).data!.id;
        const queue = new RecordingOutboundQueue();
        const later = { now: () => new Date(Date.now() + 8 * 3600_000) };
        const [released, cancel] = await Promise.allSettled([releaseDueEmails({ schedule, outbound: queue, clock: later }), cancelEmail({ schedule }, principal, id)]);
        expect(released.status).toBe('fulfilled');
        const enqueued = queue.jobs.some((j) => j.emailId === id);
        const lastEvent = (await resend.emails.get(id)).data!.last_event;
        if (cancel.status === 'fulfilled') {
          expect(enqueued).toBe(false);
          expect(lastEvent).toBe('canceled');
        } else {
          expect(enqueued).toBe(true);
          expect(lastEvent).not.toBe('canceled');
        }
      }
    });

    it('sends a scheduled email when due (2 s ahead), a rescheduled one at its new time, and never a canceled one', async () => {
      const soon = () => new Date(Date.now() + 2000).toISOString();
      const due = (await resend.emails.send({ ...email, subject: 'Scheduled end to end', scheduledAt: soon() })).data!.id;
      const moved = (await resend.emails.send({ ...email, subject: 'Rescheduled end to end', scheduledAt: 'in 1 hour' })).data!.id;
      const canceled = (await resend.emails.send({ ...email, subject: 'Canceled end to end', scheduledAt: soon() })).data!.id;
      expect((await resend.emails.get(due)).data!.last_event).toBe('scheduled');
      expect((await resend.emails.update({ id: moved, scheduledAt: soon() })).error).toBeNull();
      expect((await resend.emails.cancel(canceled)).error).toBeNull();

      const deadline = Date.now() + 10_000;
      while ((sesMessagesFor(due).length === 0 || sesMessagesFor(moved).length === 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      for (const id of [due, moved]) {
        expect(sesMessagesFor(id)).toHaveLength(1);
        const read = (await resend.emails.get(id)).data!;
        expect(Date.parse(sesMessagesFor(id)[0]!.receivedAt)).toBeGreaterThanOrEqual(Date.parse(read.scheduled_at!));
        expect(read.last_event).not.toMatch(/scheduled|queued/);
      }
      // The canceled one was due as early as the others: give the scheduler another tick.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(sesMessagesFor(canceled)).toHaveLength(0);
      expect((await resend.emails.get(canceled)).data!.last_event).toBe('canceled');
    });
  });
});
