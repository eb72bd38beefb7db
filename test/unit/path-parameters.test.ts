import { OutboxError } from '../../lambda/core/errors';
import { handleHttp } from '../../lambda/entrypoints/http';
import { decodePathParameter } from '../../lambda/entrypoints/route';
import { FULL_ACCESS, inMemoryApi } from '../helpers/in-memory-api';

const BAD_ESCAPES = ['%ZZ', '%u0041', '%', 'a%2', '%E0%A4', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF'];

describe('decodePathParameter', () => {
  it('decodes percent-escapes of UTF-8', () => {
    expect(decodePathParameter('someone%40example.com')).toBe('someone@example.com');
    expect(decodePathParameter('%E2%9C%89%20x')).toBe('✉ x');
    expect(decodePathParameter('a%2Fb')).toBe('a/b');
    expect(decodePathParameter('plain-id_1')).toBe('plain-id_1');
  });

  it.each(BAD_ESCAPES)('refuses %s with 400 validation_error naming the segment', (raw) => {
    let error: unknown;
    try {
      decodePathParameter(`id${raw}`);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OutboxError);
    expect((error as OutboxError).status).toBe(400);
    expect((error as OutboxError).code).toBe('validation_error');
    expect((error as OutboxError).message).toContain(`\`id${raw}\` is not valid percent-encoding`);
  });

  it('shortens a long segment in the message', () => {
    expect(() => decodePathParameter(`${'a'.repeat(5000)}%ZZ`)).toThrow(/`a{80}\.\.\.` is not valid percent-encoding/);
  });
});

describe('path parameters on every route that has one', () => {
  // Every route with a parameter whose pattern takes any segment (email ids must be UUIDs, so a
  // bad escape there is no route at all: 404).
  const routes: [string, string][] = [
    ['DELETE', '/api-keys/{}'],
    ['GET', '/suppressions/{}'],
    ['DELETE', '/suppressions/{}'],
    ['GET', '/webhooks/{}'],
    ['PATCH', '/webhooks/{}'],
    ['DELETE', '/webhooks/{}'],
    ['POST', '/webhooks/{}/signing-secret/rotate'],
    ['GET', '/webhooks/{}/events'],
    ['GET', '/webhooks/{}/events/{}'],
    ['GET', '/webhooks/{}/events/{}/attempts'],
    ['POST', '/webhooks/{}/events/{}/replay'],
  ];

  it.each(routes)('answers %s %s 400 validation_error for a bad escape in any parameter, with or without a trailing slash', async (method, shape) => {
    const api = inMemoryApi();
    const slots = shape.split('{}').length - 1;
    for (const bad of ['%ZZ', '%u0041', '%E0%A4%A']) {
      for (let slot = 0; slot < slots; slot++) {
        let n = 0;
        const path = shape.replace(/\{\}/g, () => (n++ === slot ? bad : 'wh_1'));
        for (const tail of ['', '/']) {
          const response = await handleHttp(api.deps, { method, path: `${path}${tail}`, headers: {}, principal: FULL_ACCESS, body: '{"status":"enabled"}' });
          expect(`${method} ${path}${tail} ${response.status}`).toBe(`${method} ${path}${tail} 400`);
          expect(JSON.parse(response.body)).toEqual({ statusCode: 400, name: 'validation_error', message: expect.stringContaining(`\`${bad}\` is not valid percent-encoding`) });
        }
      }
    }
    expect(api.logged).toEqual([]);
  });

  it('answers an email route with a bad escape 404: no email id is spelled so', async () => {
    const api = inMemoryApi();
    for (const [method, path] of [['GET', '/emails/%ZZ'], ['PATCH', '/emails/%ZZ'], ['POST', '/emails/%ZZ/cancel']] as const) {
      const response = await handleHttp(api.deps, { method, path, headers: {}, principal: FULL_ACCESS, body: '{}' });
      expect(response.status).toBe(404);
      expect(JSON.parse(response.body)).toMatchObject({ name: 'not_found' });
    }
  });

  it('finds a suppression by its percent-encoded address', async () => {
    const api = inMemoryApi();
    const added = await handleHttp(api.deps, { method: 'POST', path: '/suppressions', headers: {}, principal: FULL_ACCESS, body: '{"email":"someone@example.com"}' });
    expect(added.status).toBe(201);
    const found = await handleHttp(api.deps, { method: 'GET', path: '/suppressions/someone%40example.com', headers: {}, principal: FULL_ACCESS });
    expect(found.status).toBe(200);
    expect(JSON.parse(found.body)).toMatchObject({ email: 'someone@example.com' });
  });

  it('trims trailing slashes in linear time, a path of 100,000 slashes included', async () => {
    const api = inMemoryApi();
    const started = Date.now();
    const response = await handleHttp(api.deps, { method: 'GET', path: `/${'/'.repeat(100_000)}x`, headers: {}, principal: FULL_ACCESS });
    expect(response.status).toBe(404);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await handleHttp(api.deps, { method: 'GET', path: '/health///', headers: {} })).status).toBe(200);
    expect((await handleHttp(api.deps, { method: 'GET', path: '//', headers: {} })).status).toBe(404);
  });
});
