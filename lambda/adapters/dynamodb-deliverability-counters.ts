import { isAwsError } from './aws/aws-http-client';
import { BatchGetCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDbDocumentClient } from './aws/dynamodb';
import {
  COUNTER_NAMES,
  EMPTY_TALLY,
  hourStart,
  INITIAL_GUARD_STATE,
  NO_COUNTS,
  WINDOW_HOURS,
  type CounterName,
  type DeliverabilityCounts,
  type DeliverabilityTally,
  type GuardState,
} from '../core/deliverability';
import type { DeliverabilityCounters, GuardMemory } from '../core/reputation-guard';
import { TTL_ATTRIBUTE } from '../shared/tables';

/** Hour items outlive the longest window (7 days) by a day, then expire. */
const HOUR_TTL_SECONDS = 8 * 86_400;
/** BatchGetItem takes at most 100 keys a call. */
const BATCH_GET_KEYS = 100;
const UNPROCESSED_RETRIES = 4;
const UNPROCESSED_BACKOFF_MS = 25;

/** The control-table key of an hour's bucket: `deliverability#2026-12-02T17` (UTC). */
export function hourKey(hour: number): string {
  return `deliverability#${hourStart(hour).toISOString().slice(0, 13)}`;
}

/** An account counter is its own attribute (`sent`); a domain's is `d#<domain>#<counter>`. */
function domainAttribute(domain: string, counter: CounterName): string {
  return `d#${domain}#${counter}`;
}

const DOMAIN_ATTRIBUTE = /^d#(.+)#(sent|delivered|bounced|complained)$/;

/**
 * The hourly deliverability buckets in the control table: one item per hour, keyed by hourKey,
 * with flat number attributes for the account (`sent`, `delivered`, `bounced`, `complained`) and
 * per sending domain (`d#example.com#sent`, ...), expiring 8 days after the hour (TTL).
 *
 * - `add` is ONE UpdateItem, `ADD` of every non-zero counter, returning the whole item (ALL_NEW):
 *   the current hour comes back with the write, so the common path reads nothing more for it.
 * - `buckets` reads the hours it is not holding with BatchGetItem (100 keys a call, strongly
 *   consistent), and keeps every past hour it read in memory for the life of the container: past
 *   hours are final, as every write goes to the hour of its own clock. So an events batch costs
 *   one write, plus one read per container per hour when an hour becomes past.
 */
export class DynamoDbDeliverabilityCounters implements DeliverabilityCounters {
  /** Past hours read, by hour number. */
  private readonly final = new Map<number, DeliverabilityTally>();

  constructor(
    private readonly documents: DynamoDbDocumentClient,
    private readonly tableName: string,
  ) {}

  async add(hour: number, tally: DeliverabilityTally): Promise<DeliverabilityTally> {
    const names: Record<string, string> = {};
    const values: Record<string, number> = { ':expires': Math.floor(hourStart(hour + 1).getTime() / 1000) + HOUR_TTL_SECONDS };
    const adds: string[] = [];
    const addCounts = (counts: DeliverabilityCounts, attribute: (counter: CounterName) => string): void => {
      for (const counter of COUNTER_NAMES) {
        if (counts[counter] === 0) continue;
        const i = adds.length;
        names[`#c${i}`] = attribute(counter);
        values[`:c${i}`] = counts[counter];
        adds.push(`#c${i} :c${i}`);
      }
    };
    addCounts(tally.account, (counter) => counter);
    for (const [domain, counts] of tally.domains) addCounts(counts, (counter) => domainAttribute(domain, counter));
    if (adds.length === 0) return (await this.read([hour]))[0] ?? EMPTY_TALLY;
    const { Attributes } = await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { key: hourKey(hour) },
        UpdateExpression: `ADD ${adds.join(', ')} SET #expires = :expires`,
        ExpressionAttributeNames: { ...names, '#expires': TTL_ATTRIBUTE },
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return tallyOf(Attributes);
  }

  async buckets(hours: readonly number[], current: number): Promise<DeliverabilityTally[]> {
    this.forgetBefore(current - WINDOW_HOURS['7d']);
    const missing = hours.filter((hour) => !this.final.has(hour));
    const read = await this.read(missing);
    missing.forEach((hour, i) => {
      if (hour < current) this.final.set(hour, read[i]!);
    });
    const fresh = new Map(missing.map((hour, i) => [hour, read[i]!]));
    return hours.map((hour) => this.final.get(hour) ?? fresh.get(hour) ?? EMPTY_TALLY);
  }

