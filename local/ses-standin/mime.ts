/**
 * Just enough MIME (RFC 5322, 2045–2047, 2231) to read a raw message the way SES does on the way
 * in: its headers, the recipients in To/Cc/Bcc, its subject, its first text and HTML parts, and its
 * attachments. It reads; it never rewrites. Bytes travel as "latin1" strings (one char per byte)
 * so that slicing never splits a multi-byte character; text is decoded with its declared charset
 * only at the end.
 */

/** A header as written, unfolded but not decoded. */
export interface MimeHeader {
  readonly name: string;
  readonly value: string;
}

/** What a raw message holds, decoded for inspection. */
export interface MimeContent {
  readonly headers: readonly MimeHeader[];
  readonly text?: string;
  readonly html?: string;
  readonly attachments: readonly MimeAttachment[];
}

export interface MimeAttachment {
  readonly filename: string;
  readonly contentType: string;
  readonly disposition: 'ATTACHMENT' | 'INLINE';
  readonly contentId?: string;
  /** Decoded size in bytes. */
  readonly size: number;
}

/** Parses a whole message. `bytes` is the message exactly as sent. */
export function parseMimeMessage(bytes: Buffer): MimeContent {
  const collected: { text?: string; html?: string; attachments: MimeAttachment[] } = { attachments: [] };
  const entity = splitEntity(bytes.toString('latin1'));
  collectParts(entity, collected, 0);
  return { headers: entity.headers, ...collected };
}

/** The first header with this name (case-insensitive), unfolded, or undefined. */
export function headerValue(headers: readonly MimeHeader[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === wanted)?.value;
}

/** Every header with this name (case-insensitive), unfolded. */
export function headerValues(headers: readonly MimeHeader[], name: string): string[] {
  const wanted = name.toLowerCase();
  return headers.filter((h) => h.name.toLowerCase() === wanted).map((h) => h.value);
}

/**
 * Decodes RFC 2047 encoded-words (`=?UTF-8?B?...?=`, `=?ISO-8859-1?Q?...?=`). Whitespace between
 * two encoded-words is dropped, as the RFC says, and adjacent words in one charset are decoded
 * together so a character split across two words survives.
 */
export function decodeEncodedWords(value: string): string {
  const pattern = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;
  let out = '';
  let last = 0;
  let pending: { charset: string; bytes: Buffer[] } | undefined;
  const flush = (): void => {
    if (pending) out += decodeBytes(Buffer.concat(pending.bytes), pending.charset);
    pending = undefined;
  };
  for (const match of value.matchAll(pattern)) {
    const index = match.index ?? 0;
    const between = value.slice(last, index);
    const charset = (match[1] ?? '').split('*')[0]!.toLowerCase();
    const bytes = decodeWordPayload(match[2] ?? 'B', match[3] ?? '');
    if (pending && /^[ \t\r\n]*$/.test(between)) {
      if (pending.charset === charset) {
        pending.bytes.push(bytes);
      } else {
        flush();
        pending = { charset, bytes: [bytes] };
      }
    } else {
      flush();
      out += between;
      pending = { charset, bytes: [bytes] };
    }
    last = index + match[0].length;
  }
  flush();
  return out + value.slice(last);
}

/** A header value like `text/plain; charset="utf-8"`: the lower-cased value and its parameters. */
export interface ParameterizedValue {
  readonly value: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses `Content-Type` / `Content-Disposition`, including RFC 2231 (`filename*=utf-8''...`, continuations). */
export function parseParameterized(header: string | undefined): ParameterizedValue {
  if (header === undefined) return { value: '', params: {} };
  const pieces = splitOutsideQuotes(header, ';');
  const value = (pieces.shift() ?? '').trim().toLowerCase();
  const simple: Record<string, string> = {};
  const continued = new Map<string, { index: number; extended: boolean; text: string }[]>();
  for (const piece of pieces) {
    const eq = piece.indexOf('=');
    if (eq < 0) continue;
    const rawName = piece.slice(0, eq).trim().toLowerCase();
    const text = unquote(piece.slice(eq + 1).trim());
    const section = /^([^*]+)\*(\d+)(\*?)$/.exec(rawName);
    if (section) {
      const list = continued.get(section[1]!) ?? [];
      list.push({ index: Number(section[2]), extended: section[3] === '*', text });
      continued.set(section[1]!, list);
    } else if (rawName.endsWith('*')) {
      simple[rawName.slice(0, -1)] = decodeRfc2231([{ extended: true, text }]);
    } else if (!(rawName in simple)) {
      simple[rawName] = text;
    }
  }
  for (const [name, list] of continued) {
    list.sort((a, b) => a.index - b.index);
    simple[name] = decodeRfc2231(list);
  }
  return { value, params: simple };
}

interface Entity {
  readonly headers: MimeHeader[];
  /** The body as a latin1 string. */
  readonly body: string;
}

function splitEntity(text: string): Entity {
  // A message that starts with a blank line has no headers at all.
  const start = /^\r?\n/.exec(text);
  if (start) return { headers: [], body: text.slice(start[0].length) };
  const separator = /\r?\n\r?\n/.exec(text);
  const headerBlock = separator ? text.slice(0, separator.index) : text;
  const body = separator ? text.slice(separator.index + separator[0].length) : '';
  return { headers: parseHeaderBlock(headerBlock), body };
}

function parseHeaderBlock(block: string): MimeHeader[] {
  const headers: MimeHeader[] = [];
  let current: { name: string; value: string } | undefined;
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && current) {
      // Unfolding (RFC 5322 §2.2.3): drop the line break, keep the whitespace.
      current.value += line;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    current = { name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() };
    headers.push(current);
  }
  // Header values are bytes too: 8-bit ones (raw UTF-8, tolerated by SES) are decoded here.
  return headers.map((h) => ({ name: h.name, value: decodeBytes(Buffer.from(h.value, 'latin1'), 'utf-8') }));
}

