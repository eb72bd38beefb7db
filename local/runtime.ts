import type { Server } from 'node:http';
import { isAwsError } from '../lambda/adapters/aws/aws-http-client';
import { createApiKey, generateApiKeySecret } from '../lambda/core/api-keys';
import type { ApiConfig, EventsConfig, NotificationConfig, SenderConfig } from '../lambda/config';
import { OutboxError, toErrorBody } from '../lambda/core/errors';
import type { HttpResponse } from '../lambda/entrypoints/http';
import { handleSesEventBatch, recordSesNotifications, type EventsDeps } from '../lambda/entrypoints/sqs-events';
import { DEFAULT_GUARD_THRESHOLDS, type GuardThresholds } from '../lambda/core/deliverability';
import { ALL_TABLES, API_KEYS_TABLE, CONTROL_TABLE, EMAILS_TABLE, IDEMPOTENCY_TABLE, SUPPRESSIONS_TABLE, WEBHOOKS_TABLE, type TableDefinition } from '../lambda/shared/tables';
import { handleWebhookBatch } from '../lambda/entrypoints/sqs-webhooks';
import { HttpWebhookClient } from '../lambda/adapters/http-webhook-client';
import { OUTBOUND_MAX_RECEIVE_COUNT, WEBHOOK_MAX_ATTEMPTS } from '../lambda/shared/env';
import type { WebhookJob } from '../lambda/core/webhooks';
import { buildApiDeps, buildEventsDeps, buildSchedulerDeps, buildSenderDeps, buildWebhookDeliveryDeps, type SenderOverrides } from '../lambda/wiring';
import type { OutboundSenderSettings } from '../lambda/core/outbound-sender';
import { handleOutboundBatch, type OutboundBatchDeps } from '../lambda/entrypoints/sqs-outbound';
import { LocalOutboundQueue, LocalOutboundRetry } from './local-outbound';
import { startLocalScheduler } from './local-scheduler';
import { LocalNotificationTopic } from './local-notification-topic';
import { LocalQueue } from './local-queue';
import { createLocalSuppressionSync } from './local-suppression-stream';
import { LOCAL_WEBHOOK_SPEEDUP, LocalWebhookRetry } from './local-webhook-retry';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, startEmbeddedDynamoDb } from './embedded-dynamodb';
import { startHttpServer, type LocalRoutes } from './http-server';
import { startSmtpServer, type LocalSmtpServer, type SmtpLimits } from './smtp-server';
import { consoleServer } from '../lambda/console/serve';
import { buildConsole } from '../lib/console-build';
import { startSesStandIn, type SesStandIn } from './ses-standin';
import { FailureLog, listDeadLetters, type DeadLetterSources } from './dead-letters';
import { localTemplateRoute } from './local-templates';
import { LOCAL_QUEUED_CHECK_DELAY_MS, LOCAL_SENDER_SETTINGS, recoverPreviousRun, settleBeforeStop, type RecoveredWork } from './restart';

export interface LocalOptions {
  readonly host?: string;
  readonly port?: number;
  /** A key to accept with full access; without one a key is generated. */
  readonly apiKey?: string;
  /** Verified SES identities (domains or addresses); undefined = every sender is verified. */
  readonly identities?: readonly string[];
  /** How long a domain made through POST /domains stays pending in the SES stand-in. @default 5 s */
  readonly identityVerificationMs?: number;
  /** Keep the store on disk here; in memory when undefined. */
  readonly dataDir?: string;
  readonly retentionDays?: number;
  readonly softBounceLimit?: number;
  readonly softBounceWindowDays?: number;
  /** The reputation guard's thresholds (OUTBOX_GUARD_*); default DEFAULT_GUARD_THRESHOLDS. */
  readonly guardThresholds?: GuardThresholds;
  /** A ClamAV daemon to scan content with: `host:port` or a unix socket path (OUTBOX_CLAMD). */
  readonly clamd?: string;
  /** How much faster than in AWS webhook retries come (default 300: 5 min becomes 1 s). */
  readonly webhookRetrySpeedup?: number;
  /**
   * The SES stand-in's maximum send rate, recipients per second (OUTBOX_LOCAL_MAX_SEND_RATE); it
   * answers TooManyRequests above it, and GetAccount reports it, so the sender paces to it.
   * Undefined: unlimited (GetAccount says 1000).
   */
  readonly maxSendRate?: number;
  /** Sender tuning (lease, grace, pause and backoff lengths), for tests that cannot wait a minute; over LOCAL_SENDER_SETTINGS. */
  readonly outboundSettings?: Partial<OutboundSenderSettings>;
  /** The sweep's delay: how long a `queued` email waits before the scheduler looks at it (LOCAL_QUEUED_CHECK_DELAY_MS). */
  readonly queuedCheckDelayMs?: number;
  /**
   * The SMTP submission port (local/smtp-server.ts) on `host`: 0 picks a free one; undefined runs
   * none. A STARTTLS certificate is generated unless `smtpTls` gives one (PEM).
   */
  readonly smtpPort?: number;
  readonly smtpTls?: { readonly cert: string; readonly key: string };
  /** The SMTP port's limits on connections and logins, for tests; over DEFAULT_SMTP_LIMITS. */
  readonly smtpLimits?: Partial<SmtpLimits>;
  readonly logRequest?: (line: string) => void;
  readonly logError?: (message: string, error?: unknown) => void;
}

