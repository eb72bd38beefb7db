import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { addDeadLetteredQueue } from './dead-lettered-queue';
import type { NodeFunction } from './node-function';

/** A message that fails this many receives moves to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

/** Records per invocation of the consumer. */
export const CONSUMER_BATCH_SIZE = 10;

export interface ConsumeOptions {
  /**
   * The most consumer instances the queue may run at once (SQS allows 2 to 1000). SES events are
   * not urgent and the queue absorbs bursts, so the cap keeps a burst of events (a large batch
   * send produces several per recipient) from taking the account's Lambda concurrency from the
   * API (new accounts may have as little as 10) or throttling DynamoDB. At about 50 ms per record,
   * 2 instances handle about 40 events per second, 5 about 100; the backlog alarm says when to
   * raise it (`outbox:queueConcurrency`).
   * @default 2
   */
  readonly maxConcurrency?: number;
}

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
 * its dead-letter queue, an alarm as soon as anything lands there, and an alarm when the queue
 * falls behind. `consumeWith(fn)` attaches the events Lambda.
 *
 * Raw message delivery is off, so each SQS message body is the whole SNS envelope (Type, MessageId,
 * TopicArn, Message, ...): the events Lambda dedupes on the SNS MessageId. Messages SNS cannot
 * deliver to the queue go to the same dead-letter queue, in the same envelope, so one redrive
 * replays both kinds. Both queues require TLS and use SQS-managed encryption.
 */
/**
 * How long the events source gathers SES events into one batch. Under load a batch fills (10)
 * long before; at a trickle (1M emails a month is under one event a second) it makes a batch of
 * about four instead of one, a quarter of the invocations, receives, deletes, counter writes and
 * notification requests, for at most 5 s more before an event is recorded and notified.
 */
export const EVENTS_BATCHING_WINDOW = Duration.seconds(5);

export class EventPipeline extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  public readonly backlogAlarm: cloudwatch.Alarm;
  /** The consumer timeout the visibility timeout was sized for. */
  public readonly consumerTimeout: Duration;

  constructor(scope: Construct, id: string, props: EventPipelineProps) {
    super(scope, id);
    const consumerTimeout = props.consumerTimeout ?? Duration.seconds(30);
    this.consumerTimeout = consumerTimeout;
    const { queue, deadLetterQueue, deadLetterAlarm, visibilityTimeout } = addDeadLetteredQueue(this, {
      consumerTimeout,
      retentionPeriod: Duration.days(4),
      maxReceiveCount: MAX_RECEIVE_COUNT,
      alarmDescription:
        'SES events are waiting in the dead-letter queue: the events Lambda failed them 5 times or SNS could not deliver them. Inspect, fix, then redrive.',
    });
    this.queue = queue;
    this.deadLetterQueue = deadLetterQueue;
    this.deadLetterAlarm = deadLetterAlarm;

    props.topic.addSubscription(
      new subscriptions.SqsSubscription(this.queue, {
        rawMessageDelivery: false,
        deadLetterQueue: this.deadLetterQueue,
      }),
    );

    // A message that fails every receive stays up to MAX_RECEIVE_COUNT visibility timeouts (15
    // minutes with a 30 s consumer) before it moves to the dead-letter queue, which has its own alarm; twice that means
    // the queue itself is behind, not one bad message.
    const backlogAge = Duration.seconds(visibilityTimeout.toSeconds() * MAX_RECEIVE_COUNT * 2);
    this.backlogAlarm = new cloudwatch.Alarm(this, 'BacklogAlarm', {
      alarmDescription: `The oldest SES event has waited over ${backlogAge.toMinutes()} minutes: the events Lambda is falling behind or failing. Email statuses and suppressions lag until it catches up.`,
      metric: this.queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: backlogAge.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * Makes the function the queue's consumer: batches of up to 10 records gathered for at most a
   * second, partial batch failures reported (records the function lists in `batchItemFailures` come
   * back after the visibility timeout, and go to the dead-letter queue after 5 receives). The event
   * source grants the function the SQS consume permissions. Throws when the function's timeout
   * exceeds the consumer timeout the visibility timeout was sized for.
   */
  public consumeWith(fn: NodeFunction, options: ConsumeOptions = {}): sources.SqsEventSource {
    const timeout = fn.function.timeout ?? Duration.seconds(3); // Lambda's own default
    if (timeout.toSeconds() > this.consumerTimeout.toSeconds()) {
      throw new Error(
        `${fn.node.path} times out after ${timeout.toSeconds()} s, but the events queue is sized for a consumer of at most ${this.consumerTimeout.toSeconds()} s; pass consumerTimeout to EventPipeline.`,
      );
    }
    const source = new sources.SqsEventSource(this.queue, {
      batchSize: CONSUMER_BATCH_SIZE,
      maxBatchingWindow: EVENTS_BATCHING_WINDOW,
      reportBatchItemFailures: true,
      maxConcurrency: options.maxConcurrency ?? 2,
    });
    fn.function.addEventSource(source);
    return source;
  }
}
