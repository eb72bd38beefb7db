import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';

/** Client settings beyond the defaults; local mode passes endpoints and dummy credentials. */
export interface ClientOptions {
  readonly region?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** The document client every DynamoDB adapter uses; `endpoint` is set only in local mode. */
export function documentClient(endpoint: string | undefined, options: ClientOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ ...options, ...(endpoint ? { endpoint } : {}) });
  // convertClassInstanceToMap: the marshaller takes an object for a map only if its `constructor`
  // is named Object, so a map whose keys a caller chose (template variables, tags by name) with a
  // key `constructor` ({"constructor":"x"}) would be refused as a class instance. Outbox stores
  // no class instances, so every object is a map.
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true } });
}

/** Runs a conditional UpdateItem: false when its condition did not hold, any other failure thrown. */
export async function conditionalUpdate(documents: DynamoDBDocumentClient, input: UpdateCommandInput): Promise<boolean> {
  try {
    await documents.send(new UpdateCommand(input));
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
