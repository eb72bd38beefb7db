import { GetCommand, ScanCommand, type DynamoDbDocumentClient } from '../../lambda/adapters/aws/dynamodb';
import { Resend } from 'resend';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { DynamoDbEmailStore } from '../../lambda/adapters/dynamodb-email-store';
import { DynamoDbSendClaims } from '../../lambda/adapters/dynamodb-send-claims';
import { DynamoDbSendRateGovernor } from '../../lambda/adapters/dynamodb-send-rate-governor';
import { DynamoDbSendingPause, SENDING_PAUSED_KEY } from '../../lambda/adapters/dynamodb-sending-pause';
import { uuidv7 } from '../../lambda/core/ids';
import { systemClock } from '../../lambda/core/ports';
import { CONTROL_TABLE, EMAILS_TABLE } from '../../lambda/shared/tables';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/embedded-dynamodb';
import { localTableName, startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { sleep, waitFor } from '../helpers/wait-for';

/**
 * The outbound path end to end through the resend SDK against the local runtime: POST
 * /emails/batch, the outbound queue, the sender with its pacing, claims and pause, the SES
 * stand-in (which can throttle and pause), and the events pipeline. Nothing of Outbox's is mocked.
 */

const from = 'Acme <hello@acme.test>';

function outboxIdOf(message: { tags: readonly { name: string; value: string }[] }): string | undefined {
  return message.tags.find((t) => t.name === 'outbox-message-id')?.value;
}

describe('outbound: batch, pacing, throttling and pause through the resend SDK', () => {
  let outbox: LocalOutbox;
  let resend: Resend;
  let documents: DynamoDbDocumentClient;
  const errors: string[] = [];

  beforeAll(async () => {
    outbox = await startLocalOutbox({
      port: 0,
      // Short pauses and backoffs, so a test sees a pause end within seconds instead of a minute.
      outboundSettings: { pauseMs: 1_000, maxBackoffSeconds: 2 },
      logError: (message) => errors.push(message),
    });
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
    documents = documentClient(outbox.dynamoDbEndpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  });
  afterAll(async () => {
    await outbox.stop();
  });

  function sesMessagesFor(id: string) {
    return outbox.ses.messages().filter((m) => outboxIdOf(m) === id);
  }

  async function lastEvents(ids: readonly string[]): Promise<string[]> {
    const views = await Promise.all(ids.map((id) => resend.emails.get(id)));
    return views.map((v) => v.data?.last_event ?? `error: ${v.error?.message}`);
  }

  async function allReach(ids: readonly string[], lastEvent: string, timeoutMs: number): Promise<void> {
    await waitFor(`${ids.length} emails to be ${lastEvent}`, async () => ((await lastEvents(ids)).every((e) => e === lastEvent) ? true : undefined), timeoutMs);
  }

  it('answers a batch of 100 with 100 ids, and every one is delivered, once', async () => {
    const emails = Array.from({ length: 100 }, (_, n) => ({ from, to: ['success@simulator.amazonses.com'], subject: `Batch ${n}`, text: `Hello ${n}` }));
    const { data, error } = await resend.batch.send(emails);
    expect(error).toBeNull();
    expect(data!.data).toHaveLength(100);
    const ids = data!.data.map((d) => d.id);
    expect(new Set(ids).size).toBe(100);

    await allReach(ids, 'delivered', 30_000);
    for (const [n, id] of ids.entries()) {
      const sent = sesMessagesFor(id);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.subject).toBe(`Batch ${n}`);
    }
  });

  it('strict: refuses a batch with an invalid email, naming its index, and sends nothing', async () => {
    const before = outbox.ses.messages().length;
    const { data, error } = await resend.batch.send([
      { from, to: 'success@simulator.amazonses.com', subject: 'fine', text: 'x' },
      { from, to: 'not-an-address', subject: 'bad', text: 'x' },
    ]);
    expect(data).toBeNull();
    expect(error).toMatchObject({ name: 'validation_error', message: expect.stringContaining('emails[1]') });
    await sleep(500);
    expect(outbox.ses.messages().length).toBe(before);
  });

  it('permissive: sends the valid emails and reports the invalid ones by index', async () => {
    const { data, error } = await resend.batch.send(
      [
        { from, to: 'not-an-address', subject: 'bad', text: 'x' },
        { from, to: 'success@simulator.amazonses.com', subject: 'Permissive', text: 'x' },
      ],
      { batchValidation: 'permissive' },
    );
    expect(error).toBeNull();
    expect(data!.data).toHaveLength(1);
    expect(data!.errors).toEqual([{ index: 0, message: expect.stringContaining('to') }]);
    await allReach([data!.data[0]!.id], 'delivered', 10_000);
  });

  it('keeps a sync send SES throttles: 200 with its id, queued, then sent once by the sender', async () => {
    outbox.ses.failNextSends({ name: 'TooManyRequestsException', message: 'Maximum sending rate exceeded.', statusCode: 429 });
    const { data, error } = await resend.emails.send({ from, to: 'success@simulator.amazonses.com', subject: 'Throttled', text: 'x' });
    expect(error).toBeNull();
    const id = data!.id;
    await allReach([id], 'delivered', 10_000);
    expect(sesMessagesFor(id)).toHaveLength(1);
  });

  it('refuses a sync send while SES has paused sending: 503, nothing sent', async () => {
    outbox.ses.setPaused(true);
    try {
      const before = outbox.ses.messages().length;
      const { data, error } = await resend.emails.send({ from, to: 'success@simulator.amazonses.com', subject: 'Paused', text: 'x' });
      expect(data).toBeNull();
      expect(error).toMatchObject({ name: 'application_error', message: expect.stringContaining('paused') });
      expect(outbox.ses.messages().length).toBe(before);
    } finally {
      outbox.ses.setPaused(false);
    }
  });

  it('keeps a batch queued while sending is paused, and sends it once sending resumes', async () => {
    outbox.ses.setPaused(true);
    let ids: string[];
    try {
      const { data, error } = await resend.batch.send(
        Array.from({ length: 5 }, (_, n) => ({ from, to: ['success@simulator.amazonses.com'], subject: `Paused batch ${n}`, text: 'x' })),
      );
      expect(error).toBeNull();
      ids = data!.data.map((d) => d.id);
      // The sender meets the pause, sets the shared flag, and keeps handing the jobs back.
      await waitFor('the sending-paused flag', async () => (await documents.send(new GetCommand({ TableName: localTableName(CONTROL_TABLE), Key: { key: SENDING_PAUSED_KEY } }))).Item, 5_000);
      await sleep(2_500);
      expect(await lastEvents(ids)).toEqual(ids.map(() => 'queued'));
      expect(ids.flatMap(sesMessagesFor)).toHaveLength(0);
      expect(outbox.outboundQueue.deadLettered()).toHaveLength(0);
    } finally {
      outbox.ses.setPaused(false);
    }
    await allReach(ids, 'delivered', 20_000);
    for (const id of ids) expect(sesMessagesFor(id)).toHaveLength(1);
  });

  it('marks a queued email SES rejects for good as failed, with the reason on GET /emails/{id}', async () => {
    outbox.ses.failNextSends({ name: 'MessageRejected', message: 'Illegal address' });
    const { data } = await resend.batch.send([{ from, to: 'success@simulator.amazonses.com', subject: 'Rejected', text: 'x' }]);
    const id = data!.data[0]!.id;
    await allReach([id], 'failed', 10_000);
    const view = (await resend.emails.get(id)).data as unknown as Record<string, any>;
    expect(view.failure).toMatchObject({ name: 'validation_error', message: expect.stringContaining('Illegal address') });
    expect(view.recipients).toEqual([expect.objectContaining({ status: 'failed' })]);
    expect(sesMessagesFor(id)).toHaveLength(0);
  });

  describe('adapters against the embedded store', () => {
    it('lets exactly one of many concurrent claims on a queued email win, and keeps a failure with its reason', async () => {
      const store = new DynamoDbEmailStore(documents, localTableName(EMAILS_TABLE), systemClock, 90);
      const id = uuidv7(Date.now());
      await store.create({
        id,
        from: { address: 'hello@acme.test' },
        to: [{ address: 'claims@example.com' }],
        cc: [],
        bcc: [],
        replyTo: [],
        subject: 'Claims',
        text: 'x',
        headers: [],
        tags: [],
        attachments: [],
        createdAt: new Date().toISOString(),
        apiKeyId: 'key',
        lastEvent: 'queued',
        expiresAt: Math.floor(Date.now() / 1000) + 86_400,
      });
      const claims = new DynamoDbSendClaims(documents, localTableName(EMAILS_TABLE));
      const times = { until: Date.now() + 60_000, staleBefore: Date.now() - 300_000 };
      const results = await Promise.all(Array.from({ length: 10 }, (_, n) => claims.claim(id, `token-${n}`, times)));
      const winners = results.flatMap((r, n) => (r.claimed ? [n] : []));
      expect(winners).toHaveLength(1);
      expect(results.find((r) => !r.claimed)).toEqual({ claimed: false, state: { lastEvent: 'queued', claimUntil: times.until } });

      // Only the holder's token counts.
      await claims.markFailed(id, 'someone-else', { name: 'validation_error', message: 'no', failedAt: new Date().toISOString() });
      expect((await store.get(id))!.email.lastEvent).toBe('queued');
      await claims.markFailed(id, `token-${winners[0]}`, { name: 'validation_error', message: 'SES rejected it', failedAt: '2026-11-28T10:00:00.000Z' });
      expect((await store.get(id))!.email).toMatchObject({ lastEvent: 'failed', failure: { message: 'SES rejected it' } });
      expect(await claims.claim(id, 'late', times)).toMatchObject({ claimed: false, state: { lastEvent: 'failed' } });
    });

    it('never lets concurrent acquirers put more than the rate in a window', async () => {
      const rate = 20;
      const governor = new DynamoDbSendRateGovernor(documents, localTableName(CONTROL_TABLE), { current: async () => rate }, systemClock);
      const others = new DynamoDbSendRateGovernor(documents, localTableName(CONTROL_TABLE), { current: async () => rate }, systemClock);
      const started = Date.now();
      let granted = 0;
      await Promise.all(
        Array.from({ length: 20 }, async (_, worker) => {
          const mine = worker % 2 === 0 ? governor : others;
          while (Date.now() - started < 2_500) {
            const decision = await mine.acquire(1);
            if (decision.ok) granted++;
            else await sleep(decision.waitMs);
          }
        }),
      );
      const firstSecond = Math.floor(started / 1000);
      const { Items = [] } = await documents.send(new ScanCommand({ TableName: localTableName(CONTROL_TABLE) }));
      const windows = Items.filter((i) => String(i.key).startsWith('rate#') && Number(String(i.key).slice(5)) >= firstSecond);
      const counts = windows.map((i) => Number(i.count));
      expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(granted);
      for (const count of counts) expect(count).toBeLessThanOrEqual(rate);
      expect(granted).toBeGreaterThanOrEqual(rate);
    });

    it('lets many acquirers of one instance write only what the window can still take: no write fails its condition', async () => {
      const rate = 20;
      const counted = documentClient(outbox.dynamoDbEndpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
      let writes = 0;
      let refused = 0;
      // Observes the real client's answers (nothing is stubbed): every write, and those whose condition failed.
      const send = counted.send.bind(counted);
      counted.send = async (command) => {
        if (command.operation !== 'UpdateItem') return send(command);
        writes++;
        try {
          return await send(command);
        } catch (error) {
          if ((error as Error).name === 'ConditionalCheckFailedException') refused++;
          throw error;
        }
      };
      const governor = new DynamoDbSendRateGovernor(counted, localTableName(CONTROL_TABLE), { current: async () => rate }, systemClock);
      // Start early in a second whose previous second nobody wrote, so the window allows the whole rate.
      await sleep(2_000 - (Date.now() % 1000) + 20);
      const decisions = await Promise.all(Array.from({ length: 50 }, () => governor.acquire(1)));
      expect(decisions.filter((d) => d.ok).length).toBeGreaterThanOrEqual(rate);
      expect(refused).toBe(0);
      expect(writes).toBe(decisions.filter((d) => d.ok).length);
    });

    it('keeps the sends of a window that started late within the last second until their time comes round', async () => {
      const rate = 20;
      const governor = new DynamoDbSendRateGovernor(documents, localTableName(CONTROL_TABLE), { current: async () => rate }, systemClock);
      // 850 ms into a second whose previous second nobody wrote: 10 sends, late in the window.
      await sleep(2_000 - (Date.now() % 1000) + 850);
      const late = Math.floor(Date.now() / 1000);
      expect((await Promise.all(Array.from({ length: 10 }, () => governor.acquire(1)))).every((d) => d.ok)).toBe(true);
      // Halfway through the next second all 10 are less than a second old: only 10 more may go.
      await sleep(1_000 - (Date.now() % 1000) + 450);
      expect(Math.floor(Date.now() / 1000)).toBe(late + 1);
      const next = await Promise.all(Array.from({ length: 15 }, () => governor.acquire(1)));
      expect(next.filter((d) => d.ok).length).toBe(10);
      const { Item } = await documents.send(new GetCommand({ TableName: localTableName(CONTROL_TABLE), Key: { key: `rate#${late}` } }));
      expect(Item).toMatchObject({ count: 10 });
      expect(Item!.startMs).toBeGreaterThanOrEqual(850);
    });

    it('books a whole window for a message with more recipients than the rate', async () => {
      const governor = new DynamoDbSendRateGovernor(documents, localTableName(CONTROL_TABLE), { current: async () => 5 }, systemClock);
      const started = Date.now();
      expect(await governor.acquire(40)).toEqual({ ok: true });
      expect(Date.now() - started).toBeLessThan(3_100);
    });

    it('clears a pause only if it is still the one it read', async () => {
      const pause = new DynamoDbSendingPause(documents, localTableName(CONTROL_TABLE), 0);
      await pause.set({ until: 1_000, reason: 'old' });
      await pause.set({ until: 2_000, reason: 'new' });
      await pause.clear(1_000);
      expect(await pause.read()).toEqual({ until: 2_000, reason: 'new' });
      await pause.clear(2_000);
      expect(await pause.read()).toBeUndefined();
    });
  });

  it('logged nothing unexpected (only the paused refusal and the pause itself)', () => {
    expect(errors.filter((e) => !/paused|POST \/emails failed/.test(e))).toEqual([]);
  });
});

describe('outbound: 1,000 queued emails with the stand-in limited to 100 recipients/s', () => {
  const RATE = 100;
  const COUNT = 1_000;
  let outbox: LocalOutbox;
  let documents: DynamoDbDocumentClient;

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, maxSendRate: RATE, logError: () => undefined });
    // Only the send path is measured: the events pipeline would share the one process's CPU.
    outbox.ses.setSimulateEvents(false);
    documents = documentClient(outbox.dynamoDbEndpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  });
  afterAll(async () => {
    await outbox.stop();
  });

  it('sends all, none twice, none failed, at no more than the rate', async () => {
    const resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: COUNT / 100 }, (_, b) =>
        resend.batch.send(Array.from({ length: 100 }, (_, n) => ({ from, to: ['success@simulator.amazonses.com'], subject: `Paced ${b}-${n}`, text: 'x' }))),
      ),
    );
    for (const answer of answers) expect(answer.error).toBeNull();
    const ids = answers.flatMap((a) => a.data!.data.map((d) => d.id));
    expect(new Set(ids).size).toBe(COUNT);

    await waitFor(`${COUNT} messages at the stand-in`, async () => (outbox.ses.messages().length >= COUNT ? true : undefined), 40_000, 200);
    await sleep(500);
    const messages = outbox.ses.messages();
    const perEmail = new Map<string, number>();
    for (const m of messages) perEmail.set(outboxIdOf(m)!, (perEmail.get(outboxIdOf(m)!) ?? 0) + 1);
    const duplicates = [...perEmail.values()].filter((n) => n > 1).length;
    const missing = ids.filter((id) => !perEmail.has(id)).length;

    // The rate as SES saw it: in any stretch of t seconds at most RATE * (t + 1) recipients, the
    // stand-in's own limiter (a one-second bucket). Also reported: the busiest calendar second.
    const times = messages.map((m) => Date.parse(m.receivedAt)).sort((a, b) => a - b);
    let worstExcess = -Infinity;
    for (let i = 0; i < times.length; i++) {
      for (let j = i; j < times.length; j++) worstExcess = Math.max(worstExcess, j - i + 1 - RATE * ((times[j]! - times[i]!) / 1000 + 1));
    }
    const perSecond = new Map<number, number>();
    for (const t of times) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    const spanSeconds = (times[times.length - 1]! - times[0]!) / 1000;

    // The governor's own windows, in the control table: never more than the rate.
    const { Items = [] } = await documents.send(new ScanCommand({ TableName: localTableName(CONTROL_TABLE) }));
    const windows = Items.filter((i) => String(i.key).startsWith('rate#')).map((i) => Number(i.count));

    const failed = (await Promise.all(ids.map((id) => documents.send(new GetCommand({ TableName: localTableName(EMAILS_TABLE), Key: { pk: id, sk: 'email' } })))))
      .map((r) => r.Item)
      .filter((item) => item?.lastEvent !== 'sent' || typeof item.sesMessageId !== 'string').length;

    const report = {
      emails: COUNT,
      sent: messages.length,
      duplicates,
      missing,
      failed,
      throttledBySes: outbox.ses.throttled(),
      spanSeconds,
      achievedPerSecond: Number((messages.length / (spanSeconds + 1)).toFixed(1)),
      busiestCalendarSecond: Math.max(...perSecond.values()),
      busiestGovernorWindow: Math.max(...windows),
      worstExcessOverBucket: worstExcess,
      totalMs: Date.now() - started,
    };
    console.log(`outbound pacing run: ${JSON.stringify(report)}`);

    expect(messages).toHaveLength(COUNT);
    expect(duplicates).toBe(0);
    expect(missing).toBe(0);
    expect(failed).toBe(0);
    expect(report.busiestGovernorWindow).toBeLessThanOrEqual(RATE);
    expect(worstExcess).toBeLessThanOrEqual(0);
    expect(report.achievedPerSecond).toBeLessThanOrEqual(RATE);
    expect(outbox.outboundQueue.deadLettered()).toHaveLength(0);
  }, 60_000);
});
