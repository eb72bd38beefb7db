import type { GuardThresholds } from '../shared/guard-thresholds';
import type { SesEvent } from './ses-events';
import { isMailboxSimulator } from './tracking';

/**
 * Deliverability as Outbox measures it: what each SES event adds to rolling hourly counters, the
 * 24 h and 7 d windows over them, the rates, and the reputation guard's decision. Pure: the
 * counters' store and the guard's memory are ports (see reputation-guard.ts).
 *
 * Buckets are hours by Outbox's clock when the event is recorded, not by SES's time of the event:
 * every write of an events batch then goes to the current hour (one write per batch), and an hour
 * that has passed is final, so it can be cached. An event SES reports late counts in the hour it
 * arrives, which is also when it starts to matter to the rates.
 */

/** What one hour, a window or one event holds: recipients, as SES counts them (SES-FACTS §6). */
export interface DeliverabilityCounts {
  /** Recipients of Send events: what SES accepted. */
  readonly sent: number;
  readonly delivered: number;
  /** Recipients of Permanent bounces that count toward SES's bounce rate. */
  readonly bounced: number;
  /** Complaint recipients that count toward SES's complaint rate. */
  readonly complained: number;
}

export const COUNTER_NAMES = ['sent', 'delivered', 'bounced', 'complained'] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

export const NO_COUNTS: DeliverabilityCounts = Object.freeze({ sent: 0, delivered: 0, bounced: 0, complained: 0 });

/** Counts for the account, and the same split by sending domain (the domain of the message's source address). */
export interface DeliverabilityTally {
  readonly account: DeliverabilityCounts;
  /** Lower-cased domain -> its counts. A Map, so a domain never meets an object's inherited keys. */
  readonly domains: ReadonlyMap<string, DeliverabilityCounts>;
}

export const EMPTY_TALLY: DeliverabilityTally = Object.freeze({ account: NO_COUNTS, domains: new Map<string, DeliverabilityCounts>() });

/**
 * What one SES event adds to the counters, per recipient:
 * - Send: every recipient of the message (`sent`); Delivery: the delivered recipients.
 * - Bounce: Permanent ones only (`bounced`), except `OnAccountSuppressionList`: SES accepted the
 *   message but never sent it, and such a bounce "does not count toward your bounce rate"
 *   (SES-FACTS §2, §10). Transient and Undetermined bounces, auto-responses among them, count
 *   nothing: SES does not count them either.
 * - Complaint: its recipients (`complained`), except `complaintSubType OnAccountSuppressionList`
 *   (SES-FACTS §3, §10), for the same reason.
 * - Anything else (Reject, DeliveryDelay, Open, Click, ...): nothing.
 * Mailbox simulator addresses never count: SES leaves them out of its rates (SES-FACTS §4).
 */
export function countsOf(event: SesEvent): DeliverabilityTally {
  const counter = counterOf(event);
  if (counter === undefined) return EMPTY_TALLY;
  const recipients = event.recipients.filter((address) => !isMailboxSimulator(address)).length;
  if (recipients === 0) return EMPTY_TALLY;
  const counts: DeliverabilityCounts = { ...NO_COUNTS, [counter]: recipients };
  const domain = sendingDomainOf(event);
  return { account: counts, domains: new Map(domain ? [[domain, counts]] : []) };
}

function counterOf(event: SesEvent): CounterName | undefined {
  const detail = event.detail;
  switch (detail.kind) {
    case 'Send':
      return 'sent';
    case 'Delivery':
      return 'delivered';
    case 'Bounce':
      return detail.bounceType === 'Permanent' && detail.bounceSubType !== 'OnAccountSuppressionList' ? 'bounced' : undefined;
    case 'Complaint':
      return detail.complaintSubType === 'OnAccountSuppressionList' ? undefined : 'complained';
    default:
      return undefined;
  }
}

/**
 * The domain the message was sent from: of `mail.source` (the address SES sent it from), else of
 * the From header; lower-cased. Undefined when neither holds an address with a domain.
 */
export function sendingDomainOf(event: Pick<SesEvent, 'mail'>): string | undefined {
  for (const written of [event.mail.source, event.mail.from]) {
    // `Name <addr@domain>` or a bare `addr@domain`.
    const address = /<([^<>]*)>\s*$/.exec(written)?.[1] ?? written;
    const at = address.lastIndexOf('@');
    const domain = at < 0 ? '' : address.slice(at + 1).trim().toLowerCase();
    if (/^[a-z0-9.-]+$/.test(domain) && domain.includes('.')) return domain;
  }
  return undefined;
}

export function addCounts(a: DeliverabilityCounts, b: DeliverabilityCounts): DeliverabilityCounts {
  return { sent: a.sent + b.sent, delivered: a.delivered + b.delivered, bounced: a.bounced + b.bounced, complained: a.complained + b.complained };
}

