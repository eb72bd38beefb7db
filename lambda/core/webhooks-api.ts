import { randomBytes } from 'node:crypto';
import { throwProblems, OutboxError } from './errors';
import { BY_TIME_ORDERED_ID, describeValue, pageNewestFirst, parseCursor, parseListLimit } from './list-query';
import { isUuid, uuidv7 } from './ids';
import type { Clock } from './ports';
import { checkWebhookUrl } from './ssrf';
import {
  WEBHOOK_EVENT_TYPES,
  type HostResolver,
  type NotificationPayload,
  type WebhookAttempt,
  type WebhookEventType,
  type WebhookMessage,
  type WebhookQueue,
  type WebhookRecord,
  type WebhookStatus,
  type WebhookStore,
} from './webhooks';

/**
 * The Resend webhooks API over the WebhookStore port: create, list, get, update, remove and rotate
 * the signing secret of webhooks, and read each one's delivery log (events and their attempts).
 * Answers are in the resend SDK's shapes; `disabled_reason` and `latency_ms` are Outbox extensions.
 */

export interface WebhooksDeps {
  readonly webhooks: WebhookStore;
  readonly resolver: HostResolver;
  /** Local mode: endpoints may be http and loopback or private addresses. */
  readonly allowPrivateWebhookUrls: boolean;
  readonly clock: Clock;
  /** Where replays are queued; absent (tools, some tests), replay answers `unavailable`. */
  readonly webhookQueue?: WebhookQueue;
}

/** `POST /webhooks/{id}/events/{eventId}/replay`, as the SDK's `ReplayWebhookEventResponseSuccess`. */
export interface WebhookEventRef {
  readonly object: 'webhook_event';
  readonly id: string;
}

/** One entry of `GET /webhooks`, as the resend SDK's `Webhook` (never the secret). */
export interface WebhookListEntry {
  readonly id: string;
  readonly endpoint: string;
  readonly created_at: string;
  readonly status: WebhookStatus;
  readonly events: WebhookEventType[] | null;
  /** Outbox extension: why Outbox disabled it, when it did. */
  readonly disabled_reason?: string;
}

/** `GET /webhooks/{id}`, as the SDK's `GetWebhookResponseSuccess`. */
export interface WebhookView extends WebhookListEntry {
  readonly object: 'webhook';
  readonly signing_secret: string;
}

export interface WebhookRef {
  readonly object: 'webhook';
  readonly id: string;
}

export interface WebhookSecretAnswer extends WebhookRef {
  readonly signing_secret: string;
}

export interface WebhookRemoval extends WebhookRef {
  readonly deleted: boolean;
}

export interface ListView<T> {
  readonly object: 'list';
  readonly has_more: boolean;
  readonly data: T[];
}

/** One entry of `GET /webhooks/{id}/events`, as the SDK's `WebhookEventLog`. */
export interface WebhookEventLogEntry {
  readonly id: string;
  readonly type: WebhookEventType;
  readonly created_at: string;
  readonly status: WebhookMessage['status'];
}

/** `GET /webhooks/{id}/events/{eventId}`, as the SDK's `GetWebhookEventResponseSuccess`. */
export interface WebhookEventView extends WebhookEventLogEntry {
  readonly object: 'webhook_event';
  readonly next_attempt_at: string | null;
  readonly payload: NotificationPayload;
}

/** One entry of `GET /webhooks/{id}/events/{eventId}/attempts`, as the SDK's `WebhookEventAttempt`. */
export interface WebhookAttemptView {
  readonly id: string;
  readonly http_status_code: number;
  readonly response: string;
  readonly sent_at: string;
  /** Outbox extension: how long the endpoint took to answer (or to fail). */
  readonly latency_ms: number;
}

const MESSAGE_ID_PATTERN = /^msg_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A new signing secret as the Standard Webhooks spec writes them: `whsec_` + base64 of 24 random bytes. */
export function generateSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * Registers a webhook (`POST /webhooks`, body `{ endpoint, events }`), enabled.
 * 1. Validates `events`: a non-empty list of the types Outbox sends (repeats are dropped).
 * 2. Checks `endpoint` with the SSRF guard: https, no credentials, resolving only to public
 *    addresses (http, loopback and private addresses too in local mode).
 * 3. Stores it with a new UUIDv7 id and a new `whsec_` signing secret.
 * Answers `{ object, id, signing_secret }`. Throws `missing_field` without `endpoint` or `events`,
 * `validation` naming every other problem at once; nothing is stored then. Not idempotent: each
 * call registers another webhook.
 */
