import { CachedApiKeyStore } from '../../lambda/adapters/cached-api-key-store';
import { authenticateSecret, createApiKey, type ApiKeyRecord } from '../../lambda/core/api-keys';
import { InMemoryApiKeyStore } from '../helpers/in-memory';

function key(n: number): ApiKeyRecord {
  return { id: `key-${n}`, name: `k${n}`, scope: 'full_access', keyHash: `hash-${n}`, createdAt: '2026-12-01T00:00:00.000Z' };
}

/** The in-memory store, counting the reads that reach it. */
class CountingStore extends InMemoryApiKeyStore {
  reads = 0;
  override async findByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    this.reads += 1;
    return super.findByHash(keyHash);
  }
}

describe('CachedApiKeyStore', () => {
  const clock = { now: () => new Date('2026-12-01T00:00:00.000Z') };

  it('reads a found key once within its time, a missing one every time', async () => {
    const store = new CountingStore();
    await store.create(key(1));
    const cached = new CachedApiKeyStore(store, clock, 30_000);
    for (let i = 0; i < 3; i++) expect(await cached.findByHash('hash-1')).toEqual(key(1));
    for (let i = 0; i < 3; i++) expect(await cached.findByHash('hash-missing')).toBeUndefined();
    expect(store.reads).toBe(1 + 3);
  });

  it('holds at most its bound, forgetting the oldest first', async () => {
    const store = new CountingStore();
    for (let n = 1; n <= 3; n++) await store.create(key(n));
    const cached = new CachedApiKeyStore(store, clock, 30_000, 2);
    await cached.findByHash('hash-1');
    await cached.findByHash('hash-2');
    await cached.findByHash('hash-3');
    store.reads = 0;
    await cached.findByHash('hash-3');
    await cached.findByHash('hash-2');
    expect(store.reads).toBe(0);
    await cached.findByHash('hash-1');
    expect(store.reads).toBe(1);
  });

  it('does not remember a failed read', async () => {
    const store = new CountingStore();
    await store.create(key(1));
    const cached = new CachedApiKeyStore(store, clock);
    const findByHash = store.findByHash.bind(store);
    store.findByHash = async () => {
      throw new Error('DynamoDB unavailable');
    };
    await expect(cached.findByHash('hash-1')).rejects.toThrow('DynamoDB unavailable');
    store.findByHash = findByHash;
    expect(await cached.findByHash('hash-1')).toEqual(key(1));
  });

  it('serves a remembered record with its new last use, so a stale one costs one write, not one per request', async () => {
    let now = Date.parse('2026-12-01T00:00:00.000Z');
    const moving = { now: () => new Date(now) };
    const store = new CountingStore();
    const { record, secret } = await createApiKey({ keys: store, clock: moving }, { name: 'k', scope: 'full_access' });
    // Another instance recorded a use long ago; this one reads the key once and then trusts it.
    await store.touch(record.keyHash, '2026-11-30T00:00:00.000Z', '2026-11-30T00:00:00.000Z');
    const cached = new CachedApiKeyStore(store, moving, 30_000);
    const use = { clock: moving, log: () => undefined };
    for (let i = 0; i < 20; i++) {
      await authenticateSecret(cached, secret, use);
      now += 1_000;
    }
    expect(store.reads).toBe(1);
    expect(store.touches).toEqual([{ keyHash: record.keyHash, usedAt: '2026-11-30T00:00:00.000Z' }, { keyHash: record.keyHash, usedAt: '2026-12-01T00:00:00.000Z' }]);
    expect((await store.findByHash(record.keyHash))!.lastUsedAt).toBe('2026-12-01T00:00:00.000Z');
  });

  it('tries a failed write again only once its record is stale again, not on every request', async () => {
    let now = Date.parse('2026-12-01T00:00:00.000Z');
    const moving = { now: () => new Date(now) };
    const store = new CountingStore();
    const { secret } = await createApiKey({ keys: store, clock: moving }, { name: 'k', scope: 'full_access' });
    store.touchFailure = new Error('DynamoDB unavailable');
    const logged: string[] = [];
    const cached = new CachedApiKeyStore(store, moving, 30_000);
    const use = { clock: moving, log: (message: string) => logged.push(message) };
    for (let i = 0; i < 35; i++) {
      await authenticateSecret(cached, secret, use);
      now += 1_000;
    }
    // Re-read at 30 s, the table still saying never used: the second try.
    expect(store.touches).toHaveLength(2);
    expect(logged).toHaveLength(2);
  });

  it('forgets a renamed key, so its next read has the new name', async () => {
    const store = new CountingStore();
    await store.create(key(1));
    const cached = new CachedApiKeyStore(store, clock);
    await cached.findByHash('hash-1');
    expect(await cached.update('key-1', { name: 'renamed' })).toBe(true);
    expect((await cached.findByHash('hash-1'))!.name).toBe('renamed');
    expect(store.reads).toBe(2);
    expect(await cached.update('key-missing', { name: 'x' })).toBe(false);
  });
});
