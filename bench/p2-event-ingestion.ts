import { randomBytes } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { PutCommand, type DynamoDbDocumentClient } from '../lambda/adapters/aws/dynamodb';
import { readEventsConfig } from '../lambda/config';
import { documentClient } from '../lambda/adapters/dynamodb-documents';
import { DynamoDbEmailStore } from '../lambda/adapters/dynamodb-email-store';
import { DynamoDbWebhookStore } from '../lambda/adapters/dynamodb-webhook-store';
import type { EmailRecord } from '../lambda/core/email';
import { foldEmailState } from '../lambda/core/email-state';
import { uuidv7 } from '../lambda/core/ids';
import { systemClock } from '../lambda/core/ports';
import { parseSesNotification } from '../lambda/core/ses-events';
import { handleSesEventBatch, type EventsDeps } from '../lambda/entrypoints/sqs-events';
import { ENV, MESSAGE_ID_TAG } from '../lambda/shared/env';
import { ALL_TABLES, EMAILS_TABLE } from '../lambda/shared/tables';
import { buildEventsDeps, type NotificationOverrides } from '../lambda/wiring';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/embedded-dynamodb';
import { localTableName } from '../local/runtime';
import { simulateOutcomes, type AcceptedMessage, type SimulatorMailbox } from '../local/ses-standin';
import { sesMessageId } from '../local/ses-standin/message-id';
import { chunks, lambdaEnvironment, median, relativeSpread, round, runPool, seededRandom, shuffle, timed, type Figure, type Measure } from './lib';
import { startStore, type BenchStore, type StoreStats } from './store';

/**
 * P2 event ingestion: SES notifications per second through the events Lambda's consumer
 * (`handleSesEventBatch`, wired by `buildEventsDeps` as the handler is, with the SNS topic and the
 * webhook queue replaced by in-process counters), in batches of 10 as SQS delivers them, several
 * batches at once as the event source runs them, against the floor: one plain PutItem per
 * notification, of the timeline item the pipeline itself writes, with a client built the same
 * way, at the same concurrency, to the same store. value = pipeline events/s ÷ floor writes/s.
 */
export const eventIngestion: Measure = { id: 'P2', title: 'event ingestion', run };

const TARGET = 0.8;
const ROUNDS = 3;
/** Emails per round; each yields 2-3 notifications per recipient. */
const EMAILS_PER_ROUND = 500;
const WARMUP_EMAILS = 100;
const BATCH_SIZE = 10;
/** Each round alternates floor and pipeline over this many slices of its events. */
const SLICES = 4;
/** Batches in flight at once, as the SQS event source scales a function out. */
const CONCURRENT_BATCHES = 4;
/** What happens to each recipient: mostly delivered, a few hard bounces, auto-replies and complaints. */
const OUTCOME_MIX: readonly (readonly [SimulatorMailbox, number])[] = [
  ['success', 0.9],
  ['bounce', 0.04],
  ['ooto', 0.03],
  ['complaint', 0.03],
];
/** Share of emails with a second recipient (a Cc). */
const SECOND_RECIPIENT_SHARE = 0.15;
const RETENTION_DAYS = 90;
/** Emails per round whose timelines are read back after the round. */
const VERIFY_SAMPLE = 25;
const CONFIGURATION_SET = 'outbox-bench';
const TOPIC_ARN = `arn:aws:sns:${LOCAL_REGION}:000000000000:outbox-ses-events`;
const CLIENT_OPTIONS = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
/** A transactional email's size: the body is stored with the email, and read back by each event's lookup. */
const HTML_BODY = `<html><body>${'<p>Your order has shipped. Track it with the link below.</p>'.repeat(130)}</body></html>`;
const TEXT_BODY = 'Your order has shipped. Track it with the link below.\n'.repeat(20);

