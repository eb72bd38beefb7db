import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, OUTBOUND_MAX_RECEIVE_COUNT } from '../../lambda/shared/env';
import { addDeadLetteredQueue } from './dead-lettered-queue';
import { NodeFunction } from './node-function';

/** The sender Lambda's timeout: one batch of up to 10 emails, paced, each one SES call. */
export const SENDER_TIMEOUT = Duration.seconds(30);

/** Records per sender invocation. */
export const SENDER_BATCH_SIZE = 10;

/** How long the outbound queue keeps a message: SQS's maximum. */
export const OUTBOUND_RETENTION = Duration.days(14);

/** The oldest queued email waiting longer than this raises the backlog alarm. */
export const OUTBOUND_BACKLOG_AGE = Duration.hours(1);

export interface OutboundProps {
  /** Absolute path of the sender handler (HANDLER_ENTRIES.sender). */
  readonly entry: string;
  /** How long emails are kept, in days (the sender writes recipient statuses that expire). */
  readonly retentionDays: number;
  /**
   * Overrides the account's SES MaxSendRate (recipients per second) that the sender otherwise
   * reads with GetAccount. Useful to keep headroom for other senders of the same account.
   */
  readonly maxSendRate?: number;
  /**
   * The most sender instances running at once (SQS allows 2 to 1000). Pacing is shared through
   * the control table, so instances beyond what the SES rate needs only wait for send slots,
   * costing Lambda time and receives, and fewer only send slower, never faster than the rate.
   * One instance sending a batch one email at a time manages roughly 10 to 20 emails per second
   * (an SES call takes 50 to 100 ms), so 2 instances cover 20 to 40 per second, above the 14 per
   * second a production account starts with, and 10 instances 100 to 200; raise it with the
   * quota (`outbox:queueConcurrency`). The cap does not reserve concurrency, and the default
   * leaves the API its share on accounts limited to 10 concurrent executions.
   * @default 2
   */
  readonly maxConcurrency?: number;
}

/**
 * The outbound path: the queue of emails accepted for sending later (a batch, a scheduled email
 * now due, a synchronous send SES throttled), its dead-letter queue with an alarm, an alarm when
 * emails wait too long, and the sender Lambda that consumes it.
 *
 * The sender sends each queued email to SES paced to the account's rate. A throttled email is not
 * failed: the sender changes its visibility to a backoff delay and reports it as a batch item
 * failure, so SQS hands the same message back later. Hence the high maxReceiveCount
 * (OUTBOUND_MAX_RECEIVE_COUNT, shared with the sender, which queues a job afresh long before it is
 * reached, so waiting its turn never dead-letters a good email). A sender that crashes or times out costs its whole batch one receive,
 * retried after the visibility timeout (six sender timeouts, as AWS recommends for Lambda event
 * sources). Both queues keep messages 14 days, SQS's maximum; SQS counts a dead letter's age from
 * its first enqueue, so a message dead-lettered late keeps less than that (its email stays
 * `queued` in the emails table either way).
 *
 * The sender may also send to the queue: a job that has waited many receives is queued afresh.
 * `allowEnqueueing(fn)` lets another function (the api, the scheduler) queue emails. Callers
 * grant the sender its tables and SES.
 */
export class Outbound extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  public readonly backlogAlarm: cloudwatch.Alarm;
  public readonly senderFunction: NodeFunction;
  public readonly eventSource: sources.SqsEventSource;

  constructor(scope: Construct, id: string, props: OutboundProps) {
    super(scope, id);
    const maxConcurrency = props.maxConcurrency ?? 2;
    const problems: string[] = [];
    if (props.maxSendRate !== undefined && !(Number.isFinite(props.maxSendRate) && props.maxSendRate > 0)) {
      problems.push(`maxSendRate must be a positive number of recipients per second, not ${props.maxSendRate}`);
    }
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000) {
      problems.push(`maxConcurrency must be a whole number from 2 to 1000 (SQS's limits), not ${maxConcurrency}`);
    }
    if (problems.length > 0) throw new Error(`Invalid Outbound props:\n- ${problems.join('\n- ')}`);

    const environment: Record<string, string> = { [ENV.retentionDays]: String(props.retentionDays) };
    if (props.maxSendRate !== undefined) environment[ENV.maxSendRate] = String(props.maxSendRate);
    this.senderFunction = new NodeFunction(this, 'SenderFunction', {
      entry: props.entry,
      description: 'Outbox sender',
      timeout: SENDER_TIMEOUT,
      // The same send path as the api Lambda, which runs at 512 MB: it may build MIME for
      // attachments of several MB, up to ten per batch, and more memory also buys the CPU that
      // base64 and a faster cold start need. Waiting for a send slot costs little at this size.
      memorySize: 512,
      environment,
    });

    const { queue, deadLetterQueue, deadLetterAlarm } = addDeadLetteredQueue(this, {
      consumerTimeout: SENDER_TIMEOUT,
      retentionPeriod: OUTBOUND_RETENTION,
      maxReceiveCount: OUTBOUND_MAX_RECEIVE_COUNT,
      alarmDescription: `Emails are waiting in the outbound dead-letter queue: the sender failed them ${OUTBOUND_MAX_RECEIVE_COUNT} times for a reason other than throttling, or kept crashing. They are still queued in the emails table; fix the cause, then redrive.`,
    });
    this.queue = queue;
    this.deadLetterQueue = deadLetterQueue;
    this.deadLetterAlarm = deadLetterAlarm;

    this.backlogAlarm = new cloudwatch.Alarm(this, 'BacklogAlarm', {
      alarmDescription: `The oldest queued email has waited over ${OUTBOUND_BACKLOG_AGE.toMinutes()} minutes: sending is paused, throttled well below the queue's inflow, or the sender is failing. Queued and scheduled emails go out late until it catches up.`,
      metric: this.queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: OUTBOUND_BACKLOG_AGE.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // The event source grants ReceiveMessage, DeleteMessage and ChangeMessageVisibility (the
    // throttle retry above) on this queue. No batching window: a queued email should leave now.
    this.eventSource = new sources.SqsEventSource(this.queue, {
      batchSize: SENDER_BATCH_SIZE,
      reportBatchItemFailures: true,
      maxConcurrency,
    });
    this.senderFunction.function.addEventSource(this.eventSource);
    // Requeue: after many receives (or days) a job is sent to the queue afresh and the old message deleted.
    this.allowEnqueueing(this.senderFunction);
  }

  /**
   * Lets the function queue emails (SendMessage and SendMessageBatch, with a delay if it wants)
   * and sets the queue URL as its environment variable.
   */
  public allowEnqueueing(fn: NodeFunction): this {
    this.queue.grantSendMessages(fn.function);
    fn.addEnvironment(ENV.outboundQueueUrl, this.queue.queueUrl);
    return this;
  }
}
