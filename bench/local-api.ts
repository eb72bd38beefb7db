import { Agent as ConnectionPool, request } from 'node:http';
import type { Server } from 'node:http';
import type { ApiConfig } from '../lambda/config';
import { createApiKey } from '../lambda/core/api-keys';
import type { OutboundQueue } from '../lambda/core/outbound';
import type { ApiDeps } from '../lambda/entrypoints/http';
import { documentClient } from '../lambda/adapters/dynamodb-documents';
import { DynamoDbSendingPause } from '../lambda/adapters/dynamodb-sending-pause';
import { buildApiDeps } from '../lambda/wiring';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/embedded-dynamodb';
import { startHttpServer } from '../local/http-server';
import { localApiConfig } from '../local/runtime';

/** The SDK client options local mode uses (region and dummy credentials). */
export const LOCAL_CLIENT_OPTIONS = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };

/** The api as local mode serves it, over the benchmark's store and SES stand-in processes. */
export interface BenchApi {
  readonly url: string;
  readonly apiKey: string;
  readonly deps: ApiDeps;
  readonly config: ApiConfig;
  stop(): Promise<void>;
}

/**
 * Serves the api in this process as `npm start` does: `buildApiDeps` over local mode's table
 * names, behind local mode's HTTP front end (`startHttpServer`:
 * body cap, API-key check, then `handleHttp`), with one full-access key. The store and the SES
 * stand-in are the benchmark's own processes; `outbound` is the outbound queue the api hands
 * batches to. Failures the api logs are passed to `logError`.
 *
 * The sending pause is read once, before the run, and that answer kept: deployed, the api reads it
 * at most once a second (one GetItem a second per instance, whatever the traffic), which per email
 * rounds to nothing, and counted per email it would depend on how long each path ran, so the
 * floor could not make the same calls.
 */
export async function startBenchApi(options: {
  readonly dynamoDbEndpoint: string;
  readonly sesEndpoint: string;
  readonly outbound: OutboundQueue;
  readonly logError: (message: string, error?: unknown) => void;
}): Promise<BenchApi> {
  const config = localApiConfig({ sesEndpoint: options.sesEndpoint, dynamoDbEndpoint: options.dynamoDbEndpoint });
  const pause = new DynamoDbSendingPause(documentClient(config.dynamoDbEndpoint, LOCAL_CLIENT_OPTIONS), config.controlTable, Number.POSITIVE_INFINITY);
  await pause.read();
  const deps: ApiDeps = { ...buildApiDeps(config, LOCAL_CLIENT_OPTIONS, { outbound: options.outbound }), pause, log: options.logError };
  const { secret } = await createApiKey(deps, { name: 'bench', scope: 'full_access' });
  const { server, url } = await startHttpServer({ host: '127.0.0.1', port: 0, deps });
  return { url, apiKey: secret, deps, config, stop: () => closeServer(server) };
}

/** A keep-alive HTTP client for the api, as an SDK would hold one. */
export class ApiClient {
  private readonly connections: ConnectionPool;

  constructor(
    private readonly api: { readonly url: string; readonly apiKey: string },
    maxSockets: number,
  ) {
    this.connections = new ConnectionPool({ keepAlive: true, maxSockets });
  }

  /** POSTs JSON and resolves with the status and the parsed answer. */
  post(path: string, body: string): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const call = request(
        `${this.api.url}${path}`,
        {
          method: 'POST',
          agent: this.connections,
          headers: { authorization: `Bearer ${this.api.apiKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            try {
              resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
            } catch (error) {
              reject(error);
            }
          });
          response.on('error', reject);
        },
      );
      call.setTimeout(30_000, () => call.destroy(new Error(`POST ${path} got no answer within 30 s`)));
      call.on('error', reject);
      call.end(body);
    });
  }

  close(): void {
    this.connections.destroy();
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
