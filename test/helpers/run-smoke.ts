import { spawn } from 'node:child_process';
import path from 'node:path';

export interface SmokeRun {
  readonly code: number | null;
  readonly output: string;
}

/** Runs `npm run smoke -- <args>` as a real process and resolves with its exit code and output. */
export function runSmoke(args: readonly string[], timeoutMs = 60_000): Promise<SmokeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'smoke', '--silent', '--', ...args], {
      cwd: path.resolve(__dirname, '../..'),
      env: { ...process.env, RESEND_BASE_URL: '', RESEND_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`npm run smoke did not finish within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
