import { CachedApiKeyStore } from '../../lambda/adapters/cached-api-key-store';
import type { ApiKeyRecord } from '../../lambda/core/api-keys';
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
});
