import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDbApiKeyStore } from './adapters/dynamodb-api-key-store';
import { documentClient, type ClientOptions } from './adapters/dynamodb-documents';
import { DynamoDbEmailStore } from './adapters/dynamodb-email-store';
import { DynamoDbSuppressionList } from './adapters/dynamodb-suppression-list';
import { DynamoDbWebhookStore } from './adapters/dynamodb-webhook-store';
import { DnsHostResolver } from './adapters/dns-host-resolver';
import { SesEmailSender } from './adapters/ses-email-sender';
import type { ApiConfig, EventsConfig } from './config';
import { DynamoDbSoftBounceCounter } from './adapters/dynamodb-soft-bounce-counter';
import type { EventsDeps } from './entrypoints/sqs-events';
import { systemClock } from './core/ports';
import type { ApiDeps } from './entrypoints/http';

/**
 * Builds the api's dependencies from its configuration: the one place its clients are made. (The
 * authorizer builds only its key store, so its bundle carries no SES client.)
 */
export function buildApiDeps(config: ApiConfig, options: ClientOptions = {}): ApiDeps {
  const documents = documentClient(config.dynamoDbEndpoint, options);
  const ses = new SESv2Client({ ...options, ...(config.sesEndpoint ? { endpoint: config.sesEndpoint } : {}) });
  return {
    emails: new DynamoDbEmailStore(documents, config.emailsTable, systemClock, config.retentionDays),
    keys: new DynamoDbApiKeyStore(documents, config.apiKeysTable),
    suppressions: new DynamoDbSuppressionList(documents, config.suppressionsTable),
    webhooks: new DynamoDbWebhookStore(documents, config.webhooksTable, systemClock, config.retentionDays),
    resolver: new DnsHostResolver(),
    allowPrivateWebhookUrls: false,
    sender: new SesEmailSender(ses),
    clock: systemClock,
    configurationSet: config.configurationSet,
    retentionDays: config.retentionDays,
    log: logError,
  };
}

/** Builds the events consumer's dependencies: the emails table for tracking, the suppressions table. */
export function buildEventsDeps(config: EventsConfig, options: ClientOptions = {}): EventsDeps {
  const documents = documentClient(config.dynamoDbEndpoint, options);
  return {
    tracking: new DynamoDbEmailStore(documents, config.emailsTable, systemClock, config.retentionDays),
    suppressions: new DynamoDbSuppressionList(documents, config.suppressionsTable),
    softBounces: new DynamoDbSoftBounceCounter(documents, config.suppressionsTable),
    softBouncePolicy: { limit: config.softBounceLimit, windowDays: config.softBounceWindowDays },
    clock: systemClock,
    log: logError,
  };
}

const logError = (message: string, error?: unknown): void => console.error(JSON.stringify({ level: 'error', message, error: describe(error) }));

function describe(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

// Webhook delivery. (Imports are hoisted; this block is appended so parallel work on the file stays apart.)
import { SQSClient } from '@aws-sdk/client-sqs';
import { HttpWebhookClient } from './adapters/http-webhook-client';
import { SqsWebhookRetry } from './adapters/sqs-webhook-retry';
import type { WebhookDeliveryConfig } from './config';
import type { WebhookBatchDeps } from './entrypoints/sqs-webhooks';

/**
 * Builds the webhook delivery consumer's dependencies: the webhooks table, DNS for the SSRF
 * re-check, an HTTP client that refuses blocked addresses at connect time, and SQS for retry
 * delays. Private endpoints are refused; local mode overrides `allowPrivateWebhookUrls`, `http`
 * (with `allowPrivate`) and `retry`.
 */
export function buildWebhookDeliveryDeps(config: WebhookDeliveryConfig, options: ClientOptions = {}): WebhookBatchDeps {
  const documents = documentClient(config.dynamoDbEndpoint, options);
  return {
    store: new DynamoDbWebhookStore(documents, config.webhooksTable, systemClock, config.retentionDays),
    http: new HttpWebhookClient({ allowPrivate: false }),
    resolver: new DnsHostResolver(),
    retry: new SqsWebhookRetry(new SQSClient({ ...options }), config.webhookQueueUrl),
    clock: systemClock,
    random: Math.random,
    allowPrivateWebhookUrls: false,
    log: logError,
  };
}
