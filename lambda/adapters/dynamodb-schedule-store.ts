import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LastEvent } from '../core/email';
import type { Clock } from '../core/ports';
import { LAST_EVENT_RANK } from '../core/precedence';
import type { DueEmail, ScheduleChange, ScheduleStore } from '../core/scheduler';
import { conditionalUpdate } from './dynamodb-documents';
import { DynamoDbEmailContent } from './dynamodb-email-content';
import { EMAIL_SK } from './email-partition';

const DUE_INDEX = 'by-due';
/** One partition of the due-time index for scheduled emails: a rare, small item; one shard holds thousands per second. */
const DUE_SHARD = 'due';
/**
 * Every `queued` email has a check entry, so these partitions take a write or two per email sent:
 * sixteen of them (by the id's last hex digit, random in a UUIDv7) keep each well inside what one
 * index partition takes, and cost the scheduler sixteen more empty queries a tick.
 */
const CHECK_SHARDS = [...'0123456789abcdef'].map((digit) => `check#${digit}`);
/** The partitions findDue reads, in order. */
const SHARDS = [DUE_SHARD, ...CHECK_SHARDS];

/**
 * The attributes that put a scheduled email in the sparse `by-due` index: `dueShard` and
 * `dueAt = <scheduledAt ISO>#<id>`, so entries sort by time and stay unique. DynamoDbEmailStore
 * writes them when it creates a `scheduled` email; this store moves and removes them.
 */
export function dueIndexAttributes(id: string, scheduledAt: string): { dueShard: string; dueAt: string } {
  return { dueShard: DUE_SHARD, dueAt: `${scheduledAt}#${id}` };
}

/**
 * The check entry of a `queued` email in the same index: `dueAt = <checkAt ISO>#<id>`, in one of
 * the check shards. DynamoDbEmailStore writes it when it creates a `queued` email, the release of
 * a scheduled email moves it there, the sweep moves it on, and the write that makes the email
 * `sent` or `failed` removes it.
 */
export function checkIndexAttributes(id: string, checkAt: Date): { dueShard: string; dueAt: string } {
  const digit = Number.parseInt(id.slice(-1), 16);
  return { dueShard: CHECK_SHARDS[Number.isNaN(digit) ? 0 : digit]!, dueAt: `${checkAt.toISOString()}#${id}` };
}

/** What findDue reads of an entry: the index projects the whole email item, so the sweep needs no further read. */
const DUE_PROJECTION = 'pk, dueAt, lastEvent, sendingClaimUntil, sendReleasedAt';

/**
 * Scheduled emails in the emails table (the `email` item of each email's partition) and the
 * `by-due` index, which also holds each `queued` email's check entry. Each change is one
 * conditional UpdateItem on `lastEvent` and the entry, so the API's reschedule and cancel, the
 * scheduler's release and sweep, and the sender never overwrite each other.
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

  /**
   * Reads the shards in turn (scheduled emails first, up to `until`; then the check shards, up to
   * `checksUntil` or `until`) until `limit` entries are found; the cursor says which shard and
   * where in it to go on.
   */
  async findDue(until: Date, limit: number, cursor?: string, checksUntil?: Date): Promise<{ due: DueEmail[]; cursor?: string }> {
    // Every entry of a time at or before the bound, whatever id follows the `#`.
    const bounds = [`${until.toISOString()}#\uffff`, `${(checksUntil ?? until).toISOString()}#\uffff`];
    let position = cursor ? (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { s: number; k?: Record<string, unknown> }) : { s: 0 };
    const due: DueEmail[] = [];
    while (position.s < SHARDS.length && due.length < limit) {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: DUE_INDEX,
          KeyConditionExpression: 'dueShard = :shard AND dueAt <= :bound',
          ExpressionAttributeValues: { ':shard': SHARDS[position.s], ':bound': bounds[position.s === 0 ? 0 : 1] },
          ProjectionExpression: DUE_PROJECTION,
          Limit: limit - due.length,
          ...(position.k ? { ExclusiveStartKey: position.k } : {}),
        }),
      );
      due.push(...(page.Items ?? []).map(toDueEmail));
      position = page.LastEvaluatedKey ? { s: position.s, k: page.LastEvaluatedKey } : { s: position.s + 1 };
    }
    return position.s < SHARDS.length ? { due, cursor: Buffer.from(JSON.stringify(position)).toString('base64url') } : { due };
  }

  async release(email: DueEmail, checkAt: Date): Promise<boolean> {
    const check = checkIndexAttributes(email.id, checkAt);
    const moved = await this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: email.id, sk: EMAIL_SK },
        UpdateExpression: 'SET lastEvent = :queued, lastEventRank = :rank, dueShard = :shard, dueAt = :check',
        ConditionExpression: 'dueAt = :dueAt AND lastEvent IN (:scheduled, :queued)',
        ExpressionAttributeValues: { ':queued': 'queued', ':rank': LAST_EVENT_RANK.queued, ':shard': check.dueShard, ':check': check.dueAt, ':dueAt': email.dueAt, ':scheduled': 'scheduled' },
      }),
    );
    if (!moved) await this.dropEntryIfMovedOn(email);
    return moved;
  }

  async recheck(email: DueEmail, checkAt: Date): Promise<boolean> {
    const check = checkIndexAttributes(email.id, checkAt);
    const moved = await this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: email.id, sk: EMAIL_SK },
        UpdateExpression: 'SET dueShard = :shard, dueAt = :check',
        ConditionExpression: 'dueAt = :dueAt AND lastEvent = :queued',
        ExpressionAttributeValues: { ':shard': check.dueShard, ':check': check.dueAt, ':dueAt': email.dueAt, ':queued': 'queued' },
      }),
    );
    if (!moved) await this.dropEntryIfMovedOn(email);
    return moved;
  }

  /**
   * After a failed release or recheck: if the email still carries this entry but is past
   * `scheduled` and `queued` (a write that moved it on without removing it), drop the entry so
   * later runs stop reading it. A rescheduled or rechecked email has a new entry and is left alone.
   */
  private async dropEntryIfMovedOn(email: DueEmail): Promise<void> {
    await this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: email.id, sk: EMAIL_SK },
        UpdateExpression: 'REMOVE dueShard, dueAt',
        ConditionExpression: 'dueAt = :dueAt AND NOT (lastEvent IN (:scheduled, :queued))',
        ExpressionAttributeValues: { ':dueAt': email.dueAt, ':scheduled': 'scheduled', ':queued': 'queued' },
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

  /** Runs a conditional write: false when its condition did not hold. */
  private conditionally(command: UpdateCommand): Promise<boolean> {
    return conditionalUpdate(this.documents, command.input);
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}

function toDueEmail(item: Record<string, unknown>): DueEmail {
  return {
    id: item.pk as string,
    dueAt: item.dueAt as string,
    ...(typeof item.lastEvent === 'string' ? { lastEvent: item.lastEvent as LastEvent } : {}),
    ...(typeof item.sendingClaimUntil === 'number' ? { claimUntil: item.sendingClaimUntil } : {}),
    ...(typeof item.sendReleasedAt === 'number' ? { releasedAt: item.sendReleasedAt } : {}),
  };
}
