import { Match, type Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_GUARD_THRESHOLDS } from '../../lambda/shared/guard-thresholds';
import { ENV } from '../../lambda/shared/env';
import { CONTROL_TABLE, WEBHOOKS_TABLE } from '../../lambda/shared/tables';
import { CONTEXT } from '../../lib/context';
import type { OutboxStack } from '../../lib/outbox-stack';
import { actionsOf, asArray, environmentOf, expectFunctionErrorsAlarm, logicalId, render, roleStatements, synthOutbox, synthOutboxFromContext } from './synth';

const SES_ARN = 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}';
const PAUSER = 'Outbox reputation alarm: pauses sending';

type Resource = { Properties: Record<string, unknown> };

/** The alarm on this AWS/SES metric at this threshold: there must be exactly one. */
function sesAlarm(template: Template, metricName: string, threshold: number): Resource {
  const found = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/SES', MetricName: metricName, Threshold: threshold } }));
  expect(found).toHaveLength(1);
  return found[0] as Resource;
}

function sesAlarms(template: Template): Resource[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/SES' } })) as Resource[];
}

const functionArn = (stack: OutboxStack): unknown => ({ 'Fn::GetAtt': [logicalId(stack, stack.reputationGuard.pauseFunction.function), 'Arn'] });

describe('the reputation guard in the stack, with its default thresholds', () => {
  const { stack, template } = synthOutbox({ identities: ['example.com'] });
  const t = DEFAULT_GUARD_THRESHOLDS;

  it('alarms on SES\'s account-wide bounce and complaint rates, at the warn and the pause thresholds, at their hourly maximum', () => {
    const alarms = sesAlarms(template);
    expect(alarms.map((alarm) => [alarm.Properties.MetricName, alarm.Properties.Threshold]).sort()).toEqual(
      [
        ['Reputation.BounceRate', t.warnBounceRate],
        ['Reputation.BounceRate', t.pauseBounceRate],
        ['Reputation.ComplaintRate', t.warnComplaintRate],
        ['Reputation.ComplaintRate', t.pauseComplaintRate],
      ].sort(),
    );
    expect([t.warnBounceRate, t.pauseBounceRate, t.warnComplaintRate, t.pauseComplaintRate]).toEqual([0.025, 0.04, 0.0005, 0.0008]);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({
        Statistic: 'Maximum',
        Period: 3600,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      // Account-wide: no configuration-set dimension.
      expect(alarm.Properties.Dimensions).toBeUndefined();
    }
  });

  it('invokes the pause handler from the two pause alarms only, and only on ALARM', () => {
    const invokes = (alarm: Resource): boolean => asArray(alarm.Properties.AlarmActions ?? []).some((action) => JSON.stringify(action) === JSON.stringify(functionArn(stack)));
    for (const [metric, warn, pause] of [
      ['Reputation.BounceRate', t.warnBounceRate, t.pauseBounceRate],
      ['Reputation.ComplaintRate', t.warnComplaintRate, t.pauseComplaintRate],
    ] as const) {
      expect(invokes(sesAlarm(template, metric, pause))).toBe(true);
      expect(invokes(sesAlarm(template, metric, warn))).toBe(false);
    }
    const anywhere = (key: string): unknown[] =>
      Object.values(template.findResources('AWS::CloudWatch::Alarm')).flatMap((alarm) => asArray(alarm.Properties[key] ?? []));
    const toFunction = (actions: unknown[]): unknown[] => actions.filter((action) => JSON.stringify(action) === JSON.stringify(functionArn(stack)));
    expect(toFunction(anywhere('AlarmActions'))).toHaveLength(2);
    expect(toFunction(anywhere('OKActions'))).toEqual([]);
    expect(toFunction(anywhere('InsufficientDataActions'))).toEqual([]);
  });

  it('lets CloudWatch invoke the pause handler for the two pause alarms of this account, and nothing else invoke it', () => {
    const permissions = Object.values(
      template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: functionArn(stack) } }),
    ).map((p) => p.Properties as Record<string, unknown>);
    const pauseAlarmIds = stack.reputationGuard.pauseAlarms.map((alarm) => logicalId(stack, alarm)).sort();
    expect(permissions.map((p) => render(p.SourceArn)).sort()).toEqual(pauseAlarmIds.map((id) => `\${${id}.Arn}`));
    for (const permission of permissions) {
      expect(permission).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'lambda.alarms.cloudwatch.amazonaws.com', SourceAccount: { Ref: 'AWS::AccountId' } });
    }
  });

  it('gives the pause handler SES\'s sending switch for the configuration set alone, and no other SES action', () => {
    const statements = roleStatements(template, stack, stack.reputationGuard.pauseFunction.role);
    const ses = statements.filter((s) => actionsOf(s).some((action) => action.startsWith('ses:')));
    expect(ses.map((s) => ({ actions: actionsOf(s), resources: asArray(s.Resource).map(render) }))).toEqual([
      { actions: ['ses:PutConfigurationSetSendingOptions'], resources: [`${SES_ARN}:configuration-set/\${${logicalId(stack, stack.ses.configurationSet)}}`] },
    ]);
  });

  it('lets the pause handler write the control table, only read the webhooks table, publish notifications and queue webhook deliveries', () => {
    const statements = roleStatements(template, stack, stack.reputationGuard.pauseFunction.role);
    const dynamo = statements.filter((s) => actionsOf(s).some((action) => action.startsWith('dynamodb:')));
    const on = (table: 'control' | 'webhooks'): string[] =>
      dynamo.filter((s) => render(asArray(s.Resource)[0]) === `\${${logicalId(stack, stack.tables[table].table)}.Arn}`).flatMap(actionsOf);
    expect(on('control')).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']));
    expect(on('webhooks')).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    expect(on('webhooks').filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
    expect(dynamo).toHaveLength(2);
    const resourcesOf = (prefix: string): string[] =>
      statements.filter((s) => actionsOf(s).some((action) => action.startsWith(prefix))).flatMap((s) => asArray(s.Resource).map(render));
    expect(resourcesOf('sns:')).toEqual([`\${${logicalId(stack, stack.notifications.topic)}}`]);
    expect(resourcesOf('sqs:')).toEqual([`\${${logicalId(stack, stack.webhooks.queue)}.Arn}`]);
  });

  it('tells the pause handler the control table, the configuration set, the retention and where notifications go', () => {
    expect(environmentOf(template, PAUSER)).toEqual({
      [CONTROL_TABLE.envVar]: { Ref: logicalId(stack, stack.tables.control.table) },
      [WEBHOOKS_TABLE.envVar]: { Ref: logicalId(stack, stack.tables.webhooks.table) },
      [ENV.configurationSet]: { Ref: logicalId(stack, stack.ses.configurationSet) },
      [ENV.notificationsTopicArn]: { Ref: logicalId(stack, stack.notifications.topic) },
      [ENV.webhookQueueUrl]: { Ref: logicalId(stack, stack.webhooks.queue) },
      [ENV.retentionDays]: '90',
    });
  });

  it('alarms when the pause handler crashes or times out', () => {
    expectFunctionErrorsAlarm(template, logicalId(stack, stack.reputationGuard.pauseFunction.function));
  });

  it('lets the api (POST /sending/pause|resume) switch the configuration set, on its ARN alone, and neither the events Lambda nor the sender', () => {
    const pausing = (fn: { role: OutboxStack['apiFunction']['role'] }): string[] =>
      roleStatements(template, stack, fn.role)
        .filter((s) => actionsOf(s).includes('ses:PutConfigurationSetSendingOptions'))
        .flatMap((s) => asArray(s.Resource).map(render));
    const configurationSet = `${SES_ARN}:configuration-set/\${${logicalId(stack, stack.ses.configurationSet)}}`;
    expect(pausing(stack.apiFunction)).toEqual([configurationSet]);
    expect(pausing(stack.eventsFunction)).toEqual([]);
    expect(pausing(stack.outbound.senderFunction)).toEqual([]);
  });

  it('tells the events Lambda and the api the thresholds', () => {
    const expected = {
      [ENV.guardWarnBounceRate]: '0.025',
      [ENV.guardWarnComplaintRate]: '0.0005',
      [ENV.guardPauseBounceRate]: '0.04',
      [ENV.guardPauseComplaintRate]: '0.0008',
      [ENV.guardMinimumSends]: '100',
    };
    expect(environmentOf(template, 'Outbox SES events consumer')).toMatchObject(expected);
    expect(environmentOf(template, 'Outbox HTTP API')).toMatchObject(expected);
  });

  it('publishes the configuration set\'s reputation metrics to CloudWatch', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', { ReputationOptions: { ReputationMetricsEnabled: true } });
  });

  it('refuses thresholds given as props that the guard could not use, naming each problem', () => {
    expect(() => synthOutbox({ guardThresholds: { ...t, warnBounceRate: 0.05, pauseComplaintRate: 1.5 } })).toThrow(
      /Invalid reputation guard thresholds:\n- pauseComplaintRate must be a fraction[^]*\n- .*warn.*0\.05.*must be below.*0\.04/,
    );
  });
});

