import { Resend } from 'resend';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { DynamoDbEmailStore } from '../../lambda/adapters/dynamodb-email-store';
import type { EmailRecord } from '../../lambda/core/email';
import { uuidv7 } from '../../lambda/core/ids';
import { EMAILS_TABLE } from '../../lambda/shared/tables';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/embedded-dynamodb';
import { localTableName, startLocalOutbox, type LocalOutbox } from '../../local/runtime';

const DAY_MS = 86_400_000;
const RETENTION_DAYS = 7;

/**
 * `GET /emails` behind the local server, driven by the official resend SDK's `emails.list`. Most
 * emails are sent through the SDK; a few are written through the adapter with creation times days
 * back, so the pages cross the by-created-day index's day partitions.
 */
describe('listing emails through the resend SDK', () => {
  let outbox: LocalOutbox;
  let resend: Resend;
  let store: DynamoDbEmailStore;
  /** Every email, newest first. */
  const ids: string[] = [];

  function olderEmail(createdMs: number, subject: string): EmailRecord {
    return {
      id: uuidv7(createdMs),
      createdAt: new Date(createdMs).toISOString(),
      apiKeyId: 'k',
      lastEvent: 'sent',
      sesMessageId: `ses-${subject}`,
      expiresAt: Math.floor(createdMs / 1000) + RETENTION_DAYS * 86_400,
      from: { address: 'hello@acme.test' },
      to: [{ address: 'ada@example.com' }],
      cc: [],
      bcc: [],
      replyTo: [],
      subject,
      text: 'Hi',
      headers: [],
      tags: [],
      attachments: [],
    };
  }

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, identities: ['acme.test'], retentionDays: RETENTION_DAYS });
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
    const documents = documentClient(outbox.dynamoDbEndpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    store = new DynamoDbEmailStore(documents, localTableName(EMAILS_TABLE), { now: () => new Date() }, RETENTION_DAYS);

    // Three from earlier days (one of them past retention, so never listed), then 22 sent now.
    const now = Date.now();
    const old = [olderEmail(now - 3 * DAY_MS, 'three days ago'), olderEmail(now - 2 * DAY_MS, 'two days ago'), olderEmail(now - DAY_MS, 'yesterday')];
    await store.create(olderEmail(now - (RETENTION_DAYS + 2) * DAY_MS, 'past retention'));
    for (const record of old) await store.create(record);
    ids.unshift(...old.map((r) => r.id).reverse());
    for (let i = 0; i < 22; i++) {
      const { data, error } = await resend.emails.send({ from: 'Acme <hello@acme.test>', to: 'success@simulator.amazonses.com', cc: 'cc@example.com', subject: `Email ${i}`, text: 'Hi' });
      expect(error).toBeNull();
      ids.unshift(data!.id);
    }
  }, 60_000);

  afterAll(async () => {
    await outbox?.stop();
  });

  it('walks 25 emails newest first in pages of 10 with `after`, across days, without duplicates', async () => {
    const pages = [];
    let after: string | undefined;
    for (let i = 0; i < 3; i++) {
      const { data, error } = await resend.emails.list({ limit: 10, ...(after ? { after } : {}) });
      expect(error).toBeNull();
      pages.push(data!);
      after = data!.data.at(-1)?.id;
    }
    expect(pages.map((p) => [p.object, p.has_more, p.data.length])).toEqual([
      ['list', true, 10],
      ['list', true, 10],
      ['list', false, 5],
    ]);
    expect(pages.flatMap((p) => p.data.map((e) => e.id))).toEqual(ids);
    expect(pages[0]!.data[0]).toEqual({
      id: ids[0],
      from: 'Acme <hello@acme.test>',
      to: ['success@simulator.amazonses.com'],
      cc: ['cc@example.com'],
      bcc: null,
      reply_to: null,
      subject: 'Email 21',
      created_at: expect.any(String),
      scheduled_at: null,
      last_event: expect.any(String),
      message_id: expect.any(String),
    });
    expect(pages[2]!.data.map((e) => e.subject)).toEqual(['Email 1', 'Email 0', 'yesterday', 'two days ago', 'three days ago']);
  });

  it('pages back to newer emails with `before`, nearest the cursor first, newest first within the page', async () => {
    const { data } = await resend.emails.list({ limit: 3, before: ids[20]! });
    expect(data!.data.map((e) => e.id)).toEqual(ids.slice(17, 20));
    expect(data!.has_more).toBe(true);
    const top = await resend.emails.list({ limit: 10, before: ids[3]! });
    expect(top.data!.data.map((e) => e.id)).toEqual(ids.slice(0, 3));
    expect(top.data!.has_more).toBe(false);
  });

  it('shows the same last_event as GET /emails/{id} once the simulator events arrive', async () => {
    const id = ids[0]!;
    const deadline = Date.now() + 5000;
    while ((await resend.emails.get(id)).data?.last_event !== 'delivered' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await resend.emails.get(id)).data?.last_event).toBe('delivered');
    const { data } = await resend.emails.list({ limit: 1 });
    expect(data!.data[0]).toMatchObject({ id, last_event: 'delivered' });
  });

  it('refuses a bad limit or cursor with a validation error, as the suppressions list does', async () => {
    const tooMany = await fetch(`${outbox.url}/emails?limit=101`, { headers: { authorization: `Bearer ${outbox.apiKey}` } });
    expect(tooMany.status).toBe(422);
    expect(await tooMany.json()).toMatchObject({ name: 'validation_error', message: expect.stringMatching(/`limit` must be a whole number from 1 to 100/) });
    const both = await fetch(`${outbox.url}/emails?after=${ids[1]}&before=${ids[2]}`, { headers: { authorization: `Bearer ${outbox.apiKey}` } });
    expect(both.status).toBe(422);
    const badCursor = await resend.emails.list({ after: 'not-an-id' });
    expect(badCursor.error).toMatchObject({ statusCode: 422, name: 'validation_error' });
  });
});
