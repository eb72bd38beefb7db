/**
 * Environment variable names shared by the CDK stack (which sets them) and the Lambda handlers
 * (which read them through readConfig). Table-name variables live on the table definitions.
 */
export const ENV = {
  configurationSet: 'OUTBOX_CONFIGURATION_SET',
  retentionDays: 'OUTBOX_RETENTION_DAYS',
  /** Transient bounces that suppress an address when they happen within the window. Default 3. */
  softBounceLimit: 'OUTBOX_SOFT_BOUNCE_LIMIT',
  /** The soft-bounce window, in days. Default 7. */
  softBounceWindowDays: 'OUTBOX_SOFT_BOUNCE_WINDOW_DAYS',
  /** The SNS topic every normalized notification is published to (for AWS-native consumers). */
  notificationsTopicArn: 'OUTBOX_NOTIFICATIONS_TOPIC_ARN',
  /** The SQS queue of webhook deliveries (one message per notification per webhook). */
  webhookQueueUrl: 'OUTBOX_WEBHOOK_QUEUE_URL',
  /** The SQS queue of emails to send (batch, scheduled, and sends SES throttled). */
  outboundQueueUrl: 'OUTBOX_OUTBOUND_QUEUE_URL',
  /** Overrides the SES MaxSendRate (recipients per second) read from GetAccount. */
  maxSendRate: 'OUTBOX_MAX_SEND_RATE',
  /** Optional ClamAV daemon: `host:port` or a socket path. Unset: no ClamAV scan. */
  clamd: 'OUTBOX_CLAMD',
  /**
   * Comma-separated SES identities (domains or addresses) Outbox is configured to send from, for
   * GET /account's identity report. Unset: the account's identities, as SES lists them.
   */
  sendingIdentities: 'OUTBOX_SENDING_IDENTITIES',
  /** The MAIL FROM subdomain (one DNS label) of a domain made through POST /domains, or `off`. */
  domainMailFromSubdomain: 'OUTBOX_DOMAIN_MAIL_FROM_SUBDOMAIN',
  /**
   * The reputation guard's thresholds, as fractions (0.025 = 2.5%): it warns at the warn rates and
   * pauses Outbox's sending at the pause rates, once its 24 h window holds at least the minimum
   * sends. Defaults: DEFAULT_GUARD_THRESHOLDS (lambda/shared/guard-thresholds.ts).
   */
  guardWarnBounceRate: 'OUTBOX_GUARD_WARN_BOUNCE_RATE',
  guardWarnComplaintRate: 'OUTBOX_GUARD_WARN_COMPLAINT_RATE',
  guardPauseBounceRate: 'OUTBOX_GUARD_PAUSE_BOUNCE_RATE',
  guardPauseComplaintRate: 'OUTBOX_GUARD_PAUSE_COMPLAINT_RATE',
  /** A whole number of sends. */
  guardMinimumSends: 'OUTBOX_GUARD_MINIMUM_SENDS',
  /** Local mode only: where the SES stand-in listens. Unset in AWS. */
  sesEndpoint: 'OUTBOX_SES_ENDPOINT',
  /** Local mode only: where the embedded DynamoDB-compatible store listens. Unset in AWS. */
  dynamoDbEndpoint: 'OUTBOX_DYNAMODB_ENDPOINT',
} as const;

/** The SES message tag carrying Outbox's email id, so SES events find their email. */
export const MESSAGE_ID_TAG = 'outbox-message-id';
/** The tag on SES identities the domains API made: its value, the configuration set's name, ties them to this stack (the IAM conditions use it). */
export const API_DOMAIN_TAG = 'outbox-api-domain';
/** Tag names starting with this are Outbox's own: refused in requests, never echoed in webhooks. */
export const OUTBOX_TAG_PREFIX = 'outbox-';

/** Handler entry files, relative to the repository root, as the stack bundles them. */
export const HANDLER_ENTRIES = {
  api: 'lambda/handlers/api.ts',
  /** SQS events queue consumer (SNS envelopes of SES notifications). */
  events: 'lambda/handlers/events.ts',
  /** SQS webhook-deliveries queue consumer: signs and POSTs one notification to one endpoint. */
  webhookDelivery: 'lambda/handlers/webhook-delivery.ts',
  /** SQS outbound queue consumer: sends queued emails to SES, paced to the account's rate. */
  sender: 'lambda/handlers/sender.ts',
  /** Runs every minute (EventBridge): puts scheduled emails that are due on the outbound queue. */
  scheduler: 'lambda/handlers/scheduler.ts',
  /** Serves the web console's page and assets at /console, no key needed (the page asks for one). */
  console: 'lambda/handlers/console.ts',
  /** A CloudWatch alarm action: pauses sending when SES's account-wide bounce or complaint rate reaches the pause threshold. */
  reputationAlarm: 'lambda/handlers/reputation-alarm.ts',
  /** The suppressions table's stream consumer: mirrors Outbox's suppression list into SES's account-level suppression list. */
  suppressionSync: 'lambda/handlers/suppression-sync.ts',
  /** CloudFormation custom resource: creates the sending domain in SES, or adopts it when it already exists. */
  sendingIdentity: 'lambda/handlers/sending-identity.ts',
  /** CloudFormation custom resource: creates the first full-access API key and keeps its secret in Secrets Manager. */
  initialApiKey: 'lambda/handlers/initial-api-key.ts',
  /** CloudFormation custom resource, only with outbox:smtpUser: the SMTP user's access key, its SES SMTP password kept in Secrets Manager. */
  smtpCredentials: 'lambda/handlers/smtp-credentials.ts',
} as const;

/**
 * The handlers CloudFormation calls only while a stack is deployed, updated or deleted (custom
 * resources): they never serve a request or an event, so request-path figures such as the cold
 * start (bench P3) leave them out.
 */
export const DEPLOY_TIME_HANDLERS: ReadonlySet<keyof typeof HANDLER_ENTRIES> = new Set(['sendingIdentity', 'initialApiKey', 'smtpCredentials']);

/**
 * Webhook delivery attempts and the wait before each retry: immediately, then after 5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h and 10 h (about 28 hours in all), each with +-20% jitter. The webhooks
 * queue's maxReceiveCount equals the number of attempts, so a message that fails them all lands in
 * its DLQ. Shared with the stack, which sizes the queue from it.
 */
export const WEBHOOK_RETRY_DELAYS_SECONDS: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 36000];
export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_DELAYS_SECONDS.length + 1;

/**
 * Receives of one outbound message before SQS moves it to the outbound dead-letter queue. Every
 * throttle, pause check and wait for a send slot hands the message back once, so this is high; and
 * the sender queues a job afresh after 50 receives (REQUEUE_AFTER_RECEIVES), so only a message
 * whose processing keeps failing or crashing 50 times more ever reaches the DLQ.
 */
export const OUTBOUND_MAX_RECEIVE_COUNT = 100;
