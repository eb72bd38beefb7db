import { normalizeAddress, parseMailbox } from './addresses';
import { OutboxError } from './errors';
import { describeValue, parseListLimit } from './list-query';
import { isUuid, uuidv7 } from './ids';
import type { Clock } from './ports';
import type { SuppressionList, SuppressionOrigin, SuppressionRecord } from './suppression';

/**
 * The Resend suppressions API over the SuppressionList port: add, get, remove and list, one at a
 * time or in batches of up to 100. Answers are in the resend SDK's shapes.
 */

export interface SuppressionsDeps {
  readonly suppressions: SuppressionList;
  readonly clock: Clock;
}

/** `GET /suppressions/{idOrEmail}`, as the resend SDK's `Suppression`. */
export interface SuppressionView {
  readonly object: 'suppression';
  readonly id: string;
  readonly email: string;
  readonly origin: SuppressionOrigin;
  readonly source_id: string | null;
  readonly created_at: string;
}

/** One entry of `GET /suppressions`: the SDK's `SuppressionListEntry` carries no `object`. */
export type SuppressionListEntry = Omit<SuppressionView, 'object'>;

export interface SuppressionListView {
  readonly object: 'list';
  readonly data: SuppressionListEntry[];
  readonly has_more: boolean;
}

export interface SuppressionRef {
  readonly object: 'suppression';
  readonly id: string;
}

export interface SuppressionRemoval extends SuppressionRef {
  readonly deleted: boolean;
}

/** Amazon SES's mailbox simulator: sending to it is how bounces and complaints are tested. */
export const SIMULATOR_DOMAIN = 'simulator.amazonses.com';
export const MAX_BATCH_SIZE = 100;
const ORIGINS: readonly SuppressionOrigin[] = ['bounce', 'complaint', 'manual'];
/** How many store calls a batch keeps in flight at once. */
const BATCH_CONCURRENCY = 10;

/**
 * Adds one address by hand (`POST /suppressions`, body `{ email }`).
 * 1. Validates `email`: a bare address or `Name <addr>`, not a mailbox-simulator address.
 * 2. Stores it lower-cased with origin `manual` and a new UUIDv7 id.
 * Throws `missing_field` without `email`, `validation` for a bad or simulator address.
 * Idempotent: an address already listed answers its existing id (with `created: false`), whatever
 * its origin.
 */
export async function addSuppression(
  deps: SuppressionsDeps,
  body: Readonly<Record<string, unknown>>,
): Promise<{ created: boolean; answer: SuppressionRef }> {
  if (body.email === undefined || body.email === null) {
    throw new OutboxError('missing_field', 'Give the address to suppress as `email`.');
  }
  const checked = checkSuppressible(body.email);
  if (!checked.ok) throw new OutboxError('validation', `\`email\` ${checked.reason}.`);
  const { record, created } = await deps.suppressions.add(manualRecord(deps, checked.address));
  return { created, answer: ref(record) };
}

/**
 * Adds up to 100 addresses by hand (`POST /suppressions/batch/add`, body `{ emails: [...] }`).
 * 1. Validates every entry as addSuppression does; one refusal names every bad entry.
 * 2. Reads which addresses are already listed in one batched read.
 * 3. Adds the others with origin `manual`.
 * Answers one `{ object, id }` per entry, in input order (a repeated address repeats its id).
 * Throws `missing_field` without `emails`, `validation` for a bad list or bad entries; nothing is
 * added then. Idempotent: listed addresses answer their existing ids.
 */
export async function batchAddSuppressions(
  deps: SuppressionsDeps,
  body: Readonly<Record<string, unknown>>,
): Promise<{ data: SuppressionRef[] }> {
  const entries = requireList(body, 'emails');
  const problems: string[] = [];
  const addresses = entries.map((entry, index) => {
    const checked = checkSuppressible(entry);
    if (checked.ok) return checked.address;
    problems.push(`\`emails[${index}]\` ${describeValue(entry)} ${checked.reason}`);
    return '';
  });
  if (problems.length > 0) throw new OutboxError('validation', `${problems.join('; ')}. Nothing was added.`);

  const unique = [...new Set(addresses)];
  const listed = await deps.suppressions.findMany(unique);
  const added = await mapConcurrently(
    unique.filter((address) => !listed.has(address)),
    async (address) => (await deps.suppressions.add(manualRecord(deps, address))).record,
  );
  const byAddress = new Map([...listed, ...added.map((record) => [record.email, record] as const)]);
  return { data: addresses.map((address) => ref(byAddress.get(address)!)) };
}

