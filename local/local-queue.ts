import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface LocalQueueOptions {
  readonly batchSize?: number;
  /** How long a failed message stays invisible before it is delivered again. */
  readonly visibilityTimeoutMs?: number;
  /** Deliveries before a message moves to the dead-letter list, as the stack's redrive policy. */
  readonly maxReceiveCount?: number;
  /** Batches handed to the consumer at once. */
  readonly concurrency?: number;
}

/**
 * What a counter sees of a queue (the benchmark's cost figure counts SQS requests and consumer
 * invocations this way). Observers only watch: they never change what is delivered or when.
 */
export interface QueueObserver {
  /** A message was queued (SendMessage in SQS), with its body. */
  sent?(body: string): void;
  /** The consumer returned from one batch: one Lambda invocation in AWS. */
  delivered?(delivery: { readonly messages: number; readonly failed: number; readonly ms: number }): void;
  /** The consumer changed a message's visibility (ChangeMessageVisibility in SQS). */
  visibilityChanged?(): void;
}

/** A message the queue gave up on, as its dead-letter queue holds it. */
export interface DeadLetter {
  readonly messageId: string;
  readonly body: string;
  /** Deliveries it had: the queue's maxReceiveCount. */
  readonly receiveCount: number;
  /** ISO 8601: when it moved to the dead letters. */
  readonly deadLetteredAt: string;
}

interface Message {
  readonly messageId: string;
  readonly body: string;
  receiveCount: number;
  visibleAt: number;
}

/**
 * SQS in one process, for local mode: at-least-once delivery in batches to the same consumer the
 * Lambda runs, partial batch failures retried after a visibility timeout (or the one the consumer
 * set with changeVisibility), and a dead-letter list after maxReceiveCount deliveries. A record's
 * receiptHandle is its messageId.
 */
export class LocalQueue {
  private readonly waiting: Message[] = [];
  private readonly deadLetters: DeadLetter[] = [];
  /** Messages handed to the consumer and not yet settled, by receipt handle. */
  private readonly received = new Map<string, Message>();
  /** Visibility timeouts the consumer set on received messages, by receipt handle. */
  private readonly visibilityChanges = new Map<string, number>();
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly observers = new Set<QueueObserver>();
  /** What sendAndSettle waits on, by message id. */
  private readonly settleWaiters = new Map<string, () => void>();
  private readonly batchSize: number;
  private readonly visibilityTimeoutMs: number;
  private readonly maxReceiveCount: number;
  private readonly concurrency: number;

  constructor(
    private readonly consume: (event: SQSEvent) => Promise<SQSBatchResponse>,
    options: LocalQueueOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 10;
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 1_000;
    this.maxReceiveCount = options.maxReceiveCount ?? 5;
    this.concurrency = options.concurrency ?? 2;
  }

  /** Queues a message, visible after `delayMs` (SQS's DelaySeconds). */
  send(body: string, delayMs = 0): string {
    const messageId = randomUUID();
    this.waiting.push({ messageId, body, receiveCount: 0, visibleAt: delayMs > 0 ? Date.now() + delayMs : 0 });
    this.schedule(0);
    for (const observer of this.observers) observer.sent?.(body);
    return messageId;
  }

  /**
   * Queues a message and resolves once it has left the queue: handled, or moved to the dead
   * letters (where SQS would keep it). Never resolves if the queue stops first.
   */
  sendAndSettle(body: string, delayMs = 0): Promise<void> {
    const messageId = this.send(body, delayMs);
    return new Promise((resolve) => this.settleWaiters.set(messageId, resolve));
  }

  /** Adds an observer; returns the function that removes it. */
  observe(observer: QueueObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /**
   * As SQS's ChangeMessageVisibility: a received message the consumer then reports as failed
   * becomes visible again `delayMs` after it is settled, instead of after the queue's visibility
   * timeout (one that reached maxReceiveCount goes to the dead letters all the same). Throws, as
   * SQS does, for a message not being processed.
   */
  changeVisibility(receiptHandle: string, delayMs: number): void {
    if (!this.received.has(receiptHandle)) throw new Error(`Message ${receiptHandle} is not in flight`);
    this.visibilityChanges.set(receiptHandle, Math.max(0, delayMs));
    for (const observer of this.observers) observer.visibilityChanged?.();
  }

  /** Messages that failed maxReceiveCount times, oldest first. */
  deadLettered(): readonly DeadLetter[] {
    return this.deadLetters;
  }

  /** Resolves once nothing is waiting or being processed. */
  idle(): Promise<void> {
    if (this.waiting.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops delivering; resolves once the batches in flight have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pump(), delayMs);
    this.timer.unref();
  }

  private pump(): void {
    this.timer = undefined;
    const now = Date.now();
    while (this.inFlight < this.concurrency) {
      const batch = this.takeVisible(now);
      if (batch.length === 0) break;
      this.inFlight += 1;
      void this.deliver(batch).finally(() => {
        this.inFlight -= 1;
        this.afterDelivery();
      });
    }
    this.afterDelivery();
  }

  private takeVisible(now: number): Message[] {
    const batch: Message[] = [];
    for (let i = 0; i < this.waiting.length && batch.length < this.batchSize; ) {
      if (this.waiting[i]!.visibleAt <= now) batch.push(...this.waiting.splice(i, 1));
      else i += 1;
    }
    return batch;
  }

  private async deliver(batch: Message[]): Promise<void> {
    for (const message of batch) {
      message.receiveCount += 1;
      this.received.set(message.messageId, message);
    }
    let failed: Set<string>;
    const started = performance.now();
    try {
      const response = await this.consume({ Records: batch.map(toRecord) });
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch {
      failed = new Set(batch.map((m) => m.messageId));
    }
    const delivery = { messages: batch.length, failed: failed.size, ms: performance.now() - started };
    for (const observer of this.observers) observer.delivered?.(delivery);
    for (const message of batch) {
      const visibilityTimeoutMs = this.visibilityChanges.get(message.messageId) ?? this.visibilityTimeoutMs;
      this.received.delete(message.messageId);
      this.visibilityChanges.delete(message.messageId);
      if (!failed.has(message.messageId)) {
        this.settled(message.messageId);
        continue;
      }
      if (message.receiveCount >= this.maxReceiveCount) {
        this.deadLetters.push({ messageId: message.messageId, body: message.body, receiveCount: message.receiveCount, deadLetteredAt: new Date().toISOString() });
        this.settled(message.messageId);
      } else {
        message.visibleAt = Date.now() + visibilityTimeoutMs;
        this.waiting.push(message);
      }
    }
  }

  private settled(messageId: string): void {
    const resolve = this.settleWaiters.get(messageId);
    if (!resolve) return;
    this.settleWaiters.delete(messageId);
    resolve();
  }

  private afterDelivery(): void {
    if (this.waiting.length === 0 && this.inFlight === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
      return;
    }
    if (this.inFlight >= this.concurrency || this.waiting.length === 0) return;
    const next = Math.min(...this.waiting.map((m) => m.visibleAt));
    this.schedule(Math.max(0, next - Date.now()));
  }
}

function toRecord(message: Message): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.messageId,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:outbox-local-events',
    awsRegion: 'us-east-1',
  };
}
