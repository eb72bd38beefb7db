import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { readAuthorizerConfig } from '../config';
import { authorizeToken } from '../entrypoints/authorizer';
import { buildApiKeyStore } from '../wiring';

const keys = buildApiKeyStore(readAuthorizerConfig(process.env));

export const handler = (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => authorizeToken(keys, event);
