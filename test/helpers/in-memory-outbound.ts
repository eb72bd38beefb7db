import type { SendFailure } from '../../lambda/core/email';
import type { ClaimResult, SendClaims } from '../../lambda/core/outbound-sender';
import type { HeldPauseState, PauseState, RateDecision, SendingPause, SendRateGovernor, SesAccount, SesAccountStatus } from '../../lambda/core/send-rate';
import type { InMemoryEmailStore } from './in-memory';

/** Send claims over an InMemoryEmailStore's records, with DynamoDbSendClaims' conditions. */
export class InMemorySendClaims implements SendClaims {
  /** Email id -> the claim on it. */
  readonly leases = new Map<string, { token: string; until: number }>();
  /** Email id -> when a claim on it was last given back (epoch ms). */
  readonly released = new Map<string, number>();

  constructor(private readonly store: InMemoryEmailStore) {}

  async claim(emailId: string, token: string, times: { until: number; staleBefore: number }): Promise<ClaimResult> {
    const email = this.store.emails.get(emailId);
    if (!email) return { claimed: false };
    const lease = this.leases.get(emailId);
    if (email.lastEvent === 'queued' && email.sesMessageId === undefined && (!lease || lease.until < times.staleBefore)) {
      // Taking over a claim that ran out: an SES event in the timeline means SES took the message.
      const event = lease ? this.store.timelines.get(emailId)?.[0] : undefined;
      if (event) {
        this.leases.delete(emailId);
        this.store.emails.set(emailId, { ...email, lastEvent: 'sent', sesMessageId: event.sesMessageId });
        return { claimed: false, state: { lastEvent: 'sent', sesMessageId: event.sesMessageId } };
      }
      this.leases.set(emailId, { token, until: times.until });
      return { claimed: true };
    }
    return {
      claimed: false,
      state: { lastEvent: email.lastEvent, ...(email.sesMessageId ? { sesMessageId: email.sesMessageId } : {}), ...(lease ? { claimUntil: lease.until } : {}) },
    };
  }

  async release(emailId: string, token: string, at: number): Promise<void> {
    if (this.leases.get(emailId)?.token !== token) return;
    this.leases.delete(emailId);
    this.released.set(emailId, at);
  }

  async endUncertain(emailId: string, token: string, at: number): Promise<void> {
    const lease = this.leases.get(emailId);
    if (lease?.token === token) this.leases.set(emailId, { token, until: at });
  }

  async markFailed(emailId: string, token: string, failure: SendFailure): Promise<void> {
    const email = this.store.emails.get(emailId);
    if (!email || this.leases.get(emailId)?.token !== token || email.sesMessageId !== undefined) return;
    this.leases.delete(emailId);
    this.store.emails.set(emailId, { ...email, lastEvent: 'failed', failure });
  }
}

/** A governor that answers from a script: each call takes the next decision (the last repeats). */
export class ScriptedGovernor implements SendRateGovernor {
  readonly requests: number[] = [];

  constructor(private readonly decisions: RateDecision[] = [{ ok: true }]) {}

  async acquire(recipients: number): Promise<RateDecision> {
    this.requests.push(recipients);
    return this.decisions.length > 1 ? this.decisions.shift()! : this.decisions[0]!;
  }
}

export class InMemorySendingPause implements SendingPause {
  state: PauseState | undefined;

  async read(): Promise<PauseState | undefined> {
    return this.state;
  }

  async set(state: PauseState): Promise<void> {
    if (!this.state?.held) this.state = state;
  }

  async clear(until: number): Promise<void> {
    if (this.state?.until === until && !this.state.held) this.state = undefined;
  }

  async hold(state: HeldPauseState): Promise<{ changed: boolean; state: PauseState }> {
    if (this.state?.held) return { changed: false, state: this.state };
    this.state = state;
    return { changed: true, state };
  }

  async release(): Promise<PauseState | undefined> {
    const released = this.state?.held ? this.state : undefined;
    if (released) this.state = undefined;
    return released;
  }
}

export class FakeSesAccount implements SesAccount {
  calls = 0;

  constructor(public status: SesAccountStatus = { maxSendRate: 14, sendingEnabled: true }) {}

  async get(): Promise<SesAccountStatus> {
    this.calls++;
    return this.status;
  }
}
