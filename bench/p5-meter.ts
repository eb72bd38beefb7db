/**
 * Counters for the cost figure (P5) around the real local components running in this process.
 *
 * - Every HTTP request an in-process server answers, through Node's `http.server.request.start`
 *   diagnostics channel: DynamoDB calls (dynalite's requests) by operation, table and index, with
 *   the failed ones; every other request by server port, method and path (the SES stand-in, the
 *   webhook receiver).
 * - DynamoDB capacity units, from the item images dynalite handles. Its actions call their helpers
 *   through the `dynalite/db` module object, so wrapping those helpers sees every item read or
 *   written without changing what dynalite does. Units follow DynamoDB's rules: a write costs 1 WRU
 *   per started KB of the larger of the item before and after, a failed condition still costs the
 *   write, and every global index the item enters, changes in or leaves costs its own write (two
 *   when its key changes), sized by what the index projects; a read costs 1 RRU per started 4 KB
 *   (a Query sums its items first), half that when eventually consistent.
 *
 * Install it before the traffic to count, uninstall it after; it is for one measure at a time.
 */
import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

/** What a global index copies from each item, as in a CloudFormation `Projection`. */
export interface Projection {
  readonly type: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  readonly nonKeyAttributes?: readonly string[];
}

/** A DynamoDB item as dynalite stores it (attribute values in the wire format). */
export type Item = Record<string, Record<string, unknown>>;

/**
 * Another way to store the same items, priced from the same images: `projection` overrides what
 * each index projects, `itemShape` rewrites an item before it is sized (attributes that would live
 * elsewhere), and `extraWrites` adds writes a design would make beside (e.g. a separate item).
 */
export interface StorageVariant {
  readonly name: string;
  readonly projection?: (table: string, index: string) => Projection | undefined;
  readonly itemShape?: (table: string, item: Item) => Item;
  readonly extraWrites?: (table: string, before: Item | undefined, after: Item | undefined, size: (item: Item) => number) => number;
}

export interface DynamoDbCall {
  readonly operation: string;
  readonly table: string;
  readonly index?: string;
  /** The partition key value (a string) of the item the call names, or of the first of a BatchGetItem's keys. */
  readonly key?: string;
  readonly failed: boolean;
}

/** Capacity units by `table` or `table#index` (the index a Query read, or a write's index copies). */
export interface CapacityTally {
  readonly readUnits: Map<string, number>;
  readonly writeUnits: Map<string, number>;
  /** Write units under each variant, summed over every table and index. */
  readonly variantWriteUnits: Map<string, number>;
}

export interface OtherRequest {
  readonly port: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly requestBytes: number;
  /** Header names and values, as they went over the wire. */
  readonly headerBytes: number;
}

export interface CostMeter {
  readonly dynamoDbCalls: DynamoDbCall[];
  readonly capacity: CapacityTally;
  readonly otherRequests: OtherRequest[];
  /** An item's size by DynamoDB's rules (attribute names and values), in bytes. */
  sizeOf(item: Item): number;
  /** Forgets everything counted so far. */
  reset(): void;
  uninstall(): void;
}

interface DynaliteTable {
  readonly TableName: string;
  readonly KeySchema: readonly { AttributeName: string }[];
  readonly GlobalSecondaryIndexes?: readonly {
    IndexName: string;
    KeySchema: readonly { AttributeName: string }[];
    Projection: { ProjectionType: Projection['type']; NonKeyAttributes?: string[] };
  }[];
}

type Callback = (error: unknown, result?: Record<string, unknown>) => void;

/** The dynalite helpers wrapped here (dynalite 4, pinned in package.json). */
interface DynaliteDb {
  itemSize(item: Item): number;
  checkConditional(data: Record<string, unknown>, existing: Item | undefined): unknown;
  updateIndexes(store: unknown, table: DynaliteTable, existing: Item | undefined, item: Item | undefined, cb: Callback): void;
  addConsumedCapacity(data: Record<string, unknown>, isRead: boolean, item: Item | undefined, old?: Item): unknown;
  queryTable(store: unknown, table: DynaliteTable, data: Record<string, unknown>, ...rest: unknown[]): void;
}

const WRAPPED = ['checkConditional', 'updateIndexes', 'addConsumedCapacity', 'queryTable'] as const;
const DYNAMODB_TARGET = /^DynamoDB_\d+\.(\w+)$/;

/**
 * Starts counting. `deployedProjection` says what each index projects in the deployed stack (the
 * local tables project ALL); `variants` are priced beside it from the same item images.
 */
