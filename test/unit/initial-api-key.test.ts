import { authenticate, createApiKey, hashApiKey } from '../../lambda/core/api-keys';
import { ResourceFailure, type ResourceRequest } from '../../lambda/core/custom-resource';
import {
  applyInitialApiKey,
  INITIAL_KEY_NAME,
  parseInitialKeySecret,
  readInitialApiKeyProperties,
  type InitialApiKeyProperties,
  type SecretStore,
} from '../../lambda/core/initial-api-key';
import { fixedClock, InMemoryApiKeyStore } from '../helpers/in-memory';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:InitialApiKeySecret-AbCdEf';

/** Secret values in memory; `failWrites` makes the nth write (1-based) and later ones throw. */
class InMemorySecretStore implements SecretStore {
  readonly values = new Map<string, string>();
  readonly writes: string[] = [];
  failWrites?: { from: number; error: Error };

  async read(secretId: string): Promise<string | undefined> {
    return this.values.get(secretId);
  }

  async write(secretId: string, value: string): Promise<void> {
    if (this.failWrites && this.writes.length + 1 >= this.failWrites.from) throw this.failWrites.error;
    this.writes.push(value);
    this.values.set(secretId, value);
  }
}

function request(overrides: Partial<ResourceRequest<InitialApiKeyProperties>> & Pick<ResourceRequest<InitialApiKeyProperties>, 'type'>): ResourceRequest<InitialApiKeyProperties> {
  return {
    stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Outbox/1',
    requestId: 'req-1',
    logicalResourceId: 'InitialApiKey',
    properties: { tableName: 'Outbox-ApiKeys', secretId: SECRET },
    ...overrides,
  };
}

