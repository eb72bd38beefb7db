import type { SQSRecord } from 'aws-lambda';
import type { EmailRecord } from '../../lambda/core/email';
import { OutboxError } from '../../lambda/core/errors';
import { DEFAULT_OUTBOUND_SENDER_SETTINGS, sendQueuedEmail, type OutboundSenderDeps } from '../../lambda/core/outbound-sender';
import type { RateDecision } from '../../lambda/core/send-rate';
import type { NotificationPayload } from '../../lambda/core/webhooks';
import { handleOutboundBatch, processOutboundRecord, REQUEUE_AFTER_RECEIVES, type OutboundBatchDeps } from '../../lambda/entrypoints/sqs-outbound';
import { InMemoryEmailStore, RecordingSender } from '../helpers/in-memory';
import { FakeSesAccount, InMemorySendClaims, InMemorySendingPause, ScriptedGovernor } from '../helpers/in-memory-outbound';
import { RecordingOutboundQueue } from '../helpers/in-memory-scheduling';

const NOW = Date.parse('2026-11-28T10:00:00.000Z');
const ID = '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11';

function queuedEmail(overrides: Partial<EmailRecord> = {}): EmailRecord {
  return {
    id: ID,
    from: { address: 'hello@acme.test' },
    to: [{ address: 'a@example.com' }, { address: 'b@example.com' }],
    cc: [{ address: 'c@example.com' }],
    bcc: [],
    replyTo: [],
    subject: 'Hi',
    text: 'Hello',
    headers: [],
    tags: [],
    attachments: [],
    createdAt: new Date(NOW - 1000).toISOString(),
    apiKeyId: 'key-1',
    lastEvent: 'queued',
    expiresAt: NOW / 1000 + 86_400,
    ...overrides,
  };
}

function setup(options: { email?: EmailRecord | null; decisions?: RateDecision[] } = {}) {
  const emails = new InMemoryEmailStore();
  if (options.email !== null) emails.emails.set(ID, options.email ?? queuedEmail());
  let now = NOW;
  const slept: number[] = [];
  const logs: string[] = [];
  const deps = {
    emails,
    claims: new InMemorySendClaims(emails),
    sender: new RecordingSender(),
    governor: new ScriptedGovernor(options.decisions),
    pause: new InMemorySendingPause(),
    account: new FakeSesAccount(),
    clock: { now: () => new Date(now) },
    configurationSet: 'outbox',
    random: () => 0,
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
    log: (message: string) => logs.push(message),
  } satisfies OutboundSenderDeps;
  return { deps, emails, slept, logs, advance: (ms: number) => (now += ms) };
}

const job = { emailId: ID };

