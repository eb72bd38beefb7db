import MailComposer from 'nodemailer/lib/mail-composer';
import { EICAR_SIGNATURE } from '../../lambda/core/content-scan';
import { OutboxError } from '../../lambda/core/errors';
import { parseRawSendRequest, sendRawEmail } from '../../lambda/core/raw-email';
import { inMemorySendDeps } from '../helpers/in-memory';

const principal = { keyId: 'key-1', scope: 'sending_access' as const };
const b64 = (text: string) => Buffer.from(text).toString('base64');
const message = (headers: string, body = 'Hello\r\n') => b64(`${headers.trim().split('\n').map((l) => l.trim()).join('\r\n')}\r\n\r\n${body}`);
const simple = message(`
  From: Acme <hello@acme.test>
  To: Ann <ann@example.com>, team: bob@example.com, carol@example.com;
  Cc: dave@example.com
  Reply-To: support@acme.test
  Subject: =?UTF-8?B?${b64('Grüße')}?=
  Content-Type: text/plain; charset=utf-8
`);

async function refusal(body: unknown): Promise<OutboxError> {
  try {
    await parseRawSendRequest(body);
  } catch (error) {
    if (error instanceof OutboxError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseRawSendRequest', () => {
  it('takes From, recipients (groups flattened), Reply-To, subject and text from the headers', async () => {
    const { draft } = await parseRawSendRequest({ raw: simple, tags: [{ name: 'kind', value: 'raw' }] });
    expect(draft.from).toEqual({ address: 'hello@acme.test', name: 'Acme' });
    expect(draft.to).toEqual([{ address: 'ann@example.com', name: 'Ann' }, { address: 'bob@example.com' }, { address: 'carol@example.com' }]);
    expect(draft.cc).toEqual([{ address: 'dave@example.com' }]);
    expect(draft.bcc).toEqual([]);
    expect(draft.replyTo).toEqual([{ address: 'support@acme.test' }]);
    expect(draft.subject).toBe('Grüße');
    expect(draft.text).toBe('Hello\n');
    expect(draft.tags).toEqual([{ name: 'kind', value: 'raw' }]);
    expect(draft.attachments).toEqual([]);
    expect(draft.raw).toBe(simple);
  });

  it('sends to `to`, `cc` and `bcc` alone when any is given, and from `from` when given', async () => {
    const { draft } = await parseRawSendRequest({ raw: simple, to: 'other@example.com', bcc: ['hidden@example.com'], from: 'bounce@acme.test' });
    expect(draft.to).toEqual([{ address: 'other@example.com' }]);
    expect(draft.cc).toEqual([]);
    expect(draft.bcc).toEqual([{ address: 'hidden@example.com' }]);
    expect(draft.from).toEqual({ address: 'bounce@acme.test' });
  });

  it('reads a multipart message built by a MIME library', async () => {
    const built = await new MailComposer({
      from: 'hello@acme.test',
      to: 'b@example.com',
      subject: 'Report',
      text: 'See attached',
      html: '<p>See attached</p>',
      attachments: [{ filename: 'report.pdf', content: Buffer.from('%PDF') }],
    })
      .compile()
      .build();
    const { draft, message: parsed } = await parseRawSendRequest({ raw: built.toString('base64') });
    expect(draft.subject).toBe('Report');
    expect(draft.html?.trim()).toBe('<p>See attached</p>');
    expect(parsed.parts.map((p) => [p.filename, p.contentType, Buffer.from(p.bytes).toString()])).toEqual([['report.pdf', 'application/pdf', '%PDF']]);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a body that is not an object', 'raw', 'malformed_body', /must be a JSON object/],
    ['no raw', {}, 'missing_field', /Missing `raw`: give the whole RFC 5322 message/],
    ['raw that is not a string', { raw: 42 }, 'validation', /`raw` must be a string/],
    ['raw that is not base64', { raw: 'From: a@b.c' }, 'validation', /`raw` is not valid base64/],
    ['raw that is not a message', { raw: b64('just some text, no headers') }, 'validation', /`raw` is not an RFC 5322 message: it must start with header fields/],
    ['raw without a blank line after the headers', { raw: b64('From: a@acme.test\r\nTo: b@example.com\r\n') }, 'validation', /not an RFC 5322 message/],
    ['a line over 998 characters', { raw: message('From: a@acme.test\nTo: b@example.com', `${'x'.repeat(1200)}\r\n`) }, 'validation', /Line 4 of the raw message is 1200 characters; SES \(and RFC 5322\) allow at most 998/],
    ['no From header', { raw: message('To: b@example.com\nSubject: x') }, 'missing_field', /The raw message has no From header/],
    ['a From header without a mailbox', { raw: message('From: nobody\nTo: b@example.com') }, 'invalid_from', /The raw message's From header \("nobody"\) names no mailbox/],
    ['a From header with raw UTF-8 (SES has no SMTPUTF8)', { raw: message('From: jörg@acme.test\nTo: b@example.com') }, 'validation', /header section contains a non-ASCII byte \(0xC3\) at line 1: SES has no SMTPUTF8, so headers must be 7-bit ASCII/],
    ['no recipients', { raw: message('From: a@acme.test\nSubject: x') }, 'missing_field', /names no recipients \(no To or Cc header\): add them, or give `to`, `cc` or `bcc`/],
    ['an invalid To address', { raw: message('From: a@acme.test\nTo: bad@localhost') }, 'validation', /The raw message's To header has an address that is not a valid email address/],
    ['CR/LF injection in the `to` override', { raw: simple, to: 'x@example.com\r\nBcc: evil@example.com' }, 'validation', /`to` contains a line break/],
    ['an invalid `from` override', { raw: simple, from: 'not an address' }, 'invalid_from', /`from` is not a valid email address/],
    ['an X-SES-CONFIGURATION-SET header', { raw: message('From: a@acme.test\nTo: b@example.com\nX-SES-CONFIGURATION-SET: other') }, 'validation', /an `X-SES-CONFIGURATION-SET` header at line 3, which Outbox refuses: X-SES-\* headers would change the configuration set, tags or sending identity/],
    ['an X-SES-MESSAGE-TAGS header', { raw: message('From: a@acme.test\nTo: b@example.com\nx-ses-message-tags: a=b') }, 'validation', /an `x-ses-message-tags` header at line 3, which Outbox refuses/],
    ['a Bcc header', { raw: message('From: a@acme.test\nTo: b@example.com\nBcc: c@example.com') }, 'validation', /has a `Bcc` header at line 3, which every recipient would see/],
    ['51 recipients', { raw: simple, to: Array.from({ length: 51 }, (_, i) => `r${i}@example.com`) }, 'validation', /at most 50 recipients; this one has 51/],
    ['a bad tag', { raw: simple, tags: [{ name: 'a b', value: 'x' }] }, 'validation', /`tags\[0\]`\.name must be/],
    ['fields of /emails', { raw: simple, subject: 'x', attachments: [] }, 'validation', /`subject` does not apply to \/emails\/raw.*`attachments` does not apply/],
  ])('refuses %s', async (_case, body, kind, text) => {
    const error = await refusal(body);
    expect(error.kind).toBe(kind);
    expect(error.message).toMatch(text);
  });
});

describe('sendRawEmail', () => {
  const deps = inMemorySendDeps;

  it('stores the email with what its headers say and sends the message as it is', async () => {
    const d = deps();
    const { id } = await sendRawEmail(d, principal, { raw: simple });
    expect(d.sender.sent).toHaveLength(1);
    expect(d.sender.sent[0]!.draft.raw).toBe(simple);
    expect(d.sender.sent[0]!.context).toEqual({ emailId: id, configurationSet: 'outbox' });
    expect(d.emails.emails.get(id)).toMatchObject({ subject: 'Grüße', lastEvent: 'sent', apiKeyId: 'key-1', from: { address: 'hello@acme.test' } });
  });

  it('leaves suppressed header recipients out of the destination', async () => {
    const d = deps();
    await d.suppressions.add({ id: 's1', email: 'dave@example.com', origin: 'bounce', sourceId: null, createdAt: '2026-11-01T00:00:00.000Z' });
    const { id } = await sendRawEmail(d, principal, { raw: simple });
    expect(d.sender.sent[0]!.draft.cc).toEqual([]);
    expect(d.emails.emails.get(id)!.suppressedRecipients).toEqual(['dave@example.com']);
  });

  it('stores and sends nothing for a message carrying the EICAR signature', async () => {
    const d = deps();
    const raw = message('From: a@acme.test\nTo: b@example.com', `${EICAR_SIGNATURE}\r\n`);
    await expect(sendRawEmail(d, principal, { raw })).rejects.toMatchObject({ kind: 'virus_found' });
    expect(d.sender.sent).toHaveLength(0);
    expect(d.emails.emails.size).toBe(0);
  });
});
