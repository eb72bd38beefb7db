import { readApiConfig, readSenderConfig } from '../../lambda/config';
import { DEFAULT_GUARD_THRESHOLDS } from '../../lambda/core/deliverability';

const env = {
  OUTBOX_EMAILS_TABLE: 'emails',
  OUTBOX_API_KEYS_TABLE: 'keys',
  OUTBOX_IDEMPOTENCY_TABLE: 'idem',
  OUTBOX_SUPPRESSIONS_TABLE: 'supp',
  OUTBOX_WEBHOOKS_TABLE: 'hooks',
  OUTBOX_CONFIGURATION_SET: 'outbox',
  OUTBOX_RETENTION_DAYS: '90',
  OUTBOX_CONTROL_TABLE: 'control',
};

describe('readApiConfig: content settings', () => {
  it('reads the notification settings, for sending.paused and sending.resumed, only when the topic and the webhook queue are both given', () => {
    expect(readApiConfig(env)).not.toHaveProperty('notifications');
    expect(readApiConfig({ ...env, OUTBOX_NOTIFICATIONS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:1:n' })).not.toHaveProperty('notifications');
    expect(readApiConfig({ ...env, OUTBOX_NOTIFICATIONS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:1:n', OUTBOX_WEBHOOK_QUEUE_URL: 'https://sqs/q' }).notifications).toMatchObject({
      webhooksTable: 'hooks',
      notificationsTopicArn: 'arn:aws:sns:eu-west-1:1:n',
      webhookQueueUrl: 'https://sqs/q',
    });
  });

  it('needs no place for content beyond the tables, and reads the clamd address when set', () => {
    expect(readApiConfig(env)).toEqual({
      emailsTable: 'emails',
      apiKeysTable: 'keys',
      idempotencyTable: 'idem',
      suppressionsTable: 'supp',
      webhooksTable: 'hooks',
      configurationSet: 'outbox',
      retentionDays: 90,
      controlTable: 'control',
      guardThresholds: DEFAULT_GUARD_THRESHOLDS,
    });
    expect(readApiConfig({ ...env, OUTBOX_CLAMD: '10.0.0.5:3310' })).toMatchObject({ clamd: '10.0.0.5:3310' });
  });

  it('reports every missing variable at once', () => {
    const { OUTBOX_EMAILS_TABLE: _emails, OUTBOX_CONFIGURATION_SET: _set, ...rest } = env;
    expect(() => readApiConfig(rest)).toThrow('Missing environment variables: OUTBOX_EMAILS_TABLE, OUTBOX_CONFIGURATION_SET');
  });
});

describe('readSenderConfig', () => {
  const senderEnv = {
    OUTBOX_EMAILS_TABLE: 'emails',
    OUTBOX_CONTROL_TABLE: 'control',
    OUTBOX_OUTBOUND_QUEUE_URL: 'https://sqs.test/outbound',
    OUTBOX_CONFIGURATION_SET: 'outbox',
    OUTBOX_RETENTION_DAYS: '30',
    OUTBOX_WEBHOOKS_TABLE: 'hooks',
    OUTBOX_NOTIFICATIONS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:notifications',
    OUTBOX_WEBHOOK_QUEUE_URL: 'https://sqs.test/webhooks',
  };

  it('reads where an email SES refuses for good is notified: the webhooks table, the topic and the webhook queue', () => {
    expect(readSenderConfig(senderEnv).notifications).toEqual({
      webhooksTable: 'hooks',
      notificationsTopicArn: 'arn:aws:sns:eu-west-1:111122223333:notifications',
      webhookQueueUrl: 'https://sqs.test/webhooks',
      webhookCacheMs: 10_000,
    });
  });

  it('reports every missing variable at once, the notification ones included', () => {
    const { OUTBOX_CONTROL_TABLE: _control, OUTBOX_NOTIFICATIONS_TOPIC_ARN: _topic, OUTBOX_WEBHOOK_QUEUE_URL: _queue, ...rest } = senderEnv;
    expect(() => readSenderConfig(rest)).toThrow('Missing environment variables: OUTBOX_CONTROL_TABLE, OUTBOX_NOTIFICATIONS_TOPIC_ARN, OUTBOX_WEBHOOK_QUEUE_URL');
  });
});
