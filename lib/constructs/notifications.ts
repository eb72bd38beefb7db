import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ENV } from '../../lambda/shared/env';
import type { NodeFunction } from './node-function';

/**
 * The notifications topic: every normalized notification (`email.sent`, `email.bounced`, ...) is
 * published here, the same payloads webhooks receive, so AWS-native consumers can subscribe with
 * SQS, Lambda, email or HTTPS. `allowPublishing(fn)` lets a function publish and tells it the ARN.
 *
 * The topic is Standard (subscribers must tolerate duplicates and any order, as webhook receivers
 * do), requires TLS, and is encrypted with its own rotated customer-managed key rather than the AWS
 * managed SNS key, like the SES events topic: the key policy stays under the stack's control and
 * the publisher's KMS permission names this one key. SNS decrypts before delivering, so subscribers
 * need no key access (an encrypted SQS subscriber needs SNS to use *its* queue's key, as always).
 */
export class NotificationsTopic extends Construct {
  public readonly topic: sns.Topic;
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the Outbox notifications topic',
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
    });

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Outbox notifications',
      masterKey: this.key,
      enforceSSL: true,
      signatureVersion: '2',
    });
  }

  /**
   * Lets the function publish to the topic and sets its ARN as the function's environment variable.
   * Publishing to an encrypted topic also needs kms:GenerateDataKey and kms:Decrypt on its key.
   * Written out rather than through `grantPublish`, whose `kms:GenerateDataKey*` wildcard would
   * add GenerateDataKeyWithoutPlaintext and GenerateDataKeyPair*, which SNS never uses.
   */
  public allowPublishing(fn: NodeFunction): this {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.key.keyArn] }));
    fn.addEnvironment(ENV.notificationsTopicArn, this.topic.topicArn);
    return this;
  }
}
