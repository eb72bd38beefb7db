import type { AddressInfo } from 'node:net';
import { generate as generateCertificate } from 'selfsigned';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { authenticateSecret, type Principal } from '../lambda/core/api-keys';
import type { ApiKeyStore } from '../lambda/core/ports';
import { MAX_RECIPIENTS } from '../lambda/core/send-request';
import {
  acceptedReply,
  envelopeAddressProblem,
  replyLine,
  smtpReplyFor,
  submitSmtpMessage,
  tooManyRecipientsReply,
  type SmtpReply,
  type SmtpSubmissionDeps,
} from '../lambda/core/smtp-submission';

/**
 * Local mode's SMTP submission port: frameworks that only speak SMTP send through Outbox's raw-MIME
 * use case, as `POST /emails/raw` does. The protocol is smtp-server's; this file decides who may
 * send, what a message becomes (submitSmtpMessage) and the reply a client acts on.
 *
 * Replies carry RFC 3463 enhanced codes in their text (`550 5.7.1 ...`). smtp-server's own
 * ENHANCEDSTATUSCODES option stays off: it would derive a code of its own from the basic one and
 * put it before ours.
 */

/** The user name SMTP clients log in with; the password is an API key. */
export const SMTP_USER = 'outbox';

/**
 * The largest message taken, stated in EHLO (SIZE): what SES's SMTP interface refuses above
 * ("552 Message is too long", over 10 MB), well inside SES's 40 MB for raw messages.
 */
export const SMTP_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

export interface SmtpLimits {
  /** Connections open at once, from all clients. */
  readonly maxConnections: number;
  /** Connections open at once from one address. */
  readonly maxConnectionsPerAddress: number;
  /** Failed logins from one address within `authFailureWindowMs` before its logins are refused. */
  readonly maxAuthFailures: number;
  readonly authFailureWindowMs: number;
  /** How long an address that failed too often is refused (421) before it may try again. */
  readonly authLockoutMs: number;
  /** Commands before a client that never logged in is disconnected. */
  readonly maxUnauthenticatedCommands: number;
  /** How long an idle client is kept. */
  readonly idleTimeoutMs: number;
}

export const DEFAULT_SMTP_LIMITS: SmtpLimits = {
  maxConnections: 200,
  maxConnectionsPerAddress: 100,
  maxAuthFailures: 5,
  authFailureWindowMs: 5 * 60_000,
  authLockoutMs: 5 * 60_000,
  maxUnauthenticatedCommands: 10,
  idleTimeoutMs: 60_000,
};

export interface SmtpServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly deps: SmtpSubmissionDeps & { readonly keys: ApiKeyStore };
  /** PEM certificate and key for STARTTLS; without them one is generated for `localhost` and the host. */
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly limits?: Partial<SmtpLimits>;
  readonly now?: () => number;
  readonly logError?: (message: string, error?: unknown) => void;
}

export interface LocalSmtpServer {
  readonly host: string;
  readonly port: number;
  /** Whether the certificate was generated at start (clients must not verify it) or given. */
  readonly tlsCertificate: 'generated' | 'given';
  /** Stops taking connections, and closes the open ones (with 421) once their command is done. */
  stop(): Promise<void>;
}

