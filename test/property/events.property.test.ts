import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { isUuid } from '../../lambda/core/ids';
import { toNotificationPayload } from '../../lambda/core/notifications';
import { MalformedSesRecordError, parseSesNotification, SES_RECORD_LIMITS as L, type SesEvent } from '../../lambda/core/ses-events';
import { recordSesEvent, type TrackingDeps } from '../../lambda/core/tracking';
import { handleSesEventBatch, type EventsDeps } from '../../lambda/entrypoints/sqs-events';
import { fixedClock, InMemorySuppressionList } from '../helpers/in-memory';
import { InMemorySoftBounceCounter, InMemoryTrackingStore } from '../helpers/in-memory-tracking';
import { fuzzSettings, fuzzTimeoutMs } from './fuzz-settings';

/**
 * The SES events path on generated input: arbitrary JSON and text, SNS envelopes with arbitrary
 * `Message` strings, and AWS's real payloads mutated (fields deleted or replaced by other JSON
 * types, prototype-ish keys, huge strings, arrays and nesting, any Unicode), each given bare, as
 * text, in an SNS envelope and as a Lambda SNS record. The properties:
 * 1. the parser returns an event within SES_RECORD_LIMITS (and small enough to store and to
 *    publish) or throws a MalformedSesRecordError with a reason, never anything else, and
 *    changes no prototype;
 * 2. the events consumer, its store failing at random, answers every batch with each record
 *    processed (its event in the timeline), refused as malformed or reported failed, each failure
 *    logged once and as what it is, and never throws;
 * 3. delivering a set of real events any number of times, in any order, concurrently, with
 *    notifications failing at random and failed records retried, notifies each event once.
 */
const fixtures = path.join(__dirname, '../fixtures/ses');
const read = (name: string): unknown => JSON.parse(readFileSync(path.join(fixtures, name), 'utf8')) as unknown;
const RECORD_NAMES = readdirSync(fixtures).filter((name) => /^(event|notification|observed-simulator)-.*\.json$/.test(name));
const ENVELOPE_NAMES = ['sns-envelope-notification.json', 'observed-sns-envelope-notification-bounce-onaccountsuppressionlist.json', 'sqs-body-sns-notification.json', 'sqs-body-sns-notification-raw-delivery-disabled.json', 'lambda-sns-event.json', 'sns-subscription-confirmation.json'];
const RECORDS = RECORD_NAMES.map(read);
const ENVELOPES = ENVELOPE_NAMES.map(read);
const EMAIL_IDS = ['019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11', '019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b22'];
const PROTO_KEYS = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'prototype', '__defineGetter__', 'isPrototypeOf'];
const SES_KEYS = ['eventType', 'notificationType', 'mail', 'messageId', 'bounce', 'bouncedRecipients', 'complaint', 'delivery', 'recipients', 'tags', 'timestamp', 'Type', 'Message', 'Sns'];
const EVENT_TYPES = new Set(['Send', 'Reject', 'Bounce', 'Complaint', 'Delivery', 'DeliveryDelay', 'RenderingFailure', 'Open', 'Click', 'Subscription']);

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Sets an own, enumerable property, even one named `__proto__`, as JSON.parse would. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The (container, key) slots of the value, depth first. */
function slots(root: unknown): [Record<string, unknown> | unknown[], string | number][] {
  const found: [Record<string, unknown> | unknown[], string | number][] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    // The first entries of a long list only: a list made huge by one mutation stays cheap to mutate again.
    if (Array.isArray(value)) {
      value.slice(0, 64).forEach((child, i) => {
        found.push([value, i]);
        stack.push(child);
      });
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        found.push([value as Record<string, unknown>, key]);
        stack.push(child);
      }
    }
  }
  return found;
}

