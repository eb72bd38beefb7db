import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** Requests the store served since the last reset, by DynamoDB operation, and its CPU time. */
export interface StoreStats {
  readonly operations: Readonly<Record<string, { readonly calls: number; readonly failed: number }>>;
  readonly cpuMs: number;
}

/** The benchmark's DynamoDB-compatible store, in its own process (see store-server.ts). */
export interface BenchStore {
  readonly endpoint: string;
  /** Zeroes the request counts and the CPU clock. */
  reset(): Promise<void>;
  stats(): Promise<StoreStats>;
  stop(): Promise<void>;
}

/**
 * Forks store-server.ts with this process's exec arguments (so tsx's loader comes along) and waits
 * for its endpoint. Everything stays on loopback.
 */
export async function startStore(): Promise<BenchStore> {
  const child = fork(path.join(__dirname, 'store-server.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const endpoint = await reply<{ endpoint: string }>(child, 'ready', undefined, 15_000).then((m) => m.endpoint);
  return {
    endpoint,
    reset: async () => {
      await reply(child, 'reset', { type: 'reset' });
    },
    stats: async () => (await reply<{ stats: StoreStats }>(child, 'stats', { type: 'stats' })).stats,
    stop: () => stopChild(child),
  };
}

/** Stops a forked server process of the benchmark (the store, the SES stand-in). */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    // Closing the channel lets it exit on its own (a --cpu-prof profile gets written); kill it if it does not.
    const timer = setTimeout(() => child.kill(), 2_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.disconnect();
  });
}

/** Sends `request` (if any) to a forked server process and resolves with its next message of `type`. */
export function reply<T>(child: ChildProcess, type: string, request: object | undefined, timeoutMs = 5_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`the process did not answer '${type}' within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: { type?: string }): void => {
      if (message.type === type) done(undefined, message as T);
    };
    const onExit = (code: number | null): void => done(new Error(`the process exited (code ${code}) before answering '${type}'`));
    function done(error: Error | undefined, value?: T): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value as T);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (request) child.send(request);
  });
}
