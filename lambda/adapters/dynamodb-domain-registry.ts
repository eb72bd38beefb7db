import { GetCommand, UpdateCommand, type DynamoDbDocumentClient } from './aws/dynamodb';
import type { DomainRegistry, RegisteredDomain } from '../core/domains';
import { conditionalUpdate } from './dynamodb-documents';

/** The control table's item holding every domain of the domains API, by name: they are few. */
const DOMAINS_KEY = 'domains';

interface StoredDomain {
  readonly createdAt: string;
  readonly managedByStack: boolean;
  readonly returnPath?: string;
}

/**
 * The domains API's registry as one control-table item whose `domains` map is keyed by domain
 * name: a list is one consistent read, and adding a name is a conditional write on that name alone.
 */
export class DynamoDbDomainRegistry implements DomainRegistry {
  constructor(
    private readonly documents: DynamoDbDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(): Promise<RegisteredDomain[]> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { key: DOMAINS_KEY }, ConsistentRead: true }));
    const stored = (Item?.domains ?? {}) as Record<string, StoredDomain>;
    return Object.entries(stored).map(([name, domain]) => ({
      name,
      createdAt: domain.createdAt,
      managedByStack: domain.managedByStack === true,
      ...(typeof domain.returnPath === 'string' ? { returnPath: domain.returnPath } : {}),
    }));
  }

  async add(domain: RegisteredDomain): Promise<boolean> {
    // A map entry can only be set inside a map that exists: the first write makes it.
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { key: DOMAINS_KEY },
        UpdateExpression: 'SET #domains = if_not_exists(#domains, :empty)',
        ExpressionAttributeNames: { '#domains': 'domains' },
        ExpressionAttributeValues: { ':empty': {} },
      }),
    );
    const stored: StoredDomain = { createdAt: domain.createdAt, managedByStack: domain.managedByStack, ...(domain.returnPath !== undefined ? { returnPath: domain.returnPath } : {}) };
    return conditionalUpdate(this.documents, {
      TableName: this.tableName,
      Key: { key: DOMAINS_KEY },
      UpdateExpression: 'SET #domains.#name = :domain',
      ConditionExpression: 'attribute_not_exists(#domains.#name)',
      ExpressionAttributeNames: { '#domains': 'domains', '#name': domain.name },
      ExpressionAttributeValues: { ':domain': stored },
    });
  }

  async remove(name: string): Promise<void> {
    // Without the map there is nothing to remove: the condition fails and that is all.
    await conditionalUpdate(this.documents, {
      TableName: this.tableName,
      Key: { key: DOMAINS_KEY },
      UpdateExpression: 'REMOVE #domains.#name',
      ConditionExpression: 'attribute_exists(#domains)',
      ExpressionAttributeNames: { '#domains': 'domains', '#name': name },
    });
  }
}
