import { toErrorBody } from '../../lambda/core/errors';
import { parseScheduledAt, scheduledAtOf } from '../../lambda/core/schedule';

const now = new Date('2026-11-28T10:00:00.000Z');

function messageOf(value: unknown): string {
  try {
    parseScheduledAt(value, now);
  } catch (error) {
    const body = toErrorBody(error);
    expect(body).toMatchObject({ statusCode: 422, name: 'validation_error' });
    return body.message;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be refused`);
}

describe('parseScheduledAt', () => {
  it.each([
    ['UTC with milliseconds', '2026-11-28T11:52:01.858Z', '2026-11-28T11:52:01.858Z'],
    ['UTC without seconds', '2026-11-28T11:52Z', '2026-11-28T11:52:00.000Z'],
    ['an offset', '2026-11-28T13:52:01+02:00', '2026-11-28T11:52:01.000Z'],
    ['an offset without a colon', '2026-11-28T05:52:01-0600', '2026-11-28T11:52:01.000Z'],
    ['a space instead of T and a lower-case z', '2026-11-28 11:52:01z', '2026-11-28T11:52:01.000Z'],
    ['nanoseconds', '2026-11-28T11:52:01.858123456Z', '2026-11-28T11:52:01.858Z'],
  ])('reads ISO 8601 with %s, as UTC with milliseconds', (_what, input, expected) => {
    expect(parseScheduledAt(input, now)).toBe(expected);
  });

  it.each([
    ['in 1 min', '2026-11-28T10:01:00.000Z'],
    ['in 5 minutes', '2026-11-28T10:05:00.000Z'],
    ['in 30 seconds', '2026-11-28T10:00:30.000Z'],
    ['In 2 Hours', '2026-11-28T12:00:00.000Z'],
    ['in 1 hr', '2026-11-28T11:00:00.000Z'],
    ['in 3 days', '2026-12-01T10:00:00.000Z'],
    ['  in 30 days ', '2026-12-28T10:00:00.000Z'],
  ])('reads "%s"', (input, expected) => {
    expect(parseScheduledAt(input, now)).toBe(expected);
  });

  it('takes a time less than a minute past as now', () => {
    expect(parseScheduledAt('2026-11-28T09:59:30Z', now)).toBe(now.toISOString());
  });

  it('refuses a time further in the past', () => {
    expect(messageOf('2026-11-28T09:58:00Z')).toMatch(/is in the past/);
  });

  it('refuses a time more than 30 days ahead', () => {
    expect(messageOf('in 31 days')).toMatch(/more than 30 days ahead/);
    expect(messageOf('2026-12-28T10:00:01Z')).toMatch(/at most 30 days in advance/);
  });

  it('refuses a date-time without a time zone and says how to add one', () => {
    expect(messageOf('2026-11-28T11:00:00')).toMatch(/has no time zone: add `Z`/);
    expect(messageOf('2026-11-29')).toMatch(/no time zone/);
  });

  it('refuses dates that do not exist', () => {
    expect(messageOf('2026-02-30T10:00:00Z')).toMatch(/not a valid date-time/);
    expect(messageOf('2026-11-28T24:30:00Z')).toMatch(/not a valid date-time/);
  });

  it('refuses phrases it does not understand rather than guessing', () => {
    expect(messageOf('tomorrow at 9am')).toMatch(/"in N minutes"/);
    expect(messageOf('1764324000')).toMatch(/not a date-time Outbox understands/);
  });

  it('refuses values that are not strings', () => {
    expect(messageOf(1764324000)).toMatch(/must be a date-time string/);
    expect(messageOf('')).toMatch(/must be a date-time string/);
  });
});

describe('scheduledAtOf', () => {
  it('is undefined without scheduled_at, or with null', () => {
    expect(scheduledAtOf({}, now)).toBeUndefined();
    expect(scheduledAtOf({ scheduled_at: null }, now)).toBeUndefined();
    expect(scheduledAtOf('not an object', now)).toBeUndefined();
  });

  it('parses it when present', () => {
    expect(scheduledAtOf({ scheduled_at: 'in 1 min' }, now)).toBe('2026-11-28T10:01:00.000Z');
  });
});