/** Loopback: a login in clear text never leaves the machine, so AUTH before STARTTLS is allowed there only. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function startSmtpServer(options: SmtpServerOptions): Promise<LocalSmtpServer> {
  const limits = { ...DEFAULT_SMTP_LIMITS, ...options.limits };
  const now = options.now ?? Date.now;
  const logError = options.logError ?? (() => undefined);
  const tls = options.tls ?? (await generatedCertificate(options.host));
  const failures = new AuthFailureLimiter(limits, now);
  const openByAddress = new Map<string, number>();

  const server = new SMTPServer({
    name: 'outbox.local',
    banner: 'Outbox SMTP submission (local mode)',
    size: SMTP_MAX_MESSAGE_BYTES,
    authMethods: ['PLAIN', 'LOGIN'],
    authRequiredMessage: replyLine({ enhanced: '5.7.0', text: `Authentication required: AUTH PLAIN or LOGIN as user "${SMTP_USER}" with an API key as the password.` }),
    allowInsecureAuth: isLoopbackHost(options.host),
    disableReverseLookup: true,
    maxClients: limits.maxConnections,
    maxAllowedUnauthenticatedCommands: limits.maxUnauthenticatedCommands,
    socketTimeout: limits.idleTimeoutMs,
    closeTimeout: 2_000,
    logger: false,
    cert: tls.cert,
    key: tls.key,

    onConnect(session, callback) {
      const open = (openByAddress.get(session.remoteAddress) ?? 0) + 1;
      openByAddress.set(session.remoteAddress, open);
      if (open > limits.maxConnectionsPerAddress) {
        return callback(smtpError({ code: 421, enhanced: '4.7.0', text: `Too many connections from ${session.remoteAddress} (at most ${limits.maxConnectionsPerAddress}); try again in a moment.` }));
      }
      callback();
    },

    onClose(session) {
      const open = (openByAddress.get(session.remoteAddress) ?? 1) - 1;
      if (open <= 0) openByAddress.delete(session.remoteAddress);
      else openByAddress.set(session.remoteAddress, open);
    },

    onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession, callback) {
      const address = session.remoteAddress;
      if (failures.lockedOut(address)) {
        return callback(smtpError({ code: 421, enhanced: '4.7.0', text: `Too many failed logins from ${address}; try again in ${Math.ceil(limits.authLockoutMs / 60_000)} minutes.` }));
      }
      const refuse = () => {
        failures.record(address);
        callback(smtpError({ code: 535, enhanced: '5.7.8', text: `Authentication credentials invalid: log in as user "${SMTP_USER}" with an API key as the password.` }));
      };
      if (auth.username !== SMTP_USER || !auth.password) return refuse();
      authenticateSecret(options.deps.keys, auth.password, { clock: options.deps.clock, log: logError }).then(
        (principal) => callback(null, { user: principal }),
        (error: unknown) => {
          const reply = smtpReplyFor(error);
          if (reply.code === 535) return refuse();
          logError('SMTP login could not be checked', error);
          callback(smtpError(reply));
        },
      );
    },

    onMailFrom(address, _session, callback) {
      const problem = envelopeAddressProblem('sender', address.address);
      callback(problem ? smtpError(problem) : undefined);
    },

    onRcptTo(address, session, callback) {
      if (session.envelope.rcptTo.length >= MAX_RECIPIENTS) return callback(smtpError(tooManyRecipientsReply()));
      const problem = envelopeAddressProblem('recipient', address.address);
      callback(problem ? smtpError(problem) : undefined);
    },

    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        if (!stream.sizeExceeded) chunks.push(chunk);
      });
      // A client that goes away mid-DATA: the stream is destroyed and never ends, so nothing is sent.
      stream.on('error', () => undefined);
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          return callback(smtpError({ code: 552, enhanced: '5.3.4', text: `Message too big: Outbox takes at most ${SMTP_MAX_MESSAGE_BYTES} bytes (SIZE in EHLO).` }));
        }
        const principal = session.user as Principal;
        const envelope = {
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
        };
        submitSmtpMessage(options.deps, principal, envelope, Buffer.concat(chunks)).then(
          ({ id }) => callback(null, replyLine(acceptedReply(id))),
          (error: unknown) => {
            const reply = smtpReplyFor(error);
            if (reply.code === 451) logError('SMTP submission failed', error);
            callback(smtpError(reply));
          },
        );
      });
    },
  });
  // A failing socket is the client's business; it must never take the process down.
  server.on('error', (error) => logError('SMTP connection error', error));

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    host: options.host,
    port,
    tlsCertificate: options.tls ? 'given' : 'generated',
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An error smtp-server answers with the reply's code and `enhanced text`. */
function smtpError(reply: SmtpReply): Error {
  return Object.assign(new Error(replyLine(reply)), { responseCode: reply.code });
}

/** Addresses the failed-login limiter remembers at most, each for its failures and for its lockout. */
const MAX_TRACKED_ADDRESSES = 10_000;

/**
 * Failed logins per client address in a sliding window: past the limit, logins from the address
 * are refused for the lockout, so a scanner cannot guess keys at the speed of the socket.
 */
export class AuthFailureLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly lockedUntil = new Map<string, number>();

  constructor(
    private readonly limits: Pick<SmtpLimits, 'maxAuthFailures' | 'authFailureWindowMs' | 'authLockoutMs'>,
    private readonly now: () => number,
  ) {}

  lockedOut(address: string): boolean {
    const until = this.lockedUntil.get(address);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.lockedUntil.delete(address);
    return false;
  }

  record(address: string): void {
    const now = this.now();
    const recent = (this.failures.get(address) ?? []).filter((at) => now - at < this.limits.authFailureWindowMs);
    recent.push(now);
    if (recent.length >= this.limits.maxAuthFailures) {
      this.failures.delete(address);
      this.lockedUntil.set(address, now + this.limits.authLockoutMs);
    } else {
      this.failures.set(address, recent);
    }
    // Bounded memory under a scan from many addresses: forget the oldest.
    for (const tracked of [this.failures, this.lockedUntil]) {
      if (tracked.size > MAX_TRACKED_ADDRESSES) tracked.delete(tracked.keys().next().value!);
    }
  }
}

/** A self-signed certificate for this run: STARTTLS works, and clients told not to verify it connect. */
async function generatedCertificate(host: string): Promise<{ cert: string; key: string }> {
  const altNames = [{ type: 2 as const, value: 'localhost' }, ...(/^[\d.]+$|:/.test(host) ? [{ type: 7 as const, ip: host }] : [{ type: 2 as const, value: host }])];
  const pems = await generateCertificate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames }],
  });
  return { cert: pems.cert, key: pems.private };
}
