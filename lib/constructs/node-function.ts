import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions, type ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';

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

/**
 * The credential providers of the SDK's default chain that a Lambda never reaches. Lambda hands
 * the function's role credentials over in environment variables, and the chain tries those first
 * (fromEnv); it loads these providers only with dynamic imports, each after the ones before it
 * failed. Left out of the bundle, they cost neither bytes nor parse time (about a third of a
 * client-only bundle). Should one ever be reached (say AWS_PROFILE set on a function), the
 * Node.js runtimes resolve it through NODE_PATH, which includes the SDK they ship in
 * /var/runtime/node_modules; hence LAMBDA_BUNDLING turns dynamic imports into require(), because
 * Node's ES module resolver ignores NODE_PATH.
 */
export const UNREACHED_CREDENTIAL_PROVIDERS: readonly string[] = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/credential-provider-login',
  '@aws-sdk/token-providers',
  // STS, SSO, SSO OIDC and sign-in clients, used only by the providers above.
  '@aws-sdk/nested-clients',
  // Instance and container metadata: EC2 and ECS, not Lambda.
  '@smithy/credential-provider-imds',
];

/** The esbuild settings every Lambda is bundled with; the benchmark (P3) builds with the same. */
export const LAMBDA_BUNDLING = {
  minify: true,
  // Readable function and class names in stack traces, instead of source maps.
  keepNames: true,
  sourceMap: false,
  target: 'node24',
  format: OutputFormat.CJS,
  // Prefer the SDK's ES module builds: esbuild tree-shakes them, which cuts bundles by a third.
  mainFields: ['module', 'main'],
  // The AWS SDK v3 itself is bundled and tree-shaken, not taken from the runtime: the code that
  // runs is the code that was tested, and it loads faster from one file than from the runtime's
  // node_modules (docs/benchmark.md, P3).
  externalModules: [...UNREACHED_CREDENTIAL_PROVIDERS],
  // `import()` of an external module stays an ES module import, which would not find the
  // runtime's SDK; as require() it does (see UNREACHED_CREDENTIAL_PROVIDERS).
  esbuildArgs: { '--supported:dynamic-import': 'false' },
} as const satisfies BundlingOptions;

/**
 * LAMBDA_BUNDLING as esbuild's own options, the way NodejsFunction passes them to esbuild (it
 * always bundles, for the node platform): what the benchmark and the bundling tests build with.
 */
export const LAMBDA_ESBUILD_OPTIONS: Readonly<BuildOptions> = {
  bundle: true,
  platform: 'node',
  minify: LAMBDA_BUNDLING.minify,
  keepNames: LAMBDA_BUNDLING.keepNames,
  sourcemap: LAMBDA_BUNDLING.sourceMap,
  target: LAMBDA_BUNDLING.target,
  format: LAMBDA_BUNDLING.format,
  mainFields: [...LAMBDA_BUNDLING.mainFields],
  external: [...LAMBDA_BUNDLING.externalModules],
  supported: { 'dynamic-import': false },
};

/**
 * Every Outbox Lambda, with the defaults kept in one place: Node.js 24 on ARM64, bundled locally by
 * esbuild (never Docker) with LAMBDA_BUNDLING: minified, the AWS SDK v3 bundled and tree-shaken
 * but for the credential providers a Lambda never reaches. Each function gets its own
 * log group with a retention period and its own role that may write only to that log group (no AWS
 * managed policy); callers grant everything else.
 *
 * Source maps are off: they add to the bundle and to cold starts.
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
        ...LAMBDA_BUNDLING,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        externalModules: [...LAMBDA_BUNDLING.externalModules],
        esbuildArgs: { ...LAMBDA_BUNDLING.esbuildArgs },
        forceDockerBundling: false,
        ...(props.bundledFiles && Object.keys(props.bundledFiles).length > 0 ? { commandHooks: copyIntoBundle(props.bundledFiles) } : {}),
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
 * Command hooks that copy `files` into the bundle's folder after esbuild. They are written to a
 * temporary folder now, as the hooks may only return shell commands; CDK also calls the hooks to
 * render a Docker command it never runs, so writing in the hook itself would not do.
 */
function copyIntoBundle(files: Readonly<Record<string, string>>): ICommandHooks {
  const staged = mkdtempSync(path.join(tmpdir(), 'outbox-bundled-files-'));
  const names = Object.keys(files);
  for (const name of names) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`A bundled file needs a plain name, got ${JSON.stringify(name)}.`);
    writeFileSync(path.join(staged, name), files[name]!);
  }
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) => [
      ...names.map((name) => `cp ${shellQuoted(path.join(staged, name))} ${shellQuoted(path.join(outputDir, name))}`),
      `rm -rf ${shellQuoted(staged)}`,
    ],
  };
}

function shellQuoted(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
