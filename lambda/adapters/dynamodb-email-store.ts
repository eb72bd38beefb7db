import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ContentStore } from '../core/content-store';
import type { EmailRecord } from '../core/email';
import type { Clock, EmailDetails, EmailStore } from '../core/ports';
import { LAST_EVENT_RANK } from '../core/precedence';
import type { TimelineEntry, TrackedEmail, TrackingStore } from '../core/tracking';
import { dueIndexAttributes } from './dynamodb-schedule-store';

const EMAIL_SK = 'email';
const EVENT_PREFIX = 'event#';
/** What the events path reads of an email it found by SES message ID (no bodies). */
const TRACKED_PROJECTION = 'pk, createdAt, #from, #to, subject, tags, expiresAt';
/**
 * DynamoDB items stop at 400 KB (names and values). An email item whose JSON would pass this keeps
 * its content (bodies, attachments, raw message) in the ContentStore instead, and says so with
 * `contentStored`. Without a ContentStore such content is sent but not kept (`bodyOmitted`), and
 * the email reads back without it, which is better than refusing a valid email.
 */
const MAX_ITEM_BYTES = 350_000;

type EmailItem = Omit<EmailRecord, 'id'> & { pk: string; sk: string; createdDay: string; lastEventRank: number; bodyOmitted?: boolean; contentStored?: boolean; dueShard?: string; dueAt?: string };

/**
 * The emails table. One partition per email (pk = its id): the `email` item, written by the API,
 * the scheduler and the sender, and an `event#<time>#<key>` item per timeline event, appended by
 * the events path and never updated. Mail Outbox did not send is kept the same way under pk
 * `ses#<SES message ID>`. `lastEventRank` is stored beside `lastEvent` so conditional writes can
 * enforce precedence. get() reads the partition whole; the email's state is folded from it on read.
 * Content too big for the item goes to `content` (see MAX_ITEM_BYTES); get() puts it back, so
 * readers see whole emails either way. The events path (findEmail) reads a few attributes alone.
 */
