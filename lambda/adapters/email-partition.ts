/**
 * The sort keys of an email's partition in the emails table (pk = the email id), shared by every
 * adapter that reads or writes it: the `email` item, its `content#NN` items and its
 * `event#<time>#<key>` timeline items.
 */
export const EMAIL_SK = 'email';
export const CONTENT_PREFIX = 'content#';
export const EVENT_PREFIX = 'event#';
