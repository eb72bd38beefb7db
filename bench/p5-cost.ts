/**
 * P5, cost on paper: what AWS charges per 1M emails beyond SES's own price, priced from the
 * requests each email makes, counted while real emails go through the local stack
 * (startLocalOutbox: real HTTP, the api handlers, the SES stand-in, the events pipeline, the
 * webhook delivery path, the sender). Nothing is typed in but the public prices and the stated
 * assumptions below; the counts, sizes, memory sizes, batch sizes and projections come from the
 * run and from the synthesized stack. See docs/cost.md.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { NotificationPayload } from '../lambda/core/webhooks';
import { WEBHOOK_EVENT_TYPES } from '../lambda/core/webhooks';
import { ALL_TABLES, API_KEYS_TABLE, CONTROL_TABLE, EMAILS_TABLE, IDEMPOTENCY_TABLE, TTL_ATTRIBUTE, WEBHOOKS_TABLE } from '../lambda/shared/tables';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/embedded-dynamodb';
import type { LocalQueue } from '../local/local-queue';
import { localTableName, startLocalOutbox, type LocalOutbox } from '../local/runtime';
import { round, seededRandom, type Figure, type Measure } from './lib';
import { installCostMeter, type CostMeter, type Item, type StorageVariant } from './p5-meter';
import { deployedFacts, type DeployedFacts, type FunctionRole } from './p5-stack';

/** Public prices, us-east-1, USD; checked 2026-11-28 (sources in docs/cost.md). */
export const PRICES = {
  restApiPerMillionRequests: 3.5, // https://aws.amazon.com/api-gateway/pricing/ (first 333M)
  httpApiPerMillionRequests: 1.0, // same page (first 300M, per 512 KB)
  lambdaPerMillionRequests: 0.2, // https://aws.amazon.com/lambda/pricing/
  lambdaArmPerGbSecond: 0.0000133334, // same page, Arm, first 7.5B GB-s
  lambdaX86PerGbSecond: 0.0000166667,
  dynamoDbPerMillionWriteUnits: 0.625, // https://aws.amazon.com/dynamodb/pricing/on-demand/
  dynamoDbPerMillionReadUnits: 0.125,
  dynamoDbStoragePerGbMonth: 0.25, // Standard table class, beyond the first 25 GB
  dynamoDbPitrPerGbMonth: 0.2,
  sqsPerMillionRequests: 0.4, // https://aws.amazon.com/sqs/pricing/ (standard; each 64 KB chunk is a request)
  snsPerMillionPublishes: 0.5, // https://aws.amazon.com/sns/pricing/ (each 64 KB chunk; SQS and Lambda deliveries free)
  logsIngestionPerGb: 0.5, // https://aws.amazon.com/cloudwatch/pricing/
  logsStoragePerGbMonth: 0.03,
  alarmPerMonth: 0.1, // standard-resolution metric alarm
  dataTransferOutPerGb: 0.09, // https://aws.amazon.com/ec2/pricing/on-demand/ (internet, first 10 TB)
  kmsKeyPerMonth: 1.0, // https://aws.amazon.com/kms/pricing/ (a customer managed key)
  kmsPer10kRequests: 0.03, // same page (symmetric requests)
  // https://aws.amazon.com/eventbridge/pricing/: free are the AWS management events on the default
  // bus; SES's sending events are not shown to be among them, so they are priced as custom events.
  eventBridgePerMillionEvents: 1.0,
} as const;

/**
 * Assumptions, stated because the local run cannot measure them. Handler time here is measured on
 * this machine, where DynamoDB is in-process and SES a loopback stand-in; Lambda at 256-512 MB has a
 * fraction of a vCPU and its AWS calls take milliseconds, so the measured time is tripled and the
 * waits the stand-ins cannot show (SES's answer, the customer's webhook endpoint) are added.
 */
export const ASSUMPTIONS = {
  lambdaTimePerLocalTime: 3,
  sesSendEmailMs: 100,
  webhookEndpointMs: 200,
  schedulerTickMs: 100,
  /** START and REPORT lines Lambda writes for every invocation in JSON log format. */
  platformLogBytesPerInvocation: 600,
  /** Pollers an SQS event source keeps long-polling (20 s) an idle queue with. */
  idlePollersPerEventSource: 5,
  /** Events Lambda instances each re-reading the webhook list every 10 s (the deployed cache). */
  warmEventsInstances: 1,
  /**
   * How often a warm events Lambda reads the reputation guard's state at most (DynamoDbGuardMemory
   * caches it 5 s); each read is 1 RRU (a small item, strongly consistent).
   */
  guardStateReadSeconds: 5,
  apiKeys: 1,
  /** Warm api Lambda instances, each re-reading a key it trusts every apiKeyCacheSeconds. */
  warmApiInstances: 1,
  emailsPerMonth: 1_000_000,
  /**
   * Principals publishing to the notifications topic (the events, sender, api and reputation
   * alarm Lambdas' roles); SES alone publishes to the events topic. Each costs KMS two requests
   * per 5 minutes on the topic's key: SNS reuses a data key for up to 5 minutes
   * (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
   */
  notificationTopicPublishers: 4,
  eventsTopicPublishers: 1,
  /**
   * The trickle traffic shape: 1M emails a month spread evenly, about 0.8 SES events (and, with
   * one webhook, 0.8 webhook jobs) a second. A queue batch then holds what arrives within the
   * event source's batching window (read from the stack), at least one message, at most a batch.
   */
  trickleEmailsPerSecond: 1_000_000 / (30 * 24 * 3600),
} as const;

