import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Construct } from 'constructs';
import { thresholdProblems, type GuardThresholds } from '../../lambda/shared/guard-thresholds';
import type { Monitoring } from './monitoring';
import { NodeFunction } from './node-function';

export interface ReputationGuardProps {
  /** Absolute path of the pause handler (HANDLER_ENTRIES.reputationAlarm). */
  readonly entry: string;
  /** The rates to warn and to pause at: the same the events Lambda's own guard uses. */
  readonly thresholds: GuardThresholds;
  /** Every alarm's state changes go to its alarm topic (outbox:alarmEmail). */
  readonly monitoring: Monitoring;
}

/** One of SES's two account-wide reputation rates. */
interface SesRate {
  /** The AWS/SES metric. */
  readonly metricName: 'Reputation.BounceRate' | 'Reputation.ComplaintRate';
  /** Construct ids start with it. */
  readonly id: 'BounceRate' | 'ComplaintRate';
  readonly warn: number;
  readonly pause: number;
  /** Where SES itself acts (SES-FACTS §9): under review, then sending may be paused. */
  readonly review: string;
}

/**
 * The reputation guard's part in AWS: alarms on SES's own account-wide reputation rates
 * (`AWS/SES` `Reputation.BounceRate` and `Reputation.ComplaintRate`, fractions from 0 to 1) at
 * Outbox's warn and pause thresholds, and the pause handler the pause alarms invoke.
 *
 * - Each rate has a warn alarm and a pause alarm, at its hourly maximum, over one hour: SES
 *   computes these rates over a representative volume of mail, not a fixed window, and documents
 *   no statistic or period for them, so the highest value an hour reports is what is compared.
 *   Missing data is not breaching: SES may publish no rate at all while the account has had no
 *   bounces or complaints, and an hour without a datapoint says nothing bad.
 * - Every alarm's changes go to the alarm topic (an email with outbox:alarmEmail).
 * - The pause alarms also invoke `pauseFunction` directly (a CloudWatch Lambda action), which
 *   pauses Outbox's sending and the configuration set until a person resumes. Directly rather
 *   than through the alarm topic: that topic exists only when an alarm email is given, and the
 *   pause must not depend on it; CloudWatch retries the asynchronous invoke until Lambda accepts
 *   it; and the function receives the alarm's state with its data (value, threshold) as CloudWatch
 *   documents it, not wrapped in an SNS message. The warn alarms invoke nothing.
 *
 * Outbox's own guard (the events Lambda, over its 24 h counters) acts on the mail Outbox sent;
 * these alarms act on the account as SES sees it, which includes mail sent by other means.
 * The caller grants the function what pausing takes (the control table, the configuration set's
 * sending switch, the notification fan-out).
 */
export class ReputationGuard extends Construct {
  public readonly warnAlarms: readonly cloudwatch.Alarm[];
  public readonly pauseAlarms: readonly cloudwatch.Alarm[];
  /** Pauses sending when a pause alarm goes into ALARM. */
  public readonly pauseFunction: NodeFunction;

  constructor(scope: Construct, id: string, props: ReputationGuardProps) {
    super(scope, id);
    const problems = thresholdProblems(props.thresholds);
    if (problems.length > 0) throw new Error(`Invalid reputation guard thresholds:\n- ${problems.join('\n- ')}`);
    const t = props.thresholds;

    this.pauseFunction = new NodeFunction(this, 'PauseFunction', {
      entry: props.entry,
      description: 'Outbox reputation alarm: pauses sending',
      // A handful of small calls: hold the pause, pause the configuration set, notify.
      memorySize: 256,
      timeout: Duration.seconds(15),
    });
    const pause = new actions.LambdaAction(this.pauseFunction.function);

    const rates: SesRate[] = [
      { metricName: 'Reputation.BounceRate', id: 'BounceRate', warn: t.warnBounceRate, pause: t.pauseBounceRate, review: '5% (under review; 10%: sending may be paused)' },
      {
        metricName: 'Reputation.ComplaintRate',
        id: 'ComplaintRate',
        warn: t.warnComplaintRate,
        pause: t.pauseComplaintRate,
        review: '0.1% (under review; 0.5%: sending may be paused)',
      },
    ];
    const warnAlarms: cloudwatch.Alarm[] = [];
    const pauseAlarms: cloudwatch.Alarm[] = [];
    for (const rate of rates) {
      const warn = this.alarm(`${rate.id}WarnAlarm`, rate.metricName, rate.warn, `SES's account-wide ${rate.metricName} reached ${percent(rate.warn)}, Outbox's warn threshold. SES acts at ${rate.review}.`);
      const paused = this.alarm(
        `${rate.id}PauseAlarm`,
        rate.metricName,
        rate.pause,
        `SES's account-wide ${rate.metricName} reached ${percent(rate.pause)}: Outbox paused its sending and the configuration set until a person resumes (POST /sending/resume). SES acts at ${rate.review}.`,
      );
      paused.addAlarmAction(pause);
      warnAlarms.push(warn);
      pauseAlarms.push(paused);
    }
    this.warnAlarms = warnAlarms;
    this.pauseAlarms = pauseAlarms;
    for (const alarm of [...warnAlarms, ...pauseAlarms]) props.monitoring.watch(alarm);
  }

  private alarm(id: string, metricName: string, threshold: number, alarmDescription: string): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, id, {
      alarmDescription,
      metric: new cloudwatch.Metric({ namespace: 'AWS/SES', metricName, statistic: cloudwatch.Stats.MAXIMUM, period: Duration.hours(1) }),
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}

/** 0.025 as "2.5%", 0.0008 as "0.08%". */
function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(6))}%`;
}
