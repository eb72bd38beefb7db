import { ScanCommand } from '../lambda/adapters/aws/dynamodb';
import { documentClient } from '../lambda/adapters/dynamodb-documents';
import type { OutboundJob, OutboundQueue } from '../lambda/core/outbound';
import { ALL_TABLES, CONTROL_TABLE } from '../lambda/shared/tables';
import { createTables } from '../local/embedded-dynamodb';
import { createLocalSender, LOCAL_OUTBOUND_QUEUE_URL, localTableName } from '../local/runtime';
import { ApiClient, LOCAL_CLIENT_OPTIONS, startBenchApi } from './local-api';
import { chunks, nowMs, round, runPool, type Figure, type Measure } from './lib';
import { startSes, type SesStats } from './ses';
import { startStore, type StoreStats } from './store';

/**
 * P4 bulk: 10,000 emails queued through POST /emails/batch, then sent by local mode's outbound
 * path (the in-process queue, the sender, the rate governor in the control table) to an SES
 * stand-in that throttles above R recipients/s. value = the rate the stand-in accepted them at,
 * over the span from its first to its last acceptance, ÷ R. Met only with nothing lost and
 * nothing sent twice.
 */
export const bulk: Measure = { id: 'P4', title: 'bulk', run };

const TARGET = 0.95;
/** The stand-in's maximum send rate, recipients/s: 10,000 take about a minute. */
const RATE = 165;
const EMAILS = 10_000;
const BATCH_EMAILS = 100;
/** Batches submitted at once while queuing. */
const SUBMIT_CONCURRENCY = 4;
/** How long the sending may take before the run gives up (the emails still queued count as lost). */
const SEND_DEADLINE_MS = (EMAILS / RATE) * 1000 + 20_000;
const HTML_BODY = `<html><body>${'<p>Our spring collection is here. Have a look before it sells out.</p>'.repeat(25)}</body></html>`;
const TEXT_BODY = 'Our spring collection is here. Have a look before it sells out.\n'.repeat(5);

async function run(log: (line: string) => void): Promise<Figure> {
  const store = await startStore();
  const ses = await startSes();
  const errors: string[] = [];
  const logError = (message: string, error?: unknown): void => {
    errors.push(`${message}${describe(error)}`);
  };
  // The outbound queue with its consumer held back (an SQS event source disabled): the batches
  // queue every email first, so submission cannot be what paces the sending.
  const held: OutboundJob[] = [];
  const holding: OutboundQueue = {
    enqueue: async (jobs, delaySeconds = 0) => {
      if (delaySeconds > 0) throw new Error(`P4 expects batches to queue without delay, got ${delaySeconds} s`);
      held.push(...jobs);
    },
  };
  try {
    await createTables(store.endpoint, ALL_TABLES.map((definition) => ({ definition, name: localTableName(definition) })));
    await ses.setMaxSendRate(RATE);
    const api = await startBenchApi({ dynamoDbEndpoint: store.endpoint, sesEndpoint: ses.url, outbound: holding, logError });
    const sender = createLocalSender(
      {
        emailsTable: api.config.emailsTable,
        controlTable: localTableName(CONTROL_TABLE),
        outboundQueueUrl: LOCAL_OUTBOUND_QUEUE_URL,
        configurationSet: api.config.configurationSet,
        retentionDays: api.config.retentionDays,
        sesEndpoint: ses.url,
        dynamoDbEndpoint: store.endpoint,
      },
      {},
    );
    Object.assign(sender.deps, { log: logError });
    const client = new ApiClient(api, SUBMIT_CONCURRENCY);
    try {
      const submitStart = nowMs();
      const ids = await submit(client);
      const submitMs = nowMs() - submitStart;
      if (held.length !== EMAILS) throw new Error(`${EMAILS} emails submitted but ${held.length} queued`);
      log(`P4: ${EMAILS} emails queued in ${round(submitMs / 1000, 1)} s (${Math.round((EMAILS / submitMs) * 1000)}/s); sending at ${RATE}/s`);

      await ses.reset();
      await store.reset();
      const sendStart = nowMs();
      await sender.outbound.enqueue(held.splice(0));
      const drained = await Promise.race([sender.queue.idle().then(() => true), delay(SEND_DEADLINE_MS).then(() => false)]);
      const sendMs = nowMs() - sendStart;
      await sender.queue.stop();
      const sesStats = await ses.stats();
      const storeStats = await store.stats();
      const states = await emailStates(store.endpoint, api.config.emailsTable, ids);
      const windows = await governorWindows(store.endpoint, localTableName(CONTROL_TABLE));
      await api.stop();
      log(`P4: drained ${drained ? 'yes' : 'NO'} after ${round(sendMs / 1000, 1)} s; ${sesStats.accepted} accepted, ${sesStats.throttled} throttled`);
      return figure({ submitMs, sendMs, drained, ses: sesStats, states, deadLettered: sender.queue.deadLettered().length, errors, windows, store: storeStats });
    } finally {
      client.close();
    }
  } finally {
    await ses.stop();
    await store.stop();
  }
}

