/**
 * What the cost figure (P5) needs to know about the deployed stack, read from the stack itself,
 * synthesized here with Lambda bundling skipped (as the infrastructure tests do), so a change in
 * lib/ (memory, batch sizes, projections, alarms, schedule) changes the figure on the next run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { API_KEY_CACHE_MS } from '../lambda/adapters/cached-api-key-store';
import { ENV } from '../lambda/shared/env';
import { ALL_TABLES } from '../lambda/shared/tables';
import { OutboxStack } from '../lib/outbox-stack';
import type { NodeFunction } from '../lib/constructs/node-function';
import { localTableName } from '../local/runtime';
import type { Projection } from './p5-meter';

export type FunctionRole = 'api' | 'events' | 'webhookDelivery' | 'sender' | 'scheduler';

export interface DeployedFacts {
  /** MemorySize of each Lambda, MB. */
  readonly memoryMb: Readonly<Record<FunctionRole, number>>;
  readonly architecture: string;
  /** BatchSize of the SQS event source feeding each queue-driven Lambda. */
  readonly batchSize: Readonly<Record<'events' | 'webhookDelivery' | 'sender', number>>;
  /** Each consumer's MaximumBatchingWindowInSeconds: how long a batch gathers messages at a trickle. */
  readonly batchingWindowSeconds: Readonly<Record<'events' | 'webhookDelivery' | 'sender', number>>;
  /** SQS event source mappings: each keeps pollers long-polling its queue while idle. */
  readonly sqsEventSources: number;
  readonly apiKind: 'REST' | 'HTTP';
  /** How long a warm api Lambda trusts an API key it has read (CachedApiKeyStore, code rather than stack). */
  readonly apiKeyCacheSeconds: number;
  readonly alarms: number;
  /** The scheduler's schedule, e.g. `rate(1 minute)`, and its ticks per 30-day month. */
  readonly schedule: string;
  readonly scheduleTicksPerMonth: number;
  readonly retentionDays: number;
  readonly logRetentionDays: number;
  /** Bytes of one access-log line: the stage's format, each `$context` variable taken as 20 characters. */
  readonly accessLogLineBytes: number;
  /** Whether the api Lambda sends Lambda's START and REPORT lines (system log level INFO or DEBUG) to its logs. */
  readonly platformLogLines: boolean;
  /** What each global index projects, by local table name and index name. */
  readonly projection: (table: string, index: string) => Projection | undefined;
  readonly projections: Readonly<Record<string, Projection>>;
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

export function deployedFacts(): DeployedFacts {
  const repoRoot = path.join(__dirname, '..');
  const cdkContext = (JSON.parse(readFileSync(path.join(repoRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
  const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
  // A sending identity only keeps synth from warning; it changes nothing priced here.
  const stack = new OutboxStack(app, 'Outbox', { identities: ['acme.example'] });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
  const logicalId = (construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as Parameters<OutboxStack['getLogicalId']>[0]);
  const ofType = (type: string): Resource[] => Object.values(resources).filter((r) => r.Type === type);

  const functions: Record<FunctionRole, NodeFunction> = {
    api: stack.apiFunction,
    events: stack.eventsFunction,
    webhookDelivery: stack.webhooks.deliveryFunction,
    sender: stack.outbound.senderFunction,
    scheduler: stack.scheduler.function,
  };
  const fnProps = (role: FunctionRole): Record<string, unknown> => {
    const resource = resources[logicalId(functions[role].function)];
    if (!resource?.Properties) throw new Error(`No Lambda function for ${role} in the template`);
    return resource.Properties;
  };
  const memoryMb = Object.fromEntries(
    (Object.keys(functions) as FunctionRole[]).map((role) => [role, Number(fnProps(role).MemorySize ?? 128)]),
  ) as Record<FunctionRole, number>;
  const mappings = ofType('AWS::Lambda::EventSourceMapping');
  const mappingOf = (role: FunctionRole) => {
    const id = logicalId(functions[role].function);
    const mapping = mappings.find((m) => JSON.stringify(m.Properties?.FunctionName) === JSON.stringify({ Ref: id }));
    if (!mapping) throw new Error(`No event source mapping for ${role} in the template`);
    return mapping;
  };
  const batchOf = (role: FunctionRole): number => Number(mappingOf(role).Properties?.BatchSize ?? 10);
  const windowOf = (role: FunctionRole): number => Number(mappingOf(role).Properties?.MaximumBatchingWindowInSeconds ?? 0);

  const projections: Record<string, Projection> = {};
  for (const definition of ALL_TABLES) {
    const table = resources[logicalId(stack.tables.get(definition).table)];
    const indexes = (table?.Properties?.GlobalSecondaryIndexes ?? []) as { IndexName: string; Projection: { ProjectionType: Projection['type']; NonKeyAttributes?: string[] } }[];
    for (const index of indexes) {
      projections[`${localTableName(definition)}#${index.IndexName}`] = {
        type: index.Projection.ProjectionType,
        ...(index.Projection.NonKeyAttributes ? { nonKeyAttributes: index.Projection.NonKeyAttributes } : {}),
      };
    }
  }

  const rule = resources[logicalId(stack.scheduler.rule)];
  const schedule = String(rule?.Properties?.ScheduleExpression ?? '');
  const stage = ofType('AWS::ApiGatewayV2::Stage')[0];
  const accessLogFormat = String((stage?.Properties?.AccessLogSettings as { Format?: string } | undefined)?.Format ?? '');
  const logRetention = ofType('AWS::Logs::LogGroup').map((g) => Number(g.Properties?.RetentionInDays ?? 0));
  const apiEnvironment = (fnProps('api').Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};

  return {
    memoryMb,
    architecture: String((fnProps('api').Architectures as string[] | undefined)?.[0] ?? 'x86_64'),
    batchSize: { events: batchOf('events'), webhookDelivery: batchOf('webhookDelivery'), sender: batchOf('sender') },
    batchingWindowSeconds: { events: windowOf('events'), webhookDelivery: windowOf('webhookDelivery'), sender: windowOf('sender') },
    // The suppressions stream's mapping (StartingPosition set) polls DynamoDB Streams, which Lambda does at no charge.
    sqsEventSources: mappings.filter((m) => m.Properties?.StartingPosition === undefined).length,
    apiKind: ofType('AWS::ApiGateway::RestApi').length > 0 ? 'REST' : 'HTTP',
    apiKeyCacheSeconds: API_KEY_CACHE_MS / 1000,
    alarms: ofType('AWS::CloudWatch::Alarm').length,
    schedule,
    scheduleTicksPerMonth: ticksPerMonth(schedule),
    retentionDays: Number(apiEnvironment[ENV.retentionDays] ?? 90),
    logRetentionDays: Math.max(0, ...logRetention),
    platformLogLines: String((fnProps('api').LoggingConfig as { SystemLogLevel?: string } | undefined)?.SystemLogLevel ?? 'INFO') !== 'WARN',
    accessLogLineBytes: Buffer.byteLength(accessLogFormat.replace(/\$context\.[A-Za-z.]+/g, 'x'.repeat(20))),
    projection: (table, index) => projections[`${table}#${index}`],
    projections,
  };
}

/** Runs per 30-day month of an EventBridge `rate(n unit)` expression. */
function ticksPerMonth(schedule: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(schedule);
  if (!match) throw new Error(`Cannot read the scheduler's schedule "${schedule}"`);
  const minutes = { minute: 1, minutes: 1, hour: 60, hours: 60, day: 1440, days: 1440 }[match[2] as 'minute'];
  return (30 * 24 * 60) / (Number(match[1]) * minutes);
}
