import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SesError, STATUS_OF, badRequest, notFound, type SesErrorName } from './errors';
import { sesMessageId } from './message-id';
import { MessageStore } from './message-store';
import { StandInJournal } from './journal';
import { NotificationScheduler, type NotificationListener } from './notification-scheduler';
import { TokenBucket } from './rate-limiter';
import { composeMime } from './compose';
import { checkConfigurationSet, decodeSendEmail, unverifiedSenderError, type StoredTemplate } from './send-email';
import { handleTemplateRequest, TemplateStore } from './templates';
import { DEFAULT_ACCOUNT_ID } from './simulator';
import { ReadFaults, StandInIdentities, type ReadOperation } from './identities';
import type { AcceptedMessage } from './types';
import { nameFromPath } from './path-name';
import { StandInSuppressionList, type SuppressedDestination } from './suppression-list';

export interface SesStandInOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Verified identities: domains or addresses (case-insensitive). Undefined = every sender verified. */
  verifiedIdentities?: readonly string[];
  /** How long an identity CreateEmailIdentity made stays PENDING before it verifies. @default 5 s */
  identityVerificationMs?: number;
  /** Configuration sets the account has. Undefined = any name is accepted. */
  configurationSets?: readonly string[];
  /** Default us-east-1; used in error messages and the message ID prefix. */
  region?: string;
  /**
   * Max recipients per second across sends (token bucket, burst = 1 s worth); undefined = unlimited.
   * Over it: 429 TooManyRequestsException {"message":"Maximum sending rate exceeded."}.
   */
  maxSendRate?: number;
  /** Milliseconds since the epoch; default Date.now. Drives the rate limiter, IDs and timestamps. */
  clock?: () => number;
  /**
   * Largest request body read, default 64 MiB: above SES's 40 MB message limit once base64
   * encoded in JSON (~53.4 MB), so an oversized message gets SES's own rejection, and anything
   * larger is refused with 413 before it can exhaust memory.
   */
  maxRequestBytes?: number;
  /**
   * Play the mailbox simulator (default true): after each accepted message that has a
   * configuration set, the SES events its SNS event destination would publish reach the
   * `onNotification` listeners within about a second (see simulator.ts).
   */
  simulateEvents?: boolean;
  /** The event destination's topic. Default `arn:aws:sns:<region>:<accountId>:outbox-ses-events`. */
  topicArn?: string;
  /** `sendingAccountId` and the account in ARNs. Default `000000000000`. */
  accountId?: string;
  /**
   * Email templates to start with, by name, as CreateEmailTemplate would store them. A Template
   * send by another name is SES's NotFoundException.
   */
  templates?: Readonly<Record<string, StoredTemplate>>;
  /**
   * GetAccount's ProductionAccessEnabled, default true (the stand-in plays the simulator for every
   * address, like an account out of the sandbox). False only changes what GetAccount reports:
   * recipients are not checked.
   */
  productionAccessEnabled?: boolean;
  /**
   * Keep a journal in `<dataDir>/ses-standin/` (see journal.ts): every message accepted, across
   * restarts, and the event notifications owed for them until delivered, which `replayOwed()`
   * publishes again after a restart. Undefined: nothing is kept.
   */
  dataDir?: string;
}

/** An SES error to answer the next SendEmail calls with, whatever they contain. */
export interface SesFault {
  /** An SES v2 error name, e.g. `AccountSuspendedException`, `MailFromDomainNotVerifiedException`, `InternalServiceErrorException`. */
  name: string;
  message: string;
  /** Default: the status the SES model gives that error, or 400. */
  statusCode?: number;
}

