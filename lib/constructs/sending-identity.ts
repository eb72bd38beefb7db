import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { SENDING_IDENTITY_RESOURCE } from '../../lambda/shared/custom-resources';
import { NodeFunction } from './node-function';

/** The custom MAIL FROM domain is `<this>.<sending domain>` unless told otherwise. */
export const DEFAULT_MAIL_FROM_SUBDOMAIN = 'bounce';

export interface SendingIdentityProps {
  /** Absolute path of the handler (HANDLER_ENTRIES.sendingIdentity). */
  readonly entry: string;
  /** The domain, lower-case. */
  readonly domain: string;
  /** Made the identity's default configuration set (an adopted identity keeps another application's). */
  readonly configurationSetName: string;
  /** The custom MAIL FROM domain is `<this>.<domain>`; false keeps SES's own. */
  readonly mailFromSubdomain: string | false;
  /** Where DMARC aggregate reports go (rua). @default no rua */
  readonly dmarcReportTo?: string;
  /**
   * The Route 53 zone the records go into (SendingDomainRecords): the resource then refuses an
   * identity without Easy DKIM's three CNAMEs. @default the records are only outputs
   */
  readonly hostedZoneName?: string;
}

/** A record the domain needs beside DKIM's, as stack tokens. */
export interface SendingIdentityRecord {
  /** `<name> <type> <value>`, or a sentence saying why there is no such record. */
  readonly line: string;
  readonly name: string;
  /** The record data, as a zone file and Route 53 write it (a TXT value quoted). */
  readonly value: string;
}

/** One of the domain's Easy DKIM CNAME records, as stack tokens. */
export interface SendingIdentityDkimRecord {
  /** `<name> CNAME <value>`, or a sentence saying why there is no such record. */
  readonly line: string;
  /** Empty when there is no CNAME record (Bring Your Own DKIM, or no DKIM). */
  readonly name: string;
  readonly value: string;
}

/**
 * The sending domain as an SES identity, through a custom resource instead of
 * AWS::SES::EmailIdentity: a domain that already is an identity in the account and Region is
 * adopted as it is (its configuration set and DKIM settings untouched, since other applications
 * may rely on them), where AWS::SES::EmailIdentity would fail with AlreadyExists and roll the
 * stack back. A missing domain is created with Easy DKIM (RSA 2048) and the configuration set as
 * its default, tagged with the stack's ARN, and deleted with the stack; an adopted one stays, left
 * as found. Either way the resource sets the custom MAIL FROM domain and makes the configuration
 * set the identity's default (so mail sent through SES SMTP or the console is tracked and paused
 * too); an adopted identity keeps another application's default set. The resource refers to the
 * set, so on deletion it goes first and clears the default before the set is deleted. It answers
 * every DNS record the domain needs (DKIM, MAIL FROM MX and SPF, DMARC) and one zone-file snippet.
 *
 * The function is the resource's ServiceToken itself (no provider framework): it may get, create
 * and delete this one identity, tag it at creation, set its MAIL FROM domain, and name the
 * configuration set as its default, on those ARNs only. CloudFormation gives up on an answer after five minutes instead of an hour.
 */
export class SendingIdentity extends Construct {
  public readonly function: NodeFunction;
  public readonly resource: CustomResource;
  public readonly domain: string;
  /** The identity's ARN, known at synth time (the identity's name is the domain). */
  public readonly emailIdentityArn: string;
  /** `created` or `adopted`, as a stack token. */
  public readonly origin: string;
  /** The three Easy DKIM CNAME records. */
  public readonly dkimRecords: readonly SendingIdentityDkimRecord[];
  /** `<subdomain>.<domain>`, or undefined with custom MAIL FROM off. */
  public readonly mailFromDomain?: string;
  /** The MAIL FROM domain's MX and SPF TXT records; undefined with custom MAIL FROM off. */
  public readonly mailFromRecords?: { readonly mx: SendingIdentityRecord; readonly spf: SendingIdentityRecord };
  /** The DMARC TXT record at `_dmarc.<domain>`. */
  public readonly dmarcRecord: SendingIdentityRecord;
  /** Every record as a BIND zone-file snippet, with a comment for each that cannot be given. */
  public readonly zoneFile: string;
  /** The identity's default configuration set after the resource acted, empty for none. */
  public readonly defaultConfigurationSet: string;

