import { SnsClient } from './adapters/aws/sns';
import { SqsClient } from './adapters/aws/sqs';
import { CachedWebhookSubscriptions } from './adapters/cached-webhook-subscriptions';
import { ClamdScanner } from './adapters/clamd-scanner';
import { DnsHostResolver } from './adapters/dns-host-resolver';
import { DynamoDbApiKeyStore } from './adapters/dynamodb-api-key-store';
import { DynamoDbDeliverabilityCounters, DynamoDbGuardMemory } from './adapters/dynamodb-deliverability-counters';
import type { DynamoDbDocumentClient } from './adapters/aws/dynamodb';
import { documentClient, type ClientOptions } from './adapters/dynamodb-documents';
import { DynamoDbEmailStore } from './adapters/dynamodb-email-store';
import { DynamoDbIdempotencyStore } from './adapters/dynamodb-idempotency-store';
import { DynamoDbScheduleStore } from './adapters/dynamodb-schedule-store';
import { DynamoDbSoftBounceCounter } from './adapters/dynamodb-soft-bounce-counter';
import { DynamoDbSuppressionList } from './adapters/dynamodb-suppression-list';
import { DynamoDbWebhookStore } from './adapters/dynamodb-webhook-store';
import { HttpWebhookClient } from './adapters/http-webhook-client';
import { SesEmailSender } from './adapters/ses-email-sender';
import { SesV2Client } from './adapters/aws/sesv2';
import { SnsNotificationTopic } from './adapters/sns-notification-topic';
import { SqsOutboundQueue } from './adapters/sqs-outbound-queue';
import { SqsWebhookQueue } from './adapters/sqs-webhook-queue';
import { SqsWebhookRetry } from './adapters/sqs-webhook-retry';
import { DynamoDbSendClaims } from './adapters/dynamodb-send-claims';
import { AccountSendRate, DynamoDbSendRateGovernor } from './adapters/dynamodb-send-rate-governor';
import { DynamoDbSendingPause } from './adapters/dynamodb-sending-pause';
import { SesAccountClient } from './adapters/ses-account';
import { SesAccountReportClient } from './adapters/ses-account-report';
import { DynamoDbDomainRegistry } from './adapters/dynamodb-domain-registry';
import { SesEmailIdentities } from './adapters/ses-email-identities';
import { DEFAULT_DOMAIN_MAIL_FROM_SUBDOMAIN } from './core/domains';
import { SesConfigurationSetSending } from './adapters/ses-configuration-set-sending';
import { SqsOutboundRetry } from './adapters/sqs-outbound-retry';
import type { ApiConfig, EventsConfig, NotificationConfig, ReputationAlarmConfig, SchedulerConfig, SenderConfig, WebhookDeliveryConfig } from './config';
import type { OutboundRetry, OutboundSenderSettings } from './core/outbound-sender';
import type { OutboundBatchDeps } from './entrypoints/sqs-outbound';
import { notificationBatch, notify, type Notify, type NotifyDeps } from './core/notifications';
import type { OutboundQueue } from './core/outbound';
import { systemClock } from './core/ports';
import { DEFAULT_GUARD_THRESHOLDS } from './core/deliverability';
import type { DeliverabilityDeps } from './core/reputation-guard';
import { pauseSending } from './core/sending-control';
import type { NotificationTopic, WebhookQueue } from './core/webhooks';
import type { ApiDeps } from './entrypoints/http';
import type { ReputationAlarmDeps } from './entrypoints/reputation-alarm';
import type { SchedulerTickDeps } from './entrypoints/scheduler-tick';
import type { EventsDeps } from './entrypoints/sqs-events';
import type { WebhookBatchDeps } from './entrypoints/sqs-webhooks';

/** What local mode and tests put in place of AWS services when building the api. */
export interface ApiOverrides {
  /** Instead of the SQS outbound queue. */
  readonly outbound?: OutboundQueue;
  /** Instead of the SNS notifications topic and the SQS webhook queue, for sending.paused / sending.resumed, email.scheduled and webhook event replays. */
  readonly notifications?: NotificationOverrides;
}

/**
 * Builds the api's dependencies from its configuration: the one place its clients are made.
 */
