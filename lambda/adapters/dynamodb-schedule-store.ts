import { isAwsError } from './aws/aws-http-client';
import { BatchGetCommand, DynamoDbDocumentClient, GetCommand, QueryCommand, UpdateCommand } from './aws/dynamodb';
import type { LastEvent } from '../core/email';
import { uuidv7Time } from '../core/ids';
import type { Clock } from '../core/ports';
import { LAST_EVENT_RANK } from '../core/precedence';
import type { DueEmail, ScheduleChange, ScheduleStore } from '../core/scheduler';
import { conditionalUpdate } from './dynamodb-documents';
import { DynamoDbEmailContent } from './dynamodb-email-content';
import { CREATED_DAY_INDEX, EMAIL_SK, SENT_SK } from './email-partition';

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

/**
 * Where the sweep of sync sends stands (findUnchecked): an item of its own in the emails table,
 * outside every index (it has none of their attributes) and never an email (its pk is no UUID).
 */
const UNCHECKED_POSITION_KEY = { pk: 'sweep#sync-sends', sk: 'position' };
/** With no saved position (the first run), how far back the sweep of sync sends starts. */
const FIRST_UNCHECKED_LOOKBACK_MS = 86_400_000;
/**
 * An empty look saves its position only once it moved this far (the deployed tick's period), so
 * a quiet system, or local mode's tick every second, does not write it on every run.
 */
const UNCHECKED_SAVE_STEP_MS = 60_000;
/** BatchGetItem's most keys per request: two per email (its email item and any `email#sent` item). */
const BATCH_GET_EMAILS = 50;

/**
 * A position between ids: every UUIDv7 made at or before `ms` sorts before it, every later one
 * after (the id's first 48 bits are the time, in hex, then a dash and the version digit).
 */
function afterIdsOf(ms: number): string {
  const hex = ms.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-\uffff`;
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
    private readonly documents: DynamoDbDocumentClient,
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
   * Walks the `by-created-day` index (keys only) from the saved position to `until`, a day at a
   * time, then reads the emails it found (BatchGetItem of each email item and `email#sent` item,
   * eventually consistent: each was stored at least a check delay ago) and keeps the `queued` ones
   * with no SES message ID, no `email#sent` item and no check entry. Costs about a read unit per
   * email, once, instead of the check entry's two writes.
   */
  async findUnchecked(until: Date, limit: number): Promise<{ ids: string[]; position?: string; more: boolean }> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: UNCHECKED_POSITION_KEY, ConsistentRead: true }));
    const saved = typeof Item?.position === 'string' ? Item.position : undefined;
    const end = afterIdsOf(until.getTime());
    const from = saved ?? afterIdsOf(until.getTime() - FIRST_UNCHECKED_LOOKBACK_MS);
    if (from >= end) return { ids: [], more: false };
    const examined: string[] = [];
    for (let day = dayOf(uuidv7Time(from)); day <= dayOf(until.getTime()) && examined.length < limit; day = nextDay(day)) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.documents.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: CREATED_DAY_INDEX,
            KeyConditionExpression: 'createdDay = :day AND pk BETWEEN :from AND :end',
            ExpressionAttributeValues: { ':day': day, ':from': from, ':end': end },
            // One more than wanted: the email at the position itself (looked at last time) is skipped.
            Limit: limit - examined.length + 1,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) if (item.pk !== from && examined.length < limit) examined.push(item.pk as string);
        startKey = page.LastEvaluatedKey;
      } while (startKey && examined.length < limit);
    }
    // Stopped by the limit: go on after the last one looked at (a next look may find nothing more).
    const more = examined.length >= limit;
    const reached = more ? examined[examined.length - 1]! : end;
    const items = await this.readEmails(examined);
    const sent = new Set(items.filter((item) => item.sk === SENT_SK).map((item) => item.pk as string));
    const ids = items
      .filter((item) => item.sk === EMAIL_SK && item.lastEvent === 'queued' && item.sesMessageId === undefined && item.dueAt === undefined && !sent.has(item.pk as string))
      .map((item) => item.pk as string);
    const worthSaving = saved === undefined || examined.length > 0 || uuidv7Time(reached) - uuidv7Time(saved) >= UNCHECKED_SAVE_STEP_MS;
    return { ids, ...(worthSaving ? { position: reached } : {}), more };
  }

  async addCheckEntry(id: string, checkAt: Date): Promise<boolean> {
    const check = checkIndexAttributes(id, checkAt);
    return this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: id, sk: EMAIL_SK },
        UpdateExpression: 'SET dueShard = :shard, dueAt = :check',
        ConditionExpression: 'lastEvent = :queued AND attribute_not_exists(sesMessageId) AND attribute_not_exists(dueAt)',
        ExpressionAttributeValues: { ':shard': check.dueShard, ':check': check.dueAt, ':queued': 'queued' },
      }),
    );
  }

  async saveUncheckedPosition(position: string): Promise<void> {
    await this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: UNCHECKED_POSITION_KEY,
        UpdateExpression: 'SET #position = :position',
        ConditionExpression: 'attribute_not_exists(#position) OR #position < :position',
        ExpressionAttributeNames: { '#position': 'position' },
        ExpressionAttributeValues: { ':position': position },
      }),
    );
  }

  /** The email items and `email#sent` items of `ids` (what findUnchecked decides on), in no particular order. */
  private async readEmails(ids: readonly string[]): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    for (let start = 0; start < ids.length; start += BATCH_GET_EMAILS) {
      let keys: Record<string, unknown>[] | undefined = ids.slice(start, start + BATCH_GET_EMAILS).flatMap((pk) => [
        { pk, sk: EMAIL_SK },
        { pk, sk: SENT_SK },
      ]);
      while (keys && keys.length > 0) {
        const result = await this.documents.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ProjectionExpression: 'pk, sk, lastEvent, sesMessageId, dueAt' } } }),
        );
        found.push(...(result.Responses?.[this.tableName] ?? []));
        keys = result.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return found;
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
      if (!(isAwsError(error, 'ConditionalCheckFailedException'))) throw error;
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

/** The UTC day (`YYYY-MM-DD`) of an epoch-ms time, as the emails' `createdDay`. */
function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function nextDay(day: string): string {
  return dayOf(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000);
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