/**
 * One suppression by id or address (`GET /suppressions/{idOrEmail}`); an input with `@` is an
 * address, compared lower-cased. Throws `not_found` when it is not listed. Read-only.
 */
export async function getSuppression(deps: SuppressionsDeps, idOrEmail: string): Promise<SuppressionView> {
  const record = await lookUp(deps.suppressions, idOrEmail);
  if (!record) throw notFound(idOrEmail);
  return toSuppressionView(record);
}

/**
 * Takes one suppression off the list by id or address (`DELETE /suppressions/{idOrEmail}`), so
 * the address can be sent to again.
 * 1. Finds the record (to answer its id).
 * 2. Removes it.
 * Throws `not_found` when it is not listed. Not idempotent in its answer: a second call is a 404.
 */
export async function removeSuppression(deps: SuppressionsDeps, idOrEmail: string): Promise<SuppressionRemoval> {
  const record = await lookUp(deps.suppressions, idOrEmail);
  if (!record || !(await deps.suppressions.remove(record.email))) throw notFound(idOrEmail);
  return { object: 'suppression', id: record.id, deleted: true };
}

/**
 * Takes up to 100 suppressions off the list (`POST /suppressions/batch/remove`, body
 * `{ emails: [...] }` or `{ ids: [...] }`, not both).
 * 1. Validates the list (1-100 non-empty strings); one refusal names every bad entry.
 * 2. Finds the records: addresses in one batched read, ids one by one.
 * 3. Removes those found.
 * Answers one `{ object, id, deleted }` per entry, in input order. An entry that is not listed
 * answers `deleted: false` with the id, or the lower-cased address, it was given.
 * Throws `missing_field` with neither list, `validation` with both or a bad list. Idempotent.
 */
export async function batchRemoveSuppressions(
  deps: SuppressionsDeps,
  body: Readonly<Record<string, unknown>>,
): Promise<{ data: SuppressionRemoval[] }> {
  const hasEmails = body.emails !== undefined && body.emails !== null;
  const hasIds = body.ids !== undefined && body.ids !== null;
  if (hasEmails && hasIds) throw new OutboxError('validation', 'Give either `emails` or `ids`, not both.');
  if (!hasEmails && !hasIds) throw new OutboxError('missing_field', 'Give the suppressions to remove as `emails` or as `ids`.');
  const field = hasEmails ? 'emails' : 'ids';
  const entries = requireList(body, field);
  const problems = entries.flatMap((entry, index) =>
    typeof entry === 'string' && entry.trim() !== '' ? [] : [`\`${field}[${index}]\` ${describeValue(entry)} is not a non-empty string`],
  );
  if (problems.length > 0) throw new OutboxError('validation', `${problems.join('; ')}. Nothing was removed.`);
  const given = entries as string[];

  const keys = hasEmails ? given.map(addressKey) : given.map((id) => id.trim().toLowerCase());
  const found = hasEmails ? await deps.suppressions.findMany(keys) : await findByIds(deps.suppressions, keys);
  const removed = new Set<string>();
  await mapConcurrently([...found.values()], async (record) => {
    if (await deps.suppressions.remove(record.email)) removed.add(record.id);
  });
  return {
    data: keys.map((key) => {
      const record = found.get(key);
      return { object: 'suppression', id: record?.id ?? key, deleted: record !== undefined && removed.has(record.id) };
    }),
  };
}

/**
 * One page of the list, newest first (`GET /suppressions?limit&after&origin`).
 * 1. Validates the query: `limit` 1-100 (default 20), `after` a suppression id, `origin` one of
 *    bounce, complaint, manual. `before` is refused: pages go forward with `after` only.
 * 2. Reads one page after the cursor.
 * Throws `validation` naming every bad parameter. Read-only.
 */
