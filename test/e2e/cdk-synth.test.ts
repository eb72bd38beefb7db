import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { HANDLER_ENTRIES } from '../../lambda/shared/env';

/**
 * `cdk synth` as a user runs it: offline, with no AWS credentials, bundling every Lambda with the
 * local esbuild. The template assertions live in test/infra; this proves the real command works.
 */
describe('cdk synth', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'outbox-synth-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('synthesizes offline without credentials and bundles each Lambda with esbuild', async () => {
    const root = path.resolve(__dirname, '../..');
    const env = { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' };
    await promisify(execFile)('npx', ['cdk', 'synth', '--quiet', '--output', out], { cwd: root, env, timeout: 120_000 });

    const template = JSON.parse(readFileSync(path.join(out, 'Outbox.template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
    const types = Object.values(template.Resources).map((r) => r.Type);
    for (const type of ['AWS::ApiGatewayV2::Api', 'AWS::DynamoDB::Table', 'AWS::SES::ConfigurationSet', 'AWS::SES::ConfigurationSetEventDestination', 'AWS::SNS::Topic', 'AWS::SQS::Queue']) {
      expect(types).toContain(type);
    }
    const bundles = readdirSync(out).filter((name) => name.startsWith('asset.')).map((name) => path.join(out, name, 'index.js'));
    // Every handler but the sending identity's and the SMTP credentials': cdk.json names no sending domain and no outbox:smtpUser.
    expect(bundles).toHaveLength(Object.keys(HANDLER_ENTRIES).length - 2);
    for (const bundle of bundles) expect(statSync(bundle).size).toBeLessThan(1024 * 1024);
  }, 120_000);
});
