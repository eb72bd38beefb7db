import * as path from 'node:path';
import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DEFAULT_GUARD_THRESHOLDS, type GuardThresholds } from '../lambda/shared/guard-thresholds';
import { ENV, HANDLER_ENTRIES } from '../lambda/shared/env';
import { DEFAULT_QUEUE_CONCURRENCY, DEFAULT_RETENTION_DAYS, DEFAULT_SOFT_BOUNCE_LIMIT, DEFAULT_SOFT_BOUNCE_WINDOW_DAYS } from './context';
import { AccountSuppressionSync } from './constructs/account-suppression-sync';
import { EventPipeline } from './constructs/event-pipeline';
import { InitialApiKey } from './constructs/initial-api-key';
import { Monitoring } from './constructs/monitoring';
import { NodeFunction } from './constructs/node-function';
import { NotificationsTopic } from './constructs/notifications';
import { Outbound } from './constructs/outbound';
import { ReputationGuard } from './constructs/reputation-guard';
import { Scheduler } from './constructs/scheduler';
import { SendApi, type ApiAccessLogs } from './constructs/send-api';
import { SesSending } from './constructs/ses';
import { SmtpUser } from './constructs/smtp-user';
import { Tables } from './constructs/tables';
import { WebConsole } from './constructs/web-console';
import { Webhooks } from './constructs/webhooks';

export interface OutboxStackProps extends StackProps {
  /**
   * A domain to send from: created as an SES identity with Easy DKIM, or adopted when it already
   * is one, with a custom MAIL FROM domain and the configuration set as its default (its DNS
   * records, a zone-file snippet of them, and whether it was created or adopted become outputs).
   */
  readonly sendingDomain?: string;
  /**
   * The sending domain's custom MAIL FROM domain is `<this>.<sending domain>`, so SPF aligns with
   * the From domain; false keeps SES's own MAIL FROM domain. @default 'bounce'
   */
  readonly mailFromSubdomain?: string | false;
  /**
   * A Route 53 zone of the account holding the sending domain: the stack writes the domain's DNS
   * records into it. @default the records are only outputs, to add by hand
   */
  readonly hostedZone?: { readonly zoneId: string; readonly zoneName: string };
  /** Existing SES identities (domains or addresses) the API may send from. */
  readonly identities?: readonly string[];
  /** How long emails and their events are kept, in days. @default 90 */
  readonly retentionDays?: number;
  /** Where alarm notifications go. */
  readonly alarmEmail?: string;
  /** Transient bounces within the window that suppress an address. @default 3 */
  readonly softBounceLimit?: number;
  /** The soft-bounce window, in days. @default 7 */
  readonly softBounceWindowDays?: number;
  /**
   * Recipients per second the sender may send, overriding the account's SES MaxSendRate.
   * @default the account's MaxSendRate, read by the sender with GetAccount
   */
  readonly maxSendRate?: number;
  /**
   * `host:port` of a ClamAV daemon the api Lambda scans content with. The Lambdas run outside any
   * VPC: a daemon reachable only inside a VPC needs the api Lambda attached to it, which is left to
   * the deployer. @default no ClamAV scan
   */
  readonly clamd?: string;
  /** Whether the API writes access logs. @default 'on' */
  readonly apiAccessLogs?: ApiAccessLogs;
  /** Settings read but without effect, each said as a synth warning. */
  readonly contextWarnings?: readonly string[];
  /**
   * The most instances each SQS consumer (events, webhook deliveries, sender) runs at once.
   * @default 2, which fits an account limited to 10 concurrent executions
   */
  readonly queueConcurrency?: number;
  /**
   * The reputation guard's warn and pause rates and the sends its 24 h window needs: Outbox's own
   * guard (the events Lambda) and the alarms on SES's account-wide rates use the same.
   * @default DEFAULT_GUARD_THRESHOLDS (warn at bounce 2.5% or complaint 0.05%, pause at 4% or 0.08%, 100 sends)
   */
  readonly guardThresholds?: GuardThresholds;
  /**
   * An IAM user for SES's SMTP endpoint, allowed only ses:SendRawEmail from the configured
   * identities through the configuration set, its SMTP password in a Secrets Manager secret
   * (SmtpUser). Needs sendingDomain or identities. @default false
   */
  readonly smtpUser?: boolean;
  /** With smtpUser: a new label makes a new SMTP password on the next deploy. @default DEFAULT_SMTP_ROTATION */
  readonly smtpRotation?: string;
}

