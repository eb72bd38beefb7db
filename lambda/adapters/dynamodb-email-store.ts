import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EmailRecord } from '../core/email';
import type { Clock, EmailStore } from '../core/ports';

const EMAIL_SK = 'email';
/**
 * DynamoDB items stop at 400 KB. Bodies larger than this are sent but not kept, and the email
 * reads back with `html`/`text` null, which is better than refusing a valid email.
 */
const MAX_KEPT_BODY_BYTES = 300_000;

type EmailItem = Omit<EmailRecord, 'id'> & { pk: string; sk: string; createdDay: string; bodyOmitted?: boolean };

/** Emails in the emails table: one `email` item per email, keyed by its id. */
export class DynamoDbEmailStore implements EmailStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
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
      ...(keepBody && html !== undefined ? { html } : {}),
      ...(keepBody && text !== undefined ? { text } : {}),
      ...(keepBody ? {} : { bodyOmitted: true }),
    };
    await this.documents.send(
      new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  }

  async markSent(id: string, sesMessageId: string): Promise<void> {
    const key = { pk: id, sk: EMAIL_SK };
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET sesMessageId = :ses, lastEvent = :sent',
          ConditionExpression: 'lastEvent = :queued',
          ExpressionAttributeValues: { ':ses': sesMessageId, ':sent': 'sent', ':queued': 'queued' },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // An SES event got there first and moved the email on: keep its state, add only the mapping.
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET sesMessageId = :ses',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':ses': sesMessageId },
        }),
      );
    }
  }

  async discard(id: string): Promise<void> {
    await this.documents.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: id, sk: EMAIL_SK } }));
  }

  async get(id: string): Promise<EmailRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: id, sk: EMAIL_SK }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const item = Item as EmailItem;
    // DynamoDB deletes expired items lazily, days late: an expired item is already gone to readers.
    if (item.expiresAt <= this.clock.now().getTime() / 1000) return undefined;
    const { pk, sk: _sk, createdDay: _day, bodyOmitted: _omitted, ...record } = item;
    return { ...record, id: pk };
  }
}
