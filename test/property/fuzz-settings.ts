import type { Parameters } from 'fast-check';

/**
 * How many cases each property runs, and from which seed. `npm test` runs a bounded, seeded
 * number (the same cases every run, a few seconds in all); `npm run fuzz` sets OUTBOX_FUZZ_RUNS
 * (100,000 by default there) and OUTBOX_FUZZ_SEED (random unless given) for the long run. A
 * failure prints its seed and path, so `OUTBOX_FUZZ_SEED=<seed> npm run fuzz` replays it.
 */
export function fuzzSettings<T>(quickRuns: number): Parameters<T> {
  const runs = Number(process.env.OUTBOX_FUZZ_RUNS);
  const seed = Number(process.env.OUTBOX_FUZZ_SEED);
  const long = Number.isInteger(runs) && runs > 0;
  return {
    numRuns: long ? runs : quickRuns,
    seed: Number.isInteger(seed) ? seed : long ? Date.now() : 20261202,
    // A shrunk counterexample is what a person can read; the long run may spend time on it.
    endOnFailure: !long,
  };
}

/** How long a property test may take: the quick run stays within jest's default, the long one does not. */
export function fuzzTimeoutMs(quickMs: number): number {
  const runs = Number(process.env.OUTBOX_FUZZ_RUNS);
  return Number.isInteger(runs) && runs > 0 ? 60 * 60 * 1000 : quickMs;
}
