import type { Server } from 'node:http';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { createApiKey, generateApiKeySecret } from '../lambda/core/api-keys';
import type { ApiConfig } from '../lambda/config';
import type { HttpResponse } from '../lambda/entrypoints/http';
import { ALL_TABLES, API_KEYS_TABLE, EMAILS_TABLE, IDEMPOTENCY_TABLE, SUPPRESSIONS_TABLE, type TableDefinition } from '../lambda/shared/tables';
import { buildApiDeps } from '../lambda/wiring';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, startEmbeddedDynamoDb } from './embedded-dynamodb';
import { startHttpServer, type LocalRoutes } from './http-server';
import { startSesStandIn, type SesStandIn } from './ses-standin';

export interface LocalOptions {
  readonly host?: string;
  readonly port?: number;
  /** A key to accept with full access; without one a key is generated. */
  readonly apiKey?: string;
  /** Verified SES identities (domains or addresses); undefined = every sender is verified. */
  readonly identities?: readonly string[];
  /** Keep the store on disk here; in memory when undefined. */
  readonly dataDir?: string;
  readonly retentionDays?: number;
  readonly logRequest?: (line: string) => void;
  readonly logError?: (message: string, error?: unknown) => void;
}

export interface LocalOutbox {
  readonly url: string;
  readonly apiKey: string;
  readonly ses: SesStandIn;
  readonly dynamoDbEndpoint: string;
  stop(): Promise<void>;
}

export const LOCAL_CONFIGURATION_SET = 'outbox-local';

/** The local table name for a shared definition. */
export function localTableName(definition: TableDefinition): string {
  return `outbox-${definition.id}`;
}

/**
 * Outbox in one process: the embedded DynamoDB-compatible store with the stack's tables, the SES
 * stand-in, and the api handlers behind a local HTTP server. No AWS, no Docker, no network.
 */
export async function startLocalOutbox(options: LocalOptions = {}): Promise<LocalOutbox> {
  const host = options.host ?? '127.0.0.1';
  const dynamo = await startEmbeddedDynamoDb({ host, ...(options.dataDir ? { dataDir: options.dataDir } : {}) });
  const ses = await startSesStandIn({ host, ...(options.identities ? { verifiedIdentities: options.identities } : {}) });
  await createTables(dynamo.endpoint, ALL_TABLES.map((definition) => ({ definition, name: localTableName(definition) })));

  const config: ApiConfig = {
    emailsTable: localTableName(EMAILS_TABLE),
    apiKeysTable: localTableName(API_KEYS_TABLE),
    idempotencyTable: localTableName(IDEMPOTENCY_TABLE),
    suppressionsTable: localTableName(SUPPRESSIONS_TABLE),
    configurationSet: LOCAL_CONFIGURATION_SET,
    retentionDays: options.retentionDays ?? 90,
    sesEndpoint: ses.url,
    dynamoDbEndpoint: dynamo.endpoint,
  };
  const deps = buildApiDeps(config, { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  if (options.logError) Object.assign(deps, { log: options.logError });

  const apiKey = options.apiKey ?? generateApiKeySecret();
  try {
    await createApiKey(deps, { name: 'local', scope: 'full_access', secret: apiKey });
  } catch (error) {
    // A persisted store already holds this key from an earlier start.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }

  const { server, url } = await startHttpServer({
    host,
    port: options.port ?? 3000,
    deps,
    keys: deps.keys,
    localRoutes: localRoutes(ses),
    ...(options.logRequest ? { logRequest: options.logRequest } : {}),
  });

  return {
    url,
    apiKey,
    ses,
    dynamoDbEndpoint: dynamo.endpoint,
    stop: async () => {
      await closeServer(server);
      await ses.stop();
      await dynamo.stop();
    },
  };
}

/** Developer-only routes: what the SES stand-in accepted. No key needed, as they exist only locally. */
function localRoutes(ses: SesStandIn): LocalRoutes {
  return async (method, path) => {
    if (method !== 'GET') return undefined;
    if (path === '/_local/messages') {
      return json(200, { object: 'list', data: [...ses.messages()].reverse() });
    }
    const match = /^\/_local\/messages\/([^/]+)$/.exec(path);
    if (match) {
      const message = ses.messages().find((m) => m.messageId === match[1]);
      return message
        ? json(200, message)
        : json(404, { statusCode: 404, name: 'not_found', message: `The SES stand-in has no message ${match[1]}.` });
    }
    return undefined;
  };
}

function json(status: number, body: unknown): HttpResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
