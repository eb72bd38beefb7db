import { authenticate } from '../../lambda/core/api-keys';
import type { CustomResourceContext, CustomResourceEvent } from '../../lambda/entrypoints/cloudformation-custom-resource';
import { DynamoDbApiKeyStore } from '../../lambda/adapters/dynamodb-api-key-store';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import { API_KEYS_TABLE } from '../../lambda/shared/tables';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../local/embedded-dynamodb';
import { SecretsManagerStandIn } from '../helpers/aws-json-standins';
import { CustomResourceReceiver, lambdaContext } from '../helpers/custom-resource-receiver';

const TABLE = 'outbox-initial-key-test-api-keys';

/**
 * The deployed initial-key handler, whole: the CloudFormation protocol, the core, the DynamoDB
 * key store on the embedded store and the real Secrets Manager client against a stand-in, with
 * the answer PUT to a local receiver. The key the secret ends up holding must pass the api's
 * real key check.
 */
describe('initial API key custom resource', () => {
  let dynamo: EmbeddedDynamoDb;
  let secrets: SecretsManagerStandIn;
  let receiver: CustomResourceReceiver;
  let handler: (event: CustomResourceEvent, context: CustomResourceContext) => Promise<void>;
  let keys: DynamoDbApiKeyStore;
  const saved = { ...process.env };

  beforeAll(async () => {
    // The handler logs a JSON line per request and answer, as it does in Lambda.
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    dynamo = await startEmbeddedDynamoDb();
    await createTables(dynamo.endpoint, [{ definition: API_KEYS_TABLE, name: TABLE }]);
    secrets = await SecretsManagerStandIn.start();
    receiver = await CustomResourceReceiver.start();
    // What Lambda gives the function, with the SDK's endpoint overrides pointing at local stand-ins.
    Object.assign(process.env, {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    });
    ({ handler } = await import('../../lambda/handlers/initial-api-key'));
    keys = new DynamoDbApiKeyStore(documentClient(dynamo.endpoint, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }), TABLE);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    process.env = saved;
    await receiver.stop();
    await secrets.stop();
    await dynamo.stop();
  });

  function event(secretArn: string, overrides: Partial<CustomResourceEvent> & Pick<CustomResourceEvent, 'RequestType'>): CustomResourceEvent {
    return receiver.event({
      ResourceType: 'Custom::OutboxInitialApiKey',
      LogicalResourceId: 'InitialApiKey',
      ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:x', ApiKeysTableName: TABLE, SecretArn: secretArn },
      ...overrides,
    });
  }

  it('creates a key the API accepts with full access, and a retried Create makes no second key', async () => {
    const secretArn = secrets.create('InitialApiKeySecret-create');
    await handler(event(secretArn, { RequestType: 'Create', RequestId: 'create-1' }), lambdaContext(60_000));

    const [answer] = receiver.answersFor('create-1');
    expect(answer).toMatchObject({ Status: 'SUCCESS', Data: { KeyId: answer!.PhysicalResourceId } });
    const held = JSON.parse(secrets.current(secretArn)!);
    expect(held).toMatchObject({ id: answer!.PhysicalResourceId, name: 'initial', permission: 'full_access' });

    expect(await authenticate(keys, `Bearer ${held.token}`)).toEqual({ keyId: answer!.PhysicalResourceId, scope: 'full_access' });

    // CloudFormation (or Lambda's async retry) sends the same Create again.
    await handler(event(secretArn, { RequestType: 'Create', RequestId: 'create-1' }), lambdaContext(60_000));
    const answers = receiver.answersFor('create-1');
    expect(answers).toHaveLength(2);
    expect(answers[1]).toEqual(answers[0]);
    expect((await keys.list()).filter((key) => key.name === 'initial')).toHaveLength(1);
    expect(JSON.parse(secrets.current(secretArn)!).token).toBe(held.token);
  });

  it('revokes the key on Delete, after which the API refuses it', async () => {
    const secretArn = secrets.create('InitialApiKeySecret-delete');
    await handler(event(secretArn, { RequestType: 'Create', RequestId: 'create-2' }), lambdaContext(60_000));
    const keyId = receiver.answersFor('create-2')[0]!.PhysicalResourceId as string;
    const { token } = JSON.parse(secrets.current(secretArn)!);

    await handler(event(secretArn, { RequestType: 'Delete', RequestId: 'delete-2', PhysicalResourceId: keyId }), lambdaContext(60_000));

    expect(receiver.answersFor('delete-2')).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: keyId })]);
    await expect(authenticate(keys, `Bearer ${token}`)).rejects.toMatchObject({ kind: 'invalid_api_key' });
  });

  it("answers FAILED with Secrets Manager's words when it refuses the write, and the rollback's Delete leaves no key", async () => {
    const secretArn = secrets.create('InitialApiKeySecret-denied');
    secrets.failNext('PutSecretValue', {
      status: 400,
      type: 'AccessDeniedException',
      message: 'User: arn:aws:sts::123456789012:assumed-role/InitialApiKey/x is not authorized to perform: secretsmanager:PutSecretValue',
    });
    const before = (await keys.list()).length;

    await handler(event(secretArn, { RequestType: 'Create', RequestId: 'create-3' }), lambdaContext(60_000));

    const [answer] = receiver.answersFor('create-3');
    expect(answer).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'InitialApiKey-create-failed-create-3' });
    expect(answer!.Reason).toBe(
      `Could not write the secret ${secretArn}: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/InitialApiKey/x is not authorized to perform: secretsmanager:PutSecretValue. Deploy again once that is fixed.`,
    );
    expect(await keys.list()).toHaveLength(before);

    await handler(event(secretArn, { RequestType: 'Delete', RequestId: 'delete-3', PhysicalResourceId: answer!.PhysicalResourceId }), lambdaContext(60_000));
    expect(receiver.answersFor('delete-3')).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
    expect(await keys.list()).toHaveLength(before);
  });

  it('revokes in the rollback a key whose record was stored before the Create failed', async () => {
    const secretArn = secrets.create('InitialApiKeySecret-half');
    // The first write (the key, before its record) goes through; the second (with its id) does not.
    secrets.failNext('PutSecretValue', { status: 400, type: 'AccessDeniedException', message: 'Denied.' }, { after: 1 });

    await handler(event(secretArn, { RequestType: 'Create', RequestId: 'create-4' }), lambdaContext(60_000));
    const [answer] = receiver.answersFor('create-4');
    expect(answer).toMatchObject({ Status: 'FAILED' });
    const { token } = JSON.parse(secrets.current(secretArn)!);
    expect(await authenticate(keys, `Bearer ${token}`)).toMatchObject({ scope: 'full_access' });

    await handler(event(secretArn, { RequestType: 'Delete', RequestId: 'delete-4', PhysicalResourceId: answer!.PhysicalResourceId }), lambdaContext(60_000));

    expect(receiver.answersFor('delete-4')).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
    await expect(authenticate(keys, `Bearer ${token}`)).rejects.toMatchObject({ kind: 'invalid_api_key' });
  });
});
