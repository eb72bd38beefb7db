import { formatMailbox } from '../core/addresses';
import type { DraftAttachment, EmailDraft } from '../core/email';
import { OutboxError } from '../core/errors';
import type { EmailSender, SendContext } from '../core/ports';
import { MESSAGE_ID_TAG } from '../shared/env';
import type { SendEmailInput, SesAttachment, SesEmailContent, SesV2Client } from './aws/sesv2';

/** Sends through SES v2 SendEmail (Simple, Template or Raw content); every call carries the tracking tag. */
export class SesEmailSender implements EmailSender {
  constructor(private readonly ses: SesV2Client) {}

  async send(draft: EmailDraft, context: SendContext): Promise<string> {
    try {
      const { MessageId } = await this.ses.sendEmail(toSendEmailInput(draft, context));
      if (!MessageId) throw new Error('SES answered without a MessageId');
      return MessageId;
    } catch (error) {
      throw toOutboxError(error);
    }
  }
}

/**
 * The SendEmail request for a draft: Raw content for a raw message (sent as it is, to the
 * Destination given, which may differ from its headers), Template content for an SES template,
 * otherwise Simple content, SES building the MIME (attachments included) itself.
 */
export function toSendEmailInput(draft: EmailDraft, context: SendContext): SendEmailInput {
  const raw = draft.raw !== undefined;
  return {
    // For Raw content the From header stays as written; this is the identity SES checks.
    FromEmailAddress: raw ? draft.from.address : formatMailbox(draft.from),
    Destination: {
      ToAddresses: draft.to.map(formatMailbox),
      CcAddresses: draft.cc.map(formatMailbox),
      BccAddresses: draft.bcc.map(formatMailbox),
    },
    // A raw message carries its own Reply-To header.
    ...(raw ? {} : { ReplyToAddresses: draft.replyTo.map(formatMailbox) }),
    Content: toEmailContent(draft),
    EmailTags: [
      ...draft.tags.map((t) => ({ Name: t.name, Value: t.value })),
      { Name: MESSAGE_ID_TAG, Value: context.emailId },
    ],
    ...(context.configurationSet ? { ConfigurationSetName: context.configurationSet } : {}),
  };
}

function toEmailContent(draft: EmailDraft): SesEmailContent {
  if (draft.raw !== undefined) return { Raw: { Data: Buffer.from(draft.raw, 'base64') } };
  const charset = 'UTF-8';
  const headers = draft.headers.length > 0 ? { Headers: draft.headers.map((h) => ({ Name: h.name, Value: h.value })) } : {};
  const attachments = draft.attachments.length > 0 ? { Attachments: draft.attachments.map(toSesAttachment) } : {};
  if (draft.template) {
    return {
      Template: {
        TemplateName: draft.template.id,
        TemplateData: JSON.stringify(draft.template.variables),
        ...headers,
        ...attachments,
      },
    };
  }
  return {
    Simple: {
      Subject: { Data: draft.subject ?? '', Charset: charset },
      Body: {
        ...(draft.html !== undefined ? { Html: { Data: draft.html, Charset: charset } } : {}),
        ...(draft.text !== undefined ? { Text: { Data: draft.text, Charset: charset } } : {}),
      },
      ...headers,
      ...attachments,
    },
  };
}

function toSesAttachment(attachment: DraftAttachment): SesAttachment {
  return {
    RawContent: Buffer.from(attachment.content, 'base64'),
    FileName: attachment.filename,
    ContentType: attachment.contentType,
    // An inline part (referenced from the HTML as cid:) needs its Content-ID and INLINE disposition.
    ContentDisposition: attachment.contentId !== undefined ? 'INLINE' : 'ATTACHMENT',
    ...(attachment.contentId !== undefined ? { ContentId: attachment.contentId } : {}),
    ContentTransferEncoding: 'BASE64',
  };
}