const MAX_DEPTH = 20;

function collectParts(entity: Entity, into: { text?: string; html?: string; attachments: MimeAttachment[] }, depth: number): void {
  const contentType = parseParameterized(headerValue(entity.headers, 'content-type') ?? 'text/plain');
  const type = contentType.value || 'text/plain';
  const boundary = contentType.params['boundary'];
  if (type.startsWith('multipart/') && boundary && depth < MAX_DEPTH) {
    for (const part of splitMultipart(entity.body, boundary)) collectParts(splitEntity(part), into, depth + 1);
    return;
  }
  const disposition = parseParameterized(headerValue(entity.headers, 'content-disposition'));
  const rawName = disposition.params['filename'] ?? contentType.params['name'];
  const filename = rawName === undefined ? undefined : decodeEncodedWords(rawName);
  const contentId = headerValue(entity.headers, 'content-id');
  const payload = decodeTransferEncoding(entity.body, headerValue(entity.headers, 'content-transfer-encoding'));
  const isBodyText = (type === 'text/plain' || type === 'text/html') && disposition.value !== 'attachment' && filename === undefined;
  if (isBodyText && type === 'text/plain' && into.text === undefined) {
    into.text = decodeBytes(payload, contentType.params['charset'] ?? 'us-ascii');
    return;
  }
  if (isBodyText && type === 'text/html' && into.html === undefined) {
    into.html = decodeBytes(payload, contentType.params['charset'] ?? 'us-ascii');
    return;
  }
  into.attachments.push({
    filename: filename ?? '',
    contentType: type,
    disposition: disposition.value === 'inline' ? 'INLINE' : 'ATTACHMENT',
    ...(contentId !== undefined ? { contentId: contentId.replace(/^<|>$/g, '') } : {}),
    size: payload.length,
  });
}

/** The parts between `--boundary` lines, without the preamble and epilogue (RFC 2046 §5.1.1). */
function splitMultipart(body: string, boundary: string): string[] {
  const escaped = boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const delimiter = new RegExp(`(?:^|\\r?\\n)--${escaped}(--)?[ \\t]*(?:\\r?\\n|$)`, 'g');
  const parts: string[] = [];
  let partStart: number | undefined;
  for (const match of body.matchAll(delimiter)) {
    const index = match.index ?? 0;
    if (partStart !== undefined) parts.push(body.slice(partStart, index));
    if (match[1] === '--') return parts;
    partStart = index + match[0].length;
  }
  // No closing delimiter: keep what we have, as lenient readers do.
  if (partStart !== undefined) parts.push(body.slice(partStart));
  return parts;
}

function decodeTransferEncoding(body: string, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return Buffer.from(body, 'latin1');
  }
}

function decodeQuotedPrintable(body: string): Buffer {
  const text = body.replace(/[ \t]*=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === '=' ? text.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(text.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function decodeWordPayload(encoding: string, payload: string): Buffer {
  if (encoding.toUpperCase() === 'B') return Buffer.from(payload, 'base64');
  // Q encoding (RFC 2047 §4.2): "_" is a space, "=XX" a byte.
  return decodeQuotedPrintable(payload.replace(/_/g, ' '));
}

function decodeRfc2231(sections: readonly { extended: boolean; text: string }[]): string {
  const first = sections[0];
  if (!first) return '';
  if (!first.extended) return sections.map((s) => s.text).join('');
  const head = /^([^']*)'[^']*'(.*)$/.exec(first.text);
  const charset = head?.[1] || 'us-ascii';
  const encoded = [head ? head[2]! : first.text, ...sections.slice(1).map((s) => s.text)];
  const bytes = encoded.map((piece, i) =>
    sections[i]?.extended === false && i > 0 ? Buffer.from(piece, 'latin1') : Buffer.from(percentDecode(piece)),
  );
  return decodeBytes(Buffer.concat(bytes), charset);
}

function percentDecode(text: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === '%' ? text.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(text.charCodeAt(i) & 0xff);
    }
  }
  return bytes;
}

/** Decodes bytes in a named charset; an unknown charset falls back to UTF-8 rather than failing. */
function decodeBytes(bytes: Buffer, charset: string): string {
  const label = charset.trim().toLowerCase();
  try {
    return new TextDecoder(label === 'us-ascii' || label === 'ascii' ? 'utf-8' : label).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const pieces: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && quoted && i + 1 < text.length) {
      current += ch + text[i + 1];
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted) {
      pieces.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  pieces.push(current);
  return pieces;
}

function unquote(text: string): string {
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) return text.slice(1, -1).replace(/\\(.)/g, '$1');
  return text;
}
