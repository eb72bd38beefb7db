import { Annotations, Capture, Match, type Template } from 'aws-cdk-lib/assertions';
import { API_DOMAIN_TAG, ENV, HANDLER_ENTRIES } from '../../lambda/shared/env';
import {
  ALL_TABLES,
  API_KEYS_TABLE,
  CONTROL_TABLE,
  EMAILS_TABLE,
  SUPPRESSIONS_TABLE,
  TTL_ATTRIBUTE,
  WEBHOOKS_TABLE,
} from '../../lambda/shared/tables';
import { CONTEXT } from '../../lib/context';
import {
  acknowledgements,
  asArray,
  environmentOf,
  expectFunctionErrorsAlarm,
  expectQueueAlarm,
  expectQueueRefusesPlainHttp,
  logicalId,
  nagViolations,
  policyStatements,
  render,
  roleStatements,
  synthOutbox,
  synthOutboxFromContext,
} from './synth';

const ALL_EVENT_TYPES = [
  'send',
  'reject',
  'bounce',
  'complaint',
  'delivery',
  'deliveryDelay',
  'renderingFailure',
  'open',
  'click',
  'subscription',
];
const SES_ARN = 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}';

/** The SES send permission: the api's and the sender's statements, which must be the same. */
/** The statement naming the identities the stack was given (the domains API's tagged one aside). */
function sendStatement(template: Template): Record<string, unknown> {
  const statements = policyStatements(template).filter((s) => asArray(s.Action).includes('ses:SendEmail') && s.Condition === undefined);
  expect(statements).toHaveLength(2);
  expect(statements[1]).toEqual(statements[0]);
  return statements[0]!;
}