/** SES's exception names (SES-FACTS §7) to Outbox's error kinds. */
function toOutboxError(error: unknown): OutboxError {
  const name = error instanceof Error ? error.name : '';
  const sesMessage = error instanceof Error ? error.message : String(error);
  switch (name) {
    case 'MessageRejected':
      if (/not verified/i.test(sesMessage)) {
        return new OutboxError(
          'sender_not_verified',
          `SES refused the sender: ${sesMessage}. Verify the domain or address in SES first; nothing was sent.`,
          { cause: error },
        );
      }
      return new OutboxError('message_rejected', `SES rejected the message: ${sesMessage}. Nothing was sent.`, { cause: error });
    case 'MailFromDomainNotVerifiedException':
      return new OutboxError('sender_not_verified', `SES refused the sender's MAIL FROM domain: ${sesMessage}. Nothing was sent.`, { cause: error });
    case 'BadRequestException':
      return new OutboxError('message_rejected', `SES refused the request: ${sesMessage}. Nothing was sent.`, { cause: error });
    // A template or configuration set that does not exist, or a message over SES's size: sending
    // the same email again cannot succeed, so it must not count as a passing outage.
    case 'NotFoundException':
      return new OutboxError('message_rejected', `SES could not find what the message names: ${sesMessage}. Nothing was sent.`, { cause: error });
    case 'RequestEntityTooLargeException':
      return new OutboxError('message_rejected', `SES refused the message as too large: ${sesMessage}. Nothing was sent.`, { cause: error });
    // IAM said no: the role lacks a permission (an identity or template the policy does not name).
    // Retrying cannot help until the deployment changes, so it is a refusal, not an outage.
    case 'AccessDeniedException':
    case 'AccessDenied':
      return new OutboxError('ses_access_denied', accessDeniedMessage(sesMessage), { cause: error });
    case 'TooManyRequestsException':
    case 'ThrottlingException':
    case 'Throttling':
    case 'LimitExceededException':
      return new OutboxError('rate_limited', "SES's maximum sending rate is exceeded; nothing was sent. Retry after a short wait.", { cause: error });
    case 'SendingPausedException':
    case 'AccountSuspendedException':
      return new OutboxError('sending_paused', 'Sending is paused for this SES account; nothing was sent. Check the account status in SES.', { cause: error });
    // Sending disabled for the configuration set (PutConfigurationSetSendingOptions, as Outbox's
    // pause and the reputation alarm do): a pause that lasts until it is re-enabled, not a refusal.
    case 'ConfigurationSetSendingPausedException':
    case 'ConfigurationSetSendingPaused':
      return new OutboxError(
        'sending_paused',
        `Sending is paused for the configuration set: ${sesMessage}. Nothing was sent; queued emails wait until it is re-enabled (POST /sending/resume re-enables it).`,
        { cause: error },
      );
    default:
      return new OutboxError('unavailable', 'SES could not take the message right now; nothing was sent. Please try again.', { cause: error });
  }
}

/**
 * What to tell the caller when IAM refused the SES call: SES's own words, then the permission and
 * resource it names (IAM's "is not authorized to perform: <action> on resource: <arn>").
 */
export function accessDeniedMessage(sesMessage: string): string {
  const denied = /not authorized to perform:?\s*([\w:*-]+)(?:\s+on resource:?\s*(\S+))?/i.exec(sesMessage);
  const action = denied?.[1];
  const resource = denied?.[2]?.replace(/[.,;]+$/, '');
  const fix = resource?.includes(':identity/')
    ? 'send from an identity the stack was deployed with, or add this one to outbox:identities and deploy again'
    : 'grant it to the role, or deploy the current stack, which does';
  const missing = action
    ? ` Outbox's role is missing ${action}${resource ? ` on ${resource}` : ''}: ${fix}.`
    : " Outbox's role is missing an SES permission for this send: check the identities the stack was deployed with (outbox:sendingDomain, outbox:identities).";
  return `SES refused the call: ${sesMessage.replace(/\.?\s*$/, '.')}${missing} Nothing was sent.`;
}