export async function listSuppressions(
  deps: SuppressionsDeps,
  query: Readonly<Record<string, string>>,
): Promise<SuppressionListView> {
  const problems: string[] = [];
  const limit = parseListLimit(query, problems);
  const after = present(query.after)?.toLowerCase();
  if (after !== undefined && !isUuid(after)) {
    problems.push(`\`after\` must be the id of a suppression (the last one of the previous page), not ${describeValue(query.after)}`);
  }
  if (present(query.before) !== undefined) {
    problems.push('`before` is not supported: list from the newest and page forward with `after`, the id of the last suppression of the previous page');
  }
  let origin: SuppressionOrigin | undefined;
  if (query.origin !== undefined) {
    if ((ORIGINS as readonly string[]).includes(query.origin)) origin = query.origin as SuppressionOrigin;
    else problems.push(`\`origin\` must be one of ${ORIGINS.join(', ')}, not ${describeValue(query.origin)}`);
  }
  if (problems.length > 0) throw new OutboxError('validation', `${problems.join('; ')}.`);

  const { records, hasMore } = await deps.suppressions.list({ limit, ...(origin ? { origin } : {}), ...(after ? { after } : {}) });
  return { object: 'list', data: records.map(toListEntry), has_more: hasMore };
}

export function toSuppressionView(record: SuppressionRecord): SuppressionView {
  return { object: 'suppression', ...toListEntry(record) };
}

function toListEntry(record: SuppressionRecord): SuppressionListEntry {
  return { id: record.id, email: record.email, origin: record.origin, source_id: record.sourceId, created_at: record.createdAt };
}

type Suppressible = { ok: true; address: string } | { ok: false; reason: string };

/** Whether a value may be added by hand: a valid address outside the mailbox simulator. */
function checkSuppressible(value: unknown): Suppressible {
  if (typeof value !== 'string') return { ok: false, reason: 'must be a string' };
  const parsed = parseMailbox(value);
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  const address = normalizeAddress(parsed.mailbox.address);
  if (address.endsWith(`@${SIMULATOR_DOMAIN}`)) {
    return {
      ok: false,
      reason: `is an Amazon SES mailbox simulator address; the simulator is never suppressed, so its bounce and complaint addresses keep working for tests`,
    };
  }
  return { ok: true, address };
}

/**
 * The list key for an address given to look up or remove. Lenient on purpose: an address the
 * parser refuses may still have been listed from an SES event, so it is only lower-cased.
 */
function addressKey(input: string): string {
  const parsed = parseMailbox(input);
  return normalizeAddress(parsed.ok ? parsed.mailbox.address : input.trim());
}

async function lookUp(suppressions: SuppressionList, idOrEmail: string): Promise<SuppressionRecord | undefined> {
  if (idOrEmail.includes('@')) return suppressions.get(addressKey(idOrEmail));
  const id = idOrEmail.trim().toLowerCase();
  return isUuid(id) ? suppressions.getById(id) : undefined;
}

async function findByIds(suppressions: SuppressionList, ids: readonly string[]): Promise<Map<string, SuppressionRecord>> {
  const records = await mapConcurrently([...new Set(ids.filter(isUuid))], (id) => suppressions.getById(id));
  return new Map(records.filter((r) => r !== undefined).map((record) => [record.id, record]));
}

function requireList(body: Readonly<Record<string, unknown>>, field: string): unknown[] {
  const value = body[field];
  if (value === undefined || value === null) {
    throw new OutboxError('missing_field', `Give \`${field}\` as a list of 1 to ${MAX_BATCH_SIZE} entries.`);
  }
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_BATCH_SIZE) {
    const size = Array.isArray(value) ? `${value.length} entries` : 'not a list';
    throw new OutboxError('validation', `\`${field}\` must be a list of 1 to ${MAX_BATCH_SIZE} entries; it has ${size}.`);
  }
  return value as unknown[];
}

function manualRecord(deps: SuppressionsDeps, address: string): SuppressionRecord {
  const now = deps.clock.now();
  return { id: uuidv7(now.getTime()), email: address, origin: 'manual', sourceId: null, createdAt: now.toISOString() };
}

function ref(record: SuppressionRecord): SuppressionRef {
  return { object: 'suppression', id: record.id };
}

function notFound(idOrEmail: string): OutboxError {
  return new OutboxError('not_found', `Suppression ${describeValue(idOrEmail)} not found.`);
}

function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}


async function mapConcurrently<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, items.length) }, worker));
  return results;
}
