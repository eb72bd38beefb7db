import { normalizeAddress } from './addresses';
import { acceptEmail, type AcceptEmailDeps, type AcceptedEmail } from './accept-email';
import type { Principal } from './api-keys';
import { scanDraft, type ContentScanDeps } from './content-scan';
import { recipientsOf, type EmailDraft } from './email';
import { OutboxError, type ErrorKind } from './errors';
import { OutboundEnqueueError, type OutboundQueue } from './outbound';
import { scheduledAtOf } from './schedule';
import { parseSendRequest } from './send-request';
import type { SuppressionList, SuppressionRecord } from './suppression';

/** Resend's limit, and Outbox's: emails per POST /emails/batch. */
export const MAX_BATCH_EMAILS = 100;
/** How many emails of a batch are stored at once. */
const STORE_CONCURRENCY = 10;

/**
 * `x-batch-validation`, as the Resend SDK sends it: `strict` (the default) refuses the whole batch
 * if any email is invalid; `permissive` sends the valid ones and reports the others.
 */
export type BatchValidation = 'strict' | 'permissive';

export interface SendBatchDeps extends AcceptEmailDeps, ContentScanDeps {
  /** Where the accepted emails go; the sender sends them paced to the SES rate. */
  readonly outbound?: OutboundQueue;
  readonly warn?: (message: string, error: unknown) => void;
}

export interface BatchError {
  /** The email's position in the request, from 0. */
  readonly index: number;
  readonly message: string;
}

/** The answer, in the Resend SDK's shape: `errors` only in permissive mode (or when queuing failed). */
export interface BatchResult {
  readonly data: { id: string }[];
  readonly errors?: BatchError[];
}

/** The header's value as a mode; throws a validation error for anything else. */
export function parseBatchValidation(header: string | undefined): BatchValidation {
  const value = (header ?? 'strict').trim().toLowerCase();
  if (value === 'strict' || value === 'permissive') return value;
  throw new OutboxError('validation', `\`x-batch-validation\` must be \`strict\` or \`permissive\`, not ${JSON.stringify(header)}.`);
}

/**
 * `POST /emails/batch`: up to 100 emails, each in the `POST /emails` shape, accepted now and sent
 * through the outbound queue, paced to the SES rate.
 *
 * 1. The body must be a JSON array of 1-100 emails (else 400/422, nothing stored).
 * 2. Each email is validated (parseSendRequest, and `scheduled_at` when given) and scanned
 *    (scanDraft: blocked attachment types, EICAR, ClamAV when configured). A scanner that cannot
 *    answer refuses the whole batch with 503, in both modes.
 * 3. Every recipient of every email is checked against the suppression list in one batched read;
 *    an email whose recipients are all suppressed counts as invalid (`all_recipients_suppressed`).
 * 4. Strict: any invalid email refuses the batch with 422, naming each bad index and why, and
 *    nothing is stored. Permissive: invalid emails become `errors: [{ index, message }]`.
 * 5. The valid emails are stored as `queued` (or `scheduled`, with `scheduled_at`). If the store
 *    fails, strict mode removes what it stored and answers 503; permissive reports those emails.
 * 6. The `queued` ones go on the outbound queue. Any the queue would not take are removed and
 *    reported in `errors` (in both modes: the rest are queued already and will be sent, so the
 *    answer must name them; a caller resends only the reported ones).
 *
 * Answers `{ data: [{ id }] }` in request order (permissive: plus `errors`). Not idempotent by
 * itself; the route wraps it with Idempotency-Key.
 */
