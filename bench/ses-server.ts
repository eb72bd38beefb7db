/**
 * The benchmark's SES stand-in, run as its own process (forked by ses.ts): the same stand-in
 * local mode runs, on a free loopback port, with the mailbox simulator off (no listener would
 * take its events). Own process so its work (decoding, MIME composition) does not share an event
 * loop with the code under test, and so its clock stamps each acceptance as it happens.
 *
 * It records every accepted message (its time, recipients and `outbox-message-id` tag) and
 * reports, since the last reset: accepted messages and recipients, duplicates by tag, throttled
 * answers, the first and last acceptance, the busiest one-second window and its own CPU time.
 *
 * IPC: sends `{ type: 'ready', url }` once listening; answers `{ type: 'stats' }` with
 * `{ type: 'stats', stats }`, `{ type: 'reset' }` with `{ type: 'reset' }` and
 * `{ type: 'rate', maxSendRate }` (undefined = unlimited) with `{ type: 'rate' }`.
 */
import { MESSAGE_ID_TAG } from '../lambda/shared/env';
import { startSesStandIn } from '../local/ses-standin';
import type { SesStats } from './ses';

/** Acceptance times (epoch ms, sub-millisecond) and recipients, in order of acceptance. */
let acceptedAt: number[] = [];
let recipients: number[] = [];
let perTag = new Map<string, number>();
let throttledAtReset = 0;
let cpuAtReset = process.cpuUsage();

async function main(): Promise<void> {
  const ses = await startSesStandIn({ host: '127.0.0.1', simulateEvents: false });
  ses.onAccepted((message) => {
    acceptedAt.push(performance.timeOrigin + performance.now());
    recipients.push(message.recipients.length);
    const tag = message.tags.find((t) => t.name === MESSAGE_ID_TAG)?.value ?? '(untagged)';
    perTag.set(tag, (perTag.get(tag) ?? 0) + 1);
  });

  process.on('message', (message: { type?: string; maxSendRate?: number }) => {
    if (message.type === 'reset') {
      acceptedAt = [];
      recipients = [];
      perTag = new Map();
      throttledAtReset = ses.throttled();
      cpuAtReset = process.cpuUsage();
      // The stand-in keeps up to 10,000 messages for inspection; nobody inspects them here.
      ses.clearMessages();
      process.send?.({ type: 'reset' });
    } else if (message.type === 'rate') {
      ses.setMaxSendRate(message.maxSendRate);
      process.send?.({ type: 'rate' });
    } else if (message.type === 'stats') {
      process.send?.({ type: 'stats', stats: stats(ses.throttled() - throttledAtReset) });
    }
  });
  process.send?.({ type: 'ready', url: ses.url });
}

function stats(throttled: number): SesStats {
  const cpu = process.cpuUsage(cpuAtReset);
  let duplicates = 0;
  for (const count of perTag.values()) duplicates += count - 1;
  return {
    accepted: acceptedAt.length,
    recipients: recipients.reduce((sum, n) => sum + n, 0),
    distinctTags: perTag.size,
    duplicates,
    throttled,
    firstAcceptedAt: acceptedAt[0] ?? null,
    lastAcceptedAt: acceptedAt[acceptedAt.length - 1] ?? null,
    busiestSecond: busiestSecond(),
    perEpochSecond: perEpochSecond(),
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

/**
 * The most recipients accepted within any one-second span [t, t + 1000 ms), found with two
 * pointers, and where that span starts (seconds after the first acceptance).
 */
function busiestSecond(): { recipients: number; startsAfterSeconds: number } {
  let most = 0;
  let mostStart = 0;
  let inWindow = 0;
  let start = 0;
  for (let end = 0; end < acceptedAt.length; end++) {
    inWindow += recipients[end]!;
    while (acceptedAt[end]! - acceptedAt[start]! >= 1000) inWindow -= recipients[start++]!;
    if (inWindow > most) {
      most = inWindow;
      mostStart = start;
    }
  }
  return { recipients: most, startsAfterSeconds: acceptedAt.length > 0 ? (acceptedAt[mostStart]! - acceptedAt[0]!) / 1000 : 0 };
}

/** Recipients accepted in each whole second of the clock (epoch seconds), from the first acceptance's second on. */
function perEpochSecond(): number[] {
  if (acceptedAt.length === 0) return [];
  const first = Math.floor(acceptedAt[0]! / 1000);
  const counts: number[] = [];
  acceptedAt.forEach((at, i) => {
    const index = Math.floor(at / 1000) - first;
    while (counts.length <= index) counts.push(0);
    counts[index]! += recipients[i]!;
  });
  return counts;
}

// The parent going away (even killed) closes the IPC channel: stop with it.
process.on('disconnect', () => process.exit(0));

main().catch((error: unknown) => {
  console.error('the SES stand-in process could not start', error);
  process.exit(1);
});
