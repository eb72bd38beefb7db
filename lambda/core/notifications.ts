import { createHash } from 'node:crypto';
import { displayMailbox as display } from './addresses';
import type { EmailDraft, EmailRecord, SendFailure } from './email';
import { uuidv7 } from './ids';
import type { Clock } from './ports';
import { isAutoResponse, type SesEvent } from './ses-events';
import { notificationTypeOf } from './precedence';
import type { TrackedEmail } from './tracking';
import { WEBHOOK_EVENT_TYPES, type EmailEventType, type EmailNotificationPayload, type NotificationPayload, type NotificationTopic, type WebhookEventType, type WebhookJob, type WebhookQueue, type WebhookRecord } from './webhooks';

/** The webhooks that want a notification type: enabled, and subscribed to it (or to everything). */
export interface WebhookSubscriptions {
  subscribersOf(type: WebhookEventType): Promise<WebhookRecord[]>;
}

export interface NotifyDeps {
  readonly topic: NotificationTopic;
  readonly subscriptions: WebhookSubscriptions;
  readonly queue: WebhookQueue;
  readonly clock: Clock;
}

const WEBHOOK_TYPES = new Set<string>(WEBHOOK_EVENT_TYPES);

/**
 * The notification an SES event becomes, in the resend SDK's webhook payload shape, with the
 * email's tags echoed; undefined for events no sender subscribes to (Subscription).
 *
 * It is built from what SES says of the message (`mail`: From, To, Subject, when SES took it, and
 * the email's own tags, which Outbox gives SES with every send, and its custom headers, from SES's
 * `mail.headers`), so the events path need not read the email. `email`, when given, describes it instead: an identity feedback notification carries
 * no tags, and its headers only when the identity is set to include them.
 */
export function toNotificationPayload(event: SesEvent, emailId: string | undefined, email?: TrackedEmail): EmailNotificationPayload | undefined {
  const type = notificationTypeOf(event.detail);
  if (!WEBHOOK_TYPES.has(type)) return undefined;
  const tags = email ? Object.fromEntries(email.tags.map((t) => [t.name, t.value])) : event.tags;
  const detail = event.detail;
  return {
    type: type as EmailEventType,
    created_at: event.occurredAt,
    data: {
      email_id: emailId ?? null,
      created_at: email?.createdAt ?? event.mail.timestamp,
      message_id: event.sesMessageId,
      from: email ? display(email.from) : event.mail.from,
      to: email ? email.to.map(display) : event.mail.to,
      subject: email?.subject ?? event.mail.subject,
      ...(Object.keys(tags).length > 0 ? { tags } : {}),
      // From SES's own copy of the message's headers, so the events path reads no email for them.
      ...(event.mail.headers && event.mail.headers.length > 0 ? { headers: event.mail.headers.map(({ name, value }) => ({ name, value })) } : {}),
      recipients: event.recipients,
      ...(detail.kind === 'Bounce' && !isAutoResponse(detail) && detail.bounceSubType !== 'OnAccountSuppressionList'
        ? {
            bounce: {
              message: detail.bouncedRecipients.find((r) => r.diagnosticCode)?.diagnosticCode ?? `${detail.bounceType} bounce (${detail.bounceSubType})`,
              type: detail.bounceType,
              subType: detail.bounceSubType,
              diagnosticCode: detail.bouncedRecipients.flatMap((r) => (r.diagnosticCode ? [r.diagnosticCode] : [])),
            },
          }
        : {}),
      ...(detail.kind === 'Bounce' && detail.bounceSubType === 'OnAccountSuppressionList'
        ? { suppressed: { message: detail.bouncedRecipients[0]?.diagnosticCode ?? 'The address is on the SES account-level suppression list.', type: 'OnAccountSuppressionList' } }
        : {}),
      ...(detail.kind === 'Complaint' && detail.complaintSubType === 'OnAccountSuppressionList'
        ? { suppressed: { message: 'The address is on the SES account-level suppression list.', type: 'OnAccountSuppressionList' } }
        : {}),
      ...(detail.kind === 'Complaint' && detail.complaintSubType !== 'OnAccountSuppressionList' ? { complaint: { feedbackType: detail.complaintFeedbackType ?? null } } : {}),
      ...(detail.kind === 'Click'
        ? { click: { ipAddress: detail.ipAddress ?? '', link: detail.link ?? '', timestamp: event.occurredAt, userAgent: detail.userAgent ?? '' } }
        : {}),
      ...(detail.kind === 'Reject' ? { failed: { reason: `SES rejected the message: ${detail.reason}` } } : {}),
      ...(detail.kind === 'RenderingFailure' ? { failed: { reason: `The template could not be rendered: ${detail.errorMessage ?? 'unknown error'}` } } : {}),
    },
  };
}

