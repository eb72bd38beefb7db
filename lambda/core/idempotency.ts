import { createHash, randomUUID } from 'node:crypto';
import type { Principal } from './api-keys';
import { OutboxError } from './errors';
import type { Clock } from './ports';

/**
 * Idempotency-Key with the Resend API's semantics (its docs, "Idempotency Keys"):
 *
 * - keys are 1-256 characters (Outbox: printable ASCII, as an HTTP header value must be), else
 *   400 `invalid_idempotency_key`;
 * - a key lives 24 hours and belongs to one API key and one route;
 * - the same key with the same body replays the first answer (status and body) and sends nothing;
 * - the same key with another body: 409 `invalid_idempotent_request`;
 * - the same key while the first request still runs: 409 `concurrent_idempotent_requests` (safe to
 *   retry later: the retry gets the replay).
 *
 * Only successful (2xx) answers are kept. A failed request (invalid body, suppressed recipients, SES
 * refusal or outage) sent nothing, so its key is released and the client can fix the request and
 * retry with the same key. Resend describes its check as "has an email with this key already been
 * sent", which is the same rule.
 */

/** How long a key is remembered (Resend: 24 hours). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/**
 * How long a claim blocks other requests before it is presumed dead (its Lambda crashed). Longer
 * than the HTTP API's 30 s integration timeout, so a live request never loses its claim.
 */
export const IDEMPOTENCY_LOCK_MS = 60_000;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;
const KEY_PATTERN = /^[\x20-\x7e]+$/;

/** The answer kept for replay. */
export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

/** What the store keeps per key. `expiresAt` is epoch seconds, `lockedUntil` epoch milliseconds. */
export type IdempotencyRecord =
  | { readonly state: 'in_progress'; readonly fingerprint: string; readonly owner: string; readonly expiresAt: number; readonly lockedUntil: number }
  | { readonly state: 'done'; readonly fingerprint: string; readonly expiresAt: number; readonly response: StoredResponse };

/** Where Idempotency-Key records live. Every write is one conditional single-item write. */
export interface IdempotencyStore {
  /**
   * Claims the key for one request: writes an `in_progress` record unless a live record holds the
   * key (one that has not expired and is either `done` or `in_progress` with an unexpired lock).
   * Returns false when the key is held.
   */
  claim(key: string, record: Extract<IdempotencyRecord, { state: 'in_progress' }>, now: Date): Promise<boolean>;
  /** The record, or undefined when absent or expired (expired records count as absent). */
  find(key: string, now: Date): Promise<IdempotencyRecord | undefined>;
  /** Stores the answer, if `owner` still holds the claim; returns false when it does not. */
  complete(key: string, owner: string, response: StoredResponse): Promise<boolean>;
  /** Deletes the claim, if `owner` still holds it, so the key can be used again. */
  release(key: string, owner: string): Promise<void>;
}

export interface IdempotencyDeps {
  readonly idempotency: IdempotencyStore;
  readonly clock: Clock;
  /** Reports a failure that does not change the answer. */
  readonly warn?: (message: string, error: unknown) => void;
}

/** Throws `invalid_idempotency_key` unless the key is 1-256 printable ASCII characters. */
export function validateIdempotencyKey(key: string): void {
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !KEY_PATTERN.test(key)) {
    throw new OutboxError(
      'invalid_idempotency_key',
      `The Idempotency-Key header must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters (a UUID works well); got ${key.length} characters${key.length > 0 && !KEY_PATTERN.test(key) ? ' with characters outside printable ASCII' : ''}. Retry with a valid key, or without one.`,
    );
  }
}

/**
 * The SHA-256 of the body as canonical JSON (object keys sorted, so the same email written with its
 * fields in another order is the same request). A body that is not JSON is hashed as given.
 */
export function fingerprintOf(body: unknown): string {
  return createHash('sha256').update(typeof body === 'string' ? `raw:${body}` : `json:${canonicalJson(body)}`).digest('hex');
}

/**
 * JSON with object keys sorted (by UTF-16 code units) and undefined members left out. Iterative,
 * with a stack of what is still to write, so no depth of nesting can exhaust the call stack (the
 * request reader already refuses bodies nested over MAX_JSON_DEPTH; this holds for any caller).
 */
