/**
 * Pacing to SES's maximum send rate, shared by every sender instance, and the sending-paused
 * state. Pure: the ports are here, the DynamoDB and SES adapters implement them.
 *
 * SES counts recipients, not messages, per second (SES-FACTS §6), so the governor counts
 * recipients in one-second windows (epoch seconds). A window may take `rate` recipients in all,
 * and less early on: the previous window's count is weighted by how much of it still lies within
 * the last second ("sliding window" estimate). So a burst at the end of one second is not followed
 * by a full burst at the start of the next: SES's own limiter (a bucket that refills continuously)
 * would refuse that, and a whole window's worth of emails would come back throttled.
 */

/** The answer to "may n recipients go now?". */
export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly waitMs: number };

/**
 * Hands out send slots across every sender instance. `acquire(n)` takes n recipients from the
 * current window when they fit, or says how long to wait before asking again. A slot taken is
 * spent even if the send then fails: the governor only ever errs on the slow side.
 */
export interface SendRateGovernor {
  acquire(recipients: number): Promise<RateDecision>;
}

/** Who holds a pause that lasts until a person resumes sending. */
export type PauseSource = 'api' | 'guard' | 'alarm';

/** Why and until when sending is paused. */
export interface PauseState {
  /** Epoch milliseconds. For a held pause: when it is next looked at, not when it ends. */
  readonly until: number;
  readonly reason: string;
  /**
   * Set for Outbox's own pause (POST /sending/pause, the reputation guard, the SES reputation
   * alarm): it holds until a person resumes, whatever `until` says and whatever GetAccount says.
   * Absent for the short pause set when SES answers SendingPaused, which ends by itself.
   */
  readonly held?: { readonly by: PauseSource; readonly at: number };
}

/** A pause held until a person resumes. */
export type HeldPauseState = PauseState & { readonly held: { readonly by: PauseSource; readonly at: number } };

/**
 * The account-wide sending pause, shared by every sender instance and the api. Two kinds: the
 * short pause set when SES says sending is paused, re-checked when it runs out so sending resumes
 * on its own; and Outbox's held pause, which only `release` ends. The short pause never replaces
 * or removes a held one.
 */
export interface SendingPause {
  /** The pause last set, even if its time has passed; undefined when none is set. */
  read(): Promise<PauseState | undefined>;
  /** Sets a short pause, unless a held pause stands (then nothing changes). */
  set(state: PauseState): Promise<void>;
  /** Removes the short pause if it is still the one that ends at `until` (not one set since, never a held one). */
  clear(until: number): Promise<void>;
  /**
   * Holds `state` unless a held pause already stands (one conditional write, so of several
   * concurrent pausers only the first changes it). Returns the held pause that stands, and
   * whether it is this one.
   */
  hold(state: HeldPauseState): Promise<{ changed: boolean; state: PauseState }>;
  /** Ends the held pause and returns it; undefined when none was held. A short pause is left alone. */
  release(): Promise<PauseState | undefined>;
}

/** What SES's GetAccount says, as far as sending goes. */
export interface SesAccountStatus {
  /** Recipients per second (SendQuota.MaxSendRate). */
  readonly maxSendRate: number;
  /** False while SES has paused sending for the account (or suspended it). */
  readonly sendingEnabled: boolean;
}

/** SES's GetAccount. */
export interface SesAccount {
  get(): Promise<SesAccountStatus>;
}

/**
 * The share of SES's MaxSendRate the senders use: all of it. The governor counts exactly what SES
 * counts (recipients) and never lets a window exceed the rate, and a throttle that slips through
 * anyway is retried, never failed, so holding quota back would only slow every send down. Keep
 * headroom for other senders of the same account (SMTP, other applications, Outbox's own
 * synchronous sends) with the OUTBOX_MAX_SEND_RATE override instead.
 */
export const RATE_FRACTION = 1;

