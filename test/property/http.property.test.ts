import fc from 'fast-check';
import type { Principal } from '../../lambda/core/api-keys';
import { ERROR_KINDS } from '../../lambda/core/errors';
import { handleHttp, type HttpRequest } from '../../lambda/entrypoints/http';
import { FULL_ACCESS, inMemoryApi, SENDING_ACCESS, WEBHOOK_HOST, type InMemoryApi } from '../helpers/in-memory-api';
import { fuzzSettings, fuzzTimeoutMs } from './fuzz-settings';
import {
  anyText,
  answerProblems,
  deepText,
  draftProblems,
  EMAIL,
  fieldText,
  SDK_ERROR_NAMES,
  segmentArbitrary,
  shapesFor,
  withFieldText,
  withSentinelAt,
  type BodyShape,
} from './http-requests';

/**
 * handleHttp, the entrypoint both front ends call, on generated requests with in-memory fakes and
 * a recording sender: arbitrary methods, paths (route shapes filled with `%`-escapes good and bad,
 * unicode, lone surrogates, `..`, very long segments; and paths of any characters), query strings,
 * headers (Idempotency-Key, the batch validation mode, others), principals of both scopes or none,
 * and bodies (arbitrary text and JSON, nesting thousands of levels deep, huge strings, and each
 * route's valid body with one field replaced by arbitrary JSON text, extreme numbers included).
 *
 * The property: the answer is 2xx or 4xx, never 5xx; its body is JSON, and a 4xx is the resend
 * SDK's error shape `{ statusCode, name, message }` with the status as `statusCode` and one of the
 * SDK's error names; an email is sent, queued or stored only when the answer is 2xx, and what
 * reaches the sender passes checks written here (recipients, no CR or LF in a header, template
 * numbers that are exact in JSON).
 */

// Requests. -----------------------------------------------------------------------------------

/** Each route's path, `{}` for a parameter, and the methods it answers. */
const ROUTE_METHODS = {
  '/emails': ['POST', 'GET'],
  '/emails/{}': ['GET', 'PATCH'],
  '/emails/{}/cancel': ['POST'],
  '/emails/batch': ['POST'],
  '/emails/raw': ['POST'],
  '/api-keys': ['POST', 'GET'],
  '/api-keys/{}': ['DELETE'],
  '/suppressions': ['GET', 'POST'],
  '/suppressions/{}': ['GET', 'DELETE'],
  '/suppressions/batch/add': ['POST'],
  '/suppressions/batch/remove': ['POST'],
  '/webhooks': ['GET', 'POST'],
  '/webhooks/{}': ['GET', 'PATCH', 'DELETE'],
  '/webhooks/{}/signing-secret/rotate': ['POST'],
  '/webhooks/{}/events': ['GET'],
  '/webhooks/{}/events/{}': ['GET'],
  '/webhooks/{}/events/{}/attempts': ['GET'],
  '/webhooks/{}/events/{}/replay': ['POST'],
  '/health': ['GET'],
  '/account': ['GET'],
} as const;
type RouteShape = keyof typeof ROUTE_METHODS;
const ROUTE_SHAPES = Object.keys(ROUTE_METHODS) as RouteShape[];

const BODY_FOR_ROUTE: Partial<Record<RouteShape, readonly string[]>> = {
  '/emails': ['email', 'templated'],
  '/emails/{}': ['reschedule'],
  '/emails/batch': ['batch'],
  '/emails/raw': ['raw'],
  '/api-keys': ['apiKey'],
  '/suppressions': ['suppression'],
  '/suppressions/batch/add': ['suppressionBatch'],
  '/suppressions/batch/remove': ['suppressionBatch'],
  '/webhooks': ['webhook'],
  '/webhooks/{}': ['webhook'],
};

function pathArbitrary(knownIds: readonly string[]) {
  const segment = segmentArbitrary(knownIds);
  const shaped = fc
    .tuple(fc.constantFrom(...ROUTE_SHAPES), fc.array(segment, { minLength: 2, maxLength: 2 }), fc.constantFrom('', '', '', '/', '//'))
    .map(([shape, [a, b], tail]) => ({ shape, path: `${shape.replace('{}', a!).replace('{}', b!)}${tail}` }));
  const loose = fc.oneof(
    fc.array(segment, { maxLength: 5 }).map((segments) => `/${segments.join('/')}`),
    anyText,
    fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
    fc.constantFrom('', '/', '//', '*', '/emails/../api-keys', '/./emails', '/emails%2Fbatch', `/${'/'.repeat(5000)}x`),
  );
  return fc.oneof({ weight: 4, arbitrary: shaped }, { weight: 1, arbitrary: loose.map((path) => ({ shape: undefined as RouteShape | undefined, path })) });
}

