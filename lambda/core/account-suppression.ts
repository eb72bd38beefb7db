import type { SuppressionOrigin } from './suppression';

/** Why SES keeps an address on its account-level suppression list, in SES's words. */
export type AccountSuppressionReason = 'BOUNCE' | 'COMPLAINT';

/**
 * SES's account-level suppression list: SES accepts mail to a listed address but never sends it,
 * whichever path the mail came by (Outbox's API, SES's SMTP endpoint, another application). Both
 * calls are idempotent: putting a listed address updates its reason, removing an address that is
 * not listed succeeds.
 */
export interface AccountSuppressionList {
  put(email: string, reason: AccountSuppressionReason): Promise<void>;
  remove(email: string): Promise<void>;
}

/** What one change of the suppressions table asks of the account-level list. */
export type AccountSuppressionAction =
  | { readonly kind: 'put'; readonly email: string; readonly reason: AccountSuppressionReason }
  | { readonly kind: 'remove'; readonly email: string }
  | { readonly kind: 'none' };

/** One item change as a table stream reports it: the item before and after, as plain objects. */
export interface SuppressionTableChange {
  /** Absent for an insert. */
  readonly oldImage?: Readonly<Record<string, unknown>>;
  /** Absent for a delete, including TTL expiry. */
  readonly newImage?: Readonly<Record<string, unknown>>;
}

const REASON_OF: Readonly<Record<SuppressionOrigin, AccountSuppressionReason>> = {
  complaint: 'COMPLAINT',
  bounce: 'BOUNCE',
  // SES's list knows only these two reasons; an address someone suppressed by hand must never be
  // mailed, which BOUNCE says as well as any.
  manual: 'BOUNCE',
};

/**
 * The action that keeps SES's account-level list equal to Outbox's suppression list after one
 * change of the suppressions table:
 * 1. Only suppression entries count: items with an `origin` Outbox knows and an address for a key.
 *    Soft-bounce counters (`<address>#soft`, no origin) and anything else are ignored.
 * 2. An entry that appears, or whose SES reason changes (a bounce raised to a complaint), is put
 *    with its reason: complaint → COMPLAINT, bounce and manual → BOUNCE.
 * 3. An entry that disappears (removed through the API, or expired by the table's TTL) is removed.
 * 4. Anything else (an entry rewritten with the same SES reason) needs nothing.
 * Pure; the same change always gives the same action, so a retried record is harmless.
 */
export function accountSuppressionActionFor(change: SuppressionTableChange): AccountSuppressionAction {
  const before = suppressionEntryOf(change.oldImage);
  const after = suppressionEntryOf(change.newImage);
  if (after) {
    const reason = REASON_OF[after.origin];
    if (before && before.email === after.email && REASON_OF[before.origin] === reason) return { kind: 'none' };
    return { kind: 'put', email: after.email, reason };
  }
  if (before) return { kind: 'remove', email: before.email };
  return { kind: 'none' };
}

/** The address and origin of an item that is a suppression entry, or undefined. */
function suppressionEntryOf(image: Readonly<Record<string, unknown>> | undefined): { email: string; origin: SuppressionOrigin } | undefined {
  if (!image) return undefined;
  const { email, origin } = image;
  if (typeof origin !== 'string' || !Object.hasOwn(REASON_OF, origin)) return undefined;
  // Entries are keyed by the bare address; other item kinds add a `#` suffix to theirs.
  if (typeof email !== 'string' || email.includes('#') || !email.includes('@')) return undefined;
  return { email, origin: origin as SuppressionOrigin };
}
