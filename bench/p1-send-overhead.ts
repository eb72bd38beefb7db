import { gzipSync } from 'node:zlib';
import { BatchGetCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDbDocumentClient } from '../lambda/adapters/aws/dynamodb';
import { SesV2Client } from '../lambda/adapters/aws/sesv2';
import { documentClient } from '../lambda/adapters/dynamodb-documents';
import { hashApiKey } from '../lambda/core/api-keys';
import { uuidv7 } from '../lambda/core/ids';
import { LAST_EVENT_RANK } from '../lambda/core/precedence';
import { MESSAGE_ID_TAG } from '../lambda/shared/env';
import { ALL_TABLES } from '../lambda/shared/tables';
import { createTables } from '../local/embedded-dynamodb';
import { localTableName } from '../local/runtime';
import { ApiClient, LOCAL_CLIENT_OPTIONS, startBenchApi, type BenchApi } from './local-api';
import { quantile, round, type Figure, type Measure } from './lib';
import { startSes, type BenchSes } from './ses';
import { startStore, type BenchStore } from './store';

/**
 * P1 send overhead: the latency of `POST /emails` through local mode's api (real HTTP, the local
 * front end's key check, handleHttp, the store, the SES stand-in) against the floor: the same
 * DynamoDB and SES calls the api makes for one email, made directly with clients built the same
 * way, in sequence, with no HTTP front end or handler. value = pipeline p50 ÷ floor p50 at
 * concurrency 1.
 */
export const sendOverhead: Measure = { id: 'P1', title: 'send overhead', run };

const TARGET = 1.3;
/** Requests each path makes per slice, by concurrency; the paths take turns over SLICES slices. */
const REQUESTS_PER_SLICE: Readonly<Record<number, number>> = { 1: 80, 16: 320 };
const CONCURRENCIES = [1, 16] as const;
const SLICES = 6;
const WARMUP_REQUESTS = 200;
const FROM = 'Shop <orders@shop.example>';
const SUBJECT = 'Your order has shipped';
/** A transactional email: a 4 KB HTML body and a 0.5 KB text version. */
const HTML_BODY = `<html><body>${'<p>Your order has shipped. Track it with the link below.</p>'.repeat(65)}</body></html>`;
const TEXT_BODY = 'Your order has shipped. Track it with the link below.\n'.repeat(10);
const TAGS = [{ name: 'category', value: 'shipping' }];
/** The email's content as the store keeps it in a sync send's email item: gzip-compressed JSON, made once (the floor does no compression). */
const CONTENT_DATA = gzipSync(JSON.stringify({ html: HTML_BODY, text: TEXT_BODY, attachments: [] }));

type Path = 'pipeline' | 'floor';

interface PathSample {
  readonly latenciesMs: number[];
  clientCpuMs: number;
  storeCalls: Record<string, number>;
  sesSends: number;
  emails: number;
}

async function run(log: (line: string) => void): Promise<Figure> {
  const store = await startStore();
  const ses = await startSes();
  const errors: string[] = [];
  try {
    await createTables(store.endpoint, ALL_TABLES.map((definition) => ({ definition, name: localTableName(definition) })));
    const api = await startBenchApi({
      dynamoDbEndpoint: store.endpoint,
      sesEndpoint: ses.url,
      // A send SES throttles would go here; the stand-in has no rate limit in P1, so none does.
      outbound: { enqueue: async () => void errors.push('an email was queued: SES throttled a send') },
      logError: (message, error) => errors.push(`${message}: ${error instanceof Error ? error.message : String(error)}`),
    });
    const client = new ApiClient(api, Math.max(...CONCURRENCIES));
    const floor = new Floor(api);
    try {
      let sequence = 0;
      const send = (path: Path): (() => Promise<void>) =>
        path === 'pipeline' ? () => pipelineSend(client, ++sequence) : () => floor.send(++sequence);

      log(`P1: warm-up (${WARMUP_REQUESTS} emails per path)`);
      for (const path of ['floor', 'pipeline'] as const) await timeRequests(send(path), WARMUP_REQUESTS, 16);

      const results: Record<number, Record<Path, PathSample>> = {};
      for (const concurrency of CONCURRENCIES) {
        const samples: Record<Path, PathSample> = { floor: emptySample(), pipeline: emptySample() };
        for (let slice = 0; slice < SLICES; slice++) {
          // Floor and pipeline take turns, so a burst of load on this shared machine, or a store
          // that slows as it fills, weighs on both alike.
          const order: Path[] = slice % 2 === 0 ? ['floor', 'pipeline'] : ['pipeline', 'floor'];
          for (const path of order) await measureSlice(samples[path], store, ses, send(path), REQUESTS_PER_SLICE[concurrency]!, concurrency);
        }
        results[concurrency] = samples;
        log(
          `P1: concurrency ${concurrency}: p50 pipeline ${round(p(samples.pipeline, 0.5))} ms, floor ${round(p(samples.floor, 0.5))} ms; ` +
            `ratio ${round(p(samples.pipeline, 0.5) / p(samples.floor, 0.5))}`,
        );
      }
      if (errors.length > 0) throw new Error(`${errors.length} errors while sending; first: ${errors[0]}`);
      return figure(results);
    } finally {
      client.close();
      await api.stop();
    }
  } finally {
    await ses.stop();
    await store.stop();
  }
}