/** POSTs the emails in batches of 100, a few at once; returns their ids. */
async function submit(client: ApiClient): Promise<string[]> {
  const emails = Array.from({ length: EMAILS }, (_, i) => ({
    from: 'Shop <news@shop.example>',
    to: [`customer-${i}@example.net`],
    subject: 'Our spring collection',
    html: HTML_BODY,
    text: TEXT_BODY,
    tags: [{ name: 'campaign', value: 'spring' }],
  }));
  const ids: string[] = [];
  await runPool(chunks(emails, BATCH_EMAILS), SUBMIT_CONCURRENCY, async (batch) => {
    const { status, body } = await client.post('/emails/batch', JSON.stringify(batch));
    const data = (body as { data?: { id: string }[] }).data;
    if (status !== 200 || !data || data.length !== batch.length) throw new Error(`POST /emails/batch answered ${status}: ${JSON.stringify(body).slice(0, 300)}`);
    ids.push(...data.map((d) => d.id));
  });
  return ids;
}

/** How many of `ids` are in each `last_event`, read with one Scan of the emails table. */
async function emailStates(endpoint: string, tableName: string, ids: readonly string[]): Promise<Record<string, number>> {
  const documents = documentClient(endpoint, LOCAL_CLIENT_OPTIONS);
  const wanted = new Set(ids);
  const states: Record<string, number> = {};
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({ TableName: tableName, ProjectionExpression: 'pk, sk, lastEvent', ExclusiveStartKey: startKey, ConsistentRead: true }),
    );
    for (const item of page.Items ?? []) {
      // An email's partition also holds its content items.
      if (item.sk !== 'email' || !wanted.delete(String(item.pk))) continue;
      const state = String(item.lastEvent);
      states[state] = (states[state] ?? 0) + 1;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  if (wanted.size > 0) states.missing = wanted.size;
  return states;
}

/** The recipients the governor let through in each of its one-second windows, in order. */
async function governorWindows(endpoint: string, tableName: string): Promise<number[]> {
  const documents = documentClient(endpoint, LOCAL_CLIENT_OPTIONS);
  const { Items = [] } = await documents.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return Items.filter((item) => String(item.key).startsWith('rate#'))
    .sort((a, b) => String(a.key).localeCompare(String(b.key)))
    .map((item) => Number(item.count));
}

/** An error and its causes, one line. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return error === undefined ? '' : `: ${String(error)}`;
  const code = (error as { code?: unknown }).code;
  return `: ${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}${describe(error.cause)}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function figure(run: {
  readonly submitMs: number;
  readonly sendMs: number;
  readonly drained: boolean;
  readonly ses: SesStats;
  readonly states: Record<string, number>;
  readonly deadLettered: number;
  readonly errors: readonly string[];
  readonly windows: readonly number[];
  readonly store: StoreStats;
}): Figure {
  const { ses } = run;
  const spanMs = ses.firstAcceptedAt !== null && ses.lastAcceptedAt !== null ? ses.lastAcceptedAt - ses.firstAcceptedAt : 0;
  // N acceptances span N - 1 intervals.
  const achieved = spanMs > 0 ? ((ses.recipients - 1) / spanMs) * 1000 : 0;
  const value = achieved / RATE;
  const sent = run.states.sent ?? 0;
  const lost = EMAILS - Math.min(sent, ses.distinctTags);
  const met = value >= TARGET && lost === 0 && ses.duplicates === 0 && run.deadLettered === 0;
  return {
    value,
    target: `≥ ${TARGET}, 0 lost, 0 twice`,
    met,
    summary:
      `${round(achieved, 1)}/s of ${RATE}/s over ${round(spanMs / 1000, 1)} s; lost ${lost}, twice ${ses.duplicates}, ` +
      `throttled ${ses.throttled}, busiest 1-s span ${ses.busiestSecond.recipients}`,
    detail: {
      unit: 'achieved recipients/s (first to last SES acceptance) ÷ the stand-in rate',
      rate: RATE,
      achievedPerSecond: round(achieved, 2),
      sendingSpanSeconds: round(spanMs / 1000, 2),
      emails: EMAILS,
      accepted: ses.accepted,
      distinctEmailsAccepted: ses.distinctTags,
      lost,
      sentTwice: ses.duplicates,
      emailStates: run.states,
      deadLettered: run.deadLettered,
      throttledBySes: ses.throttled,
      busiestOneSecondWindow: ses.busiestSecond.recipients,
      busiestOneSecondWindowStartsAfterSeconds: round(ses.busiestSecond.startsAfterSeconds, 2),
      busiestClockSecond: Math.max(0, ...ses.perEpochSecond),
      busiestGovernorWindow: Math.max(0, ...run.windows),
      perClockSecond: ses.perEpochSecond,
      governorWindows: run.windows,
      drainedInTime: run.drained,
      // From the release of the held jobs to the queue going idle: the span plus the start and the last settlements.
      releaseToIdleSeconds: round(run.sendMs / 1000, 2),
      submission: {
        seconds: round(run.submitMs / 1000, 2),
        emailsPerSecond: round((EMAILS / run.submitMs) * 1000, 0),
        how: `POST /emails/batch, ${BATCH_EMAILS} emails each, ${SUBMIT_CONCURRENCY} at once, the sender held back until all were queued`,
      },
      // DynamoDB calls per email the sender made (with those that failed, such as a failed condition), counted by the store.
      storeCallsPerEmail: Object.fromEntries(
        Object.entries(run.store.operations).map(([operation, { calls, failed }]) => [operation, { calls: round(calls / EMAILS, 3), failed: round(failed / EMAILS, 3) }]),
      ),
      cpuSeconds: { store: round(run.store.cpuMs / 1000, 1), ses: round(ses.cpuMs / 1000, 1) },
      errorsLogged: run.errors.length,
      firstErrors: run.errors.slice(0, 3),
    },
  };
}
