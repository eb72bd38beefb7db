import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Metafile } from 'esbuild';
import { DEPLOY_TIME_HANDLERS, HANDLER_ENTRIES } from '../lambda/shared/env';
import { bundleLambda, LAMBDA_ESBUILD_OPTIONS, LAMBDA_ESBUILD_PLUGINS } from '../lib/bundling/lambda-bundle';
import { lambdaEnvironment, median, relativeSpread, round, type Figure, type Measure } from './lib';

/**
 * P3 cold start: each Lambda bundle, built as NodeFunction builds it (bundleLambda:
 * LAMBDA_ESBUILD_OPTIONS and LAMBDA_ESBUILD_PLUGINS), by size and by module init time: a fresh `node` process times
 * `require()` of the bundle (its top-level code, which reads the config and builds the clients,
 * included; the environment is the one the stack sets, see lambdaEnvironment), against a bundle
 * that only constructs an SESv2Client, built the same way. value = the worst init ratio.
 *
 * For comparison only (not in the value), the same bundles as NodejsFunction's own default builds
 * them for current runtimes, with the SDK left out (`@aws-sdk/*`, `@smithy/*`) and loaded at init
 * from node_modules through NODE_PATH, as Lambda loads the SDK it ships in
 * /var/runtime/node_modules; their loads are interleaved with the others'.
 */
export const coldStart: Measure = { id: 'P3', title: 'cold start', run };

const MAX_RATIO = 1.5;
const MAX_BUNDLE_KB = 250;
/** Timed loads per bundle, after one untimed load each (so every bundle meets a warm file cache). */
const RUNS = 11;
const ROOT = path.join(__dirname, '..');
const BASELINE = 'baseline';
const BASELINE_ENTRY = path.join(__dirname, 'cold-start-baseline.ts');
/** Packages shown per bundle in the detail, largest first. */
const TOP_INPUTS = 5;
/** NodejsFunction's default externals for the Node.js 18+ runtimes (with the @smithy flag on, as cdk.json has it). */
const RUNTIME_SDK_EXTERNALS = ['@aws-sdk/*', '@smithy/*'];
/** Name prefix of the comparison bundles built with RUNTIME_SDK_EXTERNALS. */
const RUNTIME_SDK = 'runtimeSdk:';

/** Runs in the fresh process: the time to load and initialize the bundle, nothing else. */
const LOADER = `
const { performance } = require('node:perf_hooks');
const start = performance.now();
require(process.argv[1]);
process.stdout.write(JSON.stringify({ ms: performance.now() - start }));
`;

interface Bundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  readonly topInputs: Readonly<Record<string, number>>;
  /** Files beside the bundle that it requires only on first use (LAZY_PACKAGES), in KB: not parsed at init. */
  readonly lazyFilesKb: Readonly<Record<string, number>>;
  /** Where `require` finds the modules left out of the bundle; none for the stack's bundles. */
  readonly nodePath?: string;
}

