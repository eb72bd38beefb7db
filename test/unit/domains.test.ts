import { createDomain, domainIdOf, getDomain, listDomains, removeDomain, updateDomain, type DomainDeps, type DomainRegistry, type RegisteredDomain } from '../../lambda/core/domains';
import { API_DOMAIN_TAG } from '../../lambda/shared/env';
import { IdentityAlreadyExists, SesRefusal, type EmailIdentities, type EmailIdentityState } from '../../lambda/core/sending-identity';

class InMemoryRegistry implements DomainRegistry {
  readonly domains = new Map<string, RegisteredDomain>();
  async list(): Promise<RegisteredDomain[]> {
    return [...this.domains.values()];
  }
  async add(domain: RegisteredDomain): Promise<boolean> {
    if (this.domains.has(domain.name)) return false;
    this.domains.set(domain.name, domain);
    return true;
  }
  async remove(name: string): Promise<void> {
    this.domains.delete(name);
  }
}

/** SES's identities as a map; `fail` makes the next call of a kind throw. */
class FakeIdentities implements EmailIdentities {
  readonly identities = new Map<string, EmailIdentityState>();
  readonly deleted: string[] = [];
  fail?: { op: 'create' | 'get' | 'delete'; error: Error };
  private check(op: 'create' | 'get' | 'delete'): void {
    if (this.fail?.op === op) {
      const { error } = this.fail;
      this.fail = undefined;
      throw error;
    }
  }
  async get(identity: string) {
    this.check('get');
    return this.identities.get(identity);
  }
  async create(identity: string, settings: { configurationSetName: string; tags: Readonly<Record<string, string>> }) {
    this.check('create');
    if (this.identities.has(identity)) throw new IdentityAlreadyExists('exists');
    const state: EmailIdentityState = { dkim: { tokens: ['t1', 't2', 't3'], status: 'PENDING', signingAttributesOrigin: 'AWS_SES' }, tags: settings.tags, configurationSetName: settings.configurationSetName, verificationStatus: 'PENDING' };
    this.identities.set(identity, state);
    return state;
  }
  async delete(identity: string) {
    this.check('delete');
    this.deleted.push(identity);
    this.identities.delete(identity);
  }
  async putMailFrom(identity: string, settings: { domain?: string }) {
    const state = this.identities.get(identity)!;
    this.identities.set(identity, { ...state, mailFrom: { ...(settings.domain ? { domain: settings.domain } : {}), status: 'PENDING' } });
  }
  async putConfigurationSet() {}
}

function setup(stackIdentities: string[] = []) {
  const identities = new FakeIdentities();
  const registry = new InMemoryRegistry();
  let ms = Date.parse('2026-12-01T00:00:00.000Z');
  const deps: DomainDeps = {
    identities,
    registry,
    account: {
      region: async () => 'eu-west-1',
      listIdentities: async () => ({ identities: [...identities.identities.entries()].map(([name, s]) => ({ name, type: 'DOMAIN', verificationStatus: s.verificationStatus ?? 'SUCCESS' })), more: false }),
    },
    stackIdentities,
    configurationSet: 'outbox',
    defaultReturnPath: 'bounce',
    clock: { now: () => new Date((ms += 1000)) },
  };
  return { deps, identities, registry };
}

