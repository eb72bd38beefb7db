import { randomUUID } from 'node:crypto';
import { withoutSuppressed } from './accept-email';
import { recipientsOf, type EmailDraft, type EmailRecord, type LastEvent, type SendFailure } from './email';
import { OutboxError } from './errors';
import { failedSendNotification, type Notify } from './notifications';
import type { OutboundJob } from './outbound';
import type { Clock, EmailSender, EmailStore } from './ports';
import { backoffSeconds, type SendingPause, type SendRateGovernor, type SesAccount } from './send-rate';

/** Where a claim attempt found the email, when it could not claim it. */
export interface ClaimState {
  readonly lastEvent: LastEvent;
  readonly sesMessageId?: string;
  /** Epoch milliseconds at which the current or last unreleased claim ends. */
  readonly claimUntil?: number;
}

export type ClaimResult = { readonly claimed: true } | { readonly claimed: false; readonly state?: ClaimState };

/**
 * The send lease on an email item, so two senders never send one email at once, and an attempt
 * that may have reached SES is remembered. Every method is one conditional write on the email.
 */
export interface SendClaims {
  /**
   * Claims the email until `until` (epoch ms). Succeeds only while it is `queued`, has no SES
   * message ID, and carries no claim, or one that ended before `staleBefore` (epoch ms).
   * Otherwise returns where the email stands (no `state`: it does not exist). Taking over a claim
   * that ended without a release, it first looks for an SES event of the email in its timeline:
   * if there is one, SES took the message, so the email is recorded `sent` with that SES message
   * ID and the claim is refused with that state.
   */
  claim(emailId: string, token: string, times: { until: number; staleBefore: number }): Promise<ClaimResult>;
  /**
   * Drops our claim: SES was not called, or refused the message, so nothing was sent. Records
   * `at` (epoch ms) as when a sender last gave the email back, which the scheduler's sweep reads
   * as a job at work (it is waiting for a send slot or a retry).
   */
  release(emailId: string, token: string, at: number): Promise<void>;
  /** Ends our claim at `at` without knowing whether SES took the message (a timeout, a 5xx). */
  endUncertain(emailId: string, token: string, at: number): Promise<void>;
  /** SES refused the message for good: `last_event` becomes `failed`, with the reason. */
  markFailed(emailId: string, token: string, failure: SendFailure): Promise<void>;
}

/** Tuning of the sender; the defaults suit the deployed sender (30 s Lambda timeout). */
export interface OutboundSenderSettings {
  /** How long a claim lasts: longer than one attempt can take (the Lambda's 30 s timeout). */
  readonly leaseMs: number;
  /**
   * After an attempt that may have reached SES (a crash, a timeout), how long to wait for SES's
   * Send event to record the SES message ID before sending again.
   */
  readonly sendEventGraceMs: number;
  /** How long a SendingPaused answer pauses every sender before SES is asked again; how often a held pause is looked at. */
  readonly pauseMs: number;
  /** The longest a sender waits in process for a send slot before handing the job back. */
  readonly maxInlineWaitMs: number;
  /** The longest retry delay for a throttled or failed SES call. */
  readonly maxBackoffSeconds: number;
}

export const DEFAULT_OUTBOUND_SENDER_SETTINGS: OutboundSenderSettings = {
  leaseMs: 60_000,
  sendEventGraceMs: 300_000,
  pauseMs: 60_000,
  maxInlineWaitMs: 5_000,
  maxBackoffSeconds: 300,
};

export interface OutboundSenderDeps {
  /** Read with the whole draft (attachments and content kept elsewhere included). */
  readonly emails: EmailStore;
  readonly claims: SendClaims;
  readonly sender: EmailSender;
  readonly governor: SendRateGovernor;
  readonly pause: SendingPause;
  /** GetAccount, to see whether a pause that ran out is over. Absent: the next send finds out. */
  readonly account?: SesAccount;
  readonly clock: Clock;
  readonly configurationSet?: string;
  readonly random: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: (message: string, error?: unknown) => void;
  readonly settings?: Partial<OutboundSenderSettings>;
  /** Sends `email.failed` to the notifications topic and the webhooks. Absent: nobody is told. */
  readonly notify?: Notify;
}