const nest = (levels: number): unknown => {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i += 1) value = i % 2 === 0 ? [value] : { n: value };
  return value;
};

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'key'; at: number; key: string; value: unknown }
  | { kind: 'huge-string'; at: number; length: number }
  | { kind: 'huge-array'; at: number; length: number }
  | { kind: 'nest'; at: number; levels: number }
  | { kind: 'unicode'; at: number; text: string };

const at = fc.nat();
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at }),
  fc.record({ kind: fc.constant('replace' as const), at, value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({ kind: fc.constant('key' as const), at, key: fc.constantFrom(...PROTO_KEYS, ...SES_KEYS), value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(...RECORDS)) }),
  fc.record({ kind: fc.constant('huge-string' as const), at, length: fc.constantFrom(65, 257, 321, 999, 16_385, 70_000, 300_000) }),
  fc.record({ kind: fc.constant('huge-array' as const), at, length: fc.constantFrom(51, 1_000, 10_000) }),
  fc.record({ kind: fc.constant('nest' as const), at, levels: fc.constantFrom(12, 15, 17, 1_000) }),
  fc.record({ kind: fc.constant('unicode' as const), at, text: fc.string({ unit: 'binary', maxLength: 40 }) }),
);

function mutate(root: unknown, mutations: readonly Mutation[]): unknown {
  for (const m of mutations) {
    const all = slots(root);
    if (all.length === 0) break;
    const [container, key] = all[m.at % all.length]!;
    const current = (container as Record<string | number, unknown>)[key];
    const put = (value: unknown) => (Array.isArray(container) ? (container[key as number] = value) : setOwn(container, key as string, value));
    switch (m.kind) {
      case 'delete':
        if (Array.isArray(container)) container.splice(key as number, 1);
        else delete container[key as string];
        break;
      case 'replace':
        put(m.value);
        break;
      case 'key': {
        const target = typeof current === 'object' && current !== null && !Array.isArray(current) ? (current as Record<string, unknown>) : Array.isArray(container) ? undefined : container;
        if (target) setOwn(target, m.key, clone(m.value));
        break;
      }
      case 'huge-string':
        put(typeof current === 'string' && current.includes('@') ? `${'a'.repeat(m.length)}${current}` : 'x'.repeat(m.length));
        break;
      case 'huge-array':
        // Small entries, so a list of 10,000 stays a few hundred KB: over the limits, cheap to write out.
        put(Array.from({ length: m.length }, (_, i) => (typeof current === 'object' && current !== null ? { emailAddress: `r${i}@example.com` } : `r${i}@example.com`)));
        break;
      case 'nest':
        put(nest(m.levels));
        break;
      case 'unicode':
        put(typeof current === 'string' ? `${current}${m.text}` : m.text);
        break;
    }
  }
  return root;
}

/** How a record is handed to the parser: as SES, SNS, SQS or Lambda give it, or as the replay route takes it. */
type Form = 'object' | 'text' | 'envelope' | 'envelope-text' | 'lambda-sns';
const form = fc.constantFrom<Form>('object', 'text', 'envelope', 'envelope-text', 'lambda-sns');

function inForm(record: unknown, how: Form, snsMessageId: string): unknown {
  const text = JSON.stringify(record) ?? 'null';
  const envelope = { Type: 'Notification', MessageId: snsMessageId, TopicArn: 'arn:aws:sns:us-east-1:123456789012:ses', Message: `${text}\n`, Timestamp: '2026-12-01T00:00:00.000Z' };
  switch (how) {
    case 'object':
      return record;
    case 'text':
      return text;
    case 'envelope':
      return envelope;
    case 'envelope-text':
      return JSON.stringify(envelope);
    case 'lambda-sns':
      return { EventSource: 'aws:sns', EventVersion: '1.0', Sns: { ...envelope, SigningCertUrl: 'x', UnsubscribeUrl: 'y' } };
  }
}

