/**
 * The sort keys of an email's partition in the emails table (pk = the email id), shared by every
 * adapter that reads or writes it: the `email` item, its `content#NN` items, the `email#sent`
 * item of a sync send, and its `event#<time>#<key>` timeline items.
 */
export const EMAIL_SK = 'email';
/**
 * Where the api records that SES took a sync send (its SES message ID), beside an `email` item
 * that holds the content inline and so is never rewritten. Sorts between `email` and the
 * `event#` items, so a read of the email item and its timeline by range takes it too.
 */
export const SENT_SK = 'email#sent';

/** The keys-only index of emails by UTC day of creation (EMAILS_TABLE). */
export const CREATED_DAY_INDEX = 'by-created-day';
export const CONTENT_PREFIX = 'content#';
export const EVENT_PREFIX = 'event#';