async function run(log: (line: string) => void): Promise<Figure> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'outbox-bench-p3-'));
  try {
    const servingHandlers = Object.entries(HANDLER_ENTRIES).filter(([name]) => !DEPLOY_TIME_HANDLERS.has(name as keyof typeof HANDLER_ENTRIES));
    const entries: [string, string][] = [[BASELINE, BASELINE_ENTRY], ...servingHandlers.map(([name, entry]): [string, string] => [name, path.join(ROOT, entry)])];
    const bundles: Bundle[] = [];
    for (const [name, entry] of entries) bundles.push(await bundle(name, entry, outdir));
    log(`P3: bundled ${bundles.map((b) => `${b.name} ${kb(b.bytes)} KB`).join(', ')}`);
    const runtimeSdkBundles: Bundle[] = [];
    for (const [name, entry] of entries) runtimeSdkBundles.push(await bundle(`${RUNTIME_SDK}${name}`, entry, outdir, RUNTIME_SDK_EXTERNALS));
    const everyBundle = [...bundles, ...runtimeSdkBundles];

    const times = new Map<string, number[]>(everyBundle.map((b) => [b.name, []]));
    for (const b of everyBundle) await initMs(b);
    for (let runIndex = 0; runIndex < RUNS; runIndex++) {
      // Interleaved, and in a rotating order, so drift in the machine's load touches every bundle alike.
      for (let k = 0; k < everyBundle.length; k++) {
        const b = everyBundle[(runIndex + k) % everyBundle.length]!;
        times.get(b.name)!.push(await initMs(b));
      }
    }
    const baselineMs = median(times.get(BASELINE)!);
    const handlers = bundles.filter((b) => b.name !== BASELINE);
    const runtimeSdk = Object.fromEntries(
      runtimeSdkBundles.map((b) => {
        const ms = median(times.get(b.name)!);
        return [b.name.slice(RUNTIME_SDK.length), { kb: kb(b.bytes), initMs: round(ms, 1), vsBundledBaseline: round(ms / baselineMs, 3) }];
      }),
    );
    log(`P3: with the SDK from node_modules: ${Object.entries(runtimeSdk).map(([name, r]) => `${name} ${r.kb} KB ${r.initMs} ms`).join(', ')}`);
    const results = handlers.map((b) => {
      const ms = median(times.get(b.name)!);
      return { name: b.name, bytes: b.bytes, kb: kb(b.bytes), initMs: round(ms, 1), ratio: ms / baselineMs, spread: relativeSpread(times.get(b.name)!), topInputs: b.topInputs, lazyFilesKb: b.lazyFilesKb };
    });
    log(`P3: init medians: baseline ${round(baselineMs, 1)} ms, ${results.map((r) => `${r.name} ${r.initMs} ms`).join(', ')}`);

    const worst = results.reduce((a, b) => (b.ratio > a.ratio ? b : a));
    const largest = results.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    const sizesMet = results.every((r) => r.kb <= MAX_BUNDLE_KB);
    return {
      value: worst.ratio,
      target: `≤ ${MAX_RATIO} with every bundle ≤ ${MAX_BUNDLE_KB} KB`,
      met: worst.ratio <= MAX_RATIO && sizesMet,
      summary: `${results.map((r) => `${r.name} ${r.kb} KB${lazySummary(r.lazyFilesKb)} ×${round(r.ratio)}`).join(', ')}; baseline ${kb(bundles[0]!.bytes)} KB ${round(baselineMs, 1)} ms`,
      detail: {
        unit: 'bundle init ms ÷ SESv2Client-only bundle init ms (worst bundle)',
        worstBundle: worst.name,
        largestBundle: largest.name,
        ratioMet: worst.ratio <= MAX_RATIO,
        sizesMet,
        baseline: { kb: kb(bundles[0]!.bytes), initMs: round(baselineMs, 1), spread: round(relativeSpread(times.get(BASELINE)!), 3), largestInputsKb: bundles[0]!.topInputs },
        bundles: Object.fromEntries(
          results.map((r) => [
            r.name,
            { kb: r.kb, bytes: r.bytes, initMs: r.initMs, ratio: round(r.ratio, 3), spread: round(r.spread, 3), largestInputsKb: r.topInputs, ...(Object.keys(r.lazyFilesKb).length > 0 ? { loadedOnFirstUseKb: r.lazyFilesKb } : {}) },
          ]),
        ),
        runsPerBundle: RUNS,
        kilobyte: 1024,
        esbuild: LAMBDA_ESBUILD_OPTIONS,
        esbuildPlugins: LAMBDA_ESBUILD_PLUGINS.map((plugin) => plugin.name),
        runtimeSdkAlternative: {
          about: 'not in the value: the same entries with the SDK external and loaded from node_modules through NODE_PATH, as with NodejsFunction defaults',
          externals: RUNTIME_SDK_EXTERNALS,
          bundles: runtimeSdk,
        },
      },
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Bundles `entry` as lib/constructs/node-function.ts bundles every Lambda (bundleLambda). The
 * bundles run from a temporary folder with no node_modules above it and no NODE_PATH, so a bundle
 * that required one of its external modules at init would fail to load, not pass.
 */
async function bundle(name: string, entry: string, outdir: string, external?: string[]): Promise<Bundle> {
  const { file, bytes, metafile, lazyFiles } = await bundleLambda(entry, path.join(outdir, name.replace(':', '-')), external ? { external } : {});
  return {
    name,
    file,
    bytes,
    topInputs: largestInputs(metafile, file),
    lazyFilesKb: Object.fromEntries(Object.entries(lazyFiles).map(([lazyFile, lazyBytes]) => [lazyFile, kb(lazyBytes)])),
    ...(external ? { nodePath: path.join(ROOT, 'node_modules') } : {}),
  };
}

/** The packages (or repository folders) that take the most room in the output, in KB. */
function largestInputs(metafile: Metafile, file: string): Record<string, number> {
  const output = Object.entries(metafile.outputs).find(([out]) => path.resolve(ROOT, out) === file)?.[1];
  const byOwner = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const owner = ownerOf(input);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + bytesInOutput);
  }
  return Object.fromEntries(
    [...byOwner]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP_INPUTS)
      .map(([owner, bytes]) => [owner, kb(bytes)]),
  );
}

/** `node_modules/@smithy/core/dist-es/x.js` → `@smithy/core`; `lambda/core/x.ts` → `lambda/core`. */
function ownerOf(input: string): string {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at >= 0) return parts[at + 1]!.startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1]!;
  return parts.slice(0, 2).join('/');
}

/** Loads the bundle in a fresh node process and returns its reported init time. */
function initMs({ file, nodePath }: Bundle): Promise<number> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH ?? '', ...(nodePath ? { NODE_PATH: nodePath } : {}), ...lambdaEnvironment() };
    const child = spawn(process.execPath, ['-e', LOADER, file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      // The first error line, not the minified source line node prints above it.
      const reason = err.split('\n').find((line) => /^\w*Error\b/.test(line)) ?? err.trim().slice(0, 300);
      if (code !== 0) return reject(new Error(`loading ${path.basename(path.dirname(file))} failed (exit ${code}): ${reason.slice(0, 300)}`));
      resolve((JSON.parse(out) as { ms: number }).ms);
    });
  });
}

/** ` (+ postal-mime.js 77.8 KB on first use)`, or nothing. */
function lazySummary(lazyFilesKb: Readonly<Record<string, number>>): string {
  const files = Object.entries(lazyFilesKb);
  return files.length === 0 ? '' : ` (+ ${files.map(([file, size]) => `${file} ${size} KB`).join(', ')} on first use)`;
}

function kb(bytes: number): number {
  return round(bytes / 1024, 1);
}
