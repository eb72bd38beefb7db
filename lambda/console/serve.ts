import { createHash } from 'node:crypto';
import type { HttpResponse } from '../entrypoints/route';
import { CONSOLE_PATH, type ConsoleFile } from '../shared/console';

/**
 * The console page's Content-Security-Policy: its own script only (no inline script, no eval), the
 * API on the same origin only, nothing framing it. An email's HTML is shown in a sandboxed srcdoc
 * frame, which inherits this policy, so styles allow 'unsafe-inline' and images https and data:
 * URLs: without them an email's own `<style>` and `style=` would be refused and it would show
 * without its design (the frame's own policy narrows images further: remote ones only when asked).
 * Inline styles cost the page itself little: it never writes data as markup (text and attributes
 * only, no style attributes; see app/dom.ts), so nothing the API answers can become a style.
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https:",
  "connect-src 'self'",
  "frame-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** On every console answer. */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONSOLE_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // frame-ancestors' older equivalent, for browsers that predate it.
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
});

/** The page is revalidated on every load (a 304 while unchanged); hashed assets are cached for good. */
const PAGE_CACHE = 'no-cache';
const ASSET_CACHE = 'public, max-age=31536000, immutable';

/** The answer for a console path or method that does not exist, in Outbox's error shape. */
const NOT_FOUND_BODY = JSON.stringify({ statusCode: 404, name: 'not_found', message: 'The requested endpoint does not exist.' });

export interface ConsoleRequest {
  readonly method: string;
  /** The path as requested, without the stage. */
  readonly path: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** Answers a request for the console, or undefined when its path is not the console's. */
export type ConsoleServer = (request: ConsoleRequest) => HttpResponse | undefined;

/** Whether a path is the console's: `/console` and everything under `/console/`. */
export function isConsolePath(path: string): boolean {
  return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
}

/**
 * Serves the built console, the same way locally (local/http-server.ts) and deployed (the console
 * Lambda), with CONSOLE_SECURITY_HEADERS on every answer:
 * - `GET /console` redirects (301) to `console/`, relative, so the page's relative asset URLs
 *   resolve under a deployed stage's prefix (`/v1/console/`) as they do locally.
 * - `GET /console/` is the page (no-cache, with an ETag: If-None-Match gets a 304); `GET` of an
 *   asset's hashed name is the asset, cached for a year as immutable.
 * - Any other path under `/console/` is a 404, and any other method one too, as API Gateway
 *   answers a method the console's routes do not have, in Outbox's error shape.
 */
export function consoleServer(files: readonly ConsoleFile[]): ConsoleServer {
  const byPath = new Map(files.map((file) => [file.path, { file, etag: `"${createHash('sha256').update(file.body).digest('base64url').slice(0, 27)}"` }]));
  return (request) => {
    if (!isConsolePath(request.path)) return undefined;
    if (request.method !== 'GET') return notFound();
    if (request.path === CONSOLE_PATH) {
      return { status: 301, headers: { ...CONSOLE_SECURITY_HEADERS, location: `${CONSOLE_PATH.slice(1)}/`, 'cache-control': PAGE_CACHE }, body: '' };
    }
    const found = byPath.get(request.path);
    if (!found) return notFound();
    const headers = {
      ...CONSOLE_SECURITY_HEADERS,
      'content-type': found.file.contentType,
      'cache-control': found.file.immutable ? ASSET_CACHE : PAGE_CACHE,
      etag: found.etag,
    };
    if (matches(request.headers['if-none-match'], found.etag)) return { status: 304, headers, body: '' };
    return { status: 200, headers, body: found.file.body };
  };
}

/** The 404 of the console's routes, as API Gateway's own for a route it does not have. */
export function notFound(): HttpResponse {
  return { status: 404, headers: { ...CONSOLE_SECURITY_HEADERS, 'content-type': 'application/json', 'cache-control': 'no-store' }, body: NOT_FOUND_BODY };
}

/** If-None-Match: `*`, or a list of entity tags (weak ones compare by their opaque part). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