/** The key of the window `atMs` falls in. */
export function windowOf(atMs: number): { second: number; elapsedMs: number } {
  const second = Math.floor(atMs / 1000);
  return { second, elapsedMs: atMs - second * 1000 };
}

/**
 * How many recipients the current window may hold in all at `elapsedMs` into it: the rate minus
 * the previous window's sends that still lie within the last second. Those are estimated by taking
 * the previous window's sends as spread evenly from its first one (`previousStartMs` into it) to
 * its end, each at the middle of its share, so the estimate is a whole number of sends (rounded to
 * the nearest, a tie counted in).
 *
 * - From its first send, not from the window's start: after a quiet spell the first window's sends
 *   all come late in it (say from 960 ms), and spreading them over the whole second would let the
 *   next window take most of the rate at once, so SES would see nearly twice the rate within one
 *   second.
 * - Rounded, not up: rounding up would keep the last send of every window waiting for the next one
 *   whenever the previous window was full, and a steady flow would lose one send a second.
 *
 * Never more than the rate.
 */
export function windowAllowance(rate: number, previousCount: number, elapsedMs: number, previousStartMs = 0): number {
  const start = Math.min(999, Math.max(0, previousStartMs));
  const elapsed = Math.min(1000, Math.max(0, elapsedMs));
  const stillRecent = previousCount * Math.min(1, (1000 - elapsed) / (1000 - start));
  // The epsilon absorbs float drift (e.g. 14 - 14 * 0.5 = 7.000000000000001), and counts a tie in.
  return Math.min(Math.floor(rate), Math.floor(rate - stillRecent + 0.5 - 1e-9));
}

/**
 * Milliseconds until `recipients` more fit, given what the current window already holds
 * (`currentCount`, a lower bound: it only grows) and the previous window's count and first send.
 * Later in this window if the allowance grows enough, else in the next one (assumed empty, with
 * this one as its previous window, its sends taken as spread over all of it: at worst an answer
 * that comes early, and the sender asks again). At least 1.
 */
export function msUntilFits(rate: number, previousCount: number, currentCount: number, recipients: number, elapsedMs: number, previousStartMs = 0): number {
  const room = Math.floor(rate) - currentCount - recipients;
  if (room >= 0) {
    // Even the whole previous window within the last second leaves room.
    if (previousCount <= room) return 1;
    const start = Math.min(999, Math.max(0, previousStartMs));
    // The allowance reaches current + recipients once previous * (1000 - t) / (1000 - start) < room + 1/2.
    const at = firstMsAfter(1000 - ((room + 0.5) * (1000 - start)) / previousCount);
    if (at < 1000) return Math.max(1, at - elapsedMs);
  }
  const toNextWindow = 1000 - elapsedMs;
  if (currentCount <= 0 || recipients > rate) return Math.max(1, toNextWindow);
  const intoNext = firstMsAfter(1000 * (1 - (Math.floor(rate) - recipients + 0.5) / currentCount));
  return Math.max(1, toNextWindow + intoNext);
}

/** The first whole millisecond strictly after `ms` (0 for a time before the window), ignoring float noise (1000 * (1 - 0.7) is 300.00000000000006). */
function firstMsAfter(ms: number): number {
  return ms < 0 ? 0 : Math.floor(ms + 1e-6) + 1;
}

/**
 * The delay before retry `attempt` (1 = the first retry) of a send that SES throttled or could not
 * take: exponential from `baseSeconds`, capped at `maxSeconds`, with "equal jitter" (between half
 * and all of it), so emails throttled together do not come back together. Whole seconds, at least
 * 1, because SQS delays are whole seconds.
 */
export function backoffSeconds(attempt: number, random: () => number, baseSeconds = 2, maxSeconds = 300): number {
  const exponent = Math.min(30, Math.max(0, attempt - 1));
  const ceiling = Math.min(maxSeconds, baseSeconds * 2 ** exponent);
  return Math.max(1, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}
