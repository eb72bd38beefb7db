import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { NodeFunction } from './node-function';

export interface MonitoringProps {
  /** Who gets alarm notifications by email. Without it, alarms exist but notify nobody. */
  readonly alarmEmail?: string;
}

/**
 * Where Outbox's alarms go, and the alarms that watch the API and the Lambdas. The alarms on SES's
 * reputation rates are the ReputationGuard's, at Outbox's warn and pause thresholds, and come
 * here through `watch`.
 *
 * The alarm topic is not KMS-encrypted: it carries only alarm names, states and thresholds, and
 * CloudWatch would need its own key grant to publish to an encrypted topic.
 */
export class Monitoring extends Construct {
  public readonly alarmTopic?: sns.Topic;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps = {}) {
    super(scope, id);

    if (props.alarmEmail) {
      this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: 'Outbox alarms', enforceSSL: true });
      // The topic policy that enforces TLS replaces SNS's default one, so CloudWatch is let in explicitly.
      const stack = Stack.of(this);
      this.alarmTopic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowCloudWatchAlarmsToPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [this.alarmTopic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: {
              'aws:SourceArn': stack.formatArn({
                service: 'cloudwatch',
                resource: 'alarm',
                resourceName: '*',
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            },
          },
        }),
      );
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
  }

  /** Sends the alarm's state changes (into ALARM and back to OK) to the alarm topic, if there is one. */
  public watch(alarm: cloudwatch.Alarm): this {
    this.alarms.push(alarm);
    if (this.alarmTopic) {
      const action = new actions.SnsAction(this.alarmTopic);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    return this;
  }

  /** Alarms when the function crashes or times out (its handled errors are answers, not Errors). */
  public watchFunctionErrors(id: string, fn: NodeFunction): this {
    return this.watch(
      new cloudwatch.Alarm(this, id, {
        alarmDescription: `The ${fn.node.id} Lambda crashed or timed out.`,
        metric: fn.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /**
   * Alarms on the first 5xx answer of the HTTP API within 5 minutes (AWS/ApiGateway 5xx, by API
   * id): the api Lambda's 500s and 503s (SES paused, an outage), and what API Gateway answers
   * itself: an invoke that failed or timed out (the integration's 30 s), a body over Lambda's
   * request cap, or the account out of Lambda concurrency.
   */
  public watchApiServerErrors(id: string, api: apigwv2.IHttpApi): this {
    return this.watch(
      new cloudwatch.Alarm(this, id, {
        alarmDescription: 'The API answered with a 5xx status: see its access log (integrationError) and the api Lambda\'s log.',
        metric: api.metricServerError({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
