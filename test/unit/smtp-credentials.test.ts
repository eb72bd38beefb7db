import { ResourceFailure, type ResourceRequest } from '../../lambda/core/custom-resource';
import {
  applySmtpCredentials,
  parseSmtpCredentialsSecret,
  readSmtpCredentialsProperties,
  type AccessKeys,
  type CredentialsSecret,
  type SmtpCredentialsProperties,
} from '../../lambda/core/smtp-credentials';
import { smtpPasswordFor } from '../../lambda/core/smtp-password';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:SmtpCredentials-AbCdEf';
const USER = 'Outbox-SmtpUser-1A2B3C';

/** IAM's access keys in memory, at most two per user as IAM allows. */
class InMemoryAccessKeys implements AccessKeys {
  readonly keys = new Map<string, string[]>();
  private next = 1;
  failCreate?: Error;

  async list(userName: string): Promise<string[]> {
    return [...(this.keys.get(userName) ?? [])];
  }

  async create(userName: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
    if (this.failCreate) throw this.failCreate;
    const held = this.keys.get(userName) ?? [];
    if (held.length >= 2) throw Object.assign(new Error('Cannot exceed quota for AccessKeysPerUser: 2'), { name: 'LimitExceededException' });
    const accessKeyId = `AKIA${String(this.next).padStart(16, '0')}`;
    this.keys.set(userName, [...held, accessKeyId]);
    return { accessKeyId, secretAccessKey: `secret-${this.next++}` };
  }

  async remove(userName: string, accessKeyId: string): Promise<void> {
    this.keys.set(userName, (this.keys.get(userName) ?? []).filter((id) => id !== accessKeyId));
  }
}

/** A secret's values in memory, newest last, as Secrets Manager keeps AWSCURRENT and AWSPREVIOUS. */
class InMemorySecret implements CredentialsSecret {
  readonly values: string[] = ['placeholder kT9#qW2!zR7@'];
  failWrites?: Error;

  async read(): Promise<string | undefined> {
    return this.values.at(-1);
  }

  async readPrevious(): Promise<string | undefined> {
    return this.values.at(-2);
  }

  async write(_secretId: string, value: string): Promise<void> {
    if (this.failWrites) throw this.failWrites;
    this.values.push(value);
  }
}

const PROPERTIES: SmtpCredentialsProperties = { userName: USER, secretId: SECRET, region: 'eu-west-1', rotation: '1' };