interface Workload {
  /** SQS message bodies (SNS envelopes), shuffled. */
  readonly bodies: readonly string[];
  /** For the floor: the timeline item the pipeline writes for each body. */
  readonly floorItems: readonly Record<string, unknown>[];
  readonly eventTypes: Readonly<Record<string, number>>;
  /** Notifications made for each email, by Outbox id, to check the timelines afterwards. */
  readonly eventsPerEmail: ReadonlyMap<string, number>;
}

interface PhaseResult {
  readonly perSecond: number;
  readonly ms: number;
  readonly store: StoreStats;
  readonly clientCpuMs: number;
}

interface Round {
  readonly events: number;
  /** SNS publishes and webhook jobs the fan-out asked for in the round's pipeline phase. */
  readonly fanOut: { readonly published: number; readonly jobs: number };
  readonly eventTypes: Readonly<Record<string, number>>;
  readonly floor: PhaseResult;
  readonly pipeline: PhaseResult;
  readonly ratio: number;
}

async function run(log: (line: string) => void): Promise<Figure> {
  const store = await startStore();
  try {
    const emailsTable = localTableName(EMAILS_TABLE);
    await createTables(store.endpoint, ALL_TABLES.map((definition) => ({ definition, name: localTableName(definition) })));
    // Configured as the handler is: readEventsConfig over the environment the stack sets, pointed at the store.
    const config = readEventsConfig({
      ...lambdaEnvironment(),
      [ENV.retentionDays]: String(RETENTION_DAYS),
      [ENV.softBounceLimit]: '3',
      [ENV.softBounceWindowDays]: '7',
      [ENV.dynamoDbEndpoint]: store.endpoint,
    });
    const failures: string[] = [];
    // The sender's side of the fan-out: the SNS topic and the webhook queue are counted here, not
    // called (they are other services; in AWS each is one more request).
    const fanOut = { published: 0, jobs: 0 };
    const overrides: NotificationOverrides = {
      topic: { publish: async () => void fanOut.published++ },
      queue: { enqueue: async (jobs) => void (fanOut.jobs += jobs.length) },
    };
    const deps: EventsDeps = {
      ...buildEventsDeps(config, CLIENT_OPTIONS, overrides),
      log: (message, error) => failures.push(`${message}: ${error instanceof Error ? error.message : String(error)}`),
    };
    // A sender that uses webhooks: one, subscribed to every type, so each event also queues a webhook job.
    const webhooks = new DynamoDbWebhookStore(documentClient(store.endpoint, CLIENT_OPTIONS), config.webhooksTable, systemClock, RETENTION_DAYS);
    await webhooks.create({
      id: uuidv7(Date.now()),
      endpoint: 'https://hooks.shop.example/outbox',
      events: null,
      status: 'enabled',
      signingSecret: `whsec_${randomBytes(24).toString('base64')}`,
      createdAt: new Date().toISOString(),
    });
    // The floor's client is made as the pipeline's is (documentClient is what buildEventsDeps uses).
    const floorClient = documentClient(store.endpoint, CLIENT_OPTIONS);
    const setup = new DynamoDbEmailStore(documentClient(store.endpoint, CLIENT_OPTIONS), emailsTable, systemClock, RETENTION_DAYS);
    const random = seededRandom(2);

    const measureRound = async (emailCount: number): Promise<Round> => {
      const workload = await prepare(setup, emailCount, random);
      fanOut.published = 0;
      fanOut.jobs = 0;
      const floor = new Phase();
      const pipeline = new Phase();
      // The two paths take turns on slices of the round, so a burst of load on this shared machine,
      // or a store that slows as it fills, weighs on both alike.
      const sliceSize = Math.ceil(workload.bodies.length / SLICES);
      for (let slice = 0; slice < SLICES; slice++) {
        const start = slice * sliceSize;
        const runFloor = () => floor.measure(store, () => writeFloor(floorClient, emailsTable, workload.floorItems.slice(start, start + sliceSize)));
        const runPipeline = () => pipeline.measure(store, () => ingest(deps, workload.bodies.slice(start, start + sliceSize), failures));
        if (slice % 2 === 0) {
          await runFloor();
          await runPipeline();
        } else {
          await runPipeline();
          await runFloor();
        }
      }
      await verify(setup, workload);
      const events = workload.bodies.length;
      return { events, fanOut: { ...fanOut }, eventTypes: workload.eventTypes, floor: floor.result(events), pipeline: pipeline.result(events), ratio: floor.ms / pipeline.ms };
    };

    log(`P2: warm-up (${WARMUP_EMAILS} emails)`);
    await measureRound(WARMUP_EMAILS);
    const rounds: Round[] = [];
    for (let index = 0; index < ROUNDS; index++) {
      const result = await measureRound(EMAILS_PER_ROUND);
      log(
        `P2: round ${index + 1}/${ROUNDS}: ${result.events} events; pipeline ${Math.round(result.pipeline.perSecond)}/s, ` +
          `floor ${Math.round(result.floor.perSecond)}/s, ratio ${round(result.ratio)}`,
      );
      rounds.push(result);
    }
    return figure(rounds);
  } finally {
    await store.stop();
  }
}