export async function createWebhook(deps: WebhooksDeps, body: Readonly<Record<string, unknown>>): Promise<WebhookSecretAnswer> {
  const missing = (['endpoint', 'events'] as const).filter((field) => body[field] === undefined || body[field] === null);
  if (missing.length > 0) {
    throw new OutboxError(
      'missing_field',
      `Give ${missing.map((field) => `\`${field}\``).join(' and ')}: the https URL to deliver to and a list of event types (${WEBHOOK_EVENT_TYPES.join(', ')}).`,
    );
  }
  const problems: string[] = [];
  const events = checkEvents(body.events, problems);
  const endpoint = await checkEndpoint(deps, body.endpoint, problems);
  if (problems.length > 0) throw new OutboxError('validation', `${problems.join(' ')} Nothing was created.`);

  const now = deps.clock.now();
  const record: WebhookRecord = {
    id: uuidv7(now.getTime()),
    endpoint: endpoint!,
    events: events!,
    status: 'enabled',
    signingSecret: generateSigningSecret(),
    createdAt: now.toISOString(),
  };
  await deps.webhooks.create(record);
  return { object: 'webhook', id: record.id, signing_secret: record.signingSecret };
}

/**
 * One page of webhooks, newest first (`GET /webhooks?limit&after&before`).
 * 1. Validates the query: `limit` 1-100 (default 20); `after` (the last id of the previous page) or
 *    `before` (the first id of the next page), a webhook id, not both.
 * 2. Reads every webhook (there are few) and cuts the page.
 * Answers no signing secrets. Throws `validation` naming every bad parameter. Read-only.
 */
export async function listWebhooks(deps: WebhooksDeps, query: Readonly<Record<string, string>>): Promise<ListView<WebhookListEntry>> {
  const problems: string[] = [];
  const limit = parseListLimit(query, problems);
  const after = parseCursor(query, 'after', isUuid, 'a webhook', problems);
  const before = parseCursor(query, 'before', isUuid, 'a webhook', problems);
  if (after !== undefined && before !== undefined) problems.push('give `after` or `before`, not both');
  throwProblems(problems);

  const newestFirst = (await deps.webhooks.list()).sort((a, b) => compare(b.id, a.id));
  const { page, hasMore } = pageNewestFirst(newestFirst, limit, { after, before }, BY_TIME_ORDERED_ID);
  return { object: 'list', has_more: hasMore, data: page.map(toListEntry) };
}

/** One webhook with its signing secret (`GET /webhooks/{id}`). Throws `not_found`. Read-only. */
export async function getWebhook(deps: WebhooksDeps, id: string): Promise<WebhookView> {
  const webhook = await findWebhook(deps, id);
  return { object: 'webhook', ...toListEntry(webhook), signing_secret: webhook.signingSecret };
}

/**
 * Changes a webhook (`PATCH /webhooks/{id}`, body `{ endpoint?, events?, status? }`).
 * 1. Validates what is given as createWebhook does; `status` is `enabled` or `disabled`. A body
 *    with none of the three is refused, so a misspelt field is not silently ignored.
 * 2. Applies it. Any `status` given clears the reason Outbox recorded when it disabled the webhook.
 * Answers `{ object, id }`. Throws `not_found`, `validation` naming every problem (nothing changes
 * then). Idempotent.
 */
export async function updateWebhook(deps: WebhooksDeps, id: string, body: Readonly<Record<string, unknown>>): Promise<WebhookRef> {
  requireWebhookId(id);
  const given = (field: string) => body[field] !== undefined && body[field] !== null;
  if (!given('endpoint') && !given('events') && !given('status')) {
    const fields = Object.keys(body);
    const got = fields.length === 0 ? 'an empty body' : `only ${fields.map((field) => `\`${describeValue(field)}\``).join(', ')}`;
    throw new OutboxError('validation', `Give at least one of \`endpoint\`, \`events\` or \`status\` to change; got ${got}.`);
  }
  const problems: string[] = [];
  const events = given('events') ? checkEvents(body.events, problems) : undefined;
  let status: WebhookStatus | undefined;
  if (given('status')) {
    if (body.status === 'enabled' || body.status === 'disabled') status = body.status;
    else problems.push(`\`status\` must be "enabled" or "disabled", not ${describeValue(body.status)}.`);
  }
  const endpoint = given('endpoint') ? await checkEndpoint(deps, body.endpoint, problems) : undefined;
  if (problems.length > 0) throw new OutboxError('validation', `${problems.join(' ')} Nothing was changed.`);

  const updated = await deps.webhooks.update(id, {
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(events !== undefined ? { events } : {}),
    ...(status !== undefined ? { status, disabledReason: null } : {}),
  });
  if (!updated) throw notFound(id);
  return { object: 'webhook', id };
}

/**
 * Removes a webhook (`DELETE /webhooks/{id}`): nothing more is delivered to it; its delivery log
 * expires with retention. Throws `not_found`, so a second call is a 404.
 */
