import { authenticate, createApiKey, listApiKeys, parseKeyName, parseScope, requireFullAccess, updateApiKey } from '../core/api-keys';
import { listEmails } from '../core/email-list';
import { toEmailView } from '../core/email-view';
import { OutboxError, toErrorBody } from '../core/errors';
import { sendEmail } from '../core/send-email';
import { idempotent } from './idempotent';
import { decodePathParameter, EMAIL_ID, parseJsonBody, parseJsonObject, principalOf, type ApiDeps, type Handler, type HttpRequest, type HttpResponse, type Route } from './route';
import { ACCOUNT_ROUTES } from './account-routes';
import { BATCH_ROUTES } from './batch-routes';
import { DELIVERABILITY_ROUTES } from './deliverability-routes';
import { DOMAIN_ROUTES } from './domain-routes';
import { RAW_EMAIL_ROUTES } from './raw-email-routes';
import { SCHEDULE_ROUTES } from './schedule-routes';
import { SENDING_ROUTES } from './sending-routes';
import { SUPPRESSION_ROUTES } from './suppression-routes';
import { WEBHOOK_ROUTES } from './webhook-routes';

export type { ApiDeps, HttpRequest, HttpResponse } from './route';

const ROUTES: readonly Route[] = [
  { pattern: /^\/health$/, public: true, methods: { GET: async () => ({ body: { status: 'ok' } }) } },
  {
    pattern: /^\/emails$/,
    methods: {
      POST: idempotent('POST /emails', async (deps, request) => ({
        body: await sendEmail({ ...deps, warn: deps.log }, principalOf(request), parseJsonBody(request)),
      })),
      GET: async (deps, request) => {
        requireFullAccess(principalOf(request));
        return { body: await listEmails(deps, request.query ?? {}) };
      },
    },
  },
  // Before /emails/{id}, so `raw` is never read as an id.
  ...RAW_EMAIL_ROUTES,
  ...BATCH_ROUTES,
  {
    pattern: new RegExp(`^/emails/${EMAIL_ID}$`),
    methods: {
      GET: async (deps, request, [id]) => {
        requireFullAccess(principalOf(request));
        const details = await deps.emails.get(id!);
        if (!details) throw new OutboxError('not_found', `Email ${id} not found.`);
        return { body: toEmailView(details) };
      },
    },
  },
  {
    pattern: /^\/api-keys$/,
    methods: {
      POST: async (deps, request) => {
        requireFullAccess(principalOf(request));
        const body = parseJsonObject(request);
        const { record, secret } = await createApiKey(deps, { name: parseKeyName(body.name), scope: parseScope(body.permission) });
        return { status: 201, body: { id: record.id, token: secret } };
      },
      GET: async (deps, request) => {
        requireFullAccess(principalOf(request));
        return { body: await listApiKeys(deps, request.query ?? {}) };
      },
    },
  },
  {
    pattern: /^\/api-keys\/([^/]+)$/,
    methods: {
      PATCH: async (deps, request, [id]) => {
        requireFullAccess(principalOf(request));
        return { body: await updateApiKey(deps, id!, parseJsonObject(request)) };
      },
      DELETE: async (deps, request, [id]) => {
        requireFullAccess(principalOf(request));
        if (!(await deps.keys.remove(id!))) throw new OutboxError('not_found', `API key ${id} not found.`);
        return { body: { object: 'api_key', id, deleted: true } };
      },
    },
  },
  ...ACCOUNT_ROUTES,
  ...DELIVERABILITY_ROUTES,
  ...DOMAIN_ROUTES,
  ...SCHEDULE_ROUTES,
  ...SENDING_ROUTES,
  ...SUPPRESSION_ROUTES,
  ...WEBHOOK_ROUTES,
];

/** Whether a path needs no API key (handleApiRequest authenticates every other one before handleHttp). */
export function isPublicRoute(path: string): boolean {
  return ROUTES.some((route) => route.public && route.pattern.test(path));
}

/**
 * Routes one request and answers in the Resend API's shapes. Never throws: every failure becomes
 * an error body with a stable name, and unexpected ones are logged and answered as a 500 without
 * details.
 */
export async function handleHttp(deps: ApiDeps, request: HttpRequest): Promise<HttpResponse> {
  try {
    const { handler, params } = resolve(request);
    const { status = 200, body } = await handler(deps, request, params);
    return json(status, body);
  } catch (error) {
    return errorAnswer(deps, request, error);
  }
}

/**
 * A request as a front end (the api Lambda, the local server) receives it: its API key checked
 * first, unless its route is public, then handled by handleHttp. So a request without a usable key
 * is refused before routing (401 `missing_api_key`, 403 `invalid_api_key`), whatever its path.
 * Never throws.
 */
export async function handleApiRequest(deps: ApiDeps, request: Omit<HttpRequest, 'principal'>): Promise<HttpResponse> {
  if (isPublicRoute(request.path)) return handleHttp(deps, request);
  try {
    const principal = await authenticate(deps.keys, request.headers.authorization, deps);
    return await handleHttp(deps, { ...request, principal });
  } catch (error) {
    return errorAnswer(deps, request, error);
  }
}

/** The error body for a failure; unexpected ones (not an OutboxError, or a 5xx) are logged. */
function errorAnswer(deps: ApiDeps, request: Pick<HttpRequest, 'method' | 'path'>, error: unknown): HttpResponse {
  if (!(error instanceof OutboxError) || error.status >= 500) {
    deps.log(`${request.method} ${request.path} failed`, error);
  }
  const body = toErrorBody(error);
  return json(body.statusCode, body);
}

/**
 * The first route whose pattern and method both match, so routes in different files may share a
 * path (`PATCH /emails/{id}` beside `GET /emails/{id}`). A path that matches only with other
 * methods answers 405 naming them.
 */
function resolve(request: HttpRequest): { handler: Handler; params: string[] } {
  const path = withoutTrailingSlashes(request.path);
  const method = request.method.toUpperCase();
  const allowed: string[] = [];
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    const handler = route.methods[method];
    if (handler) return { handler, params: match.slice(1).map((p) => decodePathParameter(p ?? '')) };
    allowed.push(...Object.keys(route.methods));
  }
  if (allowed.length > 0) {
    throw new OutboxError('method_not_allowed', `${request.method} is not allowed on ${path}; use ${[...new Set(allowed)].join(' or ')}.`);
  }
  throw new OutboxError('not_found', `There is no route ${request.method} ${path}.`);
}

/**
 * `/emails/` as `/emails`, but `/` stays itself. A loop, not `/\/+$/`: that pattern backtracks on
 * a path of many slashes not at its end (quadratic in the path's length).
 */
function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 0x2f) end--;
  return end === path.length ? path : path.slice(0, end);
}

function json(status: number, body: unknown): HttpResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
