import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { NodeFunction } from './node-function';
import type { OutboxTable } from './tables';

/**
 * Stream records per invocation. The function paces its SES calls a second apart (SES's budget
 * for non-send actions), so a batch takes about this many seconds.
 */
export const SYNC_BATCH_SIZE = 5;

/** Retries of a failing batch before its description goes to the dead-letter queue. */
export const SYNC_RETRY_ATTEMPTS = 10;

/** A record older than this goes to the dead-letter queue instead of being tried again. */
export const SYNC_MAX_RECORD_AGE = Duration.hours(6);

export interface AccountSuppressionSyncProps {
  /** Absolute path of the handler (HANDLER_ENTRIES.suppressionSync). */
  readonly entry: string;
  /** The suppressions table; its definition must give it a stream with both images. */
  readonly table: OutboxTable;
}

/**
 * Keeps SES's account-level suppression list equal to Outbox's suppression list, so mail that
 * bypasses Outbox's API (SES's SMTP endpoint, another application on the account) still never
 * reaches a suppressed address: the suppressions table's stream feeds a function that calls
 * PutSuppressedDestination and DeleteSuppressedDestination as entries are added, raised, removed
 * or expire.
 *
 * - The event source passes on only suppression entries: records whose new or old image has an
 *   `origin`. Soft-bounce counters (`<address>#soft`) never have one, so they never invoke the
 *   function (the function ignores them as well). Lambda's filters have no "does not end with".
 * - Small batches, one stream shard at a time (parallelization 1, so one address's changes stay in
 *   order); a failing record is reported (ReportBatchItemFailures) and retried with the records
 *   after it, the batch split on a crash, at most SYNC_RETRY_ATTEMPTS times and for at most
 *   SYNC_MAX_RECORD_AGE; then the batch's description (shard and sequence numbers, not the records)
 *   goes to `deadLetterQueue`, which `deadLetterAlarm` watches.
 * - SES's suppression actions have no resource type, so the permission names every resource, on a
 *   policy of its own where that is acknowledged; so does the stream read's dynamodb:ListStreams.
 *
 * Entries written before the stream existed are not copied.
 */
export class AccountSuppressionSync extends Construct {
  public readonly function: NodeFunction;
  public readonly eventSource: sources.DynamoEventSource;
  /** Where a batch that failed every retry is described. */
  public readonly deadLetterQueue: sqs.Queue;
  /** In ALARM as soon as one batch is in the dead-letter queue. */
  public readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: AccountSuppressionSyncProps) {
    super(scope, id);
    const stream = props.table.definition.stream;
    if (stream !== 'NEW_AND_OLD_IMAGES') {
      throw new Error(`${props.table.node.path} needs a NEW_AND_OLD_IMAGES stream for the account-level suppression sync (its definition gives ${stream ?? 'none'}).`);
    }

    this.function = new NodeFunction(this, 'Function', {
      entry: props.entry,
      description: 'Outbox account-level suppression sync',
      // A batch of SYNC_BATCH_SIZE paced calls, each with the SDK's throttling retries, fits well within this.
      timeout: Duration.seconds(60),
      memorySize: 256,
    });
    const policy = this.function.addPolicy('SesSuppressionPolicy', [
      new iam.PolicyStatement({ actions: ['ses:PutSuppressedDestination', 'ses:DeleteSuppressedDestination'], resources: ['*'] }),
    ]);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ses:PutSuppressedDestination and ses:DeleteSuppressedDestination support no resource-level permissions, so their statement must name every resource.',
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the on-failure destination of the suppressions stream, a dead-letter queue itself, which cdk-nag cannot see from a redrive policy.',
    });
    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmDescription:
        "A batch of suppression-list changes failed every retry and SES's account-level suppression list misses them: the queue message names the stream records; fix the cause, then put those addresses (or remove them) with PutSuppressedDestination.",
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const withOrigin = (image: 'NewImage' | 'OldImage'): Record<string, unknown> =>
      lambda.FilterCriteria.filter({ dynamodb: { [image]: { origin: { S: lambda.FilterRule.exists() } } } });
    this.eventSource = new sources.DynamoEventSource(props.table.table, {
      // From the oldest record kept, so changes made between the stream's creation and this mapping's are not skipped.
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: SYNC_BATCH_SIZE,
      maxBatchingWindow: Duration.seconds(1),
      parallelizationFactor: 1,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      retryAttempts: SYNC_RETRY_ATTEMPTS,
      maxRecordAge: SYNC_MAX_RECORD_AGE,
      onFailure: new sources.SqsDlq(this.deadLetterQueue),
      // Filters are alternatives: an entry added or changed (new image), or removed or expired (old image only).
      filters: [withOrigin('NewImage'), withOrigin('OldImage')],
    });
    this.function.function.addEventSource(this.eventSource);
    // The stream read includes dynamodb:ListStreams, which has no resource type.
    const defaultPolicy = this.function.role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy) {
      Validations.of(defaultPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Reading a DynamoDB stream takes dynamodb:ListStreams, which supports no resource-level permissions.',
      });
    }
  }
}
