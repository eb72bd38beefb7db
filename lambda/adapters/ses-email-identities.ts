import { IdentityAlreadyExists, SesRefusal, type DkimState, type EmailIdentities, type EmailIdentityState, type MailFromState, type SesOperation } from '../core/sending-identity';
import { AwsServiceError, isAwsError } from './aws/aws-http-client';
import type { PutEmailIdentityMailFromAttributesInput, SesDkimAttributes, SesMailFromAttributes, SesV2Client } from './aws/sesv2';

/**
 * SES v2 email identities for the sending-identity custom resource. NotFoundException on a read is
 * "no such identity", AlreadyExistsException on a create is IdentityAlreadyExists, and any other
 * answer from SES is a SesRefusal carrying SES's exception name and message. Errors that never
 * reached SES (network, credentials) are thrown as they are.
 */
export class SesEmailIdentities implements EmailIdentities {
  constructor(private readonly ses: SesV2Client) {}

  async get(identity: string): Promise<EmailIdentityState | undefined> {
    try {
      const answer = await this.ses.getEmailIdentity({ EmailIdentity: identity });
      return {
        ...dkimOf(answer.DkimAttributes),
        tags: Object.fromEntries((answer.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
        ...(answer.MailFromAttributes ? { mailFrom: mailFromOf(answer.MailFromAttributes) } : {}),
        ...(answer.ConfigurationSetName ? { configurationSetName: answer.ConfigurationSetName } : {}),
        ...(answer.VerificationStatus ? { verificationStatus: answer.VerificationStatus } : {}),
      };
    } catch (error) {
      if (isAwsError(error, 'NotFoundException')) return undefined;
      throw refusal('GetEmailIdentity', error);
    }
  }

  async create(identity: string, settings: { configurationSetName: string; tags: Readonly<Record<string, string>> }): Promise<EmailIdentityState> {
    try {
      const answer = await this.ses.createEmailIdentity({
        EmailIdentity: identity,
        // Easy DKIM (no selector or private key given) with 2048-bit keys.
        DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
        ConfigurationSetName: settings.configurationSetName,
        Tags: Object.entries(settings.tags).map(([Key, Value]) => ({ Key, Value })),
      });
      return { ...dkimOf(answer.DkimAttributes), tags: { ...settings.tags } };
    } catch (error) {
      if (isAwsError(error, 'AlreadyExistsException')) throw new IdentityAlreadyExists(messageOf(error), { cause: error });
      throw refusal('CreateEmailIdentity', error);
    }
  }

  async delete(identity: string): Promise<void> {
    try {
      await this.ses.deleteEmailIdentity({ EmailIdentity: identity });
    } catch (error) {
      if (isAwsError(error, 'NotFoundException')) return;
      throw refusal('DeleteEmailIdentity', error);
    }
  }

  async putMailFrom(identity: string, settings: { domain?: string; behaviorOnMxFailure?: string }): Promise<void> {
    try {
      await this.ses.putEmailIdentityMailFromAttributes({
        EmailIdentity: identity,
        // Without a MailFromDomain SES goes back to its own MAIL FROM domain.
        ...(settings.domain ? { MailFromDomain: settings.domain } : {}),
        ...(settings.behaviorOnMxFailure ? { BehaviorOnMxFailure: settings.behaviorOnMxFailure as PutEmailIdentityMailFromAttributesInput['BehaviorOnMxFailure'] } : {}),
      });
    } catch (error) {
      throw refusal('PutEmailIdentityMailFromAttributes', error);
    }
  }

  async putConfigurationSet(identity: string, configurationSetName: string | undefined): Promise<void> {
    try {
      await this.ses.putEmailIdentityConfigurationSetAttributes({
        EmailIdentity: identity,
        // Without a ConfigurationSetName the identity has no default set.
        ...(configurationSetName ? { ConfigurationSetName: configurationSetName } : {}),
      });
    } catch (error) {
      throw refusal('PutEmailIdentityConfigurationSetAttributes', error);
    }
  }
}

function mailFromOf(attributes: SesMailFromAttributes): MailFromState {
  return {
    ...(attributes.MailFromDomain ? { domain: attributes.MailFromDomain } : {}),
    ...(attributes.BehaviorOnMxFailure ? { behaviorOnMxFailure: attributes.BehaviorOnMxFailure } : {}),
    ...(attributes.MailFromDomainStatus ? { status: attributes.MailFromDomainStatus } : {}),
  };
}

function dkimOf(attributes: SesDkimAttributes | undefined): { dkim?: DkimState } {
  if (!attributes) return {};
  return {
    dkim: {
      tokens: attributes.Tokens ?? [],
      ...(attributes.SigningEnabled !== undefined ? { signingEnabled: attributes.SigningEnabled } : {}),
      ...(attributes.Status ? { status: attributes.Status } : {}),
      ...(attributes.SigningAttributesOrigin ? { signingAttributesOrigin: attributes.SigningAttributesOrigin } : {}),
      ...(attributes.SigningHostedZone ? { signingHostedZone: attributes.SigningHostedZone } : {}),
    },
  };
}

/**
 * An answer from SES (an AwsServiceError, its HTTP status in $metadata) becomes a SesRefusal;
 * anything else (network, credentials) stays as it is.
 */
function refusal(operation: SesOperation, error: unknown): unknown {
  return error instanceof AwsServiceError ? new SesRefusal(operation, error.name, error.message, { cause: error }) : error;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
