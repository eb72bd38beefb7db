import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ApiKeyScope } from '../core/api-keys';
import { handleHttp, type ApiDeps, type HttpRequest } from './http';

/** API Gateway REST proxy events to handleHttp and back. The authorizer's context is the principal. */
export async function handleApiGatewayEvent(deps: ApiDeps, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const response = await handleHttp(deps, toHttpRequest(event));
  return { statusCode: response.status, headers: response.headers, body: response.body };
}

export function toHttpRequest(event: APIGatewayProxyEvent): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const body = event.body === null ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const context = event.requestContext.authorizer as { keyId?: string; scope?: string } | null | undefined;
  const principal =
    context?.keyId && (context.scope === 'full_access' || context.scope === 'sending_access')
      ? { keyId: context.keyId, scope: context.scope as ApiKeyScope }
      : undefined;
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined) query[name] = value;
  }
  return { method: event.httpMethod, path: event.path, headers, query, ...(body !== undefined ? { body } : {}), ...(principal ? { principal } : {}) };
}
