import MailComposer from 'nodemailer/lib/mail-composer';
import type { AcceptedMessage } from './types';

/**
 * Renders a Simple or Template message as MIME with nodemailer's MailComposer, from what SES
 * received: what a developer (or a test) can parse back to see the email a recipient gets. SES
 * writes Message-ID as `<SES message ID>@email.amazonses.com` and its own Date, so does this.
 */
export async function composeMime(
  message: Omit<AcceptedMessage, 'mime'>,
  attachmentContents: readonly Buffer[],
): Promise<string> {
  const template = message.contentKind === 'Template' && message.subject === undefined && message.text === undefined && message.html === undefined ? message.template : undefined;
  const composer = new MailComposer({
    from: message.from,
    to: [...message.destination.to],
    cc: [...message.destination.cc],
    replyTo: [...message.replyTo],
    subject: message.subject ?? (template ? `[SES template ${template.name ?? template.arn ?? ''}]` : ''),
    messageId: `<${message.messageId}@email.amazonses.com>`,
    date: new Date(message.receivedAt),
    ...(message.text !== undefined ? { text: message.text } : {}),
    ...(message.html !== undefined ? { html: message.html } : {}),
    // A template the stand-in does not store cannot be rendered: say so rather than invent content.
    ...(template
      ? { text: `The SES stand-in does not store template ${template.name ?? template.arn}, so SES's rendering is not shown.\nTemplateData: ${template.data ?? '{}'}\n` }
      : {}),
    headers: message.headers.map((h) => ({ key: h.name, value: h.value })),
    attachments: message.attachments.map((a, i) => ({
      filename: a.filename,
      content: attachmentContents[i] ?? Buffer.alloc(0),
      ...(a.contentType !== undefined ? { contentType: a.contentType } : {}),
      contentDisposition: a.disposition === 'INLINE' ? 'inline' : 'attachment',
      ...(a.contentId !== undefined ? { cid: a.contentId } : {}),
    })),
  });
  return (await composer.compile().build()).toString('utf8');
}
