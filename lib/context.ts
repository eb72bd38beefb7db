import type { Construct } from 'constructs';
import type { OutboxStackProps } from './outbox-stack';

/** The context keys the app reads (`cdk synth -c outbox:sendingDomain=example.com`, or cdk.json). */
export const CONTEXT = {
  sendingDomain: 'outbox:sendingDomain',
  identities: 'outbox:identities',
  retentionDays: 'outbox:retentionDays',
  alarmEmail: 'outbox:alarmEmail',
} as const;

export const DEFAULT_RETENTION_DAYS = 90;

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const LOCAL_PART = /^[a-z0-9!%&'*+/=?^_`{|}~.-]{1,64}$/i;

function isEmailAddress(value: string): boolean {
  const at = value.lastIndexOf('@');
  return at > 0 && LOCAL_PART.test(value.slice(0, at)) && DOMAIN.test(value.slice(at + 1));
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

  const rawRetention = optionalString(node.tryGetContext(CONTEXT.retentionDays));
  const retentionDays = rawRetention === undefined ? DEFAULT_RETENTION_DAYS : Number(rawRetention);
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 3650) {
    problems.push(`${CONTEXT.retentionDays} must be a whole number of days from 1 to 3650, not "${rawRetention}".`);
  }

  const alarmEmail = optionalString(node.tryGetContext(CONTEXT.alarmEmail));
  if (alarmEmail !== undefined && !isEmailAddress(alarmEmail)) {
    problems.push(`${CONTEXT.alarmEmail} must be an email address, not "${alarmEmail}".`);
  }

  if (problems.length > 0) {
    throw new Error(`Invalid Outbox context:\n- ${problems.join('\n- ')}`);
  }
  return { sendingDomain, identities, retentionDays, alarmEmail };
}
