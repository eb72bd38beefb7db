import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { readAuthorizerConfig } from '../config';
import { authorizeToken } from '../entrypoints/authorizer';
import { DynamoDbApiKeyStore } from '../adapters/dynamodb-api-key-store';
import { documentClient } from '../adapters/dynamodb-documents';

const config = readAuthorizerConfig(process.env);
const keys = new DynamoDbApiKeyStore(documentClient(config.dynamoDbEndpoint), config.apiKeysTable);

export const handler = (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => authorizeToken(keys, event);
