import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An error a stand-in answers as the service would: HTTP status, exception name, message. */
export interface ServiceFault {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

/** A service on 127.0.0.1 for the real SDK clients to call, with faults to inject per operation. */
abstract class StandIn {
  readonly calls: Array<{ operation: string; input: unknown }> = [];
  private readonly faults = new Map<string, Array<{ fault: ServiceFault; skip: number }>>();
  private server!: Server;
  url = '';

  protected async listen(): Promise<void> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next call of `operation` (or the one after `after` more calls) fails with this fault. */
  failNext(operation: string, fault: ServiceFault, options: { after?: number } = {}): void {
    this.faults.set(operation, [...(this.faults.get(operation) ?? []), { fault, skip: options.after ?? 0 }]);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  protected takeFault(operation: string): ServiceFault | undefined {
    const next = this.faults.get(operation)?.[0];
    if (!next) return undefined;
    if (next.skip > 0) {
      next.skip -= 1;
      return undefined;
    }
    return this.faults.get(operation)!.shift()!.fault;
  }

  /** The answer: JSON (`json`), or an XML document (`xml`) for the Query-protocol services. */
  protected abstract handle(req: IncomingMessage, body: string): { status: number; json?: unknown; xml?: string; errorType?: string };

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const answer = this.handle(req, Buffer.concat(chunks).toString('utf8'));
    res.statusCode = answer.status;
    res.setHeader('content-type', answer.xml === undefined ? 'application/json' : 'text/xml');
    res.setHeader('x-amzn-requestid', randomUUID());
    if (answer.errorType) res.setHeader('x-amzn-errortype', answer.errorType);
    res.end(answer.xml ?? JSON.stringify(answer.json));
  }
}

interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  versions: Array<{ id: string; value: string }>;
}

/**
 * Secrets Manager's JSON 1.1 protocol for GetSecretValue (AWSCURRENT, or AWSPREVIOUS: the value
 * before it) and PutSecretValue (the only calls the initial-key and SMTP credentials resources
 * make), on secrets made with `create`.
 */
export class SecretsManagerStandIn extends StandIn {
  private readonly secrets = new Map<string, StoredSecret>();

  static async start(): Promise<SecretsManagerStandIn> {
    const standIn = new SecretsManagerStandIn();
    await standIn.listen();
    return standIn;
  }

  /** A secret as CloudFormation makes it, with a random placeholder value; returns its ARN. */
  create(name: string, value = 'kT9#qW2!zR7@mN4$vB8%'): string {
    const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;
    this.secrets.set(arn, { arn, name, versions: [{ id: randomUUID(), value }] });
    return arn;
  }

  /** The secret's current value. */
  current(arn: string): string | undefined {
    return this.secrets.get(arn)?.versions.at(-1)?.value;
  }

  /** How many values the secret has had. */
  versionCount(arn: string): number {
    return this.secrets.get(arn)?.versions.length ?? 0;
  }

