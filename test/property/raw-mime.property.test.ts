import fc from 'fast-check';
import MailComposer from 'nodemailer/lib/mail-composer';
import { OutboxError } from '../../lambda/core/errors';
import { sendRawEmail } from '../../lambda/core/raw-email';
import { inMemorySendDeps } from '../helpers/in-memory';
import { fuzzSettings, fuzzTimeoutMs } from './fuzz-settings';

/**
 * POST /emails/raw's core use case on generated messages, with in-memory fakes and a recording
 * sender. The property: the answer is a 4xx OutboxError or an accepted send, never anything else;
 * a refused message reaches neither the store nor the sender; and an accepted one reaches the
 * sender byte for byte and passes a strict check written here, independently of Outbox's reader:
 * every header-section line ends with CRLF, no control or 8-bit byte is in it, no bare CR is in the
 * message, no line is over 998 bytes, and no header is named Bcc or X-SES-* under any of four
 * readings of the line endings (CRLF only; LF, dropping CRs before it, as postal-mime does; CR,
 * dropping an LF after it; and any of CRLF, CR and LF).
 */
const principal = { keyId: 'key-1', scope: 'sending_access' as const };

type Reading = 'CRLF' | 'LF' | 'CR' | 'any';
const READINGS: readonly Reading[] = ['CRLF', 'LF', 'CR', 'any'];

function linesUnder(text: string, reading: Reading): string[] {
  switch (reading) {
    case 'CRLF':
      return text.split('\r\n');
    case 'LF':
      return text.split('\n').map((line) => line.replace(/\r+$/, ''));
    case 'CR':
      return text.split('\r').map((line) => line.replace(/^\n/, ''));
    case 'any':
      return text.split(/\r\n|\r|\n/);
  }
}

/** Header names a reader could see: up to the first empty line, folds skipped, controls and spaces dropped. */
function headerNamesUnder(text: string, reading: Reading): string[] {
  const names: string[] = [];
  for (const line of linesUnder(text, reading)) {
    if (line === '') break;
    if (line[0] === ' ' || line[0] === '\t') continue;
    const colon = line.indexOf(':');
    if (colon >= 0) names.push([...line.slice(0, colon)].filter((c) => c > ' ' && c !== '\x7f').join('').toLowerCase());
  }
  return names;
}

/** What the strict check finds wrong with a message; empty when it holds. */
function strictViolations(raw: Buffer): string[] {
  const violations: string[] = [];
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return ['no CRLF CRLF ends the header section'];
  for (let i = 0; i < end + 4; i++) {
    const byte = raw[i]!;
    if (byte === 0x0d && raw[i + 1] !== 0x0a) violations.push(`bare CR at ${i} in the header section`);
    else if (byte === 0x0a && raw[i - 1] !== 0x0d) violations.push(`bare LF at ${i} in the header section`);
    else if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0d && byte !== 0x0a) || byte === 0x7f) violations.push(`control byte 0x${byte.toString(16)} at ${i}`);
    else if (byte > 0x7f) violations.push(`8-bit byte 0x${byte.toString(16)} at ${i} in the header section`);
  }
  if (/\r(?!\n)/.test(text)) violations.push('a bare CR in the message');
  const long = linesUnder(text, 'any').findIndex((line) => line.length > 998);
  if (long >= 0) violations.push(`line ${long + 1} is over 998 bytes`);
  for (const reading of READINGS) {
    for (const name of headerNamesUnder(text, reading)) {
      if (name === 'bcc' || name.startsWith('x-ses-')) violations.push(`a ${name} header under the ${reading} reading`);
    }
  }
  return violations;
}

interface Tally {
  seed?: number;
  runs: number;
  accepted: number;
}

/** Runs one message through the raw route and checks the property; counts what was accepted. */
async function holds(raw: Uint8Array, tally: Tally): Promise<void> {
  const deps = inMemorySendDeps();
  const bytes = Buffer.from(raw);
  tally.runs++;
  try {
    await sendRawEmail(deps, principal, { raw: bytes.toString('base64') });
  } catch (error) {
    if (!(error instanceof OutboxError) || error.status < 400 || error.status > 499) throw error;
    if (deps.sender.sent.length > 0 || deps.emails.emails.size > 0) throw new Error(`refused (${error.message}) yet sent or stored`);
    return;
  }
  tally.accepted++;
  expect(deps.sender.sent).toHaveLength(1);
  expect(Buffer.from(deps.sender.sent[0]!.draft.raw!, 'base64').equals(bytes)).toBe(true);
  expect(strictViolations(bytes)).toEqual([]);
}

