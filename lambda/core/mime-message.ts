import PostalMime from 'postal-mime';

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
  /** Top-level headers in order, names as written, values unfolded but not decoded. */
  readonly headers: readonly { readonly name: string; readonly value: string }[];
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
 * Parses a message with postal-mime (a dependency-free parser that decodes transfer encodings,
 * charsets, RFC 2047/2231 names and nested messages). Its limits stay on their defaults: 256
 * nesting levels, 2 MiB of headers, 10 levels of attached messages parsed inline. Throws when
 * the message cannot be parsed at all.
 */
export async function readMimeMessage(bytes: Uint8Array): Promise<MimeMessage> {
  const email = await PostalMime.parse(bytes, { attachmentEncoding: 'arraybuffer' });
  const mailboxes = (addresses: PostalMime.Address[] | undefined): HeaderMailbox[] =>
    (addresses ?? []).flatMap((a) => (a.group ? a.group : [a])).map((m) => ({ name: m.name, address: m.address }));
  const from = email.from ? mailboxes([email.from])[0] : undefined;
  return {
    headers: email.headers.map((h) => ({ name: h.originalKey, value: h.value })),
    ...(from && from.address !== '' ? { from } : {}),
    to: mailboxes(email.to),
    cc: mailboxes(email.cc),
    bcc: mailboxes(email.bcc),
    replyTo: mailboxes(email.replyTo),
    ...(email.subject !== undefined ? { subject: email.subject } : {}),
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
