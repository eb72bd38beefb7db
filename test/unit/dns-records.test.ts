import { dmarcRecord, mailFromRecords, parseRecordLine, recordLine, zoneFileSnippet } from '../../lambda/core/dns-records';

describe('DNS records of a sending domain', () => {
  it("points the MAIL FROM MX record at the Region's feedback endpoint and lets SES's senders pass SPF", () => {
    expect(mailFromRecords('bounce.mail.example.com', 'ap-southeast-2').map(recordLine)).toEqual([
      'bounce.mail.example.com MX 10 feedback-smtp.ap-southeast-2.amazonses.com',
      'bounce.mail.example.com TXT "v=spf1 include:amazonses.com ~all"',
    ]);
  });

  it('starts DMARC at p=none, asking for aggregate reports only when there is an address', () => {
    expect(dmarcRecord('mail.example.com').value).toBe('"v=DMARC1; p=none"');
    expect(dmarcRecord('mail.example.com', 'dmarc@example.com')).toMatchObject({ name: '_dmarc.mail.example.com', type: 'TXT', value: '"v=DMARC1; p=none; rua=mailto:dmarc@example.com"' });
  });

  it('escapes quotes and backslashes inside a TXT value', () => {
    expect(dmarcRecord('mail.example.com', 'a"b\\c@example.com').value).toBe('"v=DMARC1; p=none; rua=mailto:a\\"b\\\\c@example.com"');
  });

  it('writes a snippet with fully qualified names, the TTL, and notes as comments', () => {
    const snippet = zoneFileSnippet([{ name: 'x._domainkey.example.com', type: 'CNAME', value: 'x.dkim.amazonses.com', purpose: 'DKIM' }, ...mailFromRecords('bounce.example.com', 'us-east-1')], ['a note']);
    expect(snippet).toBe(
      [
        '; a note',
        'x._domainkey.example.com.\t1800\tIN\tCNAME\tx.dkim.amazonses.com.',
        'bounce.example.com.\t1800\tIN\tMX\t10 feedback-smtp.us-east-1.amazonses.com.',
        'bounce.example.com.\t1800\tIN\tTXT\t"v=spf1 include:amazonses.com ~all"',
      ].join('\n'),
    );
  });

  it('reads a record line back, and nothing from a line that says why there is no record', () => {
    const [mx] = mailFromRecords('bounce.example.com', 'us-east-1');
    expect(parseRecordLine(recordLine(mx!))).toEqual({ name: 'bounce.example.com', type: 'MX', value: '10 feedback-smtp.us-east-1.amazonses.com' });
    expect(parseRecordLine('none: custom MAIL FROM is off (outbox:mailFromSubdomain off)')).toBeUndefined();
  });
});