  /** The buckets of `hours`, in their order; an hour without an item is empty. */
  private async read(hours: readonly number[]): Promise<DeliverabilityTally[]> {
    const byKey = new Map<string, DeliverabilityTally>();
    for (let start = 0; start < hours.length; start += BATCH_GET_KEYS) {
      let keys: Record<string, unknown>[] = hours.slice(start, start + BATCH_GET_KEYS).map((hour) => ({ key: hourKey(hour) }));
      for (let attempt = 0; keys.length > 0; attempt += 1) {
        if (attempt > UNPROCESSED_RETRIES) throw new Error(`the deliverability counters could not be read in full (${keys.length} hours left unprocessed)`);
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, UNPROCESSED_BACKOFF_MS * 2 ** (attempt - 1)));
        const { Responses, UnprocessedKeys } = await this.documents.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of Responses?.[this.tableName] ?? []) byKey.set(String(item.key), tallyOf(item));
        keys = UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return hours.map((hour) => byKey.get(hourKey(hour)) ?? EMPTY_TALLY);
  }

  private forgetBefore(hour: number): void {
    for (const key of this.final.keys()) if (key < hour) this.final.delete(key);
  }
}

/** An hour item's counters; attributes that are not counters (key, expiresAt) are ignored. */
function tallyOf(item: Record<string, unknown> | undefined): DeliverabilityTally {
  if (!item) return EMPTY_TALLY;
  const account: Record<CounterName, number> = { ...NO_COUNTS };
  const domains = new Map<string, Record<CounterName, number>>();
  for (const [name, value] of Object.entries(item)) {
    if (typeof value !== 'number') continue;
    if ((COUNTER_NAMES as readonly string[]).includes(name)) {
      account[name as CounterName] = value;
      continue;
    }
    const match = DOMAIN_ATTRIBUTE.exec(name);
    if (!match) continue;
    const counts = domains.get(match[1]!) ?? { ...NO_COUNTS };
    counts[match[2] as CounterName] = value;
    domains.set(match[1]!, counts);
  }
  return { account, domains };
}

/** The control-table item of the guard's state. */
export const GUARD_STATE_KEY = 'deliverability-guard';

/**
 * The guard's memory in the control table: one item, `deliverability-guard`, with a flag per rate
 * and threshold (`bounce_rate_warned`, `bounce_rate_paused`, ...) and a `version`, written only
 * when the guard's state changes (a crossing, or a re-arm), with a condition on the version read,
 * so of two containers that see the same crossing exactly one stores it. Reads are reused for
 * `cacheMs` (5 s): the common batch changes nothing and reads nothing; a stale read costs at most a
 * failed condition and a fresh read. It does not expire.
 */
export class DynamoDbGuardMemory implements GuardMemory {
  private cached: { at: number; state: GuardState; version: number } | undefined;

  constructor(
    private readonly documents: DynamoDbDocumentClient,
    private readonly tableName: string,
    private readonly cacheMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  async read(): Promise<{ state: GuardState; version: number }> {
    if (this.cached && this.now() - this.cached.at < this.cacheMs) return this.cached;
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { key: GUARD_STATE_KEY }, ConsistentRead: true }));
    const version = typeof Item?.version === 'number' ? Item.version : 0;
    const state: GuardState = Item
      ? {
          warned: { bounce_rate: Item.bounce_rate_warned === true, complaint_rate: Item.complaint_rate_warned === true },
          paused: { bounce_rate: Item.bounce_rate_paused === true, complaint_rate: Item.complaint_rate_paused === true },
        }
      : INITIAL_GUARD_STATE;
    this.cached = { at: this.now(), state, version };
    return this.cached;
  }

  async replace(state: GuardState, version: number): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            key: GUARD_STATE_KEY,
            version: version + 1,
            bounce_rate_warned: state.warned.bounce_rate,
            complaint_rate_warned: state.warned.complaint_rate,
            bounce_rate_paused: state.paused.bounce_rate,
            complaint_rate_paused: state.paused.complaint_rate,
            changedAt: new Date(this.now()).toISOString(),
          },
          ...(version === 0
            ? { ConditionExpression: 'attribute_not_exists(#version)', ExpressionAttributeNames: { '#version': 'version' } }
            : { ConditionExpression: '#version = :version', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': version } }),
        }),
      );
    } catch (error) {
      if (!(isAwsError(error, 'ConditionalCheckFailedException'))) throw error;
      this.cached = undefined;
      return false;
    }
    this.cached = { at: this.now(), state, version: version + 1 };
    return true;
  }
}
