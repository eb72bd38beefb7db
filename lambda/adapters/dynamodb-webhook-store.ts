import { isAwsError } from './aws/aws-http-client';
import {
  DeleteCommand,
  DynamoDbDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type QueryCommandInput,
} from './aws/dynamodb';
import type { Clock } from '../core/ports';
import {
  WEBHOOK_SUCCESS_RETENTION_DAYS,
  type NotificationPayload,
  type WebhookAttempt,
  type WebhookEventType,
  type WebhookMessage,
  type WebhookRecord,
  type WebhookStatus,
  type WebhookStore,
} from '../core/webhooks';

const WEBHOOK_SK = 'webhook';
const LIST_KEY = 'webhook';
const MESSAGE_PREFIX = 'msg#';
const ATTEMPT_PREFIX = 'try#';
/** Attempt numbers are zero-padded in sort keys so they sort numerically. */
const ATTEMPT_DIGITS = 3;

interface WebhookItem {
  readonly pk: string;
  readonly sk: typeof WEBHOOK_SK;
  readonly listKey: typeof LIST_KEY;
  readonly endpoint: string;
  readonly events: WebhookEventType[] | null;
  readonly status: WebhookStatus;
  readonly disabledReason?: string;
  readonly signingSecret: string;
  readonly createdAt: string;
}

interface MessageItem {
  readonly pk: string;
  readonly sk: string;
  readonly id: string;
  readonly type: WebhookEventType;
  readonly createdAt: string;
  readonly status: WebhookMessage['status'];
  readonly nextAttemptAt: string | null;
  readonly attempts: number;
  /** JSON: kept exactly as built, whatever keys the payload's tags have. */
  readonly payload: string;
  /** A message delivered at its first attempt: that attempt, instead of a `try#` item. */
  readonly firstAttempt?: InlineAttempt;
  readonly expiresAt: number;
}

/** An attempt kept on its message's item: its number is 1 and its message is the item's. */
type InlineAttempt = Omit<WebhookAttempt, 'messageId' | 'attempt'>;

interface AttemptItem extends WebhookAttempt {
  readonly pk: string;
  readonly sk: string;
  readonly expiresAt: number;
}

type Patch = Parameters<WebhookStore['update']>[1];

/**
 * Webhooks and their delivery log in the webhooks table, one partition per webhook (pk = its id):
 * the `webhook` item (with `listKey`, so the `by-list` index lists webhooks alone), a
 * `msg#<message id>` item per notification owed to it, and a
 * `try#<message id>#<attempt nnn>#<attempt id>` item per delivery attempt. Attempts have their own
 * prefix so that listing messages never reads them.
 *
 * A message delivered at its first attempt (putDelivered, most of them) is one item written once:
 * its attempt rides on it as `firstAttempt`, with no `try#` item, and it expires after
 * `successRetentionDays`. Everything else (a failed attempt, a retry, a message logged before its
 * outcome) keeps the full log: `try#` items and status updates, for the retention period, which a
 * recorded attempt restarts. Items past `expiresAt` are treated as absent, since DynamoDB deletes
 * expired items days late. Webhooks do not expire.
 */
export class DynamoDbWebhookStore implements WebhookStore {
  private readonly successRetentionDays: number;

  constructor(
    private readonly documents: DynamoDbDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
    private readonly retentionDays: number,
    successRetentionDays: number = WEBHOOK_SUCCESS_RETENTION_DAYS,
  ) {
    this.successRetentionDays = Math.min(successRetentionDays, retentionDays);
  }