export function installCostMeter(options: {
  deployedProjection: (table: string, index: string) => Projection | undefined;
  variants?: readonly StorageVariant[];
  /**
   * Names a kind of item whose own read and write units are tallied apart, under `table~kind`
   * instead of `table` (index copies stay under `table#index`), and left out of the variants, so
   * a figure can price them alone.
   */
  itemKind?: (table: string, item: Item) => string | undefined;
}): CostMeter {
  const db = createRequire(__filename)('dynalite/db') as DynaliteDb;
  for (const name of WRAPPED) {
    if (typeof db[name] !== 'function') throw new Error(`dynalite/db has no ${name}(): the cost meter needs dynalite 4`);
  }
  const originals = { ...db };
  const size = (item: Item): number => db.itemSize(item);
  const writeUnits = (item: Item | undefined): number => (item ? Math.max(1, Math.ceil(size(item) / 1024)) : 1);

  const meter: CostMeter = {
    dynamoDbCalls: [],
    capacity: { readUnits: new Map(), writeUnits: new Map(), variantWriteUnits: new Map() },
    otherRequests: [],
    sizeOf: size,
    reset() {
      meter.dynamoDbCalls.length = 0;
      meter.otherRequests.length = 0;
      meter.capacity.readUnits.clear();
      meter.capacity.writeUnits.clear();
      meter.capacity.variantWriteUnits.clear();
    },
    uninstall() {
      Object.assign(db, originals);
      diagnostics.unsubscribe('http.server.request.start', onRequest);
    },
  };
  const add = (tally: Map<string, number>, key: string, units: number): void => {
    tally.set(key, (tally.get(key) ?? 0) + units);
  };

  /** Writes of one table write: its own and its indexes', under one way of storing the items. */
  const writeCost = (table: DynaliteTable, before: Item | undefined, after: Item | undefined, variant?: StorageVariant): Map<string, number> => {
    const shape = (item: Item | undefined): Item | undefined => (item && variant?.itemShape ? variant.itemShape(table.TableName, item) : item);
    const [old, neu] = [shape(before), shape(after)];
    const kind = variant ? undefined : options.itemKind?.(table.TableName, (after ?? before)!);
    const units = new Map<string, number>([[kind ? `${table.TableName}~${kind}` : table.TableName, Math.max(writeUnits(old), writeUnits(neu))]]);
    const extra = variant?.extraWrites?.(table.TableName, before, after, size) ?? 0;
    if (extra > 0) add(units, `${table.TableName}+${variant!.name}`, extra);
    const tableKeys = table.KeySchema.map((k) => k.AttributeName);
    for (const index of table.GlobalSecondaryIndexes ?? []) {
      const projection =
        variant?.projection?.(table.TableName, index.IndexName) ??
        options.deployedProjection(table.TableName, index.IndexName) ??
        { type: index.Projection.ProjectionType, nonKeyAttributes: index.Projection.NonKeyAttributes };
      const keys = index.KeySchema.map((k) => k.AttributeName);
      const entry = (item: Item | undefined): Item | undefined => {
        if (!item || !keys.every((k) => item[k] !== undefined)) return undefined;
        if (projection.type === 'ALL') return item;
        const kept = new Set([...keys, ...tableKeys, ...(projection.type === 'INCLUDE' ? (projection.nonKeyAttributes ?? []) : [])]);
        return Object.fromEntries(Object.entries(item).filter(([name]) => kept.has(name)));
      };
      const [was, is] = [entry(old), entry(neu)];
      let indexUnits = 0;
      if (was && is) {
        const keyMoved = keys.some((k) => JSON.stringify(was[k]) !== JSON.stringify(is[k]));
        if (keyMoved) indexUnits = writeUnits(was) + writeUnits(is);
        else if (JSON.stringify(was) !== JSON.stringify(is)) indexUnits = Math.max(writeUnits(was), writeUnits(is));
      } else if (was || is) {
        indexUnits = writeUnits(was ?? is);
      }
      if (indexUnits > 0) add(units, `${table.TableName}#${index.IndexName}`, indexUnits);
    }
    return units;
  };

  const recordWrite = (table: DynaliteTable, before: Item | undefined, after: Item | undefined): void => {
    for (const [key, units] of writeCost(table, before, after)) add(meter.capacity.writeUnits, key, units);
    // An item of its own kind is priced apart, so the variants leave it out.
    if (options.itemKind?.(table.TableName, (after ?? before)!) !== undefined) return;
    for (const variant of options.variants ?? []) {
      const total = [...writeCost(table, before, after, variant).values()].reduce((a, b) => a + b, 0);
      add(meter.capacity.variantWriteUnits, variant.name, total);
    }
  };

  db.updateIndexes = (store, table, existing, item, cb) => {
    recordWrite(table, existing, item);
    originals.updateIndexes(store, table, existing, item, cb);
  };
  db.checkConditional = (data, existing) => {
    const failure = originals.checkConditional(data, existing);
    // A write whose condition fails is still charged: the larger of the stored and the offered item.
    if (failure != null) {
      const offered = data.Item as Item | undefined;
      const table = String(data.TableName);
      const units = (shape: (item: Item) => Item = (item) => item): number =>
        Math.max(existing ? writeUnits(shape(existing)) : 1, offered ? writeUnits(shape(offered)) : 1);
      add(meter.capacity.writeUnits, table, units());
      for (const variant of options.variants ?? []) {
        add(meter.capacity.variantWriteUnits, variant.name, units(variant.itemShape && ((item) => variant.itemShape!(table, item))));
      }
    }
    return failure;
  };
  db.addConsumedCapacity = (data, isRead, item, old) => {
    if (isRead) {
      const units = item ? Math.max(1, Math.ceil(size(item) / 4096)) : 1;
      // An item not found is known by the key asked for.
      const named = (item ?? data.Key) as Item | undefined;
      const kind = named ? options.itemKind?.(String(data.TableName), named) : undefined;
      add(meter.capacity.readUnits, kind ? `${String(data.TableName)}~${kind}` : String(data.TableName), data.ConsistentRead ? units : units / 2);
    }
    return originals.addConsumedCapacity(data, isRead, item, old);
  };
  db.queryTable = (store, table, data, ...rest) => {
    const cb = rest.pop() as Callback;
    const asked = data.ReturnConsumedCapacity;
    // dynalite sums the items a Query or Scan reads when asked to; ask on a copy, answer as before.
    originals.queryTable(store, table, { ...data, ReturnConsumedCapacity: 'TOTAL' }, ...rest, (error: unknown, result?: Record<string, unknown>) => {
      if (!error && result) {
        const consumed = result.ConsumedCapacity as { CapacityUnits?: number } | undefined;
        const least = data.ConsistentRead ? 1 : 0.5;
        const key = data.IndexName ? `${table.TableName}#${String(data.IndexName)}` : table.TableName;
        add(meter.capacity.readUnits, key, Math.max(least, consumed?.CapacityUnits ?? 0));
        if (asked !== 'TOTAL' && asked !== 'INDEXES') delete result.ConsumedCapacity;
      }
      cb(error, result);
    });
  };

  function onRequest(message: unknown): void {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    const target = DYNAMODB_TARGET.exec(String(request.headers['x-amz-target'] ?? ''));
    const chunks: Buffer[] = [];
    // Listening alongside the server's own handler: both see every chunk.
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('finish', () => {
      const failed = response.statusCode >= 400;
      if (target) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        const tables = body.TableName ? [String(body.TableName)] : Object.keys((body.RequestItems as object | undefined) ?? {});
        for (const table of tables) {
          const key = partitionKeyOf(body, table);
          meter.dynamoDbCalls.push({ operation: target[1]!, table, ...(body.IndexName ? { index: String(body.IndexName) } : {}), ...(key !== undefined ? { key } : {}), failed });
        }
        return;
      }
      const url = new URL(request.url ?? '/', 'http://local');
      meter.otherRequests.push({
        port: request.socket.localPort ?? 0,
        method: request.method ?? 'GET',
        path: url.pathname,
        status: response.statusCode,
        requestBytes: chunks.reduce((sum, chunk) => sum + chunk.length, 0),
        headerBytes: request.rawHeaders.reduce((sum, part) => sum + Buffer.byteLength(part) + 2, 0),
      });
    });
  }
  diagnostics.subscribe('http.server.request.start', onRequest);
  return meter;
}

/** The first string key attribute of the item a request names (Key, Item, or a BatchGetItem's first key for `table`). */
function partitionKeyOf(body: Record<string, unknown>, table: string): string | undefined {
  const batch = (body.RequestItems as Record<string, { Keys?: Item[] }> | undefined)?.[table]?.Keys?.[0];
  const named = (body.Key ?? body.Item ?? batch) as Item | undefined;
  if (!named) return undefined;
  for (const value of Object.values(named)) if (typeof value?.S === 'string') return value.S;
  return undefined;
}
