import type { Principal } from './api-keys';
import type { EmailRecord } from './email';
import { OutboxError } from './errors';
import { uuidv7 } from './ids';
import type { Clock, EmailSender, EmailStore } from './ports';
import { parseSendRequest } from './send-request';

export interface SendEmailDeps {
  readonly emails: EmailStore;
  readonly sender: EmailSender;
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
 * 2. Store the email as `queued`, so a crash after this point leaves a visible record.
 * 3. Hand it to SES with the configuration set and the `outbox-message-id` tag.
 * 4. If SES refuses it, discard the record and rethrow: nothing was sent, nothing is claimed.
 * 5. Record the SES message ID and `sent`. If only this write fails, the email was still sent: the
 *    answer is the id, and SES's Send event (which carries the tag) repairs the record later.
 *
 * Not idempotent by itself; the Idempotency-Key layer makes retries safe.
 */
export async function sendEmail(deps: SendEmailDeps, principal: Principal, body: unknown): Promise<{ id: string }> {
  const draft = parseSendRequest(body);
  const now = deps.clock.now();
  const email: EmailRecord = {
    ...draft,
    id: uuidv7(now.getTime()),
    createdAt: now.toISOString(),
    apiKeyId: principal.keyId,
    lastEvent: 'queued',
    expiresAt: Math.floor(now.getTime() / 1000) + deps.retentionDays * 86_400,
  };
  await deps.emails.create(email);

  let sesMessageId: string;
  try {
    sesMessageId = await deps.sender.send(draft, { emailId: email.id, configurationSet: deps.configurationSet });
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