const tallies: Record<string, Tally> = {};
/** The run's settings for one property, its tally keeping the seed for the report. */
function settings<T>(name: string, quickRuns: number): { tally: Tally; parameters: fc.Parameters<T> } {
  const parameters = fuzzSettings<T>(quickRuns);
  const tally = (tallies[name] = { seed: parameters.seed, runs: 0, accepted: 0 });
  return { tally, parameters };
}

afterAll(() => {
  // The long run reports how many generated messages each property saw accepted.
  if (Number(process.env.OUTBOX_FUZZ_RUNS) > 0) {
    console.log(Object.entries(tallies).map(([name, t]) => `${name}: ${t.runs} runs (seed ${t.seed}), ${t.accepted} accepted`).join('\n'));
  }
});

const HEAD = 'From: a@acme.test\r\nTo: b@example.com\r\n';
const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

const ending = fc.oneof({ weight: 12, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constant('\n') }, { weight: 1, arbitrary: fc.constant('\r') });
const printable = (min: number, max: number) => fc.string({ unit: fc.integer({ min, max }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 30 });
const headerName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('Subject', 'X-Custom', 'Reply-To', 'Cc', 'Content-Type', 'MIME-Version', 'X-Mailer', 'Comments', 'List-Id') },
  { weight: 2, arbitrary: fc.constantFrom('Bcc', 'bCC', 'BCC', 'X-SES-CONFIGURATION-SET', 'x-ses-message-tags', 'X-Ses-Source-Arn') },
  { weight: 2, arbitrary: printable(0x21, 0x7e).map((name) => name.replace(/:/g, '-').slice(0, 12)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 12 }) },
);
const headerValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('x', 'hello world', 'c@example.com', 'text/plain', '1.0', '=?UTF-8?B?R3LDvMOfZQ==?=', '') },
  { weight: 3, arbitrary: printable(0x20, 0x7e) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
);
const field = fc.record({
  name: headerName,
  colon: fc.constantFrom(':', ': ', ' : ', '\t:', ':\t'),
  value: headerValue,
  fold: fc.option(fc.record({ at: fc.nat(), whitespace: fc.constantFrom(' ', '\t', '  '), ending })),
  ending,
});
const smuggled = fc.record({
  header: fc.constantFrom('Bcc: evil@example.net', 'bcc:evil@example.net', 'BCC : evil@example.net', 'X-SES-CONFIGURATION-SET: other', 'X-SES-MESSAGE-TAGS: a=b'),
  before: fc.constantFrom('\r', '\n', '\r\n', '\0', '\r\r\n', '\n\n', '\r\r', '\r\n\n', ' ', '\t', '\x0b', '\x0c', '\x85'),
  at: fc.nat(),
});

/** A header section from arbitrary fields and line endings (one for all lines, or each its own), maybe with a Bcc or X-SES header smuggled in. */
const builtMessage = fc
  .record({
    fromEnding: ending,
    toEnding: ending,
    fields: fc.array(field, { maxLength: 6 }),
    uniform: fc.option(fc.constantFrom('\r\n', '\r\n', '\n', '\r'), { freq: 2 }),
    separator: ending,
    smuggle: fc.option(smuggled, { freq: 2 }),
    body: fc.constantFrom('Hi\r\n', '', 'Bcc: body@example.net\r\n\r\nx', 'line\nline\n', 'a\rb\r\n', `${'y'.repeat(998)}\r\n`),
  })
  .map(({ fromEnding, toEnding, fields, uniform, separator, smuggle, body }) => {
    const end = (own: string) => uniform ?? own;
    let section = `From: a@acme.test${end(fromEnding)}To: b@example.com${end(toEnding)}`;
    for (const f of fields) {
      const at = f.fold ? f.fold.at % (f.value.length + 1) : 0;
      const value = f.fold ? `${f.value.slice(0, at)}${end(f.fold.ending)}${f.fold.whitespace}${f.value.slice(at)}` : f.value;
      section += `${f.name}${f.colon}${value}${end(f.ending)}`;
    }
    if (smuggle) {
      const at = smuggle.at % (section.length + 1);
      section = `${section.slice(0, at)}${smuggle.before}${smuggle.header}${section.slice(at)}`;
    }
    return utf8(`${section}${end(separator)}${body}`);
  });

