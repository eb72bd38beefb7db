import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { API_KEY_CACHE_MS, CachedApiKeyStore } from '../../lambda/adapters/cached-api-key-store';
import { createApiKey } from '../../lambda/core/api-keys';
import { systemClock } from '../../lambda/core/ports';
import { handleApiGatewayEvent } from '../../lambda/entrypoints/api-gateway';
import type { ApiDeps } from '../../lambda/entrypoints/http';
import { ALL_TABLES, API_KEYS_TABLE, CONTROL_TABLE, EMAILS_TABLE, IDEMPOTENCY_TABLE, SUPPRESSIONS_TABLE, WEBHOOKS_TABLE } from '../../lambda/shared/tables';
import { buildApiDeps } from '../../lambda/wiring';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../local/embedded-dynamodb';
import { localTableName } from '../../local/runtime';
import { startSesStandIn, type SesStandIn } from '../../local/ses-standin';

/** The api Lambda's entrypoint (HTTP API events, its own key check) against the embedded store and the SES stand-in. */
describe('Lambda entrypoints', () => {
  let dynamo: EmbeddedDynamoDb;
  let ses: SesStandIn;
  let deps: ApiDeps;

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamoDb();
    ses = await startSesStandIn();
    await createTables(dynamo.endpoint, ALL_TABLES.map((definition) => ({ definition, name: localTableName(definition) })));
    deps = buildApiDeps(
      {
        emailsTable: localTableName(EMAILS_TABLE),
        apiKeysTable: localTableName(API_KEYS_TABLE),
        idempotencyTable: localTableName(IDEMPOTENCY_TABLE),
        suppressionsTable: localTableName(SUPPRESSIONS_TABLE),
        webhooksTable: localTableName(WEBHOOKS_TABLE),
        configurationSet: 'outbox-test',
        retentionDays: 30,
        controlTable: localTableName(CONTROL_TABLE),
        sesEndpoint: ses.url,
        dynamoDbEndpoint: dynamo.endpoint,
      },
      { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS },
    );
  });
  afterAll(async () => {
    await ses.stop();
    await dynamo.stop();
  });

  /** A payload format 2.0 event as the HTTP API's `$default` route sends it. */
  function httpEvent(method: string, path: string, headers: Record<string, string>, body?: unknown): APIGatewayProxyEventV2 {
    return {
      version: '2.0',
      routeKey: '$default',
      rawPath: path,
      rawQueryString: '',
      headers,
      requestContext: { http: { method, path } } as APIGatewayProxyEventV2['requestContext'],
      isBase64Encoded: body !== undefined,
      ...(body !== undefined ? { body: Buffer.from(JSON.stringify(body)).toString('base64') } : {}),
    };
  }

  async function call(api: ApiDeps, event: APIGatewayProxyEventV2): Promise<{ status: number; body: Record<string, unknown> }> {
    const result = (await handleApiGatewayEvent(api, event)) as APIGatewayProxyStructuredResultV2;
    return { status: result.statusCode!, body: JSON.parse(result.body!) as Record<string, unknown> };
  }

  it('sends an email for a sending-only key checked against the table, recording the key', async () => {
    const { record, secret } = await createApiKey({ keys: deps.keys, clock: systemClock }, { name: 'k', scope: 'sending_access' });
    const sent = await call(
      deps,
      httpEvent('POST', '/emails', { 'content-type': 'application/json', authorization: `Bearer ${secret}` }, { from: 'a@acme.test', to: 'success@simulator.amazonses.com', subject: 'S', text: 'T' }),
    );
    expect(sent.status).toBe(200);
    expect(ses.messages().at(-1)!.configurationSetName).toBe('outbox-test');
    expect((await deps.emails.get(sent.body.id as string))!.email.apiKeyId).toBe(record.id);
    expect(await call(deps, httpEvent('GET', '/api-keys', { authorization: `Bearer ${secret}` }))).toMatchObject({ status: 401, body: { name: 'restricted_api_key' } });
  });

  it('refuses an unknown key 403 and a missing one 401, in the Resend shape', async () => {
    expect(await call(deps, httpEvent('GET', '/emails', { authorization: 'Bearer ob_unknown' }))).toMatchObject({ status: 403, body: { name: 'invalid_api_key' } });
    expect(await call(deps, httpEvent('GET', '/emails', { authorization: 'Token abc' }))).toMatchObject({ status: 401, body: { name: 'missing_api_key' } });
  });

  it('with the deployed key cache: a key revoked elsewhere works until the cache time has passed, one revoked through it stops at once', async () => {
    let now = Date.parse('2026-12-01T00:00:00.000Z');
    const clock = { now: () => new Date(now) };
    const cached = { ...deps, keys: new CachedApiKeyStore(deps.keys, clock) };
    const elsewhere = await createApiKey({ keys: deps.keys, clock: systemClock }, { name: 'elsewhere', scope: 'full_access' });
    const list = (secret: string) => call(cached, httpEvent('GET', '/api-keys', { authorization: `Bearer ${secret}` }));
    expect((await list(elsewhere.secret)).status).toBe(200);
    // Revoked by another instance (straight in the table): trusted for the rest of API_KEY_CACHE_MS.
    await deps.keys.remove(elsewhere.record.id);
    now += API_KEY_CACHE_MS - 1;
    expect((await list(elsewhere.secret)).status).toBe(200);
    now += 1;
    expect(await list(elsewhere.secret)).toMatchObject({ status: 403, body: { name: 'invalid_api_key' } });

    const here = await createApiKey({ keys: deps.keys, clock: systemClock }, { name: 'here', scope: 'full_access' });
    expect((await list(here.secret)).status).toBe(200);
    const revoked = await call(cached, httpEvent('DELETE', `/api-keys/${here.record.id}`, { authorization: `Bearer ${here.secret}` }));
    expect(revoked.status).toBe(200);
    expect(await list(here.secret)).toMatchObject({ status: 403, body: { name: 'invalid_api_key' } });
  });
});
