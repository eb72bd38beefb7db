import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ApiKeyScope } from '../core/api-keys';
import { handleHttp, type ApiDeps, type HttpRequest } from './http';

/** API Gateway REST proxy events to handleHttp and back. The authorizer's context is the principal. */
export async function handleApiGatewayEvent(deps: ApiDeps, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const response = await handleHttp(deps, toHttpRequest(event));
  return { statusCode: response.status, headers: response.headers, body: response.body };
}

/**
 * The event as handleHttp's request. It runs before handleHttp's own error handling, so it never
 * throws: a part left out (as a console test event may) reads as absent, and a value of the wrong
 * type is left out.
 */
export function toHttpRequest(event: APIGatewayProxyEvent): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  // A base64 body (binary media types) is read as UTF-8: JSON is UTF-8, and bytes that are not
  // become U+FFFD, which the JSON reader then judges like any other text.
  const body = typeof event.body !== 'string' ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const context = event.requestContext?.authorizer as { keyId?: string; scope?: string } | null | undefined;
  const principal =
    context?.keyId && (context.scope === 'full_access' || context.scope === 'sending_access')
      ? { keyId: context.keyId, scope: context.scope as ApiKeyScope }
      : undefined;
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (typeof value === 'string') query[name] = value;
  }
  // REST APIs hand over the path still percent-encoded; handleHttp decodes path parameters.
  return { method: event.httpMethod ?? 'GET', path: event.path ?? '/', headers, query, ...(body !== undefined ? { body } : {}), ...(principal ? { principal } : {}) };
}