export function buildApiDeps(config: ApiConfig, options: ClientOptions = {}, overrides: ApiOverrides = {}): ApiDeps {
  const documents = documentClient(config.dynamoDbEndpoint, options);
  const ses = new SesV2Client({ ...options, ...(config.sesEndpoint ? { endpoint: config.sesEndpoint } : {}) });
  // One pause for the sync sends and /sending: read at most once a second, and this instance's own pause and resume seen at once.
  const pause = new DynamoDbSendingPause(documents, config.controlTable);
  // Read afresh for every report (GET /sending, GET /deliverability: dashboard calls, not the send path), so a pause the guard set a moment ago shows.
  const reportedPause = new DynamoDbSendingPause(documents, config.controlTable, 0);
  const accountReport = new SesAccountReportClient(ses);
  // One fan-out for sending.paused / sending.resumed and for webhook event replays: its queue is the replays' queue.
  const notifyDeps = config.notifications
    ? buildNotifyDeps({ ...config.notifications, retentionDays: config.retentionDays }, documents, options, overrides.notifications)
    : undefined;
  return {
    emails: new DynamoDbEmailStore(documents, config.emailsTable, systemClock, config.retentionDays),
    keys: new DynamoDbApiKeyStore(documents, config.apiKeysTable),
    suppressions: new DynamoDbSuppressionList(documents, config.suppressionsTable),
    webhooks: new DynamoDbWebhookStore(documents, config.webhooksTable, systemClock, config.retentionDays),
    idempotency: new DynamoDbIdempotencyStore(documents, config.idempotencyTable),
    schedule: new DynamoDbScheduleStore(documents, config.emailsTable, systemClock),
    resolver: new DnsHostResolver(),
    allowPrivateWebhookUrls: false,
    sender: new SesEmailSender(ses),
    clock: systemClock,
    ...(config.clamd ? { virusScanner: new ClamdScanner({ address: config.clamd }) } : {}),
    accountReport,
    ...(config.sendingIdentities ? { sendingIdentities: config.sendingIdentities } : {}),
    domains: {
      identities: new SesEmailIdentities(ses),
      account: accountReport,
      registry: new DynamoDbDomainRegistry(documents, config.controlTable),
      stackIdentities: config.sendingIdentities ?? [],
      configurationSet: config.configurationSet,
      ...mailFromOf(config.domainMailFromSubdomain),
      clock: systemClock,
    },
    ...outboundFor(config, options, overrides),
    configurationSet: config.configurationSet,
    pause,
    reportedPause,
    configurationSetSending: new SesConfigurationSetSending(ses, config.configurationSet),
    ...(notifyDeps ? { notify: notifyThrough(notifyDeps), webhookQueue: notifyDeps.queue } : {}),
    retentionDays: config.retentionDays,
    deliverability: {
      counters: new DynamoDbDeliverabilityCounters(documents, config.controlTable),
      pause: reportedPause,
      thresholds: config.guardThresholds ?? DEFAULT_GUARD_THRESHOLDS,
      clock: systemClock,
    },
    log: logError,
  };
}

/** The MAIL FROM subdomain of domains made through the API: the configured one, none when `off`. */
function mailFromOf(subdomain: string | false | undefined): { defaultReturnPath?: string } {
  if (subdomain === false) return {};
  return { defaultReturnPath: subdomain ?? DEFAULT_DOMAIN_MAIL_FROM_SUBDOMAIN };
}

/** Local mode replaces the SNS topic and the SQS webhook queue with in-process stand-ins. */
export interface NotificationOverrides {
  readonly topic: NotificationTopic;
  readonly queue: WebhookQueue;
}

/**
 * The notification fan-out the events Lambda and the sender share: the SNS notifications topic,
 * the webhook subscriptions (the webhooks table, only read, cached for `webhookCacheMs`) and the
 * webhook queue.
 */
function buildNotify(
  config: NotificationConfig & { readonly retentionDays: number },
  documents: DynamoDbDocumentClient,
  options: ClientOptions,
  overrides?: NotificationOverrides,
): Notify {
  return notifyThrough(buildNotifyDeps(config, documents, options, overrides));
}

/** `notify` bound to one fan-out. */
function notifyThrough(notifyDeps: NotifyDeps): Notify {
  return (payload, eventKey, orderedAt) => notify(notifyDeps, payload, eventKey, orderedAt);
}

function buildNotifyDeps(
  config: NotificationConfig & { readonly retentionDays: number },
  documents: DynamoDbDocumentClient,
  options: ClientOptions,
  overrides?: NotificationOverrides,
): NotifyDeps {
  const webhooks = new DynamoDbWebhookStore(documents, config.webhooksTable, systemClock, config.retentionDays);
  return {
    topic: overrides?.topic ?? new SnsNotificationTopic(new SnsClient({ ...options }), config.notificationsTopicArn),
    queue: overrides?.queue ?? new SqsWebhookQueue(new SqsClient({ ...options }), config.webhookQueueUrl),
    subscriptions: new CachedWebhookSubscriptions(webhooks, systemClock, config.webhookCacheMs),
    clock: systemClock,
  };
}

