import type { AcceptedMessage } from './types';

/** At most this many accepted messages are kept; the oldest go first. */
export const MAX_KEPT_MESSAGES = 10_000;
/**
 * At most about this many bytes of message content are kept (MIME, text, HTML), so a few
 * thousand large raw messages cannot exhaust memory; the oldest go first, the newest always stays.
 */
export const MAX_KEPT_BYTES = 256 * 1024 * 1024;

/**
 * The accepted messages, in memory only, oldest first, bounded by `MAX_KEPT_MESSAGES` and
 * `MAX_KEPT_BYTES`. Listeners hear about each message once it is stored.
 */
export class MessageStore {
  private readonly kept: AcceptedMessage[] = [];
  private keptBytes = 0;
  private readonly listeners = new Set<(message: AcceptedMessage) => void>();

  add(message: AcceptedMessage): void {
    this.kept.push(message);
    this.keptBytes += weight(message);
    while (this.kept.length > 1 && (this.kept.length > MAX_KEPT_MESSAGES || this.keptBytes > MAX_KEPT_BYTES)) {
      this.keptBytes -= weight(this.kept.shift()!);
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(message);
      } catch (error) {
        // A failing listener (e.g. the event generator) must not turn an accepted send into an error.
        console.error('ses-standin: an onAccepted listener threw', error);
      }
    }
  }

  /** Oldest first. */
  all(): readonly AcceptedMessage[] {
    return [...this.kept];
  }

  get(messageId: string): AcceptedMessage | undefined {
    return this.kept.find((m) => m.messageId === messageId);
  }

  clear(): number {
    const count = this.kept.length;
    this.kept.length = 0;
    this.keptBytes = 0;
    return count;
  }

  subscribe(listener: (message: AcceptedMessage) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}

function weight(message: AcceptedMessage): number {
  // For Raw, `mime` and `raw` are the same string.
  return message.mime.length + (message.text?.length ?? 0) + (message.html?.length ?? 0) + 1024;
}
