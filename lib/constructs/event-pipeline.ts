import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** A message that fails this many receives moves to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

export interface EventPipelineProps {
  /** The SES events topic to subscribe to. */
  readonly topic: sns.ITopic;
  /**
   * Timeout of the Lambda that will consume the queue. The visibility timeout is six times this,
   * as AWS recommends for Lambda event source mappings, so retries never overlap a running batch.
   * @default 30 seconds
   */
  readonly consumerTimeout?: Duration;
}

/**
 * The buffer between SES and the events Lambda: an SQS queue subscribed to the SES events topic,
 * its dead-letter queue, and an alarm as soon as anything lands there.
 *
 * Raw message delivery is off, so each SQS message body is the whole SNS envelope (Type, MessageId,
 * TopicArn, Message, ...): the events Lambda dedupes on the SNS MessageId. Messages SNS cannot
 * deliver to the queue go to the same dead-letter queue, in the same envelope, so one redrive
 * replays both kinds. Both queues require TLS and use SQS-managed encryption.
 */
export class EventPipeline extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: EventPipelineProps) {
    super(scope, id);
    const consumerTimeout = props.consumerTimeout ?? Duration.seconds(30);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(consumerTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    props.topic.addSubscription(
      new subscriptions.SqsSubscription(this.queue, {
        rawMessageDelivery: false,
        deadLetterQueue: this.deadLetterQueue,
      }),
    );

    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmDescription:
        'SES events are waiting in the dead-letter queue: the events Lambda failed them 5 times or SNS could not deliver them. Inspect, fix, then redrive.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
