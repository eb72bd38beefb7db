import { OutboxError } from './errors';
import type { Clock } from './ports';

/**
 * `GET /account`: what SES says of the account (sandbox, sending, enforcement, quotas) and of the
 * identities Outbox sends from (verification, DKIM). Pure: SES's answers come through the
 * SesAccountReport port, in SES's own words, and are mapped here to the API's snake_case shape.
 *
 * SES allows its non-send actions about one request per second per account (SES-FACTS §6), so
 * the report makes few calls, one after another: GetAccount, one ListEmailIdentities page, then
 * one GetEmailIdentity per identity, at most MAX_REPORTED_IDENTITIES of them and only while the
 * time budget lasts (the api Lambda has 10 s in all).
 */

/** The most identities one report asks SES about (one GetEmailIdentity each). */
export const MAX_REPORTED_IDENTITIES = 10;
/** The ListEmailIdentities page size: enough to find the configured identities' SendingEnabled. */
export const IDENTITY_PAGE_SIZE = 100;
/** How long the report keeps asking SES about identities; those left are reported unchecked. */
export const IDENTITY_BUDGET_MS = 6_000;

/** SES v2 GetAccount, as far as the report goes. Absent fields are ones SES did not give. */
export interface SesAccountDetails {
  readonly productionAccessEnabled?: boolean;
  readonly sendingEnabled?: boolean;
  /** `HEALTHY`, `PROBATION` (under review), `SHUTDOWN` (sending paused), or a value SES adds later. */
  readonly enforcementStatus?: string;
  readonly sendQuota?: {
    readonly maxSendRate?: number;
    /** -1 is SES's "unlimited". */
    readonly max24HourSend?: number;
    readonly sentLast24Hours?: number;
  };
  /** The account-level suppression list's reasons (`BOUNCE`, `COMPLAINT`). */
  readonly suppressedReasons?: readonly string[];
}

/** One entry of SES v2 ListEmailIdentities. */
export interface SesIdentityListing {
  readonly name: string;
  /** `DOMAIN`, `EMAIL_ADDRESS` or `MANAGED_DOMAIN`. */
  readonly type?: string;
  readonly sendingEnabled?: boolean;
  /** `PENDING`, `SUCCESS`, `FAILED`, `TEMPORARY_FAILURE` or `NOT_STARTED`. */
  readonly verificationStatus?: string;
}

/** SES v2 GetEmailIdentity, as far as the report goes. */
export interface SesIdentityDetails {
  readonly type?: string;
  readonly verifiedForSending?: boolean;
  readonly verificationStatus?: string;
  readonly dkim?: {
    /** `PENDING`, `SUCCESS`, `FAILED`, `TEMPORARY_FAILURE` or `NOT_STARTED`. */
    readonly status?: string;
    readonly signingEnabled?: boolean;
  };
}

/**
 * The SES reads `GET /account` makes. Each throws OutboxError: `not_found` for an identity SES
 * does not have, `unavailable` when SES cannot be reached or keeps failing (after the client's own
 * retries, throttles included), and `ses_access_denied` when the role lacks the permission.
 */
export interface SesAccountReport {
  /** The region the SES client talks to, when known. */
  region(): Promise<string | undefined>;
  getAccount(): Promise<SesAccountDetails>;
  /** The first page of the account's identities, and whether SES has more. */
  listIdentities(pageSize: number): Promise<{ readonly identities: readonly SesIdentityListing[]; readonly more: boolean }>;
  getIdentity(name: string): Promise<SesIdentityDetails>;
}

export interface AccountReportDeps {
  readonly account: SesAccountReport;
  /** The identities Outbox is configured to send from (OUTBOX_SENDING_IDENTITIES); unset: the account's. */
  readonly sendingIdentities?: readonly string[];
  readonly clock: Clock;
}

/** One identity in `GET /account`. Values SES did not give (or could not be asked for) are null. */
export interface IdentityView {
  readonly name: string;
  readonly type: string;
  /** Whether SES lets Outbox send from it (GetEmailIdentity's VerifiedForSendingStatus). */
  readonly verified: boolean | null;
  readonly verification_status: string | null;
  /** ListEmailIdentities' SendingEnabled; null when the identity is not on its first page. */
  readonly sending_enabled: boolean | null;
  readonly dkim: { readonly status: string | null; readonly signing_enabled: boolean | null } | null;
  /** Why SES could not say more of this identity; absent when it answered. */
  readonly error?: string;
}

/** `GET /account` in full. */
export interface AccountView {
  readonly object: 'account';
  readonly region?: string;
  readonly sending_enabled: boolean;
  /** False: the SES sandbox (only verified recipients and the mailbox simulator, 200 a day, 1 a second). */
  readonly production_access: boolean;
  readonly enforcement_status: string | null;
  readonly send_quota: { readonly max_send_rate: number | null; readonly max_24_hour_send: number | null; readonly sent_last_24_hours: number | null };
  /** SES's account-level suppression list (Outbox keeps its own besides: GET /suppressions). */
  readonly suppression: { readonly suppressed_reasons: readonly string[] };
  /** `configured`: the identities Outbox sends from (OUTBOX_SENDING_IDENTITIES); `account`: SES's list. */
  readonly identities_source: 'configured' | 'account';
  readonly identities: readonly IdentityView[];
  /** More identities than the report covers (MAX_REPORTED_IDENTITIES, or SES had more pages). */
  readonly has_more_identities: boolean;
}

