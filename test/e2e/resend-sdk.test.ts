import { Resend } from 'resend';
import { npmStart, type StartedProcess } from '../helpers/npm-start';

/** `npm start` as a user runs it, driven by the official resend SDK pointed at it with RESEND_BASE_URL. */
describe('npm start with the resend SDK', () => {
  let outbox: StartedProcess;
  let resend: Resend;

  beforeAll(async () => {
    outbox = await npmStart({ OUTBOX_API_KEY: 'ob_e2e_local_key', OUTBOX_LOCAL_IDENTITIES: 'acme.test' });
    process.env.RESEND_BASE_URL = outbox.url;
    resend = new Resend(outbox.apiKey);
  }, 60_000);

  afterAll(async () => {
    delete process.env.RESEND_BASE_URL;
    await outbox?.stop();
  });

  it('prints the URL and the configured key', () => {
    expect(outbox.apiKey).toBe('ob_e2e_local_key');
    expect(outbox.output()).toMatch(/Verified identities: acme\.test/);
    expect(outbox.output()).toContain('Virus scan: EICAR signature and blocked attachment types; ClamAV off (set OUTBOX_CLAMD=host:port to use a clamd daemon)');
  });

  it('sends to the mailbox simulator with cc, bcc, reply_to, tags, headers and a non-ASCII subject, and reads it back', async () => {
    const { data, error } = await resend.emails.send({
      from: 'Acme <hello@acme.test>',
      to: ['success@simulator.amazonses.com'],
      cc: 'cc@example.com',
      bcc: ['bcc@example.com'],
      replyTo: 'support@acme.test',
      subject: 'Bienvenue, 日本語 ✉',
      html: '<strong>Welcome</strong>',
      text: 'Welcome',
      headers: { 'X-Entity-Ref-ID': 'e2e-1' },
      tags: [{ name: 'category', value: 'welcome' }],
    });
    expect(error).toBeNull();
    const got = await resend.emails.get(data!.id);
    expect(got.error).toBeNull();
    expect(got.data).toMatchObject({
      object: 'email',
      id: data!.id,
      from: 'Acme <hello@acme.test>',
      to: ['success@simulator.amazonses.com'],
      cc: ['cc@example.com'],
      bcc: ['bcc@example.com'],
      reply_to: ['support@acme.test'],
      subject: 'Bienvenue, 日本語 ✉',
      last_event: 'sent',
      tags: [{ name: 'category', value: 'welcome' }],
    });

    const listed = (await (await fetch(`${outbox.url}/_local/messages`)).json()) as { data: { tags: unknown[]; subject: string }[] };
    expect(listed.data[0]!.subject).toBe('Bienvenue, 日本語 ✉');
    expect(listed.data[0]!.tags).toContainEqual({ name: 'outbox-message-id', value: data!.id });
  });

  it('returns errors in the SDK shape', async () => {
    const unverified = await resend.emails.send({ from: 'x@elsewhere.test', to: 'a@example.com', subject: 's', text: 't' });
    expect(unverified.data).toBeNull();
    expect(unverified.error).toMatchObject({ statusCode: 403, name: 'invalid_from_address' });

    const badKey = await new Resend('ob_not_a_key').emails.send({ from: 'a@acme.test', to: 'a@example.com', subject: 's', text: 't' });
    expect(badKey.error).toMatchObject({ statusCode: 403, name: 'invalid_api_key' });

    const missing = await resend.emails.get('0190a0b0-0000-7000-8000-000000000000');
    expect(missing.error).toMatchObject({ statusCode: 404, name: 'not_found' });
  });

  it.each([
    ['success@simulator.amazonses.com', 'delivered', 'delivered'],
    ['bounce@simulator.amazonses.com', 'bounced', 'bounced'],
    ['ooto@simulator.amazonses.com', 'delivered', 'auto_replied'],
    ['complaint@simulator.amazonses.com', 'complained', 'complained'],
    ['suppressionlist@simulator.amazonses.com', 'bounced', 'bounced'],
  ])('tracks a send to %s to last_event %s within 3 s', async (to, lastEvent, status) => {
    const { data } = await resend.emails.send({ from: 'hello@acme.test', to, subject: 'Simulator', text: 'Hi' });
    const deadline = Date.now() + 3000;
    let email: any;
    do {
      email = (await resend.emails.get(data!.id)).data;
      if (email?.recipients?.[0]?.status === status && email.last_event === lastEvent) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } while (Date.now() < deadline);
    expect(email.last_event).toBe(lastEvent);
    expect(email.recipients[0].status).toBe(status);
    expect((await resend.suppressions.get(to)).error).toMatchObject({ statusCode: 404 });
  });

  it('refuses a send to an address the SDK put on the suppression list', async () => {
    expect((await resend.suppressions.add({ email: 'gone@example.com' })).error).toBeNull();
    const refused = await resend.emails.send({ from: 'hello@acme.test', to: 'gone@example.com', subject: 's', text: 't' });
    expect(refused.error).toMatchObject({ statusCode: 422, name: 'validation_error' });
    expect(refused.error!.message).toMatch(/suppression list/);
  });

  it('runs domains.* and apiKeys.update/list as the SDK calls them', async () => {
    const created = await resend.domains.create({ name: 'news.example.net', customReturnPath: 'mx' });
    expect(created.error).toBeNull();
    expect(created.data).toMatchObject({ name: 'news.example.net', status: 'pending', records: expect.arrayContaining([expect.objectContaining({ record: 'SPF', name: 'mx', type: 'MX' })]) });
    const id = created.data!.id;
    expect((await resend.domains.get(id)).data).toMatchObject({ object: 'domain', id, status: expect.stringMatching(/^(pending|verified)$/) });
    expect((await resend.domains.list()).data!.data.map((d) => d.name)).toContain('news.example.net');
    expect((await resend.domains.verify(id)).data).toEqual({ object: 'domain', id });
    expect((await resend.domains.update({ id, clickTracking: true })).data).toEqual({ object: 'domain', id });
    expect((await resend.domains.remove(id)).data).toEqual({ object: 'domain', id, deleted: true });

    const key = await resend.apiKeys.create({ name: 'e2e' });
    expect((await resend.apiKeys.update(key.data!.id, { name: 'e2e renamed' })).data).toEqual({ object: 'api_key', id: key.data!.id });
    const page = await resend.apiKeys.list({ limit: 1 });
    expect(page.data).toMatchObject({ object: 'list', has_more: true, data: [expect.objectContaining({ name: 'e2e renamed', last_used_at: null })] });
  });

  it('logs a line per request and stops cleanly on SIGTERM', async () => {
    expect(outbox.output()).toMatch(/POST \/emails 200 \d+\.\dms/);
    // npm itself dies of the signal sent to the group; the server's own lines show its clean exit.
    await outbox.stop('SIGTERM');
    // npm exits first; the server process finishes its shutdown a moment later.
    for (let waited = 0; !outbox.output().includes('Outbox stopped.') && waited < 5000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(outbox.output()).toMatch(/SIGTERM received, stopping\s+Outbox stopped\./);
    await expect(fetch(`${outbox.url}/health`)).rejects.toThrow();
  });
});
