import { Resend } from 'resend';
import { domainIdOf } from '../../lambda/core/domains';
import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { waitFor } from '../helpers/wait-for';

const VERIFY_MS = 1_500;


/** The resend SDK's domains.* against the local Outbox, whose SES stand-in verifies a new domain after VERIFY_MS. */
describe('domains through the resend SDK', () => {
  let outbox: LocalOutbox;
  let resend: Resend;

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, identities: ['acme.test'], identityVerificationMs: VERIFY_MS, logError: () => undefined });
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
  });
  afterAll(async () => {
    await outbox?.stop();
  });

  it('creates a domain as an SES identity and answers the DNS records to publish, pending', async () => {
    const { data, error } = await resend.domains.create({ name: 'Mail.Example.org' });
    expect(error).toBeNull();
    expect(data).toMatchObject({
      object: 'domain',
      id: domainIdOf('mail.example.org'),
      name: 'mail.example.org',
      status: 'pending',
      region: 'us-east-1',
      capabilities: { sending: 'enabled', receiving: 'disabled' },
      managed_by_stack: false,
    });
    const records = data!.records;
    expect(records.filter((r) => r.record === 'DKIM')).toHaveLength(3);
    for (const dkim of records.filter((r) => r.record === 'DKIM')) {
      expect(dkim).toMatchObject({ type: 'CNAME', name: expect.stringMatching(/^[0-9a-f]{32}\._domainkey$/), value: expect.stringMatching(/^[0-9a-f]{32}\.dkim\.amazonses\.com$/), ttl: 'Auto', status: 'pending' });
    }
    expect(records.filter((r) => r.record === 'SPF')).toEqual([
      { record: 'SPF', name: 'bounce', type: 'MX', value: 'feedback-smtp.us-east-1.amazonses.com', priority: 10, ttl: 'Auto', status: 'pending' },
      { record: 'SPF', name: 'bounce', type: 'TXT', value: '"v=spf1 include:amazonses.com ~all"', ttl: 'Auto', status: 'pending' },
    ]);
    // The identity as SES holds it: the stack's configuration set, the API's tag, the MAIL FROM domain.
    const identity = await fetch(`${outbox.ses.url}/v2/email/identities/mail.example.org`).then((r) => r.json() as Promise<Record<string, unknown>>);
    expect(identity).toMatchObject({ ConfigurationSetName: 'outbox-local', Tags: [{ Key: 'outbox-api-domain', Value: 'outbox-local' }], MailFromAttributes: { MailFromDomain: 'bounce.mail.example.org' } });
  });

  it('refuses a second create of the same name, a bad name, another region and what SES sets per configuration set', async () => {
    expect((await resend.domains.create({ name: 'mail.example.org' })).error).toMatchObject({ name: 'validation_error', message: expect.stringContaining('already has an identity mail.example.org') });
    expect((await resend.domains.create({ name: 'not a domain' })).error).toMatchObject({ name: 'validation_error', message: expect.stringContaining('`name` must be a domain name') });
    const refused = await resend.domains.create({ name: 'other.example.org', region: 'eu-west-1', openTracking: false, tls: 'enforced', capabilities: { receiving: 'enabled' } });
    expect(refused.error?.message).toMatch(/`region` must be us-east-1.*`open_tracking` is true for every domain.*`tls` can only be `opportunistic`.*`capabilities.receiving` can only be `disabled`.*Nothing was created\.$/);
    expect((await resend.domains.list()).data!.data.map((d) => d.name)).not.toContain('other.example.org');
  });

  it('lists it, reads it, and shows it verified once SES has found its records', async () => {
    const id = domainIdOf('mail.example.org');
    const listed = await resend.domains.list();
    expect(listed.data).toMatchObject({ object: 'list', has_more: false, data: [expect.objectContaining({ id, name: 'mail.example.org' })] });
    expect((await resend.domains.verify(id)).data).toEqual({ object: 'domain', id });
    const verified = await waitFor('the domain verified', async () => {
      const answer = await resend.domains.get(id);
      return answer.data?.status === 'verified' ? answer : undefined;
    });
    expect(verified.data).toMatchObject({ object: 'domain', id, status: 'verified' });
    expect(verified.data!.records.map((r) => r.status)).toEqual(Array(verified.data!.records.length).fill('verified'));
    expect(verified.data!.records.length).toBe(5);
    expect((await resend.domains.list()).data!.data[0]).toMatchObject({ id, status: 'verified' });
  });

  it('sends from a new domain once verified, and not before, as SES would', async () => {
    const sent = await resend.emails.send({ from: 'news@mail.example.org', to: 'success@simulator.amazonses.com', subject: 'From the new domain', text: 'Hi' });
    expect(sent.error).toBeNull();
    await resend.domains.create({ name: 'late.example.org' });
    const early = await resend.emails.send({ from: 'news@late.example.org', to: 'success@simulator.amazonses.com', subject: 'Too early', text: 'Hi' });
    expect(early.error).toMatchObject({ name: 'invalid_from_address' });
    expect((await resend.domains.remove(domainIdOf('late.example.org'))).error).toBeNull();
  });

  it('pages the list with limit and after', async () => {
    await resend.domains.create({ name: 'b.example.org' });
    await resend.domains.create({ name: 'c.example.org' });
    const first = await resend.domains.list({ limit: 2 });
    expect(first.data).toMatchObject({ has_more: true });
    expect(first.data!.data.map((d) => d.name)).toEqual(['c.example.org', 'b.example.org']);
    const second = await resend.domains.list({ limit: 2, after: first.data!.data[1]!.id });
    expect(second.data).toMatchObject({ has_more: false });
    expect(second.data!.data.map((d) => d.name)).toEqual(['mail.example.org']);
  });

  it('accepts an update asking for what SES already does, refuses one it cannot do per domain', async () => {
    const id = domainIdOf('b.example.org');
    expect((await resend.domains.update({ id, openTracking: true, clickTracking: true, tls: 'opportunistic' })).data).toEqual({ object: 'domain', id });
    expect((await resend.domains.update({ id, clickTracking: false })).error).toMatchObject({ name: 'validation_error', message: expect.stringContaining('per configuration set') });
  });

  it('deletes a domain: the SES identity is gone and so is the domain', async () => {
    const id = domainIdOf('c.example.org');
    expect((await resend.domains.remove(id)).data).toEqual({ object: 'domain', id, deleted: true });
    expect((await fetch(`${outbox.ses.url}/v2/email/identities/c.example.org`)).status).toBe(404);
    expect((await resend.domains.get(id)).error).toMatchObject({ name: 'not_found' });
    expect((await resend.domains.remove(id)).error).toMatchObject({ name: 'not_found' });
  });

  it('answers an id that is not a domain 404, and a sending-only key 401 restricted_api_key', async () => {
    expect((await resend.domains.get('not-an-id')).error).toMatchObject({ name: 'not_found' });
    const created = await fetch(`${outbox.url}/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sender', permission: 'sending_access' }),
    }).then((r) => r.json() as Promise<{ token: string }>);
    const sendingOnly = new Resend(created.token, { baseUrl: outbox.url });
    expect((await sendingOnly.domains.list()).error).toMatchObject({ name: 'restricted_api_key' });
  });
});
