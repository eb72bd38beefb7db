import { readApiConfig } from '../../lambda/config';

const env = {
  OUTBOX_EMAILS_TABLE: 'emails',
  OUTBOX_API_KEYS_TABLE: 'keys',
  OUTBOX_IDEMPOTENCY_TABLE: 'idem',
  OUTBOX_SUPPRESSIONS_TABLE: 'supp',
  OUTBOX_WEBHOOKS_TABLE: 'hooks',
  OUTBOX_CONFIGURATION_SET: 'outbox',
  OUTBOX_RETENTION_DAYS: '90',
  OUTBOX_CONTENT_BUCKET: 'outbox-content',
};

describe('readApiConfig: content settings', () => {
  it('reads the content bucket, and the clamd address when set', () => {
    expect(readApiConfig(env)).toMatchObject({ contentBucket: 'outbox-content' });
    expect(readApiConfig(env)).not.toHaveProperty('clamd');
    expect(readApiConfig({ ...env, OUTBOX_CLAMD: '10.0.0.5:3310' })).toMatchObject({ clamd: '10.0.0.5:3310' });
  });

  it('reports a missing content bucket with the other missing variables', () => {
    const { OUTBOX_CONTENT_BUCKET: _bucket, OUTBOX_CONFIGURATION_SET: _set, ...rest } = env;
    expect(() => readApiConfig(rest)).toThrow('Missing environment variables: OUTBOX_CONFIGURATION_SET, OUTBOX_CONTENT_BUCKET');
  });
});