export interface SesStandIn {
  /** `http://127.0.0.1:<port>`: the `endpoint` for `SESv2Client`. */
  readonly url: string;
  /** What SES accepted, oldest first (bounded: see message-store.ts). */
  messages(): readonly AcceptedMessage[];
  /** Forgets every accepted message (the 24-hour send count is account state and stays). */
  clearMessages(): void;
  /** Paused: every SendEmail answers 400 SendingPausedException "Sending is paused for this account."; GetAccount shows SendingEnabled false. */
  setPaused(paused: boolean): void;
  /**
   * Whether SendEmail naming this configuration set is taken (PutConfigurationSetSendingOptions
   * switches it); while not, it answers 400 ConfigurationSetSendingPausedException.
   */
  configurationSetSendingEnabled(name: string): boolean;
  /** Replaces the rate limit with a full bucket at the new rate; undefined = unlimited. */
  setMaxSendRate(rate: number | undefined): void;
  /** How many SendEmail calls were answered 429 TooManyRequestsException since start. */
  throttled(): number;
  /**
   * Calls `listener` for each accepted message, synchronously, before SendEmail answers; keep it
   * quick and schedule real work. Returns a function that unsubscribes.
   */
  onAccepted(listener: (message: AcceptedMessage) => void): () => void;
  /**
   * Calls `listener` with each SNS notification (the envelope as an SQS queue receives it, without
   * raw delivery) that the simulated event destination publishes. Notifications made while no
   * listener is registered are dropped. With `dataDir`, a notification counts as delivered (and
   * is no longer owed) once every listener returned, or once the promise a listener returned
   * resolved. Returns a function that unsubscribes.
   */
  onNotification(listener: NotificationListener): () => void;
  /**
   * With `dataDir`: publishes now, oldest first, the notifications an earlier run accepted
   * messages for and never delivered (it was killed, or stopped before their time); returns how
   * many. Call it once, after subscribing. Without `dataDir`: 0.
   */
  replayOwed(): number;
  /** Resolves once no notification is waiting for its time (or after `maxWaitMs`): for a graceful stop. */
  flushNotifications(maxWaitMs: number): Promise<void>;
  /** Turns the simulated events on or off for messages accepted from now on. */
  setSimulateEvents(enabled: boolean): void;
  /** Stores (or replaces) a template that Template sends by this name are rendered from. */
  putTemplate(name: string, template: StoredTemplate): void;
  /** The stored templates (CreateEmailTemplate and the rest of SES's template API reach the same store). */
  readonly templates: TemplateStore;
  /** Makes the next `times` SendEmail calls fail with this error (for testing error handling). */
  failNextSends(fault: SesFault, times?: number): void;
  /** Makes the next `times` calls of GetAccount, ListEmailIdentities or GetEmailIdentity fail with this error. */
  failNextCalls(operation: ReadOperation, fault: SesFault, times?: number): void;
  /** The account-level suppression list (PutSuppressedDestination and the rest), newest first. */
  accountSuppressionList(): readonly SuppressedDestination[];
  stop(): Promise<void>;
}

const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024;
/** GetAccount's MaxSendRate when no limit is set: a number, since the SES API has no "unlimited" here. */
const UNLIMITED_SEND_RATE = 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const SIMULATOR_DOMAIN = '@simulator.amazonses.com';

/**
 * Starts a local stand-in for the SES v2 API that the real `SESv2Client` can talk to
 * (`endpoint: standIn.url`, any credentials; SigV4 headers are ignored).
 *
 * - `POST /v2/email/outbound-emails` (SendEmail), `GET /v2/email/account` (GetAccount),
 *   `PUT /v2/email/configuration-sets/<name>/sending` (PutConfigurationSetSendingOptions).
 * - `/v2/email/templates[/<name>]`: Create, Get, List, Update and DeleteEmailTemplate (templates.ts).
 * - `/v2/email/suppression/addresses[/<address>]`: Put, Get, List and DeleteSuppressedDestination
 *   (suppression-list.ts); mail to a listed address bounces OnAccountSuppressionList.
 * - `GET /_local/messages` → `{ data: AcceptedMessage[] }` newest first;
 *   `GET /_local/messages/<messageId>` → one message or 404; `DELETE /_local/messages` → 204.
 * - Anything else: 404 `UnknownOperationException`, which the SDK surfaces as an
 *   `SESv2ServiceException` with that name.
 */