export interface LocalOutbox {
  readonly url: string;
  readonly apiKey: string;
  readonly ses: SesStandIn;
  readonly dynamoDbEndpoint: string;
  /** The SES events queue (SNS -> SQS in AWS), delivering to the events handler. */
  readonly eventsQueue: LocalQueue;
  /** The webhook deliveries queue (SQS in AWS), delivering to the webhook delivery handler. */
  readonly webhookQueue: LocalQueue;
  /** The notifications topic (SNS in AWS). */
  readonly notifications: LocalNotificationTopic;
  /** The outbound queue (SQS in AWS), delivering queued emails to the sender handler. */
  readonly outboundQueue: LocalQueue;
  /** The SMTP submission port, when one was asked for (LocalOptions.smtpPort). */
  readonly smtp?: LocalSmtpServer;
  /** With a data directory: what the previous process left unfinished, taken up at start (recoverPreviousRun). */
  readonly recovered: RecoveredWork;
  /**
   * Stops taking requests and jobs, lets the sends in flight finish and their SES events be
   * recorded (bounded: see settleBeforeStop), then stops everything.
   */
  stop(): Promise<void>;
}

export const LOCAL_CONFIGURATION_SET = 'outbox-local';

/** The local table name for a shared definition. */
export function localTableName(definition: TableDefinition): string {
  return `outbox-${definition.id}`;
}

/**
 * Outbox in one process: the embedded DynamoDB-compatible store with the stack's tables, the SES
 * stand-in, and the api handlers behind a local HTTP server. No AWS, no Docker, no network.
 */
/** The api's configuration in local mode: the local table names, the stand-in's configuration set and endpoints. */
export function localApiConfig(options: { sesEndpoint: string; dynamoDbEndpoint: string; retentionDays?: number; clamd?: string; guardThresholds?: GuardThresholds }): ApiConfig {
  return {
    emailsTable: localTableName(EMAILS_TABLE),
    apiKeysTable: localTableName(API_KEYS_TABLE),
    idempotencyTable: localTableName(IDEMPOTENCY_TABLE),
    suppressionsTable: localTableName(SUPPRESSIONS_TABLE),
    webhooksTable: localTableName(WEBHOOKS_TABLE),
    configurationSet: LOCAL_CONFIGURATION_SET,
    retentionDays: options.retentionDays ?? 90,
    controlTable: localTableName(CONTROL_TABLE),
    guardThresholds: options.guardThresholds ?? DEFAULT_GUARD_THRESHOLDS,
    ...(options.clamd ? { clamd: options.clamd } : {}),
    sesEndpoint: options.sesEndpoint,
    dynamoDbEndpoint: options.dynamoDbEndpoint,
  };
}

