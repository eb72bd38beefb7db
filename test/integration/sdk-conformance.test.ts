import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { Resend } from 'resend';
import { createGenerator, type SchemaGenerator } from 'ts-json-schema-generator';
import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { waitFor } from '../helpers/wait-for';

/**
 * Every resend SDK method Outbox implements, driven against the local Outbox, each answer checked
 * against the JSON schema of the SDK's own success type for it, generated from the SDK's published
 * type declarations when the test runs (ts-json-schema-generator, validated with ajv). So an
 * answer that drifts from what code written for Resend is typed to expect fails here, whichever
 * side changed. Outbox's extra fields (`managed_by_stack`, `ses_message_id`, ...) are allowed, as
 * the SDK's types do not forbid them; a missing or mistyped field is not.
 */
const SDK_TYPES = path.join(__dirname, '../../node_modules/resend/dist/index.d.cts');

const FROM = 'hello@acme.test';


describe('the resend SDK against Outbox, each answer checked against the SDK type it is declared as', () => {
  let outbox: LocalOutbox;
  let resend: Resend;
  let receiver: Server;
  let receiverUrl: string;
  let generator: SchemaGenerator;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validators = new Map<string, ValidateFunction>();
  /** method → the SDK type its answer matched, for the table at the end. */
  const table: string[] = [];

  beforeAll(async () => {
    generator = createGenerator({ path: SDK_TYPES, skipTypeCheck: true, expose: 'all', topRef: false, jsDoc: 'none', additionalProperties: true });
    receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(200).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    outbox = await startLocalOutbox({ port: 0, identities: ['acme.test'], identityVerificationMs: 500, logError: () => undefined });
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
  }, 60_000);

  afterAll(async () => {
    await outbox?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
    // The table this test proves, for whoever reads the log.
    if (table.length > 0) process.stdout.write(`SDK conformance:\n${table.join('\n')}\n`);
  });

  /** Checks an SDK answer: no error, and `data` valid against the schema of `typeName`. */
  function conforms<T>(method: string, typeName: string, answer: { data: T | null; error: unknown }): T {
    expect({ method, error: answer.error }).toEqual({ method, error: null });
    let validate = validators.get(typeName);
    if (!validate) {
      validate = ajv.compile(generator.createSchema(typeName));
      validators.set(typeName, validate);
    }
    const valid = validate(answer.data);
    expect({ method, typeName, errors: valid ? [] : validate.errors }).toEqual({ method, typeName, errors: [] });
    table.push(`${method} → ${typeName}: conforms`);
    return answer.data as T;
  }

  it('emails: send, get, list, update and cancel of a scheduled one, batch.send', async () => {
    const sent = conforms('emails.send', 'CreateEmailResponseSuccess', await resend.emails.send({ from: FROM, to: 'success@simulator.amazonses.com', subject: 'Hi', html: '<p>Hi</p>', headers: { 'X-Ref': '1' }, tags: [{ name: 'kind', value: 'test' }] }));
    await waitFor('the email delivered', async () => ((await resend.emails.get(sent.id)).data?.last_event === 'delivered' ? true : undefined));
    conforms('emails.get', 'GetEmailResponseSuccess', await resend.emails.get(sent.id));
    conforms('emails.list', 'ListEmailsResponseSuccess', await resend.emails.list({ limit: 5 }));
    const later = conforms('emails.send (scheduled)', 'CreateEmailResponseSuccess', await resend.emails.send({ from: FROM, to: 'success@simulator.amazonses.com', subject: 'Later', text: 'Later', scheduledAt: new Date(Date.now() + 3_600_000).toISOString() }));
    conforms('emails.update', 'UpdateEmailResponseSuccess', await resend.emails.update({ id: later.id, scheduledAt: new Date(Date.now() + 7_200_000).toISOString() }));
    conforms('emails.cancel', 'CancelEmailResponseSuccess', await resend.emails.cancel(later.id));
    const batch = [
      { from: FROM, to: 'success@simulator.amazonses.com', subject: 'One', text: 'One' },
      { from: FROM, to: 'not an address', subject: 'Two', text: 'Two' },
    ];
    // CreateBatchSuccessResponse is generic and conditional on the validation mode, which the schema
    // generator cannot make a schema of; its two shapes, written out from the declaration, are checked instead.
    const permissive = await resend.batch.send(batch, { batchValidation: 'permissive' });
    expect(permissive).toMatchObject({ error: null, data: { data: [{ id: expect.any(String) }], errors: [{ index: 1, message: expect.any(String) }] } });
    const strict = await resend.batch.send([batch[0]!]);
    expect(strict).toMatchObject({ error: null, data: { data: [{ id: expect.any(String) }] } });
    table.push('batch.send → CreateBatchSuccessResponse (strict and permissive, checked by hand): conforms');
  });

  it('apiKeys: create, list, update, remove', async () => {
    const key = conforms('apiKeys.create', 'CreateApiKeyResponseSuccess', await resend.apiKeys.create({ name: 'conformance', permission: 'sending_access' }));
    conforms('apiKeys.list', 'ListApiKeysResponseSuccess', await resend.apiKeys.list({ limit: 10 }));
    conforms('apiKeys.update', 'UpdateApiKeyResponseSuccess', await resend.apiKeys.update(key.id, { name: 'renamed' }));
    conforms('apiKeys.remove', 'RemoveApiKeyResponseSuccess', await resend.apiKeys.remove(key.id));
  });

  it('webhooks: create, get, list, update, rotateSigningSecret, events.list/get/replay, events.attempts.list, remove', async () => {
    const webhook = conforms('webhooks.create', 'CreateWebhookResponseSuccess', await resend.webhooks.create({ endpoint: receiverUrl, events: ['email.sent', 'email.delivered'] }));
    conforms('webhooks.get', 'GetWebhookResponseSuccess', await resend.webhooks.get(webhook.id));
    conforms('webhooks.list', 'ListWebhooksResponseSuccess', await resend.webhooks.list());
    conforms('webhooks.update', 'UpdateWebhookResponseSuccess', await resend.webhooks.update(webhook.id, { events: ['email.sent', 'email.delivered', 'email.bounced'] }));
    conforms('webhooks.rotateSigningSecret', 'RotateWebhookSigningSecretResponseSuccess', await resend.webhooks.rotateSigningSecret(webhook.id));
    await resend.emails.send({ from: FROM, to: 'success@simulator.amazonses.com', subject: 'Hook', text: 'Hook' });
    const events = await waitFor('both events in the delivery log', async () => {
      const answer = await resend.webhooks.events.list({ webhookId: webhook.id });
      return (answer.data?.data.length ?? 0) >= 2 ? answer : undefined;
    });
    const listed = conforms('webhooks.events.list', 'ListWebhookEventsResponseSuccess', events);
    const eventId = listed.data[0]!.id;
    conforms('webhooks.events.get', 'GetWebhookEventResponseSuccess', await resend.webhooks.events.get({ webhookId: webhook.id, eventId }));
    conforms('webhooks.events.attempts.list', 'ListWebhookEventAttemptsResponseSuccess', await resend.webhooks.events.attempts.list({ webhookId: webhook.id, eventId }));
    conforms('webhooks.events.replay', 'ReplayWebhookEventResponseSuccess', await resend.webhooks.events.replay({ webhookId: webhook.id, eventId }));
    conforms('webhooks.remove', 'RemoveWebhookResponseSuccess', await resend.webhooks.remove(webhook.id));
  });

  it('suppressions: add, get, list, batch add and remove, remove', async () => {
    conforms('suppressions.add', 'AddSuppressionResponseSuccess', await resend.suppressions.add({ email: 'gone@example.com' }));
    conforms('suppressions.get', 'GetSuppressionResponseSuccess', await resend.suppressions.get('gone@example.com'));
    conforms('suppressions.list', 'ListSuppressionsResponseSuccess', await resend.suppressions.list({ limit: 10 }));
    conforms('suppressions.batch.add', 'BatchAddSuppressionsResponseSuccess', await resend.suppressions.batch.add({ emails: ['a@example.com', 'b@example.com'] }));
    conforms('suppressions.batch.remove', 'BatchRemoveSuppressionsResponseSuccess', await resend.suppressions.batch.remove({ emails: ['a@example.com', 'b@example.com'] }));
    conforms('suppressions.remove', 'RemoveSuppressionResponseSuccess', await resend.suppressions.remove('gone@example.com'));
  });

  it('domains: create, get, list, update, verify, remove', async () => {
    const domain = conforms('domains.create', 'CreateDomainResponseSuccess', await resend.domains.create({ name: 'conformance.example.org' }));
    conforms('domains.get', 'GetDomainResponseSuccess', await resend.domains.get(domain.id));
    conforms('domains.list', 'ListDomainsResponseSuccess', await resend.domains.list());
    conforms('domains.update', 'UpdateDomainsResponseSuccess', await resend.domains.update({ id: domain.id, openTracking: true }));
    conforms('domains.verify', 'VerifyDomainsResponseSuccess', await resend.domains.verify(domain.id));
    conforms('domains.remove', 'RemoveDomainsResponseSuccess', await resend.domains.remove(domain.id));
  });
});
