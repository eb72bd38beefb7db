import type { Construct } from 'constructs';
import { DEFAULT_GUARD_THRESHOLDS, type GuardThresholds } from '../lambda/shared/guard-thresholds';
import { API_ACCESS_LOGS, type ApiAccessLogs } from './constructs/send-api';
import { DEFAULT_MAIL_FROM_SUBDOMAIN } from './constructs/sending-identity';
import { DEFAULT_SMTP_ROTATION } from './constructs/smtp-user';
import type { OutboxStackProps } from './outbox-stack';

/** The context keys the app reads (`cdk synth -c outbox:sendingDomain=example.com`, or cdk.json). */
export const CONTEXT = {
  sendingDomain: 'outbox:sendingDomain',
  mailFromSubdomain: 'outbox:mailFromSubdomain',
  hostedZoneId: 'outbox:hostedZoneId',
  hostedZoneName: 'outbox:hostedZoneName',
  identities: 'outbox:identities',
  retentionDays: 'outbox:retentionDays',
  alarmEmail: 'outbox:alarmEmail',
  softBounceLimit: 'outbox:softBounceLimit',
  softBounceWindowDays: 'outbox:softBounceWindowDays',
  maxSendRate: 'outbox:maxSendRate',
  clamd: 'outbox:clamd',
  apiAccessLogs: 'outbox:apiAccessLogs',
  firewall: 'outbox:firewall',
  queueConcurrency: 'outbox:queueConcurrency',
  warnBounceRate: 'outbox:warnBounceRate',
  warnComplaintRate: 'outbox:warnComplaintRate',
  pauseBounceRate: 'outbox:pauseBounceRate',
  pauseComplaintRate: 'outbox:pauseComplaintRate',
  guardMinimumSends: 'outbox:guardMinimumSends',
  smtpUser: 'outbox:smtpUser',
  smtpRotation: 'outbox:smtpRotation',
} as const;

export const DEFAULT_RETENTION_DAYS = 90;
export const DEFAULT_SOFT_BOUNCE_LIMIT = 3;
export const DEFAULT_SOFT_BOUNCE_WINDOW_DAYS = 7;
/**
 * Instances each SQS consumer (events, webhook deliveries, sender) may run at once: SQS's minimum.
 * Three consumers at 2 take 6 of the 10 concurrent executions a new account may have, leaving 4
 * for the api, the console and the scheduler (3 while the suppression sync, one instance per
 * stream shard, runs).
 */
