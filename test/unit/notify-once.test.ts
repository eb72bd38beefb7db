import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../lambda/core/ports';
import { parseSesNotification, type SesEvent } from '../../lambda/core/ses-events';
import { NOTIFICATION_LEASE_MS, recordSesEvent, type TrackingDeps } from '../../lambda/core/tracking';
import type { NotificationPayload } from '../../lambda/core/webhooks';
import { InMemorySuppressionList } from '../helpers/in-memory';
import { InMemorySoftBounceCounter, InMemoryTrackingStore } from '../helpers/in-memory-tracking';

const fixtures = path.join(__dirname, '../fixtures/ses');
const EMAIL_ID = '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11';

/** AWS's example record, tagged as Outbox tags its sends. */
function event(name: string): SesEvent {
  const record = JSON.parse(readFileSync(path.join(fixtures, name), 'utf8')) as { mail: { tags?: Record<string, string[]> } };
  record.mail.tags = { ...record.mail.tags, 'outbox-message-id': [EMAIL_ID] };
  return parseSesNotification(record);
}

/** A clock the test moves. */
function movableClock(iso: string): Clock & { advance(ms: number): void } {
  let ms = Date.parse(iso);
  return { now: () => new Date(ms), advance: (by) => void (ms += by) };
}

function setup() {
  const tracking = new InMemoryTrackingStore();
  const clock = movableClock('2026-12-01T00:00:00.000Z');
  const sent: { payload: NotificationPayload; eventKey: string }[] = [];
  const logged: string[] = [];
  let failNotify = 0;
  const deps: TrackingDeps = {
    tracking,
    suppressions: new InMemorySuppressionList(),
    softBounces: new InMemorySoftBounceCounter(),
    softBouncePolicy: { limit: 3, windowDays: 7 },
    clock,
    notify: async (payload, eventKey) => {
      if (failNotify > 0) {
        failNotify -= 1;
        throw new Error('SNS is down');
      }
      sent.push({ payload, eventKey });
    },
    log: (message) => void logged.push(message),
  };
  return { deps, tracking, clock, sent, logged, failNextNotify: () => void (failNotify += 1) };
}

