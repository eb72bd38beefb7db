/**
 * The header section of a raw message, read once, the way a lenient receiving mail server might,
 * so that what Outbox checks is what SES and every reader after it can see as a header.
 *
 * Readers disagree about line endings: RFC 5322 requires CRLF, postal-mime and many MTAs end a
 * line at a bare LF, and others (some MTAs and clients) at a bare CR too. A `Bcc:` after a bare
 * CR is a header to one of them and part of the previous value to another. So lines are split
 * here the most lenient way (CRLF, bare CR and bare LF each end a line) and the header section
 * ends at the first empty line of that reading; then a bare CR or LF anywhere in it, the empty
 * line included, is refused rather than normalized (the message goes to SES byte for byte, so
 * Outbox cannot make SES read a normalized copy). What is left ends every line with CRLF, and
 * every reader splits it into the same lines, ends it at the same place and sees the same fields.
 *
 * Also refused in the header section: control bytes (C0 and DEL; HTAB only as whitespace in a
 * value or fold), bytes above 0x7F (SES has no SMTPUTF8, so RFC 6532 UTF-8 headers cannot be
 * carried; RFC 2047 encoded-words can), lines of only spaces or tabs (RFC 5322 forbids them and
 * some readers take one for the end of the section), and lines that are neither a field nor a
 * folded continuation (readers disagree about whether the section goes on after one).
 */

/** How a line ends: CRLF, a bare CR, a bare LF, or not at all (the last line of the input). */
export type LineEnding = 'CRLF' | 'CR' | 'LF' | '';

/** One line of the lenient reading: offsets into the message, the ending not included. */
export interface MessageLine {
  /** 1-based. */
  readonly number: number;
  readonly start: number;
  /** Just past the line's last byte, before its ending. */
  readonly end: number;
  readonly ending: LineEnding;
}

/** A header field: the name as written (whitespace before the colon dropped), the value unfolded. */
export interface HeaderField {
  readonly name: string;
  /** Folds removed (continuation lines joined without their CRLF), outer whitespace trimmed; not decoded. */
  readonly value: string;
  /** The message line the field starts on. */
  readonly line: number;
}

export interface HeaderSection {
  readonly fields: readonly HeaderField[];
  /** Byte offset of the body, just past the empty line that ends the section. */
  readonly bodyOffset: number;
  /** The message line number of the body's first line. */
  readonly bodyLine: number;
}

export type HeaderSectionReading =
  | { readonly ok: true; readonly section: HeaderSection }
  | {
      readonly ok: false;
      readonly problems: readonly string[];
      /** No field on the first line, or no empty line after the fields. */
      readonly notAMessage: boolean;
      /** The fields as this reading sees them all the same, so a refusal can name a Bcc or X-SES-* header too. */
      readonly fields: readonly HeaderField[];
    };

/** Problems named in one refusal at most; a message of random bytes would otherwise list thousands. */
const MAX_PROBLEMS = 10;
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
/** A field's first line: a name of printable ASCII but the colon, optional (obsolete) WSP, the colon. */
const FIELD_START = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

/** The lines of a message as the most lenient reader sees them: CRLF, bare CR and bare LF each end one. */
export function* messageLines(bytes: Uint8Array): Generator<MessageLine> {
  let number = 1;
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte !== CR && byte !== LF) continue;
    const crlf = byte === CR && bytes[i + 1] === LF;
    yield { number: number++, start, end: i, ending: crlf ? 'CRLF' : byte === CR ? 'CR' : 'LF' };
    if (crlf) i++;
    start = i + 1;
  }
  // A message ending with a line ending has no empty line after it.
  if (start < bytes.length) yield { number, start, end: bytes.length, ending: '' };
}

/**
 * Reads the header section of a raw message (see the module comment for the reading and what it
 * refuses). Never throws: an unreadable section comes back as sentences naming each problem with
 * its line, ready for a 422.
 */
