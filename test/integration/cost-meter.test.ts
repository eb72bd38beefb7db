import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { installCostMeter, type CostMeter } from '../../bench/p5-meter';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../local/embedded-dynamodb';
import { LocalQueue } from '../../local/local-queue';
import type { TableDefinition } from '../../lambda/shared/tables';

/** A table with one sparse index on `tag`, projected as the test says. */
const TABLE: TableDefinition = {
  id: 'Meter',
  envVar: 'UNUSED',
  partitionKey: { name: 'pk', type: 'S' },
  globalIndexes: [{ indexName: 'by-tag', partitionKey: { name: 'tag', type: 'S' } }],
};

/** The benchmark's cost meter (P5) against the embedded store through the real SDK. */
describe('cost meter', () => {
  let store: EmbeddedDynamoDb;
  let documents: DynamoDBDocumentClient;
  let meter: CostMeter;
  let projection: 'ALL' | 'KEYS_ONLY' = 'ALL';

  beforeAll(async () => {
    store = await startEmbeddedDynamoDb();
    await createTables(store.endpoint, [{ definition: TABLE, name: 'meter' }]);
    documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: store.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }));
    meter = installCostMeter({ deployedProjection: () => ({ type: projection }), itemKind: (_table, item) => (String(item.pk?.S).startsWith('counter') ? 'counter' : undefined) });
  });
  afterAll(async () => {
    meter.uninstall();
    documents.destroy();
    await store.stop();
  });
  beforeEach(() => {
    projection = 'ALL';
    meter.reset();
  });

  const units = (tally: Map<string, number>): Record<string, number> => Object.fromEntries(tally);

  it('charges a write 1 WRU per started KB, and the index its own copy', async () => {
    await documents.send(new PutCommand({ TableName: 'meter', Item: { pk: 'a', tag: 't', body: 'x'.repeat(2500) } }));
    expect(units(meter.capacity.writeUnits)).toEqual({ meter: 3, 'meter#by-tag': 3 });
    expect(meter.dynamoDbCalls).toEqual([{ operation: 'PutItem', table: 'meter', key: 'a', failed: false }]);
  });

  it('sizes index writes by the deployed projection, and skips an index entry that did not change', async () => {
    projection = 'KEYS_ONLY';
    await documents.send(new PutCommand({ TableName: 'meter', Item: { pk: 'b', tag: 't', body: 'x'.repeat(2500) } }));
    await documents.send(new UpdateCommand({ TableName: 'meter', Key: { pk: 'b' }, UpdateExpression: 'SET body = :b', ExpressionAttributeValues: { ':b': 'y'.repeat(2500) } }));
    expect(units(meter.capacity.writeUnits)).toEqual({ meter: 6, 'meter#by-tag': 1 });
  });

  it('charges two index writes when the index key moves', async () => {
    await documents.send(new PutCommand({ TableName: 'meter', Item: { pk: 'c', tag: 'old' } }));
    meter.reset();
    await documents.send(new UpdateCommand({ TableName: 'meter', Key: { pk: 'c' }, UpdateExpression: 'SET tag = :t', ExpressionAttributeValues: { ':t': 'new' } }));
    expect(units(meter.capacity.writeUnits)).toEqual({ meter: 1, 'meter#by-tag': 2 });
  });

  it('charges a write whose condition fails, and counts the call as failed', async () => {
    await documents.send(new PutCommand({ TableName: 'meter', Item: { pk: 'd', body: 'x'.repeat(1500) } }));
    meter.reset();
    await expect(
      documents.send(new PutCommand({ TableName: 'meter', Item: { pk: 'd' }, ConditionExpression: 'attribute_not_exists(pk)' })),
    ).rejects.toThrow();
    expect(units(meter.capacity.writeUnits)).toEqual({ meter: 2 });
    expect(meter.dynamoDbCalls).toEqual([{ operation: 'PutItem', table: 'meter', key: 'd', failed: true }]);
  });

  it('charges reads per started 4 KB, halved when eventually consistent, and a Query on its summed items', async () => {
    await documents.send(new PutCommand({ TableName: 'meter', Item: { pk: 'e', tag: 'q', body: 'x'.repeat(5000) } }));
    await documents.send(new PutCommand({ TableName: 'meter', Item: { pk: 'f', tag: 'q', body: 'x'.repeat(5000) } }));
    meter.reset();
    await documents.send(new GetCommand({ TableName: 'meter', Key: { pk: 'e' }, ConsistentRead: true }));
    await documents.send(new GetCommand({ TableName: 'meter', Key: { pk: 'missing' } }));
    const { Items } = await documents.send(new QueryCommand({ TableName: 'meter', IndexName: 'by-tag', KeyConditionExpression: 'tag = :q', ExpressionAttributeValues: { ':q': 'q' } }));
    expect(Items).toHaveLength(2);
    expect(units(meter.capacity.readUnits)).toEqual({ meter: 2 + 0.5, 'meter#by-tag': 1.5 });
  });

  it('tallies the units of one kind of item apart (itemKind), found or missing, and names each call\'s key', async () => {
    await documents.send(new UpdateCommand({ TableName: 'meter', Key: { pk: 'counter#1' }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': 1 } }));
    await documents.send(new GetCommand({ TableName: 'meter', Key: { pk: 'counter#1' }, ConsistentRead: true }));
    await documents.send(new GetCommand({ TableName: 'meter', Key: { pk: 'counter#2' }, ConsistentRead: true }));
    expect(units(meter.capacity.writeUnits)).toEqual({ 'meter~counter': 1 });
    expect(units(meter.capacity.readUnits)).toEqual({ 'meter~counter': 2 });
    expect(meter.dynamoDbCalls.map((c) => `${c.operation} ${c.key}`)).toEqual(['UpdateItem counter#1', 'GetItem counter#1', 'GetItem counter#2']);
  });
});

describe('LocalQueue observers', () => {
  it('see each message sent and each batch delivered, with its size and failures', async () => {
    const queue = new LocalQueue(async (event) => ({ batchItemFailures: event.Records.slice(0, 1).map((r) => ({ itemIdentifier: r.messageId })) }), {
      maxReceiveCount: 1,
    });
    const sent: string[] = [];
    const delivered: { messages: number; failed: number }[] = [];
    const stop = queue.observe({ sent: (body) => sent.push(body), delivered: ({ messages, failed }) => delivered.push({ messages, failed }) });
    queue.send('a');
    queue.send('b');
    await queue.idle();
    stop();
    queue.send('c');
    await queue.idle();
    await queue.stop();
    expect(sent).toEqual(['a', 'b']);
    expect(delivered).toEqual([{ messages: 2, failed: 1 }]);
  });
});
