import { readFileSync } from 'node:fs';
import path from 'node:path';
import { toErrorBody } from '../../lambda/core/errors';
import { MalformedSesRecordError, parseSesNotification, SES_RECORD_LIMITS as L } from '../../lambda/core/ses-events';

const fixtures = path.join(__dirname, '../fixtures/ses');
const fixture = (name: string): Record<string, any> => JSON.parse(readFileSync(path.join(fixtures, name), 'utf8')) as Record<string, any>;
const envelope = (message: string) => ({ Type: 'Notification', MessageId: 'sns-1', Message: message });

/** The refusal parsing `input` throws; fails the test when it parses. */
function refusal(input: unknown): MalformedSesRecordError {
  try {
    parseSesNotification(input);
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedSesRecordError);
    return error as MalformedSesRecordError;
  }
  throw new Error('it parsed');
}

const addresses = (n: number) => Array.from({ length: n }, (_, i) => `r${i}@example.com`);
const withBounced = (n: number) => {
  const record = fixture('event-bounce-permanent.json');
  record.bounce.bouncedRecipients = addresses(n).map((emailAddress) => ({ emailAddress, action: 'failed', status: '5.1.1' }));
  return record;
};

describe('SES record prototype keys', () => {
  it.each(['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf'])('refuses eventType %s as an unknown type', (type) => {
    const record = { ...fixture('event-send.json'), eventType: type };
    expect(refusal(record).message).toBe(`Not an SES notification: unknown eventType ${JSON.stringify(type)}`);
    expect(refusal(JSON.stringify(envelope(JSON.stringify(record)))).message).toMatch(/unknown eventType/);
  });

  it.each(['__proto__', 'toString', 'constructor'])('refuses notificationType %s as an unknown type', (type) => {
    expect(refusal({ ...fixture('notification-delivery.json'), notificationType: type }).message).toMatch(/unknown notificationType/);
  });

  it('refuses a bounceType of __proto__', () => {
    const record = fixture('event-bounce-permanent.json');
    record.bounce.bounceType = '__proto__';
    expect(refusal(record).message).toMatch(/unknown bounceType "__proto__"/);
  });

  it('reads nothing through __proto__ keys in the JSON', () => {
    const text = '{"eventType":"Send","__proto__":{"mail":{"messageId":"x","timestamp":"2026-01-01T00:00:00Z"}},"send":{}}';
    expect(refusal(text).message).toMatch(/mail\.messageId is missing/);
    const mail = '{"eventType":"Send","mail":{"__proto__":{"messageId":"x"},"timestamp":"2026-01-01T00:00:00Z"},"send":{}}';
    expect(refusal(mail).message).toMatch(/mail\.messageId is missing/);
  });

  it('reads nothing an object inherits', () => {
    const inherited = Object.create(fixture('event-send.json')) as object;
    expect(refusal(inherited).message).toMatch(/no eventType or notificationType/);
    const record = fixture('event-bounce-permanent.json');
    record.bounce = Object.create(record.bounce);
    expect(refusal(record).message).toMatch(/unknown bounceType/);
  });

  it('keeps tags named __proto__, constructor and toString as tags, and pollutes no prototype', () => {
    const text = JSON.stringify(fixture('event-delivery.json')).replace('"tags":{', '"tags":{"__proto__":["a"],"constructor":["b"],"toString":["c"],');
    const event = parseSesNotification(text);
    expect(Object.entries(event.tags)).toEqual(expect.arrayContaining([['__proto__', 'a'], ['constructor', 'b'], ['toString', 'c']]));
    expect(Object.getPrototypeOf(event.tags)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).toString).toBe(Object.prototype.toString);
    expect(JSON.parse(JSON.stringify(event.tags))).toMatchObject({ constructor: 'b', toString: 'c' });
  });

  it('names no email by an outbox-message-id tag that is not an Outbox id', () => {
    const record = fixture('event-send.json');
    record.mail.tags['outbox-message-id'] = ['ses#x'];
    expect(parseSesNotification(record).outboxId).toBeUndefined();
    record.mail.tags['outbox-message-id'] = ['019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11'];
    expect(parseSesNotification(record).outboxId).toBe('019ac9a4-6f1c-7b2e-9a41-4c0f2d9e8b11');
  });
});

