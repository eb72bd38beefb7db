import type { OutboundJob, OutboundQueue } from '../lambda/core/outbound';
import type { OutboundRetry } from '../lambda/core/outbound-sender';
import type { LocalQueue } from './local-queue';

/** The outbound queue locally: jobs go on the in-process queue, with SQS's delay (at most 900 s). */
export class LocalOutboundQueue implements OutboundQueue {
  constructor(private readonly queue: Pick<LocalQueue, 'send'>) {}

  async enqueue(jobs: readonly OutboundJob[], delaySeconds = 0): Promise<void> {
    const delayMs = Math.min(900, Math.max(0, Math.ceil(delaySeconds))) * 1000;
    for (const job of jobs) this.queue.send(JSON.stringify({ emailId: job.emailId }), delayMs);
  }
}

/**
 * Delays a local outbound job as SqsOutboundRetry does in AWS, in real time (whole seconds, as SQS
 * visibility timeouts are): unlike webhook retries, nothing is sped up, so pacing, throttling and
 * pauses behave locally as deployed.
 */
export class LocalOutboundRetry implements OutboundRetry {
  constructor(private readonly queue: Pick<LocalQueue, 'changeVisibility'>) {}

  async retryAfter(receiptHandle: string, seconds: number): Promise<void> {
    this.queue.changeVisibility(receiptHandle, Math.max(0, Math.ceil(seconds)) * 1000);
  }
}
