import { INITIAL_API_KEY_RESOURCE } from '../shared/custom-resources';
import { createApiKey, generateApiKeySecret, hashApiKey, type ApiKeyRecord } from './api-keys';
import { requiredString, resourceStep, secretObject, type ResourceOutcome, type ResourceRequest } from './custom-resource';
import { isUuid } from './ids';
import type { ApiKeyStore, Clock } from './ports';

/**
 * The first API key as a custom resource: made at deploy time with full access, its secret kept in
 * a Secrets Manager secret of the stack, revoked when the resource is deleted. The api-keys table
 * keeps only the key's hash, as for every key.
 */

/** Where a secret's value is kept (Secrets Manager in AWS). */
export interface SecretStore {
  /** The secret's current value; undefined when the secret or its value does not exist. */
  read(secretId: string): Promise<string | undefined>;
  /** Stores a new current value. */
  write(secretId: string, value: string): Promise<void>;
}

/** The name the first key is listed under (GET /api-keys, `npm run keys -- list`). */
export const INITIAL_KEY_NAME = INITIAL_API_KEY_RESOURCE.keyName;

export interface InitialApiKeyProperties {
  readonly tableName: string;
  /** The secret's ARN. */
  readonly secretId: string;
}

/** Reads the resource's properties: ApiKeysTableName and SecretArn. */
export function readInitialApiKeyProperties(properties: Readonly<Record<string, unknown>>): InitialApiKeyProperties {
  return {
    tableName: requiredString(properties, INITIAL_API_KEY_RESOURCE.properties.apiKeysTableName, 'initial API key'),
    secretId: requiredString(properties, INITIAL_API_KEY_RESOURCE.properties.secretArn, 'initial API key'),
  };
}

/**
 * The secret's value, JSON. Written once without `id` before the key's record exists (so a retry
 * after a crash finishes the same key instead of making a second), then again with `id`.
 */
export interface InitialKeySecret {
  readonly id?: string;
  readonly name: string;
  readonly permission: 'full_access';
  /** The API key itself: `Authorization: Bearer <token>`. */
  readonly token: string;
  readonly created_at?: string;
}

/** Reads a secret value as an InitialKeySecret; anything else (such as the value the secret was made with) is undefined. */
export function parseInitialKeySecret(value: string | undefined): InitialKeySecret | undefined {
  const candidate = secretObject(value);
  if (!candidate) return undefined;
  if (typeof candidate.token !== 'string' || candidate.token === '') return undefined;
  return {
    ...(typeof candidate.id === 'string' ? { id: candidate.id } : {}),
    name: typeof candidate.name === 'string' ? candidate.name : INITIAL_KEY_NAME,
    permission: 'full_access',
    token: candidate.token,
    ...(typeof candidate.created_at === 'string' ? { created_at: candidate.created_at } : {}),
  };
}

export interface InitialApiKeyDeps {
  readonly keys: ApiKeyStore;
  readonly secrets: SecretStore;
  readonly clock: Clock;
}

/**
 * Applies one lifecycle request to the first API key:
 * 1. Create and Update: read the secret. If it holds a key whose record exists, that key is the
 *    answer (a retried Create makes no second key). If it holds a key written before its record
 *    (a Create that stopped half-way), the record is made for that same key. Otherwise (a fresh
 *    secret, or a key revoked since, or another table) a new full-access key named "initial" is
 *    made with createApiKey: its secret written first, then its record, then the secret again
 *    with the key's id. A revoked key is never brought back.
 * 2. Delete: revokes the key (removes its record), so no full-access key outlives the secret that
 *    is its only copy. After a Create that never answered success, the key the secret holds is
 *    revoked if it is the initial key.
 * The physical id is the key's id; the KeyId attribute too. Every failure is a ResourceFailure.
 */
export async function applyInitialApiKey(deps: InitialApiKeyDeps, request: ResourceRequest<InitialApiKeyProperties>): Promise<ResourceOutcome> {
  const { secretId } = request.properties;
  if (request.type === 'Delete') {
    const physicalId = request.physicalResourceId ?? '';
    if (isUuid(physicalId)) {
      await resourceStep(`revoke the initial API key ${physicalId}`, () => deps.keys.remove(physicalId));
      return { physicalResourceId: physicalId };
    }
    const held = parseInitialKeySecret(await resourceStep(`read the secret ${secretId}`, () => deps.secrets.read(secretId)));
    const record = held && (await resourceStep('look up the initial API key', () => deps.keys.findByHash(hashApiKey(held.token))));
    if (record && record.name === INITIAL_KEY_NAME) await resourceStep(`revoke the initial API key ${record.id}`, () => deps.keys.remove(record.id));
    return { physicalResourceId: physicalId || `none:${request.logicalResourceId}` };
  }

  const held = parseInitialKeySecret(await resourceStep(`read the secret ${secretId}`, () => deps.secrets.read(secretId)));
  if (held) {
    const record = await resourceStep('look up the initial API key', () => deps.keys.findByHash(hashApiKey(held.token)));
    if (record) {
      if (held.id !== record.id) await writeSecret(deps, secretId, record, held.token);
      return answer(record);
    }
    if (held.id === undefined) return finish(deps, secretId, held.token);
  }
  const token = generateApiKeySecret();
  const pending: InitialKeySecret = { name: INITIAL_KEY_NAME, permission: 'full_access', token };
  await resourceStep(`write the secret ${secretId}`, () => deps.secrets.write(secretId, JSON.stringify(pending)));
  return finish(deps, secretId, token);
}

async function finish(deps: InitialApiKeyDeps, secretId: string, token: string): Promise<ResourceOutcome> {
  const { record } = await resourceStep('store the initial API key', () =>
    createApiKey({ keys: deps.keys, clock: deps.clock }, { name: INITIAL_KEY_NAME, scope: 'full_access', secret: token }),
  );
  await writeSecret(deps, secretId, record, token);
  return answer(record);
}

function writeSecret(deps: InitialApiKeyDeps, secretId: string, record: ApiKeyRecord, token: string): Promise<void> {
  const value: InitialKeySecret = { id: record.id, name: record.name, permission: 'full_access', token, created_at: record.createdAt };
  return resourceStep(`write the secret ${secretId}`, () => deps.secrets.write(secretId, JSON.stringify(value)));
}

function answer(record: ApiKeyRecord): ResourceOutcome {
  return { physicalResourceId: record.id, data: { [INITIAL_API_KEY_RESOURCE.attributes.keyId]: record.id } };
}
