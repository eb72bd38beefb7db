import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readReputationAlarmConfig } from '../../lambda/config';
import { handleReputationAlarm, pauseReason, readAlarmChange } from '../../lambda/entrypoints/reputation-alarm';
import { InMemorySendingPause } from '../helpers/in-memory-outbound';
import { fixedClock } from '../helpers/in-memory';

const fixture = (): Record<string, any> => JSON.parse(readFileSync(path.join(__dirname, '../fixtures/cloudwatch/alarm-action-bounce-rate-pause.json'), 'utf8'));

describe('reading a CloudWatch alarm event', () => {
  it('reads the alarm, its state, the metric, the newest datapoint and the threshold', () => {
    expect(readAlarmChange(fixture())).toEqual({
      alarmName: 'Outbox-ReputationGuardBounceRatePauseAlarm-EXAMPLE',
      state: 'ALARM',
      stateReason: expect.stringMatching(/^Threshold Crossed: /),
      metricName: 'Reputation.BounceRate',
      value: 0.0412,
      threshold: 0.04,
    });
  });

  it('says why an alarm set into ALARM by hand (SetAlarmState: no datapoints) pauses, with CloudWatch\'s reason', () => {
    const event = fixture();
    event.alarmData.state = { value: 'ALARM', reason: 'Testing the pause', timestamp: '2026-12-02T18:05:00.000+0000' };
    const change = readAlarmChange(event);
    expect(change).toMatchObject({ state: 'ALARM', metricName: 'Reputation.BounceRate' });
    expect(pauseReason(change as Exclude<typeof change, string>)).toBe(
      'Reputation.BounceRate reached its threshold (the SES alarm Outbox-ReputationGuardBounceRatePauseAlarm-EXAMPLE is in ALARM: Testing the pause)',
    );
  });

  it('reads an event whose reasonData is not JSON or whose metric is missing, without them', () => {
    const event = fixture();
    event.alarmData.state.reasonData = '{not json';
    delete event.alarmData.configuration;
    const change = readAlarmChange(event);
    expect(change).toEqual({ alarmName: event.alarmData.alarmName, state: 'ALARM', stateReason: event.alarmData.state.reason });
    expect(pauseReason(change as Exclude<typeof change, string>)).toMatch(/^an SES reputation rate reached its threshold \(the SES alarm /);
  });

  it.each([
    ['a string', 'ALARM'],
    ['an array', [fixture()]],
    ['no alarm name', { alarmData: { state: { value: 'ALARM' } } }],
    ['a state that is not a string', { alarmData: { alarmName: 'a', state: { value: 1 } } }],
  ])('refuses %s, saying what is missing', (_name, event) => {
    expect(typeof readAlarmChange(event)).toBe('string');
  });
});

describe('handleReputationAlarm with in-memory ports', () => {
  it('pauses through the held pause, by alarm, and switches the configuration set off', async () => {
    const switches: boolean[] = [];
    const pause = new InMemorySendingPause();
    const deps = { pause, configurationSet: { setSendingEnabled: async (enabled: boolean) => void switches.push(enabled) }, clock: fixedClock('2026-12-02T18:05:00Z'), log: () => undefined };
    await expect(handleReputationAlarm(deps, fixture())).resolves.toMatchObject({ outcome: 'paused' });
    expect(await pause.read()).toMatchObject({ held: { by: 'alarm', at: Date.parse('2026-12-02T18:05:00Z') } });
    expect(switches).toEqual([false]);
  });
});

describe('readReputationAlarmConfig', () => {
  it('reports every missing variable at once', () => {
    expect(() => readReputationAlarmConfig({ OUTBOX_RETENTION_DAYS: '30' })).toThrow(
      'Missing environment variables: OUTBOX_CONTROL_TABLE, OUTBOX_CONFIGURATION_SET, OUTBOX_WEBHOOKS_TABLE, OUTBOX_NOTIFICATIONS_TOPIC_ARN, OUTBOX_WEBHOOK_QUEUE_URL',
    );
  });
});
