import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { addDeadLetteredQueue } from '../../lib/constructs/dead-lettered-queue';
import { expectQueueAlarm, expectQueueRefusesPlainHttp, logicalId, synthOutbox, testApp } from './synth';

describe('addDeadLetteredQueue', () => {
  const stack = new Stack(testApp(), 'Test');
  const parent = new Construct(stack, 'Parent');
  const created = addDeadLetteredQueue(parent, {
    consumerTimeout: Duration.seconds(20),
    retentionPeriod: Duration.days(2),
    maxReceiveCount: 3,
    alarmDescription: 'Something is in the dead-letter queue.',
  });
  const template = Template.fromStack(stack);
  const queue = logicalId(stack, created.queue);
  const deadLetterQueue = logicalId(stack, created.deadLetterQueue);

  it('creates its resources directly under the scope, so their logical ids do not move', () => {
    expect([created.queue, created.deadLetterQueue, created.deadLetterAlarm].map((c) => c.node.path)).toEqual([
      'Test/Parent/Queue',
      'Test/Parent/DeadLetterQueue',
      'Test/Parent/DeadLetterAlarm',
    ]);
  });

  it('sizes the visibility timeout at six consumer timeouts and redrives after maxReceiveCount receives', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    expect(queues[queue]!.Properties).toEqual({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 120,
      MessageRetentionPeriod: 2 * 24 * 3600,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterQueue, 'Arn'] }, maxReceiveCount: 3 },
    });
    expect(created.visibilityTimeout.toSeconds()).toBe(120);
  });

  it('keeps dead letters 14 days, and encrypts and requires TLS on both queues', () => {
    expect(template.findResources('AWS::SQS::Queue')[deadLetterQueue]!.Properties).toEqual({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    for (const id of [queue, deadLetterQueue]) expectQueueRefusesPlainHttp(template, id);
  });

  it('alarms on the first dead letter, judged on the one-minute maximum, with missing data not breaching', () => {
    expectQueueAlarm(template, deadLetterQueue, 'ApproximateNumberOfMessagesVisible', 0);
    const alarm = template.findResources('AWS::CloudWatch::Alarm')[logicalId(stack, created.deadLetterAlarm)]!.Properties;
    expect(alarm).toMatchObject({
      AlarmDescription: 'Something is in the dead-letter queue.',
      Period: 60,
      Statistic: 'Maximum',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('the dead-lettered queues of OutboxStack', () => {
  const { stack } = synthOutbox({ identities: ['example.com'] });

  it('keep the construct paths the deployed stack has, for the events and the webhook deliveries', () => {
    const paths = [stack.events, stack.webhooks].flatMap((parent) =>
      [parent.queue, parent.deadLetterQueue, parent.deadLetterAlarm].map((c) => c.node.path),
    );
    expect(paths).toEqual([
      'Outbox/Events/Queue',
      'Outbox/Events/DeadLetterQueue',
      'Outbox/Events/DeadLetterAlarm',
      'Outbox/Webhooks/Queue',
      'Outbox/Webhooks/DeadLetterQueue',
      'Outbox/Webhooks/DeadLetterAlarm',
    ]);
  });
});
