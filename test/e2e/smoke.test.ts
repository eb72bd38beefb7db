import { npmStart, type StartedProcess } from '../helpers/npm-start';
import { runSmoke } from '../helpers/run-smoke';

/**
 * `npm run smoke` against `npm start`, both real processes, as a user runs them after a deploy:
 * the account report, four mailbox-simulator emails through the SES stand-in, its SNS-shaped
 * events and the events handler, and the verdict.
 */
describe('npm run smoke against npm start', () => {
  let open: StartedProcess;
  let restricted: StartedProcess;

  beforeAll(async () => {
    [open, restricted] = await Promise.all([npmStart(), npmStart({ OUTBOX_LOCAL_IDENTITIES: 'acme.test' })]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([open?.stop(), restricted?.stop()]);
  });

  it('passes: prints the account, the sender, the four outcomes and PASS, and exits 0', async () => {
    const run = await runSmoke(['--url', open.url, '--key', open.apiKey, '--timeout', '20']);
    expect(run.output).toContain('health: ok');
    expect(run.output).toContain('SES sandbox: no (production access)');
    expect(run.output).toContain('sending: enabled; enforcement status HEALTHY');
    expect(run.output).toContain('  example.com DOMAIN: verified (SUCCESS), DKIM SUCCESS, signing on');
    expect(run.output).toContain('sender: Outbox smoke test <outbox-smoke@example.com> (the first verified domain identity, example.com)');
    for (const [address, expected] of [
      ['success@simulator.amazonses.com', 'delivered'],
      ['bounce@simulator.amazonses.com', 'bounced'],
      ['complaint@simulator.amazonses.com', 'complained'],
      ['ooto@simulator.amazonses.com', 'auto_replied'],
    ] as const) {
      expect(run.output).toMatch(new RegExp(`^ok ${address.replace(/[.]/g, '\\.')}\\s+expected ${expected}\\s+got ${expected}\\s+\\d+\\.\\d s`, 'm'));
    }
    expect(run.output).toMatch(/\(not on the suppression list\)/);
    expect(run.output).toMatch(/^PASS: all 4 outcomes arrived/m);
    expect(run.output).not.toContain('FAIL');
    expect(run.code).toBe(0);
    // The four sends and their reads reached the real server.
    expect(open.output()).toMatch(/POST \/emails 200/);
    expect(open.output()).toMatch(/GET \/account 200/);
  }, 30_000);

  it('fails with SES\'s refusal, FAIL and a non-zero exit when --from is not a verified identity', async () => {
    const run = await runSmoke(['--url', restricted.url, '--key', restricted.apiKey, '--from', 'someone@other.test']);
    expect(run.output).toContain('  acme.test DOMAIN: verified (SUCCESS), DKIM SUCCESS, signing on');
    expect(run.output).toContain('warning: no verified identity in GET /account covers someone@other.test');
    expect(run.output).toMatch(/^FAIL: POST \/emails to success@simulator\.amazonses\.com was refused \(403 invalid_from_address: SES refused the sender: Email address is not verified\./m);
    expect(run.output).not.toContain('PASS');
    expect(run.code).toBe(1);
  }, 30_000);

  it('fails before sending anything when the key is wrong', async () => {
    const run = await runSmoke(['--url', restricted.url, '--key', 'ob_not_a_key']);
    expect(run.output).toMatch(/^FAIL: the key was refused \(403 invalid_api_key/m);
    expect(run.output).not.toContain('sent ');
    expect(run.code).toBe(1);
  }, 30_000);
});
