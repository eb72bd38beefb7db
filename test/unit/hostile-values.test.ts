import { handleHttp } from '../../lambda/entrypoints/http';
import { FULL_ACCESS, inMemoryApi } from '../helpers/in-memory-api';
import { EMAIL, EMAIL_PATHS, TEMPLATE_PATHS, TEMPLATED_EMAIL, withFieldText, withSentinelAt } from '../property/http-requests';

/**
 * JSON objects whose members shadow Object.prototype's. `{"toString":0}` cannot become a string
 * (String() and template literals throw a TypeError on it), so a message that quoted a bad value
 * with String() answered 500; every message quotes values as JSON instead.
 */
const HOSTILE = ['{"toString":0}', '{"toString":{},"valueOf":{}}', '{"toJSON":1}', '{"__proto__":{"x":1}}', '[{"toString":0}]'];

describe('values that cannot become strings, in every field of a send', () => {
  const positions = [
    ...EMAIL_PATHS.map((path) => ({ body: EMAIL as unknown, path })),
    ...TEMPLATE_PATHS.map((path) => ({ body: TEMPLATED_EMAIL as unknown, path })),
  ];

  it.each(HOSTILE)('answers %s in any field 4xx, and sends nothing', async (text) => {
    const api = inMemoryApi();
    // As `template.variables` these are variables named toString, toJSON...: a valid send.
    for (const { body, path } of positions.filter(({ path }) => path.join('.') !== 'template.variables')) {
      const response = await handleHttp(api.deps, { method: 'POST', path: '/emails', headers: {}, principal: FULL_ACCESS, body: withFieldText(withSentinelAt(body, path), text) });
      expect(`${path.join('.')}: ${response.status >= 400 && response.status < 500 ? '4xx' : response.body}`).toBe(`${path.join('.')}: 4xx`);
    }
    expect(api.sender.sent).toEqual([]);
    expect(api.logged).toEqual([]);
  });

  it('sends template variables named toString or toJSON as such', async () => {
    const api = inMemoryApi();
    const response = await handleHttp(api.deps, {
      method: 'POST',
      path: '/emails',
      headers: {},
      principal: FULL_ACCESS,
      body: withFieldText(withSentinelAt(TEMPLATED_EMAIL, ['template', 'variables']), '{"toString":0,"toJSON":"x"}'),
    });
    expect(response.status).toBe(200);
    expect(JSON.stringify(api.sender.sent[0]!.draft.template!.variables)).toBe('{"toString":0,"toJSON":"x"}');
  });

  it('quotes such a value as JSON in the refusal', async () => {
    const api = inMemoryApi();
    const response = await handleHttp(api.deps, {
      method: 'POST',
      path: '/emails',
      headers: {},
      principal: FULL_ACCESS,
      body: JSON.stringify({ ...EMAIL, tags: [{ name: { toString: 0 }, value: 'v' }] }),
    });
    expect(JSON.parse(response.body)).toMatchObject({ statusCode: 422, message: expect.stringContaining('`tags[0]`.name must be 1-256 ASCII letters, digits, underscores or dashes; got {"toString":0}.') });
  });
});