/**
 * Builds the account report.
 *
 * 1. GetAccount; a failure fails the whole report (403 when access is denied, 503 when SES is
 *    unreachable).
 * 2. One ListEmailIdentities page, for SendingEnabled and, without configured identities, the names.
 * 3. GetEmailIdentity for each identity in turn, up to MAX_REPORTED_IDENTITIES and IDENTITY_BUDGET_MS;
 *    one that fails (not found, throttled past the SDK's retries) is reported with `error`, and the
 *    rest still are. Access denied fails the whole report: the role needs fixing.
 *
 * Read-only and idempotent.
 */
export async function reportAccount(deps: AccountReportDeps): Promise<AccountView> {
  const startedAt = deps.clock.now().getTime();
  const account = await deps.account.getAccount();
  const region = await deps.account.region();
  const listed = await deps.account.listIdentities(IDENTITY_PAGE_SIZE);
  const byName = new Map(listed.identities.map((i) => [i.name.toLowerCase(), i]));

  const configured = deps.sendingIdentities ? uniqueNames(deps.sendingIdentities) : undefined;
  const names = configured ?? listed.identities.map((i) => i.name);
  const covered = names.slice(0, MAX_REPORTED_IDENTITIES);

  const identities: IdentityView[] = [];
  for (const name of covered) {
    const listing = byName.get(name.toLowerCase());
    if (deps.clock.now().getTime() - startedAt > IDENTITY_BUDGET_MS) {
      identities.push(unchecked(name, listing));
      continue;
    }
    identities.push(await inspectIdentity(deps.account, name, listing));
  }

  const quota = account.sendQuota ?? {};
  return {
    object: 'account',
    ...(region ? { region } : {}),
    // SHUTDOWN: SES has stopped the account from sending, whatever SendingEnabled says.
    sending_enabled: account.sendingEnabled === true && account.enforcementStatus !== 'SHUTDOWN',
    production_access: account.productionAccessEnabled === true,
    enforcement_status: account.enforcementStatus ?? null,
    send_quota: {
      max_send_rate: quota.maxSendRate ?? null,
      max_24_hour_send: quota.max24HourSend ?? null,
      sent_last_24_hours: quota.sentLast24Hours ?? null,
    },
    suppression: { suppressed_reasons: [...(account.suppressedReasons ?? [])] },
    identities_source: configured ? 'configured' : 'account',
    identities,
    has_more_identities: names.length > covered.length || (!configured && listed.more),
  };
}

async function inspectIdentity(account: SesAccountReport, name: string, listing: SesIdentityListing | undefined): Promise<IdentityView> {
  try {
    const details = await account.getIdentity(name);
    const verificationStatus = details.verificationStatus ?? listing?.verificationStatus ?? null;
    return {
      name,
      type: details.type ?? listing?.type ?? typeOfName(name),
      verified: details.verifiedForSending ?? (verificationStatus === null ? null : verificationStatus === 'SUCCESS'),
      verification_status: verificationStatus,
      sending_enabled: listing?.sendingEnabled ?? null,
      dkim: details.dkim ? { status: details.dkim.status ?? null, signing_enabled: details.dkim.signingEnabled ?? null } : null,
    };
  } catch (error) {
    if (isAccessDenied(error)) throw error;
    const notFound = error instanceof OutboxError && error.kind === 'not_found';
    return {
      ...unchecked(name, listing),
      ...(notFound ? { verified: false } : {}),
      error: error instanceof OutboxError ? error.message : `SES did not answer GetEmailIdentity for ${name}.`,
    };
  }
}

function unchecked(name: string, listing: SesIdentityListing | undefined): IdentityView {
  return {
    name,
    type: listing?.type ?? typeOfName(name),
    verified: null,
    verification_status: listing?.verificationStatus ?? null,
    sending_enabled: listing?.sendingEnabled ?? null,
    dkim: null,
    error: `Not checked: GET /account asks SES about identities for at most ${IDENTITY_BUDGET_MS / 1000} s (SES allows about one such request per second); ask again in a minute.`,
  };
}

/** An identity's type follows from its name: SES identities are domains or addresses. */
function typeOfName(name: string): 'DOMAIN' | 'EMAIL_ADDRESS' {
  return name.includes('@') ? 'EMAIL_ADDRESS' : 'DOMAIN';
}

/** Names as given, trimmed, without empty ones or repeats (compared case-insensitively). */
function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of names) {
    const name = raw.trim();
    if (name === '' || seen.has(name.toLowerCase())) continue;
    seen.add(name.toLowerCase());
    out.push(name);
  }
  return out;
}

/** The role lacks an SES permission: the whole report is refused, so the operator fixes the role. */
function isAccessDenied(error: unknown): boolean {
  return error instanceof OutboxError && error.kind === 'ses_access_denied';
}
