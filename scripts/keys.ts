import { parseArgs } from 'node:util';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createApiKey, parseScope } from '../lambda/core/api-keys';
import { parseInitialKeySecret } from '../lambda/core/initial-api-key';
import { systemClock } from '../lambda/core/ports';
import { API_KEYS_TABLE } from '../lambda/shared/tables';
import { DynamoDbApiKeyStore } from '../lambda/adapters/dynamodb-api-key-store';
import { documentClient } from '../lambda/adapters/dynamodb-documents';
import { SecretsManagerSecretStore } from '../lambda/adapters/secrets-manager-secret-store';

const USAGE = `Manage Outbox API keys directly in AWS (uses your AWS credentials).

  npm run keys -- initial --secret <InitialApiKeySecretArn>
  npm run keys -- create  --table <ApiKeysTableName> --name <name> [--permission full_access|sending_access]
  npm run keys -- list    --table <ApiKeysTableName>   (id, permission, created, last used, name)
  npm run keys -- remove  --table <ApiKeysTableName> --id <key id>

initial prints the first full-access key, which the stack made at deploy time and keeps in the
secret named by the stack output InitialApiKeySecretArn (its line on stdout, nothing else).
Options: --region <aws region> (for initial, the secret ARN's Region by default), --endpoint <DynamoDB endpoint URL>.
The table name is the stack output ApiKeysTableName (or ${API_KEYS_TABLE.envVar}).
With a running Outbox, a full-access key can also create keys through POST /api-keys.`;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      table: { type: 'string', default: process.env[API_KEYS_TABLE.envVar] },
      secret: { type: 'string' },
      name: { type: 'string' },
      permission: { type: 'string' },
      id: { type: 'string' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (command === 'initial' && !values.help) {
    if (!values.secret) throw new Error('initial needs --secret <InitialApiKeySecretArn> (a stack output)');
    await printInitialKey(values.secret, values.region);
    return;
  }
  if (values.help || !command || !values.table) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const keys = new DynamoDbApiKeyStore(
    documentClient(values.endpoint, values.region ? { region: values.region } : {}),
    values.table,
  );
  switch (command) {
    case 'create': {
      if (!values.name) throw new Error('create needs --name');
      const { record, secret } = await createApiKey({ keys, clock: systemClock }, { name: values.name, scope: parseScope(values.permission) });
      console.log(`Created key ${record.id} (${record.name}, ${record.scope}). Its secret, shown only now:\n${secret}`);
      return;
    }
    case 'list':
      // Last used to within a minute (KEY_USE_RESOLUTION_MS), as GET /api-keys shows it.
      for (const key of await keys.list()) console.log(`${key.id}  ${key.scope.padEnd(14)}  created ${key.createdAt}  last used ${(key.lastUsedAt ?? 'never').padEnd(24)}  ${key.name}`);
      return;
    case 'remove':
      if (!values.id) throw new Error('remove needs --id');
      console.log((await keys.remove(values.id)) ? `Removed ${values.id}` : `No key ${values.id}`);
      return;
    default:
      console.log(USAGE);
      process.exit(2);
  }
}

/**
 * Prints the key the stack keeps in its secret: the token alone on stdout (so
 * `OUTBOX_API_KEY=$(npm run -s keys -- initial --secret <arn>)` works), what it is on stderr.
 */
async function printInitialKey(secretArn: string, region: string | undefined): Promise<void> {
  // arn:aws:secretsmanager:<region>:<account>:secret:<name>
  const arnRegion = /^arn:[^:]+:secretsmanager:([^:]+):/.exec(secretArn)?.[1];
  const chosenRegion = region ?? arnRegion;
  const client = new SecretsManagerClient(chosenRegion ? { region: chosenRegion } : {});
  try {
    const value = await new SecretsManagerSecretStore(client).read(secretArn);
    if (value === undefined) throw new Error(`There is no secret ${secretArn}: check the InitialApiKeySecretArn output and the Region.`);
    const key = parseInitialKeySecret(value);
    if (!key) {
      throw new Error(`The secret ${secretArn} holds no Outbox API key yet: the stack writes it when it deploys (see the InitialApiKey resource's events if the deploy failed).`);
    }
    console.error(`Key ${key.id ?? '(id not recorded yet)'} (${key.name}, ${key.permission}), from ${secretArn}:`);
    console.log(key.token);
  } finally {
    client.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