describe('sendQueuedEmail', () => {
  it('sends a queued email once, to its recipients minus the suppressed, and records sent', async () => {
    const t = setup({ email: queuedEmail({ suppressedRecipients: ['b@example.com'] }) });
    const outcome = await sendQueuedEmail(t.deps, job, 1);
    expect(outcome).toEqual({ kind: 'done', result: 'sent', sesMessageId: 'ses-1' });
    expect(t.deps.sender.sent).toHaveLength(1);
    expect(t.deps.sender.sent[0]!.draft.to.map((m) => m.address)).toEqual(['a@example.com']);
    expect(t.deps.sender.sent[0]!.context).toEqual({ emailId: ID, configurationSet: 'outbox' });
    // Slots are taken for the recipients SES will get: a and c.
    expect(t.deps.governor.requests).toEqual([2]);
    expect(t.emails.emails.get(ID)).toMatchObject({ lastEvent: 'sent', sesMessageId: 'ses-1' });
  });

  it('does nothing for an email that already has an SES message ID', async () => {
    const t = setup({ email: queuedEmail({ sesMessageId: 'ses-earlier' }) });
    expect(await sendQueuedEmail(t.deps, job, 1)).toMatchObject({ kind: 'done', result: 'already_sent' });
    expect(t.deps.sender.sent).toHaveLength(0);
  });

  it('does nothing for a missing, canceled, failed or still scheduled email', async () => {
    expect(await sendQueuedEmail(setup({ email: null }).deps, job, 1)).toEqual({ kind: 'done', result: 'missing' });
    for (const lastEvent of ['canceled', 'failed', 'scheduled', 'delivered'] as const) {
      const t = setup({ email: queuedEmail({ lastEvent }) });
      expect(await sendQueuedEmail(t.deps, job, 1)).toEqual({ kind: 'done', result: 'not_queued', lastEvent });
      expect(t.deps.sender.sent).toHaveLength(0);
    }
  });

  it('keeps a throttled email queued and retries it with backoff, never failed', async () => {
    const t = setup();
    t.deps.sender.failWith = new OutboxError('rate_limited', 'Maximum sending rate exceeded.');
    const outcome = await sendQueuedEmail(t.deps, job, 3);
    expect(outcome).toEqual({ kind: 'retry', reason: 'throttled', retryAfterSeconds: 4 });
    expect(t.emails.emails.get(ID)!.lastEvent).toBe('queued');
    // The claim is released: nothing was sent, so the next attempt need not wait for a Send event.
    expect(t.deps.claims.leases.size).toBe(0);
    t.deps.sender.failWith = undefined;
    expect(await sendQueuedEmail(t.deps, job, 4)).toMatchObject({ kind: 'done', result: 'sent' });
  });

  it('pauses every sender when SES says sending is paused, and keeps the email queued', async () => {
    const t = setup();
    t.deps.sender.failWith = new OutboxError('sending_paused', 'Sending is paused for this SES account.');
    expect(await sendQueuedEmail(t.deps, job, 1)).toEqual({ kind: 'retry', reason: 'paused', retryAfterSeconds: 60 });
    expect(t.deps.pause.state).toEqual({ until: NOW + DEFAULT_OUTBOUND_SENDER_SETTINGS.pauseMs, reason: 'Sending is paused for this SES account.' });
    expect(t.emails.emails.get(ID)!.lastEvent).toBe('queued');

    // While paused, SES is not asked at all.
    t.deps.sender.failWith = undefined;
    t.advance(10_000);
    expect(await sendQueuedEmail(t.deps, job, 2)).toMatchObject({ kind: 'retry', reason: 'paused', retryAfterSeconds: 50 });
    expect(t.deps.sender.sent).toHaveLength(0);
  });

  it('re-checks a pause that ran out with GetAccount: still disabled, it is extended; enabled, sending resumes', async () => {
    const t = setup();
    t.deps.pause.state = { until: NOW - 1, reason: 'paused' };
    t.deps.account.status = { maxSendRate: 14, sendingEnabled: false };
    expect(await sendQueuedEmail(t.deps, job, 1)).toMatchObject({ kind: 'retry', reason: 'paused' });
    expect(t.deps.pause.state!.until).toBe(NOW + 60_000);

    t.advance(60_001);
    t.deps.account.status = { maxSendRate: 14, sendingEnabled: true };
    expect(await sendQueuedEmail(t.deps, job, 2)).toMatchObject({ kind: 'done', result: 'sent' });
    expect(t.deps.pause.state).toBeUndefined();
  });

  it('marks an email SES rejects for good as failed, with the reason, and does not retry it', async () => {
    const t = setup();
    t.deps.sender.failWith = new OutboxError('message_rejected', 'SES rejected the message: Illegal address. Nothing was sent.');
    const outcome = await sendQueuedEmail(t.deps, job, 1);
    expect(outcome).toMatchObject({ kind: 'done', result: 'failed', failure: { name: 'validation_error', message: expect.stringContaining('Illegal address') } });
    expect(t.emails.emails.get(ID)).toMatchObject({
      lastEvent: 'failed',
      failure: { name: 'validation_error', message: expect.stringContaining('Illegal address'), failedAt: new Date(NOW).toISOString() },
    });
  });

  it('marks an unverified sender as failed (invalid_from_address)', async () => {
    const t = setup();
    t.deps.sender.failWith = new OutboxError('sender_not_verified', 'SES refused the sender.');
    expect(await sendQueuedEmail(t.deps, job, 1)).toMatchObject({ kind: 'done', result: 'failed', failure: { name: 'invalid_from_address' } });
  });

  it('retries later when another sender holds the claim, without sending', async () => {
    const t = setup();
    t.deps.claims.leases.set(ID, { token: 'other', until: NOW + 20_000 });
    expect(await sendQueuedEmail(t.deps, job, 1)).toEqual({ kind: 'retry', reason: 'claimed_elsewhere', retryAfterSeconds: 20 });
    expect(t.deps.sender.sent).toHaveLength(0);
  });

  it('after an attempt that may have reached SES, waits for the Send event, then sends only if none came', async () => {
    const t = setup();
    t.deps.sender.failWith = new OutboxError('unavailable', 'SES could not take the message right now.');
    const first = await sendQueuedEmail(t.deps, job, 1);
    expect(first).toEqual({ kind: 'retry', reason: 'unavailable', retryAfterSeconds: 300 });
    t.deps.sender.failWith = undefined;

    t.advance(60_000);
    expect(await sendQueuedEmail(t.deps, job, 2)).toEqual({ kind: 'retry', reason: 'awaiting_send_event', retryAfterSeconds: 240 });
    expect(t.deps.sender.sent).toHaveLength(0);

    t.advance(240_001);
    expect(await sendQueuedEmail(t.deps, job, 3)).toMatchObject({ kind: 'done', result: 'sent' });
  });

  it('sends nothing again once an earlier attempt recorded the SES message ID', async () => {
    const t = setup();
    t.deps.claims.leases.set(ID, { token: 'crashed', until: NOW - 1 });
    await t.emails.markSent(ID, 'ses-from-the-earlier-attempt');
    expect(await sendQueuedEmail(t.deps, job, 2)).toMatchObject({ kind: 'done', result: 'already_sent' });
    expect(t.deps.sender.sent).toHaveLength(0);
  });

  it('sends nothing again after a crash before markSent when the Send event is in the timeline, and records it sent', async () => {
    const t = setup();
    // The sender crashed after SES took the message: its claim ran out, the Send event came in.
    t.deps.claims.leases.set(ID, { token: 'crashed', until: NOW - DEFAULT_OUTBOUND_SENDER_SETTINGS.sendEventGraceMs - 1 });
    t.emails.timelines.set(ID, [{ eventKey: 'k', type: 'Send', occurredAt: new Date(NOW - 400_000).toISOString(), recipients: ['a@example.com'], sesMessageId: 'ses-from-the-send-event', detail: { kind: 'Send' } }]);
    expect(await sendQueuedEmail(t.deps, job, 2)).toMatchObject({ kind: 'done', result: 'already_sent', lastEvent: 'sent' });
    expect(t.deps.sender.sent).toHaveLength(0);
    expect(t.emails.emails.get(ID)).toMatchObject({ lastEvent: 'sent', sesMessageId: 'ses-from-the-send-event' });
  });

  it('records sent, and sends nothing, when the sweep queues an email SES took but nothing recorded (no claim, a Send event)', async () => {
    const t = setup();
    // A sync send whose api stopped after SES's answer: no claim was ever taken, the event is in.
    t.emails.timelines.set(ID, [{ eventKey: 'k', type: 'Send', occurredAt: new Date(NOW - 600_000).toISOString(), recipients: ['a@example.com'], sesMessageId: 'ses-taken', detail: { kind: 'Send' } }]);
    expect(await sendQueuedEmail(t.deps, job, 1)).toEqual({ kind: 'done', result: 'already_sent', lastEvent: 'sent' });
    expect(t.deps.sender.sent).toHaveLength(0);
    expect(t.deps.governor.requests).toHaveLength(0);
    expect(t.emails.emails.get(ID)).toMatchObject({ lastEvent: 'sent', sesMessageId: 'ses-taken' });
  });

  it('waits in process for a send slot that comes soon', async () => {
    const t = setup({ decisions: [{ ok: false, waitMs: 300 }, { ok: false, waitMs: 200 }, { ok: true }] });
    expect(await sendQueuedEmail(t.deps, job, 1)).toMatchObject({ kind: 'done', result: 'sent' });
    expect(t.slept).toEqual([300, 200]);
  });

  it('hands the job back, claim released, when the slot is further off than the in-process budget', async () => {
    const t = setup({ decisions: [{ ok: false, waitMs: 4_000 }, { ok: false, waitMs: 2_500 }] });
    expect(await sendQueuedEmail(t.deps, job, 1)).toEqual({ kind: 'retry', reason: 'pacing', retryAfterSeconds: 3 });
    expect(t.slept).toEqual([4_000]);
    expect(t.deps.claims.leases.size).toBe(0);
    // When it gave the email back: the scheduler's sweep reads it as a job still at work.
    expect(t.deps.claims.released.get(ID)).toBe(NOW + 4_000);
    expect(t.deps.sender.sent).toHaveLength(0);
  });

  it('releases the claim when the governor fails, so the retry need not wait for a Send event', async () => {
    const t = setup();
    t.deps.governor.acquire = async () => {
      throw new Error('control table down');
    };
    await expect(sendQueuedEmail(t.deps, job, 1)).rejects.toThrow('control table down');
    expect(t.deps.claims.leases.size).toBe(0);
  });

  it('answers sent even if recording it fails (the Send event records it)', async () => {
    const t = setup();
    t.emails.markSent = async () => {
      throw new Error('store down');
    };
    expect(await sendQueuedEmail(t.deps, job, 1)).toMatchObject({ kind: 'done', result: 'sent' });
    expect(t.logs.some((line) => line.includes('was sent as ses-1'))).toBe(true);
  });
});

