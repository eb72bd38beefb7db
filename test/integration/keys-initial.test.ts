import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { SecretsManagerStandIn } from '../helpers/aws-json-standins';

const ROOT = path.resolve(__dirname, '../..');

/** `npm run keys -- initial` as a user runs it, with the real Secrets Manager client pointed at a local stand-in. */
describe('keys initial', () => {
  let secrets: SecretsManagerStandIn;

  beforeAll(async () => {
    secrets = await SecretsManagerStandIn.start();
  });
  afterAll(() => secrets.stop());

  function run(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    const { AWS_REGION: _region, AWS_DEFAULT_REGION: _defaultRegion, AWS_PROFILE: _profile, ...inherited } = process.env;
    const env = {
      ...inherited,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    return promisify(execFile)('npx', ['tsx', 'scripts/keys.ts', ...args], { cwd: ROOT, env, timeout: 60_000 });
  }

  it('prints the key alone on stdout and what it is on stderr, taking the Region from the secret ARN', async () => {
    const arn = secrets.create('InitialApiKeySecret-print');
    await putSecret(arn, { id: '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11', name: 'initial', permission: 'full_access', token: 'ob_printed', created_at: '2026-12-02T10:00:00.000Z' });

    const { stdout, stderr } = await run('initial', '--secret', arn);

    expect(stdout).toBe('ob_printed\n');
    expect(stderr).toContain(`Key 019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11 (initial, full_access), from ${arn}`);
  }, 60_000);

  it('says the secret holds no key yet while it still has the value it was made with', async () => {
    const arn = secrets.create('InitialApiKeySecret-placeholder');
    const failure = (await run('initial', '--secret', arn, '--region', 'us-east-1').catch((e: unknown) => e)) as { code: number; stderr: string; stdout: string };
    expect(failure.code).toBe(1);
    expect(failure.stdout).toBe('');
    expect(failure.stderr).toContain('holds no Outbox API key yet');
  }, 60_000);

  async function putSecret(arn: string, value: unknown): Promise<void> {
    const response = await fetch(secrets.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.PutSecretValue' },
      body: JSON.stringify({ SecretId: arn, SecretString: JSON.stringify(value) }),
    });
    expect(response.status).toBe(200);
  }
});