const REPO_ROOT = path.resolve(__dirname, '..');

/** The events Lambda's timeout; the events queue's visibility timeout is six times this. */
const EVENTS_TIMEOUT = Duration.seconds(30);

/**
 * Outbox in one stack: the HTTP API and its Lambdas, the tables (email content included), SES
 * sending with event publishing, the outbound queue with the sender Lambda and the every-minute
 * scheduler feeding it, the SES event queue and the events Lambda consuming it, the notifications
 * topic and the webhook delivery the events Lambda and the sender feed, the reputation guard's
 * alarms on SES's bounce and complaint rates with the handler that pauses sending, the web console
 * served from the API at /console (built at synth), alarms, and with smtpUser an IAM user for
 * SES's SMTP endpoint (SmtpUser). It
 * composes constructs and creates no resource of its own. The stack is environment-agnostic, so it
 * synthesizes offline without credentials.
 */
export class OutboxStack extends Stack {
  public readonly tables: Tables;
  public readonly ses: SesSending;
  public readonly events: EventPipeline;
  public readonly monitoring: Monitoring;
  public readonly notifications: NotificationsTopic;
  public readonly webhooks: Webhooks;
  public readonly outbound: Outbound;
  public readonly scheduler: Scheduler;
  public readonly apiFunction: NodeFunction;
  /** The first full-access API key, made at deploy time and kept in a Secrets Manager secret. */
  public readonly initialApiKey: InitialApiKey;
  public readonly eventsFunction: NodeFunction;
  /** The alarms on SES's reputation rates and the handler the pause alarms invoke. */
  public readonly reputationGuard: ReputationGuard;
  /** The suppressions table's stream mirrored into SES's account-level suppression list. */
  public readonly accountSuppressionSync: AccountSuppressionSync;
  public readonly api: SendApi;
  /** The web console at /console on the API, and its Lambda. */
  public readonly console: WebConsole;
  /** The SMTP user for SES's SMTP endpoint, only with smtpUser. */
  public readonly smtpUser?: SmtpUser;

