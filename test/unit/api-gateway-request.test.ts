import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { Resend } from 'resend';
import { createApiKey } from '../../lambda/core/api-keys';
import { handleApiGatewayEvent, toHttpRequest } from '../../lambda/entrypoints/api-gateway';
import { BODY_TOO_LARGE_MESSAGE, MAX_REQUEST_BODY_BYTES } from '../../lambda/shared/request-limits';
import { inMemoryApi } from '../helpers/in-memory-api';

/** An HTTP API payload format 2.0 event, as the `$default` route hands it to the api Lambda. */
function event(overrides: { method?: string; path?: string; query?: string; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean } = {}): APIGatewayProxyEventV2 {
  const path = overrides.path ?? '/health';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: overrides.query ?? '',
    headers: overrides.headers ?? {},
    requestContext: { http: { method: overrides.method ?? 'GET', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' } } as APIGatewayProxyEventV2['requestContext'],
    isBase64Encoded: overrides.isBase64Encoded ?? false,
    ...(overrides.body !== undefined ? { body: overrides.body } : {}),
  };
}

async function answer(api: ReturnType<typeof inMemoryApi>, request: APIGatewayProxyEventV2): Promise<{ status: number; body: Record<string, unknown> }> {
  const result = (await handleApiGatewayEvent(api.deps, request)) as APIGatewayProxyStructuredResultV2;
  expect(result.headers).toMatchObject({ 'content-type': 'application/json' });
  return { status: result.statusCode!, body: JSON.parse(result.body!) as Record<string, unknown> };
}

describe('toHttpRequest (HTTP API payload format 2.0)', () => {
  it('escapes each % of the path, which the HTTP API has already decoded, so the router decodes nothing twice', () => {
    expect(toHttpRequest(event({ path: '/suppressions/someone@example.com' })).path).toBe('/suppressions/someone@example.com');
    // A client's %2541 arrives decoded as %41; it must stay %41, not become A.
    expect(toHttpRequest(event({ path: '/webhooks/%41' })).path).toBe('/webhooks/%2541');
  });

  it('reads the raw query string as the local server does: the last of a repeated name wins', () => {
    expect(toHttpRequest(event({ path: '/emails', query: 'limit=5&limit=7&after=a%2Cb' })).query).toEqual({ limit: '7', after: 'a,b' });
  });

  it('reads a base64 body as UTF-8, bytes that are not UTF-8 as U+FFFD', () => {
    expect(toHttpRequest(event({ body: Buffer.from('{"a":"✉"}').toString('base64'), isBase64Encoded: true })).body).toBe('{"a":"✉"}');
    expect(toHttpRequest(event({ body: Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), isBase64Encoded: true })).body).toBe('{\ufffd}');
  });

  it('reads an event missing its parts (as a console test event may) as absent, never throwing', () => {
    expect(toHttpRequest({ rawPath: '/health' } as unknown as APIGatewayProxyEventV2)).toEqual({ method: 'GET', path: '/health', headers: {}, query: {} });
    expect(toHttpRequest({} as APIGatewayProxyEventV2)).toEqual({ method: 'GET', path: '/', headers: {}, query: {} });
  });

  it('fits the largest body Outbox takes, with headers at the HTTP API\'s 10 KB, inside Lambda\'s 6 MB request cap', () => {
    const headers = { authorization: `Bearer ${'k'.repeat(100)}`, 'x-filler': 'h'.repeat(10 * 1024) };
    const largest = event({ method: 'POST', path: '/emails', headers, body: 'A'.repeat(MAX_REQUEST_BODY_BYTES) });
    const bytes = Buffer.byteLength(JSON.stringify(largest));
    expect(bytes).toBeLessThan(6 * 1024 * 1024);
    // What is left is room for JSON escapes in the body (quotes, backslashes, newlines).
    expect(6 * 1024 * 1024 - bytes).toBeGreaterThan(250_000);
  });
});

