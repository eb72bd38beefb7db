import { isAwsError } from './aws/aws-http-client';
import { DeleteCommand, DynamoDbDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from './aws/dynamodb';
import type { EmailRecord } from '../core/email';
import { daysToWalk, type EmailPage, type EmailPageRequest } from '../core/email-list';
import type { Clock, CreateOptions, EmailDetails, EmailStore } from '../core/ports';
import { LAST_EVENT_RANK } from '../core/precedence';
import { QUEUED_CHECK_DELAY_MS } from '../core/scheduler';
import type { AppendedEvent, TimelineEntry, TrackedEmail, TrackingStore } from '../core/tracking';
import { conditionalUpdate } from './dynamodb-documents';
import { DynamoDbEmailContent, packContent, readContent, unpackContent } from './dynamodb-email-content';
import { checkIndexAttributes, dueIndexAttributes } from './dynamodb-schedule-store';
import { CREATED_DAY_INDEX, EMAIL_SK, EVENT_PREFIX, SENT_SK } from './email-partition';

/** Just past every `event#` key: `email` through this spans the email item and its timeline, skipping `content#` items. */
const AFTER_EVENTS = 'event$';
/**
 * The most compressed content a sync send's email item holds inline: with its other attributes the
 * item stays within one 4 KB read unit, so reading it (GET, a listing, the events path) costs what
 * it did with the content apart. Anything larger goes to content items.
 */
const INLINE_CONTENT_MAX_BYTES = 2_048;
/** What the events path reads of an email it found by SES message ID (no content). */
const TRACKED_PROJECTION = 'pk, createdAt, #from, #to, subject, tags, expiresAt';

/**
 * The email item: the record without its content, plus keys and index attributes. `contentChunks`
 * counts its content items; items written before content moved out have none, and hold their
 * content inline (html, text, attachments, raw), which reads back as it is.
 */
type EmailItem = Omit<EmailRecord, 'id' | 'attachments'> & {
  pk: string;
  sk: string;
  createdDay: string;
  lastEventRank: number;
  attachments?: EmailRecord['attachments'];
  contentChunks?: number;
  /** A sync send's content, inline (packContent's bytes), when small. */
  content?: Uint8Array;
  dueShard?: string;
  dueAt?: string;
};

/**
 * The emails table. One partition per email (pk = its id): the `email` item, written by the API,
 * the scheduler and the sender; its content (bodies, attachments, raw message) in `content#NN`
 * items written once beside it (DynamoDbEmailContent), so the email item stays about 1 KB and its
 * status updates cost one write unit; and an `event#<time>#<key>` item per timeline event,
 * appended by the events path. A sync send is stored the other way round, since the api hands it
 * to SES at once and nothing else normally writes it: its email item holds small content inline
 * (one write instead of two) and is not rewritten when SES takes it; the SES message ID goes
 * into an `email#sent` item beside it (markSent with `sendingNow`), which readers fold into the
 * record. So an email is sent when its email item says so or it has that item. A timeline entry
 * is never changed (only the state of its notification
 * is, beside it). Mail Outbox did not send is kept the same way
 * under pk `ses#<SES message ID>`. `lastEventRank` is stored beside `lastEvent` so conditional
 * writes can enforce precedence. get() reads the partition whole, content included; the email's
 * state is folded from it on read. The events path (findEmail) reads a few attributes alone.
 */
export class DynamoDbEmailStore implements EmailStore, TrackingStore {
  private readonly content: DynamoDbEmailContent;

  constructor(
    private readonly documents: DynamoDbDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
    private readonly retentionDays: number,
    /** How long after its creation a `queued` email's check entry comes due (the scheduler's sweep delay). */
    private readonly queuedCheckDelayMs = QUEUED_CHECK_DELAY_MS,
  ) {
    this.content = new DynamoDbEmailContent(documents, tableName);
  }

  /**
   * Content items first, then the email item (conditional on the id being new), so an email item
   * never points at content that is not there. If the email item's write fails, the content items
   * are left to expire: the write may have landed with only its answer lost.
   */
  async create(email: EmailRecord, options: CreateOptions = {}): Promise<void> {
    const { id, html, text, attachments, raw, ...rest } = email;
    const packed = await packContent({ html, text, attachments, raw });
    const inline = options.sendingNow === true && packed !== undefined && packed.length <= INLINE_CONTENT_MAX_BYTES;
    const contentChunks = packed === undefined || inline ? 0 : await this.content.putPacked(id, packed, email.expiresAt);
    const item: EmailItem = {
      pk: id,
      sk: EMAIL_SK,
      createdDay: email.createdAt.slice(0, 10),
      ...rest,
      lastEventRank: LAST_EVENT_RANK[email.lastEvent],
      contentChunks,
      ...(inline ? { content: packed } : {}),
      // A scheduled email enters the due-time index in the same write that creates it, at its
      // time. A queued one enters it at its check time, where the sweep finds it if nothing sent
      // it, unless the sweep is to find it by its creation time (DynamoDbScheduleStore.findUnchecked):
      // that saves the entry's writes (in, changed by the sender's claim, out) on nearly every email.
      ...(email.lastEvent === 'scheduled' && email.scheduledAt ? dueIndexAttributes(id, email.scheduledAt) : {}),
      ...(email.lastEvent === 'queued' && options.sendingNow !== true && options.findByCreation !== true
        ? checkIndexAttributes(id, new Date(Date.parse(email.createdAt) + this.queuedCheckDelayMs))
        : {}),
    };
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  /**
   * With `sendingNow` (the api's sync send, stored with it): one write of the small `email#sent`
   * item, which puts the SES message ID in the by-ses-message-id index; the email item, which may
   * hold the content, is left as it is. Otherwise the email item rises to `sent` (raiseToSent).
   */
  async markSent(id: string, sesMessageId: string, options: { readonly sendingNow?: boolean } = {}): Promise<void> {
    if (options.sendingNow !== true) return raiseToSent(this.documents, this.tableName, id, sesMessageId);
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: id, sk: SENT_SK },
        UpdateExpression: 'SET sesMessageId = if_not_exists(sesMessageId, :ses), expiresAt = if_not_exists(expiresAt, :expires)',
        ExpressionAttributeValues: { ':ses': sesMessageId, ':expires': this.expiry() },
      }),
    );
  }

  /** The email item first, then its content: an email item never outlives part of its content. */
  async discard(id: string): Promise<void> {
    const { Attributes } = await this.documents.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: id, sk: EMAIL_SK }, ReturnValues: 'ALL_OLD' }),
    );
    await this.content.delete(id, (Attributes?.contentChunks as number | undefined) ?? 0);
  }

  async get(id: string): Promise<EmailDetails | undefined> {
    const items = await this.queryPartition(id);
    const emailItem = items.find((item) => item.sk === EMAIL_SK) as EmailItem | undefined;
    const stored = emailItem ? this.toRecord(emailItem, items) : undefined;
    if (!stored) return undefined;
    // The content items came in the same Query: no further call.
    const chunks = emailItem?.contentChunks ?? 0;
    const email =
      chunks > 0 ? { ...stored, ...(await readContent(id, chunks, items)) } : emailItem?.content ? { ...stored, ...(await unpackContent(emailItem.content)) } : stored;
    return {
      email,
      events: items
        .filter((item) => String(item.sk).startsWith(EVENT_PREFIX))
        .map((item) => item.entry as TimelineEntry),
    };
  }

  /**
   * Walks the by-created-day index a day at a time (daysToWalk: within retention only) for one
   * more id than the page holds, which tells whether more follow; then reads the page's emails in
   * parallel, each with one Query for its email item and timeline (no content items).
   */
  async list(page: EmailPageRequest): Promise<EmailPage> {
    const newer = page.before !== undefined;
    const ids: string[] = [];
    for (const day of daysToWalk(page, this.clock.now().getTime(), this.retentionDays)) {
      ids.push(...(await this.idsCreatedOn(day, page, page.limit + 1 - ids.length)));
      if (ids.length > page.limit) break;
    }
    // Newer emails were read oldest first, so the page holds those nearest the cursor.
    const pageIds = ids.slice(0, page.limit);
    if (newer) pageIds.reverse();
    const emails = await Promise.all(pageIds.map((id) => this.readWithoutContent(id)));
    return { emails: emails.filter((details) => details !== undefined), hasMore: ids.length > page.limit };
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
    // The entry may be a sync send's `email#sent` item: the email item is beside it.
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: key.pk, sk: EMAIL_SK },
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
   * One UpdateItem. The key is the event's own (time and event key), so a redelivery finds the
   * same item: `if_not_exists` keeps the entry (and expiry) first written, and the claim first
   * made, and ReturnValues ALL_OLD tells whether it was there and where its notification stood.
   * That costs no read capacity, where a condition would cost a failed request on every
   * redelivery. The notification's state lives beside the entry: `notifyClaim` (epoch ms of the
   * claim, 0 once given back) and `notifiedAt`.
   */
  async appendEvent(owner: string, entry: TimelineEntry, claimAt?: number): Promise<AppendedEvent> {
    const claiming = claimAt !== undefined;
    const { Attributes: old } = await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: timelineKey(owner, entry),
        UpdateExpression: `SET #entry = if_not_exists(#entry, :entry), expiresAt = if_not_exists(expiresAt, :expires)${claiming ? ', notifyClaim = if_not_exists(notifyClaim, :claim)' : ''}`,
        ExpressionAttributeNames: { '#entry': 'entry' },
        ExpressionAttributeValues: { ':entry': entry, ':expires': this.expiry(), ...(claiming ? { ':claim': claimAt } : {}) },
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (old === undefined) return { firstTime: true, notification: { state: claiming ? 'claimed' : 'none' } };
    if (old.notifiedAt !== undefined) return { firstTime: false, notification: { state: 'sent' } };
    if (typeof old.notifyClaim === 'number') return { firstTime: false, notification: { state: 'held', claimedAt: old.notifyClaim } };
    // Stored before notifications were claimed, when every delivery notified: sent. The claim
    // this write just added must not read as held by a delivery that died.
    if (claiming) await this.markNotified(owner, entry, new Date(claimAt).toISOString());
    return { firstTime: false, notification: { state: 'sent' } };
  }

  async takeOverNotification(owner: string, entry: TimelineEntry, seen: number, at: number): Promise<boolean> {
    return conditionalUpdate(this.documents, {
      TableName: this.tableName,
      Key: timelineKey(owner, entry),
      UpdateExpression: 'SET notifyClaim = :at',
      ConditionExpression: 'notifyClaim = :seen AND attribute_not_exists(notifiedAt)',
      ExpressionAttributeValues: { ':at': at, ':seen': seen },
    });
  }

  async releaseNotification(owner: string, entry: TimelineEntry, claim: number): Promise<void> {
    await conditionalUpdate(this.documents, {
      TableName: this.tableName,
      Key: timelineKey(owner, entry),
      UpdateExpression: 'SET notifyClaim = :released',
      ConditionExpression: 'notifyClaim = :claim AND attribute_not_exists(notifiedAt)',
      ExpressionAttributeValues: { ':released': 0, ':claim': claim },
    });
  }

  async markNotified(owner: string, entry: TimelineEntry, at: string): Promise<void> {
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: timelineKey(owner, entry),
        UpdateExpression: 'SET notifiedAt = if_not_exists(notifiedAt, :at)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
  }

  /** Up to `wanted` ids of emails created on `day`, beyond the page's cursor, in reading order. */
  private async idsCreatedOn(day: string, page: EmailPageRequest, wanted: number): Promise<string[]> {
    const newer = page.before !== undefined;
    const cursor = page.before ?? page.after;
    const ids: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: CREATED_DAY_INDEX,
          KeyConditionExpression: cursor === undefined ? 'createdDay = :day' : `createdDay = :day AND pk ${newer ? '>' : '<'} :cursor`,
          ExpressionAttributeValues: { ':day': day, ...(cursor === undefined ? {} : { ':cursor': cursor }) },
          ScanIndexForward: newer,
          Limit: wanted - ids.length,
          ExclusiveStartKey: startKey,
        }),
      );
      ids.push(...(result.Items ?? []).map((item) => item.pk as string));
      startKey = result.LastEvaluatedKey;
    } while (startKey && ids.length < wanted);
    return ids;
  }

  /** The email item and its timeline; undefined when it expired or was discarded since the index was read. */
  private async readWithoutContent(id: string): Promise<EmailDetails | undefined> {
    const items = await this.queryPartition(id, { from: EMAIL_SK, to: AFTER_EVENTS });
    const emailItem = items.find((item) => item.sk === EMAIL_SK) as EmailItem | undefined;
    const email = emailItem ? this.toRecord(emailItem, items) : undefined;
    if (!email) return undefined;
    return { email, events: items.filter((item) => String(item.sk).startsWith(EVENT_PREFIX)).map((item) => item.entry as TimelineEntry) };
  }

  /** Every item of an email's partition, or those whose sort key lies in `range`, all pages. */
  private async queryPartition(id: string, range?: { from: string; to: string }): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: range ? 'pk = :pk AND sk BETWEEN :from AND :to' : 'pk = :pk',
          ExpressionAttributeValues: range ? { ':pk': id, ':from': range.from, ':to': range.to } : { ':pk': id },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /**
   * The record as the email item holds it, with a sync send's `email#sent` item (among
   * `partition`, the items read with it) folded in: content is not read here.
   */
  private toRecord(item: EmailItem, partition: readonly Record<string, unknown>[]): EmailRecord | undefined {
    // DynamoDB deletes expired items lazily, days late: an expired item is already gone to readers.
    if (item.expiresAt <= this.clock.now().getTime() / 1000) return undefined;
    const { pk, sk: _sk, createdDay: _day, contentChunks: _chunks, content: _content, lastEventRank: _rank, dueShard: _shard, dueAt: _due, ...record } = item;
    const sent = partition.find((other) => other.sk === SENT_SK);
    const sentAs = typeof sent?.sesMessageId === 'string' ? sent.sesMessageId : undefined;
    // New items keep attachments in their content items; items written before attachments existed have none.
    return {
      ...record,
      attachments: record.attachments ?? [],
      id: pk,
      ...(sentAs !== undefined
        ? { sesMessageId: record.sesMessageId ?? sentAs, lastEvent: LAST_EVENT_RANK[record.lastEvent] < LAST_EVENT_RANK.sent ? 'sent' : record.lastEvent }
        : {}),
    };
  }

  private expiry(): number {
    return Math.floor(this.clock.now().getTime() / 1000) + this.retentionDays * 86_400;
  }
}

