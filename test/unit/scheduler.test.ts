import { readSchedulerConfig } from '../../lambda/config';
import { toErrorBody } from '../../lambda/core/errors';
import { handleSchedulerTick } from '../../lambda/entrypoints/scheduler-tick';
import { cancelEmail, QUEUED_CHECK_DELAY_MS, releaseDueEmails, rescheduleEmail } from '../../lambda/core/scheduler';
import { uuidv7 } from '../../lambda/core/ids';
import { parseSendRequest } from '../../lambda/core/send-request';
import { sendEmail } from '../../lambda/core/send-email';
import { toEmailView } from '../../lambda/core/email-view';
import type { Clock } from '../../lambda/core/ports';
import { InMemoryEmailStore, InMemorySuppressionList, RecordingSender } from '../helpers/in-memory';
import { InMemorySendClaims } from '../helpers/in-memory-outbound';
import { InMemoryScheduleStore, RecordingOutboundQueue } from '../helpers/in-memory-scheduling';

const principal = { keyId: 'key-1', scope: 'full_access' as const };
const sendingOnly = { keyId: 'key-2', scope: 'sending_access' as const };
const body = { from: 'a@acme.test', to: 'b@example.com', subject: 'Hi', text: 'Hello' };
const START = Date.parse('2026-11-28T10:00:00.000Z');
const draft = parseSendRequest(body);

function setup() {
  let now = START;
  const clock: Clock = { now: () => new Date(now) };
  const emails = new InMemoryEmailStore();
  const claims = new InMemorySendClaims(emails);
  const schedule = new InMemoryScheduleStore(emails, clock, { claims });
  const outbound = new RecordingOutboundQueue();
  const sender = new RecordingSender();
  const send = { emails, sender, suppressions: new InMemorySuppressionList(), clock, retentionDays: 90 };
  return {
    emails,
    schedule,
    claims,
    outbound,
    sender,
    send,
    clock,
    deps: { schedule, clock, retentionDays: 90 },
    schedulerDeps: { schedule, outbound, clock },
    scheduleEmail: async (at: string, extra: object = {}) => (await sendEmail(send, principal, { ...body, ...extra, scheduled_at: at })).id,
    setNow: (iso: string) => (now = Date.parse(iso)),
  };
}

async function errorOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return toErrorBody(error);
  }
  throw new Error('expected a rejection');
}

describe('sendEmail with scheduled_at', () => {
  it('stores the email as scheduled with its time, sends nothing, and keeps it retention days past its time', async () => {
    const t = setup();
    const id = await t.scheduleEmail('2026-12-20T09:00:00+01:00');
    expect(t.sender.sent).toHaveLength(0);
    const stored = t.emails.emails.get(id)!;
    expect(stored).toMatchObject({ lastEvent: 'scheduled', scheduledAt: '2026-12-20T08:00:00.000Z' });
    expect(stored.expiresAt).toBe(Date.parse('2026-12-20T08:00:00.000Z') / 1000 + 90 * 86_400);
    expect(t.schedule.dueAtOf(id)).toBe(`2026-12-20T08:00:00.000Z#${id}`);
  });

  it('shows scheduled, scheduled_at and scheduled recipients in the view', async () => {
    const t = setup();
    const id = await t.scheduleEmail('in 10 minutes');
    const view = toEmailView((await t.emails.get(id))!);
    expect(view).toMatchObject({ last_event: 'scheduled', scheduled_at: '2026-11-28T10:10:00.000Z', recipients: [{ email: 'b@example.com', status: 'scheduled' }] });
  });

  it('refuses a bad scheduled_at and stores nothing', async () => {
    const t = setup();
    expect(await errorOf(t.scheduleEmail('next tuesday'))).toMatchObject({ statusCode: 422, name: 'validation_error' });
    expect(t.emails.emails.size).toBe(0);
  });
});