function record(body: string, receiveCount = 1): SQSRecord {
  return {
    messageId: `m-${receiveCount}`,
    receiptHandle: `r-${receiveCount}`,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: String(Date.now()), SenderId: 'x', ApproximateFirstReceiveTimestamp: String(Date.now()) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:outbound',
    awsRegion: 'us-east-1',
  };
}

describe('handleOutboundBatch', () => {
  function batchDeps(t: ReturnType<typeof setup>) {
    const delays: { handle: string; seconds: number }[] = [];
    const requeue = new RecordingOutboundQueue();
    const deps: OutboundBatchDeps = { ...t.deps, retry: { retryAfter: async (handle, seconds) => void delays.push({ handle, seconds }) }, requeue };
    return { deps, delays, requeue };
  }

  it('deletes sent jobs and hands retries back with their delay', async () => {
    const t = setup();
    t.deps.sender.failWith = new OutboxError('rate_limited', 'throttled');
    const b = batchDeps(t);
    const response = await handleOutboundBatch(b.deps, { Records: [record(JSON.stringify(job), 2)] });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-2' }]);
    expect(b.delays).toEqual([{ handle: 'r-2', seconds: 2 }]);

    t.deps.sender.failWith = undefined;
    expect((await handleOutboundBatch(b.deps, { Records: [record(JSON.stringify(job), 3)] })).batchItemFailures).toEqual([]);
  });

  it('queues a job afresh after many receives, so waiting never walks it into the dead-letter queue', async () => {
    const t = setup();
    t.deps.pause.state = { until: NOW + 30_000, reason: 'paused' };
    const b = batchDeps(t);
    expect(await processOutboundRecord(b.deps, record(JSON.stringify(job), REQUEUE_AFTER_RECEIVES))).toMatchObject({ kind: 'requeued' });
    expect(b.requeue.jobs).toEqual([job]);
    expect(b.delays).toEqual([]);
    // Reported as done, so Lambda deletes the old message.
    expect((await handleOutboundBatch(b.deps, { Records: [record(JSON.stringify(job), REQUEUE_AFTER_RECEIVES)] })).batchItemFailures).toEqual([]);
  });

  it('retries with backoff when the sender throws, and reports a malformed body as a failure', async () => {
    const t = setup();
    t.emails.get = async () => {
      throw new Error('store down');
    };
    const b = batchDeps(t);
    const response = await handleOutboundBatch(b.deps, { Records: [record(JSON.stringify(job), 1), record('not json', 2)] });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-2' }]);
    expect(b.delays).toEqual([{ handle: 'r-1', seconds: 1 }]);
  });
});

