import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { readApiConfig } from '../../lambda/config';
import { createApiKey } from '../../lambda/core/api-keys';
import { systemClock } from '../../lambda/core/ports';
import { ENV } from '../../lambda/shared/env';
import { ALL_TABLES, API_KEYS_TABLE, CONTROL_TABLE, EMAILS_TABLE, IDEMPOTENCY_TABLE, SUPPRESSIONS_TABLE, WEBHOOKS_TABLE } from '../../lambda/shared/tables';
import { buildApiDeps } from '../../lambda/wiring';
import { createTables, LOCAL_CREDENTIALS, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../local/embedded-dynamodb';
import { startHttpServer } from '../../local/http-server';
import { localTableName, startLocalOutbox, type LocalOutbox } from '../../local/runtime';
import { ANY_SENDER_IDENTITY, startSesStandIn, type SesStandIn } from '../../local/ses-standin';

/**
 * GET /account over loopback HTTP: the route, the real SESv2Client and the SES stand-in's
 * GetAccount, ListEmailIdentities and GetEmailIdentity. Nothing of Outbox's is mocked; the faults
 * (access denied, throttling, failures) are SES answers the stand-in is told to give.
 */

type Json = Record<string, unknown>;

async function get(url: string, key: string | null): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
  return { status: response.status, body: (await response.json()) as Json };
}

