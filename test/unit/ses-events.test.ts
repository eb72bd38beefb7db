import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { OutboxError } from '../../lambda/core/errors';
import { isAutoResponse, parseSesNotification } from '../../lambda/core/ses-events';

const fixtures = path.join(__dirname, '../fixtures/ses');
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(fixtures, name), 'utf8')) as Record<string, unknown>;
const inEnvelope = (record: unknown, messageId = 'sns-1') => ({
  Type: 'Notification',
  MessageId: messageId,
  TopicArn: 'arn:aws:sns:us-east-1:123456789012:ses-events',
  Subject: 'Amazon SES Email Event Notification',
  Message: `${JSON.stringify(record)}\n`,
  Timestamp: '2026-11-28T00:00:00.000Z',
});

describe('parseSesNotification', () => {
  const sesRecords = readdirSync(fixtures).filter((name) => /^(event|notification|observed-simulator)-.*\.json$/.test(name));

  it.each(sesRecords)('reads AWS payload %s bare, in an SNS envelope and as envelope text', (name) => {
    const record = fixture(name);
    const bare = parseSesNotification(record);
    const wrapped = parseSesNotification(inEnvelope(record));
    const asText = parseSesNotification(JSON.stringify(inEnvelope(record)));
    expect(bare.sesMessageId).toBe((record.mail as { messageId: string }).messageId);
    expect(wrapped).toEqual({ ...bare, snsMessageId: 'sns-1' });
    expect(asText).toEqual(wrapped);
  });

  it('reads the Lambda SNS record form', () => {
    const event = parseSesNotification({ EventSource: 'aws:sns', Sns: { ...inEnvelope(fixture('event-delivery.json')), SigningCertUrl: 'x' } });
    expect(event.type).toBe('Delivery');
  });

  it('reads the AWS SNS envelope of an on-account-suppression-list bounce', () => {
    const event = parseSesNotification(fixture('observed-sns-envelope-notification-bounce-onaccountsuppressionlist.json'));
    expect(event).toMatchObject({ type: 'Bounce', format: 'notification', recipients: ['relayuser@test.com'] });
    expect(event.detail).toMatchObject({ bounceType: 'Permanent', bounceSubType: 'OnAccountSuppressionList' });
  });

  it('names Rendering Failure without its space and keeps custom tags without the ses: ones', () => {
    expect(parseSesNotification(fixture('event-rendering-failure.json')).type).toBe('RenderingFailure');
    expect(parseSesNotification(fixture('event-delivery.json')).tags).toEqual({ myCustomTag1: 'myCustomTagValue1', myCustomTag2: 'myCustomTagValue2' });
  });

  it('finds Outbox\'s id in the outbox-message-id tag', () => {
    const record = fixture('event-send.json');
    (record.mail as { tags: Record<string, string[]> }).tags['outbox-message-id'] = ['019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11'];
    expect(parseSesNotification(record).outboxId).toBe('019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11');
  });

  it('keys bounces and complaints by feedbackId, so both families dedupe to one event', () => {
    const bounce = parseSesNotification(fixture('event-bounce-permanent.json'));
    expect(bounce.eventKey).toBe('fb-Bounce-01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000');
    const redelivered = parseSesNotification(inEnvelope(fixture('event-bounce-permanent.json'), 'sns-other'));
    expect(redelivered.eventKey).toBe(bounce.eventKey);
  });

  it('keys other events by what they say, stable across redeliveries', () => {
    const a = parseSesNotification(inEnvelope(fixture('event-delivery.json'), 'one'));
    const b = parseSesNotification(inEnvelope(fixture('event-delivery.json'), 'two'));
    expect(a.eventKey).toBe(b.eventKey);
    expect(a.eventKey).not.toBe(parseSesNotification(fixture('event-open.json')).eventKey);
  });

  it('tolerates fields SES adds later', () => {
    const record = { ...fixture('event-delivery.json'), brandNewField: { x: 1 } };
    expect(parseSesNotification(record).type).toBe('Delivery');
  });

  it('recognizes the simulator\'s auto-response and not a real soft bounce', () => {
    expect(isAutoResponse(parseSesNotification(fixture('observed-simulator-notification-bounce-ooto.json')).detail)).toBe(true);
    expect(isAutoResponse(parseSesNotification(fixture('observed-simulator-notification-bounce.json')).detail)).toBe(false);
  });

  it.each([
    ['not JSON', '{nope', /not JSON/],
    ['an array', [], /JSON object/],
    ['a subscription confirmation', fixture('sns-subscription-confirmation.json'), /SubscriptionConfirmation carries no SES event/],
    ['an envelope with a non-JSON message', { Type: 'Notification', Message: 'Hello world!' }, /SNS Message is not JSON/],
    ['no type', { mail: { messageId: 'x' } }, /no eventType or notificationType/],
    ['an unknown eventType', { eventType: 'Teleport', mail: { messageId: 'x' } }, /unknown eventType/],
    ['no messageId', { eventType: 'Send', mail: {} }, /mail\.messageId is missing/],
    ['a bounce without recipients', { eventType: 'Bounce', mail: { messageId: 'x', timestamp: '2026-01-01T00:00:00Z' }, bounce: { bounceType: 'Permanent', bouncedRecipients: [] } }, /bouncedRecipients/],
  ])('refuses %s with a clear message', (_case, input, message) => {
    let error: unknown;
    try {
      parseSesNotification(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OutboxError);
    expect((error as OutboxError).message).toMatch(message);
  });
});
