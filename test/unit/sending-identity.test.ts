import { ResourceFailure, type ResourceRequest } from '../../lambda/core/custom-resource';
import {
  applySendingIdentity,
  CREATED_BY_STACK_TAG,
  IdentityAlreadyExists,
  readSendingIdentityProperties,
  SesRefusal,
  type DkimState,
  type EmailIdentities,
  type EmailIdentityState,
  type SendingIdentityProperties,
} from '../../lambda/core/sending-identity';

const STACK = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Outbox/11111111-2222-3333-4444-555555555555';
const OTHER_STACK = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Other/99999999-2222-3333-4444-555555555555';
const TOKENS = ['abcdefghijabcdefghijabcdefghij12', 'bcdefghijabcdefghijabcdefghij123', 'cdefghijabcdefghijabcdefghij1234'];
const EASY_DKIM: DkimState = { signingEnabled: true, status: 'PENDING', tokens: TOKENS, signingAttributesOrigin: 'AWS_SES' };

type StoredIdentity = EmailIdentityState;

/** SES's identities in memory, with the calls made and faults to inject per operation. */
class InMemoryEmailIdentities implements EmailIdentities {
  readonly identities = new Map<string, StoredIdentity>();
  readonly calls: string[] = [];
  readonly faults = new Map<string, unknown>();
  /** Makes the next create race with someone else who creates the identity first. */
  raceOnCreate?: StoredIdentity;

  async get(identity: string): Promise<EmailIdentityState | undefined> {
    this.calls.push(`get ${identity}`);
    this.fail('get');
    return this.identities.get(identity);
  }

  async create(identity: string, settings: { configurationSetName: string; tags: Readonly<Record<string, string>> }): Promise<EmailIdentityState> {
    this.calls.push(`create ${identity}`);
    this.fail('create');
    if (this.raceOnCreate) {
      this.identities.set(identity, this.raceOnCreate);
      this.raceOnCreate = undefined;
    }
    if (this.identities.has(identity)) throw new IdentityAlreadyExists(`Email identity ${identity} already exists.`);
    const state: StoredIdentity = { dkim: EASY_DKIM, tags: { ...settings.tags }, configurationSetName: settings.configurationSetName };
    this.identities.set(identity, state);
    // CreateEmailIdentity's answer carries neither the tags nor the configuration set.
    return { dkim: state.dkim, tags: {} };
  }

  async putMailFrom(identity: string, settings: { domain?: string; behaviorOnMxFailure?: string }): Promise<void> {
    this.calls.push(`mail-from ${identity} ${settings.domain ?? 'none'}${settings.behaviorOnMxFailure ? ` ${settings.behaviorOnMxFailure}` : ''}`);
    this.fail('mail-from');
    const stored = this.identities.get(identity);
    if (!stored) throw new SesRefusal('PutEmailIdentityMailFromAttributes', 'NotFoundException', `Email identity <${identity}> does not exist.`);
    const mailFrom = settings.domain ? { domain: settings.domain, behaviorOnMxFailure: settings.behaviorOnMxFailure ?? 'USE_DEFAULT_VALUE', status: 'PENDING' } : undefined;
    this.identities.set(identity, { ...withoutKey(stored, 'mailFrom'), ...(mailFrom ? { mailFrom } : {}) });
  }

  async putConfigurationSet(identity: string, configurationSetName: string | undefined): Promise<void> {
    this.calls.push(`configuration-set ${identity} ${configurationSetName ?? 'none'}`);
    this.fail('configuration-set');
    const stored = this.identities.get(identity);
    if (!stored) throw new SesRefusal('PutEmailIdentityConfigurationSetAttributes', 'NotFoundException', `Email identity <${identity}> does not exist.`);
    this.identities.set(identity, { ...withoutKey(stored, 'configurationSetName'), ...(configurationSetName ? { configurationSetName } : {}) });
  }

  async delete(identity: string): Promise<void> {
    this.calls.push(`delete ${identity}`);
    this.fail('delete');
    this.identities.delete(identity);
  }

