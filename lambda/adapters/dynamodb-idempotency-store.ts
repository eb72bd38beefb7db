import { isAwsError } from './aws/aws-http-client';
import { DeleteCommand, DynamoDbDocumentClient, GetCommand, PutCommand, UpdateCommand } from './aws/dynamodb';
import type { IdempotencyRecord, IdempotencyStore, StoredResponse } from '../core/idempotency';

interface IdempotencyItem {
  readonly key: string;
  readonly state: 'in_progress' | 'done';
  readonly fingerprint: string;
  readonly owner?: string;
  /** Epoch seconds; the table's TTL attribute. */
  readonly expiresAt: number;
  /** Epoch milliseconds. */
  readonly lockedUntil?: number;
  readonly status?: number;
  /** The answer's body as JSON text, so it is replayed exactly as first given. */
  readonly responseBody?: string;
}

/**
 * Idempotency-Key records in the idempotency table, one item per key (pk `key`). Every write is a
 * single conditional write (dynalite has no transactions, and DynamoDB needs none here). An item
 * whose `expiresAt` has passed is absent to readers and to `claim`, since DynamoDB's TTL deletes
 * expired items up to days late.
 */
export class DynamoDbIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly documents: DynamoDbDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(key: string, record: Extract<IdempotencyRecord, { state: 'in_progress' }>, now: Date): Promise<boolean> {
    const item: IdempotencyItem = { key, ...record };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#key) OR expiresAt <= :nowSeconds OR (#state = :inProgress AND lockedUntil <= :nowMs)',
          ExpressionAttributeNames: { '#key': 'key', '#state': 'state' },
          ExpressionAttributeValues: { ':nowSeconds': Math.floor(now.getTime() / 1000), ':nowMs': now.getTime(), ':inProgress': 'in_progress' },
        }),
      );
      return true;
    } catch (error) {
      if (isAwsError(error, 'ConditionalCheckFailedException')) return false;
      throw error;
    }
  }

  async find(key: string, now: Date): Promise<IdempotencyRecord | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { key }, ConsistentRead: true }));
    const item = Item as IdempotencyItem | undefined;
    if (!item || item.expiresAt <= Math.floor(now.getTime() / 1000)) return undefined;
    if (item.state === 'done') {
      return {
        state: 'done',
        fingerprint: item.fingerprint,
        expiresAt: item.expiresAt,
        response: { status: item.status ?? 200, body: item.responseBody === undefined ? null : (JSON.parse(item.responseBody) as unknown) },
      };
    }
    return { state: 'in_progress', fingerprint: item.fingerprint, owner: item.owner ?? '', expiresAt: item.expiresAt, lockedUntil: item.lockedUntil ?? 0 };
  }

  async complete(key: string, owner: string, response: StoredResponse): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { key },
          UpdateExpression: 'SET #state = :done, #status = :status, responseBody = :body REMOVE lockedUntil, #owner',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#state': 'state', '#status': 'status', '#owner': 'owner' },
          ExpressionAttributeValues: { ':done': 'done', ':status': response.status, ':body': JSON.stringify(response.body), ':owner': owner },
        }),
      );
      return true;
    } catch (error) {
      if (isAwsError(error, 'ConditionalCheckFailedException')) return false;
      throw error;
    }
  }

  async release(key: string, owner: string): Promise<void> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { key },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Someone else holds it now (our claim had lapsed): theirs to keep.
      if (!(isAwsError(error, 'ConditionalCheckFailedException'))) throw error;
    }
  }
}