export function addTallies(tallies: Iterable<DeliverabilityTally>): DeliverabilityTally {
  let account = NO_COUNTS;
  const domains = new Map<string, DeliverabilityCounts>();
  for (const tally of tallies) {
    account = addCounts(account, tally.account);
    for (const [domain, counts] of tally.domains) domains.set(domain, addCounts(domains.get(domain) ?? NO_COUNTS, counts));
  }
  return { account, domains };
}

export function isEmptyTally(tally: DeliverabilityTally): boolean {
  return COUNTER_NAMES.every((name) => tally.account[name] === 0) && tally.domains.size === 0;
}

/** The windows reported and guarded over. */
export const DELIVERABILITY_WINDOWS = ['24h', '7d'] as const;
export type DeliverabilityWindow = (typeof DELIVERABILITY_WINDOWS)[number];

/** How many hourly buckets each window sums: the current hour and the ones before it. */
export const WINDOW_HOURS: Readonly<Record<DeliverabilityWindow, number>> = Object.freeze({ '24h': 24, '7d': 168 });

/** The window the guard decides over. */
export const GUARD_WINDOW: DeliverabilityWindow = '24h';

const HOUR_MS = 3_600_000;

/** The hour `at` falls in, as whole hours since the epoch (UTC). */
export function hourOf(at: Date): number {
  return Math.floor(at.getTime() / HOUR_MS);
}

/** The start of an hour, for its bucket's name. */
export function hourStart(hour: number): Date {
  return new Date(hour * HOUR_MS);
}

/** The hours of the window that ends with the hour of `now`, oldest first. */
export function windowHours(window: DeliverabilityWindow, now: Date): number[] {
  const current = hourOf(now);
  const count = WINDOW_HOURS[window];
  return Array.from({ length: count }, (_, i) => current - count + 1 + i);
}

/**
 * A rate as a fraction of `sent`, rounded to 4 significant digits (1/3 -> 0.3333, 10/200 -> 0.05);
 * 0 when nothing was sent. For reports: decisions use reached() on the counts.
 */
export function rateOf(part: number, sent: number): number {
  if (sent <= 0) return 0;
  return Number((part / sent).toPrecision(4));
}

/**
 * Whether `part` of `sent` is at or above `threshold`, unrounded. A quotient of two integers is
 * the double nearest the exact fraction, as the threshold's literal is, so 7 of 100 reaches 0.07
 * (where `7 >= 0.07 * 100` would not: that product is 7.000000000000001).
 */
export function reached(part: number, sent: number, threshold: number): boolean {
  return sent > 0 && part / sent >= threshold;
}

// The thresholds are shared with the stack (lambda/shared/guard-thresholds.ts); re-exported for the core's users.
export { DEFAULT_GUARD_THRESHOLDS, thresholdProblems, type GuardThresholds } from '../shared/guard-thresholds';

/** The rates the guard watches, by their names in the API. */
export const GUARD_RATES = ['bounce_rate', 'complaint_rate'] as const;
export type GuardRate = (typeof GUARD_RATES)[number];

const RATE_OF: Readonly<Record<GuardRate, { counter: 'bounced' | 'complained'; warn: keyof GuardThresholds; pause: keyof GuardThresholds }>> = {
  bounce_rate: { counter: 'bounced', warn: 'warnBounceRate', pause: 'pauseBounceRate' },
  complaint_rate: { counter: 'complained', warn: 'warnComplaintRate', pause: 'pauseComplaintRate' },
};

/**
 * What the guard remembers between batches, per rate: whether it has warned, and whether it has
 * paused, for the current crossing. A flag is set when the rate crosses its threshold and cleared
 * (re-armed) when the rate is seen below it again.
 */
export interface GuardState {
  readonly warned: Readonly<Record<GuardRate, boolean>>;
  readonly paused: Readonly<Record<GuardRate, boolean>>;
}

export const INITIAL_GUARD_STATE: GuardState = Object.freeze({
  warned: Object.freeze({ bounce_rate: false, complaint_rate: false }),
  paused: Object.freeze({ bounce_rate: false, complaint_rate: false }),
});

/** A rate found at or above a threshold. */
export interface RateCrossing {
  readonly rate: GuardRate;
  /** The rate as reported (rateOf). */
  readonly value: number;
  readonly threshold: number;
}

export interface GuardDecision {
  /** What to remember next; the same object as the state given when nothing changed. */
  readonly state: GuardState;
  readonly changed: boolean;
  /** Rates that crossed their warn threshold now: each warns once. */
  readonly warn: readonly RateCrossing[];
  /** Rates that crossed their pause threshold now: sending pauses. */
  readonly pause: readonly RateCrossing[];
}

/**
 * What the guard does about the window's totals, given what it remembers:
 * 1. Below `minimumSends` sends in the window, nothing, and nothing is forgotten: a handful of
 *    sends says nothing about a rate.
 * 2. For each rate at or above its warn threshold that has not warned: warn, and remember it.
 *    Below the warn threshold: forget the warning, so the next crossing warns again.
 * 3. The same with the pause threshold: pause once per crossing. So after a person resumes,
 *    the guard does not pause again while the rate stays above the threshold; only once the rate
 *    has fallen below it and crossed it again.
 * It never resumes: that is a person's call.
 */
