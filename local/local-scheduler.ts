import { handleSchedulerTick, type SchedulerTickDeps } from '../lambda/entrypoints/scheduler-tick';

export interface LocalScheduler {
  /** Stops the timer and waits for a tick in progress. */
  stop(): Promise<void>;
}

/**
 * The scheduler locally: the same tick the EventBridge rule runs every minute in AWS, every
 * `intervalMs` (default 1 s), so a scheduled email leaves within about a second of its time.
 * Ticks never overlap; a failed tick is logged and the next one retries.
 */
export function startLocalScheduler(deps: SchedulerTickDeps, intervalMs = 1000): LocalScheduler {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = handleSchedulerTick(deps)
      .catch((error: unknown) => deps.log('the local scheduler tick failed', error))
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
