import type { AccountView, IdentityView } from '../../lambda/core/account-report';
import type { EmailView } from '../../lambda/core/email-view';
import { SMOKE_CASES, bareAddress, chooseSender, covers, judge, reviewAccount, timeoutReason, type SmokeCase } from '../../scripts/smoke-checks';

const domain: IdentityView = { name: 'mail.acme.test', type: 'DOMAIN', verified: true, verification_status: 'SUCCESS', sending_enabled: true, dkim: { status: 'SUCCESS', signing_enabled: true } };
const address: IdentityView = { name: 'ops@other.test', type: 'EMAIL_ADDRESS', verified: true, verification_status: 'SUCCESS', sending_enabled: true, dkim: { status: 'NOT_STARTED', signing_enabled: false } };

function account(overrides: Partial<AccountView> = {}): AccountView {
  return {
    object: 'account',
    region: 'eu-west-1',
    sending_enabled: true,
    production_access: true,
    enforcement_status: 'HEALTHY',
    send_quota: { max_send_rate: 14, max_24_hour_send: 50_000, sent_last_24_hours: 3 },
    suppression: { suppressed_reasons: ['BOUNCE', 'COMPLAINT'] },
    identities_source: 'configured',
    identities: [domain],
    has_more_identities: false,
    ...overrides,
  };
}

function caseOf(mailbox: SmokeCase['mailbox']): SmokeCase {
  return SMOKE_CASES.find((c) => c.mailbox === mailbox)!;
}

function email(status: EmailView['recipients'][number]['status'], lastEvent: EmailView['last_event'], extra: Partial<EmailView> = {}): EmailView {
  return {
    object: 'email',
    id: '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11',
    created_at: '2026-11-28T10:00:00.000Z',
    last_event: lastEvent,
    ses_message_id: '0100019ac9a4-0000-000000',
    failure: null,
    recipients: [{ email: 'x@simulator.amazonses.com', type: 'to', status, updated_at: null }],
    ...extra,
  } as EmailView;
}

describe('reviewAccount', () => {
  it('prints the region, the sandbox, sending, the quota and each identity', () => {
    const review = reviewAccount(account({ identities: [domain, address] }));
    expect(review.lines).toEqual([
      'region: eu-west-1',
      'SES sandbox: no (production access)',
      'sending: enabled; enforcement status HEALTHY',
      'send quota: 14 recipients/s, 50000 per 24 h (3 sent in the last 24 h)',
      'SES account suppression list: BOUNCE, COMPLAINT',
      'identities (the ones Outbox is configured with):',
      '  mail.acme.test DOMAIN: verified (SUCCESS), DKIM SUCCESS, signing on',
      '  ops@other.test EMAIL_ADDRESS: verified (SUCCESS), DKIM NOT_STARTED, signing off',
    ]);
    expect(review.failure).toBeUndefined();
  });

  it('says what the sandbox allows, and that there is no daily quota when SES gives -1', () => {
    const review = reviewAccount(account({ production_access: false, send_quota: { max_send_rate: 1, max_24_hour_send: -1, sent_last_24_hours: 0 } }));
    expect(review.lines[1]).toMatch(/^SES sandbox: yes: only verified recipients and the mailbox simulator, 200 messages a day at 1 a second/);
    expect(review.lines[3]).toBe('send quota: 1 recipients/s, no daily quota (0 sent in the last 24 h)');
    expect(review.failure).toBeUndefined();
  });

  it('warns, without failing, of DKIM that is not SUCCESS, saying what to do for a domain and for an address', () => {
    const pending = { ...domain, dkim: { status: 'PENDING', signing_enabled: true } };
    const review = reviewAccount(account({ identities: [pending, address] }));
    expect(review.warnings).toEqual([
      expect.stringMatching(/^mail\.acme\.test: DKIM is PENDING, not SUCCESS: .*DKIM CNAME records/),
      expect.stringMatching(/^ops@other\.test: DKIM is NOT_STARTED: an address identity has no DKIM of its own/),
    ]);
    expect(review.failure).toBeUndefined();
  });

  it('warns of an identity that is not verified, or that SES could not describe', () => {
    const unverified = { ...domain, verified: false, verification_status: 'PENDING' };
    const missing: IdentityView = { ...domain, name: 'gone.test', verified: false, verification_status: null, sending_enabled: null, dkim: null, error: 'SES has no identity gone.test in this region.' };
    const review = reviewAccount(account({ identities: [unverified, missing] }));
    expect(review.warnings).toEqual([expect.stringContaining('mail.acme.test is not verified (PENDING)'), 'gone.test: SES has no identity gone.test in this region.']);
    expect(review.lines).toContain('  gone.test DOMAIN: NOT verified [SES has no identity gone.test in this region.]');
  });

  it('fails when SES sending is disabled, and warns of probation', () => {
    expect(reviewAccount(account({ sending_enabled: false, enforcement_status: 'SHUTDOWN' })).failure).toMatch(/^SES sending is disabled for this account \(enforcement status SHUTDOWN\)/);
    expect(reviewAccount(account({ enforcement_status: 'PROBATION' })).warnings).toEqual([expect.stringContaining('under review (PROBATION)')]);
  });
});

