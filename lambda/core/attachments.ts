import type { DraftAttachment } from './email';
import type { ErrorKind } from './errors';

/**
 * SES v2 takes a message of at most 40 MB after MIME encoding, attachments included
 * (SES-FACTS §6). A request to Outbox is capped near 6 MB anyway (the Lambda payload limit), so
 * this only binds for drafts that reach Outbox some other way; the message says both.
 */
export const MAX_MESSAGE_BYTES = 40 * 1024 * 1024;

const MAX_FILENAME_LENGTH = 255;
/** `type/subtype` with optional parameters, in RFC 2045 token characters; no CR or LF. */
const CONTENT_TYPE_PATTERN = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;[\x20-\x7e\t]*)?$/;
/** A Content-ID without its angle brackets: printable ASCII, no spaces, brackets or quotes. */
const CONTENT_ID_PATTERN = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@-]{1,250}$/;
/** Standard base64 (not base64url), padded or not. Whitespace is removed before the check. */
const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Content types by extension for when the caller gives none. A short table of what is commonly
 * mailed; anything else goes as `application/octet-stream`, which every client can save.
 */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  heic: 'image/heic',
  txt: 'text/plain',
  csv: 'text/csv',
  htm: 'text/html',
  html: 'text/html',
  ics: 'text/calendar',
  vcf: 'text/vcard',
  md: 'text/markdown',
  xml: 'application/xml',
  json: 'application/json',
  eml: 'message/rfc822',
  zip: 'application/zip',
  gz: 'application/gzip',
  '7z': 'application/x-7z-compressed',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  rtf: 'application/rtf',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
};

/** The content type Outbox gives a file when the caller named none. */
export function contentTypeFor(filename: string): string {
  const dot = filename.lastIndexOf('.');
  const extension = dot >= 0 ? filename.slice(dot + 1).toLowerCase() : '';
  return CONTENT_TYPES[extension] ?? 'application/octet-stream';
}

/** The decoded size of a base64 string, in bytes. */
export function base64Size(content: string): number {
  return Buffer.byteLength(content, 'base64');
}

/**
 * Decodes base64 strictly: standard alphabet, whitespace (line breaks) ignored, padding optional
 * but never in the middle. Returns the canonical padded form, or undefined when the text is not
 * base64, so a typo or base64url is refused instead of silently decoding to other bytes.
 */
export function canonicalBase64(text: string): string | undefined {
  const compact = text.replace(/[\s]+/g, '');
  if (!BASE64_PATTERN.test(compact) || compact.length % 4 === 1) return undefined;
  if (compact.includes('=') && compact.length % 4 !== 0) return undefined;
  return Buffer.from(compact, 'base64').toString('base64');
}

type Report = (kind: ErrorKind, message: string) => void;

/**
 * Reads `attachments` of a `POST /emails` body (the Resend API's names: `filename`, `content`,
 * `content_type`, `content_id`, `path`). Every problem is reported as `invalid_attachment`;
 * blocked file types and viruses are the content scan's business (content-scan.ts).
 */
export function parseAttachments(value: unknown, report: Report): DraftAttachment[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    report('invalid_attachment', '`attachments` must be a list of `{ "filename", "content" }` objects.');
    return [];
  }
  const attachments: DraftAttachment[] = [];
  const contentIds = new Set<string>();
  value.forEach((input: unknown, index) => {
    const where = `\`attachments[${index}]\``;
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      report('invalid_attachment', `${where} must be an object with \`filename\` and \`content\` (base64).`);
      return;
    }
    const item = input as Record<string, unknown>;
    let failed = false;
    const fail = (message: string) => {
      failed = true;
      report('invalid_attachment', message);
    };

    if (item.path !== undefined && item.path !== null) {
      fail(
        `${where}.path is not supported: Outbox does not fetch files from URLs, since a send request must not make the service call addresses of the caller's choosing (SSRF), and a send must not depend on another server's answer. Put the file's bytes, base64-encoded, in \`content\`.`,
      );
    }
    const filename = readFilename(item.filename, where, fail);
    const content = readContent(item.content, item.path, where, fail);
    const contentType = readContentType(item.content_type, where, fail);
    const contentId = readContentId(item.content_id, where, fail);
    if (contentId !== undefined) {
      if (contentIds.has(contentId)) fail(`${where}.content_id \`${contentId}\` is given to more than one attachment; each inline part needs its own.`);
      contentIds.add(contentId);
    }
    if (failed || filename === undefined || content === undefined) return;
    attachments.push({
      filename,
      content,
      contentType: contentType ?? contentTypeFor(filename),
      ...(contentId !== undefined ? { contentId } : {}),
    });
  });
  return attachments;
}

