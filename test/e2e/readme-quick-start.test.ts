import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { npmStart, type StartedProcess } from '../helpers/npm-start';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
/** README.md, or another file to check a draft of it against (OUTBOX_README). */
const README = readFileSync(process.env.OUTBOX_README ?? path.join(ROOT, 'README.md'), 'utf8');
/** What the README's samples show for the local URL. */
const SAMPLE_URL = 'http://127.0.0.1:3000';

/** The fenced block right after the line `<!-- example: <name> -->`. */
function example(name: string): string {
  const lines = README.split('\n');
  const marker = lines.indexOf(`<!-- example: ${name} -->`);
  if (marker < 0) throw new Error(`README.md has no <!-- example: ${name} --> marker before a fenced block`);
  const open = lines.findIndex((line, i) => i > marker && line.startsWith('```'));
  const close = lines.findIndex((line, i) => i > open && line.startsWith('```'));
  if (open !== marker + 1 || close < 0) throw new Error(`<!-- example: ${name} --> is not followed by a fenced block`);
  return lines.slice(open + 1, close).join('\n');
}

/** The `# ` comment lines of a shell block that stand alone: what the commands before them print. */
function shownOutput(block: string): string[] {
  return block
    .split('\n')
    .filter((line) => line.startsWith('# '))
    .map((line) => line.slice(2));
}

/**
 * A sample line as a pattern: `...` stands for anything, and ids and times match any id or time,
 * since each run makes its own.
 */
function samplePattern(sample: string): RegExp {
  const escaped = sample
    .split('...')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\\\.\d{3}Z/g, '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z');
  return new RegExp(`^${escaped}$`);
}

function expectPrinted(stdout: string, shown: string[]): void {
  const printed = stdout.replace(/\n$/, '').split('\n');
  expect(printed).toHaveLength(shown.length);
  printed.forEach((line, i) => expect(line).toMatch(samplePattern(shown[i]!)));
}

/**
 * The README's quick start as a new user follows it: `npm start` as a real process, its banner's
 * `export` line, the resend SDK example run with `node` as written, and the curl blocks run with
 * bash in a shell where that line was pasted, each printing what the README says it prints.
 */
