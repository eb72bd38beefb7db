import { OutboxError, toErrorBody } from '../../lambda/core/errors';
import { fingerprintOf, validateIdempotencyKey, withIdempotency, type IdempotencyDeps, type StoredResponse } from '../../lambda/core/idempotency';
import type { Clock } from '../../lambda/core/ports';
import { InMemoryIdempotencyStore } from '../helpers/in-memory-scheduling';

const principal = { keyId: 'key-1', scope: 'full_access' as const };
const body = { from: 'a@acme.test', to: 'b@example.com', subject: 'Hi', text: 'Hello' };

function setup(start = '2026-11-28T10:00:00.000Z') {
  let now = Date.parse(start);
  const clock: Clock = { now: () => new Date(now) };
  const store = new InMemoryIdempotencyStore();
  const warnings: string[] = [];
  const deps: IdempotencyDeps = { idempotency: store, clock, warn: (message) => warnings.push(message) };
  let runs = 0;
  const run = async (): Promise<StoredResponse> => ({ status: 200, body: { id: `email-${++runs}` } });
  return { deps, store, warnings, run, runs: () => runs, advance: (ms: number) => (now += ms) };
}

async function errorOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return toErrorBody(error);
  }
  throw new Error('expected a rejection');
}

describe('fingerprintOf', () => {
  it('is the same for the same JSON with its keys in another order', () => {
    expect(fingerprintOf({ a: 1, b: { c: [1, { d: 2, e: 3 }] } })).toBe(fingerprintOf({ b: { c: [1, { e: 3, d: 2 }] }, a: 1 }));
  });

  it('differs when any value differs, including array order', () => {
    expect(fingerprintOf(body)).not.toBe(fingerprintOf({ ...body, text: 'Hello!' }));
    expect(fingerprintOf({ to: ['a', 'b'] })).not.toBe(fingerprintOf({ to: ['b', 'a'] }));
  });

  it('is a SHA-256 in hex', () => {
    expect(fingerprintOf(body)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('validateIdempotencyKey', () => {
  it.each([
    ['one character', 'a'],
    ['an entity path', 'welcome-user/123456789'],
    ['a UUID', '0f8fad5b-d9cb-469f-a165-70867728950e'],
    ['256 characters', 'x'.repeat(256)],
    ['spaces', 'with spaces ok'],
  ])('accepts a key of %s', (_what, key) => {
    expect(() => validateIdempotencyKey(key)).not.toThrow();
  });

  it.each([
    ['empty', ''],
    ['257 characters', 'x'.repeat(257)],
    ['non-ASCII', 'clé'],
    ['a control character', 'a\tb'],
  ])('refuses a key that is %s with 400 invalid_idempotency_key', (_what, key) => {
    let error: unknown;
    try {
      validateIdempotencyKey(key);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OutboxError);
    expect(toErrorBody(error)).toMatchObject({ statusCode: 400, name: 'invalid_idempotency_key' });
  });
});

describe('withIdempotency', () => {
  it('just runs when no key is given', async () => {
    const t = setup();
    await withIdempotency(t.deps, principal, 'POST /emails', undefined, body, t.run);
    await withIdempotency(t.deps, principal, 'POST /emails', undefined, body, t.run);
    expect(t.runs()).toBe(2);
    expect(t.store.records.size).toBe(0);
  });

  it('replays the first answer, status and body exactly, for the same key and body', async () => {
    const t = setup();
    const run = async () => ({ status: 201, body: { id: 'e1', nested: { list: [1, 2] } } });
    const first = await withIdempotency(t.deps, principal, 'POST /emails', 'k1', body, run);
    t.advance(60 * 60 * 1000);
    const again = await withIdempotency(t.deps, principal, 'POST /emails', 'k1', { ...body }, t.run);
    expect(again).toEqual(first);
    expect(t.runs()).toBe(0);
  });

  it('answers 409 invalid_idempotent_request for the same key with another body', async () => {
    const t = setup();
    await withIdempotency(t.deps, principal, 'POST /emails', 'k1', body, t.run);
    const error = await errorOf(withIdempotency(t.deps, principal, 'POST /emails', 'k1', { ...body, subject: 'Other' }, t.run));
    expect(error).toMatchObject({ statusCode: 409, name: 'invalid_idempotent_request' });
    expect(t.runs()).toBe(1);
  });

  it('answers 409 concurrent_idempotent_requests while the first request runs, then replays it', async () => {
    const t = setup();
    let finish!: () => void;
    const slow = () => new Promise<StoredResponse>((resolve) => (finish = () => resolve({ status: 200, body: { id: 'slow' } })));
    const first = withIdempotency(t.deps, principal, 'POST /emails', 'k1', body, slow);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await errorOf(withIdempotency(t.deps, principal, 'POST /emails', 'k1', body, t.run))).toMatchObject({
      statusCode: 409,
      name: 'concurrent_idempotent_requests',
    });
    finish();
    await expect(first).resolves.toEqual({ status: 200, body: { id: 'slow' } });
    await expect(withIdempotency(t.deps, principal, 'POST /emails', 'k1', body, t.run)).resolves.toEqual({ status: 200, body: { id: 'slow' } });
    expect(t.runs()).toBe(0);
  });

  it('runs once when many identical requests arrive together', async () => {
    const t = setup();
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => withIdempotency(t.deps, principal, 'POST /emails', 'k1', body, t.run)));
    expect(t.runs()).toBe(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') expect(outcome.value).toEqual({ status: 200, body: { id: 'email-1' } });
      else expect(toErrorBody(outcome.reason)).toMatchObject({ name: 'concurrent_idempotent_requests' });
    }
  });

  it('takes over a claim whose lock lapsed (its request died) after 60 seconds', async () => {
    const t = setup();
    void withIdempotency(t.deps, principal, 'POST /emails', 'k1', body, () => new Promise<StoredResponse>(() => undefined));
    await new Promise((resolve) => setImmediate(resolve));
    t.advance(59_000);
    expect(await errorOf(withIdempotency(t.deps, principal, 'POST /emails', 'k1', body, t.run))).toMatchObject({ name: 'concurrent_idempotent_requests' });
    t.advance(2_000);
    await expect(withIdempotency(t.deps, principal, 'POST /emails', 'k1', body, t.run)).resolves.toEqual({ status: 200, body: { id: 'email-1' } });
  });

  it('forgets a key after 24 hours', async () => {
    const t = setup();
    await withIdempotency(t.deps, principal, 'POST /emails', 'k1', body, t.run);
    t.advance(24 * 60 * 60 * 1000 - 1000);
    await withIdempotency(t.deps, principal, 'POST /emails', 'k1', body, t.run);
    expect(t.runs()).toBe(1);
    t.advance(1000);
    await expect(withIdempotency(t.deps, principal, 'POST /emails', 'k1', { other: 'body' }, t.run)).resolves.toEqual({ status: 200, body: { id: 'email-2' } });
  });

  it('releases the key when the request fails, so a corrected retry with the same key runs', async () => {
    const t = setup();
    const refused = async (): Promise<StoredResponse> => {
      throw new OutboxError('validation', 'bad');
    };
    await expect(withIdempotency(t.deps, principal, 'POST /emails', 'k1', { bad: true }, refused)).rejects.toMatchObject({ kind: 'validation' });
    expect(t.store.records.size).toBe(0);
    await expect(withIdempotency(t.deps, principal, 'POST /emails', 'k1', body, t.run)).resolves.toEqual({ status: 200, body: { id: 'email-1' } });
  });

  it('keeps no non-2xx answer', async () => {
    const t = setup();
    const answer = await withIdempotency(t.deps, principal, 'POST /emails', 'k1', body, async () => ({ status: 422, body: { name: 'validation_error' } }));
    expect(answer.status).toBe(422);
    expect(t.store.records.size).toBe(0);
  });

  it('scopes keys to the API key and the route', async () => {
    const t = setup();
    await withIdempotency(t.deps, principal, 'POST /emails', 'k1', body, t.run);
    await withIdempotency(t.deps, { keyId: 'key-2', scope: 'full_access' }, 'POST /emails', 'k1', { other: 1 }, t.run);
    await withIdempotency(t.deps, principal, 'POST /emails/batch', 'k1', [body], t.run);
    expect(t.runs()).toBe(3);
    expect([...t.store.records.keys()].sort()).toEqual(['key-1#POST /emails#k1', 'key-1#POST /emails/batch#k1', 'key-2#POST /emails#k1']);
  });

  it('answers with the email when storing the answer fails, and says so', async () => {
    const t = setup();
    t.store.complete = async () => {
      throw new Error('store down');
    };
    await expect(withIdempotency(t.deps, principal, 'POST /emails', 'k1', body, t.run)).resolves.toEqual({ status: 200, body: { id: 'email-1' } });
    expect(t.warnings[0]).toMatch(/could not store the answer/);
  });
});
