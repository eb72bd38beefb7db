import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { GetCommand, type DynamoDbDocumentClient } from '../../lambda/adapters/aws/dynamodb';
import { DynamoDbDeliverabilityCounters, DynamoDbGuardMemory, hourKey } from '../../lambda/adapters/dynamodb-deliverability-counters';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { addTallies, hourOf, INITIAL_GUARD_STATE, windowHours, type DeliverabilityCounts } from '../../lambda/core/deliverability';
import { handleSesEventBatch } from '../../lambda/entrypoints/sqs-events';
import { MESSAGE_ID_TAG } from '../../lambda/shared/env';
import { ALL_TABLES, CONTROL_TABLE, EMAILS_TABLE, SUPPRESSIONS_TABLE, WEBHOOKS_TABLE } from '../../lambda/shared/tables';
import { buildEventsDeps } from '../../lambda/wiring';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../local/embedded-dynamodb';
import { localTableName } from '../../local/runtime';
import { fixedClock } from '../helpers/in-memory';

const OPTIONS = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
const CONTROL = localTableName(CONTROL_TABLE);
const NOW = '2026-12-02T17:30:00.000Z';
const fixtures = path.join(__dirname, '../fixtures/ses');

/** A document client that notes each command it sends (name and table): what the store is asked, no more. */
function countingClient(endpoint: string): { documents: DynamoDbDocumentClient; calls: string[] } {
  const documents = documentClient(endpoint, OPTIONS);
  const calls: string[] = [];
  const send = documents.send.bind(documents);
  documents.send = (command) => {
    const input = command.input as { TableName?: string; RequestItems?: Record<string, unknown> };
    calls.push(`${command.operation} ${input.TableName ?? Object.keys(input.RequestItems ?? {}).join(',')}`);
    return send(command);
  };
  return { documents, calls };
}

/** An SES event-publishing record from AWS's example, for one message of ours to `address`. */
function body(name: string, n: number, address: string): string {
  const record = JSON.parse(readFileSync(path.join(fixtures, name), 'utf8').replaceAll('recipient@example.com', address)) as Record<string, any>;
  record.mail.messageId = `0100019ad0000000-msg-${n}-000000`;
  record.mail.tags = { ...record.mail.tags, [MESSAGE_ID_TAG]: [`019ad000-0000-7000-8000-${String(n).padStart(12, '0')}`] };
  return JSON.stringify({ Type: 'Notification', MessageId: `sns-${name}-${n}`, Message: JSON.stringify(record) });
}

const batch = (bodies: string[]): SQSEvent => ({ Records: bodies.map((b, i) => ({ messageId: `m-${i}`, body: b }) as unknown as SQSRecord) });
const counts = (c: Partial<DeliverabilityCounts>): DeliverabilityCounts => ({ sent: 0, delivered: 0, bounced: 0, complained: 0, ...c });

