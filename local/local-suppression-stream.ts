import { randomUUID } from 'node:crypto';
import type { AttributeValue, DynamoDBRecord, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { SesV2Client } from '../lambda/adapters/aws/sesv2';
import { SesAccountSuppressionList } from '../lambda/adapters/ses-account-suppression-list';
import type { SuppressionList, SuppressionOrigin, SuppressionRecord } from '../lambda/core/suppression';
import { handleSuppressionStreamBatch, type SuppressionSyncDeps } from '../lambda/entrypoints/dynamodb-suppression-stream';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './embedded-dynamodb';
import { LocalQueue } from './local-queue';

/** Stream records per delivery: as the deployed event source's batch. */
const LOCAL_SYNC_BATCH_SIZE = 5;
const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/outbox-Suppressions/stream/local';

export interface LocalSuppressionSync {
  /** The stream's records, one at a time, to the same consumer the deployed Lambda runs. */
  readonly queue: LocalQueue;
  /** The list, with every change it makes also written as a stream record. */
  mirror(list: SuppressionList): SuppressionList;
  /** Queues an INSERT for every entry the list holds: what a restart on a data directory needs, as the stand-in forgets its list. */
  replay(list: SuppressionList): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Local mode's suppressions table stream. The embedded store has no streams, so the suppression
 * list the api and the events path use writes the records itself (`mirror`), with the old and new
 * images the table's NEW_AND_OLD_IMAGES stream would carry, onto a serial queue consumed by the
 * deployed consumer (handleSuppressionStreamBatch) with the same SES adapter, pointed at the SES
 * stand-in. The stand-in does not enforce SES's one-request-per-second limit for these calls, so
 * they are not paced here. A failed record is retried with the records after it; unlike a stream,
 * records queued meanwhile may go first.
 */
export function createLocalSuppressionSync(options: { sesEndpoint: string; log: SuppressionSyncDeps['log'] }): LocalSuppressionSync {
  const ses = new SesV2Client({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: options.sesEndpoint, maxAttempts: 1 });
  const deps: SuppressionSyncDeps = { accountList: new SesAccountSuppressionList(ses, { minIntervalMs: 0 }), log: options.log };
  const queue = new LocalQueue((event) => consumeAsStream(deps, event), { batchSize: LOCAL_SYNC_BATCH_SIZE, concurrency: 1 });
  let sequence = 0;
  const emit = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', email: string, oldImage?: Record<string, AttributeValue>, newImage?: Record<string, AttributeValue>): void => {
    sequence += 1;
    const record: DynamoDBRecord = {
      eventID: randomUUID(),
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: LOCAL_REGION,
      eventSourceARN: STREAM_ARN,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: { email: { S: email } },
        ...(oldImage ? { OldImage: oldImage } : {}),
        ...(newImage ? { NewImage: newImage } : {}),
        SequenceNumber: String(sequence).padStart(21, '0'),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    };
    queue.send(JSON.stringify(record));
  };
  return {
    queue,
    mirror: (list) => new StreamingSuppressionList(list, emit),
    replay: async (list) => {
      let count = 0;
      let after: string | undefined;
      for (;;) {
        const page = await list.list({ limit: 100, ...(after !== undefined ? { after } : {}) });
        for (const record of page.records) emit('INSERT', record.email, undefined, imageOf(record));
        count += page.records.length;
        if (!page.hasMore || page.records.length === 0) return count;
        after = page.records[page.records.length - 1]!.id;
      }
    },
    stop: async () => {
      await queue.stop();
    },
  };
}

/** The local queue's messages are stream records: a failure at one record fails it and every later one, as a stream retries. */
async function consumeAsStream(deps: SuppressionSyncDeps, event: SQSEvent): Promise<SQSBatchResponse> {
  const messages = event.Records;
  const response = await handleSuppressionStreamBatch(deps, { Records: messages.map((message) => JSON.parse(message.body) as DynamoDBRecord) });
  const failed = response.batchItemFailures[0]?.itemIdentifier;
  if (failed === undefined) return { batchItemFailures: [] };
  const at = messages.findIndex((message) => (JSON.parse(message.body) as DynamoDBRecord).dynamodb?.SequenceNumber === failed);
  return { batchItemFailures: messages.slice(Math.max(0, at)).map((message) => ({ itemIdentifier: message.messageId })) };
}

/** A suppression list that reports each change it makes as a stream record (old and new images). */
class StreamingSuppressionList implements SuppressionList {
  constructor(
    private readonly inner: SuppressionList,
    private readonly emit: (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', email: string, oldImage?: Record<string, AttributeValue>, newImage?: Record<string, AttributeValue>) => void,
  ) {}

  async add(record: SuppressionRecord): Promise<{ record: SuppressionRecord; created: boolean }> {
    // Read first: the result says what the entry is now, not what it was.
    const before = await this.inner.get(record.email);
    const result = await this.inner.add(record);
    const oldImage = before ? imageOf(before) : undefined;
    const newImage = imageOf(result.record);
    if (!oldImage) this.emit('INSERT', result.record.email, undefined, newImage);
    else if (JSON.stringify(oldImage) !== JSON.stringify(newImage)) this.emit('MODIFY', result.record.email, oldImage, newImage);
    return result;
  }

  async remove(email: string): Promise<boolean> {
    const before = await this.inner.get(email);
    const removed = await this.inner.remove(email);
    if (removed) {
      const key = email.toLowerCase();
      // Removed between the read and the delete: what the item held is unknown, but it was an entry.
      this.emit('REMOVE', key, imageOf(before ?? { id: '', email: key, origin: 'manual' satisfies SuppressionOrigin, sourceId: null, createdAt: '' }));
    }
    return removed;
  }

  findMany(emails: readonly string[]): Promise<Map<string, SuppressionRecord>> {
    return this.inner.findMany(emails);
  }

  get(email: string): Promise<SuppressionRecord | undefined> {
    return this.inner.get(email);
  }

  getById(id: string): Promise<SuppressionRecord | undefined> {
    return this.inner.getById(id);
  }

  list(options: { origin?: SuppressionOrigin; limit: number; after?: string }): Promise<{ records: SuppressionRecord[]; hasMore: boolean }> {
    return this.inner.list(options);
  }
}

/** The item the suppressions table holds for a record (DynamoDbSuppressionList's shape), as a stream image. */
function imageOf(record: SuppressionRecord): Record<string, AttributeValue> {
  return {
    email: { S: record.email },
    id: { S: record.id },
    origin: { S: record.origin },
    ...(record.sourceId !== null ? { sourceId: { S: record.sourceId } } : {}),
    ...(record.reason !== undefined ? { reason: { S: record.reason } } : {}),
    createdAt: { S: record.createdAt },
  };
}
