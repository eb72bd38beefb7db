import { OutboxError } from '../../lambda/core/errors';
import { parseSendRequest } from '../../lambda/core/send-request';

const valid = { from: 'Acme <hello@acme.test>', to: 'success@simulator.amazonses.com', subject: 'Hi', text: 'Hello' };

function refusal(body: unknown): OutboxError {
  try {
    parseSendRequest(body);
  } catch (error) {
    if (error instanceof OutboxError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseSendRequest', () => {
  it('accepts a minimal email and normalizes the recipient lists', () => {
    const draft = parseSendRequest(valid);
    expect(draft.from).toEqual({ address: 'hello@acme.test', name: 'Acme' });
    expect(draft.to).toEqual([{ address: 'success@simulator.amazonses.com' }]);
    expect(draft.cc).toEqual([]);
    expect(draft.text).toBe('Hello');
  });

  it('accepts lists, reply_to, headers, tags and a non-ASCII subject', () => {
    const draft = parseSendRequest({
      ...valid,
      to: ['a@example.com', 'B <b@example.com>'],
      cc: 'c@example.com',
      bcc: ['d@example.com'],
      reply_to: 'r@example.com',
      subject: 'Grüße, 日本語の件名 ✉',
      headers: { 'X-Entity-Ref-ID': '123', 'List-Unsubscribe': '<mailto:u@acme.test>' },
      tags: [{ name: 'category', value: 'confirm_email' }],
    });
    expect(draft.to.map((m) => m.address)).toEqual(['a@example.com', 'b@example.com']);
    expect(draft.subject).toBe('Grüße, 日本語の件名 ✉');
    expect(draft.headers).toEqual([
      { name: 'X-Entity-Ref-ID', value: '123' },
      { name: 'List-Unsubscribe', value: '<mailto:u@acme.test>' },
    ]);
    expect(draft.tags).toEqual([{ name: 'category', value: 'confirm_email' }]);
  });

  it('converts an internationalized domain to Punycode', () => {
    expect(parseSendRequest({ ...valid, to: 'user@exämple.com' }).to[0]!.address).toBe('user@xn--exmple-cua.com');
  });

  it.each([
    ['a non-object body', [valid], 'malformed_body', /JSON object/],
    ['a missing from', { ...valid, from: undefined }, 'missing_field', /Missing `from`/],
    ['an invalid from', { ...valid, from: 'not an address' }, 'invalid_from', /`from` is not a valid email address/],
    ['a missing to', { ...valid, to: undefined }, 'missing_field', /Missing `to`/],
    ['an empty to list', { ...valid, to: [] }, 'missing_field', /Missing `to`/],
    ['an invalid to', { ...valid, to: ['ok@example.com', 'nope'] }, 'validation', /`to\[1\]` is not a valid email address/],
    ['a CR/LF in an address', { ...valid, to: 'a@example.com\r\nBcc: evil@example.com' }, 'validation', /line break/],
    ['a non-ASCII local part', { ...valid, to: 'jöe@example.com' }, 'validation', /non-ASCII/],
    ['51 recipients', { ...valid, to: Array.from({ length: 40 }, (_, i) => `t${i}@example.com`), bcc: Array.from({ length: 11 }, (_, i) => `b${i}@example.com`) }, 'validation', /at most 50 recipients.*has 51/],
    ['a missing subject', { ...valid, subject: undefined }, 'missing_field', /Missing `subject`/],
    ['CR/LF in the subject', { ...valid, subject: 'Hi\r\nBcc: evil@example.com' }, 'validation', /`subject` must be one line/],
    ['no body', { ...valid, text: undefined }, 'missing_field', /Missing `html` or `text`/],
    ['a header with a bad name', { ...valid, headers: { 'Bad Name': 'x' } }, 'validation', /Header name "Bad Name" is invalid/],
    ['a header with a colon in its name', { ...valid, headers: { 'X-A:b': 'x' } }, 'validation', /is invalid/],
    ['CR/LF in a header value', { ...valid, headers: { 'X-A': 'x\r\nBcc: evil@example.com' } }, 'validation', /Header `X-A` must be one line/],
    ['a reserved header', { ...valid, headers: { Subject: 'other' } }, 'validation', /Header `Subject` cannot be set/],
    ['an X-SES header', { ...valid, headers: { 'X-SES-CONFIGURATION-SET': 'other' } }, 'validation', /cannot be set/],
    ['a non-ASCII header value', { ...valid, headers: { 'X-A': 'é' } }, 'validation', /printable ASCII/],
    ['16 headers', { ...valid, headers: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`X-H${i}`, 'v'])) }, 'validation', /at most 15/],
    ['a tag with a space', { ...valid, tags: [{ name: 'my tag', value: 'x' }] }, 'validation', /tags\[0\]`\.name must be/],
    ['a tag value with a space', { ...valid, tags: [{ name: 'ok', value: 'a b' }] }, 'validation', /tags\[0\]`\.value must be/],
    ['the reserved tag', { ...valid, tags: [{ name: 'outbox-message-id', value: 'x' }] }, 'validation', /reserved/],
    ['a tag name in the reserved outbox- prefix', { ...valid, tags: [{ name: 'Outbox-campaign', value: 'x' }] }, 'validation', /`Outbox-campaign` is reserved: tag names starting with `outbox-`/],
  ])('refuses %s', (_case, body, kind, message) => {
    const error = refusal(body);
    expect(error.kind).toBe(kind);
    expect(error.message).toMatch(message);
  });

  it('names every problem in one refusal', () => {
    const error = refusal({ from: 'bad', to: 'also bad', text: 'x' });
    expect(error.kind).toBe('invalid_from');
    expect(error.message).toMatch(/`from`/);
    expect(error.message).toMatch(/`to`/);
    expect(error.message).toMatch(/`subject`/);
  });
});
