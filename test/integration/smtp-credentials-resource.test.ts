import type { CustomResourceContext, CustomResourceEvent } from '../../lambda/entrypoints/cloudformation-custom-resource';
import { smtpPasswordFor } from '../../lambda/core/smtp-password';
import { LOCAL_CREDENTIALS } from '../../local/embedded-dynamodb';
import { IamStandIn, SecretsManagerStandIn } from '../helpers/aws-json-standins';
import { CustomResourceReceiver, lambdaContext } from '../helpers/custom-resource-receiver';

const REGION = 'eu-west-1';

/**
 * The deployed SMTP credentials handler, whole: the CloudFormation protocol, the core, and the real
 * IAM and Secrets Manager clients against stand-ins speaking their wire protocols (IAM's Query
 * XML, Secrets Manager's JSON), with the answer PUT to a local receiver.
 */
describe('SMTP credentials custom resource', () => {
  let iam: IamStandIn;
  let secrets: SecretsManagerStandIn;
  let receiver: CustomResourceReceiver;
  let handler: (event: CustomResourceEvent, context: CustomResourceContext) => Promise<void>;
  const saved = { ...process.env };

  beforeAll(async () => {
    // The handler logs a JSON line per request and answer, as it does in Lambda.
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    iam = await IamStandIn.start();
    secrets = await SecretsManagerStandIn.start();
    receiver = await CustomResourceReceiver.start();
    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_IAM: iam.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    });
    ({ handler } = await import('../../lambda/handlers/smtp-credentials'));
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    process.env = saved;
    await receiver.stop();
    await secrets.stop();
    await iam.stop();
  });

  function event(user: string, secretArn: string, overrides: Partial<CustomResourceEvent> & Pick<CustomResourceEvent, 'RequestType'>, rotation = '1'): CustomResourceEvent {
    return receiver.event({
      ResourceType: 'Custom::OutboxSmtpCredentials',
      LogicalResourceId: 'SmtpUserCredentials',
      ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:x', UserName: user, SecretArn: secretArn, Region: REGION, Rotation: rotation },
      ...overrides,
    });
  }

  async function apply(e: CustomResourceEvent): Promise<Record<string, any>> {
    await handler(e, lambdaContext(60_000));
    return receiver.answersFor(e.RequestId).at(-1)!;
  }

  it('stores the SMTP password of a new access key on Create, and a retried Create makes no second key', async () => {
    iam.createUser('smtp-create');
    const secretArn = secrets.create('SmtpSecret-create');

    const answer = await apply(event('smtp-create', secretArn, { RequestType: 'Create', RequestId: 'create-1' }));

    const [keyId] = iam.keyIds('smtp-create')!;
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: keyId, Data: { Username: keyId } });
    expect(JSON.parse(secrets.current(secretArn)!)).toEqual({
      username: keyId,
      password: smtpPasswordFor(iam.secretOf(keyId!)!, REGION),
      host: `email-smtp.${REGION}.amazonaws.com`,
      ports: { starttls: 587, tls: 465 },
      region: REGION,
    });
    expect(secrets.current(secretArn)).not.toContain(iam.secretOf(keyId!)!);

    const again = await apply(event('smtp-create', secretArn, { RequestType: 'Create', RequestId: 'create-1' }));
    expect(again).toEqual(answer);
    expect(iam.keyIds('smtp-create')).toEqual([keyId]);
  });

  it('rotates on a new label: a new key and password, the old key deleted when CloudFormation deletes it after the update', async () => {
    iam.createUser('smtp-rotate');
    const secretArn = secrets.create('SmtpSecret-rotate');
    const first = (await apply(event('smtp-rotate', secretArn, { RequestType: 'Create', RequestId: 'rotate-create' }))).PhysicalResourceId;

    const updated = await apply(event('smtp-rotate', secretArn, { RequestType: 'Update', RequestId: 'rotate-update', PhysicalResourceId: first }, '2'));
    const second = updated.PhysicalResourceId;
    expect(second).not.toBe(first);
    expect(iam.keyIds('smtp-rotate')).toEqual([first, second]);
    expect(JSON.parse(secrets.current(secretArn)!).username).toBe(second);

    // The physical id changed, so CloudFormation deletes the old one in its cleanup.
    expect(await apply(event('smtp-rotate', secretArn, { RequestType: 'Delete', RequestId: 'rotate-cleanup', PhysicalResourceId: first }))).toMatchObject({ Status: 'SUCCESS' });
    expect(iam.keyIds('smtp-rotate')).toEqual([second]);
    expect(JSON.parse(secrets.current(secretArn)!).username).toBe(second);
  });

  it("puts the previous password back (read as AWSPREVIOUS) when a rolled-back rotation's key is deleted", async () => {
    iam.createUser('smtp-rollback');
    const secretArn = secrets.create('SmtpSecret-rollback');
    const first = (await apply(event('smtp-rollback', secretArn, { RequestType: 'Create', RequestId: 'rollback-create' }))).PhysicalResourceId;
    const before = secrets.current(secretArn);
    const second = (await apply(event('smtp-rollback', secretArn, { RequestType: 'Update', RequestId: 'rollback-update', PhysicalResourceId: first }, '2'))).PhysicalResourceId;

    expect(await apply(event('smtp-rollback', secretArn, { RequestType: 'Delete', RequestId: 'rollback-delete', PhysicalResourceId: second }))).toMatchObject({ Status: 'SUCCESS' });

    expect(iam.keyIds('smtp-rollback')).toEqual([first]);
    expect(secrets.current(secretArn)).toBe(before);
    expect(secrets.calls.some((call) => call.operation === 'GetSecretValue' && (call.input as { VersionStage?: string }).VersionStage === 'AWSPREVIOUS')).toBe(true);
  });

  it("succeeds on Delete once the user is gone (IAM's NoSuchEntity)", async () => {
    const secretArn = secrets.create('SmtpSecret-gone');
    const answer = await apply(event('smtp-never-made', secretArn, { RequestType: 'Delete', RequestId: 'gone-delete', PhysicalResourceId: 'AKIA0000000000009999' }));
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'AKIA0000000000009999' });
    expect(iam.calls.filter((call) => call.operation === 'DeleteAccessKey').at(-1)?.input).toMatchObject({ UserName: 'smtp-never-made', AccessKeyId: 'AKIA0000000000009999' });
  });

  it("answers FAILED with IAM's words when IAM refuses the key (fault injected), and stores nothing", async () => {
    iam.createUser('smtp-denied');
    const secretArn = secrets.create('SmtpSecret-denied');
    iam.failNext('CreateAccessKey', { status: 403, type: 'AccessDenied', message: 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: iam:CreateAccessKey' });

    const answer = await apply(event('smtp-denied', secretArn, { RequestType: 'Create', RequestId: 'denied-create' }));

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('Could not create an access key for smtp-denied: AccessDenied');
    expect(answer.Reason).toContain('is not authorized to perform: iam:CreateAccessKey');
    expect(iam.keyIds('smtp-denied')).toEqual([]);
    expect(secrets.versionCount(secretArn)).toBe(1);
  });
});
