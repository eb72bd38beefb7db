import { CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { SENDING_IDENTITY_RESOURCE } from '../../lambda/shared/custom-resources';
import { NodeFunction } from './node-function';

export interface SendingIdentityProps {
  /** Absolute path of the handler (HANDLER_ENTRIES.sendingIdentity). */
  readonly entry: string;
  /** The domain, lower-case. */
  readonly domain: string;
  /** Made the identity's default configuration set when the identity is created here. */
  readonly configurationSetName: string;
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
 * its default, tagged with the stack's ARN, and deleted with the stack; an adopted one stays.
 *
 * The function is the resource's ServiceToken itself (no provider framework): it may get, create
 * and delete this one identity, tag it at creation, and name the configuration set as its default,
 * on those ARNs only. CloudFormation gives up on an answer after five minutes instead of an hour.
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
        actions: ['ses:GetEmailIdentity', 'ses:CreateEmailIdentity', 'ses:DeleteEmailIdentity', 'ses:TagResource'],
        resources: [this.emailIdentityArn],
      }),
    );
    // CreateEmailIdentity naming a default configuration set is authorized on that set as well.
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['ses:CreateEmailIdentity'], resources: [configurationSetArn] }));

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.function.function.functionArn,
      resourceType: SENDING_IDENTITY_RESOURCE.type,
      serviceTimeout: Duration.minutes(5),
      properties: {
        [SENDING_IDENTITY_RESOURCE.properties.emailIdentity]: props.domain,
        [SENDING_IDENTITY_RESOURCE.properties.configurationSetName]: props.configurationSetName,
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
  }
}
