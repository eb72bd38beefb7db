import { API_KEYS_TABLE, CONTROL_TABLE, EMAILS_TABLE, IDEMPOTENCY_TABLE, SUPPRESSIONS_TABLE, WEBHOOKS_TABLE } from './shared/tables';
import { ENV } from './shared/env';
import { DEFAULT_GUARD_THRESHOLDS, thresholdProblems, type GuardThresholds } from './core/deliverability';

/** What the api Lambda (and the local runtime) needs to run. */
export interface ApiConfig {
  readonly emailsTable: string;
  readonly apiKeysTable: string;
  readonly idempotencyTable: string;
  readonly suppressionsTable: string;
  readonly webhooksTable: string;
  readonly configurationSet: string;
  readonly retentionDays: number;
  /** The sending pause (read before every sync send; GET/POST /sending) and the other control items. */
  readonly controlTable: string;
  /** The reputation guard's thresholds, for GET /deliverability; always set by readApiConfig, unset (tests, tools): DEFAULT_GUARD_THRESHOLDS. */
  readonly guardThresholds?: GuardThresholds;
  /**
   * Where `sending.paused` / `sending.resumed` go when sending is paused or resumed through the
   * API. Set when the topic and the webhook queue are both given; unset, nobody is told.
   */
  readonly notifications?: NotificationConfig;
  /** A ClamAV daemon, `host:port` or a unix socket path; unset, no ClamAV scan. */
  readonly clamd?: string;
  /**
   * The outbound queue, for POST /emails/batch and sync sends SES throttled. Unset (tests, tools):
   * batches are refused and a throttled sync send answers 429.
   */
  readonly outboundQueueUrl?: string;
  /**
   * The SES identities (domains or addresses) GET /account reports on (OUTBOX_SENDING_IDENTITIES,
   * comma-separated). Unset: the account's identities, as SES lists them.
   */
  readonly sendingIdentities?: readonly string[];
  /**
   * The MAIL FROM subdomain a domain made through POST /domains gets without `custom_return_path`
   * (OUTBOX_DOMAIN_MAIL_FROM_SUBDOMAIN; `off`: SES's own MAIL FROM). Unset: DEFAULT_DOMAIN_MAIL_FROM_SUBDOMAIN.
   */
  readonly domainMailFromSubdomain?: string | false;
  /** Local mode only. */
  readonly sesEndpoint?: string;
  /** Local mode only. */
  readonly dynamoDbEndpoint?: string;
}

/** Where a Lambda that notifies (the events Lambda, the sender) sends notifications. */
export interface NotificationConfig {
  /** Read only: which webhooks subscribe to what. */
  readonly webhooksTable: string;
  readonly notificationsTopicArn: string;
  readonly webhookQueueUrl: string;
  /** How long the list of webhooks is cached between reads (0 = always read). */
  readonly webhookCacheMs: number;
}

