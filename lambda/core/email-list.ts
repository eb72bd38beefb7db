import { foldEmailState } from './email-state';
import { toEmailSummary, type EmailSummary } from './email-view';
import { OutboxError } from './errors';
import { isUuid, uuidv7Time } from './ids';
import { describeValue, parseListLimit } from './list-query';
import type { EmailDetails, EmailStore } from './ports';

/** `GET /emails` (the resend SDK's `emails.list`): newest first, paged by email id. */

const DAY_MS = 86_400_000;

/**
 * One page to read: at most `limit` emails older than `after`, or newer than `before` (the ones
 * nearest to it), or the newest ones with neither.
 */
export interface EmailPageRequest {
  readonly limit: number;
  readonly after?: string;
  readonly before?: string;
}

/** The page, newest first; each email without its content, with its timeline. */
export interface EmailPage {
  readonly emails: readonly EmailDetails[];
  /** Whether more emails lie beyond the page in the direction it was read. */
  readonly hasMore: boolean;
}

/** One entry of the list: the resend SDK's `ListEmail` (GET /emails/{id} without bodies and tags). */
export type EmailListItem = EmailSummary;

export interface EmailListView {
  readonly object: 'list';
  readonly has_more: boolean;
  readonly data: EmailListItem[];
}

/**
 * One page of sent emails (`GET /emails?limit&after&before`).
 * 1. Validates the query (parseEmailPageRequest).
 * 2. Reads the page from the store.
 * 3. Folds each email's timeline into it (foldEmailState), so `last_event` is GET /emails/{id}'s.
 * Throws `validation` naming every bad parameter. Read-only.
 */
export async function listEmails(deps: { readonly emails: EmailStore }, query: Readonly<Record<string, string>>): Promise<EmailListView> {
  const page = await deps.emails.list(parseEmailPageRequest(query));
  return { object: 'list', has_more: page.hasMore, data: page.emails.map(toEmailListItem) };
}

/**
 * The query as a page request: `limit` 1-100 (default 20); `after` or `before`, not both, each the
 * id of an email (the last, or first, of the page the caller holds). Collects every problem, then
 * throws one `validation` error.
 */
export function parseEmailPageRequest(query: Readonly<Record<string, string>>): EmailPageRequest {
  const problems: string[] = [];
  const limit = parseListLimit(query, problems);
  const after = cursor(query, 'after', 'the last one of the previous page', problems);
  const before = cursor(query, 'before', 'the first one of the next page', problems);
  if (after !== undefined && before !== undefined) problems.push('give `after` or `before`, not both');
  if (problems.length > 0) throw new OutboxError('validation', `${problems.join('; ')}.`);
  return { limit, ...(after !== undefined ? { after } : {}), ...(before !== undefined ? { before } : {}) };
}

/**
 * The UTC days (`YYYY-MM-DD`) a page walks, in reading order: from the cursor's day (or today)
 * back to the first day still within retention when reading older emails, up to today when
 * reading newer ones. Empty when the cursor lies outside that span. Ids are UUIDv7, so an id
 * gives its creation day without a read.
 */
export function daysToWalk(page: EmailPageRequest, nowMs: number, retentionDays: number): string[] {
  const today = dayStart(nowMs);
  const oldest = dayStart(nowMs - retentionDays * DAY_MS);
  const newer = page.before !== undefined;
  const cursorId = page.before ?? page.after;
  const from = cursorId !== undefined ? dayStart(uuidv7Time(cursorId)) : today;
  const days: string[] = [];
  if (newer) {
    for (let day = Math.max(from, oldest); day <= today; day += DAY_MS) days.push(isoDay(day));
  } else {
    for (let day = Math.min(from, today); day >= oldest; day -= DAY_MS) days.push(isoDay(day));
  }
  return days;
}

export function toEmailListItem({ email, events }: EmailDetails): EmailListItem {
  return toEmailSummary(email, foldEmailState(email, events));
}

function cursor(query: Readonly<Record<string, string>>, name: 'after' | 'before', which: string, problems: string[]): string | undefined {
  const value = query[name]?.trim();
  if (value === undefined || value === '') return undefined;
  const id = value.toLowerCase();
  if (isUuid(id)) return id;
  problems.push(`\`${name}\` must be the id of an email (${which}), not ${describeValue(query[name])}`);
  return undefined;
}

function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

