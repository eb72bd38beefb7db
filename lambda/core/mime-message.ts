import { readHeaderSection, type HeaderField, type HeaderSection } from './header-section';

const importPostalMime = () => import('postal-mime');
type PostalMimeModule = Awaited<ReturnType<typeof importPostalMime>>;

let postalMime: Promise<PostalMimeModule> | undefined;

/**
 * postal-mime, loaded on first use: only raw messages (POST /emails/raw, SMTP, a scan of attachments)
 * need it, and it is about a quarter of the api Lambda's code, so loading it later keeps it out of
 * every cold start. The Lambda bundles give it a file of its own (LAZY_PACKAGES in
 * lib/bundling/lambda-bundle.ts).
 */
function loadPostalMime(): Promise<PostalMimeModule> {
  postalMime ??= importPostalMime().catch((error: unknown) => {
    postalMime = undefined;
    throw error;
  });
  return postalMime;
}

/** A mailbox as a message header names it: the display name decoded, the address as written. */
export interface HeaderMailbox {
  readonly name: string;
  readonly address: string;
}

/** A part of a MIME message other than its text and HTML bodies, decoded. */
export interface MimePart {
  /** Decoded file name; undefined when the part names none. */
  readonly filename?: string;
  readonly contentType: string;
  readonly contentId?: string;
  readonly bytes: Uint8Array;
}

/** What Outbox reads from an RFC 5322 message: top-level headers, addresses, bodies and parts. */
export interface MimeMessage {
  /**
   * Top-level headers in order, as the header-section reader reads them (see header-section.ts):
   * names as written, values unfolded but not decoded, with the line each starts on.
   */
  readonly headers: readonly HeaderField[];
  /** Undefined when there is no From header or it names no mailbox. */
  readonly from?: HeaderMailbox;
  /** Groups flattened into their members. */
  readonly to: readonly HeaderMailbox[];
  readonly cc: readonly HeaderMailbox[];
  readonly bcc: readonly HeaderMailbox[];
  readonly replyTo: readonly HeaderMailbox[];
  /** RFC 2047 encoded-words decoded. */
  readonly subject?: string;
  readonly text?: string;
  readonly html?: string;
  /** Every non-body part, nested messages' parts included. */
  readonly parts: readonly MimePart[];
}

/**
 * Reads a message in two parts. The top-level header section, and with it From, To, Cc, Bcc,
 * Reply-To and Subject, comes from the one header-section reader, the reading every raw-message
 * check uses (its values parsed with postal-mime's address parser and RFC 2047 decoder). The
 * bodies and parts come from postal-mime (a dependency-free parser that decodes transfer
 * encodings, charsets, RFC 2047/2231 names and nested messages); its limits stay on their
 * defaults: 256 nesting levels, 2 MiB of headers, 10 levels of attached messages parsed inline.
 * Since the reader accepts only a section every reader splits alike, postal-mime reads the same
 * top-level headers when it picks the body's Content-Type. `section` is the reader's result when
 * the caller has it already. Throws when the header section is refused or the message cannot be
 * parsed at all.
 */
export async function readMimeMessage(bytes: Uint8Array, section?: HeaderSection): Promise<MimeMessage> {
  const headers = section ?? readSection(bytes);
  const { default: PostalMime, decodeWords } = await loadPostalMime();
  const email = await PostalMime.parse(bytes, { attachmentEncoding: 'arraybuffer' });
  const values = (name: string) => headers.fields.filter((f) => f.name.toLowerCase() === name && f.value !== '').map((f) => f.value);
  const mailboxesIn = await mailboxParser();
  const mailboxes = (name: string): HeaderMailbox[] => values(name).flatMap(mailboxesIn);
  const fromValue = values('from')[0];
  const from = fromValue !== undefined ? mailboxesIn(fromValue)[0] : undefined;
  const subject = values('subject')[0];
  return {
    headers: headers.fields,
    ...(from && from.address !== '' ? { from } : {}),
    to: mailboxes('to'),
    cc: mailboxes('cc'),
    bcc: mailboxes('bcc'),
    replyTo: mailboxes('reply-to'),
    ...(subject !== undefined ? { subject: decodeWords(subject) } : {}),
    ...(email.text !== undefined ? { text: email.text } : {}),
    ...(email.html !== undefined ? { html: email.html } : {}),
    parts: email.attachments.map((a) => ({
      ...(a.filename ? { filename: a.filename } : {}),
      contentType: a.mimeType,
      ...(a.contentId ? { contentId: a.contentId.replace(/^<|>$/g, '') } : {}),
      bytes: typeof a.content === 'string' ? Buffer.from(a.content, 'utf8') : new Uint8Array(a.content),
    })),
  };
}

function readSection(bytes: Uint8Array): HeaderSection {
  const reading = readHeaderSection(bytes);
  if (!reading.ok) throw new Error(reading.problems.join(' '));
  return reading.section;
}

/** Reads the mailboxes an address header's (unfolded) value names, groups flattened into their members. */
export async function mailboxParser(): Promise<(value: string) => HeaderMailbox[]> {
  const { addressParser } = await loadPostalMime();
  return (value) =>
    addressParser(value)
      .flatMap((a) => (a.group ? a.group : [a]))
      .map((m) => ({ name: m.name, address: m.address }));
}
