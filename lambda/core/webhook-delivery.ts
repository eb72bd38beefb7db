import { OutboxError } from './errors';
import { uuidv7 } from './ids';
import type { Clock } from './ports';
import { checkWebhookUrl } from './ssrf';
import { signWebhook, svixSignatureHeaders } from './webhook-signature';
import type { HostResolver, WebhookAttempt, WebhookJob, WebhookMessage, WebhookRecord, WebhookStore } from './webhooks';
import { WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_DELAYS_SECONDS } from '../shared/env';

/** How long one delivery may take before it counts as failed. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
export const WEBHOOK_USER_AGENT = 'Outbox-Webhooks/1.0';
/** The most of an answer's body kept in the delivery log. */
export const WEBHOOK_RESPONSE_LOG_CHARS = 2_000;
/** Each retry delay is scaled by a random factor in [1 - JITTER, 1 + JITTER). */
export const WEBHOOK_RETRY_JITTER = 0.2;

/** An HTTP answer, whatever its status (redirects are answers, not followed). */
export interface WebhookHttpResponse {
  readonly status: number;
  /** The start of the body as text (the client reads at most about 2 KB). */
  readonly body: string;
  readonly latencyMs: number;
}

/** Why no HTTP answer came; `blocked`: the address connected to is one the SSRF guard refuses. */
export type WebhookRequestFailure = 'timeout' | 'connection' | 'dns' | 'tls' | 'blocked' | 'other';

/** No HTTP answer came: the message says why, in words fit for the delivery log. */
export class WebhookRequestError extends Error {
  override readonly name = 'WebhookRequestError';