export async function startLocalOutbox(options: LocalOptions = {}): Promise<LocalOutbox> {
  const host = options.host ?? '127.0.0.1';
  const dynamo = await startEmbeddedDynamoDb({ host, ...(options.dataDir ? { dataDir: options.dataDir } : {}) });
  const ses = await startSesStandIn({
    host,
    ...(options.identities ? { verifiedIdentities: options.identities } : {}),
    ...(options.identityVerificationMs !== undefined ? { identityVerificationMs: options.identityVerificationMs } : {}),
    ...(options.maxSendRate !== undefined ? { maxSendRate: options.maxSendRate } : {}),
    // What SES accepted, and the events it owes, survive a restart as they would in SES.
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  await createTables(dynamo.endpoint, ALL_TABLES.map((definition) => ({ definition, name: localTableName(definition) })));

  const config = localApiConfig({
    sesEndpoint: ses.url,
    dynamoDbEndpoint: dynamo.endpoint,
    ...(options.retentionDays !== undefined ? { retentionDays: options.retentionDays } : {}),
    ...(options.clamd ? { clamd: options.clamd } : {}),
    ...(options.guardThresholds ? { guardThresholds: options.guardThresholds } : {}),
  });
  const clientOptions = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  // Webhook deliveries: SQS -> delivery Lambda in AWS; here a local queue with the same retry
  // policy on a compressed clock, and loopback receivers allowed.
  const localQueueUrl = 'http://local/outbox-webhooks';
  const webhookDeps = {
    ...buildWebhookDeliveryDeps({ webhooksTable: config.webhooksTable, webhookQueueUrl: localQueueUrl, retentionDays: config.retentionDays, dynamoDbEndpoint: dynamo.endpoint }, clientOptions),
    http: new HttpWebhookClient({ allowPrivate: true }),
    allowPrivateWebhookUrls: true,
  };
  const webhookQueue = new LocalQueue((event) => handleWebhookBatch(webhookDeps, event), { maxReceiveCount: WEBHOOK_MAX_ATTEMPTS });
  Object.assign(webhookDeps, { retry: new LocalWebhookRetry(webhookQueue, options.webhookRetrySpeedup ?? LOCAL_WEBHOOK_SPEEDUP) });

  // The notifications topic (SNS in AWS) and the webhook queue, for the events path and the sender alike.
  const notifications = new LocalNotificationTopic();
  const notificationOverrides = {
    topic: notifications,
    queue: { enqueue: async (jobs: readonly WebhookJob[]) => jobs.forEach((job) => webhookQueue.send(JSON.stringify(job))) },
  };
  const notificationConfig: NotificationConfig = {
    webhooksTable: config.webhooksTable,
    notificationsTopicArn: 'arn:aws:sns:us-east-1:000000000000:outbox-local-notifications',
    webhookQueueUrl: localQueueUrl,
    // Local mode reads webhooks on every notification, so one registered a moment ago gets the next.
    webhookCacheMs: 0,
  };
  const eventsConfig: EventsConfig = {
    emailsTable: config.emailsTable,
    suppressionsTable: config.suppressionsTable,
    retentionDays: config.retentionDays,
    softBounceLimit: options.softBounceLimit ?? 3,
    softBounceWindowDays: options.softBounceWindowDays ?? 7,
    // The same counters and guard as deployed, over the same control table as the sender's pause.
    controlTable: localTableName(CONTROL_TABLE),
    guardThresholds: options.guardThresholds ?? DEFAULT_GUARD_THRESHOLDS,
    ...notificationConfig,
    dynamoDbEndpoint: dynamo.endpoint,
  };
  const eventsDeps = buildEventsDeps(eventsConfig, clientOptions, notificationOverrides);

  const outboundQueueUrl = LOCAL_OUTBOUND_QUEUE_URL;
  const { queue: outboundQueue, outbound, deps: senderDeps } = createLocalSender(
    {
      emailsTable: config.emailsTable,
      controlTable: localTableName(CONTROL_TABLE),
      outboundQueueUrl,
      configurationSet: config.configurationSet,
      retentionDays: config.retentionDays,
      notifications: notificationConfig,
      sesEndpoint: ses.url,
      dynamoDbEndpoint: dynamo.endpoint,
    },
    { notifications: notificationOverrides, settings: { ...LOCAL_SENDER_SETTINGS, ...options.outboundSettings } },
  );
  const queuedCheckDelayMs = options.queuedCheckDelayMs ?? LOCAL_QUEUED_CHECK_DELAY_MS;
  // The api notifies sending.paused / sending.resumed through the same local topic and webhook queue.
  const deps = buildApiDeps({ ...config, notifications: notificationConfig }, clientOptions, { outbound, notifications: notificationOverrides });
  // Scheduled emails: the scheduler Lambda every minute in AWS; here the same tick every second.
  const schedulerDeps = buildSchedulerDeps({ emailsTable: config.emailsTable, outboundQueueUrl, dynamoDbEndpoint: dynamo.endpoint }, clientOptions, outbound, queuedCheckDelayMs);
  // A developer receives webhooks on their own machine: http and loopback endpoints are allowed.
  Object.assign(deps, { allowPrivateWebhookUrls: true });
  if (options.logError) {
    for (const target of [deps, eventsDeps, webhookDeps, senderDeps, schedulerDeps]) Object.assign(target, { log: options.logError });
  }
  // What each queue consumer failed with, for GET /_local/dead-letters.
  const failures = new FailureLog();
  for (const target of [eventsDeps, webhookDeps, senderDeps]) Object.assign(target, { log: failures.wrap(target.log) });
  // The suppressions table's stream in AWS: every change of the list reaches the stand-in's account-level list.
  const suppressionSync = createLocalSuppressionSync({ sesEndpoint: ses.url, log: options.logError ?? ((message, error) => console.error(message, error)) });
  for (const target of [deps, eventsDeps]) Object.assign(target, { suppressions: suppressionSync.mirror(target.suppressions) });
  // The stand-in starts with an empty list; a kept store's entries are put on it again.
  if (options.dataDir) await suppressionSync.replay(deps.suppressions);
  // SES -> SNS -> SQS -> events Lambda, in one process: what the stand-in publishes is queued.
  const eventsQueue = new LocalQueue((event) => handleSesEventBatch(eventsDeps, event));
  // Delivered once the events handler has it (or dead-lettered it): until then the stand-in, on a
  // data directory, still owes it, as SNS and SQS would keep it through a crash.
  ses.onNotification((envelope) => eventsQueue.sendAndSettle(JSON.stringify(envelope)));
  // Before any request: what a killed or stopped process left unsent goes out now, once.
  const recovered = options.dataDir ? await recoverPreviousRun({ ses, eventsQueue, scheduler: schedulerDeps }) : { notifications: 0, emails: 0 };

  const apiKey = options.apiKey ?? generateApiKeySecret();
  try {
    await createApiKey(deps, { name: 'local', scope: 'full_access', secret: apiKey });
  } catch (error) {
    // A persisted store already holds this key from an earlier start.
    if (!isAwsError(error, 'ConditionalCheckFailedException')) throw error;
  }

  const { server, url } = await startHttpServer({
    host,
    port: options.port ?? 3000,
    deps,
    localRoutes: localRoutes(ses, eventsDeps, notifications, {
      queues: { events: eventsQueue, webhooks: webhookQueue, outbound: outboundQueue },
      failures,
      webhooks: webhookDeps.store,
      emails: senderDeps.emails,
    }),
    // Built from its sources at each start, so the page served is the code in the checkout.
    console: consoleServer(buildConsole()),
    ...(options.logRequest ? { logRequest: options.logRequest } : {}),
  });

  // SMTP submission takes the raw-MIME path with the api's own dependencies, so it is stored, scanned and tracked alike.
  const smtp =
    options.smtpPort === undefined
      ? undefined
      : await startSmtpServer({
          host,
          port: options.smtpPort,
          deps: { ...deps, warn: deps.log },
          ...(options.smtpTls ? { tls: options.smtpTls } : {}),
          ...(options.smtpLimits ? { limits: options.smtpLimits } : {}),
          ...(options.logError ? { logError: options.logError } : {}),
        });

  const scheduler = startLocalScheduler(schedulerDeps);
  return {
    url,
    apiKey,
    ses,
    dynamoDbEndpoint: dynamo.endpoint,
    eventsQueue,
    webhookQueue,
    outboundQueue,
    notifications,
    recovered,
    ...(smtp ? { smtp } : {}),
    stop: async () => {
      await smtp?.stop();
      await closeServer(server);
      // First, so no sender is mid-send when the stand-in and the store go.
      await scheduler.stop();
      await outboundQueue.stop();
      await settleBeforeStop({ ses, eventsQueue });
      await suppressionSync.stop();
      await ses.stop();
      await eventsQueue.stop();
      await webhookQueue.stop();
      await dynamo.stop();
    },
  };
}

export const LOCAL_OUTBOUND_QUEUE_URL = 'http://local/outbox-outbound';

/** The local outbound path: its queue, the api's handle on it, and the sender's dependencies. */
export interface LocalSender {
  readonly queue: LocalQueue;
  readonly outbound: LocalOutboundQueue;
  readonly deps: OutboundBatchDeps;
}

/**
 * The outbound path as local mode runs it. SQS -> sender Lambda in AWS; here a local queue in real
 * time (pacing must be real), with the stand-in's rate read through GetAccount as deployed. Four
 * batches at once, so several senders compete for send slots as concurrent Lambdas do. Retries are
 * visibility changes on that queue, and long waits are requeued to it, as with SQS. With
 * `notifications` in the config and the overrides, an email SES refuses for good is notified to
 * the local topic and webhook queue as the events path notifies.
 */
export function createLocalSender(config: SenderConfig, overrides: Pick<SenderOverrides, 'settings' | 'notifications'>): LocalSender {
  const deps = buildSenderDeps(config, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }, overrides);
  const queue = new LocalQueue((event) => handleOutboundBatch(deps, event), { maxReceiveCount: OUTBOUND_MAX_RECEIVE_COUNT, concurrency: 4 });
  const outbound = new LocalOutboundQueue(queue);
  Object.assign(deps, { retry: new LocalOutboundRetry(queue), requeue: outbound });
  return { queue, outbound, deps };
}

/**
 * Developer-only routes, no key needed as they exist only locally: what the SES stand-in accepted,
 * the notifications published, the queues' dead letters (one list, newest first, each with its
 * queue, what failed and why), the stand-in's email templates (`/_local/templates`), and
 * `POST /_local/ses-events` to replay any SES notification.
 */
function localRoutes(ses: SesStandIn, eventsDeps: EventsDeps, notifications: LocalNotificationTopic, deadLetters: DeadLetterSources): LocalRoutes {
  return async (method, path, body) => {
    if (method === 'POST' && path === '/_local/ses-events') return replaySesEvent(eventsDeps, body);
    if (path === '/_local/templates' || path.startsWith('/_local/templates/')) return localTemplateRoute(ses.templates, method, path, body);
    if (method !== 'GET') return undefined;
    if (path === '/_local/dead-letters') return json(200, { object: 'list', data: await listDeadLetters(deadLetters) });
    if (path === '/_local/notifications') return json(200, { object: 'list', data: notifications.list() });
    if (path === '/_local/messages') {
      return json(200, { object: 'list', data: [...ses.messages()].reverse() });
    }
    const match = /^\/_local\/messages\/([^/]+)$/.exec(path);
    if (match) {
      const message = ses.messages().find((m) => m.messageId === match[1]);
      return message
        ? json(200, message)
        : json(404, { statusCode: 404, name: 'not_found', message: `The SES stand-in has no message ${match[1]}.` });
    }
    return undefined;
  };
}

/**
 * Processes one notification as the events queue would (recordSesNotifications, so it is counted
 * and guarded the same way): 200 when recorded, 400 when malformed.
 */
async function replaySesEvent(deps: EventsDeps, body: string | undefined): Promise<HttpResponse> {
  try {
    if (body === undefined) throw new OutboxError('malformed_body', 'Send an SNS envelope or a bare SES event or notification record as JSON.');
    const [result] = await recordSesNotifications(deps, [body]);
    if (result!.status === 'rejected') throw result!.reason;
    const outcome = result!.value;
    return json(200, {
      object: 'ses_event',
      type: outcome.type,
      ses_message_id: outcome.sesMessageId,
      email_id: outcome.emailId ?? null,
      first_time: outcome.firstTime,
      suppressed: outcome.suppressed,
    });
  } catch (error) {
    if (error instanceof OutboxError && error.status < 500) {
      return json(400, { statusCode: 400, name: 'validation_error', message: error.message });
    }
    deps.log('replaying an SES event failed', error);
    const failure = toErrorBody(error);
    return json(failure.statusCode, failure);
  }
}

function json(status: number, body: unknown): HttpResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