  async create(webhook: WebhookRecord): Promise<void> {
    const item: WebhookItem = {
      pk: webhook.id,
      sk: WEBHOOK_SK,
      listKey: LIST_KEY,
      endpoint: webhook.endpoint,
      events: webhook.events === null ? null : [...webhook.events],
      status: webhook.status,
      ...(webhook.disabledReason !== undefined ? { disabledReason: webhook.disabledReason } : {}),
      signingSecret: webhook.signingSecret,
      createdAt: webhook.createdAt,
    };
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  async get(id: string): Promise<WebhookRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: id, sk: WEBHOOK_SK }, ConsistentRead: true }),
    );
    return Item ? toWebhook(Item as WebhookItem) : undefined;
  }

  async list(): Promise<WebhookRecord[]> {
    const webhooks: WebhookRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'by-list',
          KeyConditionExpression: 'listKey = :list',
          ExpressionAttributeValues: { ':list': LIST_KEY },
          ExclusiveStartKey: startKey,
        }),
      );
      webhooks.push(...(page.Items ?? []).map((item) => toWebhook(item as WebhookItem)));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return webhooks;
  }

  async update(id: string, patch: Patch): Promise<WebhookRecord | undefined> {
    const sets: string[] = [];
    const removes: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const fields = {
      endpoint: patch.endpoint,
      events: patch.events === undefined || patch.events === null ? patch.events : [...patch.events],
      status: patch.status,
      signingSecret: patch.signingSecret,
      disabledReason: patch.disabledReason,
    };
    for (const [field, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      // Null clears the reason; `events: null` (every type) is a value to keep.
      if (value === null && field === 'disabledReason') {
        removes.push(`#${field}`);
      } else {
        sets.push(`#${field} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    if (sets.length === 0 && removes.length === 0) return this.get(id);
    const expression = [sets.length > 0 ? `SET ${sets.join(', ')}` : '', removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '']
      .filter((part) => part !== '')
      .join(' ');
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: id, sk: WEBHOOK_SK },
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toWebhook(Attributes as WebhookItem) : undefined;
    } catch (error) {
      if (isAwsError(error, 'ConditionalCheckFailedException')) return undefined;
      throw error;
    }
  }

  async remove(id: string): Promise<boolean> {
    try {
      await this.documents.send(
        new DeleteCommand({ TableName: this.tableName, Key: { pk: id, sk: WEBHOOK_SK }, ConditionExpression: 'attribute_exists(pk)' }),
      );
      return true;
    } catch (error) {
      if (isAwsError(error, 'ConditionalCheckFailedException')) return false;
      throw error;
    }
  }

  putMessage(message: WebhookMessage): Promise<boolean> {
    return this.putNewMessage(this.messageItem(message, this.expiry(this.retentionDays)));
  }

  putDelivered(message: WebhookMessage, attempt: WebhookAttempt): Promise<boolean> {
    const firstAttempt: InlineAttempt = {
      id: attempt.id,
      sentAt: attempt.sentAt,
      httpStatusCode: attempt.httpStatusCode,
      response: attempt.response,
      latencyMs: attempt.latencyMs,
    };
    return this.putNewMessage({ ...this.messageItem(message, this.expiry(this.successRetentionDays)), firstAttempt });
  }

  private messageItem(message: WebhookMessage, expiresAt: number): MessageItem {
    return {
      pk: message.webhookId,
      sk: `${MESSAGE_PREFIX}${message.id}`,
      id: message.id,
      type: message.type,
      createdAt: message.createdAt,
      status: message.status,
      nextAttemptAt: message.nextAttemptAt,
      attempts: message.attempts,
      payload: JSON.stringify(message.payload),
      expiresAt,
    };
  }

  /** Puts a message's item unless one exists; false when it did. */
  private async putNewMessage(item: MessageItem): Promise<boolean> {
    try {
      await this.documents.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'ConditionalCheckFailedException')) return false;
      throw error;
    }
  }

  async getMessage(webhookId: string, messageId: string): Promise<WebhookMessage | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: webhookId, sk: `${MESSAGE_PREFIX}${messageId}` }, ConsistentRead: true }),
    );
    return this.toMessage(webhookId, Item);
  }

  async listMessages(webhookId: string, options: { limit: number; after?: string }): Promise<{ messages: WebhookMessage[]; hasMore: boolean }> {
    const { limit, after } = options;
    // Message ids are time-ordered, so sort-key order is age. The cursor is a key bound (BETWEEN is
    // inclusive, so the cursor's own item is skipped below); it works even if that message expired.
    const input: QueryCommandInput = {
      TableName: this.tableName,
      KeyConditionExpression: after === undefined ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk AND sk BETWEEN :prefix AND :after',
      ExpressionAttributeValues: { ':pk': webhookId, ':prefix': MESSAGE_PREFIX, ...(after === undefined ? {} : { ':after': `${MESSAGE_PREFIX}${after}` }) },
      ScanIndexForward: false,
      ConsistentRead: true,
    };
    const want = limit + 1;
    const messages: WebhookMessage[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      // Limit counts items read before expired ones (and the cursor) are dropped, so pages may come back short.
      const page = await this.documents.send(new QueryCommand({ ...input, Limit: want - messages.length + 1, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) {
        const message = this.toMessage(webhookId, item);
        if (message && message.id !== after && messages.length < want) messages.push(message);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && messages.length < want);
    return { messages: messages.slice(0, limit), hasMore: messages.length > limit };
  }

  async recordAttempt(webhookId: string, attempt: WebhookAttempt, outcome: Pick<WebhookMessage, 'status' | 'nextAttemptAt'>): Promise<void> {
    const expiresAt = this.expiry(this.retentionDays);
    const item: AttemptItem = {
      pk: webhookId,
      sk: `${ATTEMPT_PREFIX}${attempt.messageId}#${String(attempt.attempt).padStart(ATTEMPT_DIGITS, '0')}#${attempt.id}`,
      ...attempt,
      expiresAt,
    };
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item: item }));
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: webhookId, sk: `${MESSAGE_PREFIX}${attempt.messageId}` },
          // expiresAt too: a message with a logged attempt keeps the full retention, even one that
          // putDelivered logged first (a duplicate job's attempt recorded after it).
          UpdateExpression: 'SET #status = :status, nextAttemptAt = :next, attempts = :attempt, expiresAt = :expiresAt',
          // An attempt reported late (after a later one) logs its line but does not roll the status back.
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(attempts) OR attempts <= :attempt)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': outcome.status, ':next': outcome.nextAttemptAt, ':attempt': attempt.attempt, ':expiresAt': expiresAt },
        }),
      );
    } catch (error) {
      // Also when the message is gone (expired or never stored): the attempt is logged all the same.
      if (!(isAwsError(error, 'ConditionalCheckFailedException'))) throw error;
    }
  }

  async listAttempts(webhookId: string, messageId: string): Promise<WebhookAttempt[]> {
    const [inline, logged] = await Promise.all([this.inlineAttempt(webhookId, messageId), this.loggedAttempts(webhookId, messageId)]);
    // Sort keys order the logged ones by attempt number; the inline one is attempt 1.
    return inline ? [inline, ...logged] : logged;
  }

  /** The first attempt kept on the message's item, if putDelivered logged it. */
  private async inlineAttempt(webhookId: string, messageId: string): Promise<WebhookAttempt | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: webhookId, sk: `${MESSAGE_PREFIX}${messageId}` },
        ProjectionExpression: 'firstAttempt, expiresAt',
        ConsistentRead: true,
      }),
    );
    const stored = Item as Pick<MessageItem, 'firstAttempt' | 'expiresAt'> | undefined;
    if (!stored?.firstAttempt || this.expired(stored.expiresAt)) return undefined;
    const { id, sentAt, httpStatusCode, response, latencyMs } = stored.firstAttempt;
    return { id, messageId, attempt: 1, sentAt, httpStatusCode, response, latencyMs };
  }

  /** The attempts with their own `try#` items, oldest first. */
  private async loggedAttempts(webhookId: string, messageId: string): Promise<WebhookAttempt[]> {
    const attempts: WebhookAttempt[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': webhookId, ':prefix': `${ATTEMPT_PREFIX}${messageId}#` },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const stored = item as AttemptItem;
        if (this.expired(stored.expiresAt)) continue;
        attempts.push({
          id: stored.id,
          messageId: stored.messageId,
          attempt: stored.attempt,
          sentAt: stored.sentAt,
          httpStatusCode: stored.httpStatusCode,
          response: stored.response,
          latencyMs: stored.latencyMs,
        });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return attempts;
  }

  private toMessage(webhookId: string, item: Record<string, unknown> | undefined): WebhookMessage | undefined {
    if (!item) return undefined;
    const stored = item as unknown as MessageItem;
    if (this.expired(stored.expiresAt)) return undefined;
    return {
      id: stored.id,
      webhookId,
      type: stored.type,
      createdAt: stored.createdAt,
      status: stored.status,
      nextAttemptAt: stored.nextAttemptAt ?? null,
      attempts: stored.attempts,
      payload: JSON.parse(stored.payload) as NotificationPayload,
    };
  }

  private expired(expiresAt: number | undefined): boolean {
    return expiresAt !== undefined && expiresAt <= this.clock.now().getTime() / 1000;
  }

  private expiry(days: number): number {
    return Math.floor(this.clock.now().getTime() / 1000) + days * 86_400;
  }
}

function toWebhook(item: WebhookItem): WebhookRecord {
  return {
    id: item.pk,
    endpoint: item.endpoint,
    events: item.events ?? null,
    status: item.status,
    ...(typeof item.disabledReason === 'string' ? { disabledReason: item.disabledReason } : {}),
    signingSecret: item.signingSecret,
    createdAt: item.createdAt,
  };
}
