import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbApiKeyStore } from './adapters/dynamodb-api-key-store';
import { DynamoDbEmailStore } from './adapters/dynamodb-email-store';
import { SesEmailSender } from './adapters/ses-email-sender';
import type { ApiConfig, AuthorizerConfig } from './config';
import { systemClock } from './core/ports';
import type { ApiDeps } from './entrypoints/http';

/** Extra client settings; local mode passes endpoints and dummy credentials. */
export interface ClientOptions {
  readonly region?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function documentClient(endpoint: string | undefined, options: ClientOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ ...options, ...(endpoint ? { endpoint } : {}) });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Builds the api's dependencies from its configuration: the one place clients are made. */
export function buildApiDeps(config: ApiConfig, options: ClientOptions = {}): ApiDeps {
  const documents = documentClient(config.dynamoDbEndpoint, options);
  const ses = new SESv2Client({ ...options, ...(config.sesEndpoint ? { endpoint: config.sesEndpoint } : {}) });
  return {
    emails: new DynamoDbEmailStore(documents, config.emailsTable, systemClock),
    keys: new DynamoDbApiKeyStore(documents, config.apiKeysTable),
    sender: new SesEmailSender(ses),
    clock: systemClock,
    configurationSet: config.configurationSet,
    retentionDays: config.retentionDays,
    log: (message, error) => console.error(JSON.stringify({ level: 'error', message, error: describe(error) })),
  };
}

export function buildApiKeyStore(config: AuthorizerConfig, options: ClientOptions = {}): DynamoDbApiKeyStore {
  return new DynamoDbApiKeyStore(documentClient(config.dynamoDbEndpoint, options), config.apiKeysTable);
}

function describe(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
