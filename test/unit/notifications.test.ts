import { readFileSync } from 'node:fs';
import path from 'node:path';
import { failedSendNotification, notify, notifyScheduled, scheduledNotification, toNotificationPayload, webhookMessageId, type NotifyDeps } from '../../lambda/core/notifications';
import type { EmailRecord } from '../../lambda/core/email';
import { parseSesNotification } from '../../lambda/core/ses-events';
import type { TrackedEmail } from '../../lambda/core/tracking';
import type { NotificationPayload, WebhookJob, WebhookRecord } from '../../lambda/core/webhooks';
import { fixedClock } from '../helpers/in-memory';

const fixture = (name: string) => parseSesNotification(readFileSync(path.join(__dirname, '../fixtures/ses', name), 'utf8'));

const EMAIL_ID = '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11';

/** An email as the events path finds it by SES message ID (for events that carry no tags). */
const email: TrackedEmail = {
  id: EMAIL_ID,
  createdAt: '2026-11-28T00:00:00.000Z',
  from: { address: 'hello@acme.test', name: 'Acme' },
  to: [{ address: 'recipient@example.com' }],
  subject: 'Welcome',
  tags: [{ name: 'category', value: 'welcome' }],
};

/** An event publishing record as SES publishes it for mail Outbox sent: the sender's tags and Outbox's. */
function tagged(name: string, tags: Record<string, string[]>) {
  const record = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/ses', name), 'utf8')) as { mail: { tags: Record<string, string[]> } };
  record.mail.tags = { ...record.mail.tags, ...tags };
  return parseSesNotification(record);
}

describe('toNotificationPayload', () => {
  it('shapes a bounce as the resend SDK\'s email.bounced event from SES\'s mail object, echoing the sender\'s tags only', () => {
    const event = tagged('event-bounce-permanent.json', { 'outbox-message-id': [EMAIL_ID], 'outbox-other': ['x'], category: ['welcome'] });
    expect(toNotificationPayload(event, event.outboxId)).toEqual({
      type: 'email.bounced',
      created_at: '2017-08-05T00:41:02.669Z',
      data: {
        email_id: EMAIL_ID,
        created_at: '2017-08-05T00:40:02.012Z',
        message_id: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
        from: 'Sender Name <sender@example.com>',
        to: ['recipient@example.com'],
        subject: 'Message sent from Amazon SES',
        // SES's own `ses:` tags and Outbox's `outbox-` tags are not the sender's: they stay out.
        tags: { category: 'welcome' },
        recipients: ['recipient@example.com'],
        bounce: { message: 'smtp; 550 5.1.1 user unknown', type: 'Permanent', subType: 'General', diagnosticCode: ['smtp; 550 5.1.1 user unknown'] },
      },
    });
  });

  it("carries the email's custom headers from SES's mail.headers as [{ name, value }], and each bounced recipient's diagnostic code", () => {
    const record = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/ses/event-bounce-permanent.json'), 'utf8')) as {
      mail: { tags: Record<string, string[]>; headers: { name: string; value: string }[] };
      bounce: { bouncedRecipients: Record<string, string>[] };
    };
    record.mail.tags['outbox-message-id'] = [EMAIL_ID];
    record.mail.headers.push(
      { name: 'X-Entity-Ref-ID', value: 'order-42' },
      { name: 'List-Unsubscribe', value: '<https://acme.test/u>' },
      { name: 'X-SES-MESSAGE-TAGS', value: 'a=b' },
      { name: 'Message-ID', value: '<x@acme.test>' },
    );
    record.bounce.bouncedRecipients.push(
      { emailAddress: 'other@example.com', action: 'failed', status: '5.2.1', diagnosticCode: 'smtp; 550 5.2.1 mailbox disabled' },
      { emailAddress: 'third@example.com', action: 'failed', status: '5.0.0' },
    );
    const data = toNotificationPayload(parseSesNotification(record), EMAIL_ID)!.data;
    // From, To, Subject, MIME-Version, Content-Type, Message-ID and X-SES-* are Outbox's or SES's, not custom.
    expect(data.headers).toEqual([
      { name: 'X-Entity-Ref-ID', value: 'order-42' },
      { name: 'List-Unsubscribe', value: '<https://acme.test/u>' },
    ]);
    expect(data.bounce?.diagnosticCode).toEqual(['smtp; 550 5.1.1 user unknown', 'smtp; 550 5.2.1 mailbox disabled']);
    expect(toNotificationPayload(fixture('event-delivery.json'), EMAIL_ID)!.data).not.toHaveProperty('headers');
  });

  it('describes the email from its record when one is given (a feedback notification carries no tags)', () => {
    const event = fixture('notification-bounce-permanent-without-dsn.json');
    expect(event.tags).toEqual({});
    expect(toNotificationPayload(event, EMAIL_ID, email)!.data).toMatchObject({
      email_id: EMAIL_ID,
      created_at: email.createdAt,
      from: 'Acme <hello@acme.test>',
      to: ['recipient@example.com'],
      subject: 'Welcome',
      tags: { category: 'welcome' },
    });
  });

  it('describes mail Outbox did not send from what SES says of it', () => {
    const payload = toNotificationPayload(fixture('event-click.json'), undefined)!;
    expect(payload.type).toBe('email.clicked');
    expect(payload.data).toMatchObject({ email_id: null, from: 'sender@example.com', subject: 'Message sent from Amazon SES', tags: { myCustomTag1: 'myCustomValue1' } });
    expect(payload.data.click).toMatchObject({ link: 'http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html', ipAddress: '192.0.2.1' });
  });

  it.each([
    ['event-send.json', 'email.sent'],
    ['event-delivery.json', 'email.delivered'],
    ['event-delivery-delay.json', 'email.delivery_delayed'],
    ['event-complaint.json', 'email.complained'],
    ['event-open.json', 'email.opened'],
    ['event-reject.json', 'email.failed'],
    ['event-rendering-failure.json', 'email.failed'],
    ['observed-simulator-notification-bounce-ooto.json', 'email.auto_replied'],
    ['observed-sns-envelope-notification-bounce-onaccountsuppressionlist.json', 'email.suppressed'],
  ])('names %s as %s', (name, type) => {
    expect(toNotificationPayload(fixture(name), EMAIL_ID)!.type).toBe(type);
  });

  it('sends no notification for a Subscription event', () => {
    expect(toNotificationPayload(fixture('event-subscription.json'), EMAIL_ID)).toBeUndefined();
  });
});

