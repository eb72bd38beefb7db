import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EmailRecord, LastEvent } from '../core/email';
import type { Clock, EmailDetails, EmailStore } from '../core/ports';
import { LAST_EVENT_RANK, RECIPIENT_RANK, type RecipientStatus } from '../core/precedence';
import type { TimelineEntry, TrackingStore } from '../core/tracking';
import { dueIndexAttributes } from './dynamodb-schedule-store';

const EMAIL_SK = 'email';
const RECIPIENT_PREFIX = 'rcpt#';
const EVENT_PREFIX = 'event#';
/**
 * DynamoDB items stop at 400 KB. Bodies larger than this are sent but not kept, and the email
 * reads back with `html`/`text` null, which is better than refusing a valid email.
 */
const MAX_KEPT_BODY_BYTES = 300_000;

type EmailItem = Omit<EmailRecord, 'id'> & { pk: string; sk: string; createdDay: string; lastEventRank: number; bodyOmitted?: boolean; dueShard?: string; dueAt?: string };

/**
 * The emails table. One partition per email (pk = its id): the `email` item, a `rcpt#<address>`
 * item per recipient that an event has touched, and an `event#<time>#<key>` item per timeline
 * event. Mail Outbox did not send is kept the same way under pk `ses#<SES message ID>`.
 * Ranks are stored beside statuses so conditional writes can enforce precedence.
 */
export class DynamoDbEmailStore implements EmailStore, TrackingStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
    private readonly retentionDays: number,
  ) {}

  async create(email: EmailRecord): Promise<void> {
    const { id, html, text, ...rest } = email;
    const bodyBytes = Buffer.byteLength(html ?? '') + Buffer.byteLength(text ?? '');
    const keepBody = bodyBytes <= MAX_KEPT_BODY_BYTES;
    const item: EmailItem = {
      pk: id,
      sk: EMAIL_SK,
      createdDay: email.createdAt.slice(0, 10),
      ...rest,
      lastEventRank: LAST_EVENT_RANK[email.lastEvent],
      // A scheduled email enters the due-time index in the same write that creates it.
      ...(email.lastEvent === 'scheduled' && email.scheduledAt ? dueIndexAttributes(id, email.scheduledAt) : {}),
      ...(keepBody && html !== undefined ? { html } : {}),
      ...(keepBody && text !== undefined ? { text } : {}),
      ...(keepBody ? {} : { bodyOmitted: true }),
    };
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  markSent(id: string, sesMessageId: string): Promise<void> {
    return this.raiseLastEvent(id, 'sent', sesMessageId);
  }

  async discard(id: string): Promise<void> {
    await this.documents.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: id, sk: EMAIL_SK } }));
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
    const emailItem = items.find((item) => item.sk === EMAIL_SK);
    const email = emailItem ? this.toRecord(emailItem as EmailItem) : undefined;
    if (!email) return undefined;
    return {
      email,
      recipients: items
        .filter((item) => String(item.sk).startsWith(RECIPIENT_PREFIX))
        .map((item) => ({ address: item.address as string, status: item.status as RecipientStatus, updatedAt: item.updatedAt as string })),
      events: items
        .filter((item) => String(item.sk).startsWith(EVENT_PREFIX))
        .map((item) => item.entry as TimelineEntry),
    };
  }

  async findEmail(sesMessageId: string, outboxId?: string): Promise<EmailRecord | undefined> {
    if (outboxId) {
      const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { pk: outboxId, sk: EMAIL_SK } }));
      if (Item) return this.toRecord(Item as EmailItem);
    }
    const { Items } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'by-ses-message-id',
        KeyConditionExpression: 'sesMessageId = :ses',
        ExpressionAttributeValues: { ':ses': sesMessageId },
        Limit: 1,
      }),
    );
    const item = Items?.[0] as EmailItem | undefined;
    return item ? this.toRecord(item) : undefined;
  }

  async appendEvent(owner: string, entry: TimelineEntry): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: owner, sk: `${EVENT_PREFIX}${entry.occurredAt}#${entry.eventKey}`, entry, expiresAt: this.expiry() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async raiseRecipientStatus(owner: string, address: string, status: RecipientStatus, at: string): Promise<void> {
    await this.ignoringLowerRank(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: owner, sk: `${RECIPIENT_PREFIX}${address}` },
        UpdateExpression: 'SET address = :address, #status = :status, #rank = :rank, updatedAt = :at, expiresAt = if_not_exists(expiresAt, :expires)',
        ConditionExpression: 'attribute_not_exists(#rank) OR #rank < :rank',
        ExpressionAttributeNames: { '#status': 'status', '#rank': 'rank' },
        ExpressionAttributeValues: { ':address': address, ':status': status, ':rank': RECIPIENT_RANK[status], ':at': at, ':expires': this.expiry() },
      }),
    );
  }

  async raiseLastEvent(emailId: string, lastEvent: LastEvent, sesMessageId: string): Promise<void> {
    const key = { pk: emailId, sk: EMAIL_SK };
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET lastEvent = :event, lastEventRank = :rank, sesMessageId = if_not_exists(sesMessageId, :ses)',
          ConditionExpression: 'attribute_exists(pk) AND lastEventRank < :rank',
          ExpressionAttributeValues: { ':event': lastEvent, ':rank': LAST_EVENT_RANK[lastEvent], ':ses': sesMessageId },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Already further along: keep its state, but make sure the SES mapping is there.
      await this.ignoringLowerRank(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET sesMessageId = :ses',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(sesMessageId)',
          ExpressionAttributeValues: { ':ses': sesMessageId },
        }),
      );
    }
  }

  private async ignoringLowerRank(command: UpdateCommand): Promise<void> {
    try {
      await this.documents.send(command);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private toRecord(item: EmailItem): EmailRecord | undefined {
    // DynamoDB deletes expired items lazily, days late: an expired item is already gone to readers.
    if (item.expiresAt <= this.clock.now().getTime() / 1000) return undefined;
    const { pk, sk: _sk, createdDay: _day, bodyOmitted: _omitted, lastEventRank: _rank, dueShard: _shard, dueAt: _due, ...record } = item;
    return { ...record, id: pk };
  }

  private expiry(): number {
    return Math.floor(this.clock.now().getTime() / 1000) + this.retentionDays * 86_400;
  }
}
