import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { handleSesEventBatch, type EventsDeps } from '../../lambda/entrypoints/sqs-events';
import { buildEventsDeps } from '../../lambda/wiring';
import { fixedClock, InMemorySuppressionList } from '../helpers/in-memory';
import { InMemorySoftBounceCounter, InMemoryTrackingStore } from '../helpers/in-memory-tracking';

const fixtures = path.join(__dirname, '../fixtures/ses');
const EMAIL_ID = '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11';

function envelope(name: string, patch: (record: Record<string, any>) => void = () => undefined): string {
  const record = JSON.parse(readFileSync(path.join(fixtures, name), 'utf8')) as Record<string, any>;
  record.mail.tags = { ...record.mail.tags, 'outbox-message-id': [EMAIL_ID] };
  patch(record);
  return JSON.stringify({ Type: 'Notification', MessageId: `sns-${name}`, Message: JSON.stringify(record) });
}

function sqsEvent(bodies: [string, string][], receiveCount = '1'): SQSEvent {
  return { Records: bodies.map(([messageId, body]) => ({ messageId, body, attributes: { ApproximateReceiveCount: receiveCount } }) as unknown as SQSRecord) };
}

function setup() {
  const logged: { message: string; error?: unknown }[] = [];
  const tracking = new InMemoryTrackingStore();
  const published: string[] = [];
  const deps: EventsDeps = {
    tracking,
    suppressions: new InMemorySuppressionList(),
    softBounces: new InMemorySoftBounceCounter(),
    softBouncePolicy: { limit: 3, windowDays: 7 },
    clock: fixedClock('2026-12-01T00:00:00.000Z'),
    notify: async (payload) => void published.push(payload.type),
    log: (message, error) => void logged.push({ message, error }),
  };
  return { deps, tracking, logged, published };
}

describe('handleSesEventBatch', () => {
  it('processes the good records and reports the malformed and the failing ones alone', async () => {
    const { deps, tracking, logged, published } = setup();
    const append = tracking.appendEvent.bind(tracking);
    tracking.appendEvent = async (owner, entry, claimAt) => {
      if (entry.type === 'Click') throw new Error('ProvisionedThroughputExceededException');
      return append(owner, entry, claimAt);
    };
    const result = await handleSesEventBatch(
      deps,
      sqsEvent(
        [
          ['good', envelope('event-delivery.json')],
          ['proto', envelope('event-send.json', (r) => (r.eventType = '__proto__'))],
          ['huge', envelope('event-bounce-permanent.json', (r) => (r.bounce.bouncedRecipients = Array.from({ length: 51 }, (_, i) => ({ emailAddress: `r${i}@example.com` }))))],
          ['store-down', envelope('event-click.json')],
          ['not-json', '{'],
        ],
        '3',
      ),
    );
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'proto' }, { itemIdentifier: 'huge' }, { itemIdentifier: 'store-down' }, { itemIdentifier: 'not-json' }]);
    expect(published).toEqual(['email.delivered']);
    expect(logged.map((l) => l.message)).toEqual([
      'SES event proto refused as malformed (receive 3); it moves to the dead-letter queue after its last receive',
      'SES event huge refused as malformed (receive 3); it moves to the dead-letter queue after its last receive',
      'SES event store-down failed (receive 3)',
      'SES event not-json refused as malformed (receive 3); it moves to the dead-letter queue after its last receive',
    ]);
    expect((logged[1]!.error as Error).message).toMatch(/lists 51 recipients; the limit is 50 \(recipients\)/);
  });

  it('answers a redelivered batch without notifying again', async () => {
    const { deps, published } = setup();
    const batch = sqsEvent([
      ['a', envelope('event-send.json')],
      ['b', envelope('event-delivery.json')],
    ]);
    expect(await handleSesEventBatch(deps, batch)).toEqual({ batchItemFailures: [] });
    expect(await handleSesEventBatch(deps, batch)).toEqual({ batchItemFailures: [] });
    expect(published.sort()).toEqual(['email.delivered', 'email.sent']);
  });

  it('never throws the batch: not for records that are not records, nor for a logger that throws', async () => {
    const { deps } = setup();
    const throwing: EventsDeps = {
      ...deps,
      log: () => {
        throw new Error('stdout closed');
      },
    };
    const odd = { Records: [null, { messageId: 'no-body' }, { body: envelope('event-open.json') }, { messageId: 'ok', body: envelope('event-open.json') }] } as unknown as SQSEvent;
    expect(await handleSesEventBatch(throwing, odd)).toEqual({ batchItemFailures: [{ itemIdentifier: '' }, { itemIdentifier: 'no-body' }] });
    expect(await handleSesEventBatch(deps, {} as SQSEvent)).toEqual({ batchItemFailures: [] });
  });

  it('logs a malformed record as one JSON line with its reason, through the deployed wiring', async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      const wired = buildEventsDeps({
        emailsTable: 'emails',
        suppressionsTable: 'suppressions',
        webhooksTable: 'webhooks',
        retentionDays: 90,
        softBounceLimit: 3,
        softBounceWindowDays: 7,
        notificationsTopicArn: 'arn:aws:sns:us-east-1:000000000000:n',
        webhookQueueUrl: 'http://127.0.0.1:9/q',
        webhookCacheMs: 0,
      });
      const result = await handleSesEventBatch(wired, sqsEvent([['m-1', envelope('event-send.json', (r) => (r.mail.messageId = 'x'.repeat(10_000)))]], '5'));
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    } finally {
      spy.mockRestore();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(JSON.parse(lines[0]!)).toEqual({
      level: 'error',
      message: 'SES event m-1 refused as malformed (receive 5); it moves to the dead-letter queue after its last receive',
      error: 'OutboxError: Not an SES notification: mail.messageId is 10000 characters; the limit is 256 (messageIdLength)',
    });
  });
});
