import { readFileSync } from 'node:fs';
import { ClamdScanner } from '../lambda/adapters/clamd-scanner';
import { readGuardThresholds } from '../lambda/config';
import { percent } from '../lambda/core/deliverability';
import { MAX_RECIPIENTS } from '../lambda/core/send-request';
import { ENV } from '../lambda/shared/env';
import { startLocalOutbox } from './runtime';
import { isLoopbackHost, SMTP_MAX_MESSAGE_BYTES, SMTP_USER } from './smtp-server';

/**
 * `npm start`: Outbox on this machine. Settings come from the environment:
 * HOST (127.0.0.1), PORT (3000), OUTBOX_API_KEY (generated when unset), OUTBOX_LOCAL_IDENTITIES
 * (comma-separated verified domains or addresses; unset = all), OUTBOX_DATA_DIR (in memory when unset),
 * OUTBOX_CLAMD (a ClamAV daemon, `host:port` or a socket path; unset = no ClamAV scan),
 * OUTBOX_LOCAL_MAX_SEND_RATE (the SES stand-in's maximum send rate, recipients per second; unset = unlimited),
 * OUTBOX_GUARD_* (the reputation guard's thresholds, as deployed; see lambda/shared/env.ts),
 * OUTBOX_SMTP_PORT (SMTP submission, 2525; 0 picks a free port; `off` runs none),
 * OUTBOX_SMTP_TLS_CERT and OUTBOX_SMTP_TLS_KEY (PEM files for STARTTLS; one is generated when unset).
 */
