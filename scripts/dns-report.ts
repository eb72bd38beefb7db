import { parseRecordLine, type DnsRecordType } from '../lambda/core/dns-records';

/**
 * What `npm run dns` prints, from a stack's outputs: the DnsZoneFile snippet as it is, and a
 * table of the records read from the one-record outputs (DkimRecord1..3, MailFromMxRecord,
 * MailFromSpfRecord, DmarcRecord). Pure: the outputs come from `cdk deploy --outputs-file` or
 * from CloudFormation, read by scripts/dns.ts.
 */

/** The outputs holding one record each, in the order the table lists them. */
export const RECORD_OUTPUTS = ['DkimRecord1', 'DkimRecord2', 'DkimRecord3', 'MailFromMxRecord', 'MailFromSpfRecord', 'DmarcRecord'] as const;
export const ZONE_FILE_OUTPUT = 'DnsZoneFile';

export type StackOutputs = Readonly<Record<string, string>>;

/** A stack's outputs could not be found or read. */
export class DnsReportError extends Error {
  override readonly name = 'DnsReportError';
}

/**
 * The outputs of one stack from a `cdk deploy --outputs-file` JSON document (`{ "<stack>": {
 * "<output>": "<value>" } }`): the stack named, or the only one.
 */
export function outputsFromFile(text: string, stackName?: string): StackOutputs {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new DnsReportError(`The outputs file is not JSON (${(error as Error).message}); write it with cdk deploy --outputs-file <file>.`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new DnsReportError('The outputs file must hold an object of stacks, as cdk deploy --outputs-file writes it.');
  }
  const stacks = document as Record<string, unknown>;
  const names = Object.keys(stacks);
  const name = stackName ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined) {
    throw new DnsReportError(names.length === 0 ? 'The outputs file holds no stack.' : `The outputs file holds several stacks (${names.join(', ')}); name one with --stack.`);
  }
  const outputs = stacks[name];
  if (typeof outputs !== 'object' || outputs === null) throw new DnsReportError(`The outputs file has no stack ${name} (it has ${names.join(', ') || 'none'}).`);
  return Object.fromEntries(Object.entries(outputs).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

export interface DnsReport {
  readonly zoneFile: string;
  readonly records: ReadonlyArray<{ readonly output: string; readonly type: DnsRecordType; readonly name: string; readonly value: string }>;
  /** Outputs that say why they hold no record (`none: ...`). */
  readonly notes: readonly string[];
}

/** The report, or DnsReportError when the stack has no sending domain (no DnsZoneFile output). */
export function dnsReport(outputs: StackOutputs): DnsReport {
  const zoneFile = outputs[ZONE_FILE_OUTPUT];
  if (zoneFile === undefined) {
    throw new DnsReportError(`The stack has no ${ZONE_FILE_OUTPUT} output: it was deployed without outbox:sendingDomain, so Outbox manages no DNS records for it.`);
  }
  const records: Array<DnsReport['records'][number]> = [];
  const notes: string[] = [];
  for (const output of RECORD_OUTPUTS) {
    const line = outputs[output];
    if (line === undefined) continue;
    const record = parseRecordLine(line);
    if (record) records.push({ output, ...record });
    else notes.push(`${output}: ${line}`);
  }
  return { zoneFile, records, notes };
}

/** The report as text: a table of the records, any notes, then the snippet to paste. */
export function formatDnsReport(report: DnsReport): string {
  const rows = [['Type', 'Name', 'Value'], ...report.records.map((r) => [r.type, r.name, r.value])];
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  const table = rows.map((row) => `${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padEnd(widths[1]!)}  ${row[2]}`);
  return [
    'DNS records for the sending domain:',
    '',
    ...table,
    ...(report.notes.length > 0 ? ['', ...report.notes] : []),
    '',
    'As a zone-file snippet (BIND syntax):',
    '',
    report.zoneFile,
    '',
  ].join('\n');
}
