import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';

/**
 * Maps whose keys the caller chooses (template variables) stored in the embedded DynamoDB through
 * the real document client: keys named like Object.prototype's members are kept as data.
 */
describe('caller-chosen keys in what is stored (local runtime, embedded DynamoDB)', () => {
  let outbox: LocalOutbox;
  const errors: string[] = [];
  const send = (body: unknown) =>
    fetch(`${outbox.url}/emails`, { method: 'POST', headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, logError: (message) => errors.push(message) });
    const template = await fetch(`${outbox.url}/_local/templates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'greeting', subject: 'Hello {{constructor}}', text: '{{toString}} {{valueOf}} {{hasOwnProperty}}' }),
    });
    expect(template.status).toBe(201);
  });
  afterAll(() => outbox.stop());

  it('sends and stores template variables named constructor, toString, valueOf and hasOwnProperty', async () => {
    const variables = { constructor: 'Ada', toString: 'a', valueOf: 2, hasOwnProperty: 'c' };
    const response = await send({ from: 'hello@acme.test', to: 'ada@example.com', template: { id: 'greeting', variables } });
    expect(response.status).toBe(200);
    const { id } = (await response.json()) as { id: string };
    expect(outbox.ses.messages().at(-1)).toMatchObject({ subject: 'Hello Ada', text: 'a 2 c' });
    const read = await fetch(`${outbox.url}/emails/${id}`, { headers: { authorization: `Bearer ${outbox.apiKey}` } });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { template: unknown }).template).toEqual({ id: 'greeting', variables });
    expect(errors).toEqual([]);
  });

  it('refuses a variable named __proto__ with 422, sending nothing', async () => {
    const before = outbox.ses.messages().length;
    const response = await fetch(`${outbox.url}/emails`, {
      method: 'POST',
      headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
      body: '{"from":"hello@acme.test","to":"ada@example.com","template":{"id":"greeting","variables":{"__proto__":"x"}}}',
    });
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ statusCode: 422, name: 'validation_error', message: expect.stringContaining('named `__proto__`') });
    expect(outbox.ses.messages().length).toBe(before);
  });
});
