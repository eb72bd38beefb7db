import { fork } from 'node:child_process';
import path from 'node:path';
import { reply, stopChild } from './store';

/** What the SES stand-in accepted and refused since the last reset (see ses-server.ts). */
export interface SesStats {
  readonly accepted: number;
  readonly recipients: number;
  /** Distinct `outbox-message-id` tags among the accepted messages. */
  readonly distinctTags: number;
  /** Accepted messages beyond the first for their tag: emails sent more than once. */
  readonly duplicates: number;
  /** SendEmail calls answered TooManyRequestsException. */
  readonly throttled: number;
  /** Epoch milliseconds, sub-millisecond, by the stand-in's clock; null before any acceptance. */
  readonly firstAcceptedAt: number | null;
  readonly lastAcceptedAt: number | null;
  /** The most recipients accepted within any one-second span, and where it starts (seconds after the first acceptance). */
  readonly busiestSecond: { readonly recipients: number; readonly startsAfterSeconds: number };
  /** Recipients accepted in each second of the clock (epoch seconds), from the first acceptance's second to the last's. */
  readonly perEpochSecond: readonly number[];
  readonly cpuMs: number;
}

/** The benchmark's SES stand-in, in its own process. */
export interface BenchSes {
  /** The endpoint for SESv2Client. */
  readonly url: string;
  reset(): Promise<void>;
  stats(): Promise<SesStats>;
  /** The stand-in's maximum send rate, recipients per second (a full bucket); undefined = unlimited. */
  setMaxSendRate(rate: number | undefined): Promise<void>;
  stop(): Promise<void>;
}

/** Forks ses-server.ts (with this process's exec arguments, so tsx's loader comes along) and waits for its endpoint. */
export async function startSes(): Promise<BenchSes> {
  const child = fork(path.join(__dirname, 'ses-server.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await reply<{ url: string }>(child, 'ready', undefined, 15_000).then((m) => m.url);
  return {
    url,
    reset: async () => {
      await reply(child, 'reset', { type: 'reset' });
    },
    stats: async () => (await reply<{ stats: SesStats }>(child, 'stats', { type: 'stats' })).stats,
    setMaxSendRate: async (maxSendRate) => {
      await reply(child, 'rate', { type: 'rate', maxSendRate });
    },
    stop: () => stopChild(child),
  };
}
