import { messageLines, readHeaderSection, type HeaderSectionReading } from '../../lambda/core/header-section';

const bytes = (text: string) => Buffer.from(text, 'latin1');
const lines = (text: string) => [...messageLines(bytes(text))].map((l) => [text.slice(l.start, l.end), l.ending]);

function problems(reading: HeaderSectionReading): readonly string[] {
  if (reading.ok) throw new Error('expected the header section to be refused');
  return reading.problems;
}

describe('messageLines', () => {
  it('ends a line at CRLF, at a bare CR and at a bare LF, as the most lenient reader does', () => {
    expect(lines('a\r\nb\rc\nd')).toEqual([
      ['a', 'CRLF'],
      ['b', 'CR'],
      ['c', 'LF'],
      ['d', ''],
    ]);
  });

  it('reads CR CR LF as a line and an empty line, and LF CR as two line endings', () => {
    expect(lines('a\r\r\nb\n\rc')).toEqual([
      ['a', 'CR'],
      ['', 'CRLF'],
      ['b', 'LF'],
      ['', 'CR'],
      ['c', ''],
    ]);
  });

  it('yields no empty line after a final line ending, and numbers lines from 1', () => {
    expect([...messageLines(bytes('a\r\nb\r\n'))].map((l) => [l.number, l.ending])).toEqual([
      [1, 'CRLF'],
      [2, 'CRLF'],
    ]);
    expect([...messageLines(bytes(''))]).toEqual([]);
  });
});

