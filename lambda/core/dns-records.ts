/**
 * The DNS records a sending domain needs, built once here for the stack outputs, the zone-file
 * snippet, Route 53 and `npm run dns`. Values are record data as a zone file (and Route 53) writes
 * them: a TXT value in double quotes, an MX value as `<preference> <host>`.
 */

export type DnsRecordType = 'CNAME' | 'MX' | 'TXT';

export interface DnsRecord {
  /** The record's name, without a trailing dot. */
  readonly name: string;
  readonly type: DnsRecordType;
  /** The record data, as a zone file writes it. */
  readonly value: string;
  /** What the record is for, in a few words. */
  readonly purpose: string;
}

/** The TTL of every record in the snippet and in Route 53: short enough to fix a mistake the same day. */
export const DNS_TTL_SECONDS = 1800;

/** SPF for a MAIL FROM domain: SES's senders, and a soft fail for anyone else. */
export const MAIL_FROM_SPF = 'v=spf1 include:amazonses.com ~all';

/**
 * The MAIL FROM domain's two records: the MX that tells SES the domain is set up (and that takes
 * the bounces SES receives for it), and the SPF TXT that makes SPF pass, aligned with the From
 * domain.
 */
export function mailFromRecords(mailFromDomain: string, region: string): DnsRecord[] {
  return [
    { name: mailFromDomain, type: 'MX', value: `10 feedback-smtp.${region}.amazonses.com`, purpose: 'MAIL FROM: where bounces return' },
    { name: mailFromDomain, type: 'TXT', value: quoted(MAIL_FROM_SPF), purpose: 'MAIL FROM: SPF' },
  ];
}

/**
 * The DMARC policy to start with, at `_dmarc.<domain>`: `p=none` asks receivers to deliver as
 * they would without DMARC and only to report, so publishing it cannot lose any of the domain's
 * mail, including mail another service sends for it that is not aligned yet. With an address,
 * `rua` asks for the daily aggregate reports there: they show who sends as the domain and whether
 * DKIM and SPF align, which is what must be known before tightening the policy to quarantine or
 * reject. An address in another domain only gets reports once that domain publishes
 * `<domain>._report._dmarc.<its domain>` TXT "v=DMARC1" (RFC 7489 §7.1).
 */
export function dmarcRecord(domain: string, reportTo?: string): DnsRecord {
  const tags = ['v=DMARC1', 'p=none', ...(reportTo ? [`rua=mailto:${reportTo}`] : [])];
  return { name: `_dmarc.${domain}`, type: 'TXT', value: quoted(tags.join('; ')), purpose: 'DMARC policy' };
}

/** A record as one line for a stack output: `<name> <type> <value>`. */
export function recordLine(record: DnsRecord): string {
  return `${record.name} ${record.type} ${record.value}`;
}

/**
 * The records as a BIND zone-file snippet to paste into a zone: one record a line, names and
 * host names fully qualified with a trailing dot, TXT values quoted, the TTL given. `notes` become
 * comment lines at the top (a record that cannot be given, say).
 */
export function zoneFileSnippet(records: readonly DnsRecord[], notes: readonly string[] = []): string {
  const lines = [...notes.map((note) => `; ${note}`)];
  for (const record of records) {
    lines.push(`${fqdn(record.name)}\t${DNS_TTL_SECONDS}\tIN\t${record.type}\t${zoneValue(record)}`);
  }
  return lines.join('\n');
}

function zoneValue(record: DnsRecord): string {
  switch (record.type) {
    case 'CNAME':
      return fqdn(record.value);
    case 'MX': {
      const [preference, host] = record.value.split(' ');
      return `${preference} ${fqdn(host ?? '')}`;
    }
    case 'TXT':
      return record.value;
  }
}

function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** A TXT string in double quotes, its quotes and backslashes escaped (RFC 1035 §5.1). */
function quoted(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Reads a record line (`<name> <type> <value>`, as recordLine writes it) back, or undefined for
 * anything else, such as an output saying why there is no such record.
 */
export function parseRecordLine(line: string): Pick<DnsRecord, 'name' | 'type' | 'value'> | undefined {
  const match = /^(\S+) (CNAME|MX|TXT) (.+)$/.exec(line.trim());
  if (!match) return undefined;
  return { name: match[1]!, type: match[2] as DnsRecordType, value: match[3]! };
}
