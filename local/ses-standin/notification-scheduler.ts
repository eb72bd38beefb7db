import type { JournaledNotification, StandInJournal } from './journal';
import { simulateOutcomes, type SimulateOptions } from './simulator';
import type { SnsEnvelope } from './sns-envelope';
import type { AcceptedMessage } from './types';

/**
 * A notification listener. It may return a promise: the notification counts as delivered once
 * that settles successfully (the journal, when there is one, then stops owing it).
 */
export type NotificationListener = (envelope: SnsEnvelope) => unknown;

/**
 * Plays the mailbox simulator in real time: for each accepted message it schedules the SNS
 * notifications `simulateOutcomes` describes (unref'd timers, so they never hold the process open)
 * and hands each envelope to the listeners when its time comes.
 *
 * Notifications are generated only when a listener is registered at acceptance time, and go to
 * the listeners registered when each one fires; with none, they are dropped, like an SNS topic
 * without subscribers. `stop()` cancels everything pending and ignores later messages.
 *
 * With a journal (a data directory), each message's notifications are recorded with it when it is
 * accepted, and each is marked delivered once every listener has taken it; `replayOwed()` publishes
 * at once what an earlier run owed and never delivered.
 */
export class NotificationScheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly listeners = new Set<NotificationListener>();
  private stopped = false;

  constructor(
    private readonly options: SimulateOptions,
    /** Off: accepted messages produce no notifications (those already scheduled still arrive). */
    public enabled = true,
    private readonly journal?: StandInJournal,
  ) {}

  /** Plans the message's notifications, records the message (and them) in the journal, and starts their timers. */
  schedule(message: AcceptedMessage): void {
    const planned = !this.enabled || this.stopped || this.listeners.size === 0 ? [] : simulateOutcomes(message, this.options);
    const acceptedAt = Date.parse(message.receivedAt);
    this.journal?.recordSend(message, planned.map(({ delayMs, envelope }) => ({ at: acceptedAt + delayMs, envelope })));
    for (const { delayMs, envelope } of planned) this.later(delayMs, envelope);
  }

  /** Publishes, now and oldest first, the notifications an earlier run owed; returns how many. */
  replayOwed(): number {
    const owed: JournaledNotification[] = this.journal?.takeOwed() ?? [];
    for (const { envelope } of owed) this.publish(envelope);
    return owed.length;
  }

  /** Returns a function that unsubscribes. */
  subscribe(listener: NotificationListener): () => void {
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

  private later(delayMs: number, envelope: SnsEnvelope): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.publish(envelope);
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  private publish(envelope: SnsEnvelope): void {
    const taken: Promise<unknown>[] = [];
    let failed = false;
    for (const listener of [...this.listeners]) {
      try {
        const result = listener(envelope);
        if (isThenable(result)) taken.push(Promise.resolve(result));
      } catch (error) {
        failed = true;
        // One failing consumer must not stop the others, nor surface as an unhandled timer error.
        console.error('ses-standin: an onNotification listener threw', error);
      }
    }
    const journal = this.journal;
    if (!journal || failed || this.listeners.size === 0) return;
    Promise.all(taken).then(
      () => {
        try {
          journal.delivered(envelope);
        } catch (error) {
          // After stop() the data directory may be gone already; an unrecorded delivery is only published again.
          if (!this.stopped) console.error('ses-standin: could not record a delivered notification (it is published again at the next start)', error);
        }
      },
      // Not delivered: the journal still owes it, and the next start publishes it again.
      () => undefined,
    );
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
