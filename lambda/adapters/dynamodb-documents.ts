import { isAwsError } from './aws/aws-http-client';
import { DynamoDbDocumentClient, UpdateCommand, type UpdateCommandInput } from './aws/dynamodb';

/** Client settings beyond the defaults; local mode passes endpoints and dummy credentials. */
export interface ClientOptions {
  readonly region?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** The document client every DynamoDB adapter uses; `endpoint` is set only in local mode. */
export function documentClient(endpoint: string | undefined, options: ClientOptions = {}): DynamoDbDocumentClient {
  // convertClassInstanceToMap: the marshaller takes an object for a map only if its `constructor`
  // is named Object, so a map whose keys a caller chose (template variables, tags by name) with a
  // key `constructor` ({"constructor":"x"}) would be refused as a class instance. Outbox stores
  // no class instances, so every object is a map.
  return new DynamoDbDocumentClient({ ...options, ...(endpoint ? { endpoint } : {}), marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true } });
}

/** Runs a conditional UpdateItem: false when its condition did not hold, any other failure thrown. */
export async function conditionalUpdate(documents: DynamoDbDocumentClient, input: UpdateCommandInput): Promise<boolean> {
  try {
    await documents.send(new UpdateCommand(input));
    return true;
  } catch (error) {
    if (isAwsError(error, 'ConditionalCheckFailedException')) return false;
    throw error;
  }
}
