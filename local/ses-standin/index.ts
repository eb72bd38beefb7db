/**
 * A local stand-in for Amazon SES v2, for Outbox's local mode and its tests: the real
 * `SESv2Client` talks to it over HTTP (restJson1), and it answers as SES does, typed errors
 * included. See README.md in this folder for what it checks and what it does not.
 */
export { startSesStandIn, type SesFault, type SesStandIn, type SesStandInOptions } from './server';
export type { AcceptedAttachment, AcceptedMessage, NameValue } from './types';
export { JOURNAL_FOLDER, LEDGER_FILE, readSendLedger, type LedgerEntry } from './journal';
export type { NotificationListener } from './notification-scheduler';
export { SES_MESSAGE_ID_PATTERN } from './message-id';
export { ANY_SENDER_IDENTITY, type ReadOperation } from './identities';
export { MAX_MESSAGE_BYTES, MAX_RECIPIENTS, type StoredTemplate } from './send-email';
export { MAX_KEPT_BYTES, MAX_KEPT_MESSAGES } from './message-store';
export type { SuppressedDestination, SuppressedReason } from './suppression-list';
export {
  ACCOUNT_SUPPRESSION_BOUNCE,
  DEFAULT_ACCOUNT_ID,
  SIMULATOR,
  sesRecordOf,
  simulateOutcomes,
  simulatorMailboxOf,
  type ScheduledNotification,
  type SesBounce,
  type SesBouncedRecipient,
  type SesCommonHeaders,
  type SesComplaint,
  type SesDelivery,
  type SesEventRecord,
  type SesMail,
  type SimulateOptions,
  type SimulatorMailbox,
} from './simulator';
export { SES_EVENT_SUBJECT, snsNotification, type SnsEnvelope } from './sns-envelope';
