import { recordLine, zoneFileSnippet } from '../../lambda/core/dns-records';
import { sendingDomainRecords } from '../../lambda/core/sending-identity';
import { DnsReportError, dnsReport, formatDnsReport, outputsFromFile } from '../../scripts/dns-report';

const TOKENS = ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32)];

/** The DNS outputs a stack with this sending domain has, built as the sending-identity resource builds them. */
function stackOutputs(mailFrom: boolean): Record<string, string> {
  const { records, notes } = sendingDomainRecords(
    { domain: 'mail.example.com', ...(mailFrom ? { mailFromDomain: 'bounce.mail.example.com', region: 'eu-west-1' } : {}), dmarcReportTo: 'ops@example.com' },
    { tokens: TOKENS, signingAttributesOrigin: 'AWS_SES' },
  );
  const [dkim1, dkim2, dkim3] = records;
  return {
    ApiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/v1/',
    DkimRecord1: recordLine(dkim1!),
    DkimRecord2: recordLine(dkim2!),
    DkimRecord3: recordLine(dkim3!),
    ...(mailFrom ? { MailFromMxRecord: recordLine(records[3]!), MailFromSpfRecord: recordLine(records[4]!) } : {}),
    DmarcRecord: recordLine(records.at(-1)!),
    DnsZoneFile: zoneFileSnippet(records, notes),
  };
}

describe('npm run dns: the report', () => {
  it('tables every record and gives the snippet as the stack output holds it', () => {
    const outputs = stackOutputs(true);
    const text = formatDnsReport(dnsReport(outputs));
    const lines = text.split('\n');
    expect(lines.slice(0, 9)).toEqual([
      'DNS records for the sending domain:',
      '',
      `Type   Name${' '.repeat(56)}  Value`,
      `CNAME  ${TOKENS[0]}._domainkey.mail.example.com  ${TOKENS[0]}.dkim.amazonses.com`,
      `CNAME  ${TOKENS[1]}._domainkey.mail.example.com  ${TOKENS[1]}.dkim.amazonses.com`,
      `CNAME  ${TOKENS[2]}._domainkey.mail.example.com  ${TOKENS[2]}.dkim.amazonses.com`,
      `MX     bounce.mail.example.com${' '.repeat(37)}  10 feedback-smtp.eu-west-1.amazonses.com`,
      `TXT    bounce.mail.example.com${' '.repeat(37)}  "v=spf1 include:amazonses.com ~all"`,
      `TXT    _dmarc.mail.example.com${' '.repeat(37)}  "v=DMARC1; p=none; rua=mailto:ops@example.com"`,
    ]);
    expect(text).toContain(`As a zone-file snippet (BIND syntax):\n\n${outputs.DnsZoneFile}\n`);
  });

  it('says why a record is missing, as the output does', () => {
    const outputs = { ...stackOutputs(false), DkimRecord1: 'none: SES gave 2 DKIM records for mail.example.com' };
    const report = dnsReport(outputs);
    expect(report.records.map((r) => r.output)).toEqual(['DkimRecord2', 'DkimRecord3', 'DmarcRecord']);
    expect(report.notes).toEqual(['DkimRecord1: none: SES gave 2 DKIM records for mail.example.com']);
  });

  it('refuses a stack without a sending domain', () => {
    expect(() => dnsReport({ ApiUrl: 'https://x' })).toThrow(new DnsReportError('The stack has no DnsZoneFile output: it was deployed without outbox:sendingDomain, so Outbox manages no DNS records for it.'));
  });
});

describe('npm run dns: the outputs file', () => {
  const file = JSON.stringify({ Outbox: { DnsZoneFile: 'z', Other: 1 }, Staging: { DnsZoneFile: 's' } });

  it('reads the stack named, or the only one', () => {
    expect(outputsFromFile(file, 'Staging')).toEqual({ DnsZoneFile: 's' });
    expect(outputsFromFile(JSON.stringify({ Outbox: { DnsZoneFile: 'z' } }))).toEqual({ DnsZoneFile: 'z' });
  });

  it('asks for --stack among several, and names what it holds', () => {
    expect(() => outputsFromFile(file)).toThrow('The outputs file holds several stacks (Outbox, Staging); name one with --stack.');
    expect(() => outputsFromFile(file, 'Prod')).toThrow('The outputs file has no stack Prod (it has Outbox, Staging).');
    expect(() => outputsFromFile('{"Outbox":')).toThrow(/^The outputs file is not JSON/);
  });
});
