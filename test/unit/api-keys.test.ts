import { authenticate, createApiKey, hashApiKey, KEY_USE_RESOLUTION_MS, listApiKeys, requireFullAccess, updateApiKey } from '../../lambda/core/api-keys';
import { OutboxError } from '../../lambda/core/errors';
import { fixedClock, InMemoryApiKeyStore } from '../helpers/in-memory';

describe('API keys', () => {
  const clock = fixedClock('2026-11-28T10:00:00.000Z');

  it('stores only the hash of a new key and authenticates its bearer token', async () => {
    const keys = new InMemoryApiKeyStore();
    const { record, secret } = await createApiKey({ keys, clock }, { name: 'ci', scope: 'sending_access' });
    expect(secret).toMatch(/^ob_[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify([...keys.keys.values()])).not.toContain(secret);
    expect(record.keyHash).toBe(hashApiKey(secret));
    await expect(authenticate(keys, `Bearer ${secret}`)).resolves.toEqual({ keyId: record.id, scope: 'sending_access' });
  });

  it.each([
    [undefined, 'missing_api_key'],
    ['', 'missing_api_key'],
    ['Basic abc', 'missing_api_key'],
    ['Bearer ob_wrong', 'invalid_api_key'],
  ])('refuses the header %j as %s', async (header, kind) => {
    const keys = new InMemoryApiKeyStore();
    await createApiKey({ keys, clock }, { name: 'k', scope: 'full_access' });
    await expect(authenticate(keys, header)).rejects.toMatchObject({ kind });
  });

  it('restricts a sending-only key to sending', () => {
    expect(() => requireFullAccess({ keyId: 'k', scope: 'sending_access' })).toThrow(OutboxError);
    expect(() => requireFullAccess({ keyId: 'k', scope: 'full_access' })).not.toThrow();
  });

  describe('last use', () => {
    function recording(start: string) {
      let now = Date.parse(start);
      const logged: { message: string; error?: unknown }[] = [];
      return {
        use: { clock: { now: () => new Date(now) }, log: (message: string, error?: unknown) => logged.push({ message, error }) },
        advance: (ms: number) => (now += ms),
        logged,
      };
    }

    it('records the first use and then at most one a minute', async () => {
      const keys = new InMemoryApiKeyStore();
      const { record, secret } = await createApiKey({ keys, clock }, { name: 'ci', scope: 'full_access' });
      const { use, advance } = recording('2026-11-28T10:00:00.000Z');
      await authenticate(keys, `Bearer ${secret}`, use);
      expect(keys.keys.get(record.keyHash)!.lastUsedAt).toBe('2026-11-28T10:00:00.000Z');
      for (let i = 0; i < 5; i++) {
        advance(10_000);
        await authenticate(keys, `Bearer ${secret}`, use);
      }
      expect(keys.touches).toHaveLength(1);
      advance(KEY_USE_RESOLUTION_MS - 50_000);
      await authenticate(keys, `Bearer ${secret}`, use);
      expect(keys.touches).toHaveLength(2);
      expect(keys.keys.get(record.keyHash)!.lastUsedAt).toBe('2026-11-28T10:01:00.000Z');
    });

    it('records nothing without a clock to record by, nor for a wrong key', async () => {
      const keys = new InMemoryApiKeyStore();
      const { secret } = await createApiKey({ keys, clock }, { name: 'ci', scope: 'full_access' });
      await authenticate(keys, `Bearer ${secret}`);
      await expect(authenticate(keys, 'Bearer ob_wrong', recording('2026-11-28T10:00:00.000Z').use)).rejects.toMatchObject({ kind: 'invalid_api_key' });
      expect(keys.touches).toHaveLength(0);
    });

    it('logs a failed write and still authenticates', async () => {
      const keys = new InMemoryApiKeyStore();
      const { record, secret } = await createApiKey({ keys, clock }, { name: 'ci', scope: 'sending_access' });
      keys.touchFailure = new Error('DynamoDB unavailable');
      const { use, logged } = recording('2026-11-28T10:00:00.000Z');
      await expect(authenticate(keys, `Bearer ${secret}`, use)).resolves.toEqual({ keyId: record.id, scope: 'sending_access' });
      expect(logged).toEqual([{ message: `Recording the use of API key ${record.id} failed`, error: keys.touchFailure }]);
    });
  });

  describe('update', () => {
    it('renames a key, keeping its secret and permission', async () => {
      const keys = new InMemoryApiKeyStore();
      const { record, secret } = await createApiKey({ keys, clock }, { name: 'old', scope: 'sending_access' });
      await expect(updateApiKey({ keys }, record.id, { name: '  billing  ' })).resolves.toEqual({ object: 'api_key', id: record.id });
      expect(keys.keys.get(record.keyHash)).toMatchObject({ name: 'billing', scope: 'sending_access', keyHash: hashApiKey(secret) });
    });

    it.each([
      [{ name: 'x', permission: 'full_access' }, 'validation', /`permission` is not a field of an API key update; the fields of an API key update are `name`/],
      [{ Name: 'x' }, 'validation', /`Name` \(did you mean `name`\?\) is not a field/],
      [{}, 'missing_field', /`name` of 1-50 characters/],
      [{ name: ' ' }, 'missing_field', /`name` of 1-50 characters/],
      [{ name: 'x'.repeat(51) }, 'missing_field', /`name` of 1-50 characters/],
      [{ name: 7 }, 'missing_field', /`name` of 1-50 characters/],
    ])('refuses %j as %s, changing nothing', async (body, kind, message) => {
      const keys = new InMemoryApiKeyStore();
      const { record } = await createApiKey({ keys, clock }, { name: 'old', scope: 'full_access' });
      await expect(updateApiKey({ keys }, record.id, body)).rejects.toMatchObject({ kind, message: expect.stringMatching(message) });
      expect(keys.keys.get(record.keyHash)!.name).toBe('old');
    });

    it.each(['019ad000-0000-7000-8000-000000000000', 'not-an-id'])('answers not found for the id %s', async (id) => {
      const keys = new InMemoryApiKeyStore();
      await createApiKey({ keys, clock }, { name: 'old', scope: 'full_access' });
      await expect(updateApiKey({ keys }, id, { name: 'new' })).rejects.toMatchObject({ kind: 'not_found' });
    });
  });

  describe('list', () => {
    async function fiveKeys() {
      const keys = new InMemoryApiKeyStore();
      const ids: string[] = [];
      for (let n = 0; n < 5; n++) {
        const { record } = await createApiKey({ keys, clock: fixedClock(new Date(Date.parse('2026-11-28T10:00:00.000Z') + n).toISOString()) }, { name: `k${n}`, scope: 'full_access' });
        ids.push(record.id);
      }
      return { keys, newestFirst: ids.reverse() };
    }
    const ids = (answer: { data: { id: string }[] }) => answer.data.map((key) => key.id);

    it('pages newest first with limit, after and before', async () => {
      const { keys, newestFirst } = await fiveKeys();
      const first = await listApiKeys({ keys }, { limit: '2' });
      expect(first).toMatchObject({ object: 'list', has_more: true });
      expect(ids(first)).toEqual(newestFirst.slice(0, 2));
      const second = await listApiKeys({ keys }, { limit: '2', after: newestFirst[1]! });
      expect(ids(second)).toEqual(newestFirst.slice(2, 4));
      expect(second.has_more).toBe(true);
      const last = await listApiKeys({ keys }, { limit: '2', after: newestFirst[3]! });
      expect(ids(last)).toEqual(newestFirst.slice(4));
      expect(last.has_more).toBe(false);
      const back = await listApiKeys({ keys }, { limit: '2', before: newestFirst[4]! });
      expect(ids(back)).toEqual(newestFirst.slice(2, 4));
      expect(back.has_more).toBe(true);
      expect(ids(await listApiKeys({ keys }, {}))).toEqual(newestFirst);
    });

    it('shows each key in the Resend shape with its last use, never its hash', async () => {
      const keys = new InMemoryApiKeyStore();
      const { record, secret } = await createApiKey({ keys, clock }, { name: 'ci', scope: 'sending_access' });
      const before = await listApiKeys({ keys }, {});
      expect(before.data).toEqual([{ id: record.id, name: 'ci', permission: 'sending_access', created_at: '2026-11-28T10:00:00.000Z', last_used_at: null }]);
      await authenticate(keys, `Bearer ${secret}`, { clock: fixedClock('2026-11-28T11:00:00.000Z'), log: () => undefined });
      expect((await listApiKeys({ keys }, {})).data[0]!.last_used_at).toBe('2026-11-28T11:00:00.000Z');
      expect(JSON.stringify(before)).not.toContain(record.keyHash);
    });

    it.each([
      [{ limit: '0' }, /`limit` must be a whole number from 1 to 100/],
      [{ limit: '101' }, /`limit` must be a whole number from 1 to 100/],
      [{ limit: 'ten' }, /`limit` must be a whole number from 1 to 100/],
      [{ after: 'key-1' }, /`after` must be the id of an API key/],
      [{ before: 'x' }, /`before` must be the id of an API key/],
      [{ after: '019ad000-0000-7000-8000-000000000000', before: '019ad000-0000-7000-8000-000000000001' }, /give `after` or `before`, not both/],
    ])('refuses %j', async (query, message) => {
      await expect(listApiKeys({ keys: new InMemoryApiKeyStore() }, query)).rejects.toMatchObject({ kind: 'validation', message: expect.stringMatching(message) });
    });
  });
});
