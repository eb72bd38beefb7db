import { OutboxError } from '../../lambda/core/errors';
import { parseRawSendRequest } from '../../lambda/core/raw-email';
import { EMAIL_FIELDS, parseSendRequest } from '../../lambda/core/send-request';

const valid = { from: 'Acme <hello@acme.test>', to: 'success@simulator.amazonses.com', subject: 'Hi', text: 'Hello' };
const pdf = Buffer.from('%PDF-1.4 test').toString('base64');
const raw = Buffer.from('From: a@acme.test\r\nTo: b@example.com\r\nSubject: Hi\r\n\r\nHello\r\n').toString('base64');

function refusal(parse: () => unknown): OutboxError {
  try {
    parse();
  } catch (error) {
    if (error instanceof OutboxError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

async function rawRefusal(body: unknown): Promise<OutboxError> {
  try {
    await parseRawSendRequest(body);
  } catch (error) {
    if (error instanceof OutboxError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('unknown fields of a send request', () => {
  it('accepts every field the resend SDK puts on the wire for emails.send', () => {
    // parseEmailToApiOptions in resend 6.x: these names, and nothing else.
    const draft = parseSendRequest({
      from: valid.from,
      to: ['a@example.com'],
      cc: 'c@example.com',
      bcc: ['d@example.com'],
      reply_to: 'r@acme.test',
      subject: 'Hi',
      html: '<p>Hi</p>',
      text: 'Hi',
      headers: { 'X-Entity-Ref-ID': '1' },
      tags: [{ name: 'category', value: 'welcome' }],
      attachments: [{ filename: 'a.pdf', content: pdf, content_type: 'application/pdf', content_id: 'logo' }],
      scheduled_at: 'in 5 minutes',
    });
    expect(draft.replyTo.map((m) => m.address)).toEqual(['r@acme.test']);
    expect(draft.attachments[0]).toMatchObject({ contentType: 'application/pdf', contentId: 'logo' });
    expect(parseSendRequest({ from: valid.from, to: 'a@example.com', template: { id: 'welcome', variables: { name: 'Ada' } } }).template).toEqual({
      id: 'welcome',
      variables: { name: 'Ada' },
    });
  });

  it('accepts fields the SDK sends as null', () => {
    expect(() => parseSendRequest({ ...valid, cc: null, bcc: null, reply_to: null, headers: null, tags: null, attachments: null, scheduled_at: null, template: null })).not.toThrow();
  });

  it.each([
    ['replyTo', { replyTo: 'r@acme.test' }, /`replyTo` \(did you mean `reply_to`\?\) is not a field of an email/],
    ['reply-to', { 'reply-to': 'r@acme.test' }, /`reply-to` \(did you mean `reply_to`\?\) is not a field of an email/],
    ['scheduledAt', { scheduledAt: 'in 5 minutes' }, /`scheduledAt` \(did you mean `scheduled_at`\?\)/],
    ['a field with no close match', { priority: 'high' }, /`priority` is not a field of an email; the fields of an email are `from`, `to`, `cc`/],
  ])('refuses %s with validation_error, naming it and listing the known fields', (_, extra, message) => {
    const error = refusal(() => parseSendRequest({ ...valid, ...extra }));
    expect(error.code).toBe('validation_error');
    expect(error.status).toBe(422);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(EMAIL_FIELDS.map((f) => `\`${f}\``).join(', '));
  });

  it('names every unknown field in one refusal, beside the other problems', () => {
    const error = refusal(() => parseSendRequest({ from: valid.from, to: valid.to, text: 'x', replyTo: 'r@acme.test', Subject: 'Hi' }));
    expect(error.code).toBe('missing_required_field');
    expect(error.message).toMatch(/Missing `subject`/);
    expect(error.message).toMatch(/`replyTo` \(did you mean `reply_to`\?\) and `Subject` \(did you mean `subject`\?\) are not fields of an email/);
  });

  it('refuses unknown fields of an attachment, a template and a tag', () => {
    const attachment = refusal(() => parseSendRequest({ ...valid, attachments: [{ filename: 'a.pdf', content: pdf, contentType: 'application/pdf' }] }));
    expect(attachment.message).toMatch(
      /`attachments\[0\]\.contentType` \(did you mean `content_type`\?\) is not a field of an attachment; the fields of an attachment are `filename`, `content`, `content_type`, `content_id`\./,
    );
    const template = refusal(() => parseSendRequest({ from: valid.from, to: valid.to, template: { id: 'welcome', data: { name: 'Ada' } } }));
    expect(template.message).toMatch(/`template\.data` is not a field of `template`; the fields of `template` are `id`, `variables`\./);
    const tag = refusal(() => parseSendRequest({ ...valid, tags: [{ name: 'a', value: 'b', color: 'red' }] }));
    expect(tag.message).toMatch(/`tags\[0\]\.color` is not a field of a tag/);
  });

  it("refuses the SDK's topic_id with a sentence saying Outbox does not support it yet", () => {
    const error = refusal(() => parseSendRequest({ ...valid, topic_id: 'topic_123' }));
    expect(error.code).toBe('validation_error');
    expect(error.message).toMatch(/^`topic_id` \(the SDK's `topicId`\) is not supported yet: Outbox keeps no contacts or topics/);
  });
});

describe('unknown fields of a raw send request', () => {
  it('accepts the raw route fields', async () => {
    const request = await parseRawSendRequest({ raw, from: 'a@acme.test', to: 'b@example.com', cc: [], bcc: [], tags: [{ name: 'k', value: 'v' }] });
    expect(request.draft.to.map((m) => m.address)).toEqual(['b@example.com']);
  });

  it('refuses an unknown field, listing the raw fields, and keeps the reasons for /emails fields that do not apply', async () => {
    const error = await rawRefusal({ raw, rawMessage: 'x', subject: 'Hi' });
    expect(error.code).toBe('validation_error');
    expect(error.message).toMatch(/`subject` does not apply to \/emails\/raw: the raw message carries its own Subject header\./);
    expect(error.message).toMatch(/`rawMessage` is not a field of a raw email; the fields of a raw email are `raw`, `from`, `to`, `cc`, `bcc`, `tags`\./);
    expect(error.message).not.toMatch(/`subject` is not a field/);
  });
});
