import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { SesAccountSuppressionList } from '../adapters/ses-account-suppression-list';
import { handleSuppressionStreamBatch, type SuppressionSyncDeps } from '../entrypoints/dynamodb-suppression-stream';

// Two attempts per call: the SDK backs off a throttle once, then the stream retries the record,
// so a busy second for SES's 1-request-per-second budget costs neither a failure nor a long wait.
const deps: SuppressionSyncDeps = {
  accountList: new SesAccountSuppressionList(new SESv2Client({ maxAttempts: 2 })),
  log: (message, error) => console.error(JSON.stringify({ level: 'error', message, error: error instanceof Error ? `${error.name}: ${error.message}` : error === undefined ? undefined : String(error) })),
};

/** The suppressions table's stream: mirrors Outbox's suppression list into SES's account-level list. */
export const handler = (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => handleSuppressionStreamBatch(deps, event);
