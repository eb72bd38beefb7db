import { randomUUID } from 'node:crypto';

/**
 * Region prefixes seen in real SES message IDs (SES-FACTS §6, observed in third-party captures).
 * Other regions fall back to `0100`: nobody has published theirs.
 */
const PREFIX_BY_REGION: Readonly<Record<string, string>> = {
  'us-east-1': '0100',
  'us-west-2': '0101',
  'eu-west-1': '0102',
};

/**
 * An SES-format message ID, e.g. `0100018264c6505e-66ca92ab-0593-41de-8df9-38b09a02a206-000000`:
 * region prefix, 12 hex digits of the millisecond time, a UUID, then `-000000` (SES-FACTS §6).
 * The time part makes IDs sort by acceptance time, as real ones do.
 */
export function sesMessageId(region: string, nowMs: number): string {
  const prefix = PREFIX_BY_REGION[region] ?? '0100';
  const time = Math.max(0, Math.floor(nowMs)).toString(16).padStart(12, '0').slice(-12);
  return `${prefix}${time}-${randomUUID()}-000000`;
}

/** Matches the format `sesMessageId` produces (and real SES IDs). */
export const SES_MESSAGE_ID_PATTERN = /^01[0-9a-f]{2}[0-9a-f]{12}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-000000$/;
