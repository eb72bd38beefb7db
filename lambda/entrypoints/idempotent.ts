import { withIdempotency } from '../core/idempotency';
import { readJsonBody } from '../core/json-body';
import { principalOf, type Handler, type HttpRequest } from './route';

/** The header the Resend SDK sends (`idempotencyKey` option); front ends lower-case header names. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/**
 * Wraps a POST route's handler with Idempotency-Key (see withIdempotency): without the header the
 * handler just runs; with it, the request runs once per key within 24 hours and retries get the
 * first answer. `route` names the key's namespace (`POST /emails`), and `fingerprintHeaders` are
 * request headers that change the outcome and so count as part of the request (the batch's
 * `x-batch-validation`).
 */
export function idempotent(route: string, handler: Handler, fingerprintHeaders: readonly string[] = []): Handler {
  return async (deps, request, params) => {
    const key = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (key === undefined) return handler(deps, request, params);
    const whatCounts = {
      body: bodyOf(request),
      headers: Object.fromEntries(fingerprintHeaders.map((name) => [name, request.headers[name] ?? null])),
    };
    return withIdempotency({ idempotency: deps.idempotency, clock: deps.clock, warn: deps.log }, principalOf(request), route, key, whatCounts, async () => {
      const { status = 200, body } = await handler(deps, request, params);
      return { status, body };
    });
  };
}

/**
 * The body as the route's reader reads it (readJsonBody, with its size and depth limits), so
 * formatting and key order do not matter; the text itself if the reader refuses it (the route then
 * refuses the request with the reader's error, and the key is released).
 */
function bodyOf(request: HttpRequest): unknown {
  if (request.body === undefined) return null;
  try {
    return readJsonBody(request.body);
  } catch {
    return request.body;
  }
}
