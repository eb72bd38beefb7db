import type { AccountView, IdentityView } from '../lambda/core/account-report';
import type { EmailView } from '../lambda/core/email-view';
import { RECIPIENT_RANK, type RecipientStatus } from '../lambda/core/precedence';

/**
 * What `npm run smoke` checks, without the I/O: what GET /account's answer means for a smoke run
 * (the lines to print, warnings, reasons to stop), which sender to use, and whether an email
 * reached the state its mailbox-simulator address should end in.
 */

/** One mailbox-simulator address and the final state its email should reach through SES's events. */
export interface SmokeCase {
  readonly mailbox: 'success' | 'bounce' | 'complaint' | 'ooto';
  readonly address: string;
  /** The recipient's final status (GET /emails/{id} `recipients[].status`). */
  readonly expected: RecipientStatus;
  /** The email's `last_event` once it got there. */
  readonly lastEvent: EmailView['last_event'];
  /** The SES events that get it there, for the message when they do not come. */
  readonly events: string;
}

export const SMOKE_CASES: readonly SmokeCase[] = [
  { mailbox: 'success', address: 'success@simulator.amazonses.com', expected: 'delivered', lastEvent: 'delivered', events: 'Delivery' },
  { mailbox: 'bounce', address: 'bounce@simulator.amazonses.com', expected: 'bounced', lastEvent: 'bounced', events: 'Bounce (Permanent)' },
  { mailbox: 'complaint', address: 'complaint@simulator.amazonses.com', expected: 'complained', lastEvent: 'complained', events: 'Delivery, then Complaint' },
  // The auto-response is a Transient bounce after the Delivery; the mail was delivered, so last_event stays delivered.
  { mailbox: 'ooto', address: 'ooto@simulator.amazonses.com', expected: 'auto_replied', lastEvent: 'delivered', events: 'Delivery, then the auto-response (a Transient bounce)' },
];

/** What the account report means for the run: what to print, what to warn of, and what stops it. */
export interface AccountReview {
  readonly lines: readonly string[];
  readonly warnings: readonly string[];
  /** Set when the run cannot go on (sending disabled). */
  readonly failure?: string;
}

export function reviewAccount(account: AccountView): AccountReview {
  const lines: string[] = [];
  const warnings: string[] = [];
  lines.push(`region: ${account.region ?? 'not reported'}`);
  lines.push(
    account.production_access
      ? 'SES sandbox: no (production access)'
      : 'SES sandbox: yes: only verified recipients and the mailbox simulator, 200 messages a day at 1 a second; request production access in the SES console before sending to real recipients',
  );
  lines.push(`sending: ${account.sending_enabled ? 'enabled' : 'DISABLED'}; enforcement status ${account.enforcement_status ?? 'not reported'}`);
  lines.push(`send quota: ${describeQuota(account.send_quota)}`);
  lines.push(`SES account suppression list: ${account.suppression.suppressed_reasons.length > 0 ? account.suppression.suppressed_reasons.join(', ') : 'off'}`);
  lines.push(`identities (${account.identities_source === 'configured' ? 'the ones Outbox is configured with' : "the account's"}):`);
  if (account.identities.length === 0) lines.push('  none');
  for (const identity of account.identities) {
    lines.push(`  ${describeIdentity(identity)}`);
    warnings.push(...identityWarnings(identity));
  }
  if (account.has_more_identities) lines.push('  ... and more, not shown');
  if (account.enforcement_status === 'PROBATION') {
    warnings.push('SES has the account under review (PROBATION): bounce or complaint rates are too high; see the reputation dashboard in the SES console.');
  }
  if (!account.sending_enabled) {
    return {
      lines,
      warnings,
      failure: `SES sending is disabled for this account (enforcement status ${account.enforcement_status ?? 'not reported'}): nothing can be sent. See the SES console's account dashboard; if you paused it, re-enable it there.`,
    };
  }
  return { lines, warnings };
}

function describeQuota(quota: AccountView['send_quota']): string {
  const rate = quota.max_send_rate === null ? 'rate not reported' : `${quota.max_send_rate} recipients/s`;
  const daily = quota.max_24_hour_send === null ? 'daily quota not reported' : quota.max_24_hour_send < 0 ? 'no daily quota' : `${quota.max_24_hour_send} per 24 h`;
  const sent = quota.sent_last_24_hours === null ? '' : ` (${quota.sent_last_24_hours} sent in the last 24 h)`;
  return `${rate}, ${daily}${sent}`;
}

function describeIdentity(identity: IdentityView): string {
  const verified = identity.verified === true ? 'verified' : identity.verified === false ? 'NOT verified' : 'verification unknown';
  const status = identity.verification_status ? ` (${identity.verification_status})` : '';
  const sending = identity.sending_enabled === false ? ', sending disabled' : '';
  const dkim = identity.dkim ? `, DKIM ${identity.dkim.status ?? 'unknown'}${identity.dkim.signing_enabled ? ', signing on' : identity.dkim.signing_enabled === false ? ', signing off' : ''}` : '';
  const error = identity.error ? ` [${identity.error}]` : '';
  return `${identity.name} ${identity.type}: ${verified}${status}${sending}${dkim}${error}`;
}

