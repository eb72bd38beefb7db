import { bundleLambda } from './lambda-bundle';

/**
 * `node --import tsx lib/bundling/bundle-cli.ts <entry> <outdir>`: bundles one Lambda, for
 * NodeFunction's local bundling, which must be synchronous while esbuild runs plugins only in its
 * asynchronous API.
 */
const [entry, outdir] = process.argv.slice(2);
if (!entry || !outdir) {
  console.error('usage: bundle-cli.ts <entry> <outdir>');
  process.exit(2);
}
bundleLambda(entry, outdir).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
