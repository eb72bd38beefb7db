import { authenticate, createApiKey, hashApiKey, requireFullAccess } from '../../lambda/core/api-keys';
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
});
