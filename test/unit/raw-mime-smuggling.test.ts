import { OutboxError } from '../../lambda/core/errors';
import { readMimeMessage } from '../../lambda/core/mime-message';
import { sendRawEmail } from '../../lambda/core/raw-email';
import { inMemorySendDeps } from '../helpers/in-memory';

/**
 * Raw messages that try to carry a header past Outbox's checks: each is refused with 422
 * validation_error naming what was found, and nothing is stored or sent. What a lenient reader
 * sees as a header (a line after a bare CR or LF) counts as one.
 */
const principal = { keyId: 'key-1', scope: 'sending_access' as const };
const HEAD = 'From: a@acme.test\r\nTo: b@example.com\r\n';

const deps = inMemorySendDeps;

async function send(raw: string) {
  const d = deps();
  try {
    const { id } = await sendRawEmail(d, principal, { raw: Buffer.from(raw, 'latin1').toString('base64') });
    return { id, sent: d.sender.sent, stored: d.emails.emails.size };
  } catch (error) {
    if (!(error instanceof OutboxError)) throw error;
    return { error, sent: d.sender.sent, stored: d.emails.emails.size };
  }
}

async function refused(raw: string, ...expected: RegExp[]): Promise<string> {
  const result = await send(raw);
  expect(result.error).toBeInstanceOf(OutboxError);
  expect({ status: result.error!.status, code: result.error!.code, sent: result.sent.length, stored: result.stored }).toEqual({
    status: 422,
    code: 'validation_error',
    sent: 0,
    stored: 0,
  });
  for (const text of expected) expect(result.error!.message).toMatch(text);
  return result.error!.message;
}

async function accepted(raw: string) {
  const result = await send(raw);
  expect(result.error).toBeUndefined();
  expect(result.sent).toHaveLength(1);
  expect(Buffer.from(result.sent[0]!.draft.raw!, 'base64').toString('latin1')).toBe(raw);
  return result.sent[0]!.draft;
}

const BARE_CR = /ends with a bare CR \(0x0D without LF after it\) in the header section: header lines must end with CRLF \(RFC 5322\)/;
const BARE_LF = /ends with a bare LF \(0x0A without CR before it\) in the header section/;