async function main(): Promise<void> {
  const env = process.env;
  // The pinned AWS SDK keeps working on Node 20; its notice about future releases is noise here.
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got ${env.PORT}`);
  const clamd = env[ENV.clamd]?.trim();
  const rawRate = env.OUTBOX_LOCAL_MAX_SEND_RATE?.trim();
  const maxSendRate = rawRate ? Number(rawRate) : undefined;
  if (maxSendRate !== undefined && !(Number.isFinite(maxSendRate) && maxSendRate > 0)) {
    throw new Error(`OUTBOX_LOCAL_MAX_SEND_RATE must be a positive number of recipients per second, got ${rawRate}`);
  }
  const guardThresholds = readGuardThresholds(env);
  const smtpPort = readSmtpPort(env.OUTBOX_SMTP_PORT);
  const smtpTls = readSmtpTls(env.OUTBOX_SMTP_TLS_CERT, env.OUTBOX_SMTP_TLS_KEY);
  const identities = env.OUTBOX_LOCAL_IDENTITIES?.split(',').map((s) => s.trim()).filter((s) => s !== '');

  const outbox = await startLocalOutbox({
    host: env.HOST ?? '127.0.0.1',
    port,
    ...(env.OUTBOX_API_KEY ? { apiKey: env.OUTBOX_API_KEY } : {}),
    ...(identities && identities.length > 0 ? { identities } : {}),
    ...(env.OUTBOX_DATA_DIR ? { dataDir: env.OUTBOX_DATA_DIR } : {}),
    ...(clamd ? { clamd } : {}),
    ...(maxSendRate !== undefined ? { maxSendRate } : {}),
    guardThresholds,
    ...(smtpPort !== undefined ? { smtpPort } : {}),
    ...(smtpTls ? { smtpTls } : {}),
    logRequest: (line) => console.log(`${new Date().toISOString()} ${line}`),
    logError: (message, error) => console.error(`${new Date().toISOString()} error: ${message}${error instanceof Error ? `: ${error.name}: ${error.message}` : ''}`),
  });

  console.log(`Outbox is running locally at ${outbox.url}`);
  console.log(`API key (full access): ${outbox.apiKey}`);
  console.log(
    env.OUTBOX_API_KEY
      ? '  (from OUTBOX_API_KEY)'
      : '  (generated for this run: it changes on every restart; start with OUTBOX_API_KEY=<key> npm start to keep one)',
  );
  console.log('For the resend SDK (new Resend() reads both) and curl, in the shell you run them from:');
  console.log(`  ${exportLine(outbox.url, outbox.apiKey)}`);
  console.log(`Console: ${outbox.url}/console`);
  if (outbox.smtp) {
    const { host, port, tlsCertificate } = outbox.smtp;
    console.log(`SMTP: ${host}:${port}, user ${SMTP_USER}, password an API key (sending-only keys work); STARTTLS with ${tlsCertificate === 'generated' ? 'a self-signed certificate made for this run (tell the client not to verify it)' : 'the certificate in OUTBOX_SMTP_TLS_CERT'}${isLoopbackHost(host) ? ', AUTH without TLS allowed on loopback' : ', AUTH only after STARTTLS'}; at most ${SMTP_MAX_MESSAGE_BYTES / 1024 / 1024} MB and ${MAX_RECIPIENTS} recipients a message`);
  } else {
    console.log('SMTP: off (OUTBOX_SMTP_PORT=off)');
  }
  console.log(`SES stand-in: ${outbox.ses.url} (an SES v2 endpoint: point an SESv2Client or aws sesv2 --endpoint-url at it)`);
  console.log(
    `Local routes, no key: ${outbox.url}/_local/messages (what SES accepted), /_local/notifications (what was notified), /_local/templates (SES templates), /_local/ses-events (replay one), /_local/dead-letters`,
  );
  console.log(`Verified identities: ${identities && identities.length > 0 ? identities.join(', ') : 'all senders (set OUTBOX_LOCAL_IDENTITIES to restrict)'}`);
  console.log('Webhooks: local mode accepts http:// and loopback or private endpoints (so you can receive on this machine); deployed, only https to public addresses. Retries run 300x faster than in AWS.');
  console.log(
    `Virus scan: EICAR signature and blocked attachment types; ${clamd ? `ClamAV at ${clamd}` : `ClamAV off (set ${ENV.clamd}=host:port to use a clamd daemon)`}`,
  );
  if (clamd && !(await new ClamdScanner({ address: clamd, timeoutMs: 2000 }).ping())) {
    console.log(`  warning: clamd at ${clamd} does not answer PING; sends are refused (503) until it does.`);
  }
  console.log(
    `SES send rate: ${maxSendRate !== undefined ? `${maxSendRate} recipients/s (the stand-in throttles above it; batches and queued emails are paced to it)` : 'unlimited (set OUTBOX_LOCAL_MAX_SEND_RATE to make the stand-in throttle like SES)'}`,
  );
  const g = guardThresholds;
  console.log(
    `Reputation guard: warns at bounce ${percent(g.warnBounceRate)} / complaint ${percent(g.warnComplaintRate)}, pauses sending at ${percent(g.pauseBounceRate)} / ${percent(g.pauseComplaintRate)}, over 24 h once it holds ${g.minimumSends} sends (OUTBOX_GUARD_*; GET /deliverability)`,
  );
  console.log('Sending pause: npm run sending -- status | pause [--reason "..."] | resume (GET /sending, POST /sending/pause, POST /sending/resume); only a person resumes');
  console.log(`Store: ${env.OUTBOX_DATA_DIR ? `persisted in ${env.OUTBOX_DATA_DIR}` : 'in memory (set OUTBOX_DATA_DIR to keep data)'}`);
  const { notifications, emails } = outbox.recovered;
  if (notifications > 0 || emails > 0) {
    console.log(`Resumed the previous run: ${emails} queued email(s) back on the outbound queue, ${notifications} SES event notification(s) it owed published again`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received, stopping`);
    // Bounded: whatever is still unsent then is found at the next start on the same OUTBOX_DATA_DIR.
    setTimeout(() => {
      console.error(`Outbox did not stop within ${STOP_TIMEOUT_MS / 1000} s; exiting anyway.`);
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
    outbox.stop().then(
      () => {
        console.log('Outbox stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error('error while stopping', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** The longest a graceful stop may take: the sends in flight (each waits at most 5 s for a send slot), then their SES events. */
const STOP_TIMEOUT_MS = 15_000;

/** OUTBOX_SMTP_PORT: a port (0 = any free one), `off` for none; unset is 2525. */
function readSmtpPort(raw: string | undefined): number | undefined {
  const value = raw?.trim();
  if (value === undefined || value === '') return DEFAULT_SMTP_PORT;
  if (value.toLowerCase() === 'off') return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new Error(`OUTBOX_SMTP_PORT must be a port number (0 for any free one) or off, got ${raw}`);
  return port;
}

/** OUTBOX_SMTP_TLS_CERT and OUTBOX_SMTP_TLS_KEY: both PEM files, or neither. */
function readSmtpTls(certPath: string | undefined, keyPath: string | undefined): { cert: string; key: string } | undefined {
  if (!certPath && !keyPath) return undefined;
  if (!certPath || !keyPath) throw new Error('Set both OUTBOX_SMTP_TLS_CERT and OUTBOX_SMTP_TLS_KEY (PEM files), or neither to have a certificate generated.');
  return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}

/** 2525: the submission port that needs no root, unlike 25 and 587. */
const DEFAULT_SMTP_PORT = 2525;

/** The shell line that points the resend SDK (and the README's curl examples) at this Outbox. */
function exportLine(url: string, apiKey: string): string {
  return `export RESEND_BASE_URL=${shellWord(url)} RESEND_API_KEY=${shellWord(apiKey)}`;
}

/** A word the shell reads back as `value`: as it is when plain, else in single quotes. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

main().catch((error: unknown) => {
  console.error(`Outbox could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
