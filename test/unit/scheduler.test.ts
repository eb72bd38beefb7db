import { readSchedulerConfig } from '../../lambda/config';
import { toErrorBody } from '../../lambda/core/errors';
import { handleSchedulerTick } from '../../lambda/entrypoints/scheduler-tick';
import { cancelEmail, releaseDueEmails, rescheduleEmail, type DueEmail } from '../../lambda/core/scheduler';
import { sendEmail } from '../../lambda/core/send-email';
import { toEmailView } from '../../lambda/core/email-view';
import type { Clock } from '../../lambda/core/ports';
import { InMemoryEmailStore, InMemorySuppressionList, RecordingSender } from '../helpers/in-memory';
import { InMemoryScheduleStore, RecordingOutboundQueue } from '../helpers/in-memory-scheduling';

const principal = { keyId: 'key-1', scope: 'full_access' as const };
const sendingOnly = { keyId: 'key-2', scope: 'sending_access' as const };
const body = { from: 'a@acme.test', to: 'b@example.com', subject: 'Hi', text: 'Hello' };
const START = Date.parse('2026-11-28T10:00:00.000Z');

function setup() {
  let now = START;
  const clock: Clock = { now: () => new Date(now) };
  const emails = new InMemoryEmailStore();
  const schedule = new InMemoryScheduleStore(emails, clock);
  const outbound = new RecordingOutboundQueue();
  const sender = new RecordingSender();
  const send = { emails, sender, suppressions: new InMemorySuppressionList(), clock, retentionDays: 90 };
  const warnings: string[] = [];
  return {
    emails,
    schedule,
    outbound,
    sender,
    warnings,
    clock,
    deps: { schedule, clock, retentionDays: 90 },
    schedulerDeps: { schedule, outbound, clock, warn: (message: string) => warnings.push(message) },
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
    expect(await releaseDueEmails(t.schedulerDeps)).toEqual({ released: 0, skipped: 0, more: false });
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

describe('releaseDueEmails', () => {
  it('releases what is due, oldest first, as queued on the outbound queue, and leaves the rest', async () => {
    const t = setup();
    const later = await t.scheduleEmail('in 10 minutes');
    const second = await t.scheduleEmail('in 2 minutes');
    const first = await t.scheduleEmail('in 1 minute');
    t.setNow('2026-11-28T10:02:00.000Z');
    expect(await releaseDueEmails(t.schedulerDeps)).toEqual({ released: 2, skipped: 0, more: false });
    expect(t.outbound.jobs).toEqual([{ emailId: first }, { emailId: second }]);
    expect(t.emails.emails.get(first)!.lastEvent).toBe('queued');
    expect(t.schedule.dueAtOf(first)).toBeUndefined();
    expect(t.emails.emails.get(later)!.lastEvent).toBe('scheduled');
    expect(await releaseDueEmails(t.schedulerDeps)).toEqual({ released: 0, skipped: 0, more: false });
  });

  it('pages through the index and stops at maxPerRun, leaving the rest for the next run', async () => {
    const t = setup();
    for (let i = 0; i < 7; i++) await t.scheduleEmail('in 1 minute');
    t.setNow('2026-11-28T10:01:00.000Z');
    expect(await releaseDueEmails(t.schedulerDeps, { pageSize: 2, maxPerRun: 5 })).toEqual({ released: 5, skipped: 0, more: true });
    expect(await releaseDueEmails(t.schedulerDeps, { pageSize: 2, maxPerRun: 5 })).toEqual({ released: 2, skipped: 0, more: false });
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
    expect(await releaseDueEmails(t.schedulerDeps)).toEqual({ released: 0, skipped: 1, more: false });
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
    expect(await releaseDueEmails(t.schedulerDeps)).toEqual({ released: 0, skipped: 1, more: false });
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

  it('keeps the index entry when enqueuing fails, so the next run enqueues the email again', async () => {
    const t = setup();
    const id = await t.scheduleEmail('in 1 minute');
    t.setNow('2026-11-28T10:01:00.000Z');
    t.outbound.failWith = new Error('SQS down');
    await expect(releaseDueEmails(t.schedulerDeps)).rejects.toThrow('SQS down');
    expect(t.emails.emails.get(id)!.lastEvent).toBe('queued');
    expect(t.schedule.dueAtOf(id)).toBeDefined();
    t.outbound.failWith = undefined;
    expect(await releaseDueEmails(t.schedulerDeps)).toEqual({ released: 1, skipped: 0, more: false });
    expect(t.outbound.jobs).toEqual([{ emailId: id }]);
    expect(t.schedule.dueAtOf(id)).toBeUndefined();
  });

  it('warns, and answers as released, when clearing an index entry fails', async () => {
    const t = setup();
    await t.scheduleEmail('in 1 minute');
    t.setNow('2026-11-28T10:01:00.000Z');
    t.schedule.clearDue = async (_email: DueEmail) => {
      throw new Error('store down');
    };
    expect(await releaseDueEmails(t.schedulerDeps)).toMatchObject({ released: 1 });
    expect(t.warnings[0]).toMatch(/could not clear the due entry/);
  });
});

describe('handleSchedulerTick', () => {
  it('runs passes while more is due, so a large batch due at once goes in one tick', async () => {
    const t = setup();
    for (let i = 0; i < 1_200; i++) await t.scheduleEmail('in 1 minute');
    t.setNow('2026-11-28T10:01:00.000Z');
    expect(await handleSchedulerTick({ ...t.schedulerDeps, log: () => undefined })).toEqual({ released: 1_200, skipped: 0, more: false });
    expect(t.outbound.jobs).toHaveLength(1_200);
  });

  it('stops when its time budget is spent, leaving the rest to the next tick', async () => {
    const t = setup();
    for (let i = 0; i < 1_100; i++) await t.scheduleEmail('in 1 minute');
    t.setNow('2026-11-28T10:01:00.000Z');
    expect(await handleSchedulerTick({ ...t.schedulerDeps, log: () => undefined }, 0)).toEqual({ released: 1_000, skipped: 0, more: true });
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
