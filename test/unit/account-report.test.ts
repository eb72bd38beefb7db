import {
  IDENTITY_BUDGET_MS,
  MAX_REPORTED_IDENTITIES,
  reportAccount,
  type SesAccountDetails,
  type SesAccountReport,
  type SesIdentityDetails,
  type SesIdentityListing,
} from '../../lambda/core/account-report';
import { readApiConfig } from '../../lambda/config';
import { OutboxError } from '../../lambda/core/errors';
import type { Clock } from '../../lambda/core/ports';
import { ENV } from '../../lambda/shared/env';
import { API_KEYS_TABLE, CONTROL_TABLE, EMAILS_TABLE, IDEMPOTENCY_TABLE, SUPPRESSIONS_TABLE, WEBHOOKS_TABLE } from '../../lambda/shared/tables';

/** An in-memory SES account: what GetAccount, ListEmailIdentities and GetEmailIdentity answer, and the calls made. */
class FakeSesAccount implements SesAccountReport {
  readonly calls: string[] = [];
  regionName: string | undefined = 'eu-west-1';
  account: SesAccountDetails = {
    productionAccessEnabled: true,
    sendingEnabled: true,
    enforcementStatus: 'HEALTHY',
    sendQuota: { maxSendRate: 14, max24HourSend: 50_000, sentLast24Hours: 12 },
    suppressedReasons: ['BOUNCE', 'COMPLAINT'],
  };
  listing: SesIdentityListing[] = [];
  more = false;
  details = new Map<string, SesIdentityDetails | Error>();
  /** Runs on each GetEmailIdentity, e.g. to move a fake clock. */
  onGetIdentity: () => void = () => {};

  async region(): Promise<string | undefined> {
    return this.regionName;
  }

  async getAccount(): Promise<SesAccountDetails> {
    this.calls.push('GetAccount');
    return this.account;
  }

  async listIdentities(pageSize: number): Promise<{ identities: SesIdentityListing[]; more: boolean }> {
    this.calls.push(`ListEmailIdentities ${pageSize}`);
    return { identities: this.listing, more: this.more };
  }

  async getIdentity(name: string): Promise<SesIdentityDetails> {
    this.calls.push(`GetEmailIdentity ${name}`);
    this.onGetIdentity();
    const answer = this.details.get(name);
    if (answer instanceof Error) throw answer;
    if (!answer) throw new OutboxError('not_found', `SES has no identity ${name} in this region.`);
    return answer;
  }
}

class FakeClock implements Clock {
  constructor(public ms = Date.parse('2026-11-28T10:00:00.000Z')) {}
  now(): Date {
    return new Date(this.ms);
  }
}

const domain: SesIdentityDetails = { type: 'DOMAIN', verifiedForSending: true, verificationStatus: 'SUCCESS', dkim: { status: 'SUCCESS', signingEnabled: true } };