describe('applyInitialApiKey', () => {
  let keys: InMemoryApiKeyStore;
  let secrets: InMemorySecretStore;
  const clock = fixedClock('2026-12-02T10:00:00.000Z');
  const deps = (): Parameters<typeof applyInitialApiKey>[0] => ({ keys, secrets, clock });
  const held = () => parseInitialKeySecret(secrets.values.get(SECRET));

  beforeEach(() => {
    keys = new InMemoryApiKeyStore();
    secrets = new InMemorySecretStore();
    // What CloudFormation puts in a new secret: a random placeholder.
    secrets.values.set(SECRET, 'Zq8#v!x2R0o^P9w&kLm4@Tb7');
  });

  it('makes one full-access key named initial and keeps it in the secret, which the API accepts', async () => {
    const outcome = await applyInitialApiKey(deps(), request({ type: 'Create' }));

    const [record] = await keys.list();
    expect(await keys.list()).toHaveLength(1);
    expect(record).toMatchObject({ name: INITIAL_KEY_NAME, scope: 'full_access', createdAt: '2026-12-02T10:00:00.000Z' });
    expect(outcome).toEqual({ physicalResourceId: record!.id, data: { KeyId: record!.id } });
    expect(JSON.parse(secrets.values.get(SECRET)!)).toEqual({
      id: record!.id,
      name: 'initial',
      permission: 'full_access',
      token: expect.stringMatching(/^ob_/),
      created_at: '2026-12-02T10:00:00.000Z',
    });
    expect(await authenticate(keys, `Bearer ${held()!.token}`)).toEqual({ keyId: record!.id, scope: 'full_access' });
  });

  it('writes the key to the secret before storing its record, and then again with its id', async () => {
    await applyInitialApiKey(deps(), request({ type: 'Create' }));
    expect(secrets.writes.map((value) => Object.keys(JSON.parse(value)).sort())).toEqual([
      ['name', 'permission', 'token'],
      ['created_at', 'id', 'name', 'permission', 'token'],
    ]);
  });

  it('answers a retried Create with the same key and makes no second one', async () => {
    const first = await applyInitialApiKey(deps(), request({ type: 'Create' }));
    const token = held()!.token;
    const retried = await applyInitialApiKey(deps(), request({ type: 'Create', requestId: 'req-1' }));

    expect(retried).toEqual(first);
    expect(await keys.list()).toHaveLength(1);
    expect(held()!.token).toBe(token);
    expect(secrets.writes).toHaveLength(2);
  });

  it('finishes the same key when a Create stopped after writing the secret and before storing the record', async () => {
    secrets.failWrites = undefined;
    secrets.values.set(SECRET, JSON.stringify({ name: 'initial', permission: 'full_access', token: 'ob_pending-token' }));

    const outcome = await applyInitialApiKey(deps(), request({ type: 'Create' }));

    expect(await keys.list()).toEqual([expect.objectContaining({ id: outcome.physicalResourceId, keyHash: hashApiKey('ob_pending-token') })]);
    expect(held()).toMatchObject({ id: outcome.physicalResourceId, token: 'ob_pending-token' });
  });

  it('completes the secret when a Create stopped after storing the record', async () => {
    const { record } = await createApiKey({ keys, clock }, { name: 'initial', scope: 'full_access', secret: 'ob_stored-token' });
    secrets.values.set(SECRET, JSON.stringify({ name: 'initial', permission: 'full_access', token: 'ob_stored-token' }));

    const outcome = await applyInitialApiKey(deps(), request({ type: 'Create' }));

    expect(outcome.physicalResourceId).toBe(record.id);
    expect(await keys.list()).toHaveLength(1);
    expect(held()).toMatchObject({ id: record.id, token: 'ob_stored-token' });
  });

  it('never brings back a key that was revoked: the secret gets a new one', async () => {
    const first = await applyInitialApiKey(deps(), request({ type: 'Create' }));
    const revokedToken = held()!.token;
    await keys.remove(first.physicalResourceId);

    const second = await applyInitialApiKey(deps(), request({ type: 'Update', physicalResourceId: first.physicalResourceId }));

    expect(second.physicalResourceId).not.toBe(first.physicalResourceId);
    expect(held()!.token).not.toBe(revokedToken);
    await expect(authenticate(keys, `Bearer ${revokedToken}`)).rejects.toMatchObject({ kind: 'invalid_api_key' });
  });

  it('keeps the key and its id on an Update that finds it in place', async () => {
    const first = await applyInitialApiKey(deps(), request({ type: 'Create' }));
    const updated = await applyInitialApiKey(deps(), request({ type: 'Update', physicalResourceId: first.physicalResourceId }));
    expect(updated.physicalResourceId).toBe(first.physicalResourceId);
    expect(await keys.list()).toHaveLength(1);
  });

  it('revokes the key on Delete, and a repeated Delete still succeeds', async () => {
    const created = await applyInitialApiKey(deps(), request({ type: 'Create' }));
    const token = held()!.token;

    await applyInitialApiKey(deps(), request({ type: 'Delete', physicalResourceId: created.physicalResourceId }));
    await applyInitialApiKey(deps(), request({ type: 'Delete', physicalResourceId: created.physicalResourceId }));

    expect(await keys.list()).toEqual([]);
    await expect(authenticate(keys, `Bearer ${token}`)).rejects.toMatchObject({ kind: 'invalid_api_key' });
  });

  it('revokes only its own key on Delete, not other keys', async () => {
    const created = await applyInitialApiKey(deps(), request({ type: 'Create' }));
    await createApiKey({ keys, clock }, { name: 'production', scope: 'sending_access' });
    await applyInitialApiKey(deps(), request({ type: 'Delete', physicalResourceId: created.physicalResourceId }));
    expect((await keys.list()).map((k) => k.name)).toEqual(['production']);
  });

  it('after a Create that failed, revokes the initial key its secret holds', async () => {
    secrets.failWrites = { from: 2, error: new Error('Service unavailable') };
    await expect(applyInitialApiKey(deps(), request({ type: 'Create' }))).rejects.toBeInstanceOf(ResourceFailure);
    expect(await keys.list()).toHaveLength(1);

    await applyInitialApiKey(deps(), request({ type: 'Delete', physicalResourceId: 'InitialApiKey-create-failed-req-1' }));
    expect(await keys.list()).toEqual([]);
  });

  it('after a Create that failed, leaves alone a key in the secret that is not the initial key', async () => {
    await createApiKey({ keys, clock }, { name: 'production', scope: 'full_access', secret: 'ob_production' });
    secrets.values.set(SECRET, JSON.stringify({ token: 'ob_production' }));
    await applyInitialApiKey(deps(), request({ type: 'Delete', physicalResourceId: 'InitialApiKey-create-failed-req-1' }));
    expect(await keys.list()).toHaveLength(1);
  });

  it('fails with a Reason naming the step and the service error', async () => {
    secrets.failWrites = { from: 1, error: Object.assign(new Error('User is not authorized to perform: secretsmanager:PutSecretValue'), { name: 'AccessDeniedException' }) };
    const failure = await applyInitialApiKey(deps(), request({ type: 'Create' })).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ResourceFailure);
    expect((failure as Error).message).toBe(
      `Could not write the secret ${SECRET}: AccessDeniedException: User is not authorized to perform: secretsmanager:PutSecretValue. Deploy again once that is fixed.`,
    );
    expect(await keys.list()).toEqual([]);
  });
});

describe('parseInitialKeySecret', () => {
  it('reads the JSON the resource writes and nothing else', () => {
    expect(parseInitialKeySecret('{"id":"k","name":"initial","permission":"full_access","token":"ob_x","created_at":"t"}')).toEqual({
      id: 'k',
      name: 'initial',
      permission: 'full_access',
      token: 'ob_x',
      created_at: 't',
    });
    expect(parseInitialKeySecret(undefined)).toBeUndefined();
    expect(parseInitialKeySecret('not json')).toBeUndefined();
    expect(parseInitialKeySecret('"ob_x"')).toBeUndefined();
    expect(parseInitialKeySecret('{"token":""}')).toBeUndefined();
  });
});

describe('readInitialApiKeyProperties', () => {
  it('reads the table and the secret, and names a missing one', () => {
    expect(readInitialApiKeyProperties({ ApiKeysTableName: 't', SecretArn: 's' })).toEqual({ tableName: 't', secretId: 's' });
    expect(() => readInitialApiKeyProperties({ ApiKeysTableName: 't', SecretArn: ['s'] })).toThrow(
      'The initial API key resource needs the property SecretArn (a non-empty string); the template gave a list.',
    );
  });
});