/** What the events Lambda needs. */
export interface EventsConfig extends NotificationConfig {
  readonly emailsTable: string;
  readonly suppressionsTable: string;
  /**
   * The hourly deliverability counters, the reputation guard's state and the pause it sets.
   * Always set by readEventsConfig; unset (tests, tools), nothing is counted or guarded.
   */
  readonly controlTable?: string;
  /** Always set by readEventsConfig; unset: DEFAULT_GUARD_THRESHOLDS. */
  readonly guardThresholds?: GuardThresholds;
  readonly retentionDays: number;
  readonly softBounceLimit: number;
  readonly softBounceWindowDays: number;
  readonly dynamoDbEndpoint?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads the api Lambda's configuration, reporting every missing variable at once. */
export function readApiConfig(env: Env): ApiConfig {
  const missing: string[] = [];
  const need = (name: string): string => {
    const value = env[name];
    if (!value) missing.push(name);
    return value ?? '';
  };
  const config: ApiConfig = {
    emailsTable: need(EMAILS_TABLE.envVar),
    apiKeysTable: need(API_KEYS_TABLE.envVar),
    idempotencyTable: need(IDEMPOTENCY_TABLE.envVar),
    suppressionsTable: need(SUPPRESSIONS_TABLE.envVar),
    webhooksTable: need(WEBHOOKS_TABLE.envVar),
    configurationSet: need(ENV.configurationSet),
    retentionDays: Number(need(ENV.retentionDays)),
    controlTable: need(CONTROL_TABLE.envVar),
    guardThresholds: readGuardThresholds(env),
    ...(NOTIFICATION_ENV_VARS.every((name) => env[name]) ? { notifications: Object.freeze(notificationConfig(env)) } : {}),
    ...optional(env, ENV.clamd, 'clamd'),
    ...optional(env, ENV.outboundQueueUrl, 'outboundQueueUrl'),
    ...identityList(env, ENV.sendingIdentities),
    ...(env[ENV.domainMailFromSubdomain] ? { domainMailFromSubdomain: env[ENV.domainMailFromSubdomain] === 'off' ? false : env[ENV.domainMailFromSubdomain]! } : {}),
    ...optional(env, ENV.sesEndpoint, 'sesEndpoint'),
    ...optional(env, ENV.dynamoDbEndpoint, 'dynamoDbEndpoint'),
  };
  if (missing.length > 0) throw new Error(`Missing environment variables: ${missing.join(', ')}`);
  if (!Number.isInteger(config.retentionDays) || config.retentionDays < 1) {
    throw new Error(`${ENV.retentionDays} must be a whole number of days, at least 1`);
  }
  return Object.freeze(config);
}

function optional<K extends string>(env: Env, name: string, key: K): Partial<Record<K, string>> {
  const value = env[name];
  return value ? ({ [key]: value } as Record<K, string>) : {};
}

/** A comma-separated list of identities; unset or only commas and spaces: none given. */
function identityList(env: Env, name: string): { sendingIdentities?: readonly string[] } {
  const names = (env[name] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  return names.length > 0 ? { sendingIdentities: Object.freeze(names) } : {};
}

/** The variables a notifying Lambda needs (see NotificationConfig). */
const NOTIFICATION_ENV_VARS = [WEBHOOKS_TABLE.envVar, ENV.notificationsTopicArn, ENV.webhookQueueUrl];

/** The notification settings; call after checking NOTIFICATION_ENV_VARS are set. */
function notificationConfig(env: Env): NotificationConfig {
  return {
    webhooksTable: env[WEBHOOKS_TABLE.envVar]!,
    notificationsTopicArn: env[ENV.notificationsTopicArn]!,
    webhookQueueUrl: env[ENV.webhookQueueUrl]!,
    // A new or changed webhook is seen within this long.
    webhookCacheMs: 10_000,
  };
}

/** Reads the events Lambda's configuration; soft-bounce settings default to 3 within 7 days. */
export function readEventsConfig(env: Env): EventsConfig {
  const missing = [EMAILS_TABLE.envVar, SUPPRESSIONS_TABLE.envVar, CONTROL_TABLE.envVar, ENV.retentionDays, ...NOTIFICATION_ENV_VARS].filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`Missing environment variables: ${missing.join(', ')}`);
  const config: EventsConfig = {
    emailsTable: env[EMAILS_TABLE.envVar]!,
    suppressionsTable: env[SUPPRESSIONS_TABLE.envVar]!,
    controlTable: env[CONTROL_TABLE.envVar]!,
    guardThresholds: readGuardThresholds(env),
    retentionDays: positiveInteger(env, ENV.retentionDays, 90),
    softBounceLimit: positiveInteger(env, ENV.softBounceLimit, 3),
    softBounceWindowDays: positiveInteger(env, ENV.softBounceWindowDays, 7),
    ...notificationConfig(env),
    ...optional(env, ENV.dynamoDbEndpoint, 'dynamoDbEndpoint'),
  };
  return Object.freeze(config);
}

/**
 * The reputation guard's thresholds from OUTBOX_GUARD_* (fractions, and a whole number of sends),
 * each defaulting to DEFAULT_GUARD_THRESHOLDS. Throws one error naming every bad value, and a warn
 * threshold that is not below its pause threshold.
 */
export function readGuardThresholds(env: Env): GuardThresholds {
  const problems: string[] = [];
  const read = (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value)) problems.push(`${name} must be a number; got ${raw}`);
    return value;
  };
  const d = DEFAULT_GUARD_THRESHOLDS;
  const thresholds: GuardThresholds = {
    warnBounceRate: read(ENV.guardWarnBounceRate, d.warnBounceRate),
    warnComplaintRate: read(ENV.guardWarnComplaintRate, d.warnComplaintRate),
    pauseBounceRate: read(ENV.guardPauseBounceRate, d.pauseBounceRate),
    pauseComplaintRate: read(ENV.guardPauseComplaintRate, d.pauseComplaintRate),
    minimumSends: read(ENV.guardMinimumSends, d.minimumSends),
  };
  if (problems.length === 0) {
    const names: Record<keyof GuardThresholds, string> = {
      warnBounceRate: ENV.guardWarnBounceRate,
      warnComplaintRate: ENV.guardWarnComplaintRate,
      pauseBounceRate: ENV.guardPauseBounceRate,
      pauseComplaintRate: ENV.guardPauseComplaintRate,
      minimumSends: ENV.guardMinimumSends,
    };
    // thresholdProblems names the fields; the variables are what a person sets.
    for (const problem of thresholdProblems(thresholds)) {
      problems.push(problem.replace(/\b(warnBounceRate|warnComplaintRate|pauseBounceRate|pauseComplaintRate|minimumSends)\b/g, (field) => names[field as keyof GuardThresholds]));
    }
  }
  if (problems.length > 0) throw new Error(`Invalid reputation guard settings: ${problems.join('; ')}`);
  return Object.freeze(thresholds);
}