export async function sendBatch(deps: SendBatchDeps, principal: Principal, body: unknown, mode: BatchValidation): Promise<BatchResult> {
  if (!Array.isArray(body)) {
    throw new OutboxError('malformed_body', 'The body of POST /emails/batch must be a JSON array of emails, each shaped as for POST /emails.');
  }
  if (body.length === 0) throw new OutboxError('validation', 'The batch is empty: send 1 to 100 emails.');
  if (body.length > MAX_BATCH_EMAILS) {
    throw new OutboxError('validation', `A batch holds at most ${MAX_BATCH_EMAILS} emails; this one has ${body.length}. Split it into several batches.`);
  }
  const outbound = deps.outbound;
  if (!outbound) throw new OutboxError('unavailable', 'Batch sending is not available: this Outbox has no outbound queue configured. Nothing was sent.');

  const problems: (BatchError & { kind: ErrorKind })[] = [];
  const valid: { index: number; draft: EmailDraft; scheduledAt?: string }[] = [];
  const now = deps.clock.now();
  for (const [index, item] of body.entries()) {
    try {
      const draft = parseSendRequest(item);
      const scheduledAt = scheduledAtOf(item, now);
      await scanDraft(deps, draft);
      valid.push({ index, draft, ...(scheduledAt !== undefined ? { scheduledAt } : {}) });
    } catch (error) {
      if (!(error instanceof OutboxError) || error.status >= 500) throw error;
      problems.push({ index, kind: error.kind, message: error.message });
    }
  }

  const suppressed = await deps.suppressions.findMany([...new Set(valid.flatMap(({ draft }) => addressesOf(draft)))]);
  const sendable = valid.filter(({ index, draft }) => {
    const addresses = addressesOf(draft);
    if (!addresses.every((address) => suppressed.has(address))) return true;
    const reasons = addresses.map((address) => `${address} (${suppressed.get(address)!.origin})`).join(', ');
    problems.push({ index, kind: 'all_recipients_suppressed', message: `Every recipient is on the suppression list: ${reasons}.` });
    return false;
  });

  if (mode === 'strict' && problems.length > 0) {
    problems.sort((a, b) => a.index - b.index);
    throw new OutboxError(
      problems[0]!.kind,
      `${problems.length} of the ${body.length} emails cannot be sent, so none was (strict batch validation; send \`x-batch-validation: permissive\` to send the valid ones): ${problems.map((p) => `emails[${p.index}]: ${p.message}`).join(' ')}`,
    );
  }

  // The suppression list was read once for the whole batch; acceptEmail reads it from here.
  const acceptDeps: AcceptEmailDeps = { ...deps, suppressions: prefetched(deps.suppressions, suppressed) };
  const stored = await storeAll(acceptDeps, principal, sendable);
  const failedToStore = stored.filter((s) => s.accepted === undefined);
  if (failedToStore.length > 0) {
    if (mode === 'strict') {
      await discardAll(deps, stored.flatMap((s) => (s.accepted ? [s.accepted.email.id] : [])));
      throw new OutboxError('unavailable', 'The emails could not be stored, so none was sent. Please try again.', { cause: failedToStore[0]!.error });
    }
    for (const failed of failedToStore) problems.push({ index: failed.index, kind: 'unavailable', message: 'This email could not be stored, so it was not sent. Send it again.' });
  }

  const accepted = stored.flatMap((s) => (s.accepted ? [{ index: s.index, email: s.accepted.email }] : []));
  const notQueued = await enqueueQueued(deps, outbound, accepted.filter((a) => a.email.lastEvent === 'queued').map((a) => a.email.id));
  for (const a of accepted) {
    if (notQueued.has(a.email.id)) problems.push({ index: a.index, kind: 'unavailable', message: 'This email could not be queued, so it was not sent. Send it again.' });
  }

  const data = accepted.filter((a) => !notQueued.has(a.email.id)).map((a) => ({ id: a.email.id }));
  const errors = problems.sort((a, b) => a.index - b.index).map(({ index, message }) => ({ index, message }));
  return mode === 'permissive' || errors.length > 0 ? { data, errors } : { data };
}

function addressesOf(draft: EmailDraft): string[] {
  return [...new Set(recipientsOf(draft).map((r) => normalizeAddress(r.address)))];
}

/** The suppression list as already read: answers findMany from the map, the rest as the list does. */
function prefetched(list: SuppressionList, found: ReadonlyMap<string, SuppressionRecord>): SuppressionList {
  return Object.assign(Object.create(list) as SuppressionList, {
    findMany: async (emails: readonly string[]) => new Map(emails.flatMap((email) => (found.has(email) ? [[email, found.get(email)!] as const] : []))),
  });
}

async function storeAll(
  deps: AcceptEmailDeps,
  principal: Principal,
  emails: readonly { index: number; draft: EmailDraft; scheduledAt?: string }[],
): Promise<{ index: number; accepted?: AcceptedEmail; error?: unknown }[]> {
  const results: { index: number; accepted?: AcceptedEmail; error?: unknown }[] = [];
  for (let i = 0; i < emails.length; i += STORE_CONCURRENCY) {
    const chunk = emails.slice(i, i + STORE_CONCURRENCY);
    const settled = await Promise.allSettled(
      chunk.map(({ draft, scheduledAt }) =>
        scheduledAt !== undefined ? acceptEmail(deps, principal, draft, 'scheduled', scheduledAt) : acceptEmail(deps, principal, draft),
      ),
    );
    settled.forEach((result, j) => {
      const index = chunk[j]!.index;
      results.push(result.status === 'fulfilled' ? { index, accepted: result.value } : { index, error: result.reason });
    });
  }
  return results;
}

/** Queues the emails; returns the ids the queue would not take, which are then discarded. */
async function enqueueQueued(deps: SendBatchDeps, outbound: OutboundQueue, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  try {
    await outbound.enqueue(ids.map((emailId) => ({ emailId })));
    return new Set();
  } catch (error) {
    deps.warn?.(`a batch could not be queued whole`, error);
    // Without a list of what failed, none is known to be queued; a job that did get through finds its email gone.
    const notQueued = new Set(error instanceof OutboundEnqueueError ? error.notQueued : ids);
    await discardAll(deps, [...notQueued]);
    return notQueued;
  }
}

async function discardAll(deps: SendBatchDeps, ids: readonly string[]): Promise<void> {
  await Promise.all(ids.map((id) => deps.emails.discard(id).catch((error: unknown) => deps.warn?.(`could not discard email ${id}`, error))));
}