describe('rescheduleEmail and cancelEmail', () => {
  it('moves a scheduled email to a new time, and its retention with it', async () => {
    const t = setup();
    const id = await t.scheduleEmail('in 10 minutes');
    await expect(rescheduleEmail(t.deps, principal, id, { scheduled_at: '2026-11-29T08:00:00Z' })).resolves.toEqual({ object: 'email', id });
    expect(t.emails.emails.get(id)).toMatchObject({ lastEvent: 'scheduled', scheduledAt: '2026-11-29T08:00:00.000Z', expiresAt: Date.parse('2026-11-29T08:00:00Z') / 1000 + 90 * 86_400 });
    expect(t.schedule.dueAtOf(id)).toBe(`2026-11-29T08:00:00.000Z#${id}`);
  });

  it('cancels a scheduled email: canceled, out of the due index, never released', async () => {
    const t = setup();
    const id = await t.scheduleEmail('in 1 min');
    await expect(cancelEmail(t.deps, principal, id)).resolves.toEqual({ object: 'email', id });
    expect(t.emails.emails.get(id)!.lastEvent).toBe('canceled');
    expect(t.schedule.dueAtOf(id)).toBeUndefined();
    t.setNow('2026-11-28T10:05:00.000Z');
    expect(await releaseDueEmails(t.schedulerDeps)).toEqual({ released: 0, recovered: 0, deferred: 0, skipped: 0, more: false });
    expect(t.outbound.jobs).toHaveLength(0);
  });

  it('refuses to change an email that is no longer scheduled, with a 422 saying why', async () => {
    const t = setup();
    const id = await t.scheduleEmail('in 1 min');
    await cancelEmail(t.deps, principal, id);
    expect(await errorOf(cancelEmail(t.deps, principal, id))).toMatchObject({ statusCode: 422, message: expect.stringMatching(/cannot be canceled: it was canceled/) });
    expect(await errorOf(rescheduleEmail(t.deps, principal, id, { scheduled_at: 'in 1 hour' }))).toMatchObject({ statusCode: 422 });

    const sent = await t.scheduleEmail('in 1 min');
    t.emails.emails.set(sent, { ...t.emails.emails.get(sent)!, lastEvent: 'delivered' });
    expect(await errorOf(cancelEmail(t.deps, principal, sent))).toMatchObject({ message: expect.stringMatching(/already been sent \(last_event `delivered`\)/) });
  });

  it('answers 404 for an unknown or malformed id', async () => {
    const t = setup();
    expect(await errorOf(cancelEmail(t.deps, principal, '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11'))).toMatchObject({ statusCode: 404, name: 'not_found' });
    expect(await errorOf(cancelEmail(t.deps, principal, 'nope'))).toMatchObject({ statusCode: 404 });
    expect(await errorOf(rescheduleEmail(t.deps, principal, 'nope', { scheduled_at: 'in 1 hour' }))).toMatchObject({ statusCode: 404 });
  });

  it('refuses a field a reschedule does not take, naming it, and leaves the email where it was', async () => {
    const t = setup();
    const id = await t.scheduleEmail('in 10 minutes');
    const before = t.emails.emails.get(id)!.scheduledAt;
    const error = await errorOf(rescheduleEmail(t.deps, principal, id, { scheduledAt: 'in 1 hour' }));
    expect(error).toMatchObject({ statusCode: 422, name: 'validation_error' });
    expect(error.message).toBe('`scheduledAt` (did you mean `scheduled_at`?) is not a field of a reschedule; the fields of a reschedule are `scheduled_at`.');
    expect(await errorOf(rescheduleEmail(t.deps, principal, id, { scheduled_at: 'in 1 hour', status: 'sent' }))).toMatchObject({
      statusCode: 422,
      message: expect.stringContaining('`status` is not a field of a reschedule'),
    });
    expect(t.emails.emails.get(id)!.scheduledAt).toBe(before);
  });

  it('needs scheduled_at to reschedule, valid as on send', async () => {
    const t = setup();
    const id = await t.scheduleEmail('in 1 min');
    expect(await errorOf(rescheduleEmail(t.deps, principal, id, {}))).toMatchObject({ statusCode: 422, name: 'missing_required_field' });
    expect(await errorOf(rescheduleEmail(t.deps, principal, id, { scheduled_at: 'in 40 days' }))).toMatchObject({ statusCode: 422, name: 'validation_error' });
  });

  it('is for full-access keys only', async () => {
    const t = setup();
    const id = await t.scheduleEmail('in 1 min');
    expect(await errorOf(cancelEmail(t.deps, sendingOnly, id))).toMatchObject({ name: 'restricted_api_key' });
    expect(await errorOf(rescheduleEmail(t.deps, sendingOnly, id, { scheduled_at: 'in 1 hour' }))).toMatchObject({ name: 'restricted_api_key' });
  });
});

