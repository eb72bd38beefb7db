import { PutCommand, ScanCommand, type DynamoDbDocumentClient } from '../../lambda/adapters/aws/dynamodb';
import { Resend } from 'resend';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { DynamoDbSuppressionList } from '../../lambda/adapters/dynamodb-suppression-list';
import { uuidv7 } from '../../lambda/core/ids';
import type { SuppressionOrigin } from '../../lambda/core/suppression';
import { SUPPRESSIONS_TABLE } from '../../lambda/shared/tables';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/embedded-dynamodb';
import { localTableName, startLocalOutbox, type LocalOutbox } from '../../local/runtime';

/**
 * The suppressions API behind the local server, against the embedded DynamoDB-compatible store,
 * driven by the official resend SDK. Bounce and complaint records are written through the adapter,
 * as the events pipeline writes them.
 */
describe('the suppressions API through the resend SDK', () => {
  const table = localTableName(SUPPRESSIONS_TABLE);
  let outbox: LocalOutbox;
  let resend: Resend;
  let documents: DynamoDbDocumentClient;
  let list: DynamoDbSuppressionList;
  /** Ids for records written directly, time-ordered after everything added so far. */
  let clockMs = Date.now();

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0 });
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
    documents = documentClient(outbox.dynamoDbEndpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    list = new DynamoDbSuppressionList(documents, table);
  });
  afterAll(async () => {
    await outbox.stop();
  });

  async function insert(origin: SuppressionOrigin, email: string): Promise<string> {
    clockMs = Math.max(clockMs + 1, Date.now());
    const id = uuidv7(clockMs);
    await list.add({ id, email, origin, sourceId: `ses-${email}`, reason: 'test', createdAt: new Date(clockMs).toISOString() });
    return id;
  }

  it('adds an address and reads it back by id and by address in any case', async () => {
    const added = await resend.suppressions.add({ email: 'Ada Lovelace <Ada@Example.com>' });
    expect(added.error).toBeNull();
    expect(added.data).toEqual({ object: 'suppression', id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const id = added.data!.id;

    const expected = { object: 'suppression', id, email: 'ada@example.com', origin: 'manual', source_id: null, created_at: expect.any(String) };
    expect((await resend.suppressions.get(id)).data).toEqual(expected);
    expect((await resend.suppressions.get('ADA@example.COM')).data).toEqual(expected);

    const again = await resend.suppressions.add({ email: 'ada@example.com' });
    expect(again.data).toEqual({ object: 'suppression', id });
  });

  it('finds an address with + and / in it, sent URL-encoded in the path', async () => {
    const added = await resend.suppressions.add({ email: 'user+tag/x@example.com' });
    expect(added.error).toBeNull();
    const got = await resend.suppressions.get('User+Tag/x@example.com');
    expect(got.data).toMatchObject({ id: added.data!.id, email: 'user+tag/x@example.com' });
  });

  it('answers not_found for an address or id that is not listed', async () => {
    for (const idOrEmail of ['nobody@example.com', '019ac9a4-0000-7000-8000-000000000000', 'batch']) {
      expect((await resend.suppressions.get(idOrEmail)).error).toMatchObject({ statusCode: 404, name: 'not_found' });
      expect((await resend.suppressions.remove(idOrEmail)).error).toMatchObject({ statusCode: 404, name: 'not_found' });
    }
  });

  it('removes by address and by id, after which the address is not found', async () => {
    const first = (await resend.suppressions.add({ email: 'remove-me@example.com' })).data!.id;
    const second = (await resend.suppressions.add({ email: 'remove-me-too@example.com' })).data!.id;

    expect((await resend.suppressions.remove('Remove-Me@example.com')).data).toEqual({ object: 'suppression', id: first, deleted: true });
    expect((await resend.suppressions.remove(second)).data).toEqual({ object: 'suppression', id: second, deleted: true });
    expect((await resend.suppressions.get('remove-me@example.com')).error).toMatchObject({ name: 'not_found' });
    expect((await resend.suppressions.get(second)).error).toMatchObject({ name: 'not_found' });
  });

  it('adds and removes in batches, answering each entry in input order', async () => {
    const bounced = await insert('bounce', 'batch-bounced@example.com');
    const added = await resend.suppressions.batch.add({ emails: ['batch-1@example.com', 'Batch-Bounced@example.com', 'batch-2@example.com'] });
    expect(added.error).toBeNull();
    const [one, existing, two] = added.data!.data;
    expect(added.data!.data.every((entry) => entry.object === 'suppression')).toBe(true);
    expect(existing!.id).toBe(bounced);
    expect((await resend.suppressions.get('batch-2@example.com')).data).toMatchObject({ id: two!.id, origin: 'manual' });

    const byEmails = await resend.suppressions.batch.remove({ emails: ['batch-1@example.com', 'never-listed@example.com'] });
    expect(byEmails.data).toEqual({
      data: [
        { object: 'suppression', id: one!.id, deleted: true },
        { object: 'suppression', id: 'never-listed@example.com', deleted: false },
      ],
    });
    const byIds = await resend.suppressions.batch.remove({ ids: [two!.id, bounced, one!.id] });
    expect(byIds.data).toEqual({
      data: [
        { object: 'suppression', id: two!.id, deleted: true },
        { object: 'suppression', id: bounced, deleted: true },
        { object: 'suppression', id: one!.id, deleted: false },
      ],
    });
    expect((await list.findMany(['batch-1@example.com', 'batch-2@example.com', 'batch-bounced@example.com'])).size).toBe(0);
  });

  it('lists one origin newest first and pages through it with `after`', async () => {
    const bounces: string[] = [];
    for (let i = 0; i < 5; i++) {
      bounces.push(await insert('bounce', `bounced-${i}@example.com`));
      await insert('complaint', `complained-${i}@example.com`);
    }
    const pages: string[][] = [];
    let after: string | undefined;
    for (let more = true; more; ) {
      const page = await resend.suppressions.list({ origin: 'bounce', limit: 2, ...(after ? { after } : {}) });
      expect(page.error).toBeNull();
      expect(page.data!.object).toBe('list');
      pages.push(page.data!.data.map((entry) => entry.id));
      more = page.data!.has_more;
      after = page.data!.data.at(-1)?.id;
    }
    expect(pages).toEqual([bounces.slice(3).reverse(), bounces.slice(1, 3).reverse(), [bounces[0]]]);

    const first = await resend.suppressions.list({ origin: 'bounce', limit: 1 });
    expect(first.data!.data[0]).toEqual({
      id: bounces[4],
      email: 'bounced-4@example.com',
      origin: 'bounce',
      source_id: 'ses-bounced-4@example.com',
      created_at: expect.any(String),
    });
  });

  it('lists every origin merged newest first, without soft-bounce counters or expired items', async () => {
    await documents.send(new PutCommand({ TableName: table, Item: { email: 'counted@example.com#soft', bounces: new Set(['x']), expiresAt: 9_999_999_999 } }));
    await documents.send(new PutCommand({ TableName: table, Item: { email: 'expired@example.com', id: uuidv7(Date.now() + 60_000), origin: 'manual', createdAt: new Date().toISOString(), expiresAt: 1 } }));
    await resend.suppressions.batch.add({ emails: Array.from({ length: 10 }, (_, i) => `listed-${i}@example.com`) });
    await insert('complaint', 'newest@example.com');

    const { Items = [] } = await documents.send(new ScanCommand({ TableName: table }));
    const expected = Items.filter((item) => item.origin !== undefined && item.expiresAt === undefined)
      .map((item) => item.id as string)
      .sort()
      .reverse();
    expect(expected.length).toBeGreaterThan(20);

    const seen: string[] = [];
    let after: string | undefined;
    for (let more = true; more; ) {
      const page = await resend.suppressions.list({ limit: 4, ...(after ? { after } : {}) });
      expect(page.data!.data.length).toBeLessThanOrEqual(4);
      seen.push(...page.data!.data.map((entry) => entry.id));
      more = page.data!.has_more;
      after = page.data!.data.at(-1)?.id;
    }
    expect(seen).toEqual(expected);
    const byDefault = await resend.suppressions.list();
    expect(byDefault.data!.data.map((entry) => entry.id)).toEqual(expected.slice(0, 20));
    expect(byDefault.data!.has_more).toBe(true);
    expect((await resend.suppressions.get('expired@example.com')).error).toMatchObject({ name: 'not_found' });
  });

  it.each([
    ['an invalid address', () => resend.suppressions.add({ email: 'not-an-address' }), 422, 'validation_error', /not a valid email address/],
    ['no address', () => resend.suppressions.add({} as { email: string }), 422, 'missing_required_field', /`email`/],
    ['a mailbox-simulator address', () => resend.suppressions.add({ email: 'bounce@simulator.amazonses.com' }), 422, 'validation_error', /simulator is never suppressed/],
    ['a batch with bad entries', () => resend.suppressions.batch.add({ emails: ['ok@example.com', 'bad', 'complaint@simulator.amazonses.com'] }), 422, 'validation_error', /`emails\[1\]`.*`emails\[2\]`/],
    ['a batch removal with both lists', () => resend.suppressions.batch.remove({ emails: ['a@example.com'], ids: ['x'] } as never), 422, 'validation_error', /not both/],
    ['a limit of 0', () => resend.suppressions.list({ limit: 0 }), 422, 'validation_error', /`limit`/],
    ['a limit of 101', () => resend.suppressions.list({ limit: 101 }), 422, 'validation_error', /`limit`/],
    ['an unknown origin', () => resend.suppressions.list({ origin: 'spam' as SuppressionOrigin }), 422, 'validation_error', /`origin`/],
    ['a `before` cursor', () => resend.suppressions.list({ before: '019ac9a4-0000-7000-8000-000000000000' }), 422, 'validation_error', /`before` is not supported/],
  ] as const)('refuses %s with the SDK error shape', async (_case, call, statusCode, name, message) => {
    const { data, error } = await call();
    expect(data).toBeNull();
    expect(error).toEqual({ statusCode, name, message: expect.stringMatching(message) });
    expect((await list.findMany(['ok@example.com', 'not-an-address', 'bounce@simulator.amazonses.com'])).size).toBe(0);
  });

  it('refuses a sending-only key on every suppression route', async () => {
    const created = await resend.apiKeys.create({ name: 'sender', permission: 'sending_access' });
    const sender = new Resend(created.data!.token, { baseUrl: outbox.url });
    const calls = [
      () => sender.suppressions.add({ email: 'restricted@example.com' }),
      () => sender.suppressions.list(),
      () => sender.suppressions.get('restricted@example.com'),
      () => sender.suppressions.remove('restricted@example.com'),
      () => sender.suppressions.batch.add({ emails: ['restricted@example.com'] }),
      () => sender.suppressions.batch.remove({ emails: ['restricted@example.com'] }),
    ];
    for (const call of calls) {
      expect((await call()).error).toMatchObject({ statusCode: 401, name: 'restricted_api_key' });
    }
    expect(await list.get('restricted@example.com')).toBeUndefined();
  });
});
