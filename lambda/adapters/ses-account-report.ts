import type { SesV2Client } from './aws/sesv2';
import type { SesAccountDetails, SesAccountReport, SesIdentityDetails, SesIdentityListing } from '../core/account-report';
import { OutboxError } from '../core/errors';

/**
 * The SES v2 reads behind `GET /account`: GetAccount, ListEmailIdentities (one page) and
 * GetEmailIdentity. The client's own retries handle throttling (SES allows these actions about one
 * request per second); what still fails is mapped to OutboxError: AccessDeniedException to
 * `ses_access_denied` (403, SES's words), an unknown identity to `not_found`, anything else to
 * `unavailable` (503). (SesAccountClient, the sender's cached GetAccount, is a separate adapter.)
 */
export class SesAccountReportClient implements SesAccountReport {
  constructor(private readonly ses: SesV2Client) {}

  async region(): Promise<string | undefined> {
    try {
      const region = await this.ses.region();
      return region || undefined;
    } catch {
      return undefined;
    }
  }

  async getAccount(): Promise<SesAccountDetails> {
    const account = await this.call('GetAccount', () => this.ses.getAccount());
    return {
      ...(account.ProductionAccessEnabled !== undefined ? { productionAccessEnabled: account.ProductionAccessEnabled } : {}),
      ...(account.SendingEnabled !== undefined ? { sendingEnabled: account.SendingEnabled } : {}),
      ...(account.EnforcementStatus !== undefined ? { enforcementStatus: account.EnforcementStatus } : {}),
      ...(account.SendQuota
        ? {
            sendQuota: {
              ...(account.SendQuota.MaxSendRate !== undefined ? { maxSendRate: account.SendQuota.MaxSendRate } : {}),
              ...(account.SendQuota.Max24HourSend !== undefined ? { max24HourSend: account.SendQuota.Max24HourSend } : {}),
              ...(account.SendQuota.SentLast24Hours !== undefined ? { sentLast24Hours: account.SendQuota.SentLast24Hours } : {}),
            },
          }
        : {}),
      ...(account.SuppressionAttributes?.SuppressedReasons ? { suppressedReasons: account.SuppressionAttributes.SuppressedReasons } : {}),
    };
  }

  async listIdentities(pageSize: number): Promise<{ identities: SesIdentityListing[]; more: boolean }> {
    const page = await this.call('ListEmailIdentities', () => this.ses.listEmailIdentities({ PageSize: pageSize }));
    const identities = (page.EmailIdentities ?? []).flatMap((i): SesIdentityListing[] =>
      i.IdentityName
        ? [
            {
              name: i.IdentityName,
              ...(i.IdentityType !== undefined ? { type: i.IdentityType } : {}),
              ...(i.SendingEnabled !== undefined ? { sendingEnabled: i.SendingEnabled } : {}),
              ...(i.VerificationStatus !== undefined ? { verificationStatus: i.VerificationStatus } : {}),
            },
          ]
        : [],
    );
    return { identities, more: Boolean(page.NextToken) };
  }

  async getIdentity(name: string): Promise<SesIdentityDetails> {
    const identity = await this.call('GetEmailIdentity', () => this.ses.getEmailIdentity({ EmailIdentity: name }), name);
    const dkim = identity.DkimAttributes;
    return {
      ...(identity.IdentityType !== undefined ? { type: identity.IdentityType } : {}),
      ...(identity.VerifiedForSendingStatus !== undefined ? { verifiedForSending: identity.VerifiedForSendingStatus } : {}),
      ...(identity.VerificationStatus !== undefined ? { verificationStatus: identity.VerificationStatus } : {}),
      ...(dkim
        ? {
            dkim: {
              ...(dkim.Status !== undefined ? { status: dkim.Status } : {}),
              ...(dkim.SigningEnabled !== undefined ? { signingEnabled: dkim.SigningEnabled } : {}),
            },
          }
        : {}),
    };
  }

  private async call<T>(action: string, send: () => Promise<T>, identity?: string): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw toOutboxError(action, error, identity);
    }
  }
}

/** SES's exceptions for these reads, in Outbox's error kinds. */
function toOutboxError(action: string, error: unknown, identity: string | undefined): OutboxError {
  const name = error instanceof Error ? error.name : '';
  const sesMessage = error instanceof Error ? error.message : String(error);
  switch (name) {
    // IAM said no: the role lacks ses:GetAccount, ses:ListEmailIdentities or ses:GetEmailIdentity.
    case 'AccessDeniedException':
    case 'AccessDenied':
      return new OutboxError(
        'ses_access_denied',
        `SES refused ${action}: ${sesMessage.replace(/\.?\s*$/, '.')} Outbox's api role needs ses:GetAccount, ses:ListEmailIdentities and ses:GetEmailIdentity: deploy the current stack, which grants them.`,
        { cause: error },
      );
    case 'NotFoundException':
      if (identity !== undefined) {
        return new OutboxError('not_found', `SES has no identity ${identity} in this region: create it in SES and verify it (${sesMessage.replace(/\.?\s*$/, '')}).`, { cause: error });
      }
      break;
    case 'TooManyRequestsException':
    case 'ThrottlingException':
    case 'Throttling':
    case 'LimitExceededException':
      return new OutboxError('unavailable', `SES throttled ${action} (it allows about one such request per second) even after retries; ask again in a few seconds.`, { cause: error });
  }
  return new OutboxError('unavailable', `SES did not answer ${action}${name && name !== 'Error' ? ` (${name})` : ''}; it may be unreachable from here. Please try again.`, { cause: error });
}
