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