export function decideGuard(totals: DeliverabilityCounts, thresholds: GuardThresholds, state: GuardState): GuardDecision {
  if (totals.sent < thresholds.minimumSends) return { state, changed: false, warn: [], pause: [] };
  const warned = { ...state.warned };
  const paused = { ...state.paused };
  const warn: RateCrossing[] = [];
  const pause: RateCrossing[] = [];
  for (const rate of GUARD_RATES) {
    const { counter, warn: warnName, pause: pauseName } = RATE_OF[rate];
    const part = totals[counter];
    const value = rateOf(part, totals.sent);
    const atWarn = reached(part, totals.sent, thresholds[warnName]);
    const atPause = reached(part, totals.sent, thresholds[pauseName]);
    if (atWarn && !warned[rate]) warn.push({ rate, value, threshold: thresholds[warnName] });
    if (atPause && !paused[rate]) pause.push({ rate, value, threshold: thresholds[pauseName] });
    warned[rate] = atWarn;
    paused[rate] = atPause;
  }
  const changed = GUARD_RATES.some((rate) => warned[rate] !== state.warned[rate] || paused[rate] !== state.paused[rate]);
  return { state: changed ? { warned, paused } : state, changed, warn, pause };
}

export type DeliverabilityStatus = 'healthy' | 'warning' | 'paused';

/** The counts of a window with their rates, as GET /deliverability shows them. */
export interface CountsView {
  readonly sent: number;
  readonly delivered: number;
  readonly bounced: number;
  readonly complained: number;
  readonly bounce_rate: number;
  readonly complaint_rate: number;
}

export interface DeliverabilityReport extends CountsView {
  readonly object: 'deliverability';
  readonly window: DeliverabilityWindow;
  readonly status: DeliverabilityStatus;
  readonly thresholds: {
    readonly warn_bounce_rate: number;
    readonly warn_complaint_rate: number;
    readonly pause_bounce_rate: number;
    readonly pause_complaint_rate: number;
    readonly minimum_sends: number;
  };
  /** Busiest first. */
  readonly domains: readonly (CountsView & { readonly domain: string })[];
  /** The account's counts hour by hour, oldest first, every hour of the window (for charts). */
  readonly series: readonly HourlyCounts[];
}

/** One hour of a report's series: the hour's start (ISO 8601, UTC) and what it counted. */
export interface HourlyCounts extends DeliverabilityCounts {
  readonly hour: string;
}

/** One hourly bucket, as the counters hold it: the hour (hourOf) and its tally. */
export interface HourBucket {
  readonly hour: number;
  readonly tally: DeliverabilityTally;
}

export function countsView(counts: DeliverabilityCounts): CountsView {
  return { ...counts, bounce_rate: rateOf(counts.bounced, counts.sent), complaint_rate: rateOf(counts.complained, counts.sent) };
}

/**
 * The report of one window from its hourly buckets (oldest first, one per hour of the window): its
 * totals and rates, per domain too, the account's counts hour by hour, and the status: `paused`
 * while Outbox's own pause holds, else `warning` when a rate is at or above its warn threshold with
 * at least `minimumSends` sends, else `healthy`.
 */
export function deliverabilityReport(window: DeliverabilityWindow, buckets: readonly HourBucket[], thresholds: GuardThresholds, sendingHeld: boolean): DeliverabilityReport {
  const totals = addTallies(buckets.map((bucket) => bucket.tally));
  const account = totals.account;
  const warning =
    account.sent >= thresholds.minimumSends &&
    (reached(account.bounced, account.sent, thresholds.warnBounceRate) || reached(account.complained, account.sent, thresholds.warnComplaintRate));
  return {
    object: 'deliverability',
    window,
    ...countsView(account),
    status: sendingHeld ? 'paused' : warning ? 'warning' : 'healthy',
    thresholds: {
      warn_bounce_rate: thresholds.warnBounceRate,
      warn_complaint_rate: thresholds.warnComplaintRate,
      pause_bounce_rate: thresholds.pauseBounceRate,
      pause_complaint_rate: thresholds.pauseComplaintRate,
      minimum_sends: thresholds.minimumSends,
    },
    domains: [...totals.domains]
      .sort(([a, x], [b, y]) => y.sent - x.sent || (a < b ? -1 : a > b ? 1 : 0))
      .map(([domain, counts]) => ({ domain, ...countsView(counts) })),
    series: buckets.map(({ hour, tally }) => ({ hour: hourStart(hour).toISOString(), ...tally.account })),
  };
}

/** A rate as a person reads it: 0.05 -> "5%", 0.0008 -> "0.08%". */
export function percent(rate: number): string {
  return `${Number((rate * 100).toPrecision(4))}%`;
}
