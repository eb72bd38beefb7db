import { canonicalBase64, contentTypeFor } from '../../lambda/core/attachments';
import { OutboxError } from '../../lambda/core/errors';
import { parseSendRequest } from '../../lambda/core/send-request';

const valid = { from: 'Acme <hello@acme.test>', to: 'b@example.com', subject: 'Hi', html: '<p>Hi <img src="cid:logo"></p>' };
const pdf = Buffer.from('%PDF-1.4 test').toString('base64');

function refusal(body: unknown): OutboxError {
  try {
    parseSendRequest(body);
  } catch (error) {
    if (error instanceof OutboxError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseSendRequest: attachments', () => {
  it('reads attachments in the Resend API shape, defaulting the content type from the extension', () => {
    const draft = parseSendRequest({
      ...valid,
      attachments: [
        { filename: 'invoice.pdf', content: pdf },
        { filename: 'logo.png', content: 'iVBORw0KGgo=', content_type: 'image/png', content_id: 'logo' },
        { filename: 'data.bin', content: 'AAEC' },
      ],
    });
    expect(draft.attachments).toEqual([
      { filename: 'invoice.pdf', content: pdf, contentType: 'application/pdf' },
      { filename: 'logo.png', content: 'iVBORw0KGgo=', contentType: 'image/png', contentId: 'logo' },
      { filename: 'data.bin', content: 'AAEC', contentType: 'application/octet-stream' },
    ]);
  });

  it('gives an email without attachments an empty list', () => {
    expect(parseSendRequest(valid).attachments).toEqual([]);
  });

  it('accepts base64 with line breaks or without padding, and keeps it canonical', () => {
    const draft = parseSendRequest({ ...valid, attachments: [{ filename: 'a.txt', content: 'aGVs\r\nbG8' }] });
    expect(draft.attachments[0]!.content).toBe('aGVsbG8=');
  });

  it('takes a content id in angle brackets without them', () => {
    const draft = parseSendRequest({ ...valid, attachments: [{ filename: 'a.png', content: 'AAEC', content_id: '<logo@acme.test>' }] });
    expect(draft.attachments[0]!.contentId).toBe('logo@acme.test');
  });

  it.each<[string, unknown, RegExp]>([
    ['a path (remote fetch)', [{ filename: 'a.pdf', path: 'https://example.com/a.pdf' }], /`attachments\[0\]`\.path is not supported: Outbox does not fetch files from URLs.*SSRF/],
    ['a missing filename', [{ content: pdf }], /Missing `attachments\[0\]`\.filename/],
    ['a filename with a slash', [{ filename: '../etc/passwd', content: pdf }], /must be a plain file name: no path separators/],
    ['a filename with a backslash', [{ filename: 'C:\\a.pdf', content: pdf }], /must be a plain file name/],
    ['a filename with CR/LF', [{ filename: 'a.pdf\r\nX-Evil: 1', content: pdf }], /line breaks or other control characters/],
    ['a blank filename', [{ filename: '   ', content: pdf }], /must be 1-255 characters and not only spaces/],
    ['a missing content', [{ filename: 'a.pdf' }], /Missing `attachments\[0\]`\.content: give the file's bytes as a base64 string/],
    ['content that is not base64', [{ filename: 'a.pdf', content: 'not base64!' }], /`attachments\[0\]`\.content is not valid base64/],
    ['base64url content', [{ filename: 'a.pdf', content: 'a-_b' }], /is not valid base64/],
    ['padding in the middle', [{ filename: 'a.pdf', content: 'aG=k' }], /is not valid base64/],
    ['empty content', [{ filename: 'a.pdf', content: '' }], /`attachments\[0\]`\.content is empty/],
    ['content that is not a string', [{ filename: 'a.pdf', content: { type: 'Buffer' } }], /must be a base64 string/],
    ['a bad content type', [{ filename: 'a.pdf', content: pdf, content_type: 'pdf' }], /content_type must be a MIME type/],
    ['a content type with CR/LF', [{ filename: 'a.pdf', content: pdf, content_type: 'text/plain\r\nBcc: x@y.z' }], /content_type must be a MIME type/],
    ['a content id with a space', [{ filename: 'a.png', content: pdf, content_id: 'my logo' }], /content_id must be 1-250 printable ASCII/],
    ['a repeated content id', [{ filename: 'a.png', content: pdf, content_id: 'x' }, { filename: 'b.png', content: pdf, content_id: 'x' }], /`attachments\[1\]`\.content_id `x` is given to more than one attachment/],
    ['an attachment that is not an object', ['a.pdf'], /`attachments\[0\]` must be an object/],
    ['attachments that are not a list', { filename: 'a.pdf', content: pdf }, /`attachments` must be a list/],
  ])('refuses %s as invalid_attachment', (_case, attachments, message) => {
    const error = refusal({ ...valid, attachments });
    expect(error.kind).toBe('invalid_attachment');
    expect(error.code).toBe('invalid_attachment');
    expect(error.status).toBe(422);
    expect(error.message).toMatch(message);
  });

  it('refuses attachments over what SES takes in one message, saying the sizes', () => {
    // 31 MB decoded is about 42 MB once base64-encoded: over SES's 40 MB.
    const big = Buffer.alloc(31 * 1024 * 1024, 1).toString('base64');
    const error = refusal({ ...valid, attachments: [{ filename: 'big.bin', content: big }] });
    expect(error.kind).toBe('invalid_attachment');
    expect(error.message).toMatch(/The attachments come to 31\.0 MB \(about 4\d\.\d MB once MIME-encoded\); SES takes at most 40 MB/);
  });

  it('names every attachment problem and the other problems in one refusal', () => {
    const error = refusal({ ...valid, subject: undefined, attachments: [{ filename: 'a/b', content: '!' }] });
    expect(error.message).toMatch(/Missing `subject`/);
    expect(error.message).toMatch(/plain file name/);
    expect(error.message).toMatch(/not valid base64/);
  });
});

describe('parseSendRequest: templates', () => {
  const base = { from: 'Acme <hello@acme.test>', to: 'b@example.com' };

  it('reads a template by SES name with its variables, needing no subject or body', () => {
    const draft = parseSendRequest({ ...base, template: { id: 'welcome_v2', variables: { name: 'Ada', count: 3 } } });
    expect(draft.template).toEqual({ id: 'welcome_v2', variables: { name: 'Ada', count: 3 } });
    expect(draft.subject).toBeUndefined();
    expect(draft.html).toBeUndefined();
  });

  it('gives a template without variables an empty set', () => {
    expect(parseSendRequest({ ...base, template: { id: 'plain' } }).template).toEqual({ id: 'plain', variables: {} });
  });

  it('takes attachments beside a template', () => {
    const draft = parseSendRequest({ ...base, template: { id: 't' }, attachments: [{ filename: 'a.pdf', content: pdf }] });
    expect(draft.attachments).toHaveLength(1);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a missing id', { ...base, template: { variables: {} } }, 'missing_field', /Missing `template\.id`/],
    ['an id SES cannot name', { ...base, template: { id: 'my template' } }, 'validation', /`template\.id` must be an SES template name: 1-64 letters, digits, underscores or dashes/],
    ['an id over 64 characters', { ...base, template: { id: 'a'.repeat(65) } }, 'validation', /must be an SES template name/],
    ['a template that is not an object', { ...base, template: 'welcome' }, 'validation', /`template` must be an object/],
    ['variables that are not an object', { ...base, template: { id: 't', variables: ['a'] } }, 'validation', /`template\.variables` must be an object/],
    ['a variable that is an object', { ...base, template: { id: 't', variables: { user: { name: 'x' } } } }, 'validation', /`template\.variables\.user` must be a string or a number/],
    ['a subject beside a template', { ...base, subject: 'Hi', template: { id: 't' } }, 'validation', /`subject` cannot be given with `template`: SES takes the subject and body from the stored template/],
    ['html beside a template', { ...base, html: '<p>x</p>', template: { id: 't' } }, 'validation', /`html` cannot be given with `template`/],
    ['text beside a template', { ...base, text: 'x', template: { id: 't' } }, 'validation', /`text` cannot be given with `template`/],
  ])('refuses %s', (_case, body, kind, message) => {
    const error = refusal(body);
    expect(error.kind).toBe(kind);
    expect(error.message).toMatch(message);
  });

  it('still asks for a body when there is no template', () => {
    expect(refusal({ ...base, subject: 'Hi' }).message).toMatch(/Missing `html` or `text`: an email needs a body \(or a `template`\)/);
  });
});

describe('attachment helpers', () => {
  it.each([
    ['report.PDF', 'application/pdf'],
    ['photo.jpeg', 'image/jpeg'],
    ['sheet.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    ['noextension', 'application/octet-stream'],
    ['archive.unknownext', 'application/octet-stream'],
  ])('gives %s the content type %s', (filename, type) => {
    expect(contentTypeFor(filename)).toBe(type);
  });

  it('decodes base64 strictly', () => {
    expect(canonicalBase64('aGk=')).toBe('aGk=');
    expect(canonicalBase64('aGk')).toBe('aGk=');
    expect(canonicalBase64('a')).toBeUndefined();
    expect(canonicalBase64('aGk=aGk=')).toBeUndefined();
    expect(canonicalBase64('aG?k')).toBeUndefined();
  });
});
