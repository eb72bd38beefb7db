import type { EmailRecord } from '../../lambda/core/email';
import { daysToWalk, listEmails, parseEmailPageRequest } from '../../lambda/core/email-list';
import { uuidv7Time } from '../../lambda/core/ids';
import { OutboxError } from '../../lambda/core/errors';
import { uuidv7 } from '../../lambda/core/ids';
import { InMemoryEmailStore } from '../helpers/in-memory';

const NOW = Date.parse('2026-11-28T10:00:00.000Z');

function email(createdMs: number, overrides: Partial<EmailRecord> = {}): EmailRecord {
  return {
    id: uuidv7(createdMs),
    createdAt: new Date(createdMs).toISOString(),
    apiKeyId: 'k',
    lastEvent: 'sent',
    expiresAt: 0,
    from: { name: 'Acme', address: 'hello@acme.test' },
    to: [{ address: 'ada@example.com' }],
    cc: [],
    bcc: [{ address: 'audit@acme.test' }],
    replyTo: [],
    subject: 'Hi',
    html: '<p>Hi</p>',
    headers: [],
    tags: [{ name: 'category', value: 'welcome' }],
    attachments: [],
    ...overrides,
  };
}

function validationMessage(query: Record<string, string>): string {
  try {
    parseEmailPageRequest(query);
  } catch (error) {
    expect(error).toBeInstanceOf(OutboxError);
    expect((error as OutboxError).status).toBe(422);
    return (error as Error).message;
  }
  throw new Error('expected a validation error');
}

describe('parseEmailPageRequest', () => {
  it('defaults to 20 newest and takes a lower-cased id cursor', () => {
    expect(parseEmailPageRequest({})).toEqual({ limit: 20 });
    const id = uuidv7(NOW);
    expect(parseEmailPageRequest({ limit: '100', after: id.toUpperCase() })).toEqual({ limit: 100, after: id });
    expect(parseEmailPageRequest({ limit: '1', before: id })).toEqual({ limit: 1, before: id });
  });

  it.each(['0', '101', '-1', '2.5', 'ten', ''])('refuses limit %j', (limit) => {
    expect(validationMessage({ limit })).toMatch(/`limit` must be a whole number from 1 to 100/);
  });

  it('names every problem at once: bad cursors, and after with before', () => {
    expect(validationMessage({ limit: '0', after: 'nope' })).toMatch(/`limit`.*; `after` must be the id of an email/);
    const id = uuidv7(NOW);
    expect(validationMessage({ after: id, before: id })).toMatch(/`after` or `before`, not both/);
  });
});

describe('daysToWalk', () => {
  it('reads older emails from today back to the first day within retention', () => {
    const days = daysToWalk({ limit: 10 }, NOW, 3);
    expect(days).toEqual(['2026-11-28', '2026-11-27', '2026-11-26', '2026-11-25']);
  });

  it('starts at the cursor day, read from the UUIDv7 id', () => {
    const cursor = uuidv7(Date.parse('2026-11-26T23:59:59.999Z'));
    expect(uuidv7Time(cursor)).toBe(Date.parse('2026-11-26T23:59:59.999Z'));
    expect(daysToWalk({ limit: 10, after: cursor }, NOW, 3)).toEqual(['2026-11-26', '2026-11-25']);
    expect(daysToWalk({ limit: 10, before: cursor }, NOW, 3)).toEqual(['2026-11-26', '2026-11-27', '2026-11-28']);
  });

  it('walks nothing older than retention, and clamps a cursor from the future to today', () => {
    expect(daysToWalk({ limit: 10, after: uuidv7(NOW - 10 * 86_400_000) }, NOW, 3)).toEqual([]);
    expect(daysToWalk({ limit: 10, after: uuidv7(NOW + 5 * 86_400_000) }, NOW, 1)).toEqual(['2026-11-28', '2026-11-27']);
  });
});

describe('listEmails', () => {
  it('answers the resend SDK ListEmail shape, with last_event folded from the timeline', async () => {
    const store = new InMemoryEmailStore();
    const record = email(NOW, { sesMessageId: 'ses-1' });
    await store.create(record);
    store.timelines.set(record.id, [
      { eventKey: 'd', type: 'Delivery', occurredAt: '2026-11-28T10:00:02.000Z', recipients: ['ada@example.com'], sesMessageId: 'ses-1', detail: { kind: 'Delivery' } },
    ]);

    expect(await listEmails({ emails: store }, {})).toEqual({
      object: 'list',
      has_more: false,
      data: [
        {
          id: record.id,
          from: 'Acme <hello@acme.test>',
          to: ['ada@example.com'],
          cc: null,
          bcc: ['audit@acme.test'],
          reply_to: null,
          subject: 'Hi',
          created_at: '2026-11-28T10:00:00.000Z',
          scheduled_at: null,
          last_event: 'delivered',
          message_id: 'ses-1',
        },
      ],
    });
  });

  it('validates before reading the store', async () => {
    await expect(listEmails({ emails: new InMemoryEmailStore() }, { limit: '500' })).rejects.toThrow(/`limit`/);
  });
});
