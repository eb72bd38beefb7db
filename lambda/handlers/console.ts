import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { consoleServer, notFound, type ConsoleServer } from '../console/serve';
import { CONSOLE_FILES_NAME, type ConsoleFile } from '../shared/console';

// The built console ships next to this bundle (the stack writes it there at synth). It is read on
// the first request, not at load: the cold-start benchmark (P3) loads each bundle on its own.
let serve: ConsoleServer | undefined;

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
  serve ??= consoleServer(JSON.parse(readFileSync(path.join(__dirname, CONSOLE_FILES_NAME), 'utf8')) as ConsoleFile[]);
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  // API Gateway routes only the console's paths here (GET, payload format 2.0).
  const { status, headers: answerHeaders, body } = serve({ method: event.requestContext.http.method, path: event.rawPath, headers }) ?? notFound();
  return { statusCode: status, headers: answerHeaders, body };
};
