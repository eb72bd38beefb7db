import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readApiConfig, readEventsConfig, readSchedulerConfig, readSenderConfig, readWebhookDeliveryConfig } from '../../lambda/config';
import { ENV, HANDLER_ENTRIES, OUTBOUND_MAX_RECEIVE_COUNT } from '../../lambda/shared/env';
import { CONTROL_TABLE, EMAILS_TABLE, WEBHOOKS_TABLE } from '../../lambda/shared/tables';
import { Outbound } from '../../lib/constructs/outbound';
import {
  actionsOf,
  asArray,
  environmentOf,
  expectFunctionErrorsAlarm,
  expectQueueAlarm,
  expectQueueRefusesPlainHttp,
  logicalId,
  nagViolations,
  render,
  roleStatements,
  synthOutbox,
  testApp,
} from './synth';

const SENDER = 'Outbox sender';
const SCHEDULER = 'Outbox scheduler';
const API = 'Outbox HTTP API';
const SES_ARN = 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}';
const DAY = 24 * 3600;

type Statement = Record<string, unknown>;

/** The resources the statements grant these actions' service on, rendered and sorted. */
function resourcesFor(statements: Statement[], service: string): string[] {
  return statements
    .filter((s) => actionsOf(s).some((action) => action.startsWith(`${service}:`)))
    .flatMap((s) => asArray(s.Resource))
    .map(render)
    .sort();
}

/** The actions the statements allow on this resource, sorted. */
function actionsOn(statements: Statement[], resource: string): string[] {
  return statements
    .filter((s) => asArray(s.Resource).map(render).includes(resource))
    .flatMap(actionsOf)
    .sort();
}

/** The AWS services the statements reach, sorted. */
function servicesOf(statements: Statement[]): string[] {
  return [...new Set(statements.flatMap(actionsOf).map((action) => action.split(':')[0]!))].sort();
}

/** A function's environment with every CloudFormation reference standing in as a plain value. */
function resolvedEnvironment(variables: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : 'resolved']));
}

