import { CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SMTP_CREDENTIALS_RESOURCE } from '../../lambda/shared/custom-resources';
import { NodeFunction } from './node-function';
import type { SesSending } from './ses';

/** The Rotation label when none is given: a new label makes a new access key. */
export const DEFAULT_SMTP_ROTATION = '1';

export interface SmtpUserProps {
  /** Absolute path of the handler (HANDLER_ENTRIES.smtpCredentials). */
  readonly entry: string;
  /** The identities the user may send from and the configuration set it sends through. */
  readonly ses: SesSending;
  /** Any label: changing it makes a new access key and SMTP password, and deletes the old key. @default DEFAULT_SMTP_ROTATION */
  readonly rotation?: string;
}

/**
 * An IAM user for SES's own SMTP endpoint (email-smtp.<region>.amazonaws.com), for applications
 * that speak only SMTP: a Lambda cannot hold an SMTP session, so deployed SMTP mail goes to SES
 * directly, not through Outbox's API.
 *
 * The user may do one thing: `ses:SendRawEmail` (what SES's SMTP interface authorizes) on the
 * configured identities and the configuration set, with a From address of those identities
 * (`ses:FromAddress`: any address of a domain identity, exactly the address of an address
 * identity). SES has no condition key naming the configuration set; it authorizes a send that
 * uses one against the configuration set's ARN too, so granting only this stack's set keeps the
 * user to it, and mail that names none goes through the sending domain's default configuration
 * set, which is this one. Either way its events reach Outbox's event pipeline.
 *
 * A custom resource (SmtpCredentials) makes the user's access key and keeps the SES SMTP password
 * derived from it in a Secrets Manager secret, as JSON `{ username, password, host, ports, region }`;
 * the access key's secret is stored nowhere. Its function may only list, create and delete access
 * keys of this user and read and write this secret. Rotation is a new `rotation` label: the next
 * deploy makes a new key and password and deletes the old key once the update succeeded.
 */
export class SmtpUser extends Construct {
  public readonly user: iam.User;
  public readonly policy: iam.Policy;
  public readonly secret: secretsmanager.Secret;
  public readonly function: NodeFunction;
  public readonly resource: CustomResource;
  /** The SMTP user name (the access key's id), as a stack token. */
  public readonly username: string;
  /** SES's SMTP endpoint in the stack's Region (the same host smtpHostFor gives the secret). */
  public readonly host: string;

  constructor(scope: Construct, id: string, props: SmtpUserProps) {
    super(scope, id);
    const { ses } = props;
    if (ses.allowsAnyIdentity) {
      throw new Error('The SMTP user may send only from named identities: configure outbox:sendingDomain or outbox:identities.');
    }
    const stack = Stack.of(this);

    // A user, not a role: an SMTP client authenticates with a long-lived access key's derived password.
    this.user = new iam.User(this, 'User');
    this.policy = new iam.Policy(this, 'SesSmtpSendPolicy', {
      users: [this.user],
      statements: [
        new iam.PolicyStatement({
          actions: ['ses:SendRawEmail'],
          resources: [...ses.identityArns, ses.configurationSetArn],
          conditions: { StringLike: { 'ses:FromAddress': ses.identityNames.map(fromAddressPattern) } },
        }),
      ],
    });

    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'Outbox: the SES SMTP credentials of the SMTP user, written at deploy time (JSON: username, password, host, ports, region)',
      // Made with a random placeholder value, which the function replaces with the credentials.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret holds an SES SMTP password derived from an IAM access key, which Secrets Manager rotation cannot re-derive; it is rotated by deploying with a new outbox:smtpRotation label, which makes a new key and password and deletes the old key.',
    });

    this.function = new NodeFunction(this, 'Function', {
      entry: props.entry,
      description: 'Outbox SMTP credentials: an access key of the SMTP user, its SES SMTP password kept in its secret',
      timeout: Duration.seconds(60),
      memorySize: 256,
    });
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['iam:ListAccessKeys', 'iam:CreateAccessKey', 'iam:DeleteAccessKey'], resources: [this.user.userArn] }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], resources: [this.secret.secretArn] }),
    );

    const names = SMTP_CREDENTIALS_RESOURCE.properties;
    this.resource = new CustomResource(this, 'Credentials', {
      serviceToken: this.function.function.functionArn,
      resourceType: SMTP_CREDENTIALS_RESOURCE.type,
      serviceTimeout: Duration.minutes(5),
      properties: {
        [names.userName]: this.user.userName,
        [names.secretArn]: this.secret.secretArn,
        [names.region]: stack.region,
        [names.rotation]: props.rotation ?? DEFAULT_SMTP_ROTATION,
      },
    });
    // The function must be able to act (its policies exist) before CloudFormation asks it to.
    this.resource.node.addDependency(this.function);
    this.username = this.resource.getAttString(SMTP_CREDENTIALS_RESOURCE.attributes.username);
    this.host = `email-smtp.${stack.region}.amazonaws.com`;
  }
}

/**
 * The From addresses an identity covers, as an IAM StringLike pattern: every address of a domain
 * (not of its subdomains, which need their own identity here), or the address itself.
 */
function fromAddressPattern(identity: string): string {
  return identity.includes('@') ? identity : `*@${identity}`;
}
