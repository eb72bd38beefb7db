import { normalizeAddress } from './addresses';
import type { Principal } from './api-keys';
import { recipientsOf, type EmailDraft, type EmailRecord, type LastEvent } from './email';
import { OutboxError } from './errors';
import { uuidv7 } from './ids';
import type { Clock, CreateOptions, EmailStore } from './ports';
import type { SuppressionList } from './suppression';

export interface AcceptEmailDeps {
  readonly emails: EmailStore;
  readonly suppressions: SuppressionList;
  readonly clock: Clock;
  readonly retentionDays: number;
}

/** An email Outbox has taken responsibility for: stored, and what SES should get. */
export interface AcceptedEmail {
  readonly email: EmailRecord;
  /** The draft without the suppressed recipients: what goes to SES. */
  readonly sendable: EmailDraft;
}

/**
 * Takes responsibility for one validated email, whichever path it goes out by (now, queued in a
 * batch, or scheduled).
 *
 * 1. Check every recipient against the suppression list in one batched read. All suppressed:
 *    refuse (`all_recipients_suppressed`), nothing stored. Some: they stay on the record as
 *    suppressed and leave the sendable draft.
 * 2. Store the email in its first state (`queued`, or `scheduled`), so from here on it has a
 *    visible record and ends in a final state. A `queued` one is stored for the sweep to find by
 *    its creation time, without a check entry, and `sendingNow` when the caller hands it to SES
 *    at once (a sync send); see EmailStore.create.
 *
 * Not idempotent: each call makes a new email (the Idempotency-Key layer guards retries).
 */
export async function acceptEmail(
  deps: AcceptEmailDeps,
  principal: Principal,
  draft: EmailDraft,
  initial: Extract<LastEvent, 'queued' | 'scheduled'> = 'queued',
  /** For `scheduled`: when it is due (ISO 8601, UTC). Retention then counts from this time. */
  scheduledAt?: string,
  options: Pick<CreateOptions, 'sendingNow'> = {},
): Promise<AcceptedEmail> {
  const addresses = [...new Set(recipientsOf(draft).map((r) => normalizeAddress(r.address)))];
  const suppressed = await deps.suppressions.findMany(addresses);
  if (suppressed.size === addresses.length) {
    const reasons = [...suppressed.values()].map((s) => `${s.email} (${s.origin}, since ${s.createdAt})`).join(', ');
    throw new OutboxError(
      'all_recipients_suppressed',
      `Every recipient is on the suppression list, so nothing was sent: ${reasons}. Remove an address with DELETE /suppressions/{email} only if you know it can receive mail again.`,
    );
  }
  const now = deps.clock.now();
  const email: EmailRecord = {
    ...draft,
    ...(suppressed.size > 0 ? { suppressedRecipients: [...suppressed.keys()] } : {}),
    id: uuidv7(now.getTime()),
    createdAt: now.toISOString(),
    apiKeyId: principal.keyId,
    lastEvent: initial,
    ...(scheduledAt !== undefined ? { scheduledAt } : {}),
    expiresAt: Math.floor(Math.max(now.getTime(), scheduledAt !== undefined ? Date.parse(scheduledAt) : 0) / 1000) + deps.retentionDays * 86_400,
  };
  await deps.emails.create(email, initial === 'queued' ? { findByCreation: true, ...(options.sendingNow ? { sendingNow: true } : {}) } : undefined);
  return { email, sendable: withoutSuppressed(draft, suppressed) };
}

/** The draft minus the given lower-cased addresses. */
export function withoutSuppressed(draft: EmailDraft, suppressed: ReadonlyMap<string, unknown> | ReadonlySet<string>): EmailDraft {
  if (suppressed.size === 0) return draft;
  const keep = (list: EmailDraft['to']) => list.filter((m) => !suppressed.has(normalizeAddress(m.address)));
  return { ...draft, to: keep(draft.to), cc: keep(draft.cc), bcc: keep(draft.bcc) };
}
