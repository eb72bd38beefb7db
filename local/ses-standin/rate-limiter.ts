/**
 * SES's maximum send rate as a token bucket.
 *
 * SES counts recipients, not messages (SES-FACTS §6), so a send takes one token per recipient.
 * The bucket holds one second's worth (`rate` tokens) and refills continuously: SES allows short
 * bursts over the rate "but not for sustained periods" (SES-FACTS §6), and one second of burst is
 * the simplest reading of that. The clock is injected so tests can move time instead of waiting.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    /** Recipients per second; must be positive. */
    readonly rate: number,
    private readonly clock: () => number,
  ) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`maxSendRate must be a positive number, got ${rate}`);
    this.tokens = rate;
    this.updatedAt = clock();
  }

  /**
   * Takes `count` tokens if the send may go now, and says whether it may.
   * A message with more recipients than one second's worth would otherwise never pass, so it
   * passes when the bucket is full and leaves the bucket in debt, which later sends repay.
   */
  tryTake(count: number): boolean {
    this.refill();
    const needed = Math.min(count, this.rate);
    // The epsilon absorbs float drift from fractional refills (e.g. 0.1 s at 10/s).
    if (this.tokens + 1e-9 < needed) return false;
    this.tokens -= count;
    return true;
  }

  private refill(): void {
    const now = this.clock();
    const elapsedSeconds = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.rate, this.tokens + elapsedSeconds * this.rate);
    this.updatedAt = now;
  }
}