export async function removeWebhook(deps: WebhooksDeps, id: string): Promise<WebhookRemoval> {
  requireWebhookId(id);
  if (!(await deps.webhooks.remove(id))) throw notFound(id);
  return { object: 'webhook', id, deleted: true };
}

/**
 * Replaces a webhook's signing secret (`POST /webhooks/{id}/signing-secret/rotate`, no body). The
 * old secret stops signing at once: deliveries from then on, retries included, carry only the new
 * one. Answers `{ object, id, signing_secret }`. Throws `not_found`. Not idempotent: each call
 * makes a new secret.
 */
export async function rotateWebhookSecret(deps: WebhooksDeps, id: string): Promise<WebhookSecretAnswer> {
  requireWebhookId(id);
  const updated = await deps.webhooks.update(id, { signingSecret: generateSigningSecret() });
  if (!updated) throw notFound(id);
  return { object: 'webhook', id, signing_secret: updated.signingSecret };
}

/**
 * One page of a webhook's delivery log, newest first (`GET /webhooks/{id}/events?limit&after`).
 * 1. Validates the query: `limit` 1-100 (default 20), `after` an event id (`msg_...`, the last of
 *    the previous page). `before` is refused: pages go forward with `after` only.
 * 2. Finds the webhook, then reads one page of its messages.
 * Throws `not_found`, `validation` naming every bad parameter. Read-only.
 */
export async function listWebhookEvents(
  deps: WebhooksDeps,
  webhookId: string,
  query: Readonly<Record<string, string>>,
): Promise<ListView<WebhookEventLogEntry>> {
  const problems: string[] = [];
  const limit = parseListLimit(query, problems);
  const after = parseCursor(query, 'after', isMessageId, 'an event', problems);
  refuseBefore(query, 'event', problems);
  throwProblems(problems);

  await findWebhook(deps, webhookId);
  const { messages, hasMore } = await deps.webhooks.listMessages(webhookId, { limit, ...(after !== undefined ? { after } : {}) });
  return { object: 'list', has_more: hasMore, data: messages.map(toEventLogEntry) };
}

/**
 * One notification owed to a webhook, with its payload and delivery status
 * (`GET /webhooks/{id}/events/{eventId}`). Throws `not_found` for an unknown webhook or event.
 * Read-only.
 */
export async function getWebhookEvent(deps: WebhooksDeps, webhookId: string, eventId: string): Promise<WebhookEventView> {
  const { message } = await findMessage(deps, webhookId, eventId);
  return { object: 'webhook_event', ...toEventLogEntry(message), next_attempt_at: message.nextAttemptAt, payload: message.payload };
}

/**
 * One page of the delivery attempts of one event, newest first
 * (`GET /webhooks/{id}/events/{eventId}/attempts?limit&after`).
 * 1. Validates the query: `limit` 1-100 (default 20), `after` an attempt id. `before` is refused.
 * 2. Finds the webhook and the event, then reads its attempts (a few: one per retry).
 * Throws `not_found`, `validation` naming every bad parameter. Read-only.
 */
export async function listWebhookEventAttempts(
  deps: WebhooksDeps,
  webhookId: string,
  eventId: string,
  query: Readonly<Record<string, string>>,
): Promise<ListView<WebhookAttemptView>> {
  const problems: string[] = [];
  const limit = parseListLimit(query, problems);
  const after = parseCursor(query, 'after', isUuid, 'an attempt', problems);
  refuseBefore(query, 'attempt', problems);
  throwProblems(problems);

  await findMessage(deps, webhookId, eventId);
  const newestFirst = (await deps.webhooks.listAttempts(webhookId, eventId)).reverse();
  let start = 0;
  if (after !== undefined) {
    // An attempt id that is not in the log starts nowhere: an empty page, not the first one again.
    const index = newestFirst.findIndex((attempt) => attempt.id === after);
    start = index === -1 ? newestFirst.length : index + 1;
  }
  const rest = newestFirst.slice(start);
  return { object: 'list', has_more: rest.length > limit, data: rest.slice(0, limit).map(toAttemptView) };
}

/**
 * Delivers one event of a webhook's log again (`POST /webhooks/{id}/events/{eventId}/replay`, no
 * body), as the SDK's `webhooks.events.replay`.
 * 1. Finds the webhook and the event.
 * 2. Refuses a disabled webhook: nothing would be sent to it.
 * 3. Queues a replay job for the message: the delivery worker sends the same payload with the same
 *    `webhook-id` (so receivers can drop it as a duplicate if they already have it), as a new
 *    attempt numbered after the logged ones, retried on the usual schedule if it fails.
 * Answers `{ object: 'webhook_event', id }` (the event's id). Throws `not_found`, `validation`
 * for a disabled webhook, `unavailable` where no webhook queue is wired. Not idempotent: each call
 * queues a job, but jobs asked for before any of them delivered deliver the message once.
 */
