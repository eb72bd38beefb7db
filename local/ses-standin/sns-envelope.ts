import { createHash, randomBytes, randomUUID } from 'node:crypto';

/**
 * An SNS `Notification` as it lands in an SQS message body when the subscription does not use raw
 * message delivery (SES-FACTS §13; ses-payloads/sqs-body-sns-notification-raw-delivery-disabled.json).
 * Key order follows AWS's examples. `Signature` is a placeholder: it has the shape of a real
 * SignatureVersion 1 signature (256 bytes, base64) but nothing signed it, so it never verifies.
 */
export interface SnsEnvelope {
  readonly Type: 'Notification';
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Subject: string;
  /** The published message: for SES events, the record's JSON followed by "\n". */
  readonly Message: string;
  readonly Timestamp: string;
  readonly SignatureVersion: '1';
  readonly Signature: string;
  readonly SigningCertURL: string;
  readonly UnsubscribeURL: string;
}

/** The Subject SES gives the SNS messages of an event destination (observed, SES-FACTS §1). */
export const SES_EVENT_SUBJECT = 'Amazon SES Email Event Notification';

/**
 * Wraps a message in an SNS Notification envelope from `topicArn`, with a fresh `MessageId`.
 * `publishedAt` (milliseconds since the epoch) becomes `Timestamp`.
 */
export function snsNotification(topicArn: string, subject: string, message: string, publishedAt: number): SnsEnvelope {
  const region = regionOfArn(topicArn);
  return {
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: topicArn,
    Subject: subject,
    Message: message,
    Timestamp: new Date(publishedAt).toISOString(),
    SignatureVersion: '1',
    Signature: randomBytes(256).toString('base64'),
    // The certificate name AWS's own SNS examples use (us-west-2 and others); the host is the topic's region.
    SigningCertURL: `https://sns.${region}.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem`,
    // One subscription per topic, so the URL is the same for every message of that topic, as in AWS.
    UnsubscribeURL: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:${subscriptionIdOf(topicArn)}`,
  };
}

/** The Region field of an ARN (`arn:aws:sns:<region>:...`), or us-east-1 when it has none. */
export function regionOfArn(arn: string): string {
  return arn.split(':')[3] || 'us-east-1';
}

/** A stable UUID-shaped subscription ID derived from the topic ARN. */
function subscriptionIdOf(topicArn: string): string {
  const hex = createHash('sha256').update(`outbox-local-subscription:${topicArn}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
