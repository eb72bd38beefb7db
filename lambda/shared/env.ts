/**
 * Environment variable names shared by the CDK stack (which sets them) and the Lambda handlers
 * (which read them through readConfig). Table-name variables live on the table definitions.
 */
export const ENV = {
  configurationSet: 'OUTBOX_CONFIGURATION_SET',
  retentionDays: 'OUTBOX_RETENTION_DAYS',
  /** Transient bounces that suppress an address when they happen within the window. Default 3. */
  softBounceLimit: 'OUTBOX_SOFT_BOUNCE_LIMIT',
  /** The soft-bounce window, in days. Default 7. */
  softBounceWindowDays: 'OUTBOX_SOFT_BOUNCE_WINDOW_DAYS',
  /** Local mode only: where the SES stand-in listens. Unset in AWS. */
  sesEndpoint: 'OUTBOX_SES_ENDPOINT',
  /** Local mode only: where the embedded DynamoDB-compatible store listens. Unset in AWS. */
  dynamoDbEndpoint: 'OUTBOX_DYNAMODB_ENDPOINT',
} as const;

/** The SES message tag carrying Outbox's email id, so SES events find their email. */
export const MESSAGE_ID_TAG = 'outbox-message-id';

/** Handler entry files, relative to the repository root, as the stack bundles them. */
export const HANDLER_ENTRIES = {
  api: 'lambda/handlers/api.ts',
  authorizer: 'lambda/handlers/authorizer.ts',
  /** SQS events queue consumer (SNS envelopes of SES notifications). */
  events: 'lambda/handlers/events.ts',
} as const;
