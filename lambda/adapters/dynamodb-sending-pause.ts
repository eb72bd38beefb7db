import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PauseState, SendingPause } from '../core/send-rate';

/** The control table item holding the pause. */
export const SENDING_PAUSED_KEY = 'sending-paused';
/** The item outlives its pause by this long, so the first sender after it re-checks with GetAccount. */
const KEEP_AFTER_PAUSE_SECONDS = 7 * 86_400;

/**
 * The sending-paused flag in the control table: one item, `sending-paused`, with `until` (epoch
 * ms) and `reason`. Reads are reused for `cacheMs` (1 s by default), so a busy sender does not read
 * the item once per email; this instance's own changes are seen at once.
 */
export class DynamoDbSendingPause implements SendingPause {
  private cached: { at: number; state: PauseState | undefined } | undefined;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly cacheMs = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  async read(): Promise<PauseState | undefined> {
    if (this.cached && this.now() - this.cached.at < this.cacheMs) return this.cached.state;
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { key: SENDING_PAUSED_KEY }, ConsistentRead: true }));
    const state = Item && typeof Item.until === 'number' ? { until: Item.until, reason: String(Item.reason ?? '') } : undefined;
    this.cached = { at: this.now(), state };
    return state;
  }

  async set(state: PauseState): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { key: SENDING_PAUSED_KEY, until: state.until, reason: state.reason, expiresAt: Math.ceil(state.until / 1000) + KEEP_AFTER_PAUSE_SECONDS },
      }),
    );
    this.cached = { at: this.now(), state };
  }

  async clear(until: number): Promise<void> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { key: SENDING_PAUSED_KEY },
          ConditionExpression: '#until = :until',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':until': until },
        }),
      );
      this.cached = { at: this.now(), state: undefined };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Another sender set a new pause meanwhile: it stands; read it afresh next time.
      this.cached = undefined;
    }
  }
}
