import { isAwsError } from './aws/aws-http-client';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDbDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type QueryCommandInput,
} from './aws/dynamodb';
import { OutboxError } from '../core/errors';
import { systemClock, type Clock } from '../core/ports';
import { ORIGIN_RANK, type SuppressionList, type SuppressionOrigin, type SuppressionRecord } from '../core/suppression';
import { TTL_ATTRIBUTE } from '../shared/tables';

const ORIGINS: readonly SuppressionOrigin[] = ['bounce', 'complaint', 'manual'];
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_MAX_KEYS = 100;
const UNPROCESSED_RETRIES = 5;
const UNPROCESSED_BACKOFF_MS = 25;
/** `add` re-puts when the item it collided with vanished before it could be read. */
const ADD_ATTEMPTS = 3;

interface SuppressionItem {
  readonly email: string;
  readonly id: string;
  readonly origin: SuppressionOrigin;
  readonly sourceId?: string;
  readonly reason?: string;
  readonly createdAt: string;
  readonly expiresAt?: number;
}

/**
 * The suppression list in the suppressions table: one item per address, keyed by the lower-cased
 * address. The table also holds items that are not suppressions (soft-bounce counters, with no
 * `origin`); this adapter never returns, overwrites or deletes those. An item whose `expiresAt`
 * has passed is treated as absent, since DynamoDB deletes expired items days late.
 */