/** A timeline item's key: the owner's partition, the event's time and key. */
function timelineKey(owner: string, entry: TimelineEntry): { pk: string; sk: string } {
  return { pk: owner, sk: `${EVENT_PREFIX}${entry.occurredAt}#${entry.eventKey}` };
}

/**
 * Records that SES accepted the email as `sesMessageId`: `last_event` rises to `sent` (never
 * lowers) and the SES message ID is set if missing, so SES events without Outbox's tag find the
 * email through the by-ses-message-id index. The email's check entry leaves the due-time index
 * in the same write: it is sent, so the sweep has nothing to look for.
 */
async function raiseToSent(documents: DynamoDbDocumentClient, tableName: string, emailId: string, sesMessageId: string): Promise<void> {
  const key = { pk: emailId, sk: EMAIL_SK };
  try {
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET lastEvent = :event, lastEventRank = :rank, sesMessageId = if_not_exists(sesMessageId, :ses) REMOVE dueShard, dueAt',
        ConditionExpression: 'attribute_exists(pk) AND lastEventRank < :rank',
        ExpressionAttributeValues: { ':event': 'sent', ':rank': LAST_EVENT_RANK.sent, ':ses': sesMessageId },
      }),
    );
  } catch (error) {
    if (!(isAwsError(error, 'ConditionalCheckFailedException'))) throw error;
    // Already further along: keep its state, but make sure the SES mapping is there.
    try {
      await documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: 'SET sesMessageId = :ses REMOVE dueShard, dueAt',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(sesMessageId)',
          ExpressionAttributeValues: { ':ses': sesMessageId },
        }),
      );
    } catch (second) {
      if (!(isAwsError(second, 'ConditionalCheckFailedException'))) throw second;
    }
  }
}
