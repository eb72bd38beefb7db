import { startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { runSmoke } from '../helpers/run-smoke';

/**
 * `npm run smoke` as a real process against the local runtime in this process, whose SES stand-in
 * is made to misbehave as a broken deployment would: no events coming back, sending paused.
 */
describe('npm run smoke against a deployment that is not right', () => {
  let outbox: LocalOutbox;

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, identities: ['acme.test'] });
  });
  afterAll(() => outbox.stop());
  afterEach(() => {
    outbox.ses.setSimulateEvents(true);
    outbox.ses.setPaused(false);
  });

  it("fails when SES's events never arrive, pointing at the configuration set's event destination", async () => {
    // SES accepts the emails, but nothing is published: as if the event destination were missing.
    outbox.ses.setSimulateEvents(false);
    const run = await runSmoke(['--url', outbox.url, '--key', outbox.apiKey, '--timeout', '2']);
    expect(run.output).toContain('sender: Outbox smoke test <outbox-smoke@acme.test>');
    expect(run.output).toMatch(/^x success@simulator\.amazonses\.com\s+expected delivered\s+got sent\s+-\s+events did not arrive within 2 s: SES accepted it/m);
    expect(run.output).toContain("Is the configuration set's event destination enabled");
    expect(run.output).toMatch(/^FAIL: 4 of 4 outcomes not as expected \(run smoke-\S+; the emails carry the tag smoke=smoke-/m);
    expect(run.code).toBe(1);
    // The emails went to SES, tagged with the run.
    const runId = /run (smoke-[\w-]+);/.exec(run.output)![1]!;
    expect(outbox.ses.messages().filter((m) => m.tags.some((t) => t.name === 'smoke' && t.value === runId))).toHaveLength(4);
  }, 30_000);

  it('fails before sending when SES has sending disabled for the account', async () => {
    outbox.ses.setPaused(true);
    const before = outbox.ses.messages().length;
    const run = await runSmoke(['--url', outbox.url, '--key', outbox.apiKey]);
    expect(run.output).toContain('sending: DISABLED; enforcement status HEALTHY');
    expect(run.output).toMatch(/^FAIL: SES sending is disabled for this account/m);
    expect(run.code).toBe(1);
    expect(outbox.ses.messages()).toHaveLength(before);
  }, 30_000);

  it('refuses a sending-only key, which cannot read GET /account', async () => {
    const created = await fetch(`${outbox.url}/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sender', permission: 'sending_access' }),
    });
    const { token } = (await created.json()) as { token: string };
    const run = await runSmoke(['--url', outbox.url, '--key', token]);
    expect(run.output).toMatch(/^FAIL: the key is sending-only \(401 restricted_api_key/m);
    expect(run.code).toBe(1);
  }, 30_000);

  it('exits 2 with the usage when --url is missing', async () => {
    const run = await runSmoke(['--key', outbox.apiKey]);
    expect(run.output).toContain('FAIL: --url is required');
    expect(run.output).toContain('npm run smoke -- --url <ApiUrl> --key <full-access key>');
    expect(run.code).toBe(2);
  }, 30_000);
});