const DELAY = QUEUED_CHECK_DELAY_MS;
const at = (ms: number) => new Date(START + ms).toISOString();

describe('releaseDueEmails: scheduled emails', () => {
  it('releases what is due, oldest first, as queued on the outbound queue, each with a check time, and leaves the rest', async () => {
    const t = setup();
    const later = await t.scheduleEmail('in 10 minutes');
    const second = await t.scheduleEmail('in 2 minutes');
    const first = await t.scheduleEmail('in 1 minute');
    t.setNow('2026-11-28T10:02:00.000Z');
    expect(await releaseDueEmails(t.schedulerDeps)).toEqual({ released: 2, recovered: 0, deferred: 0, skipped: 0, more: false });
    expect(t.outbound.jobs).toEqual([{ emailId: first }, { emailId: second }]);
    expect(t.emails.emails.get(first)!.lastEvent).toBe('queued');
    // Released means queued: the sweep looks at it again the check delay later, unless it is sent by then.
    expect(t.schedule.dueAtOf(first)).toBe(`${at(120_000 + DELAY)}#${first}`);
    expect(t.emails.emails.get(later)!.lastEvent).toBe('scheduled');
    expect(await releaseDueEmails(t.schedulerDeps)).toEqual({ released: 0, recovered: 0, deferred: 0, skipped: 0, more: false });
  });

  it('pages through the index and stops at maxPerRun, leaving the rest for the next run', async () => {
    const t = setup();
    for (let i = 0; i < 7; i++) await t.scheduleEmail('in 1 minute');
    t.setNow('2026-11-28T10:01:00.000Z');
    expect(await releaseDueEmails(t.schedulerDeps, { pageSize: 2, maxPerRun: 5 })).toMatchObject({ released: 5, skipped: 0, more: true });
    expect(await releaseDueEmails(t.schedulerDeps, { pageSize: 2, maxPerRun: 5 })).toMatchObject({ released: 2, skipped: 0, more: false });
    expect(new Set(t.outbound.jobs.map((j) => j.emailId)).size).toBe(7);
  });

  it('skips an email canceled between reading the index and releasing it: the cancel wins', async () => {
    const t = setup();
    const id = await t.scheduleEmail('in 1 minute');
    t.setNow('2026-11-28T10:01:00.000Z');
    const findDue = t.schedule.findDue.bind(t.schedule);
    t.schedule.findDue = async (...args) => {
      const page = await findDue(...args);
      await cancelEmail(t.deps, principal, id);
      return page;
    };
    expect(await releaseDueEmails(t.schedulerDeps)).toEqual({ released: 0, recovered: 0, deferred: 0, skipped: 1, more: false });
    expect(t.outbound.jobs).toHaveLength(0);
    expect(t.emails.emails.get(id)!.lastEvent).toBe('canceled');
  });

  it('skips an email rescheduled after the index was read, and releases it at its new time', async () => {
    const t = setup();
    const id = await t.scheduleEmail('in 1 minute');
    t.setNow('2026-11-28T10:01:00.000Z');
    const findDue = t.schedule.findDue.bind(t.schedule);
    t.schedule.findDue = async (...args) => {
      const page = await findDue(...args);
      t.schedule.findDue = findDue;
      await rescheduleEmail(t.deps, principal, id, { scheduled_at: 'in 1 hour' });
      return page;
    };
    expect(await releaseDueEmails(t.schedulerDeps)).toMatchObject({ released: 0, skipped: 1 });
    t.setNow('2026-11-28T11:01:00.000Z');
    expect(await releaseDueEmails(t.schedulerDeps)).toMatchObject({ released: 1 });
    expect(t.outbound.jobs).toEqual([{ emailId: id }]);
  });

  it('a cancel after the release is refused: the email is already on its way', async () => {
    const t = setup();
    const id = await t.scheduleEmail('in 1 minute');
    t.setNow('2026-11-28T10:01:00.000Z');
    await releaseDueEmails(t.schedulerDeps);
    expect(await errorOf(cancelEmail(t.deps, principal, id))).toMatchObject({ statusCode: 422, message: expect.stringMatching(/already on its way/) });
  });

  it('when enqueuing fails, leaves the email queued at its check time, where the sweep enqueues it', async () => {
    const t = setup();
    const id = await t.scheduleEmail('in 1 minute');
    t.setNow('2026-11-28T10:01:00.000Z');
    t.outbound.failWith = new Error('SQS down');
    await expect(releaseDueEmails(t.schedulerDeps)).rejects.toThrow('SQS down');
    expect(t.emails.emails.get(id)!.lastEvent).toBe('queued');
    t.outbound.failWith = undefined;
    expect(await releaseDueEmails(t.schedulerDeps)).toMatchObject({ released: 0, recovered: 0 });
    t.setNow(at(60_000 + DELAY));
    expect(await releaseDueEmails(t.schedulerDeps)).toEqual({ released: 0, recovered: 1, deferred: 0, skipped: 0, more: false });
    expect(t.outbound.jobs).toEqual([{ emailId: id }]);
  });

  it('lets only one of two runs racing over the same entries release each email', async () => {
    const t = setup();
    for (let i = 0; i < 5; i++) await t.scheduleEmail('in 1 minute');
    t.setNow('2026-11-28T10:01:00.000Z');
    const [a, b] = await Promise.all([releaseDueEmails(t.schedulerDeps), releaseDueEmails(t.schedulerDeps)]);
    expect(a.released + b.released).toBe(5);
    expect(a.skipped + b.skipped).toBe(5);
    expect(new Set(t.outbound.jobs.map((j) => j.emailId)).size).toBe(5);
    expect(t.outbound.jobs).toHaveLength(5);
  });
});