describe('OutboxStack sending surface', () => {
  const synthesized = synthOutbox({ identities: ['example.com', 'noreply@example.org'] });
  const { stack, template } = synthesized;
  const queue = logicalId(stack, stack.outbound.queue);
  const deadLetterQueue = logicalId(stack, stack.outbound.deadLetterQueue);
  const emails = logicalId(stack, stack.tables.emails.table);
  const control = logicalId(stack, stack.tables.control.table);
  const webhooks = logicalId(stack, stack.tables.webhooks.table);
  const webhookQueue = logicalId(stack, stack.webhooks.queue);
  const notificationsTopic = logicalId(stack, stack.notifications.topic);
  const notificationsKey = logicalId(stack, stack.notifications.key);
  const configurationSet = logicalId(stack, stack.ses.configurationSet);
  const sender = stack.outbound.senderFunction;
  const scheduler = stack.scheduler.function;
  const webhooksResources = [`\${${webhooks}.Arn}`, ...WEBHOOKS_TABLE.globalIndexes.map((index) => `\${${webhooks}.Arn}/index/${index.indexName}`)];
  const emailsResources = [`\${${emails}.Arn}`, ...EMAILS_TABLE.globalIndexes.map((index) => `\${${emails}.Arn}/index/${index.indexName}`)];

  describe('outbound queue', () => {
    it(`moves an email to its own dead-letter queue only after the sender's ${OUTBOUND_MAX_RECEIVE_COUNT} receives, so throttling retries never do`, () => {
      const redrive = template.findResources('AWS::SQS::Queue')[queue]!.Properties.RedrivePolicy;
      expect(redrive).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterQueue, 'Arn'] }, maxReceiveCount: OUTBOUND_MAX_RECEIVE_COUNT });
      expect(OUTBOUND_MAX_RECEIVE_COUNT).toBe(100);
    });

    it('sets the visibility timeout to six times the sender timeout (180 s for 30 s)', () => {
      const timeout = template.findResources('AWS::Lambda::Function')[logicalId(stack, sender.function)]!.Properties.Timeout;
      const visibility = template.findResources('AWS::SQS::Queue')[queue]!.Properties.VisibilityTimeout;
      expect({ timeout, visibility }).toEqual({ timeout: 30, visibility: 180 });
    });

    it('keeps queued and dead-lettered emails 14 days', () => {
      const queues = template.findResources('AWS::SQS::Queue');
      expect(queues[queue]!.Properties.MessageRetentionPeriod).toBe(14 * DAY);
      expect(queues[deadLetterQueue]!.Properties.MessageRetentionPeriod).toBe(14 * DAY);
    });

    it('encrypts both outbound queues and refuses plain-HTTP access to them', () => {
      for (const id of [queue, deadLetterQueue]) {
        expect(template.findResources('AWS::SQS::Queue')[id]!.Properties.SqsManagedSseEnabled).toBe(true);
        expectQueueRefusesPlainHttp(template, id);
      }
    });

    it('alarms as soon as an email is visible in the dead-letter queue, through Monitoring', () => {
      expectQueueAlarm(template, deadLetterQueue, 'ApproximateNumberOfMessagesVisible', 0);
      expect(stack.monitoring.alarms).toContain(stack.outbound.deadLetterAlarm);
    });

    it('alarms when the oldest queued email has waited over an hour, through Monitoring', () => {
      expectQueueAlarm(template, queue, 'ApproximateAgeOfOldestMessage', 3600);
      expect(stack.monitoring.alarms).toContain(stack.outbound.backlogAlarm);
    });
  });

  describe('sender Lambda', () => {
    const statements = roleStatements(template, stack, sender.role);

    it('runs on arm64 with nodejs24.x, 512 MB and a 30 s timeout', () => {
      const properties = template.findResources('AWS::Lambda::Function')[logicalId(stack, sender.function)]!.Properties;
      expect(properties).toMatchObject({ Description: SENDER, Architectures: ['arm64'], Runtime: 'nodejs24.x', MemorySize: 512, Timeout: 30 });
    });

    it('consumes the outbound queue in batches of 10 with partial batch failures and at most 2 instances, as fits a new account', () => {
      const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] } },
      });
      expect(Object.values(mappings).map((m) => m.Properties)).toEqual([
        {
          EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
          FunctionName: { Ref: logicalId(stack, sender.function) },
          BatchSize: 10,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: 2 },
        },
      ]);
    });

    it('sends only from the identities through the configuration set (and the domains API\'s, tagged), with any template, and reads the account quota', () => {
      const send = statements.filter((s) => actionsOf(s).includes('ses:SendEmail') && s.Condition === undefined);
      expect(send).toHaveLength(1);
      expect(statements.filter((s) => actionsOf(s).includes('ses:SendEmail') && s.Condition !== undefined).map((s) => render(s.Resource))).toEqual([`${SES_ARN}:identity/*`]);
      expect(actionsOf(send[0]!).sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
      expect(asArray(send[0]!.Resource).map(render).sort()).toEqual(
        [
          `${SES_ARN}:configuration-set/\${${configurationSet}}`,
          `${SES_ARN}:identity/example.com`,
          `${SES_ARN}:identity/noreply@example.org`,
          `${SES_ARN}:template/*`,
        ].sort(),
      );
      expect(statements.filter((s) => actionsOf(s).includes('ses:GetAccount'))).toEqual([
        { Effect: 'Allow', Action: 'ses:GetAccount', Resource: '*' },
      ]);
    });

    it('reads and writes the emails table with its indexes and the control table, only reads the webhooks table, and no other table', () => {
      expect(resourcesFor(statements, 'dynamodb')).toEqual([...emailsResources, `\${${control}.Arn}`, ...webhooksResources].sort());
      for (const table of [emails, control]) {
        expect(actionsOn(statements, `\${${table}.Arn}`)).toEqual(
          expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']),
        );
      }
      const onWebhooks = actionsOn(statements, `\${${webhooks}.Arn}`);
      expect(onWebhooks).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
      expect(onWebhooks.filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
    });

    it('consumes the outbound queue, changing visibility for retries, requeues long-waiting jobs on it, and only sends to the webhook queue', () => {
      expect(resourcesFor(statements, 'sqs')).toEqual([`\${${queue}.Arn}`, `\${${webhookQueue}.Arn}`].sort());
      const actions = actionsOn(statements, `\${${queue}.Arn}`);
      expect(actions).toEqual(expect.arrayContaining(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:ReceiveMessage', 'sqs:SendMessage']));
      expect(actionsOn(statements, `\${${webhookQueue}.Arn}`)).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    });

    it('publishes to the notifications topic only, with its key, for emails SES refuses for good', () => {
      expect(resourcesFor(statements, 'sns')).toEqual([`\${${notificationsTopic}}`]);
      expect(actionsOn(statements, `\${${notificationsTopic}}`)).toEqual(['sns:Publish']);
      expect(resourcesFor(statements, 'kms')).toEqual([`\${${notificationsKey}.Arn}`]);
    });

    it('reaches nothing but its logs, DynamoDB, SES, its queues and the notifications topic with its key: no S3', () => {
      expect(servicesOf(statements)).toEqual(['dynamodb', 'kms', 'logs', 'ses', 'sns', 'sqs']);
    });

    it('knows its tables, the configuration set, the queue URLs, the notifications topic and the retention, and no send-rate override', () => {
      expect(environmentOf(template, SENDER)).toEqual({
        [EMAILS_TABLE.envVar]: { Ref: emails },
        [CONTROL_TABLE.envVar]: { Ref: control },
        [WEBHOOKS_TABLE.envVar]: { Ref: webhooks },
        [ENV.configurationSet]: { Ref: configurationSet },
        [ENV.outboundQueueUrl]: { Ref: queue },
        [ENV.webhookQueueUrl]: { Ref: webhookQueue },
        [ENV.notificationsTopicArn]: { Ref: notificationsTopic },
        [ENV.retentionDays]: '90',
      });
    });

    it('alarms when the sender crashes or times out', () => {
      expectFunctionErrorsAlarm(template, logicalId(stack, sender.function));
    });
  });

  describe('scheduler Lambda', () => {
    const statements = roleStatements(template, stack, scheduler.role);
    const schedulerFunction = logicalId(stack, scheduler.function);

    it('runs every minute from an EventBridge rule, stale ticks dropped', () => {
      const rules = Object.values(template.findResources('AWS::Events::Rule')).map((r) => r.Properties);
      expect(rules).toEqual([
        expect.objectContaining({
          ScheduleExpression: 'rate(1 minute)',
          State: 'ENABLED',
          Targets: [
            {
              Arn: { 'Fn::GetAtt': [schedulerFunction, 'Arn'] },
              Id: expect.any(String),
              RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 2 },
            },
          ],
        }),
      ]);
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [schedulerFunction, 'Arn'] },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [logicalId(stack, stack.scheduler.rule), 'Arn'] },
      });
    });

    it('leaves a failed run to the next tick: no async retries, no event older than a minute', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: schedulerFunction },
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
      });
    });

    it('runs on arm64 with nodejs24.x, 256 MB and a 60 s timeout', () => {
      const properties = template.findResources('AWS::Lambda::Function')[schedulerFunction]!.Properties;
      expect(properties).toMatchObject({ Description: SCHEDULER, Architectures: ['arm64'], Runtime: 'nodejs24.x', MemorySize: 256, Timeout: 60 });
    });

    it('reads and writes the emails table, its by-due index included, and no other table', () => {
      expect(resourcesFor(statements, 'dynamodb')).toEqual([...emailsResources].sort());
      expect(resourcesFor(statements, 'dynamodb')).toContain(`\${${emails}.Arn}/index/by-due`);
      expect(actionsOn(statements, `\${${emails}.Arn}`)).toEqual(
        expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']),
      );
    });

    it('only sends to the outbound queue', () => {
      expect(resourcesFor(statements, 'sqs')).toEqual([`\${${queue}.Arn}`]);
      expect(actionsOn(statements, `\${${queue}.Arn}`)).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    });

    it('reaches nothing but its logs, the emails table and the outbound queue', () => {
      expect(servicesOf(statements)).toEqual(['dynamodb', 'logs', 'sqs']);
    });

    it('knows the emails table and the queue URL, and nothing else', () => {
      expect(environmentOf(template, SCHEDULER)).toEqual({
        [EMAILS_TABLE.envVar]: { Ref: emails },
        [ENV.outboundQueueUrl]: { Ref: queue },
      });
    });

    it('alarms when the scheduler crashes or times out', () => {
      expectFunctionErrorsAlarm(template, schedulerFunction);
    });
  });

  describe('api Lambda', () => {
    const statements = roleStatements(template, stack, stack.apiFunction.role);

    it('queues emails on the outbound queue and sending notifications on the webhook queue, and consumes neither', () => {
      expect(actionsOn(statements, `\${${queue}.Arn}`)).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
      expect(actionsOn(statements, `\${${webhookQueue}.Arn}`).filter((action) => /Receive|Delete|ChangeMessageVisibility/.test(action))).toEqual([]);
      expect(resourcesFor(statements, 'sqs').sort()).toEqual([`\${${queue}.Arn}`, `\${${webhookQueue}.Arn}`].sort());
    });

    it('reads and writes the sending pause in the control table (sync sends read it, /sending switches it)', () => {
      expect(actionsOn(statements, `\${${control}.Arn}`)).toEqual(expect.arrayContaining(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem']));
    });

    it('knows the outbound queue and the control table, and no ClamAV daemon unless one is configured', () => {
      const environment = environmentOf(template, API);
      expect(environment).toMatchObject({ [ENV.outboundQueueUrl]: { Ref: queue }, [CONTROL_TABLE.envVar]: { Ref: control } });
      expect(Object.keys(environment)).not.toContain(ENV.clamd);
      expect(Object.keys(environment)).not.toContain(ENV.maxSendRate);
    });
  });

  describe('environment of each Lambda', () => {
    it.each([
      [API, readApiConfig],
      ['Outbox SES events consumer', readEventsConfig],
      ['Outbox webhook delivery', readWebhookDeliveryConfig],
      [SENDER, readSenderConfig],
      [SCHEDULER, readSchedulerConfig],
    ] as const)('gives "%s" every variable its config reader requires', (description, read) => {
      expect(() => read(resolvedEnvironment(environmentOf(template, description)))).not.toThrow();
    });

    it('gives the outbound queue URL only to the api, the sender and the scheduler', () => {
      const functions = Object.values(template.findResources('AWS::Lambda::Function'));
      const withQueue = functions
        .filter((fn) => ENV.outboundQueueUrl in (fn.Properties.Environment?.Variables ?? {}))
        .map((fn) => fn.Properties.Description as string)
        .sort();
      expect(withQueue).toEqual([API, SCHEDULER, SENDER].sort());
    });
  });

  it('passes the cdk-nag AwsSolutions checks', () => {
    expect(nagViolations(synthesized)).toEqual([]);
  });

  it('keeps email content in the emails table: no bucket, and no Lambda reaches S3', () => {
    template.resourceCountIs('AWS::S3::Bucket', 0);
    const functions = [stack.apiFunction, sender, stack.console.function, stack.eventsFunction, stack.webhooks.deliveryFunction, scheduler];
    const reachingS3 = functions.filter((fn) => servicesOf(roleStatements(template, stack, fn.role)).includes('s3')).map((fn) => fn.node.id);
    expect(reachingS3).toEqual([]);
  });

  it("bundles one Lambda per handler entry, the sender and the scheduler included, but the sending identity's and the SMTP credentials' (no sending domain, no outbox:smtpUser here)", () => {
    expect(HANDLER_ENTRIES.sender).toBe('lambda/handlers/sender.ts');
    expect(HANDLER_ENTRIES.scheduler).toBe('lambda/handlers/scheduler.ts');
    template.resourceCountIs('AWS::Lambda::Function', Object.keys(HANDLER_ENTRIES).length - 2);
  });
});

describe('Outbound', () => {
  const entry = path.resolve(__dirname, '../..', HANDLER_ENTRIES.sender);

  it('caps the sender at the concurrency it is given', () => {
    const stack = new Stack(testApp(), 'Test');
    new Outbound(stack, 'Outbound', { entry, retentionDays: 7, maxConcurrency: 4 });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 4 } });
  });

  it('reports a bad send rate and a bad concurrency at once', () => {
    const stack = new Stack(testApp(), 'Test');
    expect(() => new Outbound(stack, 'Outbound', { entry, retentionDays: 7, maxSendRate: 0, maxConcurrency: 1 })).toThrow(
      /maxSendRate must be a positive number[^]*maxConcurrency must be a whole number from 2 to 1000/,
    );
  });
});