describe('raw MIME header smuggling', () => {
  it('refuses a Bcc header after a bare CR, naming the bare CR and the Bcc header', async () => {
    await refused('From: a@acme.test\r\nTo: b@example.com\rBcc: evil@example.net\r\n\r\nHi\r\n', /^Line 2 of the raw message ends with a bare CR/, BARE_CR, /has a `Bcc` header at line 3, which every recipient would see/);
  });

  it('refuses a Bcc header after a bare LF', async () => {
    await refused('From: a@acme.test\r\nTo: b@example.com\nBcc: evil@example.net\r\n\r\nHi\r\n', /^Line 2 /, BARE_LF, /`Bcc` header at line 3/);
  });

  it('refuses an X-SES header after a bare CR', async () => {
    await refused(`${HEAD}Subject: x\rX-SES-CONFIGURATION-SET: other\r\n\r\nHi\r\n`, BARE_CR, /an `X-SES-CONFIGURATION-SET` header at line 4, which Outbox refuses/);
  });

  it.each([
    ['with a folded value', 'Bcc:\r\n evil@example.net', /has a `Bcc` header at line 3/],
    ['folded over several lines', 'Bcc: one@example.net,\r\n\ttwo@example.net', /has a `Bcc` header at line 3/],
    ['empty', 'Bcc:', /has a `Bcc` header at line 3/],
    ['in odd case with a space before the colon', 'bCC : evil@example.net', /has a `Bcc` header \(written `bCC`\) at line 3/],
    ['in capitals with a tab before the colon', 'BCC\t: evil@example.net', /has a `Bcc` header \(written `BCC`\) at line 3/],
  ])('refuses a Bcc header %s', async (_case, header, text) => {
    await refused(`${HEAD}${header}\r\n\r\nHi\r\n`, text);
  });

  it.each(['x-ses-message-tags : a=b', 'X-Ses-Source-Arn:\r\n arn:aws:ses:us-east-1:1:identity/x'])('refuses %j as an X-SES header', async (header) => {
    await refused(`${HEAD}${header}\r\n\r\nHi\r\n`, /-ses-\S+` header at line 3, which Outbox refuses/i);
  });

  it('reads `Bcc:` at the start of a folded continuation as part of the value before it, as every reader does', async () => {
    const draft = await accepted(`${HEAD}X-Note: see below\r\n Bcc: not-a-header@example.net\r\n\r\nHi\r\n`);
    expect(draft.bcc).toEqual([]);
    expect(draft.to).toEqual([{ address: 'b@example.com' }]);
  });

  it.each([
    ['a NUL in a value', `${HEAD}Subject: a\x00b\r\n\r\nHi\r\n`, /contains a NUL byte \(0x00\) at line 3/],
    ['a NUL before a header name', `${HEAD}\x00Bcc: evil@example.net\r\n\r\nHi\r\n`, /contains a NUL byte \(0x00\) at line 3/],
    ['a NUL in a header name', `${HEAD}X-A\x00B: c\r\n\r\nHi\r\n`, /contains a NUL byte \(0x00\) at line 3.*neither a header field/],
    ['a vertical tab where a line break would be', `From: a@acme.test\r\nTo: b@example.com\x0bBcc: evil@example.net\r\n\r\nHi\r\n`, /contains a VT byte \(0x0B\) at line 2/],
    ['a form feed', `${HEAD}Subject: a\x0cb\r\n\r\nHi\r\n`, /contains an FF byte \(0x0C\) at line 3/],
    ['an escape in a folded value', `${HEAD}Subject: a\r\n \x1b[2Jb\r\n\r\nHi\r\n`, /contains an ESC byte \(0x1B\) at line 4/],
    ['a DEL', `${HEAD}Subject: a\x7f\r\n\r\nHi\r\n`, /contains a DEL byte \(0x7F\) at line 3/],
    ['a control byte in the From header', 'From: a@acme.test\x01\r\nTo: b@example.com\r\n\r\nHi\r\n', /contains an SOH byte \(0x01\) at line 1/],
  ])('refuses %s in the header section', async (_case, raw, text) => {
    await refused(raw, text);
  });

  it.each([
    ['LF LF', 'From: a@acme.test\nTo: b@example.com\n\nHi\n', /^Line 1 of the raw message ends with a bare LF/],
    ['CR CR', 'From: a@acme.test\r\nTo: b@example.com\r\rBcc: evil@example.net\r\n\r\nHi\r\n', /^Line 2 of the raw message ends with a bare CR.*Line 3 of the header section also ends with a bare CR or LF/],
    ['CR CR LF (postal-mime drops the CRs and reads on)', 'From: a@acme.test\r\nTo: b@example.com\r\r\nBcc: evil@example.net\r\n\r\nHi\r\n', /^Line 2 of the raw message ends with a bare CR/],
    ['CRLF LF (a strict reader reads on)', 'From: a@acme.test\r\nTo: b@example.com\r\n\nBcc: evil@example.net\r\n\r\nHi\r\n', /^Line 3 of the raw message ends with a bare LF/],
    ['LF CRLF', 'From: a@acme.test\r\nTo: b@example.com\n\r\nHi\r\n', /^Line 2 of the raw message ends with a bare LF/],
  ])('refuses a header section ended by %s', async (_case, raw, text) => {
    await refused(raw, text);
  });

  it('refuses a line of only whitespace in the header section, which some readers take for its end', async () => {
    await refused(`${HEAD} \r\nBcc: evil@example.net\r\n\r\nHi\r\n`, /Line 3 of the raw message has only spaces or tabs/, /`Bcc` header at line 4/);
  });

  it('refuses a line in the header section that is neither field nor fold', async () => {
    await refused(`${HEAD}this is not a header\r\nSubject: x\r\n\r\nHi\r\n`, /^Line 3 of the raw message is in the header section but is neither a header field/);
  });

  it('refuses raw UTF-8 in a header and accepts the same subject as an RFC 2047 encoded-word', async () => {
    await refused(`${HEAD}Subject: Gr\xc3\xbc\xc3\x9fe\r\n\r\nHi\r\n`, /non-ASCII byte \(0xC3\) at line 3: SES has no SMTPUTF8/);
    const draft = await accepted(`${HEAD}Subject: =?UTF-8?B?${Buffer.from('Grüße').toString('base64')}?=\r\n\r\nHi\r\n`);
    expect(draft.subject).toBe('Grüße');
  });

  it.each([
    ['From', 'From: other@acme.test', /has 2 `From` headers \(lines 1, 3\); a message may have one \(RFC 5322\)/],
    ['To', 'to: c@example.com', /has 2 `To` headers \(lines 2, 3\)/],
    ['Content-Type', 'Content-Type: text/plain\r\nContent-Type: multipart/mixed; boundary=x', /has 2 `Content-Type` headers \(lines 3, 4\)/],
  ])('refuses a repeated %s header, since readers disagree about which counts', async (_case, extra, text) => {
    await refused(`${HEAD}${extra}\r\n\r\nHi\r\n`, text);
  });

  it('refuses a bare CR in the body, where it could hide a part header from the scan', async () => {
    const raw = [
      `${HEAD}MIME-Version: 1.0`,
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain\rContent-Disposition: attachment; filename="setup.exe"',
      '',
      'MZ',
      '--b--',
      '',
    ].join('\r\n');
    await refused(raw, /^Line 7 of the raw message, in the body, ends with a bare CR \(0x0D without LF after it\): RFC 5322 allows CR only in CRLF/);
    // Why: postal-mime, which finds the parts for the scan, reads no setup.exe in it.
    const parsed = await readMimeMessage(Buffer.from(raw, 'latin1'));
    expect(parsed.parts.map((p) => p.filename)).not.toContain('setup.exe');
  });

  it('accepts bare LF line endings in the body', async () => {
    const draft = await accepted(`${HEAD}Subject: x\r\n\r\nline one\nline two\n`);
    expect(draft.text).toBe('line one\nline two\n');
  });
});

describe('998-character lines under each line ending', () => {
  const header = (length: number) => `X-Long: ${'x'.repeat(length - 'X-Long: '.length)}`;
  const tooLong = (line: number, length: number) => new RegExp(`Line ${line} of the raw message is ${length} characters; SES \\(and RFC 5322\\) allow at most 998`);

  it('accepts a 998-character header line ended by CRLF and refuses 999', async () => {
    await accepted(`${HEAD}${header(998)}\r\n\r\nHi\r\n`);
    await refused(`${HEAD}${header(999)}\r\n\r\nHi\r\n`, tooLong(3, 999));
  });

  it('refuses a 998-character header line ended by a bare LF or CR for the ending, and names a longer one too', async () => {
    const lf = await refused(`${HEAD}${header(998)}\nSubject: x\r\n\r\nHi\r\n`, BARE_LF);
    expect(lf).not.toMatch(/characters; SES/);
    await refused(`${HEAD}${header(998)}\rSubject: x\r\n\r\nHi\r\n`, BARE_CR);
    await refused(`${HEAD}${header(999)}\rSubject: x\r\n\r\nHi\r\n`, BARE_CR, tooLong(3, 999));
  });

  it.each([
    ['CRLF', '\r\n'],
    ['a bare LF', '\n'],
  ])('accepts a 998-character body line ended by %s and refuses 999', async (_case, ending) => {
    await accepted(`${HEAD}\r\n${'y'.repeat(998)}${ending}end\r\n`);
    await refused(`${HEAD}\r\n${'y'.repeat(999)}${ending}end\r\n`, tooLong(4, 999));
  });

  it('refuses a body line ended by a bare CR, whatever its length', async () => {
    await refused(`${HEAD}\r\n${'y'.repeat(998)}\rend\r\n`, /^Line 4 of the raw message, in the body, ends with a bare CR/);
  });

  it('measures the last line, which has no ending', async () => {
    await accepted(`${HEAD}\r\n${'y'.repeat(998)}`);
    await refused(`${HEAD}\r\n${'y'.repeat(999)}`, tooLong(4, 999));
  });
});