describe('the reputation guard from context, with an alarm email', () => {
  const { stack, template } = synthOutboxFromContext({
    [CONTEXT.identities]: 'example.com',
    [CONTEXT.alarmEmail]: 'ops@example.com',
    [CONTEXT.warnBounceRate]: '0.01',
    [CONTEXT.pauseBounceRate]: 0.02,
    [CONTEXT.warnComplaintRate]: '0.0002',
    [CONTEXT.pauseComplaintRate]: '0.0004',
    [CONTEXT.guardMinimumSends]: '500',
  });
  const topic = { Ref: logicalId(stack, stack.monitoring.alarmTopic!) };

  it('puts the alarms at the thresholds the context gives', () => {
    expect(sesAlarms(template).map((alarm) => [alarm.Properties.MetricName, alarm.Properties.Threshold]).sort()).toEqual(
      [
        ['Reputation.BounceRate', 0.01],
        ['Reputation.BounceRate', 0.02],
        ['Reputation.ComplaintRate', 0.0002],
        ['Reputation.ComplaintRate', 0.0004],
      ].sort(),
    );
  });

  it('sends each alarm\'s ALARM and OK to the alarm topic, and the pause alarms to the pause handler too', () => {
    for (const [metric, threshold, invokes] of [
      ['Reputation.BounceRate', 0.01, false],
      ['Reputation.BounceRate', 0.02, true],
      ['Reputation.ComplaintRate', 0.0002, false],
      ['Reputation.ComplaintRate', 0.0004, true],
    ] as const) {
      const alarm = sesAlarm(template, metric, threshold);
      expect(asArray(alarm.Properties.AlarmActions).map((action) => JSON.stringify(action)).sort()).toEqual((invokes ? [topic, functionArn(stack)] : [topic]).map((action) => JSON.stringify(action)).sort());
      expect(alarm.Properties.OKActions).toEqual([topic]);
    }
  });

  it('tells the events Lambda and the api the same thresholds', () => {
    for (const description of ['Outbox SES events consumer', 'Outbox HTTP API']) {
      expect(environmentOf(template, description)).toMatchObject({
        [ENV.guardWarnBounceRate]: '0.01',
        [ENV.guardPauseBounceRate]: '0.02',
        [ENV.guardWarnComplaintRate]: '0.0002',
        [ENV.guardPauseComplaintRate]: '0.0004',
        [ENV.guardMinimumSends]: '500',
      });
    }
  });

  it('describes each alarm by what it does and where SES itself acts', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Reputation.BounceRate',
      Threshold: 0.02,
      AlarmDescription: Match.stringLikeRegexp('reached 2%: Outbox paused its sending and the configuration set until a person resumes'),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Reputation.ComplaintRate',
      Threshold: 0.0002,
      AlarmDescription: Match.stringLikeRegexp("reached 0.02%, Outbox's warn threshold. SES acts at 0.1%"),
    });
  });
});
