import type { ApiKeyRecord } from '../core/api-keys';
import type { ApiKeyStore, Clock } from '../core/ports';

/** How long a warm api instance trusts a key it has read: the longest a revoked key still works. */
export const API_KEY_CACHE_MS = 30_000;

/** Keys remembered per instance; past it the oldest is forgotten (one more read, nothing else). */
const API_KEY_CACHE_ENTRIES = 1_000;

/**
 * An ApiKeyStore whose `findByHash` reads a key found at most once per `ttlMs`, so the api Lambda
 * can check every request's key itself without a table read per request.
 *
 * What it costs: a key revoked elsewhere (another instance, `npm run keys`, the initial key's
 * custom resource) is still accepted by a warm instance for up to `ttlMs`. A key revoked through
 * this object is forgotten at once. Only keys found are remembered: a new key works at once
 * everywhere, and a wrong key is read every time (stage throttling bounds what that costs).
 * A failed read is not remembered.
 *
 * A key's use (`touch`) is also written into the record remembered, before the write and whatever
 * it answers, so a record read before the last use recorded does not look stale on every request
 * while it is trusted: an instance tries that write at most once a KEY_USE_RESOLUTION_MS per key.
 */
export class CachedApiKeyStore implements ApiKeyStore {
  private readonly found = new Map<string, { readonly at: number; record: ApiKeyRecord }>();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly clock: Clock,
    private readonly ttlMs = API_KEY_CACHE_MS,
    private readonly maxEntries = API_KEY_CACHE_ENTRIES,
  ) {}

  async findByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const now = this.clock.now().getTime();
    const cached = this.found.get(keyHash);
    if (cached && now - cached.at < this.ttlMs) return cached.record;
    this.found.delete(keyHash);
    const record = await this.store.findByHash(keyHash);
    if (record) {
      // A Map iterates in insertion order, so its first key is the oldest.
      if (this.found.size >= this.maxEntries) this.found.delete(this.found.keys().next().value as string);
      this.found.set(keyHash, { at: now, record });
    }
    return record;
  }

  create(key: ApiKeyRecord): Promise<void> {
    return this.store.create(key);
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.store.list();
  }

  async update(id: string, change: { readonly name: string }): Promise<boolean> {
    try {
      return await this.store.update(id, change);
    } finally {
      this.forget(id);
    }
  }

  touch(keyHash: string, usedAt: string, staleBefore: string): Promise<void> {
    const cached = this.found.get(keyHash);
    if (cached) cached.record = { ...cached.record, lastUsedAt: usedAt };
    return this.store.touch(keyHash, usedAt, staleBefore);
  }

  async remove(id: string): Promise<boolean> {
    this.forget(id);
    try {
      return await this.store.remove(id);
    } finally {
      // Also after the write: a read that raced it may have remembered the key again.
      this.forget(id);
    }
  }

  private forget(id: string): void {
    for (const [hash, entry] of this.found) if (entry.record.id === id) this.found.delete(hash);
  }
}
