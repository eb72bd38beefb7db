import { GetAccountCommand, GetEmailIdentityCommand, ListEmailIdentitiesCommand, NotFoundException, SESv2Client } from '@aws-sdk/client-sesv2';
import { ANY_SENDER_IDENTITY, startSesStandIn, type SesStandIn } from '../../local/ses-standin';
import { standInClient } from '../helpers/ses-standin-client';

/** The SES stand-in's identity reads and GetAccount, through the real SESv2Client over loopback. */

describe('SES stand-in: identities of verifiedIdentities', () => {
  let standIn: SesStandIn;
  let ses: SESv2Client;

  beforeAll(async () => {
    standIn = await startSesStandIn({ verifiedIdentities: ['acme.test', 'Ops@Other.test', 'third.test'], clock: () => Date.parse('2026-11-28T10:00:00.000Z') });
    ses = standInClient(standIn);
  });
  afterAll(async () => {
    ses.destroy();
    await standIn.stop();
  });

  it('lists them as SES does, verified, in pages with a NextToken', async () => {
    const first = await ses.send(new ListEmailIdentitiesCommand({ PageSize: 2 }));
    expect(first.EmailIdentities).toEqual([
      { IdentityType: 'DOMAIN', IdentityName: 'acme.test', SendingEnabled: true, VerificationStatus: 'SUCCESS' },
      { IdentityType: 'EMAIL_ADDRESS', IdentityName: 'Ops@Other.test', SendingEnabled: true, VerificationStatus: 'SUCCESS' },
    ]);
    expect(first.NextToken).toEqual(expect.any(String));
    const second = await ses.send(new ListEmailIdentitiesCommand({ PageSize: 2, NextToken: first.NextToken }));
    expect(second.EmailIdentities?.map((i) => i.IdentityName)).toEqual(['third.test']);
    expect(second.NextToken).toBeUndefined();
  });

  it('filters by identity type and by a part of the name', async () => {
    const addresses = await ses.send(new ListEmailIdentitiesCommand({ Filter: { IDENTITY_TYPE: 'EMAIL_ADDRESS' } }));
    expect(addresses.EmailIdentities?.map((i) => i.IdentityName)).toEqual(['Ops@Other.test']);
    const named = await ses.send(new ListEmailIdentitiesCommand({ Filter: { IDENTITY_NAME_CONTAINS: 'THIRD' } }));
    expect(named.EmailIdentities?.map((i) => i.IdentityName)).toEqual(['third.test']);
  });

  it('refuses a page size SES refuses, and a NextToken it never gave', async () => {
    await expect(ses.send(new ListEmailIdentitiesCommand({ PageSize: 1001 }))).rejects.toMatchObject({ name: 'BadRequestException' });
    await expect(ses.send(new ListEmailIdentitiesCommand({ NextToken: 'bm9wZQ==' }))).rejects.toMatchObject({ name: 'BadRequestException' });
  });

  it('also answers the older GET /v2/email/identities form of ListEmailIdentities', async () => {
    const response = await fetch(`${standIn.url}/v2/email/identities?PageSize=1`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { EmailIdentities: { IdentityName: string }[]; NextToken?: string };
    expect(body.EmailIdentities.map((i) => i.IdentityName)).toEqual(['acme.test']);
    expect(body.NextToken).toEqual(expect.any(String));
  });

  it('gives a domain identity with Easy DKIM set up, timestamps read back as dates', async () => {
    const identity = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: 'acme.test' }));
    expect(identity).toMatchObject({
      IdentityType: 'DOMAIN',
      VerifiedForSendingStatus: true,
      VerificationStatus: 'SUCCESS',
      FeedbackForwardingStatus: true,
      DkimAttributes: { SigningEnabled: true, Status: 'SUCCESS', SigningAttributesOrigin: 'AWS_SES', CurrentSigningKeyLength: 'RSA_2048_BIT' },
      MailFromAttributes: { BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
      VerificationInfo: { LastSuccessTimestamp: new Date('2026-11-28T10:00:00.000Z') },
    });
    expect(identity.DkimAttributes?.Tokens).toHaveLength(3);
    for (const token of identity.DkimAttributes!.Tokens!) expect(token).toMatch(/^[a-z0-9]{32}$/);
  });

  it('gives an address identity, case-insensitively, with no DKIM of its own, as SES reports one', async () => {
    const identity = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: 'ops@other.test' }));
    expect(identity).toMatchObject({ IdentityType: 'EMAIL_ADDRESS', VerifiedForSendingStatus: true, DkimAttributes: { SigningEnabled: false, Status: 'NOT_STARTED' } });
  });

  it("answers an unknown identity, even an address of a verified domain, with SES's NotFoundException", async () => {
    for (const name of ['elsewhere.test', 'someone@acme.test']) {
      const error = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: name })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundException);
      expect(error).toMatchObject({ message: `Email identity ${name} does not exist.`, $metadata: { httpStatusCode: 404 } });
    }
  });

  it('fails the next calls of one read as told, then answers again', async () => {
    standIn.failNextCalls('GetEmailIdentity', { name: 'AccessDeniedException', message: 'not authorized', statusCode: 403 });
    await expect(ses.send(new GetEmailIdentityCommand({ EmailIdentity: 'acme.test' }))).rejects.toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    // The fault was for GetEmailIdentity only.
    await expect(ses.send(new GetAccountCommand({}))).resolves.toMatchObject({ SendingEnabled: true });
    await expect(ses.send(new GetEmailIdentityCommand({ EmailIdentity: 'acme.test' }))).resolves.toMatchObject({ VerifiedForSendingStatus: true });
  });
});

describe('SES stand-in: identities when every sender counts as verified', () => {
  let standIn: SesStandIn;
  let ses: SESv2Client;

  beforeAll(async () => {
    standIn = await startSesStandIn();
    ses = standInClient(standIn);
  });
  afterAll(async () => {
    ses.destroy();
    await standIn.stop();
  });

  it(`lists one domain identity, ${ANY_SENDER_IDENTITY}, to stand for them`, async () => {
    const listed = await ses.send(new ListEmailIdentitiesCommand({}));
    expect(listed.EmailIdentities).toEqual([{ IdentityType: 'DOMAIN', IdentityName: ANY_SENDER_IDENTITY, SendingEnabled: true, VerificationStatus: 'SUCCESS' }]);
  });

  it('answers any name as a verified identity, since SES here sends from any', async () => {
    await expect(ses.send(new GetEmailIdentityCommand({ EmailIdentity: 'whatever.test' }))).resolves.toMatchObject({ IdentityType: 'DOMAIN', VerifiedForSendingStatus: true });
    await expect(ses.send(new GetEmailIdentityCommand({ EmailIdentity: 'a@b.test' }))).resolves.toMatchObject({ IdentityType: 'EMAIL_ADDRESS', VerifiedForSendingStatus: true });
  });

  it('reports production access unless told to play a sandboxed account', async () => {
    await expect(ses.send(new GetAccountCommand({}))).resolves.toMatchObject({ ProductionAccessEnabled: true, EnforcementStatus: 'HEALTHY' });
    const sandboxed = await startSesStandIn({ productionAccessEnabled: false });
    const client = standInClient(sandboxed);
    try {
      await expect(client.send(new GetAccountCommand({}))).resolves.toMatchObject({ ProductionAccessEnabled: false });
    } finally {
      client.destroy();
      await sandboxed.stop();
    }
  });
});
