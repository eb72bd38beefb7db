import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SnsEnvelope } from './sns-envelope';
import type { AcceptedMessage } from './types';

/** One SendEmail the stand-in accepted, as its ledger keeps it. */
export interface LedgerEntry {
  readonly messageId: string;
  /** ISO 8601. */
  readonly receivedAt: string;
  /** The message's `outbox-message-id` tag: which Outbox email it is; null for a send without one. */
  readonly outboxMessageId: string | null;
  readonly recipients: number;
}

/** A notification the simulated event destination owes: published `at` (epoch ms), unless already delivered. */
export interface JournaledNotification {
  readonly at: number;
  readonly envelope: SnsEnvelope;
}

/** The folder of a data directory the journal lives in (beside the embedded store's own files). */
export const JOURNAL_FOLDER = 'ses-standin';
/** The journal's one file, JSON lines (see StandInJournal). */
export const LEDGER_FILE = 'sends.jsonl';

type SendLine = LedgerEntry & { readonly notifications?: readonly JournaledNotification[] };
type DeliveredLine = { readonly delivered: string };

/**
 * What the stand-in must not forget across a restart when it runs on a data directory, as SES
 * would not: every message it accepted (the ledger, which counts sends per Outbox email across
 * restarts), and the SES event notifications it owes for them until each was delivered. SES
 * publishes an accepted message's events even if the caller crashed; a local process killed
 * between acceptance and delivery loses its in-memory queues, so the owed notifications are
 * journaled and published again at the next start (the events path records each event once, so
 * one delivered twice changes nothing).
 *
 * One file, `<dataDir>/ses-standin/sends.jsonl`, appended with one write per line, so an accepted
 * send and the notifications it owes are recorded together or not at all:
 *
 * - `{"messageId","receivedAt","outboxMessageId","recipients","notifications":[{"at","envelope"}]}`
 *   per accepted SendEmail, written before SendEmail answers;
 * - `{"delivered":"<SNS MessageId>"}` once a notification's listeners have all taken it.
 *
 * Opening it reads what is still owed and rewrites the file without what was delivered (a
 * replacement renamed over it), so it stays about 150 bytes per send. A line cut short by a
 * killed process is skipped.
 */
export class StandInJournal {
  private readonly file: string;
  private owed: JournaledNotification[];

  constructor(dataDir: string) {
    const folder = path.join(dataDir, JOURNAL_FOLDER);
    mkdirSync(folder, { recursive: true });
    this.file = path.join(folder, LEDGER_FILE);
    const lines = readLines(this.file);
    const delivered = new Set(lines.flatMap((line) => ('delivered' in line ? [line.delivered] : [])));
    const sends = lines.filter((line): line is SendLine => 'messageId' in line);
    const compacted = sends.map(({ notifications, ...entry }) => {
      const left = (notifications ?? []).filter((n) => !delivered.has(n.envelope.MessageId));
      return left.length > 0 ? { ...entry, notifications: left } : entry;
    });
    this.owed = compacted.flatMap((line) => ('notifications' in line ? line.notifications : [])).sort((a, b) => a.at - b.at);
    const replacement = `${this.file}.${process.pid}.tmp`;
    writeFileSync(replacement, compacted.map((line) => `${JSON.stringify(line)}\n`).join(''));
    renameSync(replacement, this.file);
  }

  /** Records an accepted message and the notifications it owes, in one append. */
  recordSend(message: AcceptedMessage, notifications: readonly JournaledNotification[]): void {
    const line: SendLine = {
      messageId: message.messageId,
      receivedAt: message.receivedAt,
      outboxMessageId: message.tags.find((tag) => tag.name === 'outbox-message-id')?.value ?? null,
      recipients: message.recipients.length,
      ...(notifications.length > 0 ? { notifications } : {}),
    };
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }

  /** Records that a notification reached every listener. */
  delivered(envelope: SnsEnvelope): void {
    const line: DeliveredLine = { delivered: envelope.MessageId };
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }

  /** The notifications an earlier run owed and never delivered, oldest first; each is handed out once. */
  takeOwed(): JournaledNotification[] {
    const owed = this.owed;
    this.owed = [];
    return owed;
  }
}

/** Every send the stand-in accepted on this data directory, oldest first (empty when it never ran there). */
export function readSendLedger(dataDir: string): LedgerEntry[] {
  return readLines(path.join(dataDir, JOURNAL_FOLDER, LEDGER_FILE)).flatMap((line) =>
    'messageId' in line ? [{ messageId: line.messageId, receivedAt: line.receivedAt, outboxMessageId: line.outboxMessageId, recipients: line.recipients }] : [],
  );
}

function readLines(file: string): (SendLine | DeliveredLine)[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((text) => {
      if (text === '') return [];
      try {
        const value = JSON.parse(text) as unknown;
        return typeof value === 'object' && value !== null && ('messageId' in value || 'delivered' in value) ? [value as SendLine | DeliveredLine] : [];
      } catch {
        // The last line of a process killed mid-write.
        return [];
      }
    });
}
