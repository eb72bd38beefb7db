import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { bundleLambda, LAMBDA_ESBUILD_OPTIONS } from '../../lib/bundling/lambda-bundle';

const REPO_ROOT = path.resolve(__dirname, '../..');

/** The client class of each SDK package Outbox imports commands from. */
const CLIENTS: Record<string, string> = {
  'client-sesv2': 'SESv2Client',
  'client-dynamodb': 'DynamoDBClient',
  'client-sqs': 'SQSClient',
  'client-sns': 'SNSClient',
  'client-iam': 'IAMClient',
  'client-secrets-manager': 'SecretsManagerClient',
};

/**
 * One input for every command: each reads only its own members, and the REST ones (SES v2) need
 * their path labels.
 */
const INPUT = {
  TableName: 't',
  Key: { id: 'k' },
  Item: { id: 'k', n: 1 },
  RequestItems: { t: { Keys: [{ id: 'k' }] } },
  UpdateExpression: 'SET n = :n',
  KeyConditionExpression: 'id = :id',
  ExpressionAttributeValues: { ':n': 2, ':id': 'k' },
  EmailAddress: 'someone@example.com',
  EmailIdentity: 'example.com',
  ConfigurationSetName: 'outbox',
  Reason: 'BOUNCE',
  SendingEnabled: false,
  FromEmailAddress: 'sender@example.com',
  Destination: { ToAddresses: ['someone@example.com'] },
  Content: { Simple: { Subject: { Data: 'Hi' }, Body: { Text: { Data: 'Hello' } } } },
  Entries: [{ Id: '1', MessageBody: 'm' }],
  ReceiptHandle: 'r',
  VisibilityTimeout: 5,
  TopicArn: 'arn:aws:sns:us-east-1:000000000000:t',
  Message: 'm',
  PublishBatchRequestEntries: [{ Id: '1', Message: 'm' }],
  UserName: 'smtp',
  AccessKeyId: 'AKIDEXAMPLE',
  SecretId: 's',
  SecretString: 'v',
  ClientRequestToken: '00000000-0000-4000-8000-000000000000',
};

/** Every SDK command class the Lambda code imports (not types), by package. */
function commandsOutboxUses(): Map<string, Set<string>> {
  const byPackage = new Map<string, Set<string>>();
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? (entry.name === 'app' ? [] : walk(path.join(dir, entry.name))) : entry.name.endsWith('.ts') ? [path.join(dir, entry.name)] : [],
    );
  for (const file of walk(path.join(REPO_ROOT, 'lambda'))) {
    for (const [, names, pkg] of readFileSync(file, 'utf8').matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/([a-z0-9-]+)'/g)) {
      const commands = names!
        .split(',')
        .map((name) => name.trim())
        .filter((name) => /^[A-Z]\w*Command$/.test(name));
      if (commands.length > 0) byPackage.set(pkg!, new Set([...(byPackage.get(pkg!) ?? []), ...commands]));
    }
  }
  return byPackage;
}

/** A handler module that sends each command once, in order, and reports each outcome. */
function entrySource(byPackage: Map<string, Set<string>>): { source: string; names: string[] } {
  const lines: string[] = [];
  const calls: string[] = [];
  const names: string[] = [];
  const config = `{ endpoint: process.env.TEST_ENDPOINT, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } }`;
  for (const [pkg, commands] of byPackage) {
    const alias = pkg.replace(/-/g, '_');
    const imported = [...commands].map((command) => `${command} as ${alias}_${command}`);
    if (pkg === 'lib-dynamodb') {
      lines.push(`import { DynamoDBClient as ${alias}_Base } from '@aws-sdk/client-dynamodb';`);
      lines.push(`import { DynamoDBDocumentClient as ${alias}_Client, ${imported.join(', ')} } from '@aws-sdk/${pkg}';`);
      lines.push(`const ${alias} = ${alias}_Client.from(new ${alias}_Base(${config}));`);
    } else {
      const client = CLIENTS[pkg];
      if (!client) throw new Error(`No client class known for @aws-sdk/${pkg}: add it to CLIENTS.`);
      lines.push(`import { ${client} as ${alias}_Client, ${imported.join(', ')} } from '@aws-sdk/${pkg}';`);
      lines.push(`const ${alias} = new ${alias}_Client(${config});`);
    }
    for (const command of commands) {
      names.push(`${pkg} ${command}`);
      calls.push(`[${JSON.stringify(`${pkg} ${command}`)}, () => ${alias}.send(new ${alias}_${command}({ ...input, QueueUrl: process.env.TEST_ENDPOINT + '/000000000000/q' }))]`);
    }
  }
  lines.push(`const input = ${JSON.stringify(INPUT)};`);
  lines.push(`const calls = [${calls.join(',\n')}];`);
  lines.push(`export const handler = async () => {
  const outcomes = {};
  for (const [name, call] of calls) {
    try { const { $metadata, ...output } = await call(); outcomes[name] = { ok: output }; } catch (error) { outcomes[name] = { failed: error.name + ': ' + error.message }; }
  }
  return outcomes;
};`);
  return { source: lines.join('\n'), names };
}

interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly target: string | undefined;
  readonly contentType: string | undefined;
  readonly body: string;
}

/**
 * Every SDK command the Lambda code sends, from a bundle built as the stack builds it (schemas
 * tree-shaken by lib/bundling) and from one built with the same options but no plugins: both make
 * the same requests to a loopback endpoint, and the trimmed one reads every answer. A command whose
 * schema the trimming lost would fail or send another request.
 */
describe('SDK calls from a trimmed Lambda bundle', () => {
  let dir: string;
  let server: Server;
  let endpoint: string;
  const recorded: Recorded[] = [];
  let names: string[];
  let trimmedFile: string;
  let untrimmedFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'outbox-sdk-calls-'));
    // The generated entry resolves the SDK from the repository's node_modules.
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    const generated = entrySource(commandsOutboxUses());
    names = generated.names;
    const entry = path.join(dir, 'every-command.mjs');
    writeFileSync(entry, generated.source);
    trimmedFile = (await bundleLambda(entry, path.join(dir, 'trimmed'))).file;
    untrimmedFile = path.join(dir, 'untrimmed', 'index.js');
    mkdirSync(path.dirname(untrimmedFile));
    await build({ ...LAMBDA_ESBUILD_OPTIONS, entryPoints: [entry], outfile: untrimmedFile, logLevel: 'error', absWorkingDir: REPO_ROOT });

    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const contentType = request.headers['content-type'];
        recorded.push({ method: request.method ?? '', url: request.url ?? '', target: request.headers['x-amz-target'] as string | undefined, contentType, body });
        const action = contentType?.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body).get('Action') : null;
        if (action) {
          // The Query protocol (SNS, IAM) answers in XML.
          response.writeHead(200, { 'content-type': 'text/xml' }).end(`<${action}Response><${action}Result></${action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>`);
        } else {
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 30_000);

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  function invoke(bundleFile: string): Promise<Record<string, { ok?: unknown; failed?: string }>> {
    const script = `require(process.argv[1]).handler().then((o) => process.stdout.write(JSON.stringify(o)), (e) => process.stdout.write(JSON.stringify({ crashed: String(e) })))`;
    const env = { PATH: process.env.PATH ?? '', HOME: dir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', TEST_ENDPOINT: endpoint };
    return new Promise((resolve, reject) => {
      execFile(process.execPath, ['-e', script, bundleFile], { env, timeout: 20_000 }, (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout))));
    });
  }

  it('finds the commands of every client the Lambdas use', () => {
    const packages = new Set(names.map((name) => name.split(' ')[0]));
    expect(packages).toEqual(new Set(['client-iam', 'client-secrets-manager']));
    expect(names).toEqual(expect.arrayContaining(['client-iam CreateAccessKeyCommand', 'client-secrets-manager PutSecretValueCommand']));
  });

  it('sends every command from the trimmed bundle as from the untrimmed one, and reads every answer', async () => {
    recorded.length = 0;
    const trimmed = await invoke(trimmedFile);
    const trimmedRequests = recorded.splice(0);
    const untrimmed = await invoke(untrimmedFile);
    const untrimmedRequests = recorded.splice(0);

    expect(Object.keys(trimmed)).toEqual(names);
    expect(Object.entries(trimmed).filter(([, outcome]) => outcome.failed !== undefined)).toEqual([]);
    expect(trimmed).toEqual(untrimmed);
    expect(trimmedRequests).toHaveLength(names.length);
    expect(trimmedRequests).toEqual(untrimmedRequests);
    expect(readFileSync(trimmedFile).length).toBeLessThan(readFileSync(untrimmedFile).length);
  }, 30_000);
});
