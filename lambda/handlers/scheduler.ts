import { readSchedulerConfig } from '../config';
import type { ReleaseSummary } from '../core/scheduler';
import { handleSchedulerTick } from '../entrypoints/scheduler-tick';
import { buildSchedulerDeps } from '../wiring';

const deps = buildSchedulerDeps(readSchedulerConfig(process.env));

/** Every minute (EventBridge): queues the scheduled emails that are due. */
export const handler = (): Promise<ReleaseSummary> => handleSchedulerTick(deps);