export class DynamoDbSuppressionList implements SuppressionList {
  constructor(
    private readonly documents: DynamoDbDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async add(record: SuppressionRecord): Promise<{ record: SuppressionRecord; created: boolean }> {
    const email = record.email.toLowerCase();
    const item: SuppressionItem = {
      email,
      id: record.id,
      origin: record.origin,
      ...(record.sourceId !== null ? { sourceId: record.sourceId } : {}),
      ...(record.reason !== undefined ? { reason: record.reason } : {}),
      createdAt: record.createdAt,
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            // An expired item is already gone to readers, so it may be replaced.
            ConditionExpression: 'attribute_not_exists(email) OR #ttl <= :now',
            ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':now': this.nowSeconds() },
          }),
        );
        return { record: { ...record, email }, created: true };
      } catch (error) {
        if (!(isAwsError(error, 'ConditionalCheckFailedException'))) throw error;
      }
      // dynalite never returns the item on a failed condition, so read it back.
      const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { email }, ConsistentRead: true }));
      if (Item && Item.origin === undefined) {
        throw new Error(`The suppressions table key ${email} is held by an item that is not a suppression.`);
      }
      const existing = this.toRecord(Item);
      if (existing && ORIGIN_RANK[record.origin] > ORIGIN_RANK[existing.origin]) {
        return { record: await this.raiseOrigin(existing, record), created: false };
      }
      if (existing) return { record: existing, created: false };
      // Removed (or expired) between the put and the read: try the put again.
      if (attempt >= ADD_ATTEMPTS) throw new OutboxError('unavailable', 'The suppression list changed while adding; please try again.');
    }
  }

  /** Keeps the entry's id and time, taking the stronger origin with its source and reason. */
  private async raiseOrigin(existing: SuppressionRecord, stronger: SuppressionRecord): Promise<SuppressionRecord> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { email: existing.email },
          UpdateExpression: 'SET #origin = :origin, sourceId = :source, reason = :reason',
          ConditionExpression: '#origin = :current',
          ExpressionAttributeNames: { '#origin': 'origin' },
          ExpressionAttributeValues: { ':origin': stronger.origin, ':source': stronger.sourceId, ':reason': stronger.reason ?? null, ':current': existing.origin },
        }),
      );
    } catch (error) {
      // Another writer changed it first; its answer stands.
      if (!(isAwsError(error, 'ConditionalCheckFailedException'))) throw error;
      return (await this.get(existing.email)) ?? existing;
    }
    return { ...existing, origin: stronger.origin, sourceId: stronger.sourceId, ...(stronger.reason !== undefined ? { reason: stronger.reason } : {}) };
  }

  async findMany(emails: readonly string[]): Promise<Map<string, SuppressionRecord>> {
    const unique = [...new Set(emails.map((e) => e.toLowerCase()))];
    const found = new Map<string, SuppressionRecord>();
    for (let start = 0; start < unique.length; start += BATCH_GET_MAX_KEYS) {
      const items = await this.batchGet(unique.slice(start, start + BATCH_GET_MAX_KEYS));
      for (const item of items) {
        const record = this.toRecord(item);
        if (record) found.set(record.email, record);
      }
    }
    return found;
  }

  async get(email: string): Promise<SuppressionRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { email: email.toLowerCase() }, ConsistentRead: true }),
    );
    return this.toRecord(Item);
  }

  async getById(id: string): Promise<SuppressionRecord | undefined> {
    const { Items } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'by-id',
        KeyConditionExpression: 'id = :id',
        ExpressionAttributeValues: { ':id': id },
      }),
    );
    const indexed = this.toRecord(Items?.[0]);
    if (!indexed) return undefined;
    // Index reads are eventually consistent: confirm against the table that the item is still there.
    const current = await this.get(indexed.email);
    return current?.id === id ? current : undefined;
  }

  async remove(email: string): Promise<boolean> {
    try {
      const { Attributes } = await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { email: email.toLowerCase() },
          // Never delete an item that is not a suppression (such as a soft-bounce counter).
          ConditionExpression: 'attribute_exists(origin)',
          ReturnValues: 'ALL_OLD',
        }),
      );
      return this.toRecord(Attributes) !== undefined;
    } catch (error) {
      if (isAwsError(error, 'ConditionalCheckFailedException')) return false;
      throw error;
    }
  }

  async list(options: { origin?: SuppressionOrigin; limit: number; after?: string }): Promise<{ records: SuppressionRecord[]; hasMore: boolean }> {
    const origins = options.origin ? [options.origin] : ORIGINS;
    // One more than asked from each origin tells whether another page exists.
    const pages = await Promise.all(origins.map((origin) => this.queryOrigin(origin, options.limit + 1, options.after)));
    const merged = pages.flat().sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return { records: merged.slice(0, options.limit), hasMore: merged.length > options.limit };
  }

  /** Up to `want` live records of one origin, newest first, with ids below `after`. */
  private async queryOrigin(origin: SuppressionOrigin, want: number, after: string | undefined): Promise<SuppressionRecord[]> {
    const records: SuppressionRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    // The cursor is a key condition (ids are unique and time-ordered), so it works even when the
    // record it names has since been removed.
    const input: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: 'by-origin',
      KeyConditionExpression: after === undefined ? 'origin = :origin' : 'origin = :origin AND id < :after',
      ExpressionAttributeValues: { ':origin': origin, ...(after === undefined ? {} : { ':after': after }) },
      ScanIndexForward: false,
    };
    do {
      // Limit counts items read before expired ones are dropped, so a page may come back short.
      const page = await this.documents.send(new QueryCommand({ ...input, Limit: want - records.length, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) {
        const record = this.toRecord(item);
        if (record) records.push(record);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && records.length < want);
    return records;
  }

  private async batchGet(emails: readonly string[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let keys: Record<string, unknown>[] = emails.map((email) => ({ email }));
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt > UNPROCESSED_RETRIES) {
        // A partial answer would let mail reach a suppressed address; fail instead.
        throw new OutboxError('unavailable', 'The suppression list could not be read in full; please try again.');
      }
      if (attempt > 0) await sleep(UNPROCESSED_BACKOFF_MS * 2 ** (attempt - 1));
      const { Responses, UnprocessedKeys } = await this.documents.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      items.push(...(Responses?.[this.tableName] ?? []));
      keys = UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    return items;
  }

  /** The record an item holds, or undefined for no item, a non-suppression item or an expired one. */
  private toRecord(item: Record<string, unknown> | undefined): SuppressionRecord | undefined {
    if (!item || typeof item.origin !== 'string') return undefined;
    const stored = item as unknown as SuppressionItem;
    if (stored.expiresAt !== undefined && stored.expiresAt <= this.nowSeconds()) return undefined;
    return {
      id: stored.id,
      email: stored.email,
      origin: stored.origin,
      sourceId: stored.sourceId ?? null,
      ...(typeof stored.reason === 'string' ? { reason: stored.reason } : {}),
      createdAt: stored.createdAt,
    };
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
