import { normalizeAddress } from './addresses';
import type { Principal } from './api-keys';
import { recipientsOf, type EmailDraft, type EmailRecord } from './email';
import { OutboxError } from './errors';
import { uuidv7 } from './ids';
import type { Clock, EmailSender, EmailStore } from './ports';
import { parseSendRequest } from './send-request';
import type { SuppressionList } from './suppression';

export interface SendEmailDeps {
  readonly emails: EmailStore;
  readonly sender: EmailSender;
  readonly suppressions: SuppressionList;
  readonly clock: Clock;
  readonly configurationSet?: string;
  readonly retentionDays: number;
  /** Reports a failure that does not change the answer (the email was sent regardless). */
  readonly warn?: (message: string, error: unknown) => void;
}

/**
 * Sends one email synchronously through SES.
 *
 * 1. Validate the body (throws validation errors; nothing stored).
 * 2. Check every recipient against the suppression list in one batched read. All suppressed:
 *    refuse. Some: send to the rest and show the suppressed ones as `suppressed` on the email.
 * 3. Store the email as `queued`, so a crash after this point leaves a visible record.
 * 4. Hand it to SES with the configuration set and the `outbox-message-id` tag.
 * 5. If SES refuses it, discard the record and rethrow: nothing was sent, nothing is claimed.
 * 6. Record the SES message ID and `sent`. If only this write fails, the email was still sent: the
 *    answer is the id, and SES's Send event (which carries the tag) repairs the record later.
 *
 * Not idempotent by itself; the Idempotency-Key layer makes retries safe.
 */
export async function sendEmail(deps: SendEmailDeps, principal: Principal, body: unknown): Promise<{ id: string }> {
  const draft = parseSendRequest(body);
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
    lastEvent: 'queued',
    expiresAt: Math.floor(now.getTime() / 1000) + deps.retentionDays * 86_400,
  };
  await deps.emails.create(email);

  let sesMessageId: string;
  try {
    sesMessageId = await deps.sender.send(withoutSuppressed(draft, suppressed), { emailId: email.id, configurationSet: deps.configurationSet });
  } catch (error) {
    await deps.emails.discard(email.id).catch((discardError: unknown) => deps.warn?.(`could not discard refused email ${email.id}`, discardError));
    throw error instanceof OutboxError
      ? error
      : new OutboxError('unavailable', 'SES could not be reached; nothing was sent. Please try again.', { cause: error });
  }

  try {
    await deps.emails.markSent(email.id, sesMessageId);
  } catch (error) {
    deps.warn?.(`email ${email.id} was sent as ${sesMessageId} but the record was not updated`, error);
  }
  return { id: email.id };
}

function withoutSuppressed(draft: EmailDraft, suppressed: ReadonlyMap<string, unknown>): EmailDraft {
  if (suppressed.size === 0) return draft;
  const keep = (list: EmailDraft['to']) => list.filter((m) => !suppressed.has(normalizeAddress(m.address)));
  return { ...draft, to: keep(draft.to), cc: keep(draft.cc), bcc: keep(draft.bcc) };
}
