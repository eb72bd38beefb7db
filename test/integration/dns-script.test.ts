import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { recordLine, zoneFileSnippet } from '../../lambda/core/dns-records';
import { sendingDomainRecords } from '../../lambda/core/sending-identity';
import { CloudFormationStandIn } from '../helpers/aws-json-standins';

const ROOT = path.resolve(__dirname, '../..');

/** A stack's DNS outputs, built as the sending-identity resource builds them. */
function dnsOutputs(): Record<string, string> {
  const { records, notes } = sendingDomainRecords(
    { domain: 'mail.example.com', mailFromDomain: 'bounce.mail.example.com', region: 'us-east-1' },
    { tokens: ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32)], signingAttributesOrigin: 'AWS_SES' },
  );
  const names = ['DkimRecord1', 'DkimRecord2', 'DkimRecord3', 'MailFromMxRecord', 'MailFromSpfRecord', 'DmarcRecord'];
  return { ...Object.fromEntries(records.map((record, i) => [names[i]!, recordLine(record)])), DnsZoneFile: zoneFileSnippet(records, notes) };
}

/** `npm run dns` as a user runs it: offline from an outputs file, and from CloudFormation (a local stand-in speaking its query protocol). */
describe('npm run dns', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'outbox-dns-'));
  const outputs = dnsOutputs();
  let cloudFormation: CloudFormationStandIn;

  beforeAll(async () => {
    cloudFormation = await CloudFormationStandIn.start(() => outputs);
  });
  afterAll(async () => {
    rmSync(folder, { recursive: true, force: true });
    await cloudFormation.stop();
  });

  function run(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    const { AWS_PROFILE: _profile, ...inherited } = process.env;
    const env = {
      ...inherited,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    return promisify(execFile)('npx', ['tsx', 'scripts/dns.ts', ...args], { cwd: ROOT, env, timeout: 60_000 });
  }

  it('prints the table and the snippet from a cdk deploy --outputs-file file, and the snippet alone with --zone-file', async () => {
    const file = path.join(folder, 'outputs.json');
    writeFileSync(file, JSON.stringify({ Outbox: { ApiUrl: 'https://x', ...outputs } }));

    const { stdout } = await run('--outputs-file', file);
    expect(stdout).toContain(`MX     bounce.mail.example.com${' '.repeat(37)}  10 feedback-smtp.us-east-1.amazonses.com`);
    expect(stdout).toContain(`As a zone-file snippet (BIND syntax):\n\n${outputs.DnsZoneFile}\n`);

    const alone = await run('--outputs-file', file, '--zone-file');
    expect(alone.stdout).toBe(`${outputs.DnsZoneFile}\n`);
  }, 60_000);

  it('reads the same from CloudFormation with --stack', async () => {
    const { stdout } = await run('--stack', 'Outbox', '--zone-file');
    expect(stdout).toBe(`${outputs.DnsZoneFile}\n`);
    expect(cloudFormation.requests.at(-1)).toContain('Action=DescribeStacks');
    expect(cloudFormation.requests.at(-1)).toContain('StackName=Outbox');
  }, 60_000);

  it('says so, exit code 1, for a stack deployed without a sending domain', async () => {
    const file = path.join(folder, 'no-domain.json');
    writeFileSync(file, JSON.stringify({ Outbox: { ApiUrl: 'https://x' } }));
    const failure = (await run('--outputs-file', file).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain('deployed without outbox:sendingDomain');
  }, 60_000);
});
