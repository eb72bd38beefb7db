import { readReputationAlarmConfig } from '../config';
import { handleReputationAlarm, type ReputationAlarmOutcome } from '../entrypoints/reputation-alarm';
import { buildReputationAlarmDeps } from '../wiring';

const deps = buildReputationAlarmDeps(readReputationAlarmConfig(process.env));

/** A CloudWatch alarm action (asynchronous): an SES reputation pause alarm changed state. */
export const handler = (event: unknown): Promise<ReputationAlarmOutcome> => handleReputationAlarm(deps, event);
