import { isAwsError } from './aws/aws-http-client';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDbDocumentClient } from './aws/dynamodb';
import type { Clock } from '../core/ports';
import { msUntilFits, RATE_FRACTION, windowAllowance, windowOf, type RateDecision, type SendRateGovernor, type SesAccount } from '../core/send-rate';

/** Window items live a minute past their second: long enough to be read as "the previous window". */
const WINDOW_TTL_SECONDS = 60;
/** How many windows ahead a message with more recipients than the rate may book one of its own. */
const WHOLE_WINDOW_LOOKAHEAD = 3;

/** Where the send rate comes from. */
export interface SendRateSource {
  /** Recipients per second. */
  current(): Promise<number>;
}

/**
 * The shared per-second windows in the control table: item `rate#<epoch second>` with `count`, the
 * recipients sent in that second by every sender together, and `startMs`, how far into the second
 * its first send was (for the next window's estimate, see windowAllowance).
 *
 * - A message of n recipients is one UpdateItem, `ADD count :n` under the condition
 *   `attribute_not_exists(count) OR count <= :max`, where :max = the window's allowance minus n
 *   (see windowAllowance), so concurrent senders can never push a window past its allowance.
 * - The previous window's count is read once per second per instance; what this instance has
 *   learnt about the current window (a lower bound: counts only grow), plus the recipients of its
 *   own writes still in flight, spares a write that could not succeed. So when many senders of one
 *   instance wait for the same moment, only as many write as the window can still take, instead of
 *   all of them writing, all but a few failing their condition and each re-reading the window.
 * - A message with more recipients than the rate books a whole empty window (this one, or one of
 *   the next few, which nobody has written yet) and waits for it in process, so it is never starved
 *   by smaller ones. It overshoots that second, as it must; SES allows short bursts, and if SES
 *   throttles it anyway the sender retries.
 *
 * Items expire a minute after their second (TTL), and are never read again after two seconds.
 */
export class DynamoDbSendRateGovernor implements SendRateGovernor {
  /** Epoch second -> recipients known to be in that window (a lower bound). */
  private readonly known = new Map<number, number>();
  /** Epoch second -> its final count and first send, read once the window closed. */
  private readonly closed = new Map<number, Promise<WindowState>>();
  /** Epoch second -> recipients of this instance's writes to that window not yet answered. */
  private readonly inFlight = new Map<number, number>();

  constructor(
    private readonly documents: DynamoDbDocumentClient,
    private readonly tableName: string,
    private readonly rate: SendRateSource,
    private readonly clock: Clock,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async acquire(recipients: number): Promise<RateDecision> {
    const rate = (await this.rate.current()) * RATE_FRACTION;
    const { second, elapsedMs } = windowOf(this.clock.now().getTime());
    this.forgetBefore(second - 2);
    if (recipients > Math.floor(rate)) return this.takeWholeWindow(recipients, second, elapsedMs);

    const previous = await this.closedWindow(second - 1);
    const allowance = windowAllowance(rate, previous.count, elapsedMs, previous.startMs);
    const known = this.known.get(second) ?? 0;
    const taken = known + (this.inFlight.get(second) ?? 0);
    if (taken + recipients > allowance) return { ok: false, waitMs: msUntilFits(rate, previous.count, taken, recipients, elapsedMs, previous.startMs) };
    this.inFlight.set(second, (this.inFlight.get(second) ?? 0) + recipients);
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { key: windowKey(second) },
          UpdateExpression: 'ADD #count :n SET expiresAt = :expires, startMs = if_not_exists(startMs, :start)',
          ConditionExpression: 'attribute_not_exists(#count) OR #count <= :max',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: { ':n': recipients, ':max': allowance - recipients, ':expires': second + WINDOW_TTL_SECONDS, ':start': Math.floor(elapsedMs) },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      this.learn(second, Number(Attributes?.count ?? known + recipients));
      return { ok: true };
    } catch (error) {
      if (!(isAwsError(error, 'ConditionalCheckFailedException'))) throw error;
    } finally {
      this.settle(second, recipients);
    }
    const current = (await this.readWindow(second)).count;
    this.learn(second, current);
    const { elapsedMs: nowElapsed, second: nowSecond } = windowOf(this.clock.now().getTime());
    if (nowSecond !== second) return { ok: false, waitMs: 1 };
    return { ok: false, waitMs: msUntilFits(rate, previous.count, current, recipients, nowElapsed, previous.startMs) };
  }

