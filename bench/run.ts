/**
 * `npm run bench`: runs each measure in order, prints the results table and writes
 * bench/results.json. `npm run bench -- P2` runs only the figures named. Every figure is a ratio
 * against a floor measured in the same run, so the machine's speed cancels out; see
 * docs/benchmark.md.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatTable, nowMs, resultsJson, type Measure, type Outcome } from './lib';
import { sendOverhead } from './p1-send-overhead';
import { eventIngestion } from './p2-event-ingestion';
import { coldStart } from './p3-cold-start';
import { bulk } from './p4-bulk';
import { costOnPaper } from './p5-cost';

const MEASURES: readonly Measure[] = [sendOverhead, eventIngestion, coldStart, bulk, costOnPaper];
const RESULTS_FILE = path.join(__dirname, 'results.json');

async function main(): Promise<number> {
  // The SDK's notice about Node versions is not part of any figure.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const wanted = process.argv.slice(2).map((id) => id.toUpperCase());
  const unknown = wanted.filter((id) => !MEASURES.some((m) => m.id === id));
  if (unknown.length > 0) {
    console.error(`Unknown figure ${unknown.join(', ')}; known: ${MEASURES.map((m) => m.id).join(', ')}`);
    return 2;
  }
  const measures = wanted.length > 0 ? MEASURES.filter((m) => wanted.includes(m.id)) : MEASURES;
  const log = (line: string): void => console.log(line);
  const outcomes: Outcome[] = [];
  for (const measure of measures) {
    const start = nowMs();
    try {
      const figure = await measure.run(log);
      outcomes.push({ id: measure.id, title: measure.title, seconds: (nowMs() - start) / 1000, figure });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      console.error(`${measure.id} failed:`, error);
      outcomes.push({ id: measure.id, title: measure.title, seconds: (nowMs() - start) / 1000, error: message });
    }
  }
  console.log(`\n${formatTable(outcomes)}\n`);
  writeFileSync(RESULTS_FILE, `${JSON.stringify(resultsJson(outcomes), null, 2)}\n`);
  console.log(`Wrote ${path.relative(process.cwd(), RESULTS_FILE)}`);
  // A missed target is a finding, reported above; only a measure that could not run fails the command.
  return outcomes.every((o) => 'figure' in o) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
