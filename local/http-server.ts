import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { OutboxError, toErrorBody } from '../lambda/core/errors';
import { handleApiRequest, type ApiDeps, type HttpResponse } from '../lambda/entrypoints/http';
import { BODY_TOO_LARGE_MESSAGE, MAX_REQUEST_BODY_BYTES } from '../lambda/shared/request-limits';
import type { ConsoleServer } from '../lambda/console/serve';

/** Local-only routes (inspection, event replay), answered before authentication. */
export type LocalRoutes = (method: string, path: string, body: string | undefined) => Promise<HttpResponse | undefined>;

export interface LocalServerOptions {
  readonly host: string;
  readonly port: number;
  /** The api's dependencies; their key store checks each request's key. */
  readonly deps: ApiDeps;
  readonly localRoutes?: LocalRoutes;
  /** The web console at /console, answered before authentication as the stack's console route is. */
  readonly console?: ConsoleServer;
  readonly logRequest?: (line: string) => void;
}

/**
 * The local front end: what API Gateway does in AWS (reading the request, the body cap), then the
 * same handleApiRequest the api Lambda runs (key check, routing, error shapes); the console's paths
 * go to the same server the console Lambda runs.
 */
export async function startHttpServer(options: LocalServerOptions): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const started = process.hrtime.bigint();
    serve(options, request)
      .then((result) => send(response, result))
      .catch((error: unknown) => {
        options.deps.log('local server failed to answer', error);
        const body = toErrorBody(error);
        send(response, { status: body.statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      })
      .finally(() => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        options.logRequest?.(`${request.method} ${request.url} ${response.statusCode} ${ms.toFixed(1)}ms`);
      });
  });
  server.on('clientError', answerUnreadableRequest);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}` };
}

async function serve(options: LocalServerOptions, request: IncomingMessage): Promise<HttpResponse> {
  const method = request.method ?? 'GET';
  const { path, query } = splitRequestTarget(request.url ?? '/');
  let body: string | undefined;
  try {
    body = await readBody(request);
  } catch (error) {
    return errorResponse(error);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string') headers[name] = value;
  }
  const page = options.console?.({ method, path, headers });
  if (page) return page;
  const local = await options.localRoutes?.(method, path, body);
  if (local) return local;

  return handleApiRequest(options.deps, { method, path, query, headers, ...(body !== undefined ? { body } : {}) });
}

/**
 * The path and query of a request target as the client wrote them: the path still
 * percent-encoded and its dot segments kept (handleHttp decodes path parameters itself, and `/emails/../api-keys` is no route). `new URL`
 * would resolve `..`, read `//health` as a host named health, and throw on `//`. An absolute-form
 * target (`http://host/path`, as proxies send) gives its path; `*` stays `*`, which no route
 * matches. The query is read leniently (URLSearchParams: `%ZZ` kept as written, bytes that are
 * not UTF-8 as U+FFFD); the last of a repeated name wins, as with API Gateway's queryStringParameters.
 */
export function splitRequestTarget(target: string): { path: string; query: Record<string, string> } {
  let rest = target;
  const origin = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(rest);
  if (origin) rest = rest.slice(origin[0].length);
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const mark = rest.indexOf('?');
  const path = mark >= 0 ? rest.slice(0, mark) : rest;
  const query = Object.fromEntries(new URLSearchParams(mark >= 0 ? rest.slice(mark + 1) : ''));
  return { path: path === '' ? '/' : path, query };
}

const UNREADABLE_ANSWERS: Readonly<Record<string, { status: number; reason: string; message: string }>> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    message: 'The request headers are over 16 KB, more than Outbox reads. Send fewer or shorter headers.',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: 'Request Timeout',
    message: 'The request did not arrive in time. Send it again.',
  },
};

/**
 * What Node's HTTP parser cannot read (a byte not allowed in the request line or a header, a
 * malformed header, headers over 16 KB) gets an answer in the resend SDK's error shape rather than
 * Node's bare status line, then the connection closes. While an earlier request on the same
 * connection is still being answered, nothing is written (it would read as that request's
 * answer): the connection just closes.
 */
function answerUnreadableRequest(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (error.code !== 'ECONNRESET' && socket.writable && !inFlight) {
    const { status, reason, message } = UNREADABLE_ANSWERS[error.code ?? ''] ?? {
      status: 400,
      reason: 'Bad Request',
      message: 'The request is not HTTP/1.1 Outbox can read: a character not allowed in the request line or a header, or a malformed header.',
    };
    const body = JSON.stringify({ statusCode: status, name: 'validation_error', message });
    socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    return;
  }
  socket.destroy();
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // The deployed api Lambda's JSON reader refuses the same bodies with the same answer, so nothing works here that fails there.
      if (size > MAX_REQUEST_BODY_BYTES) {
        // Keep reading (and dropping) so the client gets the answer instead of a reset connection.
        if (!refused) {
          refused = true;
          chunks.length = 0;
        }
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (refused) {
        reject(new OutboxError('body_too_large', BODY_TOO_LARGE_MESSAGE));
      } else {
        resolve(size === 0 ? undefined : Buffer.concat(chunks).toString('utf8'));
      }
    });
    request.on('error', reject);
  });
}

function errorResponse(error: unknown): HttpResponse {
  const body = toErrorBody(error);
  return { status: body.statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function send(response: ServerResponse, result: HttpResponse): void {
  if (response.headersSent) return;
  response.writeHead(result.status, { ...result.headers, 'content-length': Buffer.byteLength(result.body) });
  response.end(result.body);
}