function positiveInteger(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number, at least 1; got ${raw}`);
  return value;
}

/** What the webhook delivery Lambda needs. */
export interface WebhookDeliveryConfig {
  readonly webhooksTable: string;
  /** The queue the jobs come from: retries change their visibility there. */
  readonly webhookQueueUrl: string;
  readonly retentionDays: number;
  readonly dynamoDbEndpoint?: string;
}

/** Reads the webhook delivery Lambda's configuration, reporting every missing variable at once. */
export function readWebhookDeliveryConfig(env: Env): WebhookDeliveryConfig {
  const missing = [WEBHOOKS_TABLE.envVar, ENV.webhookQueueUrl, ENV.retentionDays].filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`Missing environment variables: ${missing.join(', ')}`);
  const config: WebhookDeliveryConfig = {
    webhooksTable: env[WEBHOOKS_TABLE.envVar]!,
    webhookQueueUrl: env[ENV.webhookQueueUrl]!,
    retentionDays: positiveInteger(env, ENV.retentionDays, 90),
    ...optional(env, ENV.dynamoDbEndpoint, 'dynamoDbEndpoint'),
  };
  return Object.freeze(config);
}

/** What the scheduler Lambda needs: the emails table (and its by-due index) and the outbound queue. */
export interface SchedulerConfig {
  readonly emailsTable: string;
  readonly outboundQueueUrl: string;
  readonly dynamoDbEndpoint?: string;
}

/** Reads the scheduler Lambda's configuration, reporting every missing variable at once. */
export function readSchedulerConfig(env: Env): SchedulerConfig {
  const missing = [EMAILS_TABLE.envVar, ENV.outboundQueueUrl].filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`Missing environment variables: ${missing.join(', ')}`);
  return Object.freeze({
    emailsTable: env[EMAILS_TABLE.envVar]!,
    outboundQueueUrl: env[ENV.outboundQueueUrl]!,
    ...optional(env, ENV.dynamoDbEndpoint, 'dynamoDbEndpoint'),
  });
}

/**
 * What the sender Lambda needs: the emails it sends, the control table it paces through, SES, its
 * own queue, and where to notify an email SES refused for good.
 */
export interface SenderConfig {
  readonly emailsTable: string;
  /** Send-rate windows, the sending-paused flag, the cached account quota. */
  readonly controlTable: string;
  /** The queue the jobs come from: retries change their visibility there, long waits are requeued to it. */
  readonly outboundQueueUrl: string;
  readonly configurationSet: string;
  readonly retentionDays: number;
  /** Recipients per second, overriding SES's MaxSendRate (OUTBOX_MAX_SEND_RATE). */
  readonly maxSendRate?: number;
  /**
   * Where `email.failed` goes for an email SES refuses for good. Always set by readSenderConfig;
   * unset (tests, tools), nobody is told.
   */
  readonly notifications?: NotificationConfig;
  /** Local mode only. */
  readonly sesEndpoint?: string;
  /** Local mode only. */
  readonly dynamoDbEndpoint?: string;
}

/** Reads the sender Lambda's configuration, reporting every missing variable at once. */
export function readSenderConfig(env: Env): SenderConfig {
  const required = [EMAILS_TABLE.envVar, CONTROL_TABLE.envVar, ENV.outboundQueueUrl, ENV.configurationSet, ENV.retentionDays, ...NOTIFICATION_ENV_VARS];
  const missing = required.filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`Missing environment variables: ${missing.join(', ')}`);
  const rawRate = env[ENV.maxSendRate];
  const maxSendRate = rawRate === undefined || rawRate === '' ? undefined : Number(rawRate);
  if (maxSendRate !== undefined && !(Number.isFinite(maxSendRate) && maxSendRate > 0)) {
    throw new Error(`${ENV.maxSendRate} must be a positive number of recipients per second; got ${rawRate}`);
  }
  const config: SenderConfig = {
    emailsTable: env[EMAILS_TABLE.envVar]!,
    controlTable: env[CONTROL_TABLE.envVar]!,
    outboundQueueUrl: env[ENV.outboundQueueUrl]!,
    configurationSet: env[ENV.configurationSet]!,
    retentionDays: positiveInteger(env, ENV.retentionDays, 90),
    ...(maxSendRate !== undefined ? { maxSendRate } : {}),
    notifications: Object.freeze(notificationConfig(env)),
    ...optional(env, ENV.sesEndpoint, 'sesEndpoint'),
    ...optional(env, ENV.dynamoDbEndpoint, 'dynamoDbEndpoint'),
  };
  return Object.freeze(config);
}

/**
 * What the reputation alarm handler needs: the control table holding the pause, the configuration
 * set it pauses, and where `sending.paused` goes.
 */
export interface ReputationAlarmConfig {
  /** The held pause (`sending-paused`). */
  readonly controlTable: string;
  /** Paused with Outbox's sending (PutConfigurationSetSendingOptions). */
  readonly configurationSet: string;
  /** The webhooks table's delivery log keeps entries this long. */
  readonly retentionDays: number;
  readonly notifications: NotificationConfig;
  /** Local mode only. */
  readonly sesEndpoint?: string;
  /** Local mode only. */
  readonly dynamoDbEndpoint?: string;
}

/** Reads the reputation alarm handler's configuration, reporting every missing variable at once. */
export function readReputationAlarmConfig(env: Env): ReputationAlarmConfig {
  const missing = [CONTROL_TABLE.envVar, ENV.configurationSet, ENV.retentionDays, ...NOTIFICATION_ENV_VARS].filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`Missing environment variables: ${missing.join(', ')}`);
  return Object.freeze({
    controlTable: env[CONTROL_TABLE.envVar]!,
    configurationSet: env[ENV.configurationSet]!,
    retentionDays: positiveInteger(env, ENV.retentionDays, 90),
    notifications: Object.freeze(notificationConfig(env)),
    ...optional(env, ENV.sesEndpoint, 'sesEndpoint'),
    ...optional(env, ENV.dynamoDbEndpoint, 'dynamoDbEndpoint'),
  });
}
