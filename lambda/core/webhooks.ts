/**
 * Webhooks: endpoints that receive Outbox's notifications, signed per the Standard Webhooks spec.
 * This file holds the types and ports shared by the webhooks API, the fan-out in the events
 * pipeline and the delivery worker.
 */

/**
 * The notification types a webhook can subscribe to: Resend's email types (`email.scheduled` when
 * an email is accepted with a `scheduled_at`), Outbox's auto-reply type, and Outbox's account-level types from the reputation guard (ACCOUNT_EVENT_TYPES).
 */
export const WEBHOOK_EVENT_TYPES = [
  'email.sent',
  'email.scheduled',
  'email.delivered',
  'email.delivery_delayed',
  'email.bounced',
  'email.complained',
  'email.opened',
  'email.clicked',
  'email.failed',
  'email.suppressed',
  'email.auto_replied',
  'sending.paused',
  'sending.resumed',
  'deliverability.warning',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The types that are about the account's sending, not about one email. */
export const ACCOUNT_EVENT_TYPES = ['sending.paused', 'sending.resumed', 'deliverability.warning'] as const;
export type AccountEventType = (typeof ACCOUNT_EVENT_TYPES)[number];
export type EmailEventType = Exclude<WebhookEventType, AccountEventType>;

export type WebhookStatus = 'enabled' | 'disabled';

export interface WebhookRecord {
  /** UUIDv7. */
  readonly id: string;
  readonly endpoint: string;
  /** The types it receives; null means every type. */
  readonly events: readonly WebhookEventType[] | null;
  readonly status: WebhookStatus;
  /** Why Outbox disabled it (for example, a message failed every retry); absent when a user did. */
  readonly disabledReason?: string;
  /** `whsec_` + base64 of 24 random bytes, as the Standard Webhooks spec writes secrets. */
  readonly signingSecret: string;
  /** ISO 8601, UTC. */
  readonly createdAt: string;
}

/** A notification as sent to webhooks and the SNS topic: about one email, or about the account's sending. */
export type NotificationPayload = EmailNotificationPayload | AccountNotificationPayload;

/**
 * An account-level notification (`sending.paused`, `sending.resumed`, `deliverability.warning`),
 * in the same envelope as the email ones: `type`, `created_at`, `data`.
 */
export interface AccountNotificationPayload {
  readonly type: AccountEventType;
  /** When it happened, ISO 8601. */
  readonly created_at: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A notification about one email, in the resend SDK's webhook payload shape. */
export interface EmailNotificationPayload {
  readonly type: EmailEventType;
  /** When it happened (SES's time of the event), ISO 8601. */
  readonly created_at: string;
  readonly data: {
    readonly email_id: string | null;
    readonly created_at: string;
    /** The SES message ID; null when SES took nothing (an email Outbox failed after SES refused it). */
    readonly message_id: string | null;
    readonly from: string;
    readonly to: readonly string[];
    readonly subject: string;
    readonly tags?: Readonly<Record<string, string>>;
    /** The email's custom headers, as Resend's spec writes them; absent when it set none. */
    readonly headers?: readonly { readonly name: string; readonly value: string }[];
    /** For email.bounced: `{ message, type, subType, diagnosticCode }`, diagnosticCode being the SMTP responses SES reports, one per bounced recipient that has one. */
    readonly bounce?: { readonly message: string; readonly type: string; readonly subType: string; readonly diagnosticCode: readonly string[] };
    /** For email.clicked. */
    readonly click?: { readonly ipAddress: string; readonly link: string; readonly timestamp: string; readonly userAgent: string };
    /** For email.failed. */
    readonly failed?: { readonly reason: string };
    /** For email.suppressed. */
    readonly suppressed?: { readonly message: string; readonly type: string };
    /** For email.complained: the feedback type when the ISP said. */
    readonly complaint?: { readonly feedbackType: string | null };
    /** The recipients this notification is about (Outbox extension). */
    readonly recipients: readonly string[];
  };
}

/** A notification Outbox owes one webhook: a line of the delivery log, and the unit of retry. */
export interface WebhookMessage {
  /**
   * `msg_` + a UUIDv7 made from the event's time and a hash of (event, webhook), so the same
   * notification to the same webhook always has the same id: it is the `webhook-id` header on
   * every attempt, which receivers use to drop duplicates.
   */
  readonly id: string;
  readonly webhookId: string;
  readonly type: WebhookEventType;
  readonly createdAt: string;
  /** `attempting` until the first answer; then `success`, `pending` (a retry is due) or `failed`. */
  readonly status: 'attempting' | 'pending' | 'success' | 'failed';
  readonly nextAttemptAt: string | null;
  readonly attempts: number;
  readonly payload: NotificationPayload;
}

export interface WebhookAttempt {
  /** UUIDv7. */
  readonly id: string;
  readonly messageId: string;
  /** 1-based. */
  readonly attempt: number;
  readonly sentAt: string;
  /** 0 when no HTTP answer came (timeout, refused connection, blocked address). */
  readonly httpStatusCode: number;
  /** The start of the answer's body, or what went wrong. */
  readonly response: string;
  readonly latencyMs: number;
}

/**
 * The job on the webhook queue: which message to deliver, and the message itself, which the
 * delivery worker adds to the delivery log on its first attempt. (Jobs queued by earlier versions
 * carry no `message`: theirs is already in the log.)
 */
export interface WebhookJob {
  readonly webhookId: string;
  readonly messageId: string;
  readonly message?: Pick<WebhookMessage, 'type' | 'createdAt' | 'payload'>;
  /**
   * A replay (`POST /webhooks/{id}/events/{eventId}/replay`) of a message already in the log:
   * delivered again even if it succeeded, its attempts numbered on from `afterAttempts` (the
   * message's attempt count when the replay was asked for). Once an attempt after those succeeds,
   * the job is done, so a redelivered replay job sends nothing more.
   */
  readonly replay?: { readonly afterAttempts: number };
}

/** Webhooks and their delivery log. */
export interface WebhookStore {
  create(webhook: WebhookRecord): Promise<void>;
  get(id: string): Promise<WebhookRecord | undefined>;
  /** Oldest first. */
  list(): Promise<WebhookRecord[]>;
  /** Returns the updated webhook, or undefined when there is none. */
  update(id: string, patch: Partial<Pick<WebhookRecord, 'endpoint' | 'events' | 'status' | 'signingSecret'>> & { disabledReason?: string | null }): Promise<WebhookRecord | undefined>;
  /** Removes the webhook (its log expires with retention). False when there was none. */
  remove(id: string): Promise<boolean>;

  /** Stores a message unless one with its id exists; returns false when it already did. */
  putMessage(message: WebhookMessage): Promise<boolean>;
  /**
   * Logs a message delivered at its first attempt in one write: the message (`success`, one
   * attempt) with that attempt inline, which listAttempts lists as the message's one attempt. It
   * is kept for WEBHOOK_SUCCESS_RETENTION_DAYS (or the retention, if shorter), not the full
   * retention. Writes nothing and returns false when the message is already logged (a duplicate
   * job logged it meanwhile): the caller then records the attempt with recordAttempt.
   */
  putDelivered(message: WebhookMessage, attempt: WebhookAttempt): Promise<boolean>;
  getMessage(webhookId: string, messageId: string): Promise<WebhookMessage | undefined>;
  /** Newest first; `after` is the id of the last message of the previous page. */
  listMessages(webhookId: string, options: { limit: number; after?: string }): Promise<{ messages: WebhookMessage[]; hasMore: boolean }>;
  /**
   * Logs one attempt and sets the message's status, attempt count and next attempt time; the
   * message is then kept for the full retention from now, whatever putDelivered gave it.
   */
  recordAttempt(webhookId: string, attempt: WebhookAttempt, outcome: Pick<WebhookMessage, 'status' | 'nextAttemptAt'>): Promise<void>;
  /** Oldest first. */
  listAttempts(webhookId: string, messageId: string): Promise<WebhookAttempt[]>;
}

/**
 * How long the delivery log keeps a message delivered at its first attempt (the full retention,
 * OUTBOX_RETENTION_DAYS, keeps the rest: failures, retries, and what is still pending). The log
 * thus holds a bounded recent history of successes instead of every one for the whole retention.
 * 14 days because a log entry is also what makes a redelivered job send nothing: no job, nor the
 * SES event it came from, waits in a queue longer than SQS's 14-day maximum retention (which the
 * dead-letter queues use), so a job redriven from one still finds its success and is dropped.
 */
export const WEBHOOK_SUCCESS_RETENTION_DAYS = 14;

/** Puts delivery jobs on the webhook queue. */
export interface WebhookQueue {
  enqueue(jobs: readonly WebhookJob[]): Promise<void>;
}

/** Publishes notifications to the SNS notifications topic. */
export interface NotificationTopic {
  publish(payload: NotificationPayload): Promise<void>;
  /**
   * Publishes several in as few requests as the topic allows (SNS PublishBatch: 10 a request);
   * says for each, in order, the error it failed with, or undefined. Absent: one publish each.
   */
  publishBatch?(payloads: readonly NotificationPayload[]): Promise<readonly (Error | undefined)[]>;
}

/** Resolves a host name to its addresses, for the SSRF guard. */
export interface HostResolver {
  resolve(hostname: string): Promise<string[]>;
}