describe('recordSesEvent notifies each SES event once', () => {
  it('notifies the first delivery and not the redeliveries', async () => {
    const { deps, sent } = setup();
    const delivery = event('event-delivery.json');
    expect(await recordSesEvent(deps, delivery)).toMatchObject({ firstTime: true, notified: true });
    expect(await recordSesEvent(deps, delivery)).toMatchObject({ firstTime: false, notified: false });
    expect(await recordSesEvent(deps, event('event-delivery.json'))).toMatchObject({ firstTime: false, notified: false });
    expect(sent.map((s) => s.payload.type)).toEqual(['email.delivered']);
  });

  it('notifies every distinct event once whatever the order and however often it comes', async () => {
    const names = ['event-send.json', 'event-delivery.json', 'event-delivery-delay.json', 'event-open.json', 'event-click.json', 'event-bounce-permanent.json', 'event-complaint.json'];
    const inOrder = setup();
    for (const name of names) await recordSesEvent(inOrder.deps, event(name));
    const shuffled = setup();
    for (const order of [[...names].reverse(), [...names.slice(3), ...names.slice(0, 3)], [...names]]) {
      for (const name of order) await recordSesEvent(shuffled.deps, event(name));
    }
    const sorted = (list: typeof inOrder.sent) => list.map((s) => `${s.payload.type} ${s.eventKey}`).sort();
    expect(inOrder.sent).toHaveLength(7);
    expect(sorted(shuffled.sent)).toEqual(sorted(inOrder.sent));
  });

  it('dedupes one event arriving in both SES formats, as feedbackId keys it', async () => {
    const { deps, sent } = setup();
    const bounce = event('event-bounce-permanent.json');
    await recordSesEvent(deps, bounce);
    // The same bounce through the identity's notification topic: untagged, found by SES message ID.
    const notification = parseSesNotification({ ...JSON.parse(readFileSync(path.join(fixtures, 'event-bounce-permanent.json'), 'utf8')), eventType: undefined, notificationType: 'Bounce' });
    expect(notification.eventKey).toBe(bounce.eventKey);
    deps.tracking.findEmail = async () => ({ id: EMAIL_ID, createdAt: '2026-12-01T00:00:00.000Z', from: { address: 'sender@example.com' }, to: [], tags: [] });
    expect(await recordSesEvent(deps, notification)).toMatchObject({ emailId: EMAIL_ID, firstTime: false, notified: false });
    expect(sent).toHaveLength(1);
  });

  it('gives the claim back when notifying fails, so the retry notifies', async () => {
    const { deps, sent, failNextNotify, tracking } = setup();
    const delivery = event('event-delivery.json');
    failNextNotify();
    await expect(recordSesEvent(deps, delivery)).rejects.toThrow('SNS is down');
    expect(tracking.item(EMAIL_ID, delivery)?.notifyClaim).toBe(0);
    expect(await recordSesEvent(deps, delivery)).toMatchObject({ firstTime: false, notified: true });
    expect(await recordSesEvent(deps, delivery)).toMatchObject({ notified: false });
    expect(sent).toHaveLength(1);
  });

  it('gives the claim back when the suppression list fails before notifying', async () => {
    const { deps, sent } = setup();
    const bounce = event('event-bounce-permanent.json');
    const add = deps.suppressions.add.bind(deps.suppressions);
    let failed = false;
    deps.suppressions.add = async (record) => {
      if (!failed) {
        failed = true;
        throw new Error('DynamoDB is throttling');
      }
      return add(record);
    };
    await expect(recordSesEvent(deps, bounce)).rejects.toThrow('throttling');
    expect(sent).toHaveLength(0);
    expect(await recordSesEvent(deps, bounce)).toMatchObject({ notified: true });
    expect(sent).toHaveLength(1);
  });

  it('leaves a claim a live delivery holds alone, and takes over one left by a delivery that died, once', async () => {
    const { deps, sent, tracking, clock } = setup();
    const delivery = event('event-delivery.json');
    // A delivery that claimed the notification and died before sending it.
    await tracking.appendEvent(EMAIL_ID, { eventKey: delivery.eventKey, type: delivery.type, occurredAt: delivery.occurredAt, recipients: delivery.recipients, sesMessageId: delivery.sesMessageId, detail: delivery.detail }, clock.now().getTime());
    clock.advance(NOTIFICATION_LEASE_MS - 1);
    expect(await recordSesEvent(deps, delivery)).toMatchObject({ notified: false });
    clock.advance(1);
    expect(await recordSesEvent(deps, delivery)).toMatchObject({ notified: true });
    clock.advance(NOTIFICATION_LEASE_MS * 10);
    expect(await recordSesEvent(deps, delivery)).toMatchObject({ notified: false });
    expect(sent).toHaveLength(1);
  });

  it('does not fail an event whose notification was sent but not recorded sent, and logs it', async () => {
    const { deps, sent, tracking, logged } = setup();
    tracking.markNotified = async () => {
      throw new Error('DynamoDB is unreachable');
    };
    expect(await recordSesEvent(deps, event('event-open.json'))).toMatchObject({ notified: true });
    expect(sent).toHaveLength(1);
    expect(logged).toEqual([expect.stringMatching(/was sent but not recorded sent/)]);
  });

  it('treats an entry stored before notifications were claimed as notified, and settles it', async () => {
    const { deps, sent, tracking, clock } = setup();
    const click = event('event-click.json');
    await tracking.appendEvent(EMAIL_ID, { eventKey: click.eventKey, type: click.type, occurredAt: click.occurredAt, recipients: click.recipients, sesMessageId: click.sesMessageId, detail: click.detail });
    expect(await recordSesEvent(deps, click)).toMatchObject({ firstTime: false, notified: false });
    clock.advance(NOTIFICATION_LEASE_MS * 2);
    expect(await recordSesEvent(deps, click)).toMatchObject({ notified: false });
    expect(sent).toHaveLength(0);
  });

  it('claims nothing for an event that notifies no one (Subscription) or where nothing listens', async () => {
    const { deps, tracking } = setup();
    const subscription = parseSesNotification(readFileSync(path.join(fixtures, 'event-subscription.json'), 'utf8'));
    expect(await recordSesEvent(deps, subscription)).toMatchObject({ firstTime: true, notified: false });
    const { notify: _notify, ...silent } = deps;
    const open = event('event-open.json');
    expect(await recordSesEvent(silent, open)).toMatchObject({ firstTime: true, notified: false });
    expect(tracking.item(EMAIL_ID, open)).toEqual({ entry: expect.objectContaining({ eventKey: open.eventKey }) });
  });
});