  /** Books the first empty window from now on for the whole message, then waits for it to open. */
  private async takeWholeWindow(recipients: number, second: number, elapsedMs: number): Promise<RateDecision> {
    for (let ahead = 0; ahead < WHOLE_WINDOW_LOOKAHEAD; ahead += 1) {
      const target = second + ahead;
      if ((this.known.get(target) ?? 0) > 0) continue;
      try {
        await this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { key: windowKey(target), count: recipients, startMs: ahead === 0 ? Math.floor(elapsedMs) : 0, expiresAt: target + WINDOW_TTL_SECONDS },
            ConditionExpression: 'attribute_not_exists(#count)',
            ExpressionAttributeNames: { '#count': 'count' },
          }),
        );
      } catch (error) {
        if (!(isAwsError(error, 'ConditionalCheckFailedException'))) throw error;
        this.learn(target, 1);
        continue;
      }
      this.learn(target, recipients);
      if (ahead > 0) await this.sleep(ahead * 1000 - elapsedMs);
      return { ok: true };
    }
    return { ok: false, waitMs: WHOLE_WINDOW_LOOKAHEAD * 1000 - elapsedMs };
  }

  private closedWindow(second: number): Promise<WindowState> {
    let state = this.closed.get(second);
    if (!state) {
      state = this.readWindow(second);
      this.closed.set(second, state);
      // A failed read is not remembered.
      state.catch(() => this.closed.delete(second));
    }
    return state;
  }

  private async readWindow(second: number): Promise<WindowState> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { key: windowKey(second) }, ConsistentRead: true }));
    // A window written before startMs was kept counts from the start of its second.
    return { count: Number(Item?.count ?? 0), startMs: Number(Item?.startMs ?? 0) };
  }

  private learn(second: number, count: number): void {
    this.known.set(second, Math.max(this.known.get(second) ?? 0, count));
  }

  /** A write to `second` was answered: its recipients are in `known` now, or were refused. */
  private settle(second: number, recipients: number): void {
    const left = (this.inFlight.get(second) ?? 0) - recipients;
    if (left > 0) this.inFlight.set(second, left);
    else this.inFlight.delete(second);
  }

  private forgetBefore(second: number): void {
    for (const key of this.known.keys()) if (key < second) this.known.delete(key);
    for (const key of this.closed.keys()) if (key < second) this.closed.delete(key);
  }
}

/** A window's recipients so far, and how far into its second the first of them went. */
interface WindowState {
  readonly count: number;
  readonly startMs: number;
}

function windowKey(second: number): string {
  return `rate#${second}`;
}

/** The account's item in the control table: the last GetAccount answer, shared by every instance. */
export const ACCOUNT_KEY = 'account';

/**
 * The send rate: the override when set (OUTBOX_MAX_SEND_RATE), else SES's MaxSendRate from
 * GetAccount, kept `maxAgeMs` (1 minute) in memory and in the control table's `account` item, so a
 * fleet of senders makes about one GetAccount a minute (SES allows 1 a second). If GetAccount
 * fails, the last known rate is used, or 1 per second (the sandbox rate, the slowest safe guess)
 * when none is known, and GetAccount is tried again after 10 s.
 */
export class AccountSendRate implements SendRateSource {
  private cached: { rate: number; until: number } | undefined;
  private lastKnown: number | undefined;
  private inFlight: Promise<number> | undefined;

  constructor(
    private readonly options: {
      readonly documents: DynamoDbDocumentClient;
      readonly tableName: string;
      readonly account: SesAccount;
      readonly clock: Clock;
      readonly override?: number;
      readonly maxAgeMs?: number;
      readonly log?: (message: string, error?: unknown) => void;
    },
  ) {}

  current(): Promise<number> {
    if (this.options.override !== undefined) return Promise.resolve(this.options.override);
    const now = this.options.clock.now().getTime();
    if (this.cached && this.cached.until > now) return Promise.resolve(this.cached.rate);
    this.inFlight ??= this.refresh(now).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async refresh(now: number): Promise<number> {
    const { documents, tableName, account, log } = this.options;
    const maxAgeMs = this.options.maxAgeMs ?? 60_000;
    try {
      const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: { key: ACCOUNT_KEY } }));
      if (Item && typeof Item.maxSendRate === 'number' && typeof Item.fetchedAt === 'number' && Item.fetchedAt > now - maxAgeMs) {
        return this.keep(Item.maxSendRate, Item.fetchedAt + maxAgeMs);
      }
      const { maxSendRate, sendingEnabled } = await account.get();
      await documents
        .send(
          new PutCommand({
            TableName: tableName,
            Item: { key: ACCOUNT_KEY, maxSendRate, sendingEnabled, fetchedAt: now, expiresAt: Math.floor(now / 1000) + 86_400 },
          }),
        )
        .catch((error: unknown) => log?.('could not share the SES account quota in the control table', error));
      return this.keep(maxSendRate, now + maxAgeMs);
    } catch (error) {
      const fallback = this.lastKnown ?? 1;
      log?.(`could not read SES's MaxSendRate; pacing at ${fallback}/s for now`, error);
      this.cached = { rate: fallback, until: now + 10_000 };
      return fallback;
    }
  }

  private keep(rate: number, until: number): number {
    this.cached = { rate, until };
    this.lastKnown = rate;
    return rate;
  }
}
