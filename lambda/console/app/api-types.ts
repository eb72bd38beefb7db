/**
 * The shapes the console reads, as the public API answers them (README "Routes"). Declared here,
 * not imported from the server's code: the console is a client of the API like any other, and
 * every field is treated as untrusted text.
 */

export interface ListAnswer<T> {
  readonly object: 'list';
  readonly has_more?: boolean;
  readonly data: T[];
}

export type LastEvent =
  | 'queued'
  | 'scheduled'
  | 'canceled'
  | 'sent'
  | 'delivered'
  | 'delivery_delayed'
  | 'bounced'
  | 'complained'
  | 'opened'
  | 'clicked'
  | 'failed'
  | 'suppressed';

/** Every `last_event`, in the order of the status ladder. */
export const LAST_EVENTS: readonly LastEvent[] = [
  'scheduled',
  'queued',
  'sent',
  'delivery_delayed',
  'delivered',
  'opened',
  'clicked',
  'bounced',
  'complained',
  'failed',
  'suppressed',
  'canceled',
];

export interface EmailSummary {
  readonly id: string;
  readonly from: string;
  readonly to: string[];
  readonly cc: string[] | null;
  readonly bcc: string[] | null;
  readonly reply_to: string[] | null;
  readonly subject: string;
  readonly created_at: string;
  readonly scheduled_at: string | null;
  readonly last_event: LastEvent;
}

export interface Recipient {
  readonly email: string;
  readonly type: string;
  readonly status: string;
  readonly updated_at: string | null;
}

export interface TimelineEvent {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly occurred_at: string;
  readonly recipients: readonly string[];
  readonly detail: Record<string, unknown>;
}

export interface EmailView extends EmailSummary {
  readonly html: string | null;
  readonly text: string | null;
  readonly tags: { name: string; value: string }[];
  readonly ses_message_id: string | null;
  readonly headers: Record<string, string>;
  readonly attachments: { filename: string; content_type: string; content_id: string | null; size: number }[];
  readonly template: { id: string; variables: Record<string, string | number> } | null;
  readonly failure: { name: string; message: string; failed_at: string } | null;
  readonly recipients: Recipient[];
  readonly events: TimelineEvent[];
}

export type SuppressionOrigin = 'bounce' | 'complaint' | 'manual';

export interface Suppression {
  readonly id: string;
  readonly email: string;
  readonly origin: SuppressionOrigin;
  readonly source_id: string | null;
  readonly created_at: string;
}

/** The types a webhook can subscribe to, as POST /webhooks takes them: the server's own list, so the two never drift. */
export { WEBHOOK_EVENT_TYPES } from '../../core/webhooks';

export interface Webhook {
  readonly id: string;
  readonly endpoint: string;
  readonly created_at: string;
  readonly status: 'enabled' | 'disabled';
  readonly events: string[] | null;
  readonly disabled_reason?: string;
}

export interface WebhookSecret {
  readonly id: string;
  readonly signing_secret: string;
}

export interface WebhookEventLogEntry {
  readonly id: string;
  readonly type: string;
  readonly created_at: string;
  readonly status: 'attempting' | 'pending' | 'success' | 'failed';
}

export interface WebhookEventView extends WebhookEventLogEntry {
  readonly next_attempt_at: string | null;
}

export interface WebhookAttempt {
  readonly id: string;
  readonly http_status_code: number;
  readonly response: string;
  readonly sent_at: string;
  readonly latency_ms: number;
}

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly permission: 'full_access' | 'sending_access';
  readonly created_at: string;
  /** To within a minute; null until the key is first used. */
  readonly last_used_at: string | null;
}

export interface CreatedApiKey {
  readonly id: string;
  readonly token: string;
}

export interface Counts {
  readonly sent: number;
  readonly delivered: number;
  readonly bounced: number;
  readonly complained: number;
}

export interface HourBucket extends Counts {
  /** ISO 8601, the start of the hour. */
  readonly hour: string;
}

export interface Deliverability extends Counts {
  readonly window: '24h' | '7d';
  readonly bounce_rate: number;
  readonly complaint_rate: number;
  readonly status: 'healthy' | 'warning' | 'paused';
  readonly thresholds: {
    readonly warn_bounce_rate: number;
    readonly warn_complaint_rate: number;
    readonly pause_bounce_rate: number;
    readonly pause_complaint_rate: number;
    readonly minimum_sends: number;
  };
  readonly domains: (Counts & { domain: string; bounce_rate: number; complaint_rate: number })[];
  /** Hourly buckets, oldest first; older servers leave it out. */
  readonly series?: HourBucket[];
}

export interface Sending {
  readonly enabled: boolean;
  readonly paused_reason: string | null;
  readonly paused_at: string | null;
  readonly paused_by: string | null;
  readonly ses: { readonly sending_enabled: boolean | null; readonly enforcement_status: string | null } | null;
}

/** One message the local SES stand-in accepted (GET /_local/messages). */
export interface StandInMessage {
  readonly messageId: string;
  readonly receivedAt: string;
  readonly contentKind: string;
  readonly from: string;
  readonly recipients: readonly string[];
  readonly subject?: string;
  readonly tags: readonly { name: string; value: string }[];
  readonly sizeBytes: number;
}

/** One entry of GET /_local/dead-letters. */
export interface DeadLetter {
  readonly queue: string;
  readonly message_id: string;
  readonly dead_lettered_at: string;
  readonly receive_count: number;
  readonly failed: string;
  readonly reason: string;
}
