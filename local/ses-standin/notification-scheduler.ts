import { simulateOutcomes, type SimulateOptions } from './simulator';
import type { SnsEnvelope } from './sns-envelope';
import type { AcceptedMessage } from './types';

/**
 * Plays the mailbox simulator in real time: for each accepted message it schedules the SNS
 * notifications `simulateOutcomes` describes (unref'd timers, so they never hold the process open)
 * and hands each envelope to the listeners when its time comes.
 *
 * Notifications are generated only when a listener is registered at acceptance time, and go to
 * the listeners registered when each one fires; with none, they are dropped, like an SNS topic
 * without subscribers. `stop()` cancels everything pending and ignores later messages.
 */
export class NotificationScheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly listeners = new Set<(envelope: SnsEnvelope) => void>();
  private stopped = false;

  constructor(
    private readonly options: SimulateOptions,
    /** Off: accepted messages produce no notifications (those already scheduled still arrive). */
    public enabled = true,
  ) {}

  schedule(message: AcceptedMessage): void {
    if (!this.enabled || this.stopped || this.listeners.size === 0) return;
    for (const { delayMs, envelope } of simulateOutcomes(message, this.options)) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.publish(envelope);
      }, delayMs);
      timer.unref();
      this.timers.add(timer);
    }
  }

  /** Returns a function that unsubscribes. */
  subscribe(listener: (envelope: SnsEnvelope) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** How many notifications are still waiting for their time. */
  get pending(): number {
    return this.timers.size;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private publish(envelope: SnsEnvelope): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(envelope);
      } catch (error) {
        // One failing consumer must not stop the others, nor surface as an unhandled timer error.
        console.error('ses-standin: an onNotification listener threw', error);
      }
    }
  }
}
