import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ENV, SCHEDULING_HORIZON_DAYS } from '../../lambda/shared/env';
import type { NodeFunction } from './node-function';

export interface ContentBucketProps {
  /**
   * How long emails are kept, in days, counted from their scheduled time; objects expire
   * SCHEDULING_HORIZON_DAYS and a day after that (see contentExpirationDays).
   */
  readonly retentionDays: number;
}

/**
 * Days after which a content object expires. It is written when its email is accepted, while the
 * email's record expires `retentionDays` after the email's scheduled time, which can be up to
 * SCHEDULING_HORIZON_DAYS after acceptance; plus a day of margin.
 */
export function contentExpirationDays(retentionDays: number): number {
  return retentionDays + SCHEDULING_HORIZON_DAYS + 1;
}

/**
 * The S3 bucket for email content too large for a DynamoDB item (400 KB): big bodies and
 * attachments, stored by the api Lambda when it accepts an email and read by the sender.
 *
 * Private and TLS-only: every public access blocked, ACLs disabled, a policy denying any request not
 * made over TLS, S3-managed encryption (a customer-managed key would add a KMS grant to every reader
 * and buys nothing here, since only this stack's roles are let in). Unversioned: content is written
 * once per email and never updated. Objects expire after contentExpirationDays, so an email's
 * content lasts as long as its record (and a day more); incomplete multipart uploads are aborted
 * after a day. The bucket is retained when the stack is deleted, with its objects, because it
 * holds users' mail.
 *
 * Granting access also sets ENV.contentBucket on the function. Grants name objects only
 * (`<bucket>/*`), never the bucket itself: no listing, no bucket configuration.
 */
export class ContentBucket extends Construct {
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ContentBucketProps) {
    super(scope, id);

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      lifecycleRules: [
        {
          id: 'ExpireWithRetention',
          expiration: Duration.days(contentExpirationDays(props.retentionDays)),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
    });

    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket is private and only Outbox Lambdas are granted access, so server access logs would mostly record our own reads and writes, in a second bucket that would itself need this exemption; object-level audit, when required, is better served by CloudTrail data events.',
    });
  }

  /** Lets the function read content objects (GetObject) and sets ENV.contentBucket. */
  public grantRead(fn: NodeFunction): this {
    return this.grant(fn, ['s3:GetObject']);
  }

  /**
   * Lets the function read, write and delete content objects (GetObject, PutObject, DeleteObject:
   * an email refused after its content was stored is discarded with it) and sets ENV.contentBucket.
   */
  public grantReadWriteDelete(fn: NodeFunction): this {
    return this.grant(fn, ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']);
  }

  private grant(fn: NodeFunction, actions: string[]): this {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [this.bucket.arnForObjects('*')] }));
    fn.addEnvironment(ENV.contentBucket, this.bucket.bucketName);
    Validations.of(fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
      reason: 'Content objects are keyed per email at run time, so the grant covers every object of this one bucket and no bucket-level action.',
    });
    return this;
  }
}