const EMAILS_PER_SCENARIO = 150;
const BATCH_REQUEST_SIZE = 100;
/** One request at a time, so a request's measured time is not another's wait. */
const CONCURRENT_REQUESTS = 1;
/** Each email to an ordinary address makes two SES events: Send and Delivery. */
const EVENTS_PER_EMAIL = 2;
const DRAIN_TIMEOUT_MS = 20_000;
const MONTH_SECONDS = 30 * 24 * 3600;

/** Words for the bodies: varied enough that they compress as real mail does, not as one repeated line. */
const WORDS = 'order shipped arrive tracking parcel carrier delivery address invoice total items thanks support account update window morning evening warehouse returns policy receipt discount member points'.split(' ');
const random = seededRandom(5);
const sentence = (): string => Array.from({ length: 12 }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
const HTML = `<!doctype html><html><body><table>${Array.from({ length: 38 }, () => `<tr><td style="padding:4px">${sentence()}</td></tr>`).join('')}</table></body></html>`;
const TEXT = Array.from({ length: 14 }, sentence).join('\n');

/** The typical email: 1 recipient, ~5 KB of HTML, its text version, 2 tags. */
function typicalEmail(i: number): Record<string, unknown> {
  return {
    from: 'Acme <orders@acme.example>',
    to: `customer-${i}@example.com`,
    subject: `Your order #${100000 + i} has shipped`,
    html: HTML,
    text: TEXT,
    tags: [
      { name: 'category', value: 'shipping' },
      { name: 'tenant', value: 'acme' },
    ],
  };
}

interface QueueCounts {
  /** Messages queued, and the SendMessage/SendMessageBatch requests they took (64 KB chunks). */
  messages: number;
  sendRequests: number;
  /** Consumer invocations, messages handed over (redeliveries included) and their handler time. */
  deliveries: number;
  delivered: number;
  failed: number;
  handlerMs: number;
  visibilityChanges: number;
}

interface ScenarioCounts {
  readonly name: string;
  readonly emails: number;
  readonly seconds: number;
  apiRequests: number;
  apiMs: number;
  apiResponseBytes: number;
  sesSendEmail: number;
  sesOtherCalls: number;
  sesEvents: number;
  sesEventPublishes: number;
  notifications: number;
  /** Bytes of every notification published, for PublishBatch's 64 KB billing chunks. */
  notificationBytes: number;
  webhookPosts: number;
  webhookBytes: number;
  errorsLogged: number;
  queues: Record<'events' | 'webhooks' | 'outbound', QueueCounts>;
  dynamoDb: DynamoDbCounts;
  storedBytes: number;
}

/** DynamoDB use, split by who pays it in AWS: per email, or per cache miss / tick (see classOf). */
interface DynamoDbCounts {
  readonly callsByOperation: Record<string, number>;
  readonly failedCalls: number;
  readonly writeUnits: number;
  readonly readUnits: number;
  readonly writeUnitsByTarget: Record<string, number>;
  readonly readUnitsByTarget: Record<string, number>;
  readonly variantWriteUnits: Record<string, number>;
  /** Calls and read units the deployed stack does not make per email. */
  readonly apiKeyReads: { calls: number; readUnits: number };
  readonly scheduler: { calls: number; readUnits: number };
  readonly webhookList: { calls: number; readUnits: number };
  /**
   * The deliverability counters and the guard's state (control-table items `deliverability...`):
   * written once per events batch, so priced per deployed batch (see perEmail), not per local one.
   */
  readonly deliverability: { calls: number; readUnits: number; writes: number; writeUnits: number };
}

const TABLE = {
  emails: localTableName(EMAILS_TABLE),
  apiKeys: localTableName(API_KEYS_TABLE),
  webhooks: localTableName(WEBHOOKS_TABLE),
  idempotency: localTableName(IDEMPOTENCY_TABLE),
  control: localTableName(CONTROL_TABLE),
};

/** The control table's deliverability items: the hourly counters and the guard's state. */
const DELIVERABILITY_KIND = 'deliverability';
const isDeliverabilityKey = (key: string | undefined): boolean => key?.startsWith('deliverability') === true;

/**
 * Local mode does three things per request that the deployed stack does per cache miss or per
 * tick: the local server reads the API key on every request (a warm api Lambda trusts a key it has
 * read for a while), the events handler reads the webhook list on every event (the Lambda caches it 10 s),
 * and the scheduler ticks every second (every minute in AWS).
 */
function classOf(table: string, index: string | undefined, key?: string): 'apiKeyReads' | 'scheduler' | 'webhookList' | 'deliverability' | 'perEmail' {
  if (table === TABLE.apiKeys) return 'apiKeyReads';
  if (table === TABLE.control && isDeliverabilityKey(key)) return 'deliverability';
  if (table === TABLE.emails && index === 'by-due') return 'scheduler';
  if (table === TABLE.webhooks && index === 'by-list') return 'webhookList';
  return 'perEmail';
}

/** Design variants priced from the same item images (see docs/cost.md). */
const VARIANTS: readonly StorageVariant[] = [
  { name: 'keysOnlyIndexes', projection: () => ({ type: 'KEYS_ONLY' }) },
];

export const costOnPaper: Measure = {
  id: 'P5',
  title: 'cost on paper',
  async run(log) {
    const facts = deployedFacts();
    log(`P5: stack read (${facts.apiKind} API, memory ${JSON.stringify(facts.memoryMb)} MB, projections ${JSON.stringify(facts.projections)})`);
    const meter = installCostMeter({
      deployedProjection: facts.projection,
      variants: VARIANTS,
      itemKind: (table, item) => (table === TABLE.control && isDeliverabilityKey(item.key?.S as string | undefined) ? DELIVERABILITY_KIND : undefined),
    });
    const receiver = await startReceiver();
    let errorsLogged = 0;
    const outbox = await startLocalOutbox({ port: 0, logError: () => (errorsLogged += 1) });
    const probes = attachProbes(outbox, receiver.port);
    try {
      const api = new ApiClient(outbox);
      const scenarios: ScenarioCounts[] = [];
      const run = async (name: string, drive: (api: ApiClient) => Promise<void>, webhook: boolean): Promise<void> => {
        const before = await storedBytes(outbox, meter, facts);
        meter.reset();
        probes.reset();
        api.reset();
        errorsLogged = 0;
        const started = performance.now();
        await drive(api);
        await drain(outbox, probes, EMAILS_PER_SCENARIO, webhook);
        const seconds = (performance.now() - started) / 1000;
        const counts = collect(name, seconds, api, probes, meter, errorsLogged);
        counts.storedBytes = (await storedBytes(outbox, meter, facts)) - before;
        scenarios.push(counts);
        log(`P5: ${name}: ${EMAILS_PER_SCENARIO} emails in ${seconds.toFixed(1)} s`);
      };
      await run('single', (client) => sendEach(client), false);
      await run('idempotencyKey', (client) => sendEach(client, true), false);
      await run('batch', (client) => sendBatches(client), false);
      await api.request('POST', '/webhooks', { endpoint: receiver.url, events: [...WEBHOOK_EVENT_TYPES] });
      await run('webhook', (client) => sendEach(client), true);

      // Two traffic shapes: full batches (a backlog), and a trickle (a batch holds one message).
      const trickleFacts = trickleShape(facts);
      const fullBatches = Object.fromEntries(scenarios.map((s) => [s.name, price(s, facts)]));
      const trickle = Object.fromEntries(scenarios.map((s) => [s.name, price(s, trickleFacts)]));
      // The headline is the worse shape.
      const worse = trickle.webhook!.total >= fullBatches.webhook!.total ? 'trickle' : 'fullBatches';
      const priced = worse === 'trickle' ? trickle : fullBatches;
      const headline = priced.webhook!;
      const fixed = fixedMonthly(scenarios.find((s) => s.name === 'webhook')!, facts);
      const whatIf = designChanges(scenarios.find((s) => s.name === 'webhook')!, facts);
      const top = Object.entries(headline.lines)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([line, dollars]) => `${line} $${dollars.toFixed(2)}`)
        .join(', ');
      const figure: Figure = {
        value: headline.total,
        target: `≤ $${TARGET.webhook} per 1M emails with one webhook, ≤ $${TARGET.single} without (the worse traffic shape)`,
        met: headline.total <= TARGET.webhook && priced.single!.total <= TARGET.single,
        summary:
          `$${headline.total.toFixed(2)} per 1M emails with one webhook, ${worse === 'trickle' ? 'trickle' : 'full batches'} (${top}); ` +
          `no webhook $${priced.single!.total.toFixed(2)}, Idempotency-Key $${priced.idempotencyKey!.total.toFixed(2)}, ` +
          `batch $${priced.batch!.total.toFixed(2)}; full batches: webhook $${fullBatches.webhook!.total.toFixed(2)}, no webhook $${fullBatches.single!.total.toFixed(2)}; fixed $${fixed.total.toFixed(2)}/month`,
        detail: {
          headlineShape: worse,
          dollarsPerMillionEmails: priced,
          dollarsPerMillionEmailsByShape: { fullBatches, trickle },
          perEmail: Object.fromEntries(scenarios.map((s) => [s.name, perEmail(s, facts)])),
          fixedMonthly: fixed,
          designChanges: whatIf,
          deployed: { ...facts, projection: undefined },
          assumptions: ASSUMPTIONS,
          prices: PRICES,
          errorsLogged: scenarios.reduce((sum, s) => sum + s.errorsLogged, 0),
        },
      };
      return figure;
    } finally {
      probes.detach();
      await outbox.stop();
      await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
      receiver.server.closeAllConnections();
      meter.uninstall();
    }
  },
};

