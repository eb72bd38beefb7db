/**
 * What every paged list of the API (`GET /emails`, `/suppressions`, `/webhooks`, a webhook's
 * events, `/api-keys`, `/domains`) reads from its query the same way, as Resend's lists do, and
 * how the lists held in memory cut their pages.
 */

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

/** `limit`: a whole number from 1 to 100, 20 when absent. A bad one is added to `problems`. */
export function parseListLimit(query: Readonly<Record<string, string>>, problems: string[]): number {
  if (query.limit === undefined) return DEFAULT_LIST_LIMIT;
  const parsed = /^\d{1,4}$/.test(query.limit) ? Number(query.limit) : NaN;
  if (parsed >= 1 && parsed <= MAX_LIST_LIMIT) return parsed;
  problems.push(`\`limit\` must be a whole number from 1 to ${MAX_LIST_LIMIT}, not ${describeValue(query.limit)}`);
  return DEFAULT_LIST_LIMIT;
}

/** Where an item stands against a cursor id in a newest-first list. */
export interface ListOrder<T> {
  /** The item comes before the cursor (is newer). */
  isNewer(item: T, cursor: string): boolean;
  /** The item is the cursor. */
  isCursor(item: T, cursor: string): boolean;
}

/** Items with UUIDv7 ids, which sort by creation time: a cursor still pages after its item is gone. */
export const BY_TIME_ORDERED_ID: ListOrder<{ readonly id: string }> = {
  isNewer: (item, cursor) => item.id > cursor,
  isCursor: (item, cursor) => item.id === cursor,
};

/**
 * One page of a list held in memory, newest first: after `after`, the `limit` older items; before
 * `before`, the `limit` items just newer; else the newest `limit`; and whether more lie beyond.
 */
export function pageNewestFirst<T>(
  newestFirst: readonly T[],
  limit: number,
  cursor: { readonly after: string | undefined; readonly before: string | undefined },
  order: ListOrder<NoInfer<T>>,
): { page: T[]; hasMore: boolean } {
  const { after, before } = cursor;
  if (before !== undefined) {
    const newer = newestFirst.filter((item) => order.isNewer(item, before));
    return { page: newer.slice(-limit), hasMore: newer.length > limit };
  }
  const older = after === undefined ? [...newestFirst] : newestFirst.filter((item) => !order.isNewer(item, after) && !order.isCursor(item, after));
  return { page: older.slice(0, limit), hasMore: older.length > limit };
}

/**
 * `after` or `before`: an id of the list (`what`, as 'a webhook'), lower-cased; undefined when
 * absent. A value `valid` refuses is added to `problems`.
 */
export function parseCursor(
  query: Readonly<Record<string, string>>,
  name: 'after' | 'before',
  valid: (id: string) => boolean,
  what: string,
  problems: string[],
): string | undefined {
  const value = query[name]?.trim();
  if (value === undefined || value === '') return undefined;
  if (valid(value.toLowerCase())) return value.toLowerCase();
  const which = name === 'after' ? 'the last one of the previous page' : 'the first one of the next page';
  problems.push(`\`${name}\` must be the id of ${what} (${which}), not ${describeValue(query[name])}`);
  return undefined;
}

/** A caller's value quoted for a message, cut short so one huge entry cannot flood it. */
export function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