export type RetryReason = 'claimed_elsewhere' | 'awaiting_send_event' | 'paused' | 'pacing' | 'throttled' | 'unavailable';

/** What became of one job: finished (the queue may forget it), or to be tried again later. */
export type OutboundOutcome =
  | { readonly kind: 'done'; readonly result: 'sent'; readonly sesMessageId: string }
  | { readonly kind: 'done'; readonly result: 'failed'; readonly failure: SendFailure }
  | { readonly kind: 'done'; readonly result: 'missing' | 'already_sent' | 'not_queued'; readonly lastEvent?: LastEvent }
  | { readonly kind: 'retry'; readonly reason: RetryReason; readonly retryAfterSeconds: number };

/** Delays a job's next delivery (SQS: its visibility timeout). */
export interface OutboundRetry {
  retryAfter(receiptHandle: string, seconds: number): Promise<void>;
}

/**
 * Sends one queued email to SES, once, paced to the account's rate. `attempt` is the job's
 * delivery count (1 on the first), which sizes the backoff.
 *
 * 1. Load the email. Missing (past retention, discarded): done. An SES message ID, or a
 *    `last_event` other than `queued` (sent, canceled, failed; `scheduled` means a stale job, as
 *    the scheduler makes an email `queued` before queuing it): done, nothing sent. An SES event in
 *    its timeline (they carry Outbox's id) means SES took it though the record never said so (an
 *    api or a sender that stopped between SES's answer and recording it, whose email the
 *    scheduler's sweep queued again): it is recorded `sent` with that SES message ID, not sent again.
 * 2. Sending paused (the shared flag; once it runs out, GetAccount is asked whether SES sends
 *    again): retry when the pause ends. Held by Outbox (sending-control.ts): retry after
 *    `pauseMs`, GetAccount never asked, until a person resumes. The email stays `queued`.
 * 3. Claim it with a lease (a conditional write), so no other sender sends it meanwhile. Held by
 *    another sender: retry when the lease ends. A claim that ran out without a release means an
 *    attempt that may have reached SES (a crash, a timeout): wait `sendEventGraceMs` for SES's Send
 *    event, which carries Outbox's id and lands in the email's timeline; the claim that then
 *    takes over finds it there and records the email sent (SendClaims.claim), and only without
 *    one is it sent again. Residual risk: if that event is not recorded within the grace period
 *    (the events pipeline down or far behind), an email SES did take goes out a second time.
 * 4. Take send slots for its recipients (the governor), waiting in process up to
 *    `maxInlineWaitMs`; longer: release the claim and retry when slots are due.
 * 5. SendEmail, the suppressed recipients left out.
 *    - accepted: record the SES message ID and `sent` (if that write fails, the email still reads as
 *      sent: GET folds in its Send event);
 *    - throttled (TooManyRequests, Throttling, LimitExceeded): release, retry with backoff, never
 *      `failed`;
 *    - sending paused or account suspended: set the shared pause, release, retry after it;
 *    - refused for good (content, unverified sender, bad request, a permission IAM denies):
 *      `email.failed` is notified,
 *      then the email marked `failed` with SES's reason, visible on GET /emails/{id}; not retried.
 *      Notified first, so a crash in between retries and notifies again under the same event key
 *      (at least once, as SES events are); a failed notification releases the claim and throws;
 *    - anything else (SES unreachable, a timeout, a 5xx): it may have been sent, so the claim ends
 *      as uncertain and the retry waits for the Send event as in 3.
 *
 * Every path ends in `sent`, `failed` or a retry; store failures throw (after releasing a claim
 * that SES never saw), and the caller retries the job. Idempotent per email.
 */
