import { DynamoDbDocumentClient, UpdateCommand } from './aws/dynamodb';
import type { SoftBounceCounter } from '../core/tracking';

/**
 * Soft bounces per address, kept in the suppressions table under `<address>#soft` (no address can end so: a domain has no `#`) as a string set
 * of `<time>|<bounce key>`. Adding to a set is idempotent, so a retried event counts once; the item
 * expires one window after its last bounce. It has no `origin`, so suppression listings never see it.
 */
export class DynamoDbSoftBounceCounter implements SoftBounceCounter {
  constructor(
    private readonly documents: DynamoDbDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(address: string, bounceKey: string, at: Date, windowDays: number): Promise<number> {
    const windowMs = windowDays * 86_400_000;
    const { Attributes } = await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { email: `${address}#soft` },
        UpdateExpression: 'ADD bounces :bounce SET expiresAt = :expires',
        ExpressionAttributeValues: {
          ':bounce': new Set([`${at.toISOString()}|${bounceKey}`]),
          ':expires': Math.floor((at.getTime() + windowMs) / 1000),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const bounces = (Attributes?.bounces as Set<string> | undefined) ?? new Set<string>();
    // One bounce per key, even if a redelivery carried another timestamp.
    const since = at.getTime() - windowMs;
    const recent = new Set<string>();
    for (const entry of bounces) {
      const [time, key] = entry.split('|') as [string, string];
      if (Date.parse(time) > since) recent.add(key);
    }
    return recent.size;
  }
}