/** Mostly a method the route answers, so requests get past routing; sometimes any other. */
function methodArbitrary(shape: RouteShape | undefined) {
  return fc.oneof(
    { weight: shape ? 8 : 0, arbitrary: fc.constantFrom(...(shape ? ROUTE_METHODS[shape] : ['GET'])) },
    { weight: 2, arbitrary: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE') },
    { weight: 1, arbitrary: fc.constantFrom('PUT', 'HEAD', 'OPTIONS', 'get', 'post', 'CONSTRUCTOR', '__proto__', 'hasOwnProperty', '') },
    { weight: 1, arbitrary: anyText },
  );
}

const queryArbitrary = fc.dictionary(
  fc.oneof(fc.constantFrom('limit', 'after', 'before', 'origin', '__proto__', 'constructor'), anyText),
  fc.oneof(fc.constantFrom('0', '1', '20', '100', '101', '-1', '1e3', '1.5', 'NaN', '', 'bounce', 'complaint', 'manual'), fc.uuid(), anyText, fc.integer().map(String)),
  { maxKeys: 4 },
);

const headerArbitrary = fc.record(
  {
    'idempotency-key': fc.oneof(fc.constantFrom('key-a', 'key-b', ''), anyText, fc.string({ minLength: 250, maxLength: 300 })),
    'x-batch-validation': fc.oneof(fc.constantFrom('strict', 'permissive', 'STRICT', ''), anyText),
    'content-type': fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8'),
    other: anyText,
  },
  { requiredKeys: [] },
);

const principalArbitrary = fc.constantFrom<Principal | undefined>(FULL_ACCESS, FULL_ACCESS, SENDING_ACCESS, undefined);

function bodyArbitrary(shapes: Record<string, BodyShape>, shape: RouteShape | undefined) {
  const names = (shape && BODY_FOR_ROUTE[shape]) || Object.keys(shapes);
  const valid = fc.constantFrom(...names).map((name) => JSON.stringify(shapes[name]!.body));
  const mutated = fc
    .constantFrom(...names)
    .chain((name) => fc.tuple(fc.constant(shapes[name]!), fc.constantFrom(...shapes[name]!.paths), fieldText))
    .map(([{ body }, path, text]) => withFieldText(withSentinelAt(body, path), text));
  return fc.oneof(
    { weight: 2, arbitrary: valid },
    { weight: 8, arbitrary: mutated },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.oneof(anyText, fc.json(), fieldText) },
    { weight: 1, arbitrary: deepText },
  );
}

function requestArbitrary(shapes: Record<string, BodyShape>, knownIds: readonly string[]): fc.Arbitrary<HttpRequest> {
  return pathArbitrary(knownIds).chain(({ shape, path }) =>
    fc
      .record({ method: methodArbitrary(shape), query: queryArbitrary, headers: headerArbitrary, principal: principalArbitrary, body: bodyArbitrary(shapes, shape) })
      .map(({ method, query, headers, principal, body }) => {
        const { other, ...named } = headers;
        return {
          method,
          path,
          query,
          headers: { ...named, ...(other !== undefined ? { 'x-other': other } : {}) },
          ...(body !== undefined ? { body } : {}),
          ...(principal ? { principal } : {}),
        };
      }),
  );
}

// The property. ---------------------------------------------------------------------------------

interface Tally {
  runs: number;
  byStatus: Map<number, number>;
  sends: number;
}

async function answerHolds(api: InMemoryApi, request: HttpRequest, tally: Tally): Promise<void> {
  const before = { sent: api.sender.sent.length, queued: api.outbound.jobs.length, stored: api.emails.emails.size };
  const response = await handleHttp(api.deps, request);
  tally.runs++;
  tally.byStatus.set(response.status, (tally.byStatus.get(response.status) ?? 0) + 1);
  const label = `${request.method} ${request.path.slice(0, 200)} answered ${response.status}: ${response.body.slice(0, 300)}`;

  expect(response.headers['content-type']).toBe('application/json');
  expect(answerProblems(response.status, response.body).map((problem) => `${label}: ${problem}`)).toEqual([]);

  const sent = api.sender.sent.slice(before.sent);
  const changed = sent.length > 0 || api.outbound.jobs.length > before.queued || api.emails.emails.size > before.stored;
  if (changed) expect(response.status >= 200 && response.status < 300 ? 'ok' : `sent or stored, yet ${label}`).toBe('ok');
  for (const { draft } of sent) expect(draftProblems(draft)).toEqual([]);
  tally.sends += sent.length;
}

