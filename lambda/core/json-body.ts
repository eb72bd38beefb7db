import { BODY_TOO_LARGE_MESSAGE, MAX_REQUEST_BODY_BYTES } from '../shared/request-limits';
import { OutboxError } from './errors';

/**
 * The deepest nesting of arrays and objects a request body may have. The deepest legitimate body
 * is a batch: `[{ "template": { "variables": { ... } } }]`, four levels; 64 leaves room for any
 * field Outbox may take later and still keeps every walk over a body (validation, the
 * Idempotency-Key fingerprint, error messages quoting a value) far from the stack's limit.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Reads a request body as JSON, the one reader every route that takes a body uses:
 *
 * 1. no body, or only whitespace: 400 `malformed_body`;
 * 2. over MAX_REQUEST_BODY_BYTES: 413 `body_too_large` (local mode's front end refuses such bodies
 *    first; deployed, this is the refusal);
 * 3. arrays and objects nested deeper than MAX_JSON_DEPTH, found by one pass over the text before
 *    anything is built: 400 `malformed_body` stating the limit;
 * 4. not JSON: 400 `malformed_body`.
 *
 * Returns the parsed value (any JSON type; the route decides which it takes). Pure.
 */
export function readJsonBody(text: string | undefined): unknown {
  if (text === undefined || text.trim() === '') {
    throw new OutboxError('malformed_body', 'The request body is empty; send a JSON object with `Content-Type: application/json`.');
  }
  // A JavaScript string has at most 3 UTF-8 bytes per UTF-16 unit, so most bodies skip the count.
  if (text.length * 3 > MAX_REQUEST_BODY_BYTES && Buffer.byteLength(text, 'utf8') > MAX_REQUEST_BODY_BYTES) {
    throw new OutboxError('body_too_large', BODY_TOO_LARGE_MESSAGE);
  }
  if (nestingDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw new OutboxError(
      'malformed_body',
      `The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep, the most Outbox reads (an email needs at most 4).`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new OutboxError('malformed_body', 'The request body is not valid JSON.');
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Whether the text opens more than `maxDepth` arrays or objects at once, brackets inside strings
 * not counted. Text that is not JSON may be judged either way; JSON.parse refuses it next.
 */
export function nestingDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/** A JSON object: not null, not an array. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
