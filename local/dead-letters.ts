import type { EmailStore } from '../lambda/core/ports';
import type { WebhookStore } from '../lambda/core/webhooks';
import type { DeadLetter, LocalQueue } from './local-queue';

/** The local queues that have a dead-letter queue in AWS, by the names `GET /_local/dead-letters` uses. */
export type DeadLetterQueueName = 'events' | 'webhooks' | 'outbound';

/** One entry of `GET /_local/dead-letters`. */
export interface DeadLetterEntry {
  /** Which queue gave up on it. */
  readonly queue: DeadLetterQueueName;
  /** The queue message's id (SQS's MessageId). */
  readonly message_id: string;
  readonly dead_lettered_at: string;
  readonly receive_count: number;
  /** What failed: the SES notification, the webhook delivery or the email to send. */
  readonly failed: string;
  /** Why: the last error a consumer hit, or what the store says of the job. */
  readonly reason: string;
  /** The message body, parsed when it is JSON. */
  readonly body: unknown;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const MAX_KEPT = 10_000;

/**
 * The last error each queue message (or email) failed with, taken from what the consumers log:
 * the queue handlers log `... <record messageId> failed` with the error for a record that throws
 * (and the sender `Sending email <emailId> failed` for an email), so the id in the line says whose
 * error it is. Bounded: the oldest reasons go first.
 */
export class FailureLog {
  private readonly reasons = new Map<string, string>();

  /** A log function that records errors, then logs as `log` does. */
  wrap(log: (message: string, error?: unknown) => void): (message: string, error?: unknown) => void {
    return (message, error) => {
      const id = UUID.exec(message)?.[0];
      if (id !== undefined && error !== undefined) this.record(id, error instanceof Error ? error.message : String(error));
      log(message, error);
    };
  }

  /** The first of the ids with a recorded reason. */
  reasonFor(...ids: (string | undefined)[]): string | undefined {
    for (const id of ids) {
      const reason = id === undefined ? undefined : this.reasons.get(id);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }

  private record(id: string, reason: string): void {
    this.reasons.delete(id);
    this.reasons.set(id, reason);
    if (this.reasons.size > MAX_KEPT) this.reasons.delete(this.reasons.keys().next().value!);
  }
}

export interface DeadLetterSources {
  readonly queues: Readonly<Record<DeadLetterQueueName, LocalQueue>>;
  readonly failures: FailureLog;
  /** To say which endpoint a dead webhook job was for and how its last attempt went. */
  readonly webhooks: Pick<WebhookStore, 'get' | 'getMessage' | 'listAttempts'>;
  /** To say where a dead outbound job's email stands. */
  readonly emails: Pick<EmailStore, 'get'>;
}

/**
 * Every dead letter of the three queues, newest first, each with its queue, what failed and why.
 * Reads the webhook and email stores for jobs that failed without an error (a receiver that kept
 * answering 500, an email SES kept throttling).
 */
export async function listDeadLetters(sources: DeadLetterSources): Promise<DeadLetterEntry[]> {
  const all = (Object.entries(sources.queues) as [DeadLetterQueueName, LocalQueue][]).flatMap(([queue, local]) =>
    local.deadLettered().map((letter, order) => ({ queue, letter, order })),
  );
  all.sort((a, b) => b.letter.deadLetteredAt.localeCompare(a.letter.deadLetteredAt) || b.order - a.order);
  return Promise.all(all.map(({ queue, letter }) => describe(sources, queue, letter)));
}

async function describe(sources: DeadLetterSources, queue: DeadLetterQueueName, letter: DeadLetter): Promise<DeadLetterEntry> {
  const body = parsed(letter.body);
  const entry = { queue, message_id: letter.messageId, dead_lettered_at: letter.deadLetteredAt, receive_count: letter.receiveCount, body };
  const logged = sources.failures.reasonFor(letter.messageId);
  const tries = `${letter.receiveCount} ${letter.receiveCount === 1 ? 'time' : 'times'}`;
  switch (queue) {
    case 'events':
      return { ...entry, failed: 'processing an SES notification (the body)', reason: logged ?? `it failed all ${tries}` };
    case 'webhooks': {
      const job = body as { webhookId?: unknown; messageId?: unknown } | null;
      if (typeof job?.webhookId !== 'string' || typeof job.messageId !== 'string') {
        return { ...entry, failed: 'a webhook job', reason: logged ?? `the body is not a webhook job; it failed all ${tries}` };
      }
      const webhook = await sources.webhooks.get(job.webhookId);
      const message = await sources.webhooks.getMessage(job.webhookId, job.messageId);
      const last = (await sources.webhooks.listAttempts(job.webhookId, job.messageId)).at(-1);
      const answer = last === undefined ? undefined : last.httpStatusCode === 0 ? `no answer (${last.response})` : `HTTP ${last.httpStatusCode} ${JSON.stringify(last.response)}`;
      return {
        ...entry,
        failed: `delivering ${message?.type ?? 'notification'} ${job.messageId} to webhook ${job.webhookId}${webhook ? ` (${webhook.endpoint})` : ''}`,
        reason: logged ?? (last ? `${last.attempt} attempts failed; the last got ${answer}` : `it failed all ${tries}`),
      };
    }
    case 'outbound': {
      const job = body as { emailId?: unknown } | null;
      if (typeof job?.emailId !== 'string') return { ...entry, failed: 'an outbound job', reason: logged ?? `the body is not an outbound job; it failed all ${tries}` };
      const details = await sources.emails.get(job.emailId);
      const state = details ? `the email is still ${details.email.lastEvent}` : 'the email no longer exists';
      return {
        ...entry,
        failed: `sending email ${job.emailId}`,
        reason: `${sources.failures.reasonFor(letter.messageId, job.emailId) ?? `the sender took it ${tries} without sending the email`}; ${state}`,
      };
    }
  }
}

function parsed(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}
