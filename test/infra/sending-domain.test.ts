import { Match } from 'aws-cdk-lib/assertions';
import { SENDING_IDENTITY_RESOURCE } from '../../lambda/shared/custom-resources';
import { CONTEXT, outboxPropsFromContext } from '../../lib/context';
import { logicalId, nagViolations, synthOutbox, synthOutboxFromContext, testApp } from './synth';

const ATTRIBUTES = SENDING_IDENTITY_RESOURCE.attributes;
const DNS_OUTPUTS = ['DkimRecord1', 'DkimRecord2', 'DkimRecord3', 'MailFromMxRecord', 'MailFromSpfRecord', 'DmarcRecord', 'DnsZoneFile', 'SendingDomainDefaultConfigurationSet'];

/** The props bin/outbox.ts would build from this context, or the message of the error it throws. */
function propsOrError(context: Record<string, unknown>): ReturnType<typeof outboxPropsFromContext> | string {
  try {
    return outboxPropsFromContext(testApp(context));
  } catch (error) {
    return (error as Error).message;
  }
}

describe('the sending domain, whole', () => {
  describe('with the defaults (MAIL FROM bounce, no zone)', () => {
    const synthesized = synthOutboxFromContext({ [CONTEXT.sendingDomain]: 'mail.example.com', [CONTEXT.alarmEmail]: 'ops@example.com' });
    const { stack, template } = synthesized;
    const identity = stack.ses.domainIdentity!;
    const id = logicalId(stack, identity.resource);

    it('asks the resource for the MAIL FROM domain bounce.<domain>, the Region, and DMARC reports to the alarm address', () => {
      template.hasResourceProperties(SENDING_IDENTITY_RESOURCE.type, {
        EmailIdentity: 'mail.example.com',
        MailFromDomain: 'bounce.mail.example.com',
        Region: { Ref: 'AWS::Region' },
        DmarcReportTo: 'ops@example.com',
        HostedZoneName: Match.absent(),
      });
    });

    it('refers to the configuration set, so on deletion the identity lets go of it before the set goes', () => {
      template.hasResourceProperties(SENDING_IDENTITY_RESOURCE.type, { ConfigurationSetName: { Ref: logicalId(stack, stack.ses.configurationSet) } });
    });

    it('outputs every record and the zone-file snippet, from the resource', () => {
      const outputs = template.findOutputs('*');
      expect(DNS_OUTPUTS.filter((name) => !outputs[name])).toEqual([]);
      expect(outputs.MailFromMxRecord!.Value).toEqual({ 'Fn::GetAtt': [id, ATTRIBUTES.mailFromMxRecord] });
      expect(outputs.MailFromSpfRecord!.Value).toEqual({ 'Fn::GetAtt': [id, ATTRIBUTES.mailFromSpfRecord] });
      expect(outputs.DmarcRecord!.Value).toEqual({ 'Fn::GetAtt': [id, ATTRIBUTES.dmarcRecord] });
      expect(outputs.DnsZoneFile!.Value).toEqual({ 'Fn::GetAtt': [id, ATTRIBUTES.zoneFile] });
      expect(outputs.DnsZoneFile!.Description).toContain('npm run dns');
      expect(outputs.DmarcRecord!.Description).toContain('to ops@example.com');
      expect(outputs.DkimRecord1!.Description).toContain('add it to its DNS');
    });

    it('writes no Route 53 record', () => {
      template.resourceCountIs('AWS::Route53::RecordSet', 0);
      expect(stack.ses.domainRecords).toBeUndefined();
    });
  });

  describe('with outbox:mailFromSubdomain off', () => {
    const { template } = synthOutboxFromContext({ [CONTEXT.sendingDomain]: 'mail.example.com', [CONTEXT.mailFromSubdomain]: 'off' });

    it('sets no MAIL FROM domain and outputs no MX or SPF record, but DMARC and the snippet still', () => {
      template.hasResourceProperties(SENDING_IDENTITY_RESOURCE.type, { MailFromDomain: Match.absent(), Region: Match.absent(), DmarcReportTo: Match.absent() });
      const outputs = Object.keys(template.findOutputs('*'));
      expect(outputs).not.toContain('MailFromMxRecord');
      expect(outputs).not.toContain('MailFromSpfRecord');
      expect(outputs).toEqual(expect.arrayContaining(['DmarcRecord', 'DnsZoneFile']));
    });
  });

  describe('with a Route 53 zone', () => {
    const synthesized = synthOutboxFromContext({
      [CONTEXT.sendingDomain]: 'mail.example.com',
      [CONTEXT.mailFromSubdomain]: 'mx',
      [CONTEXT.hostedZoneId]: 'Z0123456789ABCDEFGHIJ',
      [CONTEXT.hostedZoneName]: 'Example.com.',
    });
    const { stack, template } = synthesized;
    const id = logicalId(stack, stack.ses.domainIdentity!.resource);
    const records = Object.values(template.findResources('AWS::Route53::RecordSet')).map((r) => r.Properties);

    it('writes the three DKIM CNAMEs, the MAIL FROM MX and SPF TXT and the DMARC TXT into the zone, fully qualified', () => {
      expect(records).toHaveLength(6);
      for (const record of records) expect(record).toMatchObject({ HostedZoneId: 'Z0123456789ABCDEFGHIJ', TTL: '1800' });
      const byType = (type: string) => records.filter((r) => r.Type === type);
      expect(byType('CNAME').map((r) => [r.Name, r.ResourceRecords])).toEqual(
        ([1, 2, 3] as const).map((n) => [
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, ATTRIBUTES.dkimRecordName(n)] }, '.']] },
          [{ 'Fn::GetAtt': [id, ATTRIBUTES.dkimRecordValue(n)] }],
        ]),
      );
      expect(byType('MX')).toEqual([expect.objectContaining({ Name: 'mx.mail.example.com.', ResourceRecords: [{ 'Fn::GetAtt': [id, ATTRIBUTES.mailFromMxValue] }] })]);
      expect(byType('TXT').map((r) => [r.Name, r.ResourceRecords])).toEqual([
        ['mx.mail.example.com.', [{ 'Fn::GetAtt': [id, ATTRIBUTES.mailFromSpfValue] }]],
        ['_dmarc.mail.example.com.', [{ 'Fn::GetAtt': [id, ATTRIBUTES.dmarcRecordValue] }]],
      ]);
    });

    it('tells the resource of the zone, so it refuses an identity without Easy DKIM before Route 53 gets empty names', () => {
      template.hasResourceProperties(SENDING_IDENTITY_RESOURCE.type, { HostedZoneName: 'example.com', MailFromDomain: 'mx.mail.example.com' });
    });

    it('says in the outputs that the stack writes the records', () => {
      expect(template.findOutputs('DkimRecord1').DkimRecord1!.Description).toContain('the stack writes it into the Route 53 zone example.com');
    });

    it('grants nothing new for Route 53 (CloudFormation writes the records) and passes the cdk-nag checks', () => {
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
      expect(JSON.stringify(statements)).not.toContain('route53:');
      expect(nagViolations(synthesized)).toEqual([]);
    });
  });

  it('writes no Route 53 record and outputs no DNS record without a sending domain', () => {
    const { template } = synthOutbox({ identities: ['example.com'] });
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    expect(Object.keys(template.findOutputs('*')).filter((name) => DNS_OUTPUTS.includes(name))).toEqual([]);
  });
});