describe('OutboxStack with existing identities', () => {
  const synthesized = synthOutbox({ identities: ['example.com', 'noreply@example.org'] });
  const { stack, template } = synthesized;

  describe('tables', () => {
    it('builds one table per shared definition', () => {
      template.resourceCountIs('AWS::DynamoDB::Table', ALL_TABLES.length);
    });

    it('makes every table on-demand, point-in-time recoverable and encrypted', () => {
      template.allResourcesProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
    });

    it('retains every table when the stack is deleted', () => {
      for (const table of Object.values(template.findResources('AWS::DynamoDB::Table'))) {
        expect(table.DeletionPolicy).toBe('Retain');
      }
    });

    it('expires emails on expiresAt and indexes them by SES message id, keys only', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        GlobalSecondaryIndexes: Match.arrayWith([
          {
            IndexName: 'by-ses-message-id',
            KeySchema: [{ AttributeName: 'sesMessageId', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ]),
      });
      expect(TTL_ATTRIBUTE).toBe('expiresAt');
      expect(EMAILS_TABLE.globalIndexes.map((index) => index.indexName)).toContain('by-ses-message-id');
    });

    it('expires suppression items on expiresAt and indexes them by id and by origin, newest first', () => {
      const indexes = new Capture();
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'email', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        GlobalSecondaryIndexes: indexes,
      });
      expect(indexes.asArray()).toEqual([
        { IndexName: 'by-id', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
        {
          IndexName: 'by-origin',
          KeySchema: [
            { AttributeName: 'origin', KeyType: 'HASH' },
            { AttributeName: 'id', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ]);
      expect(SUPPRESSIONS_TABLE.timeToLiveAttribute).toBe('expiresAt');
    });

    it('projects each global index as its table definition says: email bodies stay out of the emails table\'s indexes', () => {
      const projections = new Map<string, unknown>();
      for (const table of Object.values(template.findResources('AWS::DynamoDB::Table'))) {
        for (const index of table.Properties.GlobalSecondaryIndexes ?? []) projections.set(index.IndexName, index.Projection);
      }
      expect(projections.get('by-ses-message-id')).toEqual({ ProjectionType: 'KEYS_ONLY' });
      expect(projections.get('by-created-day')).toEqual({ ProjectionType: 'KEYS_ONLY' });
      expect(projections.get('by-due')).toEqual({ ProjectionType: 'ALL' });
      expect(projections.get('by-list')).toEqual({ ProjectionType: 'ALL' });
    });
  });

  describe('Lambdas', () => {
    it("runs every Lambda on arm64 with nodejs24.x, one per handler entry but the sending identity's and the SMTP credentials', which only a sending domain and outbox:smtpUser have", () => {
      template.resourceCountIs('AWS::Lambda::Function', Object.keys(HANDLER_ENTRIES).length - 2);
      template.allResourcesProperties('AWS::Lambda::Function', {
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        LoggingConfig: { LogGroup: Match.anyValue() },
      });
    });

    it("logs JSON and keeps Lambda's own START and REPORT lines out of every function's logs (system log level WARN)", () => {
      template.allResourcesProperties('AWS::Lambda::Function', {
        LoggingConfig: { LogFormat: 'JSON', SystemLogLevel: 'WARN', LogGroup: Match.anyValue() },
      });
    });

    it('tells the api Lambda every table, the configuration set, the retention, the identities and where notifications go', () => {
      // The control table for the sending pause (GET /sending, POST /sending/pause|resume, the sync send's check) and the deliverability counters.
      const tableEnv = Object.fromEntries(ALL_TABLES.map((table) => [table.envVar, { Ref: logicalId(stack, stack.tables.get(table).table) }]));
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: 'Outbox HTTP API',
        Environment: {
          Variables: {
            ...tableEnv,
            [ENV.configurationSet]: { Ref: logicalId(stack, stack.ses.configurationSet) },
            [ENV.retentionDays]: '90',
            [ENV.sendingIdentities]: 'example.com,noreply@example.org',
            // sending.paused / sending.resumed when a person pauses or resumes through the API.
            [ENV.notificationsTopicArn]: { Ref: logicalId(stack, stack.notifications.topic) },
            [ENV.webhookQueueUrl]: { Ref: logicalId(stack, stack.webhooks.queue) },
          },
        },
      });
    });

    it('grants DynamoDB access without wildcards, but for ListStreams, which has no resource type', () => {
      for (const statement of policyStatements(template)) {
        if (!asArray(statement.Action).some((action) => String(action).startsWith('dynamodb:'))) continue;
        // Reading the suppressions stream (the account-level suppression sync); test/infra/iam-wildcards.test.ts lists it.
        if (JSON.stringify(asArray(statement.Action)) === JSON.stringify(['dynamodb:ListStreams'])) continue;
        for (const resource of asArray(statement.Resource)) expect(render(resource)).not.toContain('*');
      }
    });
  });

  describe('SES', () => {
    it('lets the api and sender Lambdas send only from the identities through the configuration set, with any template of the account', () => {
      const statement = sendStatement(template);
      expect(asArray(statement.Action).sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
      const configurationSet = logicalId(stack, stack.ses.configurationSet);
      expect(asArray(statement.Resource).map(render).sort()).toEqual(
        [
          `${SES_ARN}:configuration-set/\${${configurationSet}}`,
          `${SES_ARN}:identity/example.com`,
          `${SES_ARN}:identity/noreply@example.org`,
          // A send with Content.Template is authorized against the template too (SES v2 SendEmail).
          `${SES_ARN}:template/*`,
        ].sort(),
      );
    });

    it('grants on every resource only the SES actions that have no resource type: GetAccount to both, ListEmailIdentities to the api, the suppressed-destination calls to the suppression sync', () => {
      const statements = policyStatements(template).filter((s) => s.Resource === '*' && asArray(s.Action).some((action) => String(action).startsWith('ses:')));
      expect(statements).toEqual([
        { Effect: 'Allow', Action: 'ses:GetAccount', Resource: '*' },
        { Effect: 'Allow', Action: ['ses:GetAccount', 'ses:ListEmailIdentities'], Resource: '*' },
        { Effect: 'Allow', Action: ['ses:DeleteSuppressedDestination', 'ses:PutSuppressedDestination'], Resource: '*' },
      ]);
    });

    it('lets the api read the configured identities with GetEmailIdentity, for GET /account, and others only if tagged for this stack', () => {
      const statements = roleStatements(template, stack, stack.apiFunction.role).filter((s) => asArray(s.Action).includes('ses:GetEmailIdentity'));
      const tag = { StringEquals: { [`aws:ResourceTag/${API_DOMAIN_TAG}`]: { Ref: logicalId(stack, stack.ses.configurationSet) } } };
      expect(statements.map((s) => ({ Action: s.Action, Resource: asArray(s.Resource).map(render).sort(), Condition: s.Condition }))).toEqual([
        { Action: 'ses:GetEmailIdentity', Resource: [`${SES_ARN}:identity/example.com`, `${SES_ARN}:identity/noreply@example.org`], Condition: undefined },
        { Action: ['ses:DeleteEmailIdentity', 'ses:GetEmailIdentity', 'ses:PutEmailIdentityMailFromAttributes'], Resource: [`${SES_ARN}:identity/*`], Condition: tag },
      ]);
    });

    it('lets the api create identities only with this stack\'s tag and no other, and send from them', () => {
      const statements = roleStatements(template, stack, stack.apiFunction.role);
      const configurationSet = { Ref: logicalId(stack, stack.ses.configurationSet) };
      expect(statements.filter((s) => asArray(s.Action).includes('ses:CreateEmailIdentity'))).toEqual([
        {
          Effect: 'Allow',
          Action: ['ses:CreateEmailIdentity', 'ses:TagResource'],
          Resource: expect.anything(),
          Condition: { StringEquals: { [`aws:RequestTag/${API_DOMAIN_TAG}`]: configurationSet }, 'ForAllValues:StringEquals': { 'aws:TagKeys': [API_DOMAIN_TAG] } },
        },
      ]);
      for (const fn of [stack.apiFunction, stack.outbound.senderFunction]) {
        const tagged = roleStatements(template, stack, fn.role).filter((s) => asArray(s.Action).includes('ses:SendEmail') && s.Condition !== undefined);
        expect(tagged.map((s) => ({ Resource: render(s.Resource), Condition: s.Condition }))).toEqual([
          { Resource: `${SES_ARN}:identity/*`, Condition: { StringEquals: { [`aws:ResourceTag/${API_DOMAIN_TAG}`]: configurationSet } } },
        ]);
      }
      expect(environmentOf(template, 'Outbox HTTP API')[ENV.domainMailFromSubdomain]).toBe('bounce');
    });

    it('gives the api exactly its SES actions and the sender exactly its own', () => {
      const sesActions = (fn: typeof stack.apiFunction): string[] =>
        [...new Set(roleStatements(template, stack, fn.role).flatMap((s) => asArray(s.Action as string | string[])).filter((a) => a.startsWith('ses:')))].sort();
      expect(sesActions(stack.apiFunction)).toEqual([
        'ses:CreateEmailIdentity',
        'ses:DeleteEmailIdentity',
        'ses:GetAccount',
        'ses:GetEmailIdentity',
        'ses:ListEmailIdentities',
        'ses:PutConfigurationSetSendingOptions',
        'ses:PutEmailIdentityMailFromAttributes',
        'ses:SendEmail',
        'ses:SendRawEmail',
        'ses:TagResource',
      ]);
      expect(sesActions(stack.outbound.senderFunction)).toEqual(['ses:GetAccount', 'ses:SendEmail', 'ses:SendRawEmail']);
    });

    it('gives SES permissions to the api, the sender and the reputation alarm handler only', () => {
      const functions = [
        stack.apiFunction,
        stack.eventsFunction,
        stack.webhooks.deliveryFunction,
        stack.outbound.senderFunction,
        stack.scheduler.function,
        stack.reputationGuard.pauseFunction,
      ];
      const withSes = functions.filter((fn) =>
        roleStatements(template, stack, fn.role).some((s) => asArray(s.Action).some((action) => String(action).startsWith('ses:'))),
      );
      expect(withSes).toEqual([stack.apiFunction, stack.outbound.senderFunction, stack.reputationGuard.pauseFunction]);
    });

    it('publishes all ten event types of the configuration set to the events topic', () => {
      template.resourceCountIs('AWS::SES::ConfigurationSet', 1);
      const types = new Capture();
      template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
        ConfigurationSetName: { Ref: logicalId(stack, stack.ses.configurationSet) },
        EventDestination: {
          Enabled: true,
          MatchingEventTypes: types,
          SnsDestination: { TopicARN: { Ref: logicalId(stack, stack.ses.eventsTopic) } },
        },
      });
      expect([...types.asArray()].sort()).toEqual([...ALL_EVENT_TYPES].sort());
    });

    it('lets SES publish to the events topic only for this configuration set', () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: logicalId(stack, stack.ses.eventsTopic) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'ses.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: {
                StringEquals: { 'AWS:SourceAccount': { Ref: 'AWS::AccountId' }, 'AWS:SourceArn': Match.anyValue() },
              },
            }),
          ]),
        },
      });
    });

    it('encrypts the events topic with a rotated key SES may use only on behalf of this account', () => {
      template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack, stack.ses.eventsKey), 'Arn'] },
      });
      const key = template.findResources('AWS::KMS::Key')[logicalId(stack, stack.ses.eventsKey)]!;
      expect(key.Properties.EnableKeyRotation).toBe(true);
      const forSes = (key.Properties.KeyPolicy.Statement as Array<Record<string, unknown>>).filter(
        (statement) => JSON.stringify(statement.Principal).includes('ses.amazonaws.com'),
      );
      expect(forSes).toHaveLength(1);
      expect(forSes[0]).toMatchObject({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*' });
      const condition = forSes[0]!.Condition as Record<string, Record<string, unknown>>;
      expect(Object.keys(condition).sort()).toEqual(['ArnLikeIfExists', 'StringEqualsIfExists']);
      expect(condition.StringEqualsIfExists!['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
      expect(render(condition.ArnLikeIfExists!['aws:SourceArn'])).toBe(`${SES_ARN}:*`);
    });

    // The alarms on SES's reputation rates: test/infra/reputation-guard.test.ts.

    it('creates no identity and no DKIM output', () => {
      template.resourceCountIs('AWS::SES::EmailIdentity', 0);
      template.resourceCountIs('Custom::OutboxSendingIdentity', 0);
      expect(Object.keys(template.findOutputs('*')).filter((id) => id.startsWith('Dkim'))).toEqual([]);
    });
  });

  describe('event pipeline', () => {
    const queue = logicalId(stack, stack.events.queue);
    const deadLetterQueue = logicalId(stack, stack.events.deadLetterQueue);

    it('moves an event to the dead-letter queue after 5 failed receives', () => {
      const target = new Capture();
      template.hasResourceProperties('AWS::SQS::Queue', {
        RedrivePolicy: { deadLetterTargetArn: target, maxReceiveCount: 5 },
        VisibilityTimeout: 180,
      });
      expect(target.asObject()).toEqual({ 'Fn::GetAtt': [deadLetterQueue, 'Arn'] });
    });

    it('encrypts every queue and refuses plain-HTTP access to both event queues', () => {
      template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
      for (const id of [queue, deadLetterQueue]) expectQueueRefusesPlainHttp(template, id);
    });

    it('subscribes the queue to the events topic with SNS envelopes kept', () => {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'sqs',
        TopicArn: { Ref: logicalId(stack, stack.ses.eventsTopic) },
        Endpoint: { 'Fn::GetAtt': [queue, 'Arn'] },
        RawMessageDelivery: false,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterQueue, 'Arn'] } },
      });
    });

    it('alarms as soon as a message is visible in the dead-letter queue', () => {
      expectQueueAlarm(template, deadLetterQueue, 'ApproximateNumberOfMessagesVisible', 0);
    });

    it('creates no alarm topic without an alarm email', () => {
      expect(stack.monitoring.alarmTopic).toBeUndefined();
      expect(template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'Outbox alarms' } })).toEqual({});
      template.resourceCountIs('AWS::SNS::Topic', 2);
    });
  });

  describe('events Lambda', () => {
    const queue = logicalId(stack, stack.events.queue);
    const eventsFunction = logicalId(stack, stack.eventsFunction.function);
    const emails = logicalId(stack, stack.tables.emails.table);
    const suppressions = logicalId(stack, stack.tables.suppressions.table);
    const webhooks = logicalId(stack, stack.tables.webhooks.table);
    const control = logicalId(stack, stack.tables.control.table);
    const statements = roleStatements(template, stack, stack.eventsFunction.role);
    const actionsOf = (statement: Record<string, unknown>): string[] => asArray(statement.Action as string | string[]);

    it('consumes the events queue in batches of 10 and reports partial batch failures', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
        FunctionName: { Ref: eventsFunction },
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 5,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      });
    });

    it('times out after 30 seconds, a sixth of the queue visibility timeout', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: 'Outbox SES events consumer',
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        Timeout: 30,
        MemorySize: 256,
      });
      template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 180, RedrivePolicy: Match.anyValue() });
    });

    it('knows its four tables, the notifications topic, the webhook queue, the retention, the default soft-bounce settings and the guard thresholds', () => {
      expect(environmentOf(template, 'Outbox SES events consumer')).toEqual({
        [EMAILS_TABLE.envVar]: { Ref: emails },
        [SUPPRESSIONS_TABLE.envVar]: { Ref: suppressions },
        [WEBHOOKS_TABLE.envVar]: { Ref: webhooks },
        [CONTROL_TABLE.envVar]: { Ref: control },
        [ENV.notificationsTopicArn]: { Ref: logicalId(stack, stack.notifications.topic) },
        [ENV.webhookQueueUrl]: { Ref: logicalId(stack, stack.webhooks.queue) },
        [ENV.retentionDays]: '90',
        [ENV.softBounceLimit]: '3',
        [ENV.softBounceWindowDays]: '7',
        [ENV.guardWarnBounceRate]: '0.025',
        [ENV.guardWarnComplaintRate]: '0.0005',
        [ENV.guardPauseBounceRate]: '0.04',
        [ENV.guardPauseComplaintRate]: '0.0008',
        [ENV.guardMinimumSends]: '100',
      });
    });

    it('reads and writes the emails, suppressions and control tables, only reads the webhooks table, with their indexes, and no other table', () => {
      const dynamo = statements.filter((s) => actionsOf(s).some((action) => action.startsWith('dynamodb:')));
      const onWebhooks = (s: Record<string, unknown>): boolean => asArray(s.Resource).map(render).includes(`\${${webhooks}.Arn}`);
      for (const statement of dynamo.filter((s) => !onWebhooks(s))) {
        expect(actionsOf(statement)).toEqual(
          expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:GetItem']),
        );
      }
      // Which webhooks subscribe to what; the delivery Lambda, not this one, writes the delivery log.
      const webhooksActions = dynamo.filter(onWebhooks).flatMap(actionsOf);
      expect(webhooksActions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:GetItem']));
      expect(webhooksActions.filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
      const resources = dynamo.flatMap((s) => asArray(s.Resource)).map(render).sort();
      expect(resources).toEqual(
        [
          `\${${emails}.Arn}`,
          ...EMAILS_TABLE.globalIndexes.map((index) => `\${${emails}.Arn}/index/${index.indexName}`),
          `\${${suppressions}.Arn}`,
          ...SUPPRESSIONS_TABLE.globalIndexes.map((index) => `\${${suppressions}.Arn}/index/${index.indexName}`),
          `\${${webhooks}.Arn}`,
          ...WEBHOOKS_TABLE.globalIndexes.map((index) => `\${${webhooks}.Arn}/index/${index.indexName}`),
          `\${${control}.Arn}`,
          ...CONTROL_TABLE.globalIndexes.map((index) => `\${${control}.Arn}/index/${index.indexName}`),
        ].sort(),
      );
      expect(resources).toContain(`\${${emails}.Arn}/index/by-ses-message-id`);
    });

    it('has no SES permission: its guard holds Outbox\'s pause, and the reputation alarm handler pauses the configuration set', () => {
      expect(statements.flatMap(actionsOf).filter((action) => action.startsWith('ses:'))).toEqual([]);
      expect(Object.keys(environmentOf(template, 'Outbox SES events consumer'))).not.toContain(ENV.configurationSet);
    });

    it('consumes only the events queue and only sends to the webhook queue', () => {
      const sqs = statements.filter((s) => actionsOf(s).some((action) => action.startsWith('sqs:')));
      const on = (queueId: string): string[] =>
        sqs.filter((s) => render(s.Resource) === `\${${queueId}.Arn}`).flatMap(actionsOf).sort();
      expect(on(queue)).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']));
      expect(on(queue)).not.toContain('sqs:SendMessage');
      expect(on(logicalId(stack, stack.webhooks.queue))).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
      expect(sqs.flatMap((s) => asArray(s.Resource)).map(render).sort()).toEqual(
        [`\${${queue}.Arn}`, `\${${logicalId(stack, stack.webhooks.queue)}.Arn}`].sort(),
      );
    });

    it('alarms when the events Lambda crashes or times out', () => {
      expectFunctionErrorsAlarm(template, eventsFunction);
    });

    it('alarms when the oldest event has waited over 30 minutes', () => {
      expectQueueAlarm(template, queue, 'ApproximateAgeOfOldestMessage', 1800);
    });
  });

  describe('HTTP API (more in http-api.test.ts)', () => {
    it('lets the api Lambda, which checks every key itself, read the api keys table', () => {
      const apiKeys = logicalId(stack, stack.tables.apiKeys.table);
      const reads = roleStatements(template, stack, stack.apiFunction.role).filter((s) => asArray(s.Action).includes('dynamodb:GetItem'));
      expect(reads.flatMap((s) => asArray(s.Resource).map(render))).toContain(`\${${apiKeys}.Arn}`);
      expect(environmentOf(template, 'Outbox HTTP API')).toMatchObject({ [API_KEYS_TABLE.envVar]: { Ref: apiKeys } });
    });

    it('has no authorizer Lambda', () => {
      const descriptions = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Description as string);
      expect(descriptions.filter((d) => /authoriz/i.test(d ?? ''))).toEqual([]);
    });

    it('keeps the api Lambda under the HTTP API\'s 30 s integration timeout', () => {
      template.hasResourceProperties('AWS::Lambda::Function', { Description: 'Outbox HTTP API', Timeout: 25 });
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', TimeoutInMillis: Match.absent() });
    });

    it('keeps its access logs 30 days, as every log group', () => {
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    });
  });

  it("outputs the API URL without a trailing slash, the console's URL, the configuration set, the api keys table, the first key's secret and both topics", () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual([
      'ApiKeysTableName',
      'ApiUrl',
      'ConfigurationSetName',
      'ConsoleUrl',
      'InitialApiKeySecretArn',
      'NotificationsTopicArn',
      'SesEventsTopicArn',
    ]);
    expect(render(outputs.ApiUrl!.Value)).toMatch(/^https:\/\/\$\{\w+\}\.execute-api\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}$/);
    expect(render(outputs.ConsoleUrl!.Value)).toBe(`${render(outputs.ApiUrl!.Value)}/console`);
  });

  it('passes the cdk-nag AwsSolutions checks', () => {
    expect(nagViolations(synthesized)).toEqual([]);
  });

  it('gives every acknowledged finding a one-sentence reason', () => {
    const acknowledged = acknowledgements(stack);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { id, reason, path } of acknowledged) {
      // One sentence: it ends with the only full stop that is followed by a space or the end.
      expect({ id, path, sentences: reason.split(/\.(?:\s|$)/).length - 1 }).toEqual({ id, path, sentences: 1 });
      expect(reason.endsWith('.')).toBe(true);
    }
  });
});

