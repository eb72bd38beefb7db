import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { ENV, HANDLER_ENTRIES, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_DELAYS_SECONDS } from '../../lambda/shared/env';
import { TTL_ATTRIBUTE, WEBHOOKS_TABLE } from '../../lambda/shared/tables';
import { Tables } from '../../lib/constructs/tables';
import { Webhooks } from '../../lib/constructs/webhooks';
import {
  acknowledgements,
  actionsOf,
  asArray,
  environmentOf,
  expectFunctionErrorsAlarm,
  expectQueueAlarm,
  expectQueueRefusesPlainHttp,
  logicalId,
  render,
  roleStatements,
  synthOutbox,
  testApp,
} from './synth';

const DELIVERY = 'Outbox webhook delivery';
/** SQS's limit on a visibility timeout, counted from the receive. */
const SQS_MAX_VISIBILITY_SECONDS = 43_200;

describe('OutboxStack webhooks and notifications', () => {
  const { stack, template } = synthOutbox({ identities: ['example.com'] });
  const topic = logicalId(stack, stack.notifications.topic);
  const key = logicalId(stack, stack.notifications.key);
  const queue = logicalId(stack, stack.webhooks.queue);
  const deadLetterQueue = logicalId(stack, stack.webhooks.deadLetterQueue);
  const webhooksTable = logicalId(stack, stack.tables.webhooks.table);
  const deliveryFunction = stack.webhooks.deliveryFunction;
  const webhooksTableResources = [`\${${webhooksTable}.Arn}`, `\${${webhooksTable}.Arn}/index/by-list`];

  /** The DynamoDB resources the role may use, rendered and sorted. */
  const dynamoResources = (statements: Array<Record<string, unknown>>): string[] =>
    statements
      .filter((s) => actionsOf(s).some((action) => action.startsWith('dynamodb:')))
      .flatMap((s) => asArray(s.Resource))
      .map(render)
      .sort();
  /** Every action the statements allow on the webhooks table. */
  const webhooksActions = (statements: Array<Record<string, unknown>>): string[] =>
    statements.filter((s) => asArray(s.Resource).map(render).includes(`\${${webhooksTable}.Arn}`)).flatMap(actionsOf);
  const writesWebhooks = (statements: Array<Record<string, unknown>>): boolean =>
    statements.some(
      (s) =>
        asArray(s.Resource).map(render).includes(`\${${webhooksTable}.Arn}`) &&
        ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'].every((action) => actionsOf(s).includes(action)),
    );

  describe('notifications topic', () => {
    it('is a Standard topic encrypted with its own rotated key', () => {
      const topics = template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'Outbox notifications' } });
      expect(Object.keys(topics)).toEqual([topic]);
      expect(topics[topic]!.Properties.FifoTopic).toBeUndefined();
      expect(topics[topic]!.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
      expect(key).not.toBe(logicalId(stack, stack.ses.eventsKey));
      expect(template.findResources('AWS::KMS::Key')[key]!.Properties.EnableKeyRotation).toBe(true);
    });

    it('refuses plain-HTTP access to the topic', () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topic }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('outputs the topic ARN as NotificationsTopicArn', () => {
      expect(template.findOutputs('NotificationsTopicArn').NotificationsTopicArn!.Value).toEqual({ Ref: topic });
    });

    it.each([
      ['events Lambda', 'Outbox SES events consumer', stack.eventsFunction],
      ['sender', 'Outbox sender', stack.outbound.senderFunction],
      // sending.paused / sending.resumed from POST /sending/pause|resume.
      ['api Lambda', 'Outbox HTTP API', stack.apiFunction],
      ['reputation alarm handler', 'Outbox reputation alarm: pauses sending', stack.reputationGuard.pauseFunction],
    ] as const)('lets the %s publish to it with the two key actions SNS needs, and tells it the ARN', (_, description, fn) => {
      const statements = roleStatements(template, stack, fn.role);
      const sns = statements.filter((s) => actionsOf(s).some((action) => action.startsWith('sns:')));
      expect(sns).toEqual([{ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: topic } }]);
      const kms = statements.filter((s) => actionsOf(s).some((action) => action.startsWith('kms:')));
      expect(kms).toEqual([{ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [key, 'Arn'] } }]);
      expect(environmentOf(template, description)[ENV.notificationsTopicArn]).toEqual({ Ref: topic });
    });

    it('lets no other Lambda publish or use a key', () => {
      for (const fn of [deliveryFunction, stack.scheduler.function, stack.console.function]) {
        const actions = roleStatements(template, stack, fn.role).flatMap(actionsOf);
        expect({ fn: fn.node.id, actions: actions.filter((a) => a.startsWith('sns:') || a.startsWith('kms:')) }).toEqual({
          fn: fn.node.id,
          actions: [],
        });
      }
    });
  });

  describe('webhook deliveries queue', () => {
    it(`moves a delivery to its own dead-letter queue after WEBHOOK_MAX_ATTEMPTS (${WEBHOOK_MAX_ATTEMPTS}) receives`, () => {
      const redrive = template.findResources('AWS::SQS::Queue')[queue]!.Properties.RedrivePolicy;
      expect(redrive).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterQueue, 'Arn'] }, maxReceiveCount: WEBHOOK_MAX_ATTEMPTS });
      expect(WEBHOOK_MAX_ATTEMPTS).toBe(WEBHOOK_RETRY_DELAYS_SECONDS.length + 1);
    });

    it('sets the visibility timeout to six times the delivery Lambda timeout (180 s for 30 s)', () => {
      const timeout = new Capture();
      template.hasResourceProperties('AWS::Lambda::Function', { Description: DELIVERY, Timeout: timeout });
      const visibility = template.findResources('AWS::SQS::Queue')[queue]!.Properties.VisibilityTimeout;
      expect({ timeout: timeout.asNumber(), visibility }).toEqual({ timeout: 30, visibility: 180 });
    });

    it('keeps a delivery for over twice its whole retry schedule, jitter included, and 14 days in the dead-letter queue', () => {
      const queues = template.findResources('AWS::SQS::Queue');
      const retention = queues[queue]!.Properties.MessageRetentionPeriod as number;
      const schedule = WEBHOOK_RETRY_DELAYS_SECONDS.reduce((sum, delay) => sum + delay, 0) * 1.2 + WEBHOOK_MAX_ATTEMPTS * 30;
      expect(retention).toBe(4 * 24 * 3600);
      expect(retention).toBeGreaterThan(2 * schedule);
      expect(queues[deadLetterQueue]!.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    });

    it('sets no retry delay that SQS would refuse once a whole invocation has passed since the receive', () => {
      for (const delay of WEBHOOK_RETRY_DELAYS_SECONDS) expect(delay + 30).toBeLessThanOrEqual(SQS_MAX_VISIBILITY_SECONDS);
    });

    it('lets only the Lambdas that notify (events, sender, api, reputation alarm handler) queue deliveries, and tells them the queue URL', () => {
      const functions = [
        stack.apiFunction,
        stack.console.function,
        stack.eventsFunction,
        deliveryFunction,
        stack.outbound.senderFunction,
        stack.scheduler.function,
        stack.reputationGuard.pauseFunction,
      ];
      const sending = functions
        .filter((fn) =>
          roleStatements(template, stack, fn.role).some((s) => asArray(s.Resource).map(render).includes(`\${${queue}.Arn}`) && actionsOf(s).includes('sqs:SendMessage')),
        )
        .map((fn) => fn.node.id)
        .sort();
      expect(sending).toEqual(
        [stack.eventsFunction.node.id, stack.outbound.senderFunction.node.id, stack.apiFunction.node.id, stack.reputationGuard.pauseFunction.node.id].sort(),
      );
      for (const description of ['Outbox SES events consumer', 'Outbox sender', 'Outbox HTTP API', 'Outbox reputation alarm: pauses sending']) {
        expect(environmentOf(template, description)[ENV.webhookQueueUrl]).toEqual({ Ref: queue });
      }
    });

    it('encrypts both webhook queues and refuses plain-HTTP access to them', () => {
      for (const id of [queue, deadLetterQueue]) {
        expect(template.findResources('AWS::SQS::Queue')[id]!.Properties.SqsManagedSseEnabled).toBe(true);
        expectQueueRefusesPlainHttp(template, id);
      }
    });

    it('alarms as soon as a delivery is visible in the dead-letter queue, through Monitoring', () => {
      expectQueueAlarm(template, deadLetterQueue, 'ApproximateNumberOfMessagesVisible', 0);
      expect(stack.monitoring.alarms).toContain(stack.webhooks.deadLetterAlarm);
    });
  });

  describe('delivery Lambda', () => {
    const statements = roleStatements(template, stack, deliveryFunction.role);

    it('runs on arm64 with nodejs24.x, 256 MB and a 30 s timeout, outside any VPC', () => {
      const functions = template.findResources('AWS::Lambda::Function', { Properties: { Description: DELIVERY } });
      expect(Object.keys(functions)).toEqual([logicalId(stack, deliveryFunction.function)]);
      const properties = Object.values(functions)[0]!.Properties;
      expect(properties).toMatchObject({ Architectures: ['arm64'], Runtime: 'nodejs24.x', MemorySize: 256, Timeout: 30 });
      expect(properties.VpcConfig).toBeUndefined();
    });

    it('consumes the webhook queue in batches of 10 with partial batch failures and at most 2 instances, as fits a new account', () => {
      const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] } },
      });
      expect(Object.values(mappings).map((m) => m.Properties)).toEqual([
        {
          EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
          FunctionName: { Ref: logicalId(stack, deliveryFunction.function) },
          BatchSize: 10,
          MaximumBatchingWindowInSeconds: 5,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: 2 },
        },
      ]);
    });

    it('knows the webhooks table, the queue URL and the retention, and nothing else', () => {
      expect(environmentOf(template, DELIVERY)).toEqual({
        [WEBHOOKS_TABLE.envVar]: { Ref: webhooksTable },
        [ENV.webhookQueueUrl]: { Ref: queue },
        [ENV.retentionDays]: '90',
      });
    });

    it('may change the visibility of, receive and delete messages of the webhook queue only, and never send', () => {
      const sqs = statements.filter((s) => actionsOf(s).some((action) => action.startsWith('sqs:')));
      expect(sqs).toHaveLength(1);
      expect(actionsOf(sqs[0]!)).toEqual(
        expect.arrayContaining(['sqs:ChangeMessageVisibility', 'sqs:ReceiveMessage', 'sqs:DeleteMessage']),
      );
      expect(actionsOf(sqs[0]!)).not.toContain('sqs:SendMessage');
      expect(asArray(sqs[0]!.Resource)).toEqual([{ 'Fn::GetAtt': [queue, 'Arn'] }]);
    });

    it('reads and writes the webhooks table and its index, and no other table', () => {
      expect(dynamoResources(statements)).toEqual(webhooksTableResources);
      expect(writesWebhooks(statements)).toBe(true);
    });

    it('has nothing beyond its logs, the queue and the table: no SES, SNS or KMS', () => {
      const services = new Set(statements.flatMap(actionsOf).map((action) => action.split(':')[0]));
      expect([...services].sort()).toEqual(['dynamodb', 'logs', 'sqs']);
    });

    it('alarms when the delivery Lambda crashes or times out', () => {
      expectFunctionErrorsAlarm(template, logicalId(stack, deliveryFunction.function));
    });

    it('bundles the shared webhook delivery entry', () => {
      expect(HANDLER_ENTRIES.webhookDelivery).toBe('lambda/handlers/webhook-delivery.ts');
    });
  });

  describe('webhooks table', () => {
    it('is point-in-time recoverable, encrypted, expires on expiresAt and lists webhooks through by-list', () => {
      const table = template.findResources('AWS::DynamoDB::Table')[webhooksTable]!.Properties;
      expect(table).toMatchObject({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        GlobalSecondaryIndexes: [
          {
            IndexName: 'by-list',
            KeySchema: [
              { AttributeName: 'listKey', KeyType: 'HASH' },
              { AttributeName: 'pk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      });
      expect(TTL_ATTRIBUTE).toBe('expiresAt');
    });

    it('lets the api Lambda read and write it and tells it the table name', () => {
      const statements = roleStatements(template, stack, stack.apiFunction.role);
      expect(dynamoResources(statements)).toEqual(expect.arrayContaining(webhooksTableResources));
      expect(writesWebhooks(statements)).toBe(true);
      expect(environmentOf(template, 'Outbox HTTP API')[WEBHOOKS_TABLE.envVar]).toEqual({ Ref: webhooksTable });
    });

    it.each([
      ['events Lambda', 'Outbox SES events consumer', stack.eventsFunction],
      ['sender', 'Outbox sender', stack.outbound.senderFunction],
    ] as const)('lets the %s only read it and its index (which webhooks subscribe to what) and tells it the table name', (_, description, fn) => {
      const statements = roleStatements(template, stack, fn.role);
      expect(dynamoResources(statements)).toEqual(expect.arrayContaining(webhooksTableResources));
      expect(webhooksActions(statements)).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
      expect(webhooksActions(statements).filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
      expect(writesWebhooks(statements)).toBe(false);
      expect(environmentOf(template, description)[WEBHOOKS_TABLE.envVar]).toEqual({ Ref: webhooksTable });
    });
  });

  it('needs no cdk-nag acknowledgement for the webhooks or the notifications topic', () => {
    expect(acknowledgements(stack.webhooks)).toEqual([]);
    expect(acknowledgements(stack.notifications)).toEqual([]);
  });
});

describe('Webhooks', () => {
  it('caps the delivery Lambda at the concurrency it is given', () => {
    const stack = new Stack(testApp(), 'Test');
    const tables = new Tables(stack, 'Tables');
    new Webhooks(stack, 'Webhooks', {
      entry: path.resolve(__dirname, '../..', HANDLER_ENTRIES.webhookDelivery),
      table: tables.webhooks,
      retentionDays: 30,
      maxConcurrency: 20,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 20 } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: DELIVERY,
      Environment: { Variables: Match.objectLike({ [ENV.retentionDays]: '30' }) },
    });
  });
});
