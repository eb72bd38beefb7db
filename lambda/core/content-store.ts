import type { DraftAttachment } from './email';

/** An email's content: what can make its record too big for the emails table. */
export interface EmailContent {
  readonly html?: string;
  readonly text?: string;
  readonly attachments: readonly DraftAttachment[];
  /** A raw message (base64), for emails sent through POST /emails/raw. */
  readonly raw?: string;
}

/**
 * Where the content of emails too large for a DynamoDB item is kept (S3 deployed; memory or files
 * locally), by email id. The email store decides what goes here; readers never see the split.
 * Kept as long as the email (the bucket's lifecycle rule matches the retention period).
 */
export interface ContentStore {
  /** Stores (or replaces) the content of one email. */
  put(emailId: string, content: EmailContent): Promise<void>;
  /** The content, or undefined when none is kept (never stored, deleted, or expired). */
  get(emailId: string): Promise<EmailContent | undefined>;
  /** Removes it; removing what is absent is not an error. */
  delete(emailId: string): Promise<void>;
}
