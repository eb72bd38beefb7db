import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CONSOLE_CONTENT_SECURITY_POLICY } from '../../lambda/console/serve';
import { CONSOLE_FILES_NAME } from '../../lambda/shared/console';
import { HANDLER_ENTRIES } from '../../lambda/shared/env';
import { NodeFunction } from '../../lib/constructs/node-function';
import { SendApi } from '../../lib/constructs/send-api';
import { WebConsole } from '../../lib/constructs/web-console';
import { actionsOf, logicalId, roleStatements, synthOutbox } from './synth';

const REPO_ROOT = path.resolve(__dirname, '../..');
const ENTRY = path.join(REPO_ROOT, HANDLER_ENTRIES.console);

describe('the web console in the stack', () => {
  const { stack, template } = synthOutbox();

  it('runs a Lambda that may only write its logs, with no settings', () => {
    const fn = stack.console.function;
    expect(roleStatements(template, stack, fn.role).flatMap(actionsOf).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    template.hasResourceProperties('AWS::Lambda::Function', { Description: 'Outbox web console', MemorySize: 128, Environment: Match.absent() });
  });

  it('alarms on the console Lambda failing, as on every other', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack, stack.console.function.function) } }],
    });
  });
});

/**
 * The console Lambda as `cdk synth` bundles it, run as Lambda runs it: from its asset folder, in
 * a fresh node process with nothing above it to resolve modules from, given API Gateway's events.
 */
describe('the console Lambda as synthesized', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'outbox-console-synth-'));
  let assetDir: string;

  beforeAll(() => {
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'Console');
    // The api is not what is tested: the smallest handler there is stands in for it.
    const api = new SendApi(stack, 'Api', { handler: new NodeFunction(stack, 'ApiFunction', { entry: ENTRY }), accessLogs: 'off' });
    const webConsole = new WebConsole(stack, 'Console', { api, entry: ENTRY });
    const template = Template.fromStack(stack);
    const resource = template.toJSON().Resources[logicalId(stack, webConsole.function.function)];
    assetDir = path.join(outdir, resource.Metadata['aws:asset:path']);
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  async function invoke(event: Record<string, unknown>): Promise<APIGatewayProxyStructuredResultV2> {
    const script = `require(process.argv[1]).handler(JSON.parse(process.argv[2])).then((r) => process.stdout.write(JSON.stringify(r)))`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, path.join(assetDir, 'index.js'), JSON.stringify(event)], {
      env: { PATH: process.env.PATH ?? '' },
      timeout: 15_000,
    });
    return JSON.parse(stdout) as APIGatewayProxyStructuredResultV2;
  }

  // An HTTP API's payload format 2.0 event, as the console's routes hand it over.
  const event = (path: string, headers: Record<string, string> = {}) => ({
    version: '2.0',
    routeKey: 'GET /console/{proxy+}',
    rawPath: path,
    rawQueryString: '',
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
    requestContext: { http: { method: 'GET', path } },
    isBase64Encoded: false,
  });

  it('ships the built console next to a bundle of a few KB', () => {
    expect(JSON.parse(readFileSync(path.join(assetDir, CONSOLE_FILES_NAME), 'utf8')).map((f: { path: string }) => f.path)).toEqual([
      '/console/',
      expect.stringMatching(/^\/console\/app-\w+\.js$/),
      expect.stringMatching(/^\/console\/styles-\w+\.css$/),
    ]);
    expect(statSync(path.join(assetDir, 'index.js')).size).toBeLessThan(8 * 1024);
  });

  it('answers the page and its assets with the policy, and what it does not have 404', async () => {
    const page = await invoke(event('/console/', { 'If-None-Match': '"stale"' }));
    expect(page).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CONSOLE_CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' } });
    const script = /src="(app-\w+\.js)"/.exec(page.body ?? "")![1]!;
    expect(await invoke(event(`/console/${script}`))).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=31536000, immutable' } });
    // An HTTP API hands header names over in lower case.
    expect(await invoke(event('/console/', { 'If-None-Match': page.headers!.etag as string }))).toMatchObject({ statusCode: 304, body: '' });
    expect(await invoke(event('/console'))).toMatchObject({ statusCode: 301, headers: { location: 'console/' } });
    expect(await invoke(event('/console/missing.js'))).toMatchObject({ statusCode: 404, body: JSON.stringify({ statusCode: 404, name: 'not_found', message: 'The requested endpoint does not exist.' }) });
  });
});