export async function sendQueuedEmail(deps: OutboundSenderDeps, job: OutboundJob, attempt: number): Promise<OutboundOutcome> {
  const settings = { ...DEFAULT_OUTBOUND_SENDER_SETTINGS, ...deps.settings };
  const details = await deps.emails.get(job.emailId);
  if (!details) {
    deps.log(`Outbound job for email ${job.emailId}: no such email (discarded or past retention); nothing to send`);
    return { kind: 'done', result: 'missing' };
  }
  const { email } = details;
  if (email.sesMessageId !== undefined) return { kind: 'done', result: 'already_sent', lastEvent: email.lastEvent };
  if (email.lastEvent !== 'queued') return { kind: 'done', result: 'not_queued', lastEvent: email.lastEvent };
  const taken = details.events[0];
  if (taken) {
    await deps.emails.markSent(email.id, taken.sesMessageId);
    return { kind: 'done', result: 'already_sent', lastEvent: 'sent' };
  }

  const paused = await remainingPause(deps, settings);
  if (paused?.held) return retry('paused', settings.pauseMs / 1000, deps.random);
  if (paused) return retry('paused', Math.max(paused.ms / 1000, backoffSeconds(attempt, deps.random, 2, settings.maxBackoffSeconds)), deps.random);

  const token = randomUUID();
  const now = deps.clock.now().getTime();
  const claim = await deps.claims.claim(email.id, token, { until: now + settings.leaseMs, staleBefore: now - settings.sendEventGraceMs });
  if (!claim.claimed) return afterLostClaim(claim.state, now, settings, deps.random);

  const sendable = withoutSuppressed(email, new Set(email.suppressedRecipients ?? []));
  const recipients = recipientsOf(sendable).length;
  let sesMessageId: string;
  try {
    const waitMs = await takeSlots(deps, recipients, settings.maxInlineWaitMs);
    if (waitMs !== undefined) {
      await releaseQuietly(deps, email.id, token);
      return retry('pacing', waitMs / 1000, deps.random);
    }
  } catch (error) {
    await releaseQuietly(deps, email.id, token);
    throw error;
  }

  try {
    sesMessageId = await deps.sender.send(sendable, { emailId: email.id, configurationSet: deps.configurationSet });
  } catch (error) {
    return settleRefusal(deps, settings, email, sendable, token, error, attempt);
  }
  try {
    await deps.emails.markSent(email.id, sesMessageId);
  } catch (error) {
    deps.log(`Email ${email.id} was sent as ${sesMessageId} but the record was not updated; its Send event shows it sent`, error);
  }
  return { kind: 'done', result: 'sent', sesMessageId };
}

/** Error kinds after which SES certainly sent nothing and never will in this form. */
const DEFINITIVE_REFUSALS = new Set([
  'message_rejected',
  'sender_not_verified',
  // IAM refused the call: the deployment must change before SES can take it.
  'ses_access_denied',
  'validation',
  'invalid_from',
  'invalid_attachment',
  'missing_field',
]);

async function settleRefusal(
  deps: OutboundSenderDeps,
  settings: OutboundSenderSettings,
  email: EmailRecord,
  sendable: EmailDraft,
  token: string,
  error: unknown,
  attempt: number,
): Promise<OutboundOutcome> {
  const emailId = email.id;
  const kind = error instanceof OutboxError ? error.kind : undefined;
  const now = deps.clock.now().getTime();
  if (kind === 'rate_limited') {
    await releaseQuietly(deps, emailId, token);
    return retry('throttled', backoffSeconds(attempt, deps.random, 2, settings.maxBackoffSeconds), deps.random);
  }
  if (kind === 'sending_paused') {
    await releaseQuietly(deps, emailId, token);
    await deps.pause.set({ until: now + settings.pauseMs, reason: (error as OutboxError).message });
    deps.log(`SES says sending is paused; every sender waits ${settings.pauseMs / 1000} s, then asks again. Email ${emailId} stays queued.`);
    return retry('paused', settings.pauseMs / 1000, deps.random);
  }
  if (kind !== undefined && DEFINITIVE_REFUSALS.has(kind)) {
    const outboxError = error as OutboxError;
    const failure: SendFailure = { name: outboxError.code, message: outboxError.message, failedAt: new Date(now).toISOString() };
    if (deps.notify) {
      const { payload, eventKey, orderedAt } = failedSendNotification(email, recipientsOf(sendable).map((r) => r.address), failure);
      try {
        await deps.notify(payload, eventKey, orderedAt);
      } catch (notifyError) {
        // SES took nothing: released, the retry sends at once instead of waiting for a Send event.
        await releaseQuietly(deps, emailId, token);
        throw notifyError;
      }
    }
    await deps.claims.markFailed(emailId, token, failure);
    return { kind: 'done', result: 'failed', failure };
  }
  // SES may have taken it (a timeout, a 5xx after the fact): wait for its Send event before trying again.
  deps.log(`Email ${emailId}: SES did not answer clearly; waiting ${settings.sendEventGraceMs / 1000} s for a Send event before sending again`, error);
  await deps.claims.endUncertain(emailId, token, now).catch((endError: unknown) => deps.log(`could not end the send claim on email ${emailId}; it runs out by itself`, endError));
  return retry('unavailable', Math.max(settings.sendEventGraceMs / 1000, backoffSeconds(attempt, deps.random, 2, settings.maxBackoffSeconds)), deps.random);
}