  protected handle(req: IncomingMessage, body: string): { status: number; json: unknown; errorType?: string } {
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
    const input = JSON.parse(body || '{}') as { SecretId?: string; SecretString?: string; ClientRequestToken?: string; VersionStage?: string };
    this.calls.push({ operation, input });
    const fault = this.takeFault(operation);
    if (fault) return { status: fault.status, json: { __type: fault.type, Message: fault.message } };
    const secret = this.secrets.get(input.SecretId ?? '') ?? [...this.secrets.values()].find((s) => s.name === input.SecretId);
    if (!secret) return { status: 400, json: { __type: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." } };
    if (operation === 'GetSecretValue') {
      const stage = input.VersionStage ?? 'AWSCURRENT';
      const version = stage === 'AWSCURRENT' ? secret.versions.at(-1) : stage === 'AWSPREVIOUS' ? secret.versions.at(-2) : undefined;
      if (!version) {
        return { status: 400, json: { __type: 'ResourceNotFoundException', Message: `Secrets Manager can't find the specified secret value for staging label: ${stage}` } };
      }
      return {
        status: 200,
        json: { ARN: secret.arn, Name: secret.name, VersionId: version.id, SecretString: version.value, VersionStages: [stage], CreatedDate: Date.now() / 1000 },
      };
    }
    if (operation === 'PutSecretValue') {
      const id = input.ClientRequestToken ?? randomUUID();
      secret.versions.push({ id, value: input.SecretString ?? '' });
      return { status: 200, json: { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: ['AWSCURRENT'] } };
    }
    return { status: 400, json: { __type: 'InvalidRequestException', Message: `The stand-in does not answer ${operation}.` } };
  }
}

/** An SES v2 identity as the stand-in keeps it. */
export interface StandInIdentity {
  dkim: { SigningEnabled: boolean; Status: string; Tokens: string[]; SigningAttributesOrigin?: string; SigningHostedZone?: string };
  tags: Array<{ Key: string; Value: string }>;
  configurationSetName?: string;
  mailFrom?: { MailFromDomain: string; BehaviorOnMxFailure: string };
}

/**
 * SES v2's restJson1 protocol for GetEmailIdentity, CreateEmailIdentity, DeleteEmailIdentity,
 * PutEmailIdentityMailFromAttributes and PutEmailIdentityConfigurationSetAttributes:
 * errors carry their exception name in `x-amzn-ErrorType` and SES's words in `message`.
 */
export class SesIdentityStandIn extends StandIn {
  readonly identities = new Map<string, StandInIdentity>();

  static async start(): Promise<SesIdentityStandIn> {
    const standIn = new SesIdentityStandIn();
    await standIn.listen();
    return standIn;
  }

  protected handle(req: IncomingMessage, body: string): { status: number; json: unknown; errorType?: string } {
    const path = new URL(req.url ?? '/', this.url).pathname;
    const one = /^\/v2\/email\/identities\/([^/]+)(?:\/(mail-from|configuration-set))?$/.exec(path);
    const operation =
      req.method === 'POST' && path === '/v2/email/identities'
        ? 'CreateEmailIdentity'
        : req.method === 'PUT' && one?.[2] === 'mail-from'
          ? 'PutEmailIdentityMailFromAttributes'
          : req.method === 'PUT' && one?.[2] === 'configuration-set'
            ? 'PutEmailIdentityConfigurationSetAttributes'
            : req.method === 'GET' && one && !one[2]
              ? 'GetEmailIdentity'
              : req.method === 'DELETE' && one && !one[2]
                ? 'DeleteEmailIdentity'
                : 'Unknown';
    const input = { ...(one ? { EmailIdentity: decodeURIComponent(one[1]!) } : {}), ...(body ? JSON.parse(body) : {}) };
    this.calls.push({ operation, input });
    const fault = this.takeFault(operation);
    if (fault) return { status: fault.status, json: { message: fault.message }, errorType: fault.type };
    const name = String(input.EmailIdentity ?? '');
    const identity = this.identities.get(name);
    const notFound = { status: 404, json: { message: `Email identity <${name}> does not exist.` }, errorType: 'NotFoundException' };
    switch (operation) {
      case 'GetEmailIdentity':
        if (!identity) return notFound;
        return {
          status: 200,
          json: {
            IdentityType: 'DOMAIN',
            VerifiedForSendingStatus: identity.dkim.Status === 'SUCCESS',
            DkimAttributes: { ...identity.dkim, NextSigningKeyLength: 'RSA_2048_BIT', CurrentSigningKeyLength: 'RSA_2048_BIT' },
            Tags: identity.tags,
            ...(identity.configurationSetName ? { ConfigurationSetName: identity.configurationSetName } : {}),
            MailFromAttributes: identity.mailFrom
              ? { ...identity.mailFrom, MailFromDomainStatus: 'PENDING' }
              : { BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
            VerificationStatus: identity.dkim.Status,
          },
        };
      case 'CreateEmailIdentity': {
        if (identity) return { status: 400, json: { message: `Email identity <${name}> already exist.` }, errorType: 'AlreadyExistsException' };
        const created: StandInIdentity = {
          dkim: { SigningEnabled: true, Status: 'PENDING', Tokens: [1, 2, 3].map((n) => `${n}`.repeat(32)), SigningAttributesOrigin: 'AWS_SES' },
          tags: input.Tags ?? [],
          configurationSetName: input.ConfigurationSetName,
        };
        this.identities.set(name, created);
        return { status: 200, json: { IdentityType: 'DOMAIN', VerifiedForSendingStatus: false, DkimAttributes: created.dkim } };
      }
      case 'PutEmailIdentityMailFromAttributes':
        if (!identity) return notFound;
        if (input.MailFromDomain) identity.mailFrom = { MailFromDomain: input.MailFromDomain, BehaviorOnMxFailure: input.BehaviorOnMxFailure ?? 'USE_DEFAULT_VALUE' };
        else delete identity.mailFrom;
        return { status: 200, json: {} };
      case 'PutEmailIdentityConfigurationSetAttributes':
        if (!identity) return notFound;
        if (input.ConfigurationSetName) identity.configurationSetName = input.ConfigurationSetName;
        else delete identity.configurationSetName;
        return { status: 200, json: {} };
      case 'DeleteEmailIdentity':
        if (!identity) return notFound;
        this.identities.delete(name);
        return { status: 200, json: {} };
      default:
        return { status: 404, json: { message: `The stand-in does not answer ${req.method} ${path}.` }, errorType: 'NotFoundException' };
    }
  }
}

const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

/**
 * IAM's Query protocol (form-encoded requests, XML answers) for ListAccessKeys, CreateAccessKey
 * and DeleteAccessKey, on users made with `createUser`. As IAM: at most two keys per user
 * (LimitExceeded), NoSuchEntity for a user or key that does not exist. It keeps each key's secret,
 * so a test can derive the SMTP password the resource should have stored.
 */
export class IamStandIn extends StandIn {
  /** Per user, its keys' ids and secrets, oldest first. */
  readonly users = new Map<string, Array<{ accessKeyId: string; secretAccessKey: string }>>();
  private next = 1;

  static async start(): Promise<IamStandIn> {
    const standIn = new IamStandIn();
    await standIn.listen();
    return standIn;
  }

  createUser(userName: string): void {
    this.users.set(userName, []);
  }

  /** The user's access key ids, oldest first; undefined when there is no such user. */
  keyIds(userName: string): string[] | undefined {
    return this.users.get(userName)?.map((key) => key.accessKeyId);
  }

  secretOf(accessKeyId: string): string | undefined {
    return [...this.users.values()].flat().find((key) => key.accessKeyId === accessKeyId)?.secretAccessKey;
  }

  protected handle(_req: IncomingMessage, body: string): { status: number; xml: string } {
    const input = Object.fromEntries(new URLSearchParams(body));
    const operation = input.Action ?? 'Unknown';
    this.calls.push({ operation, input });
    const fault = this.takeFault(operation);
    if (fault) return iamError(fault.status, fault.type, fault.message);
    const userName = input.UserName ?? '';
    const keys = this.users.get(userName);
    if (!keys) return iamError(404, 'NoSuchEntity', `The user with name ${userName} cannot be found.`);
    const created = '2026-12-02T10:00:00Z';
    switch (operation) {
      case 'ListAccessKeys': {
        const members = keys
          .map((key) => `<member><UserName>${userName}</UserName><AccessKeyId>${key.accessKeyId}</AccessKeyId><Status>Active</Status><CreateDate>${created}</CreateDate></member>`)
          .join('');
        return iamAnswer(operation, `<AccessKeyMetadata>${members}</AccessKeyMetadata><IsTruncated>false</IsTruncated>`);
      }
      case 'CreateAccessKey': {
        if (keys.length >= 2) return iamError(409, 'LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2');
        const key = { accessKeyId: `AKIA${String(this.next).padStart(16, '0')}`, secretAccessKey: `stand-in-secret-${this.next++}` };
        keys.push(key);
        return iamAnswer(
          operation,
          `<AccessKey><UserName>${userName}</UserName><AccessKeyId>${key.accessKeyId}</AccessKeyId><Status>Active</Status>` +
            `<SecretAccessKey>${key.secretAccessKey}</SecretAccessKey><CreateDate>${created}</CreateDate></AccessKey>`,
        );
      }
      case 'DeleteAccessKey': {
        const index = keys.findIndex((key) => key.accessKeyId === input.AccessKeyId);
        if (index < 0) return iamError(404, 'NoSuchEntity', `The Access Key with id ${input.AccessKeyId} cannot be found.`);
        keys.splice(index, 1);
        return { status: 200, xml: `<DeleteAccessKeyResponse xmlns="${IAM_NAMESPACE}"><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></DeleteAccessKeyResponse>` };
      }
      default:
        return iamError(400, 'InvalidAction', `The stand-in does not answer ${operation}.`);
    }
  }
}

function iamAnswer(operation: string, result: string): { status: number; xml: string } {
  return {
    status: 200,
    xml:
      `<${operation}Response xmlns="${IAM_NAMESPACE}"><${operation}Result>${result}</${operation}Result>` +
      `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${operation}Response>`,
  };
}

function iamError(status: number, code: string, message: string): { status: number; xml: string } {
  return {
    status,
    xml: `<ErrorResponse xmlns="${IAM_NAMESPACE}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

/**
 * CloudFormation's DescribeStacks, in its query protocol (XML answers), for the scripts that read a
 * stack's outputs: every request is answered with one stack `Outbox` holding `outputs()`.
 */
export class CloudFormationStandIn {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    /** The bodies of the requests, in order. */
    readonly requests: string[],
  ) {}

  static async start(outputs: () => Readonly<Record<string, string>>, status = 'CREATE_COMPLETE'): Promise<CloudFormationStandIn> {
    const xml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const requests: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        requests.push(body);
        const members = Object.entries(outputs())
          .map(([key, value]) => `<member><OutputKey>${key}</OutputKey><OutputValue>${xml(value)}</OutputValue></member>`)
          .join('');
        res.setHeader('content-type', 'text/xml');
        res.end(
          '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>' +
            '<StackName>Outbox</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/Outbox/1</StackId>' +
            `<CreationTime>2026-12-02T10:00:00Z</CreationTime><StackStatus>${status}</StackStatus><Outputs>${members}</Outputs>` +
            '</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>',
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return new CloudFormationStandIn(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
