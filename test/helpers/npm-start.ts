import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface StartedProcess {
  readonly url: string;
  readonly apiKey: string;
  /** The SMTP submission port's `host:port` as printed; undefined with OUTBOX_SMTP_PORT=off. */
  readonly smtp?: { readonly host: string; readonly port: number };
  readonly output: () => string;
  /** Sends the signal to the whole process group and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `npm start` as a real process on ephemeral ports (HTTP and SMTP) and waits for its start-up lines. */
export async function npmStart(env: Record<string, string> = {}): Promise<StartedProcess> {
  const child: ChildProcess = spawn('npm', ['start', '--silent'], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, PORT: '0', OUTBOX_SMTP_PORT: '0', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + 30_000;
  // The SMTP line comes after the key and the URL.
  while (!/API key \(full access\): \S+/.test(output) || !/^SMTP: /m.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`npm start did not come up:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = /running locally at (http:\/\/\S+)/.exec(output)![1]!;
  const apiKey = /API key \(full access\): (\S+)/.exec(output)![1]!;
  const smtp = /^SMTP: (\S+):(\d+),/m.exec(output);
  return {
    url,
    apiKey,
    ...(smtp ? { smtp: { host: smtp[1]!, port: Number(smtp[2]) } } : {}),
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) process.kill(-child.pid!, signal);
      return exited;
    },
  };
}