  private fail(operation: string): void {
    const fault = this.faults.get(operation);
    if (fault) throw fault;
  }
}

function withoutKey<T extends object, K extends keyof T>(object: T, key: K): Omit<T, K> {
  const { [key]: _dropped, ...rest } = object;
  return rest;
}

function request(overrides: Partial<ResourceRequest<SendingIdentityProperties>> & Pick<ResourceRequest<SendingIdentityProperties>, 'type'>): ResourceRequest<SendingIdentityProperties> {
  return {
    stackId: STACK,
    requestId: 'req-1',
    logicalResourceId: 'SesDomainIdentity',
    properties: { domain: 'mail.example.com', configurationSetName: 'outbox-events' },
    ...overrides,
  };
}

describe('applySendingIdentity', () => {
  let ses: InMemoryEmailIdentities;
  beforeEach(() => {
    ses = new InMemoryEmailIdentities();
  });

  describe('Create', () => {
    it('creates a missing domain with the configuration set as default and tags it with the stack', async () => {
      const outcome = await applySendingIdentity({ identities: ses }, request({ type: 'Create' }));

      expect(ses.calls).toEqual(['get mail.example.com', 'create mail.example.com']);
      expect(ses.identities.get('mail.example.com')).toMatchObject({ configurationSetName: 'outbox-events', tags: { [CREATED_BY_STACK_TAG]: STACK } });
      expect(outcome.physicalResourceId).toBe('created:mail.example.com');
      expect(outcome.data).toMatchObject({
        Origin: 'created',
        DkimRecord1: `${TOKENS[0]}._domainkey.mail.example.com CNAME ${TOKENS[0]}.dkim.amazonses.com`,
        DkimRecord2Name: `${TOKENS[1]}._domainkey.mail.example.com`,
        DkimRecord3Value: `${TOKENS[2]}.dkim.amazonses.com`,
      });
    });

    it("adopts an existing domain, creating nothing and keeping another application's default configuration set", async () => {
      const theirs: StoredIdentity = { dkim: EASY_DKIM, tags: { team: 'billing' }, configurationSetName: 'their-set' };
      ses.identities.set('mail.example.com', theirs);

      const outcome = await applySendingIdentity({ identities: ses }, request({ type: 'Create' }));

      expect(ses.calls).toEqual(['get mail.example.com']);
      expect(ses.identities.get('mail.example.com')).toBe(theirs);
      expect(outcome.physicalResourceId).toBe('adopted:mail.example.com?mail-from=&on-mx-failure=');
      expect(outcome.data).toMatchObject({ Origin: 'adopted', DefaultConfigurationSet: 'their-set', DkimRecord1: `${TOKENS[0]}._domainkey.mail.example.com CNAME ${TOKENS[0]}.dkim.amazonses.com` });
    });

    it("counts an identity this stack's earlier attempt created as created, so a retried Create still owns it", async () => {
      await applySendingIdentity({ identities: ses }, request({ type: 'Create' }));
      const retried = await applySendingIdentity({ identities: ses }, request({ type: 'Create', requestId: 'req-2' }));

      expect(retried.physicalResourceId).toBe('created:mail.example.com');
      expect(ses.calls.filter((call) => call.startsWith('create'))).toHaveLength(1);
    });

    it('adopts an identity another stack created', async () => {
      ses.identities.set('mail.example.com', { dkim: EASY_DKIM, tags: { [CREATED_BY_STACK_TAG]: OTHER_STACK } });
      const outcome = await applySendingIdentity({ identities: ses }, request({ type: 'Create' }));
      expect(outcome.physicalResourceId).toBe('adopted:mail.example.com?mail-from=&on-mx-failure=');
    });

    it('adopts an identity someone else created between the read and the create', async () => {
      ses.raceOnCreate = { dkim: EASY_DKIM, tags: {} };
      const outcome = await applySendingIdentity({ identities: ses }, request({ type: 'Create' }));
      expect(ses.calls).toEqual(['get mail.example.com', 'create mail.example.com', 'get mail.example.com', 'configuration-set mail.example.com outbox-events']);
      expect(outcome.physicalResourceId).toBe('adopted:mail.example.com?mail-from=&on-mx-failure=');
    });

    it('points the CNAMEs at the signing zone SES names', async () => {
      ses.identities.set('mail.example.com', { dkim: { ...EASY_DKIM, signingHostedZone: 'dkim.af-south-1.amazonses.com' }, tags: {} });
      const outcome = await applySendingIdentity({ identities: ses }, request({ type: 'Create' }));
      expect(outcome.data!.DkimRecord1).toBe(`${TOKENS[0]}._domainkey.mail.example.com CNAME ${TOKENS[0]}.dkim.af-south-1.amazonses.com`);
    });

    it("gives a DEED replica its parent's CNAME records", async () => {
      ses.identities.set('mail.example.com', { dkim: { ...EASY_DKIM, signingAttributesOrigin: 'AWS_SES_US_EAST_1' }, tags: {} });
      const outcome = await applySendingIdentity({ identities: ses }, request({ type: 'Create' }));
      expect(outcome.data!.DkimRecord2).toBe(`${TOKENS[1]}._domainkey.mail.example.com CNAME ${TOKENS[1]}.dkim.amazonses.com`);
    });

    it('gives no CNAME for an adopted Bring Your Own DKIM identity, and says which TXT record it keeps', async () => {
      ses.identities.set('mail.example.com', { dkim: { signingEnabled: true, status: 'SUCCESS', tokens: ['s2026'], signingAttributesOrigin: 'EXTERNAL' }, tags: {} });
      const outcome = await applySendingIdentity({ identities: ses }, request({ type: 'Create' }));
      expect(outcome.data).toMatchObject({
        Origin: 'adopted',
        DkimRecord1: 'none: mail.example.com signs with Bring Your Own DKIM (selector s2026); keep its TXT record s2026._domainkey.mail.example.com',
        DkimRecord1Name: '',
        DkimRecord1Value: '',
      });
      expect(outcome.data!.DkimRecord3).toBe(outcome.data!.DkimRecord1);
    });

    it('says so when an adopted identity has no DKIM', async () => {
      ses.identities.set('mail.example.com', { dkim: { signingEnabled: false, status: 'NOT_STARTED', tokens: [] }, tags: {} });
      const outcome = await applySendingIdentity({ identities: ses }, request({ type: 'Create' }));
      expect(outcome.data!.DkimRecord1).toBe('none: SES has no DKIM tokens for mail.example.com; set up DKIM for it in the SES console');
      expect(outcome.data!.DkimRecord2Value).toBe('');
    });
  });

  describe('Update', () => {
    it('keeps the id of the same domain, creates nothing and moves the default to the renamed configuration set', async () => {
      const created = await applySendingIdentity({ identities: ses }, request({ type: 'Create' }));
      ses.calls.length = 0;
      const outcome = await applySendingIdentity(
        { identities: ses },
        request({ type: 'Update', physicalResourceId: created.physicalResourceId, properties: { domain: 'mail.example.com', configurationSetName: 'renamed' } }),
      );
      expect(outcome.physicalResourceId).toBe('created:mail.example.com');
      expect(ses.calls).toEqual(['get mail.example.com', 'configuration-set mail.example.com renamed']);
    });

    it('keeps an adopted domain adopted, recording what it finds when an older id recorded nothing', async () => {
      ses.identities.set('mail.example.com', { dkim: EASY_DKIM, tags: {}, mailFrom: { domain: 'mx.mail.example.com', behaviorOnMxFailure: 'REJECT_MESSAGE' } });
      const outcome = await applySendingIdentity({ identities: ses }, request({ type: 'Update', physicalResourceId: 'adopted:mail.example.com' }));
      // The new id makes CloudFormation delete the old one, which changes nothing (below).
      expect(outcome.physicalResourceId).toBe('adopted:mail.example.com?mail-from=mx.mail.example.com&on-mx-failure=REJECT_MESSAGE');
    });

    it('creates or adopts another domain under a new id and leaves the old one to the Delete CloudFormation sends', async () => {
      await applySendingIdentity({ identities: ses }, request({ type: 'Create' }));
      const outcome = await applySendingIdentity(
        { identities: ses },
        request({ type: 'Update', physicalResourceId: 'created:mail.example.com', properties: { domain: 'news.example.com', configurationSetName: 'outbox-events' } }),
      );
      expect(outcome.physicalResourceId).toBe('created:news.example.com');
      expect([...ses.identities.keys()].sort()).toEqual(['mail.example.com', 'news.example.com']);
    });

    it('creates the same domain again when it went missing', async () => {
      const outcome = await applySendingIdentity({ identities: ses }, request({ type: 'Update', physicalResourceId: 'created:mail.example.com' }));
      expect(ses.calls).toEqual(['get mail.example.com', 'get mail.example.com', 'create mail.example.com']);
      expect(outcome.physicalResourceId).toBe('created:mail.example.com');
    });
  });

  describe('Delete', () => {
    it('deletes an identity this resource created', async () => {
      const created = await applySendingIdentity({ identities: ses }, request({ type: 'Create' }));
      const outcome = await applySendingIdentity({ identities: ses }, request({ type: 'Delete', physicalResourceId: created.physicalResourceId }));
      expect(outcome.physicalResourceId).toBe('created:mail.example.com');
      expect(ses.identities.has('mail.example.com')).toBe(false);
    });

    it('leaves an adopted identity in place without calling SES', async () => {
      ses.identities.set('mail.example.com', { dkim: EASY_DKIM, tags: {} });
      await applySendingIdentity({ identities: ses }, request({ type: 'Delete', physicalResourceId: 'adopted:mail.example.com' }));
      expect(ses.identities.has('mail.example.com')).toBe(true);
      expect(ses.calls).toEqual([]);
    });

    it('deletes the domain named in the id, which is the old one after a change of domain', async () => {
      ses.identities.set('mail.example.com', { dkim: EASY_DKIM, tags: { [CREATED_BY_STACK_TAG]: STACK } });
      ses.identities.set('news.example.com', { dkim: EASY_DKIM, tags: { [CREATED_BY_STACK_TAG]: STACK } });
      await applySendingIdentity(
        { identities: ses },
        request({ type: 'Delete', physicalResourceId: 'created:mail.example.com', properties: { domain: 'mail.example.com', configurationSetName: 'x' } }),
      );
      expect([...ses.identities.keys()]).toEqual(['news.example.com']);
    });

    it("after a Create that failed, deletes the identity only when this stack's attempt made it", async () => {
      ses.identities.set('mail.example.com', { dkim: EASY_DKIM, tags: { [CREATED_BY_STACK_TAG]: STACK } });
      await applySendingIdentity({ identities: ses }, request({ type: 'Delete', physicalResourceId: 'SesDomainIdentity-create-failed-req-1' }));
      expect(ses.identities.has('mail.example.com')).toBe(false);

      ses.identities.set('mail.example.com', { dkim: EASY_DKIM, tags: { [CREATED_BY_STACK_TAG]: OTHER_STACK } });
      await applySendingIdentity({ identities: ses }, request({ type: 'Delete', physicalResourceId: 'SesDomainIdentity-create-failed-req-2' }));
      ses.identities.set('news.example.com', { dkim: EASY_DKIM, tags: {} });
      await applySendingIdentity(
        { identities: ses },
        request({ type: 'Delete', physicalResourceId: 'failed', properties: { domain: 'news.example.com', configurationSetName: 'x' } }),
      );
      expect([...ses.identities.keys()].sort()).toEqual(['mail.example.com', 'news.example.com']);
    });

    it('succeeds when the created identity is already gone', async () => {
      const outcome = await applySendingIdentity({ identities: ses }, request({ type: 'Delete', physicalResourceId: 'created:mail.example.com' }));
      expect(outcome.physicalResourceId).toBe('created:mail.example.com');
    });
  });

  describe('errors', () => {
    async function reasonFor(operation: 'get' | 'create' | 'delete', fault: unknown, type: 'Create' | 'Delete' = 'Create'): Promise<string> {
      ses.faults.clear();
      ses.faults.set(operation, fault);
      const failure = await applySendingIdentity({ identities: ses }, request({ type, ...(type === 'Delete' ? { physicalResourceId: 'created:mail.example.com' } : {}) })).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ResourceFailure);
      return (failure as Error).message;
    }

    it("turns a denied CreateEmailIdentity into a Reason with SES's words and where to look", async () => {
      const reason = await reasonFor(
        'create',
        new SesRefusal('CreateEmailIdentity', 'AccessDeniedException', 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: ses:CreateEmailIdentity'),
      );
      expect(reason).toBe(
        'Could not create the SES identity mail.example.com: SES says "User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: ses:CreateEmailIdentity" (AccessDeniedException). ' +
          "The function's role lacks a permission for CreateEmailIdentity; the stack grants it on this identity only, so check for a service control policy or permissions boundary that denies it.",
      );
    });

    it('says what to do about the identity quota, throttling, a missing configuration set and a bad domain', async () => {
      expect(await reasonFor('create', new SesRefusal('CreateEmailIdentity', 'LimitExceededException', 'Maximum number of identities reached.'))).toContain(
        'as many identities as SES allows in this Region',
      );
      expect(await reasonFor('get', new SesRefusal('GetEmailIdentity', 'TooManyRequestsException', 'Too many requests.'))).toContain('deploy again in a minute');
      expect(await reasonFor('create', new SesRefusal('CreateEmailIdentity', 'NotFoundException', 'Configuration set <outbox-events> does not exist.'))).toContain(
        'The configuration set outbox-events it names as default was not found',
      );
      expect(await reasonFor('create', new SesRefusal('CreateEmailIdentity', 'BadRequestException', 'Invalid domain name.'))).toContain('outbox:sendingDomain');
    });

    it('says SES could not be reached when the call never got an answer', async () => {
      expect(await reasonFor('get', new Error('connect ETIMEDOUT 52.94.0.1:443'))).toBe(
        'Could not read the SES identity mail.example.com: SES could not be reached (connect ETIMEDOUT 52.94.0.1:443). Deploy again once SES answers.',
      );
    });

    it('fails a Delete SES refuses, so the stack shows why', async () => {
      expect(await reasonFor('delete', new SesRefusal('DeleteEmailIdentity', 'ConcurrentModificationException', 'Busy.'), 'Delete')).toBe(
        'Could not delete the SES identity mail.example.com: SES says "Busy." (ConcurrentModificationException). Something else changed the identity at the same moment; deploy again.',
      );
    });
  });
});