/** A notification Outbox raises itself, not from an SES event, with what keeps its webhook-id stable. */
export interface OutboxNotification {
  readonly payload: NotificationPayload;
  /** Names the event once: the same on every retry, so each webhook gets the same `webhook-id`. */
  readonly eventKey: string;
  /**
   * The time its message ids are ordered by. Not the payload's `created_at`, which is when this
   * attempt failed and so moves on a retry: a time that does not.
   */
  readonly orderedAt: string;
}

/**
 * The `email.failed` notification for a queued email SES refused for good when the sender sent
 * it. SES took nothing, so no SES event (Reject, Rendering Failure) will follow: Outbox tells the
 * sender itself, in the same shape, with the email's own tags and custom headers, `message_id` null, the recipients
 * SES was asked to send to, and SES's reason. An email fails once, so its event key is
 * `failed-<emailId>`, and its message ids are ordered by the email's creation time.
 */
export function failedSendNotification(email: TrackedEmail & { readonly headers?: EmailRecord['headers'] }, recipients: readonly string[], failure: SendFailure): OutboxNotification {
  return {
    eventKey: `failed-${email.id}`,
    orderedAt: email.createdAt,
    payload: { type: 'email.failed', created_at: failure.failedAt, data: { ...storedEmailData(email), recipients, failed: { reason: failure.message } } },
  };
}

/**
 * The `data` of a notification made from the stored email rather than an SES event (SES has taken
 * nothing, so `message_id` is null): its tags, and its custom headers as `[{ name, value }]`,
 * each only when it has some.
 */
function storedEmailData(email: Pick<TrackedEmail, 'id' | 'createdAt' | 'from' | 'to' | 'subject' | 'tags'> & { readonly headers?: EmailRecord['headers'] }) {
  const tags = Object.fromEntries(email.tags.map((t) => [t.name, t.value]));
  return {
    email_id: email.id,
    created_at: email.createdAt,
    message_id: null,
    from: display(email.from),
    to: email.to.map(display),
    subject: email.subject ?? '',
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
    ...(email.headers && email.headers.length > 0 ? { headers: email.headers.map(({ name, value }) => ({ name, value })) } : {}),
  };
}

/**
 * The `email.scheduled` notification for an email accepted with a `scheduled_at`, in the resend
 * SDK's payload shape: the email as stored (its tags, and its custom headers as `[{ name, value }]`
 * when it set any), `message_id` null (SES has taken nothing yet), and the recipients it will be
 * sent to. An email is scheduled once, so its event key is `scheduled-<emailId>`, ordered by the
 * email's creation time.
 */
export function scheduledNotification(email: EmailRecord, sendable: Pick<EmailDraft, 'to' | 'cc' | 'bcc'>): OutboxNotification {
  const recipients = [...sendable.to, ...sendable.cc, ...sendable.bcc].map((m) => m.address.toLowerCase());
  return {
    eventKey: `scheduled-${email.id}`,
    orderedAt: email.createdAt,
    payload: { type: 'email.scheduled', created_at: email.createdAt, data: { ...storedEmailData(email), recipients } },
  };
}

/**
 * Sends the `email.scheduled` notification of an accepted scheduled email (see
 * scheduledNotification). The email is stored whatever happens here: a failure to notify is
 * reported through `warn` and does not change the answer. Without `notify`, nothing is sent.
 */
export async function notifyScheduled(
  deps: { readonly notify?: Notify; readonly warn?: (message: string, error: unknown) => void },
  accepted: { readonly email: EmailRecord; readonly sendable: Pick<EmailDraft, 'to' | 'cc' | 'bcc'> },
): Promise<void> {
  if (!deps.notify) return;
  const { payload, eventKey, orderedAt } = scheduledNotification(accepted.email, accepted.sendable);
  try {
    await deps.notify(payload, eventKey, orderedAt);
  } catch (error) {
    deps.warn?.(`The email.scheduled notification of email ${accepted.email.id} could not be sent`, error);
  }
}

/**
 * The message id a notification has for one webhook: time-ordered by the event, and the same
 * every time the same event reaches the same webhook, so it can serve as `webhook-id`.
 */
export function webhookMessageId(eventKey: string, webhookId: string, occurredAt: string): string {
  const digest = createHash('sha256').update(`${eventKey}|${webhookId}`).digest();
  return `msg_${uuidv7(Date.parse(occurredAt), digest.subarray(0, 10))}`;
}

/** Sends a notification (see `notify`), its dependencies already bound. */
export type Notify = (payload: NotificationPayload, eventKey: string, orderedAt?: string) => Promise<void>;

