import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { outboxPropsFromContext } from '../../lib/context';
import { OutboxStack, type OutboxStackProps } from '../../lib/outbox-stack';

/** The feature flags and settings `cdk synth` reads from cdk.json, so tests see the same template. */
const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'),
).context;

/** An App like the real one, with Lambda bundling skipped (no esbuild run) for speed. */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
}

export interface Synthesized {
  readonly app: App;
  readonly stack: OutboxStack;
  readonly template: Template;
}

export function synthOutbox(props: OutboxStackProps = {}): Synthesized {
  const app = testApp();
  const stack = new OutboxStack(app, 'Outbox', props);
  return { app, stack, template: Template.fromStack(stack) };
}

/** The stack as bin/outbox.ts builds it: its props read from context. */
export function synthOutboxFromContext(context: Record<string, unknown>): Synthesized {
  const app = testApp(context);
  const stack = new OutboxStack(app, 'Outbox', outboxPropsFromContext(app));
  return { app, stack, template: Template.fromStack(stack) };
}

/**
 * Renders an ARN-like CloudFormation value as one readable string: `{Ref: X}` becomes `${X}`,
 * `{Fn::GetAtt: [X, Arn]}` becomes `${X.Arn}`, and Fn::Join is joined.
 */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if ('Ref' in object) return `\${${String(object.Ref)}}`;
    if ('Fn::GetAtt' in object) return `\${${(object['Fn::GetAtt'] as string[]).join('.')}}`;
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
  }
  throw new Error(`Cannot render ${JSON.stringify(value)}`);
}

/** The logical id CloudFormation gives a construct's default resource. */
export function logicalId(stack: Stack, resource: { node: { defaultChild?: unknown } } | unknown): string {
  const child = (resource as { node: { defaultChild?: unknown } }).node.defaultChild ?? resource;
  return stack.getLogicalId(child as Parameters<Stack['getLogicalId']>[0]);
}

/** Every policy statement of every IAM policy in the template. */
export function policyStatements(template: Template): Array<Record<string, unknown>> {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>,
  );
}

export function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** Every policy statement attached to the role. */
export function roleStatements(template: Template, stack: Stack, role: IConstruct): Array<Record<string, unknown>> {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: logicalId(stack, role) }] },
  });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
}

/** The actions of one policy statement, always as a list. */
export function actionsOf(statement: Record<string, unknown>): string[] {
  return asArray(statement.Action as string | string[]);
}

/** The environment variables of the one function with this description. */
export function environmentOf(template: Template, description: string): Record<string, unknown> {
  const functions = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: description } }));
  if (functions.length !== 1) throw new Error(`Expected one function described "${description}", found ${functions.length}`);
  return functions[0]!.Properties.Environment.Variables;
}

/** cdk-nag's AwsSolutions findings that are not acknowledged, as "rule at path" lines. */
export function nagViolations(synthesized: Synthesized): string[] {
  const report = new AwsSolutionsChecks(synthesized.app).validateScope(synthesized.stack);
  return report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
}

/** Every acknowledged cdk-nag finding under the construct, with its reason. */
export function acknowledgements(root: IConstruct): Array<{ id: string; reason: string; path: string }> {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ id, reason, path: construct.node.path })),
      ),
  );
}

/** Asserts the queue has a policy that denies every request not made over TLS (`enforceSSL`). */
export function expectQueueRefusesPlainHttp(template: Template, queueLogicalId: string): void {
  template.hasResourceProperties('AWS::SQS::QueuePolicy', {
    Queues: [{ Ref: queueLogicalId }],
    PolicyDocument: {
      Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
    },
  });
}

/** Asserts an alarm fires when the queue's SQS metric goes above the threshold. */
export function expectQueueAlarm(template: Template, queueLogicalId: string, metricName: string, threshold: number): void {
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    Namespace: 'AWS/SQS',
    MetricName: metricName,
    Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueLogicalId, 'QueueName'] } }],
    ComparisonOperator: 'GreaterThanThreshold',
    Threshold: threshold,
  });
}

/** Asserts an alarm fires on the function's first error (a crash or a timeout). */
export function expectFunctionErrorsAlarm(template: Template, functionLogicalId: string): void {
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    Namespace: 'AWS/Lambda',
    MetricName: 'Errors',
    Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionLogicalId } }],
    Threshold: 1,
  });
}
