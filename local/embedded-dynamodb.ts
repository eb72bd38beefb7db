import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException, type CreateTableCommandInput, type Projection } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { IndexProjection, TableDefinition } from '../lambda/shared/tables';

/** Dummy credentials: the embedded store and the SES stand-in accept any signature. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_REGION = 'us-east-1';

export interface EmbeddedDynamoDb {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts dynalite, a DynamoDB-compatible server, on loopback: in memory, or in `dataDir` (LevelDB)
 * so data survives a restart. Tables appear at once (no CREATING delay).
 */
export async function startEmbeddedDynamoDb(options: { host?: string; port?: number; dataDir?: string } = {}): Promise<EmbeddedDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.dataDir ? { path: options.dataDir } : {}) });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The CreateTable request for a shared table definition: on-demand, as in the stack. */
export function createTableInput(definition: TableDefinition, tableName: string): CreateTableCommandInput {
  const keys = [definition.partitionKey, definition.sortKey, ...definition.globalIndexes.flatMap((i) => [i.partitionKey, i.sortKey])];
  const attributes = new Map(keys.filter((k) => k !== undefined).map((k) => [k.name, k.type]));
  const keySchema = (partition: { name: string }, sort?: { name: string }) => [
    { AttributeName: partition.name, KeyType: 'HASH' as const },
    ...(sort ? [{ AttributeName: sort.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
    KeySchema: keySchema(definition.partitionKey, definition.sortKey),
    ...(definition.globalIndexes.length > 0
      ? {
          GlobalSecondaryIndexes: definition.globalIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: projectionOf(index.projection),
          })),
        }
      : {}),
  };
}

/**
 * Creates each table that does not exist yet (a persisted data folder already has them).
 * DynamoDB's TTL is not set: dynalite lacks UpdateTimeToLive, and readers treat expired items as
 * absent anyway.
 */
export async function createTables(endpoint: string, tables: readonly { definition: TableDefinition; name: string }[]): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    for (const { definition, name } of tables) {
      try {
        await client.send(new CreateTableCommand(createTableInput(definition, name)));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
    }
  } finally {
    client.destroy();
  }
}

/** A shared index projection as CreateTable takes it (ALL when none is given). */
function projectionOf(projection: IndexProjection | undefined): Projection {
  if (projection?.type === 'INCLUDE') return { ProjectionType: 'INCLUDE', NonKeyAttributes: [...projection.attributes] };
  return { ProjectionType: projection?.type ?? 'ALL' };
}
