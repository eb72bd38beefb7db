import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { handleApiRequest, type ApiDeps, type HttpRequest } from './http';

/** HTTP API (payload format 2.0) events to handleApiRequest, which checks the key, and back. */
export async function handleApiGatewayEvent(deps: ApiDeps, event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> {
  const response = await handleApiRequest(deps, toHttpRequest(event));
  return { statusCode: response.status, headers: response.headers, body: response.body };
}

/**
 * The event as a front end's request. It runs before handleApiRequest's own error handling, so it
 * never throws: a part left out (as a console test event may) reads as absent, and a value of the
 * wrong type is left out.
 */
export function toHttpRequest(event: APIGatewayProxyEventV2): Omit<HttpRequest, 'principal'> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  // A base64 body (any content type API Gateway does not take for text) is read as UTF-8: JSON is
  // UTF-8, and bytes that are not become U+FFFD, which the JSON reader then judges like any other text.
  const body = typeof event.body !== 'string' ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  // The raw query string read as the local server reads it (the last of a repeated name wins);
  // queryStringParameters would join repeated values with commas.
  const query = typeof event.rawQueryString === 'string' ? Object.fromEntries(new URLSearchParams(event.rawQueryString)) : {};
  const method = event.requestContext?.http?.method;
  return {
    method: typeof method === 'string' ? method : 'GET',
    path: routerPath(event.rawPath),
    headers,
    query,
    ...(body !== undefined ? { body } : {}),
  };
}

/**
 * An HTTP API hands over the path already percent-decoded, where handleHttp expects it as sent and
 * decodes path parameters itself: each `%` is escaped again so that a decoded `%41` stays `%41`
 * rather than becoming `A`.
 */
function routerPath(rawPath: unknown): string {
  return typeof rawPath === 'string' && rawPath.startsWith('/') ? rawPath.replaceAll('%', '%25') : '/';
}