export const DEFAULT_QUEUE_CONCURRENCY = 2;

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
/** A Route 53 hosted zone id, as the console shows it (without `/hostedzone/`). */
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;
/** A rotation label: short, and printable in a template and a log line. */
const ROTATION_LABEL = /^[A-Za-z0-9._:-]{1,64}$/;
const LOCAL_PART = /^[a-z0-9!%&'*+/=?^_`{|}~.-]{1,64}$/i;

function isEmailAddress(value: string): boolean {
  const at = value.lastIndexOf('@');
  return at > 0 && LOCAL_PART.test(value.slice(0, at)) && DOMAIN.test(value.slice(at + 1));
}

/** A whole number from context (a number in cdk.json, a string from `-c`), or the default when unset. */
function wholeNumber(
  node: Construct['node'],
  key: string,
  fallback: number,
  max: number,
  what: string,
  problems: string[],
  min = 1,
): number {
  const raw = optionalString(node.tryGetContext(key));
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${key} must be a whole number ${what} from ${min} to ${max}, not "${raw}".`);
  }
  return value;
}

/** `host:port` with a DNS name, an IPv4 address or a bracketed IPv6 address, and a TCP port. */
const HOST_PORT = /^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?):(\d{1,5})$/i;

function isHostPort(value: string): boolean {
  const port = Number(HOST_PORT.exec(value)?.[1]);
  return port >= 1 && port <= 65535;
}

/** `true` or `false`, as a boolean from cdk.json or a string from `-c`; the default when unset. */
function flag(node: Construct['node'], key: string, fallback: boolean, problems: string[]): boolean {
  const raw = optionalString(node.tryGetContext(key))?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  problems.push(`${key} must be true or false, not "${raw}".`);
  return fallback;
}

/** A fraction above 0 and below 1 (a rate: 0.025 is 2.5%) from context, or the default when unset. */
function fraction(node: Construct['node'], key: string, fallback: number, problems: string[]): number {
  const raw = optionalString(node.tryGetContext(key));
  const value = raw === undefined ? fallback : Number(raw);
  if (!(Number.isFinite(value) && value > 0 && value < 1)) {
    problems.push(`${key} must be a fraction above 0 and below 1 (0.025 is 2.5%), not "${raw}".`);
  }
  return value;
}

/** The reputation guard's thresholds; each warn threshold must be below its pause threshold. */
function guardThresholds(node: Construct['node'], problems: string[]): GuardThresholds {
  const defaults = DEFAULT_GUARD_THRESHOLDS;
  const thresholds: GuardThresholds = {
    warnBounceRate: fraction(node, CONTEXT.warnBounceRate, defaults.warnBounceRate, problems),
    warnComplaintRate: fraction(node, CONTEXT.warnComplaintRate, defaults.warnComplaintRate, problems),
    pauseBounceRate: fraction(node, CONTEXT.pauseBounceRate, defaults.pauseBounceRate, problems),
    pauseComplaintRate: fraction(node, CONTEXT.pauseComplaintRate, defaults.pauseComplaintRate, problems),
    minimumSends: wholeNumber(node, CONTEXT.guardMinimumSends, defaults.minimumSends, 1_000_000, 'of sends', problems),
  };
  for (const [warn, pause] of [
    ['warnBounceRate', 'pauseBounceRate'],
    ['warnComplaintRate', 'pauseComplaintRate'],
  ] as const) {
    if (thresholds[warn] >= thresholds[pause]) {
      problems.push(`${CONTEXT[warn]} (${thresholds[warn]}) must be below ${CONTEXT[pause]} (${thresholds[pause]}): the guard warns before it pauses.`);
    }
  }
  return thresholds;
}

function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

/**
 * Reads Outbox's settings from CDK context and checks them, reporting every problem at once.
 *
 * - `outbox:sendingDomain`: a domain to create as an SES identity with Easy DKIM.
 * - `outbox:mailFromSubdomain`: with outbox:sendingDomain, the custom MAIL FROM domain is
 *   `<this>.<sending domain>` (a DNS label, default `bounce`), so SPF aligns with the From domain;
 *   `off` keeps SES's own MAIL FROM domain (DKIM alone then aligns for DMARC).
 * - `outbox:hostedZoneId` with `outbox:hostedZoneName`: the Route 53 zone (its id, such as
 *   Z0123456789ABCDEFGHIJ, and its name) the stack writes the sending domain's DNS records into.
 *   The name is required because it cannot be read offline, and the sending domain must be in it.
 * - `outbox:identities`: comma-separated names of existing SES identities (domains or addresses).
 * - `outbox:retentionDays`: how long emails and their events are kept (default 90).
 * - `outbox:alarmEmail`: where alarm notifications go.
 * - `outbox:softBounceLimit`: transient bounces within the window that suppress an address (default 3).
 * - `outbox:softBounceWindowDays`: that window, in days (default 7).
 * - `outbox:maxSendRate`: recipients per second the sender may send, overriding the account's SES
 *   MaxSendRate (read with GetAccount when unset); a positive number, fractions allowed.
 * - `outbox:clamd`: `host:port` of a ClamAV daemon the api Lambda scans content with. Unset: no
 *   ClamAV scan. The Lambdas run outside any VPC, so the daemon must be reachable from there; a
 *   daemon inside a VPC needs the api Lambda attached to that VPC, which is left to the deployer.
 * - `outbox:apiAccessLogs`: `on` (default) or `off`. `create-role` and `existing-role`, which
 *   named the account role the REST API's logs needed, are read as `on`.
 * - `outbox:firewall`: no longer has an effect (HTTP APIs take no AWS WAF web ACL); still checked
 *   to be a flag, and a stack given it gets a warning saying so.
 * - `outbox:queueConcurrency`: instances each queue consumer may run at once, 2 to 1000
 *   (default 2, which fits an account limited to 10 concurrent executions).
 * - `outbox:warnBounceRate`, `outbox:warnComplaintRate`: the reputation guard warns at these rates
 *   (fractions: default 0.025 and 0.0005); `outbox:pauseBounceRate`, `outbox:pauseComplaintRate`:
 *   it pauses sending at these (default 0.04 and 0.0008), each above its warn threshold. Outbox's
 *   own 24 h rates and SES's account-wide reputation alarms both use them.
 * - `outbox:guardMinimumSends`: the sends Outbox's 24 h window must hold before its guard acts
 *   (default 100).
 * - `outbox:smtpUser`: `true` adds an IAM user allowed only ses:SendRawEmail from the configured
 *   identities through the configuration set, for SES's SMTP endpoint, its SMTP password in a
 *   Secrets Manager secret (default `false`). Needs outbox:sendingDomain or outbox:identities.
 * - `outbox:smtpRotation`: with outbox:smtpUser, a label (letters, digits, `.`, `_`, `:`, `-`, up
 *   to 64; default `1`); a new label makes a new SMTP password on the next deploy.
 *
 * None is required: with no identity at all the stack allows sending from any identity of the
 * account (see SesSending), so `cdk synth` works offline in CI with no context.
 */
export function outboxPropsFromContext(scope: Construct): OutboxStackProps {
  const node = scope.node;
  const problems: string[] = [];
  const warnings: string[] = [];

  const sendingDomain = optionalString(node.tryGetContext(CONTEXT.sendingDomain))?.toLowerCase();
  if (sendingDomain !== undefined && !DOMAIN.test(sendingDomain)) {
    problems.push(`${CONTEXT.sendingDomain} must be a domain name such as mail.example.com, not "${sendingDomain}".`);
  }

  const mailFromSubdomain = readMailFromSubdomain(node, sendingDomain, problems);
  const hostedZone = readHostedZone(node, sendingDomain, problems);

  const identities = (optionalString(node.tryGetContext(CONTEXT.identities)) ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of identities) {
    if (!DOMAIN.test(name) && !isEmailAddress(name)) {
      problems.push(`${CONTEXT.identities} entries must be domains or email addresses; "${name}" is neither.`);
    }
  }

  const retentionDays = wholeNumber(node, CONTEXT.retentionDays, DEFAULT_RETENTION_DAYS, 3650, 'of days', problems);

  const alarmEmail = optionalString(node.tryGetContext(CONTEXT.alarmEmail));
  if (alarmEmail !== undefined && !isEmailAddress(alarmEmail)) {
    problems.push(`${CONTEXT.alarmEmail} must be an email address, not "${alarmEmail}".`);
  }

  const softBounceLimit = wholeNumber(node, CONTEXT.softBounceLimit, DEFAULT_SOFT_BOUNCE_LIMIT, 1000, 'of bounces', problems);
  const softBounceWindowDays = wholeNumber(
    node,
    CONTEXT.softBounceWindowDays,
    DEFAULT_SOFT_BOUNCE_WINDOW_DAYS,
    3650,
    'of days',
    problems,
  );

  const rawSendRate = optionalString(node.tryGetContext(CONTEXT.maxSendRate));
  const maxSendRate = rawSendRate === undefined ? undefined : Number(rawSendRate);
  if (maxSendRate !== undefined && !(Number.isFinite(maxSendRate) && maxSendRate > 0)) {
    problems.push(`${CONTEXT.maxSendRate} must be a positive number of recipients per second, not "${rawSendRate}".`);
  }

  const clamd = optionalString(node.tryGetContext(CONTEXT.clamd));
  if (clamd !== undefined && !isHostPort(clamd)) {
    problems.push(`${CONTEXT.clamd} must be the host:port of a ClamAV daemon reachable from Lambda, such as clamav.internal:3310, not "${clamd}".`);
  }

  const apiAccessLogs = optionalString(node.tryGetContext(CONTEXT.apiAccessLogs)) ?? 'on';
  if (!isApiAccessLogs(apiAccessLogs)) {
    problems.push(`${CONTEXT.apiAccessLogs} must be one of ${API_ACCESS_LOGS.join(', ')}, not "${apiAccessLogs}".`);
  }

  if (node.tryGetContext(CONTEXT.firewall) !== undefined) {
    flag(node, CONTEXT.firewall, false, problems);
    warnings.push(`${CONTEXT.firewall} has no effect: the API is an HTTP API, which takes no AWS WAF web ACL (the README's "What the HTTP API does not do" says how to put one in front).`);
  }

  // SQS's limits for a Lambda event source's maximum concurrency.
  const queueConcurrency = wholeNumber(node, CONTEXT.queueConcurrency, DEFAULT_QUEUE_CONCURRENCY, 1000, 'of instances', problems, 2);

  const guard = guardThresholds(node, problems);

  const smtp = readSmtpUser(node, identities.length > 0 || sendingDomain !== undefined, problems);

  if (problems.length > 0) {
    throw new Error(`Invalid Outbox context:\n- ${problems.join('\n- ')}`);
  }
  return {
    sendingDomain,
    ...(sendingDomain !== undefined ? { mailFromSubdomain } : {}),
    ...(hostedZone !== undefined ? { hostedZone } : {}),
    identities,
    retentionDays,
    alarmEmail,
    softBounceLimit,
    softBounceWindowDays,
    maxSendRate,
    clamd,
    apiAccessLogs: apiAccessLogs as ApiAccessLogs,
    ...(warnings.length > 0 ? { contextWarnings: warnings } : {}),
    queueConcurrency,
    guardThresholds: guard,
    ...smtp,
  };
}

/** outbox:smtpUser (needs a named identity) and its outbox:smtpRotation label. */
function readSmtpUser(node: Construct['node'], hasIdentity: boolean, problems: string[]): { smtpUser: boolean; smtpRotation?: string } {
  const smtpUser = flag(node, CONTEXT.smtpUser, false, problems);
  const rotation = optionalString(node.tryGetContext(CONTEXT.smtpRotation));
  if (smtpUser && !hasIdentity) {
    problems.push(`${CONTEXT.smtpUser} needs ${CONTEXT.sendingDomain} or ${CONTEXT.identities}: the SMTP user may send only from named identities.`);
  }
  if (rotation === undefined) return { smtpUser };
  if (!smtpUser) problems.push(`${CONTEXT.smtpRotation} is read only with ${CONTEXT.smtpUser}=true; set both or neither.`);
  if (!ROTATION_LABEL.test(rotation)) {
    problems.push(`${CONTEXT.smtpRotation} must be a label of up to 64 letters, digits, '.', '_', ':' or '-' (such as 2026-12 or ${DEFAULT_SMTP_ROTATION}), not "${rotation}".`);
  }
  return { smtpUser, smtpRotation: rotation };
}

/** outbox:mailFromSubdomain: a DNS label (default `bounce`), or false for `off`. */
function readMailFromSubdomain(node: Construct['node'], sendingDomain: string | undefined, problems: string[]): string | false {
  const raw = optionalString(node.tryGetContext(CONTEXT.mailFromSubdomain))?.toLowerCase();
  if (raw !== undefined && sendingDomain === undefined) problems.push(`${CONTEXT.mailFromSubdomain} needs ${CONTEXT.sendingDomain}: it names a subdomain of it.`);
  if (raw === 'off') return false;
  const subdomain = raw ?? DEFAULT_MAIL_FROM_SUBDOMAIN;
  if (!DNS_LABEL.test(subdomain)) {
    problems.push(`${CONTEXT.mailFromSubdomain} must be one DNS label such as ${DEFAULT_MAIL_FROM_SUBDOMAIN} (letters, digits and inner hyphens, up to 63), or off, not "${raw}".`);
  } else if (sendingDomain !== undefined && `${subdomain}.${sendingDomain}`.length > 253) {
    problems.push(`${CONTEXT.mailFromSubdomain} makes ${subdomain}.${sendingDomain}, longer than a domain name may be (253).`);
  }
  return subdomain;
}

/** outbox:hostedZoneId and outbox:hostedZoneName, both or neither, the sending domain inside the zone. */
function readHostedZone(node: Construct['node'], sendingDomain: string | undefined, problems: string[]): { zoneId: string; zoneName: string } | undefined {
  const zoneId = optionalString(node.tryGetContext(CONTEXT.hostedZoneId));
  const zoneName = optionalString(node.tryGetContext(CONTEXT.hostedZoneName))?.toLowerCase().replace(/\.$/, '');
  if (zoneId === undefined) {
    if (zoneName !== undefined) problems.push(`${CONTEXT.hostedZoneName} is read only with ${CONTEXT.hostedZoneId}; set both or neither.`);
    return undefined;
  }
  if (!HOSTED_ZONE_ID.test(zoneId)) {
    problems.push(`${CONTEXT.hostedZoneId} must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (without /hostedzone/), not "${zoneId}".`);
  }
  if (sendingDomain === undefined) problems.push(`${CONTEXT.hostedZoneId} needs ${CONTEXT.sendingDomain}: the records it holds are the sending domain's.`);
  if (zoneName === undefined) {
    problems.push(`${CONTEXT.hostedZoneId} needs ${CONTEXT.hostedZoneName}, the zone's name (such as example.com): the stack cannot look it up offline.`);
  } else if (!DOMAIN.test(zoneName)) {
    problems.push(`${CONTEXT.hostedZoneName} must be a domain name such as example.com, not "${zoneName}".`);
  } else if (sendingDomain !== undefined && sendingDomain !== zoneName && !sendingDomain.endsWith(`.${zoneName}`)) {
    problems.push(`${CONTEXT.sendingDomain} ${sendingDomain} is not in the zone ${zoneName} (${CONTEXT.hostedZoneName}): Route 53 would refuse its records.`);
  }
  return { zoneId, zoneName: zoneName ?? '' };
}

function isApiAccessLogs(value: string): value is ApiAccessLogs {
  return (API_ACCESS_LOGS as readonly string[]).includes(value);
}
