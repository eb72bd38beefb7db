import { domainToASCII } from 'node:url';
import addressParser from 'email-addresses';

/** One parsed mailbox: the bare address SES routes to, and an optional display name. */
export interface Mailbox {
  /** ASCII addr-spec; an internationalized domain is converted to Punycode. */
  readonly address: string;
  readonly name?: string;
}

export type AddressProblem =
  | { readonly ok: false; readonly reason: string }
  | { readonly ok: true; readonly mailbox: Mailbox };

const ASCII_PRINTABLE = /^[\x20-\x7e]*$/;

/**
 * Parses one RFC 5322 mailbox (`addr@example.com` or `Name <addr@example.com>`) with SES's extra
 * rules: the envelope is 7-bit ASCII, so the local part must be ASCII (SES does not speak SMTPUTF8)
 * while a Unicode domain is sent as Punycode; no domain literals; the domain needs a dot.
 */
export function parseMailbox(input: string): AddressProblem {
  const known = parsedMailboxes.get(input);
  if (known) return known;
  const parsed = deepFreeze(parseMailboxAfresh(input));
  if (parsedMailboxes.size >= PARSED_MAILBOXES_KEPT) parsedMailboxes.delete(parsedMailboxes.keys().next().value!);
  parsedMailboxes.set(input, parsed);
  return parsed;
}

/**
 * The last mailboxes parsed, by input: the RFC 5322 parser takes 25-75 µs a mailbox, and a sender
 * writes the same few From addresses on every email. Results are frozen, since they are shared.
 */
const parsedMailboxes = new Map<string, AddressProblem>();
const PARSED_MAILBOXES_KEPT = 1000;

function deepFreeze<T extends object>(value: T): T {
  for (const member of Object.values(value)) if (member !== null && typeof member === 'object') deepFreeze(member as object);
  return Object.freeze(value);
}

function parseMailboxAfresh(input: string): AddressProblem {
  if (/[\r\n]/.test(input)) return { ok: false, reason: 'contains a line break' };
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, reason: 'is empty' };
  if (trimmed.length > 998) return { ok: false, reason: 'is longer than 998 characters' };
  const parsed = addressParser.parseOneAddress({ input: trimmed, rfc6532: true, rejectTLD: true });
  if (parsed === null || parsed.type !== 'mailbox') {
    return { ok: false, reason: 'is not a valid email address' };
  }
  if (!ASCII_PRINTABLE.test(parsed.local)) {
    return { ok: false, reason: 'has non-ASCII characters before the @, which SES cannot send to' };
  }
  if (parsed.domain.startsWith('[')) {
    return { ok: false, reason: 'uses an IP address literal as its domain, which SES does not accept' };
  }
  const domain = domainToASCII(parsed.domain.toLowerCase());
  if (domain === '') return { ok: false, reason: 'has an invalid domain' };
  const address = `${parsed.local}@${domain}`;
  if (address.length > 320) return { ok: false, reason: 'is longer than 320 characters' };
  const name = parsed.name?.trim();
  return { ok: true, mailbox: name ? { address, name } : { address } };
}

/** The mailbox as a header value: quoted when needed, RFC 2047-encoded when not ASCII. */
export function formatMailbox(mailbox: Mailbox): string {
  if (!mailbox.name) return mailbox.address;
  return `${encodeDisplayName(mailbox.name)} <${mailbox.address}>`;
}

function encodeDisplayName(name: string): string {
  if (!ASCII_PRINTABLE.test(name)) {
    return `=?UTF-8?B?${Buffer.from(name, 'utf8').toString('base64')}?=`;
  }
  if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(name)) return name;
  return `"${name.replace(/(["\\])/g, '\\$1')}"`;
}

/** Display form: `Name <addr>` as the caller wrote it, without transfer encoding. */
export function displayMailbox(mailbox: Mailbox): string {
  return mailbox.name ? `${mailbox.name} <${mailbox.address}>` : mailbox.address;
}

/** Addresses compare case-insensitively in practice (SES's suppression list does the same). */
export function normalizeAddress(address: string): string {
  return address.toLowerCase();
}
