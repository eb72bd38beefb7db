import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { readApiConfig } from '../config';
import { handleApiGatewayEvent } from '../entrypoints/api-gateway';
import { buildApiDeps } from '../wiring';

const deps = buildApiDeps(readApiConfig(process.env));

export const handler = (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => handleApiGatewayEvent(deps, event);
