import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createApiKey } from '../../lambda/core/api-keys';
import { systemClock } from '../../lambda/core/ports';
import { handleApiGatewayEvent } from '../../lambda/entrypoints/api-gateway';
import { authorizeToken } from '../../lambda/entrypoints/authorizer';
import type { ApiDeps } from '../../lambda/entrypoints/http';
import { ALL_TABLES, API_KEYS_TABLE, CONTROL_TABLE, EMAILS_TABLE, IDEMPOTENCY_TABLE, SUPPRESSIONS_TABLE, WEBHOOKS_TABLE } from '../../lambda/shared/tables';
import { buildApiDeps } from '../../lambda/wiring';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../local/embedded-dynamodb';
import { localTableName } from '../../local/runtime';
import { startSesStandIn, type SesStandIn } from '../../local/ses-standin';

/** The deployed entrypoints (authorizer, API Gateway proxy) against the embedded store and the SES stand-in. */
describe('Lambda entrypoints', () => {
  let dynamo: EmbeddedDynamoDb;
  let ses: SesStandIn;
  let deps: ApiDeps;
  const methodArn = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/emails';

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

  it('allows a valid key for the whole stage, with its id and scope as context', async () => {
    const { record, secret } = await createApiKey({ keys: deps.keys, clock: systemClock }, { name: 'k', scope: 'sending_access' });
    const result = await authorizeToken(deps.keys, { type: 'TOKEN', methodArn, authorizationToken: `Bearer ${secret}` });
    expect(result.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*/*' },
    ]);
    expect(result.context).toEqual({ keyId: record.id, scope: 'sending_access' });
  });

  it('denies an unknown key (API Gateway answers 403 invalid_api_key)', async () => {
    const result = await authorizeToken(deps.keys, { type: 'TOKEN', methodArn, authorizationToken: 'Bearer ob_unknown' });
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
  });

  it('rejects a malformed header as Unauthorized (API Gateway answers 401 missing_api_key)', async () => {
    await expect(authorizeToken(deps.keys, { type: 'TOKEN', methodArn, authorizationToken: 'Token abc' })).rejects.toThrow('Unauthorized');
  });

  it('sends an email from an API Gateway proxy event carrying the authorizer context', async () => {
    const event = {
      httpMethod: 'POST',
      path: '/emails',
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from(JSON.stringify({ from: 'a@acme.test', to: 'success@simulator.amazonses.com', subject: 'S', text: 'T' })).toString('base64'),
      isBase64Encoded: true,
      requestContext: { authorizer: { keyId: 'key-1', scope: 'sending_access' } },
    } as unknown as APIGatewayProxyEvent;
    const result = await handleApiGatewayEvent(deps, event);
    expect(result.statusCode).toBe(200);
    const { id } = JSON.parse(result.body) as { id: string };
    expect(ses.messages().at(-1)!.configurationSetName).toBe('outbox-test');
    expect((await deps.emails.get(id))!.email.apiKeyId).toBe('key-1');
  });
});
