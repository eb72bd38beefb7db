import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { CachedApiKeyStore } from '../adapters/cached-api-key-store';
import { readApiConfig } from '../config';
import { systemClock } from '../core/ports';
import { handleApiGatewayEvent } from '../entrypoints/api-gateway';
import { buildApiDeps } from '../wiring';

const built = buildApiDeps(readApiConfig(process.env));
// Every request's key is checked here: a warm instance reads each key at most every 30 s.
const deps = { ...built, keys: new CachedApiKeyStore(built.keys, systemClock) };

export const handler = (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => handleApiGatewayEvent(deps, event);
