import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { SesV2Client } from '../adapters/aws/sesv2';
import { SesAccountSuppressionList } from '../adapters/ses-account-suppression-list';
import { handleSuppressionStreamBatch, type SuppressionSyncDeps } from '../entrypoints/dynamodb-suppression-stream';

// Up to four attempts per call: the client backs a throttle off (1, 2, 4 s at most), so a busy
// moment of SES's one-request-per-second budget rarely fails a record; when it does, the stream
// retries it. A batch's worst case (SYNC_BATCH_SIZE records) stays well inside the 60 s timeout.
const deps: SuppressionSyncDeps = {
  accountList: new SesAccountSuppressionList(new SesV2Client({ maxAttempts: 4 })),
  log: (message, error) => console.error(JSON.stringify({ level: 'error', message, error: error instanceof Error ? `${error.name}: ${error.message}` : error === undefined ? undefined : String(error) })),
};

/** The suppressions table's stream: mirrors Outbox's suppression list into SES's account-level list. */
export const handler = (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => handleSuppressionStreamBatch(deps, event);