describe('reportAccount', () => {
  let ses: FakeSesAccount;
  let clock: FakeClock;

  beforeEach(() => {
    ses = new FakeSesAccount();
    clock = new FakeClock();
  });

  it("maps GetAccount's answer to the account fields in snake_case", async () => {
    const report = await reportAccount({ account: ses, clock });
    expect(report).toEqual({
      object: 'account',
      region: 'eu-west-1',
      sending_enabled: true,
      production_access: true,
      enforcement_status: 'HEALTHY',
      send_quota: { max_send_rate: 14, max_24_hour_send: 50_000, sent_last_24_hours: 12 },
      suppression: { suppressed_reasons: ['BOUNCE', 'COMPLAINT'] },
      identities_source: 'account',
      identities: [],
      has_more_identities: false,
    });
  });

  it('reports a sandboxed account as production_access false, and keeps SES\'s -1 for an unlimited daily quota', async () => {
    ses.account = { ...ses.account, productionAccessEnabled: false, sendQuota: { maxSendRate: 1, max24HourSend: -1, sentLast24Hours: 0 } };
    const report = await reportAccount({ account: ses, clock });
    expect(report.production_access).toBe(false);
    expect(report.send_quota).toEqual({ max_send_rate: 1, max_24_hour_send: -1, sent_last_24_hours: 0 });
  });

  it('reports sending disabled when SES says so, and when enforcement is SHUTDOWN whatever SendingEnabled says', async () => {
    ses.account = { ...ses.account, sendingEnabled: false };
    expect((await reportAccount({ account: ses, clock })).sending_enabled).toBe(false);
    ses.account = { ...ses.account, sendingEnabled: true, enforcementStatus: 'SHUTDOWN' };
    const shutdown = await reportAccount({ account: ses, clock });
    expect(shutdown).toMatchObject({ sending_enabled: false, enforcement_status: 'SHUTDOWN' });
  });

  it('gives null for what SES left out, and no region when the client has none', async () => {
    ses.account = {};
    ses.regionName = undefined;
    const report = await reportAccount({ account: ses, clock });
    expect(report).not.toHaveProperty('region');
    expect(report).toMatchObject({
      sending_enabled: false,
      production_access: false,
      enforcement_status: null,
      send_quota: { max_send_rate: null, max_24_hour_send: null, sent_last_24_hours: null },
      suppression: { suppressed_reasons: [] },
    });
  });

  it("reports the account's listed identities with their verification and DKIM, one GetEmailIdentity each, in turn", async () => {
    ses.listing = [
      { name: 'acme.test', type: 'DOMAIN', sendingEnabled: true, verificationStatus: 'SUCCESS' },
      { name: 'ops@other.test', type: 'EMAIL_ADDRESS', sendingEnabled: true, verificationStatus: 'SUCCESS' },
      { name: 'new.test', type: 'DOMAIN', sendingEnabled: false, verificationStatus: 'PENDING' },
    ];
    ses.details.set('acme.test', domain);
    ses.details.set('ops@other.test', { type: 'EMAIL_ADDRESS', verifiedForSending: true, verificationStatus: 'SUCCESS', dkim: { status: 'NOT_STARTED', signingEnabled: false } });
    ses.details.set('new.test', { type: 'DOMAIN', verifiedForSending: false, verificationStatus: 'PENDING', dkim: { status: 'PENDING', signingEnabled: true } });

    const report = await reportAccount({ account: ses, clock });
    expect(report.identities_source).toBe('account');
    expect(report.identities).toEqual([
      { name: 'acme.test', type: 'DOMAIN', verified: true, verification_status: 'SUCCESS', sending_enabled: true, dkim: { status: 'SUCCESS', signing_enabled: true } },
      { name: 'ops@other.test', type: 'EMAIL_ADDRESS', verified: true, verification_status: 'SUCCESS', sending_enabled: true, dkim: { status: 'NOT_STARTED', signing_enabled: false } },
      { name: 'new.test', type: 'DOMAIN', verified: false, verification_status: 'PENDING', sending_enabled: false, dkim: { status: 'PENDING', signing_enabled: true } },
    ]);
    expect(ses.calls).toEqual(['GetAccount', 'ListEmailIdentities 100', 'GetEmailIdentity acme.test', 'GetEmailIdentity ops@other.test', 'GetEmailIdentity new.test']);
  });

  it('reports the configured identities, not the whole list, taking SendingEnabled from the listing when it has them', async () => {
    ses.listing = [
      { name: 'other.test', type: 'DOMAIN', sendingEnabled: true, verificationStatus: 'SUCCESS' },
      { name: 'Acme.test', type: 'DOMAIN', sendingEnabled: false, verificationStatus: 'SUCCESS' },
    ];
    ses.details.set('acme.test', domain);
    ses.details.set('hello@unlisted.test', { type: 'EMAIL_ADDRESS', verifiedForSending: true, verificationStatus: 'SUCCESS' });

    const report = await reportAccount({ account: ses, clock, sendingIdentities: [' acme.test', 'hello@unlisted.test', 'ACME.test', ''] });
    expect(report.identities_source).toBe('configured');
    expect(report.identities.map((i) => [i.name, i.sending_enabled])).toEqual([
      ['acme.test', false],
      ['hello@unlisted.test', null],
    ]);
    expect(report.identities[1]).toMatchObject({ type: 'EMAIL_ADDRESS', verified: true, dkim: null });
    expect(ses.calls.filter((c) => c.startsWith('GetEmailIdentity'))).toEqual(['GetEmailIdentity acme.test', 'GetEmailIdentity hello@unlisted.test']);
  });

  it('reports an identity SES does not have with an error and verified false, and still reports the others', async () => {
    ses.details.set('acme.test', domain);
    const report = await reportAccount({ account: ses, clock, sendingIdentities: ['missing.test', 'acme.test'] });
    expect(report.identities[0]).toEqual({
      name: 'missing.test',
      type: 'DOMAIN',
      verified: false,
      verification_status: null,
      sending_enabled: null,
      dkim: null,
      error: 'SES has no identity missing.test in this region.',
    });
    expect(report.identities[1]).toMatchObject({ name: 'acme.test', verified: true });
  });

  it("reports an identity whose call kept failing with the adapter's reason and unknown verification, not a failed answer", async () => {
    ses.details.set('flaky.test', new OutboxError('unavailable', 'SES throttled GetEmailIdentity even after retries; ask again in a few seconds.'));
    ses.details.set('acme.test', domain);
    const report = await reportAccount({ account: ses, clock, sendingIdentities: ['flaky.test', 'acme.test'] });
    expect(report.identities[0]).toMatchObject({ name: 'flaky.test', verified: null, dkim: null, error: expect.stringContaining('throttled') });
    expect(report.identities[1]).toMatchObject({ name: 'acme.test', verified: true });
  });

  it("never passes on an unexpected error's own words", async () => {
    ses.details.set('odd.test', new Error('socket hang up at 10.0.0.12:443'));
    const report = await reportAccount({ account: ses, clock, sendingIdentities: ['odd.test'] });
    expect(report.identities[0]!.error).toBe('SES did not answer GetEmailIdentity for odd.test.');
  });

  it('fails the whole report when SES denies access to an identity, since the role needs fixing', async () => {
    ses.details.set('acme.test', new OutboxError('ses_access_denied', 'SES refused GetEmailIdentity: not authorized.'));
    await expect(reportAccount({ account: ses, clock, sendingIdentities: ['acme.test'] })).rejects.toMatchObject({ kind: 'ses_access_denied' });
  });

  it('fails the whole report when GetAccount fails, asking nothing more', async () => {
    ses.getAccount = async () => {
      ses.calls.push('GetAccount');
      throw new OutboxError('unavailable', 'SES did not answer GetAccount.');
    };
    await expect(reportAccount({ account: ses, clock })).rejects.toMatchObject({ kind: 'unavailable', status: 503 });
    expect(ses.calls).toEqual(['GetAccount']);
  });

  it(`asks about at most ${MAX_REPORTED_IDENTITIES} identities and says there are more`, async () => {
    ses.listing = Array.from({ length: MAX_REPORTED_IDENTITIES + 2 }, (_, n) => ({ name: `d${n}.test`, type: 'DOMAIN', sendingEnabled: true, verificationStatus: 'SUCCESS' }));
    for (const { name } of ses.listing) ses.details.set(name, domain);
    const report = await reportAccount({ account: ses, clock });
    expect(report.identities).toHaveLength(MAX_REPORTED_IDENTITIES);
    expect(report.has_more_identities).toBe(true);
    expect(ses.calls.filter((c) => c.startsWith('GetEmailIdentity'))).toHaveLength(MAX_REPORTED_IDENTITIES);

    const configured = await reportAccount({ account: ses, clock, sendingIdentities: ses.listing.map((i) => i.name) });
    expect(configured.identities).toHaveLength(MAX_REPORTED_IDENTITIES);
    expect(configured.has_more_identities).toBe(true);
  });

  it('says there are more identities when SES has another page', async () => {
    ses.listing = [{ name: 'acme.test' }];
    ses.details.set('acme.test', domain);
    ses.more = true;
    expect((await reportAccount({ account: ses, clock })).has_more_identities).toBe(true);
    // Configured identities are the whole list: SES's other pages do not matter.
    expect((await reportAccount({ account: ses, clock, sendingIdentities: ['acme.test'] })).has_more_identities).toBe(false);
  });

  it(`stops asking about identities after ${IDENTITY_BUDGET_MS / 1000} s and reports the rest as not checked`, async () => {
    const names = ['a.test', 'b.test', 'c.test', 'd.test'];
    for (const name of names) ses.details.set(name, domain);
    // Each GetEmailIdentity takes 2.5 s (SES throttling, the SDK backing off).
    ses.onGetIdentity = () => {
      clock.ms += 2_500;
    };
    const report = await reportAccount({ account: ses, clock, sendingIdentities: names });
    expect(report.identities.map((i) => i.verified)).toEqual([true, true, true, null]);
    expect(report.identities[3]).toMatchObject({ name: 'd.test', dkim: null, error: expect.stringContaining('Not checked') });
    expect(ses.calls.filter((c) => c.startsWith('GetEmailIdentity'))).toHaveLength(3);
  });
});

describe('readApiConfig: OUTBOX_SENDING_IDENTITIES', () => {
  const base = {
    [EMAILS_TABLE.envVar]: 'e',
    [API_KEYS_TABLE.envVar]: 'k',
    [IDEMPOTENCY_TABLE.envVar]: 'i',
    [SUPPRESSIONS_TABLE.envVar]: 's',
    [WEBHOOKS_TABLE.envVar]: 'w',
    [ENV.configurationSet]: 'c',
    [ENV.retentionDays]: '90',
    [CONTROL_TABLE.envVar]: 'control',
  };

  it('reads a comma-separated list, trimmed, without empty entries', () => {
    expect(readApiConfig({ ...base, [ENV.sendingIdentities]: ' mail.acme.test, ,ops@acme.test,' }).sendingIdentities).toEqual(['mail.acme.test', 'ops@acme.test']);
  });

  it('leaves it unset when the variable is unset or holds no names', () => {
    expect(readApiConfig(base)).not.toHaveProperty('sendingIdentities');
    expect(readApiConfig({ ...base, [ENV.sendingIdentities]: ' , ' })).not.toHaveProperty('sendingIdentities');
  });
});
