import { readApiConfig } from '../../lambda/config';

const env = {
  OUTBOX_EMAILS_TABLE: 'emails',
  OUTBOX_API_KEYS_TABLE: 'keys',
  OUTBOX_IDEMPOTENCY_TABLE: 'idem',
  OUTBOX_SUPPRESSIONS_TABLE: 'supp',
  OUTBOX_WEBHOOKS_TABLE: 'hooks',
  OUTBOX_CONFIGURATION_SET: 'outbox',
  OUTBOX_RETENTION_DAYS: '90',
};

describe('readApiConfig: content settings', () => {
  it('needs no place for content beyond the tables, and reads the clamd address when set', () => {
    expect(readApiConfig(env)).toEqual({
      emailsTable: 'emails',
      apiKeysTable: 'keys',
      idempotencyTable: 'idem',
      suppressionsTable: 'supp',
      webhooksTable: 'hooks',
      configurationSet: 'outbox',
      retentionDays: 90,
    });
    expect(readApiConfig({ ...env, OUTBOX_CLAMD: '10.0.0.5:3310' })).toMatchObject({ clamd: '10.0.0.5:3310' });
  });

  it('reports every missing variable at once', () => {
    const { OUTBOX_EMAILS_TABLE: _emails, OUTBOX_CONFIGURATION_SET: _set, ...rest } = env;
    expect(() => readApiConfig(rest)).toThrow('Missing environment variables: OUTBOX_EMAILS_TABLE, OUTBOX_CONFIGURATION_SET');
  });
});
