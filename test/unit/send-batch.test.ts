import { OutboundEnqueueError } from '../../lambda/core/outbound';
import { parseBatchValidation, sendBatch, type SendBatchDeps } from '../../lambda/core/send-batch';
import { InMemoryEmailStore, InMemorySuppressionList, tickingClock } from '../helpers/in-memory';
import { RecordingOutboundQueue } from '../helpers/in-memory-scheduling';

const principal = { keyId: 'key-1', scope: 'sending_access' as const };
const email = (n: number, to = `user${n}@example.com`) => ({ from: 'Acme <hello@acme.test>', to, subject: `Hi ${n}`, text: 'Hello' });

function setup() {
  const deps = {
    emails: new InMemoryEmailStore(),
    suppressions: new InMemorySuppressionList(),
    outbound: new RecordingOutboundQueue(),
    clock: tickingClock('2026-11-28T10:00:00.000Z'),
    retentionDays: 90,
  } satisfies SendBatchDeps;
  return deps;
}

async function suppress(deps: ReturnType<typeof setup>, address: string) {
  await deps.suppressions.add({ id: `s-${address}`, email: address, origin: 'bounce', sourceId: null, createdAt: '2026-11-01T00:00:00.000Z' });
}

describe('sendBatch', () => {
  it('stores every email as queued and queues one job each, answering the ids in request order', async () => {
    const deps = setup();
    const result = await sendBatch(deps, principal, Array.from({ length: 100 }, (_, n) => email(n)), 'strict');
    expect(result).not.toHaveProperty('errors');
    expect(result.data).toHaveLength(100);
    expect(deps.outbound.jobs.map((j) => j.emailId)).toEqual(result.data.map((d) => d.id));
    result.data.forEach(({ id }, n) => expect(deps.emails.emails.get(id)).toMatchObject({ lastEvent: 'queued', subject: `Hi ${n}` }));
  });

  it('strict: refuses the whole batch naming each invalid email, and stores nothing', async () => {
    const deps = setup();
    const body = [email(0), { ...email(1), to: 'not an address' }, email(2), { ...email(3), subject: undefined }];
    await expect(sendBatch(deps, principal, body, 'strict')).rejects.toMatchObject({
      status: 422,
      message: expect.stringMatching(/2 of the 4 emails.*emails\[1\]: .*emails\[3\]: /),
    });
    expect(deps.emails.emails.size).toBe(0);
    expect(deps.outbound.jobs).toHaveLength(0);
  });

  it('permissive: sends the valid emails and reports the others by index', async () => {
    const deps = setup();
    const body = [email(0), { ...email(1), to: 'not an address' }, email(2)];
    const result = await sendBatch(deps, principal, body, 'permissive');
    expect(result.data).toHaveLength(2);
    expect(result.errors).toEqual([{ index: 1, message: expect.stringContaining('to') }]);
    expect(deps.outbound.jobs).toHaveLength(2);
  });

  it('treats an email whose recipients are all suppressed as invalid, in one suppression read', async () => {
    const deps = setup();
    await suppress(deps, 'user1@example.com');
    let reads = 0;
    const findMany = deps.suppressions.findMany.bind(deps.suppressions);
    deps.suppressions.findMany = async (emails) => {
      reads++;
      return findMany(emails);
    };
    await expect(sendBatch(deps, principal, [email(0), email(1)], 'strict')).rejects.toMatchObject({ kind: 'all_recipients_suppressed', message: expect.stringContaining('emails[1]') });
    expect(deps.emails.emails.size).toBe(0);

    const result = await sendBatch(deps, principal, [email(0), email(1), { ...email(2), to: ['user2@example.com', 'user1@example.com'] }], 'permissive');
    expect(result.data).toHaveLength(2);
    expect(result.errors).toEqual([{ index: 1, message: expect.stringContaining('user1@example.com (bounce)') }]);
    // The partly suppressed email keeps its suppressed recipient on record.
    expect(deps.emails.emails.get(result.data[1]!.id)!.suppressedRecipients).toEqual(['user1@example.com']);
    expect(reads).toBe(2);
  });

  it('stores an email with scheduled_at as scheduled and leaves it to the scheduler', async () => {
    const deps = setup();
    const result = await sendBatch(deps, principal, [email(0), { ...email(1), scheduled_at: 'in 1 hour' }], 'strict');
    expect(deps.emails.emails.get(result.data[1]!.id)).toMatchObject({ lastEvent: 'scheduled', scheduledAt: '2026-11-28T11:00:00.000Z' });
    expect(deps.outbound.jobs.map((j) => j.emailId)).toEqual([result.data[0]!.id]);
  });

  it('discards and reports the emails the queue would not take; the rest stand', async () => {
    const deps = setup();
    let failed: string | undefined;
    deps.outbound.enqueue = async (jobs) => {
      failed = jobs[1]!.emailId;
      throw new OutboundEnqueueError([failed], 'SQS did not take 1 of 3');
    };
    const result = await sendBatch(deps, principal, [email(0), email(1), email(2)], 'strict');
    expect(result.data.map((d) => d.id)).not.toContain(failed);
    expect(result.data).toHaveLength(2);
    expect(result.errors).toEqual([{ index: 1, message: expect.stringContaining('could not be queued') }]);
    expect(deps.emails.emails.has(failed!)).toBe(false);
  });

  it('strict: removes what it stored when the store fails part-way, and answers 503', async () => {
    const deps = setup();
    const create = deps.emails.create.bind(deps.emails);
    let calls = 0;
    deps.emails.create = async (record) => {
      if (++calls === 2) throw new Error('store down');
      return create(record);
    };
    await expect(sendBatch(deps, principal, [email(0), email(1), email(2)], 'strict')).rejects.toMatchObject({ status: 503 });
    expect(deps.emails.emails.size).toBe(0);
    expect(deps.outbound.jobs).toHaveLength(0);
  });

  it('refuses a body that is not an array of 1 to 100 emails', async () => {
    const deps = setup();
    await expect(sendBatch(deps, principal, email(0), 'strict')).rejects.toMatchObject({ status: 400 });
    await expect(sendBatch(deps, principal, [], 'strict')).rejects.toMatchObject({ status: 422, message: expect.stringContaining('empty') });
    await expect(sendBatch(deps, principal, Array.from({ length: 101 }, (_, n) => email(n)), 'strict')).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining('at most 100'),
    });
  });

  it('refuses a batch when no outbound queue is configured', async () => {
    const { outbound: _outbound, ...deps } = setup();
    await expect(sendBatch(deps, principal, [email(0)], 'strict')).rejects.toMatchObject({ status: 503 });
  });
});

describe('parseBatchValidation', () => {
  it('reads strict (the default) and permissive, and refuses anything else', () => {
    expect(parseBatchValidation(undefined)).toBe('strict');
    expect(parseBatchValidation('Permissive')).toBe('permissive');
    expect(() => parseBatchValidation('lenient')).toThrow('`x-batch-validation` must be `strict` or `permissive`');
  });
});
