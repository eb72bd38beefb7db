import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LastEvent, SendFailure } from '../core/email';
import type { ClaimResult, SendClaims } from '../core/outbound-sender';
import { LAST_EVENT_RANK } from '../core/precedence';

/** The email item's sort key, as DynamoDbEmailStore writes it (pk = the email id). */
const EMAIL_SK = 'email';

/**
 * The send lease on the `email` item of the emails table: `sendingClaimUntil` (epoch ms) and
 * `sendingClaimToken` (whose claim it is), plus `sendAttempts`, a count of claims taken. Each
 * method is one conditional UpdateItem, so the sender, the scheduler, the API and the events
 * pipeline never overwrite each other's changes.
 */
export class DynamoDbSendClaims implements SendClaims {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(emailId: string, token: string, times: { until: number; staleBefore: number }): Promise<ClaimResult> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: emailId, sk: EMAIL_SK },
          UpdateExpression: 'SET sendingClaimUntil = :until, sendingClaimToken = :token ADD sendAttempts :one',
          ConditionExpression:
            'attribute_exists(pk) AND lastEvent = :queued AND attribute_not_exists(sesMessageId) AND (attribute_not_exists(sendingClaimUntil) OR sendingClaimUntil < :staleBefore)',
          ExpressionAttributeValues: { ':until': times.until, ':token': token, ':one': 1, ':queued': 'queued', ':staleBefore': times.staleBefore },
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    // dynalite (and DynamoDB without ReturnValuesOnConditionCheckFailure) does not say why: read it.
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: emailId, sk: EMAIL_SK },
        ConsistentRead: true,
        ProjectionExpression: 'lastEvent, sesMessageId, sendingClaimUntil',
      }),
    );
    if (!Item) return { claimed: false };
    return {
      claimed: false,
      state: {
        lastEvent: Item.lastEvent as LastEvent,
        ...(typeof Item.sesMessageId === 'string' ? { sesMessageId: Item.sesMessageId } : {}),
        ...(typeof Item.sendingClaimUntil === 'number' ? { claimUntil: Item.sendingClaimUntil } : {}),
      },
    };
  }

  async release(emailId: string, token: string): Promise<void> {
    await this.ifStillOurs(emailId, token, 'REMOVE sendingClaimUntil, sendingClaimToken');
  }

  async endUncertain(emailId: string, token: string, at: number): Promise<void> {
    await this.ifStillOurs(emailId, token, 'SET sendingClaimUntil = :at', { ':at': at });
  }

  async markFailed(emailId: string, token: string, failure: SendFailure): Promise<void> {
    await this.ifStillOurs(
      emailId,
      token,
      'SET lastEvent = :failed, lastEventRank = :rank, failure = :failure REMOVE sendingClaimUntil, sendingClaimToken',
      { ':failed': 'failed', ':rank': LAST_EVENT_RANK.failed, ':failure': failure },
      'attribute_not_exists(sesMessageId)',
    );
  }

  /** Applies the update only while the claim is ours; a claim taken over since is left alone. */
  private async ifStillOurs(emailId: string, token: string, update: string, values: Record<string, unknown> = {}, extraCondition?: string): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: emailId, sk: EMAIL_SK },
          UpdateExpression: update,
          ConditionExpression: `sendingClaimToken = :token${extraCondition ? ` AND ${extraCondition}` : ''}`,
          ExpressionAttributeValues: { ':token': token, ...values },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