describe('the api Lambda\'s own answers, in the resend SDK\'s error shape', () => {
  async function withKeys() {
    const api = inMemoryApi();
    const full = await createApiKey(api.deps, { name: 'full', scope: 'full_access' });
    const sending = await createApiKey(api.deps, { name: 'sending', scope: 'sending_access' });
    return { api, full: `Bearer ${full.secret}`, sending: `Bearer ${sending.secret}` };
  }

  it('answers GET /health without a key', async () => {
    const { api } = await withKeys();
    expect(await answer(api, event())).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('refuses no key 401 missing_api_key, on any path, before routing', async () => {
    const { api } = await withKeys();
    for (const path of ['/emails', '/no/such/route']) {
      expect(await answer(api, event({ path }))).toEqual({ status: 401, body: { statusCode: 401, name: 'missing_api_key', message: expect.stringContaining('Authorization: Bearer') } });
    }
    expect((await answer(api, event({ path: '/emails', headers: { authorization: 'Basic dXNlcjpwYXNz' } }))).body.name).toBe('missing_api_key');
  });

  it('refuses a wrong key 403 invalid_api_key', async () => {
    const { api } = await withKeys();
    expect(await answer(api, event({ path: '/emails', headers: { authorization: 'Bearer re_not_a_key' } }))).toEqual({
      status: 403,
      body: { statusCode: 403, name: 'invalid_api_key', message: 'API key is invalid.' },
    });
  });

  it('refuses a sending-only key on an admin route 401 restricted_api_key (as Resend does), and lets it send', async () => {
    const { api, sending } = await withKeys();
    expect(await answer(api, event({ path: '/api-keys', headers: { authorization: sending } }))).toEqual({
      status: 401,
      body: { statusCode: 401, name: 'restricted_api_key', message: 'This API key is restricted to only send emails.' },
    });
    const sent = await answer(api, event({
      method: 'POST',
      path: '/emails',
      headers: { authorization: sending, 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'a@acme.test', to: 'b@example.com', subject: 'Hi', text: 'Hello' }),
    }));
    expect(sent).toEqual({ status: 200, body: { id: expect.any(String) } });
  });

  it('answers an unknown route under a valid key 404 not_found, a known path with the wrong method 405', async () => {
    const { api, full } = await withKeys();
    expect(await answer(api, event({ path: '/no/such/route', headers: { authorization: full } }))).toMatchObject({ status: 404, body: { statusCode: 404, name: 'not_found' } });
    expect(await answer(api, event({ method: 'PUT', path: '/emails', headers: { authorization: full } }))).toMatchObject({ status: 405, body: { name: 'method_not_allowed' } });
  });

  it('refuses a body over the cap 413 with the local server\'s message and a deep one 400; a path with a bad escape names nothing', async () => {
    const { api, full } = await withKeys();
    const headers = { authorization: full, 'content-type': 'application/json' };
    const big = await answer(api, event({ method: 'POST', path: '/emails', headers, body: `{"text":"${'a'.repeat(MAX_REQUEST_BODY_BYTES)}"}` }));
    expect(big).toEqual({ status: 413, body: { statusCode: 413, name: 'validation_error', message: BODY_TOO_LARGE_MESSAGE } });
    const deep = await answer(api, event({ method: 'POST', path: '/emails', headers, body: Buffer.from('['.repeat(5000)).toString('base64'), isBase64Encoded: true }));
    expect(deep).toMatchObject({ status: 400, body: { name: 'validation_error', message: expect.stringContaining('levels deep') } });
    // An escape the HTTP API could not decode reaches the Lambda as written: a webhook id no webhook has.
    expect(await answer(api, event({ method: 'DELETE', path: '/webhooks/%ZZ', headers }))).toMatchObject({ status: 404, body: { name: 'not_found' } });
  });
});

/**
 * What API Gateway still answers itself (throttling, a body over its 10 MB, a Lambda that could
 * not run) is `{"message": "..."}`. The resend SDK hands any JSON error body back as `error`, so
 * code written for Resend reads `error.message` and gets no exception; `error.name` is absent.
 */
describe('the resend SDK reading the HTTP API\'s own answers (a loopback server answering as API Gateway does)', () => {
  let server: Server;
  let baseUrl: string;
  const answers: Record<string, [number, string]> = {
    '/emails': [429, '{"message":"Too Many Requests"}'],
    '/emails/batch': [413, '{"message":"Request Entity Too Large"}'],
    '/api-keys': [500, '{"message":"Internal Server Error"}'],
  };

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      const [status, body] = answers[request.url ?? ''] ?? [404, '{"message":"Not Found"}'];
      response.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.RESEND_BASE_URL = baseUrl;
  });
  afterAll(async () => {
    delete process.env.RESEND_BASE_URL;
    await new Promise((resolve) => server.close(resolve));
  });

  it('returns each as { data: null, error: { message } } without throwing', async () => {
    const resend = new Resend('re_test');
    const sent = await resend.emails.send({ from: 'a@acme.test', to: 'b@example.com', subject: 'Hi', text: 'Hello' });
    expect(sent).toMatchObject({ data: null, error: { message: 'Too Many Requests' } });
    const batch = await resend.batch.send([{ from: 'a@acme.test', to: 'b@example.com', subject: 'Hi', text: 'Hello' }]);
    expect(batch).toMatchObject({ data: null, error: { message: 'Request Entity Too Large' } });
    const keys = await resend.apiKeys.list();
    expect(keys).toMatchObject({ data: null, error: { message: 'Internal Server Error' } });
  });
});
