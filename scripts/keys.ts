import { parseArgs } from 'node:util';
import { createApiKey, parseScope } from '../lambda/core/api-keys';
import { systemClock } from '../lambda/core/ports';
import { API_KEYS_TABLE } from '../lambda/shared/tables';
import { DynamoDbApiKeyStore } from '../lambda/adapters/dynamodb-api-key-store';
import { documentClient } from '../lambda/adapters/dynamodb-documents';

const USAGE = `Manage Outbox API keys directly in the api-keys table (uses your AWS credentials).

  npm run keys -- create --table <ApiKeysTableName> --name <name> [--permission full_access|sending_access]
  npm run keys -- list   --table <ApiKeysTableName>
  npm run keys -- remove --table <ApiKeysTableName> --id <key id>

Options: --region <aws region>, --endpoint <DynamoDB endpoint URL>.
The table name is the stack output ApiKeysTableName (or ${API_KEYS_TABLE.envVar}).
With a running Outbox, a full-access key can also create keys through POST /api-keys.`;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      table: { type: 'string', default: process.env[API_KEYS_TABLE.envVar] },
      name: { type: 'string' },
      permission: { type: 'string' },
      id: { type: 'string' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
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
      for (const key of await keys.list()) console.log(`${key.id}  ${key.scope.padEnd(14)}  ${key.createdAt}  ${key.name}`);
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

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