describe('sendQueuedEmail: email.failed for an email SES refuses for good', () => {
  /** The sender's deps with a notify that records each call and where the email stood then. */
  function withNotify(t: ReturnType<typeof setup>) {
    const calls: { payload: NotificationPayload; eventKey: string; orderedAt?: string; lastEventThen?: string }[] = [];
    let failing: Error | undefined;
    const notify = async (payload: NotificationPayload, eventKey: string, orderedAt?: string): Promise<void> => {
      if (failing) throw failing;
      calls.push({ payload, eventKey, ...(orderedAt !== undefined ? { orderedAt } : {}), lastEventThen: t.emails.emails.get(ID)?.lastEvent });
    };
    const deps: OutboundBatchDeps = { ...t.deps, notify, retry: { retryAfter: async () => undefined } };
    return { deps, calls, failWith: (error: Error | undefined) => (failing = error) };
  }

  const rejectedEmail = () =>
    queuedEmail({
      from: { address: 'hello@acme.test', name: 'Acme' },
      tags: [{ name: 'category', value: 'welcome' }],
      suppressedRecipients: ['b@example.com'],
    });

  it('notifies email.failed once, with the email, the recipients SES was asked about and its reason, under a stable key, before marking it failed', async () => {
    const t = setup({ email: rejectedEmail() });
    const n = withNotify(t);
    t.deps.sender.failWith = new OutboxError('message_rejected', 'SES rejected the message: Illegal address. Nothing was sent.');

    expect(await sendQueuedEmail(n.deps, job, 1)).toMatchObject({ kind: 'done', result: 'failed' });
    expect(n.calls).toEqual([
      {
        eventKey: `failed-${ID}`,
        orderedAt: new Date(NOW - 1000).toISOString(),
        // Still queued when notified: markFailed comes after.
        lastEventThen: 'queued',
        payload: {
          type: 'email.failed',
          created_at: new Date(NOW).toISOString(),
          data: {
            email_id: ID,
            created_at: new Date(NOW - 1000).toISOString(),
            message_id: null,
            from: 'Acme <hello@acme.test>',
            to: ['a@example.com', 'b@example.com'],
            subject: 'Hi',
            tags: { category: 'welcome' },
            recipients: ['a@example.com', 'c@example.com'],
            failed: { reason: 'SES rejected the message: Illegal address. Nothing was sent.' },
          },
        },
      },
    ]);
    expect(t.emails.emails.get(ID)!.lastEvent).toBe('failed');
  });

  it('keeps the email queued and retries the job when notifying fails (a failing notify, injected), then notifies under the same key', async () => {
    const t = setup({ email: rejectedEmail() });
    const n = withNotify(t);
    t.deps.sender.failWith = new OutboxError('sender_not_verified', 'SES refused the sender: Email address is not verified.');
    n.failWith(new Error('SNS unreachable'));

    expect(await processOutboundRecord(n.deps, record(JSON.stringify(job), 1))).toMatchObject({ kind: 'retry' });
    expect(t.emails.emails.get(ID)).toMatchObject({ lastEvent: 'queued' });
    expect(t.emails.emails.get(ID)!.failure).toBeUndefined();
    // SES took nothing: the claim is released, so the retry need not wait for a Send event.
    expect(t.deps.claims.leases.size).toBe(0);

    n.failWith(undefined);
    t.advance(2_000);
    expect(await processOutboundRecord(n.deps, record(JSON.stringify(job), 2))).toMatchObject({ kind: 'done', result: 'failed' });
    expect(n.calls.map((c) => [c.eventKey, c.orderedAt])).toEqual([[`failed-${ID}`, new Date(NOW - 1000).toISOString()]]);
    expect(t.emails.emails.get(ID)).toMatchObject({ lastEvent: 'failed', failure: { name: 'invalid_from_address' } });
  });

  it('notifies nothing for a throttle, a pause, an answer that may mean sent, or a send SES took', async () => {
    const outcomes: string[] = [];
    for (const failWith of [
      new OutboxError('rate_limited', 'throttled'),
      new OutboxError('sending_paused', 'paused'),
      new Error('socket hang up'),
      undefined,
    ]) {
      const t = setup();
      const n = withNotify(t);
      t.deps.sender.failWith = failWith;
      const outcome = await sendQueuedEmail(n.deps, job, 1);
      outcomes.push(outcome.kind === 'retry' ? outcome.reason : outcome.result);
      expect(n.calls).toEqual([]);
    }
    expect(outcomes).toEqual(['throttled', 'paused', 'unavailable', 'sent']);
  });
});
