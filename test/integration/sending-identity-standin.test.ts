import { GetEmailIdentityCommand, PutEmailIdentityMailFromAttributesCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { SesEmailIdentities } from '../../lambda/adapters/ses-email-identities';
import { applySendingIdentity, type SendingIdentityProperties } from '../../lambda/core/sending-identity';
import { startSesStandIn, type SesStandIn } from '../../local/ses-standin';
import { lightStandInClient, standInClient } from '../helpers/ses-standin-client';

const STACK = 'arn:aws:cloudformation:us-east-1:000000000000:stack/Outbox/5d1e2c40-8f0c-11ef-9d3c-0a1b2c3d4e5f';
const PROPERTIES: SendingIdentityProperties = {
  domain: 'acme.test',
  configurationSetName: 'outbox-events',
  mailFromDomain: 'bounce.acme.test',
  region: 'us-east-1',
};

/**
 * The sending-identity core through its SES adapter (Outbox's SES v2 client) against the local SES
 * stand-in, checked with the real SESv2Client, whose verified identities play the account's existing ones: the adopt path, whole.
 */
describe('sending identity against the SES stand-in', () => {
  let standIn: SesStandIn;
  let client: SESv2Client;
  let identities: SesEmailIdentities;

  beforeAll(async () => {
    standIn = await startSesStandIn({ verifiedIdentities: ['acme.test', 'other.test'], configurationSets: ['outbox-events'], simulateEvents: false });
    client = standInClient(standIn);
    identities = new SesEmailIdentities(lightStandInClient(standIn));
  });
  afterAll(async () => {
    client.destroy();
    await standIn.stop();
  });

  const request = (type: 'Create' | 'Delete', physicalResourceId?: string, properties = PROPERTIES) => ({
    type,
    stackId: STACK,
    requestId: `${type}-1`,
    logicalResourceId: 'SesDomainIdentity',
    properties,
    ...(physicalResourceId ? { physicalResourceId } : {}),
  });

  it('adopts the identity with its MAIL FROM domain and the configuration set as default, and leaves it as found on Delete', async () => {
    const adopted = await applySendingIdentity({ identities }, request('Create'));

    expect(adopted.physicalResourceId).toBe('adopted:acme.test?mail-from=&on-mx-failure=USE_DEFAULT_VALUE');
    const shown = await client.send(new GetEmailIdentityCommand({ EmailIdentity: 'acme.test' }));
    expect(shown.MailFromAttributes).toEqual({ MailFromDomain: 'bounce.acme.test', MailFromDomainStatus: 'SUCCESS', BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' });
    expect(shown.ConfigurationSetName).toBe('outbox-events');
    expect(adopted.data).toMatchObject({ Origin: 'adopted', DefaultConfigurationSet: 'outbox-events', MailFromDomain: 'bounce.acme.test' });

    await applySendingIdentity({ identities }, request('Delete', adopted.physicalResourceId));
    const after = await client.send(new GetEmailIdentityCommand({ EmailIdentity: 'acme.test' }));
    expect(after.MailFromAttributes).toEqual({ BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' });
    expect(after.ConfigurationSetName).toBeUndefined();
  });

  it("fails with SES's words when the configuration set does not exist, and puts the MAIL FROM back", async () => {
    const failure = await applySendingIdentity({ identities }, request('Create', undefined, { ...PROPERTIES, domain: 'other.test', mailFromDomain: 'bounce.other.test', configurationSetName: 'gone' })).catch(
      (e: unknown) => e,
    );
    expect((failure as Error).message).toBe(
      'Could not set the default configuration set of the SES identity other.test: SES says "Configuration set <gone> does not exist." (NotFoundException). ' +
        'The configuration set gone it names as default was not found; deploy again.',
    );
    const shown = await client.send(new GetEmailIdentityCommand({ EmailIdentity: 'other.test' }));
    expect(shown.MailFromAttributes?.MailFromDomain).toBeUndefined();
  });

  it('refuses, as SES does, a MAIL FROM domain outside the identity and an identity the account lacks', async () => {
    await expect(client.send(new PutEmailIdentityMailFromAttributesCommand({ EmailIdentity: 'acme.test', MailFromDomain: 'bounce.example.org' }))).rejects.toMatchObject({
      name: 'BadRequestException',
    });
    await expect(client.send(new PutEmailIdentityMailFromAttributesCommand({ EmailIdentity: 'missing.test', MailFromDomain: 'bounce.missing.test' }))).rejects.toMatchObject({
      name: 'NotFoundException',
    });
  });
});