/** A real SES record, tagged as Outbox tags a send (or not), mutated, in one of the forms. */
const mutatedRecord = fc
  .record({
    index: fc.nat({ max: RECORDS.length - 1 }),
    tag: fc.constantFrom(undefined, ...EMAIL_IDS, 'not-a-uuid'),
    mutations: fc.array(mutation, { minLength: 0, maxLength: 4 }),
    how: form,
    snsMessageId: fc.oneof(fc.uuid(), fc.string({ maxLength: 300 })),
  })
  .map(({ index, tag, mutations, how, snsMessageId }) => {
    const record = clone(RECORDS[index]) as { mail?: { tags?: Record<string, unknown> } };
    if (tag !== undefined && record.mail) record.mail.tags = { ...record.mail.tags, 'outbox-message-id': [tag] };
    return inForm(mutate(record, mutations), how, snsMessageId);
  });

/** A real SNS envelope (SQS body, Lambda record, confirmation) mutated, as an object or text. */
const mutatedEnvelope = fc
  .record({ index: fc.nat({ max: ENVELOPES.length - 1 }), mutations: fc.array(mutation, { maxLength: 3 }), asText: fc.boolean() })
  .map(({ index, mutations, asText }) => {
    const value = mutate(clone(ENVELOPES[index]), mutations);
    return asText ? JSON.stringify(value) : value;
  });

/** An SNS envelope whose Message is any string: text, JSON of any kind, or a mutated record's text. */
const arbitraryEnvelope = fc
  .record({
    Type: fc.oneof(fc.constantFrom('Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation', '__proto__', 'toString'), fc.string()),
    MessageId: fc.oneof(fc.uuid(), fc.string(), fc.jsonValue()),
    Message: fc.oneof(fc.string({ unit: 'binary' }), fc.json(), mutatedRecord.map((r) => (typeof r === 'string' ? r : (JSON.stringify(r) ?? '')))),
    asText: fc.boolean(),
  })
  .map(({ asText, ...envelope }) => (asText ? JSON.stringify(envelope) : envelope));

/** A real record's text with nesting no recursive reader survives in one of its fields. */
const deepText = fc.record({ index: fc.nat({ max: RECORDS.length - 1 }), levels: fc.constantFrom(17, 100_000), key: fc.constantFrom('extra', 'mail', 'bounce', 'tags') }).map(({ index, levels, key }) => {
  const text = JSON.stringify({ ...(RECORDS[index] as object), [key]: 'DEEP' });
  return text.replace('"DEEP"', `${'['.repeat(levels)}${']'.repeat(levels)}`);
});

/** Everything the parser may be handed. */
const anyInput: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: deepText },
  { weight: 1, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
  { weight: 2, arbitrary: arbitraryEnvelope },
  { weight: 2, arbitrary: mutatedEnvelope },
  { weight: 6, arbitrary: mutatedRecord },
);

/** What the parser's answer must be: an event within the limits, or a malformed refusal with a reason. */
function checkParse(input: unknown): SesEvent | undefined {
  let event: SesEvent;
  try {
    event = parseSesNotification(input);
  } catch (error) {
    if (!(error instanceof MalformedSesRecordError)) throw new Error(`threw ${String(error)}`);
    if (!/^Not an SES notification: \S/.test(error.message)) throw new Error(`a refusal without a reason: ${error.message}`);
    // The catch-all is for values no JSON makes; every input here is JSON.
    if (error.message.includes('could not be read')) throw new Error(`an unexpected error inside the parser: ${error.message}`);
    return undefined;
  }
  if (!EVENT_TYPES.has(event.type)) throw new Error(`type ${event.type}`);
  if (!/^(fb-|h-)/.test(event.eventKey)) throw new Error(`eventKey ${event.eventKey}`);
  if (!/^[\x21-\x7e]{1,256}$/.test(event.sesMessageId)) throw new Error('sesMessageId beyond its limit');
  if (event.recipients.length > L.recipients || event.recipients.some((r) => r.length > L.addressLength)) throw new Error('recipients beyond the limits');
  if (event.mail.destination.length > L.recipients || event.mail.to.length > L.recipients) throw new Error('mail lists beyond the limits');
  if (Number.isNaN(Date.parse(event.occurredAt))) throw new Error(`occurredAt ${event.occurredAt}`);
  if (event.outboxId !== undefined && !isUuid(event.outboxId)) throw new Error(`outboxId ${event.outboxId}`);
  const tags = Object.entries(event.tags);
  if (tags.length > L.tags || tags.some(([name, value]) => typeof value !== 'string' || name.length > L.idLength || value.length > L.idLength)) throw new Error('tags beyond the limits');
  // What is stored (a DynamoDB item holds 400 KB) and published (SNS takes 256 KiB).
  const entry = { eventKey: event.eventKey, type: event.type, occurredAt: event.occurredAt, recipients: event.recipients, sesMessageId: event.sesMessageId, snsMessageId: event.snsMessageId, detail: event.detail };
  if (Buffer.byteLength(JSON.stringify(entry)) > 350_000) throw new Error('a timeline entry too large to store');
  const payload = toNotificationPayload(event, EMAIL_IDS[0]);
  if (payload && Buffer.byteLength(JSON.stringify(payload)) > 262_144) throw new Error('a notification too large to publish');
  return event;
}

