/**
 * Small helpers shared by the benchmark's measures: the Measure contract, timing, statistics,
 * a bounded worker pool, a repeatable random source, a Lambda environment and the results table.
 */
import { ENV } from '../lambda/shared/env';
import { DEFAULT_GUARD_THRESHOLDS } from '../lambda/shared/guard-thresholds';
import { ALL_TABLES } from '../lambda/shared/tables';
import { localTableName } from '../local/runtime';

/** What one measure reports. `value` is always a ratio against a floor measured in the same run. */
export interface Figure {
  readonly value: number;
  /** The target in words, e.g. `≥ 0.8`. */
  readonly target: string;
  readonly met: boolean;
  /** One line for the table's detail column. */
  readonly summary: string;
  /** Everything else worth keeping; merged into the figure's entry in bench/results.json. */
  readonly detail: Readonly<Record<string, unknown>>;
}

/** One figure of the benchmark (P1, P2, ...), in its own file. */
export interface Measure {
  readonly id: string;
  readonly title: string;
  run(log: (line: string) => void): Promise<Figure>;
}

/** A figure's outcome as run.ts records it: a figure, or the error that stopped its measure. */
export type Outcome = { readonly id: string; readonly title: string; readonly seconds: number } & (
  | { readonly figure: Figure }
  | { readonly error: string; readonly target?: string }
);

export function nowMs(): number {
  return performance.now();
}

/** Runs `work` and returns its result with the wall-clock milliseconds it took. */
export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = nowMs();
  const result = await work();
  return { result, ms: nowMs() - start };
}

/** The q-th quantile (0..1) of `values`, by linear interpolation between the closest ranks. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** (max - min) / median: how far apart repeated runs landed, as a fraction of the median. */
export function relativeSpread(values: readonly number[]): number {
  return (Math.max(...values) - Math.min(...values)) / median(values);
}

/** Rounds to `digits` decimals, for reports. */
export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Runs `work` over `items` with at most `concurrency` calls in flight, in order of the list. */
export async function runPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** Splits `items` into consecutive chunks of `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** A repeatable stand-in for Math.random (a linear congruential generator), so workloads are the same every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Fisher-Yates, in place. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * The environment the stack gives a Lambda, for a handler's readConfig: every table's variable (with
 * the local table names) and every shared variable except the local-only endpoints and the ones the
 * stack sets only when configured (a ClamAV daemon, a send-rate override), each with a value of the
 * shape its name says; plus a Region and dummy credentials, so SDK clients construct as they do in
 * Lambda. New variables are picked up without touching the benchmark.
 */
export function lambdaEnvironment(): Record<string, string> {
  const notSetByDefault = new Set<string>([ENV.sesEndpoint, ENV.dynamoDbEndpoint, ENV.clamd, ENV.maxSendRate]);
  const variables: Record<string, string> = Object.fromEntries(ALL_TABLES.map((table) => [table.envVar, localTableName(table)]));
  for (const name of Object.values(ENV)) if (!notSetByDefault.has(name)) variables[name] = sampleValue(name);
  return {
    ...variables,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** Variables whose value the Lambdas check as numbers, at the stack's defaults. */
const NUMERIC_DEFAULTS: Readonly<Record<string, string>> = {
  [ENV.guardWarnBounceRate]: String(DEFAULT_GUARD_THRESHOLDS.warnBounceRate),
  [ENV.guardWarnComplaintRate]: String(DEFAULT_GUARD_THRESHOLDS.warnComplaintRate),
  [ENV.guardPauseBounceRate]: String(DEFAULT_GUARD_THRESHOLDS.pauseBounceRate),
  [ENV.guardPauseComplaintRate]: String(DEFAULT_GUARD_THRESHOLDS.pauseComplaintRate),
  [ENV.guardMinimumSends]: String(DEFAULT_GUARD_THRESHOLDS.minimumSends),
};

function sampleValue(name: string): string {
  const numeric = NUMERIC_DEFAULTS[name];
  if (numeric !== undefined) return numeric;
  const slug = name.replace(/^OUTBOX_/, '').toLowerCase().replaceAll('_', '-');
  if (name.endsWith('_DAYS')) return '90';
  if (name.endsWith('_LIMIT')) return '3';
  if (name.endsWith('_ARN')) return `arn:aws:sns:us-east-1:000000000000:outbox-${slug}`;
  if (name.endsWith('_URL')) return `https://sqs.us-east-1.amazonaws.com/000000000000/outbox-${slug}`;
  return `outbox-${slug}`;
}

/** The results table, one row per figure, columns padded to fit. */
export function formatTable(outcomes: readonly Outcome[]): string {
  const header = ['figure', 'value', 'target', 'met', 'detail'];
  const rows = outcomes.map((outcome) =>
    'figure' in outcome
      ? [`${outcome.id} ${outcome.title}`, String(round(outcome.figure.value)), outcome.figure.target, outcome.figure.met ? 'yes' : 'NO', outcome.figure.summary]
      : [`${outcome.id} ${outcome.title}`, '-', outcome.target ?? '-', 'NO', `failed: ${outcome.error}`],
  );
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** bench/results.json: `{ "<id>": { value, target, met, ...detail } }`; a failed measure gets value null and its error. */
export function resultsJson(outcomes: readonly Outcome[]): Record<string, Record<string, unknown>> {
  const results: Record<string, Record<string, unknown>> = {};
  for (const outcome of outcomes) {
    results[outcome.id] =
      'figure' in outcome
        ? { value: round(outcome.figure.value, 3), target: outcome.figure.target, met: outcome.figure.met, ...outcome.figure.detail, seconds: round(outcome.seconds, 1) }
        : { value: null, target: outcome.target ?? null, met: false, error: outcome.error, seconds: round(outcome.seconds, 1) };
  }
  return results;
}
