import { acceptEmail, type AcceptEmailDeps, type AcceptedEmail } from './accept-email';
import type { Principal } from './api-keys';
import { scanDraft, type ContentScanDeps } from './content-scan';
import { OutboxError } from './errors';
import { notifyScheduled, type Notify } from './notifications';
import type { OutboundQueue } from './outbound';
import type { EmailSender } from './ports';
import { scheduledAtOf } from './schedule';
import type { SendingPause } from './send-rate';
import { heldPauseMessage } from './sending-control';
import { parseSendRequest } from './send-request';

export interface SendEmailDeps extends AcceptEmailDeps, ContentScanDeps {
  readonly sender: EmailSender;
  /** Where an email SES throttled goes to be sent later (see deliverNow); absent, it answers 429. */
  readonly outbound?: OutboundQueue;
  readonly configurationSet?: string;
  /** The shared sending pause: while Outbox holds it, a sync send is refused before anything is stored. Absent: not checked. */
  readonly pause?: SendingPause;
  /** Reports a failure that does not change the answer (the email was sent regardless). */
  readonly warn?: (message: string, error: unknown) => void;
  /** Sends `email.scheduled` for a scheduled email. Absent: nobody is told. */
  readonly notify?: Notify;
}

/**
 * Sends one email synchronously through SES.
 *
 * 1. Validate the body (throws validation errors; nothing stored), then scan its content:
 *    blocked attachment types, the EICAR signature, ClamAV when configured (see scanDraft).
 * 2. Sending held paused (sending-control.ts): 503 saying why and how to resume; nothing stored,
 *    nothing sent (see refuseWhileHeld).
 * 3. Accept it: suppression check, then stored as `queued` (see acceptEmail).
 * 4. Hand it to SES with the configuration set and the `outbox-message-id` tag (see deliverNow).
 *
 * With `scheduled_at` (see parseScheduledAt) step 3 stores it as `scheduled` with its time, in the
 * due-time index, `email.scheduled` is notified (see notifyScheduled), and step 4 is left to the
 * scheduler (releaseDueEmails) when it is due; a pause does not refuse it: it waits queued like
 * any email the sender sends.
 *
 * Not idempotent by itself; the Idempotency-Key layer makes retries safe.
 */
export async function sendEmail(deps: SendEmailDeps, principal: Principal, body: unknown): Promise<{ id: string }> {
  const draft = parseSendRequest(body);
  await scanDraft(deps, draft);
  const scheduledAt = scheduledAtOf(body, deps.clock.now());
  if (scheduledAt !== undefined) {
    const scheduled = await acceptEmail(deps, principal, draft, 'scheduled', scheduledAt);
    await notifyScheduled(deps, scheduled);
    return { id: scheduled.email.id };
  }
  await refuseWhileHeld(deps);
  const accepted = await acceptEmail(deps, principal, draft, 'queued', undefined, { sendingNow: true });
  await deliverNow(deps, accepted);
  return { id: accepted.email.id };
}

/**
 * Hands an accepted email to SES now.
 *
 * - SES refuses it: the record is discarded and the error rethrown; nothing was sent, nothing is
 *   claimed.
 * - SES throttles it: it stays `queued` and goes on the outbound queue, where the sender sends it
 *   paced to the account's rate; the caller gets its id as usual. (If it cannot be queued, it is
 *   discarded and the answer is 429.)
 * - SES says sending is paused (or the account suspended): discarded, and a 503 says so. A sync
 *   send is refused rather than kept, because an error answer carries no id, and an email the
 *   caller cannot name or see would still go out later; queued emails (batches, scheduled ones)
 *   stay queued and go once sending resumes.
 * - SES takes it: the SES message ID and `sent` are recorded. If only this write fails, the email
 *   was still sent: SES's Send event (which carries the tag) repairs the record later.
 */
export async function deliverNow(deps: SendEmailDeps, { email, sendable }: AcceptedEmail): Promise<void> {
  let sesMessageId: string;
  try {
    sesMessageId = await deps.sender.send(sendable, { emailId: email.id, configurationSet: deps.configurationSet });
  } catch (error) {
    if (error instanceof OutboxError && error.kind === 'rate_limited' && (await queueForLater(deps, email.id))) return;
    await deps.emails.discard(email.id).catch((discardError: unknown) => deps.warn?.(`could not discard refused email ${email.id}`, discardError));
    if (error instanceof OutboxError && error.kind === 'sending_paused') throw pausedRefusal(error);
    throw error instanceof OutboxError
      ? error
      : new OutboxError('unavailable', 'SES could not be reached; nothing was sent. Please try again.', { cause: error });
  }

  try {
    // Every caller stored the email `sendingNow` (acceptEmail) just before.
    await deps.emails.markSent(email.id, sesMessageId, { sendingNow: true });
  } catch (error) {
    deps.warn?.(`email ${email.id} was sent as ${sesMessageId} but the record was not updated`, error);
  }
}

/**
 * Throws `sending_paused` (503) while Outbox holds the sending pause, saying why and how to
 * resume. Only the held pause: SES's own short pause is SES's to answer (deliverNow).
 */
export async function refuseWhileHeld(deps: Pick<SendEmailDeps, 'pause'>): Promise<void> {
  const state = await deps.pause?.read();
  if (state?.held) throw new OutboxError('sending_paused', heldPauseMessage(state));
}

/** Puts a throttled email on the outbound queue; false (and a warning) if it could not. */
async function queueForLater(deps: SendEmailDeps, emailId: string): Promise<boolean> {
  if (!deps.outbound) return false;
  try {
    // A second's delay: SES has just said the current second is full.
    await deps.outbound.enqueue([{ emailId }], 1);
    return true;
  } catch (error) {
    deps.warn?.(`SES throttled email ${emailId} and it could not be queued; it is refused with 429`, error);
    return false;
  }
}

function pausedRefusal(cause: OutboxError): OutboxError {
  return new OutboxError(
    'sending_paused',
    `${cause.message} This email was not sent and not kept: send it again once sending resumes. Emails sent with POST /emails/batch, and scheduled ones, stay queued and go out when sending resumes.`,
    { cause },
  );
}