function emptySample(): PathSample {
  return { latenciesMs: [], clientCpuMs: 0, storeCalls: {}, sesSends: 0, emails: 0 };
}

function p(sample: PathSample, q: number): number {
  return quantile(sample.latenciesMs, q);
}

/** One slice of one path: its latencies, this process's CPU, and the calls the store and the SES stand-in served. */
async function measureSlice(sample: PathSample, store: BenchStore, ses: BenchSes, send: () => Promise<void>, count: number, concurrency: number): Promise<void> {
  await store.reset();
  await ses.reset();
  const cpuBefore = process.cpuUsage();
  sample.latenciesMs.push(...(await timeRequests(send, count, concurrency)));
  const cpu = process.cpuUsage(cpuBefore);
  sample.clientCpuMs += (cpu.user + cpu.system) / 1000;
  const [storeStats, sesStats] = await Promise.all([store.stats(), ses.stats()]);
  for (const [operation, { calls }] of Object.entries(storeStats.operations)) sample.storeCalls[operation] = (sample.storeCalls[operation] ?? 0) + calls;
  sample.sesSends += sesStats.accepted;
  sample.emails += count;
}

/** Runs `count` sends, `concurrency` at a time, and returns each one's latency. */
async function timeRequests(send: () => Promise<void>, count: number, concurrency: number): Promise<number[]> {
  const latencies: number[] = [];
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started++;
      const start = performance.now();
      await send();
      latencies.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies;
}

function emailBody(sequence: number): Record<string, unknown> {
  return { from: FROM, to: [`customer-${sequence}@example.net`], subject: SUBJECT, html: HTML_BODY, text: TEXT_BODY, tags: TAGS };
}

/** The measured path: POST /emails over HTTP to local mode's front end and api. */
async function pipelineSend(client: ApiClient, sequence: number): Promise<void> {
  const { status, body } = await client.post('/emails', JSON.stringify(emailBody(sequence)));
  if (status !== 200 || typeof (body as { id?: unknown }).id !== 'string') throw new Error(`POST /emails answered ${status}: ${JSON.stringify(body).slice(0, 300)}`);
}

/**
 * The floor: for one email, the calls the api makes, in its order, each as the api makes it, with
 * clients built as buildApiDeps builds them: the API key's GetItem (local mode looks the key up on
 * every request), the suppression BatchGetItem, the conditional PutItem of the email item with its
 * content inline (a sync send's, under 2 KB compressed), SES SendEmail with the tracking tag, and
 * the UpdateItem of the small `email#sent` item that records SES's message ID. No HTTP front end, no validation, no
 * mapping. The store counts the calls of both paths, and the run stops if they differ.
 */
class Floor {
  private readonly documents: DynamoDbDocumentClient;
  private readonly ses: SesV2Client;
  private readonly keyHash: string;

  constructor(private readonly api: BenchApi) {
    this.documents = documentClient(api.config.dynamoDbEndpoint, LOCAL_CLIENT_OPTIONS);
    this.ses = new SesV2Client({ ...LOCAL_CLIENT_OPTIONS, endpoint: api.config.sesEndpoint });
    this.keyHash = hashApiKey(api.apiKey);
  }