describe('SES record limits', () => {
  it('states them, each above what SES sends', () => {
    expect(L).toEqual({
      inputBytes: 1_048_576,
      recordBytes: 262_144,
      depth: 16,
      recipients: 50,
      messageIdLength: 256,
      idLength: 256,
      addressLength: 320,
      headerLength: 998,
      textLength: 16_384,
      tags: 100,
    });
    expect(Object.isFrozen(L)).toBe(true);
  });

  it('refuses a 10,000-character message ID, naming the limit', () => {
    const record = fixture('event-send.json');
    record.mail.messageId = 'a'.repeat(10_000);
    expect(refusal(record).message).toBe('Not an SES notification: mail.messageId is 10000 characters; the limit is 256 (messageIdLength)');
  });

  it('refuses a message ID with a space or a character outside ASCII', () => {
    for (const messageId of ['0100 x', '0100é', '0100\n']) {
      const record = fixture('event-send.json');
      record.mail.messageId = messageId;
      expect(refusal(record).message).toMatch(/mail\.messageId is not printable ASCII/);
    }
  });

  it('takes a bounce with 50 recipients and refuses one with 51 or 10,000, as SES sends a message to at most 50', () => {
    expect(parseSesNotification(withBounced(50)).recipients).toHaveLength(50);
    expect(refusal(withBounced(51)).message).toBe(
      'Not an SES notification: bounce.bouncedRecipients lists 51 recipients; the limit is 50 (recipients), the most SES sends one message to',
    );
    const thousands = fixture('event-bounce-permanent.json');
    thousands.bounce.bouncedRecipients = Array.from({ length: 10_000 }, () => ({ emailAddress: 'a@b' }));
    expect(refusal(thousands).message).toMatch(/bounce\.bouncedRecipients lists 10000 recipients; the limit is 50 \(recipients\)/);
    // With SES's usual fields, 10,000 recipients are over the record size first.
    expect(refusal(withBounced(10_000)).message).toMatch(/\(recordBytes\)/);
  });

  it.each([
    ['complaint.complainedRecipients', 'event-complaint.json', (r: Record<string, any>, n: number) => (r.complaint.complainedRecipients = addresses(n).map((emailAddress) => ({ emailAddress })))],
    ['delivery.recipients', 'event-delivery.json', (r: Record<string, any>, n: number) => (r.delivery.recipients = addresses(n))],
    ['deliveryDelay.delayedRecipients', 'event-delivery-delay.json', (r: Record<string, any>, n: number) => (r.deliveryDelay.delayedRecipients = addresses(n).map((emailAddress) => ({ emailAddress })))],
    ['mail.destination', 'event-send.json', (r: Record<string, any>, n: number) => (r.mail.destination = addresses(n))],
    ['mail.commonHeaders.to', 'event-send.json', (r: Record<string, any>, n: number) => (r.mail.commonHeaders.to = addresses(n))],
  ])('refuses %s over 50 recipients', (where, name, set) => {
    const ok = fixture(name);
    set(ok, 50);
    expect(() => parseSesNotification(ok)).not.toThrow();
    const over = fixture(name);
    set(over, 51);
    expect(refusal(over).message).toContain(`${where} lists 51 recipients; the limit is 50 (recipients)`);
  });

  it.each([
    ['bounce.feedbackId', 'idLength', L.idLength, (r: Record<string, any>, v: string) => (r.bounce.feedbackId = v)],
    ['bounce.bounceSubType', 'idLength', L.idLength, (r: Record<string, any>, v: string) => (r.bounce.bounceSubType = v)],
    ['bounce.bouncedRecipients[].emailAddress', 'addressLength', L.addressLength, (r: Record<string, any>, v: string) => (r.bounce.bouncedRecipients[0].emailAddress = v)],
    ['bounce.bouncedRecipients[].diagnosticCode', 'textLength', L.textLength, (r: Record<string, any>, v: string) => (r.bounce.bouncedRecipients[0].diagnosticCode = v)],
    ['an entry of mail.destination', 'addressLength', L.addressLength, (r: Record<string, any>, v: string) => (r.mail.destination[0] = v)],
    ['an entry of mail.commonHeaders.from', 'headerLength', L.headerLength, (r: Record<string, any>, v: string) => (r.mail.commonHeaders.from[0] = v)],
    ['mail.source', 'headerLength', L.headerLength, (r: Record<string, any>, v: string) => ((r.mail.source = v), delete r.mail.commonHeaders)],
    ['mail.commonHeaders.subject', 'textLength', L.textLength, (r: Record<string, any>, v: string) => (r.mail.commonHeaders.subject = v)],
    ['a mail.tags name', 'idLength', L.idLength, (r: Record<string, any>, v: string) => (r.mail.tags[v] = ['x'])],
    ['mail.tags.myCustomTag1', 'idLength', L.idLength, (r: Record<string, any>, v: string) => (r.mail.tags.myCustomTag1 = [v])],
  ])('refuses %s over its limit (%s)', (where, limit, max, set) => {
    const name = where.startsWith('bounce') ? 'event-bounce-permanent.json' : where.includes('tags') ? 'event-delivery.json' : 'event-send.json';
    const atLimit = fixture(name);
    // A valid value at the limit: an address keeps its @, a timestamp stays a time.
    const fill = (n: number) => (limit === 'addressLength' ? `${'a'.repeat(n - 12)}@example.com` : 'a'.repeat(n));
    set(atLimit, fill(max));
    expect(() => parseSesNotification(atLimit)).not.toThrow();
    const over = fixture(name);
    set(over, fill(max + 1));
    expect(refusal(over).message).toBe(`Not an SES notification: ${where} is ${max + 1} characters; the limit is ${max} (${limit})`);
  });

  it('refuses a timestamp over 256 characters before reading it as a time', () => {
    const record = fixture('event-bounce-permanent.json');
    record.bounce.timestamp = `2026-01-01T00:00:00.000Z${' '.repeat(233)}`;
    expect(refusal(record).message).toBe('Not an SES notification: bounce.timestamp is 257 characters; the limit is 256 (idLength)');
  });

  it('refuses more than 100 tags', () => {
    const record = fixture('event-delivery.json');
    record.mail.tags = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`t${i}`, ['x']]));
    expect(refusal(record).message).toBe('Not an SES notification: mail.tags has 101 entries; the limit is 100 (tags)');
  });

  it('refuses an SES record over 256 KiB, in an envelope, as text and as an object', () => {
    const record = fixture('event-delivery.json');
    record.mail.headers = Array.from({ length: 300 }, (_, i) => ({ name: `X-Pad-${i}`, value: 'p'.repeat(900) }));
    const text = JSON.stringify(record);
    expect(Buffer.byteLength(text)).toBeGreaterThan(L.recordBytes);
    const reason = new RegExp(`the SES record is ${Buffer.byteLength(text)} bytes; the limit is 262144 \\(recordBytes\\)`);
    expect(refusal(envelope(text)).message).toMatch(reason);
    expect(refusal(JSON.stringify(envelope(text))).message).toMatch(reason);
    expect(refusal(text).message).toMatch(reason);
    expect(refusal(record).message).toMatch(reason);
  });

  it('measures the record in UTF-8 bytes', () => {
    const record = fixture('event-delivery.json');
    // 300 headers of 300 three-byte characters: about 270 KB as UTF-8, about 100,000 characters.
    record.mail.headers = Array.from({ length: 300 }, () => ({ name: 'X-Pad', value: '€'.repeat(300) }));
    const text = JSON.stringify(record);
    expect(text.length).toBeLessThan(L.recordBytes);
    expect(refusal(text).message).toMatch(/recordBytes/);
  });

  it('refuses a body over 1 MiB before parsing it', () => {
    const body = JSON.stringify({ Type: 'Notification', Message: '{}', Padding: 'x'.repeat(L.inputBytes) });
    expect(refusal(body).message).toMatch(/the body is \d+ bytes; the limit is 1048576 \(inputBytes\)/);
  });

  it('refuses a record nested deeper than 16 levels, and takes 16', () => {
    const nest = (levels: number): unknown => (levels === 0 ? 1 : { n: nest(levels - 1) });
    // The record is level 1; `extra` adds the rest.
    expect(() => parseSesNotification({ ...fixture('event-delivery.json'), extra: nest(15) })).not.toThrow();
    expect(refusal({ ...fixture('event-delivery.json'), extra: nest(16) }).message).toBe('Not an SES notification: the SES record nests deeper than 16 levels (depth)');
    const deepText = `{"eventType":"Send","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(refusal(deepText).message).toMatch(/deeper than 16 levels/);
  });

  it('refuses a cyclic object as too deep instead of overflowing the stack', () => {
    const record = fixture('event-send.json');
    record.mail.self = record.mail;
    expect(refusal(record).message).toMatch(/deeper than 16 levels/);
  });

  it('refuses a value no JSON can make, such as a getter that throws, as malformed', () => {
    const record = fixture('event-send.json');
    Object.defineProperty(record, 'eventType', { enumerable: true, get: () => { throw new Error('boom'); } });
    expect(refusal(record).message).toBe('Not an SES notification: the input could not be read (Error)');
  });

  it('cuts a long unknown type short in the reason', () => {
    const message = refusal({ ...fixture('event-send.json'), eventType: 'T'.repeat(200) }).message;
    expect(message).toBe(`Not an SES notification: unknown eventType "${'T'.repeat(64)}..."`);
  });

  it('answers every refusal as 400 validation_error in the resend SDK error shape', () => {
    expect(toErrorBody(refusal(withBounced(51)))).toEqual({ statusCode: 400, name: 'validation_error', message: expect.stringMatching(/^Not an SES notification: /) });
  });
});

describe('SES record or envelope', () => {
  it('reads a record naming its type as the record, even with Sns or Type keys of its own', () => {
    const delivery = fixture('observed-simulator-notification-delivery-success.json');
    const bounce: Record<string, any> = { ...fixture('event-bounce-permanent.json'), Sns: delivery, Type: 'SubscriptionConfirmation' };
    expect(parseSesNotification(bounce)).toMatchObject({ type: 'Bounce', sesMessageId: bounce.mail.messageId });
    expect(parseSesNotification(JSON.stringify(bounce))).toMatchObject({ type: 'Bounce' });
  });
});
