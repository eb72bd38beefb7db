/**
 * What every paged list of the API (`GET /emails`, `/suppressions`, `/webhooks`, a webhook's
 * events) reads from its query the same way, as Resend's lists do.
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

/** A caller's value quoted for a message, cut short so one huge entry cannot flood it. */
export function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
