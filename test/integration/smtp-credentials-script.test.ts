import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SmtpCredentialsSecret } from '../../lambda/core/smtp-credentials';
import { SecretsManagerStandIn } from '../helpers/aws-json-standins';

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
  let cloudFormation: Server;
  let cloudFormationUrl = '';
  let secrets: SecretsManagerStandIn;
  /** The outputs the stand-in answers DescribeStacks with. */
  let outputs: Record<string, string> = {};

  beforeAll(async () => {
    secrets = await SecretsManagerStandIn.start();
    cloudFormation = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const members = Object.entries(outputs)
          .map(([key, value]) => `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`)
          .join('');
        res.setHeader('content-type', 'text/xml');
        res.end(
          '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>' +
            '<StackName>Outbox</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/Outbox/1</StackId>' +
            `<CreationTime>2026-12-02T10:00:00Z</CreationTime><StackStatus>UPDATE_COMPLETE</StackStatus><Outputs>${members}</Outputs>` +
            '</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>',
        );
      });
    });
    await new Promise<void>((resolve) => cloudFormation.listen(0, '127.0.0.1', () => resolve()));
    cloudFormationUrl = `http://127.0.0.1:${(cloudFormation.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await secrets.stop();
    await new Promise((resolve) => cloudFormation.close(resolve));
  });

  function run(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    const { AWS_PROFILE: _profile, ...inherited } = process.env;
    const env = {
      ...inherited,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormationUrl,
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
