import type { AttributeValue, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { accountSuppressionActionFor, type AccountSuppressionAction, type AccountSuppressionList } from '../core/account-suppression';

export interface SuppressionSyncDeps {
  readonly accountList: AccountSuppressionList;
  readonly log: (message: string, error?: unknown) => void;
}

/**
 * The suppressions table's stream consumer: keeps SES's account-level suppression list equal to
 * Outbox's, so mail sent past Outbox's API (SES's SMTP endpoint) never reaches a suppressed address.
 *
 * 1. Each record's old and new images are read as plain objects, and the core says what the change
 *    asks of SES (accountSuppressionActionFor): put, remove, or nothing.
 * 2. Records are handled one at a time, in stream order, so a put and a later remove of one address
 *    reach SES in that order.
 * 3. At the first failure (SES throttling, an outage, anything thrown) the batch stops there and
 *    reports that record's sequence number in `batchItemFailures`: Lambda retries from it, with it
 *    every later record, within the event source's bounded retries, and then sends the batch's
 *    description to the on-failure destination. Nothing is ever reported done that was not.
 * Idempotent: putting a listed address or removing an unlisted one changes nothing in SES.
 */
export async function handleSuppressionStreamBatch(deps: SuppressionSyncDeps, event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const records = Array.isArray(event?.Records) ? event.Records : [];
  for (const record of records) {
    // Lambda fails the whole batch for an identifier it cannot match, which is right for a record without one.
    const sequenceNumber = record?.dynamodb?.SequenceNumber ?? '';
    let action: AccountSuppressionAction = { kind: 'none' };
    try {
      action = accountSuppressionActionFor(changeOf(record));
      await apply(deps.accountList, action);
    } catch (error) {
      safely(deps.log, `syncing the account-level suppression list failed (${action.kind}) at stream record ${sequenceNumber}; it and the records after it are retried`, error);
      return { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
    }
  }
  return { batchItemFailures: [] };
}

async function apply(list: AccountSuppressionList, action: AccountSuppressionAction): Promise<void> {
  if (action.kind === 'put') await list.put(action.email, action.reason);
  else if (action.kind === 'remove') await list.remove(action.email);
}

/** The record's images as plain objects (a REMOVE, TTL expiry included, has only the old one). */
function changeOf(record: DynamoDBRecord | undefined): { oldImage?: Record<string, unknown>; newImage?: Record<string, unknown> } {
  const oldImage = record?.dynamodb?.OldImage;
  const newImage = record?.dynamodb?.NewImage;
  return {
    ...(oldImage ? { oldImage: plainItem(oldImage) } : {}),
    ...(newImage ? { newImage: plainItem(newImage) } : {}),
  };
}

/** A stream image (DynamoDB's typed attribute values) as a plain object: N as numbers, B as base64 text. */
export function plainItem(image: Readonly<Record<string, AttributeValue>>): Record<string, unknown> {
  const item: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of Object.entries(image)) item[name] = plainValue(value);
  return item;
}

function plainValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.M !== undefined) return plainItem(value.M);
  if (value.L !== undefined) return value.L.map(plainValue);
  if (value.SS !== undefined) return [...value.SS];
  if (value.NS !== undefined) return value.NS.map(Number);
  if (value.B !== undefined) return value.B;
  if (value.BS !== undefined) return [...value.BS];
  return undefined;
}

/** Logs without letting a failing logger fail the batch. */
function safely(log: SuppressionSyncDeps['log'], message: string, error: unknown): void {
  try {
    log(message, error);
  } catch {
    // Nothing more can be said.
  }
}