/**
 * Reports when the message would exceed SES's size limit: each attachment grows by a third in
 * base64 (plus line breaks), and the bodies count too.
 */
export function checkMessageSize(bodies: readonly (string | undefined)[], attachments: readonly DraftAttachment[], report: Report): void {
  const attachmentBytes = attachments.reduce((sum, a) => sum + base64Size(a.content), 0);
  const encoded =
    bodies.reduce((sum, body) => sum + (body === undefined ? 0 : Buffer.byteLength(body)), 0) +
    attachments.reduce((sum, a) => sum + Math.ceil((a.content.length * 78) / 76) + 200, 0);
  if (encoded > MAX_MESSAGE_BYTES) {
    report(
      'invalid_attachment',
      `The attachments come to ${megabytes(attachmentBytes)} (about ${megabytes(encoded)} once MIME-encoded); SES takes at most 40 MB per message after encoding, and an Outbox request carries at most about 6 MB (4.5 MB of files). Send large files as links instead.`,
    );
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function readFilename(value: unknown, where: string, fail: (message: string) => void): string | undefined {
  if (value === undefined || value === null || value === '') {
    fail(`Missing ${where}.filename: every attachment needs a file name (it also decides the content type when \`content_type\` is not given).`);
    return undefined;
  }
  if (typeof value !== 'string') {
    fail(`${where}.filename must be a string.`);
    return undefined;
  }
  if (hasUnsafeCharacter(value)) {
    fail(`${where}.filename ${JSON.stringify(truncate(value))} must be a plain file name: no path separators (/ or \\), line breaks or other control characters.`);
    return undefined;
  }
  if (value.trim() === '' || value.length > MAX_FILENAME_LENGTH) {
    fail(`${where}.filename must be 1-${MAX_FILENAME_LENGTH} characters and not only spaces.`);
    return undefined;
  }
  return value;
}

function readContent(value: unknown, path: unknown, where: string, fail: (message: string) => void): string | undefined {
  if (value === undefined || value === null) {
    // A `path` has its own refusal; one message per problem is enough.
    if (path === undefined || path === null) fail(`Missing ${where}.content: give the file's bytes as a base64 string.`);
    return undefined;
  }
  if (typeof value !== 'string') {
    fail(`${where}.content must be a base64 string.`);
    return undefined;
  }
  const canonical = canonicalBase64(value);
  if (canonical === undefined) {
    fail(`${where}.content is not valid base64 (standard alphabet A-Z a-z 0-9 + /, with = padding at the end only).`);
    return undefined;
  }
  if (canonical === '') {
    fail(`${where}.content is empty: attach a file with at least one byte.`);
    return undefined;
  }
  return canonical;
}

function readContentType(value: unknown, where: string, fail: (message: string) => void): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 255 || !CONTENT_TYPE_PATTERN.test(value.trim())) {
    fail(`${where}.content_type must be a MIME type such as \`application/pdf\` (one line, at most 255 characters).`);
    return undefined;
  }
  return value.trim();
}

function readContentId(value: unknown, where: string, fail: (message: string) => void): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const id = typeof value === 'string' ? value.replace(/^<(.*)>$/, '$1') : undefined;
  if (id === undefined || !CONTENT_ID_PATTERN.test(id)) {
    fail(`${where}.content_id must be 1-250 printable ASCII characters without spaces, brackets or quotes (e.g. \`logo\` or \`logo@acme.example\`), referenced in the HTML as \`cid:<content_id>\`.`);
    return undefined;
  }
  return id;
}

/** Control characters (C0, DEL: CR and LF among them) and the path separators `/` and `\`. */
function hasUnsafeCharacter(filename: string): boolean {
  for (const ch of filename) {
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code === 0x7f || ch === '/' || ch === '\\') return true;
  }
  return false;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