describe('readHeaderSection', () => {
  it('reads fields with their lines, joins folded continuations, and ends at the first empty line', () => {
    const text = 'From: a@acme.test\r\nSubject: Hello\r\n\tworld \r\nTo: b@example.com,\r\n c@example.com\r\n\r\nBcc: body@example.com\r\n';
    const reading = readHeaderSection(bytes(text));
    expect(reading).toEqual({
      ok: true,
      section: {
        fields: [
          { name: 'From', value: 'a@acme.test', line: 1 },
          { name: 'Subject', value: 'Hello\tworld', line: 2 },
          { name: 'To', value: 'b@example.com, c@example.com', line: 4 },
        ],
        bodyOffset: text.indexOf('Bcc:'),
        bodyLine: 7,
      },
    });
  });

  it('takes a name with spaces or tabs before the colon (RFC 5322 obsolete syntax) without them', () => {
    const reading = readHeaderSection(bytes('bCC \t: x@example.com\r\nX-A:b\r\n\r\n'));
    expect(reading.ok && reading.section.fields).toEqual([
      { name: 'bCC', value: 'x@example.com', line: 1 },
      { name: 'X-A', value: 'b', line: 2 },
    ]);
  });

  it('keeps an empty body empty', () => {
    const reading = readHeaderSection(bytes('From: a@acme.test\r\n\r\n'));
    expect(reading.ok && [reading.section.bodyOffset, reading.section.bodyLine]).toEqual([21, 3]);
  });

  it.each([
    ['no field on the first line', 'Hello there\r\n\r\nbody'],
    ['a first line that begins with whitespace', ' Bcc: x@example.com\r\nFrom: a@acme.test\r\n\r\n'],
    ['an empty first line', '\r\nFrom: a@acme.test\r\n\r\n'],
    ['no empty line after the fields', 'From: a@acme.test\r\nTo: b@example.com\r\n'],
  ])('calls %s not a message', (_case, text) => {
    const reading = readHeaderSection(bytes(text));
    expect(reading).toMatchObject({ ok: false, notAMessage: true });
    expect(problems(reading)).toEqual([expect.stringMatching(/^`raw` is not an RFC 5322 message/)]);
  });

  it('names the first bare line ending in full and the others by line', () => {
    const reading = readHeaderSection(bytes('From: a@acme.test\nTo: b@example.com\rSubject: x\n\nbody'));
    expect(problems(reading)).toEqual([
      'Line 1 of the raw message ends with a bare LF (0x0A without CR before it) in the header section: header lines must end with CRLF (RFC 5322), since SES and receiving mail servers disagree about where a bare CR or LF ends a line, and a header after one could pass unchecked.',
      'Lines 2, 3, 4 of the header section also end with a bare CR or LF.',
    ]);
    expect(reading.ok ? [] : reading.fields.map((f) => f.name)).toEqual(['From', 'To', 'Subject']);
  });

  it.each([
    ['00', 'a NUL'],
    ['01', 'an SOH'],
    ['08', 'a BS'],
    ['0B', 'a VT'],
    ['0C', 'an FF'],
    ['1B', 'an ESC'],
    ['1F', 'a US'],
    ['7F', 'a DEL'],
  ])('refuses the control byte 0x%s in a value, naming it and its line', (hex, named) => {
    const text = `From: a@acme.test\r\nTo: b@example.com\r\nSubject: a${String.fromCharCode(parseInt(hex, 16))}b\r\n\r\n`;
    expect(problems(readHeaderSection(bytes(text)))).toEqual([
      `The raw message's header section contains ${named} byte (0x${hex}) at line 3: control characters are not allowed in headers (RFC 5322), and readers treat them differently.`,
    ]);
  });

  it('refuses a control byte in a name, and says the line is not a field', () => {
    expect(problems(readHeaderSection(bytes('From: a@acme.test\r\nB\x00cc: x@example.com\r\n\r\n')))).toEqual([
      expect.stringMatching(/contains a NUL byte \(0x00\) at line 2/),
      expect.stringMatching(/^Line 2 of the raw message is in the header section but is neither a header field \(`Name: value`\) nor a folded continuation/),
    ]);
  });

  it('refuses a control byte in a folded continuation', () => {
    expect(problems(readHeaderSection(bytes('From: a@acme.test\r\nSubject: a\r\n \x1bb\r\n\r\n')))).toEqual([expect.stringMatching(/an ESC byte \(0x1B\) at line 3/)]);
  });

  it('allows HTAB in values and as folding whitespace', () => {
    expect(readHeaderSection(bytes('From:\ta@acme.test\r\nSubject: a\tb\r\n\tc\r\n\r\n')).ok).toBe(true);
  });

  it('refuses 8-bit bytes (raw UTF-8) and points to RFC 2047 encoded-words', () => {
    expect(problems(readHeaderSection(bytes('From: a@acme.test\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\n\r\n')))).toEqual([
      "The raw message's header section contains a non-ASCII byte (0xC3) at line 2: SES has no SMTPUTF8, so headers must be 7-bit ASCII; write non-ASCII text as RFC 2047 encoded-words (`=?UTF-8?B?...?=`).",
    ]);
  });

  it('refuses a line of only spaces or tabs, which some readers take for the end of the headers', () => {
    expect(problems(readHeaderSection(bytes('From: a@acme.test\r\n \t\r\nBcc: x@example.com\r\n\r\n')))).toEqual([
      'Line 2 of the raw message has only spaces or tabs, in the header section: RFC 5322 forbids such a line there, and some readers take it for the empty line that ends the headers.',
    ]);
  });

  it('refuses a line that is neither field nor fold', () => {
    expect(problems(readHeaderSection(bytes('From: a@acme.test\r\nnot a header\r\nTo: b@example.com\r\n\r\n')))).toEqual([
      expect.stringMatching(/^Line 2 of the raw message is in the header section but is neither a header field/),
    ]);
  });

  it('names ten problems at most and counts the rest', () => {
    const text = `From: a@acme.test\r\n${Array.from({ length: 14 }, (_, i) => `X-${i}: \x00\r\n`).join('')}\r\n`;
    const named = problems(readHeaderSection(bytes(text)));
    expect(named).toHaveLength(11);
    expect(named[10]).toBe('(and 4 more problems in the header section)');
  });
});
