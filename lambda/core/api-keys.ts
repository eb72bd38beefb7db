import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { OutboxError } from './errors';
import type { ApiKeyStore, Clock } from './ports';
import { uuidv7 } from './ids';

/** The Resend API's permissions: full access, or sending email only. */
export type ApiKeyScope = 'full_access' | 'sending_access';

export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly scope: ApiKeyScope;
  /** SHA-256 of the secret, hex. The secret itself is shown once and never stored. */
  readonly keyHash: string;
  readonly createdAt: string;
}

/** Who is calling, as the API key check established it. */
export interface Principal {
  readonly keyId: string;
  readonly scope: ApiKeyScope;
}

const KEY_PREFIX = 'ob_';

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A new secret: a recognizable prefix and 32 random bytes. */
export function generateApiKeySecret(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * Creates an API key and returns its secret, which is shown only now.
 * Not idempotent: every call makes a new key.
 */
export async function createApiKey(
  deps: { keys: ApiKeyStore; clock: Clock },
  request: { name: string; scope: ApiKeyScope; secret?: string },
): Promise<{ record: ApiKeyRecord; secret: string }> {
  const secret = request.secret ?? generateApiKeySecret();
  const now = deps.clock.now();
  const record: ApiKeyRecord = {
    id: uuidv7(now.getTime()),
    name: request.name,
    scope: request.scope,
    keyHash: hashApiKey(secret),
    createdAt: now.toISOString(),
  };
  await deps.keys.create(record);
  return { record, secret };
}

/**
 * Authenticates an `Authorization: Bearer <key>` header.
 * Throws `missing_api_key` when there is none and `invalid_api_key` when it matches no key. The
 * lookup is by SHA-256 of the secret, and the stored hash is compared in constant time, so
 * neither the lookup nor the comparison reveals how much of a guess was right.
 */
export async function authenticate(keys: ApiKeyStore, authorization: string | undefined): Promise<Principal> {
  const secret = bearerToken(authorization);
  if (secret === undefined) {
    throw new OutboxError(
      'missing_api_key',
      'Missing API key in the Authorization header. Include `Authorization: Bearer <api key>`.',
    );
  }
  return authenticateSecret(keys, secret);
}

/**
 * The principal a bare API key (an SMTP password) stands for. The stored hash is compared in
 * constant time, and an unknown key costs the same comparison, so timing tells nothing.
 */
export async function authenticateSecret(keys: ApiKeyStore, secret: string): Promise<Principal> {
  const presented = Buffer.from(hashApiKey(secret), 'hex');
  const record = await keys.findByHash(presented.toString('hex'));
  const stored = record ? Buffer.from(record.keyHash, 'hex') : Buffer.alloc(presented.length);
  if (!record || stored.length !== presented.length || !timingSafeEqual(stored, presented)) {
    throw new OutboxError('invalid_api_key', 'API key is invalid.');
  }
  return { keyId: record.id, scope: record.scope };
}

function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? match[1] : undefined;
}

/** Throws `restricted_api_key` unless the principal has full access. */
export function requireFullAccess(principal: Principal): void {
  if (principal.scope !== 'full_access') {
    throw new OutboxError('restricted_api_key', 'This API key is restricted to only send emails.');
  }
}

export function parseScope(value: unknown): ApiKeyScope {
  if (value === undefined || value === null) return 'full_access';
  if (value === 'full_access' || value === 'sending_access') return value;
  throw new OutboxError('validation', '`permission` must be `full_access` or `sending_access`.');
}
