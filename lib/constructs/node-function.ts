import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface NodeFunctionProps {
  /** Absolute path of the handler file; it must export `handler`. */
  readonly entry: string;
  readonly description?: string;
  readonly environment?: Record<string, string>;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** @default 512 MiB (more memory also buys proportionally more CPU) */
  readonly memorySize?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Active X-Ray tracing. @default false */
  readonly tracing?: boolean;
}

/**
 * Every Outbox Lambda, with the defaults kept in one place: Node.js 24 on ARM64, bundled locally by
 * esbuild (never Docker), minified, with the AWS SDK v3 bundled and tree-shaken instead of taken
 * from the runtime, so the code that runs is the code that was tested. Each function gets its own
 * log group with a retention period and its own role that may write only to that log group (no AWS
 * managed policy); callers grant everything else.
 *
 * Source maps are off: they add to the bundle and to cold starts. `keepNames` keeps function and
 * class names readable in stack traces instead.
 */
export class NodeFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      environment: props.environment,
      bundling: {
        minify: true,
        keepNames: true,
        sourceMap: false,
        target: 'node24',
        format: OutputFormat.CJS,
        // Prefer the SDK's ES module builds: esbuild tree-shakes them, which cuts bundles by a third.
        mainFields: ['module', 'main'],
        // Empty on purpose: the AWS SDK v3 is bundled and tree-shaken, not taken from the runtime.
        externalModules: [],
        forceDockerBundling: false,
      },
    });
  }

  /** Sets one environment variable on the function. */
  public addEnvironment(name: string, value: string): this {
    this.function.addEnvironment(name, value);
    return this;
  }

  /** Adds a statement to the function's own role. */
  public addToRolePolicy(statement: iam.PolicyStatement): this {
    this.role.addToPrincipalPolicy(statement);
    return this;
  }
}