describe('the README quick start, as written', () => {
  let outbox: StartedProcess;
  let exportLine: string;
  let env: { RESEND_BASE_URL: string; RESEND_API_KEY: string };

  beforeAll(async () => {
    // No OUTBOX_API_KEY and no identities: what `npm start` does for someone who sets nothing.
    outbox = await npmStart();
    const printed = /^ {2}(export RESEND_BASE_URL=(\S+) RESEND_API_KEY=(\S+))$/m.exec(outbox.output());
    if (!printed) throw new Error(`npm start printed no export line:\n${outbox.output()}`);
    exportLine = printed[1]!;
    env = { RESEND_BASE_URL: printed[2]!, RESEND_API_KEY: printed[3]! };
  }, 60_000);

  afterAll(async () => {
    await outbox?.stop();
  });

  /** Runs a README shell block with bash, after the banner's export line, from the checkout. */
  async function runShell(block: string): Promise<string> {
    const { stdout } = await run('bash', ['-e', '-o', 'pipefail', '-c', `${exportLine}\n${block}`], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      timeout: 20_000,
    });
    return stdout;
  }

  it("prints the banner the README shows, with this run's URL and key", () => {
    const sample = example('banner').split('\n');
    const sampleKey = /^API key \(full access\): (\S+)$/.exec(sample[1]!)![1]!;
    const output = outbox.output().split('\n');
    for (const line of sample) {
      expect(output).toContain(line.replaceAll(SAMPLE_URL, env.RESEND_BASE_URL).replaceAll(sampleKey, env.RESEND_API_KEY));
    }
    expect(outbox.output()).toMatch(/generated for this run: it changes on every restart; start with OUTBOX_API_KEY=<key> npm start to keep one/);
  });

  it('runs the resend SDK example as a plain ES module with node, printing what the README shows', async () => {
    const commands = example('run send.mjs');
    expect(commands).toMatch(/^mkdir \S+ && cd \S+ && npm install resend\b/m);
    // The README sets the variables with the line the banner prints, in the banner's form.
    const readmeExport = /^export RESEND_BASE_URL=(\S+) RESEND_API_KEY=(\S+)/m.exec(commands);
    expect(readmeExport?.[1]).toBe(SAMPLE_URL);
    expect(exportLine.replace(env.RESEND_BASE_URL, SAMPLE_URL).replace(env.RESEND_API_KEY, readmeExport![2]!)).toBe(readmeExport![0]);
    expect(commands).toMatch(/^node send\.mjs\b/m);

    // `npm install resend` in a fresh folder: here the checkout's own copy, linked in.
    const folder = mkdtempSync(path.join(tmpdir(), 'outbox-readme-'));
    try {
      mkdirSync(path.join(folder, 'node_modules'));
      symlinkSync(path.join(ROOT, 'node_modules', 'resend'), path.join(folder, 'node_modules', 'resend'), 'dir');
      writeFileSync(path.join(folder, 'send.mjs'), example('send.mjs'));
      const { stdout } = await run(process.execPath, ['send.mjs'], {
        cwd: folder,
        env: { PATH: process.env.PATH ?? '', ...env },
        timeout: 20_000,
      });
      expectPrinted(stdout, shownOutput(commands));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 30_000);

  it('runs the curl example with bash, reading back the id it got', async () => {
    const block = example('curl');
    const stdout = await runShell(block);
    expectPrinted(stdout, shownOutput(block));
    const [id, email] = stdout.trim().split('\n');
    expect(JSON.parse(email!)).toMatchObject({ object: 'email', id, subject: 'Hi', last_event: 'delivered' });
  }, 30_000);

  it('runs the template example with bash: a template defined over /_local/templates renders in the stand-in', async () => {
    const block = example('template');
    expectPrinted(await runShell(block), shownOutput(block));
  }, 30_000);

  it('runs the SMTP example with node against the printed SMTP port: the email it queues reaches delivered', async () => {
    const script = example('smtp.mjs');
    expect(script).toMatch(/port: 2525,/);
    const folder = mkdtempSync(path.join(tmpdir(), 'outbox-readme-'));
    try {
      mkdirSync(path.join(folder, 'node_modules'));
      symlinkSync(path.join(ROOT, 'node_modules', 'nodemailer'), path.join(folder, 'node_modules', 'nodemailer'), 'dir');
      // The README's default port, here the free one this run printed.
      writeFileSync(path.join(folder, 'smtp.mjs'), script.replace('port: 2525,', `port: ${outbox.smtp!.port},`));
      const { stdout } = await run(process.execPath, ['smtp.mjs'], { cwd: folder, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 });
      const shown = script.split('\n').filter((line) => line.startsWith('// ')).map((line) => line.slice(3));
      expectPrinted(stdout, shown);
      const id = /queued as (\S+)/.exec(stdout)![1]!;
      const deadline = Date.now() + 10_000;
      let email: { last_event?: string; from?: string } = {};
      while (email.last_event !== 'delivered' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        email = (await (await fetch(`${env.RESEND_BASE_URL}/emails/${id}`, { headers: { authorization: `Bearer ${env.RESEND_API_KEY}` } })).json()) as typeof email;
      }
      expect(email).toMatchObject({ last_event: 'delivered', from: 'Acme <hello@acme.example>' });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 30_000);

  it('replays the SES notification file the README names, answering what the README shows', async () => {
    const block = example('ses-events');
    const file = /@(\S+\.json)/.exec(block)?.[1];
    expect(file).toBeDefined();
    expect(() => readFileSync(path.join(ROOT, file!))).not.toThrow();
    const stdout = await runShell(block);
    expect(stdout.trim()).toBe(shownOutput(block).join('\n'));
  }, 30_000);
});