/** The client side of the API: real HTTP, timed, with the response sizes. */
class ApiClient {
  requests = 0;
  ms = 0;
  responseBytes = 0;
  constructor(private readonly outbox: LocalOutbox) {}

  reset(): void {
    this.requests = 0;
    this.ms = 0;
    this.responseBytes = 0;
  }

  async request(method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
    const started = performance.now();
    const response = await fetch(`${this.outbox.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.outbox.apiKey}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    this.ms += performance.now() - started;
    this.requests += 1;
    this.responseBytes += Buffer.byteLength(text) + [...response.headers].reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as unknown;
  }
}

async function sendEach(api: ApiClient, idempotencyKey = false): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < EMAILS_PER_SCENARIO) {
      const i = next++;
      await api.request('POST', '/emails', typicalEmail(i), idempotencyKey ? { 'idempotency-key': `order-${i}-${Date.now()}` } : {});
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_REQUESTS }, worker));
}

async function sendBatches(api: ApiClient): Promise<void> {
  for (let start = 0; start < EMAILS_PER_SCENARIO; start += BATCH_REQUEST_SIZE) {
    const emails = Array.from({ length: Math.min(BATCH_REQUEST_SIZE, EMAILS_PER_SCENARIO - start) }, (_, i) => typicalEmail(start + i));
    await api.request('POST', '/emails/batch', emails);
  }
}

/** A webhook endpoint on loopback that answers 200. */
async function startReceiver(): Promise<{ server: Server; url: string; port: number }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/hooks/outbox`, port };
}

interface Probes {
  readonly queues: Record<'events' | 'webhooks' | 'outbound', QueueCounts>;
  sesEvents: number;
  sesEventPublishes: number;
  notifications: number;
  notificationBytes: number;
  readonly receiverPort: number;
  reset(): void;
  detach(): void;
}

const chunks64k = (bytes: number): number => Math.max(1, Math.ceil(bytes / 65_536));

/** Counters on the local stand-ins for SNS, SQS and S3; each only watches (or wraps and calls through). */
function attachProbes(outbox: LocalOutbox, receiverPort: number): Probes {
  const emptyQueue = (): QueueCounts => ({ messages: 0, sendRequests: 0, deliveries: 0, delivered: 0, failed: 0, handlerMs: 0, visibilityChanges: 0 });
  const probes: Probes = {
    queues: { events: emptyQueue(), webhooks: emptyQueue(), outbound: emptyQueue() },
    sesEvents: 0,
    sesEventPublishes: 0,
    notifications: 0,
    notificationBytes: 0,
    receiverPort,
    reset() {
      for (const name of ['events', 'webhooks', 'outbound'] as const) probes.queues[name] = emptyQueue();
      probes.sesEvents = probes.sesEventPublishes = probes.notifications = probes.notificationBytes = 0;
    },
    detach() {
      for (const undo of undos) undo();
    },
  };
  const undos: (() => void)[] = [];
  const watchQueue = (name: keyof Probes['queues'], queue: LocalQueue, batched: boolean): void => {
    // Outbox sends what one call enqueues with SendMessageBatch (10 per request): the messages
    // queued in one synchronous run are one call. SNS delivers to the events queue one by one.
    let group: { count: number; bytes: number } | undefined;
    undos.push(
      queue.observe({
        sent(body) {
          const counts = probes.queues[name];
          counts.messages += 1;
          const bytes = Buffer.byteLength(body);
          if (!batched) {
            counts.sendRequests += chunks64k(bytes);
            return;
          }
          if (!group) {
            const opened = (group = { count: 0, bytes: 0 });
            queueMicrotask(() => {
              counts.sendRequests += Math.max(Math.ceil(opened.count / 10), chunks64k(opened.bytes));
              group = undefined;
            });
          }
          group.count += 1;
          group.bytes += bytes;
        },
        delivered({ messages, failed, ms }) {
          const counts = probes.queues[name];
          counts.deliveries += 1;
          counts.delivered += messages;
          counts.failed += failed;
          counts.handlerMs += ms;
        },
        visibilityChanged() {
          probes.queues[name].visibilityChanges += 1;
        },
      }),
    );
  };
  watchQueue('events', outbox.eventsQueue, false);
  watchQueue('webhooks', outbox.webhookQueue, true);
  watchQueue('outbound', outbox.outboundQueue, true);
  undos.push(
    outbox.ses.onNotification((envelope) => {
      probes.sesEvents += 1;
      probes.sesEventPublishes += chunks64k(Buffer.byteLength(envelope.Message));
    }),
  );
  // Counted, not priced here: the events Lambda publishes a deployed batch's notifications together (see perEmail).
  const topic = outbox.notifications;
  const publish = topic.publish.bind(topic);
  const publishBatch = topic.publishBatch.bind(topic);
  const count = (payload: NotificationPayload) => {
    probes.notifications += 1;
    probes.notificationBytes += Buffer.byteLength(JSON.stringify(payload));
  };
  topic.publish = async (payload: NotificationPayload) => {
    count(payload);
    return publish(payload);
  };
  topic.publishBatch = async (payloads: readonly NotificationPayload[]) => {
    payloads.forEach(count);
    return publishBatch(payloads);
  };
  undos.push(() => {
    topic.publish = publish;
    topic.publishBatch = publishBatch;
  });
  return probes;
}

/** Waits until every email's events went through the pipeline and, with a webhook, were delivered. */
async function drain(outbox: LocalOutbox, probes: Probes, emails: number, webhook: boolean): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  const settled = (): boolean =>
    probes.sesEvents >= emails * EVENTS_PER_EMAIL &&
    probes.queues.events.delivered - probes.queues.events.failed >= probes.sesEvents &&
    (!webhook || probes.queues.webhooks.delivered - probes.queues.webhooks.failed >= emails * EVENTS_PER_EMAIL);
  while (!settled()) {
    if (Date.now() > deadline) {
      throw new Error(`the pipeline did not settle within ${DRAIN_TIMEOUT_MS / 1000} s: ${JSON.stringify({ sesEvents: probes.sesEvents, queues: probes.queues })}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await Promise.all([outbox.eventsQueue.idle(), outbox.webhookQueue.idle(), outbox.outboundQueue.idle()]);
}

function collect(name: string, seconds: number, api: ApiClient, probes: Probes, meter: CostMeter, errorsLogged: number): ScenarioCounts {
  const callsByOperation: Record<string, number> = {};
  const excluded = { apiKeyReads: { calls: 0, readUnits: 0 }, scheduler: { calls: 0, readUnits: 0 }, webhookList: { calls: 0, readUnits: 0 } };
  const deliverability = { calls: 0, readUnits: 0, writes: 0, writeUnits: 0 };
  let failedCalls = 0;
  for (const call of meter.dynamoDbCalls) {
    const kind = classOf(call.table, call.index, call.key);
    if (kind === 'deliverability') {
      deliverability.calls += 1;
      if (call.operation === 'UpdateItem' && call.key?.startsWith('deliverability#')) deliverability.writes += 1;
      continue;
    }
    if (kind !== 'perEmail') {
      excluded[kind].calls += 1;
      continue;
    }
    callsByOperation[call.operation] = (callsByOperation[call.operation] ?? 0) + 1;
    if (call.failed) failedCalls += 1;
  }
  const readUnitsByTarget: Record<string, number> = {};
  for (const [target, units] of meter.capacity.readUnits) {
    if (target.endsWith(`~${DELIVERABILITY_KIND}`)) {
      deliverability.readUnits += units;
      continue;
    }
    const [table, index] = target.split('#') as [string, string | undefined];
    const kind = classOf(table, index);
    if (kind === 'perEmail') readUnitsByTarget[target] = units;
    else if (kind === 'deliverability') deliverability.readUnits += units;
    else excluded[kind].readUnits += units;
  }
  const writeUnitsByTarget = Object.fromEntries([...meter.capacity.writeUnits].filter(([target]) => !target.endsWith(`~${DELIVERABILITY_KIND}`)));
  deliverability.writeUnits = meter.capacity.writeUnits.get(`${TABLE.control}~${DELIVERABILITY_KIND}`) ?? 0;
  const sum = (values: Iterable<number>): number => [...values].reduce((a, b) => a + b, 0);
  const ses = meter.otherRequests.filter((r) => r.path.startsWith('/v2/email/'));
  const posts = meter.otherRequests.filter((r) => r.port === probes.receiverPort);
  return {
    name,
    emails: EMAILS_PER_SCENARIO,
    seconds,
    apiRequests: api.requests,
    apiMs: api.ms,
    apiResponseBytes: api.responseBytes,
    sesSendEmail: ses.filter((r) => r.path === '/v2/email/outbound-emails').length,
    sesOtherCalls: ses.filter((r) => r.path !== '/v2/email/outbound-emails').length,
    sesEvents: probes.sesEvents,
    sesEventPublishes: probes.sesEventPublishes,
    notifications: probes.notifications,
    notificationBytes: probes.notificationBytes,
    webhookPosts: posts.length,
    webhookBytes: sum(posts.map((p) => p.requestBytes + p.headerBytes)),
    errorsLogged,
    queues: structuredClone(probes.queues),
    dynamoDb: {
      callsByOperation,
      failedCalls,
      writeUnits: sum(Object.values(writeUnitsByTarget)),
      readUnits: sum(Object.values(readUnitsByTarget)),
      writeUnitsByTarget,
      readUnitsByTarget,
      variantWriteUnits: Object.fromEntries(meter.capacity.variantWriteUnits),
      ...excluded,
      deliverability,
    },
    storedBytes: 0,
  };
}

/**
 * Bytes the tables hold, by DynamoDB's storage rules: each item's size plus 100 bytes, and for each
 * global index it is in, the projected attributes (as deployed) plus 100 bytes. Idempotency
 * records count for their one day only, as a fraction of the retention period.
 */
async function storedBytes(outbox: LocalOutbox, meter: CostMeter, facts: DeployedFacts): Promise<number> {
  const client = new DynamoDBClient({ endpoint: outbox.dynamoDbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  let total = 0;
  try {
    for (const definition of ALL_TABLES) {
      const table = localTableName(definition);
      if (table === TABLE.apiKeys) continue;
      // An item is kept as long as its own expiry says (a first-attempt webhook success 14 days,
      // an idempotency record a day), as a share of the retention the storage line assumes.
      const retentionSeconds = facts.retentionDays * 86_400;
      const nowSeconds = Date.now() / 1000;
      const keepOf = (item: Item): number => {
        const expiresAt = Number(item[TTL_ATTRIBUTE]?.N);
        if (Number.isFinite(expiresAt) && expiresAt > 0) return Math.min(1, Math.max(0, (expiresAt - nowSeconds) / retentionSeconds));
        return table === TABLE.idempotency ? 1 / facts.retentionDays : 1;
      };
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
        for (const raw of page.Items ?? []) {
          const item = raw as unknown as Item;
          let bytes = meter.sizeOf(item) + 100;
          for (const index of definition.globalIndexes) {
            const keys = [index.partitionKey.name, ...(index.sortKey ? [index.sortKey.name] : [])];
            if (!keys.every((k) => item[k] !== undefined)) continue;
            const projection = facts.projection(table, index.indexName) ?? { type: 'ALL' };
            const tableKeys = [definition.partitionKey.name, ...(definition.sortKey ? [definition.sortKey.name] : [])];
            const kept = new Set([...keys, ...tableKeys, ...(projection.nonKeyAttributes ?? [])]);
            const entry = projection.type === 'ALL' ? item : Object.fromEntries(Object.entries(item).filter(([name]) => kept.has(name)));
            bytes += meter.sizeOf(entry) + 100;
          }
          total += bytes * keepOf(item);
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
  } finally {
    client.destroy();
  }
  return total;
}

/** Counts per email, as the deployed stack would make them (see classOf and the batch sizes). */
function perEmail(s: ScenarioCounts, facts: DeployedFacts): Record<string, number> {
  const n = s.emails;
  const q = s.queues;
  const apiRequests = s.apiRequests / n;
  const apiKeyReads = Math.min(apiRequests, (ASSUMPTIONS.apiKeys * ASSUMPTIONS.warmApiInstances * MONTH_SECONDS) / facts.apiKeyCacheSeconds / ASSUMPTIONS.emailsPerMonth);
  const invocations = {
    api: apiRequests,
    events: q.events.delivered / facts.batchSize.events / n,
    webhookDelivery: q.webhooks.delivered / facts.batchSize.webhookDelivery / n,
    sender: q.outbound.delivered / facts.batchSize.sender / n,
  };
  // SQS: what is sent, then one ReceiveMessage and one DeleteMessageBatch per invocation's batch.
  // The events Lambda queues a deployed batch's webhook jobs together (10 a SendMessageBatch).
  const eventsBatches = invocations.events * n;
  const webhookJobSends = eventsBatches > 0 && q.webhooks.messages > 0 ? (eventsBatches * Math.ceil(q.webhooks.messages / eventsBatches / 10)) / n : 0;
  const sqsRequests =
    (q.events.sendRequests + q.outbound.sendRequests) / n +
    webhookJobSends +
    2 * (invocations.events + invocations.webhookDelivery + invocations.sender) +
    (q.events.visibilityChanges + q.webhooks.visibilityChanges + q.outbound.visibilityChanges) / n;
  const lambdaMs = lambdaMilliseconds(s, facts);
  const gbSeconds = (Object.keys(lambdaMs) as (keyof typeof lambdaMs)[]).reduce((sum, role) => sum + (lambdaMs[role] / 1000) * (facts.memoryMb[role] / 1024), 0);
  const keyReadUnitsPerCall = s.dynamoDb.apiKeyReads.calls > 0 ? s.dynamoDb.apiKeyReads.readUnits / s.dynamoDb.apiKeyReads.calls : 0.5;
  const totalInvocations = Object.values(invocations).reduce((a, b) => a + b, 0);
  // One counter write per events batch (a batch is counted into one hour, Outbox's own), at the
  // size measured here; the local queue's own batching is not the deployed one.
  const d = s.dynamoDb.deliverability;
  const unitsPerCounterWrite = d.writes > 0 ? d.writeUnits / d.writes : 1;
  return {
    apiRequests,
    lambdaInvocations: totalInvocations,
    apiInvocations: invocations.api,
    apiKeyReads,
    eventsInvocations: invocations.events,
    webhookDeliveryInvocations: invocations.webhookDelivery,
    senderInvocations: invocations.sender,
    ...Object.fromEntries(Object.entries(lambdaMs).map(([role, ms]) => [`${role}LambdaMs`, round(ms, 1)])),
    lambdaGbSeconds: gbSeconds,
    dynamoDbCalls: Object.values(s.dynamoDb.callsByOperation).reduce((a, b) => a + b, 0) / n,
    ...Object.fromEntries(Object.entries(s.dynamoDb.callsByOperation).map(([op, calls]) => [`dynamoDb${op}`, calls / n])),
    dynamoDbFailedCalls: s.dynamoDb.failedCalls / n,
    writeUnits: s.dynamoDb.writeUnits / n,
    deliverabilityCounterWrites: invocations.events,
    deliverabilityWriteUnits: invocations.events * unitsPerCounterWrite,
    deliverabilityUnitsPerCounterWrite: unitsPerCounterWrite,
    ...Object.fromEntries(Object.entries(s.dynamoDb.writeUnitsByTarget).map(([target, units]) => [`writeUnits ${target}`, units / n])),
    readUnits: s.dynamoDb.readUnits / n + apiKeyReads * keyReadUnitsPerCall,
    sqsRequests,
    sesEventPublishes: s.sesEventPublishes / n,
    notificationPublishes: notificationPublishes(s, invocations.events),
    sesSendEmail: s.sesSendEmail / n,
    webhookPosts: s.webhookPosts / n,
    logBytes: totalInvocations * platformLogBytes(facts) + apiRequests * facts.accessLogLineBytes,
    bytesOut: (s.webhookBytes + s.apiResponseBytes) / n,
    storedBytes: s.storedBytes / n,
  };
}

/**
 * PublishBatch requests per email to the notifications topic: the events Lambda publishes a
 * deployed batch's notifications together, one request per 10 of them and per 64 KB
 * (notificationBatch), so per events batch: the larger of the two. The local queue's own batches
 * are not the deployed ones, so the notifications are spread over the deployed batches.
 */
function notificationPublishes(s: ScenarioCounts, eventsBatchesPerEmail: number): number {
  if (s.notifications === 0) return 0;
  const batches = eventsBatchesPerEmail * s.emails;
  const perBatch = s.notifications / batches;
  const bytesPerBatch = s.notificationBytes / batches;
  return (eventsBatchesPerEmail * Math.max(Math.ceil(perBatch / 10), chunks64k(bytesPerBatch)));
}

/**
 * Estimated Lambda milliseconds per email for each function (see ASSUMPTIONS). The queue consumers
 * handle a batch's records in parallel, so a batch waits once for SES or for the endpoint.
 */
function lambdaMilliseconds(s: ScenarioCounts, facts: DeployedFacts): Record<Exclude<FunctionRole, 'scheduler'>, number> {
  const k = ASSUMPTIONS.lambdaTimePerLocalTime;
  const n = s.emails;
  const q = s.queues;
  const apiSends = q.outbound.delivered > 0 ? 0 : s.sesSendEmail;
  return {
    api: (k * s.apiMs + ASSUMPTIONS.sesSendEmailMs * apiSends) / n,
    events: (k * q.events.handlerMs) / n,
    webhookDelivery: (k * q.webhooks.handlerMs + (ASSUMPTIONS.webhookEndpointMs * q.webhooks.delivered) / facts.batchSize.webhookDelivery) / n,
    sender: (k * q.outbound.handlerMs + (ASSUMPTIONS.sesSendEmailMs * q.outbound.delivered) / facts.batchSize.sender) / n,
  };
}

interface Priced {
  readonly total: number;
  /** Dollars per 1M emails, by line. */
  readonly lines: Record<string, number>;
}

/** Lambda's START and REPORT lines per invocation: none with the system log level at WARN. */
function platformLogBytes(facts: DeployedFacts): number {
  return facts.platformLogLines ? ASSUMPTIONS.platformLogBytesPerInvocation : 0;
}

/** P5's targets, dollars per 1M emails beyond SES's own price, in the worse traffic shape. */
const TARGET = { webhook: 10, single: 6 } as const;

/**
 * The deployed facts with the queue consumers' batches as a trickle fills them: the messages that
 * arrive within the batching window (EVENTS_PER_EMAIL events per email, one webhook job each).
 */
function trickleShape(facts: DeployedFacts): DeployedFacts {
  const perSecond = ASSUMPTIONS.trickleEmailsPerSecond * EVENTS_PER_EMAIL;
  const filled = (role: 'events' | 'webhookDelivery') => Math.min(facts.batchSize[role], Math.max(1, perSecond * facts.batchingWindowSeconds[role]));
  return { ...facts, batchSize: { ...facts.batchSize, events: filled('events'), webhookDelivery: filled('webhookDelivery') } };
}

function price(s: ScenarioCounts, facts: DeployedFacts): Priced {
  const e = perEmail(s, facts);
  const million = 1_000_000;
  const gbSecond = facts.architecture === 'arm64' ? PRICES.lambdaArmPerGbSecond : PRICES.lambdaX86PerGbSecond;
  const gb = 1024 ** 3;
  const lines: Record<string, number> = {
    apiGateway: e.apiRequests! * (facts.apiKind === 'REST' ? PRICES.restApiPerMillionRequests : PRICES.httpApiPerMillionRequests),
    lambdaRequests: e.lambdaInvocations! * PRICES.lambdaPerMillionRequests,
    lambdaDuration: e.lambdaGbSeconds! * gbSecond * million,
    dynamoDbWrites: e.writeUnits! * PRICES.dynamoDbPerMillionWriteUnits,
    deliverabilityCounters: e.deliverabilityWriteUnits! * PRICES.dynamoDbPerMillionWriteUnits,
    dynamoDbReads: e.readUnits! * PRICES.dynamoDbPerMillionReadUnits,
    sqs: e.sqsRequests! * PRICES.sqsPerMillionRequests,
    snsSesEvents: e.sesEventPublishes! * PRICES.snsPerMillionPublishes,
    snsNotifications: e.notificationPublishes! * PRICES.snsPerMillionPublishes,
    cloudWatchLogs: ((e.logBytes! * million) / gb) * (PRICES.logsIngestionPerGb + PRICES.logsStoragePerGbMonth * (facts.logRetentionDays / 30)),
    dataTransferOut: ((e.bytesOut! * million) / gb) * PRICES.dataTransferOutPerGb,
  };
  for (const key of Object.keys(lines)) lines[key] = round(lines[key]!, 3);
  return { total: round(Object.values(lines).reduce((a, b) => a + b, 0), 3), lines };
}

/** Monthly costs that do not scale with emails, plus storage at 1M emails a month kept for the retention period. */
function fixedMonthly(s: ScenarioCounts, facts: DeployedFacts): { total: number; lines: Record<string, number>; storageGb: number } {
  const gbSecond = facts.architecture === 'arm64' ? PRICES.lambdaArmPerGbSecond : PRICES.lambdaX86PerGbSecond;
  const ticks = facts.scheduleTicksPerMonth;
  // Locally the scheduler ticks every second: its reads per second are its reads per tick.
  const schedulerReadUnitsPerTick = s.dynamoDb.scheduler.readUnits / s.seconds;
  const idleReceives = facts.sqsEventSources * ASSUMPTIONS.idlePollersPerEventSource * (MONTH_SECONDS / 20);
  const listReads = ASSUMPTIONS.warmEventsInstances * (MONTH_SECONDS / 10);
  const listReadUnits = s.dynamoDb.webhookList.calls > 0 ? s.dynamoDb.webhookList.readUnits / s.dynamoDb.webhookList.calls : 0.5;
  const storageGb = (ASSUMPTIONS.emailsPerMonth * (s.storedBytes / s.emails) * (facts.retentionDays / 30)) / 1024 ** 3;
  const lines: Record<string, number> = {
    schedulerLambda:
      ticks * (PRICES.lambdaPerMillionRequests / 1e6) +
      ticks * (ASSUMPTIONS.schedulerTickMs / 1000) * (facts.memoryMb.scheduler / 1024) * gbSecond +
      ((ticks * platformLogBytes(facts)) / 1024 ** 3) * PRICES.logsIngestionPerGb,
    schedulerReads: ticks * schedulerReadUnitsPerTick * (PRICES.dynamoDbPerMillionReadUnits / 1e6),
    alarms: facts.alarms * PRICES.alarmPerMonth,
    idleQueuePolling: idleReceives * (PRICES.sqsPerMillionRequests / 1e6),
    webhookListReads: listReads * listReadUnits * (PRICES.dynamoDbPerMillionReadUnits / 1e6),
    // The guard's state, at most once per cache period per warm events Lambda, and each past hour once per instance.
    deliverabilityReads:
      ASSUMPTIONS.warmEventsInstances * (MONTH_SECONDS / ASSUMPTIONS.guardStateReadSeconds + MONTH_SECONDS / 3600) * (PRICES.dynamoDbPerMillionReadUnits / 1e6),
    // The events and notifications topics' customer managed keys, and SNS's data key requests on them.
    kmsKeys: 2 * PRICES.kmsKeyPerMonth,
    kmsRequests:
      (MONTH_SECONDS / 300) * 2 * (ASSUMPTIONS.eventsTopicPublishers + ASSUMPTIONS.notificationTopicPublishers) * (PRICES.kmsPer10kRequests / 10_000),
    dynamoDbStorageAt1MPerMonth: storageGb * PRICES.dynamoDbStoragePerGbMonth,
    pitrAt1MPerMonth: storageGb * PRICES.dynamoDbPitrPerGbMonth,
  };
  for (const key of Object.keys(lines)) lines[key] = round(lines[key]!, 3);
  return { total: round(Object.values(lines).reduce((a, b) => a + b, 0), 2), lines, storageGb: round(storageGb, 2) };
}

/** What design changes would save on the headline scenario, priced by the same model (dollars per 1M emails). */
function designChanges(s: ScenarioCounts, facts: DeployedFacts): Record<string, number> {
  const base = price(s, facts);
  const e = perEmail(s, facts);
  const n = s.emails;
  const writeDollars = (units: number): number => units * PRICES.dynamoDbPerMillionWriteUnits;
  const variantSaving = (variant: string): number => writeDollars(e.writeUnits! - (s.dynamoDb.variantWriteUnits[variant] ?? s.dynamoDb.writeUnits) / n);
  const savings: Record<string, number> = {
    httpApiInsteadOfRest: facts.apiKind === 'REST' ? e.apiRequests! * (PRICES.restApiPerMillionRequests - PRICES.httpApiPerMillionRequests) : 0,
    // Not free: EventBridge prices these as custom events, $1 a million against SNS's $0.50.
    sesEventsThroughEventBridge: base.lines.snsSesEvents! - (s.sesEvents / n) * PRICES.eventBridgePerMillionEvents,
    webhookLogWritesDropped: writeDollars((s.dynamoDb.writeUnitsByTarget[TABLE.webhooks] ?? 0) / n),
    keysOnlyIndexes: variantSaving('keysOnlyIndexes'),
    accessLogsOff: ((e.apiRequests! * facts.accessLogLineBytes * 1e6) / 1024 ** 3) * PRICES.logsIngestionPerGb,
  };
  const allSavings = Object.values(savings).reduce((a, b) => a + b, 0);
  savings.totalWithAllOfThese = base.total - allSavings;
  for (const key of Object.keys(savings)) savings[key] = round(savings[key]!, 3);
  return savings;
}