describe('handleHttp on generated requests (property)', () => {
  const tallies: Tally[] = [];
  afterAll(() => {
    if (process.env.OUTBOX_FUZZ_RUNS) {
      for (const t of tallies) console.log(`handleHttp property: ${t.runs} requests, ${t.sends} sends, by status ${JSON.stringify(Object.fromEntries([...t.byStatus].sort(([a], [b]) => a - b)))}`);
    }
  });

  /** Outbox state for the ids in paths to find: a webhook, a suppression, a scheduled email, a key. */
  async function seeded(): Promise<{ api: InMemoryApi; shapes: Record<string, BodyShape>; knownIds: string[] }> {
    const api = inMemoryApi();
    const call = async (method: string, path: string, body: unknown) => {
      const response = await handleHttp(api.deps, { method, path, headers: {}, principal: FULL_ACCESS, body: JSON.stringify(body) });
      expect(response.status).toBeLessThan(300);
      return JSON.parse(response.body) as { id: string };
    };
    const webhook = await call('POST', '/webhooks', { endpoint: `https://${WEBHOOK_HOST}/outbox`, events: ['email.sent'] });
    const suppression = await call('POST', '/suppressions', { email: 'listed@example.com' });
    const scheduled = await call('POST', '/emails', { ...EMAIL, scheduled_at: '2026-12-03T10:00:00.000Z' });
    const sent = await call('POST', '/emails', EMAIL);
    const key = await call('POST', '/api-keys', { name: 'seeded' });
    const knownIds = [webhook.id, suppression.id, 'listed@example.com', 'listed%40example.com', scheduled.id, sent.id, key.id, `msg_${scheduled.id}`];
    return { api, shapes: shapesFor(scheduled.id), knownIds };
  }

  it(
    'answers every request 2xx or 4xx in the resend SDK error shape, and sends only on 2xx',
    async () => {
      const { api, shapes, knownIds } = await seeded();
      const tally: Tally = { runs: 0, byStatus: new Map(), sends: 0 };
      tallies.push(tally);
      await fc.assert(
        fc.asyncProperty(requestArbitrary(shapes, knownIds), (request) => answerHolds(api, request, tally)),
        fuzzSettings(1500),
      );
      // The generators reach both sides of the property, so it is not holding vacuously.
      expect(tally.byStatus.get(200) ?? 0).toBeGreaterThan(0);
      expect([...tally.byStatus.keys()].filter((status) => status >= 400).length).toBeGreaterThan(4);
    },
    fuzzTimeoutMs(30_000),
  );

  it(
    'answers a valid send with any one field replaced by arbitrary JSON 2xx or 4xx, and sends only on 2xx',
    async () => {
      const { api, shapes } = await seeded();
      const tally: Tally = { runs: 0, byStatus: new Map(), sends: 0 };
      tallies.push(tally);
      const send = fc
        .tuple(
          fc.constantFrom('email', 'templated', 'batch'),
          fieldText,
          // Mostly no key or a fresh one: a reused key with another body is a 409, which says little.
          fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.uuid() }, { weight: 1, arbitrary: fc.constantFrom('key-a', 'key-b') }),
          fc.constantFrom(FULL_ACCESS, SENDING_ACCESS),
        )
        .chain(([name, text, key, principal]) =>
          fc.constantFrom(...shapes[name]!.paths).map((path): HttpRequest => ({
            method: 'POST',
            path: name === 'batch' ? '/emails/batch' : '/emails',
            headers: key ? { 'idempotency-key': key } : {},
            principal,
            body: withFieldText(withSentinelAt(shapes[name]!.body, path), text),
          })),
        );
      await fc.assert(
        fc.asyncProperty(send, (request) => answerHolds(api, request, tally)),
        fuzzSettings(1000),
      );
      expect(tally.sends).toBeGreaterThan(0);
    },
    fuzzTimeoutMs(30_000),
  );

  it("uses only the resend SDK's error names for every kind of refusal", () => {
    for (const [kind, { status, name }] of Object.entries(ERROR_KINDS)) {
      expect(`${kind}: ${SDK_ERROR_NAMES.has(name) ? 'sdk name' : name}`).toBe(`${kind}: sdk name`);
      expect(status >= 400 && status < 600).toBe(true);
    }
  });
});
