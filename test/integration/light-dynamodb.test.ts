import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as sdk from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as light from '../../lambda/adapters/aws/dynamodb';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { EMAILS_TABLE } from '../../lambda/shared/tables';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../local/embedded-dynamodb';

/**
 * The light document client against lib-dynamodb's DynamoDBDocumentClient, built with the same
 * marshalling options: each writes to its own embedded store (same tables, same history), so the
 * same inputs must give the same outputs and the same errors. Then the requests both put on the
 * wire, answers only a test server can give (UnprocessedKeys, an error carrying the item), and the
 * retries of a throttled call.
 */

const TABLE = 'docs';
const MARSHALL_OPTIONS = { removeUndefinedValues: true, convertClassInstanceToMap: true };
type Kind = 'Get' | 'Put' | 'Update' | 'Delete' | 'Query' | 'Scan' | 'BatchGet';
type Outcome = { output: Record<string, any> } | { error: { name: string; message: string } };

function sdkClient(endpoint: string, maxAttempts?: number): sdk.DynamoDBDocumentClient {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, ...(maxAttempts ? { maxAttempts } : {}) });
  return sdk.DynamoDBDocumentClient.from(client, { marshallOptions: MARSHALL_OPTIONS });
}

function lightClient(endpoint: string): light.DynamoDbDocumentClient {
  return documentClient(endpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

/** Sends `kind` with `input` through a client of either library; the output without the SDK's $metadata, or the error's name and message. */
async function outcome(client: sdk.DynamoDBDocumentClient | light.DynamoDbDocumentClient, library: typeof sdk | typeof light, kind: Kind, input: object): Promise<Outcome> {
  const Command = (library as any)[`${kind}Command`];
  try {
    const { $metadata: _metadata, ...output } = await (client as any).send(new Command(input));
    return { output };
  } catch (error) {
    const { name, message } = error as Error;
    return { error: { name, message } };
  }
}

/** An item with every kind of value the marshaller knows. */
function richItem(sk: string): Record<string, unknown> {
  return {
    pk: 'rich',
    sk,
    text: 'héllo ✉',
    empty: '',
    integer: 42,
    negative: -7,
    fraction: 0.1 + 0.2,
    large: Number.MAX_SAFE_INTEGER,
    yes: true,
    no: false,
    nothing: null,
    left: undefined,
    bytes: new Uint8Array([0, 1, 2, 250, 255]),
    buffer: Buffer.from('a buffer'),
    emptyBytes: new Uint8Array(),
    words: new Set(['a', 'b', 'c']),
    numbers: new Set([1, 2.5, -3]),
    blobs: new Set([new Uint8Array([1]), new Uint8Array([2, 3])]),
    list: ['x', 1, false, null, { nested: [new Set(['deep'])] }, undefined],
    map: { constructor: 'a key named constructor', inner: { deeper: { n: 1, b: new Uint8Array([9]) }, gone: undefined }, emptyMap: {}, emptyList: [] },
  };
}

describe('the light DynamoDB document client, beside lib-dynamodb on the embedded store', () => {
  let sdkStore: EmbeddedDynamoDb;
  let lightStore: EmbeddedDynamoDb;
  let sdkDocuments: sdk.DynamoDBDocumentClient;
  let lightDocuments: light.DynamoDbDocumentClient;

  beforeAll(async () => {
    [sdkStore, lightStore] = await Promise.all([startEmbeddedDynamoDb(), startEmbeddedDynamoDb()]);
    await Promise.all([sdkStore, lightStore].map((store) => createTables(store.endpoint, [{ definition: EMAILS_TABLE, name: TABLE }])));
    sdkDocuments = sdkClient(sdkStore.endpoint);
    lightDocuments = lightClient(lightStore.endpoint);
  });

  afterAll(async () => {
    sdkDocuments.destroy();
    await Promise.all([sdkStore.stop(), lightStore.stop()]);
  });

  /** The same call through both clients, each on its own store: both outcomes, for one expectation. */
  async function both(kind: Kind, input: () => object): Promise<{ sdk: Outcome; light: Outcome }> {
    const expected = await outcome(sdkDocuments, sdk, kind, input());
    const actual = await outcome(lightDocuments, light, kind, input());
    return { sdk: expected, light: actual };
  }

  async function same(kind: Kind, input: () => object): Promise<Outcome> {
    const { sdk: expected, light: actual } = await both(kind, input);
    expect(actual).toEqual(expected);
    return actual;
  }

  /** As `same`, for a call that must succeed (two equal errors would pass `same`). */
  async function succeeds(kind: Kind, input: () => object): Promise<{ output: Record<string, any> }> {
    const answer = await same(kind, input);
    expect(answer).toHaveProperty('output');
    return answer as { output: Record<string, any> };
  }

  it('writes and reads back every kind of value: sets, nested maps and lists, numbers, binary, null, empty values', async () => {
    await succeeds('Put', () => ({ TableName: TABLE, Item: richItem('one') }));
    const got = await succeeds('Get', () => ({ TableName: TABLE, Key: { pk: 'rich', sk: 'one' }, ConsistentRead: true }));
    const item = (got as { output: { Item: Record<string, unknown> } }).output.Item;
    expect(item.words).toEqual(new Set(['a', 'b', 'c']));
    expect(item.numbers).toEqual(new Set([1, 2.5, -3]));
    expect(item.bytes).toEqual(new Uint8Array([0, 1, 2, 250, 255]));
    expect(item).not.toHaveProperty('left');
    expect(item.map).toEqual({ constructor: 'a key named constructor', inner: { deeper: { n: 1, b: new Uint8Array([9]) } }, emptyMap: {}, emptyList: [] });
  });

  it('answers a missing item, a projection and the consumed capacity alike', async () => {
    expect(await succeeds('Get', () => ({ TableName: TABLE, Key: { pk: 'rich', sk: 'absent' } }))).toEqual({ output: {} });
    await succeeds('Put', () => ({ TableName: TABLE, Item: richItem('two') }));
    await succeeds('Get', () => ({ TableName: TABLE, Key: { pk: 'rich', sk: 'two' }, ProjectionExpression: '#m.#i, words, #b', ExpressionAttributeNames: { '#m': 'map', '#i': 'inner', '#b': 'bytes' } }));
    await succeeds('Get', () => ({ TableName: TABLE, Key: { pk: 'rich', sk: 'two' }, ReturnConsumedCapacity: 'TOTAL' }));
  });

  it('returns the old item of a Put and a Delete, and nothing when there was none', async () => {
    expect(await succeeds('Put', () => ({ TableName: TABLE, Item: { pk: 'put', sk: 'a', n: 1 }, ReturnValues: 'ALL_OLD' }))).toEqual({ output: {} });
    await succeeds('Put', () => ({ TableName: TABLE, Item: { ...richItem('x'), pk: 'put', sk: 'a' }, ReturnValues: 'ALL_OLD' }));
    await succeeds('Delete', () => ({ TableName: TABLE, Key: { pk: 'put', sk: 'a' }, ReturnValues: 'ALL_OLD' }));
    expect(await succeeds('Delete', () => ({ TableName: TABLE, Key: { pk: 'put', sk: 'a' }, ReturnValues: 'ALL_OLD' }))).toEqual({ output: {} });
  });

  it('updates with expression values of every kind, returning ALL_NEW, UPDATED_OLD or nothing', async () => {
    const update = (returnValues: string, values: Record<string, unknown>) => () => ({
      TableName: TABLE,
      Key: { pk: 'update', sk: 'a' },
      UpdateExpression: 'SET #t = :t, bytes = :b, #m.#i = :m, attempts = if_not_exists(attempts, :zero) + :one ADD seen :seen, #n :n REMOVE gone',
      ExpressionAttributeNames: { '#t': 'text', '#m': 'map', '#i': 'inner', '#n': 'total' },
      ExpressionAttributeValues: values,
      ReturnValues: returnValues,
    });
    await succeeds('Put', () => ({ TableName: TABLE, Item: { pk: 'update', sk: 'a', gone: 'soon', map: {} } }));
    const updated = await succeeds('Update', update('ALL_NEW', { ':t': 'new', ':b': new Uint8Array([7, 7]), ':m': { list: [1, 'two', new Set(['s'])] }, ':zero': 0, ':one': 1, ':seen': new Set(['x', 'y']), ':n': 2.5, ':unused': undefined }));
    expect(updated).toEqual({ output: { Attributes: expect.objectContaining({ text: 'new', attempts: 1, total: 2.5, seen: new Set(['x', 'y']), map: { inner: { list: [1, 'two', new Set(['s'])] } } }) } });
    const old = await succeeds('Update', update('UPDATED_OLD', { ':t': 'newer', ':b': Buffer.from('b'), ':m': null, ':zero': 0, ':one': 1, ':seen': new Set(['z']), ':n': -1 }));
    expect(old).toEqual({ output: { Attributes: expect.objectContaining({ text: 'new', bytes: new Uint8Array([7, 7]), attempts: 1 }) } });
    expect(await succeeds('Update', update('NONE', { ':t': 't', ':b': new Uint8Array([1]), ':m': 'm', ':zero': 0, ':one': 1, ':seen': new Set(['q']), ':n': 1 }))).toEqual({ output: {} });
  });

  it('pages a Query and a Scan alike: Items, Count, ScannedCount, LastEvaluatedKey', async () => {
    for (let i = 0; i < 7; i++) {
      const item = { pk: 'paged', sk: `item#${i}`, n: i, createdDay: '2026-01-01', createdAt: `2026-01-01T00:00:0${i}Z`, tags: new Set([`t${i}`]) };
      await succeeds('Put', () => ({ TableName: TABLE, Item: item }));
    }
    for (const kind of ['Query', 'Scan'] as const) {
      const page = (startKey: unknown) => () => ({
        TableName: TABLE,
        ...(kind === 'Query' ? { KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', ScanIndexForward: false } : {}),
        FilterExpression: 'n <> :skip',
        ExpressionAttributeValues: { ...(kind === 'Query' ? { ':pk': 'paged', ':prefix': 'item#' } : {}), ':skip': 3 },
        Limit: 3,
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      });
      let startKey: unknown;
      let pages = 0;
      do {
        const answer = (await succeeds(kind, page(startKey))) as { output: { LastEvaluatedKey?: unknown; Count: number } };
        startKey = answer.output.LastEvaluatedKey;
        pages++;
      } while (startKey);
      expect(pages).toBeGreaterThan(1);
    }
    await succeeds('Query', () => ({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'paged' }, Select: 'COUNT' }));
    await succeeds('Query', () => ({ TableName: TABLE, IndexName: 'by-created-day', KeyConditionExpression: 'createdDay = :day', ExpressionAttributeValues: { ':day': '2026-01-01' }, Limit: 2 }));
    expect(await succeeds('Query', () => ({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'nobody' } }))).toEqual({ output: { Items: [], Count: 0, ScannedCount: 0 } });
  });

  it('reads a BatchGetItem alike, missing keys left out and UnprocessedKeys empty', async () => {
    const keys = () => [...[0, 1, 2, 99].map((i) => ({ pk: 'paged', sk: `item#${i}` })), { pk: 'rich', sk: 'one' }];
    const { sdk: expected, light: actual } = await both('BatchGet', () => ({ RequestItems: { [TABLE]: { Keys: keys(), ConsistentRead: true } } }));
    // BatchGetItem does not promise an order.
    const bySortKey = (result: Outcome) => ({ ...result, output: { ...(result as any).output, Responses: { [TABLE]: [...(result as any).output.Responses[TABLE]].sort((a, b) => a.sk.localeCompare(b.sk)) } } });
    expect(bySortKey(actual)).toEqual(bySortKey(expected));
    expect((actual as any).output.Responses[TABLE]).toHaveLength(4);
    expect((actual as any).output.UnprocessedKeys).toEqual({});
  });

  it('fails a condition with the same error', async () => {
    await same('Put', () => ({ TableName: TABLE, Item: { pk: 'taken', sk: 'a' } }));
    const failed = await same('Put', () => ({ TableName: TABLE, Item: { pk: 'taken', sk: 'a' }, ConditionExpression: 'attribute_not_exists(pk)' }));
    expect(failed).toEqual({ error: { name: 'ConditionalCheckFailedException', message: expect.any(String) } });
    await same('Update', () => ({ TableName: TABLE, Key: { pk: 'taken', sk: 'a' }, UpdateExpression: 'SET n = :n', ConditionExpression: 'n = :old', ExpressionAttributeValues: { ':n': 1, ':old': 0 } }));
    await same('Delete', () => ({ TableName: TABLE, Key: { pk: 'taken', sk: 'b' }, ConditionExpression: 'attribute_exists(pk)' }));
  });

  it('refuses an invalid request with the same ValidationException', async () => {
    const missingSortKey = await same('Get', () => ({ TableName: TABLE, Key: { pk: 'rich' } }));
    expect(missingSortKey).toEqual({ error: { name: 'ValidationException', message: expect.any(String) } });
    await same('Update', () => ({ TableName: TABLE, Key: { pk: 'rich', sk: 'one' }, UpdateExpression: 'SET = nonsense' }));
    await same('Query', () => ({ TableName: TABLE, KeyConditionExpression: 'pk = :pk' }));
    await same('Get', () => ({ TableName: 'no-such-table', Key: { pk: 'a', sk: 'b' } }));
  });
});

/** A loopback DynamoDB stand-in: records each request, answers with `answer` (or forwards to `upstream` when it returns undefined). */
async function startRecorder(answer: (target: string, body: any, count: number) => { status: number; body: unknown } | undefined, upstream?: string) {
  const requests: { target: string; contentType: string | undefined; body: any }[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const target = String(req.headers['x-amz-target']);
      requests.push({ target, contentType: req.headers['content-type'], body: JSON.parse(raw.toString('utf8') || '{}') });
      const answered = answer(target, JSON.parse(raw.toString('utf8') || '{}'), requests.length);
      if (answered || !upstream) {
        const { status, body } = answered ?? { status: 200, body: {} };
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `request-${requests.length}` }).end(JSON.stringify(body));
        return;
      }
      const url = new URL(upstream);
      const forwarded = httpRequest({ hostname: url.hostname, port: url.port, method: req.method, path: req.url, headers: { ...req.headers, host: url.host } }, (upstreamResponse) => {
        res.writeHead(upstreamResponse.statusCode ?? 500, upstreamResponse.headers);
        upstreamResponse.pipe(res);
      });
      forwarded.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const throttled = { status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'The level of configured provisioned throughput for the table was exceeded.' } };
const invalid = { status: 400, body: { __type: 'com.amazon.coral.validate#ValidationException', message: 'One or more parameter values were invalid' } };

describe('the light DynamoDB document client on the wire', () => {
  it('sends each command as lib-dynamodb sends it: target, content type, body', async () => {
    const recorder = await startRecorder(() => undefined);
    const sdkDocuments = sdkClient(recorder.url, 1);
    const lightDocuments = lightClient(recorder.url);
    const binaryKey = { pk: 'k', sk: 's', blob: new Uint8Array([1, 2, 3]) };
    const inputs: [Kind, () => object][] = [
      ['Get', () => ({ TableName: TABLE, Key: { pk: 'k', sk: 's' }, ConsistentRead: true, ProjectionExpression: '#a', ExpressionAttributeNames: { '#a': 'a' } })],
      ['Put', () => ({ TableName: TABLE, Item: richItem('wire'), ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })],
      ['Update', () => ({ TableName: TABLE, Key: binaryKey, UpdateExpression: 'SET a = :a ADD s :s', ExpressionAttributeValues: { ':a': { m: [1, new Uint8Array([4])] }, ':s': new Set(['x']), ':u': undefined }, ReturnValues: 'ALL_NEW' })],
      ['Delete', () => ({ TableName: TABLE, Key: { pk: 'k', sk: 's' }, ConditionExpression: 'attribute_exists(pk)', ReturnValues: 'ALL_OLD' })],
      ['Query', () => ({ TableName: TABLE, IndexName: 'by-due', KeyConditionExpression: 'dueShard = :s', ExpressionAttributeValues: { ':s': 'shard#1' }, ExclusiveStartKey: { dueShard: 'shard#1', dueAt: '2026', pk: 'k', sk: 's' }, Limit: 5, ScanIndexForward: false })],
      ['Scan', () => ({ TableName: TABLE, FilterExpression: 'n > :n', ExpressionAttributeValues: { ':n': 1 }, ExclusiveStartKey: { pk: 'k', sk: 's' }, Select: 'COUNT' })],
      ['BatchGet', () => ({ RequestItems: { [TABLE]: { Keys: [{ pk: 'a', sk: 'b' }, binaryKey], ConsistentRead: true, ProjectionExpression: 'pk' } }, ReturnConsumedCapacity: 'TOTAL' })],
    ];
    try {
      for (const [kind, input] of inputs) {
        recorder.requests.length = 0;
        await outcome(sdkDocuments, sdk, kind, input());
        await outcome(lightDocuments, light, kind, input());
        expect(recorder.requests).toHaveLength(2);
        expect(recorder.requests[1]).toEqual(recorder.requests[0]);
      }
    } finally {
      sdkDocuments.destroy();
      await recorder.close();
    }
  });

  it('unmarshals Responses and UnprocessedKeys of a partly read BatchGetItem as lib-dynamodb does', async () => {
    const answer = {
      Responses: { [TABLE]: [{ pk: { S: 'a' }, sk: { S: 'b' }, n: { N: '1.5' }, b: { B: 'AQID' }, bs: { BS: ['AQ==', 'Ag=='] }, m: { M: { l: { L: [{ NS: ['1', '2'] }, { NULL: true }, { B: 'BA==' }] } } } }] },
      UnprocessedKeys: { [TABLE]: { Keys: [{ pk: { S: 'c' }, sk: { B: 'AAE=' } }], ConsistentRead: true, ProjectionExpression: 'pk' } },
      ConsumedCapacity: [{ TableName: TABLE, CapacityUnits: 1 }],
    };
    const recorder = await startRecorder(() => ({ status: 200, body: answer }));
    const sdkDocuments = sdkClient(recorder.url, 1);
    try {
      const input = () => ({ RequestItems: { [TABLE]: { Keys: [{ pk: 'a', sk: 'b' }] } } });
      const expected = await outcome(sdkDocuments, sdk, 'BatchGet', input());
      const actual = await outcome(lightClient(recorder.url), light, 'BatchGet', input());
      expect(actual).toEqual(expected);
      expect((actual as any).output.UnprocessedKeys[TABLE].Keys).toEqual([{ pk: 'c', sk: new Uint8Array([0, 1]) }]);
    } finally {
      sdkDocuments.destroy();
      await recorder.close();
    }
  });

  it('throws a failed condition with the item it carries, unmarshalled', async () => {
    const item = { pk: { S: 'a' }, n: { N: '3' }, b: { B: 'aGk=' }, tags: { SS: ['x'] } };
    const recorder = await startRecorder(() => ({ status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed', Item: item } }));
    const sdkDocuments = sdkClient(recorder.url, 1);
    try {
      const input = () => new sdk.PutCommand({ TableName: TABLE, Item: { pk: 'a' }, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
      const expected = await sdkDocuments.send(input()).catch((error: unknown) => error as any);
      const actual = await lightClient(recorder.url)
        .send(new light.PutCommand(input().input as light.PutCommandInput))
        .catch((error: unknown) => error as any);
      expect(actual.name).toBe(expected.name);
      expect(actual.message).toBe(expected.message);
      expect(actual.$metadata.httpStatusCode).toBe(400);
      expect(actual.Item).toEqual(unmarshall(expected.Item));
      expect(actual.Item).toEqual({ pk: 'a', n: 3, b: new Uint8Array([104, 105]), tags: new Set(['x']) });
    } finally {
      sdkDocuments.destroy();
      await recorder.close();
    }
  });

  describe('retries', () => {
    let store: EmbeddedDynamoDb;

    beforeAll(async () => {
      store = await startEmbeddedDynamoDb();
      await createTables(store.endpoint, [{ definition: EMAILS_TABLE, name: TABLE }]);
    });
    afterAll(() => store.stop());

    it('retries a throttled call, as the SDK does, and then answers what the store answers', async () => {
      const recorder = await startRecorder((_target, _body, count) => (count <= 2 ? throttled : undefined), store.endpoint);
      try {
        const documents = lightClient(recorder.url);
        await expect(documents.send(new light.PutCommand({ TableName: TABLE, Item: { pk: 'retried', sk: 'a', n: 1 } }))).resolves.toEqual({});
        expect(recorder.requests).toHaveLength(3);
        expect(recorder.requests.map((r) => r.target)).toEqual(Array(3).fill('DynamoDB_20120810.PutItem'));
        const { Item } = await lightClient(store.endpoint).send(new light.GetCommand({ TableName: TABLE, Key: { pk: 'retried', sk: 'a' } }));
        expect(Item).toEqual({ pk: 'retried', sk: 'a', n: 1 });
      } finally {
        await recorder.close();
      }
    });

    it('gives up after four throttled attempts, as the SDK DynamoDB client does', async () => {
      const recorder = await startRecorder(() => throttled);
      const sdkDocuments = sdkClient(recorder.url);
      try {
        const expected = await sdkDocuments.send(new sdk.GetCommand({ TableName: TABLE, Key: { pk: 'a', sk: 'b' } })).catch((error: unknown) => error as any);
        const sdkAttempts = recorder.requests.length;
        recorder.requests.length = 0;
        const actual = await lightClient(recorder.url)
          .send(new light.GetCommand({ TableName: TABLE, Key: { pk: 'a', sk: 'b' } }))
          .catch((error: unknown) => error as any);
        expect(actual.name).toBe('ProvisionedThroughputExceededException');
        expect(actual.name).toBe(expected.name);
        expect(recorder.requests).toHaveLength(sdkAttempts);
        expect(actual.$metadata.attempts).toBe(4);
      } finally {
        sdkDocuments.destroy();
        await recorder.close();
      }
    });

    it('does not retry a ValidationException', async () => {
      const recorder = await startRecorder(() => invalid);
      try {
        const error = await lightClient(recorder.url)
          .send(new light.UpdateCommand({ TableName: TABLE, Key: { pk: 'a', sk: 'b' }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': 1 } }))
          .catch((failure: unknown) => failure as any);
        expect(error.name).toBe('ValidationException');
        expect(error.$metadata.attempts).toBe(1);
        expect(recorder.requests).toHaveLength(1);
      } finally {
        await recorder.close();
      }
    });
  });
});
