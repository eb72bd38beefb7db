import { PutConfigurationSetSendingOptionsCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { ConfigurationSetSending } from '../core/sending-control';

/**
 * SES v2 PutConfigurationSetSendingOptions for one configuration set: with sending disabled, SES
 * refuses every send naming it (ConfigurationSetSendingPausedException), whichever path it came by
 * (Outbox, SES SMTP, the console with the set as the identity's default).
 */
export class SesConfigurationSetSending implements ConfigurationSetSending {
  constructor(
    private readonly ses: SESv2Client,
    private readonly configurationSetName: string,
  ) {}

  async setSendingEnabled(enabled: boolean): Promise<void> {
    await this.ses.send(new PutConfigurationSetSendingOptionsCommand({ ConfigurationSetName: this.configurationSetName, SendingEnabled: enabled }));
  }
}