export async function startSesStandIn(options: SesStandInOptions = {}): Promise<SesStandIn> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const clock = options.clock ?? Date.now;
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const identities = options.verifiedIdentities
    ? new Set(options.verifiedIdentities.map((i) => i.trim().toLowerCase()))
    : undefined;
  const configurationSets = options.configurationSets ? new Set(options.configurationSets) : undefined;
  const templates = new TemplateStore(clock);
  for (const [name, template] of Object.entries(options.templates ?? {})) templates.put(name, template);
  const store = new MessageStore();
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  const accountSuppressions = new StandInSuppressionList(clock);
  const notifications = new NotificationScheduler(
    {
      region,
      accountId,
      clock,
      topicArn: options.topicArn ?? `arn:aws:sns:${region}:${accountId}:outbox-ses-events`,
      // Checked as the message is accepted, as SES checks it when it takes the message.
      accountSuppressed: (address) => accountSuppressions.has(address),
    },
    options.simulateEvents ?? true,
    options.dataDir ? new StandInJournal(options.dataDir) : undefined,
  );
  store.subscribe((message) => notifications.schedule(message));
  const faults: SesError[] = [];
  const readFaults = new ReadFaults();
  const emailIdentities = new StandInIdentities(options.verifiedIdentities, clock(), configurationSets, clock, options.identityVerificationMs);
  /** Recipients accepted, by time, for GetAccount's rolling 24-hour count. */
  const sentLog: { at: number; count: number }[] = [];
  let paused = false;
  /** Configuration sets whose sending PutConfigurationSetSendingOptions disabled. */
  const pausedConfigurationSets = new Set<string>();
  /** SendEmail calls answered TooManyRequestsException, since start. */
  let throttledCount = 0;
  let maxSendRate = options.maxSendRate;
  let bucket = maxSendRate === undefined ? undefined : new TokenBucket(maxSendRate, clock);

  function sentLast24Hours(): number {
    const since = clock() - DAY_MS;
    while (sentLog.length > 0 && sentLog[0]!.at <= since) sentLog.shift();
    return sentLog.reduce((sum, entry) => sum + entry.count, 0);
  }

  async function sendEmail(body: unknown): Promise<{ MessageId: string }> {
    const fault = faults.shift();
    if (fault) throw fault;
    const decoded = decodeSendEmail(body, templates);
    checkConfigurationSet(decoded.message.configurationSetName, configurationSets);
    if (paused) throw new SesError('SendingPausedException', 'Sending is paused for this account.', 400);
    const setName = decoded.message.configurationSetName;
    if (setName !== undefined && pausedConfigurationSets.has(setName)) {
      // SES v1's error shape (v2 has no model for it, so the SDK gives it this name as a plain service exception).
      throw new SesError('ConfigurationSetSendingPausedException', `Sending is paused for configuration set ${setName}.`, 400);
    }
    // Identities the domains API made count once the stand-in has "verified" them.
    const unverified = unverifiedSenderError(decoded, identities && new Set([...identities, ...emailIdentities.verifiedCreated()]), region);
    if (unverified) throw unverified;
    // The rate counts every recipient, simulator ones included (SES-FACTS §4, §6).
    if (bucket && !bucket.tryTake(decoded.message.recipients.length)) {
      // Observed body for this case (SES-FACTS §7).
      throttledCount += 1;
      throw new SesError('TooManyRequestsException', 'Maximum sending rate exceeded.', 429);
    }
    const now = clock();
    const accepted = { messageId: sesMessageId(region, now), receivedAt: new Date(now).toISOString(), ...decoded.message };
    const message: AcceptedMessage = {
      ...accepted,
      mime: accepted.raw ?? (await composeMime(accepted, decoded.attachmentContents)),
    };
    // Simulator mail counts against the rate but not the daily quota (SES-FACTS §4).
    const counted = message.recipients.filter((r) => !r.toLowerCase().endsWith(SIMULATOR_DOMAIN)).length;
    if (counted > 0) sentLog.push({ at: now, count: counted });
    store.add(message);
    return { MessageId: message.messageId };
  }

  function getAccount(): unknown {
    readFaults.check('GetAccount');
    return {
      DedicatedIpAutoWarmupEnabled: false,
      EnforcementStatus: 'HEALTHY',
      ProductionAccessEnabled: options.productionAccessEnabled ?? true,
      SendQuota: {
        // -1 is SES's "unlimited": the stand-in enforces no daily quota.
        Max24HourSend: -1,
        MaxSendRate: maxSendRate ?? UNLIMITED_SEND_RATE,
        SentLast24Hours: sentLast24Hours(),
      },
      SendingEnabled: !paused,
      // On by default for accounts created after 2019-11-25 (SES-FACTS §10).
      SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    };
  }

  /** PutConfigurationSetSendingOptions: `{ SendingEnabled }` for a configuration set the account has; answers `{}`. */
  function putConfigurationSetSendingOptions(name: string, body: unknown): Record<string, never> {
    checkConfigurationSet(name, configurationSets);
    const enabled = (body as { SendingEnabled?: unknown }).SendingEnabled;
    if (enabled !== undefined && typeof enabled !== 'boolean') throw badRequest('SendingEnabled must be a boolean.');
    // The field is optional in the API reference, which gives no default: the stand-in reads it absent as false.
    if (enabled === true) pausedConfigurationSets.delete(name);
    else pausedConfigurationSets.add(name);
    return {};
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname.replace(/\/+$/, '') || '/';
    const body = await readBody(req, maxRequestBytes);
    if (body === 'too-large') {
      throw new SesError('RequestEntityTooLargeException', `Request body is larger than ${maxRequestBytes} bytes.`, 413);
    }
    if (method === 'POST' && path === '/v2/email/outbound-emails') return sendJson(res, 200, await sendEmail(parseJson(body)));
    if (method === 'GET' && path === '/v2/email/account') return sendJson(res, 200, getAccount());
    const setSending = /^\/v2\/email\/configuration-sets\/([^/]+)\/sending$/.exec(path);
    if (setSending && method === 'PUT') return sendJson(res, 200, putConfigurationSetSendingOptions(nameFromPath(setSending[1]!), parseJson(body)));
    const templateAnswer = path.startsWith('/v2/email/templates')
      ? handleTemplateRequest(templates, method, path, new URL(req.url ?? '/', 'http://stand-in').searchParams, method === 'POST' || method === 'PUT' ? parseJson(body) : undefined)
      : undefined;
    if (templateAnswer !== undefined) return sendJson(res, 200, templateAnswer);
    const identityAnswer = emailIdentities.answer(method, new URL(req.url ?? '/', 'http://stand-in'), () => parseJson(body), readFaults);
    if (identityAnswer !== undefined) return sendJson(res, 200, identityAnswer);
    const suppressionAnswer = accountSuppressions.answer(method, new URL(req.url ?? '/', 'http://stand-in'), () => parseJson(body));
    if (suppressionAnswer !== undefined) return sendJson(res, 200, suppressionAnswer);
    if (path === '/_local/messages' && method === 'GET') return sendJson(res, 200, { data: store.all().slice().reverse() });
    if (path === '/_local/messages' && method === 'DELETE') {
      store.clear();
      res.writeHead(204, { 'x-amzn-RequestId': randomUUID() }).end();
      return;
    }
    const one = /^\/_local\/messages\/([^/]+)$/.exec(path);
    if (one && method === 'GET') {
      const message = store.get(nameFromPath(one[1]!));
      if (!message) throw notFound(`Message ${one[1]} does not exist.`);
      return sendJson(res, 200, message);
    }
    throw new SesError('UnknownOperationException', `The SES stand-in has no operation ${method} ${path}.`, 404);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof SesError) {
        sendError(res, error);
        return;
      }
      console.error('ses-standin: unexpected error', error);
      sendError(res, new SesError('InternalServiceErrorException', 'The SES stand-in failed unexpectedly; see its log.', 500));
    });
  });

  // Node closes idle keep-alive connections after 5 s; the SDK may pick one up just as it closes,
  // and a SendEmail lost that way reads as "SES may have taken it" to the sender, which then waits
  // minutes for a Send event. SES's own endpoints keep idle connections far longer.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let stopping: Promise<void> | undefined;

  return {
    url,
    messages: () => store.all(),
    clearMessages: () => {
      store.clear();
    },
    setPaused: (value) => {
      paused = value;
    },
    configurationSetSendingEnabled: (name) => !pausedConfigurationSets.has(name),
    throttled: () => throttledCount,
    setMaxSendRate: (rate) => {
      maxSendRate = rate;
      bucket = rate === undefined ? undefined : new TokenBucket(rate, clock);
    },
    onAccepted: (listener) => store.subscribe(listener),
    onNotification: (listener) => notifications.subscribe(listener),
    replayOwed: () => notifications.replayOwed(),
    flushNotifications: async (maxWaitMs) => {
      const deadline = Date.now() + maxWaitMs;
      while (notifications.pending > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    },
    setSimulateEvents: (enabled) => {
      notifications.enabled = enabled;
    },
    putTemplate: (name, template) => {
      templates.put(name, template);
    },
    templates,
    failNextSends: (fault, times = 1) => {
      const status = fault.statusCode ?? STATUS_OF[fault.name as SesErrorName] ?? 400;
      for (let i = 0; i < times; i++) faults.push(new SesError(fault.name as SesErrorName, fault.message, status));
    },
    failNextCalls: (operation, fault, times = 1) => readFaults.add(operation, fault, times),
    accountSuppressionList: () => accountSuppressions.all(),
    stop: () => {
      notifications.stop();
      stopping ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The SDK keeps connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

/**
 * Reads the whole body, or answers 'too-large' once it passes `limit`. A too-large body is still
 * drained (and dropped) so the client sees our 413 rather than a reset connection, which the
 * SDK would treat as a transient fault and retry.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > limit;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('The request body is not valid JSON.');
  }
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(text);
}

/**
 * restJson1 error: the SDK takes the error name from `x-amzn-ErrorType` (checked first) and the
 * text from the body's `message` (see errors.ts).
 */
function sendError(res: ServerResponse, error: SesError): void {
  const text = JSON.stringify({ message: error.message });
  res.writeHead(error.statusCode, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    'x-amzn-ErrorType': error.name,
  });
  res.end(text);
}
