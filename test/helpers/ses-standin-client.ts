import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SesV2Client } from '../../lambda/adapters/aws/sesv2';
import type { SesStandIn } from '../../local/ses-standin';

/** The real SES v2 client pointed at a stand-in, with no retries so each test sees SES's first answer. */
export function standInClient(standIn: Pick<SesStandIn, 'url'>): SESv2Client {
  return new SESv2Client({ region: 'us-east-1', endpoint: standIn.url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
}

/** Outbox's own SES v2 client (what the Lambdas use) pointed at a stand-in, with no retries. */
export function lightStandInClient(standIn: Pick<SesStandIn, 'url'>): SesV2Client {
  return new SesV2Client({ region: 'us-east-1', endpoint: standIn.url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
}
