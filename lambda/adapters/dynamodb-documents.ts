import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Client settings beyond the defaults; local mode passes endpoints and dummy credentials. */
export interface ClientOptions {
  readonly region?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** The document client every DynamoDB adapter uses; `endpoint` is set only in local mode. */
export function documentClient(endpoint: string | undefined, options: ClientOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ ...options, ...(endpoint ? { endpoint } : {}) });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