export async function replayWebhookEvent(deps: WebhooksDeps, webhookId: string, eventId: string): Promise<WebhookEventRef> {
  const { webhook, message } = await findMessage(deps, webhookId, eventId);
  if (webhook.status === 'disabled') {
    throw new OutboxError('validation', `Webhook ${webhook.id} is disabled, so a replay would not be sent; enable it with PATCH /webhooks/${webhook.id} {"status": "enabled"} first.`);
  }
  if (!deps.webhookQueue) throw new OutboxError('unavailable', 'Replaying webhook events is not available here: no webhook queue is configured.');
  await deps.webhookQueue.enqueue([{ webhookId: webhook.id, messageId: message.id, replay: { afterAttempts: message.attempts } }]);
  return { object: 'webhook_event', id: message.id };
}

function checkEvents(value: unknown, problems: string[]): WebhookEventType[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`\`events\` must be a non-empty list of event types (${WEBHOOK_EVENT_TYPES.join(', ')}), not ${describeValue(value)}.`);
    return undefined;
  }
  const known = WEBHOOK_EVENT_TYPES as readonly unknown[];
  const unknown = value.filter((type) => !known.includes(type));
  if (unknown.length > 0) {
    const named = unknown.map(describeValue).join(', ');
    problems.push(
      `\`events\` has ${unknown.length === 1 ? 'an event type' : 'event types'} Outbox does not send: ${named}. Use any of ${WEBHOOK_EVENT_TYPES.join(', ')}.`,
    );
    return undefined;
  }
  return [...new Set(value as WebhookEventType[])];
}

async function checkEndpoint(deps: WebhooksDeps, value: unknown, problems: string[]): Promise<string | undefined> {
  if (typeof value !== 'string' || value.trim() === '') {
    problems.push(`\`endpoint\` must be an https URL, not ${describeValue(value)}.`);
    return undefined;
  }
  try {
    const endpoint = value.trim();
    await checkWebhookUrl(endpoint, { allowPrivate: deps.allowPrivateWebhookUrls, resolver: deps.resolver });
    // Kept as given, so it reads back as sent; the delivery worker parses it the same way.
    return endpoint;
  } catch (error) {
    if (!(error instanceof OutboxError)) throw error;
    problems.push(error.message);
    return undefined;
  }
}

function refuseBefore(query: Readonly<Record<string, string>>, what: string, problems: string[]): void {
  if (query.before !== undefined && query.before.trim() !== '') {
    problems.push(`\`before\` is not supported: list from the newest and page forward with \`after\`, the id of the last ${what} of the previous page`);
  }
}

function isMessageId(id: string): boolean {
  return MESSAGE_ID_PATTERN.test(id);
}

/** Refuses an id that cannot be a webhook's as not found, without a read. */
function requireWebhookId(id: string): void {
  if (!isUuid(id)) throw notFound(id);
}

async function findWebhook(deps: WebhooksDeps, id: string): Promise<WebhookRecord> {
  requireWebhookId(id);
  const webhook = await deps.webhooks.get(id);
  if (!webhook) throw notFound(id);
  return webhook;
}

async function findMessage(deps: WebhooksDeps, webhookId: string, eventId: string): Promise<{ webhook: WebhookRecord; message: WebhookMessage }> {
  const webhook = await findWebhook(deps, webhookId);
  const message = isMessageId(eventId) ? await deps.webhooks.getMessage(webhookId, eventId) : undefined;
  if (!message) throw new OutboxError('not_found', `Webhook event ${describeValue(eventId)} not found for webhook ${webhookId}.`);
  return { webhook, message };
}

function toListEntry(webhook: WebhookRecord): WebhookListEntry {
  return {
    id: webhook.id,
    endpoint: webhook.endpoint,
    created_at: webhook.createdAt,
    status: webhook.status,
    events: webhook.events === null ? null : [...webhook.events],
    ...(webhook.disabledReason !== undefined ? { disabled_reason: webhook.disabledReason } : {}),
  };
}

function toEventLogEntry(message: WebhookMessage): WebhookEventLogEntry {
  return { id: message.id, type: message.type, created_at: message.createdAt, status: message.status };
}

function toAttemptView(attempt: WebhookAttempt): WebhookAttemptView {
  return {
    id: attempt.id,
    http_status_code: attempt.httpStatusCode,
    response: attempt.response,
    sent_at: attempt.sentAt,
    latency_ms: attempt.latencyMs,
  };
}

function notFound(id: string): OutboxError {
  return new OutboxError('not_found', `Webhook ${describeValue(id)} not found.`);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

