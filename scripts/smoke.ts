import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { AccountView } from '../lambda/core/account-report';
import type { EmailView } from '../lambda/core/email-view';
import { SMOKE_CASES, chooseSender, judge, reviewAccount, timeoutReason, type Judgement, type SmokeCase } from './smoke-checks';

const DEFAULT_TIMEOUT_S = 180;

const USAGE = `Prove a deployed (or local) Outbox end to end: SES account status, then one email to each
SES mailbox-simulator address, followed through SES -> SNS -> SQS -> the events Lambda.

  npm run smoke -- --url <ApiUrl> --key <full-access key> [--from <address>] [--timeout <seconds>]

  --url      the ApiUrl stack output (or http://127.0.0.1:3000 for npm start); default $RESEND_BASE_URL
  --key      a full-access API key; default $RESEND_API_KEY
  --from     the sender; default outbox-smoke@<first verified domain identity in GET /account>
  --timeout  how long to wait for the SES events, in seconds (default ${DEFAULT_TIMEOUT_S})

Exits 0 after PASS, 1 after FAIL, 2 on bad arguments.`;

/**
 * Polls of GET /emails/{id} start 0.5 s apart and double up to 2 s: four emails a round stay far
 * below the API's 20 requests/s, and a local run still sees its events within a second.
 */
const FIRST_POLL_MS = 500;
const POLL_INTERVAL_MS = 2_000;
const REQUEST_TIMEOUT_MS = 15_000;

type Json = Record<string, unknown>;

/** A run that cannot go on: printed as its FAIL line. */
class SmokeFailure extends Error {}

interface Options {
  readonly url: string;
  readonly key: string;
  readonly from?: string;
  readonly timeoutSeconds: number;
}

function parseOptions(): Options | undefined {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.RESEND_BASE_URL },
      key: { type: 'string', default: process.env.RESEND_API_KEY },
      from: { type: 'string' },
      timeout: { type: 'string', default: String(DEFAULT_TIMEOUT_S) },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const problems: string[] = [];
  if (!values.url) problems.push('--url is required');
  if (!values.key) problems.push('--key is required');
  const timeoutSeconds = Number(values.timeout);
  if (!(Number.isFinite(timeoutSeconds) && timeoutSeconds > 0)) problems.push(`--timeout must be a positive number of seconds, got ${values.timeout}`);
  if (problems.length > 0) {
    console.log(`FAIL: ${problems.join('; ')}`);
    console.error(`\n${USAGE}`);
    return undefined;
  }
  return { url: values.url!.replace(/\/+$/, ''), key: values.key!, timeoutSeconds, ...(values.from ? { from: values.from } : {}) };
}

/** One API call; a network failure becomes a SmokeFailure saying what to check. */
async function call(options: Options, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  let response: Response;
  try {
    response = await fetch(`${options.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.key}`,
        'user-agent': 'outbox-smoke',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    throw new SmokeFailure(`the API is unreachable: ${method} ${options.url}${path} failed (${cause}). Check --url (the ApiUrl stack output) and your network.`);
  }
  const text = await response.text();
  let parsed: Json;
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as Json);
  } catch {
    throw new SmokeFailure(`${method} ${path} answered ${response.status} with a body that is not JSON (${text.slice(0, 120)}): is --url an Outbox API?`);
  }
  return { status: response.status, body: parsed };
}

/** A refusal's one-line description, in the API's error shape. */
function refusal(answer: { status: number; body: Json }): string {
  const { name, message } = answer.body;
  return `${answer.status}${typeof name === 'string' ? ` ${name}` : ''}${typeof message === 'string' ? `: ${message}` : ''}`;
}

async function checkHealth(options: Options): Promise<void> {
  const health = await call(options, 'GET', '/health');
  if (health.status !== 200 || health.body.status !== 'ok') {
    throw new SmokeFailure(`GET /health answered ${refusal(health)}: is --url the ApiUrl stack output (the stage URL, such as https://<id>.execute-api.<region>.amazonaws.com/prod)?`);
  }
  console.log('health: ok');
}

