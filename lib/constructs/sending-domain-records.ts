import { Duration } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import type { SendingIdentity } from './sending-identity';

/** The TTL of every record, the same as the zone-file snippet's (DNS_TTL_SECONDS). */
const TTL = Duration.seconds(1800);

export interface SendingDomainRecordsProps {
  readonly identity: SendingIdentity;
  /** The zone the sending domain is in (checked by outboxPropsFromContext). */
  readonly zone: { readonly zoneId: string; readonly zoneName: string };
}

/**
 * The sending domain's DNS records in a Route 53 zone of the account: Easy DKIM's three CNAMEs
 * (names and values from the sending-identity resource, which refuses an identity without them
 * when it is told of a zone), the MAIL FROM domain's MX and SPF TXT records, and the DMARC TXT
 * record. Names are fully qualified, so the zone's name only places them. A record that already
 * exists under the same name and type fails the deploy rather than being overwritten: a DMARC or
 * SPF record someone else published stays theirs.
 */
export class SendingDomainRecords extends Construct {
  public readonly zone: route53.IHostedZone;
  public readonly records: readonly route53.RecordSet[];

  constructor(scope: Construct, id: string, props: SendingDomainRecordsProps) {
    super(scope, id);
    const { identity } = props;
    this.zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: props.zone.zoneId, zoneName: props.zone.zoneName });
    const record = (recordId: string, recordType: route53.RecordType, name: string, value: string): route53.RecordSet =>
      new route53.RecordSet(this, recordId, {
        zone: this.zone,
        recordType,
        recordName: `${name}.`,
        target: route53.RecordTarget.fromValues(value),
        ttl: TTL,
      });
    const records = identity.dkimRecords.map((dkim, index) => record(`Dkim${index + 1}`, route53.RecordType.CNAME, dkim.name, dkim.value));
    if (identity.mailFromRecords) {
      records.push(record('MailFromMx', route53.RecordType.MX, identity.mailFromRecords.mx.name, identity.mailFromRecords.mx.value));
      records.push(record('MailFromSpf', route53.RecordType.TXT, identity.mailFromRecords.spf.name, identity.mailFromRecords.spf.value));
    }
    records.push(record('Dmarc', route53.RecordType.TXT, identity.dmarcRecord.name, identity.dmarcRecord.value));
    this.records = records;
  }
}
