import type { APIGatewayProxyEvent } from 'aws-lambda';
import { handleApiGatewayEvent, toHttpRequest } from '../../lambda/entrypoints/api-gateway';
import { inMemoryApi } from '../helpers/in-memory-api';

function event(overrides: Partial<APIGatewayProxyEvent>): APIGatewayProxyEvent {
  return {
    httpMethod: 'GET',
    path: '/health',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    resource: '/{proxy+}',
    requestContext: { authorizer: { keyId: 'key-1', scope: 'full_access' } } as unknown as APIGatewayProxyEvent['requestContext'],
    ...overrides,
  };
}

describe('toHttpRequest (API Gateway REST proxy events)', () => {
  it('keeps the path percent-encoded, as API Gateway gives it, for handleHttp to decode', () => {
    expect(toHttpRequest(event({ path: '/suppressions/someone%40example.com' })).path).toBe('/suppressions/someone%40example.com');
  });

  it('reads a base64 body as UTF-8, bytes that are not UTF-8 as U+FFFD', () => {
    expect(toHttpRequest(event({ body: Buffer.from('{"a":"✉"}').toString('base64'), isBase64Encoded: true })).body).toBe('{"a":"✉"}');
    expect(toHttpRequest(event({ body: Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), isBase64Encoded: true })).body).toBe('{\ufffd}');
  });

  it('reads an event missing its parts (as a console test event may) as absent, never throwing', () => {
    const bare = { httpMethod: 'GET', path: '/health' } as unknown as APIGatewayProxyEvent;
    expect(toHttpRequest(bare)).toEqual({ method: 'GET', path: '/health', headers: {}, query: {} });
    expect(toHttpRequest({} as APIGatewayProxyEvent)).toEqual({ method: 'GET', path: '/', headers: {}, query: {} });
  });

  it('answers a bad escape 400 and a deep body 400 through the whole adapter', async () => {
    const api = inMemoryApi();
    const bad = await handleApiGatewayEvent(api.deps, event({ httpMethod: 'DELETE', path: '/webhooks/%ZZ' }));
    expect(bad.statusCode).toBe(400);
    const deep = await handleApiGatewayEvent(api.deps, event({ httpMethod: 'POST', path: '/emails', body: Buffer.from('['.repeat(5000)).toString('base64'), isBase64Encoded: true }));
    expect(deep.statusCode).toBe(400);
    expect(JSON.parse(deep.body)).toMatchObject({ name: 'validation_error', message: expect.stringContaining('levels deep') });
  });
});
