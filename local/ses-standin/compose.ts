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
  const failure = message.renderingFailure;
  const composer = new MailComposer({
    from: message.from,
    to: [...message.destination.to],
    cc: [...message.destination.cc],
    replyTo: [...message.replyTo],
    subject: message.subject ?? '',
    messageId: `<${message.messageId}@email.amazonses.com>`,
    date: new Date(message.receivedAt),
    ...(message.text !== undefined ? { text: message.text } : {}),
    ...(message.html !== undefined ? { html: message.html } : {}),
    // SES sends nothing it could not render; say so rather than invent content.
    ...(failure
      ? { text: `SES did not send this message: it could not render the template${failure.templateName ? ` ${failure.templateName}` : ''} (Rendering Failure: ${failure.errorMessage}).\nTemplateData: ${message.template?.data ?? '{}'}\n` }
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
