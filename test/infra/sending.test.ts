import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { readApiConfig, readAuthorizerConfig, readEventsConfig, readSchedulerConfig, readSenderConfig, readWebhookDeliveryConfig } from '../../lambda/config';
import { MAX_SCHEDULE_AHEAD_DAYS } from '../../lambda/core/schedule';
import { ENV, HANDLER_ENTRIES, OUTBOUND_MAX_RECEIVE_COUNT, SCHEDULING_HORIZON_DAYS } from '../../lambda/shared/env';
import { CONTROL_TABLE, EMAILS_TABLE } from '../../lambda/shared/tables';
import type { NodeFunction } from '../../lib/constructs/node-function';
import { contentExpirationDays } from '../../lib/constructs/content-bucket';
import { Outbound } from '../../lib/constructs/outbound';
import {
  acknowledgements,
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
  const bucket = logicalId(stack, stack.content.bucket);
  const emails = logicalId(stack, stack.tables.emails.table);
  const control = logicalId(stack, stack.tables.control.table);
  const configurationSet = logicalId(stack, stack.ses.configurationSet);
  const sender = stack.outbound.senderFunction;
  const scheduler = stack.scheduler.function;
  const emailsResources = [`\${${emails}.Arn}`, ...EMAILS_TABLE.globalIndexes.map((index) => `\${${emails}.Arn}/index/${index.indexName}`)];
  const objects = `\${${bucket}.Arn}/*`;
  const variablesOf = (fn: NodeFunction): Record<string, unknown> =>
    template.findResources('AWS::Lambda::Function')[logicalId(stack, fn.function)]!.Properties.Environment?.Variables ?? {};

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

    it('consumes the outbound queue in batches of 10 with partial batch failures and at most 10 instances', () => {
      const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] } },
      });
      expect(Object.values(mappings).map((m) => m.Properties)).toEqual([
        {
          EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
          FunctionName: { Ref: logicalId(stack, sender.function) },
          BatchSize: 10,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: 10 },
        },
      ]);
    });

    it('sends only from the identities through the configuration set, and reads the account quota', () => {
      const send = statements.filter((s) => actionsOf(s).includes('ses:SendEmail'));
      expect(send).toHaveLength(1);
      expect(actionsOf(send[0]!).sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
      expect(asArray(send[0]!.Resource).map(render).sort()).toEqual(
        [`${SES_ARN}:configuration-set/\${${configurationSet}}`, `${SES_ARN}:identity/example.com`, `${SES_ARN}:identity/noreply@example.org`].sort(),
      );
      expect(statements.filter((s) => actionsOf(s).includes('ses:GetAccount'))).toEqual([
        { Effect: 'Allow', Action: 'ses:GetAccount', Resource: '*' },
      ]);
    });

    it('reads and writes the emails table with its indexes and the control table, and no other table', () => {
      expect(resourcesFor(statements, 'dynamodb')).toEqual([...emailsResources, `\${${control}.Arn}`].sort());
      for (const table of [emails, control]) {
        expect(actionsOn(statements, `\${${table}.Arn}`)).toEqual(
          expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']),
        );
      }
    });

    it('only reads content objects', () => {
      expect(resourcesFor(statements, 's3')).toEqual([objects]);
      expect(actionsOn(statements, objects)).toEqual(['s3:GetObject']);
    });

    it('consumes the outbound queue, changing visibility for retries, and requeues long-waiting jobs on it and no other queue', () => {
      expect(resourcesFor(statements, 'sqs')).toEqual([`\${${queue}.Arn}`]);
      const actions = actionsOn(statements, `\${${queue}.Arn}`);
      expect(actions).toEqual(expect.arrayContaining(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:ReceiveMessage', 'sqs:SendMessage']));
    });

    it('reaches nothing but its logs, DynamoDB, S3, SES and its queue: no SNS or KMS', () => {
      expect(servicesOf(statements)).toEqual(['dynamodb', 'logs', 's3', 'ses', 'sqs']);
    });

    it('knows its two tables, the configuration set, the queue URL, the bucket and the retention, and no send-rate override', () => {
      expect(environmentOf(template, SENDER)).toEqual({
        [EMAILS_TABLE.envVar]: { Ref: emails },
        [CONTROL_TABLE.envVar]: { Ref: control },
        [ENV.configurationSet]: { Ref: configurationSet },
        [ENV.outboundQueueUrl]: { Ref: queue },
        [ENV.contentBucket]: { Ref: bucket },
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

  describe('content bucket', () => {
    const resource = template.findResources('AWS::S3::Bucket')[bucket]!;

    it('is the only bucket and blocks every kind of public access, with ACLs disabled', () => {
      template.resourceCountIs('AWS::S3::Bucket', 1);
      expect(resource.Properties).toMatchObject({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
    });

    it('encrypts objects with S3-managed keys and keeps no versions', () => {
      expect(resource.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
      expect(resource.Properties.VersioningConfiguration).toBeUndefined();
    });

    it('refuses every request not made over TLS', () => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucket },
        PolicyDocument: {
          Statement: [Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })],
        },
      });
    });

    it('keeps content as long as the longest email record (retention after a scheduled time up to 30 days ahead) and a day, and aborts unfinished uploads after a day', () => {
      expect(resource.Properties.LifecycleConfiguration).toEqual({
        Rules: [{ Id: 'ExpireWithRetention', Status: 'Enabled', ExpirationInDays: 90 + 30 + 1, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }],
      });
      expect(contentExpirationDays(7)).toBe(7 + 30 + 1);
    });

    it('counts the scheduling horizon the send API allows', () => {
      expect(SCHEDULING_HORIZON_DAYS).toBe(MAX_SCHEDULE_AHEAD_DAYS);
    });

    it('is retained with its objects when the stack is deleted', () => {
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
      template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    });

    it('keeps no server access logs, with the reason acknowledged', () => {
      expect(resource.Properties.LoggingConfiguration).toBeUndefined();
      expect(acknowledgements(stack.content).map((a) => [a.id, a.path])).toEqual([
        ['Annotation::AwsSolutions-S1', stack.content.bucket.node.path],
      ]);
    });

    it('lets the api Lambda read, write and delete objects, the sender only read them, and no other Lambda reach S3', () => {
      const s3Actions = (fn: NodeFunction): string[] => actionsOn(roleStatements(template, stack, fn.role), objects);
      expect(s3Actions(stack.apiFunction)).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
      expect(resourcesFor(roleStatements(template, stack, stack.apiFunction.role), 's3')).toEqual([objects]);
      expect(s3Actions(sender)).toEqual(['s3:GetObject']);
      for (const fn of [stack.authorizerFunction, stack.eventsFunction, stack.webhooks.deliveryFunction, scheduler]) {
        const s3 = servicesOf(roleStatements(template, stack, fn.role)).includes('s3');
        const told = ENV.contentBucket in variablesOf(fn);
        expect({ fn: fn.node.id, s3, told }).toEqual({ fn: fn.node.id, s3: false, told: false });
      }
    });
  });

  describe('api Lambda', () => {
    const statements = roleStatements(template, stack, stack.apiFunction.role);

    it('queues emails on the outbound queue and never consumes it', () => {
      expect(actionsOn(statements, `\${${queue}.Arn}`)).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
      expect(resourcesFor(statements, 'sqs')).toEqual([`\${${queue}.Arn}`]);
    });

    it('reads and writes the control table', () => {
      expect(actionsOn(statements, `\${${control}.Arn}`)).toEqual(
        expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']),
      );
    });

    it('knows the outbound queue, the control table and the content bucket, and no ClamAV daemon unless one is configured', () => {
      const environment = environmentOf(template, API);
      expect(environment).toMatchObject({
        [ENV.outboundQueueUrl]: { Ref: queue },
        [CONTROL_TABLE.envVar]: { Ref: control },
        [ENV.contentBucket]: { Ref: bucket },
      });
      expect(Object.keys(environment)).not.toContain(ENV.clamd);
      expect(Object.keys(environment)).not.toContain(ENV.maxSendRate);
    });
  });

  describe('environment of each Lambda', () => {
    it.each([
      [API, readApiConfig],
      ['Outbox SES events consumer', readEventsConfig],
      ['Outbox webhook delivery', readWebhookDeliveryConfig],
      ['Outbox API key authorizer', readAuthorizerConfig],
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

  it('passes the cdk-nag AwsSolutions checks, acknowledging the object wildcard for the two S3 grants only', () => {
    expect(nagViolations(synthesized)).toEqual([]);
    const wildcards = acknowledgements(stack).filter((a) => a.id === `Annotation::AwsSolutions-IAM5[Resource::<${bucket}.Arn>/*]`);
    expect(wildcards.map((a) => a.path).sort()).toEqual([stack.apiFunction.node.path, sender.node.path].sort());
  });

  it('bundles one Lambda per handler entry, the sender and the scheduler included', () => {
    expect(HANDLER_ENTRIES.sender).toBe('lambda/handlers/sender.ts');
    expect(HANDLER_ENTRIES.scheduler).toBe('lambda/handlers/scheduler.ts');
    template.resourceCountIs('AWS::Lambda::Function', Object.keys(HANDLER_ENTRIES).length);
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
