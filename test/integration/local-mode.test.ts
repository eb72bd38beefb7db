import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Resend } from 'resend';
import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';

/**
 * What a new user meets in local mode, through the local server over loopback HTTP (plain fetch,
 * as curl sends it, and the resend SDK): unknown routes and body fields, the stand-in's templates
 * at /_local/templates and sends that use them, and /_local/dead-letters. Nothing is mocked.
 */
describe('local mode as a new user meets it', () => {
  let outbox: LocalOutbox;
  let resend: Resend;
  let receiver: Server;
  const base = { from: 'Acme <hello@acme.test>', to: 'success@simulator.amazonses.com' };

  beforeAll(async () => {
    // Webhook retries a day long in AWS take well under a second here, so a dead letter comes quickly.
    outbox = await startLocalOutbox({ port: 0, identities: ['acme.test'], webhookRetrySpeedup: 500_000, logError: () => undefined });
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
    receiver = createServer((_, response) => response.writeHead(500).end('receiver is down'));
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    await outbox.stop();
  });

  async function call(method: string, path: string, body?: unknown, auth = true) {
    const response = await fetch(`${outbox.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${outbox.apiKey}` } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 8000): Promise<T> {
    const deadline = Date.now() + ms;
    let value = await read();
    while (!done(value) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      value = await read();
    }
    return value;
  }

  describe('routes under /emails/', () => {
    it.each([
      ['GET', '/emails/metrics'],
      ['PATCH', '/emails/metrics'],
      ['POST', '/emails/metrics/cancel'],
      ['GET', '/emails/not-an-id'],
    ])('answers %s %s as an unknown route', async (method, path) => {
      const answer = await call(method, path, method === 'GET' ? undefined : {});
      expect(answer).toEqual({ status: 404, body: { statusCode: 404, name: 'not_found', message: `There is no route ${method} ${path}.` } });
    });

    it("answers the SDK's emails.metrics() as an unknown route, and an unknown email id as not found", async () => {
      const metrics = await resend.emails.metrics();
      expect(metrics.error).toMatchObject({ statusCode: 404, name: 'not_found', message: 'There is no route GET /emails/metrics.' });
      const missing = await call('GET', '/emails/019ac9a4-0000-7000-8000-000000000000');
      expect(missing.body).toMatchObject({ statusCode: 404, name: 'not_found', message: 'Email 019ac9a4-0000-7000-8000-000000000000 not found.' });
      expect((await call('GET', '/emails/batch')).body).toMatchObject({ statusCode: 405, name: 'method_not_allowed' });
    });
  });

  describe('body fields', () => {
    it('refuses a typo sent over curl, naming it, and sends nothing', async () => {
      const before = outbox.ses.messages().length;
      const answer = await call('POST', '/emails', { ...base, subject: 'Hi', text: 'Hello', replyTo: 'support@acme.test' });
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({ name: 'validation_error', message: expect.stringMatching(/^`replyTo` \(did you mean `reply_to`\?\) is not a field of an email; the fields of an email are `from`, `to`/) });
      expect(outbox.ses.messages()).toHaveLength(before);
    });

    it('refuses an unknown field in a batch email and on /emails/raw', async () => {
      const batch = await call('POST', '/emails/batch', [{ ...base, subject: 'Hi', text: 'x' }, { ...base, subject: 'Hi', text: 'x', 'reply-to': 'r@acme.test' }]);
      expect(batch.status).toBe(422);
      expect(batch.body.message).toMatch(/emails\[1\]: `reply-to` \(did you mean `reply_to`\?\) is not a field of an email/);
      const raw = await call('POST', '/emails/raw', { raw: Buffer.from('From: a@acme.test\r\nTo: b@example.com\r\n\r\nHi\r\n').toString('base64'), replyTo: 'x@acme.test' });
      expect(raw.status).toBe(422);
      expect(raw.body.message).toMatch(/`replyTo` is not a field of a raw email; the fields of a raw email are `raw`, `from`, `to`, `cc`, `bcc`, `tags`\./);
    });

    it('accepts every field the resend SDK sends for emails.send and batch.send', async () => {
      const logo = Buffer.from('\x89PNG\r\n\x1a\n', 'binary');
      const sent = await resend.emails.send({
        from: base.from,
        to: ['a@example.com'],
        cc: 'c@example.com',
        bcc: ['d@example.com'],
        replyTo: ['support@acme.test'],
        subject: 'All fields',
        html: '<img src="cid:logo">',
        text: 'All fields',
        headers: { 'X-Entity-Ref-ID': 'sdk-1' },
        tags: [{ name: 'category', value: 'all' }],
        attachments: [{ filename: 'logo.png', content: logo, contentType: 'image/png', contentId: 'logo' }],
      });
      expect(sent.error).toBeNull();
      const read = await resend.emails.get(sent.data!.id);
      expect(read.data).toMatchObject({ reply_to: ['support@acme.test'], cc: ['c@example.com'], bcc: ['d@example.com'] });

      const scheduled = await resend.emails.send({ ...base, subject: 'Later', text: 'x', scheduledAt: 'in 1 hour' });
      expect(scheduled.error).toBeNull();

      const batch = await resend.batch.send([
        { ...base, subject: 'B1', text: 'x', replyTo: 'r@acme.test', headers: { 'X-A': '1' }, tags: [{ name: 'k', value: 'v' }] },
        { ...base, subject: 'B2', html: '<p>x</p>', cc: ['c@example.com'], bcc: 'd@example.com', scheduledAt: 'in 2 hours' },
      ]);
      expect(batch.error).toBeNull();
      expect(batch.data!.data).toHaveLength(2);
    });

    it("refuses the SDK's topicId, saying Outbox does not support it yet", async () => {
      const sent = await resend.emails.send({ ...base, subject: 'Hi', text: 'x', topicId: 'topic_123' });
      expect(sent.error).toMatchObject({ statusCode: 422, name: 'validation_error', message: expect.stringMatching(/^`topic_id` \(the SDK's `topicId`\) is not supported yet/) });
    });
  });

  describe('templates', () => {
    const welcome = { name: 'welcome', subject: 'Welcome, {{name}}', html: '<p>Hi {{name}}, your code is {{code}}</p>', text: 'Hi {{name}}, your code is {{code}}' };

    it('defines a template with POST /_local/templates (no key), replaces it, lists it and reads it back', async () => {
      const created = await call('POST', '/_local/templates', { ...welcome, subject: 'Old' }, false);
      expect(created.status).toBe(201);
      const replaced = await call('POST', '/_local/templates', welcome, false);
      expect(replaced).toEqual({ status: 200, body: { object: 'template', ...welcome, created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) } });
      expect((await call('GET', '/_local/templates', undefined, false)).body).toMatchObject({ object: 'list', data: [{ name: 'welcome', subject: 'Welcome, {{name}}' }] });
      expect((await call('GET', '/_local/templates/welcome', undefined, false)).body).toMatchObject({ name: 'welcome', text: welcome.text });
      expect(outbox.ses.templates.get('welcome')?.content).toEqual({ subject: welcome.subject, html: welcome.html, text: welcome.text });
    });

    it.each([
      ['no name', { subject: 's', text: 't' }, 'missing_required_field', /Missing `name`/],
      ['a name template.id cannot take', { name: 'my template', subject: 's', text: 't' }, 'validation_error', /`name` must be 1-64 letters/],
      ['no body', { name: 'x', subject: 's' }, 'missing_required_field', /Missing `html` or `text`/],
      ['an unknown field', { name: 'x', subject: 's', text: 't', body: 'b' }, 'validation_error', /`body` is not a field of a template; the fields are `name`, `subject`, `html`, `text`\./],
      ['a partial', { name: 'x', subject: 's', html: '{{> footer}}' }, 'validation_error', /Template x: Html: \{\{> footer\}\}: Handlebars partials are not modelled by the SES stand-in/],
    ])('refuses a template with %s', async (_, body, name, message) => {
      const answer = await call('POST', '/_local/templates', body, false);
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({ statusCode: 422, name, message: expect.stringMatching(message) });
    });

    it('sends with template: { id, variables } and the stand-in keeps the rendered subject and bodies', async () => {
      const sent = await resend.emails.send({ ...base, template: { id: 'welcome', variables: { name: 'Ada', code: 4242 } } });
      expect(sent.error).toBeNull();
      const messages = (await call('GET', '/_local/messages', undefined, false)).body.data as { tags: { name: string; value: string }[]; subject?: string; html?: string; text?: string }[];
      const message = messages.find((m) => m.tags.some((t) => t.name === 'outbox-message-id' && t.value === sent.data!.id));
      expect(message).toMatchObject({ subject: 'Welcome, Ada', html: '<p>Hi Ada, your code is 4242</p>', text: 'Hi Ada, your code is 4242' });
      const read = await waitFor(() => resend.emails.get(sent.data!.id), (r) => r.data?.last_event === 'delivered');
      expect(read.data).toMatchObject({ subject: '', template: { id: 'welcome', variables: { name: 'Ada', code: 4242 } }, last_event: 'delivered' });
    });

    it("ends an email failed when the variables lack one the template uses, with SES's Rendering Failure reason", async () => {
      const sent = await resend.emails.send({ ...base, template: { id: 'welcome', variables: { name: 'Ada' } } });
      expect(sent.error).toBeNull();
      const read = await waitFor(() => resend.emails.get(sent.data!.id), (r) => r.data?.last_event === 'failed');
      expect(read.data?.last_event).toBe('failed');
      type Published = { payload: { type: string; data: { email_id: string; failed?: { reason: string } } } };
      const failedOne = (list: Published[]) => list.find((n) => n.payload.data.email_id === sent.data!.id && n.payload.type === 'email.failed');
      const notifications = await waitFor(async () => (await call('GET', '/_local/notifications', undefined, false)).body.data as Published[], (list) => failedOne(list) !== undefined);
      expect(failedOne(notifications)?.payload.data.failed?.reason).toBe(
        "The template could not be rendered: Attribute 'code' is not present in the rendering data.",
      );
    });

    it("refuses a template SES does not have with SES's words, and deletes one", async () => {
      const sent = await resend.emails.send({ ...base, template: { id: 'no_such_template' } });
      expect(sent.error).toMatchObject({ statusCode: 422, name: 'validation_error', message: expect.stringContaining('Template no_such_template does not exist.') });
      expect((await call('DELETE', '/_local/templates/welcome', undefined, false)).body).toEqual({ object: 'template', name: 'welcome', deleted: true });
      expect((await call('GET', '/_local/templates/welcome', undefined, false)).status).toBe(404);
    });
  });

  describe('GET /_local/dead-letters', () => {
    it('is a list, newest first, each entry naming its queue, what failed and why', async () => {
      expect((await call('GET', '/_local/dead-letters', undefined, false)).body).toEqual({ object: 'list', data: [] });

      // An SES notification that is not one: the events queue tries it 5 times, 1 s apart.
      outbox.eventsQueue.send('this is not an SNS envelope');
      // A webhook whose receiver always answers 500: 8 attempts, then the dead letters.
      const webhook = await call('POST', '/webhooks', { endpoint: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['email.sent'] });
      expect(webhook.status).toBe(201);
      await resend.emails.send({ ...base, subject: 'Hook', text: 'x' });

      const letters = await waitFor(
        async () => (await call('GET', '/_local/dead-letters', undefined, false)).body.data as Record<string, unknown>[],
        (list) => list.length === 2,
        15_000,
      );
      expect(letters.map((l) => l.queue).sort()).toEqual(['events', 'webhooks']);
      expect(Date.parse(letters[0]!.dead_lettered_at as string)).toBeGreaterThanOrEqual(Date.parse(letters[1]!.dead_lettered_at as string));
      expect(letters.find((l) => l.queue === 'events')).toMatchObject({
        message_id: expect.any(String),
        receive_count: 5,
        failed: 'processing an SES notification (the body)',
        reason: 'Not an SES notification: the body is not JSON',
        body: 'this is not an SNS envelope',
      });
      expect(letters.find((l) => l.queue === 'webhooks')).toMatchObject({
        receive_count: 8,
        failed: expect.stringMatching(new RegExp(`^delivering email\\.sent msg_\\S+ to webhook ${webhook.body.id as string} \\(http://127\\.0\\.0\\.1:\\d+/hook\\)$`)),
        reason: '8 attempts failed; the last got HTTP 500 "receiver is down"',
        body: { webhookId: webhook.body.id, messageId: expect.stringMatching(/^msg_/) },
      });
    }, 30_000);
  });
});
