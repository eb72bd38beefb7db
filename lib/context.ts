import type { Construct } from 'constructs';
import type { OutboxStackProps } from './outbox-stack';

/** The context keys the app reads (`cdk synth -c outbox:sendingDomain=example.com`, or cdk.json). */
export const CONTEXT = {
  sendingDomain: 'outbox:sendingDomain',
  identities: 'outbox:identities',
  retentionDays: 'outbox:retentionDays',
  alarmEmail: 'outbox:alarmEmail',
  softBounceLimit: 'outbox:softBounceLimit',
  softBounceWindowDays: 'outbox:softBounceWindowDays',
  maxSendRate: 'outbox:maxSendRate',
  clamd: 'outbox:clamd',
} as const;

export const DEFAULT_RETENTION_DAYS = 90;
export const DEFAULT_SOFT_BOUNCE_LIMIT = 3;
export const DEFAULT_SOFT_BOUNCE_WINDOW_DAYS = 7;

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
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
): number {
  const raw = optionalString(node.tryGetContext(key));
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    problems.push(`${key} must be a whole number ${what} from 1 to ${max}, not "${raw}".`);
  }
  return value;
}

/** `host:port` with a DNS name, an IPv4 address or a bracketed IPv6 address, and a TCP port. */
const HOST_PORT = /^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?):(\d{1,5})$/i;

function isHostPort(value: string): boolean {
  const port = Number(HOST_PORT.exec(value)?.[1]);
  return port >= 1 && port <= 65535;
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
 *
 * None is required: with no identity at all the stack allows sending from any identity of the
 * account (see SesSending), so `cdk synth` works offline in CI with no context.
 */
export function outboxPropsFromContext(scope: Construct): OutboxStackProps {
  const node = scope.node;
  const problems: string[] = [];

  const sendingDomain = optionalString(node.tryGetContext(CONTEXT.sendingDomain))?.toLowerCase();
  if (sendingDomain !== undefined && !DOMAIN.test(sendingDomain)) {
    problems.push(`${CONTEXT.sendingDomain} must be a domain name such as mail.example.com, not "${sendingDomain}".`);
  }

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

  if (problems.length > 0) {
    throw new Error(`Invalid Outbox context:\n- ${problems.join('\n- ')}`);
  }
  return { sendingDomain, identities, retentionDays, alarmEmail, softBounceLimit, softBounceWindowDays, maxSendRate, clamd };
}