describe('chooseSender', () => {
  it('takes outbox-smoke@ the first verified domain identity, before any address identity', () => {
    expect(chooseSender(account({ identities: [address, domain] }))).toEqual({
      from: 'Outbox smoke test <outbox-smoke@mail.acme.test>',
      why: 'the first verified domain identity, mail.acme.test',
    });
  });

  it('takes the first verified address identity when no domain is verified and sending', () => {
    const disabled = { ...domain, sending_enabled: false };
    const unverified = { ...domain, name: 'new.test', verified: false };
    expect(chooseSender(account({ identities: [disabled, unverified, address] }))).toEqual({ from: 'ops@other.test', why: 'the first verified address identity' });
  });

  it('fails when there is no verified identity, saying how to get one', () => {
    const choice = chooseSender(account({ identities: [{ ...domain, verified: null, error: 'not checked' }] }));
    expect(choice).toEqual({ failure: expect.stringMatching(/^no verified identity to send from: .*--from/) });
  });

  it('uses --from as given, warning when no verified identity covers it', () => {
    expect(chooseSender(account(), 'Ops <ops@eu.mail.acme.test>')).toEqual({ from: 'Ops <ops@eu.mail.acme.test>', why: 'given with --from' });
    expect(chooseSender(account({ identities: [] }), 'me@elsewhere.test')).toEqual({
      from: 'me@elsewhere.test',
      why: 'given with --from',
      warning: expect.stringContaining('no verified identity in GET /account covers me@elsewhere.test'),
    });
  });

  it('reads an address out of a display form, and matches it to its domain or a parent domain', () => {
    expect(bareAddress('Acme <hello@acme.test>')).toBe('hello@acme.test');
    expect(bareAddress(' hello@acme.test ')).toBe('hello@acme.test');
    expect(covers('acme.test', 'Hello@Mail.Acme.test')).toBe(true);
    expect(covers('hello@acme.test', 'HELLO@acme.test')).toBe(true);
    expect(covers('acme.test', 'hello@notacme.test')).toBe(false);
    expect(covers('hello@acme.test', 'other@acme.test')).toBe(false);
  });
});

describe('judge', () => {
  it('waits while the recipient is below the expected status', () => {
    expect(judge(caseOf('bounce'), email('sent', 'sent'))).toEqual({ state: 'waiting', got: 'sent' });
    expect(judge(caseOf('complaint'), email('delivered', 'delivered'))).toEqual({ state: 'waiting', got: 'delivered' });
    expect(judge(caseOf('ooto'), email('delivered', 'delivered'))).toEqual({ state: 'waiting', got: 'delivered' });
  });

  it('passes each case at its final state', () => {
    expect(judge(caseOf('success'), email('delivered', 'delivered'))).toEqual({ state: 'pass', got: 'delivered' });
    expect(judge(caseOf('bounce'), email('bounced', 'bounced'))).toEqual({ state: 'pass', got: 'bounced' });
    expect(judge(caseOf('complaint'), email('complained', 'complained'))).toEqual({ state: 'pass', got: 'complained' });
    expect(judge(caseOf('ooto'), email('auto_replied', 'delivered'))).toEqual({ state: 'pass', got: 'auto_replied' });
  });

  it('fails a status that outranks the expected one', () => {
    expect(judge(caseOf('success'), email('bounced', 'bounced'))).toEqual({ state: 'fail', got: 'bounced', reason: 'expected delivered (Delivery), got bounced' });
    expect(judge(caseOf('bounce'), email('suppressed', 'suppressed'))).toMatchObject({ state: 'fail', got: 'suppressed' });
  });

  it('fails an auto-reply whose last_event moved off delivered', () => {
    expect(judge(caseOf('ooto'), email('auto_replied', 'bounced'))).toMatchObject({ state: 'fail', reason: expect.stringContaining('last_event is bounced, expected delivered') });
  });

  it('fails at once an email SES refused for good', () => {
    const refused = email('failed', 'failed', { failure: { name: 'invalid_from_address', message: 'Email address is not verified.', failed_at: '2026-11-28T10:00:01.000Z' } });
    expect(judge(caseOf('success'), refused)).toEqual({ state: 'fail', got: 'failed', reason: 'SES refused the email for good: invalid_from_address: Email address is not verified.' });
  });
});

describe('timeoutReason', () => {
  it('points at the sender for an email still queued', () => {
    expect(timeoutReason(caseOf('success'), email('queued', 'queued'), 60)).toMatch(/^still queued within 60 s: SES has not accepted it\. Check the sender Lambda's logs/);
  });

  it("points at the configuration set's event destination when SES accepted it and nothing came back", () => {
    const reason = timeoutReason(caseOf('bounce'), email('sent', 'sent'), 60);
    expect(reason).toMatch(/^events did not arrive within 60 s: SES accepted it \(ses_message_id 0100019ac9a4-0000-000000\) but no Bounce \(Permanent\) came back/);
    expect(reason).toContain("configuration set's event destination");
  });

  it('says the later event is missing when only the Delivery came', () => {
    expect(timeoutReason(caseOf('complaint'), email('delivered', 'delivered'), 60)).toMatch(/^the Delivery arrived but not the rest \(Delivery, then Complaint\)/);
  });

  it('says the email could not be read at all, with the last error', () => {
    expect(timeoutReason(caseOf('success'), undefined, 60, 'GET /emails/x answered 503')).toBe(
      'could not read the email within 60 s (GET /emails/x answered 503): is the API reachable, and does the key have full access?',
    );
  });
});
