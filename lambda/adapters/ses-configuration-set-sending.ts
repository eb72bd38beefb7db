import type { ConfigurationSetSending } from '../core/sending-control';
import type { SesV2Client } from './aws/sesv2';

/**
 * SES v2 PutConfigurationSetSendingOptions for one configuration set: with sending disabled, SES
 * refuses every send naming it (ConfigurationSetSendingPausedException), whichever path it came by
 * (Outbox, SES SMTP, the console with the set as the identity's default).
 */
export class SesConfigurationSetSending implements ConfigurationSetSending {
  constructor(
    private readonly ses: SesV2Client,
    private readonly configurationSetName: string,
  ) {}

  async setSendingEnabled(enabled: boolean): Promise<void> {
    await this.ses.putConfigurationSetSendingOptions({ ConfigurationSetName: this.configurationSetName, SendingEnabled: enabled });
  }
}
