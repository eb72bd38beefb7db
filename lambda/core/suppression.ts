/** Why an address is on the suppression list, in the Resend API's words. */
export type SuppressionOrigin = 'bounce' | 'complaint' | 'manual';

export interface SuppressionRecord {
  /** UUIDv7, so ids sort by the time the address was suppressed. */
  readonly id: string;
  /** The address, lower-cased (see normalizeAddress). */
  readonly email: string;
  readonly origin: SuppressionOrigin;
  /** What caused it: the Outbox email id, or the SES message ID for mail Outbox did not send. */
  readonly sourceId: string | null;
  /** A sentence for people, e.g. the bounce type and diagnostic code. */
  readonly reason?: string;
  /** ISO 8601, UTC. */
  readonly createdAt: string;
}

/**
 * Which reason wins when one address earns several: a complaint is the strongest signal, then a
 * bounce, then a manual entry. Ranking them keeps the list's final state independent of the order
 * in which SES's events arrive.
 */
export const ORIGIN_RANK: Readonly<Record<SuppressionOrigin, number>> = { manual: 0, bounce: 1, complaint: 2 };

/**
 * The suppression list. Addresses are compared lower-cased. Adding is idempotent: an address
 * already listed keeps its record (id, time), except that a higher-ranked origin replaces its
 * origin, source and reason.
 */
export interface SuppressionList {
  add(record: SuppressionRecord): Promise<{ record: SuppressionRecord; created: boolean }>;
  /** One batched read for up to 100 addresses; the map holds only those suppressed. */
  findMany(emails: readonly string[]): Promise<Map<string, SuppressionRecord>>;
  get(email: string): Promise<SuppressionRecord | undefined>;
  getById(id: string): Promise<SuppressionRecord | undefined>;
  /** Returns false when the address was not listed. */
  remove(email: string): Promise<boolean>;
  /** Newest first. `after` is the id of the last record of the previous page. */
  list(options: { origin?: SuppressionOrigin; limit: number; after?: string }): Promise<{ records: SuppressionRecord[]; hasMore: boolean }>;
}
