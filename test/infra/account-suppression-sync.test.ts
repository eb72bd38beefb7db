import { ALL_TABLES, SUPPRESSIONS_TABLE } from '../../lambda/shared/tables';
import { SYNC_BATCH_SIZE, SYNC_MAX_RECORD_AGE, SYNC_RETRY_ATTEMPTS } from '../../lib/constructs/account-suppression-sync';
import { actionsOf, asArray, expectFunctionErrorsAlarm, expectQueueAlarm, expectQueueRefusesPlainHttp, logicalId, roleStatements, synthOutbox } from './synth';

/**
 * Whether a Lambda event filter pattern matches a record, for the operators these patterns use:
 * nested objects, and leaf lists of values or `{ exists }`.
 */
function matches(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((rule) =>
      rule !== null && typeof rule === 'object' && 'exists' in rule ? (value !== undefined) === (rule as { exists: boolean }).exists : value === rule,
    );
  }
  if (pattern === null || typeof pattern !== 'object') throw new Error(`Unexpected pattern ${JSON.stringify(pattern)}`);
  const object = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  return Object.entries(pattern).every(([key, inner]) => matches(inner, object[key]));
}

/** A stream record of the suppressions table, as Lambda's filters see it. */
function streamRecord(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', images: { OldImage?: Record<string, unknown>; NewImage?: Record<string, unknown> }): unknown {
  const key = (images.NewImage ?? images.OldImage)!.email;
  return { eventName, eventSource: 'aws:dynamodb', dynamodb: { Keys: { email: key }, ...images, StreamViewType: 'NEW_AND_OLD_IMAGES' } };
}

const ENTRY = { email: { S: 'someone@example.com' }, id: { S: '0190a7e2-0000-7000-8000-000000000001' }, origin: { S: 'bounce' }, createdAt: { S: '2026-01-01T00:00:00.000Z' } };
const SOFT_COUNTER = { email: { S: 'someone@example.com#soft' }, count: { N: '1' }, expiresAt: { N: '1767225600' } };

describe('the account-level suppression sync', () => {
  const { stack, template } = synthOutbox({ identities: ['example.com'] });
  const sync = stack.accountSuppressionSync;
  const mapping = (): Record<string, any> => {
    const mappings = Object.values(
      template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: { Ref: logicalId(stack, sync.function.function) } } }),
    );
    expect(mappings).toHaveLength(1);
    return mappings[0]!.Properties;
  };

  it('gives the suppressions table, and no other, a stream with old and new images', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: SUPPRESSIONS_TABLE.partitionKey.name, KeyType: 'HASH' }],
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    expect(Object.values(template.findResources('AWS::DynamoDB::Table')).filter((t) => t.Properties.StreamSpecification)).toHaveLength(1);
    expect(ALL_TABLES.filter((definition) => definition.stream).map((definition) => definition.id)).toEqual([SUPPRESSIONS_TABLE.id]);
  });

  it('reads the stream from its oldest record in small, ordered batches, split on a crash, retried a bounded number of times, then dead-lettered', () => {
    expect(mapping()).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack, stack.tables.suppressions.table), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: SYNC_BATCH_SIZE,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: SYNC_RETRY_ATTEMPTS,
      MaximumRecordAgeInSeconds: SYNC_MAX_RECORD_AGE.toSeconds(),
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack, sync.deadLetterQueue), 'Arn'] } } },
    });
    expect(SYNC_BATCH_SIZE).toBeLessThanOrEqual(10);
    expect(SYNC_RETRY_ATTEMPTS).toBeGreaterThan(0);
  });

  it('passes on suppression entries added, raised, removed or expired, and never a soft-bounce counter', () => {
    const patterns = asArray(mapping().FilterCriteria.Filters).map((filter: { Pattern: string }) => JSON.parse(filter.Pattern) as unknown);
    const passes = (record: unknown): boolean => patterns.some((pattern) => matches(pattern, record));
    expect(passes(streamRecord('INSERT', { NewImage: ENTRY }))).toBe(true);
    expect(passes(streamRecord('MODIFY', { OldImage: ENTRY, NewImage: { ...ENTRY, origin: { S: 'complaint' } } }))).toBe(true);
    expect(passes(streamRecord('REMOVE', { OldImage: ENTRY }))).toBe(true);
    expect(passes(streamRecord('INSERT', { NewImage: SOFT_COUNTER }))).toBe(false);
    expect(passes(streamRecord('MODIFY', { OldImage: SOFT_COUNTER, NewImage: { ...SOFT_COUNTER, count: { N: '2' } } }))).toBe(false);
    expect(passes(streamRecord('REMOVE', { OldImage: SOFT_COUNTER }))).toBe(false);
  });

  it('keeps the dead-letter queue encrypted, TLS-only and for 14 days, and alarms on its first message', () => {
    const queue = logicalId(stack, sync.deadLetterQueue);
    expect(template.toJSON().Resources[queue].Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    expectQueueRefusesPlainHttp(template, queue);
    expectQueueAlarm(template, queue, 'ApproximateNumberOfMessagesVisible', 0);
    expect(stack.monitoring.alarms).toContain(sync.deadLetterAlarm);
  });

  it('alarms when the function crashes or times out', () => {
    expectFunctionErrorsAlarm(template, logicalId(stack, sync.function.function));
  });

  it('lets the function put and delete suppressed destinations, and read the stream, with no other SES or table access', () => {
    const statements = roleStatements(template, stack, sync.function.role);
    const ses = statements.filter((s) => actionsOf(s).some((action) => action.startsWith('ses:')));
    expect(ses).toEqual([{ Effect: 'Allow', Action: ['ses:DeleteSuppressedDestination', 'ses:PutSuppressedDestination'], Resource: '*' }]);
    const dynamodb = statements.flatMap((s) => actionsOf(s).filter((action) => action.startsWith('dynamodb:'))).sort();
    expect(dynamodb).toEqual(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams']);
  });

  it("asks SES to suppress bounces and complaints for the configuration set, so SMTP mail's own bounces join the list too", () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', { SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] } });
  });
});
