import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, Duration, type ILocalBundling } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
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
  /**
   * Files shipped next to the bundle, by name (no folders): data the handler reads at run time
   * rather than code esbuild could bundle. @default none
   */
  readonly bundledFiles?: Readonly<Record<string, string>>;
}

export { LAMBDA_ESBUILD_OPTIONS, LAMBDA_ESBUILD_PLUGINS, UNREACHED_CREDENTIAL_PROVIDERS } from '../bundling/lambda-bundle';

/** Runs lib/bundling/lambda-bundle.ts's bundleLambda in a child process (see bundle-cli.ts). */
const BUNDLE_CLI = path.join(__dirname, '..', 'bundling', 'bundle-cli.ts');
const REPO_ROOT = path.join(__dirname, '..', '..');

/**
 * Every Outbox Lambda, with the defaults kept in one place: Node.js 24 on ARM64, bundled locally by
 * esbuild (never Docker) with LAMBDA_ESBUILD_OPTIONS and LAMBDA_ESBUILD_PLUGINS: minified, the AWS
 * SDK v3 parts it uses bundled and tree-shaken (a generated client's unused schemas too) but for
 * the credential providers a Lambda never reaches, and LAZY_PACKAGES in files of their own beside
 * index.js. (NodejsFunction runs esbuild's command line, which takes no plugins.) Each
 * function gets its own
 * log group with a retention period and its own role that may write only to that log group (no AWS
 * managed policy); callers grant everything else.
 *
 * Source maps are off: they add to the bundle and to cold starts.
 */
export class NodeFunction extends Construct {
  public readonly function: lambda.Function;
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

    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(path.dirname(props.entry), {
        // Hashed by the bundle it makes, not by the sources.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Required by CDK, never used: local bundling either bundles or throws.
          image: lambda.Runtime.NODEJS_24_X.bundlingImage,
          local: new LocalLambdaBundling(props.entry, props.bundledFiles ?? {}),
        },
      }),
      handler: 'index.handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // Lambda's own START and REPORT lines (INFO) are most of the log bytes of a function that
      // works: every invocation writes them. Their figures stay in the Duration, Errors and
      // Throttles metrics; Lambda's warnings (timeouts, out of memory) still come through.
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      environment: props.environment,
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

  /**
   * Attaches a policy of its own (a separate AWS::IAM::Policy) to the function's role, created
   * before the function like the role's default policy. For statements that need a cdk-nag
   * acknowledgement: acknowledged on this policy, a finding cannot hide other statements of the
   * role.
   */
  public addPolicy(id: string, statements: iam.PolicyStatement[]): iam.Policy {
    const policy = new iam.Policy(this, id, { roles: [this.role], statements });
    this.function.node.addDependency(policy);
    return policy;
  }
}

/**
 * Bundles `entry` into `outputDir/index.js` (bundleLambda, in a child process, as esbuild's
 * plugins need its asynchronous API) and writes `files` beside it. CDK caches bundles by these
 * fields (its cache key is the bundling options as JSON), so two functions share a bundle only if
 * they have the same entry and files.
 */
class LocalLambdaBundling implements ILocalBundling {
  constructor(
    readonly entry: string,
    readonly files: Readonly<Record<string, string>>,
  ) {
    for (const name of Object.keys(files)) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name === 'index.js') throw new Error(`A bundled file needs a plain name other than index.js, got ${JSON.stringify(name)}.`);
    }
  }

  tryBundle(outputDir: string): boolean {
    execFileSync(process.execPath, ['--import', 'tsx', BUNDLE_CLI, this.entry, outputDir], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    for (const [name, contents] of Object.entries(this.files)) writeFileSync(path.join(outputDir, name), contents);
    return true;
  }
}
