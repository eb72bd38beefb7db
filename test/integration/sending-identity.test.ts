import type { CustomResourceContext, CustomResourceEvent } from '../../lambda/entrypoints/cloudformation-custom-resource';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/embedded-dynamodb';
import { SesIdentityStandIn } from '../helpers/aws-json-standins';
import { CustomResourceReceiver, lambdaContext } from '../helpers/custom-resource-receiver';

const STACK = 'arn:aws:cloudformation:us-east-1:123456789012:stack/Outbox/0f7e4b20-8f0c-11ef-9d3c-0a1b2c3d4e5f';

/**
 * The deployed sending-identity handler, whole: the CloudFormation protocol, the core and Outbox's
 * SES v2 client (its endpoint from AWS_ENDPOINT_URL_SESV2, as the SDK's) against a stand-in speaking SES v2's restJson1 (its exception names in
 * x-amzn-ErrorType), with the answer PUT to a local receiver.
 */
describe('sending identity custom resource', () => {
  let ses: SesIdentityStandIn;
  let receiver: CustomResourceReceiver;
  let handler: (event: CustomResourceEvent, context: CustomResourceContext) => Promise<void>;
  const saved = { ...process.env };

  beforeAll(async () => {
    // The handler logs a JSON line per request and answer, as it does in Lambda.
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    ses = await SesIdentityStandIn.start();
    receiver = await CustomResourceReceiver.start();
    Object.assign(process.env, {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_SESV2: ses.url,
    });
    ({ handler } = await import('../../lambda/handlers/sending-identity'));
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    process.env = saved;
    await receiver.stop();
    await ses.stop();
  });

  function event(
    domain: string,
    overrides: Partial<CustomResourceEvent> & Pick<CustomResourceEvent, 'RequestType'>,
    properties: Record<string, string> = {},
  ): CustomResourceEvent {
    return receiver.event({
      StackId: STACK,
      ResourceType: 'Custom::OutboxSendingIdentity',
      LogicalResourceId: 'SesDomainIdentity',
      ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:x', EmailIdentity: domain, ConfigurationSetName: 'outbox-events', ...properties },
      ...overrides,
    });
  }

  it('creates a missing domain with Easy DKIM RSA 2048, the configuration set and the stack tag, and deletes it with the stack', async () => {
    await handler(event('mail.example.com', { RequestType: 'Create', RequestId: 'create-1' }), lambdaContext(60_000));

    expect(ses.calls.filter((c) => c.operation === 'CreateEmailIdentity').map((c) => c.input)).toEqual([
      {
        EmailIdentity: 'mail.example.com',
        DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
        ConfigurationSetName: 'outbox-events',
        Tags: [{ Key: 'outbox:created-by-stack', Value: STACK }],
      },
    ]);
    const [answer] = receiver.answersFor('create-1');
    expect(answer).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'created:mail.example.com',
      Data: {
        Origin: 'created',
        DkimRecord1: `${'1'.repeat(32)}._domainkey.mail.example.com CNAME ${'1'.repeat(32)}.dkim.amazonses.com`,
        DkimRecord3Name: `${'3'.repeat(32)}._domainkey.mail.example.com`,
      },
    });

    await handler(event('mail.example.com', { RequestType: 'Delete', RequestId: 'delete-1', PhysicalResourceId: 'created:mail.example.com' }), lambdaContext(60_000));
    expect(receiver.answersFor('delete-1')).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
    expect(ses.identities.has('mail.example.com')).toBe(false);
  });

  it('adopts an identity the account already has, and leaves it when the stack goes', async () => {
    ses.identities.set('acme.example', {
      dkim: { SigningEnabled: true, Status: 'SUCCESS', Tokens: ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32)], SigningAttributesOrigin: 'AWS_SES' },
      tags: [{ Key: 'team', Value: 'billing' }],
      configurationSetName: 'their-set',
    });
    const calls = ses.calls.length;

    await handler(event('acme.example', { RequestType: 'Create', RequestId: 'create-2' }), lambdaContext(60_000));
    const adopted = 'adopted:acme.example?mail-from=&on-mx-failure=USE_DEFAULT_VALUE';
    await handler(event('acme.example', { RequestType: 'Delete', RequestId: 'delete-2', PhysicalResourceId: adopted }), lambdaContext(60_000));

    expect(receiver.answersFor('create-2')).toEqual([
      expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: adopted, Data: expect.objectContaining({ Origin: 'adopted', DefaultConfigurationSet: 'their-set' }) }),
    ]);
    expect(receiver.answersFor('delete-2')).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
    // Reads only: its MAIL FROM is as found, and its default set is another application's.
    expect(ses.calls.slice(calls).map((c) => c.operation)).toEqual(['GetEmailIdentity', 'GetEmailIdentity']);
    expect(ses.identities.get('acme.example')).toMatchObject({ configurationSetName: 'their-set' });
  });

  it('sets the MAIL FROM domain and answers every DNS record the domain needs, one snippet among them', async () => {
    const mailFrom = { MailFromDomain: 'bounce.news.example.com', Region: 'us-east-1', DmarcReportTo: 'ops@example.com' };
    await handler(event('news.example.com', { RequestType: 'Create', RequestId: 'create-5' }, mailFrom), lambdaContext(60_000));

    expect(ses.calls.filter((c) => c.operation === 'PutEmailIdentityMailFromAttributes').map((c) => c.input)).toEqual([
      { EmailIdentity: 'news.example.com', MailFromDomain: 'bounce.news.example.com', BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
    ]);
    expect(ses.identities.get('news.example.com')).toMatchObject({ configurationSetName: 'outbox-events', mailFrom: { MailFromDomain: 'bounce.news.example.com' } });
    const [answer] = receiver.answersFor('create-5');
    expect(answer).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'created:news.example.com',
      Data: {
        MailFromMxRecord: 'bounce.news.example.com MX 10 feedback-smtp.us-east-1.amazonses.com',
        MailFromSpfRecord: 'bounce.news.example.com TXT "v=spf1 include:amazonses.com ~all"',
        DmarcRecord: '_dmarc.news.example.com TXT "v=DMARC1; p=none; rua=mailto:ops@example.com"',
        DefaultConfigurationSet: 'outbox-events',
      },
    });
    expect((answer!.Data as Record<string, string>).ZoneFile!.split('\n')).toHaveLength(6);

    await handler(event('news.example.com', { RequestType: 'Delete', RequestId: 'delete-5', PhysicalResourceId: 'created:news.example.com' }, mailFrom), lambdaContext(60_000));
    expect(ses.identities.has('news.example.com')).toBe(false);
  });

  it("answers FAILED with SES's own words when it refuses the create", async () => {
    ses.failNext('CreateEmailIdentity', { status: 400, type: 'BadRequestException', message: 'Invalid domain name: news..example.com' });
    await handler(event('news..example.com', { RequestType: 'Create', RequestId: 'create-3' }), lambdaContext(60_000));

    const [answer] = receiver.answersFor('create-3');
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'SesDomainIdentity-create-failed-create-3' });
    expect(answer!.Reason).toBe(
      'Could not create the SES identity news..example.com: SES says "Invalid domain name: news..example.com" (BadRequestException). ' +
        'Check that outbox:sendingDomain is a domain name you own, such as mail.example.com.',
    );
  });

  it('treats an identity created between the read and the create as adopted', async () => {
    // SES answers the create with AlreadyExistsException, as when another deploy made it first.
    ses.failNext('CreateEmailIdentity', { status: 400, type: 'AlreadyExistsException', message: 'Email identity <race.example> already exist.' });
    ses.failNext('GetEmailIdentity', { status: 404, type: 'NotFoundException', message: 'Email identity <race.example> does not exist.' });
    ses.identities.set('race.example', { dkim: { SigningEnabled: false, Status: 'NOT_STARTED', Tokens: [] }, tags: [] });

    await handler(event('race.example', { RequestType: 'Create', RequestId: 'create-4' }), lambdaContext(60_000));

    expect(receiver.answersFor('create-4')).toEqual([
      expect.objectContaining({
        Status: 'SUCCESS',
        PhysicalResourceId: 'adopted:race.example?mail-from=&on-mx-failure=USE_DEFAULT_VALUE',
        Data: expect.objectContaining({ DkimRecord1: 'none: SES has no DKIM tokens for race.example; set up DKIM for it in the SES console' }),
      }),
    ]);
  });
});
