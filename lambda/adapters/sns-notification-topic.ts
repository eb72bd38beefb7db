import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { NotificationPayload, NotificationTopic } from '../core/webhooks';

/**
 * Publishes notifications to the SNS notifications topic as JSON, with the type as a message
 * attribute so subscribers can filter (`{"type": ["email.bounced"]}`) without reading bodies.
 */
export class SnsNotificationTopic implements NotificationTopic {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(payload: NotificationPayload): Promise<void> {
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: payload.type,
        Message: JSON.stringify(payload),
        MessageAttributes: { type: { DataType: 'String', StringValue: payload.type } },
      }),
    );
  }
}
