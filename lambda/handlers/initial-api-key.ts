import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDbApiKeyStore } from '../adapters/dynamodb-api-key-store';
import { documentClient } from '../adapters/dynamodb-documents';
import { SecretsManagerSecretStore } from '../adapters/secrets-manager-secret-store';
import { applyInitialApiKey, readInitialApiKeyProperties } from '../core/initial-api-key';
import { systemClock } from '../core/ports';
import { customResourceHandler, toResourceRequest } from '../entrypoints/cloudformation-custom-resource';

const documents = documentClient(undefined);
const secrets = new SecretsManagerSecretStore(new SecretsManagerClient({}));

/**
 * The Custom::OutboxInitialApiKey resource: makes the first full-access API key and keeps it in the
 * stack's secret. The table and the secret come from the resource's properties, so a Delete acts
 * on the ones the key was made in.
 */
export const handler = customResourceHandler((event) => {
  const request = toResourceRequest(event, readInitialApiKeyProperties);
  const keys = new DynamoDbApiKeyStore(documents, request.properties.tableName);
  return applyInitialApiKey({ keys, secrets, clock: systemClock }, request);
});
