import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { Metafile } from 'esbuild';
import { bundleLambda, EVENT_STREAMS_LEFT_OUT, LAMBDA_ESBUILD_OPTIONS, LAZY_PACKAGES, withLiteralSchemaKeys } from '../../lib/bundling/lambda-bundle';
import { NodeFunction, UNREACHED_CREDENTIAL_PROVIDERS } from '../../lib/constructs/node-function';

const REPO_ROOT = path.resolve(__dirname, '../..');
const ENTRY = path.join(REPO_ROOT, 'test/fixtures/lambda/get-ses-account.ts');

describe('withLiteralSchemaKeys', () => {
  it("writes a computed key that names one of the file's string constants as that string", () => {
    const source = 'const _e = "error";\nconst _h = "http";\nexport var A$ = [-3, n0, _A, { [_e]: _c, [_h]: ["POST", "/x", 200] }, [_m], [0]];\n';
    expect(withLiteralSchemaKeys(source)).toBe('const _e = "error";\nconst _h = "http";\nexport var A$ = [-3, n0, _A, { "error": _c, "http": ["POST", "/x", 200] }, [_m], [0]];\n');
  });

  it('leaves other computed keys, arrays and conditional expressions as they are', () => {
    const source = 'const _e = "error";\nlet _v = "v";\nvar a = { [_v]: 1, [_x]: 2 }, b = [_e], c = d ? [_e]: [_e];\n';
    expect(withLiteralSchemaKeys(source)).toBe(source);
  });
});

/**
 * A bundle built with the stack's esbuild options, run as Lambda runs it: from a folder with no
 * node_modules above it, against an SES endpoint on loopback that records who signed each request.
 */
describe('Lambda bundling', () => {
  let dir: string;
  let bundleFile: string;
  let metafile: Metafile;
  let server: Server;
  let endpoint: string;
  const signers: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'outbox-bundling-'));
    bundleFile = path.join(dir, 'task', 'index.js');
    ({ metafile } = await bundleLambda(ENTRY, path.join(dir, 'task')));
    writeFileSync(path.join(dir, 'credentials'), '[default]\naws_access_key_id = AKIDFROMPROFILEFILE\naws_secret_access_key = profile-secret\n');
    writeFileSync(path.join(dir, 'config'), '');
    server = createServer((request, response) => {
      signers.push(/Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1] ?? 'unsigned');
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    signers.length = 0;
  });

  /** Calls the bundle's handler in a fresh node process; resolves with `ok` or the error's message. */
  function invoke(env: Record<string, string>): Promise<string> {
    const script = `require(process.argv[1]).handler().then(() => process.stdout.write('ok'), (e) => process.stdout.write(e.message))`;
    const baseEnv = {
      PATH: process.env.PATH ?? '',
      // An empty home: no ~/.aws of the machine running the tests.
      HOME: dir,
      AWS_REGION: 'us-east-1',
      AWS_CONFIG_FILE: path.join(dir, 'config'),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      TEST_ENDPOINT: endpoint,
    };
    return new Promise((resolve, reject) => {
      execFile(process.execPath, ['-e', script, bundleFile], { env: { ...baseEnv, ...env }, timeout: 15_000 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      );
    });
  }

  const lambdaCredentials = { AWS_ACCESS_KEY_ID: 'AKIDFROMENVIRONMENT', AWS_SECRET_ACCESS_KEY: 'environment-secret', AWS_SESSION_TOKEN: 'session' };

  it('builds byte for byte the bundle NodeFunction builds for the stack, so the benchmark measures what deploys', () => {
    const outdir = path.join(dir, 'cdk.out');
    const app = new App({ outdir });
    new NodeFunction(new Stack(app, 'Bundling'), 'Fixture', { entry: ENTRY });
    app.synth();
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    expect(readFileSync(path.join(outdir, assets[0]!, 'index.js'), 'utf8')).toBe(readFileSync(bundleFile, 'utf8'));
  });

  it('leaves every credential provider a Lambda never reaches out of the bundle, and keeps the environment one', () => {
    const packages = Object.keys(metafile.inputs).map((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1]);
    expect(LAMBDA_ESBUILD_OPTIONS.external).toEqual([...UNREACHED_CREDENTIAL_PROVIDERS]);
    expect(UNREACHED_CREDENTIAL_PROVIDERS.filter((name) => packages.includes(name))).toEqual([]);
    expect(packages).toContain('@aws-sdk/credential-provider-env');
    expect(packages).toContain('@aws-sdk/credential-provider-node');
  });

  it('keeps the schema of the one SES operation the bundle calls and drops the others', () => {
    const bundle = readFileSync(bundleFile, 'utf8');
    expect(bundle).toContain('"/v2/email/account"');
    expect(bundle).not.toContain('/v2/email/outbound-emails');
    expect(bundle).not.toContain('/v2/email/configuration-sets');
  });

  it('leaves out the event streams no Outbox call uses, with a module that says so if one were reached', () => {
    expect(Object.keys(metafile.inputs).filter((input) => input.includes('/event-streams/'))).toEqual([]);
    expect(readFileSync(bundleFile, 'utf8')).toContain(EVENT_STREAMS_LEFT_OUT);
  });

  it('signs with the credentials Lambda puts in the environment, without loading a module left out', async () => {
    expect(await invoke(lambdaCredentials)).toBe('ok');
    expect(signers).toEqual(['AKIDFROMENVIRONMENT']);
  });

  it('reaches a left-out provider only without environment credentials, and then fails to find it where no SDK is installed', async () => {
    const answer = await invoke({ AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials') });
    expect(answer).toMatch(/Cannot find module '@aws-sdk\/credential-provider-ini'/);
    expect(signers).toEqual([]);
  });

  it('resolves a left-out provider through NODE_PATH, as the Lambda runtime resolves its own SDK in /var/runtime/node_modules', async () => {
    const answer = await invoke({ AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'), NODE_PATH: path.join(REPO_ROOT, 'node_modules') });
    expect(answer).toBe('ok');
    expect(signers).toEqual(['AKIDFROMPROFILEFILE']);
  });
});

describe('a package the Lambdas load only with import()', () => {
  const entry = path.join(REPO_ROOT, 'test/fixtures/lambda/read-raw-message.ts');
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'outbox-lazy-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gets a file of its own beside index.js, which the bundle requires on first use, from a folder without node_modules', async () => {
    expect(LAZY_PACKAGES).toContain('postal-mime');
    const bundle = await bundleLambda(entry, path.join(dir, 'task'));
    expect(Object.keys(bundle.lazyFiles)).toEqual(['postal-mime.js']);
    expect(bundle.lazyFiles['postal-mime.js']).toBeGreaterThan(20_000);
    expect(Object.keys(bundle.metafile.inputs).filter((input) => input.includes('node_modules/postal-mime/'))).toEqual([]);
    const script = `require(process.argv[1]).handler().then((r) => process.stdout.write(r), (e) => process.stdout.write('failed: ' + e.message))`;
    const answer = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', script, bundle.file], { env: { PATH: process.env.PATH ?? '' }, timeout: 15_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    expect(answer).toBe('ann@example.com Héllo Hi');
  });

  it('is copied into the asset NodeFunction builds', () => {
    const outdir = path.join(dir, 'cdk.out');
    const app = new App({ outdir });
    new NodeFunction(new Stack(app, 'Lazy'), 'Fixture', { entry });
    app.synth();
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    expect(readdirSync(path.join(outdir, assets[0]!)).sort()).toEqual(['index.js', 'postal-mime.js']);
  });
});
