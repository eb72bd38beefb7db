import type { SesAccountReport } from '../core/account-report';
import type { Principal } from '../core/api-keys';
import type { VirusScanner } from '../core/content-scan';
import type { DomainDeps } from '../core/domains';
import { OutboxError } from '../core/errors';
import { UUID_SOURCE } from '../core/ids';
import { readJsonBody } from '../core/json-body';
import type { IdempotencyStore } from '../core/idempotency';
import type { Notify } from '../core/notifications';
import type { OutboundQueue } from '../core/outbound';
import type { ApiKeyStore, Clock, EmailSender, EmailStore } from '../core/ports';
import type { DeliverabilityReportDeps } from '../core/reputation-guard';
import type { ScheduleStore } from '../core/scheduler';
import type { SendingPause } from '../core/send-rate';
import type { ConfigurationSetSending } from '../core/sending-control';
import type { SuppressionList } from '../core/suppression';
import type { HostResolver, WebhookQueue, WebhookStore } from '../core/webhooks';

/** A request as any HTTP front end (API Gateway, the local server) hands it over. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  /** Query string parameters (the last value wins when one repeats). */
  readonly query?: Readonly<Record<string, string>>;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  /** Set by the front end's API key check; absent only on routes that need none. */
  readonly principal?: Principal;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface ApiDeps {
  readonly emails: EmailStore;
  readonly sender: EmailSender;
  readonly keys: ApiKeyStore;
  readonly suppressions: SuppressionList;
  readonly webhooks: WebhookStore;
  /** Where webhook event replays are queued. Absent: replay answers 503. */
  readonly webhookQueue?: WebhookQueue;
  /** Idempotency-Key records for POST /emails and /emails/batch. */
  readonly idempotency: IdempotencyStore;
  /** Reschedule and cancel of scheduled emails. */
  readonly schedule: ScheduleStore;
  /** Emails to send later: POST /emails/batch, and sync sends SES throttled. Absent: neither is queued. */
  readonly outbound?: OutboundQueue;
  /** For the SSRF guard on webhook endpoints. */
  readonly resolver: HostResolver;
  /** Local mode: webhook endpoints may be http and loopback or private addresses. */
  readonly allowPrivateWebhookUrls: boolean;
  readonly clock: Clock;
  /** A ClamAV daemon (OUTBOX_CLAMD); unset, only the built-in content checks run. */
  readonly virusScanner?: VirusScanner;
  /** SES's view of the account and identities, for GET /account; absent, that route answers 503. */
  readonly accountReport?: SesAccountReport;
  /** The identities GET /account reports on (OUTBOX_SENDING_IDENTITIES); unset, the account's own list. */
  readonly sendingIdentities?: readonly string[];
  readonly configurationSet?: string;
  /** The shared sending pause: sync sends honour it, /sending reports and switches it. Absent (tools, in-memory tests): not checked, /sending answers 503. */
  readonly pause?: SendingPause;
  /** The same pause read afresh every time, for the routes that report it (GET /sending); absent: `pause`. */
  readonly reportedPause?: SendingPause;
  /** SES's sending switch for the configuration set, paused and resumed with Outbox. Absent: none switched. */
  readonly configurationSetSending?: ConfigurationSetSending;
  /** Sends `sending.paused` / `sending.resumed` and `email.scheduled`. Absent: nobody is told. */
  readonly notify?: Notify;
  readonly retentionDays: number;
  /** SES domain identities for /domains; absent, those routes answer 503. */
  readonly domains?: DomainDeps;
  /** The deliverability counters and Outbox's pause, for GET /deliverability; absent, that route answers 503. */
  readonly deliverability?: DeliverabilityReportDeps;
  readonly log: (message: string, error?: unknown) => void;
}

export type Handler = (deps: ApiDeps, request: HttpRequest, params: string[]) => Promise<{ status?: number; body: unknown }>;

/**
 * An email id in a route pattern: a UUID, so other segments under `/emails/` (`/emails/metrics`,
 * a typo) are unknown routes rather than emails that are not found.
 */
export const EMAIL_ID = `(${UUID_SOURCE})`;

export interface Route {
  readonly pattern: RegExp;
  readonly methods: Readonly<Record<string, Handler>>;
  /** Routes anyone may call, such as the liveness check. */
  readonly public?: boolean;
}


export function principalOf(request: HttpRequest): Principal {
  if (!request.principal) throw new OutboxError('missing_api_key', 'Missing API key in the Authorization header. Include `Authorization: Bearer <api key>`.');
  return request.principal;
}

/** The request's JSON body, through the one reader with the size and depth limits (readJsonBody). */
export function parseJsonBody(request: HttpRequest): unknown {
  return readJsonBody(request.body);
}

export function parseJsonObject(request: HttpRequest): Record<string, unknown> {
  const body = parseJsonBody(request);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OutboxError('malformed_body', 'The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}


/**
 * A path parameter as the route reads it, the one place ids in paths are percent-decoded (front
 * ends hand over the path still encoded; the HTTP API's entrypoint escapes the `%` of the path it
 * was given decoded). A `%` that does not start an escape (`%ZZ`, `%u0041`, a cut `%E0%A4`) or escapes that are not UTF-8 (`%C0%AF`, an encoded
 * surrogate) is 400 `validation_error` naming the segment: no id is spelled that way, and the
 * client can see what to fix.
 */
export function decodePathParameter(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    const shown = raw.length > 80 ? `${raw.slice(0, 80)}...` : raw;
    throw new OutboxError(
      'malformed_path',
      `The path segment \`${shown}\` is not valid percent-encoding: each \`%\` must start an escape of UTF-8 bytes such as \`%40\`. Encode ids with encodeURIComponent.`,
    );
  }
}