/**
 * Builds the events consumer's dependencies: the emails table for tracking, the suppressions table,
 * the notification fan-out (buildNotify), and, with the control table, the deliverability
 * counters and the reputation guard (its state there, its warnings through the same fan-out).
 */
export function buildEventsDeps(config: EventsConfig, options: ClientOptions = {}, overrides?: NotificationOverrides): EventsDeps {
  const documents = documentClient(config.dynamoDbEndpoint, options);
  const notifyDeps = buildNotifyDeps(config, documents, options, overrides);
  const notifyAll = notifyThrough(notifyDeps);
  const deps: EventsDeps = {
    notify: notifyAll,
    // An events batch's notifications go out together (PublishBatch, one SendMessageBatch).
    notifyBatch: (records) => notificationBatch(notifyDeps, records),
    tracking: new DynamoDbEmailStore(documents, config.emailsTable, systemClock, config.retentionDays),
    suppressions: new DynamoDbSuppressionList(documents, config.suppressionsTable),
    softBounces: new DynamoDbSoftBounceCounter(documents, config.suppressionsTable),
    softBouncePolicy: { limit: config.softBounceLimit, windowDays: config.softBounceWindowDays },
    clock: systemClock,
    log: logError,
    ...(config.controlTable ? { deliverability: buildDeliverabilityDeps(config.controlTable, config, documents, notifyAll, (message, error) => deps.log(message, error)) } : {}),
  };
  return deps;
}

/**
 * The counters and the guard for the events path. `log` goes through the events deps' own log, so
 * what local mode puts there (its error log) sees the guard's lines too. The guard pauses Outbox's
 * own sending (the held pause in the control table) and notifies `sending.paused` through the
 * same fan-out; it leaves the configuration set to the SES reputation alarm's handler, so the
 * events Lambda carries no SES client and needs no SES permission.
 */
function buildDeliverabilityDeps(
  controlTable: string,
  config: EventsConfig,
  documents: DynamoDbDocumentClient,
  notifyAll: Notify,
  log: (message: string, error?: unknown) => void,
): DeliverabilityDeps {
  const control = { pause: new DynamoDbSendingPause(documents, controlTable), notify: notifyAll, clock: systemClock, log };
  return {
    counters: new DynamoDbDeliverabilityCounters(documents, controlTable),
    memory: new DynamoDbGuardMemory(documents, controlTable),
    thresholds: config.guardThresholds ?? DEFAULT_GUARD_THRESHOLDS,
    clock: systemClock,
    notify: notifyAll,
    pause: (request) => pauseSending(control, request),
    log,
  };
}

const logError = (message: string, error?: unknown): void => console.error(JSON.stringify({ level: 'error', message, error: describe(error) }));

