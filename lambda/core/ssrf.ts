import { isIP } from 'node:net';
import { OutboxError } from './errors';
import type { HostResolver } from './webhooks';

/**
 * The SSRF guard for webhook endpoints. Outbox POSTs to URLs its users give it, from inside their
 * AWS account, so an endpoint must be a public https URL: never loopback, private, link-local, the
 * instance metadata service, or any other address that is not on the public internet.
 *
 * A check at creation is not enough: a name can resolve to a public address when the webhook is
 * created and to 169.254.169.254 an hour later (DNS rebinding). So the delivery worker checks again
 * before every delivery (calling `checkWebhookUrl` again), and should also refuse, with
 * `isBlockedAddress`, the address its HTTP client actually connects to.
 */

export interface WebhookUrlOptions {
  /**
   * Local mode: allows http and loopback and private addresses, so a developer can receive on their
   * own machine. Link-local, metadata and reserved addresses stay refused.
   */
  readonly allowPrivate: boolean;
  readonly resolver: HostResolver;
}

/** The longest endpoint accepted; longer ones are refused before parsing. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * Checks a webhook endpoint and returns it parsed.
 * 1. Parses it as an absolute URL no longer than 2048 characters.
 * 2. Requires https (http too with `allowPrivate`) and no credentials (`user:pass@`).
 * 3. Refuses `localhost` and `*.localhost` without resolving them (unless `allowPrivate`).
 * 4. Checks an IP-literal host directly; resolves a name and checks every address it resolves to,
 *    so one private address among public ones is enough to refuse it.
 * Throws OutboxError `validation` with a sentence naming the problem, including when the name does
 * not resolve. Read-only; the answer depends on DNS at the time of the call.
 */