function request(overrides: Partial<ResourceRequest<SmtpCredentialsProperties>> & Pick<ResourceRequest<SmtpCredentialsProperties>, 'type'>): ResourceRequest<SmtpCredentialsProperties> {
  return { stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Outbox/1', requestId: 'req-1', logicalResourceId: 'SmtpCredentials', properties: PROPERTIES, ...overrides };
}

describe('applySmtpCredentials', () => {
  let accessKeys: InMemoryAccessKeys;
  let secrets: InMemorySecret;
  const apply = (r: ResourceRequest<SmtpCredentialsProperties>) => applySmtpCredentials({ accessKeys, secrets }, r);
  const held = () => parseSmtpCredentialsSecret(secrets.values.at(-1));

  beforeEach(() => {
    accessKeys = new InMemoryAccessKeys();
    secrets = new InMemorySecret();
  });

  it('makes one access key on Create and keeps its SMTP password, host and ports in the secret, never its secret access key', async () => {
    const outcome = await apply(request({ type: 'Create' }));
    const [keyId] = accessKeys.keys.get(USER)!;
    expect(outcome).toEqual({ physicalResourceId: keyId, data: { Username: keyId } });
    expect(held()).toEqual({
      username: keyId,
      password: smtpPasswordFor('secret-1', 'eu-west-1'),
      host: 'email-smtp.eu-west-1.amazonaws.com',
      ports: { starttls: 587, tls: 465 },
      region: 'eu-west-1',
    });
    expect(secrets.values.join('\n')).not.toContain('secret-1');
  });

  it('answers the same key to a retried Create that had finished', async () => {
    const first = await apply(request({ type: 'Create' }));
    const again = await apply(request({ type: 'Create', requestId: 'req-1' }));
    expect(again).toEqual(first);
    expect(accessKeys.keys.get(USER)).toEqual([first.physicalResourceId]);
  });

  it('replaces a key whose password a stopped Create never stored', async () => {
    secrets.failWrites = new Error('timed out');
    await expect(apply(request({ type: 'Create' }))).rejects.toThrow(ResourceFailure);
    secrets.failWrites = undefined;
    const outcome = await apply(request({ type: 'Create' }));
    expect(accessKeys.keys.get(USER)).toEqual([outcome.physicalResourceId]);
    expect(held()?.username).toBe(outcome.physicalResourceId);
  });

  it('rotates on Update: a new key in the secret, the old one left for CloudFormation to delete afterwards', async () => {
    const first = await apply(request({ type: 'Create' }));
    const rotated = await apply(request({ type: 'Update', physicalResourceId: first.physicalResourceId, properties: { ...PROPERTIES, rotation: '2' } }));
    expect(rotated.physicalResourceId).not.toBe(first.physicalResourceId);
    expect(accessKeys.keys.get(USER)).toEqual([first.physicalResourceId, rotated.physicalResourceId]);
    expect(held()?.username).toBe(rotated.physicalResourceId);

    await apply(request({ type: 'Delete', physicalResourceId: first.physicalResourceId, properties: PROPERTIES }));
    expect(accessKeys.keys.get(USER)).toEqual([rotated.physicalResourceId]);
    expect(held()?.username).toBe(rotated.physicalResourceId);
  });

  it('answers a retried Update with the key it already made, within IAM\'s two keys', async () => {
    const first = await apply(request({ type: 'Create' }));
    const update = request({ type: 'Update', physicalResourceId: first.physicalResourceId, properties: { ...PROPERTIES, rotation: '2' } });
    const rotated = await apply(update);
    await expect(apply(update)).resolves.toEqual(rotated);
    expect(accessKeys.keys.get(USER)).toHaveLength(2);
  });

  it('puts the previous credentials back when CloudFormation rolls a rotation back by deleting the new key', async () => {
    const first = await apply(request({ type: 'Create' }));
    const rotated = await apply(request({ type: 'Update', physicalResourceId: first.physicalResourceId, properties: { ...PROPERTIES, rotation: '2' } }));
    await apply(request({ type: 'Delete', physicalResourceId: rotated.physicalResourceId }));
    expect(accessKeys.keys.get(USER)).toEqual([first.physicalResourceId]);
    expect(held()).toEqual(expect.objectContaining({ username: first.physicalResourceId, password: smtpPasswordFor('secret-1', 'eu-west-1') }));
  });

  it('deletes the key on Delete, and every key of the user after a Create that failed', async () => {
    const first = await apply(request({ type: 'Create' }));
    await apply(request({ type: 'Delete', physicalResourceId: first.physicalResourceId }));
    expect(accessKeys.keys.get(USER)).toEqual([]);

    secrets.failWrites = new Error('AccessDeniedException');
    await expect(apply(request({ type: 'Create' }))).rejects.toThrow(/Could not write the secret .*AccessDeniedException/);
    expect(accessKeys.keys.get(USER)).toHaveLength(1);
    await apply(request({ type: 'Delete', physicalResourceId: 'SmtpCredentials-create-failed-req-1' }));
    expect(accessKeys.keys.get(USER)).toEqual([]);
  });

  it('reports an IAM failure as a ResourceFailure naming the step', async () => {
    accessKeys.failCreate = Object.assign(new Error('User: arn:aws:sts::1:assumed-role/x is not authorized'), { name: 'AccessDenied' });
    await expect(apply(request({ type: 'Create' }))).rejects.toThrow(`Could not create an access key for ${USER}: AccessDenied: User: arn:aws:sts::1:assumed-role/x is not authorized. Deploy again once that is fixed.`);
  });
});

describe('readSmtpCredentialsProperties', () => {
  it('reads the four properties and names a missing one', () => {
    expect(readSmtpCredentialsProperties({ UserName: USER, SecretArn: SECRET, Region: 'eu-west-1', Rotation: '1' })).toEqual(PROPERTIES);
    expect(() => readSmtpCredentialsProperties({ UserName: USER, SecretArn: SECRET, Region: 'eu-west-1' })).toThrow(/property Rotation/);
  });
});