async function readAccount(options: Options): Promise<AccountView> {
  const answer = await call(options, 'GET', '/account');
  if (answer.status === 200) return answer.body as unknown as AccountView;
  switch (answer.body.name) {
    case 'missing_api_key':
    case 'invalid_api_key':
      throw new SmokeFailure(`the key was refused (${refusal(answer)}): check --key; deployed, the stack's first key is printed by npm run -s keys -- initial --secret <InitialApiKeySecretArn>.`);
    case 'restricted_api_key':
      throw new SmokeFailure(`the key is sending-only (${refusal(answer)}): the smoke test reads GET /account and GET /emails/{id}, so use a full-access key.`);
    case 'invalid_access':
      throw new SmokeFailure(`SES refused to describe the account (${refusal(answer)}).`);
    case 'not_found':
      throw new SmokeFailure(`this Outbox has no GET /account (${refusal(answer)}): deploy the current version.`);
    default:
      throw new SmokeFailure(`GET /account answered ${refusal(answer)}.`);
  }
}

/** What to check when a send is refused, by the refusal's name. */
const SEND_HINTS: Readonly<Record<string, string>> = {
  invalid_from_address: 'is the sender a verified SES identity in this region (GET /account lists them)?',
  invalid_access: "Outbox's role may not send from this identity: deploy with it in outbox:sendingDomain or outbox:identities.",
  validation_error: 'the request or the sender was refused as invalid.',
  application_error: 'SES is unreachable or sending is paused: check the SES console.',
  rate_limit_exceeded: 'SES throttled and the email could not be queued: check the outbound queue.',
};

interface Sent {
  readonly smokeCase: SmokeCase;
  readonly id: string;
  /** When Outbox answered the send (epoch ms). */
  readonly at: number;
}

async function sendAll(options: Options, from: string, runId: string, account: AccountView): Promise<Sent[]> {
  // Keep under SES's rate (1/s in the sandbox): Outbox would queue a throttled send anyway.
  const gapMs = account.send_quota.max_send_rate ? Math.min(1_000, Math.ceil(1_000 / account.send_quota.max_send_rate)) : 1_000;
  const sent: Sent[] = [];
  for (const smokeCase of SMOKE_CASES) {
    if (sent.length > 0) await sleep(gapMs);
    const answer = await call(
      options,
      'POST',
      '/emails',
      {
        from,
        to: smokeCase.address,
        subject: `Outbox smoke test ${runId}: ${smokeCase.mailbox}`,
        text: `Sent by npm run smoke (run ${runId}) to the SES mailbox simulator, which answers with ${smokeCase.events}.`,
        tags: [
          { name: 'smoke', value: runId },
          { name: 'smoke_case', value: smokeCase.mailbox },
        ],
      },
      // A retried request (none is made here, but a proxy may) sends nothing twice.
      { 'idempotency-key': `${runId}-${smokeCase.mailbox}` },
    );
    const id = answer.body.id;
    if (answer.status !== 200 || typeof id !== 'string') {
      const name = typeof answer.body.name === 'string' ? answer.body.name : '';
      throw new SmokeFailure(`POST /emails to ${smokeCase.address} was refused (${refusal(answer)})${SEND_HINTS[name] ? `: ${SEND_HINTS[name]}` : '.'}`);
    }
    console.log(`sent ${smokeCase.address}: ${id}`);
    sent.push({ smokeCase, id, at: Date.now() });
  }
  return sent;
}

interface Outcome {
  readonly sent: Sent;
  readonly judgement: Judgement;
  /** From the send to the poll that saw the final state (so up to one poll interval late). */
  readonly seconds?: number;
  readonly reason?: string;
  readonly note?: string;
}

async function follow(options: Options, sent: readonly Sent[]): Promise<Outcome[]> {
  console.log(`waiting for the SES events (up to ${options.timeoutSeconds} s, polling up to every ${POLL_INTERVAL_MS / 1000} s)`);
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const done = new Map<string, Outcome>();
  const latest = new Map<string, EmailView>();
  const errors = new Map<string, string>();
  let wait = FIRST_POLL_MS;
  for (;;) {
    for (const item of sent) {
      if (done.has(item.id)) continue;
      try {
        const answer = await call(options, 'GET', `/emails/${item.id}`);
        if (answer.status !== 200) {
          errors.set(item.id, `GET /emails/${item.id} answered ${refusal(answer)}`);
          continue;
        }
        const view = answer.body as unknown as EmailView;
        latest.set(item.id, view);
        const judgement = judge(item.smokeCase, view);
        if (judgement.state !== 'waiting') {
          done.set(item.id, { sent: item, judgement, seconds: (Date.now() - item.at) / 1000, ...(await extraCheck(options, item, judgement)) });
        }
      } catch (error) {
        errors.set(item.id, error instanceof Error ? error.message : String(error));
      }
    }
    if (done.size === sent.length || Date.now() >= deadline) break;
    await sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
    wait = Math.min(POLL_INTERVAL_MS, wait * 2);
  }
  return sent.map((item) => {
    const outcome = done.get(item.id);
    if (outcome) return outcome;
    const view = latest.get(item.id);
    const got = view?.recipients[0]?.status ?? 'unknown';
    return { sent: item, judgement: { state: 'fail', got }, reason: timeoutReason(item.smokeCase, view, options.timeoutSeconds, errors.get(item.id)) };
  });
}