export class DynamoDbEmailStore implements EmailStore, TrackingStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
    private readonly retentionDays: number,
    private readonly content?: ContentStore,
  ) {}

  async create(email: EmailRecord): Promise<void> {
    const { id, html, text, attachments, raw, ...rest } = email;
    const base: EmailItem = {
      pk: id,
      sk: EMAIL_SK,
      createdDay: email.createdAt.slice(0, 10),
      ...rest,
      lastEventRank: LAST_EVENT_RANK[email.lastEvent],
      // A scheduled email enters the due-time index in the same write that creates it.
      ...(email.lastEvent === 'scheduled' && email.scheduledAt ? dueIndexAttributes(id, email.scheduledAt) : {}),
      attachments: [],
    };
    let item: EmailItem = {
      ...base,
      ...(html !== undefined ? { html } : {}),
      ...(text !== undefined ? { text } : {}),
      attachments,
      ...(raw !== undefined ? { raw } : {}),
    };
    if (Buffer.byteLength(JSON.stringify(item)) > MAX_ITEM_BYTES) {
      // Content first: an item never points at content that is not there.
      if (this.content) await this.content.put(id, { ...(html !== undefined ? { html } : {}), ...(text !== undefined ? { text } : {}), attachments, ...(raw !== undefined ? { raw } : {}) });
      item = { ...base, ...(this.content ? { contentStored: true } : { bodyOmitted: true }) };
    }
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  markSent(id: string, sesMessageId: string): Promise<void> {
    return raiseToSent(this.documents, this.tableName, id, sesMessageId);
  }

  async discard(id: string): Promise<void> {
    const { Attributes } = await this.documents.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: id, sk: EMAIL_SK }, ReturnValues: 'ALL_OLD' }),
    );
    // Only an email whose content went to the content store has any there to remove.
    if (Attributes?.contentStored) await this.content?.delete(id);
  }

  async get(id: string): Promise<EmailDetails | undefined> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': id },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const emailItem = items.find((item) => item.sk === EMAIL_SK) as EmailItem | undefined;
    const stored = emailItem ? this.toRecord(emailItem) : undefined;
    if (!stored) return undefined;
    const email = emailItem?.contentStored ? { ...stored, ...(await this.storedContent(stored.id)) } : stored;
    return {
      email,
      events: items
        .filter((item) => String(item.sk).startsWith(EVENT_PREFIX))
        .map((item) => item.entry as TimelineEntry),
    };
  }

  async findEmail(sesMessageId: string): Promise<TrackedEmail | undefined> {
    // The index holds keys only (no bodies to copy on every write), so the item is read after.
    const { Items } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'by-ses-message-id',
        KeyConditionExpression: 'sesMessageId = :ses',
        ExpressionAttributeValues: { ':ses': sesMessageId },
        Limit: 1,
      }),
    );
    const key = Items?.[0];
    if (!key) return undefined;
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: key.pk, sk: key.sk },
        ProjectionExpression: TRACKED_PROJECTION,
        ExpressionAttributeNames: { '#from': 'from', '#to': 'to' },
      }),
    );
    if (!Item || (Item.expiresAt as number) <= this.clock.now().getTime() / 1000) return undefined;
    return {
      id: Item.pk as string,
      createdAt: Item.createdAt as string,
      from: Item.from as TrackedEmail['from'],
      to: (Item.to as TrackedEmail['to'] | undefined) ?? [],
      ...(typeof Item.subject === 'string' ? { subject: Item.subject } : {}),
      tags: (Item.tags as TrackedEmail['tags'] | undefined) ?? [],
    };
  }

  /**
   * One PutItem. The key is the event's own (time and event key), so a redelivery writes the same
   * item again and the timeline keeps it once either way; ReturnValues tells whether it was already
   * there. That costs no read capacity, where a condition would cost a failed request on every
   * redelivery.
   */
  async appendEvent(owner: string, entry: TimelineEntry): Promise<boolean> {
    const { Attributes } = await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: owner, sk: `${EVENT_PREFIX}${entry.occurredAt}#${entry.eventKey}`, entry, expiresAt: this.expiry() },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes === undefined;
  }

  private async storedContent(id: string): Promise<Partial<EmailRecord>> {
    if (!this.content) throw new Error(`email ${id} keeps its content in the content store, and none is configured`);
    return (await this.content.get(id)) ?? {};
  }

  /** The record as the item holds it: content kept in the ContentStore is not read here. */
  private toRecord(item: EmailItem): EmailRecord | undefined {
    // DynamoDB deletes expired items lazily, days late: an expired item is already gone to readers.
    if (item.expiresAt <= this.clock.now().getTime() / 1000) return undefined;
    const { pk, sk: _sk, createdDay: _day, bodyOmitted: _omitted, contentStored: _stored, lastEventRank: _rank, dueShard: _shard, dueAt: _due, ...record } = item;
    // Items written before attachments existed have none.
    return { ...record, attachments: record.attachments ?? [], id: pk };
  }

  private expiry(): number {
    return Math.floor(this.clock.now().getTime() / 1000) + this.retentionDays * 86_400;
  }
}

/**
 * Records that SES accepted the email as `sesMessageId`: `last_event` rises to `sent` (never
 * lowers) and the SES message ID is set if missing, so SES events without Outbox's tag find the
 * email through the by-ses-message-id index. Shared with the send claims, which record a send an
 * earlier, crashed attempt made.
 */
export async function raiseToSent(documents: DynamoDBDocumentClient, tableName: string, emailId: string, sesMessageId: string): Promise<void> {
  const key = { pk: emailId, sk: EMAIL_SK };
  try {
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET lastEvent = :event, lastEventRank = :rank, sesMessageId = if_not_exists(sesMessageId, :ses)',
        ConditionExpression: 'attribute_exists(pk) AND lastEventRank < :rank',
        ExpressionAttributeValues: { ':event': 'sent', ':rank': LAST_EVENT_RANK.sent, ':ses': sesMessageId },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // Already further along: keep its state, but make sure the SES mapping is there.
    try {
      await documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: 'SET sesMessageId = :ses',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(sesMessageId)',
          ExpressionAttributeValues: { ':ses': sesMessageId },
        }),
      );
    } catch (second) {
      if (!(second instanceof ConditionalCheckFailedException)) throw second;
    }
  }
}
