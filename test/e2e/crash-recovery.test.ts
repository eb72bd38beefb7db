import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readSendLedger } from '../../local/ses-standin';
import { npmStart, type StartedProcess } from '../helpers/npm-start';

/**
 * A crash loses no email: `npm start` as a real process on a data directory, the SES stand-in
 * throttling at 20 recipients/s, batches accepted, the process killed while it sends, started
 * again on the same data directory. Every accepted email is delivered within the stated time, and
 * none twice, by the stand-in's own ledger (kept in the data directory across the restart).
 */

const RATE = 20;
const API_KEY = 'ob_e2e_crash_recovery_key';
/**
 * From the second start, every email is delivered within this: the ones the dead process had
 * claimed wait for its claim (10 s) and the Send-event grace (5 s) to run out, the rest go at the
 * rate, and their Delivery events follow within a second.
 */
const FINAL_WITHIN_MS = 25_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function start(dataDir: string): Promise<StartedProcess> {
  return npmStart({ OUTBOX_DATA_DIR: dataDir, OUTBOX_LOCAL_MAX_SEND_RATE: String(RATE), OUTBOX_API_KEY: API_KEY });
}

/** POSTs the emails as batches of `size`, one after another; returns every id, in order. */
async function sendBatches(outbox: StartedProcess, count: number, size: number, label: string): Promise<string[]> {
  const ids: string[] = [];
  for (let first = 0; first < count; first += size) {
    const emails = Array.from({ length: Math.min(size, count - first) }, (_, n) => ({
      from: 'Acme <hello@acme.test>',
      to: ['success@simulator.amazonses.com'],
      subject: `${label} ${first + n}`,
      text: 'Hello',
    }));
    const response = await fetch(`${outbox.url}/emails/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(emails),
    });
    expect(response.status).toBe(200);
    ids.push(...((await response.json()) as { data: { id: string }[] }).data.map((d) => d.id));
  }
  return ids;
}

/** How many times the stand-in accepted each of `ids`, by its ledger. */
function acceptedCounts(dataDir: string, ids: readonly string[]): number[] {
  const counts = new Map<string, number>();
  for (const entry of readSendLedger(dataDir)) {
    if (entry.outboxMessageId !== null) counts.set(entry.outboxMessageId, (counts.get(entry.outboxMessageId) ?? 0) + 1);
  }
  return ids.map((id) => counts.get(id) ?? 0);
}

async function waitForAccepted(dataDir: string, ids: readonly string[], atLeast: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (acceptedCounts(dataDir, ids).filter((n) => n > 0).length < atLeast) {
    if (Date.now() > deadline) throw new Error(`the stand-in did not accept ${atLeast} of the emails in time`);
    await sleep(50);
  }
}

/** Polls GET /emails/{id} until every email is `delivered`; answers what each last read said. */
async function lastEventsWhenDelivered(outbox: StartedProcess, ids: readonly string[], withinMs: number): Promise<string[]> {
  const deadline = Date.now() + withinMs;
  let events: string[] = [];
  do {
    events = await Promise.all(
      ids.map(async (id) => {
        const response = await fetch(`${outbox.url}/emails/${id}`, { headers: { authorization: `Bearer ${API_KEY}` } });
        return ((await response.json()) as { last_event?: string }).last_event ?? `HTTP ${response.status}`;
      }),
    );
    if (events.every((event) => event === 'delivered')) break;
    await sleep(500);
  } while (Date.now() < deadline);
  return events;
}

/** The start-up line saying what the start took up from the run before (printed after the banner's first lines). */
async function resumedLine(outbox: StartedProcess): Promise<string> {
  for (let waited = 0; ; waited += 50) {
    const line = outbox.output().split('\n').find((l) => l.startsWith('Resumed the previous run'));
    if (line !== undefined) return line;
    if (waited > 10_000) throw new Error(`no "Resumed the previous run" line:\n${outbox.output()}`);
    await sleep(50);
  }
}

/** Resolves once the server process itself (not only npm) has printed that it stopped. */
async function stoppedCleanly(outbox: StartedProcess): Promise<void> {
  for (let waited = 0; !outbox.output().includes('Outbox stopped.'); waited += 50) {
    if (waited > 20_000) throw new Error(`Outbox did not stop:\n${outbox.output()}`);
    await sleep(50);
  }
}

describe('npm start on a data directory: a crash loses no email', () => {
  let dataDir: string;
  let running: StartedProcess | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'outbox-crash-'));
  });

  afterEach(async () => {
    await running?.stop('SIGKILL');
    running = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('killed with SIGKILL while sending 150 batched emails, a restart delivers every one within 25 s, each accepted by SES once', async () => {
    running = await start(dataDir);
    const ids = await sendBatches(running, 150, 50, 'Crash');
    await waitForAccepted(dataDir, ids, 30);
    await running.stop('SIGKILL');
    running = undefined;

    const before = acceptedCounts(dataDir, ids);
    const sentBefore = before.filter((n) => n > 0).length;
    // Killed mid-send: some went, most did not (150 at 20/s take 7.5 s).
    expect(sentBefore).toBeGreaterThanOrEqual(30);
    expect(sentBefore).toBeLessThan(150);
    expect(Math.max(...before)).toBe(1);

    running = await start(dataDir);
    const restartedAt = Date.now();
    expect(await resumedLine(running)).toMatch(/^Resumed the previous run: \d+ queued email\(s\) back on the outbound queue/);
    const events = await lastEventsWhenDelivered(running, ids, FINAL_WITHIN_MS);
    expect(events).toEqual(ids.map(() => 'delivered'));
    expect(Date.now() - restartedAt).toBeLessThan(FINAL_WITHIN_MS);
    expect(acceptedCounts(dataDir, ids)).toEqual(ids.map(() => 1));
  }, 60_000);

  it('stopped with SIGTERM while sending, it finishes what is in flight, and the next start sends the rest, each once', async () => {
    running = await start(dataDir);
    const ids = await sendBatches(running, 100, 50, 'Stop');
    await waitForAccepted(dataDir, ids, 20);
    const first = running;
    await first.stop('SIGTERM');
    await stoppedCleanly(first);
    running = undefined;

    const sentBefore = acceptedCounts(dataDir, ids).filter((n) => n > 0).length;
    expect(sentBefore).toBeLessThan(100);

    running = await start(dataDir);
    // The sends in flight finished and their SES events were recorded before the stop: nothing was owed.
    expect(await resumedLine(running)).toMatch(/^Resumed the previous run: \d+ queued email\(s\) back on the outbound queue, 0 SES event notification\(s\)/);
    expect(await lastEventsWhenDelivered(running, ids, FINAL_WITHIN_MS)).toEqual(ids.map(() => 'delivered'));
    expect(acceptedCounts(dataDir, ids)).toEqual(ids.map(() => 1));
  }, 60_000);
});
