import { isObject } from '../core/json-body';
import { pauseSending, type PauseResult, type SendingControlDeps } from '../core/sending-control';

export type ReputationAlarmDeps = SendingControlDeps;

/** What one alarm invocation did. */
export type ReputationAlarmOutcome =
  | { readonly outcome: 'paused'; readonly reason: string }
  /** A held pause already stood: it is kept, with its first reason, and nobody is told again. */
  | { readonly outcome: 'already-paused'; readonly reason: string }
  /** OK or INSUFFICIENT_DATA: the pause never ends by itself, so nothing is done. */
  | { readonly outcome: 'not-in-alarm'; readonly state: string }
  /** Not a CloudWatch alarm event: logged and left alone. */
  | { readonly outcome: 'malformed'; readonly problem: string };

/** What Outbox reads from CloudWatch's alarm event (its Lambda action payload). */
export interface AlarmChange {
  readonly alarmName: string;
  /** ALARM, OK or INSUFFICIENT_DATA. */
  readonly state: string;
  /** CloudWatch's sentence for the change ("Threshold Crossed: ..."). */
  readonly stateReason: string;
  /** The metric watched, such as Reputation.BounceRate; undefined when the event does not say. */
  readonly metricName?: string;
  /** The newest datapoint the alarm evaluated, when the event carries it (not for SetAlarmState). */
  readonly value?: number;
  readonly threshold?: number;
}

/**
 * Reads the alarm event CloudWatch sends a Lambda action: `alarmData.alarmName`,
 * `alarmData.state.value` and `.reason`, the datapoints and threshold in `.reasonData` (a JSON
 * string), and the metric in `alarmData.configuration.metrics[0].metricStat.metric.name`.
 * Returns a sentence saying what is wrong when the event is not an alarm event. The datapoints
 * and the metric are optional: an alarm set into ALARM by hand (SetAlarmState) has none.
 */
export function readAlarmChange(event: unknown): AlarmChange | string {
  if (!isObject(event) || !isObject(event.alarmData)) return 'the event has no alarmData: it is not a CloudWatch alarm event';
  const data = event.alarmData;
  if (typeof data.alarmName !== 'string' || data.alarmName === '') return 'alarmData.alarmName is missing';
  if (!isObject(data.state) || typeof data.state.value !== 'string') return 'alarmData.state.value is missing';
  const state = data.state;
  const reasonData = parseReasonData(state.reasonData);
  const datapoints = Array.isArray(reasonData?.recentDatapoints) ? reasonData.recentDatapoints.filter(isFiniteNumber) : [];
  const metricName = firstMetricName(data.configuration);
  const value = datapoints.at(-1);
  const threshold = reasonData?.threshold;
  return {
    alarmName: data.alarmName,
    state: state.value as string,
    stateReason: typeof state.reason === 'string' ? state.reason : '',
    ...(metricName !== undefined ? { metricName } : {}),
    ...(value !== undefined ? { value } : {}),
    ...(isFiniteNumber(threshold) ? { threshold } : {}),
  };
}

/** Why Outbox paused, as the pause, the 503 and `sending.paused` say it. */
export function pauseReason(change: AlarmChange): string {
  const metric = change.metricName ?? 'an SES reputation rate';
  if (change.value !== undefined && change.threshold !== undefined) {
    return `${metric} is ${plain(change.value)}, at or above ${plain(change.threshold)} (the SES alarm ${change.alarmName})`;
  }
  const said = change.stateReason === '' ? '' : `: ${change.stateReason}`;
  return `${metric} reached its threshold (the SES alarm ${change.alarmName} is in ALARM${said})`;
}

/**
 * A pause alarm changed state (a CloudWatch Lambda action, invoked asynchronously):
 * 1. Read the event; one that is not an alarm event is logged and ignored (a retry would read
 *    the same).
 * 2. OK and INSUFFICIENT_DATA do nothing: only a person ends the pause.
 * 3. ALARM: pauseSending, by `alarm`, with the metric, its value and the threshold as the reason.
 *    Idempotent: an alarm that fires again, or after the guard paused, keeps the pause that stands.
 * Throws when the pause cannot be written, so Lambda retries the invocation.
 */
export async function handleReputationAlarm(deps: ReputationAlarmDeps, event: unknown): Promise<ReputationAlarmOutcome> {
  const change = readAlarmChange(event);
  if (typeof change === 'string') {
    deps.log(`Ignored a reputation alarm invocation: ${change}`);
    return { outcome: 'malformed', problem: change };
  }
  if (change.state !== 'ALARM') return { outcome: 'not-in-alarm', state: change.state };
  const reason = pauseReason(change);
  const result: PauseResult = await pauseSending(deps, { reason, by: 'alarm' });
  if (!result.changed) {
    deps.log(`The SES alarm ${change.alarmName} is in ALARM (${reason}); sending was already paused: ${result.state.reason}`);
    return { outcome: 'already-paused', reason: result.state.reason };
  }
  return { outcome: 'paused', reason };
}

function parseReasonData(raw: unknown): Record<string, unknown> | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function firstMetricName(configuration: unknown): string | undefined {
  if (!isObject(configuration) || !Array.isArray(configuration.metrics)) return undefined;
  const first: unknown = configuration.metrics[0];
  if (!isObject(first) || !isObject(first.metricStat) || !isObject(first.metricStat.metric)) return undefined;
  const name = first.metricStat.metric.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** A rate as a short fraction: 0.0412 rather than 0.041200000000000001. */
function plain(value: number): string {
  return String(Number(value.toPrecision(6)));
}