/**
 * Sends one notification to the SNS topic and to every subscribed webhook.
 *
 * 1. Publish to the notifications topic.
 * 2. For each enabled webhook subscribed to the type, put a delivery job on the webhook queue
 *    carrying the message (id stable per event and webhook, time-ordered by `orderedAt`, the
 *    payload's `created_at` unless given). The delivery worker logs it with its first attempt, so
 *    the notifying path writes nothing for webhooks.
 *
 * At least once: a retried event publishes and enqueues again; the worker drops a second job for
 * a message already tried, and receivers drop duplicates by `webhook-id` (the message id), as
 * Standard Webhooks intends.
 */
export async function notify(deps: NotifyDeps, payload: NotificationPayload, eventKey: string, orderedAt: string = payload.created_at): Promise<void> {
  await deps.topic.publish(payload);
  const subscribers = await deps.subscriptions.subscribersOf(payload.type);
  const createdAt = deps.clock.now().toISOString();
  const jobs: WebhookJob[] = subscribers.map((webhook) => ({
    webhookId: webhook.id,
    messageId: webhookMessageId(eventKey, webhook.id, orderedAt),
    message: { type: payload.type, createdAt, payload },
  }));
  if (jobs.length > 0) await deps.queue.enqueue(jobs);
}

/** What one record of a batch notifies through (see notificationBatch). */
export interface NotificationSlot {
  readonly notify: Notify;
  /** The record is finished (whether it notified or not); call it once, last. */
  done(): void;
}

interface Parked {
  readonly payload: NotificationPayload;
  readonly eventKey: string;
  readonly orderedAt: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The notifications of one events batch, sent together: one slot per record, processed
 * concurrently. A record that notifies waits in its slot; once every record of the batch is
 * either waiting or done, the waiting notifications go out at once: one PublishBatch per 10 (one
 * request instead of 10) and every webhook job of them in one enqueue (SendMessageBatch, 10 a
 * request), instead of a Publish and a SendMessageBatch per event.
 *
 * Each notify still settles on its own: a payload the topic refused rejects that record's notify
 * only (its claim is given back and it is retried, as before); if the webhook jobs cannot be
 * queued, every notify of that send rejects, and their retries queue them again (jobs are
 * idempotent). Waiting for the slowest record of the batch holds no record back for long: it
 * does a few DynamoDB calls before it notifies.
 */
export function notificationBatch(deps: NotifyDeps, records: number): NotificationSlot[] {
  let running = records;
  let parked: Parked[] = [];

  const flushWhenIdle = (): void => {
    if (running > 0 || parked.length === 0) return;
    const sending = parked;
    parked = [];
    void sendTogether(deps, sending);
  };

  return Array.from({ length: records }, () => {
    let finished = false;
    let waiting = false;
    return {
      notify: (payload, eventKey, orderedAt = payload.created_at) =>
        new Promise<void>((resolve, reject) => {
          if (finished) return reject(new Error('This record is done: a notification after done() cannot be batched.'));
          // Settled, the record runs again (it records the notification sent), until done().
          const resume = () => {
            waiting = false;
            running += 1;
          };
          parked.push({
            payload,
            eventKey,
            orderedAt,
            resolve: () => {
              resume();
              resolve();
            },
            reject: (error) => {
              resume();
              reject(error);
            },
          });
          waiting = true;
          running -= 1;
          flushWhenIdle();
        }),
      done: () => {
        if (finished) return;
        finished = true;
        // A record waiting on its notify is not running; done() while waiting never happens, as notify is awaited.
        if (!waiting) running -= 1;
        flushWhenIdle();
      },
    };
  });
}

/** Publishes the parked notifications and queues their webhook jobs; settles each one's notify. */
async function sendTogether(deps: NotifyDeps, sending: readonly Parked[]): Promise<void> {
  let published: readonly (Error | undefined)[];
  try {
    published = deps.topic.publishBatch
      ? await deps.topic.publishBatch(sending.map((p) => p.payload))
      : await Promise.all(sending.map((p) => deps.topic.publish(p.payload).then(() => undefined, (error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
  } catch (error) {
    sending.forEach((p) => p.reject(error));
    return;
  }
  const delivered = sending.filter((p, i) => {
    const failure = published[i];
    if (failure) p.reject(failure);
    return !failure;
  });
  if (delivered.length === 0) return;
  try {
    const createdAt = deps.clock.now().toISOString();
    const jobs: WebhookJob[] = [];
    for (const p of delivered) {
      for (const webhook of await deps.subscriptions.subscribersOf(p.payload.type)) {
        jobs.push({ webhookId: webhook.id, messageId: webhookMessageId(p.eventKey, webhook.id, p.orderedAt), message: { type: p.payload.type, createdAt, payload: p.payload } });
      }
    }
    if (jobs.length > 0) await deps.queue.enqueue(jobs);
  } catch (error) {
    delivered.forEach((p) => p.reject(error));
    return;
  }
  delivered.forEach((p) => p.resolve());
}
