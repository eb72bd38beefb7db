import { OutboxError } from '../../lambda/core/errors';
import { MAX_JSON_DEPTH, nestingDepthExceeds, readJsonBody } from '../../lambda/core/json-body';
import { handleHttp } from '../../lambda/entrypoints/http';
import { BODY_TOO_LARGE_MESSAGE, MAX_REQUEST_BODY_BYTES } from '../../lambda/shared/request-limits';
import { FULL_ACCESS, inMemoryApi } from '../helpers/in-memory-api';

function nested(depth: number, kind: 'array' | 'object' = 'array'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

function refusal(read: () => unknown): { kind: string; message: string } {
  try {
    read();
  } catch (error) {
    if (error instanceof OutboxError) return { kind: error.kind, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('readJsonBody', () => {
  it('reads any JSON value', () => {
    expect(readJsonBody('{"a":[1,"x",null,true]}')).toEqual({ a: [1, 'x', null, true] });
    expect(readJsonBody(' 42 ')).toBe(42);
  });

  it(`reads nesting ${MAX_JSON_DEPTH} levels deep and refuses one level more, saying the limit`, () => {
    expect(readJsonBody(nested(MAX_JSON_DEPTH))).toBeDefined();
    expect(readJsonBody(nested(MAX_JSON_DEPTH, 'object'))).toBeDefined();
    for (const text of [nested(MAX_JSON_DEPTH + 1), nested(MAX_JSON_DEPTH + 1, 'object'), nested(100_000)]) {
      expect(refusal(() => readJsonBody(text))).toEqual({ kind: 'malformed_body', message: expect.stringContaining(`more than ${MAX_JSON_DEPTH} levels deep`) });
    }
  });

  it('counts no bracket inside a string, escaped quotes included', () => {
    expect(readJsonBody(JSON.stringify({ text: '['.repeat(1000), quoted: '"[[[["', slash: '\\' }))).toMatchObject({ text: '['.repeat(1000) });
    expect(nestingDepthExceeds('["\\"[[["]', 1)).toBe(false);
    expect(nestingDepthExceeds('[["\\\\"]]', 1)).toBe(true);
  });

  it('refuses an empty body and text that is not JSON', () => {
    expect(refusal(() => readJsonBody(undefined)).message).toMatch(/body is empty/);
    expect(refusal(() => readJsonBody(' \n')).message).toMatch(/body is empty/);
    expect(refusal(() => readJsonBody('{"a":'))).toEqual({ kind: 'malformed_body', message: 'The request body is not valid JSON.' });
  });

  it('refuses a body over the request limit with the front ends\' 413 answer, counting UTF-8 bytes', () => {
    expect(refusal(() => readJsonBody(JSON.stringify('x'.repeat(MAX_REQUEST_BODY_BYTES))))).toEqual({ kind: 'body_too_large', message: BODY_TOO_LARGE_MESSAGE });
    // 2,100,000 three-byte characters: under the limit in UTF-16 units, over it in bytes.
    expect(refusal(() => readJsonBody(JSON.stringify('€'.repeat(2_100_000)))).kind).toBe('body_too_large');
    expect(typeof readJsonBody(JSON.stringify('€'.repeat(1_000_000)))).toBe('string');
  });
});

describe('every route that reads a body reads it with the depth limit', () => {
  const routes: [string, string][] = [
    ['POST', '/emails'],
    ['POST', '/emails/batch'],
    ['POST', '/emails/raw'],
    ['PATCH', '/emails/019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11'],
    ['POST', '/api-keys'],
    ['POST', '/suppressions'],
    ['POST', '/suppressions/batch/add'],
    ['POST', '/suppressions/batch/remove'],
    ['POST', '/webhooks'],
    ['PATCH', '/webhooks/019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11'],
  ];

  it.each(routes)('answers %s %s 400 validation_error for a body nested 10,000 deep, with and without an Idempotency-Key', async (method, path) => {
    const api = inMemoryApi();
    for (const headers of [{}, { 'idempotency-key': 'deep-1' }]) {
      for (const body of [nested(10_000), `{"emails":${nested(10_000)}}`, `{"from":"a@acme.test","x":${nested(10_000, 'object')}}`]) {
        const response = await handleHttp(api.deps, { method, path, headers, principal: FULL_ACCESS, body });
        expect(response.status).toBe(400);
        expect(JSON.parse(response.body)).toEqual({ statusCode: 400, name: 'validation_error', message: expect.stringContaining(`more than ${MAX_JSON_DEPTH} levels deep`) });
      }
    }
    expect(api.logged).toEqual([]);
    expect(api.idempotency.records.size).toBe(0);
  });
});
