import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  ALL_TABLES,
  API_KEYS_TABLE,
  CONTROL_TABLE,
  EMAILS_TABLE,
  IDEMPOTENCY_TABLE,
  SUPPRESSIONS_TABLE,
  WEBHOOKS_TABLE,
  type IndexProjection,
  type KeyAttribute,
  type TableDefinition,
} from '../../lambda/shared/tables';
import type { NodeFunction } from './node-function';

const READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return {
    name: key.name,
    type: key.type === 'N' ? dynamodb.AttributeType.NUMBER : dynamodb.AttributeType.STRING,
  };
}

/**
 * One DynamoDB table built from its shared definition: on-demand, point-in-time recovery,
 * encrypted with the AWS managed key, TTL when the definition names an attribute, a stream when
 * it names one, each global index projecting as the definition says. The table is retained when
 * the stack is deleted: it holds the mail history.
 *
 * Granting access also tells the function where the table is (the definition's env var), so a
 * function can never hold a permission without the name or the name without the permission.
 * Grants list the table and each of its indexes by ARN, with no wildcard.
 */
export class OutboxTable extends Construct {
  public readonly table: dynamodb.Table;
  public readonly definition: TableDefinition;

  constructor(scope: Construct, definition: TableDefinition) {
    super(scope, definition.id);
    this.definition = definition;

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: attribute(definition.partitionKey),
      sortKey: definition.sortKey ? attribute(definition.sortKey) : undefined,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: definition.timeToLiveAttribute,
      ...(definition.stream ? { stream: dynamodb.StreamViewType[definition.stream] } : {}),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of definition.globalIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: index.sortKey ? attribute(index.sortKey) : undefined,
        ...projectionProps(index.projection),
      });
    }
  }

  /** Lets the function read the table and its indexes, and sets the table-name env var. */
  public grantReadData(fn: NodeFunction): this {
    return this.grant(fn, READ_ACTIONS);
  }

  /** Lets the function read and write the table (and read its indexes), and sets the env var. */
  public grantReadWriteData(fn: NodeFunction): this {
    return this.grant(fn, [...READ_ACTIONS, ...WRITE_ACTIONS]);
  }

  private grant(fn: NodeFunction, actions: string[]): this {
    const indexArns = this.definition.globalIndexes.map((index) => `${this.table.tableArn}/index/${index.indexName}`);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [this.table.tableArn, ...indexArns] }));
    fn.addEnvironment(this.definition.envVar, this.table.tableName);
    return this;
  }
}

/** Every Outbox table, one per entry of ALL_TABLES, under a short stable id. */
export class Tables extends Construct {
  public readonly all: readonly OutboxTable[];
  public readonly emails: OutboxTable;
  public readonly apiKeys: OutboxTable;
  public readonly idempotency: OutboxTable;
  public readonly suppressions: OutboxTable;
  public readonly webhooks: OutboxTable;
  public readonly control: OutboxTable;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.all = ALL_TABLES.map((definition) => new OutboxTable(this, definition));
    this.emails = this.get(EMAILS_TABLE);
    this.apiKeys = this.get(API_KEYS_TABLE);
    this.idempotency = this.get(IDEMPOTENCY_TABLE);
    this.suppressions = this.get(SUPPRESSIONS_TABLE);
    this.webhooks = this.get(WEBHOOKS_TABLE);
    this.control = this.get(CONTROL_TABLE);
  }

  /** The table built from this definition. */
  public get(definition: TableDefinition): OutboxTable {
    const found = this.all.find((table) => table.definition.id === definition.id);
    if (!found) throw new Error(`No table is built from the definition "${definition.id}".`);
    return found;
  }
}

/** The CDK projection props for a shared index projection (ALL when none is given). */
function projectionProps(projection: IndexProjection | undefined): Pick<dynamodb.GlobalSecondaryIndexProps, 'projectionType' | 'nonKeyAttributes'> {
  switch (projection?.type) {
    case 'KEYS_ONLY':
      return { projectionType: dynamodb.ProjectionType.KEYS_ONLY };
    case 'INCLUDE':
      return { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...projection.attributes] };
    default:
      return { projectionType: dynamodb.ProjectionType.ALL };
  }
}