describe('readSendingIdentityProperties', () => {
  it('reads the domain lower-cased and the configuration set', () => {
    expect(readSendingIdentityProperties({ ServiceToken: 'arn', EmailIdentity: ' Mail.Example.com ', ConfigurationSetName: 'set' })).toEqual({
      domain: 'mail.example.com',
      configurationSetName: 'set',
    });
  });

  it('names a missing property', () => {
    expect(() => readSendingIdentityProperties({ EmailIdentity: 'mail.example.com' })).toThrow(
      new ResourceFailure('The sending identity resource needs the property ConfigurationSetName (a non-empty string); the template gave none.'),
    );
  });
});

describe('applySendingIdentity: MAIL FROM and the default configuration set', () => {
  const MAIL_FROM: SendingIdentityProperties = {
    domain: 'mail.example.com',
    configurationSetName: 'outbox-events',
    mailFromDomain: 'bounce.mail.example.com',
    region: 'eu-west-1',
  };
  let ses: InMemoryEmailIdentities;
  beforeEach(() => {
    ses = new InMemoryEmailIdentities();
  });

  it('gives a created identity its MAIL FROM domain, falling back to SES’s own while the MX record is missing', async () => {
    const outcome = await applySendingIdentity({ identities: ses }, request({ type: 'Create', properties: MAIL_FROM }));

    expect(ses.calls).toEqual(['get mail.example.com', 'create mail.example.com', 'mail-from mail.example.com bounce.mail.example.com USE_DEFAULT_VALUE']);
    expect(ses.identities.get('mail.example.com')).toMatchObject({ configurationSetName: 'outbox-events', mailFrom: { domain: 'bounce.mail.example.com' } });
    expect(outcome.physicalResourceId).toBe('created:mail.example.com');
    expect(outcome.data).toMatchObject({
      MailFromDomain: 'bounce.mail.example.com',
      MailFromMxRecord: 'bounce.mail.example.com MX 10 feedback-smtp.eu-west-1.amazonses.com',
      MailFromMxValue: '10 feedback-smtp.eu-west-1.amazonses.com',
      MailFromSpfRecord: 'bounce.mail.example.com TXT "v=spf1 include:amazonses.com ~all"',
      MailFromSpfValue: '"v=spf1 include:amazonses.com ~all"',
      DmarcRecord: '_dmarc.mail.example.com TXT "v=DMARC1; p=none"',
      DmarcRecordName: '_dmarc.mail.example.com',
      DefaultConfigurationSet: 'outbox-events',
    });
  });

  it('sets MAIL FROM and the default set on an adopted identity, and puts both back as found on Delete', async () => {
    ses.identities.set('mail.example.com', { dkim: EASY_DKIM, tags: {}, mailFrom: { domain: 'old.mail.example.com', behaviorOnMxFailure: 'REJECT_MESSAGE', status: 'SUCCESS' } });

    const adopted = await applySendingIdentity({ identities: ses }, request({ type: 'Create', properties: MAIL_FROM }));
    expect(adopted.physicalResourceId).toBe('adopted:mail.example.com?mail-from=old.mail.example.com&on-mx-failure=REJECT_MESSAGE');
    expect(ses.identities.get('mail.example.com')).toMatchObject({ configurationSetName: 'outbox-events', mailFrom: { domain: 'bounce.mail.example.com', behaviorOnMxFailure: 'USE_DEFAULT_VALUE' } });

    ses.calls.length = 0;
    await applySendingIdentity({ identities: ses }, request({ type: 'Delete', physicalResourceId: adopted.physicalResourceId, properties: MAIL_FROM }));
    expect(ses.calls).toEqual([
      'get mail.example.com',
      'mail-from mail.example.com old.mail.example.com REJECT_MESSAGE',
      // Cleared before CloudFormation deletes the set, which the resource depends on.
      'configuration-set mail.example.com none',
    ]);
    expect(ses.identities.get('mail.example.com')).toEqual({ dkim: EASY_DKIM, tags: {}, mailFrom: expect.objectContaining({ domain: 'old.mail.example.com', behaviorOnMxFailure: 'REJECT_MESSAGE' }) });
  });

  it("leaves another application's default set in place on Delete too", async () => {
    ses.identities.set('mail.example.com', { dkim: EASY_DKIM, tags: {}, configurationSetName: 'their-set' });
    const adopted = await applySendingIdentity({ identities: ses }, request({ type: 'Create', properties: MAIL_FROM }));
    expect(adopted.data!.DefaultConfigurationSet).toBe('their-set');
    await applySendingIdentity({ identities: ses }, request({ type: 'Delete', physicalResourceId: adopted.physicalResourceId, properties: MAIL_FROM }));
    expect(ses.identities.get('mail.example.com')).toEqual({ dkim: EASY_DKIM, tags: {}, configurationSetName: 'their-set' });
  });

  it('calls nothing on an Update that changes nothing', async () => {
    const created = await applySendingIdentity({ identities: ses }, request({ type: 'Create', properties: MAIL_FROM }));
    ses.calls.length = 0;
    const updated = await applySendingIdentity({ identities: ses }, request({ type: 'Update', physicalResourceId: created.physicalResourceId, properties: MAIL_FROM, oldProperties: MAIL_FROM }));
    expect(ses.calls).toEqual(['get mail.example.com']);
    expect(updated).toEqual(created);
  });

  it('moves MAIL FROM to a new subdomain on Update, and turns it off again', async () => {
    const created = await applySendingIdentity({ identities: ses }, request({ type: 'Create', properties: MAIL_FROM }));
    const moved = { ...MAIL_FROM, mailFromDomain: 'mx.mail.example.com' };
    await applySendingIdentity({ identities: ses }, request({ type: 'Update', physicalResourceId: created.physicalResourceId, properties: moved, oldProperties: MAIL_FROM }));
    expect(ses.identities.get('mail.example.com')!.mailFrom).toMatchObject({ domain: 'mx.mail.example.com' });

    const { mailFromDomain: _off, ...off } = moved;
    const outcome = await applySendingIdentity({ identities: ses }, request({ type: 'Update', physicalResourceId: created.physicalResourceId, properties: off, oldProperties: moved }));
    expect(ses.calls.at(-1)).toBe('mail-from mail.example.com none');
    expect(ses.identities.get('mail.example.com')!.mailFrom).toBeUndefined();
    expect(outcome.data).toMatchObject({ MailFromDomain: '', MailFromMxValue: '', MailFromMxRecord: expect.stringMatching(/^none: custom MAIL FROM is off/) });
  });

  it('with MAIL FROM turned off, puts back what an adopted identity had', async () => {
    ses.identities.set('mail.example.com', { dkim: EASY_DKIM, tags: {} });
    const adopted = await applySendingIdentity({ identities: ses }, request({ type: 'Create', properties: MAIL_FROM }));
    const { mailFromDomain: _off, ...off } = MAIL_FROM;
    await applySendingIdentity({ identities: ses }, request({ type: 'Update', physicalResourceId: adopted.physicalResourceId, properties: off, oldProperties: MAIL_FROM }));
    expect(ses.identities.get('mail.example.com')!.mailFrom).toBeUndefined();
  });

  it("moves an adopted identity's default to the stack's replacement set, which it had from the old one", async () => {
    ses.identities.set('mail.example.com', { dkim: EASY_DKIM, tags: {} });
    const adopted = await applySendingIdentity({ identities: ses }, request({ type: 'Create', properties: MAIL_FROM }));
    const replaced = { ...MAIL_FROM, configurationSetName: 'outbox-events-2' };
    await applySendingIdentity({ identities: ses }, request({ type: 'Update', physicalResourceId: adopted.physicalResourceId, properties: replaced, oldProperties: MAIL_FROM }));
    expect(ses.identities.get('mail.example.com')!.configurationSetName).toBe('outbox-events-2');
  });

  it('puts an adopted identity’s MAIL FROM back when setting the default set fails', async () => {
    ses.identities.set('mail.example.com', { dkim: EASY_DKIM, tags: {} });
    ses.faults.set('configuration-set', new SesRefusal('PutEmailIdentityConfigurationSetAttributes', 'NotFoundException', 'Configuration set <outbox-events> does not exist.'));

    const failure = await applySendingIdentity({ identities: ses }, request({ type: 'Create', properties: MAIL_FROM })).catch((e: unknown) => e);

    expect((failure as Error).message).toBe(
      'Could not set the default configuration set of the SES identity mail.example.com: SES says "Configuration set <outbox-events> does not exist." (NotFoundException). ' +
        'The configuration set outbox-events it names as default was not found; deploy again.',
    );
    expect(ses.calls.at(-1)).toBe('mail-from mail.example.com none');
    expect(ses.identities.get('mail.example.com')).toEqual({ dkim: EASY_DKIM, tags: {} });
  });

  it('says what to check when SES refuses the MAIL FROM domain', async () => {
    ses.faults.set('mail-from', new SesRefusal('PutEmailIdentityMailFromAttributes', 'BadRequestException', 'Invalid MAIL FROM domain.'));
    const failure = await applySendingIdentity({ identities: ses }, request({ type: 'Create', properties: MAIL_FROM })).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ResourceFailure);
    expect((failure as Error).message).toContain('Check that outbox:mailFromSubdomain is a DNS label such as bounce');
  });

  it('with a hosted zone, refuses an identity without Easy DKIM before changing anything', async () => {
    ses.identities.set('mail.example.com', { dkim: { signingEnabled: true, status: 'SUCCESS', tokens: ['s2026'], signingAttributesOrigin: 'EXTERNAL' }, tags: {} });
    const failure = await applySendingIdentity({ identities: ses }, request({ type: 'Create', properties: { ...MAIL_FROM, hostedZoneName: 'example.com' } })).catch((e: unknown) => e);
    expect((failure as Error).message).toMatch(/^The stack writes the DNS records into the Route 53 zone example.com, which needs Easy DKIM's three CNAME records, but mail.example.com signs with Bring Your Own DKIM/);
    expect(ses.calls).toEqual(['get mail.example.com']);
  });

  it('gives every record as one zone-file snippet, with the DMARC report address', async () => {
    const outcome = await applySendingIdentity({ identities: ses }, request({ type: 'Create', properties: { ...MAIL_FROM, dmarcReportTo: 'ops@example.com' } }));
    expect(outcome.data!.ZoneFile!.split('\n')).toEqual([
      `${TOKENS[0]}._domainkey.mail.example.com.\t1800\tIN\tCNAME\t${TOKENS[0]}.dkim.amazonses.com.`,
      `${TOKENS[1]}._domainkey.mail.example.com.\t1800\tIN\tCNAME\t${TOKENS[1]}.dkim.amazonses.com.`,
      `${TOKENS[2]}._domainkey.mail.example.com.\t1800\tIN\tCNAME\t${TOKENS[2]}.dkim.amazonses.com.`,
      'bounce.mail.example.com.\t1800\tIN\tMX\t10 feedback-smtp.eu-west-1.amazonses.com.',
      'bounce.mail.example.com.\t1800\tIN\tTXT\t"v=spf1 include:amazonses.com ~all"',
      '_dmarc.mail.example.com.\t1800\tIN\tTXT\t"v=DMARC1; p=none; rua=mailto:ops@example.com"',
    ]);
  });

  it('says in the snippet which records it cannot give', async () => {
    ses.identities.set('mail.example.com', { dkim: { signingEnabled: false, status: 'NOT_STARTED', tokens: [] }, tags: {} });
    const { mailFromDomain: _off, ...off } = MAIL_FROM;
    const outcome = await applySendingIdentity({ identities: ses }, request({ type: 'Create', properties: off }));
    expect(outcome.data!.ZoneFile!.split('\n')).toEqual([
      '; none: SES has no DKIM tokens for mail.example.com; set up DKIM for it in the SES console',
      '; none: custom MAIL FROM is off (outbox:mailFromSubdomain off), so SPF does not align with mail.example.com; DKIM alone aligns for DMARC',
      '_dmarc.mail.example.com.\t1800\tIN\tTXT\t"v=DMARC1; p=none"',
    ]);
  });
});

describe('readSendingIdentityProperties: MAIL FROM, DMARC and the zone', () => {
  const BASE = { EmailIdentity: 'Mail.Example.com', ConfigurationSetName: 'set' };

  it('reads the optional properties, lower-casing the names', () => {
    expect(
      readSendingIdentityProperties({ ...BASE, MailFromDomain: 'Bounce.Mail.Example.com', Region: 'eu-west-1', DmarcReportTo: 'ops@example.com', HostedZoneName: 'Example.com.' }),
    ).toEqual({
      domain: 'mail.example.com',
      configurationSetName: 'set',
      mailFromDomain: 'bounce.mail.example.com',
      region: 'eu-west-1',
      dmarcReportTo: 'ops@example.com',
      hostedZoneName: 'example.com',
    });
  });

  it('refuses a MAIL FROM domain outside the identity, and one without the Region', () => {
    expect(() => readSendingIdentityProperties({ ...BASE, MailFromDomain: 'bounce.example.org', Region: 'eu-west-1' })).toThrow(/must be a subdomain of mail.example.com/);
    expect(() => readSendingIdentityProperties({ ...BASE, MailFromDomain: 'bounce.mail.example.com' })).toThrow(/needs the property Region/);
  });
});