function describe(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Builds the webhook delivery consumer's dependencies: the webhooks table, DNS for the SSRF
 * re-check, an HTTP client that refuses blocked addresses at connect time, and SQS for retry
 * delays. Private endpoints are refused; local mode overrides `allowPrivateWebhookUrls`, `http`
 * (with `allowPrivate`) and `retry`.
 */
export function buildWebhookDeliveryDeps(config: WebhookDeliveryConfig, options: ClientOptions = {}): WebhookBatchDeps {
  const documents = documentClient(config.dynamoDbEndpoint, options);
  return {
    store: new DynamoDbWebhookStore(documents, config.webhooksTable, systemClock, config.retentionDays),
    http: new HttpWebhookClient({ allowPrivate: false }),
    resolver: new DnsHostResolver(),
    retry: new SqsWebhookRetry(new SqsClient({ ...options }), config.webhookQueueUrl),
    clock: systemClock,
    random: Math.random,
    allowPrivateWebhookUrls: false,
    log: logError,
  };
}
/**
 * Builds the scheduler's dependencies: the emails table (its `by-due` index) and the outbound
 * queue (SQS; local mode gives its in-process queue instead, and a shorter `checkDelayMs`: how long
 * a queued email may stay unsent before the sweep queues it again).
 */
export function buildSchedulerDeps(config: SchedulerConfig, options: ClientOptions = {}, outbound?: OutboundQueue, checkDelayMs?: number): SchedulerTickDeps {
  const documents = documentClient(config.dynamoDbEndpoint, options);
  return {
    schedule: new DynamoDbScheduleStore(documents, config.emailsTable, systemClock),
    outbound: outbound ?? new SqsOutboundQueue(new SqsClient({ ...options }), config.outboundQueueUrl),
    clock: systemClock,
    ...(checkDelayMs !== undefined ? { checkDelayMs } : {}),
    log: logError,
  };
}

function outboundFor(config: ApiConfig, options: ClientOptions, overrides: ApiOverrides): { outbound?: OutboundQueue } {
  if (overrides.outbound) return { outbound: overrides.outbound };
  return config.outboundQueueUrl ? { outbound: new SqsOutboundQueue(new SqsClient({ ...options }), config.outboundQueueUrl) } : {};
}

/** What local mode and tests put in place of AWS services when building the sender. */
export interface SenderOverrides {
  /** Instead of SQS visibility changes on the outbound queue. */
  readonly retry?: OutboundRetry;
  /** Instead of the SQS outbound queue, for requeued jobs. */
  readonly requeue?: OutboundQueue;
  readonly settings?: Partial<OutboundSenderSettings>;
  /** Instead of the SNS notifications topic and the SQS webhook queue. */
  readonly notifications?: NotificationOverrides;
}

/**
 * Builds the sender's dependencies: the emails table it sends from (content included), the
 * control table it paces and pauses through, SES (sends and GetAccount), its queue for retries,
 * and the notification fan-out (buildNotify) for emails SES refuses for good. Its SES client makes one attempt per call: the sender retries throttles itself, paced,
 * and an SDK retry after a timeout could send an email twice.
 */
export function buildSenderDeps(config: SenderConfig, options: ClientOptions = {}, overrides: SenderOverrides = {}): OutboundBatchDeps {
  const documents = documentClient(config.dynamoDbEndpoint, options);
  const ses = new SesV2Client({
    ...options,
    ...(config.sesEndpoint ? { endpoint: config.sesEndpoint } : {}),
    maxAttempts: 1,
    // Well inside the Lambda's 30 s, so an attempt that hangs ends as "uncertain", not as a timeout.
    connectionTimeoutMs: 3_000,
    requestTimeoutMs: 10_000,
  });
  const sqs = new SqsClient({ ...options });
  const account = new SesAccountClient(ses);
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const rate = new AccountSendRate({
    documents,
    tableName: config.controlTable,
    account,
    clock: systemClock,
    log: logError,
    ...(config.maxSendRate !== undefined ? { override: config.maxSendRate } : {}),
  });
  return {
    emails: new DynamoDbEmailStore(documents, config.emailsTable, systemClock, config.retentionDays),
    claims: new DynamoDbSendClaims(documents, config.emailsTable),
    sender: new SesEmailSender(ses),
    governor: new DynamoDbSendRateGovernor(documents, config.controlTable, rate, systemClock, sleep),
    pause: new DynamoDbSendingPause(documents, config.controlTable),
    account,
    clock: systemClock,
    configurationSet: config.configurationSet,
    random: Math.random,
    sleep,
    log: logError,
    retry: overrides.retry ?? new SqsOutboundRetry(sqs, config.outboundQueueUrl),
    requeue: overrides.requeue ?? new SqsOutboundQueue(sqs, config.outboundQueueUrl),
    ...(overrides.settings ? { settings: overrides.settings } : {}),
    ...(config.notifications
      ? { notify: buildNotify({ ...config.notifications, retentionDays: config.retentionDays }, documents, options, overrides.notifications) }
      : {}),
  };
}

/**
 * Builds the reputation alarm handler's dependencies: the held pause in the control table, the
 * configuration set's sending switch (SES v2), and the notification fan-out (buildNotify) for
 * `sending.paused`. Local mode and tests give `notifications` in place of SNS and SQS.
 */
export function buildReputationAlarmDeps(config: ReputationAlarmConfig, options: ClientOptions = {}, notifications?: NotificationOverrides): ReputationAlarmDeps {
  const documents = documentClient(config.dynamoDbEndpoint, options);
  const ses = new SesV2Client({ ...options, ...(config.sesEndpoint ? { endpoint: config.sesEndpoint } : {}) });
  return {
    pause: new DynamoDbSendingPause(documents, config.controlTable),
    configurationSet: new SesConfigurationSetSending(ses, config.configurationSet),
    notify: buildNotify({ ...config.notifications, retentionDays: config.retentionDays }, documents, options, notifications),
    clock: systemClock,
    log: logError,
  };
}
