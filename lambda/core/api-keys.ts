import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { OutboxError } from './errors';
import { isUuid, uuidv7 } from './ids';
import { BY_TIME_ORDERED_ID, pageNewestFirst, parseCursor, parseListLimit } from './list-query';
import type { ApiKeyStore, Clock } from './ports';
import { checkFields } from './send-request';

/** The Resend API's permissions: full access, or sending email only. */
export type ApiKeyScope = 'full_access' | 'sending_access';

export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly scope: ApiKeyScope;
  /** SHA-256 of the secret, hex. The secret itself is shown once and never stored. */
  readonly keyHash: string;
  readonly createdAt: string;
  /** When the key was last used, to within KEY_USE_RESOLUTION_MS; absent until it is. */
  readonly lastUsedAt?: string;
}

/** Who is calling, as the API key check established it. */
export interface Principal {
  readonly keyId: string;
  readonly scope: ApiKeyScope;
}

const KEY_PREFIX = 'ob_';

/**
 * How precise `last_used_at` is: a key's use is written only when the recorded one is older, so a
 * busy key costs one table write a minute, not one per request.
 */
export const KEY_USE_RESOLUTION_MS = 60_000;

/** What recording a key's use needs; without it (tools, tests) authentication records nothing. */
export interface KeyUseRecording {
  readonly clock: Clock;
  /** Reports a failed write; the request goes on regardless. */
  readonly log: (message: string, error?: unknown) => void;
}

/** An API key as the API shows it (`GET /api-keys`); never its secret or hash. */
export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly permission: ApiKeyScope;
  readonly created_at: string;
  readonly last_used_at: string | null;
}

export interface ApiKeyList {
  readonly object: 'list';
  readonly has_more: boolean;
  readonly data: ApiKeyView[];
}

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
export async function authenticate(keys: ApiKeyStore, authorization: string | undefined, use?: KeyUseRecording): Promise<Principal> {
  const secret = bearerToken(authorization);
  if (secret === undefined) {
    throw new OutboxError(
      'missing_api_key',
      'Missing API key in the Authorization header. Include `Authorization: Bearer <api key>`.',
    );
  }
  return authenticateSecret(keys, secret, use);
}

/**
 * The principal a bare API key (an SMTP password) stands for. The stored hash is compared in
 * constant time, and an unknown key costs the same comparison, so timing tells nothing.
 * With `use`, a key found is also recorded as used (see recordUse); that write never fails the
 * caller.
 */
export async function authenticateSecret(keys: ApiKeyStore, secret: string, use?: KeyUseRecording): Promise<Principal> {
  const presented = Buffer.from(hashApiKey(secret), 'hex');
  const record = await keys.findByHash(presented.toString('hex'));
  const stored = record ? Buffer.from(record.keyHash, 'hex') : Buffer.alloc(presented.length);
  if (!record || stored.length !== presented.length || !timingSafeEqual(stored, presented)) {
    throw new OutboxError('invalid_api_key', 'API key is invalid.');
  }
  if (use) await recordUse(keys, record, use);
  return { keyId: record.id, scope: record.scope };
}

/**
 * Writes the key's `lastUsedAt` when the recorded one is missing or at least
 * KEY_USE_RESOLUTION_MS old; otherwise writes nothing. The store's write is conditional on the
 * same age, so instances that race (or serve a cached record) write it once. A failure is logged
 * and swallowed: a request is never refused for it.
 */
async function recordUse(keys: ApiKeyStore, record: ApiKeyRecord, use: KeyUseRecording): Promise<void> {
  const now = use.clock.now().getTime();
  if (record.lastUsedAt !== undefined && now - Date.parse(record.lastUsedAt) < KEY_USE_RESOLUTION_MS) return;
  try {
    await keys.touch(record.keyHash, new Date(now).toISOString(), new Date(now - KEY_USE_RESOLUTION_MS).toISOString());
  } catch (error) {
    use.log(`Recording the use of API key ${record.id} failed`, error);
  }
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

/** A key's `name`, as create and update take it: 1-50 characters, trimmed. Throws `missing_field`. */
export function parseKeyName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 50) {
    throw new OutboxError('missing_field', 'Give the key a `name` of 1-50 characters.');
  }
  return value.trim();
}

const UPDATE_FIELDS = ['name'] as const;

/**
 * Renames a key (`PATCH /api-keys/{id}`, body `{ name }`, the SDK's `apiKeys.update`).
 * 1. Refuses any other field, naming it (checkFields), then checks `name` as create does.
 * 2. One conditional write: only while the key exists. Its secret and permission do not change.
 * Answers `{ object: 'api_key', id }`. Throws `validation`, `missing_field`, `not_found`.
 * Idempotent.
 */
export async function updateApiKey(deps: { keys: ApiKeyStore }, id: string, body: Record<string, unknown>): Promise<{ object: 'api_key'; id: string }> {
  const problems: string[] = [];
  checkFields(body, UPDATE_FIELDS, { prefix: '', noun: 'an API key update' }, (_kind, message) => problems.push(message));
  if (problems.length > 0) throw new OutboxError('validation', problems.join(' '));
  const name = parseKeyName(body.name);
  if (!isUuid(id) || !(await deps.keys.update(id, { name }))) throw new OutboxError('not_found', `API key ${id} not found.`);
  return { object: 'api_key', id };
}

/**
 * Lists keys (`GET /api-keys`), newest first by id (UUIDv7, so by creation), paged as every list
 * of the API: `limit` (1-100, default 20), `after` (older than that key) or `before` (newer), not
 * both. Reads every key and pages in memory: an account has few keys, and the table has no index
 * to page them in. Throws `validation` naming every problem. Read-only.
 */
export async function listApiKeys(deps: { keys: ApiKeyStore }, query: Readonly<Record<string, string>>): Promise<ApiKeyList> {
  const problems: string[] = [];
  const limit = parseListLimit(query, problems);
  const after = parseCursor(query, 'after', isUuid, 'an API key', problems);
  const before = parseCursor(query, 'before', isUuid, 'an API key', problems);
  if (after !== undefined && before !== undefined) problems.push('give `after` or `before`, not both');
  if (problems.length > 0) throw new OutboxError('validation', `${problems.join('; ')}.`);

  const newestFirst = (await deps.keys.list()).sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const { page, hasMore } = pageNewestFirst(newestFirst, limit, { after, before }, BY_TIME_ORDERED_ID);
  return { object: 'list', has_more: hasMore, data: page.map(toApiKeyView) };
}

function toApiKeyView(key: ApiKeyRecord): ApiKeyView {
  return { id: key.id, name: key.name, permission: key.scope, created_at: key.createdAt, last_used_at: key.lastUsedAt ?? null };
}
