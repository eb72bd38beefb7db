import { SesV2Client } from '../adapters/aws/sesv2';
import { SesEmailIdentities } from '../adapters/ses-email-identities';
import { applySendingIdentity, readSendingIdentityProperties } from '../core/sending-identity';
import { customResourceHandler, toResourceRequest } from '../entrypoints/cloudformation-custom-resource';

// SES allows its identity calls about one request per second per account: a few more attempts
// than the SDK's default ride out a throttle during a busy deploy.
const identities = new SesEmailIdentities(new SesV2Client({ maxAttempts: 5 }));

/** The Custom::OutboxSendingIdentity resource: creates the sending domain in SES, or adopts it when it exists. */
export const handler = customResourceHandler((event) => applySendingIdentity({ identities }, toResourceRequest(event, readSendingIdentityProperties)));