describe('the deliverability counters in the control table (embedded store)', () => {
  let dynamo: EmbeddedDynamoDb;

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamoDb();
    await createTables(dynamo.endpoint, ALL_TABLES.map((definition) => ({ definition, name: localTableName(definition) })));
  });
  afterAll(async () => dynamo?.stop());

  it('counts an events batch with one UpdateItem, a redelivered batch with none, and reads past hours once per container', async () => {
    const { documents, calls } = countingClient(dynamo.endpoint);
    const deps = buildEventsDeps(
      {
        emailsTable: localTableName(EMAILS_TABLE),
        suppressionsTable: localTableName(SUPPRESSIONS_TABLE),
        webhooksTable: localTableName(WEBHOOKS_TABLE),
        controlTable: CONTROL,
        retentionDays: 90,
        softBounceLimit: 3,
        softBounceWindowDays: 7,
        notificationsTopicArn: 'unused',
        webhookQueueUrl: 'unused',
        webhookCacheMs: 60_000,
        dynamoDbEndpoint: dynamo.endpoint,
      },
      OPTIONS,
      { topic: { publish: async () => undefined }, queue: { enqueue: async () => undefined } },
    );
    const counters = new DynamoDbDeliverabilityCounters(documents, CONTROL);
    const memory = new DynamoDbGuardMemory(documents, CONTROL, 60_000);
    Object.assign(deps, { deliverability: { ...deps.deliverability!, counters, memory, clock: fixedClock(NOW) } });

    const first = [0, 1, 2, 3, 4].flatMap((n) => [body('event-send.json', n, `reader${n}@example.net`), body('event-delivery.json', n, `reader${n}@example.net`)]);
    expect(await handleSesEventBatch(deps, batch(first))).toEqual({ batchItemFailures: [] });
    // One write for the batch; the 23 past hours in one BatchGetItem; the guard's state read once.
    expect(calls.filter((c) => c.endsWith(CONTROL)).sort()).toEqual([`BatchGetItem ${CONTROL}`, `GetItem ${CONTROL}`, `UpdateItem ${CONTROL}`]);

    calls.length = 0;
    expect(await handleSesEventBatch(deps, batch(first))).toEqual({ batchItemFailures: [] });
    expect(calls.filter((c) => c.endsWith(CONTROL))).toEqual([]);

    calls.length = 0;
    expect(await handleSesEventBatch(deps, batch([body('event-send.json', 9, 'late@example.net'), body('event-bounce-permanent.json', 9, 'late@example.net')]))).toEqual({ batchItemFailures: [] });
    expect(calls.filter((c) => c.endsWith(CONTROL))).toEqual([`UpdateItem ${CONTROL}`]);

    const hour = hourOf(new Date(NOW));
    const [stored] = await counters.buckets([hour], hour);
    expect(stored!.account).toEqual(counts({ sent: 6, delivered: 5, bounced: 1 }));
    expect([...stored!.domains]).toEqual([['example.com', counts({ sent: 6, delivered: 5, bounced: 1 })]]);
  });

  it('reads a 24 h and a 7 d window of hourly items, 100 keys a BatchGetItem, and answers past hours from memory after', async () => {
    const { documents, calls } = countingClient(dynamo.endpoint);
    const writer = new DynamoDbDeliverabilityCounters(documents, CONTROL);
    const now = new Date('2026-11-20T09:15:00.000Z');
    const hour = hourOf(now);
    const tally = (c: Partial<DeliverabilityCounts>) => ({ account: counts(c), domains: new Map([['acme.test', counts(c)]]) });
    calls.length = 0;
    expect((await writer.add(hour, tally({ sent: 100, bounced: 2 }))).account).toEqual(counts({ sent: 100, bounced: 2 }));
    expect((await writer.add(hour, tally({ sent: 1 }))).account).toEqual(counts({ sent: 101, bounced: 2 }));
    expect(calls).toEqual([`UpdateItem ${CONTROL}`, `UpdateItem ${CONTROL}`]);
    await writer.add(hour - 23, tally({ sent: 10, complained: 1 }));
    await writer.add(hour - 24, tally({ sent: 1000 }));
    await writer.add(hour - 167, tally({ sent: 5 }));
    await writer.add(hour - 168, tally({ sent: 7000 }));

    const { documents: readerDocuments, calls: reads } = countingClient(dynamo.endpoint);
    const reader = new DynamoDbDeliverabilityCounters(readerDocuments, CONTROL);
    expect(addTallies(await reader.buckets(windowHours('24h', now), hour)).account).toEqual(counts({ sent: 111, bounced: 2, complained: 1 }));
    const week = addTallies(await reader.buckets(windowHours('7d', now), hour));
    expect(week.account).toEqual(counts({ sent: 1116, bounced: 2, complained: 1 }));
    expect(week.domains.get('acme.test')).toEqual(counts({ sent: 1116, bounced: 2, complained: 1 }));
    // 24 keys, then the 144 the 7 d window adds: two calls of at most 100.
    expect(reads).toEqual([`BatchGetItem ${CONTROL}`, `BatchGetItem ${CONTROL}`, `BatchGetItem ${CONTROL}`]);
    reads.length = 0;
    await writer.add(hour, tally({ sent: 1 }));
    expect(addTallies(await reader.buckets(windowHours('7d', now), hour)).account.sent).toBe(1117);
    // Only the current hour is read again.
    expect(reads).toEqual([`BatchGetItem ${CONTROL}`]);
    const item = await documents.send(new GetCommand({ TableName: CONTROL, Key: { key: hourKey(hour) } }));
    expect(item.Item).toMatchObject({ key: 'deliverability#2026-11-20T09', sent: 102, 'd#acme.test#sent': 102, 'd#acme.test#bounced': 2, expiresAt: Date.parse('2026-11-20T10:00:00Z') / 1000 + 8 * 86_400 });
  });

  it("stores the guard's state conditionally, so of two containers seeing the same crossing one wins", async () => {
    const one = new DynamoDbGuardMemory(documentClient(dynamo.endpoint, OPTIONS), CONTROL);
    const two = new DynamoDbGuardMemory(documentClient(dynamo.endpoint, OPTIONS), CONTROL);
    const seen = [await one.read(), await two.read()];
    const crossed = { ...INITIAL_GUARD_STATE, warned: { bounce_rate: true, complaint_rate: false } };
    const won = await Promise.all([one.replace(crossed, seen[0]!.version), two.replace(crossed, seen[1]!.version)]);
    expect(won.filter(Boolean)).toHaveLength(1);
    // The loser's next read is fresh, not its cache.
    const loser = won[0] ? two : one;
    expect(await loser.read()).toMatchObject({ state: crossed, version: seen[0]!.version + 1 });
  });
});
