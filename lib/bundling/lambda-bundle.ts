import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';

/**
 * The credential providers of the SDK's default chain that a Lambda never reaches. Lambda hands
 * the function's role credentials over in environment variables, and the chain tries those first
 * (fromEnv); it loads these providers only with dynamic imports, each after the ones before it
 * failed. Left out of the bundle, they cost neither bytes nor parse time (about a third of a
 * client-only bundle). Should one ever be reached (say AWS_PROFILE set on a function), the
 * Node.js runtimes resolve it through NODE_PATH, which includes the SDK they ship in
 * /var/runtime/node_modules; hence dynamic imports become require(), because Node's ES module
 * resolver ignores NODE_PATH.
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

/**
 * The esbuild settings every Lambda is bundled with (NodeFunction) and the benchmark (P3) builds
 * with, together with LAMBDA_ESBUILD_PLUGINS: bundle, minify, readable function and class names in
 * stack traces instead of source maps, Node 24, CommonJS.
 */
export const LAMBDA_ESBUILD_OPTIONS: Readonly<BuildOptions> = {
  bundle: true,
  platform: 'node',
  minify: true,
  keepNames: true,
  sourcemap: false,
  target: 'node24',
  format: 'cjs',
  // Prefer the SDK's ES module builds: esbuild tree-shakes them, which cuts bundles by a third.
  // The AWS SDK v3 itself is bundled, not taken from the runtime: the code that runs is the code
  // that was tested, and it loads faster from one file than from the runtime's node_modules
  // (docs/benchmark.md, P3).
  mainFields: ['module', 'main'],
  external: [...UNREACHED_CREDENTIAL_PROVIDERS],
  // `import()` of an external module stays an ES module import, which would not find the
  // runtime's SDK; as require() it does (see UNREACHED_CREDENTIAL_PROVIDERS).
  supported: { 'dynamic-import': false },
};

/** A generated SDK schema file: every shape and operation of one service, `@aws-sdk/client-x/dist-es/schemas/schemas_0.js`. */
const SDK_SCHEMA_FILE = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;
/** `const _e = "error";`: the file's short names for its strings. */
const STRING_CONSTANT = /^const ([A-Za-z_$][\w$]*) = ("[^"\\\n]*");$/gm;
/**
 * `[_e]:` after `{` or `,`: a computed key of an object literal. (After `{` or `,`, an array
 * followed by `:` can be nothing else in JavaScript.)
 */
const COMPUTED_KEY = /([{,]\s*)\[([A-Za-z_$][\w$]*)\](\s*:)/g;

/**
 * Rewrites a schema file's computed keys that name one of its string constants (`{ [_e]: _c }`)
 * as the string itself (`{ "error": _c }`): the same object, but one esbuild can see is built
 * without side effects (a computed key might run code when turned into a string). Unused schemas
 * then tree-shake away: each operation's schema and its shapes stay only if a command the bundle
 * uses refers to them (an SES v2 client's schemas drop from 47 KB to under 2 KB). A file whose
 * generated form changes simply keeps more code; the rewrite never changes what runs.
 */
export function withLiteralSchemaKeys(source: string): string {
  const constants = new Map<string, string>();
  for (const [, name, literal] of source.matchAll(STRING_CONSTANT)) constants.set(name!, literal!);
  return source.replace(COMPUTED_KEY, (whole, before: string, name: string, colon: string) => {
    const literal = constants.get(name);
    return literal === undefined ? whole : `${before}${literal}${colon}`;
  });
}

/** See withLiteralSchemaKeys. */
export const treeShakableSdkSchemas: Plugin = {
  name: 'tree-shakable-sdk-schemas',
  setup(build) {
    build.onLoad({ filter: SDK_SCHEMA_FILE }, async (args) => ({ contents: withLiteralSchemaKeys(await readFile(args.path, 'utf8')), loader: 'js' }));
  },
};

/**
 * `@smithy/core/event-streams` (about 16 KB) as every protocol imports it, lazily, for operations
 * with an event stream: Outbox calls none (SES v2, DynamoDB, SQS, SNS, IAM and Secrets Manager
 * have none). Such an import gets a module that fails with this message instead. A client that
 * needs event streams imports them statically too, from its runtime config, and still gets them.
 */
export const EVENT_STREAMS_LEFT_OUT = 'Event streams are left out of Outbox Lambda bundles (lib/bundling/lambda-bundle.ts): no call Outbox makes uses one.';

export const eventStreamsOnlyWhenImportedStatically: Plugin = {
  name: 'event-streams-only-when-imported-statically',
  setup(build) {
    build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, namespace: 'left-out-event-streams' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'left-out-event-streams' }, () => ({ contents: `throw new Error(${JSON.stringify(EVENT_STREAMS_LEFT_OUT)});`, loader: 'js' }));
  },
};

