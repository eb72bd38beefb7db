import { SESv2Client } from '@aws-sdk/client-sesv2';

/**
 * P3's baseline: the least an Outbox Lambda could be, a handler that only constructs an SES v2
 * client at init. Bundled exactly as the stack bundles the real handlers.
 */
const ses = new SESv2Client({});

export const handler = async (): Promise<boolean> => ses !== undefined;
