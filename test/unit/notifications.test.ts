import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EmailRecord } from '../../lambda/core/email';
import { notify, toNotificationPayload, webhookMessageId, type NotifyDeps } from '../../lambda/core/notifications';
import { parseSesNotification } from '../../lambda/core/ses-events';
import type { NotificationPayload, WebhookJob, WebhookMessage, WebhookRecord, WebhookStore } from '../../lambda/core/webhooks';
import { fixedClock } from '../helpers/in-memory';

const fixture = (name: string) => parseSesNotification(readFileSync(path.join(__dirname, '../fixtures/ses', name), 'utf8'));

const email: EmailRecord = {
  id: '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11',
  createdAt: '2026-11-28T00:00:00.000Z',
  apiKeyId: 'k',
  lastEvent: 'sent',
  expiresAt: 0,
  from: { address: 'hello@acme.test', name: 'Acme' },
  to: [{ address: 'recipient@example.com' }],
  cc: [],
  bcc: [],
  replyTo: [],
  subject: 'Welcome',
  text: 'Hi',
  headers: [],
  tags: [{ name: 'category', value: 'welcome' }],
  attachments: [],
};

describe('toNotificationPayload', () => {
  it('shapes a bounce as the resend SDK\'s email.bounced event, with the email\'s tags', () => {
    expect(toNotificationPayload(fixture('event-bounce-permanent.json'), email)).toEqual({
      type: 'email.bounced',
      created_at: '2017-08-05T00:41:02.669Z',
      data: {
        email_id: email.id,
        created_at: email.createdAt,
        message_id: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
        from: 'Acme <hello@acme.test>',
        to: ['recipient@example.com'],
        subject: 'Welcome',
        tags: { category: 'welcome' },
        recipients: ['recipient@example.com'],
        bounce: { message: 'smtp; 550 5.1.1 user unknown', type: 'Permanent', subType: 'General' },
      },
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
    expect(toNotificationPayload(fixture(name), email)!.type).toBe(type);
  });

  it('sends no notification for a Subscription event', () => {
    expect(toNotificationPayload(fixture('event-subscription.json'), email)).toBeUndefined();
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
    const messages = new Map<string, WebhookMessage>();
    const jobs: WebhookJob[] = [];
    const store = {
      putMessage: async (m: WebhookMessage) => (messages.has(m.id) ? false : (messages.set(m.id, m), true)),
      getMessage: async (_w: string, id: string) => messages.get(id),
    } as unknown as WebhookStore;
    const deps: NotifyDeps = {
      topic: { publish: async (p) => void published.push(p) },
      subscriptions: { subscribersOf: async (type) => webhooks.filter((w) => w.status === 'enabled' && (w.events === null || w.events.includes(type))) },
      webhooks: store,
      queue: { enqueue: async (j) => void jobs.push(...j) },
      clock: fixedClock('2026-11-28T00:00:01.000Z'),
    };
    return { deps, published, messages, jobs };
  }

  it('publishes to the topic and queues one message per subscribed webhook', async () => {
    const { deps, published, jobs, messages } = setup([webhook('all'), webhook('bounces', { events: ['email.bounced'] }), webhook('opens', { events: ['email.opened'] })]);
    const payload = toNotificationPayload(fixture('event-bounce-permanent.json'), email)!;
    await notify(deps, payload, 'key-1');
    expect(published).toEqual([payload]);
    expect(jobs.map((j) => j.webhookId)).toEqual(['all', 'bounces']);
    expect([...messages.values()].every((m) => m.status === 'attempting' && m.payload === payload)).toBe(true);
  });

  it('gives the same message id on a redelivery and does not queue a message already tried', async () => {
    const { deps, jobs, messages } = setup([webhook('all')]);
    const payload = toNotificationPayload(fixture('event-delivery.json'), email)!;
    await notify(deps, payload, 'key-1');
    const id = jobs[0]!.messageId;
    expect(id).toBe(webhookMessageId('key-1', 'all', payload.created_at));
    expect(id).toMatch(/^msg_[0-9a-f-]{36}$/);
    await notify(deps, payload, 'key-1');
    expect(jobs).toHaveLength(2);
    messages.set(id, { ...messages.get(id)!, attempts: 1, status: 'pending' });
    await notify(deps, payload, 'key-1');
    expect(jobs).toHaveLength(2);
  });
});
