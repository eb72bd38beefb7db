import { isAwsError } from './aws/aws-http-client';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDbDocumentClient } from './aws/dynamodb';
import type { HeldPauseState, PauseSource, PauseState, SendingPause } from '../core/send-rate';

/** The control table item holding the pause. */
export const SENDING_PAUSED_KEY = 'sending-paused';
/** A short pause's item outlives it by this long, so the first sender after it re-checks with GetAccount. */
const KEEP_AFTER_PAUSE_SECONDS = 7 * 86_400;
/** Writes that must not touch a held pause. */
const NOT_HELD = 'attribute_not_exists(heldBy)';

/**
 * The sending pause in the control table: one item, `sending-paused`, with `until` (epoch ms) and
 * `reason`, and for a held pause `heldBy` and `heldAt` (and no expiry: it lasts until released).
 * Reads are reused for `cacheMs` (1 s by default), so a busy sender does not read the item once
 * per email; this instance's own changes are seen at once.
 */
export class DynamoDbSendingPause implements SendingPause {
  private cached: { at: number; state: PauseState | undefined } | undefined;

  constructor(
    private readonly documents: DynamoDbDocumentClient,
    private readonly tableName: string,
    private readonly cacheMs = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  async read(): Promise<PauseState | undefined> {
    if (this.cached && this.now() - this.cached.at < this.cacheMs) return this.cached.state;
    return this.readAfresh();
  }

  async set(state: PauseState): Promise<void> {
    const item = { key: SENDING_PAUSED_KEY, until: state.until, reason: state.reason, expiresAt: Math.ceil(state.until / 1000) + KEEP_AFTER_PAUSE_SECONDS };
    if (await this.written(() => this.documents.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: NOT_HELD })))) {
      this.cached = { at: this.now(), state: { until: state.until, reason: state.reason } };
    }
  }

  async clear(until: number): Promise<void> {
    const removed = await this.written(() =>
      this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { key: SENDING_PAUSED_KEY },
          ConditionExpression: `#until = :until AND ${NOT_HELD}`,
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':until': until },
        }),
      ),
    );
    if (removed) this.cached = { at: this.now(), state: undefined };
  }

  async hold(state: HeldPauseState): Promise<{ changed: boolean; state: PauseState }> {
    const item = { key: SENDING_PAUSED_KEY, until: state.until, reason: state.reason, heldBy: state.held.by, heldAt: state.held.at };
    if (await this.written(() => this.documents.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: NOT_HELD })))) {
      this.cached = { at: this.now(), state };
      return { changed: true, state };
    }
    const standing = await this.readAfresh();
    // Released between our write and our read: what stood was held all the same; report ours as refused.
    return { changed: false, state: standing ?? state };
  }

  async release(): Promise<PauseState | undefined> {
    try {
      const { Attributes } = await this.documents.send(
        new DeleteCommand({ TableName: this.tableName, Key: { key: SENDING_PAUSED_KEY }, ConditionExpression: 'attribute_exists(heldBy)', ReturnValues: 'ALL_OLD' }),
      );
      this.cached = { at: this.now(), state: undefined };
      return Attributes ? toState(Attributes) : undefined;
    } catch (error) {
      if (!(isAwsError(error, 'ConditionalCheckFailedException'))) throw error;
      this.cached = undefined;
      return undefined;
    }
  }

  private async readAfresh(): Promise<PauseState | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { key: SENDING_PAUSED_KEY }, ConsistentRead: true }));
    const state = Item ? toState(Item) : undefined;
    this.cached = { at: this.now(), state };
    return state;
  }

  /** Runs a conditional write; false when its condition failed (a held pause, or one set since), and the next read goes to the table. */
  private async written(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (!(isAwsError(error, 'ConditionalCheckFailedException'))) throw error;
      this.cached = undefined;
      return false;
    }
  }
}

function toState(item: Record<string, unknown>): PauseState | undefined {
  if (typeof item.until !== 'number') return undefined;
  const state = { until: item.until, reason: String(item.reason ?? '') };
  return typeof item.heldBy === 'string' && typeof item.heldAt === 'number' ? { ...state, held: { by: item.heldBy as PauseSource, at: item.heldAt } } : state;
}
