import { OutboxError } from '../../lambda/core/errors';
import { sendEmail, type SendEmailDeps } from '../../lambda/core/send-email';
import { fixedClock, InMemoryEmailStore, InMemorySuppressionList, RecordingSender } from '../helpers/in-memory';
import { RecordingOutboundQueue } from '../helpers/in-memory-scheduling';

const principal = { keyId: 'key-1', scope: 'full_access' as const };
const body = { from: 'a@acme.test', to: 'b@example.com', subject: 'Hi', text: 'Hello' };

function deps() {
  return {
    emails: new InMemoryEmailStore(),
    sender: new RecordingSender(),
    suppressions: new InMemorySuppressionList(),
    outbound: new RecordingOutboundQueue(),
    clock: fixedClock('2026-11-28T10:00:00.000Z'),
    configurationSet: 'outbox',
    retentionDays: 90,
  } satisfies SendEmailDeps;
}

describe('sendEmail when SES throttles or pauses', () => {
  it('keeps a throttled email queued on the outbound queue and answers with its id', async () => {
    const d = deps();
    d.sender.failWith = new OutboxError('rate_limited', 'throttled');
    const { id } = await sendEmail(d, principal, body);
    expect(d.emails.emails.get(id)!.lastEvent).toBe('queued');
    expect(d.outbound.jobs).toEqual([{ emailId: id }]);
  });

  it('answers 429 and keeps nothing when the throttled email cannot be queued', async () => {
    const d = deps();
    d.sender.failWith = new OutboxError('rate_limited', 'throttled');
    d.outbound.failWith = new Error('SQS down');
    await expect(sendEmail(d, principal, body)).rejects.toMatchObject({ status: 429 });
    expect(d.emails.emails.size).toBe(0);
  });

  it('answers 429 as before without an outbound queue', async () => {
    const { outbound: _outbound, ...d } = deps();
    d.sender.failWith = new OutboxError('rate_limited', 'throttled');
    await expect(sendEmail(d, principal, body)).rejects.toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
  });

  it('refuses with 503 when sending is paused, keeps nothing, and says queued emails wait', async () => {
    const d = deps();
    d.sender.failWith = new OutboxError('sending_paused', 'paused');
    await expect(sendEmail(d, principal, body)).rejects.toMatchObject({
      status: 503,
      code: 'application_error',
      message: expect.stringMatching(/paused.*not sent and not kept.*batch.*stay queued/),
    });
    expect(d.emails.emails.size).toBe(0);
    expect(d.outbound.jobs).toHaveLength(0);
  });
});