  async send(sequence: number): Promise<void> {
    const { config } = this.api;
    const to = `customer-${sequence}@example.net`;
    const key = await this.documents.send(new GetCommand({ TableName: config.apiKeysTable, Key: { keyHash: this.keyHash } }));
    await this.documents.send(new BatchGetCommand({ RequestItems: { [config.suppressionsTable]: { Keys: [{ email: to }], ConsistentRead: true } } }));
    const now = new Date();
    const id = uuidv7(now.getTime());
    const expiresAt = Math.floor(now.getTime() / 1000) + config.retentionDays * 86_400;
    await this.documents.send(
      new PutCommand({
        TableName: config.emailsTable,
        Item: {
          pk: id,
          sk: 'email',
          createdDay: now.toISOString().slice(0, 10),
          from: { address: 'orders@shop.example', name: 'Shop' },
          to: [{ address: to }],
          cc: [],
          bcc: [],
          replyTo: [],
          subject: SUBJECT,
          headers: [],
          tags: TAGS,
          createdAt: now.toISOString(),
          apiKeyId: key.Item?.id,
          lastEvent: 'queued',
          lastEventRank: LAST_EVENT_RANK.queued,
          expiresAt,
          contentChunks: 0,
          content: CONTENT_DATA,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    const { MessageId } = await this.ses.sendEmail({
      FromEmailAddress: FROM,
      Destination: { ToAddresses: [to], CcAddresses: [], BccAddresses: [] },
      ReplyToAddresses: [],
      Content: { Simple: { Subject: { Data: SUBJECT, Charset: 'UTF-8' }, Body: { Html: { Data: HTML_BODY, Charset: 'UTF-8' }, Text: { Data: TEXT_BODY, Charset: 'UTF-8' } } } },
      EmailTags: [...TAGS.map((t) => ({ Name: t.name, Value: t.value })), { Name: MESSAGE_ID_TAG, Value: id }],
      ConfigurationSetName: config.configurationSet,
    });
    await this.documents.send(
      new UpdateCommand({
        TableName: config.emailsTable,
        Key: { pk: id, sk: 'email#sent' },
        UpdateExpression: 'SET sesMessageId = if_not_exists(sesMessageId, :ses), expiresAt = if_not_exists(expiresAt, :expires)',
        ExpressionAttributeValues: { ':ses': MessageId, ':expires': expiresAt },
      }),
    );
  }
}

function perEmail(sample: PathSample): Record<string, number> {
  const calls = Object.fromEntries(Object.entries(sample.storeCalls).map(([operation, n]) => [operation, round(n / sample.emails, 3)]));
  return { ...calls, SesSendEmail: round(sample.sesSends / sample.emails, 3) };
}

function figure(results: Record<number, Record<Path, PathSample>>): Figure {
  const byConcurrency = CONCURRENCIES.map((concurrency) => {
    const { pipeline, floor } = results[concurrency]!;
    const pipelineCalls = perEmail(pipeline);
    const floorCalls = perEmail(floor);
    // The floor must make the calls the api makes, or the ratio compares different work.
    if (JSON.stringify(sorted(pipelineCalls)) !== JSON.stringify(sorted(floorCalls))) {
      throw new Error(`the floor makes other calls than the api: api ${JSON.stringify(pipelineCalls)}, floor ${JSON.stringify(floorCalls)}`);
    }
    return {
      concurrency,
      ratioP50: p(pipeline, 0.5) / p(floor, 0.5),
      ratioP99: p(pipeline, 0.99) / p(floor, 0.99),
      pipelineMs: { p50: round(p(pipeline, 0.5)), p99: round(p(pipeline, 0.99)) },
      floorMs: { p50: round(p(floor, 0.5)), p99: round(p(floor, 0.99)) },
      emailsPerPath: pipeline.emails,
      clientCpuMsPerEmail: { pipeline: round(pipeline.clientCpuMs / pipeline.emails, 3), floor: round(floor.clientCpuMs / floor.emails, 3) },
      callsPerEmail: pipelineCalls,
    };
  });
  const [one, sixteen] = byConcurrency;
  const value = one!.ratioP50;
  return {
    value,
    target: `≤ ${TARGET}`,
    met: value <= TARGET,
    summary:
      `p50 ${one!.pipelineMs.p50} vs ${one!.floorMs.p50} ms at 1, ${sixteen!.pipelineMs.p50} vs ${sixteen!.floorMs.p50} ms at 16 ` +
      `(ratio ${round(sixteen!.ratioP50)}); p99 ratio ${round(one!.ratioP99)} at 1, ${round(sixteen!.ratioP99)} at 16`,
    detail: {
      unit: 'pipeline p50 latency ÷ floor p50 latency, concurrency 1',
      ratioP50AtConcurrency16: round(sixteen!.ratioP50, 3),
      byConcurrency: byConcurrency.map((c) => ({ ...c, ratioP50: round(c.ratioP50, 3), ratioP99: round(c.ratioP99, 3) })),
      workload: {
        email: 'one recipient, 4 KB HTML and 0.5 KB text, one tag, no Idempotency-Key',
        slices: SLICES,
        requestsPerSlice: REQUESTS_PER_SLICE,
        warmupPerPath: WARMUP_REQUESTS,
        store: 'dynalite in its own process, in memory, loopback',
        ses: 'the SES stand-in in its own process, no rate limit, simulator off',
        http: 'a keep-alive node:http client to local mode front end (startHttpServer), in the bench process',
      },
    },
  };
}

function sorted(record: Record<string, number>): [string, number][] {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}