  constructor(
    readonly failure: WebhookRequestFailure,
    message: string,
    readonly latencyMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * POSTs one delivery. Resolves with any HTTP answer (2xx to 5xx; a 3xx is returned, never
 * followed); throws WebhookRequestError when none came within `timeoutMs`.
 */
export interface WebhookHttpClient {
  post(url: string, headers: Readonly<Record<string, string>>, body: string, timeoutMs: number): Promise<WebhookHttpResponse>;
}

/**
 * Makes the queue hand a job back after a delay: the queue's handle of the job being processed
 * (an SQS receipt handle), and seconds from now (0: at once).
 */
export interface WebhookRetry {
  retryAfter(receiptHandle: string, seconds: number): Promise<void>;
}

export interface WebhookDeliveryDeps {
  readonly store: WebhookStore;
  readonly http: WebhookHttpClient;
  /** For the delivery-time SSRF check: a name may resolve elsewhere than when it was registered. */
  readonly resolver: HostResolver;
  readonly clock: Clock;
  /** In [0, 1), for jitter. */
  readonly random: () => number;
  /** Local mode: http and private or loopback addresses are allowed. */
  readonly allowPrivateWebhookUrls: boolean;
  /** Defaults to WEBHOOK_MAX_ATTEMPTS; must equal the queue's maxReceiveCount. */
  readonly maxAttempts?: number;
  /** Defaults to WEBHOOK_RETRY_DELAYS_SECONDS; the wait after attempt n is entry n - 1. */
  readonly retryDelaysSeconds?: readonly number[];
  readonly log: (message: string, error?: unknown) => void;
}

/** What the queue should do with the job. */
export type DeliveryOutcome =
  /** Nothing more to do: delete the job. */
  | { readonly kind: 'done'; readonly result: 'delivered' | 'already delivered' | 'already queued' | 'webhook missing' | 'message missing' | 'webhook disabled' }
  /** This attempt failed; deliver the job again after this many seconds. */
  | { readonly kind: 'retry'; readonly retryAfterSeconds: number; readonly reason: string }
  /** The last attempt failed: the message is failed, the webhook disabled; the job goes to the DLQ. */
  | { readonly kind: 'exhausted'; readonly exhausted: true; readonly reason: string };

/**
 * Delivers one webhook message, one attempt of it.
 *
 * 1. Loads the webhook and the message; if the webhook is gone, there is nothing to do. A message
 *    not yet in the delivery log comes from the job, and is logged with its attempt's outcome (step
 *    6); a job without one whose message is gone has nothing to deliver.
 * 2. A disabled webhook: the message is marked `failed` ("webhook disabled"), no retry.
 * 3. A message already `success` (a redelivered job), or already tried when this job is on its
 *    first delivery (a duplicate job, from an event processed twice): nothing to do. A replay job
 *    delivers a `success` message again, unless an attempt after the replay was asked for
 *    succeeded; its attempts are numbered on from the message's (`replay.afterAttempts`).
 * 4. Checks the endpoint again (SSRF guard: its name may resolve elsewhere now); a blocked address
 *    is a failed attempt with status 0, and nothing is sent.
 * 5. Signs the payload with a fresh timestamp and the message's id as `webhook-id` (the same on
 *    every retry), sends the three signature headers under Svix's names too (`svix-id`, ...), and
 *    POSTs it with a 10 s timeout; redirects are not followed.
 * 6. Logs the attempt: status code (0 when no answer came), the start of the answer, latency.
 *    A 2xx answer is `success`. Any other answer or none: before the last attempt, `pending` with
 *    the next attempt due after the schedule's delay +-20% (outcome `retry`); at the last attempt,
 *    `failed`, and the webhook is disabled with the reason (outcome `exhausted`).
 *    Most messages succeed at once, so that case costs one write: a message the job brought,
 *    delivered at attempt 1, is logged already `success` with its attempt (putDelivered), and kept
 *    only for the shorter success retention. Any other outcome keeps the full log for the whole
 *    retention (the message, then the attempt and the status: recordAttempt), since retries and
 *    failures are what someone debugging an endpoint reads.
 *
 * `attempt` is the 1-based delivery count, the queue's receive count, so the schedule and the
 * queue's redrive policy agree. Throws only when the store fails (the queue then redelivers the job,
 * which counts as an attempt); an endpoint's failures are outcomes, never exceptions.
 *
 * Idempotency: a job redelivered after `success` sends nothing (a success is kept
 * WEBHOOK_SUCCESS_RETENTION_DAYS, longer than any job waits in a queue). Delivery is at least once:
 * a crash between the POST and the log, or a duplicate job (from SQS, or an event processed twice)
 * running before the first one's outcome is logged, can POST the message again, always with the
 * same `webhook-id`, which is what Standard Webhooks receivers deduplicate on.
 */
export async function deliverWebhookMessage(deps: WebhookDeliveryDeps, job: WebhookJob, attempt: number): Promise<DeliveryOutcome> {
  const [webhook, logged] = await Promise.all([deps.store.get(job.webhookId), deps.store.getMessage(job.webhookId, job.messageId)]);
  if (!webhook) {
    deps.log(`Webhook ${job.webhookId} is gone; dropping message ${job.messageId}`);
    return { kind: 'done', result: 'webhook missing' };
  }
  let message = logged;
  if (!message) {
    if (!job.message) {
      deps.log(`Webhook message ${job.messageId} of webhook ${job.webhookId} is gone; nothing to deliver`);
      return { kind: 'done', result: 'message missing' };
    }
    message = { id: job.messageId, webhookId: job.webhookId, ...job.message, status: 'attempting', nextAttemptAt: null, attempts: 0 };
  }
  // A replay delivers a message that succeeded before, until one of its own attempts succeeds.
  const replayed = job.replay !== undefined && message.attempts <= job.replay.afterAttempts;
  if (message.status === 'success' && !replayed) return { kind: 'done', result: 'already delivered' };
  // A job on its first delivery for a message that was already tried: the event was processed
  // twice and queued it twice. The job that tried it owns its retries.
  if (job.message && attempt === 1 && message.attempts > 0) return { kind: 'done', result: 'already queued' };
  const log = { message, logged: logged !== undefined };
  if (webhook.status === 'disabled') {
    if (message.status !== 'failed') {
      const now = deps.clock.now();
      await logAttempt(deps, log, attemptRecord(message, (job.replay?.afterAttempts ?? 0) + attempt, now, { httpStatusCode: 0, response: 'webhook disabled', latencyMs: 0 }), { status: 'failed', nextAttemptAt: null });
    }
    return { kind: 'done', result: 'webhook disabled' };
  }

  const sentAt = deps.clock.now();
  const result = await attemptDelivery(deps, webhook, message, sentAt);
  const succeeded = result.httpStatusCode >= 200 && result.httpStatusCode < 300;
  const maxAttempts = deps.maxAttempts ?? WEBHOOK_MAX_ATTEMPTS;
  // Numbered on from the log's attempts for a replay, so the message's status follows its attempts.
  const record = attemptRecord(message, (job.replay?.afterAttempts ?? 0) + attempt, sentAt, result);

  if (succeeded) {
    const outcome = { status: 'success', nextAttemptAt: null } as const;
    if (log.logged || attempt > 1) {
      await logAttempt(deps, log, record, outcome);
    } else if (!(await deps.store.putDelivered({ ...message, ...outcome, attempts: 1 }, record))) {
      // A duplicate job logged the message meanwhile: this attempt joins its full log.
      await deps.store.recordAttempt(webhook.id, record, outcome);
    }
    return { kind: 'done', result: 'delivered' };
  }
  const reason = failureReason(result);
  if (attempt < maxAttempts) {
    const retryAfterSeconds = retryDelaySeconds(deps, attempt);
    const nextAttemptAt = new Date(deps.clock.now().getTime() + retryAfterSeconds * 1000).toISOString();
    await logAttempt(deps, log, record, { status: 'pending', nextAttemptAt });
    return { kind: 'retry', retryAfterSeconds, reason };
  }
  await logAttempt(deps, log, record, { status: 'failed', nextAttemptAt: null });
  const disabledReason = `Disabled on ${deps.clock.now().toISOString()}: a message failed all ${maxAttempts} delivery attempts over about a day (last: ${reason})`;
  await deps.store.update(webhook.id, { status: 'disabled', disabledReason });
  deps.log(`Webhook ${webhook.id} disabled: message ${message.id} failed all ${maxAttempts} attempts (last: ${reason})`);
  return { kind: 'exhausted', exhausted: true, reason };
}

type AttemptResult = Pick<WebhookAttempt, 'httpStatusCode' | 'response' | 'latencyMs'>;

/**
 * The full log of an attempt: the message first when only the job held it (false from putMessage
 * means a duplicate job logged it a moment ago, which is as good), then the attempt and the
 * message's new status.
 */
async function logAttempt(
  deps: WebhookDeliveryDeps,
  log: { readonly message: WebhookMessage; readonly logged: boolean },
  record: WebhookAttempt,
  outcome: Pick<WebhookMessage, 'status' | 'nextAttemptAt'>,
): Promise<void> {
  if (!log.logged) await deps.store.putMessage(log.message);
  await deps.store.recordAttempt(log.message.webhookId, record, outcome);
}

/** Steps 4 and 5: the SSRF check, then the signed POST. Never throws for the endpoint's sake. */
async function attemptDelivery(deps: WebhookDeliveryDeps, webhook: WebhookRecord, message: WebhookMessage, sentAt: Date): Promise<AttemptResult> {
  const refusal = await urlRefusal(deps, webhook.endpoint);
  if (refusal !== undefined) return { httpStatusCode: 0, response: `Not sent: ${refusal}`, latencyMs: 0 };

  const body = JSON.stringify(message.payload);
  const signed = signWebhook({ id: message.id, timestamp: Math.floor(sentAt.getTime() / 1000), body, secret: webhook.signingSecret });
  // Both names: Standard Webhooks receivers read webhook-*, those written for Resend svix-*.
  const headers = { 'content-type': 'application/json', 'user-agent': WEBHOOK_USER_AGENT, ...signed, ...svixSignatureHeaders(signed) };
  try {
    const answer = await deps.http.post(webhook.endpoint, headers, body, WEBHOOK_TIMEOUT_MS);
    return { httpStatusCode: answer.status, response: truncate(answer.body), latencyMs: Math.round(answer.latencyMs) };
  } catch (error) {
    if (error instanceof WebhookRequestError) return { httpStatusCode: 0, response: truncate(error.message), latencyMs: Math.round(error.latencyMs) };
    throw error;
  }
}

/** Why the endpoint may not be called now (the SSRF guard's sentence), or undefined when it may. */
async function urlRefusal(deps: WebhookDeliveryDeps, url: string): Promise<string | undefined> {
  try {
    await checkWebhookUrl(url, { allowPrivate: deps.allowPrivateWebhookUrls, resolver: deps.resolver });
    return undefined;
  } catch (error) {
    if (error instanceof OutboxError && error.kind === 'validation') return error.message;
    throw error;
  }
}

function attemptRecord(message: WebhookMessage, attempt: number, sentAt: Date, result: AttemptResult): WebhookAttempt {
  return { id: uuidv7(sentAt.getTime()), messageId: message.id, attempt, sentAt: sentAt.toISOString(), ...result };
}

/** The schedule's wait after `attempt`, scaled by +-20% jitter, in whole seconds (at least 1). */
function retryDelaySeconds(deps: WebhookDeliveryDeps, attempt: number): number {
  const delays = deps.retryDelaysSeconds ?? WEBHOOK_RETRY_DELAYS_SECONDS;
  const base = delays[Math.min(attempt, delays.length) - 1] ?? delays[delays.length - 1] ?? 0;
  const factor = 1 + (deps.random() * 2 - 1) * WEBHOOK_RETRY_JITTER;
  return Math.max(1, Math.round(base * factor));
}

function failureReason(result: AttemptResult): string {
  if (result.httpStatusCode === 0) return result.response;
  if (result.httpStatusCode >= 300 && result.httpStatusCode < 400) return `HTTP ${result.httpStatusCode} (redirects are not followed)`;
  return `HTTP ${result.httpStatusCode}`;
}

function truncate(text: string): string {
  return text.length > WEBHOOK_RESPONSE_LOG_CHARS ? `${text.slice(0, WEBHOOK_RESPONSE_LOG_CHARS)}…` : text;
}
