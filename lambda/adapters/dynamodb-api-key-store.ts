import { DeleteCommand, DynamoDbDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand } from './aws/dynamodb';
import type { ApiKeyRecord } from '../core/api-keys';
import type { ApiKeyStore } from '../core/ports';
import { conditionalUpdate } from './dynamodb-documents';

/**
 * API keys in the api-keys table, keyed by the SHA-256 of the secret; `by-id` finds one by its id.
 * `list` scans the table: it holds a handful of keys, and no index orders them.
 */
export class DynamoDbApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly documents: DynamoDbDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(key: ApiKeyRecord): Promise<void> {
    await this.documents.send(
      new PutCommand({ TableName: this.tableName, Item: { ...key }, ConditionExpression: 'attribute_not_exists(keyHash)' }),
    );
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { keyHash } }));
    return Item as ApiKeyRecord | undefined;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const keys: ApiKeyRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: startKey }));
      keys.push(...((page.Items ?? []) as ApiKeyRecord[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return keys.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async update(id: string, change: { readonly name: string }): Promise<boolean> {
    const found = await this.findById(id);
    if (!found) return false;
    return conditionalUpdate(this.documents, {
      TableName: this.tableName,
      Key: { keyHash: found.keyHash },
      // The id too: the item found through the index may have been removed since.
      ConditionExpression: 'attribute_exists(keyHash) AND id = :id',
      UpdateExpression: 'SET #name = :name',
      ExpressionAttributeNames: { '#name': 'name' },
      ExpressionAttributeValues: { ':id': id, ':name': change.name },
    });
  }

  async touch(keyHash: string, usedAt: string, staleBefore: string): Promise<void> {
    // A failed condition: another instance recorded a use just now, or the key was revoked; nothing to write.
    await conditionalUpdate(this.documents, {
      TableName: this.tableName,
      Key: { keyHash },
      // attribute_exists: an update of a missing item would create one, bringing back a revoked key's hash.
      ConditionExpression: 'attribute_exists(keyHash) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt <= :staleBefore)',
      UpdateExpression: 'SET lastUsedAt = :usedAt',
      ExpressionAttributeValues: { ':usedAt': usedAt, ':staleBefore': staleBefore },
    });
  }

  async remove(id: string): Promise<boolean> {
    const found = await this.findById(id);
    if (!found) return false;
    await this.documents.send(new DeleteCommand({ TableName: this.tableName, Key: { keyHash: found.keyHash } }));
    return true;
  }

  private async findById(id: string): Promise<ApiKeyRecord | undefined> {
    const { Items } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'by-id',
        KeyConditionExpression: 'id = :id',
        ExpressionAttributeValues: { ':id': id },
      }),
    );
    return Items?.[0] as ApiKeyRecord | undefined;
  }
}