describe('OutboxStack from context with a sending domain, an alarm email, a send rate, a ClamAV daemon and its own retention and soft-bounce settings', () => {
  const synthesized = synthOutboxFromContext({
    [CONTEXT.sendingDomain]: 'mail.example.com',
    [CONTEXT.alarmEmail]: 'ops@example.com',
    [CONTEXT.retentionDays]: '30',
    [CONTEXT.softBounceLimit]: '5',
    [CONTEXT.softBounceWindowDays]: '14',
    [CONTEXT.maxSendRate]: '12.5',
    [CONTEXT.clamd]: 'clamav.internal:3310',
  });
  const { stack, template } = synthesized;

  it('creates or adopts the domain identity through its custom resource, naming the configuration set for a created one', () => {
    template.resourceCountIs('AWS::SES::EmailIdentity', 0);
    template.hasResourceProperties('Custom::OutboxSendingIdentity', {
      EmailIdentity: 'mail.example.com',
      ConfigurationSetName: { Ref: logicalId(stack, stack.ses.configurationSet) },
    });
  });

  it('outputs the three DKIM CNAME records and whether the identity was created or adopted', () => {
    const identity = logicalId(stack, stack.ses.domainIdentity!.resource);
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).filter((id) => id.startsWith('Dkim')).sort()).toEqual(['DkimRecord1', 'DkimRecord2', 'DkimRecord3']);
    [1, 2, 3].forEach((n) => {
      expect(render(outputs[`DkimRecord${n}`]!.Value)).toBe(`\${${identity}.DkimRecord${n}}`);
    });
    expect(render(outputs.SendingDomainOrigin!.Value)).toBe(`\${${identity}.Origin}`);
  });

  it('scopes the send permission to the domain identity and the configuration set', () => {
    const resources = asArray(sendStatement(template).Resource).map(render).sort();
    expect(resources).toEqual(
      [
        `${SES_ARN}:configuration-set/\${${logicalId(stack, stack.ses.configurationSet)}}`,
        `${SES_ARN}:identity/mail.example.com`,
        `${SES_ARN}:template/*`,
      ].sort(),
    );
  });

  it('passes the retention to the api Lambda', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Outbox HTTP API',
      Environment: { Variables: Match.objectLike({ [ENV.retentionDays]: '30' }) },
    });
  });

  it('tells the api Lambda the sending domain as the identity GET /account reports on', () => {
    expect(environmentOf(template, 'Outbox HTTP API')[ENV.sendingIdentities]).toBe('mail.example.com');
  });

  it('tells the sender the send-rate override, and no other Lambda', () => {
    expect(environmentOf(template, 'Outbox sender')[ENV.maxSendRate]).toBe('12.5');
    expect(Object.keys(environmentOf(template, 'Outbox HTTP API'))).not.toContain(ENV.maxSendRate);
  });

  it('tells the api Lambda the ClamAV daemon, and no other Lambda', () => {
    expect(environmentOf(template, 'Outbox HTTP API')[ENV.clamd]).toBe('clamav.internal:3310');
    for (const description of ['Outbox sender', 'Outbox scheduler', 'Outbox SES events consumer']) {
      expect(Object.keys(environmentOf(template, description))).not.toContain(ENV.clamd);
    }
  });

  it('tells the sender the retention', () => {
    expect(environmentOf(template, 'Outbox sender')[ENV.retentionDays]).toBe('30');
  });

  it('passes the retention and the soft-bounce settings to the events Lambda', () => {
    expect(environmentOf(template, 'Outbox SES events consumer')).toMatchObject({
      [ENV.retentionDays]: '30',
      [ENV.softBounceLimit]: '5',
      [ENV.softBounceWindowDays]: '14',
    });
  });

  it('emails every alarm through the alarm topic', () => {
    const topic = { Ref: logicalId(stack, stack.monitoring.alarmTopic!) };
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: topic });
    // The reputation guard's pause alarms also invoke its handler (test/infra/reputation-guard.test.ts).
    const pauser = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack, stack.reputationGuard.pauseFunction.function), 'Arn'] });
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(asArray(alarm.Properties.AlarmActions).filter((action) => JSON.stringify(action) !== pauser)).toEqual([topic]);
      expect(alarm.Properties.OKActions).toEqual([topic]);
    }
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
        ]),
      },
    });
  });

  it('passes the cdk-nag AwsSolutions checks', () => {
    expect(nagViolations(synthesized)).toEqual([]);
  });
});

describe('OutboxStack with no sending identity', () => {
  const synthesized = synthOutbox();
  const { stack, template } = synthesized;

  it('allows sending from any identity of the account and says so in a warning', () => {
    const resources = asArray(sendStatement(template).Resource).map(render);
    expect(resources).toContain(`${SES_ARN}:identity/*`);
    expect(resources).not.toContain('*');
    Annotations.fromStack(stack).hasWarning('/Outbox/Ses', Match.stringLikeRegexp('No sending identity configured'));
  });

  it('tells the api Lambda no identity names, so GET /account reports the identities SES lists', () => {
    expect(Object.keys(environmentOf(template, 'Outbox HTTP API'))).not.toContain(ENV.sendingIdentities);
  });

  it('passes the cdk-nag AwsSolutions checks with the wildcard identity acknowledged', () => {
    expect(nagViolations(synthesized)).toEqual([]);
    expect(acknowledgements(stack).map((a) => a.id)).toContainEqual(expect.stringContaining(':identity/*]'));
  });
});
