import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LastEvent } from '../core/email';
import type { Clock } from '../core/ports';
import { LAST_EVENT_RANK } from '../core/precedence';
import type { DueEmail, ScheduleChange, ScheduleStore } from '../core/scheduler';
import { DynamoDbEmailContent } from './dynamodb-email-content';
import { EMAIL_SK } from './email-partition';

const DUE_INDEX = 'by-due';
/** One partition of the due-time index. A scheduled email is a rare, small item; one shard holds thousands per second. */
const DUE_SHARD = 'due';

/**
 * The attributes that put a scheduled email in the sparse `by-due` index: `dueShard` and
 * `dueAt = <scheduledAt ISO>#<id>`, so entries sort by time and stay unique. DynamoDbEmailStore
 * writes them when it creates a `scheduled` email; this store moves and removes them.
 */
export function dueIndexAttributes(id: string, scheduledAt: string): { dueShard: string; dueAt: string } {
  return { dueShard: DUE_SHARD, dueAt: `${scheduledAt}#${id}` };
}

/**
 * Scheduled emails in the emails table (the `email` item of each email's partition) and the
 * `by-due` index. Each change is one conditional UpdateItem on `lastEvent`, so the API's
 * reschedule and cancel, the scheduler's release and the sender never overwrite each other.
 */
export class DynamoDbScheduleStore implements ScheduleStore {
  private readonly content: DynamoDbEmailContent;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {
    this.content = new DynamoDbEmailContent(documents, tableName);
  }

  /**
   * Moving an email later extends its retention, and its content items' with it. So that content
   * never expires before its email, even if this stops halfway: read the email item (1 read
   * unit), raise the content items' expiry if the new one is later, then update the email item.
   * Content items' expiry only ever rises; moving an email earlier leaves them as they are.
   */
  async reschedule(id: string, scheduledAt: string, expiresAt: number): Promise<ScheduleChange> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: id, sk: EMAIL_SK }, ConsistentRead: true, ProjectionExpression: 'lastEvent, expiresAt, contentChunks' }),
    );
    const chunks = (Item?.contentChunks as number | undefined) ?? 0;
    if (Item?.lastEvent === 'scheduled' && chunks > 0 && expiresAt > (Item.expiresAt as number)) await this.content.extendExpiry(id, chunks, expiresAt);
    const due = dueIndexAttributes(id, scheduledAt);
    return this.changeScheduled(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: id, sk: EMAIL_SK },
        UpdateExpression: 'SET scheduledAt = :at, dueShard = :shard, dueAt = :dueAt, expiresAt = :expires',
        ConditionExpression: 'lastEvent = :scheduled AND expiresAt > :nowSeconds',
        ExpressionAttributeValues: {
          ':at': scheduledAt,
          ':shard': due.dueShard,
          ':dueAt': due.dueAt,
          ':expires': expiresAt,
          ':scheduled': 'scheduled',
          ':nowSeconds': this.nowSeconds(),
        },
      }),
    );
  }

  async cancel(id: string): Promise<ScheduleChange> {
    return this.changeScheduled(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: id, sk: EMAIL_SK },
        UpdateExpression: 'SET lastEvent = :canceled, lastEventRank = :rank REMOVE dueShard, dueAt',
        ConditionExpression: 'lastEvent = :scheduled AND expiresAt > :nowSeconds',
        ExpressionAttributeValues: { ':canceled': 'canceled', ':rank': LAST_EVENT_RANK.canceled, ':scheduled': 'scheduled', ':nowSeconds': this.nowSeconds() },
      }),
    );
  }

  async findDue(now: Date, limit: number, cursor?: string): Promise<{ due: DueEmail[]; cursor?: string }> {
    const page = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: DUE_INDEX,
        // Every entry of a time at or before now, whatever id follows the `#`.
        KeyConditionExpression: 'dueShard = :shard AND dueAt <= :bound',
        ExpressionAttributeValues: { ':shard': DUE_SHARD, ':bound': `${now.toISOString()}#\uffff` },
        ProjectionExpression: 'pk, dueAt',
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown> } : {}),
      }),
    );
    const due = (page.Items ?? []).map((item) => ({ id: item.pk as string, dueAt: item.dueAt as string }));
    return page.LastEvaluatedKey ? { due, cursor: Buffer.from(JSON.stringify(page.LastEvaluatedKey)).toString('base64url') } : { due };
  }

  async release(email: DueEmail): Promise<boolean> {
    const key = { pk: email.id, sk: EMAIL_SK };
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET lastEvent = :queued, lastEventRank = :rank',
          ConditionExpression: 'dueAt = :dueAt AND lastEvent IN (:scheduled, :queued)',
          ExpressionAttributeValues: { ':queued': 'queued', ':rank': LAST_EVENT_RANK.queued, ':dueAt': email.dueAt, ':scheduled': 'scheduled' },
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // Moved on. If it still carries this entry (a run stopped after the sender got it), drop the
    // entry so later runs stop reading it; a rescheduled email has a new entry and is left alone.
    await this.ignoringConditionFailure(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'REMOVE dueShard, dueAt',
        ConditionExpression: 'dueAt = :dueAt AND NOT (lastEvent IN (:scheduled, :queued))',
        ExpressionAttributeValues: { ':dueAt': email.dueAt, ':scheduled': 'scheduled', ':queued': 'queued' },
      }),
    );
    return false;
  }

  async clearDue(email: DueEmail): Promise<void> {
    await this.ignoringConditionFailure(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: email.id, sk: EMAIL_SK },
        UpdateExpression: 'REMOVE dueShard, dueAt',
        ConditionExpression: 'dueAt = :dueAt',
        ExpressionAttributeValues: { ':dueAt': email.dueAt },
      }),
    );
  }

  /** Runs a write conditioned on `scheduled`; when it fails, reads why. */
  private async changeScheduled(command: UpdateCommand): Promise<ScheduleChange> {
    const key = command.input.Key!;
    try {
      await this.documents.send(command);
      return { ok: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true, ProjectionExpression: 'lastEvent, expiresAt' }),
    );
    // Past retention counts as absent, as everywhere else.
    if (!Item || (Item.expiresAt as number) <= this.nowSeconds()) return { ok: false };
    return { ok: false, lastEvent: Item.lastEvent as LastEvent };
  }

  private async ignoringConditionFailure(command: UpdateCommand): Promise<void> {
    try {
      await this.documents.send(command);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}