describe('releaseDueEmails: the sweep of queued emails', () => {
  /** A queued email stored at `createdAt`, as POST /emails/batch stores one, whose job is gone. */
  async function queued(t: ReturnType<typeof setup>, createdAt = START): Promise<string> {
    const id = uuidv7(createdAt);
    await t.emails.create({ ...draft, id, createdAt: new Date(createdAt).toISOString(), apiKeyId: 'key-1', lastEvent: 'queued', expiresAt: createdAt / 1000 + 86_400 });
    return id;
  }

  it('puts a queued email nothing sent back on the outbound queue once it has waited the check delay, and looks again a delay later', async () => {
    const t = setup();
    const id = await queued(t);
    t.setNow(at(DELAY - 1_000));
    expect(await releaseDueEmails(t.schedulerDeps)).toMatchObject({ recovered: 0 });
    t.setNow(at(DELAY));
    expect(await releaseDueEmails(t.schedulerDeps)).toEqual({ released: 0, recovered: 1, deferred: 0, skipped: 0, more: false });
    expect(t.outbound.jobs).toEqual([{ emailId: id }]);
    expect(t.schedule.dueAtOf(id)).toBe(`${at(2 * DELAY)}#${id}`);
    // Looked at once per delay: the next run finds nothing due.
    expect(await releaseDueEmails(t.schedulerDeps)).toMatchObject({ recovered: 0 });
    t.setNow(at(2 * DELAY));
    expect(await releaseDueEmails(t.schedulerDeps)).toMatchObject({ recovered: 1 });
    expect(t.outbound.jobs).toHaveLength(2);
  });

  it('leaves to its job a queued email a sender holds a live claim on, or gave back within the delay, and looks again later', async () => {
    const t = setup();
    const claimed = await queued(t);
    const waiting = await queued(t, START + 1);
    t.claims.leases.set(claimed, { token: 'sender', until: START + DELAY + 30_000 });
    t.claims.released.set(waiting, START + DELAY - 60_000);
    t.setNow(at(DELAY + 1));
    expect(await releaseDueEmails(t.schedulerDeps)).toEqual({ released: 0, recovered: 0, deferred: 2, skipped: 0, more: false });
    expect(t.outbound.jobs).toHaveLength(0);
    expect(t.schedule.dueAtOf(claimed)).toBe(`${at(2 * DELAY + 1)}#${claimed}`);
    // A claim that ran out without a release (a sender that died) is no longer a job at work.
    t.setNow(at(2 * DELAY + 1));
    expect(await releaseDueEmails(t.schedulerDeps)).toMatchObject({ recovered: 2, deferred: 0 });
  });

  it('stops looking at an email once it is sent or has failed', async () => {
    const t = setup();
    const sent = await queued(t);
    const failed = await queued(t, START + 1);
    await t.emails.markSent(sent, 'ses-1');
    t.emails.emails.set(failed, { ...t.emails.emails.get(failed)!, lastEvent: 'failed' });
    expect(t.schedule.dueAtOf(sent)).toBeUndefined();
    t.setNow(at(DELAY + 1));
    expect(await releaseDueEmails(t.schedulerDeps)).toEqual({ released: 0, recovered: 0, deferred: 0, skipped: 0, more: false });
  });

  it('checks a sync send that SES took like any other: it is gone from the index once sent', async () => {
    const t = setup();
    const { id } = await sendEmail(t.send, principal, body);
    expect(t.schedule.dueAtOf(id)).toBeUndefined();
    t.setNow(at(DELAY + 1));
    expect(await releaseDueEmails(t.schedulerDeps)).toMatchObject({ recovered: 0 });
  });

  it('skips an email sent between reading the index and rechecking it', async () => {
    const t = setup();
    const id = await queued(t);
    t.setNow(at(DELAY));
    const findDue = t.schedule.findDue.bind(t.schedule);
    t.schedule.findDue = async (...args) => {
      const page = await findDue(...args);
      await t.emails.markSent(id, 'ses-1');
      return page;
    };
    expect(await releaseDueEmails(t.schedulerDeps)).toEqual({ released: 0, recovered: 0, deferred: 0, skipped: 1, more: false });
    expect(t.outbound.jobs).toHaveLength(0);
  });

  it('lets only one of two runs racing over the same stalled email enqueue it', async () => {
    const t = setup();
    for (let i = 0; i < 4; i++) await queued(t, START + i);
    t.setNow(at(DELAY + 10));
    const [a, b] = await Promise.all([releaseDueEmails(t.schedulerDeps), releaseDueEmails(t.schedulerDeps)]);
    expect(a.recovered + b.recovered).toBe(4);
    expect(a.skipped + b.skipped).toBe(4);
    expect(t.outbound.jobs).toHaveLength(4);
  });

  it('everyQueued (a start after a crash): enqueues every queued email whatever its check time or claim, and releases only scheduled emails that are due', async () => {
    const t = setup();
    const fresh = await queued(t);
    const claimed = await queued(t, START + 1);
    t.claims.leases.set(claimed, { token: 'the-dead-process', until: START + 60_000 });
    const soon = await t.scheduleEmail('in 5 minutes');
    t.setNow(at(1_000));
    expect(await releaseDueEmails(t.schedulerDeps, { everyQueued: true })).toEqual({ released: 0, recovered: 2, deferred: 0, skipped: 0, more: false });
    expect(t.outbound.jobs.map((j) => j.emailId).sort()).toEqual([fresh, claimed].sort());
    expect(t.emails.emails.get(soon)!.lastEvent).toBe('scheduled');
  });
  it('everyQueued passes sharing one clock reading enqueue each queued email once, however many passes it takes', async () => {
    const t = setup();
    const ids = [];
    for (let i = 0; i < 25; i++) ids.push(await queued(t, START + i));
    t.setNow(at(5_000));
    let passes = 0;
    for (let more = true; more; passes++) more = (await releaseDueEmails(t.schedulerDeps, { everyQueued: true, pageSize: 4, maxPerRun: 10 })).more;
    expect(passes).toBe(3);
    expect(t.outbound.jobs.map((j) => j.emailId).sort()).toEqual(ids.sort());
  });
});