export async function checkWebhookUrl(url: string, options: WebhookUrlOptions): Promise<URL> {
  if (url.length > MAX_WEBHOOK_URL_LENGTH) {
    throw refuse(`is ${url.length} characters long; the limit is ${MAX_WEBHOOK_URL_LENGTH}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw refuse(`${quote(url)} is not a valid absolute URL (such as https://hooks.example.com/outbox)`);
  }
  const schemes = options.allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(parsed.protocol)) {
    const allowed = options.allowPrivate ? 'https or http' : 'https';
    throw refuse(`${quote(url)} uses ${parsed.protocol.slice(0, -1)}; webhook endpoints must use ${allowed}`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw refuse(`${quote(redact(parsed))} carries credentials (user:password@); put them in the path or a query parameter instead`);
  }

  // WHATWG URL parsing already turned IPv4 in any spelling (0x7f.1, 2130706433) into dotted decimal.
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  if (isIP(host) !== 0) {
    const reason = isBlockedAddress(host, { allowPrivate: options.allowPrivate });
    if (reason) throw refuse(`${quote(url)} points to ${host}, ${reason}; webhooks must reach a public address`);
    return parsed;
  }

  const name = host.replace(/\.$/, '').toLowerCase();
  if (!options.allowPrivate && (name === 'localhost' || name.endsWith('.localhost'))) {
    throw refuse(`${quote(url)} points to ${name}, which is always this machine (loopback); webhooks must reach a public address`);
  }
  let addresses: string[];
  try {
    addresses = await options.resolver.resolve(name);
  } catch (error) {
    throw refuse(`${quote(url)}: could not resolve ${name}${codeOf(error)}; use a host name with public DNS records`, error);
  }
  if (addresses.length === 0) {
    throw refuse(`${quote(url)}: could not resolve ${name} (it has no addresses); use a host name with public DNS records`);
  }
  for (const address of addresses) {
    const reason = isBlockedAddress(address, { allowPrivate: options.allowPrivate });
    // The address itself is not echoed: the answer should not map the network's private names.
    if (reason) throw refuse(`${quote(url)}: ${name} resolves to ${reason}; webhooks must reach a public address`);
  }
  return parsed;
}

type Category = 'unspecified' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'shared' | 'multicast' | 'reserved';

/** The categories local mode lets through. */
const PRIVATE_CATEGORIES: ReadonlySet<Category> = new Set(['loopback', 'private']);

const DESCRIPTIONS: Record<Category, string> = {
  unspecified: 'an unspecified address',
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address',
  metadata: 'the cloud instance metadata service',
  shared: 'a carrier-grade NAT (shared) address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

interface Range {
  readonly cidr: string;
  readonly category: Category;
}

/** Checked in order, so the metadata addresses come before the wider ranges holding them. */
const IPV4_RANGES: readonly Range[] = [
  { cidr: '169.254.169.254/32', category: 'metadata' },
  { cidr: '0.0.0.0/8', category: 'unspecified' },
  { cidr: '10.0.0.0/8', category: 'private' },
  { cidr: '100.64.0.0/10', category: 'shared' },
  { cidr: '127.0.0.0/8', category: 'loopback' },
  { cidr: '169.254.0.0/16', category: 'link-local' },
  { cidr: '172.16.0.0/12', category: 'private' },
  // Oracle Cloud's metadata service lives in 192.0.0.0/24.
  { cidr: '192.0.0.0/24', category: 'reserved' },
  { cidr: '192.0.2.0/24', category: 'reserved' },
  { cidr: '192.88.99.0/24', category: 'reserved' },
  { cidr: '192.168.0.0/16', category: 'private' },
  { cidr: '198.18.0.0/15', category: 'reserved' },
  { cidr: '198.51.100.0/24', category: 'reserved' },
  { cidr: '203.0.113.0/24', category: 'reserved' },
  { cidr: '224.0.0.0/4', category: 'multicast' },
  { cidr: '240.0.0.0/4', category: 'reserved' },
];

const IPV6_RANGES: readonly Range[] = [
  { cidr: '::/128', category: 'unspecified' },
  { cidr: '::1/128', category: 'loopback' },
  { cidr: 'fd00:ec2::254/128', category: 'metadata' },
  // Deprecated IPv4-compatible addresses (::a.b.c.d); mapped ones (::ffff:a.b.c.d) are unwrapped first.
  { cidr: '::/96', category: 'reserved' },
  { cidr: '64:ff9b:1::/48', category: 'reserved' },
  { cidr: '100::/64', category: 'reserved' },
  { cidr: '2001:db8::/32', category: 'reserved' },
  { cidr: 'fc00::/7', category: 'private' },
  { cidr: 'fe80::/10', category: 'link-local' },
  // Deprecated site-local addresses.
  { cidr: 'fec0::/10', category: 'private' },
  { cidr: 'ff00::/8', category: 'multicast' },
];

/**
 * Why an IP address may not receive webhooks, or undefined when it may: a phrase such as
 * "a loopback address (127.0.0.0/8)". IPv6 forms that carry an IPv4 address (mapped ::ffff:0:0/96,
 * ::ffff:0:0:0/96, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32) are judged by that
 * address. Anything that is not an IP address is refused. With `allowPrivate` (local mode),
 * loopback and private addresses are allowed. For the delivery worker to check the address it
 * connects to, after DNS.
 */
export function isBlockedAddress(ip: string, options: { allowPrivate?: boolean } = {}): string | undefined {
  const found = classify(ip.replace(/%.*$/, ''));
  if (found === 'invalid') return 'something that is not an IP address';
  if (!found) return undefined;
  if (options.allowPrivate && PRIVATE_CATEGORIES.has(found.category)) return undefined;
  return `${DESCRIPTIONS[found.category]} (${found.cidr})`;
}

function classify(ip: string): Range | 'invalid' | undefined {
  const version = isIP(ip);
  if (version === 4) return findRange(IPV4, parseIpv4(ip));
  if (version !== 6) return 'invalid';
  const value = parseIpv6(ip);
  if (value === undefined) return 'invalid';
  const embedded = embeddedIpv4(value);
  if (embedded !== undefined) return findRange(IPV4, embedded);
  return findRange(IPV6, value);
}

/** The IPv4 address inside an IPv6 address of a form that carries one. */
function embeddedIpv4(value: bigint): bigint | undefined {
  const low32 = value & 0xffffffffn;
  if (value >> 32n === 0xffffn) return low32; // ::ffff:a.b.c.d
  if (value >> 32n === 0xffff0000n) return low32; // ::ffff:0:a.b.c.d (SIIT)
  if (value >> 32n === 0x64ff9b0000000000000000n) return low32; // NAT64 64:ff9b::a.b.c.d
  if (value >> 112n === 0x2002n) return (value >> 80n) & 0xffffffffn; // 6to4 2002:aabb:ccdd::
  if (value >> 96n === 0x20010000n) return low32 ^ 0xffffffffn; // Teredo: the client's address, inverted
  return undefined;
}

interface Family {
  readonly bits: bigint;
  readonly ranges: readonly { readonly range: Range; readonly base: bigint; readonly mask: bigint }[];
}

function family(bits: bigint, ranges: readonly Range[], parse: (ip: string) => bigint | undefined): Family {
  return {
    bits,
    ranges: ranges.map((range) => {
      const [address, prefix] = range.cidr.split('/');
      const hostBits = bits - BigInt(prefix!);
      const mask = ((1n << bits) - 1n) ^ ((1n << hostBits) - 1n);
      return { range, base: parse(address!)! & mask, mask };
    }),
  };
}

const IPV4 = family(32n, IPV4_RANGES, parseIpv4);
const IPV6 = family(128n, IPV6_RANGES, parseIpv6);

function findRange(table: Family, value: bigint): Range | undefined {
  return table.ranges.find(({ base, mask }) => (value & mask) === base)?.range;
}

/** Dotted-decimal IPv4 as a number; the caller has checked it with isIP. */
function parseIpv4(ip: string): bigint {
  return ip.split('.').reduce((value, part) => (value << 8n) | BigInt(Number(part)), 0n);
}

/** IPv6 (with `::` and a trailing dotted IPv4) as a 128-bit number; undefined when malformed. */
function parseIpv6(ip: string): bigint | undefined {
  let text = ip.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = parseIpv4(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1]!.split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  return value;
}

function refuse(problem: string, cause?: unknown): OutboxError {
  return new OutboxError('validation', `The webhook endpoint ${problem}.`, cause === undefined ? undefined : { cause });
}

/** The URL with its credentials replaced, so a refusal never echoes a password. */
function redact(url: URL): string {
  const copy = new URL(url.href);
  copy.username = copy.username === '' ? '' : '***';
  copy.password = copy.password === '' ? '' : '***';
  return copy.href;
}

/** A DNS error code (ENOTFOUND, ETIMEOUT...) in brackets, when the resolver gave one. */
function codeOf(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^E[A-Z_]+$/.test(code) ? ` (${code})` : '';
}

/** A caller's value quoted for a message, cut short so a huge URL cannot flood it. */
function quote(value: string): string {
  const text = JSON.stringify(value);
  return text.length > 100 ? `${text.slice(0, 97)}..."` : text;
}