  constructor(scope: Construct, id: string, props: SendingIdentityProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.domain = props.domain;
    this.emailIdentityArn = stack.formatArn({ service: 'ses', resource: 'identity', resourceName: props.domain });
    const configurationSetArn = stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: props.configurationSetName });

    this.function = new NodeFunction(this, 'Function', {
      entry: props.entry,
      description: 'Outbox sending identity: creates the sending domain in SES, or adopts it when it exists',
      timeout: Duration.seconds(60),
      memorySize: 256,
    });
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'ses:GetEmailIdentity',
          'ses:CreateEmailIdentity',
          'ses:DeleteEmailIdentity',
          'ses:TagResource',
          'ses:PutEmailIdentityMailFromAttributes',
          'ses:PutEmailIdentityConfigurationSetAttributes',
        ],
        resources: [this.emailIdentityArn],
      }),
    );
    // Naming a default configuration set (CreateEmailIdentity, PutEmailIdentityConfigurationSetAttributes)
    // is authorized on that set as well.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ses:CreateEmailIdentity', 'ses:PutEmailIdentityConfigurationSetAttributes'], resources: [configurationSetArn] }),
    );
    this.mailFromDomain = props.mailFromSubdomain === false ? undefined : `${props.mailFromSubdomain}.${props.domain}`;
    const names = SENDING_IDENTITY_RESOURCE.properties;

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.function.function.functionArn,
      resourceType: SENDING_IDENTITY_RESOURCE.type,
      serviceTimeout: Duration.minutes(5),
      properties: {
        [names.emailIdentity]: props.domain,
        [names.configurationSetName]: props.configurationSetName,
        ...(this.mailFromDomain !== undefined ? { [names.mailFromDomain]: this.mailFromDomain, [names.region]: stack.region } : {}),
        ...(props.dmarcReportTo !== undefined ? { [names.dmarcReportTo]: props.dmarcReportTo } : {}),
        ...(props.hostedZoneName !== undefined ? { [names.hostedZoneName]: props.hostedZoneName } : {}),
      },
    });
    // The function must be able to act (its policies exist) before CloudFormation asks it to.
    this.resource.node.addDependency(this.function);

    const attributes = SENDING_IDENTITY_RESOURCE.attributes;
    this.origin = this.resource.getAttString(attributes.origin);
    this.dkimRecords = ([1, 2, 3] as const).map((n) => ({
      line: this.resource.getAttString(attributes.dkimRecord(n)),
      name: this.resource.getAttString(attributes.dkimRecordName(n)),
      value: this.resource.getAttString(attributes.dkimRecordValue(n)),
    }));
    if (this.mailFromDomain !== undefined) {
      this.mailFromRecords = {
        mx: { line: this.resource.getAttString(attributes.mailFromMxRecord), name: this.mailFromDomain, value: this.resource.getAttString(attributes.mailFromMxValue) },
        spf: { line: this.resource.getAttString(attributes.mailFromSpfRecord), name: this.mailFromDomain, value: this.resource.getAttString(attributes.mailFromSpfValue) },
      };
    }
    this.dmarcRecord = {
      line: this.resource.getAttString(attributes.dmarcRecord),
      name: `_dmarc.${props.domain}`,
      value: this.resource.getAttString(attributes.dmarcRecordValue),
    };
    this.zoneFile = this.resource.getAttString(attributes.zoneFile);
    this.defaultConfigurationSet = this.resource.getAttString(attributes.defaultConfigurationSet);
  }
}