describe('handleSchedulerTick', () => {
  it('runs passes while more is due, so a large batch due at once goes in one tick', async () => {
    const t = setup();
    for (let i = 0; i < 1_200; i++) await t.scheduleEmail('in 1 minute');
    t.setNow('2026-11-28T10:01:00.000Z');
    expect(await handleSchedulerTick({ ...t.schedulerDeps, log: () => undefined })).toEqual({ released: 1_200, recovered: 0, deferred: 0, skipped: 0, more: false });
    expect(t.outbound.jobs).toHaveLength(1_200);
  });

  it('stops when its time budget is spent, leaving the rest to the next tick', async () => {
    const t = setup();
    for (let i = 0; i < 1_100; i++) await t.scheduleEmail('in 1 minute');
    t.setNow('2026-11-28T10:01:00.000Z');
    expect(await handleSchedulerTick({ ...t.schedulerDeps, log: () => undefined }, 0)).toEqual({ released: 1_000, recovered: 0, deferred: 0, skipped: 0, more: true });
  });

  it('says how many stalled emails the sweep put back on the queue', async () => {
    const t = setup();
    for (let i = 0; i < 3; i++) await t.emails.create({ ...draft, id: uuidv7(START + i), createdAt: new Date(START).toISOString(), apiKeyId: 'key-1', lastEvent: 'queued', expiresAt: START / 1000 + 86_400 });
    t.setNow(at(DELAY));
    const logs: string[] = [];
    expect(await handleSchedulerTick({ ...t.schedulerDeps, log: (message) => logs.push(message) })).toMatchObject({ recovered: 3 });
    expect(logs).toEqual(['The sweep put 3 stalled queued email(s) back on the outbound queue']);
  });
});

