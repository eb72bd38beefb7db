import { acceptEmail, type AcceptEmailDeps, type AcceptedEmail } from './accept-email';
import type { Principal } from './api-keys';
import { scanDraft, type ContentScanDeps } from './content-scan';
import { OutboxError } from './errors';
import type { EmailSender } from './ports';
import { scheduledAtOf } from './schedule';
import { parseSendRequest } from './send-request';

export interface SendEmailDeps extends AcceptEmailDeps, ContentScanDeps {
  readonly sender: EmailSender;
  readonly configurationSet?: string;
  /** Reports a failure that does not change the answer (the email was sent regardless). */
  readonly warn?: (message: string, error: unknown) => void;
}

/**
 * Sends one email synchronously through SES.
 *
 * 1. Validate the body (throws validation errors; nothing stored), then scan its content:
 *    blocked attachment types, the EICAR signature, ClamAV when configured (see scanDraft).
 * 2. Accept it: suppression check, then stored as `queued` (see acceptEmail).
 * 3. Hand it to SES with the configuration set and the `outbox-message-id` tag (see deliverNow).
 *
 * With `scheduled_at` (see parseScheduledAt) step 2 stores it as `scheduled` with its time, in the
 * due-time index, and step 3 is left to the scheduler (releaseDueEmails) when it is due.
 *
 * Not idempotent by itself; the Idempotency-Key layer makes retries safe.
 */
export async function sendEmail(deps: SendEmailDeps, principal: Principal, body: unknown): Promise<{ id: string }> {
  const draft = parseSendRequest(body);
  await scanDraft(deps, draft);
  const scheduledAt = scheduledAtOf(body, deps.clock.now());
  if (scheduledAt !== undefined) {
    return { id: (await acceptEmail(deps, principal, draft, 'scheduled', scheduledAt)).email.id };
  }
  const accepted = await acceptEmail(deps, principal, draft);
  await deliverNow(deps, accepted);
  return { id: accepted.email.id };
}

/**
 * Hands an accepted email to SES now.
 *
 * - SES refuses it: the record is discarded and the error rethrown; nothing was sent, nothing is
 *   claimed.
 * - SES takes it: the SES message ID and `sent` are recorded. If only this write fails, the email
 *   was still sent: SES's Send event (which carries the tag) repairs the record later.
 */
export async function deliverNow(deps: SendEmailDeps, { email, sendable }: AcceptedEmail): Promise<void> {
  let sesMessageId: string;
  try {
    sesMessageId = await deps.sender.send(sendable, { emailId: email.id, configurationSet: deps.configurationSet });
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
}