/** Creates the emails through the real store (as the api leaves them once SES accepted them) and makes their SES notifications. */
async function prepare(emails: DynamoDbEmailStore, count: number, random: () => number): Promise<Workload> {
  const records: EmailRecord[] = [];
  const bodies: string[] = [];
  const floorItems: Record<string, unknown>[] = [];
  const eventTypes: Record<string, number> = {};
  const eventsPerEmail = new Map<string, number>();
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const id = uuidv7(now + i);
    const sesId = sesMessageId(LOCAL_REGION, now + i);
    const recipients = Array.from({ length: random() < SECOND_RECIPIENT_SHARE ? 2 : 1 }, (_, r) => {
      const mailbox = pick(random);
      // Generated for a simulator mailbox, then rewritten to an ordinary address, so bounces and
      // complaints reach the suppression list as a customer's would.
      return { simulator: `${mailbox}+${id}-${r}@simulator.amazonses.com`, real: `customer-${id}-${r}@example.net` };
    });
    const [to, ...cc] = recipients.map((r) => ({ address: r.real }));
    const createdAt = new Date(now).toISOString();
    records.push({
      id,
      from: { address: 'orders@shop.example', name: 'Shop' },
      to: [to!],
      cc,
      bcc: [],
      replyTo: [],
      subject: 'Your order has shipped',
      html: HTML_BODY,
      text: TEXT_BODY,
      headers: [],
      tags: [{ name: 'category', value: 'shipping' }],
      attachments: [],
      createdAt,
      apiKeyId: 'bench',
      lastEvent: 'sent',
      sesMessageId: sesId,
      expiresAt: Math.floor(now / 1000) + RETENTION_DAYS * 86_400,
    });
    const message: AcceptedMessage = {
      messageId: sesId,
      receivedAt: createdAt,
      contentKind: 'Simple',
      from: 'Shop <orders@shop.example>',
      fromAddress: 'orders@shop.example',
      destination: { to: [recipients[0]!.simulator], cc: recipients.slice(1).map((r) => r.simulator), bcc: [] },
      recipients: recipients.map((r) => r.simulator),
      replyTo: [],
      subject: 'Your order has shipped',
      html: HTML_BODY,
      text: TEXT_BODY,
      headers: [],
      attachments: [],
      mime: '',
      configurationSetName: CONFIGURATION_SET,
      tags: [
        { name: MESSAGE_ID_TAG, value: id },
        { name: 'category', value: 'shipping' },
      ],
      sizeBytes: HTML_BODY.length + TEXT_BODY.length,
    };
    for (const { envelope } of simulateOutcomes(message, { region: LOCAL_REGION, topicArn: TOPIC_ARN, clock: () => now, random })) {
      let text = envelope.Message;
      for (const r of recipients) text = text.replaceAll(r.simulator, r.real);
      const body = JSON.stringify({ ...envelope, Message: text });
      const event = parseSesNotification(body);
      eventTypes[event.type] = (eventTypes[event.type] ?? 0) + 1;
      eventsPerEmail.set(id, (eventsPerEmail.get(id) ?? 0) + 1);
      bodies.push(body);
      // The timeline item appendEvent writes, under a partition of its own.
      const entry = { eventKey: event.eventKey, type: event.type, occurredAt: event.occurredAt, recipients: event.recipients, sesMessageId: event.sesMessageId, snsMessageId: event.snsMessageId, detail: event.detail };
      floorItems.push({ pk: `floor#${id}`, sk: `event#${event.occurredAt}#${event.eventKey}`, entry, expiresAt: Math.floor(now / 1000) + RETENTION_DAYS * 86_400 });
    }
  }
  await runPool(records, 8, (record) => emails.create(record));
  const order = shuffle(bodies.map((_, i) => i), random);
  return { bodies: order.map((i) => bodies[i]!), floorItems: order.map((i) => floorItems[i]!), eventTypes, eventsPerEmail };
}

