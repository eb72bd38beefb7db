import type { EmailDraft, EmailRecord } from './email';
import type { TimelineEntry } from './tracking';

/**
 * An email with what SES has reported about it: the record as the API and the sender left it, and
 * its timeline. Its state (last_event, recipients' statuses) is the two folded (foldEmailState).
 */
export interface EmailDetails {
  readonly email: EmailRecord;
  /** Oldest first. */
  readonly events: readonly TimelineEntry[];
}
import type { ApiKeyRecord } from './api-keys';
import type { EmailPage, EmailPageRequest } from './email-list';

/** Where emails are kept. Adapters map records to storage; the core never sees keys. */
export interface EmailStore {
  /**
   * Stores a new email; fails if the id exists. A `queued` email gets a check entry for the
   * scheduler's sweep, unless `findByCreation` (or `sendingNow`) says the sweep is to find it by
   * its creation time if it is still unsent a delay later (ScheduleStore.findUnchecked), so that
   * neither the sender's claim nor the write that records it sent has an entry to change.
   * `sendingNow`: the caller hands it to SES at once (a sync send) and records that with
   * markSent's `sendingNow`, so nothing else normally writes it.
   */
  create(email: EmailRecord, options?: CreateOptions): Promise<void>;
  /**
   * Records SES's acceptance: the SES message ID and `sent`. `sendingNow`: the email was created
   * with it and this is the api's own send (the store may record it beside the email instead of
   * rewriting it).
   */
  markSent(id: string, sesMessageId: string, options?: { readonly sendingNow?: boolean }): Promise<void>;
  /** Removes an email SES refused before sending anything, so no record claims it was accepted. */
  discard(id: string): Promise<void>;
  /** The email with its recipients' states and timeline; undefined when absent or past retention. */
  get(id: string): Promise<EmailDetails | undefined>;
  /** One page of emails, newest first, without their content; emails past retention are left out. */
  list(page: EmailPageRequest): Promise<EmailPage>;
}

/** How a new email is stored (EmailStore.create). */
export interface CreateOptions {
  readonly sendingNow?: boolean;
  readonly findByCreation?: boolean;
}

/** What SES needs besides the draft. */
export interface SendContext {
  readonly emailId: string;
  readonly configurationSet?: string;
}

/** Hands a message to SES. Returns the SES message ID; throws OutboxError on refusal. */
export interface EmailSender {
  send(draft: EmailDraft, context: SendContext): Promise<string>;
}

/** API keys, found by the hash of their secret. */
export interface ApiKeyStore {
  create(key: ApiKeyRecord): Promise<void>;
  findByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  /** Renames a key. Returns false when no key has this id. */
  update(id: string, change: { readonly name: string }): Promise<boolean>;
  /** Records `usedAt` as the key's last use, unless one after `staleBefore` is recorded or the key is gone. */
  touch(keyHash: string, usedAt: string, staleBefore: string): Promise<void>;
  /** Returns false when no key has this id. */
  remove(id: string): Promise<boolean>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
