import { CachedApiKeyStore } from '../../lambda/adapters/cached-api-key-store';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { DynamoDbApiKeyStore } from '../../lambda/adapters/dynamodb-api-key-store';
import { authenticateSecret, createApiKey, listApiKeys, updateApiKey } from '../../lambda/core/api-keys';
import { API_KEYS_TABLE } from '../../lambda/shared/tables';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../local/embedded-dynamodb';

const TABLE = 'outbox-api-key-store-test';

/** The api-keys table's store on the embedded DynamoDB-compatible server, through the real SDK. */
describe('DynamoDbApiKeyStore', () => {
  let dynamo: EmbeddedDynamoDb;
  let keys: DynamoDbApiKeyStore;

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamoDb();
    await createTables(dynamo.endpoint, [{ definition: API_KEYS_TABLE, name: TABLE }]);
    keys = new DynamoDbApiKeyStore(documentClient(dynamo.endpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }), TABLE);
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  function clockAt(iso: string) {
    let now = Date.parse(iso);
    return { clock: { now: () => new Date(now) }, advance: (ms: number) => (now += ms) };
  }

  it('renames a key by its id, and answers false for an unknown or revoked one', async () => {
    const { clock } = clockAt('2026-12-01T00:00:00.000Z');
    const { record, secret } = await createApiKey({ keys, clock }, { name: 'before', scope: 'sending_access' });
    await expect(updateApiKey({ keys }, record.id, { name: 'after' })).resolves.toEqual({ object: 'api_key', id: record.id });
    expect(await keys.findByHash(record.keyHash)).toMatchObject({ id: record.id, name: 'after', scope: 'sending_access' });
    await expect(authenticateSecret(keys, secret)).resolves.toEqual({ keyId: record.id, scope: 'sending_access' });
    await keys.remove(record.id);
    expect(await keys.update(record.id, { name: 'again' })).toBe(false);
    expect(await keys.update('019ad000-0000-7000-8000-000000000000', { name: 'x' })).toBe(false);
  });

  it('writes a use only when the recorded one is a minute old, and never brings back a revoked key', async () => {
    const { clock, advance } = clockAt('2026-12-01T01:00:00.000Z');
    const { record, secret } = await createApiKey({ keys, clock }, { name: 'used', scope: 'full_access' });
    const use = { clock, log: (message: string, error?: unknown) => { throw new Error(`logged ${message}: ${String(error)}`); } };
    await authenticateSecret(keys, secret, use);
    expect((await keys.findByHash(record.keyHash))!.lastUsedAt).toBe('2026-12-01T01:00:00.000Z');

    // Straight to the store, as a second instance with an old record would: the condition holds it.
    advance(30_000);
    await keys.touch(record.keyHash, '2026-12-01T01:00:30.000Z', '2026-12-01T00:59:30.000Z');
    expect((await keys.findByHash(record.keyHash))!.lastUsedAt).toBe('2026-12-01T01:00:00.000Z');
    advance(30_000);
    await authenticateSecret(keys, secret, use);
    expect((await keys.findByHash(record.keyHash))!.lastUsedAt).toBe('2026-12-01T01:01:00.000Z');

    await keys.remove(record.id);
    await keys.touch(record.keyHash, '2026-12-01T02:00:00.000Z', '2026-12-01T01:59:00.000Z');
    expect(await keys.findByHash(record.keyHash)).toBeUndefined();
  });

  it('logs a failed write and lets the request through', async () => {
    const { clock } = clockAt('2026-12-01T03:00:00.000Z');
    const { record, secret } = await createApiKey({ keys, clock }, { name: 'unwritable', scope: 'full_access' });
    const broken = new DynamoDbApiKeyStore(documentClient(dynamo.endpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }), TABLE);
    broken.touch = async () => {
      throw new Error('throttled');
    };
    const logged: string[] = [];
    await expect(authenticateSecret(broken, secret, { clock, log: (message) => logged.push(message) })).resolves.toEqual({ keyId: record.id, scope: 'full_access' });
    expect(logged).toEqual([`Recording the use of API key ${record.id} failed`]);
  });

  it('through the deployed cache, writes a busy key once a minute, not once a request', async () => {
    const { clock, advance } = clockAt('2026-12-01T04:00:00.000Z');
    const { record, secret } = await createApiKey({ keys, clock }, { name: 'busy', scope: 'full_access' });
    const writes: string[] = [];
    const counting = new DynamoDbApiKeyStore(documentClient(dynamo.endpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }), TABLE);
    const touch = counting.touch.bind(counting);
    counting.touch = async (keyHash, usedAt, staleBefore) => {
      writes.push(usedAt);
      return touch(keyHash, usedAt, staleBefore);
    };
    const cached = new CachedApiKeyStore(counting, clock);
    const use = { clock, log: () => undefined };
    for (let second = 0; second < 125; second++) {
      await authenticateSecret(cached, secret, use);
      advance(1_000);
    }
    expect(writes).toEqual(['2026-12-01T04:00:00.000Z', '2026-12-01T04:01:00.000Z', '2026-12-01T04:02:00.000Z']);
    expect((await keys.findByHash(record.keyHash))!.lastUsedAt).toBe('2026-12-01T04:02:00.000Z');
  });

  it('pages the keys newest first, reading them from the table', async () => {
    const { clock, advance } = clockAt('2026-12-02T00:00:00.000Z');
    const before = new Set((await keys.list()).map((key) => key.id));
    const made: string[] = [];
    for (let n = 0; n < 3; n++) {
      made.push((await createApiKey({ keys, clock }, { name: `page-${n}`, scope: 'full_access' })).record.id);
      advance(1);
    }
    const newestFirst = made.reverse();
    const first = await listApiKeys({ keys }, { limit: '2' });
    expect(first.has_more).toBe(true);
    expect(first.data.map((key) => key.id)).toEqual(newestFirst.slice(0, 2));
    const rest = await listApiKeys({ keys }, { limit: '100', after: newestFirst[1]! });
    expect(rest.has_more).toBe(false);
    expect(rest.data.map((key) => key.id)).toEqual([newestFirst[2], ...[...before].sort().reverse()]);
  });
});
