import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_DELAYS_SECONDS } from '../../lambda/shared/env';
import { addDeadLetteredQueue } from './dead-lettered-queue';
import { NodeFunction } from './node-function';
import type { OutboxTable } from './tables';

/** The delivery Lambda's timeout: one batch of signed POSTs, each with a 10 s HTTP timeout. */
export const DELIVERY_TIMEOUT = Duration.seconds(30);

/** Records per invocation of the delivery Lambda. */
export const DELIVERY_BATCH_SIZE = 10;

/** How long the queue keeps a message: over twice the whole retry schedule. */
export const QUEUE_RETENTION = Duration.days(4);

/** SQS's ceiling on a message's visibility timeout, counted from its receive. */
const SQS_MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

/** The jitter the delivery Lambda applies to each retry delay (+-20%, see WEBHOOK_RETRY_DELAYS_SECONDS). */
const RETRY_JITTER = 0.2;

export interface WebhooksProps {
  /** Absolute path of the delivery handler (HANDLER_ENTRIES.webhookDelivery). */
  readonly entry: string;
  /** The webhooks table: endpoints, secrets and the delivery log. */
  readonly table: OutboxTable;
  /** How long delivery-log items are kept, in days. */
  readonly retentionDays: number;
  /**
   * The most delivery Lambdas running at once (SQS allows 2 to 1000). Each delivery waits on
   * someone else's server for up to 10 s, so without a cap an endpoint that hangs during a burst
   * would hold hundreds of instances, taking the account's Lambda concurrency from the API, and
   * hit a struggling endpoint harder. Two instances, next to the events Lambda's two and the
   * sender's two, keep background work to six of a new account's ten concurrent executions. A
   * cap on the event source does not burn attempts: the poller simply
   * receives less, whereas reserved concurrency would throttle received messages back into the
   * queue and count each throttle as one of the WEBHOOK_MAX_ATTEMPTS receives.
   * @default 2
   */
  readonly maxConcurrency?: number;
}

/**
 * Webhook delivery: the webhook-deliveries queue (one message per notification per webhook, sent
 * by the events Lambda), its dead-letter queue with an alarm, and the delivery Lambda that signs
 * each notification and POSTs it to the webhook's endpoint.
 *
 * Retries use the queue itself. On a failed attempt the delivery Lambda calls
 * ChangeMessageVisibility with the next delay of WEBHOOK_RETRY_DELAYS_SECONDS and reports the
 * message as a batch item failure, so SQS hands the *same* message (same `webhook-id`) back after
 * that delay. SQS counts every receive, so `maxReceiveCount = WEBHOOK_MAX_ATTEMPTS` moves a message
 * to the dead-letter queue once its last attempt has failed. A delivery Lambda that crashes or
 * times out costs the whole batch one attempt, retried after the queue's visibility timeout.
 *
 * The queue's visibility timeout is six times the Lambda's timeout, as AWS recommends for Lambda
 * event sources. Retention is 4 days, well over the ~28 h schedule even with jitter; the
 * dead-letter queue keeps 14 days (SQS counts from the original enqueue time, not from the move).
 * Both queues use SQS-managed encryption and require TLS.
 *
 * The delivery Lambda may read and write the webhooks table (the delivery log, and disabling an
 * endpoint that keeps failing) and consume the queue, nothing else: no SES, no other table.
 */
export class Webhooks extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  public readonly deliveryFunction: NodeFunction;
  public readonly eventSource: sources.SqsEventSource;

  constructor(scope: Construct, id: string, props: WebhooksProps) {
    super(scope, id);
    checkRetrySchedule(QUEUE_RETENTION);

    // No VPC on purpose: the function POSTs to users' endpoints anywhere on the internet, which a
    // Lambda in a VPC could only reach through a NAT gateway. The SSRF guard (https only, no
    // private, loopback, link-local or metadata address) is the handler's job, at delivery time.
    this.deliveryFunction = new NodeFunction(this, 'DeliveryFunction', {
      entry: props.entry,
      description: 'Outbox webhook delivery',
      timeout: DELIVERY_TIMEOUT,
      // I/O-bound (an HTTPS POST and a few DynamoDB writes per message): 256 MB is plenty.
      memorySize: 256,
      environment: { [ENV.retentionDays]: String(props.retentionDays) },
    });

    const { queue, deadLetterQueue, deadLetterAlarm } = addDeadLetteredQueue(this, {
      consumerTimeout: DELIVERY_TIMEOUT,
      retentionPeriod: QUEUE_RETENTION,
      maxReceiveCount: WEBHOOK_MAX_ATTEMPTS,
      alarmDescription: `Webhook deliveries are waiting in the dead-letter queue: their endpoint failed all ${WEBHOOK_MAX_ATTEMPTS} attempts over about a day, or the delivery Lambda kept crashing. Check the endpoint and the delivery log, then redrive.`,
    });
    this.queue = queue;
    this.deadLetterQueue = deadLetterQueue;
    this.deadLetterAlarm = deadLetterAlarm;

    // The event source grants ReceiveMessage, DeleteMessage and ChangeMessageVisibility (the
    // retry mechanism above) on this queue; the infra tests hold it to that.
    this.eventSource = new sources.SqsEventSource(this.queue, {
      batchSize: DELIVERY_BATCH_SIZE,
      // Gathered for up to 5 s: under load a batch fills at once; at a trickle a batch holds a
      // few jobs instead of one (fewer invocations, receives and deletes), for at most 5 s more
      // before the endpoint is called.
      maxBatchingWindow: Duration.seconds(5),
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency ?? 2,
    });
    this.deliveryFunction.function.addEventSource(this.eventSource);
    this.deliveryFunction.addEnvironment(ENV.webhookQueueUrl, this.queue.queueUrl);
    props.table.grantReadWriteData(this.deliveryFunction);
  }

  /**
   * Lets the function put deliveries on the queue (SendMessage and SendMessageBatch) and sets the
   * queue URL as its environment variable.
   */
  public allowEnqueueing(fn: NodeFunction): this {
    this.queue.grantSendMessages(fn.function);
    fn.addEnvironment(ENV.webhookQueueUrl, this.queue.queueUrl);
    return this;
  }
}

/**
 * Fails the synth when the shared retry schedule no longer fits the queue: each delay must be a
 * visibility timeout SQS still accepts after a whole invocation has elapsed (its 12 h limit counts
 * from the receive; the handler clamps the jittered delay to the time left), and the whole
 * schedule, jitter and invocations included, must end well before the queue drops the message.
 */
function checkRetrySchedule(retention: Duration): void {
  const problems: string[] = [];
  for (const delay of WEBHOOK_RETRY_DELAYS_SECONDS) {
    if (delay + DELIVERY_TIMEOUT.toSeconds() > SQS_MAX_VISIBILITY_SECONDS) {
      problems.push(`a retry delay of ${delay} s plus the ${DELIVERY_TIMEOUT.toSeconds()} s invocation exceeds SQS's ${SQS_MAX_VISIBILITY_SECONDS} s visibility limit`);
    }
  }
  const longest =
    WEBHOOK_RETRY_DELAYS_SECONDS.reduce((sum, delay) => sum + delay, 0) * (1 + RETRY_JITTER) +
    WEBHOOK_MAX_ATTEMPTS * DELIVERY_TIMEOUT.toSeconds();
  if (longest * 2 > retention.toSeconds()) {
    problems.push(`the retry schedule takes up to ${Math.ceil(longest)} s, over half the queue's ${retention.toSeconds()} s retention`);
  }
  if (problems.length > 0) throw new Error(`Invalid webhook retry schedule:\n- ${problems.join('\n- ')}`);
}