describe('domainIdOf', () => {
  it('is a version-8 UUID from the name alone, the same in any case', () => {
    expect(domainIdOf('mail.example.com')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(domainIdOf('Mail.Example.com')).toBe(domainIdOf('mail.example.com'));
    expect(domainIdOf('a.example.com')).not.toBe(domainIdOf('b.example.com'));
  });
});

describe('the domains API on SES identities', () => {
  it("lists the stack's domains (not its addresses) as managed, registered once when first seen", async () => {
    const { deps, identities, registry } = setup(['acme.test', 'noreply@other.test']);
    identities.identities.set('acme.test', { tags: {}, verificationStatus: 'SUCCESS' });
    const first = await listDomains(deps, {});
    expect(first.data).toEqual([expect.objectContaining({ name: 'acme.test', managed_by_stack: true, status: 'verified', region: 'eu-west-1' })]);
    const again = await listDomains(deps, {});
    expect(again.data[0]!.created_at).toBe(first.data[0]!.created_at);
    expect([...registry.domains.keys()]).toEqual(['acme.test']);
  });

  it("refuses to create, change or delete one of the stack's domains", async () => {
    const { deps, identities } = setup(['acme.test']);
    identities.identities.set('acme.test', { tags: {}, verificationStatus: 'SUCCESS' });
    await expect(createDomain(deps, { name: 'acme.test' })).rejects.toThrow(/managed by the stack/);
    const id = domainIdOf('acme.test');
    await expect(updateDomain(deps, id, {})).rejects.toThrow(/managed by the stack/);
    await expect(removeDomain(deps, id)).rejects.toThrow(/managed by the stack.*deleted only by deploying/);
    expect(identities.deleted).toEqual([]);
  });

  it('creates with the default MAIL FROM subdomain or custom_return_path, tagged for this stack', async () => {
    const { deps, identities } = setup();
    const made = await createDomain(deps, { name: 'mail.example.com', custom_return_path: 'send' });
    expect(identities.identities.get('mail.example.com')).toMatchObject({ tags: { [API_DOMAIN_TAG]: 'outbox' }, configurationSetName: 'outbox', mailFrom: { domain: 'send.mail.example.com' } });
    expect(made.records.map((r) => `${r.record} ${r.type} ${r.name}`)).toEqual([
      'DKIM CNAME t1._domainkey',
      'DKIM CNAME t2._domainkey',
      'DKIM CNAME t3._domainkey',
      'SPF MX send',
      'SPF TXT send',
    ]);
    expect(made.records.find((r) => r.type === 'MX')!.value).toBe('feedback-smtp.eu-west-1.amazonses.com');
  });

  it('leaves no record when SES refuses the create, and says what SES said', async () => {
    const { deps, identities, registry } = setup();
    identities.fail = { op: 'create', error: new SesRefusal('CreateEmailIdentity', 'LimitExceededException', 'Maximum identities reached.') };
    await expect(createDomain(deps, { name: 'mail.example.com' })).rejects.toMatchObject({ kind: 'rate_limited' });
    identities.fail = { op: 'create', error: new SesRefusal('CreateEmailIdentity', 'AccessDeniedException', 'not authorized to perform ses:CreateEmailIdentity') };
    await expect(createDomain(deps, { name: 'mail.example.com' })).rejects.toMatchObject({ kind: 'ses_access_denied', message: expect.stringContaining('not authorized') });
    expect(registry.domains.size).toBe(0);
  });

  it('deletes only an identity whose tag names this stack; one SES lost already is just forgotten', async () => {
    const { deps, identities, registry } = setup();
    await createDomain(deps, { name: 'mine.example.com' });
    await createDomain(deps, { name: 'retagged.example.com' });
    identities.identities.set('retagged.example.com', { tags: { [API_DOMAIN_TAG]: 'another-outbox' } });
    await expect(removeDomain(deps, domainIdOf('retagged.example.com'))).rejects.toThrow(/was not made by this Outbox/);
    expect(identities.deleted).toEqual([]);
    identities.identities.delete('mine.example.com');
    expect(await removeDomain(deps, domainIdOf('mine.example.com'))).toEqual({ object: 'domain', id: domainIdOf('mine.example.com'), deleted: true });
    expect(identities.deleted).toEqual([]);
    expect([...registry.domains.keys()]).toEqual(['retagged.example.com']);
  });

  it('reads a domain SES lost as 404 naming what to do, and SES down as 503', async () => {
    const { deps, identities } = setup();
    await createDomain(deps, { name: 'mail.example.com' });
    identities.fail = { op: 'get', error: new Error('socket hang up') };
    await expect(getDomain(deps, domainIdOf('mail.example.com'))).rejects.toMatchObject({ kind: 'unavailable' });
    identities.identities.delete('mail.example.com');
    await expect(getDomain(deps, domainIdOf('mail.example.com'))).rejects.toMatchObject({ kind: 'not_found', message: expect.stringContaining('forgets it') });
  });

  it('names every problem of a create at once, unknown fields included', async () => {
    const { deps } = setup();
    await expect(createDomain(deps, { name: 'x', customReturnPath: 'send', custom_return_path: 'two.labels', tracking_subdomain: 'links' })).rejects.toThrow(
      /`customReturnPath` is not a field of this route.*`name` must be a domain name.*`custom_return_path` must be one DNS label.*`tracking_subdomain` is not supported/,
    );
    await expect(createDomain(deps, {})).rejects.toMatchObject({ kind: 'missing_field' });
  });

  it('pages newest first with before too, and refuses a cursor that is no domain id', async () => {
    const { deps } = setup();
    for (const name of ['a.example.com', 'b.example.com', 'c.example.com']) await createDomain(deps, { name });
    const before = await listDomains(deps, { limit: '1', before: domainIdOf('a.example.com') });
    expect(before).toMatchObject({ has_more: true, data: [expect.objectContaining({ name: 'b.example.com' })] });
    await expect(listDomains(deps, { after: 'nope' })).rejects.toThrow(/`after` must be a domain id/);
  });
});
