import { OutboxError } from '../../lambda/core/errors';
import { sendEmail } from '../../lambda/core/send-email';
import { inMemorySendDeps } from '../helpers/in-memory';

const principal = { keyId: 'key-1', scope: 'full_access' as const };
const body = { from: 'a@acme.test', to: 'b@example.com', subject: 'Hi', html: '<p>Hi</p>', tags: [{ name: 'kind', value: 'welcome' }] };

const deps = inMemorySendDeps;

describe('sendEmail', () => {
  it('stores the email, sends it with the configuration set and its id, and records the SES message ID', async () => {
    const d = deps();
    const { id } = await sendEmail(d, principal, body);
    expect(d.sender.sent).toHaveLength(1);
    expect(d.sender.sent[0]!.context).toEqual({ emailId: id, configurationSet: 'outbox' });
    const stored = d.emails.emails.get(id);
    expect(stored).toMatchObject({ id, lastEvent: 'sent', sesMessageId: 'ses-1', apiKeyId: 'key-1', createdAt: '2026-11-28T10:00:00.000Z' });
    expect(stored!.expiresAt).toBe(Date.parse('2026-11-28T10:00:00.000Z') / 1000 + 90 * 86_400);
  });

  it('gives time-ordered UUIDv7 ids', async () => {
    const d = deps();
    const { id } = await sendEmail(d, principal, body);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id.replace(/-/g, '').slice(0, 12)).toBe(Date.parse('2026-11-28T10:00:00.000Z').toString(16).padStart(12, '0'));
  });

  it('stores and sends nothing for an invalid request', async () => {
    const d = deps();
    await expect(sendEmail(d, principal, { ...body, to: 'nope' })).rejects.toMatchObject({ kind: 'validation' });
    expect(d.emails.emails.size).toBe(0);
    expect(d.sender.sent).toHaveLength(0);
  });

  it('discards the record when SES refuses the message', async () => {
    const d = deps();
    d.sender.failWith = new OutboxError('sender_not_verified', 'not verified');
    await expect(sendEmail(d, principal, body)).rejects.toMatchObject({ kind: 'sender_not_verified' });
    expect(d.emails.emails.size).toBe(0);
  });

  it('answers with the id when SES took the message but the record update failed', async () => {
    const d = deps();
    const warnings: string[] = [];
    d.emails.markSent = async () => {
      throw new Error('store down');
    };
    const { id } = await sendEmail({ ...d, warn: (message) => warnings.push(message) }, principal, body);
    expect(d.sender.sent).toHaveLength(1);
    expect(d.emails.emails.get(id)!.lastEvent).toBe('queued');
    expect(warnings[0]).toMatch(/was sent as ses-1/);
  });

  it('refuses an email whose every recipient is suppressed, and sends nothing', async () => {
    const d = deps();
    await d.suppressions.add({ id: 's1', email: 'b@example.com', origin: 'bounce', sourceId: null, createdAt: '2026-11-01T00:00:00.000Z' });
    await expect(sendEmail(d, principal, { ...body, to: 'B@Example.com' })).rejects.toMatchObject({
      kind: 'all_recipients_suppressed',
      message: expect.stringMatching(/b@example\.com \(bounce/),
    });
    expect(d.sender.sent).toHaveLength(0);
    expect(d.emails.emails.size).toBe(0);
  });

  it('sends to the recipients that are not suppressed and keeps the others as suppressed', async () => {
    const d = deps();
    await d.suppressions.add({ id: 's1', email: 'gone@example.com', origin: 'complaint', sourceId: null, createdAt: '2026-11-01T00:00:00.000Z' });
    const { id } = await sendEmail(d, principal, { ...body, to: ['ok@example.com'], cc: 'Gone@example.com' });
    expect(d.sender.sent[0]!.draft.to.map((m) => m.address)).toEqual(['ok@example.com']);
    expect(d.sender.sent[0]!.draft.cc).toEqual([]);
    expect(d.emails.emails.get(id)!.suppressedRecipients).toEqual(['gone@example.com']);
  });
});