function pick(random: () => number): SimulatorMailbox {
  let roll = random();
  for (const [mailbox, share] of OUTCOME_MIX) {
    if (roll < share) return mailbox;
    roll -= share;
  }
  return 'success';
}

/** The measured path: batches of 10 SQS records through the events consumer, CONCURRENT_BATCHES at once. */
async function ingest(deps: EventsDeps, bodies: readonly string[], failures: readonly string[]): Promise<void> {
  const batches = chunks(bodies.map(sqsRecord), BATCH_SIZE);
  await runPool(batches, CONCURRENT_BATCHES, async (Records) => {
    const { batchItemFailures } = await handleSesEventBatch(deps, { Records });
    // A failed record would make the figure flattering (less work done); the run stops instead.
    if (batchItemFailures.length > 0) throw new Error(`${batchItemFailures.length} records of a batch failed; first: ${failures[0]}`);
  });
}

/** The floor: the same number of items, one PutItem each, batched and concurrent as the pipeline is. */
async function writeFloor(client: DynamoDbDocumentClient, tableName: string, items: readonly Record<string, unknown>[]): Promise<void> {
  await runPool(chunks(items, BATCH_SIZE), CONCURRENT_BATCHES, (batch) =>
    Promise.all(batch.map((Item) => client.send(new PutCommand({ TableName: tableName, Item })))),
  );
}

/** One path's time, client CPU and store work, summed over the slices of a round. */
class Phase {
  ms = 0;
  private clientCpuMs = 0;
  private storeCpuMs = 0;
  private readonly operations: Record<string, { calls: number; failed: number }> = {};

  async measure(store: BenchStore, work: () => Promise<void>): Promise<void> {
    await store.reset();
    const cpuBefore = process.cpuUsage();
    const { ms } = await timed(work);
    const cpu = process.cpuUsage(cpuBefore);
    const stats = await store.stats();
    this.ms += ms;
    this.clientCpuMs += (cpu.user + cpu.system) / 1000;
    this.storeCpuMs += stats.cpuMs;
    for (const [operation, { calls, failed }] of Object.entries(stats.operations)) {
      const sum = (this.operations[operation] ??= { calls: 0, failed: 0 });
      sum.calls += calls;
      sum.failed += failed;
    }
  }

  result(events: number): PhaseResult {
    return { perSecond: (events / this.ms) * 1000, ms: this.ms, store: { operations: this.operations, cpuMs: this.storeCpuMs }, clientCpuMs: this.clientCpuMs };
  }
}

let sqsSequence = 0;