describe('readSchedulerConfig', () => {
  it('reads the emails table and the outbound queue', () => {
    expect(readSchedulerConfig({ OUTBOX_EMAILS_TABLE: 'emails', OUTBOX_OUTBOUND_QUEUE_URL: 'https://sqs/q' })).toEqual({ emailsTable: 'emails', outboundQueueUrl: 'https://sqs/q' });
  });

  it('names every missing variable at once', () => {
    expect(() => readSchedulerConfig({})).toThrow('Missing environment variables: OUTBOX_EMAILS_TABLE, OUTBOX_OUTBOUND_QUEUE_URL');
  });
});

describe('releaseDueEmails: emails stored without a check entry', () => {
  /** The in-memory store plus the walk by creation time, recording what the run asked and wrote, in order. */
  function withWalk(found: string[], options: { failOn?: string; more?: boolean } = {}) {
    const { schedule, outbound, clock, setNow } = setup();
    const calls: string[] = [];
    const walking = Object.assign(Object.create(schedule) as typeof schedule, {
      findUnchecked: async (until: Date, limit: number) => {
        calls.push(`find ${until.toISOString()} ${limit}`);
        return { ids: found, position: 'after-them', more: options.more ?? false };
      },
      addCheckEntry: async (id: string, checkAt: Date) => {
        if (id === options.failOn) throw new Error('the store is down');
        calls.push(`entry ${id} ${checkAt.toISOString()}`);
        return true;
      },
      saveUncheckedPosition: async (position: string) => {
        calls.push(`save ${position}`);
      },
    });
    return { deps: { schedule: walking, outbound, clock }, calls, setNow };
  }

  it('looks at emails stored a check delay ago, gives each found unsent a check entry due now, then saves the position', async () => {
    const { deps, calls } = withWalk(['a', 'b']);
    await releaseDueEmails(deps, { maxPerRun: 50 });
    const now = new Date(START).toISOString();
    expect(calls).toEqual([`find ${new Date(START - QUEUED_CHECK_DELAY_MS).toISOString()} 50`, `entry a ${now}`, `entry b ${now}`, 'save after-them']);
  });

  it('looks at every email stored before now with everyQueued (a start after a crash)', async () => {
    const { deps, calls } = withWalk([]);
    await releaseDueEmails(deps, { everyQueued: true });
    expect(calls[0]).toBe(`find ${new Date(START).toISOString()} 1000`);
  });

  it('saves no position when a check entry could not be written, so the next run looks again', async () => {
    const { deps, calls } = withWalk(['a', 'b'], { failOn: 'b' });
    await expect(releaseDueEmails(deps)).rejects.toThrow('the store is down');
    expect(calls).not.toContain('save after-them');
  });

  it('reports more when the walk stopped at its limit', async () => {
    const { deps } = withWalk([], { more: true });
    expect(await releaseDueEmails(deps)).toMatchObject({ more: true });
  });
});