  constructor(scope: Construct, id: string, props: OutboxStackProps = {}) {
    super(scope, id, {
      description: 'Outbox: Resend-compatible email sending on Amazon SES',
      ...props,
    });
    const retentionDays = props.retentionDays ?? DEFAULT_RETENTION_DAYS;
    const queueConcurrency = props.queueConcurrency ?? DEFAULT_QUEUE_CONCURRENCY;
    const guardThresholds = props.guardThresholds ?? DEFAULT_GUARD_THRESHOLDS;
    for (const warning of props.contextWarnings ?? []) Annotations.of(this).addWarningV2('outbox:context-without-effect', warning);

    this.tables = new Tables(this, 'Tables');
    this.ses = new SesSending(this, 'Ses', {
      sendingDomain: props.sendingDomain,
      identities: props.identities,
      ...(props.mailFromSubdomain !== undefined ? { mailFromSubdomain: props.mailFromSubdomain } : {}),
      // DMARC aggregate reports go where alarms go: both are for whoever looks after sending.
      ...(props.alarmEmail !== undefined ? { dmarcReportTo: props.alarmEmail } : {}),
      ...(props.hostedZone ? { hostedZone: props.hostedZone } : {}),
    });
    this.monitoring = new Monitoring(this, 'Monitoring', { alarmEmail: props.alarmEmail });
    this.events = new EventPipeline(this, 'Events', { topic: this.ses.eventsTopic, consumerTimeout: EVENTS_TIMEOUT });
    this.monitoring.watch(this.events.deadLetterAlarm).watch(this.events.backlogAlarm);
    this.notifications = new NotificationsTopic(this, 'Notifications');
    this.webhooks = new Webhooks(this, 'Webhooks', {
      entry: path.join(REPO_ROOT, HANDLER_ENTRIES.webhookDelivery),
      table: this.tables.webhooks,
      retentionDays,
      maxConcurrency: queueConcurrency,
    });
    this.monitoring.watch(this.webhooks.deadLetterAlarm);

    // Sends queued emails (batches, scheduled emails that are due, sync sends SES throttled) paced
    // to the SES rate; it coordinates with its other instances through the control
    // table (rate windows, the paused flag, the cached account quota).
    this.outbound = new Outbound(this, 'Outbound', {
      entry: path.join(REPO_ROOT, HANDLER_ENTRIES.sender),
      retentionDays,
      maxSendRate: props.maxSendRate,
      maxConcurrency: queueConcurrency,
    });
    const sender = this.outbound.senderFunction;
    this.tables.emails.grantReadWriteData(sender);
    this.tables.control.grantReadWriteData(sender);
    this.ses.allowSending(sender).allowReadingAccount(sender);
    // An email SES refuses for good is notified (email.failed) as the events Lambda notifies.
    this.allowNotifying(sender);
    this.monitoring.watch(this.outbound.deadLetterAlarm).watch(this.outbound.backlogAlarm);

    this.scheduler = new Scheduler(this, 'Scheduler', { entry: path.join(REPO_ROOT, HANDLER_ENTRIES.scheduler) });
    this.tables.emails.grantReadWriteData(this.scheduler.function);
    this.outbound.allowEnqueueing(this.scheduler.function);

    this.apiFunction = new NodeFunction(this, 'ApiFunction', {
      entry: path.join(REPO_ROOT, HANDLER_ENTRIES.api),
      description: 'Outbox HTTP API',
      // Below the HTTP API's 30 s integration timeout, so a slow call ends as our error, not the gateway's.
      timeout: Duration.seconds(25),
      environment: {
        [ENV.retentionDays]: String(retentionDays),
        ...(props.clamd === undefined ? {} : { [ENV.clamd]: props.clamd }),
        // GET /deliverability reports the thresholds and the status they give.
        ...guardEnvironment(guardThresholds),
      },
    });
    this.tables.emails.grantReadWriteData(this.apiFunction);
    this.tables.apiKeys.grantReadWriteData(this.apiFunction);
    this.tables.idempotency.grantReadWriteData(this.apiFunction);
    this.tables.suppressions.grantReadWriteData(this.apiFunction);
    // The webhooks API: create, list, update, remove, and the delivery log.
    this.tables.webhooks.grantReadWriteData(this.apiFunction);
    // Sends, and GET /account's report on the account and its identities.
    this.ses.allowSending(this.apiFunction).allowReportingAccount(this.apiFunction);
    // The domains API: SES identities it creates, reads and deletes (tagged for this stack only).
    this.ses.allowManagingDomains(this.apiFunction);
    // Batches, and sync sends SES throttled, go out through the sender.
    this.outbound.allowEnqueueing(this.apiFunction);
    // GET /sending and POST /sending/pause|resume: the held pause in the control table (read before
    // every sync send too), the configuration set paused and re-enabled with it, and
    // sending.paused / sending.resumed notified like the events Lambda notifies (it reads the
    // webhooks table already).
    this.tables.control.grantReadWriteData(this.apiFunction);
    this.ses.allowPausingConfigurationSet(this.apiFunction);
    this.notifications.allowPublishing(this.apiFunction);
    this.webhooks.allowEnqueueing(this.apiFunction);

    this.initialApiKey = new InitialApiKey(this, 'InitialApiKey', {
      entry: path.join(REPO_ROOT, HANDLER_ENTRIES.initialApiKey),
      table: this.tables.apiKeys,
    });

    // Records events and recipient statuses and maintains the suppression list; it never sends
    // email. It forwards each notification to the notifications topic and queues a delivery for
    // every webhook subscribed to it (the delivery Lambda logs it). It keeps the deliverability
    // counters and the guard's memory in the control table, and when Outbox's rates reach the
    // pause threshold it holds the pause there; the configuration set is left to the reputation
    // alarm's handler, so this Lambda has no SES permission.
    this.eventsFunction = new NodeFunction(this, 'EventsFunction', {
      entry: path.join(REPO_ROOT, HANDLER_ENTRIES.events),
      description: 'Outbox SES events consumer',
      timeout: EVENTS_TIMEOUT,
      // I/O-bound (a few DynamoDB calls per record) and off the request path: 256 MB is plenty.
      memorySize: 256,
      environment: {
        [ENV.retentionDays]: String(retentionDays),
        [ENV.softBounceLimit]: String(props.softBounceLimit ?? DEFAULT_SOFT_BOUNCE_LIMIT),
        [ENV.softBounceWindowDays]: String(props.softBounceWindowDays ?? DEFAULT_SOFT_BOUNCE_WINDOW_DAYS),
        ...guardEnvironment(guardThresholds),
      },
    });
    this.tables.emails.grantReadWriteData(this.eventsFunction);
    this.tables.suppressions.grantReadWriteData(this.eventsFunction);
    this.tables.control.grantReadWriteData(this.eventsFunction);
    this.allowNotifying(this.eventsFunction);
    this.events.consumeWith(this.eventsFunction, { maxConcurrency: queueConcurrency });

    // Every suppression also goes on SES's account-level list, so mail sent past the API (SES's
    // SMTP endpoint, another application) never reaches a suppressed address either.
    this.accountSuppressionSync = new AccountSuppressionSync(this, 'AccountSuppressionSync', {
      entry: path.join(REPO_ROOT, HANDLER_ENTRIES.suppressionSync),
      table: this.tables.suppressions,
    });
    this.monitoring.watch(this.accountSuppressionSync.deadLetterAlarm);
    this.monitoring.watchFunctionErrors('SuppressionSyncFunctionErrors', this.accountSuppressionSync.function);

    // The same thresholds on SES's account-wide rates, which count mail sent by any path.
    this.reputationGuard = new ReputationGuard(this, 'ReputationGuard', {
      entry: path.join(REPO_ROOT, HANDLER_ENTRIES.reputationAlarm),
      thresholds: guardThresholds,
      monitoring: this.monitoring,
    });
    const pauser = this.reputationGuard.pauseFunction;
    this.tables.control.grantReadWriteData(pauser);
    this.ses.allowPausingConfigurationSet(pauser);
    this.allowNotifying(pauser);
    pauser.addEnvironment(ENV.retentionDays, String(retentionDays));

    this.api = new SendApi(this, 'Api', {
      handler: this.apiFunction,
      accessLogs: props.apiAccessLogs,
    });
    this.console = new WebConsole(this, 'Console', { api: this.api, entry: path.join(REPO_ROOT, HANDLER_ENTRIES.console) });
    this.monitoring.watchApiServerErrors('ApiServerErrors', this.api.httpApi);
    this.monitoring.watchFunctionErrors('ApiFunctionErrors', this.apiFunction);
    this.monitoring.watchFunctionErrors('EventsFunctionErrors', this.eventsFunction);
    this.monitoring.watchFunctionErrors('WebhookDeliveryFunctionErrors', this.webhooks.deliveryFunction);
    this.monitoring.watchFunctionErrors('SenderFunctionErrors', sender);
    this.monitoring.watchFunctionErrors('SchedulerFunctionErrors', this.scheduler.function);
    this.monitoring.watchFunctionErrors('ReputationAlarmFunctionErrors', pauser);
    this.monitoring.watchFunctionErrors('ConsoleFunctionErrors', this.console.function);

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the API (set RESEND_BASE_URL to it)',
      value: this.api.url,
    });
    new CfnOutput(this, 'ConsoleUrl', {
      description: 'The web console: open it in a browser and sign in with a full-access API key',
      value: this.console.url,
    });
    new CfnOutput(this, 'ConfigurationSetName', {
      description: 'SES configuration set every Outbox email is sent through',
      value: this.ses.configurationSet.configurationSetName,
    });
    new CfnOutput(this, 'ApiKeysTableName', {
      description: 'Table of API keys (more keys: POST /api-keys, or `npm run keys -- create --table <this>`)',
      value: this.tables.apiKeys.table.tableName,
    });
    new CfnOutput(this, 'InitialApiKeySecretArn', {
      description: 'Secrets Manager secret holding the first full-access API key: print it with `npm run keys -- initial --secret <this>`',
      value: this.initialApiKey.secret.secretArn,
    });
    new CfnOutput(this, 'SesEventsTopicArn', {
      description: 'SNS topic receiving every SES event of the configuration set',
      value: this.ses.eventsTopic.topicArn,
    });
    new CfnOutput(this, 'NotificationsTopicArn', {
      description: 'SNS topic receiving every Outbox notification (email.sent, email.bounced, ...): subscribe with SQS, Lambda or email',
      value: this.notifications.topic.topicArn,
    });
    if (props.smtpUser) {
      const smtp = new SmtpUser(this, 'SmtpUser', {
        entry: path.join(REPO_ROOT, HANDLER_ENTRIES.smtpCredentials),
        ses: this.ses,
        ...(props.smtpRotation !== undefined ? { rotation: props.smtpRotation } : {}),
      });
      this.smtpUser = smtp;
      new CfnOutput(this, 'SmtpHost', { description: "SES's SMTP endpoint for the SMTP user: port 587 with STARTTLS, or 465 with TLS", value: smtp.host });
      new CfnOutput(this, 'SmtpUsername', { description: 'The SMTP user name (an access key id of the SMTP user; print everything with `npm run smtp-credentials`)', value: smtp.username });
      new CfnOutput(this, 'SmtpPasswordSecretArn', {
        description: 'Secrets Manager secret holding the SMTP password (JSON: username, password, host, ports, region)',
        value: smtp.secret.secretArn,
      });
    }
    const domain = this.ses.domainIdentity;
    if (domain) {
      const publish = props.hostedZone ? `the stack writes it into the Route 53 zone ${props.hostedZone.zoneName}` : 'add it to its DNS';
      domain.dkimRecords.forEach((record, index) => {
        new CfnOutput(this, `DkimRecord${index + 1}`, {
          description: `DKIM record ${index + 1} of ${domain.dkimRecords.length} for ${domain.domain}: a CNAME; ${publish}`,
          value: record.line,
        });
      });
      if (domain.mailFromRecords) {
        new CfnOutput(this, 'MailFromMxRecord', {
          description: `MX record of the MAIL FROM domain ${domain.mailFromDomain} (bounces return there, and SES checks it before using the domain); ${publish}`,
          value: domain.mailFromRecords.mx.line,
        });
        new CfnOutput(this, 'MailFromSpfRecord', {
          description: `SPF TXT record of the MAIL FROM domain ${domain.mailFromDomain}, so SPF passes aligned with ${domain.domain}; ${publish}`,
          value: domain.mailFromRecords.spf.line,
        });
      }
      new CfnOutput(this, 'DmarcRecord', {
        description: `DMARC TXT record for ${domain.domain}: p=none only asks for reports${props.alarmEmail ? ` (to ${props.alarmEmail})` : ''}; ${publish}`,
        value: domain.dmarcRecord.line,
      });
      new CfnOutput(this, 'DnsZoneFile', {
        description: `Every DNS record ${domain.domain} needs, as a BIND zone-file snippet to paste (or print it with \`npm run dns\`)`,
        value: domain.zoneFile,
      });
      new CfnOutput(this, 'SendingDomainDefaultConfigurationSet', {
        description: `The default configuration set of ${domain.domain}: this stack's, unless the adopted identity already had another application's`,
        value: domain.defaultConfigurationSet,
      });
      new CfnOutput(this, 'SendingDomainOrigin', {
        description: `"created": the stack made the SES identity ${domain.domain} and deletes it with the stack; "adopted": it existed, and the stack leaves it as it found it`,
        value: domain.origin,
      });
    }
  }

  /**
   * What a function that sends notifications needs: publish to the notifications topic, queue
   * webhook deliveries, and read (only) which webhooks subscribe to what.
   */
  private allowNotifying(fn: NodeFunction): void {
    this.notifications.allowPublishing(fn);
    this.webhooks.allowEnqueueing(fn);
    this.tables.webhooks.grantReadData(fn);
  }
}

/** The reputation guard's thresholds as the environment variables the events and api Lambdas read. */
function guardEnvironment(thresholds: GuardThresholds): Record<string, string> {
  return {
    [ENV.guardWarnBounceRate]: String(thresholds.warnBounceRate),
    [ENV.guardWarnComplaintRate]: String(thresholds.warnComplaintRate),
    [ENV.guardPauseBounceRate]: String(thresholds.pauseBounceRate),
    [ENV.guardPauseComplaintRate]: String(thresholds.pauseComplaintRate),
    [ENV.guardMinimumSends]: String(thresholds.minimumSends),
  };
}