function sqsRecord(body: string): SQSRecord {
  const messageId = `bench-${++sqsSequence}`;
  return {
    messageId,
    receiptHandle: messageId,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'bench', ApproximateFirstReceiveTimestamp: String(Date.now()) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${LOCAL_REGION}:000000000000:outbox-bench-events`,
    awsRegion: LOCAL_REGION,
  };
}

/** A cheap check that the pipeline did its job: sampled emails hold every event in their timeline and moved past `sent`. */
async function verify(emails: DynamoDbEmailStore, workload: Workload): Promise<void> {
  const sample = [...workload.eventsPerEmail].slice(0, VERIFY_SAMPLE);
  for (const [id, expected] of sample) {
    const details = await emails.get(id);
    // The record keeps what the API left (`sent`); the events move the state folded from its timeline.
    const lastEvent = details ? foldEmailState(details.email, details.events).lastEvent : undefined;
    if (!details || details.events.length !== expected || lastEvent === 'sent') {
      throw new Error(`email ${id} holds ${details?.events.length ?? 'no'} of its ${expected} events (last_event ${lastEvent})`);
    }
  }
}

function callsPerEvent(result: PhaseResult, events: number): number {
  return Object.values(result.store.operations).reduce((sum, op) => sum + op.calls, 0) / events;
}

function figure(rounds: readonly Round[]): Figure {
  const ratios = rounds.map((r) => r.ratio);
  const value = median(ratios);
  const events = rounds.map((r) => r.events);
  const pipelineRate = median(rounds.map((r) => r.pipeline.perSecond));
  const floorRate = median(rounds.map((r) => r.floor.perSecond));
  const calls = median(rounds.map((r) => callsPerEvent(r.pipeline, r.events)));
  const byOperation: Record<string, { perEvent: number; failedPerEvent: number }> = {};
  const last = rounds[rounds.length - 1]!;
  for (const [operation, stats] of Object.entries(last.pipeline.store.operations)) {
    byOperation[operation] = { perEvent: round(stats.calls / last.events, 3), failedPerEvent: round(stats.failed / last.events, 3) };
  }
  const microseconds = (pick: (r: Round) => number): number => round(median(rounds.map((r) => (pick(r) / r.events) * 1000)), 0);
  return {
    value,
    target: `≥ ${TARGET}`,
    met: value >= TARGET,
    summary:
      `pipeline ${Math.round(pipelineRate)} events/s, floor ${Math.round(floorRate)} writes/s; ` +
      `${round(calls, 2)} DynamoDB calls/event; ratios ${ratios.map((r) => round(r)).join(', ')}`,
    detail: {
      unit: 'pipeline events/s ÷ floor writes/s',
      pipelineEventsPerSecond: round(pipelineRate, 0),
      floorWritesPerSecond: round(floorRate, 0),
      ratios: ratios.map((r) => round(r, 3)),
      ratioSpread: round(relativeSpread(ratios), 3),
      eventsPerRound: events,
      eventTypesLastRound: last.eventTypes,
      dynamoDbCallsPerEvent: round(calls, 3),
      // Pipeline calls/s ÷ floor writes/s: near 1 would mean the gap is the number of calls, not the cost of each.
      callRateRatio: round(median(rounds.map((r) => (r.pipeline.perSecond * callsPerEvent(r.pipeline, r.events)) / r.floor.perSecond)), 3),
      callsPerEventByOperation: byOperation,
      // Requests to other services in AWS, counted by the in-process topic and queue, not made.
      fanOutPerEvent: { snsPublishes: round(last.fanOut.published / last.events, 3), webhookJobs: round(last.fanOut.jobs / last.events, 3) },
      cpuMicrosecondsPerEvent: {
        pipelineClient: microseconds((r) => r.pipeline.clientCpuMs),
        pipelineStore: microseconds((r) => r.pipeline.store.cpuMs),
        floorClient: microseconds((r) => r.floor.clientCpuMs),
        floorStore: microseconds((r) => r.floor.store.cpuMs),
      },
      workload: {
        emailsPerRound: EMAILS_PER_ROUND,
        batchSize: BATCH_SIZE,
        concurrentBatches: CONCURRENT_BATCHES,
        slicesPerRound: SLICES,
        outcomeMix: Object.fromEntries(OUTCOME_MIX),
        secondRecipientShare: SECOND_RECIPIENT_SHARE,
        store: 'dynalite in its own process, in memory, loopback',
        webhooks: 'one, subscribed to every type',
      },
      rounds: rounds.length,
    },
  };
}
