import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { NodeFunction } from './node-function';

/** The scheduler Lambda's timeout: one pass over the emails that are due. */
export const SCHEDULER_TIMEOUT = Duration.seconds(60);

export interface SchedulerProps {
  /** Absolute path of the scheduler handler (HANDLER_ENTRIES.scheduler). */
  readonly entry: string;
}

/**
 * Scheduled sending: an EventBridge rule that invokes the scheduler Lambda every minute, which
 * reads the emails that are due from the emails table's sparse `by-due` index and puts them on the
 * outbound queue. A scheduled email therefore leaves within about a minute of its time. Callers
 * grant the function the emails table and the outbound queue.
 *
 * Every tick is a complete pass, so a missed or failed tick is made up by the next one: stale
 * ticks are dropped (events older than a minute, from EventBridge or Lambda's async queue) and
 * Lambda's own async retries are off, as they would only run beside the next tick. Two passes can
 * still overlap (a slow run near its 60 s timeout, or EventBridge's at-least-once delivery); the
 * handler must move an email from scheduled to queued with a conditional write so it is queued
 * once. No reserved concurrency to prevent overlap: reserving takes from the account's pool, and
 * deploys fail on accounts whose limit is the minimum.
 */
export class Scheduler extends Construct {
  public readonly function: NodeFunction;
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: SchedulerProps) {
    super(scope, id);

    this.function = new NodeFunction(this, 'Function', {
      entry: props.entry,
      description: 'Outbox scheduler',
      timeout: SCHEDULER_TIMEOUT,
      // A few DynamoDB queries and SQS batches per minute: 256 MB is plenty.
      memorySize: 256,
    });
    this.function.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });

    this.rule = new events.Rule(this, 'EveryMinute', {
      description: 'Invokes the Outbox scheduler, which queues the scheduled emails that are due',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.function.function, { retryAttempts: 2, maxEventAge: Duration.minutes(1) })],
    });
  }
}
