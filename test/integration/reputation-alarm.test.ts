import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DynamoDbSendingPause } from '../../lambda/adapters/dynamodb-sending-pause';
import { documentClient } from '../../lambda/adapters/dynamodb-documents';
import type { ReputationAlarmConfig } from '../../lambda/config';
import { handleReputationAlarm, type ReputationAlarmDeps } from '../../lambda/entrypoints/reputation-alarm';
import { ALL_TABLES, CONTROL_TABLE, WEBHOOKS_TABLE } from '../../lambda/shared/tables';
import { buildReputationAlarmDeps } from '../../lambda/wiring';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../local/embedded-dynamodb';
import { LocalNotificationTopic } from '../../local/local-notification-topic';
import { localTableName } from '../../local/runtime';
import { startSesStandIn, type SesStandIn } from '../../local/ses-standin';

const CONFIGURATION_SET = 'outbox-alarm-test';
const clientOptions = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };

/** The CloudWatch alarm event of a Lambda action, as CloudWatch documents it, with the given state. */
function alarmEvent(state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA'): Record<string, unknown> {
  const event = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/cloudwatch/alarm-action-bounce-rate-pause.json'), 'utf8'));
  event.alarmData.state.value = state;
  return event;
}

/** The reputation alarm handler, wired as deployed, against the embedded store and the SES stand-in. */
describe('the reputation alarm handler', () => {
  let dynamo: EmbeddedDynamoDb;
  let ses: SesStandIn;
  let topic: LocalNotificationTopic;
  let deps: ReputationAlarmDeps;
  let logged: string[];
  let pause: DynamoDbSendingPause;

  function configFor(controlTable: string): ReputationAlarmConfig {
    return {
      controlTable,
      configurationSet: CONFIGURATION_SET,
      retentionDays: 30,
      notifications: { webhooksTable: localTableName(WEBHOOKS_TABLE), notificationsTopicArn: 'arn:aws:sns:us-east-1:000000000000:n', webhookQueueUrl: 'http://local/q', webhookCacheMs: 0 },
      sesEndpoint: ses.url,
      dynamoDbEndpoint: dynamo.endpoint,
    };
  }

  function build(controlTable = localTableName(CONTROL_TABLE)): ReputationAlarmDeps {
    const built = buildReputationAlarmDeps(configFor(controlTable), clientOptions, { topic, queue: { enqueue: async () => undefined } });
    return { ...built, log: (message) => logged.push(message) };
  }

  beforeAll(async () => {
    [dynamo, ses] = await Promise.all([startEmbeddedDynamoDb(), startSesStandIn()]);
    await createTables(dynamo.endpoint, ALL_TABLES.map((definition) => ({ definition, name: localTableName(definition) })));
  });
  afterAll(async () => {
    await Promise.all([ses.stop(), dynamo.stop()]);
  });
  beforeEach(async () => {
    topic = new LocalNotificationTopic();
    logged = [];
    deps = build();
    pause = new DynamoDbSendingPause(documentClient(dynamo.endpoint, clientOptions), localTableName(CONTROL_TABLE), 0);
    await pause.release();
    await deps.configurationSet!.setSendingEnabled(true);
  });

  it('pauses Outbox and the configuration set on ALARM, saying the metric, its value and the threshold, and notifies sending.paused once', async () => {
    const reason = 'Reputation.BounceRate is 0.0412, at or above 0.04 (the SES alarm Outbox-ReputationGuardBounceRatePauseAlarm-EXAMPLE)';
    await expect(handleReputationAlarm(deps, alarmEvent('ALARM'))).resolves.toEqual({ outcome: 'paused', reason });

    expect(await pause.read()).toMatchObject({ reason, held: { by: 'alarm' } });
    expect(ses.configurationSetSendingEnabled(CONFIGURATION_SET)).toBe(false);
    const published = topic.list().map(({ payload }) => payload);
    expect(published).toEqual([expect.objectContaining({ type: 'sending.paused', data: expect.objectContaining({ reason, paused_by: 'alarm', configuration_set_paused: true }) })]);

    // CloudWatch invokes again when the alarm fires again: the pause stands as it was, and nobody is told twice.
    await expect(handleReputationAlarm(deps, alarmEvent('ALARM'))).resolves.toEqual({ outcome: 'already-paused', reason });
    expect(topic.list()).toHaveLength(1);
  });

  it.each([['OK'], ['INSUFFICIENT_DATA']] as const)('does nothing on %s: only a person resumes', async (state) => {
    await deps.configurationSet!.setSendingEnabled(false);
    await pause.hold({ until: 1, reason: 'held earlier', held: { by: 'guard', at: 1 } });

    await expect(handleReputationAlarm(deps, alarmEvent(state))).resolves.toEqual({ outcome: 'not-in-alarm', state });
    expect(await pause.read()).toMatchObject({ reason: 'held earlier', held: { by: 'guard' } });
    expect(ses.configurationSetSendingEnabled(CONFIGURATION_SET)).toBe(false);
    expect(topic.list()).toEqual([]);
  });

  it('does nothing on OK when nothing is paused', async () => {
    await expect(handleReputationAlarm(deps, alarmEvent('OK'))).resolves.toEqual({ outcome: 'not-in-alarm', state: 'OK' });
    expect(await pause.read()).toBeUndefined();
    expect(ses.configurationSetSendingEnabled(CONFIGURATION_SET)).toBe(true);
  });

  it.each([
    ['nothing', undefined],
    ['an SQS batch', { Records: [{ body: '{}' }] }],
    ['an alarm event without a state', { alarmData: { alarmName: 'x' } }],
  ])('logs and ignores %s, pausing nothing', async (_name, event) => {
    const outcome = await handleReputationAlarm(deps, event);
    expect(outcome).toMatchObject({ outcome: 'malformed' });
    expect(logged).toEqual([expect.stringMatching(/^Ignored a reputation alarm invocation: /)]);
    expect(await pause.read()).toBeUndefined();
    expect(ses.configurationSetSendingEnabled(CONFIGURATION_SET)).toBe(true);
    expect(topic.list()).toEqual([]);
  });

  it('throws when the pause cannot be written, so Lambda retries the invocation (a control table that does not exist)', async () => {
    const broken = build('outbox-no-such-table');
    await expect(handleReputationAlarm(broken, alarmEvent('ALARM'))).rejects.toThrow(/non-existent table|ResourceNotFound|not found/i);
    expect(ses.configurationSetSendingEnabled(CONFIGURATION_SET)).toBe(true);
    expect(topic.list()).toEqual([]);
  });
});