const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');

describe('the SES events path on generated input', () => {
  const before = prototypeKeys();
  afterAll(() => {
    // Nothing a record said reached Object.prototype.
    expect(prototypeKeys()).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it(
    'parses every input into an event within the limits or refuses it as malformed, and throws nothing else',
    () => {
      fc.assert(
        fc.property(anyInput, (input) => {
          checkParse(input);
        }),
        fuzzSettings(600),
      );
    },
    fuzzTimeoutMs(20_000),
  );

  it(
    'reads a real record in every form as the same event, after mutations or not',
    () => {
      fc.assert(
        fc.property(fc.nat({ max: RECORDS.length - 1 }), fc.array(mutation, { maxLength: 2 }), (index, mutations) => {
          const record = mutate(clone(RECORDS[index]), mutations);
          const answers = (['object', 'text', 'envelope', 'envelope-text', 'lambda-sns'] as const).map((how) => {
            try {
              const { snsMessageId: _sns, ...event } = parseSesNotification(inForm(record, how, 'sns-1'));
              return event;
            } catch (error) {
              return error instanceof MalformedSesRecordError ? 'malformed' : `threw ${String(error)}`;
            }
          });
          // A refusal of the wrapped form alone can only be the size of its envelope.
          for (const answer of answers.slice(1)) {
            if (answer !== 'malformed' || answers[0] === 'malformed') expect(answer).toEqual(answers[0]);
          }
        }),
        fuzzSettings(200),
      );
    },
    fuzzTimeoutMs(20_000),
  );

  it(
    'answers every batch with each record processed, refused as malformed or failed, each logged once, and never throws',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(anyInput, { minLength: 1, maxLength: 10 }), fc.array(fc.boolean(), { maxLength: 40 }), fc.nat({ max: 5 }), async (bodies, faults, receives) => {
          const tracking = new InMemoryTrackingStore();
          let call = 0;
          const faulty = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
            if (faults[call++ % Math.max(faults.length, 1)] === true) throw new Error('the store is failing');
            return fn(...args);
          };
          tracking.appendEvent = faulty(tracking.appendEvent.bind(tracking));
          tracking.findEmail = faulty(tracking.findEmail.bind(tracking));
          const logged: { message: string; error: unknown }[] = [];
          const deps: EventsDeps = {
            tracking,
            suppressions: new InMemorySuppressionList(),
            softBounces: new InMemorySoftBounceCounter(),
            softBouncePolicy: { limit: 3, windowDays: 7 },
            clock: fixedClock('2026-12-01T00:00:00.000Z'),
            notify: faulty(async () => undefined),
            log: (message, error) => void logged.push({ message, error }),
          };
          const records = bodies.map((body, i) => ({
            messageId: `m-${i}`,
            // SQS bodies are text: an object is sent as its JSON.
            body: typeof body === 'string' ? body : (JSON.stringify(body) ?? 'null'),
            attributes: { ApproximateReceiveCount: String(receives + 1) },
          }));
          const result = await handleSesEventBatch(deps, { Records: records as unknown as SQSRecord[] } as SQSEvent);

          const failed = result.batchItemFailures.map((f) => f.itemIdentifier);
          expect(new Set(failed).size).toBe(failed.length);
          expect(logged).toHaveLength(failed.length);
          for (const record of records) {
            const event = checkParse(record.body);
            const failure = logged.find((l) => l.message.startsWith(`SES event ${record.messageId} `));
            if (event === undefined) {
              expect(failed).toContain(record.messageId);
              expect(failure?.message).toMatch(/refused as malformed \(receive \d\)/);
              expect(failure?.error).toBeInstanceOf(MalformedSesRecordError);
            } else if (failed.includes(record.messageId)) {
              expect(failure?.message).toMatch(/^SES event m-\d+ failed \(receive \d\)$/);
              expect((failure?.error as Error).message).toBe('the store is failing');
            } else {
              const owner = event.outboxId ?? `ses#${event.sesMessageId}`;
              expect(tracking.item(owner, event)?.entry.eventKey).toBe(event.eventKey);
            }
          }
        }),
        fuzzSettings(150),
      );
    },
    fuzzTimeoutMs(30_000),
  );

  it(
    'notifies each real event once however often, in whatever order and however concurrently it is delivered, with notifications failing and retried',
    async () => {
      // The events of two emails, as SES gives them; the notification records name no email and are found by SES message ID.
      const events = RECORD_NAMES.map((name, i) => {
        const record = clone(read(name)) as { mail: { tags?: Record<string, unknown> } };
        record.mail.tags = { ...record.mail.tags, 'outbox-message-id': [EMAIL_IDS[i % 2]!] };
        return JSON.stringify(record);
      });
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.nat({ max: events.length - 1 }), { minLength: 1, maxLength: 40 }),
          fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 10 }),
          fc.array(fc.boolean(), { maxLength: 20 }),
          async (deliveries, concurrency, failures) => {
            const sent: string[] = [];
            let attempt = 0;
            const deps: TrackingDeps = {
              tracking: new InMemoryTrackingStore(),
              suppressions: new InMemorySuppressionList(),
              softBounces: new InMemorySoftBounceCounter(),
              softBouncePolicy: { limit: 3, windowDays: 7 },
              clock: fixedClock('2026-12-01T00:00:00.000Z'),
              notify: async (payload, eventKey) => {
                // Fails before anything is sent, as a publish that SNS refuses.
                if (failures[attempt++] === true) throw new Error('SNS is down');
                sent.push(`${payload.data.email_id} ${payload.created_at} ${eventKey}`);
              },
            };
            // Deliveries in waves of 1-5 at once; a failed one goes back on the queue, as SQS retries it.
            const queue = [...deliveries];
            for (let wave = 0; queue.length > 0; wave += 1) {
              const batch = queue.splice(0, (concurrency[wave % concurrency.length] ?? 0) + 1);
              const results = await Promise.allSettled(batch.map((i) => recordSesEvent(deps, parseSesNotification(events[i]!))));
              results.forEach((r, j) => r.status === 'rejected' && queue.push(batch[j]!));
            }
            const expected = new Set(
              deliveries
                .map((i) => parseSesNotification(events[i]!))
                .filter((e) => toNotificationPayload(e, undefined) !== undefined)
                // One timeline item each: the email, the time and the event key.
                .map((e) => `${e.outboxId} ${e.occurredAt} ${e.eventKey}`),
            );
            expect([...sent].sort()).toEqual([...expected].sort());
          },
        ),
        fuzzSettings(200),
      );
    },
    fuzzTimeoutMs(20_000),
  );
});
