import { CustomResource, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { INITIAL_API_KEY_RESOURCE } from '../../lambda/shared/custom-resources';
import { NodeFunction } from './node-function';
import type { OutboxTable } from './tables';

export interface InitialApiKeyProps {
  /** Absolute path of the handler (HANDLER_ENTRIES.initialApiKey). */
  readonly entry: string;
  /** The api-keys table the key's record goes into. */
  readonly table: OutboxTable;
}

/**
 * The first full-access API key, made at deploy time so a new stack can be used at once: a custom
 * resource whose function creates the key (named "initial") in the api-keys table and writes it
 * to a Secrets Manager secret of the stack, as JSON `{ id, name, permission, token, created_at }`.
 * Read it with `npm run keys -- initial --secret <SecretArn>`. When the resource is deleted (with
 * the stack) the key is revoked: the table is retained, and a full-access key whose only copy
 * went with the secret must not stay valid in it.
 *
 * The secret is encrypted with Secrets Manager's key and not rotated: an API key is replaced by
 * creating another and revoking this one through the API. The function may only read and write
 * this secret and get, put, delete and find-by-id items of the api-keys table.
 */
export class InitialApiKey extends Construct {
  public readonly secret: secretsmanager.Secret;
  public readonly function: NodeFunction;
  public readonly resource: CustomResource;
  /** The key's id, as a stack token. */
  public readonly keyId: string;

  constructor(scope: Construct, id: string, props: InitialApiKeyProps) {
    super(scope, id);

    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'Outbox: the first full-access API key, written at deploy time (JSON: id, name, permission, token, created_at)',
      // Made with a random placeholder value, which the function replaces with the key.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret holds an Outbox API key, which is replaced by creating a new key and revoking the old one through the API (POST and DELETE /api-keys), so there is nothing for Secrets Manager rotation to rotate.',
    });

    this.function = new NodeFunction(this, 'Function', {
      entry: props.entry,
      description: 'Outbox initial API key: creates the first full-access key and keeps it in its secret',
      timeout: Duration.seconds(60),
      memorySize: 256,
    });
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], resources: [this.secret.secretArn] }),
    );
    const table = props.table.table;
    const byId = props.table.definition.globalIndexes.find((index) => index.partitionKey.name === 'id');
    if (!byId) throw new Error(`The ${props.table.definition.id} table has no index by id, which revoking a key needs.`);
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], resources: [table.tableArn] }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${table.tableArn}/index/${byId.indexName}`] }),
    );

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.function.function.functionArn,
      resourceType: INITIAL_API_KEY_RESOURCE.type,
      serviceTimeout: Duration.minutes(5),
      properties: {
        [INITIAL_API_KEY_RESOURCE.properties.apiKeysTableName]: table.tableName,
        [INITIAL_API_KEY_RESOURCE.properties.secretArn]: this.secret.secretArn,
      },
    });
    // The function must be able to act (its policies exist) before CloudFormation asks it to.
    this.resource.node.addDependency(this.function);
    this.keyId = this.resource.getAttString(INITIAL_API_KEY_RESOURCE.attributes.keyId);
  }
}