function identityWarnings(identity: IdentityView): string[] {
  if (identity.error) return [`${identity.name}: ${identity.error}`];
  if (identity.verified !== true) {
    return [`${identity.name} is not verified (${identity.verification_status ?? 'status unknown'}): SES refuses mail from it until it is; for a domain, add the DKIM CNAME records from the stack outputs to your DNS.`];
  }
  const status = identity.dkim?.status ?? 'not reported';
  if (status === 'SUCCESS') return [];
  if (identity.type === 'EMAIL_ADDRESS') {
    return [`${identity.name}: DKIM is ${status}: an address identity has no DKIM of its own; mail from it is DKIM-signed only when its domain is verified with DKIM too.`];
  }
  return [`${identity.name}: DKIM is ${status}, not SUCCESS: SES has not found the domain's DKIM CNAME records; add the three from the stack outputs to your DNS. Mail still goes, but unsigned, and is more likely to be filed as spam.`];
}

/** The sender for the run, and why; or why there is none. */
export type SenderChoice = { readonly from: string; readonly why: string; readonly warning?: string } | { readonly failure: string };

/**
 * `--from` when given (with a warning when no verified identity covers it: SES will decide), else
 * `outbox-smoke@<first verified domain identity>`, else the first verified address identity.
 */
export function chooseSender(account: AccountView, from?: string): SenderChoice {
  const usable = account.identities.filter((i) => i.verified === true && i.sending_enabled !== false);
  if (from !== undefined) {
    const address = bareAddress(from);
    const covered = usable.some((i) => covers(i.name, address));
    return {
      from,
      why: 'given with --from',
      ...(covered ? {} : { warning: `no verified identity in GET /account covers ${address}; SES will refuse it unless it is verified for this account.` }),
    };
  }
  const domain = usable.find((i) => i.type === 'DOMAIN');
  if (domain) return { from: `Outbox smoke test <outbox-smoke@${domain.name}>`, why: `the first verified domain identity, ${domain.name}` };
  const address = usable.find((i) => i.type === 'EMAIL_ADDRESS');
  if (address) return { from: address.name, why: 'the first verified address identity' };
  return {
    failure:
      'no verified identity to send from: verify a domain in SES (the stack creates outbox:sendingDomain; add its DKIM CNAME records from the stack outputs to your DNS), or pass --from with a verified address.',
  };
}

/** The address of `Name <address>`, or the text as it is. */
export function bareAddress(from: string): string {
  return (/<([^<>]+)>\s*$/.exec(from)?.[1] ?? from).trim();
}

/** Whether an identity lets SES send from an address: the address itself, its domain, or a parent domain. */
export function covers(identity: string, address: string): boolean {
  const name = identity.toLowerCase();
  const lower = address.toLowerCase();
  if (name === lower) return true;
  const domain = lower.slice(lower.lastIndexOf('@') + 1);
  return domain === name || domain.endsWith(`.${name}`);
}

/** Where one email stands against its case. */
export type Judgement = { readonly state: 'waiting'; readonly got: string } | { readonly state: 'pass' | 'fail'; readonly got: string; readonly reason?: string };

/**
 * Final once the recipient reaches the expected rank: the expected status is a pass (and, for
 * ooto, `last_event` must still be delivered); a status that outranks it is a wrong final state.
 * A `failure` (SES refused the queued email for good) is final at once.
 */
export function judge(smokeCase: SmokeCase, email: EmailView): Judgement {
  const recipient = email.recipients.find((r) => r.email.toLowerCase() === smokeCase.address) ?? email.recipients[0];
  const status = recipient?.status ?? 'queued';
  if (email.failure) return { state: 'fail', got: 'failed', reason: `SES refused the email for good: ${email.failure.name}: ${email.failure.message}` };
  if (RECIPIENT_RANK[status] < RECIPIENT_RANK[smokeCase.expected]) return { state: 'waiting', got: status };
  if (status !== smokeCase.expected) return { state: 'fail', got: status, reason: `expected ${smokeCase.expected} (${smokeCase.events}), got ${status}` };
  if (email.last_event !== smokeCase.lastEvent) {
    return { state: 'fail', got: status, reason: `the recipient is ${status} but last_event is ${email.last_event}, expected ${smokeCase.lastEvent}` };
  }
  return { state: 'pass', got: status };
}

/** Why an email did not reach its final state in time, and what to check. */
export function timeoutReason(smokeCase: SmokeCase, email: EmailView | undefined, timeoutSeconds: number, lastError?: string): string {
  const after = `within ${timeoutSeconds} s`;
  if (!email) return `could not read the email ${after}${lastError ? ` (${lastError})` : ''}: is the API reachable, and does the key have full access?`;
  const status = email.recipients[0]?.status ?? email.last_event;
  switch (status) {
    case 'queued':
      return `still queued ${after}: SES has not accepted it. Check the sender Lambda's logs, the outbound queue's dead-letter queue, and whether SES throttles (GET /account's send quota).`;
    case 'sent':
      return `events did not arrive ${after}: SES accepted it (ses_message_id ${email.ses_message_id ?? 'unknown'}) but no ${smokeCase.events} came back. Is the configuration set's event destination enabled and publishing to the SES events SNS topic, and is the events queue subscribed to it? Check the events queue's dead-letter queue and the events Lambda's logs.`;
    case 'delivered':
      return `the Delivery arrived but not the rest (${smokeCase.events}) ${after}: the simulator sends it after the Delivery, sometimes minutes later; run again with a longer --timeout, and check the events queue's dead-letter queue.`;
    default:
      return `reached ${status}, not ${smokeCase.expected}, ${after}.`;
  }
}