describe('notify', () => {
  const webhook = (id: string, patch: Partial<WebhookRecord> = {}): WebhookRecord => ({
    id,
    endpoint: 'https://hooks.example.com/x',
    events: null,
    status: 'enabled',
    signingSecret: 'whsec_x',
    createdAt: '2026-11-28T00:00:00.000Z',
    ...patch,
  });

  function setup(webhooks: WebhookRecord[]) {
    const published: NotificationPayload[] = [];
    const jobs: WebhookJob[] = [];
    const deps: NotifyDeps = {
      topic: { publish: async (p) => void published.push(p) },
      subscriptions: { subscribersOf: async (type) => webhooks.filter((w) => w.status === 'enabled' && (w.events === null || w.events.includes(type))) },
      queue: { enqueue: async (j) => void jobs.push(...j) },
      clock: fixedClock('2026-11-28T00:00:01.000Z'),
    };
    return { deps, published, jobs };
  }

  it('publishes to the topic and queues one job per subscribed webhook, carrying the message for the delivery log', async () => {
    const { deps, published, jobs } = setup([webhook('all'), webhook('bounces', { events: ['email.bounced'] }), webhook('opens', { events: ['email.opened'] })]);
    const payload = toNotificationPayload(fixture('event-bounce-permanent.json'), EMAIL_ID)!;
    await notify(deps, payload, 'key-1');
    expect(published).toEqual([payload]);
    expect(jobs.map((j) => j.webhookId)).toEqual(['all', 'bounces']);
    expect(jobs.every((j) => j.message?.payload === payload && j.message.type === 'email.bounced' && j.message.createdAt === '2026-11-28T00:00:01.000Z')).toBe(true);
  });

  it('gives the same message id on a redelivery of the event', async () => {
    const { deps, jobs } = setup([webhook('all')]);
    const payload = toNotificationPayload(fixture('event-delivery.json'), EMAIL_ID)!;
    await notify(deps, payload, 'key-1');
    await notify(deps, payload, 'key-1');
    expect(jobs).toHaveLength(2);
    expect(jobs[0]!.messageId).toBe(webhookMessageId('key-1', 'all', payload.created_at));
    expect(jobs[0]!.messageId).toMatch(/^msg_[0-9a-f-]{36}$/);
    expect(jobs[1]!.messageId).toBe(jobs[0]!.messageId);
  });

  it('gives an email Outbox failed the same message id when a retry fails it again later, and only when it is the same email', async () => {
    const { deps, jobs, published } = setup([webhook('all')]);
    const reason = { name: 'validation_error', message: 'SES rejected the message: Illegal address. Nothing was sent.' };
    const first = failedSendNotification(email, ['recipient@example.com'], { ...reason, failedAt: '2026-11-28T00:00:05.000Z' });
    const retried = failedSendNotification(email, ['recipient@example.com'], { ...reason, failedAt: '2026-11-28T00:06:05.000Z' });
    const other = failedSendNotification({ ...email, id: '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b12' }, ['recipient@example.com'], { ...reason, failedAt: '2026-11-28T00:00:05.000Z' });
    for (const n of [first, retried, other]) await notify(deps, n.payload, n.eventKey, n.orderedAt);

    expect(first.eventKey).toBe(`failed-${EMAIL_ID}`);
    expect(published.map((p) => p.created_at)).toEqual(['2026-11-28T00:00:05.000Z', '2026-11-28T00:06:05.000Z', '2026-11-28T00:00:05.000Z']);
    expect(jobs[1]!.messageId).toBe(jobs[0]!.messageId);
    expect(jobs[2]!.messageId).not.toBe(jobs[0]!.messageId);
    expect(jobs[0]!.messageId).toBe(webhookMessageId(`failed-${EMAIL_ID}`, 'all', email.createdAt));
  });

  it("carries the failed email's custom headers when it set any", () => {
    const failure = { name: 'validation_error', message: 'SES refused it', failedAt: '2026-11-28T00:00:05.000Z' };
    const withHeaders = failedSendNotification({ ...email, headers: [{ name: 'X-Entity-Ref-ID', value: 'order-42' }] }, ['recipient@example.com'], failure);
    expect(withHeaders.payload.data).toMatchObject({ headers: [{ name: 'X-Entity-Ref-ID', value: 'order-42' }] });
    expect(failedSendNotification({ ...email, headers: [] }, ['recipient@example.com'], failure).payload.data).not.toHaveProperty('headers');
  });
});

