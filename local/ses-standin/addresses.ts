import emailAddresses from 'email-addresses';
import { badRequest } from './errors';
import { decodeEncodedWords } from './mime';

/** One mailbox: the bare address and, when given, the display name (RFC 2047 decoded). */
export interface Mailbox {
  readonly address: string;
  readonly name?: string;
  /** `Name <address>` with the name decoded, or the bare address. */
  readonly display: string;
}

/**
 * Parses one address as SES v2 accepts it in `FromEmailAddress`, `Destination` and
 * `ReplyToAddresses`: a bare address or `Name <address>`, the name possibly RFC 2047 encoded.
 * Throws `BadRequestException` with the wording real SES uses where we have it:
 * "Invalid email address ." for an empty one (observed, v2), "Missing final '@domain'" without
 * an `@` (observed, v1 `InvalidParameterValue`, which v2 calls `BadRequestException`),
 * "Illegal address" otherwise (observed, v2).
 */
export function parseMailbox(input: string): Mailbox {
  const trimmed = input.trim();
  if (trimmed === '') throw badRequest(`Invalid email address ${trimmed}.`);
  const parsed = emailAddresses.parseOneAddress({ input: trimmed, rfc6532: true });
  if (!parsed || parsed.type !== 'mailbox') {
    throw badRequest(trimmed.includes('@') ? 'Illegal address' : "Missing final '@domain'");
  }
  return toMailbox(parsed);
}

/**
 * Parses an address-list header of a raw message (To, Cc, Bcc, Reply-To). Groups are flattened
 * into their members: each member is a recipient (SES-FACTS §6), and an empty group such as
 * `undisclosed-recipients:;` adds none.
 */
export function parseMailboxList(input: string): Mailbox[] {
  if (input.trim() === '') return [];
  const parsed = emailAddresses.parseAddressList({ input, rfc6532: true });
  if (!parsed) throw badRequest('Illegal address');
  return parsed.flatMap((entry) => (entry.type === 'group' ? entry.addresses.map(toMailbox) : [toMailbox(entry)]));
}

function toMailbox(parsed: emailAddresses.ParsedMailbox): Mailbox {
  // The envelope must be 7-bit ASCII; SES refuses non-ASCII local parts and wants IDN domains
  // in Punycode (SES-FACTS §5, "Address encoding"). Display names may be encoded-words.
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(parsed.address)) throw badRequest('Illegal address');
  const name = parsed.name ? decodeEncodedWords(parsed.name) : undefined;
  return {
    address: parsed.address,
    ...(name ? { name } : {}),
    display: name ? `${name} <${parsed.address}>` : parsed.address,
  };
}

/**
 * Whether SES would let this address send: the address itself is a verified identity, or its
 * domain or any parent domain is ("when you verify a domain identity, you can send email from
 * any subdomain or email address of the verified domain", AWS creating-identities page).
 * `identities` holds lower-cased addresses and domains; comparison is case-insensitive.
 */
export function isVerifiedSender(address: string, identities: ReadonlySet<string>): boolean {
  const lower = address.toLowerCase();
  if (identities.has(lower)) return true;
  const at = lower.lastIndexOf('@');
  const labels = lower.slice(at + 1).split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    if (identities.has(labels.slice(i).join('.'))) return true;
  }
  return false;
}
