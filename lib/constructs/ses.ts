import * as path from 'node:path';
import { Annotations, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { API_DOMAIN_TAG, ENV, HANDLER_ENTRIES } from '../../lambda/shared/env';
import type { NodeFunction } from './node-function';
import { SendingDomainRecords } from './sending-domain-records';
import { DEFAULT_MAIL_FROM_SUBDOMAIN, SendingIdentity } from './sending-identity';

/** Every event type SES can publish; Outbox records all of them. */
export const ALL_SES_EVENTS: readonly ses.EmailSendingEvent[] = [
  ses.EmailSendingEvent.SEND,
  ses.EmailSendingEvent.REJECT,
  ses.EmailSendingEvent.BOUNCE,
  ses.EmailSendingEvent.COMPLAINT,
  ses.EmailSendingEvent.DELIVERY,
  ses.EmailSendingEvent.DELIVERY_DELAY,
  ses.EmailSendingEvent.RENDERING_FAILURE,
  ses.EmailSendingEvent.OPEN,
  ses.EmailSendingEvent.CLICK,
  ses.EmailSendingEvent.SUBSCRIPTION,
];

export interface SesSendingProps {
  /**
   * A domain to send from: created as an SES identity with Easy DKIM (its DKIM records must go into
   * DNS), or adopted as it is when it already is an identity (SendingIdentity).
   */
  readonly sendingDomain?: string;
  /** The sending domain's custom MAIL FROM domain is `<this>.<domain>`; false keeps SES's own. @default DEFAULT_MAIL_FROM_SUBDOMAIN (bounce) */
  readonly mailFromSubdomain?: string | false;
  /** Where the sending domain's DMARC aggregate reports go (rua). @default no rua */
  readonly dmarcReportTo?: string;
  /** A Route 53 zone to write the sending domain's DNS records into. @default the records are only outputs */
  readonly hostedZone?: { readonly zoneId: string; readonly zoneName: string };
  /** Names of identities (domains or addresses) that already exist in SES in this account and Region. */
  readonly identities?: readonly string[];
}

/**
 * Everything SES needs to send for Outbox and to report back: the configuration set every message
 * goes through, its event destination publishing all ten event types to the "SES events" SNS topic,
 * and the identities Outbox may send from (an optional domain, created with Easy DKIM or adopted
 * when it exists, plus existing identities by name).
 *
 * With neither a domain nor identities, sending is allowed from any identity of the account in this
 * Region and a warning is annotated on the construct: synth keeps working (CI, first try-outs), and
 * SES itself still refuses unverified senders.
 *
 * The topic is Standard (SES cannot publish to FIFO), requires TLS, and is encrypted with a
 * customer-managed key whose policy lets ses.amazonaws.com generate and decrypt data keys: SES
 * cannot use the AWS managed SNS key. Who may publish is gated by the topic policy, which admits SES
 * only for this account's configuration set.
 */
export class SesSending extends Construct {
  public readonly configurationSet: ses.ConfigurationSet;
  public readonly configurationSetArn: string;
  public readonly eventsTopic: sns.Topic;
  public readonly eventsKey: kms.Key;
  public readonly domainIdentity?: SendingIdentity;
  /** The sending domain's records in Route 53, when a hosted zone is given. */
  public readonly domainRecords?: SendingDomainRecords;
  /** ARNs of the identities the send permission covers. */
  public readonly identityArns: readonly string[];
  /** Names of the configured identities (the sending domain first), empty when none is. */
  public readonly identityNames: readonly string[];
  /** True when no identity was named and sending is allowed from any identity of the account. */
  public readonly allowsAnyIdentity: boolean;
  /** The MAIL FROM subdomain of domains made through the domains API: the sending domain's, or `off`. */
  private readonly domainMailFromSubdomain: string;

  constructor(scope: Construct, id: string, props: SesSendingProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);

    this.eventsKey = new kms.Key(this, 'EventsKey', {
      description: 'Encrypts the Outbox SES events topic',
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
    });

    this.eventsTopic = new sns.Topic(this, 'EventsTopic', {
      displayName: 'Outbox SES events',
      masterKey: this.eventsKey,
      enforceSSL: true,
      signatureVersion: '2',
    });

    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      sendingEnabled: true,
      reputationMetrics: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.configurationSet.addEventDestination('ToEventsTopic', {
      destination: ses.EventDestination.snsTopic(this.eventsTopic),
      events: [...ALL_SES_EVENTS],
      enabled: true,
    });
    this.configurationSetArn = stack.formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSet.configurationSetName,
    });
    // SES publishes to the encrypted topic with this key, and only on behalf of this account's SES
    // resources (confused-deputy protection). SES documents aws:SourceAccount and aws:SourceArn
    // for the topic policy but not for the key, where SNS makes the KMS call for SES: the
    // IfExists forms hold SES to this account wherever the keys are present, and cannot silently
    // stop every SES event from arriving if they are not.
    this.eventsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSesToPublishToEncryptedTopic',
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEqualsIfExists: { 'aws:SourceAccount': stack.account },
          ArnLikeIfExists: { 'aws:SourceArn': stack.formatArn({ service: 'ses', resource: '*' }) },
        },
      }),
    );

    const arns: string[] = [];
    if (props.sendingDomain) {
      this.domainIdentity = new SendingIdentity(this, 'DomainIdentity', {
        entry: path.resolve(__dirname, '..', '..', HANDLER_ENTRIES.sendingIdentity),
        domain: props.sendingDomain,
        // Mail sent without naming a configuration set still publishes its events.
        configurationSetName: this.configurationSet.configurationSetName,
        mailFromSubdomain: props.mailFromSubdomain ?? DEFAULT_MAIL_FROM_SUBDOMAIN,
        ...(props.dmarcReportTo !== undefined ? { dmarcReportTo: props.dmarcReportTo } : {}),
        ...(props.hostedZone ? { hostedZoneName: props.hostedZone.zoneName } : {}),
      });
      arns.push(this.domainIdentity.emailIdentityArn);
      if (props.hostedZone) this.domainRecords = new SendingDomainRecords(this, 'DomainRecords', { identity: this.domainIdentity, zone: props.hostedZone });
    }
    for (const name of new Set(props.identities ?? [])) {
      if (name === props.sendingDomain) continue;
      arns.push(stack.formatArn({ service: 'ses', resource: 'identity', resourceName: name }));
    }
    this.allowsAnyIdentity = arns.length === 0;
    if (this.allowsAnyIdentity) {
      arns.push(stack.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' }));
      Annotations.of(this).addWarningV2(
        'outbox:no-sending-identity',
        'No sending identity configured (context outbox:sendingDomain or outbox:identities): the API may send ' +
          'from any SES identity of the account in this Region.',
      );
    }
    this.identityArns = arns;
    this.domainMailFromSubdomain = props.mailFromSubdomain === false ? 'off' : (props.mailFromSubdomain ?? DEFAULT_MAIL_FROM_SUBDOMAIN);
    this.identityNames = [...new Set([...(props.sendingDomain ? [props.sendingDomain] : []), ...(props.identities ?? [])])];
  }

  /**
   * Lets the function send (SendEmail, SendRawEmail) from the configured identities through the
   * configuration set, and nothing else, and tells it the configuration set's name. A send with
   * `Content.Template` is also authorized against the template's ARN; templates are named by the
   * caller at send time, so every template of this account and Region is allowed. The statement
   * is a policy of its own (SesSendPolicy), where the wildcards are acknowledged.
   */
  public allowSending(fn: NodeFunction): this {
    const policy = fn.addPolicy('SesSendPolicy', [
      new iam.PolicyStatement({
        actions: ['ses:SendEmail', 'ses:SendRawEmail'],
        resources: [...this.identityArns, this.configurationSetArn, this.arnOf('template', '*')],
      }),
      // The domains the API made: identities tagged for this stack, and no other.
      ...(this.allowsAnyIdentity
        ? []
        : [new iam.PolicyStatement({ actions: ['ses:SendEmail', 'ses:SendRawEmail'], resources: [this.arnOf('identity', '*')], conditions: this.apiDomainTagged() })]),
    ]);
    fn.addEnvironment(ENV.configurationSet, this.configurationSet.configurationSetName);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${SES_NAG_ARN}:template/*]`,
      reason: 'A templated send names its SES template at send time, and SES authorizes it against that template, so every template of the account is allowed.',
    });
    if (this.allowsAnyIdentity) this.acknowledgeAnyIdentity(policy, 'sending is allowed from any identity SES has verified for the account');
    else this.acknowledgeApiDomains(policy, 'sending from the domains the API made is allowed on identities tagged for this stack only');
    return this;
  }

  /**
   * The domains API (`/domains`): creating an identity only with this stack's tag (its value the
   * configuration set's name) and no other tag, and reading, deleting and setting the MAIL FROM
   * domain only of identities that carry it, so the stack's own identities and the account's
   * others stay out of reach (ABAC: SES v2 authorizes identity actions on the identity's tags).
   * Tells the function the MAIL FROM subdomain new domains get.
   */
  public allowManagingDomains(fn: NodeFunction): this {
    const identities = this.arnOf('identity', '*');
    const policy = fn.addPolicy('SesDomainsPolicy', [
      new iam.PolicyStatement({
        actions: ['ses:CreateEmailIdentity', 'ses:TagResource'],
        resources: [identities],
        conditions: {
          StringEquals: { [`aws:RequestTag/${API_DOMAIN_TAG}`]: this.configurationSet.configurationSetName },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [API_DOMAIN_TAG] },
        },
      }),
      new iam.PolicyStatement({
        actions: ['ses:GetEmailIdentity', 'ses:DeleteEmailIdentity', 'ses:PutEmailIdentityMailFromAttributes'],
        resources: [identities],
        conditions: this.apiDomainTagged(),
      }),
    ]);
    this.acknowledgeApiDomains(policy, 'the API creates identities only with this stack\'s tag and changes only identities that carry it');
    fn.addEnvironment(ENV.domainMailFromSubdomain, this.domainMailFromSubdomain);
    return this;
  }

  /**
   * Lets the function switch sending for the configuration set off and on
   * (ses:PutConfigurationSetSendingOptions, on the configuration set's ARN only), and tells it the
   * configuration set's name: Outbox's pause stops mail sent through it by any path (SMTP, the
   * console, another app).
   */
  public allowPausingConfigurationSet(fn: NodeFunction): this {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ses:PutConfigurationSetSendingOptions'], resources: [this.configurationSetArn] }));
    fn.addEnvironment(ENV.configurationSet, this.configurationSet.configurationSetName);
    return this;
  }

  /** Lets the function read the account's sending status and quotas (ses:GetAccount). */
  public allowReadingAccount(fn: NodeFunction): this {
    const policy = fn.addPolicy('SesAccountPolicy', [new iam.PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] })]);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ses:GetAccount supports no resource-level permissions, so its statement must name every resource.',
    });
    return this;
  }

  /**
   * What `GET /account` reads: the account's sending status and quotas and its identities
   * (GetAccount and ListEmailIdentities, which take no resource), and each configured identity's
   * verification and DKIM status (GetEmailIdentity, on the same ARNs the send permission names).
   * Tells the function the configured identity names (unset when none is, and it reports the
   * account's identities as SES lists them).
   */
  public allowReportingAccount(fn: NodeFunction): this {
    const policy = fn.addPolicy('SesAccountPolicy', [
      new iam.PolicyStatement({ actions: ['ses:GetAccount', 'ses:ListEmailIdentities'], resources: ['*'] }),
      new iam.PolicyStatement({ actions: ['ses:GetEmailIdentity'], resources: [...this.identityArns] }),
    ]);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ses:GetAccount and ses:ListEmailIdentities support no resource-level permissions, so their statement must name every resource.',
    });
    if (this.allowsAnyIdentity) this.acknowledgeAnyIdentity(policy, 'any identity of the account may be reported on');
    if (this.identityNames.length > 0) fn.addEnvironment(ENV.sendingIdentities, this.identityNames.join(','));
    return this;
  }

  private apiDomainTagged(): Record<string, Record<string, string>> {
    return { StringEquals: { [`aws:ResourceTag/${API_DOMAIN_TAG}`]: this.configurationSet.configurationSetName } };
  }

  private acknowledgeApiDomains(policy: iam.Policy, consequence: string): void {
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${SES_NAG_ARN}:identity/*]`,
      reason: `Domains made through the API are named at run time, so ${consequence}.`,
    });
  }

  private arnOf(resource: string, resourceName: string): string {
    return Stack.of(this).formatArn({ service: 'ses', resource, resourceName });
  }

  private acknowledgeAnyIdentity(policy: iam.Policy, consequence: string): void {
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${SES_NAG_ARN}:identity/*]`,
      reason: `No sending identity was configured, so ${consequence}.`,
    });
  }
}

/** An SES ARN of this account and Region, as cdk-nag writes it in a finding's id. */
const SES_NAG_ARN = 'arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>';