describe('GET /account in local mode with OUTBOX_LOCAL_IDENTITIES', () => {
  let outbox: LocalOutbox;

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0, identities: ['acme.test', 'ops@other.test'] });
  });
  afterAll(() => outbox.stop());

  it("reports the account as the stand-in plays SES, out of the sandbox, and each identity verified, the domain's DKIM SUCCESS", async () => {
    const { status, body } = await get(`${outbox.url}/account`, outbox.apiKey);
    expect(status).toBe(200);
    expect(body).toEqual({
      object: 'account',
      region: 'us-east-1',
      sending_enabled: true,
      production_access: true,
      enforcement_status: 'HEALTHY',
      send_quota: { max_send_rate: 1000, max_24_hour_send: -1, sent_last_24_hours: 0 },
      suppression: { suppressed_reasons: ['BOUNCE', 'COMPLAINT'] },
      identities_source: 'account',
      identities: [
        { name: 'acme.test', type: 'DOMAIN', verified: true, verification_status: 'SUCCESS', sending_enabled: true, dkim: { status: 'SUCCESS', signing_enabled: true } },
        {
          name: 'ops@other.test',
          type: 'EMAIL_ADDRESS',
          verified: true,
          verification_status: 'SUCCESS',
          sending_enabled: true,
          dkim: { status: 'NOT_STARTED', signing_enabled: false },
        },
      ],
      has_more_identities: false,
    });
  });

  it("counts what was sent in the quota's last 24 hours, simulator mail aside", async () => {
    const send = (to: string) =>
      fetch(`${outbox.url}/emails`, {
        method: 'POST',
        headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ from: 'hello@acme.test', to, subject: 'Hi', text: 'Hello' }),
      });
    expect((await send('someone@example.net')).status).toBe(200);
    expect((await send('success@simulator.amazonses.com')).status).toBe(200);
    const { body } = await get(`${outbox.url}/account`, outbox.apiKey);
    expect(body.send_quota).toMatchObject({ sent_last_24_hours: 1 });
  });

  it('refuses a sending-only key, and a request without a key', async () => {
    const create = await fetch(`${outbox.url}/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${outbox.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sender', permission: 'sending_access' }),
    });
    const { token } = (await create.json()) as { token: string };
    expect(await get(`${outbox.url}/account`, token)).toEqual({
      status: 401,
      body: { statusCode: 401, name: 'restricted_api_key', message: expect.any(String) },
    });
    expect((await get(`${outbox.url}/account`, null)).body).toMatchObject({ statusCode: 401, name: 'missing_api_key' });
  });

  it('answers another method with 405', async () => {
    const response = await fetch(`${outbox.url}/account`, { method: 'POST', headers: { authorization: `Bearer ${outbox.apiKey}` } });
    expect(response.status).toBe(405);
    expect(await response.json()).toMatchObject({ name: 'method_not_allowed' });
  });
});

describe('GET /account in local mode without OUTBOX_LOCAL_IDENTITIES', () => {
  let outbox: LocalOutbox;

  beforeAll(async () => {
    outbox = await startLocalOutbox({ port: 0 });
  });
  afterAll(() => outbox.stop());

  it(`lists ${ANY_SENDER_IDENTITY}, verified, to stand for every sender the stand-in accepts`, async () => {
    const { status, body } = await get(`${outbox.url}/account`, outbox.apiKey);
    expect(status).toBe(200);
    expect(body.identities).toEqual([
      { name: ANY_SENDER_IDENTITY, type: 'DOMAIN', verified: true, verification_status: 'SUCCESS', sending_enabled: true, dkim: { status: 'SUCCESS', signing_enabled: true } },
    ]);
    expect(body).toMatchObject({ production_access: true, sending_enabled: true, identities_source: 'account' });
  });
});

describe('GET /account as deployed: readApiConfig with OUTBOX_SENDING_IDENTITIES, buildApiDeps, the local front end', () => {
  let dynamo: EmbeddedDynamoDb;
  let ses: SesStandIn;
  const servers: Server[] = [];
  let key: string;
  const logged: string[] = [];

  /** An api as the Lambda builds it from its environment, behind the local server. */
  async function startApi(sesEndpoint: string, sendingIdentities: string): Promise<string> {
    const config = readApiConfig({
      [EMAILS_TABLE.envVar]: localTableName(EMAILS_TABLE),
      [API_KEYS_TABLE.envVar]: localTableName(API_KEYS_TABLE),
      [IDEMPOTENCY_TABLE.envVar]: localTableName(IDEMPOTENCY_TABLE),
      [SUPPRESSIONS_TABLE.envVar]: localTableName(SUPPRESSIONS_TABLE),
      [WEBHOOKS_TABLE.envVar]: localTableName(WEBHOOKS_TABLE),
      [ENV.configurationSet]: 'outbox-test',
      [ENV.retentionDays]: '30',
      [CONTROL_TABLE.envVar]: localTableName(CONTROL_TABLE),
      [ENV.sendingIdentities]: sendingIdentities,
      [ENV.sesEndpoint]: sesEndpoint,
      [ENV.dynamoDbEndpoint]: dynamo.endpoint,
    });
    const deps = { ...buildApiDeps(config, { region: 'eu-west-1', credentials: LOCAL_CREDENTIALS }), log: (message: string) => logged.push(message) };
    key ??= (await createApiKey({ keys: deps.keys, clock: systemClock }, { name: 'ops', scope: 'full_access' })).secret;
    const { server, url } = await startHttpServer({ host: '127.0.0.1', port: 0, deps });
    servers.push(server);
    return url;
  }

  let api: string;

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamoDb();
    await createTables(dynamo.endpoint, ALL_TABLES.map((definition) => ({ definition, name: localTableName(definition) })));
    ses = await startSesStandIn({ verifiedIdentities: ['acme.test', 'listed-only.test'], region: 'eu-west-1', productionAccessEnabled: false });
    api = await startApi(ses.url, 'acme.test, missing.test');
  });
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await ses.stop();
    await dynamo.stop();
  });

  it("reports the configured identities only, the sandbox and the client's region; an identity SES does not have comes with SES's NotFound", async () => {
    const { status, body } = await get(`${api}/account`, key);
    expect(status).toBe(200);
    expect(body).toMatchObject({ region: 'eu-west-1', production_access: false, identities_source: 'configured', has_more_identities: false });
    expect(body.identities).toEqual([
      { name: 'acme.test', type: 'DOMAIN', verified: true, verification_status: 'SUCCESS', sending_enabled: true, dkim: { status: 'SUCCESS', signing_enabled: true } },
      {
        name: 'missing.test',
        type: 'DOMAIN',
        verified: false,
        verification_status: null,
        sending_enabled: null,
        dkim: null,
        error: 'SES has no identity missing.test in this region: create it in SES and verify it (Email identity missing.test does not exist).',
      },
    ]);
  });

  it("gets past one throttled GetEmailIdentity through the SDK's retry", async () => {
    ses.failNextCalls('GetEmailIdentity', { name: 'TooManyRequestsException', message: 'Too many requests.' });
    const { body } = await get(`${api}/account`, key);
    expect((body.identities as Json[])[0]).toMatchObject({ name: 'acme.test', verified: true, dkim: { status: 'SUCCESS' } });
    expect((body.identities as Json[])[0]).not.toHaveProperty('error');
  });

  it('reports an identity whose GetEmailIdentity keeps failing with an error, and the others in full', async () => {
    // Three attempts, the SDK's default: every one fails.
    ses.failNextCalls('GetEmailIdentity', { name: 'InternalServiceErrorException', message: 'Internal error.' }, 3);
    const { status, body } = await get(`${api}/account`, key);
    expect(status).toBe(200);
    const [acme, missing] = body.identities as Json[];
    expect(acme).toMatchObject({ name: 'acme.test', verified: null, dkim: null, error: 'SES did not answer GetEmailIdentity (InternalServiceErrorException); it may be unreachable from here. Please try again.' });
    expect(missing).toMatchObject({ name: 'missing.test', verified: false });
  });

  it("answers 403 invalid_access with SES's words when the role may not call GetAccount", async () => {
    const denial = 'User: arn:aws:sts::123456789012:assumed-role/Outbox-ApiRole/Outbox-Api is not authorized to perform: ses:GetAccount because no identity-based policy allows the ses:GetAccount action';
    ses.failNextCalls('GetAccount', { name: 'AccessDeniedException', message: denial, statusCode: 403 });
    const { status, body } = await get(`${api}/account`, key);
    expect(status).toBe(403);
    expect(body).toMatchObject({ statusCode: 403, name: 'invalid_access' });
    expect(body.message).toContain(denial);
    expect(body.message).toContain('ses:ListEmailIdentities');
  });

  it('answers 403 when the role may not call GetEmailIdentity, rather than a report that hides it', async () => {
    ses.failNextCalls('GetEmailIdentity', { name: 'AccessDeniedException', message: 'not authorized to perform: ses:GetEmailIdentity', statusCode: 403 });
    const { status, body } = await get(`${api}/account`, key);
    expect(status).toBe(403);
    expect(body).toMatchObject({ name: 'invalid_access', message: expect.stringContaining('SES refused GetEmailIdentity') });
  });

  it('answers 503 application_error when SES is unreachable, and logs it', async () => {
    const closed = await freePort();
    const unreachable = await startApi(`http://127.0.0.1:${closed}`, 'acme.test');
    const { status, body } = await get(`${unreachable}/account`, key);
    expect(status).toBe(503);
    expect(body).toEqual({ statusCode: 503, name: 'application_error', message: 'SES did not answer GetAccount; it may be unreachable from here. Please try again.' });
    expect(logged).toContain('GET /account failed');
  });
});

/** A port nothing listens on: bound once by the OS, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