describe('the sending domain settings', () => {
  it('default the MAIL FROM subdomain to bounce, and read off as none', () => {
    expect(propsOrError({ [CONTEXT.sendingDomain]: 'mail.example.com' })).toMatchObject({ mailFromSubdomain: 'bounce' });
    expect(propsOrError({ [CONTEXT.sendingDomain]: 'mail.example.com', [CONTEXT.mailFromSubdomain]: 'OFF' })).toMatchObject({ mailFromSubdomain: false });
    expect(propsOrError({ [CONTEXT.sendingDomain]: 'mail.example.com', [CONTEXT.mailFromSubdomain]: 'Returns' })).toMatchObject({ mailFromSubdomain: 'returns' });
  });

  it('read a zone whose name holds the sending domain, or is it', () => {
    expect(propsOrError({ [CONTEXT.sendingDomain]: 'example.com', [CONTEXT.hostedZoneId]: 'Z1D633PJN98FT9', [CONTEXT.hostedZoneName]: 'example.com' })).toMatchObject({
      hostedZone: { zoneId: 'Z1D633PJN98FT9', zoneName: 'example.com' },
    });
  });

  it('report every problem with the MAIL FROM subdomain and the zone at once', () => {
    const message = propsOrError({
      [CONTEXT.sendingDomain]: 'mail.example.com',
      [CONTEXT.mailFromSubdomain]: 'bounce.mail',
      [CONTEXT.hostedZoneId]: '/hostedzone/Z1D633PJN98FT9',
      [CONTEXT.hostedZoneName]: 'example.org',
    });
    expect(message).toBe(
      [
        'Invalid Outbox context:',
        '- outbox:mailFromSubdomain must be one DNS label such as bounce (letters, digits and inner hyphens, up to 63), or off, not "bounce.mail".',
        '- outbox:hostedZoneId must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (without /hostedzone/), not "/hostedzone/Z1D633PJN98FT9".',
        '- outbox:sendingDomain mail.example.com is not in the zone example.org (outbox:hostedZoneName): Route 53 would refuse its records.',
      ].join('\n'),
    );
  });

  it('refuse a zone id without its name, a name without an id, and both without a sending domain', () => {
    expect(propsOrError({ [CONTEXT.sendingDomain]: 'mail.example.com', [CONTEXT.hostedZoneId]: 'Z1D633PJN98FT9' })).toContain(
      'outbox:hostedZoneId needs outbox:hostedZoneName, the zone\'s name (such as example.com): the stack cannot look it up offline.',
    );
    expect(propsOrError({ [CONTEXT.sendingDomain]: 'mail.example.com', [CONTEXT.hostedZoneName]: 'example.com' })).toContain(
      'outbox:hostedZoneName is read only with outbox:hostedZoneId; set both or neither.',
    );
    const alone = propsOrError({ [CONTEXT.hostedZoneId]: 'Z1D633PJN98FT9', [CONTEXT.hostedZoneName]: 'example.com', [CONTEXT.mailFromSubdomain]: 'bounce' });
    expect(alone).toContain('outbox:hostedZoneId needs outbox:sendingDomain');
    expect(alone).toContain('outbox:mailFromSubdomain needs outbox:sendingDomain');
  });
});
