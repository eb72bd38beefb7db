import { parseArgs } from 'node:util';
import type { SendingView } from '../lambda/core/sending-api';

const USAGE = `See, pause and resume Outbox's sending, through its HTTP API (npm start or a deployed stack).

  npm run sending -- status
  npm run sending -- pause [--reason "why"]
  npm run sending -- resume

  --url  the API's base URL (the ApiUrl stack output, or what npm start prints); default $RESEND_BASE_URL
  --key  a full-access API key; default $RESEND_API_KEY

While paused, POST /emails answers 503, and batch and scheduled emails stay queued until resumed.
Exits 0 on success, 1 when the API refuses or cannot be reached, 2 on bad arguments.`;

const REQUEST_TIMEOUT_MS = 30_000;

/** Where the CLI writes: stdout and stderr, or a test's buffers. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

/**
 * Runs `npm run sending -- <args>`: one call to GET /sending, POST /sending/pause or POST
 * /sending/resume, the answer printed readably. Returns the exit code.
 */
export async function runSendingCli(args: readonly string[], env: Readonly<Record<string, string | undefined>>, output: CliOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        url: { type: 'string', default: env.RESEND_BASE_URL },
        key: { type: 'string', default: env.RESEND_API_KEY },
        reason: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    output.err(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  if (values.help) {
    output.out(USAGE);
    return 0;
  }
  const command = positionals[0];
  const problems: string[] = [];
  if (positionals.length !== 1 || !['status', 'pause', 'resume'].includes(command ?? '')) problems.push('give one command: status, pause or resume');
  if (values.reason !== undefined && command !== 'pause') problems.push('--reason goes with pause');
  if (!values.url) problems.push('--url (or RESEND_BASE_URL) is required');
  if (!values.key) problems.push('--key (or RESEND_API_KEY) is required');
  if (problems.length > 0) {
    output.err(`${problems.join('; ')}\n\n${USAGE}`);
    return 2;
  }

  const url = values.url!.replace(/\/+$/, '');
  const request =
    command === 'status'
      ? { method: 'GET', path: '/sending' }
      : command === 'pause'
        ? { method: 'POST', path: '/sending/pause', body: values.reason !== undefined ? { reason: values.reason } : {} }
        : { method: 'POST', path: '/sending/resume' };
  let response: Response;
  try {
    response = await fetch(`${url}${request.path}`, {
      method: request.method,
      headers: {
        authorization: `Bearer ${values.key}`,
        'user-agent': 'outbox-sending-cli',
        ...('body' in request ? { 'content-type': 'application/json' } : {}),
      },
      ...('body' in request ? { body: JSON.stringify(request.body) } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    output.err(`${request.method} ${url}${request.path} failed (${cause}): check --url and that Outbox is running.`);
    return 1;
  }
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    output.err(`${request.method} ${request.path} answered ${response.status} with a body that is not JSON (${text.slice(0, 120)}): is --url an Outbox API?`);
    return 1;
  }
  if (!response.ok) {
    const name = typeof body.name === 'string' ? ` ${body.name}` : '';
    output.err(`${request.method} ${request.path} answered ${response.status}${name}: ${typeof body.message === 'string' ? body.message : text}`);
    return 1;
  }
  for (const line of describeSending(body as unknown as SendingView)) output.out(line);
  return 0;
}

/** The sending object as lines a person reads. */
export function describeSending(view: SendingView): string[] {
  const lines = view.enabled
    ? ['Sending: enabled']
    : [
        `Sending: PAUSED${view.paused_by ? ` by ${view.paused_by}` : ''}${view.paused_at ? ` at ${view.paused_at}` : ''}`,
        `  reason: ${view.paused_reason ?? '(none given)'}`,
        view.paused_by === 'ses'
          ? '  SES answered that sending is paused; Outbox asks SES again by itself.'
          : '  POST /emails answers 503; batch and scheduled emails stay queued. Resume: npm run sending -- resume',
      ];
  const ses = view.ses;
  lines.push(
    ses.sending_enabled === null && ses.enforcement_status === null
      ? 'SES: account status unknown (GetAccount did not answer)'
      : `SES: sending ${ses.sending_enabled === false ? 'DISABLED' : ses.sending_enabled ? 'enabled' : 'unknown'}, enforcement ${ses.enforcement_status ?? 'unknown'}`,
  );
  if (view.configuration_set_error) lines.push(`Configuration set: not switched (${view.configuration_set_error})`);
  return lines;
}
