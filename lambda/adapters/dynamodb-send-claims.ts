import { isAwsError } from './aws/aws-http-client';
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDbDocumentClient } from './aws/dynamodb';
import type { LastEvent, SendFailure } from '../core/email';
import type { ClaimResult, SendClaims } from '../core/outbound-sender';
import { LAST_EVENT_RANK } from '../core/precedence';
import { EMAIL_SK, EVENT_PREFIX } from './email-partition';

/**
 * The send lease on the `email` item of the emails table: `sendingClaimUntil` (epoch ms) and
 * `sendingClaimToken` (whose claim it is), plus `sendAttempts`, a count of claims taken, and
 * `sendReleasedAt` (epoch ms), when a claim was last given back, which tells the scheduler's sweep
 * that a job is at the email. The writes that make it `sent` or `failed` also remove its check
 * entry from the due-time index (`dueShard`, `dueAt`). Each
 * method is one conditional UpdateItem, so the sender, the scheduler and the API never overwrite
 * each other's changes.
 *
 * Taking over a claim that ran out (its sender crashed, or SES's answer never came) is the one
 * case where SES may already hold the message: the events path does not update the email, so the
 * claim looks for an SES event in the email's timeline (one Query, on this rare path only) and,
 * finding one, records the email `sent` instead of granting the claim.
 */
export class DynamoDbSendClaims implements SendClaims {
  constructor(
    private readonly documents: DynamoDbDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(emailId: string, token: string, times: { until: number; staleBefore: number }): Promise<ClaimResult> {
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: emailId, sk: EMAIL_SK },
          UpdateExpression: 'SET sendingClaimUntil = :until, sendingClaimToken = :token ADD sendAttempts :one',
          ConditionExpression:
            'attribute_exists(pk) AND lastEvent = :queued AND attribute_not_exists(sesMessageId) AND (attribute_not_exists(sendingClaimUntil) OR sendingClaimUntil < :staleBefore)',
          ExpressionAttributeValues: { ':until': times.until, ':token': token, ':one': 1, ':queued': 'queued', ':staleBefore': times.staleBefore },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      // A claim released cleanly leaves no `sendingClaimUntil`; one still there ran out mid-attempt.
      if (Attributes?.sendingClaimUntil === undefined) return { claimed: true };
      return await this.settleTakeover(emailId, token);
    } catch (error) {
      if (!(isAwsError(error, 'ConditionalCheckFailedException'))) throw error;
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

  /**
   * We took over a claim that ran out: if SES published any event for the email (it carries
   * Outbox's tag, so it sits in the email's timeline), SES took the message. Record it `sent` with
   * that SES message ID and drop our claim, so it is not sent again; otherwise the claim is ours.
   */
  private async settleTakeover(emailId: string, token: string): Promise<ClaimResult> {
    const { Items } = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :event)',
        ExpressionAttributeValues: { ':pk': emailId, ':event': EVENT_PREFIX },
        ConsistentRead: true,
        Limit: 1,
      }),
    );
    const entry = Items?.[0]?.entry as { sesMessageId?: unknown } | undefined;
    if (typeof entry?.sesMessageId !== 'string') return { claimed: true };
    await this.ifStillOurs(
      emailId,
      token,
      'SET lastEvent = :sent, lastEventRank = :rank, sesMessageId = :ses REMOVE sendingClaimUntil, sendingClaimToken, dueShard, dueAt',
      { ':sent': 'sent', ':rank': LAST_EVENT_RANK.sent, ':ses': entry.sesMessageId },
      'attribute_not_exists(sesMessageId)',
    );
    return { claimed: false, state: { lastEvent: 'sent', sesMessageId: entry.sesMessageId } };
  }

  async release(emailId: string, token: string, at: number): Promise<void> {
    await this.ifStillOurs(emailId, token, 'SET sendReleasedAt = :at REMOVE sendingClaimUntil, sendingClaimToken', { ':at': at });
  }

  async endUncertain(emailId: string, token: string, at: number): Promise<void> {
    await this.ifStillOurs(emailId, token, 'SET sendingClaimUntil = :at', { ':at': at });
  }

  async markFailed(emailId: string, token: string, failure: SendFailure): Promise<void> {
    await this.ifStillOurs(
      emailId,
      token,
      'SET lastEvent = :failed, lastEventRank = :rank, failure = :failure REMOVE sendingClaimUntil, sendingClaimToken, dueShard, dueAt',
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
      if (!(isAwsError(error, 'ConditionalCheckFailedException'))) throw error;
    }
  }
}