/** The bounce must not have put the simulator address on Outbox's suppression list. */
async function extraCheck(options: Options, item: Sent, judgement: Judgement): Promise<{ reason?: string; note?: string }> {
  if (judgement.state !== 'pass') return {};
  if (item.smokeCase.mailbox === 'ooto') return { note: 'last_event delivered' };
  if (item.smokeCase.mailbox !== 'bounce') return {};
  const listed = await call(options, 'GET', `/suppressions/${encodeURIComponent(item.smokeCase.address)}`);
  if (listed.status === 404) return { note: 'not on the suppression list' };
  if (listed.status === 200) return { reason: `${item.smokeCase.address} was added to the suppression list, but mailbox-simulator addresses never are` };
  return { reason: `could not check the suppression list: GET /suppressions/... answered ${refusal(listed)}` };
}

function printOutcomes(outcomes: readonly Outcome[]): boolean {
  const width = Math.max(...outcomes.map((o) => o.sent.smokeCase.address.length));
  let ok = true;
  for (const { sent, judgement, seconds: took, reason, note } of outcomes) {
    const failed = judgement.state !== 'pass' || reason !== undefined;
    if (failed) ok = false;
    const seconds = took !== undefined ? `${took.toFixed(1)} s` : '-';
    const why = failed ? `  ${reason ?? (judgement.state === 'fail' ? judgement.reason : undefined) ?? ''}` : note ? `  (${note})` : '';
    console.log(
      `${failed ? 'x' : 'ok'} ${sent.smokeCase.address.padEnd(width)}  expected ${sent.smokeCase.expected.padEnd(12)}  got ${judgement.got.padEnd(12)}  ${seconds.padStart(7)}${why}`,
    );
  }
  return ok;
}

async function main(): Promise<number> {
  const options = parseOptions();
  if (!options) return 2;
  const runId = `smoke-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}-${randomBytes(2).toString('hex')}`;
  console.log(`Outbox smoke test ${runId} against ${options.url}`);
  try {
    await checkHealth(options);
    const account = await readAccount(options);
    const review = reviewAccount(account);
    for (const line of review.lines) console.log(line);
    for (const warning of review.warnings) console.log(`warning: ${warning}`);
    if (review.failure) throw new SmokeFailure(review.failure);
    const sender = chooseSender(account, options.from);
    if ('failure' in sender) throw new SmokeFailure(sender.failure);
    console.log(`sender: ${sender.from} (${sender.why})`);
    if (sender.warning) console.log(`warning: ${sender.warning}`);

    const sent = await sendAll(options, sender.from, runId, account);
    const outcomes = await follow(options, sent);
    if (!printOutcomes(outcomes)) {
      const failed = outcomes.filter((o) => o.judgement.state !== 'pass' || o.reason !== undefined);
      const first = failed[0]!;
      const why = first.reason ?? (first.judgement.state === 'fail' ? first.judgement.reason : undefined);
      console.log(
        `FAIL: ${failed.length} of ${outcomes.length} outcomes not as expected (run ${runId}; the emails carry the tag smoke=${runId})${why ? `; ${first.sent.smokeCase.address}: ${why}` : ''}`,
      );
      return 1;
    }
    console.log(`PASS: all ${outcomes.length} outcomes arrived through SES -> SNS -> SQS -> events as expected (run ${runId})`);
    return 0;
  } catch (error) {
    if (!(error instanceof SmokeFailure)) throw error;
    console.log(`FAIL: ${error.message}`);
    return 1;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.log(`FAIL: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