export function readHeaderSection(bytes: Uint8Array): HeaderSectionReading {
  const problems: string[] = [];
  let hidden = 0;
  const report = (message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(message);
    else hidden++;
  };
  const fields: { name: string; parts: string[]; line: number }[] = [];
  const bareEndings: number[] = [];
  let section: HeaderSection | undefined;

  for (const line of messageLines(bytes)) {
    const text = latin1(bytes, line.start, line.end);
    if (line.ending === 'CR' || line.ending === 'LF') {
      if (bareEndings.length === 0) {
        report(
          `Line ${line.number} of the raw message ends with a bare ${line.ending} (0x${hex(line.ending === 'CR' ? CR : LF)} without ${line.ending === 'CR' ? 'LF after it' : 'CR before it'}) in the header section: header lines must end with CRLF (RFC 5322), since SES and receiving mail servers disagree about where a bare CR or LF ends a line, and a header after one could pass unchecked.`,
        );
      }
      bareEndings.push(line.number);
    }
    if (text === '') {
      section = { fields: [], bodyOffset: line.end + (line.ending === 'CRLF' ? 2 : line.ending === '' ? 0 : 1), bodyLine: line.number + 1 };
      break;
    }
    checkBytes(bytes, line, report);

    const first = bytes[line.start];
    if (first === SP || first === HTAB) {
      const previous = fields[fields.length - 1];
      if (!previous) return notAMessage([]);
      if (/^[ \t]*$/.test(text)) {
        report(`Line ${line.number} of the raw message has only spaces or tabs, in the header section: RFC 5322 forbids such a line there, and some readers take it for the empty line that ends the headers.`);
      }
      previous.parts.push(text);
      continue;
    }
    const match = FIELD_START.exec(text);
    if (!match) {
      if (line.number === 1) return notAMessage([]);
      report(
        `Line ${line.number} of the raw message is in the header section but is neither a header field (\`Name: value\`) nor a folded continuation (starting with a space or tab): readers disagree about whether the headers go on after such a line.`,
      );
      continue;
    }
    fields.push({ name: match[1]!, parts: [text.slice(match[0].length)], line: line.number });
  }

  const read = fields.map((f) => ({ name: f.name, value: trimWsp(f.parts.join('')), line: f.line }));
  if (!section || read.length === 0) return notAMessage(read);
  if (bareEndings.length > 1) {
    const more = bareEndings.slice(1);
    const shown = more.slice(0, MAX_PROBLEMS).join(', ');
    problems.push(`Line${more.length === 1 ? '' : 's'} ${shown}${more.length > MAX_PROBLEMS ? ', ...' : ''} of the header section also end${more.length === 1 ? 's' : ''} with a bare CR or LF.`);
  }
  if (problems.length > 0) {
    if (hidden > 0) problems.push(`(and ${hidden} more problem${hidden === 1 ? '' : 's'} in the header section)`);
    return { ok: false, problems, notAMessage: false, fields: read };
  }
  return { ok: true, section: { ...section, fields: read } };
}

function notAMessage(fields: readonly HeaderField[]): HeaderSectionReading {
  return {
    ok: false,
    notAMessage: true,
    fields,
    problems: ['`raw` is not an RFC 5322 message: it must start with header fields (`Name: value` lines such as `From:`), then a blank line, then the body.'],
  };
}

/** Control bytes and bytes above 0x7F on a header line: the first of each kind per line. */
function checkBytes(bytes: Uint8Array, line: MessageLine, report: (message: string) => void): void {
  let control = false;
  let eightBit = false;
  for (let i = line.start; i < line.end && !(control && eightBit); i++) {
    const byte = bytes[i]!;
    if (!control && ((byte < SP && byte !== HTAB) || byte === 0x7f)) {
      control = true;
      const [article, name] = CONTROL_NAMES[byte] ?? ['a', 'DEL'];
      report(
        `The raw message's header section contains ${article} ${name} byte (0x${hex(byte)}) at line ${line.number}: control characters are not allowed in headers (RFC 5322), and readers treat them differently.`,
      );
    } else if (!eightBit && byte > 0x7f) {
      eightBit = true;
      report(
        `The raw message's header section contains a non-ASCII byte (0x${hex(byte)}) at line ${line.number}: SES has no SMTPUTF8, so headers must be 7-bit ASCII; write non-ASCII text as RFC 2047 encoded-words (\`=?UTF-8?B?...?=\`).`,
      );
    }
  }
}

/** ASCII names of the C0 controls, with the article each takes as spoken ("an ESC", "a NUL"). */
const CONTROL_NAMES: readonly (readonly [string, string])[] = [
  ['a', 'NUL'], ['an', 'SOH'], ['an', 'STX'], ['an', 'ETX'], ['an', 'EOT'], ['an', 'ENQ'], ['an', 'ACK'], ['a', 'BEL'],
  ['a', 'BS'], ['an', 'HT'], ['an', 'LF'], ['a', 'VT'], ['an', 'FF'], ['a', 'CR'], ['an', 'SO'], ['an', 'SI'],
  ['a', 'DLE'], ['a', 'DC1'], ['a', 'DC2'], ['a', 'DC3'], ['a', 'DC4'], ['a', 'NAK'], ['a', 'SYN'], ['an', 'ETB'],
  ['a', 'CAN'], ['an', 'EM'], ['a', 'SUB'], ['an', 'ESC'], ['an', 'FS'], ['a', 'GS'], ['an', 'RS'], ['a', 'US'],
];

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}

function trimWsp(value: string): string {
  return value.replace(/^[ \t]+|[ \t]+$/g, '');
}
