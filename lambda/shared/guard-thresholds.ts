/**
 * The reputation guard's thresholds and their defaults, shared by the Lambdas (the guard in
 * lambda/core/deliverability.ts, readGuardThresholds in lambda/config.ts) and the stack (its
 * context keys and the alarms on SES's own rates), so both guard at the same rates.
 */

/** When the guard warns and when it pauses Outbox's sending. Rates are fractions (0.025 = 2.5%). */
export interface GuardThresholds {
  readonly warnBounceRate: number;
  readonly warnComplaintRate: number;
  readonly pauseBounceRate: number;
  readonly pauseComplaintRate: number;
  /** The guard acts only once the window holds at least this many sends. */
  readonly minimumSends: number;
}

/**
 * Half of SES's review thresholds (bounce 5%, complaint 0.1%, SES-FACTS §9) to warn, four fifths
 * of them to pause: Outbox stops itself well before SES puts the account under review.
 */
export const DEFAULT_GUARD_THRESHOLDS: GuardThresholds = Object.freeze({
  warnBounceRate: 0.025,
  warnComplaintRate: 0.0005,
  pauseBounceRate: 0.04,
  pauseComplaintRate: 0.0008,
  minimumSends: 100,
});

/** Every problem with a set of thresholds, each naming its fields (empty when they are usable). */
export function thresholdProblems(t: GuardThresholds): string[] {
  const problems: string[] = [];
  for (const name of ['warnBounceRate', 'warnComplaintRate', 'pauseBounceRate', 'pauseComplaintRate'] as const) {
    if (!(Number.isFinite(t[name]) && t[name] > 0 && t[name] < 1)) problems.push(`${name} must be a fraction above 0 and below 1 (0.025 = 2.5%); got ${t[name]}`);
  }
  if (!(Number.isInteger(t.minimumSends) && t.minimumSends >= 1)) problems.push(`minimumSends must be a whole number, at least 1; got ${t.minimumSends}`);
  for (const [warn, pause] of [
    ['warnBounceRate', 'pauseBounceRate'],
    ['warnComplaintRate', 'pauseComplaintRate'],
  ] as const) {
    if (t[warn] >= t[pause]) problems.push(`${warn} (${t[warn]}) must be below ${pause} (${t[pause]}): the guard warns before it pauses`);
  }
  return problems;
}