/**
 * Packages the Lambdas import only with `import()`, for a rare path, each bundled into a file of its
 * own beside index.js (`postal-mime.js`) and required from there on first use: code a cold start
 * would otherwise parse and compile for nothing (postal-mime is read only for raw messages). A
 * static import of one still bundles it inline.
 */
export const LAZY_PACKAGES: readonly string[] = ['postal-mime'];

const lazyFileOf = (name: string) => `./${name.replace(/^@/, '').replaceAll('/', '-')}.js`;

export const lazyPackagesInFilesOfTheirOwn: Plugin = {
  name: 'lazy-packages-in-files-of-their-own',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) =>
      args.kind === 'dynamic-import' && LAZY_PACKAGES.includes(args.path) ? { path: lazyFileOf(args.path), external: true } : undefined,
    );
  },
};

/** The plugins every Lambda bundle is built with, after LAMBDA_ESBUILD_OPTIONS. */
export const LAMBDA_ESBUILD_PLUGINS: readonly Plugin[] = [treeShakableSdkSchemas, eventStreamsOnlyWhenImportedStatically, lazyPackagesInFilesOfTheirOwn];

/** The repository root: where esbuild resolves packages from. */
const ROOT = path.resolve(__dirname, '..', '..');

export interface LambdaBundle {
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
  /** The LAZY_PACKAGES files written beside `file`, by name (`postal-mime.js`), with their sizes. */
  readonly lazyFiles: Readonly<Record<string, number>>;
}

/**
 * Bundles one handler entry into `outdir/index.js`, as every Outbox Lambda is bundled
 * (LAMBDA_ESBUILD_OPTIONS and LAMBDA_ESBUILD_PLUGINS). `external` replaces the externals, for the
 * benchmark's comparison with the runtime's SDK only.
 */
export async function bundleLambda(entry: string, outdir: string, options: { readonly external?: string[] } = {}): Promise<LambdaBundle> {
  const file = path.join(outdir, 'index.js');
  const result = await build({
    ...LAMBDA_ESBUILD_OPTIONS,
    ...(options.external ? { external: options.external } : {}),
    plugins: [...LAMBDA_ESBUILD_PLUGINS],
    entryPoints: [entry],
    outfile: file,
    metafile: true,
    logLevel: 'warning',
    absWorkingDir: ROOT,
  });
  const output = Object.entries(result.metafile.outputs).find(([out]) => path.resolve(ROOT, out) === file)?.[1];
  const lazyFiles: Record<string, number> = {};
  for (const name of LAZY_PACKAGES) {
    const lazyFile = lazyFileOf(name);
    if (!output?.imports.some((i) => i.external && i.path === lazyFile)) continue;
    lazyFiles[path.basename(lazyFile)] = await bundleLazyPackage(name, path.join(outdir, lazyFile));
  }
  return { file, bytes: output?.bytes ?? 0, metafile: result.metafile, lazyFiles };
}

/** One LAZY_PACKAGES package as a CommonJS file whose exports are the package's (its default included). */
async function bundleLazyPackage(name: string, outfile: string): Promise<number> {
  const result = await build({
    ...LAMBDA_ESBUILD_OPTIONS,
    plugins: [treeShakableSdkSchemas, eventStreamsOnlyWhenImportedStatically],
    stdin: { contents: `export * from ${JSON.stringify(name)};\nexport { default } from ${JSON.stringify(name)};\n`, resolveDir: ROOT, loader: 'js' },
    outfile,
    metafile: true,
    logLevel: 'warning',
    absWorkingDir: ROOT,
  });
  return Object.values(result.metafile.outputs)[0]?.bytes ?? 0;
}