/** When the claim was refused: done if the email moved on, else retry when the claim is due. */
function afterLostClaim(state: ClaimState | undefined, now: number, settings: OutboundSenderSettings, random: () => number): OutboundOutcome {
  if (!state) return { kind: 'done', result: 'missing' };
  if (state.sesMessageId !== undefined) return { kind: 'done', result: 'already_sent', lastEvent: state.lastEvent };
  if (state.lastEvent !== 'queued') return { kind: 'done', result: 'not_queued', lastEvent: state.lastEvent };
  if (state.claimUntil !== undefined && state.claimUntil > now) return retry('claimed_elsewhere', (state.claimUntil - now) / 1000, random);
  if (state.claimUntil !== undefined && state.claimUntil + settings.sendEventGraceMs > now) {
    return retry('awaiting_send_event', (state.claimUntil + settings.sendEventGraceMs - now) / 1000, random);
  }
  // Released or stale between our read and our write: another sender is at it; look again soon.
  return retry('claimed_elsewhere', 1, random);
}

/**
 * Takes send slots, waiting in process while the wait stays within `budgetMs`. Returns undefined
 * once taken, or the wait still ahead.
 */
async function takeSlots(deps: OutboundSenderDeps, recipients: number, budgetMs: number): Promise<number | undefined> {
  let waited = 0;
  for (;;) {
    const decision = await deps.governor.acquire(recipients);
    if (decision.ok) return undefined;
    if (waited + decision.waitMs > budgetMs) return decision.waitMs;
    await deps.sleep(decision.waitMs);
    waited += decision.waitMs;
  }
}

/**
 * How much longer sending stays paused; undefined when it is not. A held pause: `held`, for as
 * long as it stands (no backoff: once a person resumes, queued emails go within `pauseMs`). A
 * short pause that ran out is checked
 * with GetAccount: still disabled, it is set again; otherwise cleared (conditionally, so a pause
 * set meanwhile by another sender stays).
 */
async function remainingPause(deps: OutboundSenderDeps, settings: OutboundSenderSettings): Promise<{ ms: number; held?: true } | undefined> {
  const state = await deps.pause.read();
  if (!state) return undefined;
  // Outbox's own pause: only a person ends it, whatever SES says, so GetAccount is not asked.
  if (state.held) return { ms: settings.pauseMs, held: true };
  const now = deps.clock.now().getTime();
  if (state.until > now) return { ms: state.until - now };
  if (deps.account) {
    try {
      const account = await deps.account.get();
      if (!account.sendingEnabled) {
        await deps.pause.set({ until: now + settings.pauseMs, reason: state.reason });
        return { ms: settings.pauseMs };
      }
    } catch (error) {
      // The next SendEmail answers the question instead.
      deps.log('GetAccount failed while checking whether sending is still paused', error);
    }
  }
  await deps.pause.clear(state.until).catch((error: unknown) => deps.log('could not clear the sending-paused flag', error));
  return undefined;
}

async function releaseQuietly(deps: OutboundSenderDeps, emailId: string, token: string): Promise<void> {
  try {
    await deps.claims.release(emailId, token, deps.clock.now().getTime());
  } catch (error) {
    // The claim then runs out by itself and the retry waits for the grace period: late, never twice.
    deps.log(`could not release the send claim on email ${emailId}`, error);
  }
}

/** A retry after `seconds`, rounded up to whole seconds with up to 10% jitter, at least 1. */
function retry(reason: RetryReason, seconds: number, random: () => number): OutboundOutcome {
  const jittered = seconds * (1 + random() * 0.1);
  return { kind: 'retry', reason, retryAfterSeconds: Math.max(1, Math.ceil(jittered)) };
}