const snippets = ['\r', '\n', '\0', '\r\nBcc: evil@example.net', '\rBcc: evil@example.net', '\nX-SES-CONFIGURATION-SET: x', '\r\n\r\n', '\r\n ', ' ', '\t', 'x', '\x7f', '\xe9'].map(
  (s) => new Uint8Array(Buffer.from(s, 'latin1')),
);
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), inHeader: fc.boolean(), at: fc.nat(), bytes: fc.oneof(fc.constantFrom(...snippets), fc.uint8Array({ minLength: 1, maxLength: 4 })) }),
  fc.record({ kind: fc.constant('set' as const), inHeader: fc.boolean(), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), inHeader: fc.boolean(), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(message: Buffer, mutations: readonly Mutation[]): Uint8Array {
  let bytes = message;
  for (const m of mutations) {
    const headerEnd = bytes.indexOf('\r\n\r\n');
    const span = m.inHeader && headerEnd >= 0 ? headerEnd + 4 : bytes.length;
    const at = m.at % (span + 1);
    if (m.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
    else if (m.kind === 'delete') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
    else if (at < bytes.length) (bytes = Buffer.from(bytes))[at] = m.byte;
  }
  return new Uint8Array(bytes);
}

describe('POST /emails/raw on generated messages', () => {
  let realMessages: Buffer[];

  beforeAll(async () => {
    const base = { from: 'Acme <a@acme.test>', to: 'b@example.com', subject: 'Report' };
    realMessages = [
      Buffer.from(`${HEAD}Subject: x\r\n\r\nHi\r\n`),
      ...(await Promise.all(
        [
          { ...base, text: 'Plain text' },
          { ...base, text: 'Both', html: '<p>Both</p>', replyTo: 'support@acme.test', cc: 'c@example.com' },
          { ...base, text: 'See attached', attachments: [{ filename: 'report.pdf', content: Buffer.from('%PDF-1.4') }] },
        ].map((options) => new MailComposer(options).compile().build()),
      )),
    ];
  });

  it(
    'answers arbitrary bytes with a 4xx or a send that passes the strict check',
    async () => {
      const { tally: t, parameters } = settings<[Uint8Array]>('arbitrary bytes', 400);
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), (raw) => holds(raw, t)),
        parameters,
      );
    },
    fuzzTimeoutMs(20_000),
  );

  it(
    'answers arbitrary bytes around a From and To with a 4xx or a send that passes the strict check',
    async () => {
      const { tally: t, parameters } = settings<[Uint8Array]>('bytes around From and To', 400);
      const around = fc
        .record({ before: fc.uint8Array({ maxLength: 8 }), after: fc.uint8Array({ maxLength: 200 }), blank: fc.boolean() })
        .map(({ before, after, blank }) => new Uint8Array(Buffer.concat([before, Buffer.from(HEAD), blank ? Buffer.from('\r\n') : Buffer.alloc(0), after])));
      await fc.assert(
        fc.asyncProperty(around, (raw) => holds(raw, t)),
        parameters,
      );
      expect(t.accepted).toBeGreaterThan(0);
    },
    fuzzTimeoutMs(20_000),
  );

  it(
    'answers header sections of arbitrary fields and line endings, some with a smuggled Bcc or X-SES header, with a 4xx or a send that passes the strict check',
    async () => {
      const { tally: t, parameters } = settings<[Uint8Array]>('built header sections', 600);
      await fc.assert(
        fc.asyncProperty(builtMessage, (raw) => holds(raw, t)),
        parameters,
      );
      // The accepted half of the property is exercised too, not only refusals.
      expect(t.accepted).toBeGreaterThan(0);
    },
    fuzzTimeoutMs(20_000),
  );

  it(
    'answers real messages with bytes inserted, changed or removed with a 4xx or a send that passes the strict check',
    async () => {
      const { tally: t, parameters } = settings<[Uint8Array]>('mutated real messages', 600);
      const mutated = fc
        .record({ which: fc.nat(), mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }) })
        .map(({ which, mutations }) => mutate(realMessages[which % realMessages.length]!, mutations));
      await fc.assert(
        fc.asyncProperty(mutated, (raw) => holds(raw, t)),
        parameters,
      );
      expect(t.accepted).toBeGreaterThan(0);
    },
    fuzzTimeoutMs(20_000),
  );
});
