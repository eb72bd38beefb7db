import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SmtpCredentialsSecret } from '../../lambda/core/smtp-credentials';
import { CloudFormationStandIn, SecretsManagerStandIn } from '../helpers/aws-json-standins';

const ROOT = path.resolve(__dirname, '../..');

const CREDENTIALS: SmtpCredentialsSecret = {
  username: 'AKIA0000000000000007',
  password: 'BAbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/AbCdE',
  host: 'email-smtp.us-east-1.amazonaws.com',
  ports: { starttls: 587, tls: 465 },
  region: 'us-east-1',
};

/**
 * `npm run smtp-credentials` as a user runs it: the stack's outputs from a local stand-in speaking
 * CloudFormation's query protocol, the secret from the Secrets Manager stand-in.
 */
describe('npm run smtp-credentials', () => {
  let cloudFormation: CloudFormationStandIn;
  let secrets: SecretsManagerStandIn;
  /** The outputs the stand-in answers DescribeStacks with. */
  let outputs: Record<string, string> = {};

  beforeAll(async () => {
    secrets = await SecretsManagerStandIn.start();
    // UPDATE_COMPLETE: a stack deployed, then updated with outbox:smtpUser.
    cloudFormation = await CloudFormationStandIn.start(() => outputs, 'UPDATE_COMPLETE');
  });
  afterAll(async () => {
    await secrets.stop();
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
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    return promisify(execFile)('npx', ['tsx', 'scripts/smtp-credentials.ts', ...args], { cwd: ROOT, env, timeout: 60_000 });
  }

  function deployed(secretValue: string): string {
    const secretArn = secrets.create(`SmtpUserSecret-${Math.random().toString(36).slice(2)}`, secretValue);
    outputs = { ApiUrl: 'https://x', SmtpHost: CREDENTIALS.host, SmtpUsername: CREDENTIALS.username, SmtpPasswordSecretArn: secretArn };
    return secretArn;
  }

  it('prints host, ports, user and the secret holding the password, never the password itself unless asked with --show-password', async () => {
    const secretArn = deployed(JSON.stringify(CREDENTIALS));

    const { stdout } = await run();
    expect(stdout).toContain('  Host      email-smtp.us-east-1.amazonaws.com\n');
    expect(stdout).toContain('  Port      587 with STARTTLS, or 465 with TLS from the start');
    expect(stdout).toContain(`  User      ${CREDENTIALS.username}\n`);
    expect(stdout).toContain(`in the Secrets Manager secret ${secretArn}`);
    expect(stdout).not.toContain(CREDENTIALS.password);

    const shown = await run('--stack', 'Outbox', '--show-password');
    expect(shown.stdout).toContain(`  Password  ${CREDENTIALS.password}\n`);
  }, 60_000);

  it('says so, exit code 1, for a stack deployed without outbox:smtpUser', async () => {
    outputs = { ApiUrl: 'https://x' };
    const failure = (await run().catch((e: unknown) => e)) as { code: number; stdout: string; stderr: string };
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain('it was deployed without outbox:smtpUser');
    expect(failure.stderr).toContain('-c outbox:smtpUser=true');
    expect(failure.stdout).toBe('');
  }, 60_000);

  it('says so, exit code 1, while the secret still holds its placeholder', async () => {
    deployed('kT9#qW2!zR7@mN4$vB8%');
    const failure = (await run().catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain('holds no SMTP credentials yet');
  }, 60_000);
});