export function canonicalJson(root: unknown): string {
  const out: string[] = [];
  // Popped from the end: a string is written as it is, a `{ value }` is written as JSON.
  const todo: ({ readonly value: unknown } | string)[] = [{ value: root }];
  while (todo.length > 0) {
    const next = todo.pop()!;
    if (typeof next === 'string') {
      out.push(next);
      continue;
    }
    const { value } = next;
    if (Array.isArray(value)) {
      todo.push(']');
      for (let i = value.length - 1; i >= 0; i--) {
        todo.push({ value: value[i] as unknown });
        if (i > 0) todo.push(',');
      }
      todo.push('[');
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      todo.push('}');
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i]!;
        todo.push({ value: v }, `${JSON.stringify(k)}:`);
        if (i > 0) todo.push(',');
      }
      todo.push('{');
    } else {
      out.push(JSON.stringify(value) ?? 'null');
    }
  }
  return out.join('');
}

/** The store key: one namespace per API key and route, so keys never collide across them. */
export function idempotencyStoreKey(principal: Principal, route: string, key: string): string {
  return `${principal.keyId}#${route}#${key}`;
}

/**
 * Runs `run` at most once per Idempotency-Key within 24 hours.
 *
 * 1. No key: just run.
 * 2. Check the key's format (400 `invalid_idempotency_key`).
 * 3. Claim the key with a conditional write of `in_progress` (fingerprint, 24 h expiry, 60 s lock).
 * 4. Claimed: run. A 2xx answer is stored as `done` for replay; a failure (thrown or non-2xx)
 *    releases the key and is passed on unchanged.
 * 5. Not claimed: read the record. Another body: 409 `invalid_idempotent_request`. `done`: the
 *    stored answer, exactly. `in_progress`: 409 `concurrent_idempotent_requests`. Gone in between
 *    (expired, or released by a failed first request): claim again.
 *
 * Idempotent by construction; concurrent duplicates run `run` once, because only one conditional
 * write can create the record.
 */
export async function withIdempotency(
  deps: IdempotencyDeps,
  principal: Principal,
  route: string,
  key: string | undefined,
  body: unknown,
  run: () => Promise<StoredResponse>,
): Promise<StoredResponse> {
  if (key === undefined) return run();
  validateIdempotencyKey(key);
  const storeKey = idempotencyStoreKey(principal, route, key);
  const fingerprint = fingerprintOf(body);
  const owner = randomUUID();

  // Bounded: each lap means the record vanished between the failed claim and the read.
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = deps.clock.now();
    const claim = {
      state: 'in_progress' as const,
      fingerprint,
      owner,
      expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
      lockedUntil: now.getTime() + IDEMPOTENCY_LOCK_MS,
    };
    if (await deps.idempotency.claim(storeKey, claim, now)) {
      return runClaimed(deps, storeKey, owner, run);
    }
    const existing = await deps.idempotency.find(storeKey, now);
    if (!existing) continue;
    if (existing.fingerprint !== fingerprint) {
      throw new OutboxError(
        'idempotency_key_reused',
        'This Idempotency-Key was already used for a request with a different body in the last 24 hours. Use a new key for a new request; retry only the same body with the same key.',
      );
    }
    if (existing.state === 'done') return existing.response;
    if (existing.lockedUntil > now.getTime()) break;
  }
  throw new OutboxError(
    'concurrent_idempotent_requests',
    'Another request with the same Idempotency-Key is still in progress. Retry in a moment with the same key to get its answer.',
  );
}

async function runClaimed(deps: IdempotencyDeps, storeKey: string, owner: string, run: () => Promise<StoredResponse>): Promise<StoredResponse> {
  let response: StoredResponse;
  try {
    response = await run();
  } catch (error) {
    await release(deps, storeKey, owner);
    throw error;
  }
  if (response.status < 200 || response.status > 299) {
    await release(deps, storeKey, owner);
    return response;
  }
  // The email is already accepted: a failure to store the answer must not turn it into an error
  // (the client would retry). One retry; past that the claim lapses after its lock and a retry
  // with the key could send again, which the warning makes visible.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      if (!(await deps.idempotency.complete(storeKey, owner, response))) {
        deps.warn?.(`idempotency record ${storeKey} was taken over before its answer was stored`, undefined);
      }
      return response;
    } catch (error) {
      if (attempt === 1) deps.warn?.(`could not store the answer for idempotency record ${storeKey}`, error);
    }
  }
  return response;
}

async function release(deps: IdempotencyDeps, storeKey: string, owner: string): Promise<void> {
  try {
    await deps.idempotency.release(storeKey, owner);
  } catch (error) {
    // The claim lapses by itself after IDEMPOTENCY_LOCK_MS.
    deps.warn?.(`could not release idempotency record ${storeKey}`, error);
  }
}
