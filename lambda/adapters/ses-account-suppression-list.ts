import type { AccountSuppressionList, AccountSuppressionReason } from '../core/account-suppression';
import { isAwsError } from './aws/aws-http-client';
import type { SesV2Client } from './aws/sesv2';

/**
 * SES allows its non-send actions about one request per second per account (SES-FACTS §6), and
 * other Outbox calls (GetAccount) share that budget: calls from one instance go at least this far apart.
 */
export const SES_SUPPRESSION_CALL_INTERVAL_MS = 1_000;

export interface SesAccountSuppressionListOptions {
  /** The least time between two calls of this instance. @default SES_SUPPRESSION_CALL_INTERVAL_MS */
  readonly minIntervalMs?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * SES v2 PutSuppressedDestination and DeleteSuppressedDestination, paced (minIntervalMs). A delete
 * of an address SES does not list (NotFoundException) is a success: the address is not listed,
 * which is what was asked. Every other error is thrown as the client gives it, TooManyRequestsException
 * included, so the caller retries later rather than this instance waiting out SES's limit.
 */
export class SesAccountSuppressionList implements AccountSuppressionList {
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** When the next call may start. */
  private nextCallAt = 0;

  constructor(
    private readonly ses: SesV2Client,
    options: SesAccountSuppressionListOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? SES_SUPPRESSION_CALL_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async put(email: string, reason: AccountSuppressionReason): Promise<void> {
    await this.paced(() => this.ses.putSuppressedDestination({ EmailAddress: email, Reason: reason }));
  }

  async remove(email: string): Promise<void> {
    try {
      await this.paced(() => this.ses.deleteSuppressedDestination({ EmailAddress: email }));
    } catch (error) {
      if (isAwsError(error, 'NotFoundException')) return;
      throw error;
    }
  }

  private async paced<T>(call: () => Promise<T>): Promise<T> {
    const wait = this.nextCallAt - this.now();
    if (wait > 0) await this.sleep(wait);
    try {
      return await call();
    } finally {
      // Counted from the end of the call: its own retries (the client's) already spent the budget.
      this.nextCallAt = this.now() + this.minIntervalMs;
    }
  }
}
