/**
 * The outbound queue: emails Outbox has accepted and will send later (a batch, a scheduled email
 * that is due, a send SES throttled). The job names the email; its content lives in the store.
 */
export interface OutboundJob {
  readonly emailId: string;
}

export interface OutboundQueue {
  /** Queues the jobs, optionally not before `delaySeconds` (at most 900, SQS's limit). */
  enqueue(jobs: readonly OutboundJob[], delaySeconds?: number): Promise<void>;
}

/**
 * Thrown by `enqueue` when some jobs could not be queued (after the adapter's own retries):
 * `notQueued` names their emails; every other job of the call is on the queue.
 */
export class OutboundEnqueueError extends Error {
  override readonly name = 'OutboundEnqueueError';

  constructor(
    readonly notQueued: readonly string[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
