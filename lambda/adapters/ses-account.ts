import type { SesAccount, SesAccountStatus } from '../core/send-rate';
import type { SesV2Client } from './aws/sesv2';

/**
 * SES v2 GetAccount, for the send rate and whether sending is enabled. SES allows its non-send
 * actions 1 request per second per account (SES-FACTS §6), so calls made at once share one
 * request, and an answer is reused for `reuseMs` (1 s by default). Callers ask rarely: the send
 * rate once a minute (AccountSendRate), and whether sending is back when a pause runs out.
 */
export class SesAccountClient implements SesAccount {
  private last: { at: number; status: SesAccountStatus } | undefined;
  private inFlight: Promise<SesAccountStatus> | undefined;

  constructor(
    private readonly ses: SesV2Client,
    private readonly reuseMs = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<SesAccountStatus> {
    if (this.last && this.now() - this.last.at < this.reuseMs) return Promise.resolve(this.last.status);
    this.inFlight ??= this.fetch().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetch(): Promise<SesAccountStatus> {
    const account = await this.ses.getAccount();
    const maxSendRate = account.SendQuota?.MaxSendRate;
    if (typeof maxSendRate !== 'number' || !(maxSendRate > 0)) throw new Error(`GetAccount gave no usable SendQuota.MaxSendRate (${String(maxSendRate)})`);
    const status: SesAccountStatus = {
      maxSendRate,
      // SHUTDOWN: SES has stopped the account from sending, whatever SendingEnabled says.
      sendingEnabled: account.SendingEnabled !== false && account.EnforcementStatus !== 'SHUTDOWN',
    };
    this.last = { at: this.now(), status };
    return status;
  }
}
