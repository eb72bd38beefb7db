import type { SesRenderingFailure } from './simulator';
/** A header, tag or other name/value pair, as SES takes them. */
export interface NameValue {
  readonly name: string;
  readonly value: string;
}

/** An attachment as SES received it (its bytes are not kept; `size` is the decoded length). */
export interface AcceptedAttachment {
  readonly filename: string;
  /** As declared by the caller; undefined when a Simple/Template attachment gave none. */
  readonly contentType?: string;
  readonly disposition: 'ATTACHMENT' | 'INLINE';
  readonly contentId?: string;
  readonly size: number;
}

/**
 * A message SES accepted, as the stand-in keeps it for inspection.
 * `destination` holds the addresses as the caller wrote them (display names included, decoded
 * for Raw headers); `recipients` holds the bare envelope addresses SES would deliver to.
 */
export interface AcceptedMessage {
  readonly messageId: string;
  /** ISO 8601 time of acceptance, from the stand-in's clock. */
  readonly receivedAt: string;
  readonly contentKind: 'Simple' | 'Raw' | 'Template';
  /** `FromEmailAddress` or, for Raw without it, the From header: as written, RFC 2047 encoded-words decoded. */
  readonly from: string;
  /** The bare address of `from`. */
  readonly fromAddress: string;
  readonly destination: {
    readonly to: readonly string[];
    readonly cc: readonly string[];
    readonly bcc: readonly string[];
  };
  /** Bare addresses of every recipient (To, Cc, Bcc), in that order. */
  readonly recipients: readonly string[];
  readonly replyTo: readonly string[];
  /** Decoded subject (RFC 2047 encoded-words decoded); for Template, as rendered. */
  readonly subject?: string;
  readonly text?: string;
  readonly html?: string;
  /** Simple/Template: the `Headers` given. Raw: the message's top-level headers, unfolded, not decoded. */
  readonly headers: readonly NameValue[];
  readonly attachments: readonly AcceptedAttachment[];
  /** Raw only: the message as sent (base64 `Data` decoded, read as UTF-8). */
  readonly raw?: string;
  /**
   * The message as MIME, to parse back (e.g. with mailparser). Raw: the message as sent, like
   * `raw`. Simple/Template: rendered by nodemailer's MailComposer from what SES received (From,
   * To, Cc, Reply-To, Subject, Message-ID `<messageId@email.amazonses.com>`, the custom headers,
   * text, HTML, attachments with their disposition and Content-ID). SES builds its own MIME, so
   * boundaries, header order and encodings differ; the content is the same. Bcc is not written.
   */
  readonly mime: string;
  readonly template?: {
    readonly name?: string;
    readonly arn?: string;
    /** `TemplateData` as sent (a JSON string). */
    readonly data?: string;
    /** Inline `TemplateContent`, unrendered. */
    readonly content?: { readonly subject?: string; readonly text?: string; readonly html?: string };
  };
  /**
   * Template only: why SES could not render it (a variable the data lacks, ...). SES accepted the
   * message but sends nothing; its only event is a Rendering Failure. Subject and bodies are unset.
   */
  readonly renderingFailure?: SesRenderingFailure;
  readonly configurationSetName?: string;
  readonly tags: readonly NameValue[];
  readonly listManagementOptions?: { readonly contactListName: string; readonly topicName?: string };
  /** Size SES would count against the 40 MB limit: exact for Raw, an estimate of the MIME size otherwise. */
  readonly sizeBytes: number;
}
