import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SnsClient } from '../../lambda/adapters/aws/sns';
import { SnsNotificationTopic } from '../../lambda/adapters/sns-notification-topic';
import { notificationBatch, toNotificationPayload, webhookMessageId, type NotifyDeps } from '../../lambda/core/notifications';
import { parseSesNotification } from '../../lambda/core/ses-events';
import type { NotificationPayload, WebhookJob } from '../../lambda/core/webhooks';
import { fixedClock } from '../helpers/in-memory';

const EMAIL_ID = '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11';
const payload = (file: string): NotificationPayload =>
  toNotificationPayload(parseSesNotification(JSON.parse(readFileSync(path.join(__dirname, '../fixtures/ses', file), 'utf8'))), EMAIL_ID)!;

function setup(options: { refuse?: (p: NotificationPayload) => boolean; queueFails?: boolean } = {}) {
  const batches: NotificationPayload[][] = [];
  const enqueues: WebhookJob[][] = [];
  const deps: NotifyDeps = {
    topic: {
      publish: async () => {
        throw new Error('the batch publishes with publishBatch only');
      },
      publishBatch: async (payloads) => {
        batches.push([...payloads]);
        return payloads.map((p) => (options.refuse?.(p) ? new Error(`refused ${p.type}`) : undefined));
      },
    },
    subscriptions: { subscribersOf: async () => [{ id: 'wh', endpoint: 'https://hooks.example.com', events: null, status: 'enabled', signingSecret: 'whsec_x', createdAt: '2026-11-28T00:00:00.000Z' }] },
    queue: {
      enqueue: async (jobs) => {
        if (options.queueFails) throw new Error('SQS is down');
        enqueues.push([...jobs]);
      },
    },
    clock: fixedClock('2026-11-28T00:00:01.000Z'),
  };
  return { deps, batches, enqueues };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('notificationBatch', () => {
  it('sends the notifications of a batch together once every record is waiting or done: one publishBatch, one enqueue', async () => {
    const { deps, batches, enqueues } = setup();
    const [a, b, c] = notificationBatch(deps, 3);
    const delivered = payload('event-delivery.json');
    const bounced = payload('event-bounce-permanent.json');
    const first = a!.notify(delivered, 'key-a');
    await tick();
    expect(batches).toHaveLength(0); // b and c still run
    c!.done(); // c notifies nothing
    await tick();
    expect(batches).toHaveLength(0);
    const second = b!.notify(bounced, 'key-b');
    await Promise.all([first, second]);
    expect(batches).toEqual([[delivered, bounced]]);
    expect(enqueues).toHaveLength(1);
    expect(enqueues[0]!.map((job) => job.messageId)).toEqual([webhookMessageId('key-a', 'wh', delivered.created_at), webhookMessageId('key-b', 'wh', bounced.created_at)]);
    a!.done();
    b!.done();
  });

  it('rejects only the notify whose payload the topic refused, and queues no job for it', async () => {
    const { deps, enqueues } = setup({ refuse: (p) => p.type === 'email.bounced' });
    const [a, b] = notificationBatch(deps, 2);
    const results = await Promise.allSettled([a!.notify(payload('event-delivery.json'), 'key-a'), b!.notify(payload('event-bounce-permanent.json'), 'key-b')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(enqueues.flat().map((job) => job.message?.type)).toEqual(['email.delivered']);
  });

  it('rejects every notify of the send when the webhook jobs cannot be queued, so each is retried', async () => {
    const { deps } = setup({ queueFails: true });
    const [a, b] = notificationBatch(deps, 2);
    const results = await Promise.allSettled([a!.notify(payload('event-delivery.json'), 'key-a'), b!.notify(payload('event-bounce-permanent.json'), 'key-b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('sends nothing for a batch where no record notifies', async () => {
    const { deps, batches } = setup();
    for (const slot of notificationBatch(deps, 3)) slot.done();
    await tick();
    expect(batches).toHaveLength(0);
  });

  it('refuses a notify after done(), which a record cannot batch any more', async () => {
    const { deps } = setup();
    const [a, b] = notificationBatch(deps, 2);
    a!.done();
    await expect(a!.notify(payload('event-delivery.json'), 'key-a')).rejects.toThrow(/after done/);
    b!.done();
  });
});

describe('SnsNotificationTopic.publishBatch (SNS client mocked to inject a partial failure)', () => {
  it('publishes 10 a request and reports the entries SNS refused as their errors', async () => {
    const sns = new SnsClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const requests: number[] = [];
    sns.publishBatch = async (input) => {
      const entries = input.PublishBatchRequestEntries;
      requests.push(entries.length);
      return { Successful: entries.filter((e) => e.Id !== '3').map((e) => ({ Id: e.Id })), Failed: entries.filter((e) => e.Id === '3').map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false })) };
    };
    const topic = new SnsNotificationTopic(sns, 'arn:aws:sns:us-east-1:123456789012:outbox');
    const payloads = Array.from({ length: 12 }, () => payload('event-delivery.json'));
    const results = await topic.publishBatch(payloads);
    expect(requests.sort()).toEqual([10, 2]);
    expect(results.map((r, i) => (r ? i : -1)).filter((i) => i >= 0)).toEqual([3]);
    expect(results[3]!.message).toMatch(/InternalError/);
  });
});