describe('email.scheduled', () => {
  const scheduled: EmailRecord = {
    id: EMAIL_ID,
    createdAt: '2026-11-28T00:00:00.000Z',
    apiKeyId: 'key-1',
    lastEvent: 'scheduled',
    scheduledAt: '2026-11-29T09:00:00.000Z',
    expiresAt: 0,
    from: { address: 'hello@acme.test', name: 'Acme' },
    to: [{ address: 'Ada@Example.com' }, { address: 'gone@example.com' }],
    cc: [],
    bcc: [{ address: 'audit@acme.test' }],
    replyTo: [],
    subject: 'Later',
    text: 'x',
    headers: [{ name: 'X-Entity-Ref-ID', value: 'order-42' }],
    tags: [{ name: 'category', value: 'reminder' }],
    attachments: [],
  };
  const sendable = { to: [{ address: 'Ada@Example.com' }], cc: [], bcc: [{ address: 'audit@acme.test' }] };

  it('describes the accepted email as the SDK types email.scheduled, with its custom headers, and a stable key', () => {
    expect(scheduledNotification(scheduled, sendable)).toEqual({
      eventKey: `scheduled-${EMAIL_ID}`,
      orderedAt: scheduled.createdAt,
      payload: {
        type: 'email.scheduled',
        created_at: scheduled.createdAt,
        data: {
          email_id: EMAIL_ID,
          created_at: scheduled.createdAt,
          message_id: null,
          from: 'Acme <hello@acme.test>',
          to: ['Ada@Example.com', 'gone@example.com'],
          subject: 'Later',
          tags: { category: 'reminder' },
          headers: [{ name: 'X-Entity-Ref-ID', value: 'order-42' }],
          recipients: ['ada@example.com', 'audit@acme.test'],
        },
      },
    });
    expect(scheduledNotification({ ...scheduled, headers: [], tags: [] }, sendable).payload.data).not.toHaveProperty('headers');
  });

  it('notifies once through notify, and only warns when that fails', async () => {
    const sent: [NotificationPayload, string, string | undefined][] = [];
    await notifyScheduled({ notify: async (payload, key, orderedAt) => void sent.push([payload, key, orderedAt]) }, { email: scheduled, sendable });
    expect(sent.map(([payload, key, orderedAt]) => [payload.type, key, orderedAt])).toEqual([['email.scheduled', `scheduled-${EMAIL_ID}`, scheduled.createdAt]]);

    const warnings: string[] = [];
    const failing = async () => {
      throw new Error('topic down');
    };
    await expect(notifyScheduled({ notify: failing, warn: (message) => warnings.push(message) }, { email: scheduled, sendable })).resolves.toBeUndefined();
    expect(warnings).toEqual([`The email.scheduled notification of email ${EMAIL_ID} could not be sent`]);
  });
});
