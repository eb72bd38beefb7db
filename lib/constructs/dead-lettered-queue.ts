import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface DeadLetteredQueueProps {
  /**
   * Timeout of the Lambda that will consume the queue. The visibility timeout is six times this,
   * as AWS recommends for Lambda event source mappings, so retries never overlap a running batch.
   */
  readonly consumerTimeout: Duration;
  /** How long the queue keeps a message. */
  readonly retentionPeriod: Duration;
  /** A message received this many times without being deleted moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** What the dead-letter alarm tells whoever it notifies: what landed there and what to do. */
  readonly alarmDescription: string;
}

/** What `addDeadLetteredQueue` created. */
export interface DeadLetteredQueue {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /** In ALARM as soon as one message is visible in the dead-letter queue. */
  readonly deadLetterAlarm: cloudwatch.Alarm;
  /** The queue's visibility timeout: six times the consumer timeout. */
  readonly visibilityTimeout: Duration;
}

/**
 * Adds a Lambda-consumed SQS queue to `scope` with its dead-letter queue (kept 14 days) and an
 * alarm on the dead-letter queue's first visible message (1-minute maximum, one period, missing
 * data not breaching). Both queues use SQS-managed encryption and require TLS.
 *
 * A function, not a Construct, on purpose: the resources get the ids `Queue`, `DeadLetterQueue`
 * and `DeadLetterAlarm` directly under `scope`, where the stack first created them, so their
 * CloudFormation logical ids stay the same (nesting them one level deeper would replace the queues
 * of a deployed stack, and with them their messages). Hence also one such queue per scope.
 */
export function addDeadLetteredQueue(scope: Construct, props: DeadLetteredQueueProps): DeadLetteredQueue {
  const visibilityTimeout = Duration.seconds(props.consumerTimeout.toSeconds() * 6);

  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });

  const queue = new sqs.Queue(scope, 'Queue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout,
    retentionPeriod: props.retentionPeriod,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
  });

  const deadLetterAlarm = new cloudwatch.Alarm(scope, 'DeadLetterAlarm', {
    alarmDescription: props.alarmDescription,
    metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });

  return { queue, deadLetterQueue, deadLetterAlarm, visibilityTimeout };
}
